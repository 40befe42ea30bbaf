"""Simulation-based staffing: correct the Erlang requirement until every interval meets its targets.

An iterative staffing algorithm in the spirit of Feldman, Mandelbaum, Massey & Whitt (2008,
"Staffing of time-varying queues to achieve time-stable performance", Management Science 54):
simulate the current plan, measure each interval, re-staff each interval from a stationary model
fed with what the simulation saw, and repeat until the plan no longer changes.

* **Start**: the ``erlang`` requirement (agents for calls per interval, :mod:`sim.planning.requirement`).
* **Simulate** the plan (a half-hourly plan of the requirement) for ``staffing.optimize.replications``
  replications through the run's executor (``experiment.jobs``, Dask), with the drain left out.
  Every iteration uses the same replications (common random numbers: numbers 1,000,000 and up of
  ``experiment.seed``), so the measured response to a change of plan is the change's effect, not
  noise, and the iteration can settle.
* **Measure** each interval of the measurement window with calls, pooled over the replications,
  pessimistically: each metric ``staffing.optimize.margin_se`` standard errors towards the
  unfavourable side (the error from the spread between replications, or the binomial one if
  larger: :func:`sim.analysis.staffing_kpis.pooled_intervals`).  This is the guard against fitting
  the noise of the optimisation's replications.
* **Re-staff** (all intervals at once, then iterate to a fixed point, as the ISA does): find the
  load multiplier ``kappa`` that makes Erlang A with the interval's effective agents for calls
  reproduce the measured metrics (the worst over the targets set), and take the fewest agents
  meeting every target under ``kappa`` x the measured attempt rate.  ``kappa`` carries what the
  stationary model misses - queues carried over from the previous interval, redials, the mix of
  handle times, non-exponential patience - so intervals interact through the simulation, which
  sees the whole plan.  The iteration alternates two kinds of step:

  - **repair**, while some interval misses a target: every missing interval gets that many agents,
    and at least one more than it had - two, four, ... while it keeps missing (a miss carried in
    from the previous interval is cured by more than Erlang A says); it is never again given as
    few agents as it missed with (the plan cannot cycle back).  Nothing is removed: with additions
    only, queues carried into later intervals only shrink, so an interval that met every target
    since slack was last removed, with as many agents as it has now, still meets them - a miss
    measured there is the replications' noise (their paths part as the plan changes), not the
    plan's, and is not repaired.  So the repair settles in a few steps instead of climbing on noise;
  - **removal of slack**, from a plan in which every interval meets every target: every interval
    with slack loses half of it (all intervals move at once and interact - removing all of it at
    once overshoots), never below one agent more than it once missed with.

* **Online items have no target of their own**, and they take the operators' spare time: removing
  slack for calls could starve them.  So the online items of each interval must be accepted within
  their deadline at least as often as under the erlang plan (the first simulation), within the
  same margin; where they are not, the intervals that serve them (up to the deadline) get back
  what the optimisation had removed (where nothing was removed there, or where they were served
  well since slack was last removed, the shortfall is the replications' noise, not the plan's).
* **Stop** at a plan in which every interval meets every target on the optimisation's replications
  when the next round of removal and repair is expected to save at most :data:`SETTLED` (0.25%) of
  its operator-hours - the first round what it removes, a later one the share of its removal that
  the last round kept: the answer is the cheapest plan that met every target.  Otherwise stop
  after ``staffing.optimize.max_iterations`` with a warning, and the cheapest plan that met every
  target, or the last plan if none did.

The run that follows simulates the final plan on the run's own replications - fresh seeds,
independent of the optimisation's - and reports the share of intervals meeting each target there
(``summary.json`` -> ``staffing.intervals_meeting``).
"""

from __future__ import annotations

import copy
import math
import sys
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from sim.analysis.staffing_kpis import pooled_intervals
from sim.analysis.theory import QueueMetrics, erlang_a_metrics
from sim.analysis.theory_staffing import fewest_agents
from sim.config.schema import Config
from sim.experiments.executors import Failure, Task, run_batch
from sim.model.replication import run_replication
from sim.planning.plan import apply_plan, fold_week, week_slots
from sim.planning.requirement import Requirement
from sim.records.intervals import ReplicationResult

