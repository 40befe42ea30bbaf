"""Limited moments of the distribution families: ``E[min(S, x)^n]`` for ``n = 1, 2``, exactly.

The infinite-server model of a time-varying queue needs them.  With a piecewise-constant
arrival rate, the mean number of customers in an M_t/G/infinity system at time ``t`` is

    m(t) = integral_0^inf lambda(t - s) P(S > s) ds = sum_i r_i [G(t - a_i) - G(t - b_i)],

summed over the pieces ``[a_i, b_i)`` of rate ``r_i``, where ``G(x) = integral_0^x P(S > s) ds =
E[min(S, x)]`` (and ``G(x) = 0`` for ``x <= 0``); its average over an interval needs the integral
of ``G``, ``H(x) = integral_0^x G(y) dy = x G(x) - E[min(S, x)^2] / 2``
(:func:`sim.analysis.offered_load`).  Each function below returns
``limited(x, n) = E[min(S, x)^n]`` for an array ``x`` (values ``x <= 0`` give 0) from the family's
closed form, ``E[S^n; S < x] + x^n P(S >= x)``:

* exponential (mean ``m``): ``m (1 - e^{-x/m})`` and ``2m^2 - 2m(x + m) e^{-x/m}``;
* lognormal ``(mu, sigma)``: ``E[S^n; S < x] = e^{n mu + n^2 sigma^2/2} Phi((ln x - mu - n sigma^2)/sigma)``;
* gamma ``(k, theta)``: ``E[S^n; S < x] = theta^n Gamma(k + n)/Gamma(k) P(k + n, x/theta)``;
* weibull ``(k, lambda)``: ``E[S^n; S < x] = lambda^n Gamma(1 + n/k) P(1 + n/k, (x/lambda)^k)``;
* uniform, constant and empirical: directly.

(``P`` is the regularised lower incomplete gamma function, ``Phi`` the normal CDF.)
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from scipy import special

Limited = Callable[[np.ndarray, int], np.ndarray]


def _clip(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def exponential(m: float) -> Limited:
    """``E[min(S, x)^n]`` of the exponential distribution of mean ``m``."""

    def f(x: np.ndarray, n: int) -> np.ndarray:
        x = _clip(x)
        e = np.exp(-x / m)
        return m * (1.0 - e) if n == 1 else 2.0 * m * m - 2.0 * m * (x + m) * e

    return f


def lognormal(mu: float, sigma: float) -> Limited:
    """``E[min(S, x)^n]`` of the lognormal distribution with log-mean ``mu`` and log-sd ``sigma > 0``."""

    def f(x: np.ndarray, n: int) -> np.ndarray:
        x = _clip(x)
        with np.errstate(divide="ignore"):
            z = (np.log(x) - mu) / sigma  # -inf at x = 0
        below = math.exp(n * mu + n * n * sigma * sigma / 2) * special.ndtr(z - n * sigma)
        return below + np.power(x, n) * special.ndtr(-z)

    return f


def gamma(k: float, theta: float) -> Limited:
    """``E[min(S, x)^n]`` of the gamma distribution with shape ``k`` and scale ``theta``."""

    def f(x: np.ndarray, n: int) -> np.ndarray:
        y = _clip(x) / theta
        moment = theta ** n * math.exp(special.gammaln(k + n) - special.gammaln(k))
        return moment * special.gammainc(k + n, y) + np.power(y * theta, n) * special.gammaincc(k, y)

    return f


def weibull(k: float, lam: float) -> Limited:
    """``E[min(S, x)^n]`` of the Weibull distribution with shape ``k`` and scale ``lam``."""

    def f(x: np.ndarray, n: int) -> np.ndarray:
        x = _clip(x)
        y = np.power(x / lam, k)
        a = 1.0 + n / k
        return lam ** n * special.gamma(a) * special.gammainc(a, y) + np.power(x, n) * np.exp(-y)

    return f


def uniform(lo: float, hi: float) -> Limited:
    """``E[min(S, x)^n]`` of the uniform distribution on ``[lo, hi]`` (``lo < hi``)."""
    w = hi - lo

    def f(x: np.ndarray, n: int) -> np.ndarray:
        x = _clip(x)
        inside = np.clip(x, lo, hi)
        # E[S^n; S < x] + x^n P(S >= x), with S uniform on [lo, hi]
        below = (np.power(inside, n + 1) - lo ** (n + 1)) / ((n + 1) * w)
        return below + np.power(x, n) * (hi - inside) / w

    return f


def constant(v: float) -> Limited:
    """``E[min(S, x)^n]`` of the constant ``v``."""

    def f(x: np.ndarray, n: int) -> np.ndarray:
        return np.power(np.minimum(_clip(x), v), n)

    return f


def empirical(values: np.ndarray) -> Limited:
    """``E[min(S, x)^n]`` of the empirical distribution of ``values`` (each with weight ``1/len``)."""
    arr = np.sort(np.asarray(values, dtype=float))
    cum = {n: np.concatenate([[0.0], np.cumsum(np.power(arr, n))]) for n in (1, 2)}

    def f(x: np.ndarray, n: int) -> np.ndarray:
        x = _clip(x)
        below = np.searchsorted(arr, x, side="left")  # values < x
        return (cum[n][below] + np.power(x, n) * (arr.size - below)) / arr.size

    return f


def scaled(base: Limited, factor: float) -> Limited:
    """``E[min(f S, x)^n] = f^n E[min(S, x / f)^n]``."""

    def f(x: np.ndarray, n: int) -> np.ndarray:
        return factor ** n * base(np.asarray(x, dtype=float) / factor, n)

    return f
