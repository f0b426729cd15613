"""Launch criteria for CloudFront delivery settings and the ALB's last 24 hours of errors and latency."""

import re

import pytest

from readiness.errors import Unverifiable
from readiness.inventory.cloudwatch import load_balancer_dimension

pytestmark = pytest.mark.dryrun

HTTPS_VIEWER_POLICIES = {"redirect-to-https", "https-only"}
HTTP2_VERSIONS = {"http2", "http2and3", "http3"}
MIN_TLS = (1, 2, 2021)
TLS_VERSION = re.compile(r"^TLSv(?P<major>\d)(?:\.(?P<minor>\d))?(?:_(?P<year>\d{4}))?$")
# AWS managed cache policies, the same ids in every account.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
# REST endpoints of S3 (bucket.s3.region.amazonaws.com and older forms). Website endpoints are custom origins.
S3_REST_DOMAIN = re.compile(r"\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$")

ALB_NAMESPACE = "AWS/ApplicationELB"
FIVE_XX_METRICS = ("HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")
MAX_5XX_RATE = 0.01
DAY_SECONDS = 86400
FIVE_MINUTES = 300


def _behaviors(config: dict) -> list[dict]:
    """Return the default cache behavior (path "*") and the path-specific ones."""
    return [{"PathPattern": "*", **config["DefaultCacheBehavior"]}, *(config.get("CacheBehaviors") or {}).get("Items", [])]


def _tls_rank(version: str) -> tuple[int, int, int]:
    """Return a sort key for CloudFront security policies: TLSv1 < TLSv1_2016 < TLSv1.1_2016 < TLSv1.2_2018, SSLv3 lowest."""
    match = TLS_VERSION.match(version or "")
    if match is None:
        return (0, 0, 0)
    return int(match["major"]), int(match["minor"] or 0), int(match["year"] or 0)


@pytest.mark.criterion("PERF-01")
def test_distribution_https_compressed_http2(inventory):
    distribution = inventory.cloudfront.distribution
    config = distribution["DistributionConfig"]

    offenders = []
    if not config.get("Enabled"):
        offenders.append("it is disabled")
    for behavior in _behaviors(config):
        if behavior["ViewerProtocolPolicy"] not in HTTPS_VIEWER_POLICIES:
            offenders.append(f"behavior {behavior['PathPattern']} has viewer protocol policy {behavior['ViewerProtocolPolicy']}")
        if not behavior.get("Compress"):
            offenders.append(f"behavior {behavior['PathPattern']} does not compress")
    minimum_tls = (config.get("ViewerCertificate") or {}).get("MinimumProtocolVersion", "unknown")
    if _tls_rank(minimum_tls) < MIN_TLS:
        offenders.append(f"minimum protocol version is {minimum_tls}")
    if config.get("HttpVersion") not in HTTP2_VERSIONS:
        offenders.append(f"HTTP version is {config.get('HttpVersion')}")

    assert not offenders, (
        f"CloudFront distribution {distribution['Id']}: {'; '.join(offenders)}; expected enabled, every behavior "
        "redirect-to-https or https-only with compression, TLSv1.2_2021 or newer, and http2, http2and3 or http3"
    )


def _is_s3_origin(origin: dict) -> bool:
    return "S3OriginConfig" in origin or bool(S3_REST_DOMAIN.search(origin.get("DomainName", "")))


def _caching_problem(inventory, behavior: dict) -> str | None:
    """Return why a behavior does not cache, or None if it does."""
    policy_id = behavior.get("CachePolicyId")
    if policy_id == CACHING_DISABLED:
        return f"uses the managed CachingDisabled cache policy {policy_id}"
    if policy_id == CACHING_OPTIMIZED:
        return None
    if policy_id:
        max_ttl = inventory.cloudfront.cache_policy(policy_id).get("MaxTTL", 0)
        return f"uses cache policy {policy_id} with MaxTTL {max_ttl}" if not max_ttl else None
    # Legacy cache settings: with MaxTTL 0 CloudFront caches nothing, whatever Cache-Control the origin sends.
    return f"uses legacy cache settings with MaxTTL {behavior.get('MaxTTL', 0)}" if not behavior.get("MaxTTL") else None


