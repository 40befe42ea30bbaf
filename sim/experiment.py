"""Experiments: independent replications, in series or in worker processes.

A replication is a pure function of the configuration and its number
(:func:`sim.model.run_replication`), so the replications can run anywhere and
in any order; results are always put back in replication order, which makes a
parallel run identical to a serial one.  The summary gives every KPI's mean and
Student-t confidence interval across replications.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Dict, List, Optional

from .config import Config
from .model import run_replication
from .records import ReplicationResult
from .stats import replication_kpis, summarise


@dataclass
class ExperimentResult:
    """Results of all replications of one configuration.

    Attributes
    ----------
    cfg : Config
        The configuration that was run.
    replications : list of ReplicationResult
        In replication order.
    per_replication : list of dict
        KPIs of each replication.
    summary : dict
        KPI name to ``{"mean", "ci_low", "ci_high"}``.
    wall_s : float
        Wall-clock seconds for the whole experiment.
    """

    cfg: Config
    replications: List[ReplicationResult]
    per_replication: List[Dict[str, float]]
    summary: Dict[str, Dict[str, Optional[float]]]
    wall_s: float
    notes: Dict[str, object] = field(default_factory=dict)


def _show_progress(cfg: Config) -> bool:
    return bool(cfg.experiment.progress) and sys.stderr.isatty()


def _run_serial(cfg: Config, reps: List[int], progress: bool) -> List[ReplicationResult]:
    out = []
    if not progress:
        return [run_replication(cfg, r) for r in reps]
    from tqdm import tqdm

    horizon_h = cfg.experiment.horizon_h
    for r in reps:
        with tqdm(total=horizon_h, desc=f"replication {r + 1}/{len(reps)}", unit="h sim",
                  leave=False, file=sys.stderr) as bar:
            out.append(run_replication(cfg, r, progress=lambda s: bar.update(s / 3600.0)))
    return out


def _run_parallel(cfg: Config, reps: List[int], jobs: int, progress: bool) -> List[ReplicationResult]:
    results: Dict[int, ReplicationResult] = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_replication, cfg, r): r for r in reps}
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(reps), desc="replications", file=sys.stderr, leave=False)
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
    return [results[r] for r in reps]


def run_experiment(cfg: Config) -> ExperimentResult:
    """Run ``experiment.replications`` replications of ``cfg``.

    Parameters
    ----------
    cfg : Config
        A validated configuration.

    Returns
    -------
    ExperimentResult
    """
    t0 = time.perf_counter()
    reps = list(range(cfg.experiment.replications))
    progress = _show_progress(cfg)
    jobs = min(int(cfg.experiment.jobs), len(reps))
    results = _run_parallel(cfg, reps, jobs, progress) if jobs > 1 else _run_serial(cfg, reps, progress)
    per_rep = [replication_kpis(r) for r in results]
    summary = summarise(per_rep, cfg.kpi.confidence)
    return ExperimentResult(cfg, results, per_rep, summary, time.perf_counter() - t0)