#: First replication number of the optimisation (its streams are independent of the run's 0, 1, ...).
FIRST_REPLICATION = 1_000_000
KAPPA_RANGE = (2.0 ** -8, 2.0 ** 8)
#: A round of removal of slack and repair is worth it when it is expected to save more than this share of the
#: operator-hours (:func:`_settled`).
SETTLED = 0.0025
Line = Callable[[str], None]


def pessimistic(pooled: Dict[str, np.ndarray], k: int, z: float) -> Dict[str, float]:
    """Interval ``k``'s measured metrics (Erlang A names), each ``z`` standard errors towards the unfavourable side."""
    se = {m: float(np.nan_to_num(pooled[f"{m}_se"][k])) for m in ("service_level", "abandon_rate", "asa_s")}
    out = {"service_level": max(0.0, float(pooled["service_level"][k]) - z * se["service_level"]),
           "p_abandon": min(1.0, float(pooled["abandon_rate"][k]) + z * se["abandon_rate"])}
    asa = float(pooled["asa_s"][k])
    if not math.isnan(asa):
        out["asa_s"] = asa + z * se["asa_s"]
    return out


def _metric(lam: float, mu: float, theta: float, c: int, threshold_s: float) -> Optional[QueueMetrics]:
    """Erlang A metrics, or None for a queue that would grow without bound (every target missed)."""
    if c <= 0 or (theta == 0.0 and lam >= c * mu):
        return None
    try:
        return erlang_a_metrics(lam, mu, theta, c, threshold_s)
    except ValueError:
        if lam >= c * mu:
            return None
        raise


def _worse(name: str, value: float, bound: float) -> bool:
    """Whether a metric ``value`` is worse than ``bound`` (service level lower; the others higher)."""
    return value < bound if name == "service_level" else value > bound


def calibrated_agents(req: Requirement, k: int, c_cal: int, lam: float, measured: Dict[str, float]) -> int:
    """Fewest agents for calls in interval ``k`` under the load multiplier that explains ``measured``.

    ``kappa`` is found by bisection (in its logarithm) for each target's metric: the smallest
    ``kappa`` at which Erlang A with ``c_cal`` agents and ``kappa x lam`` is at least as bad as
    measured; the largest over the targets is used.
    """
    mu = 1.0 / req.mean_handle_s[k]
    kappa = KAPPA_RANGE[0]
    for name in req.targets:
        value = measured.get(name)
        if value is None:
            continue
        lo, hi = math.log(KAPPA_RANGE[0]), math.log(KAPPA_RANGE[1])

        def bad(x: float) -> bool:
            m = _metric(math.exp(x) * lam, mu, req.theta, c_cal, req.threshold_s)
            return m is None or not _worse(name, value, getattr(m, name))  # the model is as bad or worse

        if bad(lo):
            continue
        if not bad(hi):
            kappa = KAPPA_RANGE[1]
            break
        while hi - lo > 1e-3:
            mid = (lo + hi) / 2
            if bad(mid):
                hi = mid
            else:
                lo = mid
        kappa = max(kappa, math.exp(hi))
    return fewest_agents(kappa * lam, mu, req.theta, req.threshold_s, req.targets, start=c_cal)


def _simulate(cfg: Config, progress: bool, task: Task) -> List[ReplicationResult]:
    reps = [FIRST_REPLICATION + i for i in range(cfg.experiment.replications)]
    outcomes = run_batch(cfg, reps, False, task)
    results = [o for o in (outcomes[r] for r in reps) if isinstance(o, ReplicationResult)]
    failed = [o for o in outcomes.values() if isinstance(o, Failure)]
    if failed:
        raise RuntimeError(f"staffing.policy=optimize: a simulation failed: {failed[0].describe()}")
    return results


