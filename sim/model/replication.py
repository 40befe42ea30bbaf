"""Wiring of one replication: the only place that knows how the parts connect.

:func:`run_replication` builds a SimPy environment, the replication's random
streams, the front line (operators and arrivals), the back office (units) and
the return visits (a feedback team, or the front line's operators), the staffing
and calendar processes; runs to the horizon plus the drain time; classifies every
contact still open; and returns a :class:`~sim.records.intervals.ReplicationResult`.  It
reads only the compiled scenario (:class:`~sim.model.compile.Compiled`), never the raw
configuration, and is a pure function of it and the replication number, which is
what makes serial, parallel and distributed runs give identical results.
"""

from __future__ import annotations

import gc
import time
from typing import Callable, Generator, Optional

import numpy as np
import simpy

from sim.config.schema import Config
from sim.core.calendar import WorkCalendar
from sim.core.engine import Pool
from sim.core.events import run_until
from sim.core.rng import Streams
from sim.model.backoffice import ST_AWAIT_VISIT, ST_DISPATCH, ST_ON_VISIT, ST_QUEUED, ST_SIGNED, BackOffice
from sim.model.compile import Compiled, compile_config
from sim.model.feedback import Feedback
from sim.model.frontline import FrontLine
from sim.model.requestlog import RequestLog
from sim.model.residents import CLS_OUTBOUND
from sim.model.staffing import run_staffing
from sim.records.backoffice import BackOfficeMeta, BackOfficeRecorder
from sim.records.intervals import OPEN_STATES, IntervalRecorder, ReplicationResult, RequestLogRecords

ProgressFn = Callable[[float], None]
_BACK_STAGE = {ST_DISPATCH: "in_dispatch", ST_QUEUED: "queued_at_unit", ST_SIGNED: "in_progress",
               ST_AWAIT_VISIT: "awaiting_return_visit", ST_ON_VISIT: "on_return_visit"}


def _every(env: simpy.Environment, step_s: float, fn: Callable[[int], None]) -> Generator:
    k = 0
    while True:
        yield env.timeout(step_s)
        fn(k)
        k += 1


def _class_gate(env: simpy.Environment, pool: Pool, cls: int, cal: WorkCalendar) -> Generator:
    """Open class ``cls`` of ``pool`` while ``cal`` is open, close it otherwise."""
    while True:
        now = env.now
        if cal.is_open(now):
            pool.set_class_open(cls, True)
            yield env.timeout(cal.open_until(now) - now)
        else:
            pool.set_class_open(cls, False)
            yield env.timeout(cal.next_open(now) - now)


