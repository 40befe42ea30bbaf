"""Daily totals: a structural time-series model of the log of each open day's arrivals.

The series is the log of each day's total (plus 1/2, so that a quiet channel's
zero stays finite) on the centre's *open* days only - closed days are not in it,
days without data are missing values the Kalman filter skips - and the model is
an unobserved-components model (Harvey 1989) from statsmodels:

    log(y_t + 1/2) = level_t + x_t' beta + e_t,

with the level a local level, a local linear trend or a random walk with drift
(the candidates, :data:`CANDIDATES`) and ``x_t`` the day's calendar regressors
(:func:`sim.forecast.daytypes.design`: weekday, holiday, working days after a
break, month edges, events).  The regression coefficients are states of the
filter (``mle_regression=False``), so the forecast variance includes their
uncertainty and only the variances are found by maximum likelihood.  A forecast
gives each day's mean and variance of the log total; a regressor the training
days never show (a first holiday) adds nothing, and the forecast says so.  When
the optimiser fails or the history is too short for the model, the forecast falls
back on the mean of the last four same weekdays on the log scale (with the spread
of the log totals around their weekday means as its variance) and says so.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from sim.forecast.daytypes import MAX_AFTER, DayPlan, design

OFFSET = 0.5
#: Training days at most (older days add little to a level model and cost time); with annual harmonics, two years.
MAX_TRAIN_DAYS = 364
MAX_TRAIN_DAYS_ANNUAL = 731


@dataclass(frozen=True)
class Candidate:
    """A daily model: the level's kind (statsmodels' name), the order of an autoregressive day effect, annual
    harmonics."""

    level: str
    ar: int = 0
    annual: bool = False

    @property
    def name(self) -> str:
        """A short description."""
        level = {"fixed intercept": "fixed level"}.get(self.level, self.level)
        return level + (f" + AR({self.ar})" if self.ar else "") + (" + annual harmonics" if self.annual else "")


CANDIDATES = (Candidate("fixed intercept", 1), Candidate("local level", 1), Candidate("local level"))
#: With two years of history or more, annual harmonics are a candidate too.
ANNUAL = Candidate("local level", 1, annual=True)


@dataclass
class DailyForecast:
    """Mean and variance of ``log(total + 1/2)`` of each forecast day, with what the fit found."""

    days: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    effects: Dict[str, float] = field(default_factory=dict)
    unseen: List[str] = field(default_factory=list)
    fallback: str = ""
    params: Optional[np.ndarray] = None

    @property
    def expected(self) -> np.ndarray:
        """Expected totals (lognormal mean), >= 0."""
        return np.maximum(np.exp(self.mean + self.var / 2.0) - OFFSET, 0.0)


def _weekday_mean(y: np.ndarray, wd: np.ndarray, wd_fc: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Mean of the last four same weekdays on the log scale, and the spread of the log totals."""
    ok = ~np.isnan(y)
    mean, resid = [], []
    for w in wd_fc:
        same = y[ok & (wd == w)][-4:]
        mean.append(same.mean() if len(same) else np.nanmean(y[ok][-5:]))
    for w in np.unique(wd[ok]):
        same = y[ok & (wd == w)][-8:]
        resid += list(same - same.mean()) if len(same) > 1 else []
    sd = float(np.std(resid)) if len(resid) > 2 else 0.1
    return np.asarray(mean), np.full(len(wd_fc), (sd * 1.25) ** 2)


def fit_daily(totals: np.ndarray, plan: DayPlan, train_end: int, days: np.ndarray, cand: Candidate,
              start: Optional[np.ndarray] = None) -> DailyForecast:
    """Forecast the log totals of ``days`` from the days before ``train_end``.

    Parameters
    ----------
    totals : ndarray, shape (n_history_days,)
        Each day's arrivals (NaN without data).
    plan : DayPlan
        Kinds of days over the history and the forecast.
    train_end : int
        Index of the first day not used (the forecast origin).
    days : ndarray of int
        The open days to forecast (all >= ``train_end``).
    cand : Candidate
        The model.
    start : ndarray, optional
        Starting values of the maximum-likelihood search (the ``params`` of a fit of the same model at a
        nearby origin: the search then takes a few steps instead of a hundred).
    """
    first = max(0, train_end - (MAX_TRAIN_DAYS_ANNUAL if cand.annual else MAX_TRAIN_DAYS))
    last = int(days.max()) + 1 if len(days) else train_end
    span = np.arange(first, last)
    span = span[~plan.closed[span]]
    train = span[span < train_end]
    y = np.full(len(train), np.nan)
    has = train < len(totals)
    y[has] = np.log(totals[train[has]] + OFFSET)
    X, names = design(plan, span, MAX_AFTER, cand.annual)
    Xt = X[: len(train)]
    ok = ~np.isnan(y)
    keep = np.array([bool(np.any(Xt[ok, j] != 0)) for j in range(X.shape[1])], dtype=bool)
    rows_fc = np.searchsorted(span, days)
    unseen = [n for j, n in enumerate(names) if not keep[j] and np.any(X[rows_fc, j] != 0)]
    X, names = X[:, keep], [n for j, n in enumerate(names) if keep[j]]
    steps = len(span) - len(train)
    out = DailyForecast(days=days, mean=np.zeros(len(days)), var=np.zeros(len(days)), unseen=unseen)
    if int(ok.sum()) >= X.shape[1] + 8:
        try:
            mean, var, effects, out.params = _uc(y, X, names, steps, cand, start)
            out.mean, out.var, out.effects = mean[rows_fc - len(train)], var[rows_fc - len(train)], effects
            if np.all(np.isfinite(out.mean)) and np.all(np.isfinite(out.var)) and np.all(out.var >= 0):
                return out
        except (ValueError, np.linalg.LinAlgError) as exc:
            out.fallback = f"the state-space fit failed ({str(exc).splitlines()[0][:80]})"
    out.fallback = out.fallback or "too few days for the state-space model"
    out.mean, out.var = _weekday_mean(y, plan.weekday[train], plan.weekday[days])
    out.effects = {}
    return out


def _uc(y: np.ndarray, X: np.ndarray, names: List[str], steps: int, cand: Candidate,
        start: Optional[np.ndarray]) -> Tuple[np.ndarray, np.ndarray, Dict[str, float], np.ndarray]:
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = UnobservedComponents(y, level=cand.level, autoregressive=cand.ar or None,
                                     exog=X[: len(y)] if X.shape[1] else None, mle_regression=False)
        if start is not None and len(start) != len(model.start_params):
            start = None
        params = model.fit(start_params=start, disp=False, return_params=True)
        res = model.filter(params, cov_type="none")  # the filter is all a forecast needs (no smoother)
        fc = res.get_forecast(steps, exog=X[len(y):] if X.shape[1] else None) if steps else None
    params = np.asarray(res.params, dtype=float)
    if fc is None:
        return np.zeros(0), np.zeros(0), {}, params
    k = X.shape[1]
    beta = res.filtered_state[-k:, -1] if k else np.zeros(0)
    effects = {n: float(math.exp(b)) for n, b in zip(names, beta)}
    return np.asarray(fc.predicted_mean), np.asarray(fc.var_pred_mean), effects, params
