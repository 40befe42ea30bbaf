"""``sim.api.compose_config`` refuses, as the command line does, what it cannot apply: one line naming the override."""

from __future__ import annotations

import pytest

from sim.api import compose_config
from sim.core.errors import ConfigError


@pytest.mark.parametrize("overrides, start, rule", [
    (["staffing.operators=40,45"], "staffing.operators=40,45", "several values are a sweep"),
    (["hydra.run.dir=/tmp/elsewhere"], "hydra.run.dir=/tmp/elsewhere", "apply to the command line only"),
    (["hydra/job_logging=disabled"], "hydra/job_logging=disabled", "apply to the command line only"),
    ("scale=0.1", "overrides='scale=0.1'", "must be a list of strings"),
])
def test_what_the_api_cannot_apply_is_refused_in_one_line(overrides, start, rule):
    """A Hydra setting (its run folder, its logging) was accepted and did nothing outside the command line."""
    with pytest.raises(ConfigError) as info:
        compose_config("single_queue", overrides)
    msg = str(info.value)
    assert msg.startswith(start) and rule in msg and "\n" not in msg, msg