class Replication:
    """The parts of one replication, wired together.

    Parameters
    ----------
    sc : Compiled
        The compiled scenario (:func:`sim.model.compile.compile_config`).
    replication : int
        Replication number (selects the random streams).
    """

    def __init__(self, sc: Compiled, replication: int) -> None:
        self.replication, self.sc = replication, sc
        self.env = env = simpy.Environment()
        self.streams = Streams(sc.seed, replication)
        clk = sc.clock
        self.rec = IntervalRecorder(clk.n_intervals, clk.interval_s)
        self.end_s = clk.end_s
        fb_spec = sc.feedback
        operators_visit = fb_spec is not None and fb_spec.operators_visit
        self.front = FrontLine(env, sc, self.streams, self.rec, n_classes=5 if operators_visit else 4)
        self.log = RequestLog() if sc.request_log else None
        if self.log is not None:
            self.front.on_finish = self.log.add
            self.front.on_abandon = self.log.abandon
        for group, changes in enumerate(sc.staffing.group_changes):
            env.process(run_staffing(env, self.front.pool, changes, group))
        if sc.staffing.reserve_half_hourly:
            env.process(self.front.run_reserve())
        env.process(self.front.run_days())
        env.process(_every(env, clk.interval_s, self._flush))
        self.team: Optional[Pool] = None
        self.back: Optional[BackOffice] = None
        if sc.backoffice is not None and fb_spec is not None:
            units = sc.backoffice.units
            n_days = int(np.ceil(self.end_s / 86400.0))
            self.brec = BackOfficeRecorder(len(units), len(sc.categories), n_days, units.type_names)
            self.back = BackOffice(env, sc.backoffice, self.streams, self.brec)
            fb = Feedback(env, fb_spec, self.streams, self.brec, self.back, self.front.finish)
            self.back.feedback = fb
            self.front.work_order = self.back.create
            if operators_visit:
                fb.pool, fb.cls, fb.route = self.front.pool, CLS_OUTBOUND, sc.routing.outbound_route
                self.front.outbound_start, self.front.outbound_end = fb.on_start, fb.on_end
            else:
                self.team = Pool(env, 1, fb.on_start, fb.on_end, lambda c, now: None, name="feedback team")
                fb.pool, fb.cls = self.team, 0
                env.process(run_staffing(env, self.team, fb_spec.team_changes))
            if not fb.calendar.always:
                env.process(_class_gate(env, fb.pool, fb.cls, fb.calendar))
            env.process(_every(env, 86400.0, self.back.sample_backlog))

    def _flush(self, k: int) -> None:
        self.front.flush(k)
        if self.team is not None:
            busy, duty, _ = self.team.flush(self.env.now)
            self.rec.add_area(k, feedback_busy_s=busy, feedback_staffed_s=duty)

    def run(self, progress: Optional[ProgressFn] = None) -> ReplicationResult:
        """Run to the horizon plus drain and collect the results."""
        t0 = time.perf_counter()
        if progress is not None:
            self.env.process(_every(self.env, 3600.0, lambda k: progress(3600.0)))
        # The event path breaks the only cycles it makes (a contact and its tick, when the contact
        # finishes; an operator and its tick, when the operator leaves), so reference counting frees
        # everything; the cyclic collector would only re-scan the hundreds of thousands of live
        # contacts again and again (30-50% of the run time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            run_until(self.env, self.end_s)
            if self.back is not None:  # the sample at the very end is not processed by env.run
                self.back.sample_backlog(int(np.ceil(self.end_s / 86400.0)) - 1)
        finally:
            if collecting:
                gc.enable()
        clk = self.sc.clock
        # the time since the last flush: the last interval, or (with a drain) the slot after the horizon
        self._flush(clk.n_intervals - 1 if clk.drain_s <= 0 else clk.n_intervals)
        open_counts = np.zeros((len(OPEN_STATES), clk.n_intervals))
        index = {s: i for i, s in enumerate(OPEN_STATES)}
        callbacks = self.front.callbacks
        for c in self.front.live.values():
            state = self.front.open_state(c) or self._back_state(c)
            open_counts[index[state], c.iv] += 1
            if callbacks is not None:
                callbacks.count_open(c, self.end_s)
            if self.back is not None:
                self.back.count_open(c, self.end_s)
            if self.log is not None:
                self.log.add(c, f"open:{state}")
        intervals = self.rec.table()
        staffing = self.sc.staffing  # the plan's, fixed before the run (copies: a result owns its arrays)
        intervals["scheduled_operators"] = staffing.scheduled.copy()
        intervals["rostered_operators"] = staffing.rostered.copy()
        intervals["staffing_cost_per_h"] = staffing.cost_per_h.copy()
        result = ReplicationResult(
            replication=self.replication, seed=self.sc.seed, interval_s=clk.interval_s,
            warmup_intervals=clk.warmup_intervals, intervals=intervals,
            terminal=np.asarray(self.rec.terminal, dtype=float), open=open_counts,
            contacts_created=self.front._next_id, after_horizon=self.rec.after_horizon())
        if self.front.groups is not None:
            result.groups = self.front.groups.arrays()
        if self.front.cb_rec is not None:
            result.callbacks = self.front.cb_rec.arrays()
        if self.back is not None:
            assert self.sc.backoffice is not None  # a back office exists only when the scenario has units
            units = self.sc.backoffice.units
            result.backoffice = self.brec.arrays(BackOfficeMeta(
                type_of=units.type_of.tolist(), type_names=list(units.type_names),
                unit_names=[u.name for u in units.units], capacity=[u.capacity for u in units.units],
                categories=list(self.sc.categories)))
        if self.log is not None:
            result.request_log = RequestLogRecords(self.log.columns(), self.log.abandoned_columns())
        result.wall_s = time.perf_counter() - t0
        return result

    @staticmethod
    def _back_state(c) -> str:  # type: ignore[no-untyped-def]
        state = _BACK_STAGE.get(c.stage)
        if state is None:  # pragma: no cover - every live contact is somewhere
            raise RuntimeError(f"contact {c.id} is live in no known state (stage {c.stage}, state {c.state})")
        return state


def run_replication(cfg: Config, replication: int, compiled: Optional[Compiled] = None,
                    progress: Optional[ProgressFn] = None) -> ReplicationResult:
    """Simulate one replication.

    Parameters
    ----------
    cfg : Config
        A validated configuration (read only by :func:`sim.model.compile.compile_config`).
    replication : int
        Replication number (selects the random streams).
    compiled : Compiled, optional
        ``compile_config(cfg)``, if already available.
    progress : callable, optional
        Called with simulated seconds elapsed, once per simulated hour.

    Returns
    -------
    ReplicationResult
    """
    sc = compiled if compiled is not None else compile_config(cfg)
    return Replication(sc, replication).run(progress)
