"""AWS Backup's job layer moto 5.2.5 lacks: recovery points, backup and copy jobs, restore jobs creating RDS instances."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import datetime, timedelta, timezone

from moto.backup import urls
from moto.backup.exceptions import InvalidParameterValueException, InvalidRequestException, ResourceNotFoundException
from moto.backup.models import BackupBackend, backup_backends
from moto.backup.responses import BackupResponse
from moto.core.exceptions import ServiceException
from moto.iam.models import iam_backends
from moto.rds.models import rds_backends

from readiness.twin.context import BEHAVIOUR
from readiness.twin.ext.backup import _body, _epoch, _page, _query, _vault, store_of

log = logging.getLogger(__name__)

# Paths moto's backup URL map lacks, dispatched like those in ext/backup.py. StartRestoreJob is
# PUT /restore-jobs and ListRestoreJobs GET /restore-jobs/, so that path takes both forms.
ROUTES = (
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$",
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<arn>.+)$",
    "{0}/resources/(?P<arn>.+)/recovery-points/$",
    "{0}/backup-jobs/$",
    "{0}/copy-jobs/$",
    "{0}/restore-jobs/?$",
    "{0}/restore-jobs/(?P<job>[^/]+)$",
    "{0}/restore-jobs/(?P<job>[^/]+)/validations$",
)

# BEHAVIOUR.settings["backup_jobs"]: how long a restore job runs before the restored instance is available.
SETTINGS_KEY = "backup_jobs"
DEFAULTS = {"restore_seconds": 0.5}
VALIDATION_STATUSES = ("FAILED", "SUCCESSFUL", "TIMED_OUT", "VALIDATING")


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
               "resourceType": "ResourceType", "sourceRecoveryPointArn": "SourceRecoveryPointArn"}
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


def delete_recovery_point(self: BackupResponse) -> str:
    point = _point(self)
    store = store_of(self.backup_backend)
    del store.recovery_points[point["BackupVaultName"]][point["RecoveryPointArn"]]
    store.restore_metadata.pop(point["RecoveryPointArn"], None)
    self.backup_backend.vaults[point["BackupVaultName"]].num_of_recovery_points -= 1
    return "{}"


# Restore jobs ------------------------------------------------------------------------------------

def _flag(value: str) -> bool:
    return str(value).lower() == "true"


# Restore metadata keys of an RDS recovery point and the CreateDBInstance arguments they set.
RDS_METADATA = {
    "DBInstanceClass": ("db_instance_class", str),
    "Engine": ("engine", str),
    "Port": ("port", int),
    "MultiAZ": ("multi_az", _flag),
    "DBSubnetGroupName": ("db_subnet_group_name", str),
    "VpcSecurityGroupIds": ("vpc_security_group_ids", json.loads),
    "StorageType": ("storage_type", str),
    "PubliclyAccessible": ("publicly_accessible", _flag),
    "KmsKeyId": ("kms_key_id", str),
    "DeletionProtection": ("deletion_protection", _flag),
    "CopyTagsToSnapshot": ("copy_tags_to_snapshot", _flag),
    "AvailabilityZone": ("availability_zone", str),
}


def _instance_arguments(account_id: str, region: str, point: dict, metadata: dict[str, str]) -> dict:
    """Return CreateDBInstance arguments: the backed-up instance's settings, then the restore metadata."""
    arguments = {"engine": "postgres", "db_instance_class": "db.t3.micro"}
    source = rds_backends[account_id][region].databases.get(point["ResourceArn"].split(":")[-1])
    if source is not None:
        arguments.update(
            engine=source.engine, engine_version=source.engine_version, db_instance_class=source.db_instance_class,
            allocated_storage=source.allocated_storage, storage_type=source.storage_type, db_name=source.db_name,
            master_username=source.master_username, storage_encrypted=source.storage_encrypted,
            kms_key_id=source.kms_key_id,
        )
    for key, (argument, convert) in RDS_METADATA.items():
        if key in metadata:
            arguments[argument] = convert(metadata[key])
    # A restored snapshot keeps its encryption, so a key in the metadata means encrypted storage.
    if arguments.get("kms_key_id"):
        arguments["storage_encrypted"] = True
    arguments["db_instance_identifier"] = metadata["DBInstanceIdentifier"]
    return arguments


def _role_problem(account_id: str, role_arn: str) -> str | None:
    """Say why AWS Backup could not assume the role, or return None when it trusts backup.amazonaws.com."""
    iam = iam_backends[account_id]["aws"]
    role = next((role for role in iam.roles.values() if role.arn == role_arn), None)
    if role is None:
        return f"IAM role {role_arn} does not exist"
    trust = json.loads(role.assume_role_policy_document)
    for statement in trust.get("Statement", []):
        services = (statement.get("Principal") or {}).get("Service", [])
        services = [services] if isinstance(services, str) else services
        if statement.get("Effect") == "Allow" and "backup.amazonaws.com" in services:
            return None
    return f"IAM role {role_arn} does not trust backup.amazonaws.com"


def _finish(job: dict, status: str, message: str | None = None) -> None:
    job.update(Status=status, StatusMessage=message, CompletionDate=_epoch(datetime.now(timezone.utc)))
    if status == "COMPLETED":
        job["PercentDone"] = "100.00%"


def _complete_restore(account_id: str, region: str, job: dict, instance) -> None:
    """Make the restored instance available and the job COMPLETED, unless the instance was deleted meanwhile."""
    if job["Status"] != "RUNNING":
        return
    if rds_backends[account_id][region].databases.get(instance.db_instance_identifier) is not instance:
        _finish(job, "FAILED", f"DB instance {instance.db_instance_identifier} was deleted before the restore completed")
        return
    instance.status = "available"
    _finish(job, "COMPLETED")
    log.debug("twin restore job %s completed: %s", job["RestoreJobId"], instance.db_instance_identifier)


