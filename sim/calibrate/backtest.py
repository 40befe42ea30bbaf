"""The back-test: simulate the calibrated scenario and compare it with the log it came from.

For the days of the main weekday type (the "average weekday": for the bank,
Sunday to Thursday) and each half-hour of the day, :func:`observed` computes
from the log and :func:`simulated` from the replications' interval records

* arrivals: call attempts offered per day (first attempts and redials);
* answered share and abandonment rate: answered and abandoned attempts over the
  attempts that ended (answered + abandoned), by the half-hour of arrival;
* ASA: mean wait of answered attempts; and the mean wait of all ended attempts,
  for the relation of abandonment to waiting: with exponential patience of mean
  ``theta`` the abandonment share is ``E[W] / theta`` (the line through the
  origin of slope ``1 / theta``; Brown et al. 2005 found the
  points of this bank close to such a line).

:func:`compare` gives, per half-hour, the observed value, the simulated mean
and confidence interval (Student t over replications, at the scenario's
``experiment.confidence``; none with one replication) and the error
(simulated - observed), and over the day the volume-weighted mean absolute
error of each series; intervals are clipped to the domain of the matching KPI
(:func:`sim.analysis.kpis.clip_to_domain`: shares in [0, 1], counts and waits
>= 0).  :func:`sensitivity` repeats the whole-day comparison with the staffing
plan multiplied by factors: the log cannot show agents on
duty but idle (more capacity than the plan) nor after-call work (less), so the
report shows how the fit moves with that assumption instead of tuning it.
The simulation goes through :mod:`sim.api`, as any user's would.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from scipy import stats

from sim.analysis.kpis import clip_to_domain
from sim.calibrate.calls import CallCalibration, attempt_waits
from sim.config.schema import Config

SERIES = ("arrivals", "answered_share", "abandon_rate", "asa_s", "mean_wait_s")
#: The KPI of the catalogue whose domain each series has (intervals are clipped to it, like every KPI's).
DOMAIN_OF = {"arrivals": "calls_offered", "answered_share": "answer_rate", "abandon_rate": "abandon_rate",
             "asa_s": "asa_s", "mean_wait_s": "mean_wait_s"}
HALF_S = 1800.0


@dataclass
class Sums:
    """Per half-hour sums (shape (48,) each) over a set of days: attempts offered, answered, abandoned, the waits
    of the answered and of the abandoned attempts, the answered within the threshold; and the days covered."""

    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    wait_answered_s: np.ndarray
    wait_abandoned_s: np.ndarray
    in_threshold: np.ndarray
    days: float

    @classmethod
    def of(cls, arrays: Sequence[np.ndarray], days: float) -> "Sums":
        """The sums ``arrays``, in the order of the fields, covering ``days`` days."""
        return cls(**dict(zip(_ARRAYS, arrays)), days=days)

    @classmethod
    def zero(cls) -> "Sums":
        """No attempts, no days."""
        return cls.of([np.zeros(48) for _ in _ARRAYS], 0.0)

    def _arrays(self) -> List[np.ndarray]:
        return [getattr(self, name) for name in _ARRAYS]

    def __add__(self, o: "Sums") -> "Sums":
        return Sums.of([a + b for a, b in zip(self._arrays(), o._arrays())], self.days + o.days)

    def scaled(self, k: float) -> "Sums":
        """Every sum and the days times ``k`` (``k = 1/n``: the mean of ``n`` replications' sums)."""
        return Sums.of([a * k for a in self._arrays()], self.days * k)

    def series(self) -> Dict[str, np.ndarray]:
        """The :data:`SERIES` per half-hour (NaN where nothing ended)."""
        ended = self.answered + self.abandoned
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"arrivals": self.offered / max(self.days, 1e-12),
                    "answered_share": np.where(ended > 0, self.answered / ended, np.nan),
                    "abandon_rate": np.where(ended > 0, self.abandoned / ended, np.nan),
                    "asa_s": np.where(self.answered > 0, self.wait_answered_s / self.answered, np.nan),
                    "mean_wait_s": np.where(ended > 0, (self.wait_answered_s + self.wait_abandoned_s) / ended, np.nan),
                    "service_level": np.where(ended > 0, self.in_threshold / ended, np.nan)}

    def whole_day(self) -> Dict[str, float]:
        """The :data:`SERIES` over the whole day (arrivals per day)."""
        day = Sums.of([np.array([float(np.sum(a))]) for a in self._arrays()], self.days)
        return {k: float(v[0]) for k, v in day.series().items()}


