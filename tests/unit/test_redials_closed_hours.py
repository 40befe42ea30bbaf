"""Redials into a closed centre (issue 20): a caller does not redial into hours without phone arrivals.

A calibrated profile holds the night's closed hours as exact zeros; a redial delay drawn from the log's
(hours long) would land many redials there, where no agent works and every one abandoned - about 1.5 points
of the bank's whole-window abandonment that the log does not have.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.arrivals import OpenHours


def test_defer_stops_the_delay_while_closed():
    open_h = np.array([False] * 7 + [True] * 16 + [False] + [False] * 7 + [True] * 17)  # 07:00-23:00, two days
    o = OpenHours(open_h)
    assert o.defer(10 * 3600.0, 12 * 3600.0) == 12 * 3600.0, "open: as drawn"
    # abandoned at 22:30, drawn for 01:00: 30 min into the closure at 23:00 -> 30 min after the 07:00 opening
    assert o.defer(22.5 * 3600.0, 25 * 3600.0) == pytest.approx((24 + 7) * 3600.0 + 2 * 3600.0)
    # abandoned during a closure (an old call), drawn within it: the part after the abandonment counts
    assert o.defer(2 * 3600.0, 3 * 3600.0) == pytest.approx(7 * 3600.0 + 3600.0)
    assert o.defer(0.0, 60 * 3600.0) == 60 * 3600.0, "beyond the hours known: as drawn"


def test_no_redial_attempt_in_closed_hours():
    from sim.api import compose_config, run

    profile = [0.0] * 7 + [1.0] * 16 + [0.0]  # closed 23:00-07:00
    over = ["experiment.progress=false", "experiment.replications=1", "experiment.horizon_h=72",
            "experiment.drain_h=0", "experiment.warmup_h=0", f"arrivals.phone.hourly_profile={profile}",
            "calls.retrial.probability=0.9", "calls.retrial.delay_s.dist=exponential",
            "calls.retrial.delay_s.mean=10800", "calls.patience_s.dist=exponential", "calls.patience_s.mean=60"]
    cfg = compose_config("single_queue", over)
    rep = run(cfg).replications[0]
    retrials = np.asarray(rep.intervals["retrials"], dtype=float).reshape(3, -1)
    per_hour = retrials.reshape(3, 24, -1).sum(axis=2)
    closed = np.array(profile) == 0
    assert per_hour[:, closed].sum() == 0, "a redial in a closed hour"
    assert per_hour[:, 7].sum() > 0, "redials deferred to the opening hour"
    assert per_hour[:, ~closed].sum() > 50
