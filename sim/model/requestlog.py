"""The request log: one row per contact with its timeline, for researchers and process mining.

Enabled by ``report.request_log=true``.  A row is appended when a contact
reaches its terminal state, and for every contact still open when the run
stops (its state then reads ``open:<stage>``).  Rows are kept column by column
in compact arrays, so a replication can ship its log back from a worker
process; :func:`write_request_log` writes ``requests.csv``.  When the log is
off nothing is kept, and memory does not grow with finished contacts.

Timestamps are written in ISO format on a nominal calendar whose time 0 is
midnight on Monday 1 January 2024 shifted to ``experiment.start_weekday``
(the simulation has no real date); ``arrival_h`` gives hours from time 0.
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
              "visit_attempts", "reports_resolved", "satisfied")


class RequestLog:
    """Columns of the request log of one replication."""

    def __init__(self) -> None:
        self.cols: Dict[str, List[Any]] = {k: [] for k in (*INT_FIELDS, *TIME_FIELDS, "state")}

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
        cols["state"].append(state)

    def columns(self) -> Dict[str, np.ndarray]:
        """The log as arrays, rows sorted by contact id."""
        order = np.argsort(np.asarray(self.cols["id"], dtype=np.int64), kind="stable")
        out: Dict[str, np.ndarray] = {}
        for k, v in self.cols.items():
            if k == "state":
                arr = np.asarray(v, dtype=object)
            elif k in TIME_FIELDS:
                arr = np.asarray(v, dtype=float)
            else:
                arr = np.asarray(v, dtype=np.int64)
            out[k] = arr[order]
        return out


def write_request_log(path: Path, logs: Sequence[tuple[int, Dict[str, np.ndarray]]], categories: Sequence[str],
                      unit_names: Sequence[str], unit_types: Sequence[str], start_weekday: int) -> int:
    """Write ``requests.csv`` from the logs of several replications; return the number of rows."""
    epoch = dt.datetime(2024, 1, 1) + dt.timedelta(days=start_weekday)
    header = ["replication", "contact_id", "channel", "category", "urgency", "kind", "unit", "unit_type",
              "attempts", "bounces", "rounds", "visit_attempts", "arrival_h", *TIME_HEADERS,
              "reports_resolved", "satisfied", "terminal_state"]
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for rep, cols in logs:
            times = [cols[f] for f in TIME_FIELDS]
            for i in range(len(cols["id"])):
                unit = int(cols["unit"][i])
                stamps = ["" if math.isnan(t[i]) else (epoch + dt.timedelta(seconds=float(t[i]))).isoformat(
                    timespec="seconds") for t in times]
                flag = [("" if int(cols[k][i]) < 0 else int(cols[k][i])) for k in ("reports_resolved", "satisfied")]
                w.writerow([rep, int(cols["id"][i]), CHANNELS[int(cols["channel"][i])],
                            categories[int(cols["category"][i])], URGENCY_CLASSES[int(cols["urgency"][i])],
                            KIND_NAMES[int(cols["kind"][i])], unit_names[unit] if unit >= 0 else "",
                            unit_types[unit] if unit >= 0 else "", int(cols["attempts"][i]), int(cols["bounces"][i]),
                            int(cols["round"][i]), int(cols["visit_attempts"][i]),
                            f"{cols['t_arrive'][i] / 3600.0:.6f}", *stamps, *flag, cols["state"][i]])
                n += 1
    return n
