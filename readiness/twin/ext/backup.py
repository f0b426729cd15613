"""AWS Backup operations moto 5.2.5 lacks: selections, vault notifications, plan updates, and the job layer."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

from moto.backup import urls
from moto.backup.exceptions import InvalidParameterValueException, ResourceNotFoundException
from moto.backup.models import BackupBackend, Plan, backup_backends
from moto.backup.responses import BackupResponse
from moto.kms.models import kms_backends

# The key AWS Backup uses for a vault created without EncryptionKeyArn.
AWS_MANAGED_BACKUP_KEY = "alias/aws/backup"

# Paths moto's backup URL map lacks; every one goes to the same dispatcher, which picks the
# operation from botocore's model of the method and URI. A trailing slash in a path makes Flask
# accept the path with and without it.
ROUTES = (
    "{0}/backup-vaults/(?P<name>[^/]+)/notification-configuration$",
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$",
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<arn>.+)$",
    "{0}/resources/(?P<arn>.+)/recovery-points/$",
    "{0}/backup-jobs/$",
    "{0}/copy-jobs/$",
)

# Events PutBackupVaultNotifications accepts; AWS rejects the deprecated rest of the API's enum
# (BACKUP_JOB_FAILED, RESTORE_JOB_FAILED and others) with this list in the error message.
SUPPORTED_VAULT_EVENTS = (
    "BACKUP_JOB_STARTED", "BACKUP_JOB_COMPLETED", "RESTORE_JOB_STARTED", "RESTORE_JOB_COMPLETED",
    "COPY_JOB_STARTED", "COPY_JOB_SUCCESSFUL", "COPY_JOB_FAILED", "RECOVERY_POINT_MODIFIED",
    "S3_BACKUP_OBJECT_FAILED", "S3_RESTORE_OBJECT_FAILED",
)

# Defaults AWS Backup gives a rule that leaves them out, as moto's Plan sets them on create.
RULE_DEFAULTS = {
    "ScheduleExpression": "cron(0 5 ? * * *)",
    "StartWindowMinutes": 480,
    "CompletionWindowMinutes": 10080,
    "ScheduleExpressionTimezone": "Etc/UTC",
}


@dataclass
class JobStore:
    """The AWS Backup state moto does not keep, for one account and region."""

    selections: dict[str, dict[str, dict]] = field(default_factory=dict)  # plan id -> selection id -> selection
    notifications: dict[str, dict] = field(default_factory=dict)  # vault name -> configuration
    recovery_points: dict[str, dict[str, dict]] = field(default_factory=dict)  # vault name -> ARN -> point
    restore_metadata: dict[str, dict[str, str]] = field(default_factory=dict)  # recovery point ARN -> metadata
    backup_jobs: list[dict] = field(default_factory=list)
    copy_jobs: list[dict] = field(default_factory=list)


def store_of(backend: BackupBackend) -> JobStore:
    """Return the backend's job store; moto's reset replaces the backend's __dict__ and so drops it too."""
    store = backend.__dict__.get("_twin_jobs")
    if store is None:
        store = backend.__dict__["_twin_jobs"] = JobStore()
    return store


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _page(items: list, key: str, query: dict) -> str:
    """Serialize one page of items; the token is the offset of the next page."""
    start = int(query.get("nextToken", ["0"])[0] or 0)
    size = int(query.get("maxResults", ["1000"])[0])
    document = {key: items[start:start + size]}
    if start + size < len(items):
        document["NextToken"] = str(start + size)
    return json.dumps(document)


def _query(response: BackupResponse) -> dict[str, list[str]]:
    return parse_qs(response.parsed_url.query)


def _body(response: BackupResponse) -> dict:
    return json.loads(response.body) if response.body else {}


def _live_plan(backend: BackupBackend, plan_id: str) -> Plan:
    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise ResourceNotFoundException(msg=f"Failed reading Backup plan {plan_id}")
    return plan


def _vault(backend: BackupBackend, name: str):
    if name not in backend.vaults:
        raise ResourceNotFoundException(msg=f"Backup vault {name} does not exist")
    return backend.vaults[name]


