"""RDS Multi-AZ behaviour moto 5.2.5 lacks: forced failover, the standby's AZ, and a lagging LatestRestorableTime.

Settings read from BEHAVIOUR.settings["rds_failover"] on every request, for drills and drift profiles:
- reboot_seconds: how long a rebooted instance reports "rebooting" before it is available again;
- failover_changes_az: whether a forced failover moves the instance to its standby's AZ;
- restorable_lag_seconds: how far LatestRestorableTime trails the current time.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.rds.exceptions import InvalidDBInstanceStateFault, InvalidParameterCombination
from moto.rds.models import DBInstance, RDSBackend
from moto.rds.responses import RDSResponse

from readiness.twin.context import BEHAVIOUR

log = logging.getLogger(__name__)

SETTINGS_KEY = "rds_failover"
# The reference stack's lag: well within the default rpo_database of 300 s.
DEFAULTS = {"reboot_seconds": 0.5, "failover_changes_az": True, "restorable_lag_seconds": 60.0}


def setting(name: str):
    return BEHAVIOUR.settings.get(SETTINGS_KEY, {}).get(name, DEFAULTS[name])


def _subnet_group_zones(instance: DBInstance) -> list[str]:
    group = getattr(instance, "db_subnet_group", None)
    if group is None:
        return []
    return sorted({subnet["SubnetAvailabilityZone"]["Name"] for subnet in group.subnets})


def _secondary_availability_zone(instance: DBInstance) -> str | None:
    """Return the standby's AZ of a Multi-AZ instance: kept after a failover, else another AZ of its subnet group."""
    if not instance.multi_az:
        return None
    stored = instance.__dict__.get("_twin_secondary_az")
    if stored and stored != instance.availability_zone:
        return stored
    others = [zone for zone in _subnet_group_zones(instance) if zone != instance.availability_zone]
    if others:
        return others[0]
    # An instance without a subnet group: AWS still places the standby in another AZ of the region.
    return f"{instance.region}{'b' if instance.availability_zone.endswith('a') else 'a'}"


def _latest_restorable_time(instance: DBInstance):
    # AWS reports LatestRestorableTime only while automated backups are on; moto reports the current time always.
    if not instance.backup_retention_period:
        return None
    return utcnow() - timedelta(seconds=float(setting("restorable_lag_seconds")))


def reboot(backend: RDSBackend, identifier: str, force_failover: bool) -> DBInstance:
    """Reboot an instance: "rebooting" for a while, then available, in the standby's AZ after a forced failover."""
    instance = backend.describe_db_instances(identifier)[0]
    if instance.status != "available":
        raise InvalidDBInstanceStateFault(f"Instance {instance.db_instance_identifier} is not in available state.")
    if force_failover and not instance.multi_az:
        raise InvalidParameterCombination(
            f"Cannot force a failover of {instance.db_instance_identifier}: it is not a Multi-AZ instance.")

    instance.status = "rebooting"
    timer = threading.Timer(float(setting("reboot_seconds")), _finish_reboot, args=(backend, instance, force_failover))
    timer.daemon = True
    timer.start()
    return instance


def _finish_reboot(backend: RDSBackend, instance: DBInstance, force_failover: bool) -> None:
    if backend.databases.get(instance.db_instance_identifier) is not instance:
        return
    if force_failover and setting("failover_changes_az"):
        standby = _secondary_availability_zone(instance)
        instance.__dict__["_twin_secondary_az"] = instance.availability_zone
        instance.availability_zone = standby
    instance.status = "available"
    log.debug("twin instance %s available again in %s", instance.db_instance_identifier, instance.availability_zone)


def reboot_db_instance(self: RDSResponse) -> ActionResult:
    # moto's version ignores ForceFailover and leaves the instance as it was.
    database = reboot(self.backend, self.params.get("DBInstanceIdentifier"), bool(self.params.get("ForceFailover")))
    return ActionResult({"DBInstance": database})


def install() -> None:
    """Report the standby's AZ and a lagging restorable time, and make reboots and forced failovers take effect."""
    DBInstance.secondary_availability_zone = property(_secondary_availability_zone)
    DBInstance.latest_restorable_time = property(_latest_restorable_time)
    RDSResponse.reboot_db_instance = reboot_db_instance
