"""Unit tests of :mod:`sim.model.backoffice`: exact timelines of work orders from dispatch to close-out.

Most tests replace the day's residents by a fixed block of rows
(``sim.model.frontline.day_rows`` is monkeypatched), so each work order carries the
durations the test chose - unit, wrong unit, dispatch delay, review, response
delay, resolution time, outcome - and every timestamp of its timeline is known
in advance.  The scenario is tiny: one category, one unit type, five operators
answering at once (handle 60 s), a feedback team of one, constant
distributions for everything drawn later (re-dispatch delays, later rounds,
return visits).  Timelines are read from the request log
(``report.request_log=true``; times in seconds) and from the live state while
stepping the environment (``rp.env.run(until=...)``); counters from
:class:`~sim.records.backoffice.BackOfficeRecorder` (``rp.brec``) and the KPIs
of :func:`sim.analysis.kpis.replication_kpis`.

Time 0 is Monday 0:00.  All times in the rows are whole seconds, so every
expected timestamp is exact.

A last group runs the same tiny scenario with real draws (constant delays,
random arrival times and misrouting) and checks the timeline identities on every
order, plus the unit capacity on the whole sample path.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from sim.core.errors import ConfigError

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
from sim.core.calendar import WorkCalendar
from sim.model.backoffice import ST_DISPATCH, ST_QUEUED, ST_SIGNED
from sim.model.compile import compile_config
from sim.model.replication import Replication
from sim.model.residents import CLS_CALL, N_COLS, WORK_ORDER

H, DAY = 3600.0, 86400.0
EMERGENCY, UTILITIES, GENERAL, COMPLEX = range(4)
HANDLE = 60.0  # operator handle time of every contact, seconds
TALK = 100.0  # return-visit talk time, seconds


def C(value: float) -> DistConfig:
    return DistConfig("constant", value=float(value))


@pytest.fixture(scope="module")
def base():
    """single_queue composed once (edited per test as typed dataclasses)."""
    from sim.api import compose_config

    return compose_config("single_queue", ["experiment.warmup_h=0", "experiment.replications=1"])


def tiny(base, *, count=2, case_workers=1, caseload=1, calendar="always", names=(), by_unit=None, weights=(),
         redispatch_h=1.5, review_h=2.0, response_h=3.0, resolution_h=10.0, misroute=0.0,
         limits=None, fb_calendar="always", visit_h=5.0, reach=1.0, reopen=0.0, horizon_h=24.0, drain_h=240.0,
         warmup_h=0.0, per_day=24.0, request_log=True):
    """A one-category, one-unit-type scenario with constant delays (hours) and a one-person feedback team.

    ``limits`` overrides entries of the dispatch/response/close-out limit tables, e.g.
    ``{"closeout_limit_h": {"general": 13}}``.  A unit without case workers must have weight 0 (``weights``):
    the configuration refuses one that orders reach; the tests send their orders to it all the same.
    """
    cfg = copy.deepcopy(base)
    cfg.arrivals.phone.per_day = per_day
    cfg.calls.handle_s = C(HANDLE)
    cfg.calls.patience_s = C(1e9)
    cfg.staffing.operators = 5
    cfg.categories = {"repair": CategoryConfig(share=1.0, direct_share=0.0, urgency={"general": 1.0},
                                               unit_type="dept", resolved_share=1.0)}
    cfg.units = {"dept": UnitTypeConfig(count=count, names=list(names), case_workers=case_workers,
                                        caseload=caseload, calendar=calendar,
                                        case_workers_by_unit=dict(by_unit or {}), weights=list(weights))}
    wo = WorkOrderConfig(dispatch_delay_h={u: C(redispatch_h) for u in URGENCY_CLASSES},
                         misroute_probability=misroute,
                         response_delay_h={u: C(response_h) for u in URGENCY_CLASSES},
                         resolution_h=C(resolution_h))
    if misroute > 0:  # the review is used only when orders are misrouted (a set but unused key is an error)
        wo.review_h = C(review_h)
    for table, values in (limits or {}).items():
        getattr(wo, table).update(values)
    cfg.workorders = wo
    cfg.feedback = FeedbackConfig(mode="team", staffing=StaffingConfig(operators=1), calendar=fb_calendar,
                                  delay_h=C(visit_h), reach_probability=reach, max_attempts=3,
                                  talk_s=C(TALK), no_answer_s=C(30.0),
                                  p_reports_resolved={"resolved": 1.0, "explained": 0.0},
                                  p_satisfied={"resolved": 1.0, "not_resolved": 0.0},
                                  reopen_probability=reopen, max_rounds=2)
    if reach < 1:  # retries are used only when an attempt can fail
        cfg.feedback.retry_delay_h = C(2.0)
    cfg.experiment.horizon_h = horizon_h
    cfg.experiment.drain_h = drain_h
    cfg.experiment.warmup_h = warmup_h
    cfg.report.request_log = request_log
    validate(cfg)
    return cfg


def order(t, unit, *, wrong=-1, urg=GENERAL, dispatch_h=1.0, at_unit=None, review_h=2.0, response_h=3.0,
          resolution_h=10.0, resolved=True, visit_h=5.0, u_reports=0.0, u_satisfied=0.0, u_reopen=0.0):
    """One resident's row (see sim.model.residents COL_*): a phone contact at ``t`` s that becomes a work order.

    ``at_unit`` (seconds) sets the dispatch delay so that the order reaches its unit then (no misrouting)."""
    dispatch_s = dispatch_h * H if at_unit is None else at_unit - t - HANDLE
    row = (float(t), 0, 0, urg, WORK_ORDER, HANDLE, math.inf, CLS_CALL, unit, wrong, dispatch_s, review_h * H,
           response_h * H, resolution_h * H, bool(resolved), visit_h * H, u_reports, u_satisfied, u_reopen)
    assert len(row) == N_COLS
    return row


def replication(cfg, rows, monkeypatch):
    """A Replication whose day 0 holds exactly ``rows`` (and later days nobody)."""
    block = sorted(rows, key=lambda r: r[0])
    monkeypatch.setattr(sim.model.frontline, "day_rows", lambda sc, st, day: list(block) if day == 0 else [])
    return Replication(compile_config(cfg), 0)


def log_row(res, i):
    """Row ``i`` (contact id order) of the request log as a dict."""
    log = res.request_log.contacts
    return {k: v[i] for k, v in log.items()}


def counters(rp):
    """Per-unit counters of the replication as lists of ints."""
    return {k: [int(x) for x in v] for k, v in rp.brec.unit.items()}


def check_times(row, expected, label):
    for field, want in expected.items():
        got = row[field]
        if want is None:
            assert math.isnan(got), f"{label}: {field} should be empty, got {got}"
        else:
            assert got == want, f"{label}: {field} = {got} s ({got / H:.4f} h), expected {want} s ({want / H:.4f} h)"


# --------------------------------------------------------------------------- straight path
def test_exact_timeline_without_misrouting(base, monkeypatch):
    """Contact at 600 s: handled 660, dispatched after its 2 h delay (7860), at the unit and signed at once,
    response 3 h later, close-out 10 h after the response, visit 5 h after the close-out, rated after the talk."""
    cfg = tiny(base)
    rp = replication(cfg, [order(600, 0, dispatch_h=2.0)], monkeypatch)
    res = rp.run()
    row = log_row(res, 0)
    t = 660.0 + 2 * H
    check_times(row, {"t_arrive": 600.0, "t_answered": 600.0, "t_handled": 660.0, "t_dispatched": t,
                      "t_unit": t, "t_signed": t, "t_response": t + 3 * H, "t_closed": t + 13 * H,
                      "t_rated": t + 18 * H + TALK}, "straight order")
    assert (row["state"], row["unit"], row["bounces"], row["round"], row["visit_attempts"]) == (
        "closed_rated", 0, 0, 1, 1), f"straight order: {row}"
    c = counters(rp)
    assert c["orders_received"] == [1, 0] and c["bounced"] == [0, 0] and c["closeouts"] == [1, 0], c
    assert c["response_on_time"] == [1, 0] and c["closeouts_on_time"] == [1, 0] and c["rated"] == [1, 0], c
    assert rp.brec.totals["work_orders"] == 1
    k = replication_kpis(res)
    assert k["time_to_close_mean_h"] == pytest.approx((t + 13 * H - 600.0) / H), f"time to close {k}"
    assert k["time_to_close_median_h"] == pytest.approx((t + 13 * H - 600.0) / H, rel=0.025)


# --------------------------------------------------------------------------- misrouting
def test_misrouted_order_bounces_once_then_reaches_the_right_unit(base, monkeypatch):
    """Row: contact at 0, right unit 0, wrong unit 1, dispatch 1 h, review 2 h.  The order reaches unit 1 at
    3660 s (t_dispatched), is reviewed there until 10860, bounced, re-dispatched after the configured 1.5 h
    (misroute probability 0: to the right unit) and reaches unit 0 at 16260; unit 1 counts the bounce,
    unit 0 the order; dispatch on time is judged on the first dispatch delay (1 h)."""
    cfg = tiny(base, misroute=0.0, redispatch_h=1.5)
    rp = replication(cfg, [order(0, 0, wrong=1, dispatch_h=1.0, review_h=2.0)], monkeypatch)
    rp.env.run(until=3660.0 + 1)
    c = rp.front.live[0]
    assert c.stage == ST_DISPATCH and c.t_dispatched == 3660.0, f"at 3661 s: stage {c.stage}, {c.t_dispatched}"
    assert counters(rp)["bounced"] == [0, 1] and counters(rp)["orders_received"] == [0, 0], counters(rp)
    rp.env.run(until=16260.0 - 1)
    assert c.stage == ST_DISPATCH and c.bounces == 1, f"during re-dispatch: stage {c.stage}, bounces {c.bounces}"
    res = rp.run()
    row = log_row(res, 0)
    check_times(row, {"t_handled": 60.0, "t_dispatched": 3660.0, "t_unit": 16260.0, "t_signed": 16260.0,
                      "t_response": 16260.0 + 3 * H, "t_closed": 16260.0 + 13 * H}, "misrouted order")
    assert row["unit"] == 0 and row["bounces"] == 1 and row["state"] == "closed_rated", row
    cnt = counters(rp)
    assert cnt["bounced"] == [0, 1] and cnt["orders_received"] == [1, 0] and cnt["closeouts"] == [1, 0], cnt
    k = replication_kpis(res)
    assert k["bounce_back_rate"] == 1.0 and k["dispatch_on_time_rate"] == 1.0, k


def test_review_waits_for_the_wrong_units_working_time(base, monkeypatch):
    """Office-hours units (Mon-Fri 9-18): the order reaches wrong unit 1 at Mon 1:01, its 2 h review ends at
    3:01, the bounce waits for the unit's next working time (Mon 9:00); re-dispatched 1.5 h later it reaches
    unit 0 at 10:30 (open: signed at once); response at 13:30; close-out due at 23:30 is filed Tue 9:00."""
    cfg = tiny(base, calendar="office", redispatch_h=1.5)
    rp = replication(cfg, [order(0, 0, wrong=1, dispatch_h=1.0, review_h=2.0)], monkeypatch)
    rp.env.run(until=9 * H - 1)
    assert rp.front.live[0].bounces == 0, "bounced before the wrong unit opened"
    res = rp.run()
    check_times(log_row(res, 0), {"t_dispatched": 3660.0, "t_unit": 10.5 * H, "t_signed": 10.5 * H,
                                  "t_response": 13.5 * H, "t_closed": DAY + 9 * H}, "office-hours bounce")


def test_repeated_misrouting_counts_every_bounce(base, monkeypatch):
    """misroute_probability 1 with two units: every re-dispatch goes to the wrong unit again, so the order
    bounces between the units forever; bounces accumulate on unit 1 and it stays in dispatch (open).
    (Validation rejects a probability of 1 for that reason; the engine is tested with it set afterwards.)"""
    cfg = tiny(base, misroute=0.5, redispatch_h=1.0, review_h=1.0, horizon_h=24.0, drain_h=0.0)
    cfg.workorders.misroute_probability = 1.0
    rp = replication(cfg, [order(0, 0, wrong=1, dispatch_h=1.0, review_h=1.0)], monkeypatch)
    res = rp.run()
    # arrivals at unit 1: 3660 + 7200 k < 86400 -> k = 0..11
    assert counters(rp)["bounced"] == [0, 12], counters(rp)
    assert accounting(res)["open:in_dispatch"] == 1, accounting(res)
    assert log_row(res, 0)["bounces"] == 11 and log_row(res, 0)["state"] == "open:in_dispatch"


# --------------------------------------------------------------------------- capacity and signing order
def test_capacity_queue_signs_most_urgent_class_then_earliest_deadline(base, monkeypatch):
    """One unit with one slot.  A (general) is signed at 1 h and holds the slot 23 h; then arrive B general
    (2 h), C complex (3 h), D emergency (4 h), E utilities (5 h), F general (6 h), G emergency (7 h).
    They wait, and are signed one at a time, each when the previous closes: D, G, E, B, F, C."""
    cfg = tiny(base, count=1, limits={"closeout_limit_h": {"emergency": 500, "utilities": 500}})
    arrive = {"A": (1, GENERAL), "B": (2, GENERAL), "C": (3, COMPLEX), "D": (4, EMERGENCY),
              "E": (5, UTILITIES), "F": (6, GENERAL), "G": (7, EMERGENCY)}
    names = list(arrive)
    rows = [order(k * 60.0, 0, urg=urg, at_unit=h * H, response_h=3, resolution_h=20)
            for k, (h, urg) in enumerate(arrive.values())]
    rp = replication(cfg, rows, monkeypatch)
    rp.env.run(until=8 * H)
    unit = rp.back.units[0]
    assert unit.capacity == 1 and unit.free == 0 and len(unit.queue) == 6, (
        f"at 8 h: capacity {unit.capacity}, free {unit.free}, queued {len(unit.queue)}")
    assert [rp.front.live[i].stage for i in range(7)] == [ST_SIGNED] + [ST_QUEUED] * 6
    res = rp.run()
    log = res.request_log.contacts
    by_sign = [names[i] for i in np.argsort(log["t_signed"])]
    assert by_sign == ["A", "D", "G", "E", "B", "F", "C"], f"signing order {by_sign}"
    for i in range(7):
        assert log["t_unit"][i] == arrive[names[i]][0] * H, f"{names[i]} at unit {log['t_unit'][i]}"
    signed, closed = np.sort(log["t_signed"]), np.sort(log["t_closed"])
    assert np.array_equal(signed[1:], closed[:-1]), (
        f"each order should be signed when the previous closes: signed {signed / H}, closed {closed / H}")
    assert np.array_equal(closed - signed, np.full(7, 23 * H)), "response 3 h + resolution 20 h"


def test_capacity_two_serves_two_at_once(base, monkeypatch):
    """case_workers 2 x caseload 1: two orders in progress at once, the third waits for the first close-out."""
    cfg = tiny(base, count=1, case_workers=2)
    rows = [order(k * 60.0, 0, dispatch_h=1.0) for k in range(3)]
    res = replication(cfg, rows, monkeypatch).run()
    log = res.request_log.contacts
    assert np.array_equal(log["t_signed"], log["t_unit"][:2].tolist() + [log["t_closed"][0]]), (
        f"signed {log['t_signed']}, at unit {log['t_unit']}, closed {log['t_closed']}")


def test_zero_capacity_unit_never_signs(base, monkeypatch):
    """A unit with no case workers (capacity 0) keeps its orders queued; the other unit works normally.  The
    configuration refuses such a unit when it receives orders (the model is tested on it all the same)."""
    with pytest.raises(ConfigError, match="empty receives work orders"):
        tiny(base, names=["full", "empty"], by_unit={"empty": 0}, horizon_h=48, drain_h=0)
    cfg = tiny(base, names=["full", "empty"], by_unit={"empty": 0}, weights=[1, 0], horizon_h=48, drain_h=0)
    res = replication(cfg, [order(0, 1), order(60, 0)], monkeypatch).run()
    states = res.request_log.contacts["state"].tolist()
    assert states == ["open:queued_at_unit", "closed_rated"], f"states {states}"


# --------------------------------------------------------------------------- calendars at the unit
def test_office_hours_unit_signs_responds_and_closes_only_at_work(base, monkeypatch):
    """Office hours Mon-Fri 9-18, response 3 h, resolution 10 h, limits: response 50 h, close-out 50 h.

    * X reaches the unit Sat 10:00, waits (slot free, unit closed), signed Mon 9:00, response Mon 12:00
      (50 h after arrival: on time, at the limit), close-out filed Tue 9:00 (71 h: late);
    * Y reaches it Fri 17:00, signed at once, response due 20:00 made Mon 9:00 (64 h: late),
      close-out filed Tue 9:00 (88 h: late);
    * Z reaches it Mon 10:00, response 13:00 (3 h), close-out filed Tue 9:00 (23 h: on time)."""
    cfg = tiny(base, count=1, case_workers=3, calendar="office",
               limits={"response_limit_h": {"general": 50}, "closeout_limit_h": {"general": 50}})
    at_unit = {"X": 5 * DAY + 10 * H, "Y": 4 * DAY + 17 * H, "Z": 10 * H}
    rows = [order(k * 60.0, 0, at_unit=t) for k, t in enumerate(at_unit.values())]
    rp = replication(cfg, rows, monkeypatch)
    rp.env.run(until=5 * DAY + 12 * H)
    x = rp.front.live[0]
    assert x.stage == ST_QUEUED and rp.back.units[0].free > 0, (
        f"Sat 12:00: X should wait at the closed unit with a free slot (stage {x.stage}, "
        f"free {rp.back.units[0].free})")
    res = rp.run()
    mon, tue = 7 * DAY, 8 * DAY
    expected = {"X": (mon + 9 * H, mon + 12 * H, tue + 9 * H), "Y": (4 * DAY + 17 * H, mon + 9 * H, tue + 9 * H),
                "Z": (10 * H, 13 * H, DAY + 9 * H)}
    for i, (name, (signed, responded, closed)) in enumerate(expected.items()):
        check_times(log_row(res, i), {"t_unit": at_unit[name], "t_signed": signed, "t_response": responded,
                                      "t_closed": closed}, f"office order {name}")
    c = counters(rp)
    assert c["response_due"] == [3] and c["response_on_time"] == [2], f"response counters {c}"
    assert c["closeouts_due"] == [3] and c["closeouts_on_time"] == [1], f"close-out counters {c}"
    k = replication_kpis(res)
    assert k["response_rate"] == pytest.approx(2 / 3) and k["closeout_on_time_rate"] == pytest.approx(1 / 3), k


@pytest.mark.parametrize("limit_h,on_time", [(13.0, True), (12.5, False)])
def test_closeout_on_time_is_measured_from_arrival_at_the_unit(base, monkeypatch, limit_h, on_time):
    """Close-out 13 h after arrival at the unit (3 h response + 10 h resolution), after a 5 h dispatch and a
    bounce: on time iff 13 h <= closeout_limit_h (time before the unit does not count)."""
    cfg = tiny(base, limits={"closeout_limit_h": {"general": limit_h},  # (a close-out limit under the response
                             "response_limit_h": {"general": limit_h}})  # limit is refused)
    rp = replication(cfg, [order(0, 0, wrong=1, dispatch_h=5.0)], monkeypatch)
    res = rp.run()
    c = counters(rp)
    assert c["closeouts_due"] == [1, 0] and c["closeouts_on_time"] == [int(on_time), 0], (
        f"closeout_limit_h={limit_h}: {c}")
    assert replication_kpis(res)["closeout_on_time_rate.general"] == float(on_time)


# --------------------------------------------------------------------------- dispatch on time
def test_dispatch_on_time_per_class_against_its_limit(base, monkeypatch):
    """Limits 1/2/24/24 h: emergency 1 h (at the limit: on time) and 1 h + 1 s (late); utilities 1.5 h (on time)
    and 2.5 h (late); general 24 h (on time); complex 30 h (late).  Counted per class at creation."""
    cfg = tiny(base, count=1, case_workers=10, limits={"closeout_limit_h": {"emergency": 500}})
    cases = [(EMERGENCY, 1.0), (EMERGENCY, 1.0 + 1 / H), (UTILITIES, 1.5), (UTILITIES, 2.5), (GENERAL, 24.0),
             (COMPLEX, 30.0)]
    rows = [order(k * 60.0, 0, urg=u, dispatch_h=d) for k, (u, d) in enumerate(cases)]
    rp = replication(cfg, rows, monkeypatch)
    res = rp.run()
    g = {k: [int(x) for x in v] for k, v in rp.brec.urgency.items()}
    assert g["dispatched"] == [2, 2, 1, 1] and g["dispatch_on_time"] == [1, 1, 1, 0], f"per class {g}"
    k = replication_kpis(res)
    want = {"emergency": 0.5, "utilities": 0.5, "general": 1.0, "complex": 0.0}
    got = {cls: k[f"dispatch_on_time_rate.{cls}"] for cls in want}
    assert got == want, f"dispatch_on_time_rate per class {got}"
    assert k["dispatch_on_time_rate"] == pytest.approx(3 / 6)


# --------------------------------------------------------------------------- open orders at the end
def test_open_orders_past_their_deadline_count_as_late(base, monkeypatch):
    """Horizon 48 h, no drain; unit 'empty' has no case workers.  Five orders wait there from 1, 10, 20, 30,
    40 h: at the end (48 h) three have waited more than the 24 h response limit and two more than the 30 h
    close-out limit - they count as due and late; unit 'full' holds an order signed at 1 h whose 100 h
    resolution runs past its deadline (31 h): one late close-out; its response (3 h) was on time."""
    cfg = tiny(base, names=["full", "empty"], by_unit={"empty": 0}, horizon_h=48, drain_h=0,
               weights=[1, 0], limits={"closeout_limit_h": {"general": 30}})
    waits = [1, 10, 20, 30, 40]
    rows = [order(k * 60.0, 1, at_unit=h * H) for k, h in enumerate(waits)]
    rows.append(order(600.0, 0, at_unit=H, resolution_h=100))
    rp = replication(cfg, rows, monkeypatch)
    res = rp.run()
    c = counters(rp)
    assert c["response_due"] == [1, 3] and c["response_on_time"] == [1, 0], f"response counters {c}"
    assert c["closeouts_due"] == [1, 2] and c["closeouts_on_time"] == [0, 0] and c["closeouts"] == [0, 0], c
    acc = accounting(res)
    assert acc["open:queued_at_unit"] == 5 and acc["open:in_progress"] == 1, acc
    k = replication_kpis(res)
    assert k["response_rate"] == pytest.approx(1 / 4) and k["closeout_on_time_rate"] == 0.0, k


# --------------------------------------------------------------------------- the measurement window
def test_counters_cover_the_window_cohort_only(base, monkeypatch):
    """Warm-up 1 h: an order of a contact that arrived at 0:10 (warm-up) is worked like any other but left out
    of every back-office counter; the one that arrived at 1:10 is counted."""
    cfg = tiny(base, warmup_h=1.0, misroute=0.0)
    rp = replication(cfg, [order(600, 0, wrong=1), order(4200, 0, wrong=1)], monkeypatch)
    res = rp.run()
    states = res.request_log.contacts["state"].tolist()
    assert states == ["closed_rated", "closed_rated"], states
    c = counters(rp)
    for name in ("orders_received", "closeouts", "rated", "response_due", "visits_reached"):
        assert sum(c[name]) == 1, f"{name}: {c[name]} (only the window contact should count)"
    assert c["bounced"] == [0, 1], f"bounced {c['bounced']}"
    assert rp.brec.totals["work_orders"] == 1 and sum(rp.brec.close_n) == 1
    assert int(sum(rp.brec.urgency["dispatched"])) == 1
    assert sum(rp.brec.daily["work_orders_created"]) == 2, "the daily table counts by event time, warm-up included"


# --------------------------------------------------------------------------- real draws
@pytest.fixture(scope="module")
def random_run(base):
    """Tiny scenario with real draws: 3 units (capacity 4), office calendar, misrouting 0.4, 60 contacts/day."""
    cfg = tiny(base, count=3, case_workers=2, caseload=2, calendar="office", misroute=0.4, redispatch_h=1.5,
               review_h=2.0, response_h=3.0, resolution_h=4.0, per_day=60.0, horizon_h=48.0, drain_h=500.0)
    rp = Replication(compile_config(cfg), 0)
    return cfg, rp, rp.run()


def test_random_orders_follow_the_timeline_rules(random_run):
    """Every order (real draws, constant delays): dispatched 1.5 h after handling; at the right unit after
    one (review + working-time wait + 1.5 h re-dispatch) per bounce; signed at an open time at or after
    arrival; response = next working time after signing + 3 h; close-out = next working time after
    response + 4 h; every order ends closed and rated."""
    cfg, rp, res = random_run
    cal = WorkCalendar(cfg.calendars["office"].days, 9.0, 18.0, 0)
    log = res.request_log.contacts
    n_bounced = 0
    for i in range(len(log["id"])):
        r = {k: v[i] for k, v in log.items()}
        label = f"order {r['id']} (bounces {r['bounces']})"
        assert r["t_dispatched"] == pytest.approx(r["t_handled"] + 1.5 * H, abs=1e-6), label
        t = r["t_dispatched"]
        for _ in range(r["bounces"]):
            t = cal.next_open(t + 2 * H) + 1.5 * H
        assert r["t_unit"] == pytest.approx(t, abs=1e-6), f"{label}: at unit {r['t_unit']}, expected {t}"
        n_bounced += r["bounces"] > 0
        assert r["t_signed"] >= r["t_unit"] and cal.is_open(r["t_signed"]), f"{label}: signed {r['t_signed']}"
        assert r["t_response"] == pytest.approx(cal.next_open(r["t_signed"] + 3 * H), abs=1e-6), label
        assert r["t_closed"] == pytest.approx(cal.next_open(r["t_response"] + 4 * H), abs=1e-6), label
        assert r["state"] == "closed_rated", f"{label}: state {r['state']}"
    assert n_bounced > 20, f"only {n_bounced} bounced orders: the test needs misrouting"
    assert rp.brec.unit["bounced"] and sum(rp.brec.unit["bounced"]) == int(log["bounces"].sum()), (
        f"bounced counter {rp.brec.unit['bounced']} != bounces in the log {int(log['bounces'].sum())}")


def test_random_orders_respect_capacity_and_are_signed_without_idling(random_run):
    """Per unit: never more orders signed and not closed than its capacity (4); an order that waited was
    signed either at the unit's opening or when another order of the unit closed (no idle slot while
    it waited during working time)."""
    cfg, rp, res = random_run
    cal = WorkCalendar(cfg.calendars["office"].days, 9.0, 18.0, 0)
    log = res.request_log.contacts
    waited = 0
    for u in range(3):
        m = log["unit"] == u
        signed, closed = log["t_signed"][m], log["t_closed"][m]
        events = sorted([(s, 1) for s in signed] + [(c, -1) for c in closed], key=lambda e: (e[0], e[1]))
        level = np.cumsum([d for _, d in events])
        assert rp.back.units[u].capacity == 4
        assert level.max() == 4, f"unit {u}: at most {level.max()} orders in progress at once (capacity 4)"
        closes = set(closed.tolist())
        for s, a in zip(signed, log["t_unit"][m]):
            if s > a:
                waited += 1
                assert s in closes or s == cal.next_open(a), (
                    f"unit {u}: order at unit {a / H:.3f} h signed {s / H:.3f} h, neither at an opening nor a close")
    assert waited > 10, f"only {waited} orders waited: the test needs queueing"


# --------------------------------------------------------------------------- daily backlog
def _backlog_rows():
    """Six orders reaching unit 0 (capacity 2) at 1-6 h, each holding its slot 30 h (response 3 h + 27 h)."""
    return [order(k * 60.0, 0, at_unit=(k + 1) * H, resolution_h=27.0) for k in range(6)]


def test_backlog_sampled_at_the_end_of_each_day(base, monkeypatch):
    """Horizon 48 h, no drain: at the end of day 0 (24 h) two orders are in progress and four queued at the
    unit (capacity 2): backlog 6, queued 4; the daily table counts the six orders created on day 0."""
    cfg = tiny(base, count=1, case_workers=2, horizon_h=48.0, drain_h=0.0)
    rp = replication(cfg, _backlog_rows(), monkeypatch)
    rp.run()
    assert rp.brec.backlog["dept"][0] == 6 and rp.brec.queued["dept"][0] == 4, (
        f"day 0: backlog {rp.brec.backlog['dept']}, queued {rp.brec.queued['dept']}")
    assert rp.brec.daily["work_orders_created"] == [6, 0], rp.brec.daily["work_orders_created"]


@pytest.mark.parametrize("horizon_h,drain_h", [(24.0, 0.0), (24.0, 24.0)], ids=["no_drain", "drain_1_day"])
def test_backlog_of_the_last_day_is_the_backlog_at_the_end(base, monkeypatch, horizon_h, drain_h):
    """The run ends at the end of its last day: the last day's backlog must be the orders still at the unit then
    (queued + in progress per the accounting), not 0."""
    cfg = tiny(base, count=1, case_workers=2, horizon_h=horizon_h, drain_h=drain_h)
    rp = replication(cfg, _backlog_rows(), monkeypatch)
    res = rp.run()
    acc = accounting(res, window_only=False)
    at_unit = acc["open:queued_at_unit"] + acc["open:in_progress"]
    assert at_unit > 0, acc
    assert rp.brec.backlog["dept"][-1] == at_unit, (
        f"horizon {horizon_h} h + drain {drain_h} h: last day's backlog {rp.brec.backlog['dept'][-1]}, "
        f"but {at_unit} orders are at the unit when the run stops ({acc})")
