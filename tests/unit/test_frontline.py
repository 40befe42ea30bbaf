"""Unit tests of :mod:`sim.model.frontline` through :func:`sim.model.replication.run_replication`.

Three kinds of checks:

* exact agreement with an independent reference: for a single FIFO queue with
  reneging, every per-interval record of ``run_replication`` is recomputed from
  the same residents (:func:`sim.model.residents.day_rows`) by a 20-line multi-server
  FIFO recursion;
* deterministic timelines: the day's arrivals are replaced by a fixed block of
  residents and the exact outcome (waits, redials, records) is asserted;
* structural invariants on random runs (fixed seeds): priority and channel
  order whenever an operator takes an item, redial limits, accounting.

Configurations start from ``compose_config("single_queue", ...)`` (composed once
per module) and are varied by editing the typed dataclasses, then re-validated.
"""

from __future__ import annotations

import copy
import heapq
import math

import numpy as np
import pytest

import sim.model.frontline
import sim.model.replication
from sim.config.schema import DistConfig, RetrialConfig
from sim.model.checks import validate
from sim.core.engine import WAITING
from sim.core.errors import ConfigError
from sim.core.rng import Streams
from sim.model.compile import compile_config
from sim.model.frontline import FrontLine
from sim.model.replication import run_replication
from sim.model.residents import CLS_CALL, CLS_ONLINE, CLS_URGENT, N_COLS, day_rows
from sim.records.intervals import OPEN_STATES, TERMINAL_STATES

PHONE, ONLINE = 0, 1
EMERGENCY, GENERAL = 0, 2
DIRECT, WORK_ORDER, TRANSFER = 0, 1, 2
T = {s: i for i, s in enumerate(TERMINAL_STATES)}
O = {s: i for i, s in enumerate(OPEN_STATES)}


@pytest.fixture(scope="module")
def base_cfg():
    """single_queue, 2 h horizon, no warm-up, one replication."""
    from sim.api import compose_config

    return compose_config("single_queue", ["experiment.horizon_h=2", "experiment.warmup_h=0",
                                           "experiment.replications=1"])


def variant(base, **edits):
    """Deep copy of ``base`` with dotted-path edits applied, re-validated."""
    cfg = copy.deepcopy(base)
    for path, value in edits.items():
        obj = cfg
        parts = path.split("__")
        for p in parts[:-1]:
            obj = obj[p] if isinstance(obj, dict) else getattr(obj, p)
        if isinstance(obj, dict):
            obj[parts[-1]] = value
        else:
            setattr(obj, parts[-1], value)
    validate(cfg)
    return cfg


def instrumented(monkeypatch, block=None):
    """Make run_replication use a FrontLine that logs pool events (and optionally serves a fixed day-0 block).

    Returns the log: a list of (event, now, contact, attempt, waiting-per-class snapshot).
    """
    log = []

    class Logged(FrontLine):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            pool = self.pool
            for name in ("_on_start", "_on_end", "_on_renege"):
                inner = getattr(pool, name)

                def wrapped(c, now, inner=inner, name=name, pool=pool):
                    log.append((name[4:], now, c, c.attempt, list(pool.waiting)))
                    inner(c, now)

                setattr(pool, name, wrapped)
    if block is not None:
        rows = [tuple(r) + (0,) * (N_COLS - len(r)) for r in block]
        monkeypatch.setattr(sim.model.frontline, "day_rows", lambda sc, st, day: list(rows) if day == 0 else [])
    monkeypatch.setattr(sim.model.replication, "FrontLine", Logged)
    return log


def totals(res):
    return {k: float(v.sum()) for k, v in res.intervals.items()}


