"""Staffing policies without simulation: the erlang requirement, shift scheduling and bad input.

* ``staffing.policy=erlang`` on a stationary single queue gives, in every interval, the smallest
  headcount that exact Erlang A (:func:`sim.analysis.theory.erlang_a_metrics`) meets every target
  with: that headcount meets them and one fewer does not (the metrics are monotone in the
  headcount), including a case whose answer lies below the offered load (abandonment makes it
  possible), rostered operators rounded up after shrinkage, and scaled plans;
* every interval a scenario can hold: closed hours need nobody, an overloaded queue, a patience of
  decades and of a second;
* shift scheduling: its cost is the integer program's optimum (a brute force over a tiny
  instance), the schedule covers the requirement in every interval, and the simulator's plan of
  the scheduled shifts has exactly the coverage the program counted;
* bad input: unknown names, targets outside (0, 1), pattern sets that cannot cover the
  requirement, settings a policy does not use - one ConfigError naming the key (and on the command
  line one line, exit status 2).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from support import run_cli_batch

from sim.analysis.theory import erlang_a_metrics
from sim.config.staffing_policy import STAFFING_POLICIES, ShiftPatternConfig
from sim.core.errors import ConfigError
from sim.model.staffing import rostered_and_cost
from sim.planning import STAFFING_POLICIES as REGISTRY
from sim.planning import check_plan, make_plan
from sim.planning.shifts import columns, coverage, solve

SQ = ["experiment.horizon_h=24", "experiment.warmup_h=0", "experiment.replications=1", "experiment.progress=false",
      "staffing.policy=erlang"]
# overrides of single_queue (lambda 0.5/s, exponential handle 240 s: R = 120) -> targets (Erlang A names)
CASES = {
    "below_load": (["calls.patience_s.mean=90"], {"service_level": 0.8}),
    "three_targets_shrinkage": (["staffing.shrinkage=0.2", "staffing.target.service_level=0.9",
                                 "staffing.target.abandon_rate=0.01", "staffing.target.asa_s=4"],
                                {"service_level": 0.9, "p_abandon": 0.01, "asa_s": 4.0}),
    "patience_of_decades": (["calls.patience_s.mean=1e9"], {"service_level": 0.8}),
    "patience_of_a_second": (["calls.patience_s.mean=1", "staffing.target.service_level=0.5"],
                             {"service_level": 0.5}),
}


def _meets(c, lam, mu, theta, thr, targets):
    if c <= 0:
        return False
    m = erlang_a_metrics(lam, mu, theta, c, thr)
    return all(getattr(m, k) >= v if k == "service_level" else getattr(m, k) <= v for k, v in targets.items())


@pytest.mark.parametrize("case", list(CASES))
def test_erlang_is_the_smallest_headcount_exact_erlang_a_meets(compose, case):
    extra, targets = CASES[case]
    cfg = compose("single_queue", SQ + extra)
    plan = make_plan(cfg)
    lam, mu, theta = 0.5, 1 / 240.0, 1.0 / cfg.calls.patience_s.mean
    agents = plan.requirement.calls_agents
    assert agents is not None and np.all(agents == agents[0]), f"{case}: a stationary queue needs the same everywhere"
    c = int(agents[0])
    assert _meets(c, lam, mu, theta, 20.0, targets), f"{case}: {c} agents miss {targets}"
    assert not _meets(c - 1, lam, mu, theta, 20.0, targets), f"{case}: {c - 1} agents already meet {targets}"
    if case == "below_load":
        assert c < lam / mu, f"abandonment lets fewer than the offered load ({lam / mu}) meet the target: {c}"
    rostered = math.ceil(c / (1.0 - cfg.staffing.shrinkage))
    assert np.all(plan.required[:48] == rostered), (case, plan.required[:4], rostered)
    got, _ = rostered_and_cost(plan.cfg.staffing, cfg.scale, 86400.0, 0, 1800.0, 1.0)
    np.testing.assert_allclose(got, rostered, err_msg="the run's plan rosters the requirement")


def test_scaled_plan_rosters_the_requirement_of_the_scaled_demand(compose):
    """At scale 0.37 the requirement is for the scaled demand; the plan's counts, before scale, give it back."""
    cfg = compose("single_queue", SQ + ["scale=0.37", "staffing.shrinkage=0.1"])
    plan = make_plan(cfg)
    req = plan.required[:48]
    got, cost = rostered_and_cost(plan.cfg.staffing, 0.37, 86400.0, 0, 1800.0, 2.0)
    np.testing.assert_allclose(got, req, rtol=1e-12)
    np.testing.assert_allclose(cost, 2.0 * req, rtol=1e-12)
    assert plan.cfg.staffing.headcount_factor == 1.0 and not plan.cfg.staffing.shifts


