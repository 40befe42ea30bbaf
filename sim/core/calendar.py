"""Working calendars: when a unit signs, contacts and closes, and when residents may be called.

A calendar is the same opening hours (``start_h`` to ``end_h``) on a set of
weekdays.  The engine asks one question of it: the earliest time, at or after
``t``, at which the calendar is open (:meth:`WorkCalendar.next_open`), and how
long it stays open from then (:meth:`WorkCalendar.open_until`).  Durations in
the model (handling, delays) run in elapsed time; actions that need someone at
work - signing an order, the first contact, filing the close-out, a return-visit
call - wait for the calendar to be open.
"""

from __future__ import annotations

import math
from typing import Sequence

DAY_S = 86400.0
WEEK_S = 7 * DAY_S


class WorkCalendar:
    """Weekly opening hours.

    Parameters
    ----------
    days : sequence of int
        Working weekdays (0 = Monday).
    start_h, end_h : float
        Opening and closing time of day, hours (``0 <= start_h < end_h <= 24``).
    start_weekday : int
        Weekday at simulation time 0.
    """

    def __init__(self, days: Sequence[int], start_h: float, end_h: float, start_weekday: int = 0) -> None:
        self.days = frozenset(int(d) for d in days)
        self.start_s = start_h * 3600.0
        self.end_s = end_h * 3600.0
        self.start_weekday = int(start_weekday)
        self.always = len(self.days) == 7 and start_h <= 0.0 and end_h >= 24.0
        self.every_day = len(self.days) == 7

    def is_open(self, t: float) -> bool:
        """Whether the calendar is open at time ``t``."""
        if self.always:
            return True
        day = math.floor(t / DAY_S)
        tod = t - day * DAY_S
        return (self.start_weekday + day) % 7 in self.days and self.start_s <= tod < self.end_s

    def next_open(self, t: float) -> float:
        """The earliest time at or after ``t`` at which the calendar is open (``inf`` if never)."""
        if self.always:
            return t
        if self.every_day:  # fast path: the same hours every day
            day_start = t - t % DAY_S
            tod = t - day_start
            if tod < self.start_s:
                return day_start + self.start_s
            if tod < self.end_s:
                return t
            return day_start + DAY_S + self.start_s
        if not self.days:
            return math.inf
        day = math.floor(t / DAY_S)
        for k in range(8):
            d = day + k
            if (self.start_weekday + d) % 7 not in self.days:
                continue
            opens, closes = d * DAY_S + self.start_s, d * DAY_S + self.end_s
            if t < closes:
                return max(t, opens)
        return math.inf  # pragma: no cover - unreachable with a non-empty day set

    def open_until(self, t: float) -> float:
        """End of the open period containing ``t`` (``t`` must be open; ``inf`` for an always-open calendar)."""
        if self.always:
            return math.inf
        day = math.floor(t / DAY_S)
        end = day * DAY_S + self.end_s
        if self.start_s <= 0.0 and self.end_s >= DAY_S:  # working days of 24 h run into each other
            while (self.start_weekday + day + 1) % 7 in self.days and end < t + WEEK_S:
                day += 1
                end += DAY_S
        return end

    def open_hours_per_week(self) -> float:
        """Open hours in a week."""
        return len(self.days) * (self.end_s - self.start_s) / 3600.0
