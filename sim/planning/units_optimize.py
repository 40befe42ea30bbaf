"""Simulation-based unit staffing: the erlang proposal corrected unit by unit until every unit meets its targets.

* **Start**: the ``erlang`` proposal (:mod:`sim.planning.units_erlang`).
* **Simulate** the proposal for ``unit_staffing.optimize.replications`` replications through the
  run's executor, the same replications in every iteration (common random numbers: numbers
  2,000,000 and up of ``experiment.seed``), so that a unit's measured change is the change of its
  case workers, not noise.  The back office starts empty, so the simulation first runs
  ``unit_staffing.optimize.warmup_weeks`` ordinary weeks (the surges keep their place in the
  run's window) and measures the window after them, as in a steady state; its drain is long enough
  for every order of the window to be closed out or late (the longest close-out limit of the
  classes that have orders, and two days), and an order still open counts as late.
* **Measure** each unit's response rate and close-out on-time rate over its orders of the window,
  pooled over the replications, pessimistically: ``unit_staffing.optimize.margin_se`` standard
  errors below (the binomial error, or the spread between replications if larger).
* **Correct, unit by unit** (a unit's orders do not compete for another unit's slots): a bracket
  between the most case workers known to miss a target and the fewest known to meet both.  It
  starts below the fewest whose steady state the simulation can measure: slots above the unit's
  mean load (``lambda E[H]``, Little's law), and a queue that forgets its state within a third of
  the warm-up (:meth:`~sim.planning.units_erlang.UnitModel.relaxation_h`).  With fewer, the queue
  of a steady state is longer than any the simulated weeks build up - with cases of days and
  limits of days they may look fine at a load that cannot last - so the simulation is not asked,
  and a unit whose erlang proposal is below that floor starts at it.  The next count to simulate
  is the fewest that the approximation says meets the targets once corrected by what it got wrong
  at this count (its predicted rate minus the measured one, added to the target), kept inside the
  bracket (so a unit that met is tried with one worker fewer when the corrected approximation sees
  no slack); a unit missing with no count known to meet gets at least one worker more than it had,
  two, four, ... while it keeps missing; once the corrected approximation misjudges a count inside
  the bracket, the bracket is halved instead.  A unit is settled when its bracket is one worker
  wide: its proposal is the fewest case workers that met both targets on the replications.
* **Misses that workers cannot cure**: with common random numbers, a unit whose on-time counts did
  not rise when it was given more case workers had no order waiting for a slot that mattered - its
  late orders are late for their response delays, resolution times or calendar, and on these
  replications the target is out of reach (a small unit, whose few orders make the estimate
  noisy, or a target near what the unit can do at best).  It keeps the fewest case workers that
  reached those counts, and is named in ``summary.json``.
* **Stop** when every unit is settled, or after ``unit_staffing.optimize.max_iterations``
  simulations with a warning (each unit then keeps the fewest case workers that met both targets,
  or its last count if none did).

The run that follows simulates the proposal on its own replications - fresh seeds - and reports
the share of units meeting each target there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from sim.config.schema import Config
from sim.core.calendar import WEEK_S
from sim.experiments.executors import Failure, Task, run_batch
from sim.model.compile import compile_config
from sim.model.derive import clock, lead_in
from sim.model.replication import run_replication
from sim.planning.units_erlang import TARGETS, UnitModel
from sim.planning.units_plan import apply_workers, capacities
from sim.records.intervals import ReplicationResult

#: First replication number of the optimisation (its streams are independent of the run's 0, 1, ...
#: and of the front line's optimisation, which starts at 1,000,000).
FIRST_REPLICATION = 2_000_000
#: Hours of drain after the longest close-out limit (dispatches, bounces).
DRAIN_MARGIN_H = 48.0
Line = Callable[[str], None]
#: Per target: the counters of the on-time orders, of the orders decided, and of those still open.
COUNTERS = {"response_rate": ("response_on_time", "response_due", "pending_response"),
            "closeout_on_time_rate": ("closeouts_on_time", "closeouts_due", "pending_closeout")}


def planning_config(cfg: Config) -> Config:
    """The configuration the optimisation simulates (module docstring): warm-up weeks, a drain that decides
    every close-out, the optimisation's replications."""
    o = cfg.unit_staffing.optimize
    sim = lead_in(cfg, WEEK_S / 3600.0 * o.warmup_weeks)
    e = sim.experiment
    classes = {u for cat in cfg.categories.values() if cat.share > 0 for u, p in cat.urgency.items() if p > 0}
    e.drain_h = max(cfg.workorders.closeout_limit_h[u] for u in classes) + DRAIN_MARGIN_H
    e.precision, e.replications = None, o.replications
    sim.report.request_log = False
    return sim


