"""No process pool inside a pool's worker: replications run serially there, with the same results.

Hydra's joblib launcher runs each variant of a sweep in a loky worker; a variant asking for
``experiment.jobs=2`` used to start a process pool in that worker, whose children died with
``cannot find context for 'loky'``.  Inside any pool's worker (loky, or a ``multiprocessing``
spawn pool) the ``process`` executor now falls back to ``serial``: the results are those of a serial
run in the parent, replication for replication, and ``notes["executor_note"]`` says so.
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from xp_helpers import SQ_SMALL

from sim.experiments.executors import executor_plan
from sim.experiments.runner import run_experiment

OVERRIDES = [*SQ_SMALL, "experiment.replications=3", "experiment.jobs=2", "calls.retrial.probability=0.3"]


def run_in_worker(overrides):
    """In a worker process: the executor chosen, the notes and the per-replication KPIs."""
    from sim.api import compose_config

    cfg = compose_config("single_queue", overrides)
    exp = run_experiment(cfg)
    return executor_plan(cfg, cfg.experiment.replications)[0], exp.notes, exp.per_replication, [
        f.describe() for f in exp.failures]


def _check(where, got, reference):
    name, notes, per_rep, failures = got
    assert not failures, f"{where}: {failures}"
    assert name == "serial" and "worker of another process pool" in notes.get("executor_note", ""), (
        f"{where}: executor {name}, notes {notes}")
    # as text: NaN (an undefined KPI) equals NaN, and every digit counts
    assert json.dumps(per_rep) == json.dumps(reference.per_replication), (
        f"{where}: results differ from the serial run in the parent")


def test_process_pool_worker_runs_serially(fast_compose):
    reference = run_experiment(fast_compose("single_queue", [*OVERRIDES[:-2], "experiment.jobs=1",
                                                             OVERRIDES[-1]]))
    assert executor_plan(fast_compose("single_queue", OVERRIDES), 3) == ("process", None), (
        "outside a worker, jobs=2 must run a process pool")
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        _check("spawn pool worker", pool.submit(run_in_worker, OVERRIDES).result(timeout=300), reference)


def test_loky_worker_runs_serially(fast_compose):
    """The joblib launcher's case: a loky worker (it used to fail with cannot find context for 'loky')."""
    from joblib import Parallel, delayed

    reference = run_experiment(fast_compose("single_queue", [*OVERRIDES[:-2], "experiment.jobs=1",
                                                             OVERRIDES[-1]]))
    got = Parallel(n_jobs=2, backend="loky")(delayed(run_in_worker)(OVERRIDES) for _ in range(1))[0]
    _check("loky worker", got, reference)
