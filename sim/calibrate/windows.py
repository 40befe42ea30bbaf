"""Date windows of a log: the days a calibration is fitted on, and the days it is judged on.

``--fit-from/--fit-to`` and ``--holdout-from/--holdout-to`` are inclusive dates
(``YYYY-MM-DD``) of the log's local clock (:mod:`sim.calibrate.timestamps`); a
call or request belongs to the day of its arrival (creation).  The scenario is
fitted on the fit window alone.  A call log's hold-out window is simulated with
its own arrivals and agents and compared with what happened
(:mod:`sim.calibrate.holdout`); a request log's hold-out requests - their volume
and times to close - are compared with the simulation of the fitted scenario
(:func:`sim.calibrate.requests_command.backtest_requests`), which the hold-out
does not change.

Rules (each broken one is one line naming the option as typed, exit status 2):

* a date is ``YYYY-MM-DD``;
* the fit window runs from ``--fit-from`` (default: the log's first date) to
  ``--fit-to`` (default: its last); a hold-out exists when either hold-out option
  is given, from ``--holdout-from`` (default: the day after the fit window) to
  ``--holdout-to`` (default: the log's last date);
* a window ends on or after the day it starts, lies within the log's dates and
  holds at least one row; the hold-out does not overlap the fit window.  A call
  log's hold-out spans at most :data:`MAX_HOLDOUT_DAYS` days, while its agents are
  a week's plan per team (:func:`sim.calibrate.holdout_inputs.dated_scenario`); a
  request log's may span the rest of the log (a longer one costs no simulation);
* a rule broken by a window - and a fit that fails on the window's rows
  (:meth:`Windows.error`) - names the window's options as given (both ends when
  both are), and says where a default end comes from.

:func:`subset_calls` and :func:`subset_requests` cut a log to a window: the rows
whose arrival (creation) falls on its days, with every time re-expressed from the
window's first midnight, so every fitting function works on a window as on a whole log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple, TypeVar

import numpy as np

from sim.calibrate.logread import CallLog, LogInfo, RequestLog
from sim.core.errors import ConfigError

#: Longest hold-out of a call log: its dates' arrivals are a dated file, their agents a week's plan per team.
MAX_HOLDOUT_DAYS = 7
DAY_S = 86400.0


@dataclass(frozen=True)
class Window:
    """Days ``first`` to ``last`` (inclusive) of a log whose day 0 is ``start``."""

    first: dt.date
    last: dt.date
    start: dt.date

    @property
    def days(self) -> int:
        """Number of days."""
        return (self.last - self.first).days + 1

    @property
    def day0(self) -> int:
        """Index of the first day in the log (day 0 = the log's first date)."""
        return (self.first - self.start).days

    def day_indices(self) -> np.ndarray:
        """The log's day indices of the window's days."""
        return np.arange(self.day0, self.day0 + self.days)

    def label(self) -> str:
        """``YYYY-MM-DD..YYYY-MM-DD``."""
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def as_dict(self) -> Dict[str, Any]:
        """JSON-ready summary."""
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "days": self.days,
                "weekdays": [(self.first + dt.timedelta(days=i)).strftime("%a") for i in range(self.days)]}


OPTIONS = {"fit": ("--fit-from", "--fit-to"), "hold-out": ("--holdout-from", "--holdout-to")}


@dataclass(frozen=True)
class Windows:
    """The fit window and, when asked for, the hold-out window."""

    fit: Window
    holdout: Optional[Window]
    whole: bool  # the fit window is the whole log (no window option given)
    typed: Dict[str, Optional[str]] = dataclasses.field(default_factory=dict)  # option -> value as typed

    def error(self, what: str, rule: str) -> ConfigError:
        """The error of the ``what`` (``"fit"`` or ``"hold-out"``) window breaking ``rule``: it names that window's
        options as typed, both when both were given (:func:`window_error`)."""
        w = self.fit if what == "fit" else self.holdout
        assert w is not None
        return window_error(self.typed, what, w, rule)


