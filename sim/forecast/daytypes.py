"""What kind of day each day is - closed, a holiday, a working day after a break - and the daily model's regressors.

The history says which weekdays the centre opens: a weekday opens when at least
half of its days that are neither holidays nor declared closed hold data (the
bank of the shared 2003 series: Monday to Friday).  A day the centre never opens
is *closed*: no demand, forecast as zero and marked closed.  Then, day by day:

* a day the special-days file declares ``closed`` is closed;
* a holiday in the history is closed when it holds no data, an *open holiday*
  when it does; a holiday in the forecast range is closed when the centre closed
  on that holiday (same name) in the history, or, for a holiday the history does
  not hold, on at least half of the holidays it does hold on days it opens;
  otherwise it is an open holiday, whose effect the daily model estimates (a
  history without an open holiday gives no effect: the forecast says so);
* an adjusted working day (a weekend day worked to bridge a holiday) is open and
  counts as an average working weekday;
* a day inside the history without data that is none of these is *no data*: it
  is left out of every estimate, never read as zero.

A *break* is a closed day on a weekday the centre opens, or an open holiday; the
first ``k`` regular working days after one carry indicators of their own (demand
held back by a closure comes back on the following days).  The first and last
regular working days of each month carry indicators too (statements, salaries).
:func:`design` turns these into the columns of the daily model's regression.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from sim.forecast.calendar import Calendar, holiday_key

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_AFTER = 3
OPEN_SHARE = 0.5


@dataclass
class DayPlan:
    """The kind of every day of a span (day 0 = ``start``); the history is the days before ``train_end``."""

    start: dt.date
    train_end: int
    weekday: np.ndarray
    open_weekdays: List[int]
    closed: np.ndarray
    reason: List[str]
    holiday: np.ndarray
    workday: np.ndarray
    after: np.ndarray
    month_first: np.ndarray
    month_last: np.ndarray
    event: List[str]
    holiday_names: List[str]
    notes: List[str] = field(default_factory=list)

    @property
    def n_days(self) -> int:
        """Days of the span."""
        return len(self.closed)

    def kind(self, i: int) -> str:
        """``closed``, ``holiday``, ``workday`` or ``regular``."""
        if self.closed[i]:
            return "closed"
        return "holiday" if self.holiday[i] else ("workday" if self.workday[i] else "regular")

    def profile_key(self, i: int) -> str:
        """The day type whose intraday profile the day follows."""
        k = self.kind(i)
        return WEEKDAYS[int(self.weekday[i])] if k == "regular" else k


def _open_weekdays(observed: np.ndarray, weekday: np.ndarray, special: np.ndarray) -> List[int]:
    out = []
    for w in range(7):
        days = (weekday[: len(observed)] == w) & ~special[: len(observed)]
        if not days.any() or observed[days].mean() >= OPEN_SHARE:
            out.append(w)
    return out or list(range(7))


def _cut_months(start: dt.date, n: int, open_wd: List[int], first: np.ndarray, last: np.ndarray) -> None:
    """Unflag the month edges of the span's first and last months where the span cuts them: a weekday the
    centre opens before the span (in its first month) or after it (in its last) may be the month's edge."""
    if n == 0:
        return
    end = start + dt.timedelta(days=n - 1)
    before = [start - dt.timedelta(days=k) for k in range(1, start.day)]
    if any(d.weekday() in open_wd for d in before):
        in_first = [i for i in range(min(n, 31)) if (start + dt.timedelta(days=i)).month == start.month]
        first[in_first] = False
    after = [end + dt.timedelta(days=k) for k in range(1, 32) if (end + dt.timedelta(days=k)).month == end.month]
    if any(d.weekday() in open_wd for d in after):
        in_last = [i for i in range(max(0, n - 31), n) if (start + dt.timedelta(days=i)).month == end.month]
        last[in_last] = False


