"""The front line: residents arrive, wait for an operator, are handled or give up.

Each day the arrivals of both channels and every resident's attributes are drawn
at once (:mod:`sim.model.residents`).  A single arrival :class:`~sim.core.engine.Tick`
walks through the day's residents; each becomes a :class:`Contact` offered to
the operator :class:`~sim.core.engine.Pool`, whose classes are: urgent calls, other
calls, online submissions and - when return visits are made by operators -
outbound calls.  The pool callbacks below turn its events into records and
decide what happens next:

* answered: the wait is recorded; at the end of the handling the triage outcome
  drawn at creation applies - answered directly (terminal), transferred to
  emergency services (terminal), or a work order handed to the back office;
* abandoned: recorded; the caller redials after a delay with a fresh patience,
  with ``calls.retrial.probability``, or is gone for good (a redial that would
  fall in hours without phone arrivals - a closed centre - is deferred past
  them, :class:`sim.model.arrivals.OpenHours`); a redial after the
  horizon (during the drain) is recorded in the recorder's slot after the
  horizon, never in the last reporting interval;
* an online item not accepted within ``online.expire_h`` is withdrawn;
* with ``calls.pickup_delay_s``, a call attempt that would be taken at once is
  offered after the pickup delay (:mod:`sim.model.pickup`).

Routing (:mod:`sim.policies.routing`): each contact takes the route of its
category (calls) or of online work; the pool's groups, the blending
reservation (``routing.reserve_idle``: online and outbound work only while
that many other operators of the group stay idle) and priority aging
(``routing.escalate_after_s``) are set up here.  With operator groups, call
attempts are also recorded by their home group (:mod:`sim.records.routing`);
with callbacks on, a call attempt facing a long wait may be offered a callback
(:mod:`sim.model.callbacks`).
"""

from __future__ import annotations

from heapq import heappush
from typing import Callable, Dict, Optional

import simpy
from simpy.core import NORMAL

from sim.core.engine import DONE, IN_SERVICE, INF, WAITING, Pool, Tick
from sim.core.rng import Streams, UniformBuffer, ValueBuffer
from sim.model.callbacks import PENDING, Callbacks
from sim.model.compile import Compiled
from sim.model.pickup import Pickup
from sim.model.residents import (
    CLS_CALL,
    CLS_CALLBACK,
    CLS_ONLINE,
    CLS_OUTBOUND,
    CLS_URGENT,
    DIRECT,
    ONLINE,
    PHONE,
    TRANSFER,
    WORK_ORDER,
    day_rows,
)
from sim.records.intervals import OPEN_STATES, TERMINAL_STATES, IntervalRecorder
from sim.records.routing import CallbackRecorder, GroupRecorder

REDIAL = 5  # item state: abandoned, will call again
STAGE_FRONT = 0
T_INDEX = {name: i for i, name in enumerate(TERMINAL_STATES)}


class Contact:
    """A resident's request, from first attempt to its terminal state."""

    __slots__ = ("id", "channel", "category", "urgency", "kind", "service_s", "patience_s", "cls",
                 "state", "attempt", "t_arrive", "iv", "t_attempt", "iv_attempt", "retrials", "row",
                 "in_window", "stage", "t_answered", "t_handled", "unit", "round", "bounces", "t_dispatched",
                 "t_unit", "t_signed", "t_response", "t_closed", "deadline", "late", "resolved",
                 "visit_attempts", "visit_reached", "reports_resolved", "satisfied", "t_rated", "tick",
                 "route", "cb", "cb_iv", "t_cb", "cb_tries", "t_cb_first")

    # Types of the slots that typed code assigns.  Annotations only, no class values: a slot that is
    # never assigned stays unset, which sim.model.requestlog detects with getattr/hasattr.
    t_answered: Optional[float]
    t_dispatched: Optional[float]
    t_handled: float
    tick: Optional[Tick]

    def __init__(self, ident: int, row: tuple, now: float, iv: int, in_window: bool, route: int = 0) -> None:
        self.id = ident
        self.row = row
        _, self.channel, self.category, self.urgency, self.kind, self.service_s, self.patience_s, self.cls = row[:8]
        self.state = 0
        self.attempt = 0
        self.t_arrive = self.t_attempt = now
        self.iv = self.iv_attempt = iv
        self.retrials = 0
        self.in_window = in_window
        self.stage = STAGE_FRONT
        self.t_answered = self.t_dispatched = None
        self.bounces = 0
        self.route = route
        self.cb = 0


