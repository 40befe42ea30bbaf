"""A staffing budget: the plan that meets the targets in the most intervals within so many operator-hours.

``staffing.budget_h`` (operator-hours rostered in the measurement window, at the run's scale,
as the KPI ``operator_hours`` counts them) or ``staffing.budget_cost`` (the same as a cost, at
``staffing.cost_per_h`` per hour of the half-hourly plan; with ``staffing.schedule=shifts`` the
budget bounds the requirement and the roster's over-coverage comes on top, reported) asks
``staffing.policy=optimize`` for the best service the budget buys.

The optimisation first finds the cheapest plan meeting every target in every interval
(:mod:`sim.planning.optimize`).  If it fits the budget, it is the answer, and the budget left
unspent is reported.  Otherwise each interval is either *kept* (it gets the optimised agents,
and meets its targets) or *dropped* (it gets a floor: the calls' offered load rounded down, at
least one agent where calls arrive - the queue stays stable through abandonment, and misses its
targets), and the number of kept intervals is maximised within the budget: keeping interval
``k`` costs the operator-hours between its optimised agents and its floor, so the cheapest
intervals are kept first (for a count of intervals, keeping the cheapest first is optimal), and
what is left goes to the next interval in that order, towards its target.  Intervals interact (a
dropped interval's queue is carried into the next), so the plan is then simulated on the
optimisation's replications, and up to :data:`PASSES` times the kept intervals that miss are
repaired from the calibrated model (:func:`sim.planning.calibrated.assess`), paid for by dropping
the most expensive kept ones; the plan with the most intervals meeting every target on those
replications is the answer.  The run then measures it on fresh seeds.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np

from sim.analysis.staffing_kpis import pooled_group
from sim.config.schema import Config
from sim.experiments.executors import Task
from sim.model.replication import run_replication
from sim.planning.calibrated import assess
from sim.planning.optimize import hours, simulate
from sim.planning.plan import fold_week, week_slots
from sim.planning.requirement import Requirement
from sim.planning.shifts import WEEKDAYS

#: Simulations of the budget plan at most (each followed by a repair within the budget).
PASSES = 3
Line = Callable[[str], None]


def _floor(req: Requirement, agents: np.ndarray) -> np.ndarray:
    """The agents of a dropped interval: the calls' offered load rounded down, at least 1 with calls, at most the
    optimised agents."""
    base = np.floor(req.call_load + 1e-9)
    base = np.where(req.call_load > 0, np.maximum(base, 1.0), 0.0)
    return np.minimum(np.asarray(agents, dtype=float), base).astype(np.int64)


def _allocate(reqs: Sequence[Requirement], full: np.ndarray, floor: np.ndarray, order: List[Tuple[int, int]],
              budget_h: float, w: int, n_h: int) -> Tuple[np.ndarray, List[Tuple[int, int]]]:
    """Keep the intervals of ``order`` while the budget allows; the rest at their floor; what is left goes to the
    first interval that did not fit."""
    plan = floor.copy()
    kept: List[Tuple[int, int]] = []
    for g, k in order:
        trial = plan.copy()
        trial[g, k] = full[g, k]
        if hours(reqs, trial, w, n_h) <= budget_h + 1e-9:
            plan = trial
            kept.append((g, k))
        else:
            while plan[g, k] < full[g, k]:
                trial = plan.copy()
                trial[g, k] += 1
                if hours(reqs, trial, w, n_h) > budget_h + 1e-9:
                    break
                plan = trial
            break
    return plan, kept


def within_budget(cfg: Config, reqs: Sequence[Requirement], agents: np.ndarray, line: Line, reps: int,
                  task: Task = run_replication) -> Tuple[np.ndarray, Dict[str, Any]]:
    """The plan meeting the targets in the most intervals within the budget (module docstring), and what the budget
    buys: ``budget_h``, ``needed_h`` (the cheapest plan meeting every target), ``planned_h``, ``unspent_h``,
    ``intervals`` (of the window, with work), ``intervals_kept`` (given their optimised agents),
    ``meeting_on_optimisation_seeds`` (the share of intervals meeting every target there) and ``dropped``
    (the intervals given less, as ``group weekday HH:MM``).  ``reps`` replications of the optimisation
    (``task`` simulates one) judge the plan."""
    s = cfg.staffing
    budget_h = float(s.budget_h) if s.budget_h is not None else float(s.budget_cost or 0.0) / float(s.cost_per_h)
    n_h, w = reqs[0].n_intervals, reqs[0].warmup_intervals
    full = np.asarray(agents, dtype=np.int64)
    needed = hours(reqs, full, w, n_h)
    cells = [(g, k) for g, r in enumerate(reqs) for k in range(w, n_h) if r.call_load[k] > 0 or full[g, k] > 0]
    notes: Dict[str, Any] = {"budget_h": budget_h, "needed_h": needed, "intervals": len(cells)}
    if s.budget_cost is not None:
        notes.update(budget_cost=float(s.budget_cost), currency=s.currency)
    if needed <= budget_h:
        notes.update(planned_h=needed, unspent_h=budget_h - needed, intervals_kept=len(cells), dropped=[])
        line(f"optimize: the budget ({budget_h:,.0f} operator-hours) buys every interval: the plan needs "
             f"{needed:,.0f}, {budget_h - needed:,.0f} unspent")
        return full, notes
    floor = np.array([_floor(r, a) for r, a in zip(reqs, full)])
    if hours(reqs, floor, w, n_h) > budget_h:
        raise RuntimeError(f"staffing.budget_h={budget_h:g}: below the {hours(reqs, floor, w, n_h):,.0f} "
                           f"operator-hours of the floor plan (the calls' offered load in every interval); "
                           f"raise the budget")
    cost = {(g, k): float(reqs[g].rostered(full[g])[k] - reqs[g].rostered(floor[g])[k]) for g, k in cells}
    order = sorted(cells, key=lambda gk: (cost[gk], gk[1], gk[0]))
    plan, kept = _allocate(reqs, full, floor, order, budget_h, w, n_h)
    best = (-1.0, plan, kept)
    for _ in range(PASSES):
        met, missing = _measure(cfg, reqs, plan, kept, w, n_h, reps, task)
        if met > best[0]:
            best = (met, plan, kept)
        if not missing:
            break
        full = full.copy()
        for (g, k), need in missing.items():
            full[g, k] = max(full[g, k], need)
        for g, k in missing:
            cost[(g, k)] = float(reqs[g].rostered(full[g])[k] - reqs[g].rostered(floor[g])[k])
        order = sorted(kept, key=lambda gk: (cost[gk], gk[1], gk[0])) + [c for c in order if c not in kept]
        plan, kept = _allocate(reqs, full, floor, order, budget_h, w, n_h)
    met, plan, kept = best
    planned = hours(reqs, plan, w, n_h)
    dropped = sorted(set(cells) - set(kept), key=lambda gk: (gk[1], gk[0]))
    notes.update(planned_h=planned, unspent_h=max(0.0, budget_h - planned), intervals_kept=len(kept),
                 meeting_on_optimisation_seeds=met, dropped=[_label(reqs, g, k) for g, k in dropped])
    line(f"optimize: the budget ({budget_h:,.0f} operator-hours, {needed:,.0f} needed for every interval) keeps "
         f"{len(kept)} of {len(cells)} intervals at their targets ({100 * met:.1f}% meeting every target on the "
         f"optimisation's replications)")
    return plan, notes


def _measure(cfg: Config, reqs: Sequence[Requirement], plan: np.ndarray, kept: List[Tuple[int, int]], w: int,
             n_h: int, reps: int, task: Task) -> Tuple[float, Dict[Tuple[int, int], int]]:
    """Simulate ``plan``: the share of intervals with work meeting every target, and per kept interval that
    misses, the agents the calibrated model says it needs."""
    results = simulate(cfg, reqs, plan, reps, task)
    slots = week_slots(reqs[0])
    ok, total = 0, 0
    missing: Dict[Tuple[int, int], int] = {}
    keep = set(kept)
    for g, req in enumerate(reqs):
        pooled = pooled_group(results, g)
        duty = fold_week(req, req.rostered(plan[g]), n_h)[slots] * (1.0 - req.shrinkage)
        for k in range(w, n_h):
            miss, model = assess(req, pooled, k, int(plan[g, k]), duty[k] - req.online_load[k] - req.outbound_load[k],
                                 duty[k], 0.0, 0.0)
            if model is None:
                continue
            total += 1
            ok += not miss
            if miss and (g, k) in keep:
                missing[(g, k)] = max(int(plan[g, k]) + 1, model)
    return (ok / total if total else math.nan), missing


def _label(reqs: Sequence[Requirement], g: int, k: int) -> str:
    req = reqs[g]
    per_day = int(round(86400.0 / req.interval_s))
    day = (req.start_weekday + k // per_day) % 7
    m = int(round((k % per_day) * req.interval_s / 60.0))
    return f"{req.name} {WEEKDAYS[day]} {m // 60:02d}:{m % 60:02d}"
