"""The work-order pipeline: dispatch, bounce-back, the unit's queue, response, resolution, close-out.

When an operator finishes a contact triaged as a work order, :meth:`BackOffice.create`
takes it over.  Its path, every step a :class:`~sim.core.engine.Tick`:

1. **Dispatch** after a delay that depends on the urgency class (on time if
   within ``workorders.dispatch_limit_h``: 1 h / 2 h / 24 h in Beijing's standard).
2. A **misrouted** order reaches a wrong unit, which reviews it (a delay, then
   the next moment it is at work) and bounces it back; the hotline re-dispatches
   it (a new dispatch delay; it may be misrouted again).  Bounce-backs are counted.
3. At the right unit the order waits for a free case slot (capacity =
   case workers x caseload), most urgent class first, then earliest deadline;
   orders are signed only while the unit is at work (its calendar).
4. **Response**: the unit contacts the resident after a delay, at work; on time
   if within ``workorders.response_limit_h`` of the order's arrival at the unit.
5. **Resolution** after the handling time (per category, or per urgency class),
   elapsed time; the **close-out** is filed at the next moment the unit is at
   work, which frees the slot.  Response and close-out times are both fixed when
   the order is signed, so one event (the close-out) carries the whole action.
   On time if within ``workorders.closeout_limit_h`` of the round's arrival at
   the unit.  The outcome is resolved, or explained but not resolvable.
6. The return visit follows (:mod:`sim.model.feedback`); a reopened case comes back
   through :meth:`BackOffice.reopen` to the same unit for another round.

The dispatch policies (:mod:`sim.policies.dispatch`) change steps 1-2: with
``workorders.dispatch=via_district`` an order for a street passes its district,
which reviews it (``workorders.district_review_h``, in the district's working
hours) and may catch a misroute before forwarding it, and the dispatch limit is
checked on arrival at the unit; with ``workorders.assignment=least_loaded`` the
unit is the least loaded of the drawn unit's type when the order is created.

First-round durations come from the resident's attributes drawn at creation
(:mod:`sim.model.residents`); re-dispatches and later rounds draw from streams of their own.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any, Optional, Protocol

import numpy as np
import simpy

from sim.core.engine import FarTimer, Tick
from sim.core.rng import Streams, UniformBuffer
from sim.model.residents import (
    COL_DISPATCH_S,
    COL_RESOLUTION_S,
    COL_RESOLVED,
    COL_RESPONSE_S,
    COL_REVIEW_S,
    COL_UNIT,
    COL_WRONG_UNIT,
)
from sim.model.units import Unit
from sim.records.backoffice import BackOfficeRecorder

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.compile import BackOfficeSpec


class ReturnVisits(Protocol):
    """Where a closed case goes next: the return visits (:class:`sim.model.feedback.Feedback`)."""

    def schedule(self, c: Any, now: float) -> None:
        """Plan the return visit of contact ``c``, whose case was closed at ``now``."""

_INV_DAY = 1.0 / 86400.0

# Stages of a contact after the front line (also read by the model to classify open contacts).
ST_DISPATCH, ST_QUEUED, ST_SIGNED, ST_AWAIT_VISIT, ST_ON_VISIT = range(1, 6)


class BackOffice:
    """Units working their orders, for one replication.

    Parameters
    ----------
    env : simpy.Environment
        The simulation environment.
    spec : BackOfficeSpec
        The compiled work-order pipeline (``Compiled.backoffice``).
    streams : Streams
        The replication's streams (for re-dispatches and later rounds).
    rec : BackOfficeRecorder
        Where counters go.
    """

    def __init__(self, env: simpy.Environment, spec: "BackOfficeSpec", streams: Streams,
                 rec: BackOfficeRecorder) -> None:
        self.env = env
        self.timer = FarTimer(env)
        self.spec = spec
        self.rec = rec
        # fresh live state for this replication (the compiled scenario is shared and must stay immutable)
        self.units = [Unit(u.uid, u.type_index, u.name, u.capacity, u.calendar) for u in spec.units.units]
        self.directory = spec.units
        self.feedback: Optional[ReturnVisits] = None
        self._seq = 0
        self._sampled: set[int] = set()
        self._n_days = rec.n_days
        self._d_created, self._d_closeouts = rec.daily["work_orders_created"], rec.daily["closeouts"]
        # SimPy only iterates an event's callback list, so one list per step can be shared
        self._cb_arrive, self._cb_bounced, self._cb_closed = [self._arrive], [self._bounced], [self._closed]
        self._dispatch_limit = spec.dispatch_limit_s.tolist()
        self._response_limit = spec.response_limit_s.tolist()
        self._closeout_limit = spec.closeout_limit_s.tolist()
        self._u_redispatch = UniformBuffer(streams.get("wo.redispatch"))
        self._u_later = UniformBuffer(streams.get("wo.later_rounds"))
        u = rec.unit
        self._r_received, self._r_bounced = u["orders_received"], u["bounced"]
        self._r_resp_due, self._r_resp_ok = u["response_due"], u["response_on_time"]
        self._r_close, self._r_close_due, self._r_close_ok = u["closeouts"], u["closeouts_due"], u["closeouts_on_time"]
        self._r_reopened = u["reopened"]
        g = rec.urgency
        self._g_disp, self._g_disp_ok = g["dispatched"], g["dispatch_on_time"]
        self._g_close_due, self._g_close_ok = g["closeouts_due"], g["closeouts_on_time"]
        self._g_resp_due, self._g_resp_ok = g["response_due"], g["response_on_time"]
        self._dispatch = spec.dispatch
        self._assign = spec.assignment
        self._district_of = spec.units.district_of
        if self._dispatch.via_district:
            assert spec.district_review is not None
            self._u_district = UniformBuffer(streams.get("wo.district"))
            self._district_review = spec.district_review
            self._catch_p = spec.district_catch_p
            self._cb_district, self._cb_forward = [self._at_district], [self._forward]
        if self._assign.by_load:
            self._init_loads(list(spec.assignment_types))

    def _at(self, c, callbacks: list, delay: float, tag: object = None) -> None:  # type: ignore[no-untyped-def]
        """Schedule the contact's own tick (it has one pending step at a time) with ``callbacks``."""
        tick = c.tick
        tick.callbacks = callbacks
        tick.tag = tag
        self.timer.schedule(tick, delay)

    # ------------------------------------------------------------- dispatch
    def create(self, c, now: float) -> None:  # type: ignore[no-untyped-def]
        """Take over a contact that the operator turned into a work order."""
        row = c.row
        c.stage = ST_DISPATCH
        c.round = 1
        c.unit = row[COL_UNIT]
        wrong = row[COL_WRONG_UNIT]
        if self._assign.by_load:
            wrong = self._assign_by_load(c, wrong)
        delay = row[COL_DISPATCH_S]
        urg = c.urgency
        target = wrong if wrong >= 0 else c.unit
        district = self._dispatch.first_stop(target, self._district_of)
        if c.in_window:
            self.rec.totals["work_orders"] += 1
            self._g_disp[urg] += 1
            if district < 0 and delay <= self._dispatch_limit[urg]:
                self._g_disp_ok[urg] += 1
        day = int(now * _INV_DAY)
        if day < self._n_days:
            self._d_created[day] += 1
        if district >= 0:  # via the district: it reviews the order first
            c.tick = tick = Tick(self._at_district, c, target)
        else:
            c.tick = tick = Tick(self._arrive, c, target)  # reused for every later step
        self.timer.schedule(tick, delay)

    def _at_district(self, ev: Tick) -> None:
        """An order reaches the district of its (street) target: a review, in working hours; a misroute may be
        caught and the order redirected to the right street."""
        c, target = ev.item, ev.tag
        now = self.env._now
        district = self.units[int(self._district_of[target])]
        review = float(self._district_review.ppf(self._u_district.next())) * 3600.0
        t = district.calendar.next_open(now + review)
        caught = self._u_district.next() < self._catch_p
        if target != c.unit and caught:
            target = c.unit
        self._at(c, self._cb_forward, t - now, target)

    def _forward(self, ev: Tick) -> None:
        """The district forwards the order: it is dispatched now (the dispatch limit counts from the call's end)."""
        c = ev.item
        if c.t_dispatched is None and c.in_window:
            urg = c.urgency
            if self.env._now - c.t_handled <= self._dispatch_limit[urg]:
                self._g_disp_ok[urg] += 1
        self._arrive(ev)

    def _arrive(self, ev: Tick) -> None:
        c, uid = ev.item, ev.tag
        now = self.env._now
        if c.t_dispatched is None:
            c.t_dispatched = now
        if uid != c.unit:
            unit = self.units[uid]
            if c.in_window:
                self._r_bounced[uid] += 1
                if c.bounces == 0:
                    self.rec.totals["orders_bounced"] += 1
            review = c.row[COL_REVIEW_S] if c.bounces == 0 else self.spec.review.ppf(self._u_redispatch.next()) * 3600.0
            t = unit.calendar.next_open(now + float(review))
            self._at(c, self._cb_bounced, t - now)
            return
        if c.in_window:
            self._r_received[uid] += 1
        self._enqueue(c, now)

    def _bounced(self, ev: Tick) -> None:
        c = ev.item
        c.bounces += 1
        urg = c.urgency
        delay = float(self.spec.dispatch_delay[urg].ppf(self._u_redispatch.next())) * 3600.0
        target = c.unit
        if self._u_redispatch.next() < self.spec.misroute_p:
            target = self.directory.wrong_unit(c.unit, self._u_redispatch.next())
        if self._dispatch.first_stop(target, self._district_of) >= 0:
            self._at(c, self._cb_district, delay, target)
        else:
            self._at(c, self._cb_arrive, delay, target)

    # --------------------------------------------------------------- at the unit
    def _enqueue(self, c, now: float) -> None:  # type: ignore[no-untyped-def]
        unit = self.units[c.unit]
        c.stage = ST_QUEUED
        if c.round == 1:
            c.t_unit = now  # the first arrival at the right unit (the log's "at_unit"; response limit origin)
        c.deadline = now + self._closeout_limit[c.urgency]  # each round's close-out limit runs from its arrival
        self._seq += 1
        heappush(unit.queue, (c.urgency, c.deadline, self._seq, c))
        self._try_sign(unit, now)

    def _try_sign(self, unit, now: float) -> None:  # type: ignore[no-untyped-def]
        if not unit.queue or unit.free <= 0:
            return
        cal = unit.calendar
        if not cal.always and not cal.is_open(now):
            if not unit.wake_pending:
                unit.wake_pending = True
                self.timer.schedule(Tick(self._wake, unit), cal.next_open(now) - now)
            return
        while unit.free > 0 and unit.queue:
            c = heappop(unit.queue)[3]
            unit.free -= 1
            self._sign(c, unit, now)

    def _wake(self, ev: Tick) -> None:
        unit = ev.item
        unit.wake_pending = False
        self._try_sign(unit, self.env._now)

    def _sign(self, c, unit, now: float) -> None:  # type: ignore[no-untyped-def]
        """Sign the order: its response and close-out times follow, so one event (the close-out) suffices."""
        c.stage = ST_SIGNED
        cal = unit.calendar
        always = cal.always
        if c.round == 1:
            c.t_signed = now
            t_resp = now + c.row[COL_RESPONSE_S]
            if not always:
                t_resp = cal.next_open(t_resp)
            c.t_response = t_resp
            if c.in_window:
                uid, urg = c.unit, c.urgency
                self._r_resp_due[uid] += 1
                self._g_resp_due[urg] += 1
                if t_resp - c.t_unit <= self._response_limit[urg]:
                    self._r_resp_ok[uid] += 1
                    self._g_resp_ok[urg] += 1
            resolution = c.row[COL_RESOLUTION_S]
        else:
            u_resp, u_res = self._u_later.next(), self._u_later.next()
            t_resp = cal.next_open(now + float(self.spec.response_delay[c.urgency].ppf(u_resp)) * 3600.0)
            resolution = float(self.spec.resolution[c.category][c.urgency].ppf(u_res)) * 3600.0
        t_close = t_resp + resolution
        if not always:
            t_close = cal.next_open(t_close)
        tick = c.tick
        tick.callbacks = self._cb_closed
        self.timer.schedule(tick, t_close - now)

    def _closed(self, ev: Tick) -> None:
        self._close(ev.item, self.env._now)

    def _close(self, c, now: float) -> None:  # type: ignore[no-untyped-def]
        uid, urg = c.unit, c.urgency
        unit = self.units[uid]
        unit.free += 1
        if self._assign.by_load:
            self._open[uid] -= 1
        c.late = now > c.deadline
        if c.in_window:
            self._r_close[uid] += 1
            self._r_close_due[uid] += 1
            self._g_close_due[urg] += 1
            if not c.late:
                self._r_close_ok[uid] += 1
                self._g_close_ok[urg] += 1
            if c.round == 1:
                self.rec.add_time_to_close(c.category, (now - c.t_arrive) / 3600.0)
        day = int(now * _INV_DAY)
        if day < self._n_days:
            self._d_closeouts[day] += 1
        if c.round == 1:
            c.t_closed = now
            c.resolved = bool(c.row[COL_RESOLVED])
        else:
            c.resolved = self._u_later.next() < self.spec.resolved_share[c.category]
        self.feedback.schedule(c, now)  # type: ignore[union-attr]
        self._try_sign(unit, now)

    def reopen(self, c, now: float) -> None:  # type: ignore[no-untyped-def]
        """Send a case rated unsatisfied back to the same unit for another round."""
        c.round += 1
        if c.in_window:
            self._r_reopened[c.unit] += 1
        if self._assign.by_load:
            self._open[c.unit] += 1
        self._enqueue(c, now)

    # ------------------------------------------------------------- assignment by load
    def _init_loads(self, types: list) -> None:
        """Open orders per unit, and per type the units' case slots, for ``workorders.assignment=least_loaded``."""
        d = self.directory
        self._open = np.zeros(len(d), dtype=float)
        self._by_load = set(types)
        cap = np.array([u.capacity for u in d.units], dtype=float)
        self._inv_cap = np.where(cap > 0, 1.0 / np.maximum(cap, 1.0), 0.0)
        self._no_slots = np.where(cap > 0, 0.0, np.inf)

    def _assign_by_load(self, c, wrong: int) -> int:  # type: ignore[no-untyped-def]
        """Move the order to the least loaded unit of its unit's type; a misroute keeps its offset in the type."""
        d = self.directory
        drawn = c.unit
        t = d.units[drawn].type_index
        if t in self._by_load and d.counts[t] > 1:
            first, size = d.offsets[t], d.counts[t]
            span = slice(first, first + size)
            load = self._open[span] * self._inv_cap[span] + self._no_slots[span]
            c.unit = self._assign.choose(drawn, first, load)
            if wrong >= 0:
                wrong = first + (c.unit - first + (wrong - drawn)) % size
        self._open[c.unit] += 1
        return int(wrong)

    # ------------------------------------------------------------- the horizon
    def count_open(self, c, now: float) -> None:  # type: ignore[no-untyped-def]
        """At the end of the run, an open order of the window: past its response or close-out deadline it
        counts as late; otherwise its outcome is pending (censored: ``pending_*``), and an order not yet
        closed goes into the censored time-to-close histogram at its age."""
        if not c.in_window or c.stage == 0:
            return
        uid, urg, u = c.unit, c.urgency, self.rec.unit
        u["pending_rating"][uid] += 1
        if c.stage not in (ST_DISPATCH, ST_QUEUED, ST_SIGNED):
            return  # closed, awaiting or on its return visit
        if c.round == 1:
            self.rec.add_not_closed(c.category, (now - c.t_arrive) / 3600.0)
        at_unit = c.stage != ST_DISPATCH
        if at_unit and now > c.deadline:
            self._r_close_due[uid] += 1
            self._g_close_due[urg] += 1
        else:
            u["pending_closeout"][uid] += 1
            self.rec.urgency["pending_closeout"][urg] += 1
        if c.round == 1 and c.stage != ST_SIGNED:  # the response is fixed when the order is signed
            if at_unit and now - c.t_unit > self._response_limit[urg]:
                self._r_resp_due[uid] += 1
                self._g_resp_due[urg] += 1
            else:
                u["pending_response"][uid] += 1
                self.rec.urgency["pending_response"][urg] += 1

    def sample_backlog(self, day: int) -> None:
        """Record, for day ``day``, the orders queued and in progress per unit type (once per day)."""
        names = self.directory.type_names
        if not 0 <= day < self.rec.n_days or day in self._sampled:
            return
        self._sampled.add(day)
        for unit in self.units:
            t = names[unit.type_index]
            q = len(unit.queue)
            self.rec.queued[t][day] += q
            self.rec.backlog[t][day] += q + unit.capacity - unit.free