class FrontLine:
    """Arrivals, operators and the records they produce, for one replication.

    Parameters
    ----------
    env : simpy.Environment
        The simulation environment.
    sc : Compiled
        Compiled scenario.
    streams : Streams
        The replication's random streams.
    rec : IntervalRecorder
        Where records go.
    n_classes : int
        Priority classes of the operator pool (4 when operators also make return visits).
    """

    def __init__(self, env: simpy.Environment, sc: Compiled, streams: Streams, rec: IntervalRecorder,
                 n_classes: int = 3) -> None:
        self.env = env
        self.sc = sc
        self.streams = streams
        self.rec = rec
        plan = sc.routing
        self.pool = Pool(env, n_classes, self._on_start, self._on_end, self._on_renege, name="operators",
                         groups=plan.groups, routes=plan.routes, blended=(CLS_ONLINE, CLS_OUTBOUND),
                         escalate=_escalation(sc, n_classes), class_routes=_class_routes(sc, n_classes))
        self._cat_route, self._online_route = plan.category_route, plan.online_route
        self._home = plan.home
        clk = sc.clock
        self.groups: Optional[GroupRecorder] = GroupRecorder(plan.groups, clk.n_intervals) if plan.grouped else None
        self.callbacks: Optional[Callbacks] = None
        self.cb_rec: Optional[CallbackRecorder] = None
        if sc.callback is not None:
            self.cb_rec = CallbackRecorder(clk.n_intervals)
            self.callbacks = Callbacks(env, sc.callback, plan.home, streams, self.pool, self.cb_rec, self.finish)
        self.live: Dict[int, Contact] = {}
        self.work_order: Optional[Callable[[Contact, float], None]] = None
        self.outbound_start: Optional[Callable[[Contact, float], None]] = None
        self.outbound_end: Optional[Callable[[Contact, float], None]] = None
        self.on_finish: Optional[Callable[[Contact, str], None]] = None
        self.on_abandon: Optional[Callable[[Contact, float], None]] = None  # a call attempt abandoned (request log)
        self._next_id = 0
        self._inv_iv = 1.0 / clk.interval_s
        self._last_iv = clk.n_intervals - 1
        self._after_iv = clk.n_intervals  # the recorder's slot after the horizon
        self._warm_iv = clk.warmup_intervals
        self._thr = sc.answer_threshold_s
        self._deadline = sc.deadline_s
        self._retry_u = UniformBuffer(streams.get("retrial"))
        self._retry_delay = ValueBuffer(sc.retrial_delay.ppf, streams.get("retrial.delay"))
        self._redial_patience = ValueBuffer(sc.patience.ppf, streams.get("patience.redial"))
        self._redial_patience_by_category = None if sc.patience_by_category is None else [
            ValueBuffer(d.ppf, streams.get(f"patience.redial.{k}")) for k, d in enumerate(sc.patience_by_category)]
        self._block: list[tuple] = []
        self._i = 0
        self._n = 0
        self._pump = Tick(self._arrive)
        self._pump_callbacks = self._pump.callbacks
        self.pickup = None if sc.pickup_delay is None else Pickup(env, sc.pickup_delay, streams.get("pickup"),
                                                                   self.pool, self._on_renege)
        self._offer_call = self.pool.offer if self.pickup is None else self.pickup.offer  # a call attempt's offer
        # the recorder's per-interval lists, bound once so the callbacks index them directly
        self._r_calls_offered = rec.calls_offered
        self._r_retrials = rec.retrials
        self._r_calls_answered = rec.calls_answered
        self._r_answered_in_threshold = rec.answered_in_threshold
        self._r_calls_abandoned = rec.calls_abandoned
        self._r_wait_answered_s = rec.wait_answered_s
        self._r_wait_abandoned_s = rec.wait_abandoned_s
        self._r_online_offered = rec.online_offered
        self._r_online_accepted = rec.online_accepted
        self._r_online_on_time = rec.online_on_time
        self._r_online_expired = rec.online_expired
        self._r_wait_online_s = rec.wait_online_s
        self._r_outbound_work_s = rec.outbound_work_s
        self._terminal = rec.terminal
        if self.groups is not None:
            g = self.groups.counts
            self._g_attempts, self._g_answered = g["attempts"], g["answered"]
            self._g_in_thr = g["answered_in_threshold"]
            self._g_abandoned, self._g_wait = g["abandoned"], g["wait_answered_s"]
        self._routed = self.groups is not None or self.callbacks is not None
        if sc.staffing.reserve_idle:
            self.pool.set_reserve(sc.staffing.reserve_idle)

    # ----------------------------------------------------------- arrivals
    def run_days(self):  # type: ignore[no-untyped-def]
        """SimPy process: load each day's residents at the start of the day (until the horizon)."""
        day = 0
        horizon_s = self.sc.clock.horizon_s
        while day * 86400.0 < horizon_s:
            block = [r for r in day_rows(self.sc, self.streams, day) if r[0] < horizon_s]
            self._block, self._i, self._n = block, 0, len(block)
            if block:
                self._pump.callbacks = self._pump_callbacks
                self.env.schedule(self._pump, NORMAL, block[0][0] - self.env.now)
            yield self.env.timeout(86400.0)
            day += 1

    def _arrive(self, ev: Tick) -> None:
        i = self._i
        block = self._block
        row = block[i]
        now = self.env._now
        iv = int(now * self._inv_iv)
        if iv > self._last_iv:
            iv = self._last_iv
        ident = self._next_id
        self._next_id = ident + 1
        c = Contact(ident, row, now, iv, iv >= self._warm_iv,
                    self._cat_route[row[2]] if row[1] == PHONE else self._online_route)
        self.live[ident] = c
        if row[1] == PHONE:
            self._r_calls_offered[iv] += 1
            if self._routed:
                self._attempt(c, now, iv)
        else:
            self._r_online_offered[iv] += 1
        i += 1
        self._i = i
        if i < self._n:
            ev.callbacks = self._pump_callbacks
            env = self.env
            heappush(env._queue,  # type: ignore[misc]  # a Tick duck-types simpy.Event on SimPy's queue
                     (block[i][0], NORMAL, next(env._eid), ev))
        self._offer_call(c)

    def _attempt(self, c: Contact, now: float, iv: int) -> None:
        """A call attempt with routing records: count it for its home group; maybe offer a callback."""
        if self.groups is not None:
            self._g_attempts[self._home[c.route]][iv] += 1
        if self.callbacks is not None and c.cls == CLS_CALL:
            self.callbacks.consider(c, now, iv)

    # ------------------------------------------------------- pool callbacks
    def _on_start(self, c: Contact, now: float) -> None:
        if c.cls == CLS_OUTBOUND:
            self._r_outbound_work_s[min(int(now * self._inv_iv), self._after_iv)] += c.service_s
            self.outbound_start(c, now)  # type: ignore[misc]
            return
        if c.cb == PENDING:
            self.callbacks.start(c, now)  # type: ignore[union-attr]  # a pending callback exists only with them
            return
        c.t_answered = now
        if c.channel == PHONE:
            iv = c.iv_attempt
            w = now - c.t_attempt
            self._r_calls_answered[iv] += 1
            self._r_wait_answered_s[iv] += w
            if w <= self._thr:
                self._r_answered_in_threshold[iv] += 1
            if self.groups is not None:
                home = self._home[c.route]
                self._g_answered[home][iv] += 1
                self._g_wait[home][iv] += w
                if w <= self._thr:
                    self._g_in_thr[home][iv] += 1
        else:
            iv = c.iv
            w = now - c.t_arrive
            self._r_online_accepted[iv] += 1
            self._r_wait_online_s[iv] += w
            if w <= self._deadline:
                self._r_online_on_time[iv] += 1

    def _on_end(self, c: Contact, now: float) -> None:
        if c.cls == CLS_OUTBOUND:
            self.outbound_end(c, now)  # type: ignore[misc]
            return
        if c.cb == PENDING:  # a callback attempt that did not reach the resident
            self.callbacks.end(c, now)  # type: ignore[union-attr]
            return
        c.t_handled = now
        if c.kind == DIRECT:
            self.finish(c, "answered_direct")
        elif c.kind == TRANSFER:
            self.finish(c, "transferred_emergency")
        else:
            self.work_order(c, now)  # type: ignore[misc]

    def _on_renege(self, c: Contact, now: float) -> None:
        if c.channel == PHONE:
            if self.on_abandon is not None:
                self.on_abandon(c, now)
            iv = c.iv_attempt
            self._r_calls_abandoned[iv] += 1
            self._r_wait_abandoned_s[iv] += now - c.t_attempt
            if self.groups is not None:
                self._g_abandoned[self._home[c.route]][iv] += 1
            if c.retrials < self.sc.max_retrials and self._retry_u.next() < self.sc.retrial_probability:
                c.state = REDIAL
                delay = self._retry_delay.next()
                if self.sc.redial_open is not None:  # no redial into closed hours (sim.model.arrivals.OpenHours)
                    delay = self.sc.redial_open.defer(now, now + delay) - now
                self.env.schedule(Tick(self._redial, c), NORMAL, delay)  # type: ignore[arg-type]  # Tick: an Event
                return
            self.finish(c, "abandoned")
        else:
            self._r_online_expired[c.iv] += 1
            self.finish(c, "online_expired")

    def _redial(self, ev: Tick) -> None:
        c = ev.item
        now = self.env._now
        iv = min(int(now * self._inv_iv), self._after_iv)  # a redial during the drain: after the horizon
        c.retrials += 1
        c.attempt += 1
        c.t_attempt = now
        c.iv_attempt = iv
        by_category = self._redial_patience_by_category
        c.patience_s = (self._redial_patience if by_category is None else by_category[c.category]).next()
        self._r_retrials[iv] += 1
        if self._routed:
            self._attempt(c, now, iv)
        self._offer_call(c)

    # ------------------------------------------------------------- helpers
    def finish(self, c: Contact, state: str) -> None:
        """Record that ``c`` ended in terminal state ``state`` (a name of :data:`TERMINAL_STATES`)."""
        c.state = DONE
        c.tick = None  # break the contact <-> tick cycle so reference counting frees both
        self._terminal[T_INDEX[state]][c.iv] += 1
        del self.live[c.id]
        if self.on_finish is not None:
            self.on_finish(c, state)

    def open_state(self, c: Contact) -> Optional[str]:
        """Open state (a name of :data:`OPEN_STATES`) of a live contact still at the front line, else None."""
        if c.stage != STAGE_FRONT:
            return None
        if c.cb == PENDING:
            return "awaiting_callback"
        if c.state == WAITING:
            return "waiting_operator"
        if c.state == IN_SERVICE:
            return "with_operator"
        if c.state == REDIAL:
            return "awaiting_redial"
        return None

    def flush(self, k: int) -> None:
        """Add the pool's areas since the last flush to interval ``k``."""
        now = self.env.now
        busy, duty, q = self.pool.flush(now)
        calls = q[CLS_URGENT] + q[CLS_CALL] + (self.pickup.flush_area() if self.pickup is not None else 0.0)
        if self.callbacks is not None and self.callbacks.keeps_place:
            calls = max(calls - self.callbacks.flush_virtual_area(now), 0.0)  # virtual callbacks are not callers
        self.rec.add_area(k, busy_s=busy, staffed_s=duty, queue_calls_s=calls, queue_online_s=q[CLS_ONLINE])
        if self.groups is not None:
            self.groups.add_areas(k, self.pool.group_areas)

    def run_reserve(self):  # type: ignore[no-untyped-def]
        """SimPy process: the reservation of ``routing.reserve_idle_half_hourly``, half-hour by half-hour."""
        plan = self.sc.staffing.reserve_half_hourly  # entry 0 is the run's first half-hour
        k = 0
        while True:
            self.pool.set_reserve(plan[k % len(plan)])
            yield self.env.timeout(1800.0)
            k += 1


