"""Unit tests of :class:`sim.core.calendar.WorkCalendar`: ``is_open``, ``next_open`` and ``open_until``.

Three calendars of the scenarios are checked at hand-picked times (exact
opening and closing boundaries, nights, weekends, every ``start_weekday``):
``always`` (7 x 24), ``office`` (Monday-Friday 9:00-18:00) and ``daytime``
(every day 8:00-20:00).  A derandomised hypothesis test then compares
``next_open`` and ``open_until`` with a brute-force scan of a one-minute grid
for arbitrary day sets, hours and start weekdays.

Times are seconds from time 0, which falls on weekday ``start_weekday``
(0 = Monday) at midnight.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core.calendar import DAY_S, WorkCalendar

H = 3600.0
WEEKDAYS = [0, 1, 2, 3, 4]
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def at(day: int, hour: float, start_weekday: int = 0) -> float:
    """Seconds from time 0 of ``hour`` o'clock on weekday ``day`` of the first week (time 0 = ``start_weekday``)."""
    return ((day - start_weekday) % 7) * DAY_S + hour * H


def office(start_weekday: int = 0) -> WorkCalendar:
    return WorkCalendar(WEEKDAYS, 9.0, 18.0, start_weekday)


def daytime(start_weekday: int = 0) -> WorkCalendar:
    return WorkCalendar(range(7), 8.0, 20.0, start_weekday)


# --------------------------------------------------------------------------- always
@pytest.mark.parametrize("t", [0.0, 1.0, 9 * H, 18 * H, 5 * DAY_S + 3 * H, 6 * DAY_S + 23.99 * H, 100 * DAY_S])
def test_always_open_calendar(t):
    """days 0-6, 0:00-24:00 is open at every time: next_open(t) = t, open_until(t) = inf, 168 h a week."""
    cal = WorkCalendar(range(7), 0.0, 24.0, 3)
    assert cal.always, "a 7 x 24 calendar should be recognised as always open"
    assert cal.is_open(t), f"always-open calendar closed at t={t}"
    assert cal.next_open(t) == t, f"always-open: next_open({t}) = {cal.next_open(t)}"
    assert cal.open_until(t) == math.inf, f"always-open: open_until({t}) = {cal.open_until(t)}"
    assert cal.open_hours_per_week() == 168.0


# --------------------------------------------------------------------------- office hours
OFFICE_CASES = [
    # (label, time, is_open, next_open)
    ("Mon 00:00", at(MON, 0), False, at(MON, 9)),
    ("Mon 08:59:59", at(MON, 9) - 1, False, at(MON, 9)),
    ("Mon 09:00 opening", at(MON, 9), True, at(MON, 9)),
    ("Mon 12:34", at(MON, 12.5), True, at(MON, 12.5)),
    ("Mon 17:59:59", at(MON, 18) - 1, True, at(MON, 18) - 1),
    ("Mon 18:00 closing", at(MON, 18), False, at(TUE, 9)),
    ("Wed 23:00", at(WED, 23), False, at(THU, 9)),
    ("Fri 17:59:59", at(FRI, 18) - 1, True, at(FRI, 18) - 1),
    ("Fri 18:00 closing", at(FRI, 18), False, at(MON, 9) + 7 * DAY_S),
    ("Sat 00:00", at(SAT, 0), False, at(MON, 9) + 7 * DAY_S),
    ("Sat 10:00", at(SAT, 10), False, at(MON, 9) + 7 * DAY_S),
    ("Sun 23:59:59", at(SUN, 24) - 1, False, at(MON, 9) + 7 * DAY_S),
    ("next Mon 09:00", at(MON, 9) + 7 * DAY_S, True, at(MON, 9) + 7 * DAY_S),
]


