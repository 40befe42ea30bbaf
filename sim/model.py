"""Wiring of one replication: the only place that knows how the parts connect.

:func:`run_replication` builds a SimPy environment, the replication's random
streams, the front line (operators and arrivals) and the staffing process,
runs to the horizon and returns a :class:`~sim.records.ReplicationResult`.  It
is a pure function of the configuration and the replication number, which is
what makes serial, parallel and distributed runs give identical results.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np
import simpy

from .config import Config
from .frontline import FrontLine
from .records import OPEN_STATES, IntervalRecorder, ReplicationResult
from .rng import Streams
from .scenario import Compiled, compile_config
from .staffing import run_staffing, scheduled_headcount

ProgressFn = Callable[[float], None]


def _progress_process(env: simpy.Environment, step_s: float, report: ProgressFn):  # type: ignore[no-untyped-def]
    while True:
        yield env.timeout(step_s)
        report(step_s)


def run_replication(cfg: Config, replication: int, compiled: Optional[Compiled] = None,
                    progress: Optional[ProgressFn] = None) -> ReplicationResult:
    """Simulate one replication.

    Parameters
    ----------
    cfg : Config
        A validated configuration.
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
    t0 = time.perf_counter()
    sc = compiled if compiled is not None else compile_config(cfg)
    env = simpy.Environment()
    streams = Streams(cfg.experiment.seed, replication)
    rec = IntervalRecorder(sc.n_intervals, sc.interval_s)
    front = FrontLine(env, sc, streams, rec)
    env.process(run_staffing(env, front.pool, sc.staff_changes))
    env.process(front.run_days())
    env.process(front.run_intervals())
    if progress is not None:
        env.process(_progress_process(env, 3600.0, progress))
    env.run(until=sc.horizon_s)
    front.flush(sc.n_intervals - 1)

    open_counts = np.zeros((len(OPEN_STATES), sc.n_intervals))
    for c in front.live.values():
        state = front.open_state(c)
        if state is None:  # pragma: no cover - every live contact is somewhere at the front line
            raise RuntimeError(f"contact {c.id} is live in no known state")
        open_counts[state, c.iv] += 1
    intervals = rec.table()
    intervals["scheduled_operators"] = scheduled_headcount(sc.staff_changes, sc.interval_s, sc.n_intervals)
    return ReplicationResult(
        replication=replication, seed=cfg.experiment.seed, interval_s=sc.interval_s,
        warmup_intervals=sc.warmup_intervals, intervals=intervals,
        terminal=np.asarray(rec.terminal, dtype=float), open=open_counts,
        wall_s=time.perf_counter() - t0,
        extra={"contacts_created": front._next_id},
    )
