"""Unit tests of :mod:`sim.model.staffing`: plans to timed headcount changes, and scheduled coverage.

Expected change lists and coverage arrays are written out by hand from the plan.
A fractional headcount ``n + f`` (after scale and shrinkage) is ``n`` operators
plus one present for the first ``f`` of every half-hour (constant and half-hourly
plans) or of the shift (shifts), so its mean is kept exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from sim.config.schema import ShiftConfig, StaffingConfig
from sim.core.engine import Pool
from sim.model.staffing import (
    StaffChange,
    carried_counts,
    plan_mode,
    run_staffing,
    scaled_headcount,
    scheduled_headcount,
    split_headcount,
    staffing_changes,
)

H = 3600.0
DAY = 86400.0


def _tuples(changes):
    return [(c.t_s / H, c.kind, c.n) for c in changes]


def _level(changes, t):
    """Scheduled headcount just after time t (hand-rolled step function, for cross-checks)."""
    level, shift_n = 0, {}
    for c in changes:
        if c.t_s > t:
            break
        if c.kind == "add":
            level += c.n
        elif c.kind == "remove":
            level -= c.n
        elif c.kind == "start":
            shift_n[c.shift] = c.n
            level += c.n
        else:
            level -= shift_n.pop(c.shift)
    return level


# --------------------------------------------------------------------------- fractional headcounts and modes
@pytest.mark.parametrize("count,scale,want", [(10, 1.0, 10.0), (130, 0.1, 13.0), (10, 0.25, 2.5), (4, 0.1, 0.4),
                                              (0, 5.0, 0.0), (3, 1 / 3, 1.0)])
def test_scaled_headcount_keeps_the_fraction_and_drops_round_off(count, scale, want):
    """``scaled_headcount`` is count x scale; 130 x 0.1 = 13.000000000000002 is 13 exactly, 2.5 stays 2.5."""
    assert scaled_headcount(count, scale) == want, f"scaled_headcount({count}, {scale})"
    n, f = split_headcount(scaled_headcount(count, scale))
    assert n + f == want and 0.0 <= f < 1.0, (n, f)


@pytest.mark.parametrize("values,want", [([1.5, 1.5, 1.5], [2, 1, 2]), ([0.4, 0.4, 0.4], [0, 1, 0]),
                                         ([2.0, 3.0], [2, 3]), ([0.5], [1]), ([14.4] * 5, [14, 15, 14, 15, 14])])
def test_carried_counts_keep_every_prefix_sum(values, want):
    """Fractions are carried: every prefix sums to the rounded prefix sum of the values (halves up)."""
    got = carried_counts(values)
    assert got == want, f"carried_counts({values}) = {got}"
    assert sum(got) == int(np.floor(sum(values) + 0.5 + 1e-9))


@pytest.mark.parametrize("operators,shrinkage", [(13, 0.03), (45, 0.3), (5, 0.9), (25, 0.9), (130, 0.25)])
def test_mean_on_duty_equals_the_fractional_target(operators, shrinkage):
    """The scheduled headcount over a day averages operators x (1 - shrinkage) (12.61, 31.5, 0.5, 2.5, 97.5)
    for a constant plan, a flat half-hourly plan (both in every half-hour) and three 8-hour shifts."""
    target = operators * (1 - shrinkage)
    for cfg in (StaffingConfig(operators=operators, shrinkage=shrinkage),
                StaffingConfig(half_hourly=[operators] * 48, shrinkage=shrinkage),
                StaffingConfig(shifts=[ShiftConfig(start_h=h, length_h=8.0, count=operators) for h in (0, 8, 16)],
                               shrinkage=shrinkage)):
        per_slot = scheduled_headcount(staffing_changes(cfg, 1.0, DAY), 1800.0, 48)
        ctx = f"{plan_mode(cfg)}: operators={operators}, shrinkage={shrinkage}"
        assert per_slot.mean() == pytest.approx(target, rel=1e-12), f"{ctx}: daily mean {per_slot.mean()}"
        if plan_mode(cfg) != "shifts":
            np.testing.assert_allclose(per_slot, target, rtol=1e-12, err_msg=f"{ctx}: per half-hour")


def test_shrinkage_three_percent_is_not_rounded_away():
    """13 operators with shrinkage 0.03 (12.61) are not 13: 13 for the first 61% of each half-hour, then 12."""
    changes = staffing_changes(StaffingConfig(operators=13, shrinkage=0.03), 1.0, 2 * H)
    assert [(round(t, 6), k, n) for t, k, n in _tuples(changes)] == [
        (0.0, "add", 13), (0.305, "remove", 1), (0.5, "add", 1), (0.805, "remove", 1),
        (1.0, "add", 1), (1.305, "remove", 1), (1.5, "add", 1), (1.805, "remove", 1)], _tuples(changes)
    assert staffing_changes(StaffingConfig(operators=13), 1.0, 2 * H) == [StaffChange(0.0, "add", 13)]


def test_fractional_shift_adds_a_part_time_operator():
    """A shift of 5 at shrinkage 0.25 (3.75) is 3 operators for 8 h and one for the first 6 h."""
    cfg = StaffingConfig(shifts=[ShiftConfig(start_h=8.0, length_h=8.0, count=5)], shrinkage=0.25)
    assert _tuples(staffing_changes(cfg, 1.0, DAY)) == [(8.0, "start", 3), (8.0, "start", 1), (14.0, "end", 0),
                                                         (16.0, "end", 0)]


def test_plan_mode():
    """The plan's form decides its mode (a plan has one form: sim.config.staffing_policy)."""
    assert plan_mode(StaffingConfig(operators=3)) == "constant"
    assert plan_mode(StaffingConfig(half_hourly=[1] * 48)) == "half_hourly"
    assert plan_mode(StaffingConfig(shifts=[ShiftConfig(count=1)])) == "shifts"