# Plans and selections ----------------------------------------------------------------------------

def update_backup_plan(self: BackupResponse) -> str:
    plan = _live_plan(self.backup_backend, self.uri_match["backupPlanId"])
    document = _body(self)["BackupPlan"]
    rule_ids = {rule["RuleName"]: rule["RuleId"] for rule in plan.backup_plan["Rules"]}
    for rule in document["Rules"]:
        for name, default in RULE_DEFAULTS.items():
            rule.setdefault(name, default)
        rule["RuleId"] = rule_ids.get(rule["RuleName"]) or str(uuid.uuid4())

    plan.backup_plan = document
    plan.version_id = uuid.uuid4().hex
    return json.dumps(plan.to_dict())


def create_backup_selection(self: BackupResponse) -> str:
    plan_id = self.uri_match["backupPlanId"]
    _live_plan(self.backup_backend, plan_id)
    body = _body(self)
    selection = body.get("BackupSelection") or {}
    for required in ("SelectionName", "IamRoleArn"):
        if not selection.get(required):
            raise InvalidParameterValueException(msg=f"BackupSelection.{required} is required")

    selection_id = str(uuid.uuid4())
    created = _epoch(datetime.now(timezone.utc))
    store_of(self.backup_backend).selections.setdefault(plan_id, {})[selection_id] = {
        "SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": created,
        "CreatorRequestId": body.get("CreatorRequestId"), "BackupSelection": selection,
    }
    return json.dumps({"SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": created})


def _selection(self: BackupResponse) -> dict:
    plan_id, selection_id = self.uri_match["backupPlanId"], self.uri_match["selectionId"]
    selection = store_of(self.backup_backend).selections.get(plan_id, {}).get(selection_id)
    if selection is None:
        raise ResourceNotFoundException(msg=f"Backup selection {selection_id} of plan {plan_id} does not exist")
    return selection


def get_backup_selection(self: BackupResponse) -> str:
    return json.dumps({key: value for key, value in _selection(self).items() if value is not None})


def delete_backup_selection(self: BackupResponse) -> str:
    selection = _selection(self)
    del store_of(self.backup_backend).selections[selection["BackupPlanId"]][selection["SelectionId"]]
    return "{}"


def list_backup_selections(self: BackupResponse) -> str:
    plan_id = self.uri_match["backupPlanId"]
    _live_plan(self.backup_backend, plan_id)
    members = [
        {"SelectionId": item["SelectionId"], "SelectionName": item["BackupSelection"]["SelectionName"],
         "BackupPlanId": plan_id, "CreationDate": item["CreationDate"],
         "IamRoleArn": item["BackupSelection"]["IamRoleArn"], "CreatorRequestId": item["CreatorRequestId"]}
        for item in store_of(self.backup_backend).selections.get(plan_id, {}).values()
    ]
    return _page(members, "BackupSelectionsList", _query(self))


# Vault notifications and the default key ---------------------------------------------------------

def put_backup_vault_notifications(self: BackupResponse) -> str:
    vault = _vault(self.backup_backend, self.uri_match["backupVaultName"])
    body = _body(self)
    if not body.get("SNSTopicArn"):
        raise InvalidParameterValueException(msg="SNSTopicArn is required")
    if any(event not in SUPPORTED_VAULT_EVENTS for event in body.get("BackupVaultEvents", [])):
        raise InvalidParameterValueException(
            msg=f"Please select from the following list of notifications {', '.join(SUPPORTED_VAULT_EVENTS)}")

    store_of(self.backup_backend).notifications[vault.backup_vault_name] = {
        "BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn,
        "SNSTopicArn": body["SNSTopicArn"], "BackupVaultEvents": body["BackupVaultEvents"],
    }
    return "{}"


def get_backup_vault_notifications(self: BackupResponse) -> str:
    name = self.uri_match["backupVaultName"]
    _vault(self.backup_backend, name)
    configuration = store_of(self.backup_backend).notifications.get(name)
    if configuration is None:
        # AWS reports a vault without notifications with this error and message.
        raise ResourceNotFoundException(msg=f"Failed reading notifications from database for Backup vault {name}")
    return json.dumps(configuration)


