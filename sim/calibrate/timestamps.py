"""Timestamps of a log: one rule for every time the calibration reads (log columns, ``--as-of``).

Each time is read into two numbers:

* its **absolute time** (seconds since 1970-01-01 00:00 UTC): durations (waits,
  handle times, times to close), the order of events across rows, the end of the
  log and ``--as-of`` are computed on it;
* its **local time** (the wall clock, as seconds since 1970-01-01 00:00 on that
  clock): hours of the day and weekdays (arrival profiles, the back-test's
  half-hours, the agents seen) are read on it.

The rule (:class:`TimeRule`):

1. A time with a UTC offset (ISO ``+02:00``, ``-0500`` or ``Z``; a ``strptime``
   pattern with ``%z``) is converted, never cut: its absolute time is exact, so a
   column whose offsets change (a daylight-saving change, a log in UTC mixed with
   local times) reads right.  Its local time is its own wall clock, or with a time
   zone the zone's wall clock at that instant.
2. A time without an offset, given a time zone (``--timezone NAME``: an IANA name,
   read by the standard library's :mod:`zoneinfo`), is a local time of that zone.
   A local time the clocks skipped (spring forward) does not exist: its row is
   skipped with the reason, and counted.  A local time the clocks repeated (fall
   back) is ambiguous: the row's times take the folds (first or second occurrence)
   that keep its events in order (arrival before it leaves the queue before its
   service ends; created before closed) with the shortest span - so a departure
   that would come before its arrival takes the later fold - and among equally
   short choices the one that places the row at or after the previous row (a log
   in time order), else the first occurrence.  Such rows are counted.
3. A time without an offset and without a time zone is read as it is, on a clock
   without daylight saving (the simulator's own logs are written so); a
   daylight-saving change in such a log would show as an hour's error in the
   durations across it, and the page and ``calibration.json`` say how the times
   were read.
4. Without a time zone, a log whose times mix with and without offsets cannot be
   placed: a time of the other kind than the log's first is an unreadable row,
   with the reason (give ``--timezone``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np

from sim.calibrate.formats import LogFormat
from sim.core.errors import ConfigError

EPOCH = dt.datetime(1970, 1, 1)
_UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


class TimeError(ValueError):
    """A time that cannot be placed (the reason is the message)."""


class SkippedHour(TimeError):
    """A local time the clocks skipped: it does not exist."""


def parse_zone(name: Optional[str], option: str = "--timezone") -> Optional[dt.tzinfo]:
    """The time zone named ``name`` (an IANA name such as ``Europe/Berlin``), or None for None.

    Raises
    ------
    ConfigError
        Naming ``option``: a name the time-zone database does not hold.
    """
    if name is None:
        return None
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found, not a normalised key, a folder or a non-zone file
        raise ConfigError(option, name, "not a time zone of the IANA database; use a name such as Europe/Berlin, "
                                        "America/New_York or UTC") from None


def time_rule(name: Optional[str]) -> "TimeRule":
    """The rule of a command's ``--timezone NAME`` (None: times without an offset are read as they are).

    Raises
    ------
    ConfigError
        Naming ``--timezone``: not a time zone.
    """
    return TimeRule(parse_zone(name), name)


def parse_stamp(text: str, pattern: Optional[str] = None) -> dt.datetime:
    """The timestamp ``text``: ISO 8601 (``pattern`` None; a trailing ``Z`` or ``+HHMM`` is an offset) or a
    :func:`datetime.datetime.strptime` pattern.  Naive or aware, as written.

    Raises
    ------
    ValueError
        ``text`` is not such a timestamp.
    """
    if pattern is not None:
        return dt.datetime.strptime(text, pattern)
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 10:
        text = _COMPACT_OFFSET.sub(r"\1:\2", text) if "T" in text or " " in text else text
    return dt.datetime.fromisoformat(text)


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def _label(t: dt.datetime, col: Optional[str]) -> str:
    return f"column {col}: {t.isoformat()} " if col is not None else ""


def offset_text(seconds: float) -> str:
    """A UTC offset as ISO text, e.g. ``-05:00`` (``+00:00`` for UTC)."""
    s = int(round(seconds))
    sign = "-" if s < 0 else "+"
    h, m = divmod(abs(s) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}"


def wall_iso(wall_s: float, offset_s: Optional[float]) -> str:
    """Local time ``wall_s`` as ISO text, with its offset unless ``offset_s`` is None."""
    text = (EPOCH + dt.timedelta(seconds=wall_s)).isoformat(timespec="seconds")
    return text if offset_s is None else text + offset_text(offset_s)


@dataclass
class TimeRule:
    """Places the times of a log's rows (module docstring), and counts what it did.

    ``zone`` is the time zone of times without an offset (None: read as they are); ``name`` its name.
    """

    zone: Optional[dt.tzinfo] = None
    name: Optional[str] = None
    naive: int = 0                    # times read without an offset
    with_offset: int = 0              # times read with one
    ambiguous: int = 0                # rows with a local time of a repeated hour, placed by the rule
    nonexistent: int = 0              # rows skipped for a local time the clocks skipped
    offsets: Set[int] = field(default_factory=set)  # UTC offsets (s) of the rows' first times (arrival, created)
    _first_kind: Optional[str] = None
    _prev: float = -math.inf

    def _candidates(self, t: dt.datetime, col: Optional[str]) -> Tuple[float, ...]:
        """The absolute times ``t`` may stand for (two for a local time the clocks repeated); ``col`` (the
        column, None for an option) starts the reason of a :class:`TimeError`."""
        if t.tzinfo is not None:
            self._kind("offset", t, col)
            return ((t - _UTC_EPOCH).total_seconds(),)
        self._kind("naive", t, col)
        if self.zone is None:
            return ((t - EPOCH).total_seconds(),)
        s0 = (t.replace(tzinfo=self.zone) - _UTC_EPOCH).total_seconds()
        s1 = (t.replace(tzinfo=self.zone, fold=1) - _UTC_EPOCH).total_seconds()
        if s0 == s1:
            return (s0,)
        if s0 > s1:  # PEP 495: in a gap, fold 0 reads the time with the offset before the change
            raise SkippedHour(f"{_label(t, col)}does not exist in {self.name} (the clocks skipped that hour)")
        return (s0, s1)

    def _kind(self, kind: str, t: dt.datetime, col: Optional[str]) -> None:
        if kind == "naive":
            self.naive += 1
        else:
            self.with_offset += 1
        if self.zone is not None:
            return
        if self._first_kind is None:
            self._first_kind = kind
        elif kind != self._first_kind:
            has = "has no UTC offset while the log's times have one" if kind == "naive" else \
                "has a UTC offset while the log's times have none"
            raise TimeError(f"{_label(t, col)}{has} (give --timezone NAME to read times without an offset as local "
                            f"times of a zone)")

    def _wall(self, t: dt.datetime) -> float:
        """The local wall clock of ``t``, seconds since 1970 on that clock."""
        if t.tzinfo is None:
            return (t - EPOCH).total_seconds()
        if self.zone is not None:
            t = t.astimezone(self.zone)
        return (t.replace(tzinfo=None) - EPOCH).total_seconds()

    def place(self, stamps: Sequence[Tuple[str, Optional[dt.datetime]]],
              order: Sequence[Tuple[int, int]]) -> Tuple[List[float], float]:
        """Absolute times of a row's ``(column, time)`` pairs (NaN for None) and the local time of the first.

        ``order`` lists pairs ``(i, j)``: time ``i`` comes no later than time ``j`` (the row's events).  The
        first time must be present.

        Raises
        ------
        TimeError
            A time that does not exist in the zone, or a naive time in a log with offsets (no zone).
        """
        try:
            cands = [(math.nan,) if t is None else self._candidates(t, col)
                     for col, t in stamps]
        except SkippedHour:
            self.nonexistent += 1
            raise
        amb = [i for i, c in enumerate(cands) if len(c) == 2]
        values = [c[0] for c in cands]
        if amb:
            self.ambiguous += 1
            best: Optional[Tuple[Any, ...]] = None
            for folds in itertools.product((0, 1), repeat=len(amb)):
                v = list(values)
                for i, f in zip(amb, folds):
                    v[i] = cands[i][f]
                ok = all(not (v[j] < v[i]) for i, j in order)  # NaN compares false: no constraint
                seen = [x for x in v if not math.isnan(x)]
                key = (not ok, max(seen) - min(seen) if ok else 0.0, v[0] < self._prev, v[0], folds)
                if best is None or key < best[0]:
                    best = (key, v)
            assert best is not None
            values = best[1]
        first = stamps[0][1]
        assert first is not None
        wall = self._wall(first)
        self.offsets.add(int(round(wall - values[0])))
        self._prev = values[0]
        return values, wall

    def absolute(self, t: dt.datetime) -> float:
        """Absolute time of a single time ``t`` (e.g. ``--as-of``), by the same rule.

        Raises
        ------
        TimeError
            A local time the clocks skipped or repeated (a single time has no row to order it), or a time
            of the other kind than the log's (without a zone).
        """
        naive, offset = self.naive, self.with_offset
        try:
            c = self._candidates(t, None)
        finally:
            self.naive, self.with_offset = naive, offset  # counts are the log's times
        if len(c) == 2:
            raise TimeError(f"is ambiguous in {self.name} (the clocks repeated that hour): add its UTC offset")
        return c[0]

    def iso(self, absolute_s: float, offset_s: float) -> str:
        """Absolute time ``absolute_s`` as ISO text: on the zone's clock, else at ``offset_s`` (shown for a log
        whose times carry offsets)."""
        if self.zone is not None:
            return dt.datetime.fromtimestamp(absolute_s, self.zone).isoformat(timespec="seconds")
        return wall_iso(absolute_s + offset_s, offset_s if self.with_offset else None)

    def zone_offset(self, wall_s: float) -> float:
        """UTC offset (s) of the zone at local time ``wall_s`` (first occurrence); 0 without a zone."""
        if self.zone is None:
            return 0.0
        t = (EPOCH + dt.timedelta(seconds=wall_s)).replace(tzinfo=self.zone)
        off = t.utcoffset()
        return off.total_seconds() if off is not None else 0.0

    def statement(self) -> str:
        """How the log's times were read, in one sentence (after "times:") for the page and the terminal."""
        offs = ", ".join(offset_text(o) for o in sorted(self.offsets)) or "none"
        if self.zone is not None:
            text = (f"local times of {self.name} (UTC offsets of the arrivals: {offs}), a time with an offset "
                    f"converted to that zone; durations on absolute time, hours and weekdays on the local clock")
            if self.ambiguous:
                text += (f"; {_rows(self.ambiguous)} with a local time the clocks repeated, placed by the order of "
                         f"their events")
            if self.nonexistent:
                text += f"; {_rows(self.nonexistent)} skipped for a local time the clocks skipped"
            return text
        if self.with_offset:
            return (f"UTC offsets ({offs}) converted: durations on absolute time, hours and weekdays on each "
                    f"time's own offset (give --timezone to read them on one zone's clock)")
        return ("no UTC offset and no --timezone: read as they are, on a clock without daylight saving (across a "
                "daylight-saving change a duration would be an hour off; give --timezone NAME to read them as "
                "local times of a zone)")

    def as_dict(self) -> Dict[str, Any]:
        """JSON-ready summary."""
        return {"time_zone": self.name, "rule": self.statement(),
                "utc_offsets": [offset_text(o) for o in sorted(self.offsets)],
                "times_without_offset": self.naive, "times_with_offset": self.with_offset,
                "repeated_hour_rows": self.ambiguous, "skipped_hour_rows": self.nonexistent}