def start_restore_job(self: BackupResponse) -> str:
    backend = self.backup_backend
    body = _body(self)
    for required in ("RecoveryPointArn", "IamRoleArn"):
        if not body.get(required):
            raise InvalidParameterValueException(msg=f"{required} is required")
    point = next((item for item in _points(backend) if item["RecoveryPointArn"] == body["RecoveryPointArn"]), None)
    if point is None:
        raise ResourceNotFoundException(msg=f"Recovery point {body['RecoveryPointArn']} not found")
    metadata = body.get("Metadata") or {}
    resource_type = body.get("ResourceType") or point["ResourceType"]
    if resource_type != "RDS":
        # NOTE: the twin restores RDS recovery points only; it rejects other types instead of faking them.
        raise InvalidParameterValueException(msg=f"the twin restores RDS recovery points only, not {resource_type}")
    if not metadata.get("DBInstanceIdentifier"):
        raise InvalidParameterValueException(
            msg="Metadata DBInstanceIdentifier is required to restore an RDS recovery point")

    # Every key is present from the start, so readers in other threads never see the dict grow.
    job = {
        "AccountId": backend.account_id, "RestoreJobId": uuid.uuid4().hex.upper(),
        "RecoveryPointArn": point["RecoveryPointArn"], "SourceResourceArn": point["ResourceArn"],
        "BackupVaultArn": point["BackupVaultArn"], "CreationDate": _epoch(datetime.now(timezone.utc)),
        "CompletionDate": None, "Status": "RUNNING", "StatusMessage": None, "PercentDone": "0.00%",
        "BackupSizeInBytes": point["BackupSizeInBytes"], "IamRoleArn": body["IamRoleArn"],
        "ExpectedCompletionTimeMinutes": 1, "CreatedResourceArn": None, "ResourceType": resource_type,
        "RecoveryPointCreationDate": point["CreationDate"], "CreatedBy": {},
        "ValidationStatus": None, "ValidationStatusMessage": None,
    }
    store = store_of(backend)
    store.restore_jobs.append(job)
    store.restore_job_metadata[job["RestoreJobId"]] = dict(metadata)

    problem = _role_problem(backend.account_id, body["IamRoleArn"])
    if problem:
        _finish(job, "FAILED", problem)
        return json.dumps({"RestoreJobId": job["RestoreJobId"]})
    try:
        instance = rds_backends[backend.account_id][backend.region_name].create_db_instance(
            _instance_arguments(backend.account_id, backend.region_name, point, metadata))
    except ServiceException as error:
        _finish(job, "FAILED", f"{error.code}: {error.message}")
        return json.dumps({"RestoreJobId": job["RestoreJobId"]})

    # AWS creates the instance at once and reports it "creating" until the restore finishes.
    instance.status = "creating"
    job["CreatedResourceArn"] = instance.db_instance_arn
    delay = BEHAVIOUR.settings.get(SETTINGS_KEY, {}).get("restore_seconds", DEFAULTS["restore_seconds"])
    timer = threading.Timer(delay, _complete_restore,
                            args=(backend.account_id, backend.region_name, job, instance))
    timer.daemon = True
    timer.start()
    return json.dumps({"RestoreJobId": job["RestoreJobId"]})


def _restore_job(self: BackupResponse) -> dict:
    job_id = self.uri_match["restoreJobId"]
    job = next((job for job in store_of(self.backup_backend).restore_jobs if job["RestoreJobId"] == job_id), None)
    if job is None:
        raise ResourceNotFoundException(msg=f"Restore job {job_id} not found")
    return job


def _present(job: dict) -> dict:
    return {key: value for key, value in job.items() if value is not None}


def describe_restore_job(self: BackupResponse) -> str:
    return json.dumps(_present(_restore_job(self)))


def list_restore_jobs(self: BackupResponse) -> str:
    query = _query(self)
    filters = {"status": "Status", "resourceType": "ResourceType", "accountId": "AccountId"}
    jobs = [_present(job) for job in store_of(self.backup_backend).restore_jobs if _matches(job, query, filters)]
    return _page(jobs, "RestoreJobs", query)


def put_restore_validation_result(self: BackupResponse) -> str:
    job = _restore_job(self)
    body = _body(self)
    if body.get("ValidationStatus") not in VALIDATION_STATUSES:
        raise InvalidParameterValueException(
            msg=f"ValidationStatus {body.get('ValidationStatus')!r} must be one of {', '.join(VALIDATION_STATUSES)}")
    if job["Status"] != "COMPLETED":
        raise InvalidRequestException(msg=f"Restore job {job['RestoreJobId']} is {job['Status']}; "
                                          "a validation result needs a COMPLETED job")
    job.update(ValidationStatus=body["ValidationStatus"], ValidationStatusMessage=body.get("ValidationStatusMessage"))
    return ""


OPERATIONS = (
    list_recovery_points_by_backup_vault, list_recovery_points_by_resource, describe_recovery_point,
    get_recovery_point_restore_metadata, delete_recovery_point, list_backup_jobs, list_copy_jobs,
    start_restore_job, describe_restore_job, list_restore_jobs, put_restore_validation_result,
)


def install() -> None:
    """Add the job layer's routes and operations to moto's backup service."""
    for route in ROUTES:
        urls.url_paths.setdefault(route, BackupResponse.dispatch)
    for operation in OPERATIONS:
        setattr(BackupResponse, operation.__name__, operation)
