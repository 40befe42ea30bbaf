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
  meets the target in at least 95% of the intervals (``staffing.optimize.intervals_share``, its
  replications and margin chosen from the noise it measured) and misses clearly in none, with no
  more operator-hours than the ``erlang`` / ``modified`` plan with the loosest stricter nominal
  target (0.85, 0.9, 0.92, 0.95) that reaches the same share; the fresh-seed confirmation is in
  ``summary.json`` -> ``staffing`` -> ``confirmation``.  The same holds on another case of the kind
  (10-minute handling, +-50% swing), by construction: optimize is bounded by the cheapest stricter
  erlang plan expected to reach the share (:mod:`sim.planning.bound`).
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
    "optimize": ["staffing.policy=optimize"],
}
STRICTER = (0.85, 0.9, 0.92, 0.95)
for _t in STRICTER:
    RUNS[f"modified_{_t}"] = ["staffing.policy=erlang", "staffing.offered_load=modified",
                              f"staffing.target.service_level={_t}"]
GOAL = 0.95


pytestmark = pytest.mark.slow  # six runs of 12 replications of a day and an optimisation: ~1 min on 2 idle cores


@pytest.fixture(scope="module")
def outcome():
    out = {}
    for name, extra in RUNS.items():
        keys = {a.split("=", 1)[0] for a in extra}
        exp = run(compose_config("single_queue", [a for a in BASE if a.split("=", 1)[0] not in keys] + extra))
        sl = pooled_intervals(exp.replications)["service_level"][2 * WARMUP_H:]
        assert not np.any(np.isnan(sl)), f"{name}: every interval has calls"
        out[name] = {"sl": sl, "hours": exp.summary["operator_hours"]["mean"], "notes": exp.notes["staffing"],
                     "summary": exp.summary}
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
    assert met >= GOAL and _clear_misses(opt["sl"]) == 0, (met, np.round(opt["sl"], 2))
    notes = opt["notes"]
    assert notes["optimize"]["first_replication"] == 1_000_000 and notes["intervals_meeting"]["all"] == met
    conf = notes["confirmation"]
    assert conf["fresh"] and conf["goal"] == GOAL and conf["goal_met"] and conf["replication_numbers"] == "0-11"
    reaching = [t for t in STRICTER if np.mean(outcome[f"modified_{t}"]["sl"] >= TARGET) >= met]
    assert reaching, {t: float(np.mean(outcome[f"modified_{t}"]["sl"] >= TARGET)) for t in STRICTER}
    ref = outcome[f"modified_{reaching[0]}"]
    # No more hours than that erlang plan: optimize is bounded by the cheapest stricter erlang plan expected to
    # reach the share (sim/planning/bound.py); measured 3,331.5 h, erlang at 0.9's (its own plan: 3,346.5).
    assert opt["hours"] <= ref["hours"], (opt["hours"], reaching[0], ref["hours"])
    assert opt["hours"] >= outcome["modified"]["hours"], "meeting the target where erlang missed costs hours"
    bound = notes["optimize"]["erlang_bound"]
    assert [r["strictness"] for r in bound["ladder"]] == [0.0, 0.25, 0.5][:len(bound["ladder"])]
    assert bound["ladder"][0]["operator_hours"] == outcome["modified"]["hours"], "the first rung is the erlang plan"


# Another case of the kind: a 10-minute handle time, a +-50% swing, 14,400 calls a day, 5 minutes' patience;
# the optimisation's replications fixed at 16 to keep it cheap (the bound holds whatever they are).
OTHER = [a for a in BASE if not a.startswith(("calls.", "arrivals."))] + [
    "calls.handle_s={dist:lognormal,mean:600,cv:0.5}", "calls.patience_s.mean=300", "arrivals.phone.per_day=14400",
    "arrivals.phone.hourly_profile=[" + ",".join(str(round(1 + 0.5 * math.sin(2 * math.pi * (h - 6) / 24), 3))
                                                for h in range(24)) + "]"]


def test_another_swing_optimize_is_no_dearer_than_the_stricter_erlang_plan_reaching_its_share():
    def judged(extra):
        keys = {a.split("=", 1)[0] for a in extra}
        exp = run(compose_config("single_queue", [a for a in OTHER if a.split("=", 1)[0] not in keys] + extra))
        sl = pooled_intervals(exp.replications)["service_level"][2 * WARMUP_H:]
        return float(np.mean(sl >= TARGET)), exp.summary["operator_hours"]["mean"]

    met, hours = judged(["staffing.policy=optimize", "staffing.optimize.replications=16"])
    assert met >= GOAL, met
    for t in STRICTER:
        share, ref_hours = judged(["staffing.policy=erlang", f"staffing.target.service_level={t}"])
        if share >= met:
            # measured: optimize 2,177 h meeting the target in 100% of the half-hours; erlang at 0.9 2,178.5 h
            assert hours <= ref_hours, (hours, t, ref_hours)
            break
    else:
        pytest.fail(f"no stricter erlang plan reaches {met}")
