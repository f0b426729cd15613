"""Launch criteria for backups: the vaults, the plan and its coverage, cross-region copies, replication, job alerts."""

import json

import pytest

from readiness.inventory.backup import schedule_interval_days, selection_covers
from readiness.inventory.events import pattern_accepts

pytestmark = pytest.mark.dryrun

# (label, longest gap in days between backups, minimum days kept)
RETENTION_TIERS = (("daily", 1, 30), ("weekly", 7, 90), ("monthly", 31, 365))
KMS_ENCRYPTION = ("aws:kms", "aws:kms:dsse")
# Vault events that report a failed job of each kind. AWS Backup sends failed backups and restores
# only as *_COMPLETED events; BACKUP_JOB_FAILED and RESTORE_JOB_FAILED are deprecated and never sent.
FAILURE_EVENTS = {"backup": "BACKUP_JOB_COMPLETED", "copy": "COPY_JOB_FAILED", "restore": "RESTORE_JOB_COMPLETED"}
DEPRECATED_EVENTS = {"BACKUP_JOB_FAILED", "RESTORE_JOB_FAILED", "BACKUP_JOB_SUCCESSFUL", "RESTORE_JOB_SUCCESSFUL"}
# The EventBridge detail-type AWS Backup uses for each kind of job.
JOB_DETAIL_TYPES = {
    "backup": "Backup Job State Change", "copy": "Copy Job State Change", "restore": "Restore Job State Change",
}


def _plan(inventory, outputs) -> dict:
    __tracebackhide__ = True
    plan = inventory.backup.plan
    assert plan, (
        f"backup plan {outputs['backup_plan_id']} was not found in {inventory.backup.target.region}; "
        "expected the backup_plan_id output to name a live plan"
    )
    return plan


def _retention(lifecycle: dict | None) -> float:
    """Return the days a recovery point is kept; no DeleteAfterDays means it is kept forever."""
    return (lifecycle or {}).get("DeleteAfterDays") or float("inf")


@pytest.mark.criterion("INF-11")
def test_vaults_use_customer_managed_keys(inventory, outputs, target):
    backup, kms = inventory.backup, inventory.kms
    vaults = {
        f"vault {outputs['backup_vault_name']} in {target.region}":
            backup.vault(outputs["backup_vault_name"], target.region),
        f"copy vault {outputs['backup_copy_vault_arn']}": backup.vault_by_arn(outputs["backup_copy_vault_arn"]),
    }

    offenders = []
    for label, vault in vaults.items():
        if vault is None:
            offenders.append(f"{label} does not exist")
            continue
        key_arn = vault.get("EncryptionKeyArn")
        key = kms.key(key_arn) if key_arn else None
        if key is None:
            offenders.append(f"{label} is encrypted with {key_arn or 'no key'}, which KMS does not report")
        elif key.get("KeyManager") != "CUSTOMER":
            offenders.append(f"{label} is encrypted with {key_arn}, a key with KeyManager={key.get('KeyManager')}")

    assert not offenders, (
        f"backup vaults without a customer-managed key: {'; '.join(offenders)}; "
        "expected each vault to exist and use a KMS key with KeyManager=CUSTOMER"
    )


@pytest.mark.criterion("INF-12")
def test_plan_retention_and_coverage(inventory, outputs, target):
    plan = _plan(inventory, outputs)
    rules = plan["BackupPlan"]["Rules"]
    name = f"backup plan {plan['BackupPlan']['BackupPlanName']} ({outputs['backup_plan_id']})"

    missing = []
    for label, max_gap, min_days in RETENTION_TIERS:
        if not any((schedule_interval_days(rule.get("ScheduleExpression", "")) or float("inf")) <= max_gap
                   and _retention(rule.get("Lifecycle")) >= min_days for rule in rules):
            missing.append(f"no rule that backs up at least {label} and keeps points {min_days} days")
    observed = ", ".join(f"{rule['RuleName']} {rule.get('ScheduleExpression')} keeps "
                         f"{_retention(rule.get('Lifecycle'))} days" for rule in rules)
    assert not missing, (
        f"{name} has {'; '.join(missing)} (rules: {observed or 'none'}); expected daily, weekly and monthly "
        "backups kept at least 30, 90 and 365 days"
    )

    rds, s3 = inventory.rds, inventory.s3
    cluster, instance = rds.database_cluster(), rds.database()
    database = cluster or instance
    assert database, f"database {outputs['db_instance_identifier']} was not found, so its backup cannot be judged"
    # AWS Backup protects an Aurora database as a cluster, and a standalone instance by itself.
    database_arn = database.get("DBClusterArn") or database["DBInstanceArn"]
    database_tags = {tag["Key"]: tag["Value"] for tag in database.get("TagList", [])}
    bucket_arn = f"arn:aws:s3:::{outputs['app_bucket_name']}"
    resources = {database_arn: database_tags, bucket_arn: s3.tags(outputs["app_bucket_name"])}

    selections = inventory.backup.selections
    uncovered = [arn for arn, tags in resources.items()
                 if not any(selection_covers(selection, arn, tags) for selection in selections)]
    assert not uncovered, (
        f"{name} does not cover {', '.join(uncovered)} through any of its {len(selections)} selections "
        f"({', '.join(selection['SelectionName'] for selection in selections) or 'none'}); "
        "expected a selection whose resources, tags or conditions match the database and the application bucket"
    )


