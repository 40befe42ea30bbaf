"""Arrival volumes and profiles from time stamps: per day, per weekday, per hour, and their spread.

Input: the arrival times of first attempts (redials are the model's own loop and
are left out by the caller) on the local clock, in seconds from midnight of the
log's first date, and the run (replication) of each.  The log *covers* each run
from the hour of its first arrival to the end of the hour of its last one; an hour
only partly covered counts in proportion, and with the log's time zone an hour
counts the absolute time it lasts (on a daylight-saving change, the hour the
clocks skipped covers nothing and the hour they repeated covers two).  Then

* the rate of each (weekday, hour) is arrivals / hours covered; a weekday's
  expected volume is the sum of its hourly rates, and ``per_day`` is the mean of
  the observed weekdays' volumes, so the ``day_of_week`` factors average 1 over
  the weekdays seen (a weekday the log never covers gets factor 1 and a note);
* weekdays are grouped into *types*: a weekday joins a type when its hourly
  shares differ from the type's by less than a tolerance in total variation
  (``0.5 sum_h |p_h - q_h|``, default 0.1: a practical difference) or not
  significantly (chi-square test of homogeneity of the counts, p >= 0.01: a log
  too small to tell them apart); when there is more than
  one type the profile has 168 weights (Monday 0:00 first), each weekday with its
  type's shares.  An hour without a single arrival in a type has weight exactly 0
  (a closed hour), never a small one; an hour the log never covers also gets 0,
  with a note;
* ``day_cv`` is the method-of-moments estimate of the CV of a gamma day
  multiplier: for a weekday ``w`` with ``n_w`` whole days, ``sum (N_d - mean_w)^2``
  has expectation ``(n_w - 1)(m_w + cv^2 m_w^2)`` under the model, so
  ``cv^2 = [sum_w sum_d (N_d - mean_w)^2 - sum_w (n_w - 1) mean_w] /
  sum_w (n_w - 1) mean_w^2``, clipped at 0 (it also absorbs any trend over the
  log's weeks: say so when reporting it).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from sim.calibrate.timestamps import local_hour_lengths

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_S, HOUR_S = 86400.0, 3600.0


@dataclass
class ArrivalFit:
    """Fitted arrival process of one channel (see the module docstring)."""

    per_day: float
    day_of_week: List[float]
    per_weekday: Dict[str, float]
    hourly_profile: List[float]          # 24 or 168 weights
    types: List[List[int]]               # weekday groups (0 = Monday)
    type_profiles: List[List[float]]     # hourly shares of each type
    half_hourly_by_type: List[List[float]]  # mean arrivals per half-hour of a day of each type
    day_cv: float
    daily_counts: List[Dict[str, Any]]
    full_days: int
    covered_hours: float
    notes: List[str] = field(default_factory=list)

    def type_names(self) -> List[str]:
        """A name for each weekday type, e.g. ``Mon-Thu+Sun``."""
        return [_name(t) for t in self.types]

    def as_dict(self) -> Dict[str, Any]:
        """JSON-ready summary."""
        return {"per_day": self.per_day, "day_of_week": self.day_of_week, "per_weekday": self.per_weekday,
                "hourly_profile": self.hourly_profile,
                "weekday_types": {n: [WEEKDAYS[d] for d in t] for n, t in zip(self.type_names(), self.types)},
                "type_profiles": dict(zip(self.type_names(), self.type_profiles)), "day_cv": self.day_cv,
                "full_days": self.full_days, "covered_hours": self.covered_hours, "daily_counts": self.daily_counts,
                "notes": self.notes}


def _name(days: List[int]) -> str:
    return "+".join(WEEKDAYS[d] for d in sorted(days, key=lambda d: (d + 1) % 7))


def _coverage(first_s: float, last_s: float, n_days: int) -> np.ndarray:
    """Covered fraction of each (day, hour): from the hour of the first arrival to the end of the last one's."""
    start = math.floor(first_s / HOUR_S) * HOUR_S
    end = (math.floor(last_s / HOUR_S) + 1) * HOUR_S
    lo = np.arange(n_days * 24, dtype=float) * HOUR_S
    cov = np.clip((np.minimum(lo + HOUR_S, end) - np.maximum(lo, start)) / HOUR_S, 0.0, 1.0)
    return cov.reshape(n_days, 24)


def _tv(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(p / p.sum() - q / q.sum()).sum())


def _same(a: np.ndarray, b: np.ndarray, alpha: float = 0.01) -> bool:
    """Whether two hourly count vectors are consistent with one profile (chi-square homogeneity, p >= alpha)."""
    from scipy.stats import chi2_contingency

    keep = (a + b) > 0
    if keep.sum() < 2:
        return True
    return bool(chi2_contingency(np.vstack([a[keep], b[keep]]))[1] >= alpha)


