"""Reading a call log or a request log through its column mapping, with every bad row accounted for.

:func:`read_calls` and :func:`read_requests` read a CSV export row by row with a
:class:`~sim.calibrate.formats.LogFormat` and return the fields as arrays
(:class:`CallLog`, :class:`RequestLog`): times in seconds from midnight of the
log's first date, categorical fields as integer codes with their names.

Nothing is dropped silently.  A row that cannot be read (a wrong number of
fields, a time that is not a time, an outcome the mapping does not know, a call
answered without a service start, a service that ends before it starts) is
*skipped*, counted and reported with its line number; a call row without an
arrival time is *not offered* (it never asked for an agent: e.g. a caller who hung
up in the voice-response unit) and counted as such.  A file that cannot be used
at all (missing, not UTF-8, a header without the mapped columns, no usable row,
or more than half the rows bad - usually the wrong ``--format``) raises a
:class:`~sim.core.errors.ConfigError` naming the file, which the command line
prints as one line (exit status 2).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np

from sim.calibrate.formats import LogFormat
from sim.core.errors import ConfigError

_EPOCH = dt.datetime(1970, 1, 1)
#: Line numbers of skipped rows kept for the report (all are counted).
KEEP_LINES = 20
#: Largest share of bad rows before a file is refused as unusable (usually the wrong format).
MAX_BAD_SHARE = 0.5


class _Bad(Exception):
    """A row that cannot be read, with the reason."""


@dataclass
class Codes:
    """Integer codes of a categorical field, in order of first appearance."""

    names: List[str] = field(default_factory=list)
    index: Dict[str, int] = field(default_factory=dict)

    def code(self, value: str) -> int:
        """The code of ``value`` (a new one for a value not seen before)."""
        c = self.index.get(value)
        if c is None:
            c = self.index[value] = len(self.names)
            self.names.append(value)
        return c


@dataclass
class LogInfo:
    """What reading a file found: rows read, skipped (with reasons and line numbers), the dates."""

    path: str
    format: str
    rows: int = 0
    skipped: int = 0
    skipped_lines: List[Tuple[int, str]] = field(default_factory=list)
    not_offered: int = 0
    not_offered_reason: str = ""
    start_date: Optional[dt.date] = None
    first: str = ""
    last: str = ""

    def skip(self, line: int, reason: str) -> None:
        """Count a skipped row (keeping the first :data:`KEEP_LINES` line numbers)."""
        self.skipped += 1
        if len(self.skipped_lines) < KEEP_LINES:
            self.skipped_lines.append((line, reason))

    def as_dict(self) -> Dict[str, object]:
        """JSON-ready summary."""
        return {"path": self.path, "format": self.format, "rows": self.rows, "skipped": self.skipped,
                "skipped_first_lines": [{"line": n, "reason": r} for n, r in self.skipped_lines],
                "not_offered": self.not_offered, "not_offered_reason": self.not_offered_reason,
                "first": self.first, "last": self.last}


@dataclass
class CallLog:
    """Call attempts of a log, one entry per attempt offered to agents (times in s from day 0, 00:00)."""

    info: LogInfo
    run: np.ndarray
    arrive_s: np.ndarray
    left_s: np.ndarray        # left the queue (answered or abandoned); NaN when open or not recorded
    answered_s: np.ndarray
    ended_s: np.ndarray
    outcome: np.ndarray       # 0 answered, 1 abandoned, 2 open
    category: np.ndarray
    priority: np.ndarray
    caller: np.ndarray        # -1 = not identified
    agent: np.ndarray         # -1 = unknown
    line: np.ndarray
    categories: List[str]
    priorities: List[str]
    agents: List[str]
    end_s: Dict[int, float]   # per run: the last time in the log (open calls are censored there)

    @property
    def n(self) -> int:
        """Number of call attempts."""
        return len(self.arrive_s)


@dataclass
class RequestLog:
    """Service requests of a log (times in s from day 0, 00:00)."""

    info: LogInfo
    run: np.ndarray
    created_s: np.ndarray
    closed_s: np.ndarray      # NaN while open, or when unusable (closed before created)
    agency: np.ndarray
    category: np.ndarray
    channel: np.ndarray       # codes of CHANNEL_CLASSES values via `channels`
    status: np.ndarray
    line: np.ndarray
    agencies: List[str]
    categories: List[str]
    channels: List[str]       # the log's own channel values
    channel_class: List[str]  # class of each channel value (phone, online, other, unknown, internal)
    statuses: List[str]
    end_s: Dict[int, float]
    close_bad: np.ndarray     # closed before created: the close time is left out
    bad_close: int = 0
    bad_close_lines: List[int] = field(default_factory=list)


def _clock_s(text: str) -> float:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(text)
    h, m = int(parts[0]), int(parts[1])
    s = float(parts[2]) if len(parts) == 3 else 0.0
    if not (0 <= h < 24 and 0 <= m < 60 and 0 <= s < 61):
        raise ValueError(text)
    return h * 3600.0 + m * 60.0 + s


def _time_parser(fmt: LogFormat) -> Callable[[Dict[str, str], str, float], float]:
    """``parse(row, column, day_s)`` -> seconds since 1970 (naive) of the column's time, NaN if empty."""
    empty = set(fmt.empty) | {""}

    if fmt.time_format == "clock":
        def parse(row: Dict[str, str], col: str, day_s: float) -> float:
            v = row[col].strip()
            if v in empty:
                return math.nan
            try:
                return day_s + _clock_s(v)
            except ValueError:
                raise _Bad(f"column {col}: {v!r} is not a time of day (H:MM:SS)") from None
        return parse
    pattern = None if fmt.time_format == "iso" else fmt.time_format

    def parse_dt(row: Dict[str, str], col: str, day_s: float) -> float:
        v = row[col].strip()
        if v in empty:
            return math.nan
        try:
            t = dt.datetime.fromisoformat(v) if pattern is None else dt.datetime.strptime(v, pattern)
        except ValueError:
            raise _Bad(f"column {col}: {v!r} is not a timestamp ({fmt.time_format})") from None
        return (t.replace(tzinfo=None) - _EPOCH).total_seconds()
    return parse_dt


