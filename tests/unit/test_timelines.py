"""Exact timelines of the online deadline and of a callback, on tiny deterministic settings.

The day's residents are replaced by a fixed block (as in tests/unit/test_frontline.py); one operator; every
time, count and state below is worked out by hand from the block, and checked against the operator pool's
events, the interval records, the callback records and the request log.

* **Online deadline** (``online.deadline_h=0.25``: 900 s).  Call A 1..1001 holds the operator; online items
  O1@50, O2@101, O3@300, O4@401 (100 s each) and O5@1350 (10 s) are taken at 1001, 1101, 1201, 1301 and
  1401: waits 951, 1000, 901, 900 and 51 s.  An item accepted after its deadline is late, one accepted at
  it is on time: 2 of 5 on time (O4, O5), ``online_on_time_rate`` 0.4; all 5 accepted; total online wait
  3,803 s.
* **Callback** (``virtual_queue``, offer above 60 s, mean handle 240 s, window 900 s).  Call A 1..1001.
  B@10 (service 100 s, accepts: its uniform 0 < 0.5) finds nobody ahead: estimated wait (0 + 1) x 240 s =
  240 s > 60 s, offered, accepts and hangs up; C@20 (uniform 0.9: declines) finds B's callback ahead:
  (1 + 1) x 240 = 480 s, offered, declines and waits.  Reached at the first attempt
  (``reach_probability=1``): B is called back at 1001 (delay 991 s, past the 900 s window), handled
  1001..1101; C is answered at 1101 and handled 1101..1151.  Not reached (``reach_probability=0``, two
  attempts, 30 s each, 600 s apart): attempts at 1001..1031 and 1631..1661, C served 1031..1081 in
  between, and B ends ``callback_not_reached`` at 1661.
"""

from __future__ import annotations

import copy
import math

import pytest

import sim.model.frontline
import sim.model.replication
from sim.config.routing import CallbackConfig
from sim.config.schema import DistConfig
from sim.model.checks import validate
from sim.model.frontline import FrontLine
from sim.model.replication import run_replication
from sim.model.residents import CLS_CALL, CLS_ONLINE, N_COLS
from sim.records.intervals import TERMINAL_STATES

PHONE, ONLINE, GENERAL, DIRECT = 0, 1, 2, 0
T = {s: i for i, s in enumerate(TERMINAL_STATES)}


@pytest.fixture(scope="module")
def one_operator():
    """single_queue with one operator over 1 h (no warm-up, one replication), every call patient (10,000 s)."""
    from sim.api import compose_config

    cfg = compose_config("single_queue", ["experiment.horizon_h=1", "experiment.warmup_h=0",
                                          "experiment.replications=1", "staffing.operators=1",
                                          "report.request_log=true"])
    cfg.calls.patience_s = DistConfig("constant", value=10000.0)
    return cfg


def _row(t, channel, service_s, cls, u_callback=None):
    """A resident of the block: arrival, channel, category 0, general, answered directly, service, patience."""
    row = (t, channel, 0, GENERAL, DIRECT, service_s, 10000.0 if channel == PHONE else math.inf, cls)
    row += (0,) * (N_COLS - len(row))
    return row + ((u_callback,) if u_callback is not None else ())


def _run(cfg, monkeypatch, block):
    """Run the block; return (result, pool events [(event, time, contact id)])."""
    events = []

    class Logged(FrontLine):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            for name in ("_on_start", "_on_end"):
                inner = getattr(self.pool, name)

                def wrapped(c, now, inner=inner, name=name):
                    events.append((name[4:], now, c.id))
                    inner(c, now)

                setattr(self.pool, name, wrapped)

    monkeypatch.setattr(sim.model.frontline, "day_rows", lambda sc, st, day: list(block) if day == 0 else [])
    monkeypatch.setattr(sim.model.replication, "FrontLine", Logged)
    return run_replication(cfg, 0), events


def _total(res, name):
    return float(res.intervals[name].sum())


