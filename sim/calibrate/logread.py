"""Reading a call log or a request log through its column mapping, with every bad row accounted for.

:func:`read_calls` and :func:`read_requests` read a CSV export row by row with a
:class:`~sim.calibrate.formats.LogFormat` and return the fields as arrays
(:class:`CallLog`, :class:`RequestLog`): times in seconds of absolute time from
midnight (local) of the log's first date, with each row's shift to its local clock
(``shift_s``: non-zero after a daylight-saving change), categorical fields as
integer codes with their names.  Every time is placed by one rule
(:mod:`sim.calibrate.timestamps`): an offset is converted, never cut; a time
without one is a local time of ``--timezone``, or read as it is without one.

Nothing is dropped silently.  A row that cannot be read (a wrong number of
fields, a time that is not a time, an outcome the mapping does not know, a call
answered without a service start, a service that ends before it starts, a local
time the clocks skipped) is
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
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

from sim.calibrate.formats import LogFormat
from sim.calibrate.timestamps import EPOCH as _EPOCH
from sim.calibrate.timestamps import TimeError, TimeRule, column_parser, date_parser, wall_iso
from sim.core.errors import ConfigError

_ONE_DAY = dt.timedelta(days=1)
#: Line numbers of skipped rows kept for the report (all are counted).
KEEP_LINES = 20
#: Largest share of bad rows before a file is refused as unusable (usually the wrong format).
MAX_BAD_SHARE = 0.5
#: The order of a row's events (indices of its times): a call arrives before it leaves the queue or is
#: answered, and is answered before its service ends; a request is created before it is closed.
_CALL_ORDER = ((0, 1), (0, 2), (2, 3))
_REQUEST_ORDER = ((0, 1),)


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
    rule: TimeRule = field(default_factory=TimeRule)  # how the times were placed (time zone, counts)
    day0_s: float = 0.0       # absolute time (s since 1970 UTC) of day 0, 00:00 local
    offset0_s: float = 0.0    # UTC offset of day 0, 00:00 local

    def when(self, t_s: float) -> str:
        """Time ``t_s`` (s from day 0) as ISO text on the log's clock."""
        return self.rule.iso(t_s + self.day0_s, self.offset0_s)

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
                "first": self.first, "last": self.last, "times": self.rule.as_dict()}


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
    shift_s: np.ndarray       # local clock - absolute time of each arrival (daylight saving)

    @property
    def n(self) -> int:
        """Number of call attempts."""
        return len(self.arrive_s)

    @property
    def arrive_local_s(self) -> np.ndarray:
        """Arrival times on the local clock (s from day 0, 00:00): for hours of the day and weekdays."""
        return self.arrive_s + self.shift_s


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
    shift_s: np.ndarray       # local clock - absolute time of each creation (daylight saving)
    bad_close: int = 0
    bad_close_lines: List[int] = field(default_factory=list)

    @property
    def created_local_s(self) -> np.ndarray:
        """Creation times on the local clock (s from day 0, 00:00): for hours of the day and weekdays."""
        return self.created_s + self.shift_s


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
        hint = "" if "--timezone" in first else f"; is this the right --format ({info.format})?"
        raise ConfigError("LOG", spec, why + hint)


