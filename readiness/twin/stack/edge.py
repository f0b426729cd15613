"""Reference stack, edge: the CloudFront distribution, its origin access control, and WAF on CloudFront and the ALB.

Reads ctx.ids, when present: app_bucket_name (data) for the static-asset origin, alb_arn and
alb_dns_name (compute) for the application origin and the regional web ACL.
Puts in ctx.ids: cloudfront_distribution_id, cloudfront_distribution_arn, cloudfront_web_acl_arn,
regional_web_acl_arn. Sets output: cloudfront_distribution_id.
"""

from __future__ import annotations

import json
import logging

import botocore.exceptions

from readiness.twin.context import TwinContext
from readiness.twin.stack.certificates import import_self_signed
from readiness.twin.stack.tags import tags

log = logging.getLogger(__name__)

# CloudFront reads its web ACLs and viewer certificates from us-east-1 only.
CLOUDFRONT_REGION = "us-east-1"
DOMAIN = "www.launch-readiness.example"
ASSET_PATH = "/static/*"
ASSET_ORIGIN_ID = "app-assets"
APP_ORIGIN_ID = "app-alb"

# AWS managed cache and origin request policies, the same ids in every account.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_ORIGIN_REQUEST = "216adef6-5c7f-47e4-b989-5492eafa07d3"

# Requests per 5 minutes from one IP before the rate-based rule blocks it.
RATE_LIMIT = 2000
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]


def seed(ctx: TwinContext) -> None:
    cloudfront_acl_arn = _web_acl(ctx, "app-cloudfront", "CLOUDFRONT", CLOUDFRONT_REGION)
    regional_acl_arn = _web_acl(ctx, "app-alb", "REGIONAL", ctx.region)
    if ctx.ids.get("alb_arn"):
        ctx.client("wafv2").associate_web_acl(WebACLArn=regional_acl_arn, ResourceArn=ctx.ids["alb_arn"])
    else:
        log.warning("edge stage: no alb_arn in ctx.ids, so the regional web ACL protects nothing")

    origins, default_origin = _origins(ctx)
    if not origins:
        log.warning("edge stage: neither app_bucket_name nor alb_dns_name is in ctx.ids, so no distribution was created")
        ctx.ids.update(cloudfront_web_acl_arn=cloudfront_acl_arn, regional_web_acl_arn=regional_acl_arn)
        return

    config = {
        "CallerReference": "launch-readiness-app",
        "Comment": "Application and its static assets",
        "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": [DOMAIN]},
        "Origins": {"Quantity": len(origins), "Items": origins},
        "DefaultCacheBehavior": _default_behavior(default_origin),
        "CacheBehaviors": _asset_behaviors(origins),
        "ViewerCertificate": {
            "CloudFrontDefaultCertificate": False,
            "ACMCertificateArn": import_self_signed(ctx, DOMAIN, CLOUDFRONT_REGION),
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
        "PriceClass": "PriceClass_100",
        "WebACLId": cloudfront_acl_arn,
    }
    distribution = ctx.client("cloudfront", CLOUDFRONT_REGION).create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": config, "Tags": {"Items": tags(key="Key", value="Value")}},
    )["Distribution"]

    if ctx.ids.get("app_bucket_name"):
        _allow_distribution_to_read(ctx, ctx.ids["app_bucket_name"], distribution["ARN"])

    ctx.ids.update(cloudfront_distribution_id=distribution["Id"], cloudfront_distribution_arn=distribution["ARN"],
                   cloudfront_web_acl_arn=cloudfront_acl_arn, regional_web_acl_arn=regional_acl_arn)
    ctx.outputs["cloudfront_distribution_id"] = distribution["Id"]


