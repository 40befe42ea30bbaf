"""Staffing proposals a planner can adopt, without simulation: rosters, the erlang rules, the margins, groups.

* **rosters**: the positions of a schedule (:mod:`sim.planning.roster`) work at most five days a
  week and, together, give exactly the coverage the schedule counted (rebuilt here from each
  position's days, start, length and meal break); day-by-day shifts are combined into positions of
  at most five days; the shifts of a proposal for a two-day run start only on the simulated days;
* **the online rule** (:func:`sim.planning.erlang_rules.online_floor`): after it, every deadline
  window has the spare capacity for its online work plus the noise term; **the occupancy rule**:
  with no noise, exactly busy / cap; a day multiplier's spread, over the replications, raises it by
  the hand-computed amount, and each day's CV is read from the arrival model (a dated day's lognormal
  CV);
* **the margins** (:mod:`sim.planning.margins`): the miss probability is where the binomial CDF
  (scipy's, an independent implementation) reaches the assurance; more noise asks for more
  replications;
* **operator groups** (:mod:`sim.planning.groups`): each group plans for its home work, and the
  group a route overflows to receives ``1 - SL_home(T)`` of the route's load (Erlang A computed
  here), and nothing with an overflow delay longer than the run.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy.stats import binom

from sim.analysis.theory import erlang_a_metrics
from sim.api import compose_config
from sim.config.staffing_policy import ShiftPatternConfig, default_patterns
from sim.model.arrivals import DatedArrivals
from sim.planning import make_plan, margins
from sim.planning.erlang_rules import day_sd, occupancy_floor, online_floor
from sim.planning.groups import front_requirements
from sim.planning.roster import MAX_DAYS, positions
from sim.planning.shifts import solve

SLOT_S = 1800.0
WEEK_SLOTS = 336


def _weekly_requirement(seed: int) -> np.ndarray:
    """A week of rostered operators per half-hour: a daily swing, busier weekdays, noise."""
    rng = np.random.default_rng(seed)
    k = np.arange(WEEK_SLOTS)
    day = 1.0 + 0.8 * np.sin(2 * np.pi * ((k % 48) / 48.0 - 0.3))
    weekday = np.where(k // 48 < 5, 1.0, 0.6)
    return np.ceil(12 * day * weekday + rng.integers(0, 3, WEEK_SLOTS)).astype(float)


def _coverage_of(roster) -> np.ndarray:
    """Operators on duty per half-hour of the week, rebuilt from the positions alone."""
    out = np.zeros(WEEK_SLOTS)
    for p in roster.positions:
        for d in p.days:
            for j in range(int(round(p.length_h * 2))):
                at_h = j / 2.0
                if p.break_at_h is not None and p.break_at_h <= at_h < p.break_at_h + p.break_h:
                    continue
                out[(d * 48 + int(round(p.start_h * 2)) + j) % WEEK_SLOTS] += 1
    return out


@pytest.mark.parametrize("patterns", ["tours", "day_by_day"])
def test_positions_work_at_most_five_days_and_give_the_schedules_coverage(patterns):
    pats = default_patterns() if patterns == "tours" else [ShiftPatternConfig(name="d8", length_h=8.0)]
    required = _weekly_requirement(1)
    sched = solve(required, pats, SLOT_S, 1.0, gap=0.02)
    roster = positions(sched)
    assert roster.positions and roster.max_days <= MAX_DAYS
    assert [p.number for p in roster.positions] == list(range(1, len(roster.positions) + 1))
    covered = _coverage_of(roster)
    np.testing.assert_allclose(covered, sched.covered)
    assert np.all(covered >= required), "the positions cover the requirement"
    if patterns == "tours":
        assert all(len(p.days) == 5 and p.break_at_h is not None and 3 <= p.break_at_h <= 5
                   for p in roster.positions), "a default position is a 5-day tour with a meal break"
        assert len({p.days[0] for p in roster.positions}) > 1, "the days off rotate over the positions"
    entries = roster.entries()
    assert sum(e["count"] for e in entries) == len(roster.positions)
    assert math.isclose(sum(p.paid_h for p in roster.positions), sched.paid_h)


def test_shifts_of_a_two_day_run_start_on_the_simulated_days_only(compose):
    cfg = compose("single_queue", ["experiment.horizon_h=48", "experiment.warmup_h=0", "experiment.replications=1",
                                   "experiment.start_weekday=2", "staffing.policy=erlang", "staffing.schedule=shifts",
                                   "staffing.patterns=[{name:d8,length_h:8}]"])
    plan = make_plan(cfg)
    shifts = plan.cfg.staffing.shifts
    assert shifts and all(s.days and set(s.days) <= {2, 3} for s in shifts), [(s.start_h, s.days) for s in shifts]
    gp = plan.groups[0]
    assert gp.roster is not None and gp.roster.max_days <= 2


# ---------------------------------------------------------------------------------- the erlang rules
def test_online_rule_leaves_every_deadline_window_enough_spare_capacity():
    rng = np.random.default_rng(3)
    k_n, window = 96, 8  # half-hours, a 4-hour deadline
    priority = 20 + 15 * np.sin(np.arange(k_n) / 8.0) ** 2
    online = rng.uniform(0, 12, k_n)
    var = rng.uniform(0, 4000, k_n)
    start = np.ceil(priority) + 1
    target = 0.95
    out = online_floor(priority, online, var, SLOT_S, window * SLOT_S, start, target)
    z = NormalDist().inv_cdf(target)
    assert np.all(out >= start) and np.sum(out) > np.sum(start)
    for k in range(k_n):
        w = slice(k, min(k_n, k + window))
        spare = np.sum(out[w] - priority[w]) * SLOT_S
        need = np.sum(online[w]) * SLOT_S + z * math.sqrt(np.sum(var[w]) * SLOT_S)
        assert spare >= need - 1e-6, (k, spare, need)


def test_online_rule_counts_the_day_multipliers_of_a_window_together():
    """The day multipliers' noise of a deadline window is the sum of its intervals' (one day's multiplier moves them
    together), over the square root of the replications that judge the plan."""
    k_n, window, target, reps = 12, 4, 0.95, 4
    priority, online = np.full(k_n, 40.0), np.full(k_n, 5.0)
    sd_day = np.full(k_n, 2.0)
    start = np.full(k_n, 46.0)
    plain = online_floor(priority, online, np.zeros(k_n), SLOT_S, window * SLOT_S, start, target)
    out = online_floor(priority, online, np.zeros(k_n), SLOT_S, window * SLOT_S, start, target, reps, sd_day)
    z = NormalDist().inv_cdf(target)
    np.testing.assert_array_equal(plain, start)  # a spare 6 Erlang for 5 of online work: nothing added
    # the first window: 4 x 2 Erlang of day noise over sqrt(4) replications -> z x 4 Erlang-intervals short
    need = 5.0 + z * (window * 2.0) / math.sqrt(reps) / window
    assert out[0] == pytest.approx(40.0 + need) and np.all(out >= 40.0 + need - 1e-9)


def test_online_rule_adds_nothing_where_the_spare_capacity_suffices():
    priority, online = np.full(10, 5.0), np.full(10, 1.0)
    out = online_floor(priority, online, np.zeros(10), SLOT_S, 4 * SLOT_S, np.full(10, 7.0), 0.9)
    np.testing.assert_array_equal(out, np.full(10, 7.0))


def test_occupancy_rule_without_noise_is_busy_over_the_cap_and_zero_without_work():
    busy = np.array([0.0, 8.5, 17.0])
    np.testing.assert_allclose(occupancy_floor(busy, np.zeros(3), SLOT_S, 0.85, 4), [0.0, 10.0, 20.0])
    noisy = occupancy_floor(busy, np.full(3, 1e4), SLOT_S, 0.85, 4)
    assert noisy[0] == 0.0 and np.all(noisy[1:] > [10.0, 20.0])


def test_occupancy_rule_counts_the_day_multiplier_over_the_replications():
    # 100 operators busy, no Poisson noise, a day multiplier of CV 0.1 on the calls: one replication's mean busy
    # has sd 10, four replications' 5; one interval with work: z = Phi^-1(0.9) = 1.2816; (100 + 6.408) / 0.8.
    sd = day_sd(np.array([0.0, 100.0]), np.full(2, 0.1), np.array([0.0, 0.0]), np.full(2, 0.3))
    np.testing.assert_allclose(sd, [0.0, 10.0])
    out = occupancy_floor(np.array([0.0, 100.0]), np.zeros(2), SLOT_S, 0.8, 4, sd)
    np.testing.assert_allclose(out, [0.0, 133.01], atol=0.01)
    assert occupancy_floor(np.array([0.0, 100.0]), np.zeros(2), SLOT_S, 0.8, 4)[1] == pytest.approx(125.0)
    # the channels draw their multipliers independently: 30 call Erlang at CV 0.1 and 40 online at 0.075
    assert day_sd(np.array([30.0]), np.array([0.1]), np.array([40.0]), np.array([0.075]))[0] == pytest.approx(
        math.sqrt(3.0 ** 2 + 3.0 ** 2))


def test_a_dated_days_multiplier_cv_is_its_lognormal_cv():
    arr = DatedArrivals(np.ones((96, 1)), [1.0], [], np.array([0.2, 0.0]))
    assert arr.multiplier_cv(0) == pytest.approx(0.20202, abs=1e-5)  # sqrt(exp(0.04) - 1)
    assert arr.multiplier_cv(1) == 0.0 and arr.multiplier_cv(5) == 0.0  # no spread, and a day outside the file


def test_the_occupancy_rule_reads_each_days_multiplier():
    cfg = compose_config("single_queue", ["staffing.policy=erlang", "staffing.target.max_occupancy=0.85",
                                          "arrivals.phone.day_cv=0.15"])
    req = front_requirements(cfg)[0]
    assert req.day_cv is not None and req.day_cv.shape == (2, req.call_load.size)
    np.testing.assert_allclose(req.day_cv[0], 0.15)
    plain = front_requirements(compose_config("single_queue", ["staffing.policy=erlang",
                                                               "staffing.target.max_occupancy=0.85"]))[0]
    assert np.all(req.required >= plain.required) and np.sum(req.required) > 1.1 * np.sum(plain.required)


# ---------------------------------------------------------------------------------- the margins
@pytest.mark.parametrize("n,share", [(36, 0.95), (336, 0.95), (48, 0.9)])
def test_miss_probability_is_where_the_binomial_reaches_the_assurance(n, share):
    q = margins.miss_probability(n, share)
    m = int(math.floor(n * (1 - share) + 1e-9))
    assert binom.cdf(m, n, q) == pytest.approx(margins.ASSURANCE, abs=1e-6)
    assert binom.cdf(m, n, q * 1.05) < margins.ASSURANCE


def test_noisier_intervals_ask_for_more_replications():
    quiet = margins.replications([0.01] * 48, 0.5, 10_000.0, margins.PILOT, 12)
    noisy = margins.replications([5.0] * 48, 0.5, 10_000.0, margins.PILOT, 12)
    assert quiet == margins.PILOT and noisy > quiet


@pytest.mark.parametrize("fresh,expected", [(4, 8), (12, 24), (1, 4)])
def test_replications_stop_where_the_fresh_judgements_own_margin_dominates(fresh, expected):
    # Margins costing 10% (and 100%) of the hours per pilot standard error: the hours rule asks for the most.
    assert margins.replications([200.0] * 100, 0.5, 10_000.0, margins.PILOT, fresh) == 64  # a small case
    big = margins.CONTACT_BUDGET / 4.5  # 4 replications within the budget, 8 beyond it
    assert margins.replications([20.0] * 100, 0.5, 10_000.0, margins.PILOT, fresh, big) == expected
    assert margins.replications([20.0] * 100, 0.5, 10_000.0, margins.PILOT, fresh, big / 4) == max(expected, 16)
    # By hand, judged on 4 fresh replications: the optimisation adds sqrt(4/r + 1) - 1 pilot standard errors,
    # 0.414 with 4 and 0.225 with 8, against 1 the judgement needs anyway; 8 is the first at or below 0.25.


# ---------------------------------------------------------------------------------- operator groups
GROUPS = ["experiment.horizon_h=24", "experiment.warmup_h=0", "experiment.replications=1", "staffing.operators=0",
          "arrivals.online.per_day=0", "categories.all.share=0.6", "+categories.b={share:0.4}",
          "routing.groups={ga:{operators:1},gb:{operators:1}}", "routing.skills={all:[ga,gb],b:[gb]}",
          "staffing.policy=erlang"]


def test_each_group_plans_for_its_home_calls_and_the_overflow_it_receives(compose):
    cfg = compose("single_queue", GROUPS + ["routing.overflow_after_s=20"])
    ga, gb = front_requirements(cfg)
    alone = front_requirements(compose("single_queue", GROUPS + ["routing.overflow_after_s=1e6"]))
    assert ga.name == "ga" and gb.name == "gb"
    np.testing.assert_allclose(alone[0].call_load, ga.call_load)
    np.testing.assert_allclose(alone[1].call_load, alone[0].call_load * 0.4 / 0.6, rtol=1e-9)
    assert ga.calls_agents is not None
    for k in np.flatnonzero(ga.call_load > 0)[:6]:
        mu = 1.0 / ga.mean_handle_s[k]
        sl = erlang_a_metrics(ga.call_load[k] * mu, mu, ga.theta, int(ga.calls_agents[k]), 20.0).service_level
        want = alone[1].call_load[k] + ga.call_load[k] * (1.0 - sl)
        assert gb.call_load[k] == pytest.approx(want, rel=1e-9), k
    plan = make_plan(cfg)
    assert [g.name for g in plan.groups] == ["ga", "gb"]
    for g in plan.groups:
        assert len(plan.cfg.routing.groups[g.name].half_hourly) == 336 and g.required is not None


def test_shift_patterns_without_a_cost_are_priced_at_staffing_cost_per_h(compose):
    """A pattern's cost per hour left unset is staffing.cost_per_h (it was 1, ignoring the setting); a pattern's
    own cost takes precedence; the shifts written carry the price they were scheduled at."""
    base = ["experiment.horizon_h=24", "experiment.warmup_h=0", "experiment.replications=1", "staffing.policy=erlang",
            "staffing.schedule=shifts", "staffing.cost_per_h=60", "staffing.currency=CNY"]
    plan = make_plan(compose("single_queue", base + ["staffing.patterns=[{name:d8,length_h:8}]"]))
    sched = plan.groups[0].schedule
    assert sched is not None and sched.paid_h > 0
    assert sched.cost == pytest.approx(60 * sched.paid_h) and {s.cost_per_h for s in sched.shifts} == {60.0}
    assert plan.notes["currency"] == "CNY"
    own = make_plan(compose("single_queue", base + ["staffing.patterns=[{name:d8,length_h:8,cost_per_h:45}]"]))
    assert own.groups[0].schedule.cost == pytest.approx(45 * own.groups[0].schedule.paid_h)


# ---------------------------------------------------------------------------------- the erlang bound
def test_the_ladder_makes_every_service_target_stricter_by_its_share_of_the_distance():
    from sim.planning.bound import LADDER, stricter

    cfg = compose_config("single_queue", ["staffing.policy=optimize", "staffing.target.service_level=0.8",
                                          "staffing.target.abandon_rate=0.04", "staffing.target.asa_s=30",
                                          "staffing.target.max_occupancy=0.9"])
    rung = stricter(cfg, 0.5)
    t = rung.staffing.target
    assert (t.service_level, t.abandon_rate, t.asa_s) == pytest.approx((0.9, 0.02, 15.0))
    assert t.max_occupancy == 0.9 and cfg.staffing.target.service_level == 0.8  # the cap kept; cfg untouched
    assert stricter(cfg, 0.25).staffing.target.service_level == pytest.approx(0.85)
    assert LADDER[0] == 0.0 and list(LADDER) == sorted(LADDER)