def _finish_times(info: LogInfo, cols: Dict[str, List[float]], time_keys: Tuple[str, ...], runs: List[int],
                  walls: List[float]) -> Tuple[Dict[str, np.ndarray], Dict[int, float], np.ndarray]:
    """Absolute times from day 0, 00:00 local (the date of the earliest local time of the first key, whose
    local times are ``walls``); each row's shift to its local clock; the last time of each run."""
    arrays = {k: np.asarray(cols[k], dtype=float) for k in time_keys}
    first, wall = arrays[time_keys[0]], np.asarray(walls, dtype=float)
    offset = wall - first  # each row's UTC offset (0 for times read as they are)
    day0_wall = math.floor(float(np.min(wall)) / 86400.0) * 86400.0
    i, j = int(np.argmin(first)), int(np.argmax(first))
    rule = info.rule
    off0 = rule.zone_offset(day0_wall) if rule.zone is not None else float(offset[i])
    info.day0_s, info.offset0_s = day0_wall - off0, off0
    info.start_date = (_EPOCH + dt.timedelta(seconds=day0_wall)).date()
    shown = rule.zone is not None or rule.with_offset > 0
    info.first = wall_iso(float(wall[i]), float(offset[i]) if shown else None)
    info.last = wall_iso(float(wall[j]), float(offset[j]) if shown else None)
    for k in time_keys:
        arrays[k] -= info.day0_s
    run = np.asarray(runs, dtype=np.int64)
    stacked = np.vstack([arrays[k] for k in time_keys])
    with np.errstate(all="ignore"):
        latest = np.nanmax(stacked, axis=0)
    end = {int(r): float(np.max(latest[run == r])) for r in np.unique(run)}
    return arrays, end, offset - off0


def read_calls(path: Path, fmt: LogFormat, spec: str, rule: Optional[TimeRule] = None) -> CallLog:
    """Read a call log with mapping ``fmt`` (``spec`` is the path as the user typed it), its times placed by
    ``rule`` (default: without a time zone).

    Raises
    ------
    ConfigError
        The file is unusable (see the module docstring).
    """
    info = LogInfo(path=spec, format=fmt.name, not_offered_reason=fmt.no_arrival, rule=rule or TimeRule())
    c = fmt.columns
    parse = column_parser(fmt)
    day_of = date_parser(fmt) if fmt.time_format == "clock" else (lambda row: None)
    codes = {k: Codes() for k in ("category", "priority", "caller", "agent", "run")}
    keys = ("arrive", "left", "answered", "ended")
    cols: Dict[str, List[float]] = {k: [] for k in keys}
    walls: List[float] = []
    ints: Dict[str, List[int]] = {k: [] for k in ("outcome", "category", "priority", "caller", "agent", "run", "line")}
    unknown = {"caller": set(fmt.unknown_caller) | {""}, "agent": set(fmt.unknown_agent) | {""}}
    outcome_code = {k: ("answered", "abandoned", "open").index(v) for k, v in fmt.outcomes.items()}
    for line, row in _rows(path, fmt, spec):
        info.rows += 1
        try:
            if "__bad__" in row:
                raise _Bad(row["__bad__"])
            day = day_of(row)
            ref = parse(row, fmt.day_starts_at, day) if fmt.day_starts_at else None

            def t(col: str) -> Optional[dt.datetime]:
                v = parse(row, col, day)
                if v is not None and ref is not None and (ref - v).total_seconds() > 43200.0:
                    return v + _ONE_DAY  # past midnight
                return v

            arrival = next(((col, v) for col, v in ((col, t(col)) for col in c["arrival"]) if v is not None),
                           (c["arrival"][0], None))
            raw_outcome = row[c["outcome"][0]].strip()
            if raw_outcome not in outcome_code:
                raise _Bad(f"column {c['outcome'][0]}: {raw_outcome!r} is not one of "
                           f"{', '.join(fmt.outcomes)} (the format's outcomes)")
            outcome = outcome_code[raw_outcome]
            if arrival[1] is None:
                if outcome == 0:
                    raise _Bad(f"outcome {raw_outcome!r} (answered) but no arrival time "
                               f"(column {' or '.join(c['arrival'])})")
                info.not_offered += 1
                continue
            stamps = [arrival] + [(c[k][0], t(c[k][0])) if k in c else (k, None)
                                  for k in ("left_queue", "answered", "ended")]
            (arrive, left, answered, ended), wall = info.rule.place(stamps, _CALL_ORDER)
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
        except (_Bad, TimeError) as exc:
            info.skip(line, str(exc))
            continue
        for k, v in zip(keys, (arrive, left, answered, ended)):
            cols[k].append(v)
        walls.append(wall)
        ints["outcome"].append(outcome)
        ints["line"].append(line)
        for k in ("category", "priority", "run"):
            ints[k].append(codes[k].code(row[c[k][0]].strip()) if k in c else 0)
        for k in ("caller", "agent"):
            text = row[c[k][0]].strip() if k in c else ""
            ints[k].append(-1 if text in unknown[k] else codes[k].code(text))
    _check_usable(info, len(cols["arrive"]), spec)
    arrays, end, shift = _finish_times(info, cols, keys, ints["run"], walls)
    i = {k: np.asarray(v, dtype=np.int64) for k, v in ints.items()}
    return CallLog(shift_s=shift, info=info, run=i["run"], arrive_s=arrays["arrive"], left_s=arrays["left"],
                   answered_s=arrays["answered"], ended_s=arrays["ended"], outcome=i["outcome"],
                   category=i["category"], priority=i["priority"], caller=i["caller"], agent=i["agent"],
                   line=i["line"], categories=codes["category"].names or ["all"],
                   priorities=codes["priority"].names or ["all"], agents=codes["agent"].names, end_s=end)


