"""Dated scenarios: arrivals per date and half-hour read from a file, instead of the weekly template.

``dated.file`` names a CSV file (``start,channel[,category],expected``: the layout of ``forecast.csv``
written by :mod:`sim.forecast`) of the expected arrivals of every half-hour from its first date to its
last; ``dated.day_log_sd`` each day's spread, drawn per replication as a lognormal multiplier of mean 1
(``exp(sd z - sd^2 / 2)``, ``z`` from the channel's own stream ``arrivals.<channel>.forecast_day``);
``dated.staffing_file`` the front line's plan per half-hour (:func:`dated_plan`).  The rules a dated
scenario follows are in ``scenarios/README.md``.  A file is read once per process and kept while it does
not change (:func:`read_dated`); every rule it breaks is one :class:`ConfigError` naming ``dated.file``, the
line and the rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from sim.config.fields import Model, Number, doc
from sim.config.staffing_policy import PLAN_FORMS
from sim.core.errors import ConfigError

SLOT_S = 1800.0
SLOTS_PER_DAY = 48
#: Longest span of a dated file, days (a year and a day).
MAX_DAYS = 366
#: Largest dated file read, bytes.
MAX_BYTES = 50_000_000
#: Largest standard deviation of a day's log total (a factor of e^3 = 20 either way at one sd).
MAX_LOG_SD = 3.0


class DayLogSdConfig(Model):
    """The uncertainty of one day's total of one channel (``dated.day_log_sd`` entries)."""

    date: str = doc("", "ISO date of a day of dated.file, e.g. 2003-09-29")
    channel: str = doc("phone", "phone or online")
    log_sd: Number = doc(0.0, "standard deviation of the log of the day's total, in [0, 3]")


class DatedConfig(Model):
    """Arrivals per date and half-hour from a file, instead of the weekly template (sim/config/dated.py)."""

    file: Optional[str] = doc(None, "CSV of expected arrivals per half-hour: start,channel[,category],expected; a "
                                    "path relative to the folder the command runs from; None = the weekly template")
    staffing_file: Optional[str] = doc(None, "CSV of the front line's rostered operators per half-hour (start,"
                                             "operators; before scale) from the file's first date, covering the "
                                             "horizon; None = the plan of staffing")
    uncertainty: bool = doc(True, "draw each day's multiplier from day_log_sd (false: the file's expected counts only)")
    day_log_sd: List[DayLogSdConfig] = doc(list, "per date and channel; a day not listed: 0")


@dataclass(frozen=True, eq=False)
class DatedDemand:
    """What a dated file holds.

    Attributes
    ----------
    start : datetime.date
        The first date (time 0 of the run is its midnight).
    n_days : int
        Days from the first date to the last, inclusive.
    rates : dict of str to ndarray, shape (n_days * 48, C)
        Per channel listed: expected arrivals per half-hour and category (scenario order); a file
        without categories gives the channel's total in column 0 and ``by_category`` is False.
    by_category : bool
        Whether the file gives categories.
    """

    start: dt.date
    n_days: int
    rates: Dict[str, np.ndarray]
    by_category: bool

    @property
    def span_h(self) -> float:
        """Hours the file covers."""
        return self.n_days * 24.0

    def date(self, day: int) -> dt.date:
        """The date of day ``day`` (0 = the first)."""
        return self.start + dt.timedelta(days=day)


_PLANS: Dict[Tuple[str, Tuple[str, ...], Tuple[str, ...]], Tuple[Tuple[int, int], np.ndarray]] = {}
_CACHE: Dict[Tuple[str, Tuple[str, ...], Tuple[str, ...]], Tuple[Tuple[int, int], DatedDemand]] = {}


def _cached(cache: Dict[Any, Tuple[Tuple[int, int], Any]], key: Tuple[Any, ...], parse: Any) -> Any:
    """``parse()``, kept under ``key`` (the file's path first) while the file's time and size do not change."""
    try:
        st = os.stat(key[0])
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (-1, -1)
    hit = cache.get(key)
    if hit is None or hit[0] != stamp:
        hit = cache[key] = (stamp, parse())
    return hit[1]


def _fail(path: str, rule: str, line: Optional[int] = None) -> ConfigError:
    where = f"dated.file={path}" + (f", line {line}" if line else "")
    return ConfigError("dated.file", path, rule, shown=where)