def window_error(typed: Dict[str, Optional[str]], what: str, w: Window, rule: str) -> ConfigError:
    """``--fit-from='D1' --fit-to='D2': the fit window D1..D2 RULE``: the options of window ``what`` given (of
    ``typed``, as typed), and where an end that no option gave comes from."""
    given = [o for o in OPTIONS[what] if typed.get(o)]
    assert given, f"the {what} window has no option"
    lo, hi = OPTIONS[what]
    ends = [] if typed.get(lo) else [("from the log's first date" if what == "fit" else
                                      "from the day after the fit window")]
    ends += [] if typed.get(hi) else ["to the log's last date"]
    label = f"the {what} window {w.label()}" + (f" ({', '.join(ends)})" if ends else "")
    shown = " ".join(f"{o}={typed[o]!r}" for o in given)
    return ConfigError(given[0], typed[given[0]], f"{label} {rule}", shown=shown if len(given) > 1 else None)


def _date(option: str, text: Optional[str]) -> Optional[dt.date]:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(option, text, "must be a date YYYY-MM-DD, e.g. 1999-08-21") from None


def check_dates(a: Any) -> None:
    """Check the window options' syntax and order before the log is read (``a``: the parsed arguments)."""
    d = {o: _date(o, getattr(a, o[2:].replace("-", "_"), None))
         for o in ("--fit-from", "--fit-to", "--holdout-from", "--holdout-to")}
    for lo, hi in (("--fit-from", "--fit-to"), ("--holdout-from", "--holdout-to")):
        if d[lo] is not None and d[hi] is not None and d[hi] < d[lo]:  # type: ignore[operator]
            raise ConfigError(hi, getattr(a, hi[2:].replace("-", "_")),
                              f"is before {lo} ({d[lo]}): a window ends on or after its first day")


def log_days(arrive_local_s: np.ndarray) -> Tuple[int, int]:
    """First and last day index with a row (local clock)."""
    day = np.floor(arrive_local_s / DAY_S)
    return int(day.min()), int(day.max())


def resolve(a: Any, info: LogInfo, arrive_local_s: np.ndarray,
            max_holdout_days: Optional[int] = MAX_HOLDOUT_DAYS) -> Windows:
    """The windows of the options ``a`` on a log (``info``, its rows' local arrival times), checked; also kept
    as ``a.windows`` (the report reads them; a fit failing on the window's rows is blamed on its options:
    :meth:`Windows.error`).

    Parameters
    ----------
    max_holdout_days : int or None
        The longest hold-out (a call log's: :data:`MAX_HOLDOUT_DAYS`); None: the rest of the log.

    Raises
    ------
    ConfigError
        Naming the option(s) given: a window outside the log's dates, without a row, a hold-out overlapping
        the fit window or longer than ``max_holdout_days``.
    """
    assert info.start_date is not None
    start = info.start_date
    first_day, last_day = log_days(arrive_local_s)
    lo, hi = start + dt.timedelta(days=first_day), start + dt.timedelta(days=last_day)
    days = np.floor(arrive_local_s / DAY_S).astype(np.int64)
    typed = {o: getattr(a, o[2:].replace("-", "_"), None) for o in ("--fit-from", "--fit-to", "--holdout-from",
                                                                     "--holdout-to")}
    date = {o: _date(o, t) for o, t in typed.items()}

    def check(o: str, when: dt.date) -> None:
        if not lo <= when <= hi:
            raise ConfigError(o, typed[o], f"outside the log, which runs from {lo} to {hi}")

    for o, when in date.items():
        if when is not None:
            check(o, when)
    fit = Window(date["--fit-from"] or lo, date["--fit-to"] or hi, start)
    whole = not (typed["--fit-from"] or typed["--fit-to"])
    if not whole:
        _not_empty(fit, days, typed, "fit")
    holdout = None
    if typed["--holdout-from"] or typed["--holdout-to"]:
        h_first = date["--holdout-from"] or fit.last + dt.timedelta(days=1)
        h_last = date["--holdout-to"] or hi
        if h_first > hi:
            o = "--holdout-from" if typed["--holdout-from"] else "--holdout-to"
            raise ConfigError(o, typed[o], f"the hold-out would start on {h_first}, after the log's last date ({hi}); "
                                           f"give --holdout-from")
        if h_last < h_first:
            raise ConfigError("--holdout-to", typed["--holdout-to"], f"is before the hold-out's first day ({h_first})")
        holdout = Window(h_first, h_last, start)
        if h_first <= fit.last and fit.first <= h_last:
            raise window_error(typed, "hold-out", holdout, f"overlaps the fit window {fit.label()}: judge a "
                                                           f"calibration on days it was not fitted on")
        if max_holdout_days is not None and holdout.days > max_holdout_days:
            raise window_error(typed, "hold-out", holdout, f"spans {holdout.days} days; at most {max_holdout_days} "
                                                           f"for a call log (the hold-out's agents are a week's plan "
                                                           f"per team)")
        _not_empty(holdout, days, typed, "hold-out")
    a.windows = Windows(fit=fit, holdout=holdout, whole=whole, typed=typed)
    return a.windows


