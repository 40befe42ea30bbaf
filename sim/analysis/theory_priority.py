"""Waiting times of the M/M/c queue with non-preemptive priority classes and one service rate.

A unit's work orders wait for a case slot most urgent class first, first come first served
within a class (:mod:`sim.model.backoffice`).  With ``c`` slots, Poisson arrivals of each class and
one exponential holding time of mean ``1/mu`` for every class, the waiting times are known exactly
(Davis 1966, "Waiting-time distribution of a multi-server, priority queuing system", Operations
Research 14; Kella & Yechiali 1985, "Waiting times in the non-preemptive priority M/M/c queue",
Stochastic Models 1):

* an order waits at all with the Erlang C probability of the total load, whatever its class
  (PASTA: it finds every slot busy);
* while every slot is busy, slots free at the total rate ``nu = c mu`` whichever class holds them,
  so the queue behaves as the queue of an M/M/1 server of rate ``nu`` during its busy period.
  An order of class ``k`` that waits first waits for the work of the orders of classes ``1..k``
  present when it came, ``V``, which is exponential with rate ``nu - s_k`` (``s_k``: the arrival
  rate of classes ``1..k``); during that time and what follows, orders of classes ``1..k-1``
  (rate ``s_{k-1}``) overtake it, each adding the busy period it starts.  So the conditional wait
  has the Laplace transform

  ``E[exp(-x W) | W > 0] = (nu - s_k) / (nu - s_k + x + s_{k-1} (1 - G(x)))``

  with ``G`` the busy-period transform of the M/M/1 queue with arrival rate ``s_{k-1}`` and service
  rate ``nu``: ``G(x) = ((x + s_{k-1} + nu) - sqrt((x + s_{k-1} + nu)^2 - 4 s_{k-1} nu)) / (2 s_{k-1})``.

  For the most urgent class (``s_0 = 0``) it is exponential with rate ``nu - s_1``, and for one
  class alone ``nu - lambda``: the Erlang C law.  The mean is Cobham's (1954):
  ``E[W_k | W > 0] = nu / ((nu - s_{k-1}) (nu - s_k))``.

The distribution function of the other classes is the numerical inverse of its transform divided by
``x``, by the Euler algorithm of Abate & Whitt (2006, "A unified framework for numerically inverting
Laplace transforms", INFORMS Journal on Computing 18), accurate to about 1e-7 here.
"""

from __future__ import annotations

from math import comb, log

import numpy as np

#: Terms of the Euler inversion (2 M + 1 evaluations of the transform per time).
EULER_M = 12


def _euler_weights(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``beta_k`` and weights ``eta_k`` of the Euler algorithm with ``m`` (Abate & Whitt 2006, section 5)."""
    xi = np.zeros(2 * m + 1)
    xi[0] = 0.5
    xi[1:m + 1] = 1.0
    xi[2 * m] = 2.0 ** -m
    for j in range(1, m):
        xi[2 * m - j] = xi[2 * m - j + 1] + 2.0 ** -m * comb(m, j)
    k = np.arange(2 * m + 1)
    beta = m * log(10.0) / 3.0 + 1j * np.pi * k
    eta = (-1.0) ** k * xi * 10.0 ** (m / 3.0)
    return beta, eta


_BETA, _ETA = _euler_weights(EULER_M)


def _busy_transform(x: np.ndarray, lam: np.ndarray, nu: float) -> np.ndarray:
    """The transform of the busy period of the M/M/1 queue (arrivals ``lam``, service ``nu``) at complex ``x``
    with a positive real part: the root of ``lam G^2 - (x + lam + nu) G + nu = 0`` of modulus at most 1,
    ``2 nu / (b + sqrt(b^2 - 4 lam nu))`` with ``b = x + lam + nu`` (``b^2 - 4 lam nu`` never meets the
    principal square root's cut there, so the root is the continuation of the real one)."""
    b = x + lam + nu
    return 2.0 * nu / (b + np.sqrt(b * b - 4.0 * lam * nu))


def priority_wait_cdf(t: np.ndarray, nu: float, above: float, through: float) -> np.ndarray:
    """``P(W <= t | W > 0)`` of an order of one class in the non-preemptive priority M/M/c queue (module docstring).

    Parameters
    ----------
    t : ndarray
        Times (any unit; the rates are per the same unit), >= 0.
    nu : float
        Total rate at which the slots free while all are busy, ``c mu``, > 0.
    above : float
        Arrival rate of the more urgent classes (``s_{k-1}``, 0 for the most urgent), >= 0.
    through : float
        Arrival rate of this class and the more urgent ones (``s_k``), ``above <= through < nu``.

    Returns
    -------
    ndarray
        The conditional distribution function at ``t``, clipped to [0, 1].

    Raises
    ------
    ValueError
        If ``through >= nu`` (the class's queue grows without bound) or the rates are out of range.
    """
    out = priority_wait_cdfs(np.asarray(t, dtype=float).ravel(), nu, np.array([above]), np.array([through]))
    return out[0].reshape(np.shape(t))


def priority_wait_cdfs(t: np.ndarray, nu: float, above: np.ndarray, through: np.ndarray) -> np.ndarray:
    """:func:`priority_wait_cdf` for several pairs ``(above[i], through[i])`` at once, shape
    ``(len(above), len(t))``."""
    t = np.asarray(t, dtype=float)
    above, through = np.asarray(above, dtype=float), np.asarray(through, dtype=float)
    if not (nu > 0 and np.all(above >= 0) and np.all(above <= through)):
        raise ValueError(f"need nu > 0 and 0 <= above <= through (nu={nu}, above={above}, through={through})")
    if np.any(through >= nu):
        raise ValueError(f"unstable: a class and the more urgent ones arrive at {through.max()} >= nu = {nu}")
    gap = (nu - through)[:, None]
    out = -np.expm1(-gap * np.maximum(t, 0.0)[None, :])  # the most urgent class: exponential
    rows = np.flatnonzero(above > 1e-12 * nu)
    if rows.size:
        # the tail decays at least at the slower of the two rates: the exponential work's, and the busy
        # period's branch point (sqrt(nu) - sqrt(s_{k-1}))^2; 60 of its time constants on, F is 1 to 1e-20
        decay = np.minimum(nu - through[rows], (np.sqrt(nu) - np.sqrt(above[rows])) ** 2)
        pos = (t > 0) & (t < 60.0 / decay.min())
        if pos.any():
            x = _BETA[None, None, :] / t[pos][None, :, None]  # (1, T, nodes)
            lam = above[rows][:, None, None]
            g = _busy_transform(x, lam, nu)
            transform = gap[rows][:, :, None] / (gap[rows][:, :, None] + x + lam * (1.0 - g)) / x
            inv = (transform.real @ _ETA) / t[pos][None, :]
            block = np.repeat((t > 0).astype(float)[None, :], rows.size, axis=0)
            block[:, pos] = inv
            out[rows] = block
        else:
            out[rows] = (t > 0).astype(float)[None, :]
    return np.clip(out, 0.0, 1.0)


def priority_mean_wait(nu: float, above: float, through: float) -> float:
    """Cobham's conditional mean wait ``E[W | W > 0] = nu / ((nu - above) (nu - through))``."""
    return nu / ((nu - above) * (nu - through))
