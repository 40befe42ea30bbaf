"""Intraday profiles: each day type's shares of the day's arrivals per half-hour, shrunk towards the pooled profile.

The share of half-hour ``h`` on a day of type ``k`` (a weekday, ``holiday`` or
``workday``: :meth:`sim.forecast.daytypes.DayPlan.profile_key`) is estimated as

    p_k = lambda_k * m_k + (1 - lambda_k) * m,    lambda_k = n_k / (n_k + kappa),

where ``m_k`` is the mean of the shares of the past days of type ``k``, each
weighted by ``rho ** (age in weeks)`` (recent weeks count more), ``n_k`` the sum
of those weights, and ``m`` the same mean over every regular day (the pooled
profile).  A type with few days - a holiday seen twice - borrows its shape from
the pooled profile; a weekday seen every week keeps its own.  This is the
shrinkage of the Bayesian and the dimension-reduction forecasts of intraday
call-centre arrivals (Weinberg, Brown & Stroud 2007, JASA 102; Shen & Huang
2008, Ann. Appl. Stat. 2) in its simplest, empirical form; Taylor (2008,
Management Science 54) finds such a profile times a forecast of the daily total
hard to beat beyond a few hours ahead.  The decay ``rho`` and the strength
``kappa`` are chosen among :data:`SETTINGS` by the rolling-origin back-test
(:mod:`sim.forecast.backtest`), never by in-sample fit.

Given the day's total ``D`` and the profile, the arrivals of a half-hour are
negative binomial with mean ``D p_h`` and variance ``mu + phi mu^2``; ``phi``
(the profile's own error beyond Poisson noise) is estimated by moments from
the last weeks of the history, each predicted from the days before it
(:func:`dispersion`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np

from sim.forecast.daytypes import DayPlan
from sim.forecast.history import SLOTS

#: Back-tested profile settings: (weekly decay rho, shrinkage strength kappa in days), the default first.
SETTINGS = ((0.9, 0.5), (0.8, 0.5), (0.97, 0.5), (0.9, 4.0), (0.97, 4.0))
#: Days of history a profile looks back at most.
LOOKBACK_DAYS = 364


@dataclass(frozen=True)
class Profiles:
    """Profiles of each day type at one origin, and the pooled profile."""

    by_type: Dict[str, np.ndarray]
    pooled: np.ndarray

    def of(self, key: str) -> np.ndarray:
        """The profile of day type ``key`` (the pooled one for a type without days)."""
        return self.by_type.get(key, self.pooled)


def shares(counts: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Each day's shares per half-hour and its total (NaN shares on days without arrivals)."""
    total = np.nansum(counts, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = counts / total[:, None]
    s[~(total > 0)] = np.nan
    return s, total


def fit_profiles(share: np.ndarray, plan: DayPlan, train_end: int, keys: List[str], rho: float,
                 kappa: float) -> Profiles:
    """The profiles of the day types ``keys`` from the days before ``train_end`` (see the module docstring)."""
    first = max(0, train_end - LOOKBACK_DAYS)
    idx = np.arange(first, min(train_end, len(share)))
    idx = idx[~np.isnan(share[idx, 0]) & ~plan.closed[idx]]
    if len(idx) == 0:
        flat = np.full(SLOTS, 1.0 / SLOTS)
        return Profiles({}, flat)
    w = rho ** ((train_end - idx) / 7.0)
    day_keys = np.array([plan.profile_key(int(i)) for i in idx])
    regular = np.array([plan.kind(int(i)) == "regular" for i in idx])
    base = regular if regular.any() else np.ones(len(idx), dtype=bool)
    pooled = (share[idx[base]] * w[base, None]).sum(0) / w[base].sum()
    out: Dict[str, np.ndarray] = {}
    for k in set(keys):
        m = day_keys == k
        if not m.any():
            continue
        n = w[m].sum()
        own = (share[idx[m]] * w[m, None]).sum(0) / n
        lam = n / (n + kappa)
        p = lam * own + (1 - lam) * pooled
        out[k] = p / p.sum()
    return Profiles(out, pooled / pooled.sum())


def dispersion(counts: np.ndarray, plan: DayPlan, train_end: int, rho: float, kappa: float,
               weeks: int = 6) -> float:
    """The negative-binomial ``phi`` of half-hour arrivals around ``total x profile`` (method of moments).

    Each of the last ``weeks`` weeks before ``train_end`` is predicted with profiles from the days before it
    and its actual daily totals; ``phi = sum((y - mu)^2 - mu) / sum(mu^2)``, at least 0.
    """
    share, total = shares(counts)
    num = den = 0.0
    for k in range(weeks, 0, -1):
        o = train_end - 7 * k
        if o < 14:
            continue
        days = [i for i in range(o, o + 7) if i < len(total) and total[i] > 0 and not plan.closed[i]]
        if not days:
            continue
        prof = fit_profiles(share, plan, o, [plan.profile_key(i) for i in days], rho, kappa)
        for i in days:
            mu = total[i] * prof.of(plan.profile_key(i))
            y = counts[i]
            num += float(np.sum((y - mu) ** 2 - mu))
            den += float(np.sum(mu ** 2))
    return max(0.0, num / den) if den > 0 else 0.0
