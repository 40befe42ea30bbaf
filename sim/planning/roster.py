"""A shift schedule as positions a supervisor can fill: position 1..N, each with its days and hours.

A solved schedule (:class:`sim.planning.shifts.Schedule`) says how many operators work each
way of working a pattern (a *column*: start time, days, break).  A position is one person's
week:

* a column of a **weekly tour** (``days_on`` > 0, the default patterns: five consecutive days on,
  then two off, from any weekday, so the days off rotate over the positions) is one position per
  operator working it;
* **day-by-day** columns (``days_on`` = 0) of the same pattern, start and break are combined into
  positions of at most :data:`MAX_DAYS` days each: a position takes the days that still need the
  most of these shifts (ties: the earlier weekday), so no one works more than five days a week.

Positions are numbered 1..N in the order of their start time, then first day, within a group,
and count operators at the run's scale (the schedule's counts; a plan found at a scale other
than 1 holds at that scale only).  :meth:`Roster.entries` merges identical positions for a
short listing ("positions 1-12: Mon-Fri 08:00-17:00, meal break 12:00-13:00").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from sim.planning.shifts import WEEKDAYS, Column, Schedule, cost_of

#: Days a position made of day-by-day shifts works at most in a week.
MAX_DAYS = 5


@dataclass(frozen=True)
class Position:
    """One person's week: the days worked (in working order) and the hours of each day.

    Attributes
    ----------
    number : int
        1..N within the group.
    pattern : str
        The shift pattern's name.
    days : tuple of int
        Weekdays worked, in the order worked (0 = Monday).
    start_h, length_h : float
        Start time of day and length of a day's shift, hours (the break included).
    break_at_h, break_h : float or None, float
        Start of the unpaid break, hours after the shift's start (None: no break), and its length.
    paid_h : float
        Paid hours a week.
    cost : float
        Cost of a week of the position.
    """

    number: int
    pattern: str
    days: Tuple[int, ...]
    start_h: float
    length_h: float
    break_at_h: Optional[float]
    break_h: float
    paid_h: float
    cost: float

    def key(self) -> tuple:
        """Everything but the number: positions with the same key are interchangeable."""
        return (self.pattern, self.days, self.start_h, self.length_h, self.break_at_h, self.break_h)

    def describe(self) -> Dict[str, Any]:
        """The position's days and hours in words (``summary.json``, ``roster.csv``)."""
        brk = None
        if self.break_at_h is not None:
            brk = f"{_clock(self.start_h + self.break_at_h)}-{_clock(self.start_h + self.break_at_h + self.break_h)}"
        return {"pattern": self.pattern, "days": [WEEKDAYS[d] for d in self.days],
                "days_off": [WEEKDAYS[d] for d in range(7) if d not in self.days],
                "start": _clock(self.start_h), "end": _clock(self.start_h + self.length_h), "meal_break": brk,
                "paid_h_per_week": self.paid_h, "cost_per_week": self.cost}


@dataclass
class Roster:
    """The positions of one group's schedule."""

    positions: List[Position]

    def entries(self) -> List[Dict[str, Any]]:
        """Runs of identical consecutive positions: ``first``, ``last``, ``count`` and the description."""
        out: List[Dict[str, Any]] = []
        for p in self.positions:
            if out and out[-1]["_key"] == p.key():
                out[-1]["last"], out[-1]["count"] = p.number, out[-1]["count"] + 1
            else:
                out.append({"_key": p.key(), "first": p.number, "last": p.number, "count": 1, **p.describe()})
        return [{k: v for k, v in e.items() if k != "_key"} for e in out]

    @property
    def max_days(self) -> int:
        """The most days any position works in a week (0 without positions)."""
        return max((len(p.days) for p in self.positions), default=0)


def _clock(h: float) -> str:
    m = int(round((h % 24.0) * 60.0))
    return f"{m // 60 % 24:02d}:{m % 60:02d}"


def positions(schedule: Schedule) -> Roster:
    """The positions of ``schedule`` (module docstring)."""
    pats = schedule.patterns
    weeks: List[Tuple[Column, Tuple[int, ...]]] = []
    daily: Dict[tuple, Dict[int, int]] = {}
    for col, n in schedule.chosen:
        if pats[col.pattern].days_on:
            weeks.extend((col, col.days) for _ in range(int(n)))
        else:
            per_day = daily.setdefault((col.pattern, col.start_h, col.break_at_h), {})
            for d in col.days:
                per_day[d] = per_day.get(d, 0) + int(n)
    proto = {(c.pattern, c.start_h, c.break_at_h): c for c, _ in schedule.chosen}
    for key, need in daily.items():
        while any(v > 0 for v in need.values()):
            chosen = sorted((d for d in need if need[d] > 0), key=lambda d: (-need[d], d))[:MAX_DAYS]
            for d in chosen:
                need[d] -= 1
            weeks.append((proto[key], tuple(sorted(chosen))))
    weeks.sort(key=lambda w: (w[0].start_h, w[1][0] if w[1] else 0, w[0].pattern, w[1], w[0].break_at_h or 0.0))
    out = []
    for i, (col, worked) in enumerate(weeks, start=1):
        p = pats[col.pattern]
        paid_day = p.length_h - (p.break_h if col.break_at_h is not None else 0.0)
        out.append(Position(i, p.name, worked, col.start_h, p.length_h, col.break_at_h,
                            p.break_h if col.break_at_h is not None else 0.0, paid_day * len(worked),
                            paid_day * len(worked) * cost_of(p)))
    return Roster(out)
