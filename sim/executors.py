"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

A replication is a pure function of the configuration and its number, so every
executor returns the same :class:`~sim.records.ReplicationResult` for the same
inputs; results are always handed back keyed by replication number, and the
experiment puts them in order.  A replication that raises is reported as a
:class:`Failure` (with its seed and the error) instead of stopping the others.

* ``serial`` - this process, with a progress bar over simulated time;
* ``process`` - a local :class:`concurrent.futures.ProcessPoolExecutor`
  (``experiment.jobs`` workers, spawn start method);
* ``dask`` - a Dask distributed cluster at ``experiment.scheduler`` (install
  the ``dask`` extra); the workers need this package installed.

No pools inside pools: when this process was itself started by ``multiprocessing``
(a joblib/loky worker of Hydra's joblib launcher, a worker of a ``multiprocessing``
or ``concurrent.futures`` pool),
``process`` falls back to ``serial`` - the outer pool already keeps the cores
busy, and a pool started inside a pool's worker inherits a start method that
its own workers cannot find (``cannot find context for 'loky'``).  The results
are the same (a replication does not depend on where it runs);
:func:`executor_plan` returns a note saying so.
"""

from __future__ import annotations

import multiprocessing
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Union

from .config import Config
from .model import run_replication
from .records import ReplicationResult

EXECUTORS = ("auto", "serial", "process", "dask")
Task = Callable[[Config, int], ReplicationResult]


@dataclass
class Failure:
    """A replication that raised instead of returning a result."""

    replication: int
    seed: int
    error: str

    def describe(self) -> str:
        """One line: replication, seed and error."""
        return f"replication {self.replication} (seed {self.seed}) failed: {self.error}"


Outcome = Union[ReplicationResult, Failure]


def _guarded(task: Task, cfg: Config, r: int) -> Outcome:
    try:
        return task(cfg, r)
    except Exception as exc:  # noqa: BLE001 - a failed replication must not lose the others
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Failure(r, cfg.experiment.seed, last)


def _bar(total: float, desc: str, unit: str, enabled: bool):  # type: ignore[no-untyped-def]
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr, dynamic_ncols=True)


def _collect(done: Iterable, futures: Dict, cfg: Config, bar) -> Iterator[tuple[int, Outcome]]:  # type: ignore[no-untyped-def]
    """Outcomes of finished futures (``done`` yields them as they finish); a lost worker is a Failure."""
    for fut in done:
        r = futures[fut]
        try:
            out = fut.result()
        except Exception as exc:  # noqa: BLE001 - a worker killed by the OS, a serialisation error
            out = Failure(r, cfg.experiment.seed, f"{type(exc).__name__}: {exc}")
        if bar is not None:
            bar.update(1)
        yield r, out
    if bar is not None:
        bar.close()


def run_serial(cfg: Config, reps: List[int], progress: bool,
               task: Task = run_replication) -> Iterator[tuple[int, Outcome]]:
    """Run replications one after another in this process."""
    sim_h = cfg.experiment.horizon_h + cfg.experiment.drain_h
    for r in reps:
        bar = _bar(sim_h, f"replication {r + 1}", "h", progress)
        if bar is not None and task is run_replication:
            out: Outcome = _guarded(lambda c, i: run_replication(c, i, progress=lambda s: bar.update(s / 3600.0)),
                                    cfg, r)
        else:
            out = _guarded(task, cfg, r)
        if bar is not None:
            bar.close()
        yield r, out


def run_processes(cfg: Config, reps: List[int], jobs: int, progress: bool,
                  task: Task = run_replication) -> Iterator[tuple[int, Outcome]]:
    """Run replications in ``jobs`` local worker processes."""
    bar = _bar(len(reps), "replications", "rep", progress)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_guarded, task, cfg, r): r for r in reps}
        yield from _collect(as_completed(futures), futures, cfg, bar)


def run_dask(cfg: Config, reps: List[int], scheduler: Optional[str], progress: bool,
             task: Task = run_replication) -> Iterator[tuple[int, Outcome]]:
    """Run replications on the Dask distributed cluster at ``scheduler``."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - depends on the installation
        from .errors import ConfigError

        raise ConfigError("experiment.executor", "dask",
                          "needs dask.distributed: pip install -e '.[dask]'") from None
    bar = _bar(len(reps), "replications (dask)", "rep", progress)
    with Client(scheduler, timeout=60) as client:
        futures = {client.submit(_guarded, task, cfg, r, pure=False, key=f"hotline-rep-{r}-{id(cfg)}"): r
                   for r in reps}
        yield from _collect(dask_completed(list(futures)), futures, cfg, bar)


def executor_name(cfg: Config, n_reps: int) -> str:
    """The executor asked for: ``experiment.executor``, with ``auto`` = process if jobs > 1, else serial."""
    name = cfg.experiment.executor
    if name == "auto":
        return "process" if cfg.experiment.jobs > 1 and n_reps > 1 else "serial"
    return name


def inside_pool_worker() -> bool:
    """Whether this process was started by ``multiprocessing`` (a pool's worker: multiprocessing, joblib/loky)."""
    return multiprocessing.parent_process() is not None


def executor_plan(cfg: Config, n_reps: int) -> tuple[str, Optional[str]]:
    """The executor that will run, and a note when it is not the one asked for.

    Returns
    -------
    name : str
        ``serial``, ``process`` or ``dask``.
    note : str or None
        Why ``process`` falls back to ``serial`` (inside another pool's worker).
    """
    name = executor_name(cfg, n_reps)
    if name == "process" and inside_pool_worker():
        return "serial", (f"experiment.jobs={cfg.experiment.jobs}: this process is a worker of another process pool "
                          f"(e.g. Hydra's joblib launcher), so its replications run one after another in it "
                          f"(same results)")
    return name, None


def run_batch(cfg: Config, reps: List[int], progress: bool, task: Task = run_replication) -> Dict[int, Outcome]:
    """Run the replications ``reps`` with the configured executor; return outcomes by replication."""
    name, _ = executor_plan(cfg, len(reps))
    if name == "serial":
        it = run_serial(cfg, reps, progress, task)
    elif name == "process":
        it = run_processes(cfg, reps, max(1, min(cfg.experiment.jobs, len(reps))), progress, task)
    else:
        it = run_dask(cfg, reps, cfg.experiment.scheduler, progress, task)
    return dict(it)
