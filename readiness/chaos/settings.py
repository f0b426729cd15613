"""Settings of the chaos experiments: recovery targets, the latency limit and the stop-condition alarms."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

# ini name: (ChaosSettings field, default). Numbers are seconds unless the name says otherwise.
NUMBER_SETTINGS = {
    "chaos_kill_target_s": ("kill_target_s", 60.0),
    "chaos_scale_target_s": ("scale_target_s", 120.0),
    "chaos_latency_target_s": ("latency_target_s", 90.0),
    "chaos_latency_ms": ("latency_ms", 200.0),
}
STOP_ALARMS_SETTING = "chaos_stop_alarms"


@dataclass(frozen=True)
class ChaosSettings:
    """Limits of an experiment: how fast the service must recover and how large a fault may be."""

    # Recovery targets in seconds: a task kill, each direction of scaling, the end of a latency fault.
    kill_target_s: float = 60.0
    scale_target_s: float = 120.0
    latency_target_s: float = 90.0
    # The largest network delay a latency experiment may inject, in milliseconds.
    latency_ms: float = 200.0
    # CloudWatch alarms that abort an experiment when they enter ALARM. Empty means the stop
    # conditions of the FIS latency template that the chaos function starts.
    stop_alarms: tuple[str, ...] = ()
    poll_interval_s: float = 1.0
    # Requests sent to the health endpoint for a steady-state check and for a latency measurement.
    probe_requests: int = 20
    probe_timeout_s: float = 5.0
    # A wait lasts this many times its target, so that a slow recovery is measured instead of cut off.
    recovery_wait_factor: float = 2.0

    def __post_init__(self) -> None:
        for name in ("kill_target_s", "scale_target_s", "latency_target_s", "latency_ms", "poll_interval_s",
                     "probe_timeout_s", "recovery_wait_factor"):
            if getattr(self, name) <= 0:
                raise ValueError(f"chaos setting {name} = {getattr(self, name)!r} is invalid; expected a positive number")
        if self.probe_requests < 1:
            raise ValueError(f"chaos setting probe_requests = {self.probe_requests!r} is invalid; expected at least 1")


def parse_alarm_names(text: str | None) -> tuple[str, ...]:
    """Return the alarm names of a comma-separated list, without blanks."""
    return tuple(name.strip() for name in (text or "").split(",") if name.strip())


def from_pytest(config, ini: Mapping[str, float]) -> ChaosSettings:
    """Read the chaos settings of a pytest run from Settings.ini and the text ini settings."""
    values = {field: float(ini.get(name, default)) for name, (field, default) in NUMBER_SETTINGS.items()}
    values["stop_alarms"] = parse_alarm_names(config.getini(STOP_ALARMS_SETTING))
    return ChaosSettings(**values)


def from_environment(environ: Mapping[str, str]) -> ChaosSettings:
    """Read the chaos settings of the chaos function from its environment, such as CHAOS_KILL_TARGET_S."""
    values: dict = {}
    for name, (field, default) in NUMBER_SETTINGS.items():
        raw = environ.get(name.upper())
        try:
            values[field] = float(raw) if raw else default
        except ValueError:
            raise ValueError(f"environment variable {name.upper()} = {raw!r} is invalid; expected a number") from None
    values["stop_alarms"] = parse_alarm_names(environ.get(STOP_ALARMS_SETTING.upper()))
    return ChaosSettings(**values)


def with_overrides(settings: ChaosSettings, **changes) -> ChaosSettings:
    """Return a copy of settings with some fields changed."""
    return dataclasses.replace(settings, **changes)
