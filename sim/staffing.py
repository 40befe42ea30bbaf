"""Staffing plans: from the configured plan to timed changes of an operator pool.

A plan is one of three forms (:class:`sim.config.StaffingConfig`):

* a constant headcount (``operators``);
* a headcount per half-hour (``half_hourly``: 48 values repeated daily, or 336
  values for a week starting on Monday);
* shifts (``shifts``: start time of day, length, count, weekdays), whose
  coverage is derived by adding up the shifts in force.

:func:`staffing_changes` turns a plan into a sorted list of :class:`StaffChange`
records and :func:`run_staffing` is the SimPy process that applies them to a
:class:`sim.engine.Pool`.  End-of-shift semantics: an operator whose shift ends
finishes the contact in hand and then leaves; a falling half-hourly headcount
sends free operators home first and lets busy ones finish.  Counts are
multiplied by the scenario's ``scale``, by ``headcount_factor`` (a what-if on the
plan, whatever its form) and by ``1 - shrinkage`` (the share of
scheduled operators away on breaks, training or meetings) and rounded to the
nearest integer, so the pool holds the operators actually available.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generator, Iterable, Optional

import numpy as np
import simpy

from .calendar import DAY_S
from .config import StaffingConfig
from .engine import Pool

HALF_HOUR_S = 1800.0


@dataclass(frozen=True)
class StaffChange:
    """One change of headcount.

    Attributes
    ----------
    t_s : float
        Time of the change, seconds from time 0.
    kind : str
        ``"add"`` / ``"remove"`` (anonymous headcount), ``"start"`` / ``"end"`` (a shift).
    n : int
        Operators added or removed (0 for ``"end"``).
    shift : int or None
        Identifier of the shift instance for ``"start"`` and ``"end"``.
    """

    t_s: float
    kind: str
    n: int
    shift: Optional[int] = None


def scaled_count(count: float, scale: float) -> int:
    """``count x scale`` rounded half up (so 0.5 operators become 1), robust to binary round-off."""
    return int(np.floor(count * scale + 0.5 + 1e-9))


def plan_mode(cfg: StaffingConfig) -> str:
    """Which form the plan takes: ``"shifts"``, ``"half_hourly"`` or ``"constant"``."""
    if cfg.shifts:
        return "shifts"
    if cfg.half_hourly:
        return "half_hourly"
    return "constant"


def _shift_instances(cfg: StaffingConfig, scale: float, horizon_s: float,
                     start_weekday: int) -> Iterable[tuple[float, float, int]]:
    n_days = int(np.ceil(horizon_s / DAY_S))
    for day in range(-1, n_days + 1):
        weekday = (start_weekday + day) % 7
        for sh in cfg.shifts:
            if sh.days and weekday not in sh.days:
                continue
            start = day * DAY_S + sh.start_h * 3600.0
            end = start + sh.length_h * 3600.0
            if end <= 0 or start >= horizon_s:
                continue
            yield max(start, 0.0), end, scaled_count(sh.count, scale)


def staffing_changes(cfg: StaffingConfig, scale: float, horizon_s: float,
                     start_weekday: int = 0) -> list[StaffChange]:
    """The timed headcount changes of a plan over ``[0, horizon_s)``.

    Parameters
    ----------
    cfg : StaffingConfig
        The plan.
    scale : float
        The scenario's scale; every count is multiplied by it, by ``cfg.headcount_factor`` and
        by ``1 - cfg.shrinkage``.
    horizon_s : float
        Length of the run in seconds.
    start_weekday : int
        Weekday at time 0 (0 = Monday).

    Returns
    -------
    list of StaffChange
        Sorted by time; at equal times, shift starts come before shift ends
        (a handover overlaps rather than leaves a gap).
    """
    scale = scale * cfg.headcount_factor * (1.0 - cfg.shrinkage)
    mode = plan_mode(cfg)
    if mode == "constant":
        return [StaffChange(0.0, "add", scaled_count(cfg.operators, scale))]
    if mode == "half_hourly":
        plan = [scaled_count(c, scale) for c in cfg.half_hourly]
        changes, current = [], 0
        n_slots = int(np.ceil(horizon_s / HALF_HOUR_S))
        offset = start_weekday * 48 if len(plan) == 336 else 0
        for k in range(n_slots):
            target = plan[(offset + k) % len(plan)]
            if target != current:
                kind = "add" if target > current else "remove"
                changes.append(StaffChange(k * HALF_HOUR_S, kind, abs(target - current)))
                current = target
        return changes
    changes = []
    for ident, (start, end, count) in enumerate(_shift_instances(cfg, scale, horizon_s, start_weekday)):
        changes.append(StaffChange(start, "start", count, ident))
        if end < horizon_s:
            changes.append(StaffChange(end, "end", 0, ident))
    order = {"start": 0, "add": 0, "remove": 1, "end": 1}
    return sorted(changes, key=lambda c: (c.t_s, order[c.kind]))


def scheduled_headcount(changes: list[StaffChange], interval_s: float, n_intervals: int) -> np.ndarray:
    """Time-average scheduled headcount in each interval (ignoring overtime to finish a contact)."""
    counts: dict[Optional[int], int] = {}
    times, levels, level = [0.0], [0], 0
    for c in changes:
        if c.kind == "add":
            level += c.n
        elif c.kind == "remove":
            level -= c.n
        elif c.kind == "start":
            counts[c.shift] = c.n
            level += c.n
        else:
            level -= counts.pop(c.shift, 0)
        times.append(c.t_s)
        levels.append(level)
    edges = np.arange(n_intervals + 1) * interval_s
    t = np.asarray(times + [edges[-1]])
    lv = np.asarray(levels, dtype=float)
    # area under the step function up to each edge
    cum = np.concatenate([[0.0], np.cumsum(lv * np.diff(np.clip(t, 0, edges[-1])))])
    area = np.interp(edges, np.clip(t, 0, edges[-1]), cum)
    return np.diff(area) / interval_s


def run_staffing(env: simpy.Environment, pool: Pool, changes: list[StaffChange]) -> Generator:
    """SimPy process applying ``changes`` to ``pool`` at their times."""
    for change in changes:
        if change.t_s > env.now:
            yield env.timeout(change.t_s - env.now)
        if change.kind == "add":
            pool.add(change.n)
        elif change.kind == "remove":
            pool.remove(change.n)
        elif change.kind == "start":
            pool.add(change.n, shift=change.shift)
        else:
            pool.end_shift(change.shift)  # type: ignore[arg-type]
