"""S3 buckets of the account and their protection: public access blocks, policies, encryption, versioning, replication."""

from __future__ import annotations

import json

import botocore.exceptions

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset


def _absent_on(code: str, call):
    """Call an S3 read and return None when S3 reports that the configuration does not exist."""
    try:
        return call()
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == code:
            return None
        raise


@collector("s3")
class S3(Collector):
    service = "s3"

    @dataset
    def buckets(self) -> list[dict]:
        """Every bucket of the account, in every region."""
        return self.paginate("list_buckets", "Buckets")

    @dataset
    def account_public_access_block(self) -> dict | None:
        """The account-level public access block, or None when none is set."""
        client = self.target.client("s3control")
        # NOTE: needed for any custom endpoint (the twin included); on AWS endpoints it does nothing.
        response = _absent_on("NoSuchPublicAccessBlockConfiguration",
                              lambda: client.get_public_access_block(AccountId=self.target.account_id()))
        return response["PublicAccessBlockConfiguration"] if response else None

    def region_of(self, bucket: str) -> str:
        """Return the bucket's region; S3 reports us-east-1 as no constraint and eu-west-1 as "EU"."""
        def load() -> str:
            constraint = self.client().get_bucket_location(Bucket=bucket).get("LocationConstraint")
            return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint)

        return self.read(f"location:{bucket}", load)

    def _bucket_read(self, key: str, bucket: str, operation: str, absent_code: str | None):
        def load():
            call = lambda: getattr(self.client(self.region_of(bucket)), operation)(Bucket=bucket)  # noqa: E731
            return _absent_on(absent_code, call) if absent_code else call()

        return self.read(f"{key}:{bucket}", load)

    def public_access_block(self, bucket: str) -> dict | None:
        """Return the bucket-level public access block, or None when none is set."""
        response = self._bucket_read("public_access_block", bucket, "get_public_access_block",
                                     "NoSuchPublicAccessBlockConfiguration")
        return response["PublicAccessBlockConfiguration"] if response else None

    def policy(self, bucket: str) -> dict | None:
        """Return the bucket policy as a parsed document, or None when the bucket has none."""
        response = self._bucket_read("policy", bucket, "get_bucket_policy", "NoSuchBucketPolicy")
        return json.loads(response["Policy"]) if response else None

    def encryption_rules(self, bucket: str) -> list[dict]:
        """Return the default encryption rules, or an empty list when S3 reports no configuration."""
        response = self._bucket_read("encryption", bucket, "get_bucket_encryption",
                                     "ServerSideEncryptionConfigurationNotFoundError")
        return response["ServerSideEncryptionConfiguration"]["Rules"] if response else []

    def versioning(self, bucket: str) -> str:
        """Return the versioning status: "Enabled", "Suspended", or "" for a bucket never versioned."""
        return self._bucket_read("versioning", bucket, "get_bucket_versioning", None).get("Status", "")

    def replication(self, bucket: str) -> dict | None:
        """Return the replication configuration, or None when the bucket does not replicate."""
        response = self._bucket_read("replication", bucket, "get_bucket_replication",
                                     "ReplicationConfigurationNotFoundError")
        return response["ReplicationConfiguration"] if response else None

    def tags(self, bucket: str) -> dict[str, str]:
        """Return the bucket's tags by key; S3 reports a bucket without tags as an error, read here as none."""
        response = self._bucket_read("tags", bucket, "get_bucket_tagging", "NoSuchTagSet")
        return {tag["Key"]: tag["Value"] for tag in (response or {}).get("TagSet", [])}