def read_requests(path: Path, fmt: LogFormat, spec: str, rule: Optional[TimeRule] = None) -> RequestLog:
    """Read a request log with mapping ``fmt``, its times placed by ``rule`` (default: without a time zone);
    a request closed before it was created keeps its arrival but not its close time (counted in
    ``bad_close``).

    Raises
    ------
    ConfigError
        The file is unusable (see the module docstring).
    """
    info = LogInfo(path=spec, format=fmt.name, rule=rule or TimeRule())
    c = fmt.columns
    parse = column_parser(fmt)
    codes = {k: Codes() for k in ("agency", "category", "channel", "status", "run")}
    cols: Dict[str, List[float]] = {"created": [], "closed": []}
    ints: Dict[str, List[int]] = {k: [] for k in ("agency", "category", "channel", "status", "run", "line")}
    bad_close: List[int] = []
    flags: List[bool] = []
    walls: List[float] = []
    n_bad_close = 0
    for line, row in _rows(path, fmt, spec):
        info.rows += 1
        try:
            if "__bad__" in row:
                raise _Bad(row["__bad__"])
            created_at = parse(row, c["created"][0], None)
            if created_at is None:
                raise _Bad(f"column {c['created'][0]}: no creation time")
            closed_at = parse(row, c["closed"][0], None) if "closed" in c else None
            (created, closed), wall = info.rule.place(
                [(c["created"][0], created_at), (c["closed"][0] if "closed" in c else "closed", closed_at)],
                _REQUEST_ORDER)
        except (_Bad, TimeError) as exc:
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
        walls.append(wall)
        ints["line"].append(line)
        for k in ("agency", "category", "channel", "status", "run"):
            ints[k].append(codes[k].code(row[c[k][0]].strip() if k in c else ""))
    _check_usable(info, len(cols["created"]), spec)
    arrays, end, shift = _finish_times(info, cols, ("created", "closed"), ints["run"], walls)
    i = {k: np.asarray(v, dtype=np.int64) for k, v in ints.items()}
    channels = codes["channel"].names
    return RequestLog(info=info, run=i["run"], created_s=arrays["created"], closed_s=arrays["closed"],
                      agency=i["agency"], category=i["category"], channel=i["channel"], status=i["status"],
                      line=i["line"], agencies=codes["agency"].names, categories=codes["category"].names,
                      channels=channels, channel_class=[fmt.channels.get(ch, "unknown") for ch in channels],
                      statuses=codes["status"].names, end_s=end, shift_s=shift, close_bad=np.asarray(flags, dtype=bool),
                      bad_close=n_bad_close, bad_close_lines=bad_close)