def optimize_agents(cfg: Config, req: Requirement, progress: bool, line: Line,
                    task: Task = run_replication) -> tuple[np.ndarray, Dict[str, Any]]:
    """Agents for calls per interval of the planning window after the simulation-based correction.

    Returns
    -------
    agents : ndarray of int
        Per interval of the planning window (intervals the run does not simulate keep the
        ``erlang`` value).
    notes : dict
        ``iterations``, ``converged``, ``chosen_iteration`` (the simulation of the plan returned),
        ``replications_per_iteration``, ``first_replication``, ``margin_se`` and ``history``: per
        iteration the operator-hours of the plan over the horizon, the intervals missing a target
        (of which online), the intervals changed, the step and the hours it removed.
    """
    o = cfg.staffing.optimize
    assert req.calls_agents is not None
    sim_cfg = copy.deepcopy(cfg)
    sim_cfg.experiment.drain_h, sim_cfg.experiment.precision = 0.0, None
    sim_cfg.experiment.replications = o.replications
    sim_cfg.report.request_log = False
    sim_cfg.staffing.schedule = "intervals"
    n_h, w = req.n_intervals, req.warmup_intervals
    slots = week_slots(req)
    c = req.calls_agents.astype(np.int64).copy()
    fail = np.full(c.size, -1, dtype=np.int64)
    online_base: Optional[np.ndarray] = None  # online items on time under the erlang plan (the first simulation)
    window = max(1, int(math.ceil(req.due_s / req.interval_s)))
    history: List[Dict[str, Any]] = []
    step = np.ones(c.size, dtype=np.int64)  # the least a missing interval gains: doubles while it keeps missing
    met = np.full(c.size, np.iinfo(np.int64).max)  # the fewest agents each interval met with since slack was removed
    online_met = np.zeros(c.size, dtype=bool)  # whether an interval's online items were served well since then
    best: Optional[tuple[float, int, np.ndarray]] = None  # the cheapest plan that met every target so far
    converged = False
    bar = _bar(o.max_iterations, progress)
    t0 = time.perf_counter()
    for it in range(1, o.max_iterations + 1):
        plan = fold_week(req, req.rostered(c))
        run_cfg, _ = apply_plan(sim_cfg, req, req.rostered(c))
        pooled = pooled_intervals(_simulate(run_cfg, progress, task))
        available = plan[slots] * (1.0 - req.shrinkage) - req.online_load - req.outbound_load
        new, lean, missing = c.copy(), c.copy(), 0
        for k in range(w, n_h):
            if pooled["attempts"][k] <= 0:
                continue
            measured = pessimistic(pooled, k, o.margin_se)
            c_cal = max(1, int(math.floor(available[k] + 1e-9)))
            lam = pooled["attempts"][k] / req.interval_s
            model = calibrated_agents(req, k, c_cal, lam, measured) - (c_cal - int(c[k]))
            if c[k] < met[k] and any(_worse(n, measured[n], v) for n, v in req.targets.items() if n in measured):
                missing += 1
                fail[k] = max(fail[k], c[k])
                new[k] = max(model, c[k] + step[k])
                step[k] *= 2
            else:
                step[k], met[k] = 1, min(met[k], c[k])
                if model < c[k]:  # slack: half of it is removed once every interval meets
                    lean[k] = max(c[k] - int(math.ceil(0.5 * (c[k] - model))), fail[k] + 1, 0)
        on, on_se = pooled["online_on_time_rate"], np.nan_to_num(pooled["online_on_time_rate_se"])
        if online_base is None:
            online_base = on.copy()
        with np.errstate(invalid="ignore"):
            late = np.flatnonzero(on[:n_h] < online_base[:n_h] - o.margin_se * on_se[:n_h] - 1e-12)
        online_met[np.setdiff1d(np.arange(w, n_h), late)] = True
        late_fixed = 0
        for k in late[(late >= w) & ~online_met[late]]:  # online items served worse than under the erlang plan:
            removed = [j for j in range(k, min(n_h, k + window)) if c[j] < req.calls_agents[j]]  # give back what
            for j in removed:  # was removed from the intervals that serve them (within their deadline)
                fail[j] = max(fail[j], c[j])
                new[j] = max(new[j], int(req.calls_agents[j]))
            late_fixed += bool(removed)  # a shortfall where nothing was removed is the seeds' noise, not the plan's
        missing += late_fixed
        hours = _hours(req, c, w, n_h)
        if missing == 0:
            if best is None or hours < best[0]:
                best = (hours, it, c.copy())
            new = lean
            met[:], online_met[:] = np.iinfo(np.int64).max, False
        saving = hours - _hours(req, new, w, n_h)
        changed = int(np.sum(new != c))
        history.append({"iteration": it, "operator_hours": hours, "intervals_missing_target": missing,
                        "online_intervals_late": late_fixed, "intervals_changed": changed,
                        "step": "remove slack" if missing == 0 else "repair",
                        "removed_operator_hours": saving if missing == 0 else 0.0})
        msg = (f"optimize: iteration {it}/{o.max_iterations}: {missing} interval(s) below target, "
               f"{changed} changed, {hours:,.0f} operator-hours ({time.perf_counter() - t0:.0f} s)")
        if bar is not None:
            bar.set_postfix_str(f"{missing} below target, {changed} changed")
            bar.update(1)
        else:
            line(msg)
        if missing == 0 and _settled(history, saving, hours):  # the removal computed above is not taken
            history[-1].update(step="settled", intervals_changed=0, removed_operator_hours=0.0)
            converged = True
            break
        c = new
    if bar is not None:
        bar.close()
    chosen = best[1] if best is not None else len(history)
    notes = {"iterations": len(history), "converged": converged, "chosen_iteration": chosen,
             "replications_per_iteration": o.replications, "first_replication": FIRST_REPLICATION,
             "margin_se": o.margin_se, "history": history}
    if converged:
        assert best is not None
        line(f"optimize: converged after {len(history)} simulations of the plan; the plan of iteration {best[1]} "
             f"({best[0]:,.0f} operator-hours, every interval meeting every target) is used")
    else:
        last = history[-1]
        if best is None:
            line(f"warning: staffing.optimize.max_iterations={o.max_iterations} reached without convergence "
                 f"({last['intervals_missing_target']} interval(s) below target in the last simulation); "
                 f"the last plan is used: raise staffing.optimize.max_iterations to go on")
        else:
            line(f"warning: staffing.optimize.max_iterations={o.max_iterations} reached before the slack was "
                 f"settled; the cheapest plan that met every target (iteration {best[1]}, "
                 f"{best[0]:,.0f} operator-hours) is used: raise staffing.optimize.max_iterations to go on")
    return (best[2] if best is not None else c), notes


def _hours(req: Requirement, c: np.ndarray, w: int, n_h: int) -> float:
    """Operator-hours (rostered) of agents-for-calls ``c`` over intervals ``w`` to ``n_h`` of the horizon."""
    return float(np.sum(req.rostered(c)[w:n_h])) * req.interval_s / 3600.0


def _settled(history: List[Dict[str, Any]], saving: float, hours: float) -> bool:
    """Whether a plan that meets every target (the last of ``history``) is the answer.

    A round - remove slack, then repair - is worth it when it is expected to save more than
    :data:`SETTLED` of the operator-hours.  The first round is expected to save what it removes
    (``saving``); a later one the share of its removal that the last round kept (its net saving
    over what it removed; none when it cost hours).
    """
    if saving <= SETTLED * hours:
        return True
    met = [h for h in history[:-1] if h["intervals_missing_target"] == 0]
    if not met:
        return False
    kept = max(0.0, met[-1]["operator_hours"] - hours) / max(met[-1]["removed_operator_hours"], 1e-9)
    return kept * saving <= SETTLED * hours


def _bar(total: int, enabled: bool):  # type: ignore[no-untyped-def]
    if not (enabled and sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="optimize staffing", unit="it", leave=False, file=sys.stderr, dynamic_ncols=True)
