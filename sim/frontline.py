"""The front line: residents arrive, wait for an operator, are handled or give up.

Each day the arrivals of both channels are generated (:mod:`sim.arrivals`) and
every resident's own randomness is drawn at once, from the streams of their
channel: urgency class, triage outcome (answered directly or work order),
handle time and patience.  Drawing a resident's attributes when they are created
is what makes two runs with the same seed see the same residents under any
staffing plan (common random numbers).

A single arrival :class:`~sim.engine.Tick` walks through the day's arrivals;
each creates a :class:`Contact` and offers it to the operator
:class:`~sim.engine.Pool`, whose classes are: urgent calls, other calls, online
submissions.  The callbacks below turn pool events into records: answered (with
its wait), abandoned (and maybe a redial after a delay, with a fresh patience),
finished (a terminal state), withdrawn online item.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np
import simpy
from simpy.core import NORMAL

from .config import CHANNELS, URGENCY_CLASSES
from .engine import DONE, GONE, IN_SERVICE, WAITING, Pool, Tick
from .records import OPEN_STATES, TERMINAL_STATES, IntervalRecorder
from .rng import Streams, UniformBuffer
from .scenario import DIRECT, WORK_ORDER, Compiled

PHONE, ONLINE = 0, 1
CLS_URGENT, CLS_CALL, CLS_ONLINE = 0, 1, 2
REDIAL = 5  # item state: abandoned, will call again
EMERGENCY = URGENCY_CLASSES.index("emergency")
T_DIRECT, T_WORK_ORDER, T_ABANDONED, T_EXPIRED = (TERMINAL_STATES.index(s) for s in (
    "answered_direct", "work_order_created", "abandoned", "online_expired"))


class Contact:
    """A resident's request, from first attempt to its terminal state."""

    __slots__ = ("id", "channel", "category", "urgency", "kind", "service_s", "patience_s", "cls",
                 "state", "attempt", "t_arrive", "iv", "t_attempt", "iv_attempt", "retrials")

    def __init__(self, ident: int, channel: int, category: int, urgency: int, kind: int, service_s: float,
                 patience_s: float, cls: int, now: float, iv: int) -> None:
        self.id = ident
        self.channel = channel
        self.category = category
        self.urgency = urgency
        self.kind = kind
        self.service_s = service_s
        self.patience_s = patience_s
        self.cls = cls
        self.state = 0
        self.attempt = 0
        self.t_arrive = self.t_attempt = now
        self.iv = self.iv_attempt = iv
        self.retrials = 0


