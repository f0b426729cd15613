"""The AWS target (twin or real account) and its boto3 clients, retries, call counter and read-only guard."""

from __future__ import annotations

import collections
import logging
import threading
from urllib.parse import urlsplit, urlunsplit
from dataclasses import dataclass, field

import boto3
import botocore.config
import botocore.exceptions

log = logging.getLogger(__name__)

# Operation name prefixes that only read. Anything else is a change and is rejected while
# the guard is on, before the request is signed or sent.
READ_PREFIXES = (
    "Describe", "List", "Get", "Head", "Lookup", "Search", "BatchGet", "Query", "Scan", "Select",
)

TWIN_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class ReadOnlyViolation(RuntimeError):
    """A dryrun test tried to call an AWS operation that changes something."""


def is_read_operation(operation_name: str) -> bool:
    """Tell whether an AWS operation name only reads."""
    return operation_name.startswith(READ_PREFIXES)


class CallLog:
    """Counts the AWS calls made through every client of a target, by service and operation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()

    def record(self, service: str, operation: str) -> None:
        with self._lock:
            self.counts[f"{service}:{operation}"] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Target:
    """An AWS endpoint and the settings every client made for it shares.

    ``endpoint_url`` is None for a real account, and the twin's loopback URL otherwise.
    """

    name: str
    region: str
    backup_region: str
    endpoint_url: str | None = None
    profile: str | None = None
    read_only: bool = True
    calls: CallLog = field(default_factory=CallLog)
    _session: boto3.Session | None = field(default=None, repr=False)
    _clients: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _account_id: str | None = field(default=None, repr=False)

    @property
    def is_real_account(self) -> bool:
        return self.endpoint_url is None

    @property
    def session(self) -> boto3.Session:
        if self._session is None:
            if self.is_real_account:
                self._session = boto3.Session(profile_name=self.profile, region_name=self.region)
            else:
                self._session = boto3.Session(region_name=self.region, **TWIN_CREDENTIALS)
        return self._session

    def client(self, service: str, region: str | None = None):
        """Return the session's client for a service and region, made once and then reused."""
        region = region or self.region
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._make_client(service, region)
            return self._clients[key]

    def _make_client(self, service: str, region: str):
        if self.is_real_account:
            config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 6})
        else:
            # botocore prefixes the host with the account id for S3 Control calls, which turns
            # the loopback URL into a DNS name that does not resolve.
            config = botocore.config.Config(
                retries={"mode": "standard", "max_attempts": 2},
                inject_host_prefix=False,
                connect_timeout=5,
                read_timeout=30,
            )
        client = self.session.client(
            service, region_name=region, endpoint_url=self.endpoint_url, config=config
        )
        client.meta.events.register("before-call", self._before_call)
        if service == "s3control":
            keep_endpoint_host(client, self.endpoint_url)
        return client

    def _before_call(self, model, **_kwargs) -> None:
        service = model.service_model.endpoint_prefix
        self.calls.record(service, model.name)
        if self.read_only and not is_read_operation(model.name):
            raise ReadOnlyViolation(
                f"{service}:{model.name} changes AWS resources and was blocked because only "
                "dryrun tests are running; disruptive steps belong in tests marked live"
            )

    def account_id(self) -> str:
        """Return the caller's account id, as STS reports it (asked once)."""
        if self._account_id is None:
            self._account_id = self.client("sts").get_caller_identity()["Account"]
        return self._account_id


def keep_endpoint_host(client, endpoint_url: str | None) -> None:
    """Stop botocore from putting the account id in front of a custom S3 Control endpoint's host.

    botocore's S3 Control endpoint rules turn http://127.0.0.1:PORT into http://ACCOUNT.127.0.0.1:PORT
    even with inject_host_prefix=False, and that name does not resolve. AWS endpoints are left alone.
    """
    if not endpoint_url:
        return
    endpoint_host = urlsplit(endpoint_url).netloc

    def strip_account_label(request, **_kwargs) -> None:
        parts = urlsplit(request.url)
        label, _, rest = parts.netloc.partition(".")
        if rest == endpoint_host and label.isdigit():
            request.url = urlunsplit(parts._replace(netloc=rest))

    client.meta.events.register("before-sign.s3-control", strip_account_label,
                                unique_id=f"keep-endpoint-host:{endpoint_host}")



def check_credentials(target: Target) -> str | None:
    """Return a message saying what to do when the target has no usable credentials, else None."""
    if not target.is_real_account:
        return None

    try:
        session = target.session
    except botocore.exceptions.ProfileNotFound:
        return (
            f"AWS profile {target.profile!r} was not found in the AWS config files; "
            "pass an existing --aws-profile or drop the option to use the default chain"
        )

    if session.get_credentials() is None:
        return (
            "--target aws needs AWS credentials and none were found in the standard chain "
            "(environment, shared config and credentials files, SSO, instance role); "
            "run 'aws configure' or 'aws sso login', or pass --aws-profile"
        )
    return None
