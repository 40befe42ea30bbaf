"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

A replication is a pure function of the configuration and its number, so every
executor returns the same :class:`~sim.records.intervals.ReplicationResult` for the same
inputs; results are always handed back keyed by replication number, and the
experiment puts them in order.  A replication that raises is reported as a
:class:`Failure` (with its seed and the error) instead of stopping the others.

* ``serial`` - this process, with a progress bar over simulated time (without a
  terminal, a line per replication once the run has taken a few seconds:
  :class:`LineProgress`);
* ``process`` - a local :class:`concurrent.futures.ProcessPoolExecutor`
  (``experiment.jobs`` workers, spawn start method);
* ``dask`` - a Dask distributed cluster at ``experiment.scheduler`` (install
  the ``dask`` extra); the workers need this package installed.

A Dask scheduler is an external resource: :func:`sim.config.experiment.check_scheduler` checks its
address when the configuration is validated (scheme, host, port), and
:func:`check_resources` connects to it, waiting at most
``experiment.connect_timeout_s``, before a run starts, so that an address
nobody answers at ends the run at once with one line instead of a traceback
after the replications were set up.

No pools inside pools: when this process was itself started by ``multiprocessing``
(a joblib/loky worker of Hydra's joblib launcher, a worker of a ``multiprocessing``
or ``concurrent.futures`` pool),
``process`` falls back to ``serial`` - the outer pool already keeps the cores
busy, and a pool started inside a pool's worker inherits a start method that
its own workers cannot find (``cannot find context for 'loky'``).  The results
are the same (a replication does not depend on where it runs);
:func:`executor_plan` returns a note saying so.  Likewise for a main program read from stdin
(``python - < study.py``): a spawned worker runs the main program's file again, and ``<stdin>`` is none.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Union
from urllib.parse import urlsplit

from sim.config.schema import Config
from sim.core.errors import ConfigError, run_label
from sim.model.compile import Compiled, compile_config
from sim.model.derive import clock
from sim.model.replication import run_replication
from sim.records.intervals import ReplicationResult

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


#: Without a terminal, progress lines begin once a run has taken this long (a quick run prints none).
LINE_PROGRESS_AFTER_S = 10.0
_CLOCK = [time.monotonic()]


def start_progress_clock() -> None:
    """Mark the start of an experiment (the time :class:`LineProgress` measures from)."""
    _CLOCK[0] = time.monotonic()


class LineProgress:
    """Progress as lines on stderr when stderr is not a terminal (a log file, CI): a line per finished
    replication, from :data:`LINE_PROGRESS_AFTER_S` seconds into the run on."""

    def __init__(self, total: float, desc: str, unit: str) -> None:
        self.total, self.desc, self.unit, self.n = total, desc, unit, 0.0
        self.t0 = time.monotonic()

    def update(self, n: float) -> None:
        """Count ``n`` more units (replications: a line each, with the time left; simulated hours: silently,
        the line comes when a replication ends, :meth:`replication_done`)."""
        self.n += n
        if self.unit == "rep":
            left = time_left(self.t0, self.n, self.total)
            self._line(f"{self.desc}: {int(self.n)} of {int(self.total)} finished{left}")

    def replication_done(self, done: int, of: int) -> None:
        """A line when replication ``done`` of ``of`` (run one after another) has finished, with the time left."""
        self._line(f"replication {done} of {of} finished{time_left(self.t0, done, of)}")

    def close(self) -> None:
        """The end of the replications run in this process (their lines are written as each ends)."""

    def _line(self, text: str) -> None:
        elapsed = time.monotonic() - _CLOCK[0]
        if elapsed >= LINE_PROGRESS_AFTER_S:
            sys.stderr.write(f"{run_label()}: {text} ({elapsed:.0f} s into the run)\n")
            sys.stderr.flush()


def time_left(t0: float, done: float, total: float) -> str:
    """``; about 2 min left``: the time the remaining share takes at the rate so far ("" when done or unknown)."""
    if done <= 0 or done >= total:
        return ""
    left = (time.monotonic() - t0) * (total - done) / done
    return f"; about {left:.0f} s left" if left < 120 else f"; about {left / 60:.0f} min left"