class ValueBuffer:
    """Values of one distribution served one at a time from blocks of one stream."""

    __slots__ = ("_ppf", "_gen", "_buf")

    def __init__(self, ppf: Callable[[np.ndarray], np.ndarray], gen: np.random.Generator) -> None:
        self._ppf = ppf
        self._gen = gen
        self._buf: list[float] = []

    def next(self) -> float:
        """The next value."""
        try:
            return self._buf.pop()
        except IndexError:
            self._buf = self._ppf(self._gen.random(1024)).tolist()[::-1]
            return self._buf.pop()


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
    """

    def __init__(self, env: simpy.Environment, sc: Compiled, streams: Streams, rec: IntervalRecorder) -> None:
        self.env = env
        self.sc = sc
        self.streams = streams
        self.rec = rec
        self.pool = Pool(env, 3, self._on_start, self._on_end, self._on_renege, name="operators")
        self.live: Dict[int, Contact] = {}
        self.on_answered: Optional[Callable[[Contact, float], None]] = None
        self._next_id = 0
        self._inv_iv = 1.0 / sc.interval_s
        self._last_iv = sc.n_intervals - 1
        self._thr = sc.answer_threshold_s
        self._deadline = sc.deadline_s
        self._retry_u = UniformBuffer(streams.get("retrial"))
        self._retry_delay = ValueBuffer(sc.retrial_delay.ppf, streams.get("retrial.delay"))
        self._redial_patience = ValueBuffer(sc.patience.ppf, streams.get("patience.redial"))
        self._block: list[tuple] = []
        self._i = 0
        self._pump = Tick(self._arrive)
        # bind record lists once: the hot path indexes them directly
        for name in ("calls_offered", "retrials", "calls_answered", "answered_in_threshold", "calls_abandoned",
                     "wait_answered_s", "wait_abandoned_s", "online_offered", "online_accepted",
                     "online_on_time", "online_expired", "wait_online_s"):
            setattr(self, "_r_" + name, getattr(rec, name))
        self._terminal = rec.terminal

    # ----------------------------------------------------------- arrivals
    def day_block(self, day: int) -> list[tuple]:
        """Arrivals of ``day`` for both channels, merged in time order, with every attribute drawn.

        Returns
        -------
        list of tuples
            One per arrival: time, channel, category, urgency, kind, service_s, patience_s, cls.
        """
        sc, st = self.sc, self.streams
        parts = []
        for ch_idx, ch in enumerate(CHANNELS):
            arr = sc.channels[ch]
            if arr.per_day <= 0:
                continue
            t, cat = arr.generate(day, st.get(f"arrivals.{ch}"), st.get(f"arrivals.{ch}.day"),
                                  st.get(f"category.{ch}"))
            n = len(t)
            urg = (st.get(f"urgency.{ch}").random(n)[:, None] >= sc.urgency_cum[cat]).sum(axis=1)
            u_triage = st.get(f"triage.{ch}").random(n)
            kind = np.where((urg == EMERGENCY) | (u_triage >= sc.direct_share[cat]), WORK_ORDER, DIRECT)
            u_handle = st.get(f"handle.{ch}").random(n)
            service = np.empty(n)
            table = sc.handle[ch]
            for k in (DIRECT, WORK_ORDER):
                for c in range(len(sc.categories)):
                    m = (kind == k) & (cat == c)
                    if m.any():
                        service[m] = table[k][c].ppf(u_handle[m])
            if ch == "phone":
                patience = sc.patience.ppf(st.get("patience.phone").random(n))
                cls = np.where(sc.priority_urgency[urg], CLS_URGENT, CLS_CALL)
            else:
                patience = np.full(n, sc.expire_s)
                cls = np.full(n, CLS_ONLINE)
            parts.append((t, np.full(n, ch_idx), cat, urg, kind, service, patience, cls))
        if not parts:
            return []
        cols = [np.concatenate([p[j] for p in parts]) for j in range(8)]
        order = np.argsort(cols[0], kind="stable")
        return list(zip(*(c[order].tolist() for c in cols)))

    def run_days(self):  # type: ignore[no-untyped-def]
        """SimPy process: load each day's arrivals at the start of the day."""
        day = 0
        while day * 86400.0 < self.sc.horizon_s:
            block = self.day_block(day)
            self._block, self._i = block, 0
            if block:
                self._pump.callbacks = [self._arrive]
                self.env.schedule(self._pump, NORMAL, block[0][0] - self.env.now)
            yield self.env.timeout(86400.0)
            day += 1

    def _arrive(self, ev: Tick) -> None:
        i = self._i
        block = self._block
        _, ch, cat, urg, kind, service_s, patience_s, cls = block[i]
        now = self.env._now
        iv = int(now * self._inv_iv)
        if iv > self._last_iv:
            iv = self._last_iv
        ident = self._next_id
        self._next_id = ident + 1
        c = Contact(ident, ch, cat, urg, kind, service_s, patience_s, cls, now, iv)
        self.live[ident] = c
        if ch == PHONE:
            self._r_calls_offered[iv] += 1
        else:
            self._r_online_offered[iv] += 1
        i += 1
        self._i = i
        if i < len(block):
            ev.callbacks = [self._arrive]
            self.env.schedule(ev, NORMAL, block[i][0] - now)
        self.pool.offer(c)

    # ------------------------------------------------------- pool callbacks
    def _on_start(self, c: Contact, now: float) -> None:
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
        if self.on_answered is not None:
            self.on_answered(c, now)
            return
        c.state = DONE
        self._terminal[T_DIRECT if c.kind == DIRECT else T_WORK_ORDER][c.iv] += 1
        del self.live[c.id]

    def _on_renege(self, c: Contact, now: float) -> None:
        if c.channel == PHONE:
            iv = c.iv_attempt
            self._r_calls_abandoned[iv] += 1
            self._r_wait_abandoned_s[iv] += now - c.t_attempt
            if c.retrials < self.sc.max_retrials and self._retry_u.next() < self.sc.retrial_probability:
                c.state = REDIAL
                self.env.schedule(Tick(self._redial, c), NORMAL, self._retry_delay.next())
                return
            self.finish(c, T_ABANDONED)
        else:
            self._r_online_expired[c.iv] += 1
            self.finish(c, T_EXPIRED)

    def _redial(self, ev: Tick) -> None:
        c = ev.item
        now = self.env._now
        iv = min(int(now * self._inv_iv), self._last_iv)
        c.retrials += 1
        c.attempt += 1
        c.t_attempt = now
        c.iv_attempt = iv
        c.patience_s = self._redial_patience.next()
        self._r_retrials[iv] += 1
        self.pool.offer(c)

    # ------------------------------------------------------------- helpers
    def finish(self, c: Contact, state: int) -> None:
        """Record that ``c`` ended in terminal state index ``state``."""
        c.state = DONE
        self._terminal[state][c.iv] += 1
        del self.live[c.id]

    def open_state(self, c: Contact) -> Optional[int]:
        """Index in :data:`OPEN_STATES` of a live contact that is still at the front line, else None."""
        if c.state == WAITING:
            return OPEN_STATES.index("waiting_operator")
        if c.state == IN_SERVICE:
            return OPEN_STATES.index("with_operator")
        if c.state == REDIAL:
            return OPEN_STATES.index("awaiting_redial")
        return None

    def run_intervals(self):  # type: ignore[no-untyped-def]
        """SimPy process: at each interval boundary, hand the pool's time-weighted areas to the recorder."""
        k = 0
        while True:
            yield self.env.timeout(self.sc.interval_s)
            self.flush(k)
            k += 1

    def flush(self, k: int) -> None:
        """Add the pool's areas since the last flush to interval ``k``."""
        busy, duty, q = self.pool.flush(self.env.now)
        self.rec.add_area(k, busy, duty, q[CLS_URGENT] + q[CLS_CALL], q[CLS_ONLINE])


__all__ = ["Contact", "FrontLine", "PHONE", "ONLINE", "GONE"]
