"""Binds the readiness plugin's options and fixtures for checks/, dr_drills/ and chaos/."""

pytest_plugins = ("readiness.plugin",)
