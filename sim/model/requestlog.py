"""The request log: one row per contact with its timeline, for researchers and process mining.

Enabled by ``report.request_log=true``.  A row is appended when a contact
reaches its terminal state, and for every contact still open when the run
stops (its state then reads ``open:<stage>``).  Rows are kept column by column
in compact arrays, so a replication can ship its log back from a worker
process; :func:`write_request_log` writes ``requests.csv``.  When the log is
off nothing is kept, and memory does not grow with finished contacts.

Timestamps are written in ISO format on a nominal calendar whose time 0 is
midnight on Monday 1 January 2024 shifted to ``experiment.start_weekday``
(the simulation has no real date), or, for a dated scenario (``dated.file``), on
its real dates from midnight of its first date; ``arrival_h`` gives hours from time 0.  The
calendar has no time zone and no daylight saving, so the timestamps carry no
UTC offset: the calibration reads them as they are (without ``--timezone``).

The same log also gives ``calls.csv``, one row per call *attempt* (a redial is
a new attempt of the same caller), in the ``generic`` call-log format that
``python -m sim.calibrate calls`` reads (:func:`write_call_log`): every
abandoned attempt is recorded when it abandons (:meth:`RequestLog.abandon`),
and each call's last attempt, if it did not abandon, from its row.  A
calibration of that file should give back the parameters that generated it.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np

from sim.config.schema import CHANNELS, URGENCY_CLASSES
from sim.model.residents import KIND_NAMES

TIME_FIELDS = ("t_arrive", "t_answered", "t_handled", "t_dispatched", "t_unit", "t_signed", "t_response",
               "t_closed", "t_rated")
TIME_HEADERS = ("arrival", "answered", "handled", "dispatched", "at_unit", "signed", "responded", "closed",
                "rated")
INT_FIELDS = ("id", "channel", "category", "urgency", "kind", "unit", "attempts", "bounces", "round",
              "visit_attempts", "reports_resolved", "satisfied", "callback")
#: Per contact, the last attempt: when it started and when it left the queue (answered, abandoned, or a
#: callback accepted); and when the first callback attempt started.  ``callback`` (in INT_FIELDS) is 1 when
#: the caller accepted a callback.
ATTEMPT_FIELDS = ("t_attempt", "t_left", "t_cb_first")
#: Abandoned call attempts, one entry each (:meth:`RequestLog.abandoned_columns`).
ABANDONED_FIELDS = ("id", "attempt", "category", "urgency", "t_attempt", "t_left")
#: Columns of ``calls.csv`` (the ``generic`` call-log format).
CALL_LOG_HEADER = ("replication", "call_id", "attempt", "caller_id", "category", "priority", "arrival",
                   "left_queue", "answered", "ended", "outcome")


class RequestLog:
    """Columns of the request log of one replication."""

    def __init__(self) -> None:
        self.cols: Dict[str, List[Any]] = {k: [] for k in (*INT_FIELDS, *TIME_FIELDS, *ATTEMPT_FIELDS, "state")}
        self.abandoned: Dict[str, List[Any]] = {k: [] for k in ABANDONED_FIELDS}
        self._left: Dict[int, float] = {}  # contact id -> when its latest abandoned attempt left the queue

    def abandon(self, c: Any, now: float) -> None:
        """Record that call ``c``'s current attempt abandoned at ``now`` (before any redial)."""
        a = self.abandoned
        a["id"].append(c.id)
        a["attempt"].append(c.attempt)
        a["category"].append(c.category)
        a["urgency"].append(c.urgency)
        a["t_attempt"].append(c.t_attempt)
        a["t_left"].append(now)
        self._left[c.id] = now

    def add(self, c: Any, state: str) -> None:
        """Append contact ``c``, which ended in (or is open in) ``state``."""
        cols = self.cols
        get = getattr
        cols["id"].append(c.id)
        cols["channel"].append(c.channel)
        cols["category"].append(c.category)
        cols["urgency"].append(c.urgency)
        cols["kind"].append(c.kind)
        cols["unit"].append(get(c, "unit", -1) if c.kind == 1 else -1)
        cols["attempts"].append(c.retrials + 1)
        cols["bounces"].append(c.bounces)
        cols["round"].append(get(c, "round", 0) if c.kind == 1 else 0)
        cols["visit_attempts"].append(get(c, "visit_attempts", 0) if c.kind == 1 else 0)
        cols["reports_resolved"].append(int(get(c, "reports_resolved", -1)))
        cols["satisfied"].append(int(get(c, "satisfied", -1)))
        for f in TIME_FIELDS:
            v = get(c, f, None)
            cols[f].append(math.nan if v is None else v)
        cols["callback"].append(int(get(c, "cb", 0) != 0))
        left = self._left.pop(c.id, math.nan)
        answered = get(c, "t_answered", None)
        cols["t_attempt"].append(c.t_attempt)
        if get(c, "cb", 0) != 0:  # the caller left the queue when the callback was accepted
            left = c.t_cb
        elif answered is not None:
            left = answered
        cols["t_left"].append(left)
        cols["t_cb_first"].append(get(c, "t_cb_first", math.nan))
        cols["state"].append(state)

    def columns(self) -> Dict[str, np.ndarray]:
        """The log as arrays, rows sorted by contact id."""
        order = np.argsort(np.asarray(self.cols["id"], dtype=np.int64), kind="stable")
        out: Dict[str, np.ndarray] = {}
        for k, v in self.cols.items():
            if k == "state":
                arr = np.asarray(v, dtype=object)
            elif k in TIME_FIELDS or k in ATTEMPT_FIELDS:
                arr = np.asarray(v, dtype=float)
            else:
                arr = np.asarray(v, dtype=np.int64)
            out[k] = arr[order]
        return out

    def abandoned_columns(self) -> Dict[str, np.ndarray]:
        """The abandoned call attempts as arrays (:data:`ABANDONED_FIELDS`), in the order they abandoned."""
        return {k: np.asarray(v, dtype=float if k.startswith("t_") else np.int64) for k, v in self.abandoned.items()}