# --------------------------------------------------------------------------- constant
@pytest.mark.parametrize("scale,n", [(1.0, 10), (0.2, 2), (2.0, 20)])
def test_constant_plan(scale, n):
    """operators=10 with a whole 10 x scale gives one 'add' at t=0 of 10 x scale operators."""
    changes = staffing_changes(StaffingConfig(operators=10), scale, 48 * H)
    assert changes == [StaffChange(0.0, "add", n)], f"operators=10, scale={scale}: {changes}"


# --------------------------------------------------------------------------- half-hourly
def test_half_hourly_48_repeats_daily():
    """48 values [2]*16 + [5]*16 + [3]*16 over 48 h: adds/removes at 0, 8, 16, 24, 32, 40 h."""
    plan = [2] * 16 + [5] * 16 + [3] * 16
    changes = staffing_changes(StaffingConfig(half_hourly=plan), 1.0, 48 * H)
    assert _tuples(changes) == [(0.0, "add", 2), (8.0, "add", 3), (16.0, "remove", 2),
                                (24.0, "remove", 1), (32.0, "add", 3), (40.0, "remove", 2)], _tuples(changes)


def test_half_hourly_leading_zero_and_scale():
    """[0]*4 + [4]*44 with scale 0.5: no change at 0, 'add 2' at 2 h, 'remove 2' at 24 h, 'add 2' at 26 h."""
    plan = [0] * 4 + [4] * 44
    changes = staffing_changes(StaffingConfig(half_hourly=plan), 0.5, 30 * H)
    assert _tuples(changes) == [(2.0, "add", 2), (24.0, "remove", 2), (26.0, "add", 2)], _tuples(changes)


def test_half_hourly_scale_keeps_each_slot_mean():
    """Slots of 1, 2, 3 with scale 0.5 (0.5, 1, 1.5): a part-time operator for half of each odd slot."""
    plan = [1] * 16 + [2] * 16 + [3] * 16
    changes = staffing_changes(StaffingConfig(half_hourly=plan), 0.5, DAY)
    want = np.repeat([0.5, 1.0, 1.5], 16)
    np.testing.assert_allclose(scheduled_headcount(changes, 1800.0, 48), want, atol=1e-12)
    assert _tuples(changes)[:3] == [(0.0, "add", 1), (0.25, "remove", 1), (0.5, "add", 1)], _tuples(changes)[:3]


