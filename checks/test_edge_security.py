"""Launch criteria for threat detection, the audit trail, and the web application firewall."""

import pytest

pytestmark = pytest.mark.dryrun

COMMON_RULE_GROUP = ("AWS", "AWSManagedRulesCommonRuleSet")


@pytest.mark.criterion("SEC-01")
def test_guardduty_enabled_in_each_region(inventory, target):
    regions = list(dict.fromkeys(region for region in (target.region, target.backup_region) if region))

    offenders = []
    for region in regions:
        detectors = inventory.guardduty.detectors(region)
        if not any(detector.get("Status") == "ENABLED" for detector in detectors):
            observed = ", ".join(f"{detector['DetectorId']} {detector.get('Status')}" for detector in detectors)
            offenders.append(f"{region} ({observed or 'no detector'})")

    assert not offenders, (
        f"GuardDuty is not enabled in {'; '.join(offenders)}; expected an enabled detector in each of {', '.join(regions)}"
    )


@pytest.mark.criterion("SEC-02")
def test_multi_region_trail_logging(inventory, target):
    cloudtrail = inventory.cloudtrail
    trails = cloudtrail.trails
    multi_region = [trail for trail in trails if trail.get("IsMultiRegionTrail")]
    assert multi_region, (
        f"region {target.region} has no multi-region CloudTrail trail (trails: "
        f"{', '.join(trail['Name'] for trail in trails) or 'none'}); expected a multi-region trail, an organization trail counts"
    )

    issues = {trail["TrailARN"]: _trail_issues(cloudtrail, trail) for trail in multi_region}
    problems = [f"{arn} ({', '.join(found)})" for arn, found in issues.items() if found]

    assert len(problems) < len(issues), (
        f"no multi-region CloudTrail trail meets all settings: {'; '.join(problems)}; "
        "expected one that is logging with log file validation and a KMS key"
    )


def _trail_issues(cloudtrail, trail: dict) -> list[str]:
    issues = []
    if not trail.get("LogFileValidationEnabled"):
        issues.append("log file validation is off")
    if not trail.get("KmsKeyId"):
        issues.append("no KMS key")
    # The status is read only when the configuration passes, because it cannot help otherwise.
    if not issues and not cloudtrail.status(trail).get("IsLogging"):
        issues.append("is not logging")
    return issues


@pytest.mark.criterion("SEC-03")
def test_waf_protects_alb_and_distribution(inventory, outputs):
    alb_arn = outputs["alb_arn"]
    offenders = []

    regional = inventory.wafv2.web_acl_for_resource(alb_arn)
    if regional is None:
        offenders.append(f"ALB {alb_arn} has no web ACL")
    else:
        offenders += _rule_problems(regional, f"on ALB {alb_arn}")

    distribution = inventory.cloudfront.distribution
    web_acl_id = distribution["DistributionConfig"].get("WebACLId")
    if not web_acl_id:
        offenders.append(f"CloudFront distribution {distribution['Id']} has no web ACL")
    elif not web_acl_id.startswith("arn:"):
        offenders.append(f"CloudFront distribution {distribution['Id']} uses the WAF Classic web ACL {web_acl_id}")
    else:
        offenders += _rule_problems(inventory.wafv2.web_acl(web_acl_id), f"on distribution {distribution['Id']}")

    assert not offenders, (
        f"WAF protection is incomplete: {'; '.join(offenders)}; expected a WAFv2 web ACL on the ALB and on the "
        "distribution, each with an AWSManagedRulesCommonRuleSet rule and a rate-based rule that are not in count mode"
    )


def _rule_problems(web_acl: dict, where: str) -> list[str]:
    """Return what the web ACL lacks: a blocking common rule set rule and a blocking rate-based rule."""
    rules = web_acl.get("Rules", [])
    common = [rule for rule in rules if _managed_group(rule) == COMMON_RULE_GROUP
              and "Count" not in (rule.get("OverrideAction") or {})]
    rate_based = [rule for rule in rules if "RateBasedStatement" in (rule.get("Statement") or {})
                  and "Count" not in (rule.get("Action") or {})]

    names = ", ".join(rule["Name"] for rule in rules) or "none"
    problems = []
    if not common:
        problems.append(f"web ACL {web_acl['Name']} {where} has no AWSManagedRulesCommonRuleSet rule outside count mode (rules: {names})")
    if not rate_based:
        problems.append(f"web ACL {web_acl['Name']} {where} has no rate-based rule outside count mode (rules: {names})")
    return problems


def _managed_group(rule: dict) -> tuple[str, str] | None:
    statement = (rule.get("Statement") or {}).get("ManagedRuleGroupStatement")
    if statement is None:
        return None
    return statement.get("VendorName"), statement.get("Name")
