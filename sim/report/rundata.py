"""The numbers behind a run's figures, read once from the results: per-interval counters, and views of them.

:class:`RunData` stacks every replication's per-interval counters into arrays
(replications x intervals) and keeps the back office's records; it computes
nothing by simulating.  A *view* turns the counters into the points of a figure,
each with a mean and a band:

* :class:`Timeline` - every reporting interval (or bins of a few, for a long
  horizon) with the mean across replications and its Student-t confidence band;
* :class:`Profile` - the average day (or week) by time of day: the counters of
  all days (weeks) of the measurement window pooled, with the 10th-90th
  percentile of the days as the band (how much one day differs from another);
* :class:`Daily` - one point per day with the mean across replications and its
  confidence band.

Every view computes its series from *sums* of counters (:func:`series`), so a
ratio such as the service level of an average day is the ratio of the pooled
counts, never an average of ratios.
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from sim.analysis.kpis import kpis_from_sums
from sim.config.schema import Config
from sim.experiments.runner import ExperimentResult
from sim.model.derive import start_date
from sim.records.backoffice import BackOfficeMeta, BackOfficeRecords
from sim.records.intervals import ReplicationResult
from sim.report.figures.common import mean_band

#: A run whose measurement window is longer than this many days is shown as average profiles and daily series.
LONG_DAYS = 7


@dataclass
class RunData:
    """Everything a run's figures read (built by :meth:`from_experiment`)."""

    cfg: Config
    summary: Mapping[str, Any]
    counters: Dict[str, np.ndarray]  # name -> (replications, intervals); scheduled_s = scheduled operator-seconds
    interval_s: float
    warmup: int  # leading intervals of the warm-up
    handle_s: float  # mean operator time per handled contact, measured in the run (NaN without one)
    backoffice: List[BackOfficeRecords] = field(default_factory=list)  # per replication (empty without units)
    meta: Optional[BackOfficeMeta] = None  # unit names and types, categories (with units)
    warmup_table: Optional[Mapping[str, np.ndarray]] = None  # Welch's table (sim.analysis.warmup.welch_table)
    units: Optional[tuple[List[str], List[List[Any]]]] = None  # header and rows of units.csv
    out_dir: Optional[Path] = None

    @classmethod
    def from_experiment(cls, exp: ExperimentResult, summary: Mapping[str, Any], out_dir: Optional[Path] = None,
                        warmup_table: Optional[Mapping[str, np.ndarray]] = None,
                        units: Optional[tuple[List[str], List[List[Any]]]] = None) -> "RunData":
        """Stack the replications' counters of ``exp``; ``summary`` is the run's ``summary.json`` content,
        ``units`` the header and rows of ``units.csv`` (:func:`sim.report.tables.units_table`)."""
        reps = exp.replications
        names = [k for k in reps[0].intervals if k != "scheduled_operators"]
        counters = {k: np.array([r.intervals[k] for r in reps], dtype=float) for k in names}
        counters["scheduled_s"] = np.array([r.intervals["scheduled_operators"] for r in reps],
                                           dtype=float) * reps[0].interval_s
        inbound = counters["busy_s"].copy()
        if exp.cfg.feedback.mode == "operators":  # return visits made by the front line: not inbound work
            inbound = np.maximum(inbound - counters["outbound_work_s"], 0.0)
        counters["inbound_busy_s"] = inbound
        handled = float(counters["calls_answered"].sum() + counters["online_accepted"].sum())
        handle_s = float(inbound.sum()) / handled if handled > 0 else float("nan")
        bo = [r.backoffice for r in reps if r.backoffice is not None]
        counters.update(routing_counters(reps))
        return cls(exp.cfg, summary, counters, reps[0].interval_s, reps[0].warmup_intervals, handle_s, bo,
                   bo[0].meta if bo else None, warmup_table, units, out_dir)

    @property
    def groups(self) -> List[str]:
        """The operator groups (``routing.groups``) in the records' order; empty without groups."""
        return [k[len("group."):-len(".attempts")] for k in self.counters
                if k.startswith("group.") and k.endswith(".attempts")]

    @property
    def callbacks(self) -> bool:
        """Whether the run recorded callbacks (``routing.callback.enabled``)."""
        return "callback.offered" in self.counters

    @property
    def replications(self) -> int:
        """Number of replications."""
        return int(self.counters["calls_offered"].shape[0])

    @property
    def n(self) -> int:
        """Number of reporting intervals in the horizon."""
        return int(self.counters["calls_offered"].shape[1])

    @property
    def step_h(self) -> float:
        """Length of a reporting interval, hours."""
        return self.interval_s / 3600.0

    @property
    def per_day(self) -> int:
        """Reporting intervals per day."""
        return int(round(86400.0 / self.interval_s))

    @property
    def horizon_h(self) -> float:
        """The horizon, hours."""
        return self.n * self.step_h

    @property
    def warmup_h(self) -> float:
        """The warm-up, hours."""
        return self.warmup * self.step_h

    @property
    def window_days(self) -> float:
        """Length of the measurement window, days."""
        return (self.n - self.warmup) * self.step_h / 24.0

    @property
    def long(self) -> bool:
        """Whether the run is shown as average profiles and daily series (window longer than a week)."""
        return self.window_days > LONG_DAYS + 1e-9

    @property
    def confidence(self) -> float:
        """Confidence level of the intervals."""
        return float(self.cfg.experiment.confidence)

    @functools.cached_property
    def start_date(self) -> Optional[dt.date]:
        """Date of time 0 for a dated scenario (``dated.file``); None for the weekly template."""
        return start_date(self.cfg)

    @property
    def start_weekday(self) -> int:
        """Weekday at time 0 (0 = Monday)."""
        return int(self.cfg.experiment.start_weekday)

    def periods(self, with_drain: bool = False) -> List[tuple[float, float, str, str]]:
        """Periods to shade: ``(start_h, end_h, kind, label)`` for the warm-up, each surge, and the drain."""
        out: List[tuple[float, float, str, str]] = []
        if self.warmup_h > 0:
            out.append((0.0, self.warmup_h, "warmup", "warm-up (not in the KPIs)"))
        for s in self.cfg.arrivals.surges:
            what = f" ({', '.join(s.categories)})" if s.categories else ""
            out.append((s.start_h, s.start_h + s.duration_h, "surge", f"surge {s.name}: x{s.multiplier:g}{what}"))
        if with_drain and self.cfg.experiment.drain_h > 0:
            out.append((self.horizon_h, self.horizon_h + self.cfg.experiment.drain_h, "drain",
                        "drain: no new contacts"))
        return out


