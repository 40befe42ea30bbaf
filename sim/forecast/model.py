"""One channel's forecast: the daily total times the day type's profile, with an 80% prediction interval.

The expected arrivals of half-hour ``h`` of an open day are ``E[D] p_h``, with
``E[D]`` the lognormal mean of the daily model's forecast
(:mod:`sim.forecast.daily`) and ``p`` the day type's profile
(:mod:`sim.forecast.profile`).  The interval joins both sources of error: draws
of the day's log total from the daily model's forecast distribution, then of each
half-hour's arrivals, negative binomial (a gamma-mixed Poisson) around ``D p_h``
with the profile's dispersion; the 10th and 90th percentiles of the draws bound
the interval of each half-hour, and of the day's total.  The draws come from a
generator seeded by the channel's name, so the same history gives the same
forecast.  A closed day is zero, its interval [0, 0].  An event the history
never shows takes the factor the special-days file gives it, if any.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np

from sim.forecast.daily import OFFSET, DailyForecast
from sim.forecast.daytypes import DayPlan
from sim.forecast.history import SLOTS
from sim.forecast.profile import Profiles

DRAWS = 4000
LOW, HIGH = 0.1, 0.9


@dataclass
class ChannelForecast:
    """A channel's forecast of the days ``days`` (closed days included), per half-hour and per day."""

    days: np.ndarray
    closed: np.ndarray
    expected: np.ndarray
    low: Optional[np.ndarray] = None
    high: Optional[np.ndarray] = None
    day_low: Optional[np.ndarray] = None
    day_high: Optional[np.ndarray] = None
    log_sd: Optional[np.ndarray] = None

    @property
    def day_expected(self) -> np.ndarray:
        """Expected arrivals of each day."""
        return self.expected.sum(axis=1)


def _log_moments(daily: DailyForecast, plan: DayPlan, factors: Dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of each open forecast day's log total, with the file's factors of unseen events."""
    mean = daily.mean.copy()
    for j, i in enumerate(daily.days):
        e = plan.event[int(i)]
        if e and f"event: {e}" in daily.unseen and e in factors:
            mean[j] += np.log(factors[e])
    return mean, daily.var


def expected_grid(daily: DailyForecast, prof: Profiles, plan: DayPlan, days: np.ndarray,
                  factors: Dict[str, float], share: float = 1.0) -> ChannelForecast:
    """The expected arrivals per half-hour of ``days`` (no interval yet); ``share`` of them for a category."""
    closed = plan.closed[days]
    expected = np.zeros((len(days), SLOTS))
    mean, var = _log_moments(daily, plan, factors)
    total = np.maximum(np.exp(mean + var / 2.0) - OFFSET, 0.0)
    pos = {int(d): j for j, d in enumerate(daily.days)}
    for r, d in enumerate(days):
        if not closed[r]:
            expected[r] = share * total[pos[int(d)]] * prof.of(plan.profile_key(int(d)))
    return ChannelForecast(days=days, closed=closed, expected=expected)


def with_intervals(fc: ChannelForecast, daily: DailyForecast, prof: Profiles, plan: DayPlan, phi: float,
                   factors: Dict[str, float], seed_text: str, share: float = 1.0,
                   draws: int = DRAWS) -> ChannelForecast:
    """Add the 80% intervals (per half-hour and per day) to ``fc`` (see the module docstring); ``share`` of
    the channel's arrivals for a category (each arrival of the channel is of the category with that
    probability); ``draws`` draws per day."""
    rng = np.random.default_rng(zlib.crc32(seed_text.encode("utf-8")))
    n = len(fc.days)
    low, high = np.zeros((n, SLOTS)), np.zeros((n, SLOTS))
    day_low, day_high, log_sd = np.zeros(n), np.zeros(n), np.zeros(n)
    mean, var = _log_moments(daily, plan, factors)
    pos = {int(d): j for j, d in enumerate(daily.days)}
    for r, d in enumerate(fc.days):
        if fc.closed[r]:
            continue
        j = pos[int(d)]
        p = prof.of(plan.profile_key(int(d)))
        sd = float(np.sqrt(var[j]))
        total = np.maximum(np.exp(mean[j] + sd * rng.standard_normal(draws)) - OFFSET, 0.0)
        mu = share * total[:, None] * p[None, :]
        if phi > 0:
            mu = mu * rng.gamma(1.0 / phi, phi, size=mu.shape)
        y = rng.poisson(mu)
        low[r], high[r] = np.quantile(y, [LOW, HIGH], axis=0)
        day_low[r], day_high[r] = np.quantile(y.sum(axis=1), [LOW, HIGH])
        log_sd[r] = sd
    fc.low, fc.high, fc.day_low, fc.day_high, fc.log_sd = low, high, day_low, day_high, log_sd
    return fc