_ARRAYS = tuple(f.name for f in dataclasses.fields(Sums) if f.name != "days")


def observed(cal: CallCalibration, weekdays: Sequence[int], threshold_s: float) -> Sums:
    """Per half-hour sums of the log over its days whose weekday is in ``weekdays`` (0 = Monday); answered within
    ``threshold_s`` seconds counted apart."""
    log = cal.log
    assert log.info.start_date is not None
    start = log.info.start_date.weekday()
    local = log.arrive_local_s  # days and half-hours of the local clock
    day = (local // 86400.0).astype(int)
    keep = np.isin((start + day) % 7, list(weekdays))
    half = ((local % 86400.0) // HALF_S).astype(int)
    wait = attempt_waits(log)
    def per_half(m: np.ndarray, w: Optional[np.ndarray] = None) -> np.ndarray:
        return np.bincount(half[keep & m], weights=None if w is None else w[keep & m], minlength=48).astype(float)

    answered, abandoned = log.outcome == 0, log.outcome == 1
    n_days = int(day.max()) + 1
    days = sum(1 for d in range(n_days) if (start + d) % 7 in weekdays) * len(log.end_s)
    return Sums(per_half(np.ones(log.n, dtype=bool)), per_half(answered), per_half(abandoned),
                per_half(answered, wait), per_half(abandoned, wait), per_half(answered & (wait <= threshold_s)),
                float(days))


def replication_sums(intervals: Dict[str, np.ndarray], start_weekday: int = 0,
                     weekdays: Sequence[int] = range(7)) -> Sums:
    """A replication's per half-hour sums over its days whose weekday is in ``weekdays`` (its interval records,
    30-minute intervals from midnight; ``start_weekday`` the first day's, 0 = Monday)."""
    n = len(intervals["calls_offered"])
    k = np.arange(n)
    keep = np.isin((start_weekday + k // 48) % 7, list(weekdays))
    half = k % 48

    def per_half(x: np.ndarray) -> np.ndarray:
        return np.bincount(half[keep], weights=np.asarray(x, dtype=float)[keep], minlength=48)

    return Sums(per_half(intervals["calls_offered"] + intervals["retrials"]), per_half(intervals["calls_answered"]),
                per_half(intervals["calls_abandoned"]), per_half(intervals["wait_answered_s"]),
                per_half(intervals["wait_abandoned_s"]), per_half(intervals["answered_in_threshold"]),
                days=float(np.sum(keep)) / 48.0)


def with_factor(cfg: Config, factor: float) -> Config:
    """A copy of ``cfg`` with ``staffing.headcount_factor`` multiplied by ``factor``, validated again."""
    from sim.model.checks import validate

    new = copy.deepcopy(cfg)
    new.staffing.headcount_factor = cfg.staffing.headcount_factor * factor
    validate(new)
    return new


def simulated(cfg: Config, factor: float, weekdays: Sequence[int]) -> List[Sums]:
    """Run the calibrated scenario's configuration ``cfg`` (composed by :func:`sim.api.compose_config`) with
    its staffing x ``factor``; return each replication's per half-hour sums."""
    return simulated_sets(cfg, factor, [weekdays])[0]


def simulated_sets(cfg: Config, factor: float, sets: Sequence[Sequence[int]]) -> List[List[Sums]]:
    """:func:`simulated` for several sets of weekdays, from one run."""
    from sim.api import run

    if cfg.kpi.interval_min != 30:
        raise ValueError("the back-test needs kpi.interval_min=30")
    run_cfg = with_factor(cfg, factor)
    exp = run(run_cfg)
    return [[replication_sums(r.intervals, run_cfg.experiment.start_weekday, w) for r in exp.replications]
            for w in sets]


def _mean_ci(values: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and t interval over axis 0 (NaNs ignored); the bounds are NaN (no interval) where fewer than two
    replications have a value."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a half-hour without calls in every replication: NaN
        mean = np.nanmean(values, axis=0)
        n = np.sum(~np.isnan(values), axis=0)
        sd = np.nanstd(values, axis=0, ddof=1) if values.shape[0] > 1 else np.full_like(mean, np.nan)
    t = stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
    half = np.where(n >= 2, t * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    return mean, mean - half, mean + half


def compare(obs: Sums, sims: List[Sums], confidence: float) -> Dict[str, Any]:
    """Per half-hour and whole-day comparison (module docstring), with ``confidence`` intervals (none with one
    replication); JSON-ready."""
    o = obs.series()
    s = [x.series() for x in sims]
    out: Dict[str, Any] = {"half_hours": [f"{h // 2:02d}:{30 * (h % 2):02d}" for h in range(48)], "series": {},
                           "whole_day": {}, "replications": len(sims), "confidence": confidence}
    weight = obs.offered / max(float(obs.offered.sum()), 1e-12)
    for name in SERIES:
        mean, lo, hi = _mean_ci(np.vstack([x[name] for x in s]), confidence)
        lo, hi = clip_to_domain(DOMAIN_OF[name], lo), clip_to_domain(DOMAIN_OF[name], hi)
        err = mean - o[name]
        ok = ~np.isnan(err)
        mae = float(np.sum(np.abs(err[ok]) * weight[ok]) / max(float(weight[ok].sum()), 1e-12)) if ok.any() else None
        out["series"][name] = {"observed": _list(o[name]), "simulated": _list(mean), "ci_low": _list(lo),
                               "ci_high": _list(hi), "error": _list(err), "weighted_mae": mae}
        day = np.array([x.whole_day()[name] for x in sims])
        dm, dl, dh = _mean_ci(day[:, None], confidence)
        dl, dh = clip_to_domain(DOMAIN_OF[name], dl), clip_to_domain(DOMAIN_OF[name], dh)
        obs_day = obs.whole_day()[name]
        out["whole_day"][name] = {"observed": obs_day, "simulated": float(dm[0]), "ci_low": float(dl[0]),
                                  "ci_high": float(dh[0]), "error": float(dm[0]) - obs_day}
    return out


def sensitivity(obs: Sums, runs: Dict[float, List[Sums]], confidence: float) -> List[Dict[str, Any]]:
    """Whole-day answered share, abandonment and ASA for each staffing factor, against the log (``confidence``
    intervals)."""
    rows = []
    o = obs.whole_day()
    for factor, sims in sorted(runs.items()):
        row: Dict[str, Any] = {"factor": factor}
        for name in ("answered_share", "abandon_rate", "asa_s", "mean_wait_s"):
            day = np.array([x.whole_day()[name] for x in sims])
            m, lo, hi = _mean_ci(day[:, None], confidence)
            lo, hi = clip_to_domain(DOMAIN_OF[name], lo), clip_to_domain(DOMAIN_OF[name], hi)
            row[name] = {"simulated": float(m[0]), "ci_low": float(lo[0]), "ci_high": float(hi[0]),
                         "observed": o[name], "error": float(m[0]) - o[name]}
        rows.append(row)
    return rows


def abandonment_vs_wait(obs: Sums, sims: List[Sums], min_ended: float = 30.0) -> Dict[str, Any]:
    """Points (mean wait, abandonment share) per half-hour with at least ``min_ended`` ended attempts."""
    o = obs.series()
    ended = obs.answered + obs.abandoned
    keep = ended >= min_ended
    s = [x.series() for x in sims]
    sim_w = _mean_ci(np.vstack([x["mean_wait_s"] for x in s]), 0.5)[0]  # the means only
    sim_a = _mean_ci(np.vstack([x["abandon_rate"] for x in s]), 0.5)[0]
    ok = keep & ~np.isnan(sim_w)
    w, a = o["mean_wait_s"][keep], o["abandon_rate"][keep]
    slope = float(np.sum(w * a) / np.sum(w * w)) if len(w) and np.sum(w * w) > 0 else math.nan
    return {"observed": {"mean_wait_s": _list(w), "abandon_rate": _list(a)},
            "simulated": {"mean_wait_s": _list(sim_w[ok]), "abandon_rate": _list(sim_a[ok])},
            "observed_slope_per_s": slope, "implied_mean_patience_s": 1.0 / slope if slope > 0 else None,
            "min_ended": min_ended}


def _list(x: np.ndarray) -> List[Any]:
    return [None if not math.isfinite(float(v)) else float(v) for v in np.asarray(x, dtype=float)]
