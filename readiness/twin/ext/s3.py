"""S3 replication settings moto 5.2.5 accepts and then loses: rule filters and source selection criteria."""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.s3.exceptions import ReplicationConfigurationNotFoundError
from moto.s3.responses import S3Response

# Rule elements returned as they were put; moto keeps them from the request body as parsed XML.
KEPT_AS_PUT = ("DeleteMarkerReplication", "SourceSelectionCriteria", "ExistingObjectReplication", "Destination")


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _filter(stored: dict | None) -> dict:
    """Turn a parsed <Filter> element back into the API's Filter shape."""
    if not stored:
        return {}
    if "And" in stored:
        operator = stored["And"] or {}
        result = {"Tags": _as_list(operator.get("Tag"))}
        if "Prefix" in operator:
            result["Prefix"] = operator["Prefix"] or ""
        return {"And": result}
    if "Tag" in stored:
        return {"Tag": stored["Tag"]}
    return {"Prefix": stored.get("Prefix") or ""}


def _rule(stored: dict) -> dict:
    rule = {"ID": stored["ID"], "Priority": int(stored.get("Priority") or 1), "Status": stored["Status"]}
    if "Filter" in stored:
        rule["Filter"] = _filter(stored["Filter"])
    elif "Prefix" in stored:
        # A rule in the first schema version scopes by a top-level Prefix instead of a Filter.
        rule["Prefix"] = stored["Prefix"] or ""
    for element in KEPT_AS_PUT:
        if stored.get(element) is not None:
            rule[element] = stored[element]
    return rule


def get_bucket_replication(self: S3Response):
    # moto's own version returns every rule with Filter {"Prefix": ""} and drops the rest, which
    # hides a prefix-filtered rule and the SSE-KMS source selection.
    self.data["Action"] = "GetBucketReplication"
    replication = self.backend.get_bucket_replication(self.bucket_name)
    if not replication:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)

    rules = [_rule(stored) for stored in _as_list(replication["Rule"])]
    return self.serialized(ActionResult({"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}}))


def install() -> None:
    """Make GetBucketReplication return each rule as it was put."""
    S3Response.get_bucket_replication = get_bucket_replication