def _read_rows(path: str, fh: "os.PathLike[str] | str") -> Tuple[List[str], List[Tuple[int, List[str]]]]:
    with open(fh, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise _fail(path, "is empty: it needs a header start,channel,expected")
        return [h.strip() for h in header], [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]


def _parse(path: str, channels: Sequence[str], categories: Sequence[str]) -> DatedDemand:
    p = Path(path)
    if not p.is_file():
        raise _fail(path, "not a readable file (give a CSV start,channel,expected; a relative path is read from "
                          "the folder the command runs in)")
    if p.stat().st_size > MAX_BYTES:
        raise _fail(path, f"too large ({p.stat().st_size:,} bytes; at most {MAX_BYTES:,})")
    try:
        header, rows = _read_rows(path, p)
    except UnicodeDecodeError:
        raise _fail(path, "not UTF-8 text") from None
    except (OSError, csv.Error) as exc:
        raise _fail(path, f"cannot be read: {exc}") from None
    col = {name: i for i, name in enumerate(header)}
    for need in ("start", "channel", "expected"):
        if need not in col:
            raise _fail(path, f"has no column {need!r} (columns: {', '.join(header)}); it needs "
                              f"start,channel,expected and optionally category", 1)
    by_cat = "category" in col
    parsed: List[Tuple[int, dt.datetime, str, int, float]] = []
    for line, row in rows:
        if len(row) < len(header):
            raise _fail(path, f"has {len(row)} fields, the header {len(header)}", line)
        text = row[col["start"]].strip()
        try:
            t = dt.datetime.fromisoformat(text)
        except ValueError:
            raise _fail(path, f"start {text!r} is not an ISO date and time, e.g. 2003-09-29T08:30", line) from None
        if t.tzinfo is not None:
            raise _fail(path, f"start {text!r} has an offset: give the centre's local clock time", line)
        if t.second or t.microsecond or t.minute % 30:
            raise _fail(path, f"start {text!r} is not on a whole half-hour (HH:00 or HH:30)", line)
        ch = row[col["channel"]].strip()
        if ch not in channels:
            raise _fail(path, f"channel {ch!r} is not a channel of the simulator ({', '.join(channels)})", line)
        k = 0
        if by_cat:
            cat = row[col["category"]].strip()
            if cat not in categories:
                raise _fail(path, f"category {cat!r} is not a category of the scenario "
                                  f"({', '.join(categories) or 'none'})", line)
            k = list(categories).index(cat)
        text = row[col["expected"]].strip()
        try:
            x = float(text)
        except ValueError:
            raise _fail(path, f"expected {text!r} is not a number", line) from None
        if not math.isfinite(x) or x < 0:
            raise _fail(path, f"expected {text!r} must be a finite number >= 0 (arrivals in the half-hour)", line)
        parsed.append((line, t, ch, k, x))
    if not parsed:
        raise _fail(path, "has no rows of arrivals")
    first = min(r[1] for r in parsed).date()
    last = max(r[1] for r in parsed).date()
    n_days = (last - first).days + 1
    if n_days > MAX_DAYS:
        raise _fail(path, f"spans {n_days} days ({first} to {last}); at most {MAX_DAYS}")
    n_cat = len(categories) if by_cat else 1
    rates = {ch: np.zeros((n_days * SLOTS_PER_DAY, n_cat)) for ch in sorted({r[2] for r in parsed})}
    seen = {ch: np.zeros((n_days * SLOTS_PER_DAY, n_cat), dtype=bool) for ch in rates}
    for line, t, ch, k, x in parsed:
        slot = (t.date() - first).days * SLOTS_PER_DAY + (t.hour * 60 + t.minute) // 30
        if seen[ch][slot, k]:
            raise _fail(path, f"repeats {t.isoformat(timespec='minutes')}, {ch}"
                              + (f", {categories[k]}" if by_cat else "") + " (one row per half-hour)", line)
        seen[ch][slot, k] = True
        rates[ch][slot, k] = x
    for ch, s in seen.items():
        missing = np.flatnonzero(~s.any(axis=1))
        if missing.size:
            at = dt.datetime.combine(first, dt.time()) + dt.timedelta(seconds=float(missing[0]) * SLOT_S)
            raise _fail(path, f"has no row for {ch} at {at.isoformat(timespec='minutes')} ({missing.size} half-hour(s) "
                              f"missing): list every half-hour from {first} 00:00 to {last} 23:30 (0 where closed)")
    return DatedDemand(first, n_days, rates, by_cat)


def read_dated(path: str, channels: Sequence[str], categories: Sequence[str]) -> DatedDemand:
    """The demand of a dated file, read once while the file does not change.

    Raises
    ------
    ConfigError
        The file cannot be read or breaks a rule of the module's docstring (naming the line).
    """
    key = (os.path.abspath(path), tuple(channels), tuple(categories))
    return _cached(_CACHE, key, lambda: _parse(path, channels, categories))


def _parse_staffing(path: str, start: dt.date, max_operators: float) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise ConfigError("dated.staffing_file", path, "not a readable file (a CSV start,operators; a relative path is "
                                                       "read from the folder the command runs in)")
    try:
        header, rows = _read_rows(path, p)
    except (UnicodeDecodeError, OSError, csv.Error) as exc:
        raise ConfigError("dated.staffing_file", path, f"cannot be read: {exc}") from None
    if "start" not in header or "operators" not in header:
        raise ConfigError("dated.staffing_file", path, f"needs the columns start,operators (has {', '.join(header)})",
                          shown=f"dated.staffing_file={path}, line 1")
    i_t, i_n = header.index("start"), header.index("operators")
    values: Dict[int, float] = {}
    for line, row in rows:
        def bad(rule: str) -> ConfigError:
            return ConfigError("dated.staffing_file", path, rule, shown=f"dated.staffing_file={path}, line {line}")
        try:
            t = dt.datetime.fromisoformat(row[i_t].strip())
            n = float(row[i_n])
        except (ValueError, IndexError):
            raise bad("needs an ISO start on a half-hour and a number of operators") from None
        if t.tzinfo is not None or t.second or t.microsecond or t.minute % 30:
            raise bad(f"start {row[i_t].strip()!r} is not a local time on a whole half-hour")
        if not (math.isfinite(n) and 0 <= n <= max_operators):
            raise bad(f"operators {row[i_n].strip()!r} must be a number in [0, {max_operators:g}]")
        slot = (t.date() - start).days * SLOTS_PER_DAY + (t.hour * 60 + t.minute) // 30
        if slot < 0:
            raise bad(f"{t.isoformat(timespec='minutes')} is before the first date of dated.file ({start})")
        if slot in values:
            raise bad(f"repeats {t.isoformat(timespec='minutes')} (one row per half-hour)")
        values[slot] = n
    n_slots = max(values) + 1 if values else 0
    missing = [k for k in range(n_slots) if k not in values]
    if not values or missing:
        at = dt.datetime.combine(start, dt.time()) + dt.timedelta(seconds=(missing[0] if missing else 0) * SLOT_S)
        raise ConfigError("dated.staffing_file", path, f"has no row for {at.isoformat(timespec='minutes')}: list every "
                                                       f"half-hour from {start} 00:00")
    return np.array([values[k] for k in range(n_slots)])


def dated_plan(cfg: Any, channels: Sequence[str], max_operators: float = math.inf) -> Optional[List[float]]:
    """The front line's headcount per half-hour of ``dated.staffing_file``, as ``staffing.half_hourly`` values that
    :func:`sim.model.staffing.staffing_changes` reads from time 0 on (a file of exactly 7 days is turned Monday
    first, as a weekly plan is read); None without the file.  ``cfg`` is a :class:`sim.config.schema.Config`
    (its module imports this one), ``channels`` its channels."""
    d = cfg.dated
    if d.staffing_file is None or d.file is None:
        return None
    start = read_dated(d.file, channels, list(cfg.categories)).start
    key = (os.path.abspath(d.staffing_file), ("staffing",), (str(start), str(max_operators)))
    values = [float(x) for x in _cached(_PLANS, key, lambda: _parse_staffing(d.staffing_file, start, max_operators))]
    if len(values) == 7 * SLOTS_PER_DAY:
        offset = start.weekday() * SLOTS_PER_DAY
        values = values[-offset:] + values[:-offset] if offset else values
    return values


def check_dated_staffing(cfg: Any, channels: Sequence[str], max_operators: float) -> None:
    """The rules of ``dated.staffing_file``: with ``dated.file``, with ``staffing.policy=plan``, without another plan
    form or operator groups, covering the horizon (and its file's rules: :func:`dated_plan`)."""
    d, s = cfg.dated, cfg.staffing
    if d.staffing_file is None:
        return
    if d.file is None:
        raise ConfigError("dated.staffing_file", d.staffing_file,
                          "only with dated.file (whose first date it starts on)")
    if s.policy != "plan":
        raise ConfigError("dated.staffing_file", d.staffing_file, f"used only with staffing.policy=plan (the policy "
                                                                  f"{s.policy} proposes its own plan)")
    if cfg.routing.groups:
        raise ConfigError("dated.staffing_file", d.staffing_file, "not with routing.groups (each group has its plan)")
    for form, empty in PLAN_FORMS.items():
        if getattr(s, form):  # a plan's form not given reads as empty
            raise ConfigError(f"staffing.{form}", getattr(s, form) if form == "operators" else "<plan>",
                              f"conflicts with dated.staffing_file, the front line's plan (set staffing.{form}="
                              f"{empty})")
    values = dated_plan(cfg, channels, max_operators)
    assert values is not None
    if len(values) * SLOT_S < cfg.experiment.horizon_h * 3600.0 - 1e-6:
        raise ConfigError("dated.staffing_file", d.staffing_file,
                          f"covers {len(values) / 2:g} h; the horizon (experiment.horizon_h) is "
                          f"{cfg.experiment.horizon_h:g} h")


def day_log_sd(cfg: DatedConfig, demand: DatedDemand, channel: str) -> np.ndarray:
    """Standard deviation of each day's log total of ``channel`` (0 for a day not listed, or all 0 with
    ``uncertainty`` off), one value per day of the file."""
    out = np.zeros(demand.n_days)
    if not cfg.uncertainty:
        return out
    for e in cfg.day_log_sd:
        if e.channel == channel:
            out[(dt.date.fromisoformat(e.date) - demand.start).days] = float(e.log_sd)
    return out


def check_dated(cfg: DatedConfig, channels: Sequence[str], categories: Sequence[str], start_weekday: int,
                horizon_h: float, per_day: Dict[str, float]) -> Optional[DatedDemand]:
    """Every rule of ``dated``: the file (read), the run's start weekday and horizon within its dates, each
    channel it lists with demand in the template (``per_day`` > 0, so that the channel's KPIs apply), and
    the ``day_log_sd`` entries (a date of the file, a channel it lists, a value in [0, 3], no repeats).

    Returns the file's demand, or None for an undated scenario.

    Raises
    ------
    ConfigError
        At the first broken rule.
    """
    if cfg.file is None:
        if cfg.day_log_sd:
            raise ConfigError("dated.day_log_sd", f"<{len(cfg.day_log_sd)} entries>",
                              "only with dated.file (the days they describe)")
        return None
    if not cfg.file.strip():
        raise ConfigError("dated.file", cfg.file, "must name a CSV file (or be null for the weekly template)")
    demand = read_dated(cfg.file, channels, categories)
    weekday = demand.start.weekday()
    if start_weekday != weekday:
        raise ConfigError("experiment.start_weekday", start_weekday,
                          f"must be {weekday}: dated.file starts on {demand.start:%A} {demand.start}")
    if horizon_h > demand.span_h + 1e-9:
        raise ConfigError("experiment.horizon_h", horizon_h,
                          f"must be at most {demand.span_h:g}: dated.file covers {demand.n_days} day(s), "
                          f"{demand.start} to {demand.date(demand.n_days - 1)}")
    in_run = int(math.ceil(horizon_h * 3600.0 / SLOT_S - 1e-9))
    if (all(per_day.get(ch, 0.0) <= 0 for ch in channels if ch not in demand.rates)
            and not any(r[:in_run].sum() > 0 for r in demand.rates.values())):
        busy = [int(np.flatnonzero(r.sum(axis=1) > 0)[0]) for r in demand.rates.values() if r.sum() > 0]
        at = dt.datetime.combine(demand.start, dt.time()) + dt.timedelta(seconds=min(busy, default=0) * SLOT_S)
        when = f"its first arrivals are at {at:%a %Y-%m-%d %H:%M}" if busy else "it holds none"
        raise ConfigError("experiment.horizon_h", horizon_h,
                          f"no demand: dated.file gives no arrivals in the run's {horizon_h:g} h from "
                          f"{demand.start:%a} {demand.start} 00:00 ({when}; a closed day has none)")
    for ch in demand.rates:
        if per_day.get(ch, 0.0) <= 0:
            raise ConfigError(f"arrivals.{ch}.per_day", per_day.get(ch, 0.0),
                              f"must be > 0: dated.file gives {ch} arrivals (set it to their mean per day, "
                              f"{demand.rates[ch].sum() / demand.n_days:.6g}, so that the {ch} KPIs apply)")
    seen = set()
    for i, e in enumerate(cfg.day_log_sd):
        key = f"dated.day_log_sd[{i}]"
        try:
            day = dt.date.fromisoformat(e.date)
        except ValueError:
            raise ConfigError(f"{key}.date", e.date, "must be an ISO date, e.g. 2003-09-29") from None
        if not 0 <= (day - demand.start).days < demand.n_days:
            raise ConfigError(f"{key}.date", e.date, f"is not a day of dated.file ({demand.start} to "
                                                     f"{demand.date(demand.n_days - 1)})")
        if e.channel not in demand.rates:
            raise ConfigError(f"{key}.channel", e.channel, f"dated.file has no {e.channel} arrivals "
                                                           f"(it lists {', '.join(demand.rates)})")
        if (day, e.channel) in seen:
            raise ConfigError(key, f"{e.date} {e.channel}", "repeats a date and channel")
        seen.add((day, e.channel))
        if not (math.isfinite(e.log_sd) and 0.0 <= e.log_sd <= MAX_LOG_SD):
            raise ConfigError(f"{key}.log_sd", e.log_sd, f"must be in [0, {MAX_LOG_SD:g}]")
    return demand


__all__ = ["DatedConfig", "DayLogSdConfig", "DatedDemand", "read_dated", "check_dated", "day_log_sd", "dated_plan",
           "check_dated_staffing",
           "SLOTS_PER_DAY", "MAX_DAYS", "MAX_LOG_SD"]
