"""Staffing rules from queueing theory: square-root staffing, the Halfin-Whitt limit, and the
smallest headcount meeting a service target under Erlang A or Erlang C.

The Halfin-Whitt (quality-and-efficiency-driven) regime staffs ``c = R + beta sqrt(R)``
agents for an offered load of ``R`` Erlang; its limit of the probability of waiting
gives a first guess that :func:`required_agents` refines with the exact models of
:mod:`sim.analysis.theory` (S. Halfin and W. Whitt, "Heavy-traffic limits for queues with many
exponential servers", Operations Research 29, 1981).  Re-exported by :mod:`sim.analysis.theory`.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, Optional

import numpy as np
from scipy import special

from sim.analysis.theory import _check, _check_int, _rates, erlang_a_metrics
from sim.analysis.theory_numerics import MAX_AGENTS

#: Staffing targets: name -> True when the metric must be <= value, False when >=.
TARGETS: dict[str, bool] = {"p_wait": True, "p_abandon": True, "service_level": False,
                            "mean_wait_s": True, "asa_s": True}



def square_root_staffing(load: float, beta: float) -> int:
    """Square-root staffing rule (Halfin-Whitt regime).

    Parameters
    ----------
    load, beta : float
        Offered load ``R`` in Erlang and quality-of-service parameter.

    Returns
    -------
    int
        ``ceil(R + beta sqrt(R))``, at least 0 (a relative 1e-12 slack stops
        rounding noise from bumping an exact integer up).
    """
    r = _check("load", load)
    x = r + float(beta) * math.sqrt(r)
    return max(0, math.ceil(x - 1e-12 * max(1.0, abs(x))))


def halfin_whitt_p_wait(beta: float) -> float:
    """Halfin-Whitt limit of the Erlang C probability of waiting.

    Parameters
    ----------
    beta : float
        ``(c - R) / sqrt(R)``, >= 0.

    Returns
    -------
    float
        ``[1 + beta Phi(beta) / phi(beta)]^-1``, the limit of P(wait) as
        ``R -> inf`` with ``c = R + beta sqrt(R)``; computed in log space.

    Raises
    ------
    ValueError
        If ``beta < 0`` (the limit is for a stable queue).
    """
    b = _check("beta", beta)
    if b == 0.0:
        return 1.0
    # log(beta Phi(beta) / phi(beta)), then 1 / (1 + e^x) = exp(-log(1 + e^x)).
    x = math.log(b) + float(special.log_ndtr(b)) + 0.5 * b * b + 0.5 * math.log(2.0 * math.pi)
    return math.exp(-float(np.logaddexp(0.0, x)))


def required_agents(lam: float, mu: float, theta: float, threshold_s: float, target: str,
                    value: float, c_max: int | None = None) -> int:
    """Smallest headcount meeting a target, exact under Erlang A or Erlang C.

    Parameters
    ----------
    lam, mu, theta : float
        Arrival, per-agent service and abandonment rates; ``theta == 0`` uses
        Erlang C (only ``c > R`` is then admissible), ``theta > 0`` Erlang A.
    threshold_s : float
        Service-level threshold (seconds), used by the ``service_level`` target.
    target, value : str, float
        ``"p_wait"``, ``"p_abandon"``, ``"mean_wait_s"``, ``"asa_s"`` (metric
        ``<= value``) or ``"service_level"`` (metric ``>= value``).
    c_max : int, optional
        Largest headcount searched (inclusive); default ``ceil(R + 20 sqrt(R)) + 100``.

    Returns
    -------
    int
        Smallest ``c <= c_max`` meeting the target.  The search starts at square-root
        staffing (``beta = 1``), gallops down or up, then bisects; the metrics
        improve monotonically with ``c`` in these models.

    Raises
    ------
    ValueError
        If ``target`` is unknown, an input is out of range, or no ``c <= c_max`` does.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; expected one of {sorted(TARGETS)}")
    lam, mu, theta = _rates(lam, mu, theta)
    value = _check("value", value)
    r = lam / mu
    c_lo = 1 if theta > 0 else max(1, math.floor(r))
    c_max = _check_int("c_max", min(math.ceil(r + 20.0 * math.sqrt(r)) + 100, MAX_AGENTS) if c_max is None
                       else c_max, 1)
    at_most = TARGETS[target]

    def ok(c: int) -> bool:
        if theta == 0.0 and c * mu <= lam:
            return False  # unstable M/M/c: every target is missed
        x = getattr(erlang_a_metrics(lam, mu, theta, c, threshold_s), target)
        return bool(x <= value if at_most else x >= value)

    hi = _smallest_meeting(ok, min(max(square_root_staffing(r, 1.0), c_lo), c_max), c_lo, c_max)
    if hi < 0:
        raise ValueError(f"{target} {'<=' if at_most else '>='} {value} not reachable with "
                         f"c <= c_max={c_max} (lam={lam}, mu={mu}, theta={theta}, "
                         f"threshold_s={threshold_s})")
    return hi


