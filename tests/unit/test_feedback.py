"""Unit tests of :mod:`sim.model.feedback`: return visits, ratings and reopened rounds.

As in ``test_backoffice.py``, the day's residents are replaced by a fixed block
of rows (``sim.model.frontline.day_rows`` is monkeypatched), so each work order's
close-out time, visit delay and the uniform numbers behind its rating are
chosen by the test; everything drawn later (retries, talk and ringing time,
later rounds) has a constant distribution.  The visit timeline is observed by
wrapping the callback the feedback pool calls when an operator starts a visit.

Probabilities are set to 0 or 1, or compared with the row's fixed uniforms, so
that every outcome is deterministic.  The last tests check who makes the visits:
the feedback team (its busy time is exactly the visits' talk and ringing time)
or, in ``feedback.mode=operators``, the front-line operators, only when no
inbound call or online item waits and only within calling hours.

Time 0 is Monday 0:00; the ``daytime`` calling hours are 8:00-20:00 every day.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import sim.model.frontline
from sim.analysis.kpis import accounting, replication_kpis
from sim.config.schema import (
    URGENCY_CLASSES,
    CategoryConfig,
    DistConfig,
    FeedbackConfig,
    StaffingConfig,
    UnitTypeConfig,
    WorkOrderConfig,
)
from sim.model.checks import validate
from sim.model.compile import compile_config
from sim.model.replication import Replication
from sim.model.residents import CLS_CALL, CLS_OUTBOUND, N_COLS, WORK_ORDER

H, DAY = 3600.0, 86400.0
GENERAL, COMPLEX = 2, 3
HANDLE, TALK, RING = 60.0, 100.0, 30.0


def C(value: float) -> DistConfig:
    return DistConfig("constant", value=float(value))


@pytest.fixture(scope="module")
def base():
    """single_queue composed once (edited per test as typed dataclasses)."""
    from sim.api import compose_config

    return compose_config("single_queue", ["experiment.warmup_h=0", "experiment.replications=1"])


def tiny(base, *, fb_calendar="always", visit_h=5.0, reach=1.0, max_attempts=3, retry_h=2.0, p_reports=None,
         p_satisfied=None, late_resolved=1.0, late_satisfied=1.0, reopen=0.0, max_rounds=2, mode="team",
         team=1, capacity=10, horizon_h=24.0, drain_h=240.0, operators=5, per_day=24.0, misroute=0.0,
         complex_closeout_h=360.0, resolved_share=1.0):
    """One category, two always-open units of ``capacity``; response 3 h and resolution 10 h in later rounds;
    the general class's close-out limit is 500 h (never late) and the complex class's ``complex_closeout_h``;
    ``resolved_share`` decides the outcome of later rounds (round 1's is in the row)."""
    cfg = copy.deepcopy(base)
    cfg.arrivals.phone.per_day = per_day
    cfg.calls.handle_s = C(HANDLE)
    cfg.calls.patience_s = C(1e9)
    cfg.staffing.operators = operators
    cfg.categories = {"repair": CategoryConfig(share=1.0, direct_share=0.0, urgency={"general": 1.0},
                                               unit_type="dept", resolved_share=resolved_share)}
    cfg.units = {"dept": UnitTypeConfig(count=2, case_workers=capacity, caseload=1)}
    wo = WorkOrderConfig(dispatch_delay_h={u: C(1.0) for u in URGENCY_CLASSES}, misroute_probability=misroute,
                         response_delay_h={u: C(3.0) for u in URGENCY_CLASSES}, resolution_h=C(10.0))
    wo.closeout_limit_h.update({"general": 500.0, "complex": complex_closeout_h})
    wo.response_limit_h["complex"] = min(wo.response_limit_h["complex"], complex_closeout_h)  # never above close-out
    cfg.workorders = wo
    cfg.feedback = FeedbackConfig(
        mode=mode, calendar=fb_calendar, delay_h=C(visit_h),
        reach_probability=reach, max_attempts=max_attempts, talk_s=C(TALK),
        no_answer_s=C(RING), p_reports_resolved=p_reports or {"resolved": 1.0, "explained": 0.0},
        p_satisfied=p_satisfied or {"resolved": 1.0, "not_resolved": 0.0}, late_factor_resolved=late_resolved,
        late_factor_satisfied=late_satisfied, reopen_probability=reopen, max_rounds=max_rounds)
    # keys the mode cannot use are errors: set each only where the model reads it
    if misroute > 0:
        wo.review_h = C(2.0)
    if mode == "team":
        cfg.feedback.staffing = StaffingConfig(operators=team)
    if reach < 1 and max_attempts > 1:
        cfg.feedback.retry_delay_h = C(retry_h)
    if max_rounds == 1:
        cfg.feedback.reopen_probability = FeedbackConfig().reopen_probability
    cfg.experiment.horizon_h = horizon_h
    cfg.experiment.drain_h = drain_h
    cfg.report.request_log = True
    validate(cfg)
    return cfg


def order(t, *, closed_at=None, unit=0, urg=GENERAL, resolved=True, visit_h=5.0, u_reports=0.0, u_satisfied=0.0,
          u_reopen=0.0):
    """A phone contact at ``t`` s becoming a work order for ``unit``; with ``closed_at`` its first round closes
    then (dispatch 1 h, signed at once, response 1 h, the rest resolution)."""
    closed_at = t + HANDLE + 12 * H if closed_at is None else closed_at
    dispatch, response = H, H
    resolution = closed_at - (t + HANDLE + dispatch + response)
    assert resolution >= 0
    row = (float(t), 0, 0, urg, WORK_ORDER, HANDLE, math.inf, CLS_CALL, unit, -1, dispatch, 0.0, response,
           resolution, bool(resolved), visit_h * H, u_reports, u_satisfied, u_reopen)
    assert len(row) == N_COLS
    return row


def run(cfg, rows, monkeypatch):
    """Run a replication on ``rows``; return (replication, result, visit starts as (contact id, time))."""
    block = sorted(rows, key=lambda r: r[0])
    monkeypatch.setattr(sim.model.frontline, "day_rows", lambda sc, st, day: list(block) if day == 0 else [])
    rp = Replication(compile_config(cfg), 0)
    starts = []
    pool = rp.team if rp.team is not None else rp.front.pool
    inner = pool._on_start

    def on_start(c, now):
        if rp.team is not None or c.cls == CLS_OUTBOUND:
            starts.append((c.id, now))
        inner(c, now)

    pool._on_start = on_start
    return rp, rp.run(), starts


def log_row(res, i):
    return {k: v[i] for k, v in res.request_log.contacts.items()}


def unit_counts(rp):
    return {k: int(sum(v)) for k, v in rp.brec.unit.items()}


# --------------------------------------------------------------------------- when the visit is made
@pytest.mark.parametrize("label,closed_at,visit_h,expected_start", [
    ("close 10:00 + 5 h = 15:00, in calling hours", 10 * H, 5.0, 15 * H),
    ("close 12:00 + 8 h = 20:00, at closing: next morning", 12 * H, 8.0, DAY + 8 * H),
    ("close 22:00 + 5 h = 3:00: moved to 8:00", 22 * H, 5.0, DAY + 8 * H),
    ("close 14:00 + 42 h = day 2 8:00 sharp", 14 * H, 42.0, 2 * DAY + 8 * H),
    ("close 10:00 + 0 h", 10 * H, 0.0, 10 * H),
])
def test_visit_due_after_the_delay_moved_into_calling_hours(base, monkeypatch, label, closed_at, visit_h,
                                                           expected_start):
    """The first attempt starts at the next calling-hours moment at or after close-out + delay; reached
    (p=1), the rating ends the call TALK seconds later."""
    cfg = tiny(base, fb_calendar="daytime")
    rp, res, starts = run(cfg, [order(0.0, closed_at=closed_at, visit_h=visit_h)], monkeypatch)
    row = log_row(res, 0)
    assert row["t_closed"] == closed_at, f"{label}: closed at {row['t_closed']}"
    assert starts == [(0, expected_start)], f"{label}: visit attempts at {[(i, t / H) for i, t in starts]} h"
    assert row["t_rated"] == expected_start + TALK and row["state"] == "closed_rated", f"{label}: {row}"
    assert row["visit_attempts"] == 1


def test_unreached_resident_after_max_attempts_with_retry_delays(base, monkeypatch):
    """reach 0, 3 attempts, retry 2 h, ring 30 s, calling hours 8-20.  Close-out 12:00 + 5 h: attempts at
    17:00, 19:00:30 and (21:01 is after hours) 8:00 next day; then closed_not_reached, no rating."""
    cfg = tiny(base, fb_calendar="daytime", reach=0.0, max_attempts=3, retry_h=2.0)
    rp, res, starts = run(cfg, [order(0.0, closed_at=12 * H, visit_h=5.0)], monkeypatch)
    want = [17 * H, 19 * H + RING, DAY + 8 * H]
    assert [t for _, t in starts] == want, (
        f"attempts at {[t / H for _, t in starts]} h, expected {[w / H for w in want]}")
    row = log_row(res, 0)
    assert row["state"] == "closed_not_reached" and row["visit_attempts"] == 3, row
    assert math.isnan(row["t_rated"]) and row["satisfied"] == -1 and row["reports_resolved"] == -1, row
    c = unit_counts(rp)
    assert (c["not_reached"], c["visits_reached"], c["rated"]) == (1, 0, 0), c
    assert rp.brec.totals["visit_attempts"] == 3
    k = replication_kpis(res)
    assert k["return_visit_reach_rate"] == 0.0 and math.isnan(k["satisfaction_rate"]), k


@pytest.mark.parametrize("max_attempts", [1, 2, 5])
def test_number_of_attempts_follows_max_attempts(base, monkeypatch, max_attempts):
    """reach 0: exactly max_attempts calls, each retry_delay (2 h) after the previous ring ended (always open)."""
    cfg = tiny(base, reach=0.0, max_attempts=max_attempts)
    rp, res, starts = run(cfg, [order(0.0, closed_at=10 * H, visit_h=1.0)], monkeypatch)
    want = [11 * H + k * (2 * H + RING) for k in range(max_attempts)]
    assert [t for _, t in starts] == want, f"max_attempts={max_attempts}: attempts {[t / H for _, t in starts]} h"
    assert log_row(res, 0)["state"] == "closed_not_reached"


def test_reached_resident_rates_and_is_counted(base, monkeypatch):
    """reach 1: one attempt, a final rating; reach rate 1, resolution and satisfaction 1 (p=1)."""
    cfg = tiny(base, reach=1.0)
    rp, res, starts = run(cfg, [order(0.0), order(60.0)], monkeypatch)
    assert len(starts) == 2
    c = unit_counts(rp)
    assert (c["visits_reached"], c["rated"], c["rated_resolved"], c["rated_satisfied"], c["not_reached"]) == (
        2, 2, 2, 2, 0), c
    k = replication_kpis(res)
    assert (k["return_visit_reach_rate"], k["resolution_rate"], k["satisfaction_rate"], k["reopen_rate"]) == (
        1.0, 1.0, 1.0, 0.0), k


# --------------------------------------------------------------------------- the rating
RATING_CASES = [
    # (label, resolved, late, u_reports, u_satisfied)
    ("resolved, on time", True, False, 0.99, 0.99),
    ("explained, on time", False, False, 0.0, 0.0),
    ("resolved, late, u_rep 0.59 < 1 x 0.6", True, True, 0.59, 0.0),
    ("resolved, late, u_rep 0.61 >= 1 x 0.6", True, True, 0.61, 0.0),
    ("resolved, late, u_sat 0.49 < 0.5", True, True, 0.0, 0.49),
    ("resolved, late, u_sat 0.51 >= 0.5", True, True, 0.0, 0.51),
    ("explained, late, p_rep 0 x 0.6", False, True, 0.0, 0.0),
]


def test_rating_probabilities_and_late_factors(base, monkeypatch):
    """p_reports_resolved {resolved 1, explained 0}, p_satisfied {resolved 1, not_resolved 0},
    late_factor_resolved 0.6, late_factor_satisfied 0.5.  A rating compares the row's uniforms with
    p_reports[outcome] x (0.6 if late) and p_satisfied[said] x (0.5 if late); late = complex class with a 1 h
    close-out limit (closed 12 h after arrival), on time = general class (500 h)."""
    cfg = tiny(base, late_resolved=0.6, late_satisfied=0.5, complex_closeout_h=1.0)
    rows = [order(k * 60.0, urg=COMPLEX if late else GENERAL, resolved=res, u_reports=ur, u_satisfied=us)
            for k, (_, res, late, ur, us) in enumerate(RATING_CASES)]
    rp, res, _ = run(cfg, rows, monkeypatch)
    said_total = sat_total = 0
    for i, (label, resolved, late, ur, us) in enumerate(RATING_CASES):
        said = ur < (1.0 if resolved else 0.0) * (0.6 if late else 1.0)
        sat = us < (1.0 if said else 0.0) * (0.5 if late else 1.0)
        said_total += said
        sat_total += sat
        row = log_row(res, i)
        assert (row["reports_resolved"], row["satisfied"]) == (int(said), int(sat)), (
            f"{label}: reports_resolved={row['reports_resolved']}, satisfied={row['satisfied']}, "
            f"expected {int(said)}, {int(sat)}")
        assert row["state"] == "closed_rated"
    c = unit_counts(rp)
    assert (c["rated"], c["rated_resolved"], c["rated_satisfied"]) == (7, said_total, sat_total), c
    assert (said_total, sat_total) == (4, 3), "the cases should mix outcomes"
    k = replication_kpis(res)
    assert k["resolution_rate"] == pytest.approx(4 / 7) and k["satisfaction_rate"] == pytest.approx(3 / 7), k


def test_later_round_outcome_comes_from_resolved_share(base, monkeypatch):
    """Round 1 explained (row), reopened; round 2 draws its outcome from resolved_share = 1: resolved, so the
    final rating says solved and satisfied."""
    cfg = tiny(base, reopen=1.0, max_rounds=3, resolved_share=1.0)
    rp, res, _ = run(cfg, [order(0.0, resolved=False)], monkeypatch)
    row = log_row(res, 0)
    assert (row["round"], row["reports_resolved"], row["satisfied"]) == (2, 1, 1), row


def test_outcome_of_the_unit_comes_from_resolved_share(base, monkeypatch):
    """Real draws: resolved_share 1 -> every resident says solved (p_reports resolved=1); resolved_share 0 ->
    nobody does (explained=0), and nobody is satisfied (p_satisfied not_resolved=0)."""
    out = {}
    for share in (1.0, 0.0):
        cfg = tiny(base, horizon_h=24, drain_h=120, per_day=48)
        cfg.categories["repair"].resolved_share = share
        res = Replication(compile_config(cfg), 0).run()
        k = replication_kpis(res)
        out[share] = (k["resolution_rate"], k["satisfaction_rate"], k["work_orders"])
    assert out[1.0][:2] == (1.0, 1.0) and out[0.0][:2] == (0.0, 0.0), f"(resolution, satisfaction, orders): {out}"
    assert out[1.0][2] > 20, out


# --------------------------------------------------------------------------- reopening
def test_unsatisfied_case_reopens_once_to_the_same_unit(base, monkeypatch):
    """reopen_probability 1, max_rounds 2, everyone unsatisfied (explained outcome, resolved_share 0), misroute
    probability 1: the round-1 rating reopens the order at the same unit 1 (no dispatch, no bounce); round 2
    (response 3 h, resolution 10 h, visit 5 h, all from the later-round streams) ends with the final rating,
    unsatisfied again but not reopened."""
    cfg = tiny(base, reopen=1.0, max_rounds=2, misroute=0.5, resolved_share=0.0)
    cfg.workorders.misroute_probability = 1.0  # (validation rejects 1: orders would bounce forever)
    rp, res, starts = run(cfg, [order(0.0, unit=1, resolved=False, closed_at=12 * H, visit_h=5.0)], monkeypatch)
    r1 = 17 * H + TALK  # end of the round-1 visit: reopened then
    assert [t for _, t in starts] == [17 * H, r1 + 13 * H + 5 * H], f"visits at {[t / H for _, t in starts]} h"
    row = log_row(res, 0)
    assert row["state"] == "closed_rated" and row["round"] == 2 and row["unit"] == 1 and row["bounces"] == 0, row
    assert row["t_rated"] == r1 + 18 * H + TALK and row["satisfied"] == 0, row
    assert row["t_closed"] == 12 * H, "t_closed is the first close-out"
    c = {k: [int(x) for x in v] for k, v in rp.brec.unit.items()}
    assert c["reopened"] == [0, 1] and c["closeouts"] == [0, 2] and c["visits_reached"] == [0, 2], c
    assert c["rated"] == [0, 1] and c["rated_satisfied"] == [0, 0] and c["bounced"] == [0, 0], c
    assert c["orders_received"] == [0, 1], "a reopened round is not a new order received"
    k = replication_kpis(res)
    assert k["reopen_rate"] == 0.5 and k["satisfaction_rate"] == 0.0, k


@pytest.mark.parametrize("max_rounds", [1, 2, 3])
def test_rounds_never_exceed_max_rounds(base, monkeypatch, max_rounds):
    """Always unsatisfied, reopen_probability 1: an order is handled exactly max_rounds times and rated once."""
    cfg = tiny(base, reopen=1.0, max_rounds=max_rounds, resolved_share=0.0)
    rp, res, starts = run(cfg, [order(0.0, resolved=False), order(60.0, resolved=False)], monkeypatch)
    log = res.request_log.contacts
    assert log["round"].tolist() == [max_rounds] * 2, f"max_rounds={max_rounds}: rounds {log['round']}"
    c = unit_counts(rp)
    assert (c["reopened"], c["rated"], c["closeouts"], len(starts)) == (
        2 * (max_rounds - 1), 2, 2 * max_rounds, 2 * max_rounds), f"max_rounds={max_rounds}: {c}"


@pytest.mark.parametrize("label,reopen,satisfied_p,u_reopen,reopened", [
    ("satisfied: never reopened", 1.0, 1.0, 0.0, False),
    ("unsatisfied, u_reopen 0.3 < 0.5", 0.5, 0.0, 0.3, True),
    ("unsatisfied, u_reopen 0.7 >= 0.5", 0.5, 0.0, 0.7, False),
    ("unsatisfied, reopen_probability 0", 0.0, 0.0, 0.0, False),
])
def test_reopen_decision(base, monkeypatch, label, reopen, satisfied_p, u_reopen, reopened):
    """An order is reopened iff the resident is unsatisfied and the row's u_reopen < reopen_probability."""
    cfg = tiny(base, reopen=reopen, p_satisfied={"resolved": satisfied_p, "not_resolved": satisfied_p})
    rp, res, _ = run(cfg, [order(0.0, u_reopen=u_reopen)], monkeypatch)
    assert unit_counts(rp)["reopened"] == int(reopened), f"{label}: reopened {unit_counts(rp)['reopened']}"
    assert log_row(res, 0)["round"] == (2 if reopened else 1), label


# --------------------------------------------------------------------------- who makes the visits
@pytest.mark.parametrize("reach,per_visit", [(1.0, TALK), (0.0, 3 * RING)])
def test_team_visits_occupy_team_time(base, monkeypatch, reach, per_visit):
    """Team of 2 on duty all 96 h; 10 orders whose visits all end within the horizon: feedback_busy_s sums to
    10 x talk (reached) or 10 x 3 rings (not reached); on duty = 2 x 96 h; front-line busy time is the
    inbound handling only."""
    cfg = tiny(base, reach=reach, team=2, horizon_h=96.0, drain_h=0.0)
    rows = [order(k * 600.0) for k in range(10)]
    rp, res, starts = run(cfg, rows, monkeypatch)
    iv = res.intervals
    assert len(starts) == (10 if reach else 30)
    assert iv["feedback_busy_s"].sum() == pytest.approx(10 * per_visit), f"reach={reach}: team busy"
    assert iv["feedback_staffed_s"].sum() == pytest.approx(2 * 96 * H), f"reach={reach}: team on duty"
    assert iv["busy_s"].sum() == pytest.approx(10 * HANDLE) and iv["outbound_work_s"].sum() == 0.0
    k = replication_kpis(res)
    assert k["feedback_occupancy"] == pytest.approx(10 * per_visit / (2 * 96 * H)), k["feedback_occupancy"]


def test_operators_mode_visits_are_front_line_work(base, monkeypatch):
    """feedback.mode=operators: the same 10 visits are made by front-line operators (outbound_work_s, busy_s)
    and the (absent) team records nothing."""
    cfg = tiny(base, mode="operators", horizon_h=96.0, drain_h=0.0)
    rp, res, starts = run(cfg, [order(k * 600.0) for k in range(10)], monkeypatch)
    iv = res.intervals
    assert rp.team is None and len(starts) == 10
    assert iv["outbound_work_s"].sum() == pytest.approx(10 * TALK)
    assert iv["busy_s"].sum() == pytest.approx(10 * (HANDLE + TALK))
    assert iv["feedback_busy_s"].sum() == 0.0 and iv["feedback_staffed_s"].sum() == 0.0
    assert accounting(res)["ended:closed_rated"] == 10


def test_operators_take_visits_only_when_no_inbound_waits_and_in_calling_hours(base):
    """mode operators, 2 operators, ~1500 calls/day of 100 s (queues form), half of them work orders whose visits
    (reach 0.5) need calling hours 8-20: whenever an operator starts a visit, no call or online item waits and
    the calendar is open; inbound work is sometimes taken while visits wait (the visits' lower priority
    matters), and visits are made."""
    cfg = tiny(base, mode="operators", fb_calendar="daytime", reach=0.5, operators=2, per_day=1500.0,
               horizon_h=72.0, drain_h=48.0, capacity=100)
    cfg.calls.handle_s = C(100.0)
    cfg.calls.patience_s = DistConfig("exponential", mean=300.0)
    cfg.categories["repair"].direct_share = 0.5
    cfg.feedback.delay_h = DistConfig("uniform", low=0.5, high=30.0)
    validate(cfg)
    sc = compile_config(cfg)
    rp = Replication(sc, 0)
    pool, cal = rp.front.pool, sc.feedback.calendar
    inner = pool._on_start
    visits, bad, inbound_over_visits = [], [], [0]

    def on_start(c, now):
        if c.cls == CLS_OUTBOUND:
            visits.append(now)
            if sum(pool.waiting[:CLS_OUTBOUND]) or not cal.is_open(now):
                bad.append((now / H, list(pool.waiting), cal.is_open(now)))
        elif pool.waiting[CLS_OUTBOUND]:
            inbound_over_visits[0] += 1
        inner(c, now)

    pool._on_start = on_start
    res = rp.run()
    assert not bad, f"visits started while inbound work waited or outside calling hours: {bad[:5]} ({len(bad)})"
    assert len(visits) > 500, f"only {len(visits)} visits"
    assert inbound_over_visits[0] > 100, f"inbound taken over waiting visits only {inbound_over_visits[0]} times"
    hours = np.array(visits) % DAY / H
    assert hours.min() >= 8 and hours.max() < 20, f"visit start hours {hours.min()}-{hours.max()}"
    assert res.intervals["outbound_work_s"].sum() > 0
