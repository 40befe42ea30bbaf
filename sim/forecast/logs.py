"""Histories from a call log or a service-request log, read by the calibration's readers.

A log is read through its column mapping exactly as ``python -m sim.calibrate``
reads it (:func:`sim.calibrate.formats.load_format`,
:func:`sim.calibrate.logread.read_calls`, :func:`sim.calibrate.logread.read_requests`),
so a format that calibrates also forecasts.  Then

* a **call log** gives one channel, ``phone``: every call attempt offered to the
  agents counts once at its arrival (redials included: they are demand the centre
  must answer), by category where the log has one;
* a **request log** gives one channel per channel class of the mapping
  (``phone``, ``online``, ``other``, ``unknown``), each request at its creation
  time, by category; requests created by staff (class ``internal``) are not
  residents' demand and are left out, counted in the notes;
* a log of several runs (replications of a simulation) gives their mean per
  interval.

Times are placed on the log's local clock (hours of the day and dates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Tuple

import numpy as np
import yaml

from sim.calibrate.formats import FORMAT_DIR, LogFormat, load_format, shipped_formats
from sim.core.errors import ConfigError
from sim.forecast.history import SLOT_MIN, History, build_history

DAY_S = 86400.0


def format_kind(spec: str) -> str:
    """``calls`` or ``requests``: the kind a mapping declares (``calls`` when it cannot be read: the
    reader then names the problem)."""
    path = FORMAT_DIR / f"{spec}.yaml" if spec in shipped_formats() else Path(spec)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "calls"
    return "requests" if isinstance(data, dict) and data.get("kind") == "requests" else "calls"


def _local(log: Any, times: str) -> np.ndarray:
    """Times on the log's local clock, s from day 0 (the readers' local times where they give them)."""
    return np.asarray(getattr(log, f"{times}_local_s", getattr(log, f"{times}_s")), dtype=float)


def _place(t_s: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    day = np.floor(t_s / DAY_S).astype(np.int64)
    slot = np.floor((t_s - day * DAY_S) / (SLOT_MIN * 60.0)).astype(np.int64)
    return day, np.clip(slot, 0, 47)


def _runs_weight(run: np.ndarray) -> Tuple[np.ndarray, int]:
    n_runs = len(np.unique(run)) if len(run) else 1
    return np.full(len(run), 1.0 / n_runs), n_runs


def _source(info: Any, n_runs: int) -> dict:
    src = dict(info.as_dict())
    src["runs"] = n_runs
    return src


def read_call_history(path: Path, fmt: LogFormat, spec: str) -> History:
    """A call log as a history of one channel, ``phone`` (see the module docstring).

    Raises
    ------
    ConfigError
        The log cannot be used (from :func:`sim.calibrate.logread.read_calls`).
    """
    from sim.calibrate.logread import read_calls

    log = read_calls(path, fmt, spec)
    assert log.info.start_date is not None
    day, slot = _place(_local(log, "arrive"))
    weight, n_runs = _runs_weight(log.run)
    category = log.category if "category" in fmt.columns else None
    hist = build_history(log.info.start_date, day, slot, np.zeros(len(day), dtype=np.int64), ["phone"], weight,
                         category, log.categories)
    hist.source = _source(log.info, n_runs)
    if n_runs > 1:
        hist.notes.append(f"the log holds {n_runs} runs (replications): the history is their mean per half-hour")
    return hist


def read_request_history(path: Path, fmt: LogFormat, spec: str) -> History:
    """A request log as a history per channel class (see the module docstring).

    Raises
    ------
    ConfigError
        The log cannot be used, or no request came from residents.
    """
    from sim.calibrate.logread import read_requests

    log = read_requests(path, fmt, spec)
    assert log.info.start_date is not None
    cls = np.asarray(log.channel_class, dtype=object)[log.channel]
    resident = cls != "internal"
    if not resident.any():
        raise ConfigError("HISTORY", spec, "holds no request from residents (every channel maps to internal)")
    names = [c for c in ("phone", "online", "other", "unknown") if np.any(cls == c)]
    code = np.asarray([names.index(c) if c in names else -1 for c in cls], dtype=np.int64)
    day, slot = _place(_local(log, "created"))
    weight, n_runs = _runs_weight(log.run)
    category = log.category if "category" in fmt.columns else None
    hist = build_history(log.info.start_date, day[resident], slot[resident], code[resident], names, weight[resident],
                         None if category is None else category[resident], log.categories)
    hist.source = _source(log.info, n_runs)
    if (~resident).any():
        hist.notes.append(f"{int((~resident).sum()):,} requests created by staff (internal channels) are not "
                          f"residents' demand: left out")
    return hist


def read_log_history(path: Path, spec: str, format_spec: str) -> History:
    """The history of the log at ``path`` read with the mapping ``format_spec`` (a call or a request log).

    Raises
    ------
    ConfigError
        An unknown format, or a log that cannot be used.
    """
    kind = format_kind(format_spec)
    fmt = load_format(format_spec, kind)
    try:
        hist = read_call_history(path, fmt, spec) if kind == "calls" else read_request_history(path, fmt, spec)
    except ConfigError as exc:
        if exc.key != "LOG":
            raise
        raise ConfigError("HISTORY", exc.value, exc.rule) from None
    hist.source["kind"] = kind
    return hist