def plan_days(observed: np.ndarray, cal: Calendar) -> DayPlan:
    """The kind of each day of ``cal``'s span, learning from ``observed`` (the history's days with data, from day 0).

    Parameters
    ----------
    observed : ndarray of bool, shape (train_end,)
        The days of the history that hold data; days from ``len(observed)`` on are forecast days.
    cal : Calendar
        The calendar of the whole span (history and forecast).
    """
    n, h = cal.n_days, len(observed)
    weekday = np.array([(cal.start + dt.timedelta(days=i)).weekday() for i in range(n)])
    names = list(cal.holiday)
    is_hol = np.array([bool(x) for x in names])
    open_wd = _open_weekdays(observed, weekday, is_hol | cal.closed)
    opens = np.isin(weekday, open_wd) | cal.workday
    closed = ~opens | cal.closed
    reason = ["" if opens[i] else f"the centre does not open on {calendar.day_name[weekday[i]]}s" for i in range(n)]
    for i in np.flatnonzero(cal.closed):
        reason[i] = "declared closed"
    notes: List[str] = []
    holiday = np.zeros(n, dtype=bool)
    seen: Dict[str, List[bool]] = {}
    for i in np.flatnonzero(is_hol & ~closed):
        if i < h:
            shut = not observed[i]
            seen.setdefault(holiday_key(names[i]), []).append(shut)
            closed[i], holiday[i] = shut, not shut
            if shut:
                reason[i] = f"closed: {names[i]}"
    every = [x for v in seen.values() for x in v]
    share = float(np.mean(every)) if every else 0.0
    for i in np.flatnonzero(is_hol & ~closed):
        if i >= h:
            past = seen.get(holiday_key(names[i]))
            shut = float(np.mean(past)) >= OPEN_SHARE if past else share >= OPEN_SHARE
            closed[i], holiday[i] = shut, not shut
            if shut:
                reason[i] = f"closed: {names[i]}"
    stray = int(np.sum(observed & closed[:h] & ~cal.closed[:h] & ~is_hol[:h]))
    if stray:
        notes.append(f"{stray} day(s) of the history hold data on a weekday the centre opens on fewer than half of "
                     f"its days: left out, and such weekdays are forecast closed")
    workday = cal.workday & ~closed
    regular = ~closed & ~holiday
    after = np.zeros(n, dtype=np.int64)
    since: Optional[int] = None  # regular working days since the last break (None: no break within MAX_AFTER of them)
    for d in range(n):
        if (closed[d] and weekday[d] in open_wd) or holiday[d]:
            since = 0
        elif regular[d] and since is not None:
            since += 1
            after[d] = since
            since = None if since >= MAX_AFTER else since
    months = np.array([(cal.start + dt.timedelta(days=i)).month for i in range(n)])
    work = np.flatnonzero(regular)
    first = np.zeros(n, dtype=bool)
    last = np.zeros(n, dtype=bool)
    if len(work):
        first[work[np.r_[True, months[work][1:] != months[work][:-1]]]] = True
        last[work[np.r_[months[work][1:] != months[work][:-1], True]]] = True
    _cut_months(cal.start, n, open_wd, first, last)
    return DayPlan(start=cal.start, train_end=h, weekday=weekday, open_weekdays=open_wd, closed=closed,
                   reason=reason, holiday=holiday, workday=workday, after=after, month_first=first,
                   month_last=last, event=list(cal.event), holiday_names=names, notes=notes)


def design(plan: DayPlan, idx: np.ndarray, n_after: int, annual: bool = False) -> Tuple[np.ndarray, List[str]]:
    """The regressors of the days ``idx`` (open days) and their names.

    Columns: a dummy per open weekday but the first; ``holiday``; ``after break k`` for k = 1..``n_after``;
    ``first/last working day of the month``; ``adjusted working day``; one per event name; with ``annual``,
    two harmonics of the day of the year.  An adjusted working day carries the average of the working
    weekdays' dummies.
    """
    wd = plan.weekday[idx]
    ref = plan.open_weekdays[0]
    others = [w for w in plan.open_weekdays if w != ref]
    working = [w for w in plan.open_weekdays if w < 5] or list(plan.open_weekdays)
    cols: List[np.ndarray] = []
    names: List[str] = []
    for w in others:
        col = (wd == w).astype(float)
        col[plan.workday[idx]] = (w in working) / len(working)
        cols.append(col)
        names.append(WEEKDAYS[w])
    cols.append(plan.holiday[idx].astype(float))
    names.append("holiday")
    for k in range(1, n_after + 1):
        cols.append((plan.after[idx] == k).astype(float))
        names.append(f"working day {k} after a break")
    cols += [plan.month_first[idx].astype(float), plan.month_last[idx].astype(float), plan.workday[idx].astype(float)]
    names += ["first working day of the month", "last working day of the month", "adjusted working day"]
    events = sorted({plan.event[i] for i in idx if plan.event[i]})
    for e in events:
        cols.append(np.array([plan.event[i] == e for i in idx], dtype=float))
        names.append(f"event: {e}")
    if annual:
        doy = np.array([(plan.start + dt.timedelta(days=int(i))).timetuple().tm_yday for i in idx], dtype=float)
        for k in (1, 2):
            cols += [np.sin(2 * np.pi * k * doy / 365.25), np.cos(2 * np.pi * k * doy / 365.25)]
            names += [f"annual sin {k}", f"annual cos {k}"]
    return np.column_stack(cols) if cols else np.zeros((len(idx), 0)), names