@dataclass
class Measured:
    """Per unit, pooled over the replications: on-time orders, orders, the rate and its pessimistic value."""

    ok: Dict[str, np.ndarray]
    n: Dict[str, np.ndarray]
    pessimistic: Dict[str, np.ndarray]


def measure(results: List[ReplicationResult], margin_se: float) -> Measured:
    """Each unit's rates pooled over ``results``, and ``margin_se`` standard errors below (module docstring)."""
    ok, n, pess = {}, {}, {}
    for name, (k_ok, k_due, k_open) in COUNTERS.items():
        records = [r.backoffice for r in results if r.backoffice is not None]
        per_ok = np.array([bo.unit[k_ok] for bo in records], dtype=float)
        per_n = np.array([bo.unit[k_due] + bo.unit[k_open] for bo in records], dtype=float)
        ok[name], n[name] = per_ok.sum(axis=0), per_n.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n[name] > 0, ok[name] / np.maximum(n[name], 1.0), np.nan)
            binomial = np.sqrt(p * (1.0 - p) / np.maximum(n[name], 1.0))
            seen = per_n > 0
            rates = np.where(seen, per_ok / np.maximum(per_n, 1.0), 0.0)
            have = seen.sum(axis=0)
            mean = rates.sum(axis=0) / np.maximum(have, 1)
            var = np.where(seen, (rates - mean) ** 2, 0.0).sum(axis=0) / np.maximum(have - 1, 1)
            spread = np.where(have > 1, np.sqrt(var / np.maximum(have, 1)), 0.0)
        pess[name] = p - margin_se * np.maximum(binomial, np.nan_to_num(spread))
    return Measured(ok, n, pess)


@dataclass
class Bracket:
    """One unit's search: the most case workers known to miss, the fewest known to meet, what was tried."""

    lo: int = 0
    hi: Optional[int] = None
    step: int = 1
    tried: Dict[int, tuple] = field(default_factory=dict)
    saturated: bool = False
    expected: Optional[bool] = None  # whether the approximation expected the count simulated to meet the targets
    bisect: bool = False  # the approximation was wrong inside the bracket: halve it from now on

    @property
    def settled(self) -> bool:
        return self.saturated or (self.hi is not None and self.hi - self.lo <= 1)


def _simulate(cfg: Config, task: Task) -> List[ReplicationResult]:
    reps = [FIRST_REPLICATION + i for i in range(cfg.experiment.replications)]
    outcomes = run_batch(cfg, reps, False, task)
    failed = [o for o in outcomes.values() if isinstance(o, Failure)]
    if failed:
        raise RuntimeError(f"unit_staffing.policy=optimize: a simulation failed: {failed[0].describe()}")
    return [outcomes[r] for r in reps]  # type: ignore[misc]


def _guided(model: UnitModel, targets: Dict[str, float], scale: float, cap: int, m: Measured, u: int,
            fallback: int) -> int:
    """The fewest case workers the approximation says meet the targets once corrected at this count: each
    target raised by the approximation's optimism here (predicted minus measured); ``fallback`` if that is
    beyond what it can reach."""
    predicted = model.rates(cap)
    shifted = {}
    for name, t in targets.items():
        measured = m.pessimistic[name][u]
        shifted[name] = t + (predicted[name] - measured if np.isfinite(measured) and np.isfinite(predicted[name])
                             else 0.0)
    top = model.ceiling()
    if any(shifted[k] >= top[k] for k in shifted if np.isfinite(top[k])):
        return fallback
    return model.fewest_workers({k: max(v, 0.0) for k, v in shifted.items()}, scale)


def _next(b: Bracket, w: int, guided: int) -> int:
    """The next count to simulate for a unit: guided, inside the bracket; halving it once the approximation,
    corrected, misjudged a count inside it."""
    if b.hi is None:
        nxt = max(guided, w + b.step)
        b.step *= 2
    elif b.bisect:
        nxt = (b.lo + b.hi) // 2
    else:
        nxt = min(max(guided, b.lo + 1), b.hi - 1)
        if nxt in b.tried:
            nxt = (b.lo + b.hi) // 2
    b.expected = nxt >= guided
    return nxt