# ----------------------------------------------------------------------------------------------- online deadline
def test_online_item_accepted_after_its_deadline_is_late(one_operator, monkeypatch):
    cfg = copy.deepcopy(one_operator)
    cfg.online.deadline_h = 0.25
    cfg.arrivals.online.per_day = 24.0  # online settings need online demand; the block replaces the draws
    validate(cfg)
    block = [_row(1, PHONE, 1000, CLS_CALL), *(_row(t, ONLINE, 100, CLS_ONLINE) for t in (50, 101, 300, 401)),
             _row(1350, ONLINE, 10, CLS_ONLINE)]
    res, events = _run(cfg, monkeypatch, block)
    starts = [(t, i) for e, t, i in events if e == "start"]
    assert starts == [(1, 0), (1001, 1), (1101, 2), (1201, 3), (1301, 4), (1401, 5)], starts
    assert (_total(res, "online_offered"), _total(res, "online_accepted")) == (5, 5)
    assert _total(res, "online_on_time") == 2, "on time: O4 (waited exactly 900 s) and O5 (51 s); O1-O3 are late"
    assert _total(res, "wait_online_s") == 951 + 1000 + 901 + 900 + 51
    assert res.intervals["online_on_time"][0] == 2, "counted in the items' arrival interval (all in the first)"
    from sim.analysis.kpis import replication_kpis

    assert replication_kpis(res)["online_on_time_rate"] == 0.4


# ----------------------------------------------------------------------------------------------------- callbacks
def _with_callbacks(base, reach, attempts):
    cfg = copy.deepcopy(base)
    cfg.routing.callback = CallbackConfig(enabled=True, offer_when_wait_s=60.0, accept_probability=0.5,
                                          mode="virtual_queue", window_s=900.0, reach_probability=reach,
                                          max_attempts=attempts, retry_delay_s=600.0, no_answer_s=30.0)
    validate(cfg)
    return cfg


BLOCK = [_row(1, PHONE, 1000, CLS_CALL, 0.0), _row(10, PHONE, 100, CLS_CALL, 0.0), _row(20, PHONE, 50, CLS_CALL, 0.9)]
A, B, C = 0, 1, 2


def _callback_counts(res):
    return {k: float(v.sum()) for k, v in res.callbacks.counters().items()}


def test_callback_reached_timeline(one_operator, monkeypatch):
    res, events = _run(_with_callbacks(one_operator, 1.0, 3), monkeypatch, BLOCK)
    assert events == [("start", 1, A), ("end", 1001, A), ("start", 1001, B), ("end", 1101, B), ("start", 1101, C),
                      ("end", 1151, C)], events
    counts = _callback_counts(res)
    assert counts == {"offered": 2, "accepted": 1, "completed": 1, "not_reached": 0, "pending": 0,
                      "missed_window": 1, "delay_s": 991.0, "attempts": 1}, counts
    assert res.terminal[T["answered_direct"]].sum() == 3 and res.open.sum() == 0
    log = res.request_log.contacts
    b = list(log["id"]).index(B)
    assert (log["t_arrive"][b], log["t_left"][b], log["t_answered"][b], log["t_handled"][b]) == (10, 10, 1001, 1101)
    assert (log["callback"][b], log["state"][b]) == (1, "answered_direct")
    c = list(log["id"]).index(C)
    assert (log["callback"][c], log["t_answered"][c], log["t_handled"][c]) == (0, 1101, 1151)
    assert _total(res, "calls_abandoned") == 0


def test_callback_not_reached_timeline(one_operator, monkeypatch):
    res, events = _run(_with_callbacks(one_operator, 0.0, 2), monkeypatch, BLOCK)
    assert events == [("start", 1, A), ("end", 1001, A), ("start", 1001, B), ("end", 1031, B), ("start", 1031, C),
                      ("end", 1081, C), ("start", 1631, B), ("end", 1661, B)], events
    counts = _callback_counts(res)
    assert counts == {"offered": 2, "accepted": 1, "completed": 0, "not_reached": 1, "pending": 0,
                      "missed_window": 1, "delay_s": 0.0, "attempts": 2}, counts
    assert res.terminal[T["callback_not_reached"]].sum() == 1 and res.terminal[T["answered_direct"]].sum() == 2
    log = res.request_log.contacts
    b = list(log["id"]).index(B)
    assert (log["state"][b], log["t_left"][b]) == ("callback_not_reached", 10) and math.isnan(log["t_answered"][b])