def routing_counters(reps: Sequence[ReplicationResult]) -> Dict[str, np.ndarray]:
    """The routing records of every replication as counters (replications x intervals):
    ``group.<g>.<counter>`` per operator group (:data:`sim.records.routing.GROUP_COUNTS` and
    ``GROUP_AREAS``) and ``callback.<counter>`` (``CALLBACK_COUNTS``); none when the run has neither."""
    out: Dict[str, np.ndarray] = {}
    groups = [r.groups for r in reps if r.groups is not None]
    if groups:
        for i, g in enumerate(groups[0].names):
            for k in groups[0].counters():
                out[f"group.{g}.{k}"] = np.array([np.asarray(gr.counters()[k], dtype=float)[i] for gr in groups])
    callbacks = [r.callbacks for r in reps if r.callbacks is not None]
    if callbacks:
        for k in callbacks[0].counters():
            out[f"callback.{k}"] = np.array([np.asarray(cb.counters()[k], dtype=float) for cb in callbacks])
    return out


def routing_series(s: Mapping[str, np.ndarray], window_s: float) -> Dict[str, np.ndarray]:
    """Per-group and callback series from summed routing counters (:func:`routing_counters`), named as the
    KPIs of :mod:`sim.analysis.kpis_routing` (``service_level.<g>``, ``callback_delay_s``...), plus
    ``on_duty.<g>``, the group's operators on duty (time average)."""
    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)

    out: Dict[str, np.ndarray] = {}
    for key in s:
        if key.startswith("group.") and key.endswith(".attempts"):
            g = key[len("group."):-len(".attempts")]
            c = {k: s[f"group.{g}.{k}"] for k in ("attempts", "answered", "answered_in_threshold", "abandoned",
                                                  "wait_answered_s", "busy_s", "staffed_s")}
            out[f"service_level.{g}"] = ratio(c["answered_in_threshold"], c["attempts"])
            out[f"abandon_rate.{g}"] = ratio(c["abandoned"], c["attempts"])
            out[f"asa_s.{g}"] = ratio(c["wait_answered_s"], c["answered"])
            out[f"occupancy.{g}"] = ratio(c["busy_s"], c["staffed_s"])
            out[f"on_duty.{g}"] = np.asarray(c["staffed_s"], dtype=float) / window_s
    if "callback.offered" in s:
        for k in ("offered", "accepted", "completed", "missed_window"):
            out[f"callbacks_{k}"] = np.asarray(s[f"callback.{k}"], dtype=float)
        out["callback_delay_s"] = ratio(s["callback.delay_s"], s["callback.completed"])
    return out


def series(s: Mapping[str, np.ndarray], window_s: float, handle_s: float) -> Dict[str, np.ndarray]:
    """Every plotted series from summed counters ``s`` over windows of ``window_s`` seconds.

    The KPIs of :func:`sim.analysis.kpis.kpis_from_sums`, plus ``attempts`` (call attempts),
    ``busy_operators`` (operators busy with inbound work), ``scheduled_operators``, ``online_waiting``
    (online submissions waiting, time average) and ``offered_load`` in Erlangs: contacts arriving per
    second times ``handle_s``, the mean operator time per handled contact measured in the run; and the
    routing policies' series when the run has them (:func:`routing_series`).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        sums = {**s, "callbacks_completed": s["callback.completed"]} if "callback.completed" in s else s
        out = {k: np.asarray(v, dtype=float) for k, v in kpis_from_sums(sums, window_s).items()}
        out["attempts"] = np.asarray(s["calls_offered"] + s["retrials"], dtype=float)
        out["busy_operators"] = np.asarray(s["inbound_busy_s"], dtype=float) / window_s
        out["scheduled_operators"] = np.asarray(s["scheduled_s"], dtype=float) / window_s
        out["online_waiting"] = np.asarray(s["queue_online_s"], dtype=float) / window_s
        out["offered_load"] = (out["attempts"] + np.asarray(s["online_offered"], dtype=float)) * handle_s / window_s
        out.update(routing_series(s, window_s))
    return out


@dataclass
class Stats:
    """Points of one series: positions ``x`` (hours), the mean, and the band's edges."""

    x: np.ndarray
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


