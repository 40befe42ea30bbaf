"""Staffing plans: from the configured plan to timed changes of an operator pool.

A plan is one of three forms (:class:`sim.config.schema.StaffingConfig`):

* a constant headcount (``operators``);
* a headcount per half-hour (``half_hourly``: 48 values repeated daily, or 336
  values for a week starting on Monday);
* shifts (``shifts``: start time of day, length, count, weekdays), whose
  coverage is derived by adding up the shifts in force.

:func:`staffing_changes` turns a plan into a sorted list of :class:`StaffChange`
records and :func:`run_staffing` is the SimPy process that applies them to a
:class:`sim.core.engine.Pool`.  End-of-shift semantics: an operator whose shift ends
finishes the contact in hand and then leaves; a falling half-hourly headcount
sends free operators home first and lets busy ones finish.  Counts are
multiplied by the scenario's ``scale``, by ``headcount_factor`` (a what-if on the
plan, whatever its form) and by ``1 - shrinkage`` (the share of
scheduled operators away on breaks, training or meetings), so the pool holds
the operators actually available.

A fractional headcount keeps its mean: ``x = n + f`` operators (12.61 = 130 x
0.1 x 0.97) are ``n`` operators plus one operator present for the fraction ``f``
of the time - the first ``f`` of every half-hour for a constant or half-hourly
plan, the first ``f`` of the shift's length for a shift (a part-time operator).
The scheduled headcount of every half-hour or shift is then exactly ``x`` on
average, so a shrinkage of 3% or a scale of 0.37 changes the staffing by exactly
that much; integer headcounts are unchanged.  Case slots of units
(:func:`carried_counts`) are whole numbers: the fractions are carried from unit
to unit within a type, so the type's total keeps its mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generator, Iterable, Optional

import numpy as np
import simpy

from sim.config.schema import StaffingConfig
from sim.core.calendar import DAY_S
from sim.core.engine import Pool

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


#: A fractional part this close to a whole number is binary round-off (130 x 0.1 = 13.000000000000002).
ROUND_OFF = 1e-9


def scaled_headcount(count: float, scale: float) -> float:
    """``count x scale`` with binary round-off removed (a fractional headcount stays fractional)."""
    x = float(count) * float(scale)
    whole = round(x)
    return float(whole) if abs(x - whole) <= ROUND_OFF * max(1.0, abs(x)) else x


def split_headcount(x: float) -> tuple[int, float]:
    """``(n, f)`` with ``x = n + f``: ``n`` whole operators and one present for the fraction ``f`` of the time."""
    n = int(np.floor(x))
    return n, x - n


def carried_counts(values: Iterable[float]) -> list[int]:
    """Whole numbers for fractional ``values`` with the fractions carried from one to the next.

    Entry ``i`` is ``round(S_i) - round(S_{i-1})`` where ``S_i`` is the running sum (halves up,
    robust to round-off), so every prefix - and the total - is the rounded sum of the values:
    ``[1.5, 1.5, 1.5]`` gives ``[2, 1, 2]`` (4.5 -> 5), not ``[2, 2, 2]``.  Deterministic, in order.
    """
    out, total, done = [], 0.0, 0
    for v in values:
        total += float(v)
        upto = int(np.floor(total + 0.5 + ROUND_OFF))
        out.append(upto - done)
        done = upto
    return out


def available_factor(cfg: StaffingConfig, scale: float) -> float:
    """What every headcount of plan ``cfg`` is multiplied by to give the operators available:
    ``scale x headcount_factor x (1 - shrinkage)``."""
    return scale * cfg.headcount_factor * (1.0 - cfg.shrinkage)


def plan_mode(cfg: StaffingConfig) -> str:
    """Which form the plan takes: ``"shifts"``, ``"half_hourly"`` or ``"constant"``."""
    if cfg.shifts:
        return "shifts"
    if cfg.half_hourly:
        return "half_hourly"
    return "constant"


def _shift_instances(cfg: StaffingConfig, scale: float, horizon_s: float,
                     start_weekday: int) -> Iterable[tuple[float, float, int]]:
    """``(start_s, end_s, count)`` of every shift instance in force in ``[0, horizon_s)``.

    A fractional count ``n + f`` is an instance of ``n`` operators and one of a single
    operator who works the first ``f`` of the shift.
    """
    n_days = int(np.ceil(horizon_s / DAY_S))
    for day in range(-1, n_days + 1):
        weekday = (start_weekday + day) % 7
        for sh in cfg.shifts:
            if sh.days and weekday not in sh.days:
                continue
            start = day * DAY_S + sh.start_h * 3600.0
            n, f = split_headcount(scaled_headcount(sh.count, scale))
            for end, count in ((start + sh.length_h * 3600.0, n), (start + f * sh.length_h * 3600.0, 1)):
                if end > max(start, 0.0) and start < horizon_s:  # (f = 0: no part-time operator)
                    yield max(start, 0.0), end, count


def _slot_changes(headcounts: Iterable[float]) -> list[StaffChange]:
    """Anonymous add/remove changes realising a fractional headcount per half-hour slot (``x = n + f``:
    ``n + 1`` operators for the first ``f`` of the slot, then ``n``)."""
    changes, current = [], 0
    for k, x in enumerate(headcounts):
        n, f = split_headcount(x)
        t0 = k * HALF_HOUR_S
        for t, target in ((t0, n + 1), (t0 + f * HALF_HOUR_S, n)) if f > 0 else ((t0, n),):
            if target != current:
                changes.append(StaffChange(t, "add" if target > current else "remove", abs(target - current)))
                current = target
    return changes


def staffing_changes(cfg: StaffingConfig, scale: float, horizon_s: float,
                     start_weekday: int = 0) -> list[StaffChange]:
    """The timed headcount changes of a plan over ``[0, horizon_s)``.

    Parameters
    ----------
    cfg : StaffingConfig
        The plan.
    scale : float
        The scenario's scale; every count is multiplied by it, by ``cfg.headcount_factor`` and
        by ``1 - cfg.shrinkage`` (a fractional result keeps its mean: see the module's docstring).
    horizon_s : float
        Length of the run in seconds.
    start_weekday : int
        Weekday at time 0 (0 = Monday).

    Returns
    -------
    list of StaffChange
        Sorted by time; at equal times, shift starts come before shift ends
        (a handover overlaps rather than leaves a gap).  A change that would
        leave the headcount as it is, is not listed.
    """
    scale = available_factor(cfg, scale)
    mode = plan_mode(cfg)
    n_slots = int(np.ceil(horizon_s / HALF_HOUR_S))
    if mode == "constant":
        x = scaled_headcount(cfg.operators, scale)
        if split_headcount(x)[1] == 0.0:
            return [StaffChange(0.0, "add", int(x))] if x > 0 else []
        return _slot_changes([x] * n_slots)
    if mode == "half_hourly":
        plan = [scaled_headcount(c, scale) for c in cfg.half_hourly]
        offset = start_weekday * 48 if len(plan) == 336 else 0
        return _slot_changes(plan[(offset + k) % len(plan)] for k in range(n_slots))
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


def rostered_and_cost(cfg: StaffingConfig, scale: float, horizon_s: float, start_weekday: int, interval_s: float,
                      default_cost_per_h: float) -> tuple[np.ndarray, np.ndarray]:
    """Rostered operators (before shrinkage) and the plan's cost per hour, time-averaged per interval.

    Parameters
    ----------
    cfg : StaffingConfig
        The plan (its shrinkage is left out: rostered operators are paid whether on a break or not).
    scale, horizon_s, start_weekday : float, float, int
        As for :func:`staffing_changes`.
    interval_s : float
        Length of a reporting interval; the intervals cover ``[0, horizon_s)``.
    default_cost_per_h : float
        Cost of a paid operator-hour (``staffing.cost_per_h``); a shift's own ``cost_per_h`` takes precedence.

    Returns
    -------
    rostered, cost_per_h : ndarray, shape (intervals,)
        Mean operators rostered in each interval, and the cost per hour of the plan in force
        (sum over shifts of their rostered operators x their cost per hour).
    """
    n = int(round(horizon_s / interval_s))
    groups: dict[float, list] = {}
    for sh in cfg.shifts:
        own = sh.cost_per_h
        groups.setdefault(float(own) if own is not None else float(default_cost_per_h), []).append(sh)
    if not cfg.shifts:
        groups = {float(default_cost_per_h): []}
    rostered, cost_per_h = np.zeros(n), np.zeros(n)
    for c, shifts in groups.items():
        part = cfg.model_copy(update={"shrinkage": 0.0, **({"shifts": shifts} if cfg.shifts else {})})
        level = scheduled_headcount(staffing_changes(part, scale, horizon_s, start_weekday), interval_s, n)
        rostered += level
        cost_per_h += level * c
    return rostered, cost_per_h


def run_staffing(env: simpy.Environment, pool: Pool, changes: list[StaffChange], group: int = 0) -> Generator:
    """SimPy process applying ``changes`` to operator group ``group`` of ``pool`` at their times."""
    for change in changes:
        if change.t_s > env.now:
            yield env.timeout(change.t_s - env.now)
        if change.kind == "add":
            pool.add(change.n, group=group)
        elif change.kind == "remove":
            pool.remove(change.n, group=group)
        elif change.kind == "start":
            pool.add(change.n, shift=change.shift, group=group)
        else:
            pool.end_shift(change.shift, group=group)  # type: ignore[arg-type]