def write_request_log(path: Path, logs: Sequence[tuple[int, Dict[str, np.ndarray]]], categories: Sequence[str],
                      unit_names: Sequence[str], unit_types: Sequence[str], start: "int | dt.date") -> int:
    """Write ``requests.csv`` from the logs of several replications; return the number of rows.  ``start``: the
    date of time 0 (a dated scenario), or the weekday of time 0 on the nominal calendar."""
    epoch = epoch_of(start)
    header = ["replication", "contact_id", "channel", "category", "urgency", "kind", "unit", "unit_type",
              "attempts", "bounces", "rounds", "visit_attempts", "arrival_h", *TIME_HEADERS,
              "reports_resolved", "satisfied", "terminal_state", "last_attempt", "left_queue", "callback",
              "callback_first_try"]
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for rep, cols in logs:
            times = [cols[f] for f in TIME_FIELDS]
            for i in range(len(cols["id"])):
                unit = int(cols["unit"][i])
                stamps = [_stamp(epoch, t[i], "milliseconds") for t in times]
                flag = [("" if int(cols[k][i]) < 0 else int(cols[k][i])) for k in ("reports_resolved", "satisfied")]
                w.writerow([rep, int(cols["id"][i]), CHANNELS[int(cols["channel"][i])],
                            categories[int(cols["category"][i])], URGENCY_CLASSES[int(cols["urgency"][i])],
                            KIND_NAMES[int(cols["kind"][i])], unit_names[unit] if unit >= 0 else "",
                            unit_types[unit] if unit >= 0 else "", int(cols["attempts"][i]), int(cols["bounces"][i]),
                            int(cols["round"][i]), int(cols["visit_attempts"][i]),
                            f"{cols['t_arrive'][i] / 3600.0:.6f}", *stamps, *flag, cols["state"][i],
                            _stamp(epoch, cols["t_attempt"][i], "milliseconds"),
                            _stamp(epoch, cols["t_left"][i], "milliseconds"), int(cols["callback"][i]),
                            _stamp(epoch, cols["t_cb_first"][i], "milliseconds")])
                n += 1
    return n