def _rows(path: Path, fmt: LogFormat, spec: str) -> Iterator[Tuple[int, Dict[str, str]]]:
    """(line number, row) of the CSV file; the header must hold every mapped column."""
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError("LOG", spec, f"cannot read the file: {exc.strerror or exc}") from None
    with fh:
        try:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise ConfigError("LOG", spec, "the file is empty")
            header = [h.strip() for h in header]
            missing = [c for c in fmt.needed_columns() if c not in header]
            if missing:
                raise ConfigError("LOG", spec, f"the header lacks column(s) {', '.join(missing)} that format "
                                               f"{fmt.name!r} reads (is this the right --format?)")
            width = len(header)
            for values in reader:
                if not values:
                    continue
                if len(values) != width:
                    yield reader.line_num, {"__bad__": f"has {len(values)} fields, the header has {width}"}
                    continue
                yield reader.line_num, dict(zip(header, values))
        except UnicodeDecodeError:
            raise ConfigError("LOG", spec, "is not UTF-8 text (a CSV export is expected)") from None
        except csv.Error as exc:
            raise ConfigError("LOG", spec, f"is not a readable CSV file: {exc}") from None


def _check_usable(info: LogInfo, n_good: int, spec: str) -> None:
    if info.rows == 0:
        raise ConfigError("LOG", spec, "holds a header but no rows")
    if n_good == 0 or info.skipped > MAX_BAD_SHARE * info.rows:
        first = "; ".join(f"line {n}: {r}" for n, r in info.skipped_lines[:1])
        why = f"{info.skipped} of {info.rows} rows cannot be read" + (f" (first: {first})" if first else "")
        if n_good == 0 and not info.skipped:
            why = f"no row has an arrival time ({info.not_offered} rows: {info.not_offered_reason})"
        raise ConfigError("LOG", spec, f"{why}; is this the right --format ({info.format})?")


def _day_parser(fmt: LogFormat) -> Callable[[Dict[str, str]], float]:
    cache: Dict[str, float] = {}
    col, pattern = fmt.date_column, fmt.date_format
    assert col is not None and pattern is not None

    def day(row: Dict[str, str]) -> float:
        v = row[col].strip()
        s = cache.get(v)
        if s is None:
            try:
                s = cache[v] = (dt.datetime.strptime(v, pattern) - _EPOCH).total_seconds()
            except ValueError:
                raise _Bad(f"column {col}: {v!r} is not a date ({pattern})") from None
        return s
    return day