# --------------------------------------------------------------------------- exact FIFO reference
def _fifo_reference(block, c, horizon, interval, threshold):
    """Records of a c-server FIFO queue with reneging, recomputed from the residents' attributes."""
    n_iv = int(round(horizon / interval))
    z = lambda: np.zeros(n_iv)  # noqa: E731
    r = {k: z() for k in ("calls_offered", "calls_answered", "answered_in_threshold", "calls_abandoned",
                          "wait_answered_s", "wait_abandoned_s", "busy_s", "queue_calls_s")}
    term, opn = np.zeros((len(TERMINAL_STATES), n_iv)), np.zeros((len(OPEN_STATES), n_iv))

    def spread(col, a, b):  # add the overlap of [a, b) with every interval
        for k in range(int(a // interval), min(int(math.ceil(b / interval)), n_iv)):
            lo, hi = max(a, k * interval), min(b, (k + 1) * interval)
            if hi > lo:
                r[col][k] += hi - lo

    free = [0.0] * c  # times at which each operator becomes free
    for row in block:
        t, ch, cat, urg, kind, s, p, cls = row[:8]
        assert kind == DIRECT and cls == CLS_CALL and ch == PHONE, f"reference covers direct calls only: {row}"
        if t >= horizon:
            break
        iv = min(int(t / interval), n_iv - 1)
        r["calls_offered"][iv] += 1
        f = free[0]
        if f < t + p:  # an operator frees (or is free) before the caller's patience runs out
            start = max(t, f)
            heapq.heapreplace(free, start + s)
            if start < horizon:
                r["calls_answered"][iv] += 1
                r["wait_answered_s"][iv] += start - t
                r["answered_in_threshold"][iv] += (start - t) <= threshold
                spread("queue_calls_s", t, start)
                spread("busy_s", start, min(start + s, horizon))
                if start + s < horizon:
                    term[T["answered_direct"], iv] += 1
                else:
                    opn[O["with_operator"], iv] += 1
            else:
                spread("queue_calls_s", t, horizon)
                opn[O["waiting_operator"], iv] += 1
        elif t + p < horizon:
            r["calls_abandoned"][iv] += 1
            r["wait_abandoned_s"][iv] += p
            spread("queue_calls_s", t, t + p)
            term[T["abandoned"], iv] += 1
        else:
            spread("queue_calls_s", t, horizon)
            opn[O["waiting_operator"], iv] += 1
    return r, term, opn


@pytest.mark.parametrize("ops,handle,patience", [
    (110, DistConfig("exponential", mean=240.0), DistConfig("exponential", mean=90.0)),
    (100, DistConfig("constant", value=200.0), DistConfig("constant", value=45.0)),
    (118, DistConfig("lognormal", mean=240.0, cv=1.2), DistConfig("uniform", low=0.0, high=120.0)),
], ids=["MM110+M", "DD100+D", "lognormal118+uniform"])
def test_single_queue_matches_fifo_reference_exactly(base_cfg, ops, handle, patience):
    """single_queue (0.5 calls/s, 2 h): every per-interval count, wait sum and area, and the terminal/open
    accounting, equal a multi-server FIFO-with-reneging recursion run on the same residents."""
    cfg = variant(base_cfg, staffing__operators=ops, calls__handle_s=handle, calls__patience_s=patience)
    sc = compile_config(cfg)
    block = day_rows(sc, Streams(cfg.experiment.seed, 0), 0)
    ref, term, opn = _fifo_reference(block, ops, sc.clock.horizon_s, sc.clock.interval_s, sc.answer_threshold_s)
    res = run_replication(cfg, 0)
    label = f"operators={ops}, handle={handle.dist}, patience={patience.dist}"
    for col, want in ref.items():
        np.testing.assert_allclose(res.intervals[col], want, rtol=1e-9, atol=1e-6, err_msg=f"{label}: {col}")
    np.testing.assert_allclose(res.intervals["staffed_s"], ops * sc.clock.interval_s, rtol=1e-12,
                               err_msg=f"{label}: staffed_s")
    np.testing.assert_array_equal(res.terminal, term, err_msg=f"{label}: terminal states")
    np.testing.assert_array_equal(res.open, opn, err_msg=f"{label}: open states")
    assert ref["calls_abandoned"].sum() > 20 and ref["calls_answered"].sum() > 1000, f"{label}: not a queueing case"
    assert res.contacts_created == ref["calls_offered"].sum(), f"{label}: contacts created"


def test_no_waiting_when_operators_exceed_arrivals(base_cfg):
    """per_day=240 (20 calls in 2 h) with 100 operators and constant 60 s handle: every call is answered at once."""
    cfg = variant(base_cfg, arrivals__phone__per_day=240.0, staffing__operators=100,
                  calls__handle_s=DistConfig("constant", value=60.0))
    tot = totals(run_replication(cfg, 0))
    assert tot["calls_offered"] > 5, tot
    assert tot["calls_answered"] == tot["calls_offered"] == tot["answered_in_threshold"], tot
    assert tot["wait_answered_s"] == 0.0 and tot["calls_abandoned"] == 0 and tot["queue_calls_s"] == 0.0, tot


def test_same_seed_same_result_and_replications_differ(base_cfg):
    """run_replication is a pure function of (config, replication): rerun identical, replication 1 differs."""
    cfg = variant(base_cfg, staffing__operators=115)
    a, b, c = run_replication(cfg, 0), run_replication(cfg, 0), run_replication(cfg, 1)
    for col in a.intervals:
        np.testing.assert_array_equal(a.intervals[col], b.intervals[col], err_msg=f"rerun differs in {col}")
    assert not np.array_equal(a.intervals["calls_offered"], c.intervals["calls_offered"]), "replication 1 == 0"


# --------------------------------------------------------------------------- deterministic blocks
def _call(t, s, p=math.inf, urg=GENERAL, kind=DIRECT, cls=CLS_CALL):
    return (t, PHONE, 0, urg, kind, s, p, cls)


def _online(t, s, patience=math.inf):
    return (t, ONLINE, 0, GENERAL, DIRECT, s, patience, CLS_ONLINE)


@pytest.fixture
def one_operator(base_cfg):
    """1 operator, 1 h horizon, redial after exactly 50 s with probability 1 (at most once), redial patience 10000 s."""
    return variant(base_cfg, staffing__operators=1, experiment__horizon_h=1.0,
                   calls__patience_s=DistConfig("constant", value=10000.0),
                   calls__retrial=RetrialConfig(probability=1.0, delay_s=DistConfig("constant", value=50.0),
                                                max_retrials=1))


def _starts(log):
    return [(round(now, 6), c.id) for ev, now, c, att, w in log if ev == "start"]


def test_block_priority_and_online_order(one_operator, monkeypatch):
    """1 operator: call A 1..101; online O@10, call B@20, urgent E@30 -> after A: E (urgent), B (call), O (online),
    though O arrived first; waits and online records follow."""
    block = [_call(1, 100), _online(10, 50), _call(20, 30), _call(30, 10, urg=EMERGENCY, kind=TRANSFER,
                                                                   cls=CLS_URGENT)]
    log = instrumented(monkeypatch, block)
    res = run_replication(one_operator, 0)
    assert _starts(log) == [(1, 0), (101, 3), (111, 2), (141, 1)], _starts(log)
    tot = totals(res)
    assert tot["calls_offered"] == 3 and tot["online_offered"] == 1, tot
    assert tot["wait_answered_s"] == pytest.approx(0 + 71 + 91), tot  # E waits 71, B waits 91
    assert tot["wait_online_s"] == pytest.approx(131) and tot["online_accepted"] == 1, tot
    assert tot["answered_in_threshold"] == 1, tot  # only A (wait 0) within 20 s
    assert res.terminal[T["transferred_emergency"]].sum() == 1 and res.terminal[T["answered_direct"]].sum() == 3


def test_block_redial_abandons_again_then_terminal(one_operator, monkeypatch):
    """A holds the operator 1..2001; B (patience 5) abandons at 15, redials at 65 and (redial patience 10000)
    waits; with max_retrials=1 it is answered at 2001 after one retrial; records count 1 retrial."""
    block = [_call(1, 2000), _call(10, 30, p=5.0)]
    log = instrumented(monkeypatch, block)
    res = run_replication(one_operator, 0)
    reneges = [(now, c.id, att) for ev, now, c, att, w in log if ev == "renege"]
    assert reneges == [(15.0, 1, 0)], reneges
    assert _starts(log) == [(1, 0), (2001, 1)], _starts(log)
    tot = totals(res)
    assert tot["retrials"] == 1 and tot["calls_abandoned"] == 1 and tot["calls_answered"] == 2, tot
    assert tot["wait_answered_s"] == pytest.approx(2001 - 65), tot  # the redial's own wait
    assert tot["wait_abandoned_s"] == pytest.approx(5.0), tot


def test_block_max_retrials_stops_redials(one_operator, monkeypatch):
    """With redial patience 5 s too, B abandons at 15 (redial at 65) and again at 70: max_retrials=1 makes the
    second abandonment terminal."""
    cfg = variant(one_operator, calls__patience_s=DistConfig("constant", value=5.0))
    log = instrumented(monkeypatch, [_call(1, 2000), _call(10, 30, p=5.0)])
    res = run_replication(cfg, 0)
    reneges = [(now, c.id, att) for ev, now, c, att, w in log if ev == "renege"]
    assert reneges == [(15.0, 1, 0), (70.0, 1, 1)], reneges
    tot = totals(res)
    assert tot["retrials"] == 1 and tot["calls_abandoned"] == 2, tot
    assert res.terminal[T["abandoned"]].sum() == 1 and res.terminal[T["answered_direct"]].sum() == 1, res.terminal
    assert res.open.sum() == 0, res.open


def test_block_redial_served_in_new_position(one_operator, monkeypatch):
    """B abandons at 15 and redials at 65 (behind C, queued at 30): after A ends at 1001, C is served before B."""
    block = [_call(1, 1000), _call(10, 30, p=5.0), _call(30, 30), _call(100, 30)]
    log = instrumented(monkeypatch, block)
    run_replication(one_operator, 0)
    assert _starts(log) == [(1, 0), (1001, 2), (1031, 1), (1061, 3)], _starts(log)


def test_block_online_expires(one_operator, monkeypatch):
    """online.expire_h=0.01 (36 s): an online item waiting behind a 100-s call is withdrawn at 46, never served."""
    cfg = variant(one_operator, online__expire_h=0.01, online__deadline_h=0.01,  # (withdrawn no earlier than due)
                  arrivals__online__per_day=24.0)  # (expire_h needs online demand)
    log = instrumented(monkeypatch, [_call(1, 100), _online(10, 50, patience=36.0)])
    res = run_replication(cfg, 0)
    assert _starts(log) == [(1, 0)], _starts(log)
    tot = totals(res)
    assert tot["online_expired"] == 1 and tot["online_accepted"] == 0, tot
    assert res.terminal[T["online_expired"]].sum() == 1


def test_block_open_states_at_horizon(one_operator, monkeypatch):
    """At the 1-h horizon: one call in service, one waiting, one awaiting its redial are counted as open."""
    cfg = variant(one_operator, calls__retrial=RetrialConfig(probability=1.0,
                                                             delay_s=DistConfig("constant", value=5000.0),
                                                             max_retrials=1))
    instrumented(monkeypatch, [_call(1, 5000), _call(10, 30), _call(20, 30, p=5.0)])
    res = run_replication(cfg, 0)
    open_tot = dict(zip(OPEN_STATES, res.open.sum(axis=1).tolist()))
    want = {"waiting_operator": 1, "with_operator": 1, "awaiting_redial": 1}
    assert {k: v for k, v in open_tot.items() if v} == want, open_tot
    assert res.terminal.sum() == 0 and res.contacts_created == 3


# --------------------------------------------------------------------------- structural properties, random runs
def _urgent_mix(cfg):
    """Half emergencies, half general; emergencies are all transferred (terminal at the front line, so the
    scenario needs no back office)."""
    cat = cfg.categories["all"]
    cat.urgency = {"emergency": 0.5, "general": 0.5}
    cat.emergency_transfer_share = 1.0
    validate(cfg)


def test_urgent_class_served_first_and_waits_less(base_cfg, monkeypatch):
    """urgency {emergency: .5, general: .5} (emergencies transferred, 60 s), priority_classes [emergency], 70 operators
    for 75 Erlang:
    whenever a general call is taken no urgent call waits, and urgent calls wait far less on average."""
    cfg = variant(base_cfg, staffing__operators=70, calls__priority_classes=["emergency"])
    _urgent_mix(cfg)
    log = instrumented(monkeypatch)
    run_replication(cfg, 0)
    starts = [(now, c, w) for ev, now, c, att, w in log if ev == "start"]
    assert sum(c.urgency == EMERGENCY for _, c, _ in starts) > 500, "too few urgent calls"
    bad = [(now, c.id) for now, c, w in starts if c.cls == CLS_CALL and w[CLS_URGENT] > 0]
    assert not bad, f"general call taken while urgent calls waited: {bad[:5]}"
    waits = {u: [now - c.t_attempt for now, c, _ in starts if c.urgency == u] for u in (EMERGENCY, GENERAL)}
    mean_e, mean_g = np.mean(waits[EMERGENCY]), np.mean(waits[GENERAL])
    assert mean_e < 0.5 * mean_g, f"mean wait emergency {mean_e:.1f} s vs general {mean_g:.1f} s"
    assert all(c.kind == TRANSFER for _, c, _ in starts if c.urgency == EMERGENCY), "emergency must be transferred"


def test_without_priority_classes_urgent_is_not_favoured(base_cfg, monkeypatch):
    """Same mix with priority_classes=[]: every call is class 1 and both urgencies wait alike (within 25 %)."""
    cfg = variant(base_cfg, staffing__operators=70, calls__priority_classes=[])
    _urgent_mix(cfg)
    log = instrumented(monkeypatch)
    run_replication(cfg, 0)
    starts = [(now, c) for ev, now, c, att, w in log if ev == "start"]
    assert all(c.cls == CLS_CALL for _, c in starts), "a call was queued as urgent without priority classes"
    waits = {u: np.mean([now - c.t_attempt for now, c in starts if c.urgency == u]) for u in (EMERGENCY, GENERAL)}
    assert abs(waits[EMERGENCY] / waits[GENERAL] - 1) < 0.25, f"mean waits {waits}"


def test_online_taken_only_when_no_call_waits(base_cfg, monkeypatch):
    """Phone 0.5/s and online 0.1/s on 125 operators: every online item is taken with both call queues empty,
    and online items wait longer on average than calls."""
    cfg = variant(base_cfg, staffing__operators=125, arrivals__online__per_day=8640.0,
                  online__handle_s=DistConfig("exponential", mean=60.0))
    log = instrumented(monkeypatch)
    res = run_replication(cfg, 0)
    starts = [(now, c, w) for ev, now, c, att, w in log if ev == "start"]
    online = [(now, c, w) for now, c, w in starts if c.channel == ONLINE]
    assert len(online) > 200, f"only {len(online)} online items taken"
    bad = [(now, w) for now, c, w in online if w[CLS_URGENT] or w[CLS_CALL]]
    assert not bad, f"online item taken while calls waited: {bad[:5]}"
    tot = totals(res)
    call_wait = tot["wait_answered_s"] / tot["calls_answered"]
    online_wait = tot["wait_online_s"] / tot["online_accepted"]
    assert online_wait > call_wait, f"mean online wait {online_wait:.1f} s <= mean call wait {call_wait:.1f} s"
    assert tot["queue_online_s"] > 0, tot


def test_fifo_within_class_with_redials(base_cfg, monkeypatch):
    """In an overloaded run with redials, calls are taken in order of their current attempt's arrival time."""
    cfg = variant(base_cfg, staffing__operators=105,
                  calls__retrial=RetrialConfig(probability=0.7, delay_s=DistConfig("exponential", mean=120.0),
                                               max_retrials=3))
    log = instrumented(monkeypatch)
    run_replication(cfg, 0)
    t_att = [c.t_attempt for ev, now, c, att, w in log if ev == "start" and now > 0 and c.channel == PHONE]
    waited = [(now, c.t_attempt) for ev, now, c, att, w in log if ev == "start"]
    assert any(now > ta for now, ta in waited), "no call ever waited: not a queueing case"
    assert all(b >= a for a, b in zip(t_att, t_att[1:])), "a call was taken before an earlier-arrived attempt"


def test_redial_limit_and_accounting(base_cfg, monkeypatch):
    """retrial probability 1, max_retrials=1: no contact dials a third time; first-attempt abandons are all redialed
    (made or pending), second-attempt abandons are exactly the terminal abandons, and retrials <= first abandons."""
    cfg = variant(base_cfg, staffing__operators=100, calls__patience_s=DistConfig("exponential", mean=60.0),
                  calls__retrial=RetrialConfig(probability=1.0, delay_s=DistConfig("exponential", mean=300.0),
                                               max_retrials=1))
    log = instrumented(monkeypatch)
    res = run_replication(cfg, 0)
    reneges = [(c.id, att) for ev, now, c, att, w in log if ev == "renege"]
    first = sum(att == 0 for _, att in reneges)
    second = sum(att == 1 for _, att in reneges)
    assert all(att <= 1 for _, att in reneges), "a contact abandoned on a third attempt"
    tot = totals(res)
    open_redial = res.open[O["awaiting_redial"]].sum()
    assert first > 100 and second > 0, f"first abandons {first}, second {second}"
    assert tot["retrials"] <= first, f"retrials {tot['retrials']} > first-attempt abandons {first}"
    assert tot["retrials"] + open_redial == first, f"retrials {tot['retrials']} + pending {open_redial} != {first}"
    assert res.terminal[T["abandoned"]].sum() == second, f"terminal abandons vs second-attempt abandons {second}"
    assert tot["calls_abandoned"] == first + second, tot


def test_no_redials_when_probability_zero_or_max_zero(base_cfg):
    """retrial probability 0, or probability 1 with max_retrials=0: no retrials, every abandon is terminal.

    (Validation refuses the second - the probability would change nothing - so it is run unvalidated: the
    model must still honour the cap.)"""
    for retrial in (RetrialConfig(probability=0.0), RetrialConfig(probability=1.0, max_retrials=0)):
        cfg = variant(base_cfg, staffing__operators=100)
        cfg.calls.retrial = retrial
        res = run_replication(cfg, 0)
        tot = totals(res)
        assert tot["retrials"] == 0, f"{retrial}: {tot['retrials']} retrials"
        assert res.terminal[T["abandoned"]].sum() == tot["calls_abandoned"] > 0, f"{retrial}: {tot}"
    with pytest.raises(ConfigError, match="calls.retrial.probability=1.0: used only when"):
        variant(base_cfg, calls__retrial=RetrialConfig(probability=1.0, max_retrials=0))


def test_accounting_every_contact_ends_or_is_open(base_cfg):
    """Phone + online + redials + expiring online items: contacts created = terminal + open, per arrival interval
    equal to first contacts offered."""
    cfg = variant(base_cfg, staffing__operators=115, arrivals__online__per_day=4320.0, online__expire_h=0.5,
                  online__deadline_h=0.5,
                  calls__retrial=RetrialConfig(probability=0.5, delay_s=DistConfig("exponential", mean=200.0)))
    res = run_replication(cfg, 0)
    per_iv = res.terminal.sum(axis=0) + res.open.sum(axis=0)
    offered = res.intervals["calls_offered"] + res.intervals["online_offered"]
    np.testing.assert_array_equal(per_iv, offered, err_msg="terminal + open != offered, by arrival interval")
    assert res.contacts_created == offered.sum()
    assert res.terminal[T["online_expired"]].sum() > 0 and res.intervals["retrials"].sum() > 0