def local_hour_lengths(zone: Optional[dt.tzinfo], day0: dt.date, n_days: int) -> np.ndarray:
    """Hours of absolute time in each local hour of ``n_days`` days from ``day0``: shape ``(n_days, 24)``;
    1 everywhere without a zone, 0 for an hour the clocks skipped, 2 for one they repeated."""
    out = np.ones((n_days, 24))
    if zone is None:
        return out
    start = dt.datetime.combine(day0, dt.time())

    def absolute(hours: int) -> float:
        return ((start + dt.timedelta(hours=hours)).replace(tzinfo=zone) - _UTC_EPOCH).total_seconds()

    midnights = np.array([absolute(24 * d) for d in range(n_days + 1)])
    for d in np.nonzero(np.diff(midnights) != 86400.0)[0]:  # only the days of a change: hour by hour
        out[d] = np.diff([absolute(24 * int(d) + h) for h in range(25)]) / 3600.0
    return out


# --- reading a column of a log ---------------------------------------------------------------------------------

#: ``parse(row, column, day)``: the column's time as written (naive or with its offset), None if empty.
Parse = Callable[[Dict[str, str], str, Optional[dt.datetime]], Optional[dt.datetime]]


def _clock_s(text: str) -> float:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(text)
    h, m = int(parts[0]), int(parts[1])
    s = float(parts[2]) if len(parts) == 3 else 0.0
    if not (0 <= h < 24 and 0 <= m < 60 and 0 <= s < 61):
        raise ValueError(text)
    return h * 3600.0 + m * 60.0 + s


