"""How long a work order holds a case slot, and whether it is on time after waiting for one.

An order signed at ``s`` (only while its unit is at work) is responded to at
``next_open(s + D)`` and closed out at ``next_open(response + R)``, which frees its slot
(:mod:`sim.model.backoffice`): ``D`` is the response delay of its urgency class, ``R`` the
resolution time of its category and class, both elapsed time.  For the unit planner
(:mod:`sim.planning.units_erlang`) this module tabulates, per calendar, class (and category):

* :meth:`UnitTimes.response` and :meth:`UnitTimes.closeout` - ``A(w)``, the probability that an
  order is on time (responded to within ``workorders.response_limit_h`` of its arrival at the
  unit; closed out within ``workorders.closeout_limit_h``) when it waited ``w`` hours *at work* for a
  slot, on a grid of ``w`` from 0 to the limit (beyond it an order is late whatever else happens).
  Around the clock it is a distribution function, ``P(D <= L - w)`` and ``P(D + R <= L - w)``,
  read from the distributions' quantiles (a fine grid: exact for a constant or no delay).
  With a working calendar it depends on the hour of the week in which the order arrives (one
  arriving at night waits for the morning): row by row for the 168 hours, the mean over
  :data:`PER_HOUR` arrival times in the hour of the engine's own rule, where "the next opening after
  ``x`` is by ``T``" is ``x <= last_open(T)`` (:meth:`OpenPeriods.last_open`), so that the response is
  read from the delay's distribution function, and the close-out from the resolution time's,
  averaged over :data:`D_POINTS` quantiles of the delay (256 around the clock).
* :meth:`UnitTimes.holding` - the time from signing to close-out (the slot's holding time): its
  mean, second moment, and the hour-by-hour survival ``integral_l^{l+1} P(H > x) dx`` that the
  offered load of a time-varying arrival rate needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
from scipy.special import ndtr  # the normal distribution function (scipy.stats.norm.cdf), without scipy.stats

from sim.core.calendar import WorkCalendar
from sim.core.distributions import Distribution
from sim.model.compile import Compiled
from sim.planning.units_calendar import OpenPeriods

#: Arrival times per hour of the week (calendars other than around the clock), at the middles of equal parts.
PER_HOUR = 4
#: Quantiles of the response delay over which a close-out is averaged.
D_POINTS = 16
#: Points of the grid of waits (0 to the limit).
W_POINTS = 32
HOUR_S = 3600.0


@dataclass
class OnTime:
    """``A(w)``: the probability of being on time after waiting ``w`` hours at work for a slot.

    Attributes
    ----------
    w_h : ndarray, shape (W,)
        The waits, hours at work, from 0 to the limit.
    a : ndarray, shape (1 or 168, W)
        One row around the clock; a row per hour of the week of arrival otherwise.
    """

    w_h: np.ndarray
    a: np.ndarray


@dataclass
class Holding:
    """A slot's holding time: mean and second moment (hours, hours squared) and hourly survival."""

    mean_h: float
    second_h2: float
    survival: np.ndarray  # integral of P(H > x) over [l, l + 1) hours, l = 0, 1, ...


def _quantiles(dist: Distribution, n: int) -> np.ndarray:
    return np.asarray(dist.ppf((np.arange(n) + 0.5) / n), dtype=float)


class Cdf:
    """The distribution function of a :class:`Distribution`, from its quantiles (no closed form is needed)."""

    def __init__(self, dist: Distribution) -> None:
        self.steps = dist.family in ("constant", "empirical") or dist.variance == 0.0
        if self.steps:  # atoms: count the quantiles at or below x (exact for a constant)
            self.q = np.sort(_quantiles(dist, 20000))
        else:
            self.u = ndtr(np.linspace(-8.0, 8.0, 4001))
            self.q = np.maximum.accumulate(np.asarray(dist.ppf(self.u), dtype=float))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.steps:
            return np.searchsorted(self.q, x, side="right") / len(self.q)
        return np.interp(x, self.q, self.u, left=0.0, right=1.0)


def _arrivals() -> np.ndarray:
    """Arrival times (seconds from the week's start): :data:`PER_HOUR` in each hour of the week, hour by hour."""
    return ((np.arange(168)[:, None] + (np.arange(PER_HOUR)[None, :] + 0.5) / PER_HOUR).ravel()) * HOUR_S


def _survival(h: np.ndarray, weights: np.ndarray, lags: int) -> np.ndarray:
    """``integral_l^{l+1} P(H > x) dx`` for ``l = 0 .. lags - 1`` from weighted samples of ``H`` (hours):
    ``P(H >= l + 1) + E[(H - l) 1{l <= H < l + 1}]``, by whole hours (no sorting)."""
    w = weights / weights.sum()
    whole = np.floor(np.maximum(h, 0.0)).astype(np.int64)
    inside = whole < lags
    counts = np.bincount(whole[inside], weights=w[inside], minlength=lags)[:lags]
    part = np.bincount(whole[inside], weights=(w * (h - whole))[inside], minlength=lags)[:lags]
    beyond = float(w[~inside].sum())
    tail = np.cumsum(counts[::-1])[::-1] + beyond  # P(H >= l)
    return np.append(tail[1:], beyond) + part