@pytest.mark.parametrize("start_weekday,want", [
    (0, [(0.0, "add", 1), (24.0, "add", 1), (48.0, "add", 1)]),
    (5, [(0.0, "add", 6), (24.0, "add", 1), (48.0, "remove", 6)]),   # Sat 6, Sun 7, Mon 1
    (6, [(0.0, "add", 7), (24.0, "remove", 6), (48.0, "add", 1)]),   # Sun 7, Mon 1, Tue 2
])
def test_half_hourly_336_is_a_week_from_monday(start_weekday, want):
    """336 values, weekday d staffed with d+1 all day: the plan is read from the run's start weekday."""
    plan = [d + 1 for d in range(7) for _ in range(48)]
    changes = staffing_changes(StaffingConfig(half_hourly=plan), 1.0, 3 * DAY, start_weekday)
    assert _tuples(changes) == want, f"start_weekday={start_weekday}: {_tuples(changes)}"


def test_half_hourly_336_wraps_after_a_week():
    """A 336-value plan run for 8 days from Sunday returns to Sunday's value on day 7."""
    plan = [d + 1 for d in range(7) for _ in range(48)]
    changes = staffing_changes(StaffingConfig(half_hourly=plan), 1.0, 8 * DAY, start_weekday=6)
    levels = [_level(changes, d * DAY + 1) for d in range(8)]
    assert levels == [7, 1, 2, 3, 4, 5, 6, 7], f"daily levels from Sunday: {levels}"


def test_half_hourly_mid_slot_horizon():
    """A horizon ending mid-slot still applies the change at the start of that last slot."""
    plan = [1] * 3 + [4] * 45
    changes = staffing_changes(StaffingConfig(half_hourly=plan), 1.0, 1.75 * H)
    assert _tuples(changes) == [(0.0, "add", 1), (1.5, "add", 3)], _tuples(changes)


# --------------------------------------------------------------------------- shifts
THREE_SHIFTS = [
    ShiftConfig(name="day", start_h=8.0, length_h=8.0, count=3),
    ShiftConfig(name="evening", start_h=16.0, length_h=8.0, count=2),
    ShiftConfig(name="night", start_h=22.0, length_h=8.0, count=1),  # crosses midnight
]


def _coverage_by_hand(hour_of_day: int) -> int:
    h = hour_of_day
    return (3 if 8 <= h < 16 else 0) + (2 if 16 <= h < 24 else 0) + (1 if h >= 22 or h < 6 else 0)


def test_shifts_changes_including_midnight_crossing_and_running_night_shift():
    """Day 8-16 x3, evening 16-24 x2, night 22-06 x1 over 48 h: the night shift of day -1 is on at t=0."""
    changes = staffing_changes(StaffingConfig(shifts=THREE_SHIFTS), 1.0, 48 * H)
    got = _tuples(changes)
    want = [(0.0, "start", 1),                     # night shift that began at 22:00 the day before
            (6.0, "end", 0), (8.0, "start", 3), (16.0, "start", 2), (16.0, "end", 0),
            (22.0, "start", 1), (24.0, "end", 0), (30.0, "end", 0), (32.0, "start", 3),
            (40.0, "start", 2), (40.0, "end", 0), (46.0, "start", 1)]
    assert got == want, f"three shifts over 48 h:\n{got}"
    # the night shift of day 1 ends at 54 h > horizon: no end record; every end names a started shift
    starts = {c.shift for c in changes if c.kind == "start"}
    ends = [c.shift for c in changes if c.kind == "end"]
    assert set(ends) <= starts and len(set(ends)) == len(ends), f"end records {ends} vs starts {starts}"


def test_shift_handover_puts_start_before_end():
    """At 16:00 the evening start precedes the day end, so the headcount never dips during a handover."""
    changes = staffing_changes(StaffingConfig(shifts=THREE_SHIFTS), 1.0, 24 * H)
    at16 = [c.kind for c in changes if c.t_s == 16 * H]
    assert at16 == ["start", "end"], f"order of changes at 16:00: {at16}"


@pytest.mark.parametrize("interval_h", [1.0, 0.5])
def test_scheduled_headcount_equals_hand_coverage(interval_h):
    """scheduled_headcount of the three shifts over 48 h equals the coverage added up by hand, per interval."""
    changes = staffing_changes(StaffingConfig(shifts=THREE_SHIFTS), 1.0, 48 * H)
    n = int(48 / interval_h)
    got = scheduled_headcount(changes, interval_h * H, n)
    want = np.array([_coverage_by_hand(int((k * interval_h) % 24)) for k in range(n)], dtype=float)
    np.testing.assert_allclose(got, want, atol=1e-12, err_msg=f"three shifts, interval {interval_h} h")


