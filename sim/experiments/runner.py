"""Experiments: independent replications until a fixed count or a target precision.

A replication is a pure function of the configuration and its number
(:func:`sim.model.replication.run_replication`), so replications can run anywhere and in
any order (:mod:`sim.experiments.executors`); results are always put back in replication
order, which makes a parallel or distributed run identical to a serial one.

* Fixed count: ``experiment.replications`` replications.
* Sequential precision: with ``experiment.precision`` set, replications are
  added until the confidence interval of ``experiment.precision_kpi`` has a
  relative half-width (half-width / |mean|) at most ``precision``, or
  ``experiment.max_replications`` is reached; ``experiment.replications`` is
  then the first batch.  The stopping rule is checked after each replication in
  order, so the number of replications does not depend on how many ran at
  once.  A KPI that is undefined (NaN) in a replication, or 0 in every one of
  the first batch, has no relative precision: no replication is added and
  ``notes["precision_stopped"]`` says why (validation already rejects a KPI the
  scenario cannot define).

A replication that fails is reported with its seed and left out; the others'
results are kept.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from sim.analysis.kpis import confidence_interval, relative_half_width, replication_kpis, summarise
from sim.analysis.staffing_kpis import meeting, plan_targets
from sim.config.schema import Config
from sim.experiments.executors import Failure, Outcome, Task, executor_plan, run_batch, start_progress_clock
from sim.model.replication import run_replication
from sim.records.intervals import ReplicationResult


@dataclass
class ExperimentResult:
    """Results of all replications of one configuration.

    Attributes
    ----------
    cfg : Config
        The configuration that was run.
    replications : list of ReplicationResult
        Successful replications, in replication order.
    per_replication : list of dict
        KPIs of each successful replication.
    summary : dict
        KPI name to ``{"mean", "ci_low", "ci_high"}``.
    wall_s : float
        Wall-clock seconds for the whole experiment.
    failures : list of Failure
        Replications that raised.
    notes : dict
        Extra facts for ``summary.json`` (precision target, executor, ...).
    """

    cfg: Config
    replications: List[ReplicationResult]
    per_replication: List[Dict[str, float]]
    summary: Dict[str, Dict[str, Optional[float]]]
    wall_s: float
    failures: List[Failure] = field(default_factory=list)
    notes: Dict[str, object] = field(default_factory=dict)


def _show_progress(cfg: Config) -> bool:
    """Whether to show progress: a bar on a terminal, lines otherwise (:func:`sim.experiments.executors._bar`)."""
    return bool(cfg.experiment.progress)


def precision_reached(values: List[float], target: float, confidence: float) -> bool:
    """Whether the relative half-width of the CI of ``values`` is at most ``target``."""
    if len(values) < 2:
        return False
    return relative_half_width(confidence_interval(values, confidence)) <= target


def run_experiment(cfg: Config, task: Task = run_replication) -> ExperimentResult:
    """Run the replications of ``cfg`` (fixed count, or until the precision target).

    Parameters
    ----------
    cfg : Config
        A validated configuration.
    task : callable, optional
        ``task(cfg, replication) -> ReplicationResult``; :func:`sim.model.replication.run_replication`
        unless a test injects another.

    Returns
    -------
    ExperimentResult
    """
    t0 = time.perf_counter()
    e = cfg.experiment
    progress = _show_progress(cfg)
    start_progress_clock()
    outcomes: Dict[int, Outcome] = {}
    target = e.precision
    first = e.replications if target is None else min(e.replications, e.max_replications)
    outcomes.update(run_batch(cfg, list(range(first)), progress, task))
    n_used = first
    met: Optional[bool] = None
    stopped: Optional[str] = None
    if target is not None:
        n_used, met, values, stopped = _sequential(cfg, outcomes, progress, task)
    ordered = [outcomes[r] for r in range(n_used)]
    results = [o for o in ordered if isinstance(o, ReplicationResult)]
    failures = [o for o in ordered if isinstance(o, Failure)]
    per_rep = [replication_kpis(r) for r in results]
    summary = summarise(per_rep, e.confidence) if per_rep else {}
    if results:  # over the replications together (the interval's pooled service level): no interval
        share = meeting(results, plan_targets(cfg))["all"]
        items = list(summary.items())
        at = next((i + 1 for i, (k, _) in enumerate(items) if k == "staffing_cost"), len(items))
        items.insert(at, ("intervals_meeting_target", {"mean": share, "ci_low": None, "ci_high": None}))
        summary = dict(items)
    notes: Dict[str, object] = {"failed_replications": [f.__dict__ for f in failures]}
    fallback = executor_plan(cfg, first if target is None else e.max_replications)[1]
    if fallback is not None:
        notes["executor_note"] = fallback
    idle = unused_policy_note(cfg, summary)
    if idle:
        notes["policy_note"] = idle
    if target is not None:
        # the stopping rule's own measure: the unclipped t interval
        achieved = relative_half_width(confidence_interval(values, e.confidence)) if len(values) > 1 else math.inf
        notes.update({"precision_target": target, "precision_kpi": e.precision_kpi, "precision_met": met,
                      "precision_achieved": achieved if math.isfinite(achieved) else None,
                      "max_replications": e.max_replications})
        if stopped:
            notes["precision_stopped"] = stopped
    return ExperimentResult(cfg, results, per_rep, summary, time.perf_counter() - t0, failures, notes)


def _sequential(cfg: Config, outcomes: Dict[int, Outcome], progress: bool,
                task: Task) -> tuple[int, bool, List[float], Optional[str]]:
    """Add replications until the precision target is met.

    Returns (replications used, target met, the precision KPI's values of the successful ones,
    why replications stopped being added before the target and the cap, or None).
    """
    e = cfg.experiment
    batch = max(1, e.jobs if e.executor != "serial" else 1)
    values: List[float] = []
    r = 0
    while True:
        while r in outcomes:
            out = outcomes[r]
            if isinstance(out, ReplicationResult):
                v = replication_kpis(out).get(e.precision_kpi, math.nan)
                if math.isnan(v):
                    done = r + 1
                    while done in outcomes:  # keep the replications already run
                        done += 1
                    return done, False, values, (
                        f"{e.precision_kpi} is undefined (NaN) in replication {r}, so its confidence interval "
                        f"and precision are too; no replication was added")
                values.append(v)
            r += 1
            if r >= e.replications and precision_reached(values, e.precision, e.confidence):  # type: ignore[arg-type]
                return r, True, values, None
        if len(values) >= 2 and not any(values):
            return r, False, values, (f"{e.precision_kpi} is 0 in every replication so far: a relative precision "
                                      f"(half-width / mean) cannot be reached; no replication was added")
        if r >= e.max_replications:
            return r, False, values, None
        nxt = list(range(r, min(r + batch, e.max_replications)))
        outcomes.update(run_batch(cfg, nxt, progress, task))


def unused_policy_note(cfg: Config, summary: Dict[str, Any]) -> Optional[str]:
    """A note when a policy that was switched on never acted in any replication, or None.

    A callback offer that no caller qualified for leaves the results identical to a run
    without it; a planner comparing the two variants should be told why, not left to
    suspect a setting silently ignored.
    """
    cb = cfg.routing.callback
    offered = summary.get("callbacks_offered", {}).get("mean")
    if cb.enabled and offered == 0:
        return (f"routing.callback.enabled=true: no callback was offered in any replication (no caller's "
                f"estimated wait exceeded routing.callback.offer_when_wait_s={cb.offer_when_wait_s:g})")
    return None
