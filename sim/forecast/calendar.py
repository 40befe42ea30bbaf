"""The calendar of a forecast: public holidays by country and the centre's own special days.

Public holidays come from the ``holidays`` package (``--country``: an ISO 3166
code such as ``CN``, ``US``, ``GB``, optionally with a subdivision, ``US-NY``),
with the adjusted working days where the package has them (``weekend_workdays``:
for China the weekend days worked to bridge a long holiday).

The centre's own days are a small CSV file (``--special-days``), one row per day
or range of days::

    date,end,type,name,factor
    2024-10-01,2024-10-07,closed,National Day closure,
    2024-11-15,,event,heating season start,1.25
    2024-09-29,,workday,make-up working day,
    2024-12-26,,open,the centre works on this holiday,

* ``date`` (ISO), ``end`` (optional, the last day of a range, inclusive);
* ``type``: ``closed`` (the centre is closed: no demand, whatever the history
  shows), ``open`` (a normal day although a public holiday), ``holiday`` (a
  holiday the country's calendar lacks, e.g. a local one), ``workday`` (a weekend
  day worked as a weekday), ``event`` (a known event: days of the same name share
  one effect, estimated where the history holds one);
* ``name`` (optional), ``factor`` (events only, optional): the demand expected
  relative to a normal day when the history holds no day of that event (e.g.
  ``1.25`` for a quarter more); without it such an event is forecast as a normal
  day, and the forecast says so.

Blank lines and lines starting with ``#`` are skipped.  A row that breaks a rule
stops the command with one line naming the file and the line; so does a day that
two rows give (a range included), whose second row would overrule the first.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import numpy as np

from sim.core.errors import ConfigError

TYPES = ("closed", "open", "holiday", "workday", "event")
MAX_RANGE_DAYS = 366


@dataclass
class SpecialDay:
    """One day of the special-days file."""

    day: dt.date
    type: str
    name: str
    factor: Optional[float] = None


@dataclass
class Calendar:
    """What the calendar says about each day of a span (day 0 = ``start``).

    Attributes
    ----------
    holiday : list of str
        The holiday's name, or "" (public holidays and the file's ``holiday`` days, less its ``open`` days).
    workday : ndarray of bool
        Adjusted working days (a weekend day worked as a weekday).
    closed, opened : ndarray of bool
        Declared closed; declared open as a normal day.
    event : list of str
        The event's name, or "".
    factors : dict
        Event name -> the factor the file gives.
    """

    start: dt.date
    holiday: List[str]
    workday: np.ndarray
    closed: np.ndarray
    opened: np.ndarray
    event: List[str]
    factors: Dict[str, float] = field(default_factory=dict)
    country: Optional[str] = None
    special_file: Optional[str] = None

    @property
    def n_days(self) -> int:
        """Days of the span."""
        return len(self.holiday)


def _country(code: str, years: List[int]) -> Tuple[Dict[dt.date, str], Set[dt.date]]:
    """Public holidays and adjusted working days of ``code`` in ``years``."""
    import holidays

    country, _, subdiv = code.strip().partition("-")
    try:
        cal = holidays.country_holidays(country.upper(), subdiv=subdiv.upper() or None, years=years)
    except (NotImplementedError, KeyError, ValueError) as exc:
        raise ConfigError("--country", code, f"unknown to the holidays package ({str(exc).strip()}); use an ISO "
                                             f"3166 code, e.g. CN, US, GB, or with a subdivision, US-NY") from None
    days = {d: str(n) for d, n in cal.items()}
    workdays = {d for d in getattr(cal, "weekend_workdays", set()) if d.year in years}
    return days, workdays


def check_country(code: str) -> None:
    """Check that the ``holidays`` package knows ``code``.

    Raises
    ------
    ConfigError
        Naming ``--country``.
    """
    _country(code, [dt.date.today().year])


def holiday_key(name: str) -> str:
    """A holiday's name without the parts that change from year to year ("(observed)", "(substituted ...)")."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip() or name