def delete_backup_vault_notifications(self: BackupResponse) -> str:
    name = self.uri_match["backupVaultName"]
    _vault(self.backup_backend, name)
    store_of(self.backup_backend).notifications.pop(name, None)
    return "{}"


def aws_managed_backup_key_arn(account_id: str, region: str) -> str:
    """Return the ARN of the account's aws/backup key in a region, creating it as AWS-managed."""
    kms = kms_backends[account_id][region]
    key_id = next((key.id for key in kms.keys.values() if AWS_MANAGED_BACKUP_KEY in key.aliases), None)
    if key_id is None:
        key = kms.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT",
                             "Default key that protects my backups when no other key is defined", None)
        # AWS manages and rotates this key; moto would report it as a customer key that does not rotate.
        key.key_manager = "AWS"
        key.key_rotation_status = True
        kms.create_alias(key.id, AWS_MANAGED_BACKUP_KEY)
        key_id = key.id
    return kms.keys[key_id].arn


def _install_vault_defaults() -> None:
    create_vault = BackupBackend.create_backup_vault
    delete_vault = BackupBackend.delete_backup_vault

    def create_backup_vault(self, backup_vault_name, backup_vault_tags, encryption_key_arn, creator_request_id):
        # AWS encrypts a vault created without a key with the AWS-managed aws/backup key; moto stores none.
        key_arn = encryption_key_arn or aws_managed_backup_key_arn(self.account_id, self.region_name)
        return create_vault(self, backup_vault_name, backup_vault_tags, key_arn, creator_request_id)

    def delete_backup_vault(self, backup_vault_name):
        store_of(self).notifications.pop(backup_vault_name, None)
        return delete_vault(self, backup_vault_name)

    BackupBackend.create_backup_vault = create_backup_vault
    BackupBackend.delete_backup_vault = delete_backup_vault


# Recovery points and jobs ------------------------------------------------------------------------

def _points(backend: BackupBackend) -> list[dict]:
    return [point for points in store_of(backend).recovery_points.values() for point in points.values()]


def _created_within(item: dict, query: dict) -> bool:
    created = item["CreationDate"]
    after, before = query.get("createdAfter"), query.get("createdBefore")
    if after and created < datetime.fromisoformat(after[0]).timestamp():
        return False
    return not (before and created > datetime.fromisoformat(before[0]).timestamp())


def _matches(item: dict, query: dict, filters: dict[str, str]) -> bool:
    """Tell whether an item passes the By* filters of a list call (query name -> item field)."""
    for parameter, field_name in filters.items():
        if parameter in query and item.get(field_name) != query[parameter][0]:
            return False
    return _created_within(item, query)


def list_recovery_points_by_backup_vault(self: BackupResponse) -> str:
    name = self.uri_match["backupVaultName"]
    _vault(self.backup_backend, name)
    query = _query(self)
    filters = {"resourceArn": "ResourceArn", "resourceType": "ResourceType"}
    points = [point for point in store_of(self.backup_backend).recovery_points.get(name, {}).values()
              if _matches(point, query, filters)
              and ("backupPlanId" not in query or point["CreatedBy"].get("BackupPlanId") == query["backupPlanId"][0])]
    return _page(points, "RecoveryPoints", query)


def list_recovery_points_by_resource(self: BackupResponse) -> str:
    resource_arn = self.uri_match["resourceArn"]
    points = [
        {"RecoveryPointArn": point["RecoveryPointArn"], "CreationDate": point["CreationDate"],
         "Status": point["Status"], "EncryptionKeyArn": point["EncryptionKeyArn"],
         "BackupSizeBytes": point["BackupSizeInBytes"], "BackupVaultName": point["BackupVaultName"],
         "ResourceName": point["ResourceName"], "VaultType": point["VaultType"]}
        for point in _points(self.backup_backend) if point["ResourceArn"] == resource_arn
    ]
    return _page(points, "RecoveryPoints", _query(self))