def _finish_times(info: LogInfo, cols: Dict[str, List[float]], time_keys: Tuple[str, ...],
                  runs: List[int]) -> Tuple[Dict[str, np.ndarray], Dict[int, float]]:
    """Times relative to midnight of the first date; the last time of each run."""
    arrays = {k: np.asarray(cols[k], dtype=float) for k in time_keys}
    first = arrays[time_keys[0]]
    day0 = math.floor(np.min(first) / 86400.0) * 86400.0
    info.start_date = (_EPOCH + dt.timedelta(seconds=day0)).date()
    info.first = (_EPOCH + dt.timedelta(seconds=float(np.min(first)))).isoformat(timespec="seconds")
    info.last = (_EPOCH + dt.timedelta(seconds=float(np.max(first)))).isoformat(timespec="seconds")
    for k in time_keys:
        arrays[k] -= day0
    run = np.asarray(runs, dtype=np.int64)
    stacked = np.vstack([arrays[k] for k in time_keys])
    with np.errstate(all="ignore"):
        latest = np.nanmax(stacked, axis=0)
    end = {int(r): float(np.max(latest[run == r])) for r in np.unique(run)}
    return arrays, end


def read_calls(path: Path, fmt: LogFormat, spec: str) -> CallLog:
    """Read a call log with mapping ``fmt`` (``spec`` is the path as the user typed it).

    Raises
    ------
    ConfigError
        The file is unusable (see the module docstring).
    """
    info = LogInfo(path=spec, format=fmt.name, not_offered_reason=fmt.no_arrival)
    c = fmt.columns
    parse = _time_parser(fmt)
    day_of = _day_parser(fmt) if fmt.time_format == "clock" else (lambda row: 0.0)
    codes = {k: Codes() for k in ("category", "priority", "caller", "agent", "run")}
    keys = ("arrive", "left", "answered", "ended")
    cols: Dict[str, List[float]] = {k: [] for k in keys}
    ints: Dict[str, List[int]] = {k: [] for k in ("outcome", "category", "priority", "caller", "agent", "run", "line")}
    unknown = {"caller": set(fmt.unknown_caller) | {""}, "agent": set(fmt.unknown_agent) | {""}}
    outcome_code = {k: ("answered", "abandoned", "open").index(v) for k, v in fmt.outcomes.items()}
    for line, row in _rows(path, fmt, spec):
        info.rows += 1
        try:
            if "__bad__" in row:
                raise _Bad(row["__bad__"])
            day = day_of(row)
            ref = parse(row, fmt.day_starts_at, day) if fmt.day_starts_at else math.nan

            def t(col: str) -> float:
                v = parse(row, col, day)
                return v + 86400.0 if ref - v > 43200.0 else v  # past midnight (NaN ref: never)

            arrive = next((v for v in (t(col) for col in c["arrival"]) if not math.isnan(v)), math.nan)
            raw_outcome = row[c["outcome"][0]].strip()
            if raw_outcome not in outcome_code:
                raise _Bad(f"column {c['outcome'][0]}: {raw_outcome!r} is not one of "
                           f"{', '.join(fmt.outcomes)} (the format's outcomes)")
            outcome = outcome_code[raw_outcome]
            if math.isnan(arrive):
                if outcome == 0:
                    raise _Bad(f"outcome {raw_outcome!r} (answered) but no arrival time "
                               f"(column {' or '.join(c['arrival'])})")
                info.not_offered += 1
                continue
            left = t(c["left_queue"][0]) if "left_queue" in c else math.nan
            answered = t(c["answered"][0]) if "answered" in c else math.nan
            ended = t(c["ended"][0]) if "ended" in c else math.nan
            if outcome == 0 and "answered" in c and math.isnan(answered):
                raise _Bad(f"outcome {raw_outcome!r} (answered) but no service start in column {c['answered'][0]}")
            if outcome == 0 and math.isnan(left):
                left = answered
            if outcome == 1 and math.isnan(left):
                raise _Bad(f"outcome {raw_outcome!r} (abandoned) but no time it left the queue "
                           f"({'column ' + c['left_queue'][0] if 'left_queue' in c else 'no left_queue column'})")
            if left < arrive - 1e-6:
                raise _Bad("leaves the queue before it arrives")
            if ended < answered - 1e-6:
                raise _Bad("the service ends before it starts")
            if outcome != 0:
                answered = ended = math.nan
        except _Bad as exc:
            info.skip(line, str(exc))
            continue
        for k, v in zip(keys, (arrive, left, answered, ended)):
            cols[k].append(v)
        ints["outcome"].append(outcome)
        ints["line"].append(line)
        for k in ("category", "priority", "run"):
            ints[k].append(codes[k].code(row[c[k][0]].strip()) if k in c else 0)
        for k in ("caller", "agent"):
            text = row[c[k][0]].strip() if k in c else ""
            ints[k].append(-1 if text in unknown[k] else codes[k].code(text))
    _check_usable(info, len(cols["arrive"]), spec)
    arrays, end = _finish_times(info, cols, keys, ints["run"])
    i = {k: np.asarray(v, dtype=np.int64) for k, v in ints.items()}
    return CallLog(info=info, run=i["run"], arrive_s=arrays["arrive"], left_s=arrays["left"],
                   answered_s=arrays["answered"], ended_s=arrays["ended"], outcome=i["outcome"],
                   category=i["category"], priority=i["priority"], caller=i["caller"], agent=i["agent"],
                   line=i["line"], categories=codes["category"].names or ["all"],
                   priorities=codes["priority"].names or ["all"], agents=codes["agent"].names, end_s=end)