def _fail(spec: str, line: int, rule: str) -> ConfigError:
    return ConfigError("--special-days", spec, rule, shown=f"--special-days={spec}, line {line}")


def read_special_days(path: Path, spec: str) -> List[SpecialDay]:
    """Read the special-days file (see the module docstring).

    Raises
    ------
    ConfigError
        The file cannot be read, lacks the ``date`` or ``type`` column, or a row breaks a rule (named by line).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConfigError("--special-days", spec, f"cannot read the file: {why}") from None
    lines = [(i, ln) for i, ln in enumerate(text.splitlines(), 1) if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise ConfigError("--special-days", spec, "the file is empty (a header date,end,type,name,factor and rows)")
    rows = list(csv.reader([ln for _, ln in lines]))
    header = [h.strip().lower() for h in rows[0]]
    if "date" not in header or "type" not in header:
        raise ConfigError("--special-days", spec, "the header needs the columns date and type "
                                                  "(and optionally end, name, factor)")
    out: List[SpecialDay] = []
    given: Dict[dt.date, int] = {}  # a day -> the line that gives it
    for (line, _), values in zip(lines[1:], rows[1:]):
        row = dict(zip(header, (v.strip() for v in values)))
        if len(values) > len(header):
            raise _fail(spec, line, f"has {len(values)} fields, the header has {len(header)}")
        try:
            first = dt.date.fromisoformat(row.get("date", ""))
            last = dt.date.fromisoformat(row["end"]) if row.get("end") else first
        except ValueError:
            raise _fail(spec, line, f"date {row.get('date')!r} / end {row.get('end', '')!r}: use ISO dates, "
                                    f"e.g. 2024-10-01") from None
        kind = row.get("type", "").lower()
        if kind not in TYPES:
            raise _fail(spec, line, f"type {row.get('type', '')!r}: use one of {', '.join(TYPES)}")
        if not 0 <= (last - first).days < MAX_RANGE_DAYS:
            raise _fail(spec, line, f"end {last} must be on or after date {first}, within {MAX_RANGE_DAYS} days")
        factor = None
        if row.get("factor"):
            try:
                factor = float(row["factor"])
            except ValueError:
                factor = math.nan
            if kind != "event" or not (math.isfinite(factor) and 0 < factor <= 100):
                raise _fail(spec, line, f"factor {row['factor']!r}: only an event has a factor, a number in (0, 100]")
        name = row.get("name") or kind
        for k in range((last - first).days + 1):
            day = first + dt.timedelta(days=k)
            if day in given:  # a second row would silently overrule the first (closed and open, two events)
                raise _fail(spec, line, f"{day} is given on line {given[day]} already: give each day once")
            given[day] = line
            out.append(SpecialDay(day, kind, name, factor))
    return out


def build_calendar(start: dt.date, n_days: int, country: Optional[str], special: List[SpecialDay],
                   special_spec: Optional[str] = None) -> Calendar:
    """The calendar of the ``n_days`` days from ``start``: the country's holidays, then the file's days.

    Raises
    ------
    ConfigError
        An unknown ``country``.
    """
    dates = [start + dt.timedelta(days=i) for i in range(n_days)]
    years = sorted({d.year for d in dates})
    public, workdays = _country(country, years) if country else ({}, set())
    cal = Calendar(start=start, holiday=[public.get(d, "") for d in dates],
                   workday=np.array([d in workdays for d in dates], dtype=bool),
                   closed=np.zeros(n_days, dtype=bool), opened=np.zeros(n_days, dtype=bool),
                   event=[""] * n_days, country=country, special_file=special_spec)
    for s in special:
        i = (s.day - start).days
        if not 0 <= i < n_days:
            continue
        if s.type == "closed":
            cal.closed[i] = True
        elif s.type == "open":
            cal.opened[i], cal.holiday[i] = True, ""
        elif s.type == "holiday":
            cal.holiday[i] = s.name
        elif s.type == "workday":
            cal.workday[i] = True
        else:
            cal.event[i] = s.name
            if s.factor is not None:
                cal.factors[s.name] = s.factor
    return cal