def test_closed_hours_need_nobody_and_overload_is_staffed(compose):
    profile = [0] * 6 + [1] * 18
    cfg = compose("single_queue", SQ + [f"arrivals.phone.hourly_profile=[{','.join(map(str, profile))}]",
                                        "arrivals.phone.per_day=4000000", "calls.patience_s.mean=30"])
    plan = make_plan(cfg)
    req = plan.requirement
    assert np.all(plan.required[:12] == 0), f"closed 0:00-6:00 needs nobody: {plan.required[:12]}"
    k = 20  # 10:00, an overloaded centre: R = 4e6/18/3600 x 240 = 14,800 Erlang
    lam, load = req.call_rate[k], req.call_load[k]
    assert load > 10_000
    c = int(req.calls_agents[k])
    assert _meets(c, lam, 1 / 240.0, 1 / 30.0, 20.0, {"service_level": 0.8})
    assert not _meets(c - 1, lam, 1 / 240.0, 1 / 30.0, 20.0, {"service_level": 0.8})


# ------------------------------------------------------------------------------------- shifts
def _brute_force(required, patterns, slot_s, top=3):
    cols = columns(patterns, slot_s)
    a = coverage(cols, slot_s)
    cost = np.array([c.paid_h * patterns[c.pattern].cost_per_h for c in cols])
    best = math.inf
    for x in itertools.product(range(top + 1), repeat=len(cols)):
        x = np.array(x)
        if np.all(a @ x >= required - 1e-9):
            best = min(best, float(cost @ x))
    return best


def test_schedule_cost_is_the_integer_programs_optimum():
    """Monday in four 6-hour intervals; 12-hour shifts, 6-hour ones at 1.2 per hour, a weekend-night tour with a
    break: the solver's cost equals the cheapest of every combination of at most 3 of each column."""
    slot_s = 6 * 3600.0
    required = np.zeros(28)
    required[:4] = [2, 3, 1, 2]
    patterns = [ShiftPatternConfig(name="long", length_h=12, starts_h=[0, 6, 12], days=[0], cost_per_h=1.0),
                ShiftPatternConfig(name="short", length_h=6, starts_h=[0, 12, 18], days=[0], cost_per_h=1.2),
                ShiftPatternConfig(name="tour", length_h=12, starts_h=[18], days=[6], days_on=2, break_h=6,
                                   break_window_h=[0, 6], cost_per_h=0.7)]
    s = solve(required, patterns, slot_s, 1.0)
    assert len(columns(patterns, slot_s)) == 8
    assert s.cost == pytest.approx(_brute_force(required, patterns, slot_s), abs=1e-9)
    assert np.all(s.covered >= required) and s.under.sum() == 0


def test_schedule_covers_the_requirement_as_the_simulator_runs_it(compose):
    """A profiled day with breaks and 5-day tours: coverage >= requirement everywhere, and the simulated plan of
    the shifts (pieces around the breaks, tours by weekday, counts before scale) has exactly that coverage."""
    profile = [1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 8, 7, 8, 8, 7, 6, 5, 4, 3, 3, 2, 2, 1]
    week = [a for a in SQ if not a.startswith("experiment.horizon_h")] + ["experiment.horizon_h=168"]
    cfg = compose("single_queue", week + [f"arrivals.phone.hourly_profile=[{','.join(map(str, profile))}]",
                                        "arrivals.phone.per_day=4000", "scale=0.5", "staffing.shrinkage=0.25",
                                        "staffing.schedule=shifts",
                                        "staffing.patterns=[{name:full,length_h:9,starts_h:[0,7,8,15,16],days_on:5,"
                                        "break_h:1,break_window_h:[3,5],cost_per_h:1},{name:part,length_h:4,"
                                        "cost_per_h:1.1}]"])
    plan = make_plan(cfg)
    s = plan.schedule
    assert s is not None and s.under.sum() == 0 and np.all(s.covered >= s.required - 1e-9)
    assert any(sh.name.endswith("_a") for sh in plan.cfg.staffing.shifts), "a break splits a shift in two"
    rostered, cost = rostered_and_cost(plan.cfg.staffing, 0.5, 7 * 86400.0, 0, 1800.0, 1.0)
    np.testing.assert_allclose(rostered, s.covered, atol=1e-9, err_msg="simulated plan = scheduled coverage")
    assert float(cost.sum()) * 0.5 == pytest.approx(s.cost, rel=1e-9), "cost per week = the program's objective"
    assert np.all(s.required == np.tile(plan.required[:48], 7)), "the week's requirement is the day's, every day"
    assert 0.0 <= s.gap <= cfg.staffing.schedule_gap + 1e-9, f"stopped within the gap asked for: {s.gap}"