def read_requests(path: Path, fmt: LogFormat, spec: str) -> RequestLog:
    """Read a request log with mapping ``fmt``; a request closed before it was created keeps its
    arrival but not its close time (counted in ``bad_close``).

    Raises
    ------
    ConfigError
        The file is unusable (see the module docstring).
    """
    info = LogInfo(path=spec, format=fmt.name)
    c = fmt.columns
    parse = _time_parser(fmt)
    codes = {k: Codes() for k in ("agency", "category", "channel", "status", "run")}
    cols: Dict[str, List[float]] = {"created": [], "closed": []}
    ints: Dict[str, List[int]] = {k: [] for k in ("agency", "category", "channel", "status", "run", "line")}
    bad_close: List[int] = []
    flags: List[bool] = []
    n_bad_close = 0
    for line, row in _rows(path, fmt, spec):
        info.rows += 1
        try:
            if "__bad__" in row:
                raise _Bad(row["__bad__"])
            created = parse(row, c["created"][0], 0.0)
            if math.isnan(created):
                raise _Bad(f"column {c['created'][0]}: no creation time")
            closed = parse(row, c["closed"][0], 0.0) if "closed" in c else math.nan
        except _Bad as exc:
            info.skip(line, str(exc))
            continue
        flags.append(closed < created)
        if flags[-1]:
            n_bad_close += 1
            if len(bad_close) < KEEP_LINES:
                bad_close.append(line)
            closed = math.nan
        cols["created"].append(created)
        cols["closed"].append(closed)
        ints["line"].append(line)
        for k in ("agency", "category", "channel", "status", "run"):
            ints[k].append(codes[k].code(row[c[k][0]].strip() if k in c else ""))
    _check_usable(info, len(cols["created"]), spec)
    arrays, end = _finish_times(info, cols, ("created", "closed"), ints["run"])
    i = {k: np.asarray(v, dtype=np.int64) for k, v in ints.items()}
    channels = codes["channel"].names
    return RequestLog(info=info, run=i["run"], created_s=arrays["created"], closed_s=arrays["closed"],
                      agency=i["agency"], category=i["category"], channel=i["channel"], status=i["status"],
                      line=i["line"], agencies=codes["agency"].names, categories=codes["category"].names,
                      channels=channels, channel_class=[fmt.channels.get(ch, "unknown") for ch in channels],
                      statuses=codes["status"].names, end_s=end, close_bad=np.asarray(flags, dtype=bool),
                      bad_close=n_bad_close, bad_close_lines=bad_close)
