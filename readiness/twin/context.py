"""Shared state of seeding stages and drift profiles: clients on the twin, outputs, twin behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field

import boto3
import botocore.config

from readiness.target import TWIN_CREDENTIALS, keep_endpoint_host


@dataclass
class Behaviour:
    """Twin behaviour that moto does not model, set by the stack and changed by drift profiles.

    Extensions in readiness/twin/ext read it on every request, so a change takes effect at once.
    """

    # IAM actions ("ec2:DescribeSubnets") that the twin rejects with AccessDenied.
    denied_actions: set[str] = field(default_factory=set)
    # IAM actions that the twin rejects with a throttling error.
    throttled_actions: set[str] = field(default_factory=set)
    # Free-form settings owned by individual extensions, keyed by extension name.
    settings: dict[str, dict] = field(default_factory=dict)

    def reset(self) -> None:
        self.denied_actions.clear()
        self.throttled_actions.clear()
        self.settings.clear()


# One per process: moto's backends are process-wide, so the behaviour that extends them is too.
BEHAVIOUR = Behaviour()


@dataclass
class TwinContext:
    """Handed to every seeding stage and drift profile."""

    endpoint_url: str
    region: str
    backup_region: str
    account_id: str
    outputs: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)
    behaviour: Behaviour = field(default_factory=lambda: BEHAVIOUR)
    _clients: dict = field(default_factory=dict, repr=False)
    # One session for every client: a boto3 Session costs about 0.15 s to build.
    _session: boto3.session.Session = field(default_factory=lambda: boto3.session.Session(**TWIN_CREDENTIALS), repr=False)

    def client(self, service: str, region: str | None = None):
        """Return an unguarded, uncounted client for seeding and drift (never used by checks)."""
        region = region or self.region
        key = (service, region)
        if key not in self._clients:
            client = self._session.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=botocore.config.Config(inject_host_prefix=False, retries={"max_attempts": 1}),
            )
            if service == "s3control":
                keep_endpoint_host(client, self.endpoint_url)
            self._clients[key] = client
        return self._clients[key]

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        return f"arn:aws:{service}:{region if region is not None else self.region}:{self.account_id}:{resource}"