class UnitTimes:
    """The on-time functions and holding times of a compiled scenario, computed once per key (module docstring).

    Parameters
    ----------
    sc : Compiled
        The compiled scenario (with units).
    calendars : dict of str to WorkCalendar
        The working calendars by name (:func:`sim.model.derive.calendars`).
    lags : int
        Hours of survival to tabulate for the offered loads.
    """

    def __init__(self, sc: Compiled, calendars: Dict[str, WorkCalendar], lags: int) -> None:
        assert sc.backoffice is not None
        self.bo = sc.backoffice
        self.calendars = calendars
        self.lags = lags
        self._periods: Dict[str, OpenPeriods] = {}
        self._cdf: Dict[Tuple[int, int], Cdf] = {}
        self._cache: Dict[Tuple, object] = {}

    def periods(self, cal: str) -> OpenPeriods:
        """The open periods of calendar ``cal``."""
        if cal not in self._periods:
            self._periods[cal] = OpenPeriods(self.calendars[cal])
        return self._periods[cal]

    def _resolution(self, c: int, k: int) -> Distribution:
        return self.bo.resolution[c][k]

    def _r_cdf(self, c: int, k: int) -> Cdf:
        if (c, k) not in self._cdf:
            self._cdf[(c, k)] = Cdf(self._resolution(c, k))
        return self._cdf[(c, k)]

    def _memo(self, key: Tuple, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def response(self, cal: str, k: int) -> OnTime:
        """``A(w)`` of the response of class ``k`` at a unit of calendar ``cal``."""
        return self._memo(("response", cal, k), lambda: self._on_time(cal, k, None))

    def closeout(self, cal: str, k: int, c: int) -> OnTime:
        """``A(w)`` of the close-out of class ``k``, category ``c`` at a unit of calendar ``cal``."""
        return self._memo(("closeout", cal, k, c), lambda: self._on_time(cal, k, c))

    def _on_time(self, cal: str, k: int, c: Optional[int]) -> OnTime:
        bo = self.bo
        limit_h = float((bo.response_limit_s if c is None else bo.closeout_limit_s)[k]) / HOUR_S
        w_h = np.linspace(0.0, limit_h, W_POINTS)
        delay = bo.response_delay[k]
        op = self.periods(cal)
        if op.always:
            left = limit_h - w_h
            if c is None:
                return OnTime(w_h, Cdf(delay)(left)[None, :])
            d = _quantiles(delay, 256)
            return OnTime(w_h, self._r_cdf(c, k)(left[:, None] - d[None, :]).mean(axis=1)[None, :])
        d = _quantiles(delay, D_POINTS)
        tau = _arrivals()
        due = op.last_open(tau + limit_h * HOUR_S)  # on time when the next opening's wait ends by the limit
        d_cdf = Cdf(delay)
        a = np.empty((168, W_POINTS))
        for i, w in enumerate(w_h):
            signed = op.advance(tau, np.full(tau.shape, w * HOUR_S))
            if c is None:
                ok = d_cdf((due - signed) / HOUR_S)
            else:
                responded = op.next_open(signed[:, None] + d[None, :] * HOUR_S)
                ok = self._r_cdf(c, k)((due[:, None] - responded) / HOUR_S).mean(axis=1)
            a[:, i] = ok.reshape(168, PER_HOUR).mean(axis=1)
        return OnTime(w_h, a)

    def holding(self, cal: str, k: int, c: int, hour_weights: Optional[np.ndarray] = None) -> Holding:
        """The holding time of a slot by an order of class ``k``, category ``c`` at a unit of calendar ``cal``
        (signed as soon as it arrives, in an hour of the week drawn with ``hour_weights``: 168 values)."""
        op = self.periods(cal)
        key = ("holding", cal, k, c, None if op.always or hour_weights is None else hour_weights.tobytes())
        return self._memo(key, lambda: self._holding(op, k, c, hour_weights))

    def _holding(self, op: OpenPeriods, k: int, c: int, hour_weights: Optional[np.ndarray]) -> Holding:
        if op.always:  # the moments exactly; the survival's shape from quantiles, scaled to the exact mean
            dd, rr = self.bo.response_delay[k], self._resolution(c, k)
            h = (_quantiles(dd, 64)[:, None] + _quantiles(rr, 64)[None, :]).ravel()
            survival = _survival(h, np.ones(h.size), self.lags)
            mean = dd.mean + rr.mean
            if survival.sum() > 0:
                survival *= mean / survival.sum()
            return Holding(mean, dd.variance + rr.variance + mean * mean, survival)
        tau = _arrivals()
        d_s = _quantiles(self.bo.response_delay[k], 16) * HOUR_S
        r_s = _quantiles(self._resolution(c, k), 16) * HOUR_S
        signed = op.next_open(tau)
        responded = op.next_open(signed[:, None] + d_s[None, :])  # (arrivals, delays)
        h = ((op.next_open(responded[:, :, None] + r_s[None, None, :]) - signed[:, None, None]) / HOUR_S).ravel()
        hw = np.ones(168) if hour_weights is None or hour_weights.sum() <= 0 else hour_weights
        w = np.repeat(hw, PER_HOUR * d_s.size * r_s.size)
        w = w / w.sum()
        return Holding(float(np.dot(w, h)), float(np.dot(w, h * h)), _survival(h, w, self.lags))
