"""A unit's working calendar as arrays: the next opening, and time advanced by hours at work.

:class:`~sim.core.calendar.WorkCalendar` answers one time at a time, as the engine asks; the unit
planner (:mod:`sim.planning.units_erlang`) asks for thousands of times at once.  The calendar is a
weekly list of open periods (Monday of the run's week first, relative to the run's start weekday),
and every function here is the same rule as the engine's:

* :meth:`OpenPeriods.next_open` - the earliest time at or after ``t`` at which the unit is at work
  (:meth:`WorkCalendar.next_open`);
* :meth:`OpenPeriods.advance` - the time at which ``w`` hours at work have passed after ``t`` (an
  order that waits ``w`` hours of the unit's working time for a slot); landing on a closing time
  means the next opening, as the engine signs only while the unit is open;
* :meth:`OpenPeriods.last_open` - the latest time from which waiting for the next opening still
  ends by ``t`` (``next_open(x) <= t`` exactly when ``x <= last_open(t)``), which turns "on time
  after the next opening" into a bound on a delay, read from the delay's distribution function.
"""

from __future__ import annotations

import numpy as np

from sim.core.calendar import DAY_S, WEEK_S, WorkCalendar


class OpenPeriods:
    """The open periods of a calendar over one week from time 0, and their cumulative open time.

    Parameters
    ----------
    cal : WorkCalendar
        The calendar (its ``start_weekday`` says which weekday time 0 is).

    Raises
    ------
    ValueError
        The calendar is never open.
    """

    def __init__(self, cal: WorkCalendar) -> None:
        starts: list[float] = []
        ends: list[float] = []
        for d in range(7):
            if cal.always or (cal.start_weekday + d) % 7 in cal.days:
                a, b = (0.0, DAY_S) if cal.always else (cal.start_s, cal.end_s)
                if starts and abs(ends[-1] - (d * DAY_S + a)) < 1e-9:
                    ends[-1] = d * DAY_S + b  # periods that touch are one
                else:
                    starts.append(d * DAY_S + a)
                    ends.append(d * DAY_S + b)
        if not starts:
            raise ValueError("the calendar is never open")
        self.always = cal.always
        self.starts = np.array(starts)
        self.ends = np.array(ends)
        lengths = self.ends - self.starts
        self.cum_end = np.cumsum(lengths)
        self.cum_start = self.cum_end - lengths
        self.open_s = float(self.cum_end[-1])  # open seconds per week

    @property
    def open_share(self) -> float:
        """Share of the week at work."""
        return self.open_s / WEEK_S

    def next_open(self, t: np.ndarray) -> np.ndarray:
        """The earliest time at or after each ``t`` (seconds) at which the calendar is open."""
        t = np.asarray(t, dtype=float)
        if self.always:
            return t
        week = np.floor(t / WEEK_S)
        r = t - week * WEEK_S
        i = np.searchsorted(self.ends, r, side="right")
        nxt = i >= len(self.starts)
        i = np.where(nxt, 0, i)
        return np.where(nxt, (week + 1) * WEEK_S + self.starts[i], week * WEEK_S + np.maximum(r, self.starts[i]))

    def last_open(self, t: np.ndarray) -> np.ndarray:
        """``t`` where the calendar is open at ``t``; else the last closing time before it.  An action that waits
        for the next opening from ``x`` happens by ``t`` exactly when ``x <= last_open(t)`` (but for
        ``x`` at that closing time itself, a set of measure zero)."""
        t = np.asarray(t, dtype=float)
        if self.always:
            return t
        week = np.floor(t / WEEK_S)
        r = t - week * WEEK_S
        i = np.searchsorted(self.starts, r, side="right") - 1
        before = i < 0
        j = np.where(before, len(self.starts) - 1, i)
        end = np.where(before, (week - 1) * WEEK_S, week * WEEK_S) + self.ends[j]
        return np.where(~before & (r < self.ends[j]), t, end)

    def open_before(self, t: np.ndarray) -> np.ndarray:
        """Open seconds in ``[0, t)`` (``t >= 0``)."""
        t = np.asarray(t, dtype=float)
        week = np.floor(t / WEEK_S)
        r = t - week * WEEK_S
        i = np.searchsorted(self.starts, r, side="right") - 1
        inside = np.where(i >= 0, np.clip(r - self.starts[np.maximum(i, 0)], 0.0,
                                          self.ends[np.maximum(i, 0)] - self.starts[np.maximum(i, 0)]), 0.0)
        done = np.where(i >= 0, self.cum_start[np.maximum(i, 0)], 0.0)
        return week * self.open_s + done + inside

    def advance(self, t: np.ndarray, w_s: np.ndarray) -> np.ndarray:
        """The time at which ``w_s`` open seconds have passed after ``t`` (at work from ``next_open(t)``)."""
        t = np.asarray(t, dtype=float)
        w_s = np.asarray(w_s, dtype=float)
        if self.always:
            return t + w_s
        x = self.open_before(self.next_open(t)) + w_s
        week = np.floor(x / self.open_s)
        rem = x - week * self.open_s
        i = np.minimum(np.searchsorted(self.cum_end, rem, side="right"), len(self.starts) - 1)
        return week * WEEK_S + self.starts[i] + (rem - self.cum_start[i])

    def open_hours(self, t0_s: float, t1_s: float) -> float:
        """Open hours in ``[t0_s, t1_s)``."""
        both = self.open_before(np.array([t0_s, t1_s]))
        return float(both[1] - both[0]) / 3600.0
