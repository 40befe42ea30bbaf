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
  with ``calls.retrial.probability``, or is gone for good; a redial after the
  horizon (during the drain) is recorded in the recorder's slot after the
  horizon, never in the last reporting interval;
* an online item not accepted within ``online.expire_h`` is withdrawn.
"""

from __future__ import annotations

from heapq import heappush
from typing import Callable, Dict, Optional

import simpy
from simpy.core import NORMAL

from sim.core.engine import DONE, IN_SERVICE, WAITING, Pool, Tick
from sim.core.rng import Streams, UniformBuffer, ValueBuffer
from sim.model.compile import Compiled
from sim.model.residents import CLS_CALL, CLS_ONLINE, CLS_OUTBOUND, CLS_URGENT, DIRECT, TRANSFER, WORK_ORDER, day_rows
from sim.records.intervals import OPEN_STATES, TERMINAL_STATES, IntervalRecorder

PHONE, ONLINE = 0, 1
REDIAL = 5  # item state: abandoned, will call again
STAGE_FRONT = 0
T_INDEX = {name: i for i, name in enumerate(TERMINAL_STATES)}


class Contact:
    """A resident's request, from first attempt to its terminal state."""

    __slots__ = ("id", "channel", "category", "urgency", "kind", "service_s", "patience_s", "cls",
                 "state", "attempt", "t_arrive", "iv", "t_attempt", "iv_attempt", "retrials", "row",
                 "in_window", "stage", "t_answered", "t_handled", "unit", "round", "bounces", "t_dispatched",
                 "t_unit", "t_signed", "t_response", "t_closed", "deadline", "late", "resolved",
                 "visit_attempts", "visit_reached", "reports_resolved", "satisfied", "t_rated", "tick")

    # Types of the slots that typed code assigns.  Annotations only, no class values: a slot that is
    # never assigned stays unset, which sim.model.requestlog detects with getattr/hasattr.
    t_answered: Optional[float]
    t_dispatched: Optional[float]
    t_handled: float
    tick: Optional[Tick]

    def __init__(self, ident: int, row: tuple, now: float, iv: int, in_window: bool) -> None:
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
        self.pool = Pool(env, n_classes, self._on_start, self._on_end, self._on_renege, name="operators")
        self.live: Dict[int, Contact] = {}
        self.work_order: Optional[Callable[[Contact, float], None]] = None
        self.outbound_start: Optional[Callable[[Contact, float], None]] = None
        self.outbound_end: Optional[Callable[[Contact, float], None]] = None
        self.on_finish: Optional[Callable[[Contact, str], None]] = None
        self.on_abandon: Optional[Callable[[Contact, float], None]] = None  # a call attempt abandoned (request log)
        self._next_id = 0
        self._inv_iv = 1.0 / sc.interval_s
        self._last_iv = sc.n_intervals - 1
        self._after_iv = sc.n_intervals  # the recorder's slot after the horizon
        self._warm_iv = sc.warmup_intervals
        self._thr = sc.answer_threshold_s
        self._deadline = sc.deadline_s
        self._retry_u = UniformBuffer(streams.get("retrial"))
        self._retry_delay = ValueBuffer(sc.retrial_delay.ppf, streams.get("retrial.delay"))
        self._redial_patience = ValueBuffer(sc.patience.ppf, streams.get("patience.redial"))
        self._block: list[tuple] = []
        self._i = 0
        self._n = 0
        self._pump = Tick(self._arrive)
        self._pump_callbacks = self._pump.callbacks
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

    # ----------------------------------------------------------- arrivals
    def run_days(self):  # type: ignore[no-untyped-def]
        """SimPy process: load each day's residents at the start of the day (until the horizon)."""
        day = 0
        while day * 86400.0 < self.sc.horizon_s:
            block = [r for r in day_rows(self.sc, self.streams, day) if r[0] < self.sc.horizon_s]
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
        c = Contact(ident, row, now, iv, iv >= self._warm_iv)
        self.live[ident] = c
        if row[1] == PHONE:
            self._r_calls_offered[iv] += 1
        else:
            self._r_online_offered[iv] += 1
        i += 1
        self._i = i
        if i < self._n:
            ev.callbacks = self._pump_callbacks
            env = self.env
            heappush(env._queue,  # type: ignore[misc]  # a Tick duck-types simpy.Event on SimPy's queue
                     (block[i][0], NORMAL, next(env._eid), ev))
        self.pool.offer(c)

    # ------------------------------------------------------- pool callbacks
    def _on_start(self, c: Contact, now: float) -> None:
        if c.cls == CLS_OUTBOUND:
            self._r_outbound_work_s[min(int(now * self._inv_iv), self._after_iv)] += c.service_s
            self.outbound_start(c, now)  # type: ignore[misc]
            return
        c.t_answered = now
        if c.channel == PHONE:
            iv = c.iv_attempt
            w = now - c.t_attempt
            self._r_calls_answered[iv] += 1
            self._r_wait_answered_s[iv] += w
            if w <= self._thr:
                self._r_answered_in_threshold[iv] += 1
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
            if c.retrials < self.sc.max_retrials and self._retry_u.next() < self.sc.retrial_probability:
                c.state = REDIAL
                self.env.schedule(Tick(self._redial, c), NORMAL,  # type: ignore[arg-type]  # Tick duck-types Event
                                  self._retry_delay.next())
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
        c.patience_s = self._redial_patience.next()
        self._r_retrials[iv] += 1
        self.pool.offer(c)

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
        if c.state == WAITING:
            return "waiting_operator"
        if c.state == IN_SERVICE:
            return "with_operator"
        if c.state == REDIAL:
            return "awaiting_redial"
        return None

    def flush(self, k: int) -> None:
        """Add the pool's areas since the last flush to interval ``k``."""
        busy, duty, q = self.pool.flush(self.env.now)
        self.rec.add_area(k, busy_s=busy, staffed_s=duty, queue_calls_s=q[CLS_URGENT] + q[CLS_CALL],
                          queue_online_s=q[CLS_ONLINE])


assert set(OPEN_STATES) >= {"waiting_operator", "with_operator", "awaiting_redial"}
__all__ = ["Contact", "FrontLine", "PHONE", "ONLINE", "WORK_ORDER"]