# ---------------------------------------------------------------------------------- bad input
def test_registry_and_configuration_list_the_same_policies():
    assert REGISTRY.names() == STAFFING_POLICIES == ("plan", "erlang", "optimize")
    with pytest.raises(ConfigError, match="use one of plan, erlang, optimize"):
        REGISTRY.get("sipp")


BAD = {
    "unknown_policy": (["staffing.policy=guess"], "staffing.policy", "unknown staffing policy"),
    "unknown_load": (["staffing.offered_load=peak"], "staffing.offered_load", "sipp, lagged, modified"),
    "sl_zero": (["staffing.target.service_level=0"], "staffing.target.service_level", "(0, 1)"),
    "sl_one": (["staffing.target.service_level=1"], "staffing.target.service_level", "(0, 1)"),
    "sl_above": (["staffing.target.service_level=1.5"], "staffing.target.service_level", "(0, 1)"),
    "abandon_one": (["staffing.target.abandon_rate=1"], "staffing.target.abandon_rate", "(0, 1)"),
    "asa_zero": (["staffing.target.asa_s=0"], "staffing.target.asa_s", "> 0"),
    "factor_with_erlang": (["staffing.headcount_factor=1.1"], "staffing.headcount_factor", "staffing.policy=plan"),
    "patterns_without_shifts": (["staffing.patterns=[{name:x,length_h:6}]"], "staffing.patterns",
                                "staffing.schedule=shifts"),
    "optimize_with_erlang": (["staffing.optimize.replications=8"], "staffing.optimize.replications",
                             "staffing.policy=optimize"),
    "schedule_with_plan": (["staffing.policy=plan", "staffing.schedule=shifts"], "staffing.schedule", "propose"),
    "break_without_window": (["staffing.schedule=shifts", "staffing.patterns=[{name:x,break_h:1}]"],
                             "staffing.patterns[0].break_window_h", "earliest, latest"),
    "break_window_too_late": (["staffing.schedule=shifts",
                               "staffing.patterns=[{name:x,length_h:8,break_h:1,break_window_h:[2,7.5]}]"],
                              "staffing.patterns[0].break_window_h[1]", "[2, 7]"),
    "interval_not_half_hours": (["kpi.interval_min=20"], "kpi.interval_min", "multiple of 30"),
    "gap_one": (["staffing.schedule=shifts", "staffing.schedule_gap=1"], "staffing.schedule_gap", "[0, 1)"),
    "gap_without_shifts": (["staffing.schedule_gap=0.1"], "staffing.schedule_gap", "staffing.schedule=shifts"),
    # the settings of the online and occupancy targets, the fresh-seed share, currency and budget
    "online_target_one": (["staffing.target.online_on_time_rate=1"], "staffing.target.online_on_time_rate",
                          "(0, 1)"),
    "online_target_without_online": (["staffing.target.online_on_time_rate=0.9", "arrivals.online.per_day=0"],
                                     "staffing.target.online_on_time_rate", "online demand"),
    "occupancy_zero": (["staffing.target.max_occupancy=0"], "staffing.target.max_occupancy", "(0, 1]"),
    "occupancy_above_one": (["staffing.target.max_occupancy=1.01"], "staffing.target.max_occupancy", "(0, 1]"),
    "share_one": (["staffing.policy=optimize", "staffing.optimize.intervals_share=1"],
                  "staffing.optimize.intervals_share", "(0, 1)"),
    "reps_zero": (["staffing.policy=optimize", "staffing.optimize.replications=0"], "staffing.optimize.replications",
                  "[1, 1000]"),
    "margin_negative": (["staffing.policy=optimize", "staffing.optimize.margin_se=-1"], "staffing.optimize.margin_se",
                        "[0, 10]"),
    "bound_not_boolean": (["staffing.policy=optimize", "staffing.optimize.erlang_bound=3"],
                          "staffing.optimize.erlang_bound", "true or false"),
    "currency_long": (["staffing.currency=ABCDEFGHIJKLMNOPQ"], "staffing.currency", "at most 16"),
    "budget_zero": (["staffing.policy=optimize", "staffing.budget_h=0"], "staffing.budget_h", "(0, 1e+12]"),
    "budget_twice": (["staffing.policy=optimize", "staffing.budget_h=100", "staffing.budget_cost=100"],
                     "staffing.budget_cost", "give one budget"),
    "budget_with_erlang": (["staffing.budget_h=100"], "staffing.budget_h", "staffing.policy=optimize"),
    "tours_on_two_days": (["experiment.horizon_h=48", "staffing.schedule=shifts"], "experiment.horizon_h",
                          "roster a whole week"),
    "group_target_above": (["staffing.operators=0", "routing.groups={a:{operators:1},b:{operators:1,target:{service_level:1.2}}}",
                            "routing.skills={all:[a,b]}"],
                           "routing.groups.b.target.service_level", "(0, 1)"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_staffing_policy_settings_are_rejected(compose, case):
    extra, key, rule = BAD[case]
    keys = {a.split("=", 1)[0] for a in extra}
    with pytest.raises(ConfigError) as info:
        compose("single_queue", [a for a in SQ if a.split("=", 1)[0] not in keys] + extra)
    assert info.value.key == key and rule in info.value.rule, str(info.value)


def test_patterns_that_cannot_cover_the_requirement_are_rejected_before_the_run(compose):
    cfg = compose("single_queue", SQ + ["staffing.schedule=shifts",
                                        "staffing.patterns=[{name:day,length_h:8,starts_h:[8]}]"])
    with pytest.raises(ConfigError) as info:
        check_plan(cfg)
    assert info.value.key == "staffing.patterns" and "Mon 0000 needs" in info.value.rule, str(info.value)


def test_command_line_one_line_exit_2(tmp_path):
    base = ["scenario=single_queue", "experiment.horizon_h=2", "experiment.warmup_h=0", "experiment.replications=1",
            "report.plots=false",
            "report.html=false"]
    cases = {"staffing.policy=guess": "staffing.policy=guess: unknown staffing policy",
             "staffing.target.service_level=1.5": "staffing.target.service_level=1.5: must be in (0, 1)",
             "staffing.target.max_occupancy=1.5": "staffing.target.max_occupancy=1.5: must be in (0, 1]",
             "staffing.policy=optimize staffing.budget_h=-3": "staffing.budget_h=-3: must be in (0, 1e+12]",
             "staffing.schedule=shifts staffing.patterns=[{name:day,length_h:8,starts_h:[8]}]":
                 "staffing.patterns=[{name:day,length_h:8,starts_h:[8]}]: cannot cover the requirement"}
    runs = [(tmp_path, [*base, "staffing.policy=erlang", *args.split(), f"report.dir={tmp_path / str(i)}"]
             if "policy" not in args else [*base, *args.split(), f"report.dir={tmp_path / str(i)}"])
            for i, args in enumerate(cases)]
    for (args, expect), proc in zip(cases.items(), run_cli_batch(runs)):
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and expect in lines[0], (args, proc.stderr[-1500:])
    assert not any((tmp_path / str(i)).exists() for i in range(len(cases))), "a rejected command writes nothing"


def test_a_centre_closed_at_weekends_gets_no_tour_on_the_weekend():
    """Monday to Friday needs 3 to 6 operators 08:00-17:00, the weekend nothing; weekly 5-day tours starting any
    day: the cover is as cheap as Monday-Friday tours alone, and no tour works Saturday or Sunday (a tour over
    the weekend costs the same, so the solver must prefer the one whose hours fall where work is)."""
    slot_s = 3600.0
    required = np.zeros(168)
    for day, need in enumerate([6, 3, 3, 3, 6]):
        required[day * 24 + 8: day * 24 + 17] = need
    patterns = [ShiftPatternConfig(name="tour", length_h=9, starts_h=[8], days=list(range(7)), days_on=5,
                                   cost_per_h=1.0)]
    s = solve(required, patterns, slot_s, 1.0)
    assert np.all(s.covered >= required)
    assert s.cost == pytest.approx(6 * 5 * 9)
    weekend = np.arange(168) >= 120
    assert s.covered[weekend].sum() == 0, s.shifts
