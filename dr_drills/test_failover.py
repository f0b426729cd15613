"""Failover drill: a forced Multi-AZ failover of the database, until the application reaches it again."""

import time

import pytest

from readiness.recovery import (
    APPLICATION, RPO, RTO, database_reachable, describe_instance, hold, objective_target, poll, shown, wait_timeout,
)


def _wait_available(rds, identifier: str, timeout_s: float) -> None:
    """Wait until the database is available again; a failover cannot be taken back, only waited out."""
    result = poll(lambda: ((describe_instance(rds, identifier) or {}).get("DBInstanceStatus") == "available", None),
                  timeout_s, f"database {identifier} to be available")
    if not result.succeeded:
        raise RuntimeError(f"database {identifier} is not available {timeout_s:g} s after the drill; check it now")


def _recovery_progress(rds, identifier: str, health_url: str, zone_before: str, seen: dict) -> tuple[bool, dict]:
    """Tell whether the database is available again after the failover and the application reaches it."""
    instance = describe_instance(rds, identifier)
    status = instance["DBInstanceStatus"] if instance else "not found"
    zone = instance.get("AvailabilityZone") if instance else None
    if status != "available":
        seen["outage"] = True

    # Right after the call, RDS may still report the old state. The failover is over once the instance
    # has left "available" and come back, or once it runs in another AZ.
    over = status == "available" and (seen.get("outage") or zone != zone_before)
    reachable, health = database_reachable(health_url) if over else (False, "not asked yet")
    return over and reachable, {"status": status, "zone": zone, "health": health}


@pytest.mark.live
def test_failover_drill(outputs, target, settings, undo, record_objective, phases):
    rds = target.client("rds")
    identifier, health_url = outputs["db_instance_identifier"], outputs["health_url"]
    timeout_s = wait_timeout(objective_target(settings, APPLICATION, RTO))

    with phases.phase("read the database and the application before the failover"):
        before = describe_instance(rds, identifier)
        assert before, f"database {identifier} was not found; expected the Multi-AZ instance the application uses"
        assert before.get("MultiAZ"), (
            f"database {identifier} has MultiAZ={before.get('MultiAZ')}; a forced failover needs a standby in another AZ"
        )
        reachable, health = database_reachable(health_url)
        if before["DBInstanceStatus"] != "available" or not reachable:
            pytest.skip(f"not safe to run: database {identifier} is {before['DBInstanceStatus']} and {health_url} "
                        f"reports {health}; the drill starts only from a healthy application")

    undo.register(f"wait until database {identifier} is available again",
                  lambda: _wait_available(rds, identifier, timeout_s))
    with phases.phase("force a failover"):
        started = time.monotonic()
        rds.reboot_db_instance(DBInstanceIdentifier=identifier, ForceFailover=True)
    hold("failover:started")

    seen: dict = {}
    with phases.phase("wait for the database and the application"):
        result = poll(lambda: _recovery_progress(rds, identifier, health_url, before["AvailabilityZone"], seen),
                      timeout_s, f"database {identifier} and {health_url} after the failover")
    rto = record_objective(APPLICATION, RTO, time.monotonic() - started if result.succeeded else None,
                           f"forced failover of {identifier} until {health_url} reports the database reachable")

    with phases.phase("compare the restorable time across the failover"):
        after = describe_instance(rds, identifier) or {}
        # Committed data lost in the failover shows as a LatestRestorableTime earlier than before it.
        earlier, later = before.get("LatestRestorableTime"), after.get("LatestRestorableTime")
        lost_s = max(0.0, (earlier - later).total_seconds()) if earlier and later else None
        rpo = record_objective(APPLICATION, RPO, lost_s, f"LatestRestorableTime of {identifier} across the failover")

    observed = result.last_observation
    assert result.succeeded, (
        f"{shown(rto)}: after {timeout_s:g} s database {identifier} is {observed['status']} in {observed['zone']} "
        f"and {health_url} reports {observed['health']}"
    )
    assert observed["zone"] != before["AvailabilityZone"], (
        f"database {identifier} came back in {observed['zone']}, the AZ it ran in before the forced failover; "
        f"expected its standby's AZ {before.get('SecondaryAvailabilityZone')}; {shown(rto)}"
    )
    assert not rto.breached, f"{shown(rto)}: the application took longer than the target to reach its database"
    assert not rpo.breached, f"{shown(rpo)}: the database lost restorable time in the failover"
