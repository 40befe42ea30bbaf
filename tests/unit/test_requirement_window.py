"""The erlang requirement searched over the first intervals only (a report on a run shorter than its planning
window) is the full search's, cut: the same agents where searched, none after."""

from __future__ import annotations

import numpy as np

from sim.api import compose_config
from sim.planning.requirement import requirement


def test_requirement_of_the_first_intervals_is_the_full_one_cut() -> None:
    cfg = compose_config("beijing_baseline", ["experiment.horizon_h=3", "experiment.warmup_h=0",
                                              "staffing.target.max_occupancy=0.85"])
    full = requirement(cfg, agents=True)
    cut = requirement(cfg, agents=True, upto=6)
    assert full.agents is not None and cut.agents is not None and len(full.agents) == 336 == len(cut.agents)
    assert np.array_equal(cut.agents[:6], full.agents[:6]) and full.agents[:6].min() > 0
    assert not cut.agents[6:].any() and full.agents[6:].min() > 0  # Beijing has calls every half-hour
    assert np.array_equal(cut.required[:6], full.required[:6])


def test_group_requirements_of_the_first_intervals_are_the_full_ones_cut() -> None:
    """Operator groups with overflow: each group's requirement over the first intervals is its full one, cut."""
    from sim.planning.groups import front_requirements

    cfg = compose_config("skills_and_callbacks", ["scale=0.2", "experiment.horizon_h=4", "experiment.warmup_h=0"])
    full = front_requirements(cfg, agents=True)
    cut = front_requirements(cfg, agents=True, upto=8)
    assert [r.name for r in cut] == [r.name for r in full] and len(full) >= 2
    for f, c in zip(full, cut):
        assert f.agents is not None and c.agents is not None
        assert np.array_equal(c.agents[:8], f.agents[:8]) and not c.agents[8:].any()
        assert np.array_equal(c.required[:8], f.required[:8])
    assert any(f.agents[:8].any() for f in full) and all(f.agents[8:].any() for f in full)
