"""Keys under which the plugin keeps the run's settings and state on the pytest config."""

import pytest

SETTINGS = pytest.StashKey["Settings"]()
STATE = pytest.StashKey["RunState"]()