def _bar(total: float, desc: str, unit: str, enabled: bool):  # type: ignore[no-untyped-def]
    """A progress bar on a terminal, progress lines otherwise (:class:`LineProgress`), or None."""
    if not enabled:
        return None
    if not sys.stderr.isatty():
        return LineProgress(total, desc, unit)
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
    """Run replications one after another in this process (the scenario compiled once for all of them)."""
    sim_h = clock(cfg).end_s / 3600.0
    compiled: List[Compiled] = []

    def replication(c: Config, i: int, tick: Optional[Callable[[float], None]]) -> ReplicationResult:
        if not compiled:  # inside the guard: a failure is the replication's, reported with its seed
            compiled.append(compile_config(c))
        return run_replication(c, i, compiled[0], progress=tick)

    # one bar over every replication's simulated hours: its rate and time left are the whole run's
    bar = _bar(sim_h * len(reps), f"{len(reps)} replication(s)", "h", progress)
    for k, r in enumerate(reps):
        if bar is not None and hasattr(bar, "set_description"):
            bar.set_description(f"replication {k + 1} of {len(reps)}")
        if task is run_replication:
            tick = (lambda s: bar.update(s / 3600.0)) if bar is not None else None
            out: Outcome = _guarded(lambda c, i: replication(c, i, tick), cfg, r)
        else:
            out = _guarded(task, cfg, r)
        if bar is not None:
            bar.update(sim_h * (k + 1) - bar.n)  # a replication's ticks may not add up to its hours exactly
            if isinstance(bar, LineProgress):
                bar.replication_done(k + 1, len(reps))
        yield r, out
    if bar is not None:
        bar.close()


def run_processes(cfg: Config, reps: List[int], jobs: int, progress: bool,
                  task: Task = run_replication) -> Iterator[tuple[int, Outcome]]:
    """Run replications in ``jobs`` local worker processes."""
    bar = _bar(len(reps), "replications", "rep", progress)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_ignore_interrupt)
    try:
        with _interrupt_ignored():  # the workers start (on the first submit) with Ctrl-C ignored
            futures = {pool.submit(_guarded, task, cfg, r): r for r in reps}
        yield from _collect(as_completed(futures), futures, cfg, bar)
    except BaseException:  # Ctrl-C (or the caller stopped): end the workers now, not after their replications
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _ignore_interrupt() -> None:
    """Worker initializer: a worker ignores Ctrl-C; the parent stops the workers and reports the interruption."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _interrupt_ignored() -> Iterator[None]:
    """Ignore Ctrl-C while worker processes are started, so that they inherit it ignored from the start
    (a worker still importing would otherwise print a traceback); only the main thread can do this."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _unreachable(addr: str, why: str, advice: str = "start a scheduler and workers (docs/experiments.md) "
                                                                 "or fix the address") -> ConfigError:
    return ConfigError("experiment.scheduler", addr, f"{why}; {advice}")


async def _identity(addr: str, timeout_s: float) -> dict:
    from distributed.core import rpc
    from distributed.security import Security

    # the client's TLS settings from Dask's configuration, as a Client would use them (tls:// addresses)
    r = rpc(addr, timeout=timeout_s, connection_args=Security().get_connection_args("client"))
    try:
        return await asyncio.wait_for(r.identity(), timeout_s)
    finally:
        await r.close_rpc()