def test_scheduled_headcount_partial_interval():
    """A 4-operator shift from 07:15 to 15:15 fills half of the 07:00-07:30 and 15:00-15:30 half-hours."""
    changes = staffing_changes(StaffingConfig(shifts=[ShiftConfig(start_h=7.25, length_h=8.0, count=4)]), 1.0, DAY)
    got = scheduled_headcount(changes, 1800.0, 48)
    want = np.zeros(48)
    want[15:30] = 4.0
    want[14] = 2.0   # 07:00-07:30
    want[30] = 2.0   # 15:00-15:30
    np.testing.assert_allclose(got, want, atol=1e-12, err_msg="shift 07:15-15:15 x4 by half-hour")


def test_scheduled_headcount_half_hourly_plan():
    """For a half-hourly plan the scheduled headcount per half-hour is the plan itself (and its hourly mean)."""
    plan = [(k * 7) % 5 for k in range(48)]
    changes = staffing_changes(StaffingConfig(half_hourly=plan), 1.0, DAY)
    np.testing.assert_allclose(scheduled_headcount(changes, 1800.0, 48), plan, atol=1e-12,
                               err_msg="half-hourly plan vs scheduled headcount")
    np.testing.assert_allclose(scheduled_headcount(changes, 3600.0, 24),
                               np.asarray(plan, float).reshape(24, 2).mean(axis=1), atol=1e-12,
                               err_msg="half-hourly plan vs hourly scheduled headcount")


def test_weekday_filter_applies_to_shift_start_day():
    """A Monday-only 09-17 x4 shift run from Sunday for 3 days is on only on day 1 (33 h - 41 h)."""
    cfg = StaffingConfig(shifts=[ShiftConfig(start_h=9.0, length_h=8.0, count=4, days=[0])])
    changes = staffing_changes(cfg, 1.0, 3 * DAY, start_weekday=6)
    assert _tuples(changes) == [(33.0, "start", 4), (41.0, "end", 0)], _tuples(changes)


def test_weekday_filtered_night_shift_running_at_time_zero():
    """A Sunday-only 22:00 x2 night shift (8 h) is running at t=0 of a Monday start, and not on Monday night."""
    cfg = StaffingConfig(shifts=[ShiftConfig(start_h=22.0, length_h=8.0, count=2, days=[6])])
    changes = staffing_changes(cfg, 1.0, 2 * DAY, start_weekday=0)
    assert _tuples(changes) == [(0.0, "start", 2), (6.0, "end", 0)], _tuples(changes)
    # the same shift from a Tuesday start is not running at t=0 (Monday night is not Sunday night)
    assert staffing_changes(cfg, 1.0, 2 * DAY, start_weekday=1) == [], "Sunday-only shift ran from a Tuesday start"


def test_shift_scale_and_horizon_end():
    """count 3 x scale 0.5 = 1.5: one operator 16-24 h and one 16-20 h; the shift ending exactly at the
    horizon has no 'end' record."""
    cfg = StaffingConfig(shifts=[ShiftConfig(start_h=16.0, length_h=8.0, count=3)])
    changes = staffing_changes(cfg, 0.5, DAY)
    assert _tuples(changes) == [(16.0, "start", 1), (16.0, "start", 1), (20.0, "end", 0)], _tuples(changes)


def test_24h_shift_constant_coverage_with_overlapping_handover():
    """A 24-h shift starting 06:00 daily (x5) gives coverage 5 everywhere, including the night before day 0."""
    cfg = StaffingConfig(shifts=[ShiftConfig(start_h=6.0, length_h=24.0, count=5)])
    changes = staffing_changes(cfg, 1.0, 3 * DAY)
    np.testing.assert_allclose(scheduled_headcount(changes, 1800.0, 144), 5.0, atol=1e-12,
                               err_msg="24 h shifts from 06:00 x5")
    at6 = [c.kind for c in changes if c.t_s == 30 * H]
    assert at6 == ["start", "end"], f"handover at 30 h: {at6}"


