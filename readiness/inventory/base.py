"""Shared collector machinery: paginated reads, read-once caching, and the unreadable value."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import botocore.exceptions

from readiness.errors import Unverifiable
from readiness.target import ReadOnlyViolation

log = logging.getLogger(__name__)

ACCESS_DENIED_CODES = {
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
    "AuthorizationError", "AuthorizationErrorException", "UnrecognizedClientException",
    "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
}
THROTTLING_CODES = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "SlowDown", "RequestThrottled",
}
DISABLED_REGION_CODES = {"OptInRequired", "InvalidSignatureException", "UnrecognizedClient"}

# IAM action prefixes that differ from the API's endpoint prefix.
IAM_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag", "elasticfilesystem": "elasticfilesystem"}


@dataclass(frozen=True)
class Unreadable:
    """A dataset the suite tried to read and could not; never the same thing as empty."""

    dataset: str
    action: str
    kind: str
    detail: str

    def describe(self) -> str:
        if self.kind == "access denied":
            return f"{self.dataset}: access denied to {self.action} ({self.detail}); grant {self.action} to the runner"
        return f"{self.dataset}: {self.kind} on {self.action} ({self.detail})"


def classify_error(error: Exception, dataset: str, service: str) -> Unreadable:
    """Turn a botocore error into an Unreadable naming the IAM action and the cause."""
    prefix = IAM_PREFIX.get(service, service)

    if isinstance(error, botocore.exceptions.ClientError):
        code = error.response.get("Error", {}).get("Code", "Unknown")
        message = error.response.get("Error", {}).get("Message", "")
        action = f"{prefix}:{error.operation_name}"
        if code in ACCESS_DENIED_CODES:
            kind = "access denied"
        elif code in THROTTLING_CODES:
            kind = "throttled past retries"
        elif code in DISABLED_REGION_CODES:
            kind = "region disabled or not opted in"
        else:
            kind = "API error"
        return Unreadable(dataset, action, kind, f"{code}: {message}".strip(": "))

    if isinstance(error, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectTimeoutError):
        return Unreadable(dataset, prefix, "endpoint unreachable", str(error))

    return Unreadable(dataset, prefix, "API error", f"{type(error).__name__}: {error}")


def dataset(func: Callable) -> property:
    """Make a collector method a property read once per session; failures raise Unverifiable."""
    name = func.__name__

    def getter(self: Collector):
        return self.read(name, lambda: func(self))

    getter.__doc__ = func.__doc__
    return property(getter)


class Collector:
    """Reads one AWS service for the session and hands checks plain data.

    Subclasses set ``service`` (the boto3 name) and define datasets with ``@dataset``.
    """

    service: str = ""

    def __init__(self, target, outputs) -> None:
        self.target = target
        self.outputs = outputs
        self._cache: dict[str, object] = {}

    def client(self, region: str | None = None):
        return self.target.client(self.service, region)

    def read(self, key: str, load: Callable[[], object]):
        """Return a cached value, loading it once; raise Unverifiable if it could not be read."""
        if key not in self._cache:
            self._cache[key] = self._load(key, load)

        value = self._cache[key]
        if isinstance(value, Unreadable):
            raise Unverifiable(value.describe())
        return value

    def _load(self, key: str, load: Callable[[], object]):
        label = f"{self.service}.{key}"
        try:
            return load()
        except (Unverifiable, ReadOnlyViolation, KeyError, TypeError, AttributeError):
            # Programming errors and missing outputs are not AWS read failures.
            raise
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            unreadable = classify_error(error, label, self.service)
            log.warning("could not read %s: %s", label, unreadable.describe())
            return unreadable

    def unreadable(self) -> list[Unreadable]:
        return [value for value in self._cache.values() if isinstance(value, Unreadable)]

    def paginate(self, operation: str, result_key: str, region: str | None = None, **params) -> list:
        """Call an operation through every page and return the concatenated list."""
        client = self.client(region)
        if not client.can_paginate(operation):
            return list(getattr(client, operation)(**params).get(result_key, []))

        items: list = []
        for page in client.get_paginator(operation).paginate(**params):
            items.extend(page.get(result_key, []))
        return items

    def call(self, operation: str, region: str | None = None, **params) -> dict:
        """Call one operation once and return its response without metadata."""
        response = getattr(self.client(region), operation)(**params)
        response.pop("ResponseMetadata", None)
        return response


def batched(items: list, size: int) -> list[list]:
    """Split a list into chunks an API accepts in one call (describe_services takes 10)."""
    return [items[start:start + size] for start in range(0, len(items), size)]
