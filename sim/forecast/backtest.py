"""Rolling-origin back-test: errors of a forecast one week ahead, and the naive forecasts beside it.

An *origin* is a day of the history: the forecast uses the days before it and is
scored on the seven days from it.  The origins are the history's last day + 1
minus 1, 2, ... weeks (Tashman 2000, Int. J. Forecasting 16: rolling-origin
evaluation), so each week of the back-test is forecast as the real forecast is,
from the same weekday.  On each week, over the days that hold data:

* **WAPE** - the sum of absolute errors over every half-hour divided by the
  arrivals (weighted absolute percentage error);
* **bias** - (forecast - actual) summed, divided by the arrivals: > 0 over-forecasts;
* **daily WAPE** - the same with each day's total;
* **coverage** - the share of half-hours (those with an expected or an actual
  arrival) whose arrivals fall inside the 80% interval, inclusive;
* **Poisson floor** - the WAPE that Poisson noise alone would leave if the
  forecast's means were the true rates: ``sum E|Y - m| / sum mu`` over the
  half-hours, ``m`` the median of a Poisson variable ``Y`` of mean ``mu`` (the
  point forecast of least expected absolute error), with ``E|Y - m| = mu - m +
  2 (m F(m - 1) - mu F(m - 2))``, ``F`` the Poisson distribution function; no
  forecast of the counts can do better on average, so it tells how much of an
  error is noise.  (The mean absolute deviation about the mean, ``E|Y - mu|``,
  is no floor: at a fraction of an arrival per half-hour it is near twice the
  mean, while forecasting zero leaves the mean.)

The two naive forecasts planners compare against: the **same weekday last
week** (the latest same weekday with data before the origin) and the **mean of
the last four same weekdays** with data.  A day the plan marks closed is forecast
zero by all three.

Model *selection* is nested in the back-test (:func:`choose`): the method scored
on a week is chosen by the back-test weeks before that week only - the daily
model by its daily WAPE, the profile setting by its half-hour WAPE given the
actual daily totals (its own error, apart from the daily model's), each by the
one-standard-error rule - so the reported errors are those of the whole
procedure, choice included, never of the candidate that happened to do best on
the same weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

from sim.forecast.daytypes import DayPlan
from sim.forecast.history import SLOTS

#: Days of history a back-test origin needs before it.
MIN_TRAIN_DAYS = 14
NAIVE = ("last_week", "mean4")


def origins(n_days: int, weeks: int) -> List[int]:
    """The origins ``n_days - 7k`` (k = ``weeks``..1) that leave at least :data:`MIN_TRAIN_DAYS` before them."""
    return [n_days - 7 * k for k in range(weeks, 0, -1) if n_days - 7 * k >= MIN_TRAIN_DAYS]


def naive(counts: np.ndarray, plan: DayPlan, origin: int, days: np.ndarray, kind: str) -> np.ndarray:
    """The naive forecast ``kind`` (``last_week`` or ``mean4``) of ``days`` from the days before ``origin``."""
    total = np.nansum(counts, axis=1)
    out = np.zeros((len(days), SLOTS))
    past = np.arange(origin)
    usable = past[(total[:origin] > 0) & ~np.isnan(counts[:origin, 0]) & ~plan.closed[:origin]]
    for r, d in enumerate(days):
        if plan.closed[d]:
            continue
        same = usable[plan.weekday[usable] == plan.weekday[d]]
        if len(same) == 0:
            same = usable[-1:]
        take = same[-1:] if kind == "last_week" else same[-4:]
        if len(take):
            out[r] = counts[take].mean(axis=0)
    return out


@dataclass
class Score:
    """Sums over the scored half-hours of one or more weeks (add two scores to pool them)."""

    abs_err: float = 0.0
    err: float = 0.0
    actual: float = 0.0
    day_abs_err: float = 0.0
    covered: int = 0
    judged: int = 0
    noise: float = 0.0
    expected: float = 0.0

    def __add__(self, other: "Score") -> "Score":
        return Score(self.abs_err + other.abs_err, self.err + other.err, self.actual + other.actual,
                     self.day_abs_err + other.day_abs_err, self.covered + other.covered, self.judged + other.judged,
                     self.noise + other.noise, self.expected + other.expected)

    @property
    def wape(self) -> float:
        """Half-hour WAPE (NaN without arrivals)."""
        return self.abs_err / self.actual if self.actual > 0 else float("nan")

    def as_dict(self) -> Dict[str, Optional[float]]:
        """JSON-ready: wape, bias, daily_wape, coverage, poisson_floor (None where undefined), arrivals."""
        a = self.actual
        return {"wape": _num(self.wape), "bias": _num(self.err / a if a > 0 else float("nan")),
                "daily_wape": _num(self.day_abs_err / a if a > 0 else float("nan")),
                "coverage": _num(self.covered / self.judged) if self.judged else None,
                "poisson_floor": _num(self.noise / self.expected) if self.expected > 0 else None, "arrivals": float(a)}


def poisson_floor(mu: np.ndarray) -> np.ndarray:
    """``min_c E|Y - c| = E|Y - m|`` of Poisson variables ``Y`` of means ``mu``, ``m`` their median: the least
    expected absolute error of any forecast of ``Y`` (see the module docstring).

    Parameters
    ----------
    mu : ndarray of float
        Means (>= 0), any shape.

    Returns
    -------
    ndarray of float
        Same shape as ``mu``; 0 where ``mu`` is 0.
    """
    from scipy.stats import poisson

    mu = np.asarray(mu, dtype=float)
    m = poisson.median(mu)  # the smallest m with F(m) >= 1/2
    below = m * poisson.cdf(m - 1, mu) - mu * poisson.cdf(m - 2, mu)  # E[(m - Y)+], as k p(k) = mu p(k - 1)
    out = mu - m + 2.0 * below
    return np.where(mu > 0, np.maximum(out, 0.0), 0.0)


def _num(x: float) -> Optional[float]:
    return float(x) if np.isfinite(x) else None


def score(actual: np.ndarray, forecast: np.ndarray, low: Optional[np.ndarray] = None,
          high: Optional[np.ndarray] = None) -> Score:
    """The :class:`Score` of ``forecast`` on the days of ``actual`` that hold data (rows without data: NaN)."""
    ok = ~np.isnan(actual[:, 0])
    y, f = actual[ok], forecast[ok]
    s = Score(abs_err=float(np.abs(y - f).sum()), err=float((f - y).sum()), actual=float(y.sum()),
              day_abs_err=float(np.abs(y.sum(1) - f.sum(1)).sum()))
    if low is not None and high is not None:
        s.noise, s.expected = float(poisson_floor(f).sum()), float(f.sum())
        judged = (y > 0) | (f > 0)
        inside = (y >= low[ok] - 1e-9) & (y <= high[ok] + 1e-9)
        s.covered, s.judged = int((inside & judged).sum()), int(judged.sum())
    return s


def choose(errors: Sequence[Dict[str, Score]], order: Sequence[str], daily: bool = False) -> str:
    """The candidate to use after the back-test weeks ``errors`` (one dict of scores per week).

    The *one-standard-error rule* (Breiman et al. 1984, *Classification and Regression Trees*, 3.4.3;
    Hastie, Tibshirani & Friedman 2009, 7.10): the first candidate of ``order`` (the simplest first) whose
    pooled WAPE - of days' totals with ``daily`` - is within one standard error of the best one's, the
    standard error being that of the mean weekly difference between the two.  Weekly errors are noisy, and
    a candidate a little better on a few weeks is not reliably better.  Without weeks: the first of
    ``order``.
    """
    if not errors:
        return order[0]
    names = [n for n in order if all(n in week for week in errors)]

    def wape(s: Score) -> float:
        x = s.day_abs_err if daily else s.abs_err
        return x / s.actual if s.actual > 0 else np.nan  # a week without arrivals says nothing

    pooled = {n: wape(sum((week[n] for week in errors), Score())) for n in names}
    if not all(np.isfinite(v) for v in pooled.values()):
        return order[0]
    best = min(names, key=lambda n: (pooled[n], names.index(n)))
    weekly = {n: np.array([wape(week[n]) for week in errors]) for n in names}
    for n in names:
        diff = weekly[n] - weekly[best]
        diff = diff[np.isfinite(diff)]
        se = float(np.std(diff, ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
        if pooled[n] - pooled[best] <= se:
            return n
    return best