def _escalation(sc: Compiled, n_classes: int) -> list[tuple[int, float]]:
    """Priority aging per class of the pool: ``(class it moves to, seconds first)``; ``(-1, inf)`` = never."""
    esc = sc.staffing.escalate_after_s
    window = sc.callback is not None and not sc.callback.mode.keeps_place
    table = [(-1, INF)] * n_classes
    for cls, after, target in ((CLS_CALL, esc["call"], CLS_URGENT), (CLS_CALLBACK, esc["callback"], CLS_CALL),
                               (CLS_ONLINE, esc["online"], CLS_CALLBACK if window else CLS_CALL),
                               (CLS_OUTBOUND, esc["outbound"], CLS_ONLINE)):
        if after is not None and cls < n_classes:
            table[cls] = (target, float(after))
    return table


def _class_routes(sc: Compiled, n_classes: int) -> list[list[int]]:
    """The routes each class of the pool can hold: calls and callbacks by category, online, outbound."""
    plan = sc.routing
    calls = plan.call_routes()
    return [calls, calls, calls, [plan.online_route], [plan.outbound_route]][:n_classes]


assert set(OPEN_STATES) >= {"waiting_operator", "with_operator", "awaiting_redial"}
__all__ = ["Contact", "FrontLine", "PHONE", "ONLINE", "WORK_ORDER", "CLS_CALLBACK"]