def _not_empty(w: Window, days: np.ndarray, typed: Dict[str, Optional[str]], what: str) -> None:
    n = int(np.sum((days >= w.day0) & (days < w.day0 + w.days)))
    if n == 0:
        raise window_error(typed, what, w, "holds no row of the log")


L = TypeVar("L", CallLog, RequestLog)


def _shifted_info(info: LogInfo, w: Window) -> Tuple[LogInfo, float, float]:
    """The window's :class:`LogInfo` (day 0 = its first date) and the shifts of absolute and local times."""
    day0_wall = info.day0_s + info.offset0_s + w.day0 * DAY_S
    off0 = info.rule.zone_offset(day0_wall) if info.rule.zone is not None else info.offset0_s
    new = dataclasses.replace(info, start_date=w.first, day0_s=day0_wall - off0, offset0_s=off0,
                              skipped_lines=list(info.skipped_lines))
    return new, new.day0_s - info.day0_s, off0 - info.offset0_s


def _end(times: Tuple[np.ndarray, ...], run: np.ndarray) -> Dict[int, float]:
    with np.errstate(all="ignore"):
        latest = np.nanmax(np.vstack(times), axis=0)
    return {int(r): float(np.max(latest[run == r])) for r in np.unique(run)}


def subset_calls(log: CallLog, w: Window) -> CallLog:
    """The calls of ``log`` that arrived on the days of ``w``, times from the window's first midnight."""
    day = np.floor(log.arrive_local_s / DAY_S)
    m = (day >= w.day0) & (day < w.day0 + w.days)
    info, shift_abs, shift_off = _shifted_info(log.info, w)
    t = {k: getattr(log, k)[m] - shift_abs for k in ("arrive_s", "left_s", "answered_s", "ended_s")}
    info.first, info.last = _span(info, t["arrive_s"])
    run = log.run[m]
    return dataclasses.replace(
        log, info=info, run=run, **t, outcome=log.outcome[m], category=log.category[m], priority=log.priority[m],
        caller=log.caller[m], agent=log.agent[m], line=log.line[m], shift_s=log.shift_s[m] - shift_off,
        end_s=_end((t["arrive_s"], t["left_s"], t["answered_s"], t["ended_s"]), run))


def subset_requests(log: RequestLog, w: Window, as_known_at_end: bool) -> RequestLog:
    """The requests of ``log`` created on the days of ``w``, times from the window's first midnight.

    With ``as_known_at_end`` the log is cut as it stood at the end of the window's last day (a fit
    window: nothing later is used): a request closed after that is open there, and the window's end is
    the extraction time; else requests keep their closes and the log's extraction time (a hold-out).
    """
    day = np.floor(log.created_local_s / DAY_S)
    m = (day >= w.day0) & (day < w.day0 + w.days)
    info, shift_abs, shift_off = _shifted_info(log.info, w)
    created, closed = log.created_s[m] - shift_abs, log.closed_s[m] - shift_abs
    info.first, info.last = _span(info, created)
    run = log.run[m]
    runs = set(run.tolist())
    end = {r: v - shift_abs for r, v in log.end_s.items() if r in runs}  # the log's extraction time
    if as_known_at_end:
        cut = w.days * DAY_S - (log.info.rule.zone_offset(info.day0_s + info.offset0_s + w.days * DAY_S)
                                - info.offset0_s if log.info.rule.zone is not None else 0.0)
        closed = np.where(closed > cut, np.nan, closed)
        end = {r: min(v, cut) for r, v in end.items()}
    bad = log.close_bad[m]
    return dataclasses.replace(
        log, info=info, run=run, created_s=created, closed_s=closed, agency=log.agency[m], category=log.category[m],
        channel=log.channel[m], status=log.status[m], line=log.line[m], close_bad=bad,
        shift_s=log.shift_s[m] - shift_off,
        end_s=end, bad_close=int(bad.sum()), bad_close_lines=[int(x) for x in log.line[m][bad][:20]])


def _span(info: LogInfo, arrive_s: np.ndarray) -> Tuple[str, str]:
    if not len(arrive_s):
        return "", ""
    return info.when(float(np.min(arrive_s))), info.when(float(np.max(arrive_s)))