def probe_scheduler(addr: str, timeout_s: float) -> None:
    """Check that a Dask scheduler with at least one worker answers at ``addr`` within ``timeout_s`` seconds.

    A TCP-based address is first probed with a plain socket (a refused connection or an unknown host
    ends at once, with the system's reason); then the scheduler is asked who it is (Dask's
    ``identity`` call), which tells a Dask scheduler from another service, and how many workers it
    has: a run on a scheduler without workers would wait for ever.

    Raises
    ------
    ConfigError
        On ``experiment.scheduler``: dask.distributed is not installed, nothing answers, what answers is
        not a Dask scheduler, or it has no worker.
    """
    try:
        import distributed  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the installation
        raise ConfigError("experiment.executor", "dask", "needs dask.distributed: pip install -e '.[dask]'") from None
    scheme, sep, rest = addr.partition("://")
    if scheme != "inproc":
        parts = urlsplit("//" + (rest if sep else addr))
        try:
            socket.create_connection((parts.hostname, parts.port or 0), timeout=timeout_s).close()
        except OSError as exc:
            why = exc.strerror or str(exc) or type(exc).__name__
            raise _unreachable(addr, f"cannot connect within {timeout_s:g} s ({why})") from None
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            info = asyncio.run(_identity(addr, max(0.1, deadline - time.monotonic())))
        except (TimeoutError, asyncio.TimeoutError):
            raise _unreachable(addr, f"no Dask scheduler answered within {timeout_s:g} s") from None
        except Exception as exc:  # noqa: BLE001 - a service that is not Dask may answer anything
            raise _unreachable(addr, f"what answers there is not a Dask scheduler ({type(exc).__name__})") from None
        if not isinstance(info, dict) or info.get("type") != "Scheduler":
            raise _unreachable(addr, "what answers there is not a Dask scheduler")
        if info.get("n_workers", 0) > 0:
            return
        if time.monotonic() >= deadline:
            raise _unreachable(addr, f"the Dask scheduler has no workers (waited {timeout_s:g} s)",
                               f"start some: dask worker {addr}")
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def check_resources(cfg: Config) -> None:
    """Check the external resources a run needs, before it starts: a Dask scheduler with workers must answer.

    Raises
    ------
    ConfigError
        Naming ``experiment.scheduler`` and why it cannot be used.
    """
    if executor_name(cfg, cfg.experiment.replications) == "dask":
        assert cfg.experiment.scheduler is not None
        probe_scheduler(cfg.experiment.scheduler, cfg.experiment.connect_timeout_s)


def run_dask(cfg: Config, reps: List[int], scheduler: Optional[str], progress: bool,
             task: Task = run_replication) -> Iterator[tuple[int, Outcome]]:
    """Run replications on the Dask distributed cluster at ``scheduler`` (probed first: :func:`probe_scheduler`)."""
    assert scheduler is not None
    timeout_s = cfg.experiment.connect_timeout_s
    probe_scheduler(scheduler, timeout_s)
    from distributed import Client
    from distributed import as_completed as dask_completed

    try:
        client = Client(scheduler, timeout=timeout_s)
    except Exception as exc:  # noqa: BLE001 - the scheduler went away after the probe
        raise _unreachable(scheduler, f"the Dask scheduler stopped answering ({type(exc).__name__}: {exc})") from None
    bar = _bar(len(reps), "replications (dask)", "rep", progress)
    with client:
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


def main_unimportable() -> Optional[str]:
    """The main program's ``__file__`` when it names no file (code read from stdin: ``python - < study.py``), else
    None.  A spawned worker runs the main program's file again and dies on one that does not exist; an
    interactive session or a notebook has no ``__file__`` and needs nothing."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path if isinstance(path, str) and not os.path.exists(path) else None


def executor_plan(cfg: Config, n_reps: int) -> tuple[str, Optional[str]]:
    """The executor that will run, and a note when it is not the one asked for.

    Returns
    -------
    name : str
        ``serial``, ``process`` or ``dask``.
    note : str or None
        Why ``process`` falls back to ``serial`` (inside another pool's worker; a main program read from
        stdin, which worker processes cannot import).
    """
    name = executor_name(cfg, n_reps)
    if name == "process" and inside_pool_worker():
        return "serial", (f"experiment.jobs={cfg.experiment.jobs}: this process is a worker of another process pool "
                          f"(e.g. Hydra's joblib launcher), so its replications run one after another in it "
                          f"(same results)")
    unimportable = main_unimportable() if name == "process" else None
    if unimportable is not None:
        return "serial", (f"experiment.jobs={cfg.experiment.jobs}: the program was read from {unimportable}, which "
                          f"worker processes cannot import, so its replications run one after another in this "
                          f"process (same results; save it as a file to run them in parallel)")
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
