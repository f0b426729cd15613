"""RDS in the primary region: DB instances, Aurora clusters, and DB subnet groups."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset


@collector("rds")
class Rds(Collector):
    service = "rds"

    @dataset
    def instances(self) -> list[dict]:
        return self.paginate("describe_db_instances", "DBInstances")

    @dataset
    def clusters(self) -> list[dict]:
        return self.paginate("describe_db_clusters", "DBClusters")

    def database(self) -> dict | None:
        """Return the instance named by the db_instance_identifier output, or None if it does not exist."""
        # RDS stores identifiers in lower case and matches them case-insensitively.
        identifier = self.outputs.require("db_instance_identifier").lower()
        return next((item for item in self.instances if item["DBInstanceIdentifier"].lower() == identifier), None)

    def database_cluster(self) -> dict | None:
        """Return the Aurora cluster of the database: the named instance's cluster, or a cluster with that name."""
        instance = self.database()
        if instance is not None:
            return self.cluster_of(instance)
        identifier = self.outputs.require("db_instance_identifier").lower()
        return next((cluster for cluster in self.clusters if cluster["DBClusterIdentifier"].lower() == identifier), None)

    def cluster_of(self, instance: dict) -> dict | None:
        """Return the Aurora cluster an instance belongs to, or None for a standalone instance."""
        cluster_id = instance.get("DBClusterIdentifier")
        if not cluster_id:
            return None
        return next((cluster for cluster in self.clusters if cluster["DBClusterIdentifier"] == cluster_id), None)

    def members_of(self, cluster: dict) -> list[dict]:
        """Return the DB instances of a cluster, as DescribeDBInstances reports them."""
        member_ids = {member["DBInstanceIdentifier"] for member in cluster.get("DBClusterMembers", [])}
        return [item for item in self.instances if item["DBInstanceIdentifier"] in member_ids]