def _web_acl(ctx: TwinContext, name: str, scope: str, region: str) -> str:
    """Create a web ACL with the AWS common rule set and a per-IP rate limit, and return its ARN."""
    rules = [
        {
            "Name": "aws-common-rules", "Priority": 0,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
            "OverrideAction": {"None": {}},
            "VisibilityConfig": _visibility(f"{name}-common"),
        },
        {
            "Name": "rate-limit-per-ip", "Priority": 1,
            "Statement": {"RateBasedStatement": {"Limit": RATE_LIMIT, "AggregateKeyType": "IP"}},
            "Action": {"Block": {}},
            "VisibilityConfig": _visibility(f"{name}-rate-limit"),
        },
    ]
    return ctx.client("wafv2", region).create_web_acl(
        Name=name, Scope=scope, DefaultAction={"Allow": {}}, Rules=rules, VisibilityConfig=_visibility(name),
        Description=f"{scope.lower()} web ACL of the application", Tags=tags(key="Key", value="Value"),
    )["Summary"]["ARN"]


def _visibility(metric_name: str) -> dict:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": metric_name}


def _origins(ctx: TwinContext) -> tuple[list[dict], str | None]:
    """Return the distribution's origins and the id of the one the default behavior uses."""
    origins = []
    if ctx.ids.get("app_bucket_name"):
        control_id = ctx.client("cloudfront", CLOUDFRONT_REGION).create_origin_access_control(
            OriginAccessControlConfig={
                "Name": "app-assets", "Description": "CloudFront reads the application bucket",
                "SigningProtocol": "sigv4", "SigningBehavior": "always", "OriginAccessControlOriginType": "s3",
            },
        )["OriginAccessControl"]["Id"]
        origins.append({
            "Id": ASSET_ORIGIN_ID,
            "DomainName": f"{ctx.ids['app_bucket_name']}.s3.{ctx.region}.amazonaws.com",
            # With origin access control the legacy origin access identity must be empty.
            "S3OriginConfig": {"OriginAccessIdentity": ""},
            "OriginAccessControlId": control_id,
        })

    if ctx.ids.get("alb_dns_name"):
        origins.append({
            "Id": APP_ORIGIN_ID,
            "DomainName": ctx.ids["alb_dns_name"],
            "CustomOriginConfig": {
                "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
                "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
            },
        })

    if not origins:
        return origins, None
    # The application serves everything but static assets; without it the bucket is the default origin.
    default_origin = APP_ORIGIN_ID if ctx.ids.get("alb_dns_name") else origins[0]["Id"]
    return origins, default_origin


def _default_behavior(origin_id: str) -> dict:
    """Send everything that is not a static asset to the default origin, without caching the application's responses."""
    dynamic = origin_id == APP_ORIGIN_ID
    methods = ALL_METHODS if dynamic else ["GET", "HEAD"]
    return {
        "TargetOriginId": origin_id,
        "ViewerProtocolPolicy": "redirect-to-https",
        "Compress": True,
        "CachePolicyId": CACHING_DISABLED if dynamic else CACHING_OPTIMIZED,
        **({"OriginRequestPolicyId": ALL_VIEWER_ORIGIN_REQUEST} if dynamic else {}),
        "AllowedMethods": {"Quantity": len(methods), "Items": methods,
                           "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
    }


def _asset_behaviors(origins: list[dict]) -> dict:
    """Serve /static/* from the bucket with the managed CachingOptimized policy."""
    if not any(origin["Id"] == ASSET_ORIGIN_ID for origin in origins):
        return {"Quantity": 0}
    behavior = {
        "PathPattern": ASSET_PATH,
        "TargetOriginId": ASSET_ORIGIN_ID,
        "ViewerProtocolPolicy": "redirect-to-https",
        "Compress": True,
        "CachePolicyId": CACHING_OPTIMIZED,
        "AllowedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"],
                           "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
    }
    return {"Quantity": 1, "Items": [behavior]}


def _allow_distribution_to_read(ctx: TwinContext, bucket: str, distribution_arn: str) -> None:
    """Add the statement origin access control needs to the bucket policy, keeping the statements already there."""
    s3 = ctx.client("s3")
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchBucketPolicy":
            raise
        policy = {"Version": "2012-10-17", "Statement": []}

    policy["Statement"].append({
        "Sid": "AllowCloudFrontRead",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    })
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
