"""Callbacks at the front line: the offer, the attempts, and where every accepted callback ends.

The rule and its sources are in :mod:`sim.policies.callbacks`; this module
carries it out for one replication.  :meth:`Callbacks.consider` is called for a
call attempt of the ordinary call class before it is offered to the operator
pool: if no operator is free and the estimated wait exceeds
``routing.callback.offer_when_wait_s``, the caller is offered a callback and
accepts against the uniform number drawn when the resident was created
(:data:`sim.model.residents.COL_U_CALLBACK`).  An accepted contact stays an item
of the pool - with no patience, in the call class (``virtual_queue``) or in the
callback class (``window``) - and an operator who takes it makes a callback
attempt (:meth:`Callbacks.start`): reached, the operator handles the request as
an answered call; not reached, the operator spends ``no_answer_s`` and the
attempt is retried after ``retry_delay_s`` (:meth:`Callbacks.end`), until
``max_attempts``, when the contact ends as ``callback_not_reached``.

Every accepted callback ends in exactly one of *completed* (reached),
*not reached* (a terminal state of the contact) or *pending* when the run stops
(the open state ``awaiting_callback``); :meth:`Callbacks.count_open` counts the
pending ones, so ``accepted = completed + not_reached + pending`` in every
interval.  Virtual callbacks waiting among the calls are not callers on the
line: their time in the queue is taken out of the queue-length area of calls
(:meth:`Callbacks.flush_virtual_area`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import simpy
from simpy.core import NORMAL

from sim.core.engine import INF, Pool, Tick
from sim.core.rng import Streams, UniformBuffer
from sim.model.residents import CLS_CALL, CLS_CALLBACK, COL_SERVICE, COL_U_CALLBACK
from sim.policies.callbacks import estimated_wait_s
from sim.records.routing import CallbackRecorder

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.compile import CallbackSpec

#: ``Contact.cb``: no callback; accepted and not yet reached; reached (then handled as a call); failed.
NO_CALLBACK, PENDING, REACHED, FAILED = 0, 1, 2, 3
CB_RETRY = 6  # item state: a callback attempt failed, the next one is scheduled


class Callbacks:
    """The callback offer and attempts of one replication.

    Parameters
    ----------
    env : simpy.Environment
        The environment.
    spec : CallbackSpec
        The compiled callback settings (``Compiled.callback``).
    home : sequence of int
        The home group of each route (:attr:`sim.policies.routing.RoutingPlan.home`).
    streams : Streams
        The replication's streams (callback reach).
    pool : Pool
        The front line's operator pool.
    rec : CallbackRecorder
        Where counters go.
    finish : callable
        ``finish(contact, terminal_state)`` ends a contact.
    """

    def __init__(self, env: simpy.Environment, spec: "CallbackSpec", home: Sequence[int], streams: Streams,
                 pool: Pool, rec: CallbackRecorder, finish: Any) -> None:
        self.env, self.pool, self.rec, self.finish = env, pool, rec, finish
        self.keeps_place = spec.mode.keeps_place
        self.cls = CLS_CALL if spec.mode.keeps_place else CLS_CALLBACK
        self._threshold = spec.offer_when_wait_s
        self._p_accept = spec.accept_probability
        self._window = spec.window_s
        self._p_reach = spec.reach_probability
        self._max_attempts = spec.max_attempts
        self._retry_s = spec.retry_delay_s
        self._ring_s = spec.no_answer_s
        self._mean_handle = spec.mean_handle_s
        self._home = home
        self._u_reach = UniformBuffer(streams.get("callback.reach"))
        self._n = rec.n
        c = rec.counts
        self._r_offered, self._r_accepted, self._r_completed = c["offered"], c["accepted"], c["completed"]
        self._r_not_reached, self._r_pending, self._r_missed = c["not_reached"], c["pending"], c["missed_window"]
        self._r_delay, self._r_attempts = c["delay_s"], c["attempts"]
        # virtual callbacks among the calls: count and time-weighted area since the last flush
        self._virtual = 0
        self._t_v = 0.0
        self._v_area = 0.0

    def consider(self, c: Any, now: float, iv: int) -> None:
        """Offer a callback to the call attempt ``c`` (class ``CLS_CALL``) if its estimated wait is too long."""
        pool = self.pool
        if pool.free_for(c.route, c.cls):
            return
        home = self._home[c.route]
        wait = estimated_wait_s(pool.waiting_ahead(c.cls, home), pool.groups[home].on_duty, self._mean_handle)
        if wait <= self._threshold:
            return
        self._r_offered[iv] += 1
        if c.row[COL_U_CALLBACK] >= self._p_accept:
            return
        self._r_accepted[iv] += 1
        c.cb, c.cb_iv, c.t_cb, c.cb_tries = PENDING, iv, now, 0
        c.patience_s = INF
        c.cls = self.cls
        if self.keeps_place:
            self._count_virtual(now, 1)

    def _count_virtual(self, now: float, change: int) -> None:
        self._v_area += self._virtual * (now - self._t_v)
        self._t_v = now
        self._virtual += change

    def start(self, c: Any, now: float) -> None:
        """An operator takes a pending callback: the attempt reaches the resident or rings out."""
        if self.keeps_place:
            self._count_virtual(now, -1)
        c.cb_tries += 1
        iv = c.cb_iv
        self._r_attempts[iv] += 1
        if c.cb_tries == 1:
            c.t_cb_first = now
            if now - c.t_cb > self._window:
                self._r_missed[iv] += 1
        if self._u_reach.next() < self._p_reach:
            c.cb = REACHED
            c.t_answered = now
            c.service_s = c.row[COL_SERVICE]
            self._r_completed[iv] += 1
            self._r_delay[iv] += now - c.t_cb
        else:
            c.service_s = self._ring_s

    def end(self, c: Any, now: float) -> None:
        """A callback attempt that did not reach the resident ends: retry later, or give up."""
        if c.cb_tries < self._max_attempts:
            c.state = CB_RETRY
            self.env.schedule(Tick(self._retry, c), NORMAL, self._retry_s)  # type: ignore[arg-type]
            return
        c.cb = FAILED
        self._r_not_reached[c.cb_iv] += 1
        self.finish(c, "callback_not_reached")

    def _retry(self, ev: Tick) -> None:
        c = ev.item
        c.attempt += 1
        if self.keeps_place:
            self._count_virtual(self.env._now, 1)
        self.pool.offer(c)

    def count_open(self, c: Any, end_s: float) -> None:
        """At the end of the run: a callback still pending, and whether it has missed its window by then."""
        if c.cb != PENDING:
            return
        self._r_pending[c.cb_iv] += 1
        if c.cb_tries == 0 and end_s - c.t_cb > self._window:
            self._r_missed[c.cb_iv] += 1

    def flush_virtual_area(self, now: float) -> float:
        """Callback-seconds that virtual callbacks spent among the waiting calls since the last flush."""
        self._count_virtual(now, 0)
        area, self._v_area = self._v_area, 0.0
        return area