@pytest.mark.parametrize("label,t,is_open,nxt", OFFICE_CASES, ids=[c[0] for c in OFFICE_CASES])
def test_office_calendar_boundaries(label, t, is_open, nxt):
    """Mon-Fri 9-18 (time 0 = Monday 0:00): open from 9:00 inclusive to 18:00 exclusive; nights jump to
    9:00 next morning, Friday 18:00 to the weekend jump to Monday 9:00."""
    cal = office()
    assert cal.is_open(t) is is_open, f"office, {label} (t={t}): is_open={cal.is_open(t)}, expected {is_open}"
    assert cal.next_open(t) == nxt, (f"office, {label} (t={t}): next_open={cal.next_open(t)} "
                                     f"({cal.next_open(t) / H:.4f} h), expected {nxt} ({nxt / H:.4f} h)")
    assert cal.is_open(cal.next_open(t)), f"office, {label}: next_open({t}) is not an open time"
    if is_open:
        day = math.floor(t / DAY_S)
        assert cal.open_until(t) == day * DAY_S + 18 * H, f"office, {label}: open_until={cal.open_until(t)}"
    assert cal.open_hours_per_week() == 45.0


@pytest.mark.parametrize("start_weekday", range(7))
def test_office_calendar_start_weekday_offset(start_weekday):
    """With time 0 on weekday ``start_weekday``: day k is weekday (start_weekday + k) % 7, so t=0 opens at 9:00
    on the first Monday-Friday, and every day of the first two weeks is open at noon exactly on weekdays."""
    cal = office(start_weekday)
    first_workday = next(k for k in range(7) if (start_weekday + k) % 7 in WEEKDAYS)
    assert cal.next_open(0.0) == first_workday * DAY_S + 9 * H, (
        f"start_weekday={start_weekday}: next_open(0)={cal.next_open(0.0) / H} h, "
        f"expected day {first_workday} 9:00")
    for k in range(14):
        weekday = (start_weekday + k) % 7
        noon = k * DAY_S + 12 * H
        assert cal.is_open(noon) is (weekday in WEEKDAYS), (
            f"start_weekday={start_weekday}: day {k} (weekday {weekday}) noon is_open={cal.is_open(noon)}")
        expected = noon if weekday in WEEKDAYS else None
        if expected is None:
            ahead = next(j for j in range(1, 7) if (weekday + j) % 7 in WEEKDAYS)
            expected = (k + ahead) * DAY_S + 9 * H
        assert cal.next_open(noon) == expected, (
            f"start_weekday={start_weekday}: day {k} (weekday {weekday}) next_open(noon)="
            f"{cal.next_open(noon) / H} h, expected {expected / H} h")


@pytest.mark.parametrize("start_weekday,label,t,nxt", [
    (4, "Fri 18:00 (time 0 = Friday)", 18 * H, 3 * DAY_S + 9 * H),
    (5, "Sat 00:00 (time 0 = Saturday)", 0.0, 2 * DAY_S + 9 * H),
    (6, "Sun 12:00 (time 0 = Sunday)", 12 * H, 1 * DAY_S + 9 * H),
    (0, "Sun 20:00 of week 3", 20 * DAY_S + 20 * H, 21 * DAY_S + 9 * H),
])
def test_office_calendar_weekend_jumps(start_weekday, label, t, nxt):
    """The weekend is skipped whatever weekday time 0 falls on, also weeks after time 0."""
    cal = office(start_weekday)
    assert cal.next_open(t) == nxt, f"office, {label}: next_open({t})={cal.next_open(t) / H} h, expected {nxt / H} h"