def column_parser(fmt: LogFormat) -> Parse:
    """The parser of the time columns of mapping ``fmt`` (``times.format``: ``iso``, a ``strptime`` pattern
    or ``clock``, a time of day on the row's date ``day``); an unreadable value raises :class:`TimeError`."""
    empty = set(fmt.empty) | {""}

    if fmt.time_format == "clock":
        clock: Dict[str, dt.timedelta] = {}  # a day has at most 86,400 times of day: read each once

        def parse(row: Dict[str, str], col: str, day: Optional[dt.datetime]) -> Optional[dt.datetime]:
            v = row[col].strip()
            if v in empty:
                return None
            since = clock.get(v)
            if since is None:
                try:
                    since = clock[v] = dt.timedelta(seconds=_clock_s(v))
                except ValueError:
                    raise TimeError(f"column {col}: {v!r} is not a time of day (H:MM:SS)") from None
            assert day is not None
            return day + since
        return parse
    pattern = None if fmt.time_format == "iso" else fmt.time_format

    def parse_dt(row: Dict[str, str], col: str, day: Optional[dt.datetime]) -> Optional[dt.datetime]:
        v = row[col].strip()
        if v in empty:
            return None
        try:
            return parse_stamp(v, pattern)
        except ValueError:
            raise TimeError(f"column {col}: {v!r} is not a timestamp ({fmt.time_format})") from None
    return parse_dt


def date_parser(fmt: LogFormat) -> Callable[[Dict[str, str]], Optional[dt.datetime]]:
    """The parser of the date column of a ``clock`` mapping: midnight of the row's date (naive)."""
    cache: Dict[str, dt.datetime] = {}
    col, pattern = fmt.date_column, fmt.date_format
    assert col is not None and pattern is not None

    def day(row: Dict[str, str]) -> Optional[dt.datetime]:
        v = row[col].strip()
        s = cache.get(v)
        if s is None:
            try:
                s = cache[v] = dt.datetime.strptime(v, pattern)
            except ValueError:
                raise TimeError(f"column {col}: {v!r} is not a date ({pattern})") from None
        return s
    return day