@pytest.mark.criterion("INF-13")
def test_rules_copy_to_backup_region(inventory, outputs, target):
    plan = _plan(inventory, outputs)
    assert target.backup_region != target.region, (
        f"the backup region {target.backup_region} is the primary region; expected a different region"
    )

    offenders = []
    for rule in plan["BackupPlan"]["Rules"]:
        destinations = [action["DestinationBackupVaultArn"] for action in rule.get("CopyActions", [])]
        remote = [arn for arn in destinations if arn.split(":")[3] == target.backup_region]
        if not remote:
            offenders.append(f"rule {rule['RuleName']} copies to {destinations or 'no vault'}")
        elif not any(inventory.backup.vault_by_arn(arn) for arn in remote):
            offenders.append(f"rule {rule['RuleName']} copies to {remote}, which does not exist")

    assert not offenders, (
        f"backup plan {plan['BackupPlan']['BackupPlanName']} keeps copies out of {target.backup_region}: "
        f"{'; '.join(offenders)}; expected every rule to copy to an existing vault in {target.backup_region}"
    )


def _rule_scope(rule: dict) -> str | None:
    """Describe how a replication rule narrows the objects it copies, or None for the whole bucket."""
    if "Filter" in rule:
        scope = rule["Filter"] or {}
        narrowing = scope.get("And") or scope
        if narrowing.get("Prefix") or narrowing.get("Tag") or narrowing.get("Tags"):
            return f"filter {json.dumps(scope)}"
        return None
    return f"prefix {rule['Prefix']!r}" if rule.get("Prefix") else None


def _replication_problems(rule: dict, s3, source_uses_kms: bool, backup_region: str) -> list[str]:
    problems = []
    scope = _rule_scope(rule)
    if scope:
        problems.append(f"copies only objects matching {scope}")
    if source_uses_kms and rule.get("SourceSelectionCriteria", {}).get("SseKmsEncryptedObjects", {}).get("Status") != "Enabled":
        problems.append("leaves out SSE-KMS objects (SourceSelectionCriteria.SseKmsEncryptedObjects not Enabled)")

    destination = rule.get("Destination", {})
    bucket = destination.get("Bucket", "").split(":::")[-1]
    if s3.region_of(bucket) != backup_region:
        problems.append(f"replicates to {bucket} in {s3.region_of(bucket)}")
    elif s3.versioning(bucket) != "Enabled":
        problems.append(f"replicates to {bucket}, whose versioning is {s3.versioning(bucket) or 'off'}")
    if destination.get("Metrics", {}).get("Status") != "Enabled":
        problems.append("has replication metrics off")
    return problems


@pytest.mark.criterion("INF-14")
def test_bucket_replicates_to_backup_region(inventory, outputs, target):
    s3 = inventory.s3
    bucket = outputs["app_bucket_name"]

    versioning = s3.versioning(bucket)
    assert versioning == "Enabled", f"bucket {bucket} has versioning {versioning or 'off'}; expected Enabled"
    replication = s3.replication(bucket)
    assert replication, f"bucket {bucket} has no replication configuration; expected replication to {target.backup_region}"

    uses_kms = any(rule.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") in KMS_ENCRYPTION
                   for rule in s3.encryption_rules(bucket))
    findings = {rule.get("ID", "unnamed"): _replication_problems(rule, s3, uses_kms, target.backup_region)
                for rule in replication["Rules"] if rule.get("Status") == "Enabled"}
    observed = "; ".join(f"rule {rule_id} {', '.join(problems)}" for rule_id, problems in findings.items())
    assert any(not problems for problems in findings.values()), (
        f"bucket {bucket} has no enabled replication rule that copies every object to a versioned bucket in "
        f"{target.backup_region} with metrics on: {observed or 'no rule is enabled'}"
    )


def _rule_notifies(inventory, rule: dict, kind: str, target) -> bool:
    if rule.get("State") != "ENABLED" or not rule.get("EventPattern"):
        return False
    sample = {"source": "aws.backup", "detail-type": JOB_DETAIL_TYPES[kind], "region": target.region,
              "detail": {"state": "FAILED"}}
    return pattern_accepts(json.loads(rule["EventPattern"]), sample) and bool(inventory.events.targets(rule["Name"]))


@pytest.mark.criterion("MON-07")
def test_failed_backup_jobs_notify(inventory, outputs, target):
    vault = outputs["backup_vault_name"]
    notifications = inventory.backup.notifications(vault, target.region) or {}
    events = set(notifications.get("BackupVaultEvents", []))
    uncovered = [kind for kind, event in FAILURE_EVENTS.items() if event not in events]
    if uncovered:
        rules = inventory.events.rules
        uncovered = [kind for kind in uncovered if not any(_rule_notifies(inventory, rule, kind, target) for rule in rules)]

    deprecated = sorted(events & DEPRECATED_EVENTS)
    deprecated_note = f" (deprecated, never sent: {deprecated})" if deprecated else ""
    assert not uncovered, (
        f"failed {', '.join(uncovered)} jobs notify nobody: vault {vault} sends {sorted(events) or 'no events'}"
        f"{deprecated_note} and no enabled EventBridge rule with a target matches source aws.backup with state "
        f"FAILED for them; expected vault events {[FAILURE_EVENTS[kind] for kind in uncovered]} or such a rule"
    )
