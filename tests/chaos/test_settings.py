"""Chaos settings: from the ini settings of a pytest run, and from the chaos function's environment."""

import pytest

from readiness.chaos import ChaosSettings
from readiness.chaos.settings import from_environment, from_pytest, parse_alarm_names


class FakeConfig:
    """A pytest config stand-in that returns the text ini settings."""

    def __init__(self, text_settings: dict) -> None:
        self.text_settings = text_settings

    def getini(self, name: str):
        return self.text_settings.get(name, "")


def test_defaults_without_any_setting():
    settings = from_pytest(FakeConfig({}), {})

    assert settings == ChaosSettings()
    assert (settings.kill_target_s, settings.scale_target_s, settings.latency_target_s, settings.latency_ms) == (60, 120, 90, 200)


def test_ini_values_are_read():
    config = FakeConfig({"chaos_stop_alarms": "a, b,,c"})

    settings = from_pytest(config, {"chaos_kill_target_s": 5.0, "chaos_latency_ms": 150.0})

    assert settings.kill_target_s == 5
    assert settings.latency_ms == 150
    assert settings.stop_alarms == ("a", "b", "c")


def test_zero_target_is_rejected():
    with pytest.raises(ValueError, match="chaos setting scale_target_s = 0.0 is invalid; expected a positive number"):
        from_pytest(FakeConfig({}), {"chaos_scale_target_s": 0.0})


def test_environment_of_the_chaos_function():
    settings = from_environment({"CHAOS_LATENCY_TARGET_S": "45", "CHAOS_STOP_ALARMS": "guard"})

    assert settings.latency_target_s == 45
    assert settings.stop_alarms == ("guard",)
    assert settings.kill_target_s == 60


def test_invalid_environment_value_is_rejected():
    with pytest.raises(ValueError, match="environment variable CHAOS_LATENCY_MS = 'fast' is invalid"):
        from_environment({"CHAOS_LATENCY_MS": "fast"})


def test_alarm_names_ignore_blanks():
    assert parse_alarm_names(" a ,, b ") == ("a", "b")
    assert parse_alarm_names(None) == ()