@pytest.mark.criterion("PERF-02")
def test_static_assets_cached_from_private_origin(inventory):
    distribution = inventory.cloudfront.distribution
    config = distribution["DistributionConfig"]
    s3_origins = {origin["Id"]: origin for origin in config["Origins"]["Items"] if _is_s3_origin(origin)}
    asset_behaviors = [behavior for behavior in _behaviors(config) if behavior["TargetOriginId"] in s3_origins]

    assert asset_behaviors, (
        f"CloudFront distribution {distribution['Id']} has no cache behavior with an S3 origin "
        f"(origins: {', '.join(origin['DomainName'] for origin in config['Origins']['Items'])}); "
        "expected a static-asset behavior served from S3"
    )

    offenders = []
    for behavior in asset_behaviors:
        problem = _caching_problem(inventory, behavior)
        if problem:
            offenders.append(f"behavior {behavior['PathPattern']} {problem}")
    for origin_id in sorted({behavior["TargetOriginId"] for behavior in asset_behaviors}):
        origin = s3_origins[origin_id]
        if not origin.get("OriginAccessControlId"):
            identity = (origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity")
            offenders.append(f"S3 origin {origin_id} ({origin['DomainName']}) has no origin access control"
                             + (f" and uses the legacy origin access identity {identity}" if identity else ""))

    assert not offenders, (
        f"CloudFront distribution {distribution['Id']}: {'; '.join(offenders)}; expected static-asset behaviors "
        "with a caching policy such as CachingOptimized, and S3 origins with origin access control"
    )


def _sum(datapoints: list[dict]) -> float:
    return sum(point.get("Sum", 0.0) for point in datapoints)


def _p95_upper_bound(datapoints: list[dict]) -> float:
    """Return the smallest period maximum that at least 95 % of the requests are at or below.

    Every request of a period is at most that period's Maximum, so this bounds the true p95 from above.
    """
    total = sum(point["SampleCount"] for point in datapoints)
    covered = 0.0
    for point in sorted(datapoints, key=lambda item: item["Maximum"]):
        covered += point["SampleCount"]
        if covered >= 0.95 * total:
            return point["Maximum"]
    return max(point["Maximum"] for point in datapoints)


def _p95_response_time(cloudwatch, dimensions: dict) -> tuple[float, str]:
    """Return the day's p95 TargetResponseTime in seconds and where the figure comes from."""
    native = [point["ExtendedStatistics"]["p95"]
              for point in cloudwatch.last_day_statistics(ALB_NAMESPACE, "TargetResponseTime", dimensions, DAY_SECONDS,
                                                          extended_statistics=("p95",))
              if "p95" in point.get("ExtendedStatistics", {})]
    if native:
        # The day can span two one-day periods, and the larger p95 is the safe figure.
        return max(native), "CloudWatch p95"

    # NOTE: CloudWatch has no percentiles for metrics published as statistic sets, and the twin
    # computes none, so the check falls back to an upper bound from the 5-minute maxima.
    periods = [point for point in cloudwatch.last_day_statistics(
        ALB_NAMESPACE, "TargetResponseTime", dimensions, FIVE_MINUTES, statistics=("Maximum", "SampleCount"))
        if point.get("SampleCount")]
    if not periods:
        raise Unverifiable(f"ALB {dimensions['LoadBalancer']} has no TargetResponseTime data in the last 24 hours")
    return _p95_upper_bound(periods), "upper bound from 5-minute maxima, CloudWatch returned no p95"


@pytest.mark.criterion("PERF-04")
def test_alb_last_day_errors_and_latency(inventory, outputs, settings):
    cloudwatch = inventory.cloudwatch
    load_balancer = load_balancer_dimension(outputs["alb_arn"])
    dimensions = {"LoadBalancer": load_balancer}

    requests = _sum(cloudwatch.last_day_statistics(ALB_NAMESPACE, "RequestCount", dimensions, DAY_SECONDS, ("Sum",)))
    if not requests:
        raise Unverifiable(f"ALB {load_balancer} reported no RequestCount in the last 24 hours, "
                           "so its 5xx rate and latency cannot be judged")
    errors = sum(_sum(cloudwatch.last_day_statistics(ALB_NAMESPACE, metric, dimensions, DAY_SECONDS, ("Sum",)))
                 for metric in FIVE_XX_METRICS)
    rate = errors / requests

    assert rate < MAX_5XX_RATE, (
        f"ALB {load_balancer} answered {errors:.0f} of {requests:.0f} requests with 5xx in the last 24 hours, "
        f"a 5xx rate of {rate:.2%}; expected under {MAX_5XX_RATE:.0%}"
    )

    p95_seconds, source = _p95_response_time(cloudwatch, dimensions)
    target_ms = settings.ini["perf_p95_ms"]
    assert p95_seconds * 1000 < target_ms, (
        f"ALB {load_balancer} p95 TargetResponseTime over the last 24 hours is {p95_seconds * 1000:.0f} ms ({source}); "
        f"expected under {target_ms:.0f} ms (perf_p95_ms)"
    )
