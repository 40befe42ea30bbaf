"""Staffing a time-varying queue: SIPP against the modified offered load, and the simulation-based policy.

A single queue whose arrival rate swings +-60% over the day (hourly profile
``1 + 0.6 sin(2 pi (h - 6) / 24)``, 10,800 calls a day: 60 to 240 Erlang) with a 20-minute
handle time (lognormal, CV 0.5) and a mean patience of 10 minutes; target: 80% of call
attempts answered within 20 s.  The handle time is long against the rate's changes, so the
number of calls in service lags the arrival rate: SIPP, which staffs each half-hour for its own
mean arrival rate, under-staffs the hours after the peak (where the load still carried from
the earlier, higher rate exceeds the interval's own), while the modified offered load of the
infinite-server model follows the lag (Green, Kolesar & Soares 2001; Jennings, Mandelbaum,
Massey & Whitt 1996).

Every plan is judged on the run's own replications (12, seed fixed), by each interval's pooled
service level; a *clear miss* is an interval more than 0.05 below the target (well beyond the
pooled estimate's noise here, and far less than SIPP's shortfall after the peak).

* ``sipp`` misses clearly in several times more intervals than ``modified``;
* ``optimize`` - on those replications, which its own (numbers 1,000,000 and up) never saw -
  meets the target in nearly every interval and misses clearly in none, with no more
  operator-hours than the ``erlang`` / ``modified`` plan that also meets it (the erlang plan
  needs a higher nominal target, 0.9, to meet 0.8 everywhere).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.staffing_kpis import pooled_intervals
from sim.api import compose_config, run

TARGET = 0.8
CLEAR = 0.05
WARMUP_H = 6
PROFILE = [round(1 + 0.6 * math.sin(2 * math.pi * (h - 6) / 24), 3) for h in range(24)]
BASE = ["experiment.horizon_h=24", f"experiment.warmup_h={WARMUP_H}", "experiment.replications=12",
        "experiment.progress=false", "calls.handle_s={dist:lognormal,mean:1200,cv:0.5}", "calls.patience_s.mean=600",
        f"arrivals.phone.hourly_profile=[{','.join(map(str, PROFILE))}]", "arrivals.phone.per_day=10800",
        f"staffing.target.service_level={TARGET}"]
RUNS = {
    "sipp": ["staffing.policy=erlang", "staffing.offered_load=sipp"],
    "modified": ["staffing.policy=erlang", "staffing.offered_load=modified"],
    "modified_0.9": ["staffing.policy=erlang", "staffing.offered_load=modified", "staffing.target.service_level=0.9"],
    "optimize": ["staffing.policy=optimize", "staffing.optimize.replications=4", "staffing.optimize.max_iterations=12"],
}


pytestmark = pytest.mark.slow  # four runs of 12 replications of a day and an optimisation: ~20 s on 2 idle cores


@pytest.fixture(scope="module")
def outcome():
    out = {}
    for name, extra in RUNS.items():
        keys = {a.split("=", 1)[0] for a in extra}
        exp = run(compose_config("single_queue", [a for a in BASE if a.split("=", 1)[0] not in keys] + extra))
        sl = pooled_intervals(exp.replications)["service_level"][2 * WARMUP_H:]
        assert not np.any(np.isnan(sl)), f"{name}: every interval has calls"
        out[name] = {"sl": sl, "hours": exp.summary["operator_hours"]["mean"], "notes": exp.notes["staffing"]}
    return out


def _clear_misses(sl):
    return int(np.sum(sl < TARGET - CLEAR))


def test_sipp_misses_clearly_more_often_than_the_modified_offered_load(outcome):
    sipp, modified = _clear_misses(outcome["sipp"]["sl"]), _clear_misses(outcome["modified"]["sl"])
    assert sipp >= modified + 5 and sipp >= 3 * modified, f"clear misses: sipp {sipp}, modified {modified}"
    late = outcome["sipp"]["sl"][12:]  # 12:00 on: after the peak, where the load lags the falling rate
    assert _clear_misses(late) == sipp, "SIPP's misses are after the peak"


def test_optimize_meets_the_target_on_fresh_seeds_with_no_more_hours(outcome):
    opt = outcome["optimize"]
    met = float(np.mean(opt["sl"] >= TARGET))
    assert met >= 0.85 and _clear_misses(opt["sl"]) == 0, (met, np.round(opt["sl"], 2))
    notes = opt["notes"]
    assert notes["optimize"]["first_replication"] == 1_000_000 and notes["intervals_meeting"]["all"] == met
    ref = outcome["modified_0.9"]
    assert np.mean(ref["sl"] >= TARGET) >= met and _clear_misses(ref["sl"]) == 0, "the erlang plan that also meets it"
    assert opt["hours"] <= ref["hours"], (opt["hours"], ref["hours"])
    assert opt["hours"] >= outcome["modified"]["hours"], "meeting the target where erlang missed costs hours"
