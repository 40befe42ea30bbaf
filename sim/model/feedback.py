"""Return visits: the call that asks a resident whether the problem was solved.

After a close-out and a delay (``feedback.delay_h``), a return-visit call falls
due; it is made only while residents may be called (``feedback.calendar``): the
pool's outbound class is closed outside those hours, so calls falling due at
night wait for the morning, in the order they fell due.  It
is an item of an operator :class:`~sim.core.engine.Pool`: the feedback team's own
pool (``feedback.mode: team``), or the front line's, in its lowest-priority
class, so that operators make it only when no inbound call or online item waits
(``mode: operators``).  Either way the call occupies an operator for its talk
time (reached) or its ringing time (not reached).

An attempt reaches the resident with ``feedback.reach_probability``; unanswered
attempts are retried after ``feedback.retry_delay_h`` up to
``feedback.max_attempts``, after which the order ends as closed and not reached.
A reached resident says whether the problem was solved (probability by the
unit's outcome) and whether they are satisfied (probability by what they said);
both probabilities are multiplied by a factor when the close-out was late.  An
unsatisfied case is reopened with ``feedback.reopen_probability`` and goes back
to the same unit, up to ``feedback.max_rounds`` rounds; otherwise the rating is
final and the order ends as closed and rated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import simpy

from sim.core.calendar import WorkCalendar
from sim.core.engine import INF, Pool, Tick
from sim.core.rng import Streams, UniformBuffer, ValueBuffer
from sim.model.backoffice import ST_AWAIT_VISIT, ST_ON_VISIT, BackOffice
from sim.model.residents import COL_U_REOPEN, COL_U_REPORTS, COL_U_SATISFIED, COL_VISIT_DELAY_S
from sim.records.backoffice import BackOfficeRecorder

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.compile import FeedbackSpec


class Feedback:
    """Return visits of one replication.

    Parameters
    ----------
    env : simpy.Environment
        The simulation environment.
    spec : FeedbackSpec
        The compiled return-visit settings (``Compiled.feedback``).
    streams : Streams
        The replication's streams.
    rec : BackOfficeRecorder
        Where counters go.
    backoffice : BackOffice
        Receives reopened cases.
    finish : callable
        ``finish(contact, terminal_state_name)`` ends a contact.
    """

    def __init__(self, env: simpy.Environment, spec: "FeedbackSpec", streams: Streams, rec: BackOfficeRecorder,
                 backoffice: BackOffice, finish: Callable) -> None:
        fb = spec
        self.env = env
        self.rec = rec
        self.backoffice = backoffice
        self.timer = backoffice.timer
        self._cb_due = [self._due]
        self.finish = finish
        self.calendar: WorkCalendar = fb.calendar
        self.pool: Pool = None  # type: ignore[assignment]  # set by the model
        self.cls = 0
        self.route = 0  # the route of outbound calls in the pool (routing.skills.outbound)
        self._p_reach = fb.reach_probability
        self._max_attempts = fb.max_attempts
        self._max_rounds = fb.max_rounds
        self._p_reopen = fb.reopen_probability
        self._p_reports = fb.p_reports_resolved  # explained, resolved
        self._p_sat = fb.p_satisfied  # not resolved, resolved
        self._late_res, self._late_sat = fb.late_factor_resolved, fb.late_factor_satisfied
        self._u_reach = UniformBuffer(streams.get("feedback.reach"))
        self._u_later = UniformBuffer(streams.get("feedback.later_rounds"))
        self._talk = ValueBuffer(fb.talk.ppf, streams.get("feedback.talk"))
        self._ring = ValueBuffer(fb.no_answer.ppf, streams.get("feedback.no_answer"))
        self._retry = ValueBuffer(fb.retry_delay.ppf, streams.get("feedback.retry"), 3600.0)
        self._delay = ValueBuffer(fb.delay.ppf, streams.get("feedback.later_delay"), 3600.0)
        u = rec.unit
        self._r_rated, self._r_res, self._r_sat = u["rated"], u["rated_resolved"], u["rated_satisfied"]
        self._r_not_reached, self._r_reached = u["not_reached"], u["visits_reached"]

    def schedule(self, c, now: float) -> None:  # type: ignore[no-untyped-def]
        """Plan the return visit of a contact just closed."""
        c.stage = ST_AWAIT_VISIT
        c.visit_attempts = 0
        delay = c.row[COL_VISIT_DELAY_S] if c.round == 1 else self._delay.next()
        self._plan(c, delay)

    def _plan(self, c, delay: float) -> None:  # type: ignore[no-untyped-def]
        """Schedule the next attempt ``delay`` seconds ahead.

        An attempt due outside calling hours joins the pool's queue then and waits: the
        pool's outbound class is closed outside ``feedback.calendar``, so operators take
        the night's attempts from the next opening, in the order they fell due.
        """
        tick = c.tick
        tick.callbacks = self._cb_due
        self.timer.schedule(tick, delay)

    def _due(self, ev: Tick) -> None:
        c = ev.item
        c.visit_attempts += 1
        c.visit_reached = self._u_reach.next() < self._p_reach
        c.service_s = self._talk.next() if c.visit_reached else self._ring.next()
        c.cls = self.cls
        c.route = self.route
        c.patience_s = INF
        c.attempt += 1
        self.rec.totals["visit_attempts"] += 1
        self.pool.offer(c)

    def on_start(self, c, now: float) -> None:  # type: ignore[no-untyped-def]
        """An operator starts the call."""
        c.stage = ST_ON_VISIT

    def on_end(self, c, now: float) -> None:  # type: ignore[no-untyped-def]
        """The call ends: rate, retry later, or give up."""
        if c.visit_reached:
            if c.in_window:
                self._r_reached[c.unit] += 1
            self._rate(c, now)
        elif c.visit_attempts < self._max_attempts:
            c.stage = ST_AWAIT_VISIT
            self._plan(c, self._retry.next())
        else:
            if c.in_window:
                self._r_not_reached[c.unit] += 1
            self.finish(c, "closed_not_reached")

    def _rate(self, c, now: float) -> None:  # type: ignore[no-untyped-def]
        if c.round == 1:
            u_rep, u_sat, u_reopen = c.row[COL_U_REPORTS], c.row[COL_U_SATISFIED], c.row[COL_U_REOPEN]
        else:
            u_rep, u_sat, u_reopen = self._u_later.next(), self._u_later.next(), self._u_later.next()
        late = c.late
        p_rep = self._p_reports[1 if c.resolved else 0] * (self._late_res if late else 1.0)
        reports_resolved = u_rep < p_rep
        p_sat = self._p_sat[1 if reports_resolved else 0] * (self._late_sat if late else 1.0)
        satisfied = u_sat < p_sat
        c.reports_resolved, c.satisfied = reports_resolved, satisfied
        if not satisfied and c.round < self._max_rounds and u_reopen < self._p_reopen:
            self.backoffice.reopen(c, now)
            return
        if c.in_window:
            uid = c.unit
            self._r_rated[uid] += 1
            if reports_resolved:
                self._r_res[uid] += 1
            if satisfied:
                self._r_sat[uid] += 1
        day = int(now / 86400.0)
        if day < self.rec.n_days:
            self.rec.daily["ratings"][day] += 1
        c.t_rated = now
        self.finish(c, "closed_rated")