class Timeline:
    """Every reporting interval of the horizon (in bins of ``factor`` intervals when there are too many)."""

    kind = "timeline"

    def __init__(self, rd: RunData, max_points: int = 400) -> None:
        self.rd = rd
        self.factor = int(np.ceil(rd.n / max_points)) if rd.n > max_points else 1
        n = rd.n // self.factor * self.factor
        self.window_s = rd.interval_s * self.factor
        sums = {k: v[:, :n].reshape(v.shape[0], -1, self.factor).sum(axis=2) for k, v in rd.counters.items()}
        self.values = series(sums, self.window_s, rd.handle_s)  # (replications, points)
        self.x = np.arange(n // self.factor) * self.window_s / 3600.0
        self.span = (0.0, n * rd.step_h)

    def stats(self, name: str) -> Stats:
        """Mean across replications and its confidence band."""
        mean, half = mean_band(self.values[name], self.rd.confidence)
        return Stats(self.x, mean, mean - half, mean + half)

    @property
    def per(self) -> str:
        """What a count is per (``"per half-hour"``)."""
        from sim.report.figures.common import nice_units

        return nice_units([self.window_s / 3600.0])


class Profile:
    """The average day (``cycle_days=1``) or week (7) of the measurement window, by time of day.

    The cycle starts at the first midnight after the warm-up; complete cycles only.  The mean pools the
    counters of every cycle (averaged over replications); the band is the 10th-90th percentile of the
    cycles (with fewer than 5 cycles, their range).
    """

    kind = "profile"

    def __init__(self, rd: RunData, cycle_days: int = 1) -> None:
        self.rd = rd
        self.cycle_days = cycle_days
        slots = rd.per_day * cycle_days
        first = int(np.ceil(rd.warmup / rd.per_day)) * rd.per_day
        self.cycles = self.whole_cycles(rd, cycle_days)
        if self.cycles < 1:
            raise ValueError(f"the measurement window holds no whole cycle of {cycle_days} day(s)")
        self.first_weekday = (rd.start_weekday + first // rd.per_day) % 7
        self.first_h = first * rd.step_h
        end = first + self.cycles * slots
        pooled = {k: v[:, first:end].mean(axis=0).reshape(self.cycles, slots) for k, v in rd.counters.items()}
        self.each = series(pooled, rd.interval_s, rd.handle_s)  # (cycles, slots)
        self.mean = series({k: v.mean(axis=0) for k, v in pooled.items()}, rd.interval_s, rd.handle_s)
        self.x = np.arange(slots) * rd.step_h
        self.span = (0.0, slots * rd.step_h)
        self.per = "per half-hour" if abs(rd.step_h - 0.5) < 1e-9 else f"per {rd.step_h * 60:g} min"

    @staticmethod
    def whole_cycles(rd: RunData, cycle_days: int = 1) -> int:
        """The complete cycles of ``cycle_days`` days from the first midnight after the warm-up."""
        first = int(np.ceil(rd.warmup / rd.per_day)) * rd.per_day
        return max(0, (rd.n - first) // (rd.per_day * cycle_days))

    def stats(self, name: str) -> Stats:
        """Pooled mean and the spread of the cycles."""
        vals = self.each[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if self.cycles >= 5:
                lo, hi = np.nanpercentile(vals, [10, 90], axis=0)
            else:
                lo, hi = np.nanmin(vals, axis=0), np.nanmax(vals, axis=0)
        return Stats(self.x, self.mean[name], lo, hi)

    @property
    def band_label(self) -> str:
        """What the band shows."""
        what = "days" if self.cycle_days == 1 else "weeks"
        return f"10th-90th percentile of {what}" if self.cycles >= 5 else f"range of {self.cycles} {what}"


class Daily:
    """One point per day of the horizon: the mean across replications and its confidence band."""

    kind = "daily"

    def __init__(self, rd: RunData) -> None:
        self.rd = rd
        days = rd.n // rd.per_day
        sums = {k: v[:, :days * rd.per_day].reshape(v.shape[0], days, rd.per_day).sum(axis=2)
                for k, v in rd.counters.items()}
        self.values = series(sums, 86400.0, rd.handle_s)
        self.x = np.arange(days) * 24.0
        self.span = (0.0, days * 24.0)
        self.per = "per day"

    def stats(self, name: str) -> Stats:
        """Mean across replications and its confidence band."""
        mean, half = mean_band(self.values[name], self.rd.confidence)
        return Stats(self.x, mean, mean - half, mean + half)
