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