def epoch_of(start: "int | dt.date") -> dt.datetime:
    """Time 0 of the logs: midnight of ``start`` (a date), or of the nominal Monday 1 January 2024 shifted to
    weekday ``start`` (an int)."""
    if isinstance(start, dt.date):
        return dt.datetime.combine(start, dt.time())
    return dt.datetime(2024, 1, 1) + dt.timedelta(days=start)


def _stamp(epoch: dt.datetime, t: float, timespec: str) -> str:
    """``t`` seconds after ``epoch`` in ISO format, or "" for NaN."""
    return "" if math.isnan(t) else (epoch + dt.timedelta(seconds=float(t))).isoformat(timespec=timespec)


def write_call_log(path: Path, logs: Sequence[tuple[int, Dict[str, np.ndarray], Dict[str, np.ndarray]]],
                   categories: Sequence[str], start: "int | dt.date") -> int:
    """Write ``calls.csv``: one row per call attempt, in the ``generic`` call-log format; return the rows.

    Columns (:data:`CALL_LOG_HEADER`): the replication; the call (its contact id) and the attempt
    (1 = first call, 2 = first redial, ...); the caller (the contact id again: a redial is the same
    caller calling again); category; priority (the urgency class); ISO timestamps with milliseconds
    of the attempt's arrival, when it left the queue (answered or abandoned), service start and end;
    and the outcome: ``answered``, ``abandoned``, ``callback`` (the caller accepted a callback and left
    the queue then, ``left_queue``; the callback itself is outbound work: no service columns) or
    ``open`` (still waiting when the run stopped; a call answered but still being served has
    ``answered`` and no end).  Rows of a replication are
    in order of arrival.  ``logs`` holds ``(replication, contact columns, abandoned attempts)``; ``start``
    as in :func:`write_request_log`.
    """
    epoch = epoch_of(start)
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CALL_LOG_HEADER)
        for rep, cols, ab in logs:
            rows: List[tuple] = []
            for i in range(len(ab["id"])):
                rows.append((ab["t_attempt"][i], int(ab["id"][i]), int(ab["attempt"][i]) + 1, int(ab["category"][i]),
                             int(ab["urgency"][i]), ab["t_left"][i], math.nan, math.nan, "abandoned"))
            for i in range(len(cols["id"])):
                state = cols["state"][i]
                if int(cols["channel"][i]) != 0 or state in ("abandoned", "open:awaiting_redial"):
                    continue  # online, or the last attempt abandoned (recorded above)
                answered, handled = cols["t_answered"][i], cols["t_handled"][i]
                outcome = "open" if math.isnan(answered) else "answered"
                if cols["callback"][i]:
                    answered, handled, outcome = math.nan, math.nan, "callback"
                rows.append((cols["t_attempt"][i], int(cols["id"][i]), int(cols["attempts"][i]),
                             int(cols["category"][i]), int(cols["urgency"][i]), cols["t_left"][i], answered,
                             handled, outcome))
            rows.sort(key=lambda r: (r[0], r[1]))
            for t, ident, attempt, cat, urg, left, answered, ended, outcome in rows:
                w.writerow([rep, ident, attempt, ident, categories[cat], URGENCY_CLASSES[urg],
                            _stamp(epoch, t, "milliseconds"), _stamp(epoch, left, "milliseconds"),
                            _stamp(epoch, answered, "milliseconds"), _stamp(epoch, ended, "milliseconds"), outcome])
                n += 1
    return n
