"""Shift scheduling: the cheapest set of allowed shifts covering a requirement, by integer programming.

The requirement (rostered operators per reporting interval of a week, Monday first) is covered
by shifts of the allowed patterns (:class:`sim.config.staffing_policy.ShiftPatternConfig`).  Each
*column* is one way to work a pattern: a start time of day, a start weekday (with a weekly tour,
``days_on`` consecutive days from it at the same time; otherwise that day alone) and, with a break,
the break's start within its window (in steps of the reporting interval).  Its coverage of a week's
interval is the share of the interval it is on duty (breaks excluded), and its cost is its paid
hours x the pattern's cost per hour.  The integer program (the set-covering model of shift
scheduling, Dantzig 1954, "A comment on Edie's traffic delays at toll booths")

    minimise  cost . x   subject to   A x >= required,  x >= 0 integer

counts how many operators work each column; it is solved within ``staffing.schedule_gap`` of the
optimum where the solver can prove it in time, from its linear relaxation rounded and, when that
is not close enough, by branch and bound (:mod:`sim.planning.cover`; HiGHS); the gap reached is
reported.  The requirement counts rostered operators (the
available ones divided by ``1 - shrinkage``, rounded up), so the constraint is
``scheduled x (1 - shrinkage) >= requirement`` in every interval.  The week is cyclic: a shift
starting on Sunday evening covers Monday morning, as the simulated plan does.  A pattern set that
leaves an interval needing operators without any column on duty is infeasible, whatever the
counts: :func:`check_coverage` reports it in one line before anything runs.

The result is a list of :class:`sim.config.schema.ShiftConfig` (a shift with a break is two pieces,
``..._a`` before and ``..._b`` after it), counted before ``scale`` like every plan of a scenario,
and :func:`shifts_yaml` writes it ready to paste into a scenario.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from sim.config.schema import ShiftConfig
from sim.config.staffing_policy import ShiftPatternConfig
from sim.core.calendar import DAY_S
from sim.core.errors import ConfigError
from sim.planning.cover import cheapest_cover

WEEK_S = 7 * DAY_S
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Column:
    """One way of working a pattern: ``segments`` on duty within the week (seconds from Monday 0:00)."""

    pattern: int
    start_h: float
    days: Tuple[int, ...]
    break_at_h: Optional[float]  # hours after the start; None = no break
    segments: Tuple[Tuple[float, float], ...]
    paid_h: float


def cost_of(p: ShiftPatternConfig) -> float:
    """A pattern's cost of a paid hour; a pattern whose cost is not set (None) costs 1 here - the policies pass
    patterns priced at ``staffing.cost_per_h`` (:func:`sim.planning.plan.priced_patterns`)."""
    return float(p.cost_per_h) if p.cost_per_h is not None else 1.0


@dataclass
class Schedule:
    """A solved schedule.

    Attributes
    ----------
    shifts : list of ShiftConfig
        The shifts (counts before scale), ready to become ``staffing.shifts``.
    required, covered : ndarray, shape (slots,)
        Rostered operators required and scheduled per interval of the week (Monday first).
    cost : float
        Cost of a week of the schedule (at the run's scale).
    status : str
        The solver's message.
    slot_s : float
        Length of an interval of the week, seconds.
    counts : dict
        Operator-days per week of each scheduled shift.
    gap : float
        Relative gap between the cost and the solver's lower bound on the optimum (0: proved optimal).
    chosen : list of (Column, int)
        The columns worked and how many operators work each (at the run's scale): the positions
        (:mod:`sim.planning.roster`).
    patterns : list of ShiftPatternConfig
        The patterns the columns refer to.
    """

    shifts: List[ShiftConfig]
    required: np.ndarray
    covered: np.ndarray
    cost: float
    status: str
    slot_s: float
    counts: Dict[str, float] = field(default_factory=dict)
    gap: float = 0.0
    chosen: List[Tuple[Column, int]] = field(default_factory=list)
    patterns: List[ShiftPatternConfig] = field(default_factory=list)

    @property
    def paid_h(self) -> float:
        """Paid operator-hours of a week of the schedule (at the run's scale; breaks unpaid)."""
        return float(sum(col.paid_h * n for col, n in self.chosen))

    @property
    def cost_per_paid_h(self) -> float:
        """Mean cost of a paid hour of the schedule (the patterns' costs weighted by their hours); 0 when empty."""
        paid = self.paid_h
        return self.cost / paid if paid > 0 else 0.0

    @property
    def over(self) -> np.ndarray:
        """Operators scheduled beyond the requirement, per interval of the week."""
        return np.maximum(self.covered - self.required, 0.0)

    @property
    def under(self) -> np.ndarray:
        """Operators missing from the requirement, per interval of the week (0 for a solved schedule)."""
        return np.maximum(self.required - self.covered, 0.0)


def columns(patterns: Sequence[ShiftPatternConfig], slot_s: float) -> List[Column]:
    """Every column of the patterns (module docstring)."""
    out = []
    step_h = slot_s / 3600.0
    for pi, p in enumerate(patterns):
        starts = sorted(p.starts_h) if p.starts_h else [float(h) for h in range(24)]
        first_days = sorted(p.days) if p.days else list(range(7))
        tours = [tuple((d + i) % 7 for i in range(p.days_on)) for d in first_days] if p.days_on else \
            [(d,) for d in first_days]
        breaks: List[Optional[float]] = [None]
        if p.break_h > 0:
            lo, hi = p.break_window_h
            breaks = [lo + i * step_h for i in range(int(math.floor((hi - lo) / step_h + 1e-9)) + 1)]
        for days in tours:
            for s in starts:
                for b in breaks:
                    pieces = [(0.0, p.length_h)] if b is None else [(0.0, b), (b + p.break_h, p.length_h)]
                    segs = tuple((d * DAY_S + (s + a) * 3600.0, d * DAY_S + (s + z) * 3600.0)
                                 for d in days for a, z in pieces if z > a)
                    paid = len(days) * (p.length_h - (0.0 if b is None else p.break_h))
                    out.append(Column(pi, float(s), days, b, segs, paid))
    return out


def coverage(cols: Sequence[Column], slot_s: float) -> np.ndarray:
    """Matrix ``A`` (slots x columns): share of each interval of the week each column is on duty."""
    n_slots = int(round(WEEK_S / slot_s))
    a = np.zeros((n_slots, len(cols)))
    edges = np.arange(n_slots + 1) * slot_s
    for j, col in enumerate(cols):
        for lo, hi in col.segments:
            for off in (0.0, -WEEK_S):  # a segment past Sunday midnight wraps to Monday
                x, y = lo + off, hi + off
                if y <= 0 or x >= WEEK_S:
                    continue
                a[:, j] += np.clip(np.minimum(edges[1:], y) - np.maximum(edges[:-1], x), 0.0, None) / slot_s
    return a


def check_coverage(required: np.ndarray, patterns: Sequence[ShiftPatternConfig], slot_s: float) -> None:
    """Raise unless every interval of the week that needs operators has some pattern's shift on duty.

    Raises
    ------
    ConfigError
        On ``staffing.patterns``, naming the first interval no pattern can cover.
    """
    a = coverage(columns(patterns, slot_s), slot_s)
    bad = np.flatnonzero((np.asarray(required) > 0) & (a.sum(axis=1) <= 0))
    if bad.size:
        k = int(bad[0])
        t = k * slot_s
        raise ConfigError("staffing.patterns", f"<{len(patterns)} pattern(s)>",
                          f"cannot cover the requirement: {WEEKDAYS[int(t // DAY_S)]} {_clock(t)} needs "
                          f"{required[k]:g} operators and no allowed shift is on duty then "
                          f"({bad.size} such interval(s) in the week); allow other start times, days or lengths")


def solve(required: np.ndarray, patterns: Sequence[ShiftPatternConfig], slot_s: float, scale: float,
          gap: float = 0.0, time_limit_s: float = 20.0) -> Schedule:
    """The cheapest schedule covering ``required`` (rostered operators per interval of a week).

    Parameters
    ----------
    required : ndarray, shape (slots,)
        Rostered operators per interval of a week, Monday 0:00 first (at the run's scale).
    patterns : sequence of ShiftPatternConfig
        The allowed shifts.
    slot_s : float
        Length of an interval (it divides a day).
    scale : float
        The run's scale: shift counts are written before it (divided by it).
    gap : float
        Relative optimality gap at which the search stops (``staffing.schedule_gap``): the cost is
        then within ``gap`` of the optimum (0 = the proved optimum).  A weekly covering problem's
        lower bound closes slowly (the LP bound is tight but branching seldom raises it), so
        proving the optimum of a large instance can take hours while a schedule within 1-2% is
        found in seconds; the gap reached is reported (:attr:`Schedule.gap`: the cost over the linear
        relaxation's, less one).
    time_limit_s : float
        Longest time branch and bound may take (only when the rounded relaxation is not within ``gap``);
        the best schedule is kept when it stops.

    Raises
    ------
    ConfigError
        The patterns cannot cover the requirement (:func:`check_coverage`).
    RuntimeError
        The linear relaxation could not be solved.
    """
    req = np.asarray(required, dtype=float)
    check_coverage(req, patterns, slot_s)
    cols = columns(patterns, slot_s)
    a = coverage(cols, slot_s)
    cost = np.array([c.paid_h * cost_of(patterns[c.pattern]) for c in cols])
    x = np.zeros(len(cols))
    status, reached = "nothing to cover", 0.0
    if req.sum() > 0:
        idx = np.flatnonzero(a.sum(axis=0) > 0)
        # Among equally cheap covers, the one with fewer hours where nothing is required (a closed day):
        # each column's cost is raised by a hundred-thousandth of its share of hours on such intervals.
        idle = a[req <= 0].sum(axis=0) / np.maximum(a.sum(axis=0), 1e-12)
        found = cheapest_cover(a[:, idx], (cost * (1.0 + 1e-5 * idle))[idx], req, gap, time_limit_s)
        x[idx] = found.x
        status, reached = f"{found.method}, within {found.gap:.2%} of the optimum", found.gap
    covered = a @ x
    shifts, counts = _shifts(cols, x, patterns, scale)
    chosen = [(col, int(n)) for col, n in zip(cols, x) if n > 0]
    return Schedule(shifts, req, covered, float(cost @ x), status, slot_s, counts, reached, chosen, list(patterns))


def _clock(t_s: float) -> str:
    s = int(round(t_s % DAY_S))
    return f"{s // 3600:02d}{s % 3600 // 60:02d}"


def _count(x: float, scale: float) -> float:
    v = x / scale
    return float(round(v)) if abs(v - round(v)) <= 1e-9 * max(1.0, abs(v)) else v


def _shifts(cols: Sequence[Column], x: np.ndarray, patterns: Sequence[ShiftPatternConfig],
            scale: float) -> tuple[List[ShiftConfig], Dict[str, float]]:
    """The chosen columns as shifts: day-by-day columns with the same start, break and count share one
    entry listing their days; a tour is an entry of its own; a break splits a shift in two pieces."""
    merged: Dict[tuple, List[int]] = {}
    for col, n in zip(cols, x):
        if n <= 0:
            continue
        p = patterns[col.pattern]
        key = (col.pattern, col.start_h, col.break_at_h, float(n), col.days if p.days_on else None)
        merged.setdefault(key, []).extend(col.days)
    shifts: List[ShiftConfig] = []
    counts: Dict[str, float] = {}
    for (pi, start, brk, n, tour), days in sorted(merged.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][4] or ())):
        p = patterns[pi]
        name = f"{p.name}_{_clock(start * 3600.0)}"
        if tour:
            name += f"_{WEEKDAYS[tour[0]]}"
        if brk is not None:
            name += f"_break{_clock((start + brk) * 3600.0)}"
        day_list = sorted(set(days))
        pieces = [(0.0, p.length_h, "")] if brk is None else [(0.0, brk, "_a"), (brk + p.break_h, p.length_h, "_b")]
        for a, z, suffix in pieces:
            if z <= a:
                continue
            t0 = start + a
            shift_days = day_list if t0 < 24.0 else sorted((d + 1) % 7 for d in day_list)
            shifts.append(ShiftConfig(name=name + suffix, start_h=t0 % 24.0, length_h=z - a, count=_count(n, scale),
                                      days=[] if len(shift_days) == 7 else shift_days, cost_per_h=cost_of(p)))
        counts[name] = counts.get(name, 0.0) + n * len(day_list)
    return shifts, counts


def shifts_yaml(schedule: Schedule, shrinkage: float, header: str,
                dates: Optional[Sequence[dt.date]] = None) -> str:
    """The schedule as YAML ready to paste into a scenario (a ``staffing:`` block with its shrinkage); with
    ``dates`` (the date of each weekday, Monday first: a dated run), each shift ends with a comment listing
    the dates it starts on."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += ["staffing:", f"  shrinkage: {shrinkage:g}", "  shifts:"]
    for sh in schedule.shifts:
        days = f", days: [{', '.join(str(d) for d in sh.days)}]" if sh.days else ""
        on = "" if dates is None else "  # " + ", ".join(
            f"{dates[d]:%a} {dates[d].isoformat()}" for d in sorted(sh.days or range(7), key=lambda d: dates[d]))
        lines.append(f"    - {{name: {sh.name}, start_h: {sh.start_h:g}, length_h: {sh.length_h:g}, "
                     f"count: {sh.count:.12g}{days}, cost_per_h: {sh.cost_per_h:g}}}{on}")
    if not schedule.shifts:
        lines[-1] = "  shifts: []"
    return "\n".join(lines) + "\n"