def _point(self: BackupResponse) -> dict:
    name, arn = self.uri_match["backupVaultName"], self.uri_match["recoveryPointArn"]
    _vault(self.backup_backend, name)
    point = store_of(self.backup_backend).recovery_points.get(name, {}).get(arn)
    if point is None:
        raise ResourceNotFoundException(msg=f"Recovery point {arn} not found in backup vault {name}")
    return point


def describe_recovery_point(self: BackupResponse) -> str:
    return json.dumps(_point(self))


def get_recovery_point_restore_metadata(self: BackupResponse) -> str:
    point = _point(self)
    return json.dumps({
        "BackupVaultArn": point["BackupVaultArn"], "RecoveryPointArn": point["RecoveryPointArn"],
        "ResourceType": point["ResourceType"],
        "RestoreMetadata": store_of(self.backup_backend).restore_metadata.get(point["RecoveryPointArn"], {}),
    })


def list_backup_jobs(self: BackupResponse) -> str:
    query = _query(self)
    filters = {"resourceArn": "ResourceArn", "state": "State", "backupVaultName": "BackupVaultName",
               "resourceType": "ResourceType"}
    jobs = [job for job in store_of(self.backup_backend).backup_jobs if _matches(job, query, filters)]
    return _page(jobs, "BackupJobs", query)


def list_copy_jobs(self: BackupResponse) -> str:
    query = _query(self)
    filters = {"resourceArn": "ResourceArn", "state": "State", "destinationVaultArn": "DestinationBackupVaultArn",
               "resourceType": "ResourceType"}
    jobs = [job for job in store_of(self.backup_backend).copy_jobs if _matches(job, query, filters)]
    return _page(jobs, "CopyJobs", query)


def _recovery_point_arn(account_id: str, region: str, resource_type: str, job_id: str) -> str:
    # AWS Backup keeps RDS recovery points as RDS snapshots; most other types get a backup ARN.
    if resource_type == "RDS":
        return f"arn:aws:rds:{region}:{account_id}:snapshot:awsbackup:job-{job_id}"
    return f"arn:aws:backup:{region}:{account_id}:recovery-point:{job_id}"


def _add_point(backend: BackupBackend, vault_name: str, point: dict) -> None:
    vault = backend.vaults[vault_name]
    store_of(backend).recovery_points.setdefault(vault_name, {})[point["RecoveryPointArn"]] = point
    vault.num_of_recovery_points += 1


def _lifecycle_fields(lifecycle: dict | None, completed: datetime) -> dict:
    if not lifecycle or "DeleteAfterDays" not in lifecycle:
        return {}
    delete_at = completed + timedelta(days=lifecycle["DeleteAfterDays"])
    return {"Lifecycle": lifecycle, "CalculatedLifecycle": {"DeleteAt": _epoch(delete_at)}}


def record_backup(account_id: str, region: str, vault_name: str, resource_arn: str, resource_type: str, *,
                  completed: datetime, iam_role_arn: str, lifecycle: dict | None = None,
                  created_by: dict | None = None, size_bytes: int = 0,
                  restore_metadata: dict[str, str] | None = None) -> dict:
    """Record a completed backup job and its recovery point, as if AWS Backup had run it."""
    backend = backup_backends[account_id][region]
    vault = backend.vaults[vault_name]
    job_id = uuid.uuid4().hex.upper()
    started = completed - timedelta(minutes=20)
    resource_name = resource_arn.split(":")[-1]
    point = {
        "RecoveryPointArn": _recovery_point_arn(account_id, region, resource_type, job_id),
        "BackupVaultName": vault_name, "BackupVaultArn": vault.backup_vault_arn,
        "ResourceArn": resource_arn, "ResourceType": resource_type, "ResourceName": resource_name,
        "CreatedBy": created_by or {}, "IamRoleArn": iam_role_arn, "Status": "COMPLETED",
        "CreationDate": _epoch(started), "CompletionDate": _epoch(completed), "BackupSizeInBytes": size_bytes,
        "EncryptionKeyArn": vault.encryption_key_arn, "IsEncrypted": True, "StorageClass": "WARM",
        "VaultType": "BACKUP_VAULT", **_lifecycle_fields(lifecycle, completed),
    }
    _add_point(backend, vault_name, point)
    store_of(backend).restore_metadata[point["RecoveryPointArn"]] = dict(restore_metadata or {})
    store_of(backend).backup_jobs.append({
        "AccountId": account_id, "BackupJobId": job_id, "BackupVaultName": vault_name,
        "BackupVaultArn": vault.backup_vault_arn, "RecoveryPointArn": point["RecoveryPointArn"],
        "ResourceArn": resource_arn, "ResourceType": resource_type, "ResourceName": resource_name,
        "CreationDate": _epoch(started), "CompletionDate": _epoch(completed), "State": "COMPLETED",
        "PercentDone": "100.0", "BackupSizeInBytes": size_bytes, "IamRoleArn": iam_role_arn,
        "CreatedBy": created_by or {}, "BackupType": "", "IsEncrypted": True,
        "EncryptionKeyArn": vault.encryption_key_arn,
    })
    return point


