"""S3 replication moto 5.2.5 only stores: new object versions are copied to each rule's destination after a lag.

The source version reports ReplicationStatus PENDING, then COMPLETED or FAILED; the copy reports REPLICA.
Settings read from BEHAVIOUR.settings["s3_replication"] on every write: lag_seconds, the time a copy takes.
Object requests to the replicated buckets also need their TLS-only bucket policies read as S3 reads them.
"""

from __future__ import annotations

import json
import logging
import threading

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket, FakeKey, S3Backend

from readiness.twin.context import BEHAVIOUR
from readiness.twin.ext.s3 import _as_list, _rule

log = logging.getLogger(__name__)

SETTINGS_KEY = "s3_replication"
DEFAULTS = {"lag_seconds": 0.3}
# moto's put_object, kept by install(): replicas are written with it, so a replica is never replicated again.
_ORIGINAL_PUT = {}
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def setting(name: str) -> float:
    return float(BEHAVIOUR.settings.get(SETTINGS_KEY, {}).get(name, DEFAULTS[name]))


def _in_scope(rule: dict, key_name: str) -> bool:
    # NOTE: the twin matches rules by prefix only; a rule filtered by tags never matches, because
    # moto stores an object's tags after put_object returns.
    if "Filter" in rule:
        scope = rule["Filter"].get("And", rule["Filter"])
        if scope.get("Tag") or scope.get("Tags"):
            return False
        return key_name.startswith(scope.get("Prefix", ""))
    return key_name.startswith(rule.get("Prefix", ""))


def _rules_for(replication: dict | None, key: FakeKey) -> list[dict]:
    """Return the enabled rules that replicate a new version: the highest priority one per destination."""
    if not replication:
        return []
    by_destination: dict[str, dict] = {}
    for rule in (_rule(stored) for stored in _as_list(replication.get("Rule"))):
        if rule["Status"] != "Enabled" or not _in_scope(rule, key.name):
            continue
        kms_selected = (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects", {}).get("Status")
        if key.encryption in KMS_ALGORITHMS and kms_selected != "Enabled":
            # S3 leaves SSE-KMS objects out unless the rule opts them in.
            continue
        destination = rule["Destination"]["Bucket"]
        if destination not in by_destination or rule["Priority"] > by_destination[destination]["Priority"]:
            by_destination[destination] = rule
    return list(by_destination.values())


def _failure(backend: S3Backend, rule: dict, destination_name: str) -> str | None:
    """Say why S3 could not copy to the rule's destination, or return None."""
    destination = backend.buckets.get(destination_name)
    if destination is None:
        return f"destination bucket {destination_name} does not exist"
    if not destination.is_versioned:
        return f"destination bucket {destination_name} is not versioned"
    replica_key = ((rule["Destination"].get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID") or "")
    if replica_key.startswith("arn:") and replica_key.split(":")[3] != destination.region_name:
        # KMS keys are regional: a key of another region cannot encrypt the replica.
        return f"replica key {replica_key} is not in {destination.region_name}"
    return None


def _copy(backend: S3Backend, source: FakeKey, value: bytes, rule: dict) -> None:
    """Copy one version to the rule's destination, as S3 replication does after its lag."""
    destination_name = rule["Destination"]["Bucket"].split(":::")[-1]
    problem = _failure(backend, rule, destination_name)
    if problem:
        source.__dict__["_twin_replication_status"] = "FAILED"
        log.debug("twin replication of %s failed: %s", source.name, problem)
        return

    replica_key = (rule["Destination"].get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")
    replica = _ORIGINAL_PUT["put_object"](
        backend, destination_name, source.name, value, storage=rule["Destination"].get("StorageClass"),
        encryption="aws:kms" if replica_key else source.encryption, kms_key_id=replica_key or source.kms_key_id,
        disable_notification=True,
    )
    replica.set_metadata(dict(source.metadata))
    # S3 keeps the source's version id on the replica.
    replica._version_id = source.version_id
    replica.__dict__["_twin_replication_status"] = "REPLICA"
    source.__dict__["_twin_replication_status"] = "COMPLETED"


def _replicate_later(backend: S3Backend, source: FakeKey, value: bytes, rules: list[dict]) -> None:
    source.__dict__["_twin_replication_status"] = "PENDING"
    source_bucket = backend.buckets.get(source.bucket_name)

    def copy_all() -> None:
        if backend.buckets.get(source.bucket_name) is not source_bucket:
            # The twin was reset and reseeded meanwhile: the copy would land in the new stack's replica.
            return
        for rule in rules:
            try:
                _copy(backend, source, value, rule)
            except Exception as error:  # noqa: BLE001 - a reset twin or a deleted bucket must not kill the timer thread
                source.__dict__["_twin_replication_status"] = "FAILED"
                log.debug("twin replication of %s stopped: %s", source.name, error)

    timer = threading.Timer(setting("lag_seconds"), copy_all)
    timer.daemon = True
    timer.start()


def _holds_over_tls(statement: dict) -> bool:
    """Tell whether a statement's aws:SecureTransport conditions hold for a request made over TLS."""
    for operator, block in (statement.get("Condition") or {}).items():
        if operator.lower() not in ("bool", "boolifexists"):
            continue
        for key, expected in block.items():
            values = expected if isinstance(expected, list) else [expected]
            if key.lower() == "aws:securetransport" and "true" not in [str(value).lower() for value in values]:
                return False
    return True


def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    # moto ignores the Bool operator, so a statement denying plain HTTP denies every object request.
    # The twin serves plain HTTP on loopback in place of S3's HTTPS endpoint, so a request counts as
    # made over TLS and such a statement does not apply. moto evaluates the other statements.
    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy.decode())
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    applying = [statement for statement in statements if _holds_over_tls(statement)]
    if not applying:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**document, "Statement": applying})).is_action_permitted(action, resource)


def install() -> None:
    """Replicate new versions after the lag, report x-amz-replication-status, and read TLS-only bucket policies."""
    original_put = _ORIGINAL_PUT.setdefault("put_object", S3Backend.put_object)
    original_headers = FakeKey.response_dict.fget

    def put_object(self: S3Backend, bucket_name: str, key_name: str, value: bytes, *args, **kwargs) -> FakeKey:
        key = original_put(self, bucket_name, key_name, value, *args, **kwargs)
        rules = _rules_for(getattr(self.get_bucket(bucket_name), "replication", None), key)
        if rules:
            _replicate_later(self, key, bytes(value), rules)
        return key

    def response_dict(self: FakeKey) -> dict:
        headers = original_headers(self)
        status = self.__dict__.get("_twin_replication_status")
        if status:
            headers["x-amz-replication-status"] = status
        return headers

    S3Backend.put_object = put_object
    FakeKey.response_dict = property(response_dict)
    FakeBucket.get_permission = get_permission

