"""A demand history: arrivals per half-hour of each day, per channel, with the days that hold data.

Every source - a file of interval counts (:func:`read_counts`), a call log or a
service-request log (:mod:`sim.forecast.logs`) - becomes one :class:`History`:
for each channel a ``(days, 48)`` array of arrivals per half-hour of the local
clock (00:00 first), day 0 being the first date of the source, and per channel
and category the daily counts.  A day without a single record is *no data*: its
row is NaN, never zero demand.  A day whose records add up to nothing for the
whole centre is no data too (an export that lists a closed day with zeros), so
that a closure never reads as a quiet day.

Interval counts are read from a CSV file with a start time (the centre's local
clock, ISO 8601; an offset is not applied: the clock time as written is the
interval's local time) and a count, and optionally a channel (a channel of the
simulator in any case, ``PHONE``, is that channel) and a category column.
Intervals must divide the half-hour (5, 10, 15 or 30 minutes); each is added to
the half-hour it starts in.  A row that cannot be read is skipped,
counted and reported with its line number, and so is a row that repeats an
earlier row's interval, channel and category (an export listed twice must not
double the demand; a start with an offset is an instant, so the hour a clock
change repeats is two intervals); a file with no usable row or more than half
its rows bad is refused (:class:`~sim.core.errors.ConfigError`).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from sim.config.schema import CHANNELS
from sim.core.errors import ConfigError

SLOTS = 48            # half-hours of a day
SLOT_MIN = 30
#: Column names tried, in order, when the option naming the column is not given.
TIME_NAMES = ("start", "interval_start", "time", "timestamp", "datetime", "period")
COUNT_NAMES = ("count", "calls", "arrivals", "contacts", "volume", "offered", "n")
#: Line numbers of skipped rows kept for the report (all are counted).
KEEP_LINES = 20
MAX_BAD_SHARE = 0.5


@dataclass
class History:
    """Arrivals per half-hour and channel (see the module docstring).

    Attributes
    ----------
    start : datetime.date
        The date of day 0.
    counts : dict of str to ndarray, shape (days, 48)
        Arrivals per half-hour of each day; NaN rows on days without data.
    observed : ndarray of bool, shape (days,)
        The day holds data (for the centre as a whole).
    categories : dict of str to dict of str to ndarray, shape (days,)
        Per channel, the daily arrivals of each category (empty when the source has none).
    source : dict
        What was read: path, format, rows, skipped rows with reasons, ...
    """

    start: dt.date
    counts: Dict[str, np.ndarray]
    observed: np.ndarray
    categories: Dict[str, Dict[str, np.ndarray]] = field(default_factory=dict)
    source: Dict[str, Any] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)

    @property
    def n_days(self) -> int:
        """Days from the first date to the last date of the source."""
        return int(len(self.observed))

    def date(self, day: int) -> dt.date:
        """The date of day index ``day``."""
        return self.start + dt.timedelta(days=int(day))

    @property
    def end(self) -> dt.date:
        """The last date of the history."""
        return self.date(self.n_days - 1)

    @property
    def channels(self) -> List[str]:
        """The channels, in the order of the source."""
        return list(self.counts)

    def missing_days(self) -> List[dt.date]:
        """Dates inside the history without data."""
        return [self.date(int(i)) for i in np.flatnonzero(~self.observed)]


def build_history(start: dt.date, day: np.ndarray, slot: np.ndarray, channel: np.ndarray, channels: Sequence[str],
                  weight: np.ndarray, category: Optional[np.ndarray] = None,
                  categories: Sequence[str] = ()) -> History:
    """Add up records into a :class:`History`.

    Parameters
    ----------
    start : datetime.date
        Date of day index 0.
    day, slot, channel : ndarray of int, shape (n,)
        Day index (>= 0), half-hour of the day (0..47) and channel code of each record.
    channels : sequence of str
        Channel names by code.
    weight : ndarray of float, shape (n,)
        Arrivals each record stands for (1 for a log's row, the count of an interval).
    category : ndarray of int, shape (n,), optional
        Category code of each record (-1: none), with ``categories`` the names by code.
    """
    n_days = int(day.max()) + 1 if len(day) else 0
    total = np.zeros((len(channels), n_days, SLOTS))
    np.add.at(total, (channel, day, slot), weight)
    has_rows = np.zeros(n_days, dtype=bool)
    has_rows[day] = True
    day_total = total.sum(axis=(0, 2))
    observed = has_rows & (day_total > 0)
    counts: Dict[str, np.ndarray] = {}
    for c, name in enumerate(channels):
        m = total[c].copy()
        m[~observed] = np.nan
        counts[name] = m
    cats: Dict[str, Dict[str, np.ndarray]] = {}
    if category is not None and len(categories) > 0:
        ok = category >= 0
        by = np.zeros((len(channels), len(categories), n_days))
        np.add.at(by, (channel[ok], category[ok], day[ok]), weight[ok])
        for c, name in enumerate(channels):
            cats[name] = {k: np.where(observed, by[c, j], np.nan) for j, k in enumerate(categories)
                          if by[c, j].sum() > 0}
    notes = []
    zero_days = int(np.sum(has_rows & ~observed))
    if zero_days:
        notes.append(f"{zero_days} day(s) list records that add up to no arrivals at all: read as no data "
                     f"(a closed day), not as zero demand")
    return History(start=start, counts=counts, observed=observed, categories=cats, notes=notes)


def _pick(header: List[str], given: Optional[str], names: Sequence[str], option: str, spec: str) -> Optional[str]:
    if given is not None:
        if given not in header:
            raise ConfigError(option, given, f"{spec} has no such column (it has {', '.join(header)})")
        return given
    return next((n for n in names if n in header), None)


def _columns(header: List[str], opts: Dict[str, Optional[str]], spec: str) -> Tuple[str, str, Optional[str],
                                                                                     Optional[str]]:
    time_col = _pick(header, opts.get("time_column"), TIME_NAMES, "--time-column", spec)
    channel_col = _pick(header, opts.get("channel_column"), ("channel",), "--channel-column", spec)
    category_col = _pick(header, opts.get("category_column"), ("category",), "--category-column", spec)
    count_col = _pick(header, opts.get("count_column"), COUNT_NAMES, "--count-column", spec)
    if time_col is None:
        raise ConfigError("HISTORY", spec, f"no start-time column ({', '.join(TIME_NAMES)}); name it with "
                                           f"--time-column")
    if count_col is None:
        rest = [h for h in header if h not in (time_col, channel_col, category_col)]
        if len(rest) != 1:
            raise ConfigError("HISTORY", spec, f"no count column ({', '.join(COUNT_NAMES)}); name it with "
                                               f"--count-column")
        count_col = rest[0]
    return time_col, count_col, channel_col, category_col


def _interval_min(seconds_of_day: np.ndarray) -> float:
    """The length of the intervals, minutes: the greatest common step between distinct start times of day."""
    distinct = np.unique(np.round(seconds_of_day).astype(np.int64))
    if len(distinct) < 2:
        return 1440.0
    step = int(np.gcd.reduce(np.diff(distinct)))
    return step / 60.0


def read_counts(path: Path, spec: str, channel: Optional[str] = None, **columns: Optional[str]) -> History:
    """Read a CSV file of interval counts (see the module docstring).

    Parameters
    ----------
    path, spec : Path, str
        The file, and its path as the user typed it (named in errors).
    channel : str, optional
        The channel of every row when the file has no channel column (default ``phone``); an error when it
        has one.
    **columns : str or None
        ``time_column``, ``count_column``, ``channel_column``, ``category_column``: the columns, when not
        found by their usual names.

    Raises
    ------
    ConfigError
        The file cannot be read or used: missing, not UTF-8 CSV, no time or count column, no usable row, more
        than half the rows bad, or intervals that do not divide the half-hour; ``channel`` given for a file
        with a channel column.
    """
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError("HISTORY", spec, f"cannot read the file: {exc.strerror or exc}") from None
    days: List[int] = []
    secs: List[float] = []
    chans: List[str] = []
    cats: List[str] = []
    weights: List[float] = []
    skipped: List[Tuple[int, str]] = []
    n_skipped = rows = 0
    first: Optional[dt.date] = None
    seen: Dict[Tuple[dt.datetime, str, str], int] = {}  # (start, channel, category) -> its first line
    known = {c.lower(): c for c in CHANNELS}  # 'PHONE' or 'Phone' in an export is the simulator's phone
    offsets: Dict[dt.timedelta, int] = {}  # rows by the UTC offset their start gives
    with fh:
        try:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            if not header:
                raise ConfigError("HISTORY", spec, "the file is empty")
            time_col, count_col, channel_col, category_col = _columns(header, columns, spec)
            if channel is not None and channel_col is not None:
                raise ConfigError("--channel", channel, f"{spec} has a channel column ({channel_col}): --channel "
                                                        f"names the channel of a file without one")
            channel = channel or "phone"
            at = {h: i for i, h in enumerate(header)}
            for values in reader:
                if not values:
                    continue
                rows += 1
                try:
                    if len(values) != len(header):
                        raise ValueError(f"has {len(values)} fields, the header has {len(header)}")
                    text = values[at[time_col]].strip()
                    try:
                        stamp = dt.datetime.fromisoformat(text)
                    except ValueError:
                        raise ValueError(f"column {time_col}: {text!r} is not an ISO date and time") from None
                    t = stamp.replace(tzinfo=None)
                    raw = values[at[count_col]].strip()
                    try:
                        w = float(raw)
                    except ValueError:
                        raise ValueError(f"column {count_col}: {raw!r} is not a number") from None
                    if not (math.isfinite(w) and w >= 0):
                        raise ValueError(f"column {count_col}: {raw!r} is not a count (finite, >= 0)")
                    ch = values[at[channel_col]].strip() if channel_col else str(channel)
                    ch = known.get(ch.lower(), ch)
                    cat = values[at[category_col]].strip() if category_col else ""
                    key = (stamp, ch, cat)  # an offset makes the instant: a clock change's repeated hour is kept
                    if key in seen:
                        raise ValueError(f"repeats the interval {text}{', ' + ch if channel_col else ''}"
                                         f"{', ' + cat if category_col else ''} of line {seen[key]} "
                                         f"(counted once)")
                    seen[key] = reader.line_num
                except ValueError as exc:
                    n_skipped += 1
                    if len(skipped) < KEEP_LINES:
                        skipped.append((reader.line_num, str(exc)))
                    continue
                off = stamp.utcoffset()
                if off is not None:
                    offsets[off] = offsets.get(off, 0) + 1
                d = t.date()
                first = d if first is None or d < first else first
                days.append(d.toordinal())
                secs.append(t.hour * 3600.0 + t.minute * 60.0 + t.second)
                chans.append(ch)
                cats.append(cat)
                weights.append(w)
        except UnicodeDecodeError:
            raise ConfigError("HISTORY", spec, "is not UTF-8 text (a CSV file is expected)") from None
        except csv.Error as exc:
            raise ConfigError("HISTORY", spec, f"is not a readable CSV file: {exc}") from None
    if rows == 0:
        raise ConfigError("HISTORY", spec, "holds a header but no rows")
    if first is None or n_skipped > MAX_BAD_SHARE * rows:
        line, why = skipped[0]
        raise ConfigError("HISTORY", spec, f"{n_skipped} of {rows} rows cannot be read (first: line {line}: {why})")
    sec = np.asarray(secs)
    step = _interval_min(sec)
    if step > SLOT_MIN or SLOT_MIN % step:
        raise ConfigError("HISTORY", spec, f"holds intervals of {step:g} min; a half-hour forecast needs intervals "
                                           f"that divide the half-hour (5, 10, 15 or 30 min)")
    chan_names = list(dict.fromkeys(chans))
    cat_names = [c for c in dict.fromkeys(cats) if c]
    day = np.asarray(days, dtype=np.int64) - first.toordinal()
    cat_code = {c: i for i, c in enumerate(cat_names)}
    chan_code = {c: i for i, c in enumerate(chan_names)}
    hist = build_history(first, day, (sec // (SLOT_MIN * 60)).astype(np.int64),
                         np.asarray([chan_code[c] for c in chans], dtype=np.int64), chan_names,
                         np.asarray(weights), np.asarray([cat_code.get(c, -1) for c in cats], dtype=np.int64),
                         cat_names)
    hist.source = {"path": spec, "format": "counts", "rows": rows, "skipped": n_skipped,
                   "skipped_first_lines": [{"line": n, "reason": r} for n, r in skipped],
                   "interval_min": step, "columns": {"time": time_col, "count": count_col, "channel": channel_col,
                                                     "category": category_col}}
    if offsets:
        hist.notes.append(_offset_note(offsets))
    return hist


def _offset_note(offsets: Dict[dt.timedelta, int]) -> str:
    """What the forecast says of starts written with a UTC offset: read as the local clock, the offset not
    applied - right for a local export (several offsets: a clock change), a shift of the day for a UTC one."""
    n = sum(offsets.values())
    if set(offsets) == {dt.timedelta(0)}:
        return (f"{n:,} starts are written in UTC (Z or +00:00); they are read as the centre's local clock, as "
                f"written: if the export is in UTC and the centre is not, every half-hour is shifted by its offset "
                f"(convert the times to local clock time first)")
    shown = ", ".join(f"{'+' if o >= dt.timedelta(0) else '-'}{abs(o).seconds // 3600:02d}:"
                      f"{abs(o).seconds % 3600 // 60:02d}" for o in sorted(offsets))
    return (f"{n:,} starts give a UTC offset ({shown}); each is read as the local clock time written, the offset "
            f"not applied")