def test_changes_sorted_by_time():
    """Change lists are sorted by time for every plan form."""
    for cfg in (StaffingConfig(shifts=THREE_SHIFTS), StaffingConfig(half_hourly=[(k * 3) % 7 for k in range(336)])):
        changes = staffing_changes(cfg, 1.0, 7 * DAY, start_weekday=3)
        times = [c.t_s for c in changes]
        assert times == sorted(times), f"{plan_mode(cfg)}: changes not sorted"
        assert all(0 <= t < 7 * DAY for t in times), f"{plan_mode(cfg)}: change outside [0, horizon)"


# --------------------------------------------------------------------------- run_staffing on a Pool
def test_run_staffing_applies_shift_changes_to_pool():
    """run_staffing drives Pool.on_duty through the three-shift plan: hourly probes equal the hand coverage."""
    env = simpy.Environment()
    pool = Pool(env, 1, lambda i, t: None, lambda i, t: None, lambda i, t: None)
    changes = staffing_changes(StaffingConfig(shifts=THREE_SHIFTS), 1.0, 48 * H)
    env.process(run_staffing(env, pool, changes))
    seen = []

    def probe(env):
        yield env.timeout(0.5 * H)
        while True:
            seen.append(pool.on_duty)
            yield env.timeout(H)

    env.process(probe(env))
    env.run(until=48 * H)
    want = [_coverage_by_hand(h % 24) for h in range(48)]
    assert seen == want, f"on_duty at h+0.5 for 48 h:\n{seen}\nwant\n{want}"


def test_run_staffing_half_hourly_on_pool():
    """run_staffing of a 48-slot plan sets Pool.on_duty to each slot's value (no work, so changes are immediate)."""
    plan = [(k * 5) % 4 for k in range(48)]
    env = simpy.Environment()
    pool = Pool(env, 1, lambda i, t: None, lambda i, t: None, lambda i, t: None)
    env.process(run_staffing(env, pool, staffing_changes(StaffingConfig(half_hourly=plan), 1.0, DAY)))
    seen = []

    def probe(env):
        yield env.timeout(900.0)
        while True:
            seen.append(pool.on_duty)
            yield env.timeout(1800.0)

    env.process(probe(env))
    env.run(until=DAY)
    assert seen == plan, f"on_duty by half-hour {seen} != plan {plan}"


# --------------------------------------------------------------------------- fractional staffing in a run
SQ13 = ["staffing.operators=13", "arrivals.phone.per_day=2500", "experiment.horizon_h=24", "experiment.warmup_h=0",
        "experiment.replications=2", "experiment.progress=false"]


def test_shrinkage_three_percent_changes_the_results(compose):
    """single_queue with 13 operators: shrinkage 0.03 (12.61 on duty) gives different results from 0."""
    from sim.experiments.runner import run_experiment

    base = run_experiment(compose("single_queue", SQ13))
    shrunk = run_experiment(compose("single_queue", [*SQ13, "staffing.shrinkage=0.03"]))
    assert base.per_replication[0]["mean_operators"] == pytest.approx(13.0, rel=2e-3), base.per_replication[0]
    for r, (a, b) in enumerate(zip(base.per_replication, shrunk.per_replication, strict=True)):
        assert b["mean_operators"] == pytest.approx(12.61, rel=2e-3), f"rep {r}: {b['mean_operators']}"
        assert b["service_level"] != a["service_level"] and b["mean_wait_s"] > a["mean_wait_s"], (
            f"rep {r}: shrinkage 0.03 did not change the front line: {a['service_level']} vs {b['service_level']}")


def test_scale_keeps_the_scheduled_headcount_in_a_run(compose):
    """scale 0.37 on 13 operators (4.81) and 2,500 calls a day: the scheduled headcount averages 4.81."""
    from sim.experiments.runner import run_experiment

    exp = run_experiment(compose("single_queue", [*SQ13, "scale=0.37"]))
    sched = exp.replications[0].intervals["scheduled_operators"]
    assert float(np.mean(sched)) == pytest.approx(13 * 0.37, rel=1e-9), f"mean scheduled {np.mean(sched)}"