def fewest_agents(lam: float, mu: float, theta: float, threshold_s: float, targets: Dict[str, float],
                  start: Optional[int] = None, c_max: Optional[int] = None) -> int:
    """Smallest headcount meeting every target at once, exact under Erlang A (Erlang C when ``theta == 0``).

    Parameters
    ----------
    lam, mu, theta : float
        Arrival, per-agent service and abandonment rates (per second); ``lam == 0`` needs 0 agents.
    threshold_s : float
        Service-level threshold (seconds).
    targets : dict
        Metric name of :data:`TARGETS` to its bound (``{"service_level": 0.8, "p_abandon": 0.05}``);
        every one must hold.
    start : int, optional
        A first guess (the answer for a neighbouring interval): the search gallops down or up
        from it, so a good guess costs two or three evaluations.  Default: square-root staffing.
    c_max : int, optional
        Largest headcount searched; default ``ceil(R + 50 sqrt(R)) + 1000`` (at most MAX_AGENTS).

    Returns
    -------
    int
        The smallest ``c`` meeting every target (the metrics improve monotonically with ``c``),
        0 when ``lam == 0``; it may lie below the offered load ``R = lam / mu`` when callers
        abandon (``theta > 0``).

    Raises
    ------
    ValueError
        An unknown target, an input out of range, or no ``c <= c_max`` meets the targets.
    """
    for name in targets:
        if name not in TARGETS:
            raise ValueError(f"unknown target {name!r}; expected one of {sorted(TARGETS)}")
    lam, mu, theta = _rates(lam, mu, theta)
    if lam == 0.0:
        return 0
    r = lam / mu
    c_lo = 1 if theta > 0 else max(1, math.floor(r))
    c_max = _check_int("c_max", min(math.ceil(r + 50.0 * math.sqrt(r)) + 1000, MAX_AGENTS) if c_max is None
                       else c_max, 1)

    def ok(c: int) -> bool:
        if theta == 0.0 and c * mu <= lam:
            return False  # unstable M/M/c: every target is missed
        try:
            m = erlang_a_metrics(lam, mu, theta, c, threshold_s)
        except ValueError:
            if c * mu <= lam:  # an overloaded queue whose law is too wide to hold: it misses every target
                return False
            raise
        return all(getattr(m, k) <= v if TARGETS[k] else getattr(m, k) >= v for k, v in targets.items())

    c0 = min(max(square_root_staffing(r, 1.0) if start is None else int(start), c_lo), c_max)
    hi = _smallest_meeting(ok, c0, c_lo, c_max)
    if hi < 0:
        raise ValueError(f"the targets {targets} are not reachable with c <= c_max={c_max} (lam={lam}, mu={mu}, "
                         f"theta={theta}, threshold_s={threshold_s})")
    return hi


def _smallest_meeting(ok: Callable[[int], bool], c0: int, c_lo: int, c_max: int) -> int:
    """Smallest ``c`` in ``[c_lo, c_max]`` with ``ok(c)`` for a monotone ``ok`` (false, then true), or -1.

    Gallops down or up from the guess ``c0`` (doubling the step), then bisects the bracket, so a
    guess near the answer costs a few evaluations of ``ok``.
    """
    lo, hi, step = c_lo - 1, -1, 1  # invariant: lo misses (or is below the range), hi meets
    if c0 < c_lo:
        return -1
    if ok(c0):  # gallop down from c0
        hi = c0
        while hi - step > lo and ok(hi - step):
            hi, step = hi - step, 2 * step
        lo = max(lo, hi - step)
    else:  # gallop up from c0
        lo = c0
        while lo < c_max and hi < 0:
            c = min(lo + step, c_max)
            if ok(c):
                hi = c
            else:
                lo, step = c, 2 * step
    if hi < 0:
        return -1
    while hi - lo > 1:  # bisect (lo, hi]
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