def _record(b: Bracket, w: int, meets: bool, counts: tuple, sizes: tuple) -> None:
    """Put the outcome of ``w`` in the bracket; detect a miss that more case workers did not cure."""
    b.tried[w] = (meets, counts)
    if b.expected is not None and b.hi is not None and meets != b.expected:
        b.bisect = True
    if meets:
        b.hi = w if b.hi is None else min(b.hi, w)
        return
    def same(c: tuple) -> bool:  # as many on time, within one order in a thousand (other units' changes
        return all(x >= y - max(1.0, 1e-3 * n) for x, y, n in zip(c, counts, sizes))  # move a few reopened rounds)

    fewer = [v for v, (met, c) in b.tried.items() if v < w and not met and same(c)]
    if fewer:  # no more on time with more workers: the queue did not cause the misses
        b.saturated = True
        b.hi = min(fewer)
        return
    b.lo = max(b.lo, w)


def optimize_workers(cfg: Config, models: List[UnitModel], start: np.ndarray, line: Line,
                     task: Task = run_replication) -> tuple[np.ndarray, Dict[str, Any]]:
    """Case workers per unit (before scale) after the simulation-based correction (module docstring).

    Returns
    -------
    workers : ndarray of int
    notes : dict
        ``iterations``, ``converged``, ``replications_per_iteration``, ``first_replication``, ``margin_se``,
        ``warmup_h``, ``at_floor`` (units whose proposal is the fewest the simulation can measure), ``saturated``
        (units whose misses more case workers did not cure), ``history``: per
        iteration the case workers, the units below a target, changed and settled.
    """
    o = cfg.unit_staffing.optimize
    targets = {k: float(getattr(cfg.unit_staffing.target, k)) for k in TARGETS}
    base = planning_config(cfg)
    back = compile_config(base).backoffice
    assert back is not None
    d = back.units
    active = [m.uid for m in models if m.orders > 0]
    w = np.asarray(start, dtype=np.int64).copy()
    clk = clock(base)
    floor = {u: models[u].trusted_workers(cfg.scale, clk.warmup_intervals * clk.interval_s / 3600.0) for u in active}
    brackets = {u: Bracket(lo=floor[u] - 1) for u in active}
    for u in active:
        w[u] = max(int(w[u]), floor[u])
    history: List[Dict[str, Any]] = []
    t0 = time.perf_counter()
    for it in range(1, o.max_iterations + 1):
        run_cfg = apply_workers(base, d, w)
        caps = capacities(d, run_cfg, w)
        m = measure(_simulate(run_cfg, task), o.margin_se)
        missing, new = 0, w.copy()
        for u in active:
            b = brackets[u]
            if b.settled:
                continue
            meets = all(not m.pessimistic[k][u] < t for k, t in targets.items() if m.n[k][u] > 0)
            missing += not meets
            _record(b, int(w[u]), meets, tuple(float(m.ok[k][u]) for k in targets),
                    tuple(float(m.n[k][u]) for k in targets))
            if b.settled:
                new[u] = b.hi
                continue
            fallback = int(w[u]) + b.step
            new[u] = _next(b, int(w[u]), _guided(models[u], targets, cfg.scale, int(caps[u]), m, u, fallback))
        settled = sum(brackets[u].settled for u in active)
        history.append({"iteration": it, "case_workers": int(w.sum()), "units_below_target": missing,
                        "units_changed": int(np.sum(new != w)), "units_settled": settled})
        line(f"unit staffing optimize: iteration {it}/{o.max_iterations}: {missing} unit(s) below target, "
             f"{settled}/{len(active)} settled, {int(w.sum()):,} case workers ({time.perf_counter() - t0:.0f} s)")
        w = new
        if settled == len(active):
            break
    converged = all(brackets[u].settled for u in active)
    for u in active:
        if brackets[u].hi is not None:
            w[u] = brackets[u].hi
    if not converged:
        line(f"warning: unit_staffing.optimize.max_iterations={o.max_iterations} reached with "
             f"{sum(not brackets[u].settled for u in active)} unit(s) not settled: each keeps the fewest case "
             f"workers that met both targets, or its last count; raise unit_staffing.optimize.max_iterations "
             f"to go on")
    notes = {"iterations": len(history), "converged": converged, "replications_per_iteration": o.replications,
             "first_replication": FIRST_REPLICATION, "margin_se": o.margin_se,
             "warmup_h": WEEK_S / 3600.0 * o.warmup_weeks, "drain_h": clk.drain_s / 3600.0,
             "at_floor": [models[u].name for u in active if int(w[u]) == floor[u]],
             "saturated": [models[u].name for u in active if brackets[u].saturated], "history": history}
    return w, notes