# --------------------------------------------------------------------------- every day 8-20
@pytest.mark.parametrize("start_weekday", [0, 5])
@pytest.mark.parametrize("label,t,is_open,nxt,until", [
    ("00:00", 0.0, False, 8 * H, None),
    ("07:59:59", 8 * H - 1, False, 8 * H, None),
    ("08:00 opening", 8 * H, True, 8 * H, 20 * H),
    ("19:59:59", 20 * H - 1, True, 20 * H - 1, 20 * H),
    ("20:00 closing", 20 * H, False, DAY_S + 8 * H, None),
    ("23:30", 23.5 * H, False, DAY_S + 8 * H, None),
    ("Sat 10:00 (day 5)", 5 * DAY_S + 10 * H, True, 5 * DAY_S + 10 * H, 5 * DAY_S + 20 * H),
    ("Sun 21:00 (day 6)", 6 * DAY_S + 21 * H, False, 7 * DAY_S + 8 * H, None),
])
def test_every_day_calendar(start_weekday, label, t, is_open, nxt, until):
    """Every day 8-20 (the feedback calendar): same hours on weekends; start_weekday makes no difference."""
    cal = daytime(start_weekday)
    assert not cal.always
    assert cal.is_open(t) is is_open, f"daytime sw={start_weekday}, {label}: is_open={cal.is_open(t)}"
    assert cal.next_open(t) == nxt, (f"daytime sw={start_weekday}, {label}: next_open={cal.next_open(t) / H} h, "
                                     f"expected {nxt / H} h")
    if until is not None:
        assert cal.open_until(t) == until, f"daytime sw={start_weekday}, {label}: open_until={cal.open_until(t)}"
    assert cal.open_hours_per_week() == 84.0


def test_empty_calendar_never_opens():
    """A calendar without working days is never open: next_open is inf."""
    cal = WorkCalendar([], 9.0, 18.0, 0)
    assert not cal.is_open(10 * H)
    assert cal.next_open(10 * H) == math.inf


# --------------------------------------------------------------------------- brute force
Q = 900.0  # a quarter of an hour: opening hours and probe times on this grid are exact in binary


def _scan_next_open(cal: WorkCalendar, t: float) -> float:
    """First open quarter-hour at or after ``t`` (``t`` on the grid), scanning up to three weeks."""
    for k in range(21 * 96 + 1):
        x = t + Q * k
        if cal.is_open(x):
            return x
    return math.inf


def _scan_open_until(cal: WorkCalendar, t: float) -> float:
    """First closed quarter-hour after ``t`` (``t`` open, on the grid)."""
    x = t
    while cal.is_open(x):
        x += Q
    return x


@settings(derandomize=True, database=None, max_examples=150, deadline=None)
@given(days=st.sets(st.integers(0, 6), min_size=1, max_size=7),
       start_q=st.integers(0, 95), length_q=st.integers(1, 96),
       start_weekday=st.integers(0, 6), probe_q=st.integers(0, 21 * 96))
def test_next_open_matches_brute_force(days, start_q, length_q, start_weekday, probe_q):
    """For any day set, opening hours (on the quarter hour) and start weekday: next_open(t) is the first open
    quarter hour at or after t, and for hours ending before midnight open_until(t) is the first closed one."""
    end_q = min(start_q + length_q, 96)
    cal = WorkCalendar(sorted(days), start_q / 4.0, end_q / 4.0, start_weekday)
    t = probe_q * Q
    label = f"days={sorted(days)}, {start_q / 4}-{end_q / 4} h, start_weekday={start_weekday}, t={t}"
    assert cal.next_open(t) == _scan_next_open(cal, t), f"{label}: next_open={cal.next_open(t)}"
    if cal.is_open(t) and end_q < 96:
        assert cal.open_until(t) == _scan_open_until(cal, t), f"{label}: open_until={cal.open_until(t)}"


def test_open_until_spans_midnight_for_24h_working_days():
    """Mon-Fri 0:00-24:00: at Monday 10:00 the open period containing t lasts until Saturday 0:00
    (the docstring: 'end of the open period containing t'); is_open is true all the way through."""
    cal = WorkCalendar(WEEKDAYS, 0.0, 24.0, 0)
    t = at(MON, 10)
    assert all(cal.is_open(x) for x in (DAY_S, 2 * DAY_S, 5 * DAY_S - 1)), "calendar closed on a weekday"
    assert cal.open_until(t) == 5 * DAY_S, (f"Mon-Fri 0-24, t=Mon 10:00: open_until={cal.open_until(t) / H} h, "
                                            f"expected Saturday 0:00 (120 h)")
