"""Offered load of a time-varying queue, per interval: SIPP, lagged and the modified offered load.

A staffing interval ``[u, v)`` of a queue whose arrival rate changes in time needs the load it
must serve.  Three rules, for a piecewise-constant arrival rate (pieces ``[a_i, b_i)`` of rate
``r_i`` per second) and a handle time ``S``:

* ``sipp`` - stationary independent period by period: the interval's mean arrival rate times
  ``E[S]``, the textbook method (Green, Kolesar & Soares 2001 show that it misses the target in
  many periods when handle times are not short against the period: the calls in service lag the
  arrival rate, so it under-staffs where the rate has just fallen - after a peak - and, within
  an interval, the late part of a steep rise);
* ``lagged`` - the same with the rate shifted back by one mean handle time, the mean of
  ``lambda(t - E[S])`` over the interval times ``E[S]`` (Green, Kolesar & Soares 2001);
* ``modified`` - the mean number of busy servers of the infinite-server model M_t/G/infinity,
  ``m(t) = E[lambda(t - S_e)] E[S] = integral_0^inf lambda(t - s) P(S > s) ds`` (Jennings,
  Mandelbaum, Massey & Whitt 1996, "Server staffing to meet time-varying demand", Management
  Science 42), averaged over the interval.  For pieces it is exact:
  ``m(t) = sum_i r_i [G(t - a_i) - G(t - b_i)]`` with ``G(x) = E[min(S, x)]``, and its integral
  uses ``H(x) = integral_0^x G = x G(x) - E[min(S, x)^2] / 2``, both from
  :meth:`sim.core.distributions.Distribution.limited_moment`.

Why the average over the interval and not the maximum: a plan holds one headcount through the
interval, and the service level a target is set on is an average over the interval's calls; the
average load keeps the operator-hours matched to the work, where the maximum would staff every
rising interval for its last instant (Green, Kolesar & Soares' "max" variants over-staff by the
rise within the interval).  Within an interval the modified load varies far less than the
arrival rate (it is the arrival rate smoothed over a handle time), which is what makes its
average a good summary; the simulation-based policy corrects what remains.

All functions are pure: arrays in, arrays out; times in seconds.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from sim.core.distributions import Distribution, constant

METHODS: tuple[str, ...] = ("sipp", "lagged", "modified")
#: Interval bounds evaluated at once (memory: ``CHUNK x P`` values for ``P`` pieces of the rate).
CHUNK = 256


def _cumulative(starts: np.ndarray, ends: np.ndarray, rates: np.ndarray, x: np.ndarray,
                chunk: int = CHUNK) -> np.ndarray:
    """``Lambda(x) = integral_{-inf}^x lambda``: expected arrivals up to each ``x`` (shape ``(K,)``), ``chunk``
    values of ``x`` at a time (memory: ``chunk x P`` values, where all at once took ``K x P``: 1.2 GB for a
    year of half-hours against a year of hours)."""
    out = np.empty(x.size)
    for i in range(0, x.size, chunk):
        out[i:i + chunk] = np.clip(x[i:i + chunk, None] - starts, 0.0, ends - starts) @ rates
    return out


def grid_step(*times: np.ndarray, most: int) -> Optional[float]:
    """The largest step (s) of which every time given is a whole multiple, when they all are whole seconds and
    span at most ``most`` steps; else None.  On such a grid every difference of two of them is a whole number of
    steps, exactly (integers below 2**53 are exact in floating point)."""
    every = np.concatenate([np.asarray(t, dtype=float).ravel() for t in times])
    if every.size == 0 or not np.all(np.isfinite(every)) or np.max(np.abs(every)) >= 2.0 ** 52 \
            or not np.array_equal(every, np.round(every)):
        return None
    step = int(np.gcd.reduce(np.abs(every.astype(np.int64))))
    if step <= 0 or (np.max(every) - np.min(every)) / step > most:
        return None
    return float(step)


def mean_rate(starts: np.ndarray, ends: np.ndarray, rates: np.ndarray, edges: np.ndarray,
              shift_s: float = 0.0) -> np.ndarray:
    """Mean arrival rate over each interval ``[edges[k] - shift_s, edges[k+1] - shift_s)``.

    Parameters
    ----------
    starts, ends, rates : ndarray, shape (P,)
        Pieces of a piecewise-constant rate (per second); zero outside them.
    edges : ndarray, shape (K + 1,)
        Interval bounds, seconds, increasing.
    shift_s : float
        Shift back in time (the lagged rule's mean handle time).

    Returns
    -------
    ndarray, shape (K,)
        Per second.
    """
    e = np.asarray(edges, dtype=float) - shift_s
    cum = _cumulative(np.asarray(starts, float), np.asarray(ends, float), np.asarray(rates, float), e)
    return np.diff(cum) / np.diff(e)


def _h(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """``H(x) = integral_0^x E[min(S, y)] dy = x G(x) - E[min(S, x)^2] / 2`` (0 for ``x <= 0``)."""
    xp = np.maximum(x, 0.0)
    return xp * dist.limited_moment(xp, 1) - 0.5 * dist.limited_moment(xp, 2)


def infinite_server_load(starts: np.ndarray, ends: np.ndarray, rates: np.ndarray, dist: Distribution,
                         edges: np.ndarray, chunk: int = CHUNK) -> np.ndarray:
    """Mean over each interval of ``m(t)``, the mean number busy in M_t/G/infinity, exactly.

    Parameters
    ----------
    starts, ends, rates : ndarray, shape (P,)
        Pieces of the arrival rate (per second); zero outside them (so ``m`` counts only arrivals in
        the pieces: give the pieces from early enough for the handle times to matter no more).
    dist : Distribution
        Handle time ``S``, seconds.
    edges : ndarray, shape (K + 1,)
        Interval bounds, seconds.
    chunk : int
        Interval bounds evaluated at once (memory: ``chunk x P`` values).

    Returns
    -------
    ndarray, shape (K,)
        Erlang: ``(1 / (v - u)) integral_u^v m(t) dt`` with
        ``integral_u^v m = sum_i r_i [H(v - a_i) - H(u - a_i) - H(v - b_i) + H(u - b_i)]``.

    Notes
    -----
    ``H`` is needed at every difference of an interval bound and a piece's start or end: ``K x P`` values
    (a year of half-hours against a year of hourly pieces: 300 million, 20 s of transcendental functions per
    kind of call).  When the bounds and the pieces lie on a grid of whole seconds (the hours of a profile, the
    half-hours of the intervals: :func:`grid_step`), every difference is a whole number of grid steps, so
    ``H`` is computed once per step (thousands of values) and the matrix is gathered from them: the same
    values, summed in the same order, so the same loads to the last bit.
    """
    a, b, r = (np.asarray(z, dtype=float) for z in (starts, ends, rates))
    keep = r > 0
    a, b, r = a[keep], b[keep], r[keep]
    e = np.asarray(edges, dtype=float)
    area = np.zeros(e.size)
    if not r.size:
        return np.diff(area) / np.diff(e)
    step = grid_step(a, b, e, most=4 * (e.size + a.size) + 4096)
    if step is None:
        for i in range(0, e.size, chunk):
            x = e[i:i + chunk, None]
            area[i:i + chunk] = (_h(dist, x - a) - _h(dist, x - b)) @ r
        return np.diff(area) / np.diff(e)
    ia, ib, ie = (np.rint(z / step).astype(np.int64) for z in (a, b, e))
    low = int(min(ia.min(), ib.min()))
    h = _h(dist, np.arange(int(ie.max()) - low + 1) * step)  # H at 0, 1, 2, ... steps; 0 below
    for i in range(0, e.size, chunk):
        x = ie[i:i + chunk, None]
        area[i:i + chunk] = (h[np.maximum(x - ia, 0)] - h[np.maximum(x - ib, 0)]) @ r
    return np.diff(area) / np.diff(e)


def interval_load(method: str, starts: np.ndarray, ends: np.ndarray, rates: np.ndarray, dist: Distribution,
                  edges: np.ndarray) -> np.ndarray:
    """Offered load (Erlang) of one kind of work in each interval, by ``method`` (see the module).

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`METHODS`.
    """
    if method == "sipp":
        return mean_rate(starts, ends, rates, edges) * dist.mean
    if method == "lagged":
        return mean_rate(starts, ends, rates, edges, shift_s=dist.mean) * dist.mean
    if method == "modified":
        return infinite_server_load(starts, ends, rates, dist, edges)
    raise ValueError(f"unknown offered-load method {method!r}; use one of {', '.join(METHODS)}")


def deferred_load(starts: np.ndarray, ends: np.ndarray, rates: np.ndarray, work_s: float, deadline_s: float,
                  edges: np.ndarray) -> np.ndarray:
    """Load of deferrable work spread evenly over its deadline, per interval (Erlang).

    An item arriving at ``s`` brings ``work_s`` seconds of work that may be done anywhere in
    ``[s, s + deadline_s]``; spreading it evenly there gives the load
    ``work_s / deadline_s x (Lambda(t) - Lambda(t - deadline_s))``, which is the infinite-server
    load with a constant "handle time" equal to the deadline, scaled by ``work_s / deadline_s``.
    """
    if deadline_s <= 0:
        return mean_rate(starts, ends, rates, edges) * work_s
    spread = constant(deadline_s)  # computed from online.deadline_h (bounded by its ceiling): not a setting
    return infinite_server_load(starts, ends, rates, spread, edges) * (work_s / deadline_s)