def fit_arrivals(arrive_s: np.ndarray, run: np.ndarray, start_date: dt.date, tolerance: float = 0.1,
                 zone: Optional[dt.tzinfo] = None) -> ArrivalFit:
    """Fit volumes, weekday factors, hourly profiles (by weekday type) and ``day_cv``.

    Parameters
    ----------
    arrive_s : ndarray
        Arrival times on the local clock, in seconds from midnight of ``start_date``.
    run : ndarray of int
        Run (replication) of each arrival; runs are independent copies of the same calendar.
    start_date : datetime.date
        The date of day 0 (its weekday places every day in the week).
    tolerance : float
        Largest total-variation distance between the hourly shares of weekdays of one type.
    zone : tzinfo, optional
        The time zone of the local clock: the hours covered are hours of absolute time
        (:func:`sim.calibrate.timestamps.local_hour_lengths`); None: every hour lasts an hour.
    """
    notes: List[str] = []
    n_days = int(math.floor(float(np.max(arrive_s)) / DAY_S)) + 1
    hour_h = local_hour_lengths(zone, start_date, n_days)
    counts = np.zeros((7, 24))
    cover = np.zeros((7, 24))
    halves = np.zeros((7, 48))
    day_totals: List[tuple[int, int, int, float]] = []  # (run, day, weekday, count) of whole days
    for r in np.unique(run):
        a = arrive_s[run == r]
        cov = _coverage(float(a.min()), float(a.max()), n_days)
        day = (a // DAY_S).astype(int)
        hour = ((a % DAY_S) // HOUR_S).astype(int)
        half = ((a % DAY_S) // 1800.0).astype(int)
        per = np.zeros((n_days, 24))
        np.add.at(per, (day, hour), 1.0)
        per_half = np.zeros((n_days, 48))
        np.add.at(per_half, (day, half), 1.0)
        for d in range(n_days):
            w = (start_date + dt.timedelta(days=d)).weekday()
            counts[w] += per[d]
            cover[w] += cov[d] * hour_h[d]
            halves[w] += per_half[d]
            if np.all(cov[d] >= 1.0):
                day_totals.append((int(r), d, w, float(per[d].sum())))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(cover > 0, counts / np.where(cover > 0, cover, 1.0), 0.0)
    seen = [w for w in range(7) if cover[w].sum() > 0]
    never = [h for h in range(24) if all(cover[w, h] == 0 for w in seen)]
    if never:
        notes.append(f"hours {never[0]}:00-{never[-1] + 1}:00 are never covered by the log: they get weight 0")
    volume = rate.sum(axis=1)
    per_day = float(np.mean(volume[seen]))
    dow = [float(volume[w] / per_day) if w in seen and per_day > 0 else 1.0 for w in range(7)]
    missing = [WEEKDAYS[w] for w in range(7) if w not in seen]
    if missing:
        notes.append(f"weekdays {', '.join(missing)} are not in the log: factor 1 and the main type's profile "
                     f"(not identified)")
    # weekday types, the busiest weekday first
    types: List[List[int]] = []
    for w in sorted(seen, key=lambda w: -volume[w]):
        if volume[w] <= 0:
            continue
        for t in types:
            pooled = counts[t].sum(axis=0) / np.maximum(cover[t].sum(axis=0), 1e-12)
            if _tv(rate[w], pooled) <= tolerance or _same(counts[w], counts[t].sum(axis=0)):
                t.append(w)
                break
        else:
            types.append([w])
    if not types:
        types = [list(range(7))]
    for w in range(7):
        if not any(w in t for t in types):
            types[0].append(w)  # no volume or not covered: the main type's shape
    profiles = []
    for t in types:
        pooled = counts[t].sum(axis=0) / np.maximum(cover[t].sum(axis=0), 1e-12)
        profiles.append(pooled / pooled.sum() if pooled.sum() > 0 else np.full(24, 1 / 24))
    if len(types) == 1:
        hourly = [float(v) for v in profiles[0]]
    else:
        week = np.zeros((7, 24))
        for t, p in zip(types, profiles):
            week[t] = p
        hourly = [float(v) for v in week.ravel()]
    half_means = []
    for t in types:
        n = np.array([cover[w].sum() / 24.0 for w in t]).sum()
        half_means.append([float(v) for v in halves[t].sum(axis=0) / max(n, 1e-12)])
    return ArrivalFit(per_day=per_day, day_of_week=dow, per_weekday={WEEKDAYS[w]: float(volume[w]) for w in seen},
                      hourly_profile=hourly, types=[sorted(t) for t in types],
                      type_profiles=[[float(v) for v in p] for p in profiles], half_hourly_by_type=half_means,
                      day_cv=_day_cv(day_totals, notes), daily_counts=[
                          {"run": r, "date": (start_date + dt.timedelta(days=d)).isoformat(),
                           "weekday": WEEKDAYS[w], "count": c} for r, d, w, c in day_totals],
                      full_days=len(day_totals), covered_hours=float(cover.sum()), notes=notes)


def _day_cv(day_totals: List[tuple[int, int, int, float]], notes: List[str]) -> float:
    """Method-of-moments CV of the gamma day multiplier (module docstring); 0 with a note if not estimable."""
    num = den = 0.0
    for w in range(7):
        n_w = np.array([c for _, _, wd, c in day_totals if wd == w])
        if len(n_w) < 2 or n_w.mean() <= 0:
            continue
        m = float(n_w.mean())
        num += float(np.sum((n_w - m) ** 2)) - (len(n_w) - 1) * m
        den += (len(n_w) - 1) * m * m
    if den <= 0:
        notes.append("day_cv not identified (fewer than two whole days of any weekday): 0")
        return 0.0
    return float(math.sqrt(max(num / den, 0.0)))
