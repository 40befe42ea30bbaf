"""Staffing two operator groups with overflow: the per-group proposal against an exhaustive search.

Calls of category ``all`` (60%) go to group ``ga`` first and may overflow to ``gb`` after 20 s;
calls of ``b`` (40%) go to ``gb`` only.  180 calls an hour, a flat profile, exponential handle
time of 240 s and patience of 90 s (12 Erlang in all), eight hours with two of warm-up; every
group's target: 80% of its calls (by their first group) answered within 20 s.

Every plan is judged on the same 12 replications (seed fixed, the run's own: seeds ``optimize``
never saw) by the share of intervals in which both groups meet their target, pooled over the
replications (:func:`sim.analysis.staffing_kpis.meeting`).  The exhaustive search tries every
pair of constant headcounts (``ga`` 3 to 12, and for each the fewest ``gb`` that reaches the goal,
skipping pairs no cheaper than the best found) and keeps the cheapest whose share is at least 95% (the goal of ``staffing.optimize.intervals_share``).  The flat load makes
a constant plan the natural optimum, so the search is a fair bound.

The search starts every ``ga`` at the fewest ``gb`` giving more operators than the offered load.

* ``optimize``'s per-group plan meets both groups' targets in at least 95% of the intervals, with
  total operator-hours within 3% of the cheapest plan the search finds;
* ``erlang``'s per-group plan (the overflow approximated by the home group's Erlang A) meets them
  too, and costs at least as much as the search's.

Measured: the search's cheapest is 16 operators in all (96 operator-hours in the 6-hour window;
ga 5 and gb 11 as good as ga 7 and gb 9: the overflow pools them), optimize 98.5 (+2.6%), erlang
102 (+6.3%; 9 and 8 operators).
"""

from __future__ import annotations

import pytest

from sim.analysis.staffing_kpis import meeting, plan_targets
from sim.api import compose_config, run

BASE = ["experiment.horizon_h=8", "experiment.warmup_h=2", "experiment.replications=12", "experiment.progress=false",
        "arrivals.phone.per_day=4320", "staffing.operators=0", "categories.all.share=0.6",
        "+categories.b={share:0.4}", "routing.skills={all:[ga,gb],b:[gb]}", "routing.overflow_after_s=20",
        "staffing.target.service_level=0.8"]
GOAL = 0.95
LOAD = 12  # Erlang: 180 calls an hour x 240 s
PROPOSED = "routing.groups={ga:{operators:1},gb:{operators:1}}"  # replaced by the proposal

pytestmark = pytest.mark.slow  # ~25 runs of 12 replications of 8 hours and one optimisation: ~2 min on 2 idle cores


def _judge(extra):
    exp = run(compose_config("single_queue", BASE + extra))
    return exp, meeting(exp.replications, plan_targets(exp.cfg))


@pytest.fixture(scope="module")
def outcome():
    out = {}
    for policy in ("optimize", "erlang"):
        exp, share = _judge([PROPOSED, f"staffing.policy={policy}"])
        out[policy] = {"hours": exp.summary["operator_hours"]["mean"], "share": share,
                       "plans": {g: list(exp.cfg.routing.groups[g].half_hourly) for g in ("ga", "gb")}}
    best = None
    for ga in range(3, 13):  # for each ga the fewest gb meeting the goal (more never hurts), cheaper than the best
        for gb in range(max(1, LOAD + 1 - ga), 17):  # fewer in all than the offered load cannot serve it
            if best is not None and ga + gb >= best["ga"] + best["gb"]:
                break
            exp, share = _judge([f"routing.groups={{ga:{{operators:{ga}}},gb:{{operators:{gb}}}}}"])
            if share["all"] is not None and share["all"] >= GOAL:
                hours = exp.summary["operator_hours"]["mean"]
                if best is None or hours < best["hours"]:
                    best = {"hours": hours, "ga": ga, "gb": gb, "share": share["all"]}
                break
    assert best is None or (best["ga"] < 12 and best["gb"] < 16), f"the search's range is too narrow: {best}"
    out["search"] = best
    return out


def test_the_search_finds_a_plan(outcome):
    assert outcome["search"] is not None and outcome["search"]["share"] >= GOAL


def test_optimize_meets_each_groups_target_within_3_percent_of_the_cheapest(outcome):
    opt, best = outcome["optimize"], outcome["search"]
    assert opt["share"]["all"] >= GOAL, opt["share"]
    for g in ("ga", "gb"):
        assert opt["share"]["groups"][g]["service_level"] >= GOAL, (g, opt["share"]["groups"])
        assert len(opt["plans"][g]) == 336 and max(opt["plans"][g]) > 0, "each group's own plan is written"
    assert opt["hours"] <= 1.03 * best["hours"], (opt["hours"], best)


def test_erlang_per_group_meets_the_targets_and_costs_no_less_than_the_cheapest(outcome):
    erl, best = outcome["erlang"], outcome["search"]
    assert erl["share"]["all"] >= GOAL, erl["share"]
    assert erl["hours"] >= best["hours"], (erl["hours"], best)