def record_copy(account_id: str, region: str, source_vault_name: str, recovery_point_arn: str,
                destination_vault_arn: str, *, completed: datetime, iam_role_arn: str,
                lifecycle: dict | None = None) -> dict:
    """Record a completed copy job of a recovery point to another vault, and the copy it made."""
    source_backend = backup_backends[account_id][region]
    source = store_of(source_backend).recovery_points[source_vault_name][recovery_point_arn]
    destination_region, destination_name = destination_vault_arn.split(":")[3], destination_vault_arn.split(":")[-1]
    destination_backend = backup_backends[account_id][destination_region]
    destination_vault = destination_backend.vaults[destination_name]
    job_id = uuid.uuid4().hex.upper()
    started = completed - timedelta(minutes=15)

    copy = {
        **source, **_lifecycle_fields(lifecycle, completed),
        "RecoveryPointArn": _recovery_point_arn(account_id, destination_region, source["ResourceType"], job_id),
        "BackupVaultName": destination_name, "BackupVaultArn": destination_vault_arn,
        "SourceBackupVaultArn": source["BackupVaultArn"], "EncryptionKeyArn": destination_vault.encryption_key_arn,
        "CreationDate": _epoch(started), "CompletionDate": _epoch(completed), "IamRoleArn": iam_role_arn,
    }
    _add_point(destination_backend, destination_name, copy)
    store_of(destination_backend).restore_metadata[copy["RecoveryPointArn"]] = dict(
        store_of(source_backend).restore_metadata.get(recovery_point_arn, {}))
    store_of(source_backend).copy_jobs.append({
        "AccountId": account_id, "CopyJobId": job_id, "SourceBackupVaultArn": source["BackupVaultArn"],
        "SourceRecoveryPointArn": recovery_point_arn, "DestinationBackupVaultArn": destination_vault_arn,
        "DestinationRecoveryPointArn": copy["RecoveryPointArn"], "ResourceArn": source["ResourceArn"],
        "ResourceType": source["ResourceType"], "ResourceName": source["ResourceName"],
        "CreationDate": _epoch(started), "CompletionDate": _epoch(completed), "State": "COMPLETED",
        "BackupSizeInBytes": source["BackupSizeInBytes"], "IamRoleArn": iam_role_arn,
        "CreatedBy": source["CreatedBy"], "DestinationEncryptionKeyArn": destination_vault.encryption_key_arn,
    })
    return copy


OPERATIONS = (
    update_backup_plan, create_backup_selection, get_backup_selection, delete_backup_selection,
    list_backup_selections, put_backup_vault_notifications, get_backup_vault_notifications,
    delete_backup_vault_notifications, list_recovery_points_by_backup_vault, list_recovery_points_by_resource,
    describe_recovery_point, get_recovery_point_restore_metadata, list_backup_jobs, list_copy_jobs,
)


def install() -> None:
    """Add the routes and operations to moto's backup service; run before the server's first backup request."""
    for route in ROUTES:
        urls.url_paths.setdefault(route, BackupResponse.dispatch)
    for operation in OPERATIONS:
        setattr(BackupResponse, operation.__name__, operation)
    _install_vault_defaults()
