"""Numerically safe building blocks of :mod:`sim.analysis.theory`, for every valid input.

The queueing formulas are simple sums over the states of a birth-death chain,
but a naive evaluation fails at the edges of their domain: a recursion over
``c`` agents hangs for a billion agents, a chain truncated from state 0 needs
billions of states when callers are almost infinitely patient in an overloaded
queue.  The functions here evaluate the same quantities with bounded work and
memory:

* :func:`chain_window` - the stationary law of the M/M/c+M (or M/M/c) chain on
  the window of states that carries all but a relative ``tol`` of the mass.
  The law is log-concave (the birth/death ratio falls with ``n``), so the window
  is found around the mode by bisection on closed-form log-weights, then filled
  by cumulative sums of log-ratios from its first state (accurate for any ``c``).
  A window of more than :data:`MAX_STATES` states raises ``ValueError``.
* :func:`erlang_b_large` - Erlang B for many agents: the truncated-Poisson ratio
  ``pmf(c) / cdf(c)`` with Loader's saddle-point Poisson probabilities when
  ``c >= R``, and the series ``1/B = sum_k prod_{i<k} (c - i)/R`` in blocks when
  ``c < R`` (about ``9 sqrt(c)`` terms at worst).
* :func:`harmonic` - ``sum_{i=1..m} 1/(a + i theta)`` for any ``m``, via the
  digamma function with an asymptotic form that avoids cancellation.

Sources: C. Loader, "Fast and accurate computation of binomial probabilities"
(2000) for ``stirlerr`` and ``bd0``; the Erlang B series is the inverse of the
truncated Poisson tail (e.g. Jagerman 1974).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from scipy import special

#: Most states of a birth-death window held at once (a few arrays of this size: about 0.2 GB at most).
MAX_STATES = 2**21
#: Largest headcount the formulas accept (states and agents must stay exact in float64).
MAX_AGENTS = 10**12
_LOG_2PI = math.log(2.0 * math.pi)
_BLOCK = 2**18


def _stirlerr(n: float) -> float:
    """``log(n!) - log(sqrt(2 pi n) (n/e)^n)`` (Loader), ``n >= 1``."""
    if n <= 15.0:
        return float(special.gammaln(n + 1.0)) - (n + 0.5) * math.log(n) + n - 0.5 * _LOG_2PI
    nn = n * n
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * nn)) / nn) / nn) / nn) / n


def _bd0(x: float, m: float) -> float:
    """``x log(x/m) + m - x`` without cancellation (Loader)."""
    if abs(x - m) < 0.1 * (x + m):
        v = (x - m) / (x + m)
        s = (x - m) * v
        ej, v2 = 2.0 * x * v, v * v
        for j in range(1, 1000):
            ej *= v2
            s1 = s + ej / (2 * j + 1)
            if s1 == s:
                return s1
            s = s1
    return x * math.log(x / m) + m - x


def log_poisson_pmf(n: int, mean: float) -> float:
    """``log P(N = n)`` for ``N ~ Poisson(mean)``, accurate for huge ``n`` and ``mean`` (``n >= 1``, ``mean > 0``)."""
    return -_stirlerr(float(n)) - _bd0(float(n), mean) - 0.5 * (_LOG_2PI + math.log(n))


def erlang_b_large(c: int, r: float) -> float:
    """Erlang B blocking probability ``B(c, R)`` for ``c >= 1`` and ``R > 0`` in bounded time.

    ``c >= R``: ``B = pmf(c) / cdf(c)`` of Poisson(R) (the cdf is at least about 1/2).
    ``c < R``: ``1/B = sum_{k=0..c} t_k`` with ``t_0 = 1``, ``t_{k+1} = t_k (c - k)/R``,
    decreasing terms summed in blocks until the rest is below ``e^-45`` of the sum.
    """
    if c >= r:
        return math.exp(log_poisson_pmf(c, r)) / float(special.pdtr(c, r))
    total, log_t, k = 0.0, 0.0, 0
    while k <= c:
        i = np.arange(k, min(k + _BLOCK, c + 1), dtype=float)
        with np.errstate(divide="ignore"):
            steps = np.log((c - i) / r)  # log(t_{i+1} / t_i)
        logs = log_t + np.concatenate(([0.0], np.cumsum(steps[:-1])))
        total += float(np.exp(logs).sum())
        log_t = float(logs[-1] + steps[-1])
        k += i.size
        if log_t < math.log(total) - 45.0:
            break
    return 1.0 / total


def harmonic(a: float, theta: float, m: int) -> float:
    """``sum_{i=1..m} 1 / (a + i theta)`` for ``a > 0``, ``theta > 0``, any ``m >= 0``.

    Direct for ``m <= 2^20``; otherwise ``(psi(y + m) - psi(y)) / theta`` with ``y = a/theta + 1``,
    using the asymptotic series of ``psi`` when ``y >= 1000`` (where the two values nearly cancel).
    """
    if m <= 0:
        return 0.0
    if m <= 2**20:
        return float(np.sum(1.0 / (a + theta * np.arange(1, m + 1, dtype=float))))
    y1 = a / theta + 1.0
    y2 = y1 + m
    if y1 < 1000.0:
        return float(special.digamma(y2) - special.digamma(y1)) / theta

    def tail(y: float) -> float:  # psi(y) - log(y), asymptotic
        z = 1.0 / (y * y)
        return -0.5 / y - z * (1 / 12 - z * (1 / 120 - z / 252))

    return (math.log1p(m / y1) + tail(y2) - tail(y1)) / theta


def _search(pred: Callable[[int], bool], start: int, direction: int, stop: int) -> int:
    """First ``n`` from ``start`` in ``direction`` (+1/-1) with ``pred(n)`` true (``stop`` if none before it).

    ``pred`` must be monotone along the direction (false ... false, true ... true); ``pred(stop)`` is
    taken as true.
    """
    if pred(start):
        return start
    good, step = start, 1
    while True:  # gallop until (good, bad] brackets the answer
        bad = start + direction * step
        if (bad - stop) * direction >= 0:
            bad = stop
            break
        if pred(bad):
            break
        good, step = bad, step * 2
    while abs(bad - good) > 1:
        mid = (good + bad) // 2
        if pred(mid):
            bad = mid
        else:
            good = mid
    return bad


def queue_window(lam: float, a: float, theta: float, tol: float,
                 from_zero: bool = False) -> tuple[int, float, np.ndarray]:
    """The queue part of the M/M/c+M chain, on the window of queue lengths that carries its mass.

    With ``a = c mu``, the weight of ``j`` callers waiting relative to the state with none is
    ``v_j = prod_{i=1..j} lam / (a + i theta)`` (``(lam/a)^j`` when ``theta = 0``, which needs
    ``lam < a``).  The sequence is log-concave with its mode at ``max(0, floor((lam - a)/theta))``;
    the window runs from the mode outwards until the geometric bound on the rest falls below
    ``tol`` times the largest weight, found by galloping and bisection on closed-form log-weights.

    Parameters
    ----------
    lam, a, theta : float
        Arrival rate (> 0), total service rate ``c mu`` (> 0), abandonment rate (>= 0).
    tol : float
        Relative truncation tolerance.
    from_zero : bool
        Start the window at ``j = 0``.

    Returns
    -------
    j0 : int
        First queue length of the window.
    log_scale : float
        ``log v`` of the window's largest weight.
    log_w : ndarray
        ``log(v_{j0+i}) - log_scale`` (at most 0).

    Raises
    ------
    ValueError
        If the window would hold more than :data:`MAX_STATES` lengths, or its mode lies
        beyond 2^53 (a mean patience of ages in an overloaded queue).
    """
    x = a / theta if theta > 0 else 0.0
    g0 = float(special.gammaln(x + 1.0)) if theta > 0 else 0.0
    log_q = math.log(lam / theta) if theta > 0 else math.log(lam / a)
    mode_f = (lam - a) / theta if a < lam else 0.0
    if not mode_f < 2.0**53 - MAX_STATES:
        raise ValueError(f"the M/M/c+M queue's most likely length is about {mode_f:.3g} callers "
                         f"(lam={lam}, c*mu={a}, theta={theta}): beyond what the exact solution can hold")
    mode = math.floor(mode_f)

    def lv(j: int) -> float:  # closed form, accurate enough to locate the window
        return j * log_q if theta == 0.0 else j * log_q + g0 - float(special.gammaln(x + j + 1.0))

    def log_r(j: int) -> float:  # log v_{j+1} / v_j
        return math.log(lam) - math.log(a + (j + 1) * theta)

    log_cut = lv(mode) + math.log(tol)

    def upper_done(j: int) -> bool:  # the lengths beyond j are negligible
        lr = log_r(j)
        return lr < 0.0 and lv(j) + lr - math.log(-math.expm1(lr)) < log_cut

    def lower_done(j: int) -> bool:  # the lengths below j are negligible
        if j == 0:
            return True
        ls = -log_r(j - 1)
        return ls < 0.0 and lv(j) + ls - math.log(-math.expm1(ls)) < log_cut

    hi = _search(upper_done, mode, +1, 2**53)
    lo = 0 if from_zero else _search(lower_done, mode, -1, 0)
    size = hi - lo + 1
    if size > MAX_STATES:
        raise ValueError(f"the M/M/c+M queue length spreads over about {size:.3g} values (more than {MAX_STATES}) "
                         f"for lam={lam}, c*mu={a}, theta={theta}: too many for the exact solution (a very long "
                         f"mean patience 1/theta with a load near or above c)")
    j = np.arange(lo + 1, hi + 1, dtype=float)
    lws = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(a + j * theta))))  # log v_j - log v_lo
    peak = float(lws.max())
    return lo, (lv(lo) if lo > 0 else 0.0) + peak, lws - peak
