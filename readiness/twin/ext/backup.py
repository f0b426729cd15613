"""AWS Backup operations moto 5.2.5 lacks: selections, vault notifications, plan updates; the job state they share."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs

from moto.backup import urls
from moto.backup.exceptions import InvalidParameterValueException, ResourceNotFoundException
from moto.backup.models import BackupBackend, Plan
from moto.backup.responses import BackupResponse
from moto.kms.models import kms_backends

# The key AWS Backup uses for a vault created without EncryptionKeyArn.
AWS_MANAGED_BACKUP_KEY = "alias/aws/backup"

# Paths moto's backup URL map lacks; every one goes to the same dispatcher, which picks the
# operation from botocore's model of the method and URI. A trailing slash in a path makes Flask
# accept the path with and without it.
ROUTES = (
    "{0}/backup-vaults/(?P<name>[^/]+)/notification-configuration$",
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
    restore_jobs: list[dict] = field(default_factory=list)
    restore_job_metadata: dict[str, dict[str, str]] = field(default_factory=dict)  # restore job id -> metadata


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


OPERATIONS = (
    update_backup_plan, create_backup_selection, get_backup_selection, delete_backup_selection,
    list_backup_selections, put_backup_vault_notifications, get_backup_vault_notifications,
    delete_backup_vault_notifications,
)


def install() -> None:
    """Add the routes and operations to moto's backup service; run before the server's first backup request."""
    for route in ROUTES:
        urls.url_paths.setdefault(route, BackupResponse.dispatch)
    for operation in OPERATIONS:
        setattr(BackupResponse, operation.__name__, operation)
    _install_vault_defaults()
