"""Queueing-theory formulas that the hotline simulator must agree with.

A call centre with ``c`` agents, Poisson arrivals and exponential handle times
is the M/M/c queue (Erlang C); if waiting callers also hang up after an
exponential patience it is the M/M/c+M queue (Erlang A, Palm).  Both are
birth-death chains in the number ``N`` of callers in the system.  By PASTA an
arrival sees ``N`` with its time-average law, so the probabilities of waiting
and abandoning, the service level and the mean waits all follow from the
stationary distribution.  These formulas staff a scenario (smallest headcount
meeting a target) and validate the simulator in steady state.  Units: rates per
second, times in seconds.  Notation: ``lam`` arrival rate, ``mu`` service rate
per agent (1/mean handle time), ``theta`` abandonment rate (1/mean patience),
``c`` agents, ``R = lam/mu`` offered load (Erlang), ``rho = R/c``.

In Erlang A a caller who finds ``k`` callers waiting ahead passes through
``k + 1`` stages; in the stage with ``j`` ahead he leaves it at rate
``c*mu + (j+1)*theta`` whatever the exit, and survives it with probability
``(c*mu + j*theta) / (c*mu + (j+1)*theta)``.  His wait, when served, is the sum
of these exponential stages: a hypoexponential law with rates
``a + i*theta`` (``a = c*mu``, ``i = 1..k+1``), which is that of
``-log(X)/theta`` with ``X ~ Beta(a/theta + 1, k + 1)`` (compare Laplace
transforms).  Its CDF is therefore a regularised incomplete beta function,
evaluated stably for every ``k`` at once.

Every function returns the right value for every valid input - an overloaded
queue with or without abandonment, a mean patience of years, no demand at all,
a billion agents - or raises a ``ValueError`` that says why; work and memory
stay bounded (:mod:`sim.analysis.theory_numerics`: the chain is held only on the window
of states that carries its mass, at most ``MAX_STATES`` of them, and at most
``MAX_AGENTS`` agents are accepted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from sim.analysis.theory_numerics import MAX_AGENTS, MAX_STATES, erlang_b_large, harmonic, queue_window


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance of a queue with ``c`` agents.

    Attributes
    ----------
    p_wait : float
        Probability that an arrival finds every agent busy and waits.
    p_abandon : float
        Probability that an arrival hangs up before being answered.
    service_level : float
        P(answered within the threshold), i.e. P(wait <= t and served); callers
        who abandon count as not answered in time (not conditional on service).
    asa_s : float
        Average speed of answer: mean wait of the callers who are served.
    mean_wait_s : float
        Mean wait over all callers, served or abandoning (= E[Q] / lam).
    occupancy : float
        Mean fraction of agents busy, lam * (1 - p_abandon) / (c * mu).
    mean_queue : float
        Time-average number of callers waiting, E[Q].
    """

    p_wait: float
    p_abandon: float
    service_level: float
    asa_s: float
    mean_wait_s: float
    occupancy: float
    mean_queue: float


def _check(name: str, value: float, lo: float = 0.0, strict: bool = False, finite: bool = True) -> float:
    v = float(value)
    if math.isnan(v) or v < lo or (strict and v == lo) or (finite and math.isinf(v)):
        rule = f"{'>' if strict else '>='} {lo}" + (" and finite" if finite else "")
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return v


def _rates(lam: float, mu: float, theta: float = 0.0) -> tuple[float, float, float]:
    return _check("lam", lam), _check("mu", mu, strict=True), _check("theta", theta)


def _check_int(name: str, value: int, lo: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < lo or value > MAX_AGENTS:
        raise ValueError(f"{name} must be an integer in [{lo}, {MAX_AGENTS:.0e}], got {value!r}")
    return int(value)


def offered_load(lam: float, mean_handle_s: float) -> float:
    """Offered load in Erlang.

    Parameters
    ----------
    lam, mean_handle_s : float
        Arrival rate (per second) and mean handle time (seconds).

    Returns
    -------
    float
        ``R = lam * mean_handle_s = lam / mu``.
    """
    return _check("lam", lam) * _check("mean_handle_s", mean_handle_s)


def erlang_b(c: int, load: float) -> float:
    """Erlang B blocking probability of the M/M/c/c loss system.

    Parameters
    ----------
    c : int
        Number of agents (servers), ``c >= 0``.
    load : float
        Offered load ``R`` in Erlang.

    Returns
    -------
    float
        ``B(c, R)`` by the stable recursion ``B(0) = 1``, ``B(k) = R B(k-1) / (k + R B(k-1))``
        up to 10,000 agents; beyond, in bounded time by :func:`sim.analysis.theory_numerics.erlang_b_large`.
        ``B(c, 0) = 0`` for ``c >= 1``.

    Raises
    ------
    ValueError
        If ``c`` is not an integer in [0, MAX_AGENTS] or ``load`` is negative or not finite.
    """
    c = _check_int("c", c, 0)
    r = _check("load", load)
    if c == 0:
        return 1.0
    if r == 0.0:
        return 0.0
    if c > 10_000:
        return erlang_b_large(c, r)
    b = 1.0
    for k in range(1, c + 1):
        b = r * b / (k + r * b)
        if b == 0.0:  # underflow: stays 0
            break
    return b


def erlang_c(c: int, load: float) -> float:
    """Erlang C probability of waiting in the M/M/c queue.

    Parameters
    ----------
    c : int
        Number of agents, ``c >= 0``.
    load : float
        Offered load ``R`` in Erlang.

    Returns
    -------
    float
        ``C = B / (1 - rho (1 - B))`` with ``rho = R / c``; 1.0 when
        ``R >= c`` (the queue is unstable and every caller waits).
    """
    c = _check_int("c", c, 0)
    r = _check("load", load)
    if r >= c:
        return 1.0
    b = erlang_b(c, r)
    return b / (1.0 - (r / c) * (1.0 - b))


def erlang_c_metrics(lam: float, mu: float, c: int, threshold_s: float) -> QueueMetrics:
    """Steady-state metrics of the M/M/c queue (no abandonment).

    Parameters
    ----------
    lam, mu : float
        Arrival rate (>= 0; 0 = no demand, an empty system) and service rate of one
        agent (> 0), per second.
    c : int
        Number of agents, >= 1.
    threshold_s : float
        Service-level threshold ``t`` (seconds), >= 0 (may be ``inf``).

    Returns
    -------
    QueueMetrics
        ``SL = 1 - C exp(-(c mu - lam) t)``, ``ASA = mean wait = C/(c mu - lam)``,
        ``E[Q] = lam ASA``, ``p_abandon = 0``, occupancy ``lam/(c mu)``.

    Raises
    ------
    ValueError
        If the queue is unstable (``lam >= c mu``) or an input is out of range.
    """
    lam, mu, _ = _rates(lam, mu)
    c = _check_int("c", c, 1)
    t = _check("threshold_s", threshold_s, finite=False)
    gap = c * mu - lam
    if gap <= 0.0:
        raise ValueError(f"unstable M/M/c queue: lam={lam} >= c*mu={c * mu} (c={c}, mu={mu})")
    p_wait = erlang_c(c, lam / mu)
    asa = p_wait / gap
    sl = 1.0 - (p_wait * math.exp(-gap * t) if p_wait > 0.0 else 0.0)
    return QueueMetrics(p_wait=p_wait, p_abandon=0.0, service_level=sl, asa_s=asa,
                        mean_wait_s=asa, occupancy=lam / (c * mu), mean_queue=lam * asa)


def _inputs(lam: float, mu: float, theta: float, c: int, tol: float) -> tuple[float, float, float, int, float]:
    lam, mu, theta = _rates(lam, mu, theta)
    c = _check_int("c", c, 1)
    tol = _check("tol", tol, strict=True)
    if theta == 0.0 and lam >= c * mu:
        raise ValueError(f"theta=0 needs lam < c*mu: lam={lam}, c={c}, mu={mu}")
    return lam, mu, theta, c, tol


def erlang_a_birth_death(lam: float, mu: float, theta: float, c: int,
                         tol: float = 1e-16) -> np.ndarray:
    """Stationary distribution of the number in system of the M/M/c+M queue.

    Parameters
    ----------
    lam, mu, theta : float
        Arrival, per-agent service and abandonment rates; ``lam >= 0``, ``mu > 0``,
        ``theta >= 0`` (``theta = 0`` needs ``lam < c mu``), all finite.
    c : int
        Number of agents, 1 <= c <= MAX_AGENTS.
    tol : float, optional
        Truncation: the neglected tail, relative to the largest weight, is below ``tol``.

    Returns
    -------
    numpy.ndarray
        ``pi[n]``, ``n = 0..N``, summing to 1: ``pi_n ~ R^n/n!`` for ``n <= c``,
        ``pi_n = pi_c prod_{j=c+1..n} lam/(c mu + (j-c) theta)`` beyond; computed
        in log space, so large ``c`` and ``R`` do not overflow.  ``lam = 0`` gives ``[1]``.

    Raises
    ------
    ValueError
        An input out of range, or a law spread over more than ``MAX_STATES`` states from 0
        (then :func:`erlang_a_metrics`, which holds only the states that carry the mass,
        may still answer).
    """
    lam, mu, theta, c, tol = _inputs(lam, mu, theta, c, tol)
    if lam == 0.0:
        return np.ones(1)
    _, _, log_w = queue_window(lam, c * mu, theta, tol, from_zero=True)
    if c + log_w.size > MAX_STATES:
        raise ValueError(f"the law from state 0 has {c + log_w.size} states (more than {MAX_STATES}); "
                         "erlang_a_metrics holds only the states that carry the mass")
    n = np.arange(c + 1, dtype=float)
    lw_low = n * math.log(lam / mu) - special.gammaln(n + 1.0)
    lw = np.concatenate([lw_low, lw_low[-1] + log_w[1:] - log_w[0]])  # log v_j = log_w[j] - log_w[0]
    w = np.exp(lw - lw.max())
    return w / w.sum()


def _served_wait_cdfs(a: float, theta: float, m: np.ndarray, t: float) -> np.ndarray:
    """CDF at ``t`` of the hypoexponential sums of Exp(a + i theta), i = 1..m.

    Uses ``T = -log(X)/theta`` with ``X ~ Beta(a/theta + 1, m)``:
    ``P(T <= t) = I_{1 - exp(-theta t)}(m, a/theta + 1)``, stable for all ``m``.
    """
    if math.isinf(t):
        return np.ones(m.shape)  # betainc at x = 1 is 1 anyway; skip the work
    return special.betainc(m.astype(float), a / theta + 1.0, -math.expm1(-theta * t))


def erlang_a_metrics(lam: float, mu: float, theta: float, c: int, threshold_s: float,
                     tol: float = 1e-16) -> QueueMetrics:
    """Exact steady-state metrics of the M/M/c+M (Erlang A) queue.

    Parameters
    ----------
    lam, mu, theta : float
        Arrival (>= 0; 0 = no demand, an empty system), per-agent service (> 0) and
        abandonment (>= 0, 1 / mean patience) rates, finite.
    c : int
        Number of agents, 1 <= c <= MAX_AGENTS.
    threshold_s : float
        Service-level threshold ``t`` (seconds, >= 0, may be ``inf``).
    tol : float, optional
        Truncation tolerance of the chain (see :func:`erlang_a_birth_death`); only the
        window of states carrying all but ``tol`` of the mass is held.

    Returns
    -------
    QueueMetrics
        From :func:`erlang_a_birth_death` and PASTA: an arrival finding ``k = n - c``
        waiting is served with probability ``c mu/(c mu + (k+1) theta)`` and then
        waits the hypoexponential sum of Exp(c mu + (j+1) theta), ``j = 0..k``,
        whose CDF gives P(served, W <= t).  ``mean_wait_s = E[Q]/lam``,
        ``asa_s = E[W 1{served}]/P(served)``; ``theta == 0`` is :func:`erlang_c_metrics`.

    Raises
    ------
    ValueError
        If an input is out of range, ``theta == 0`` and ``lam >= c mu``, or the queue's law
        spreads over more than ``MAX_STATES`` lengths (a mean patience of centuries in an
        overloaded queue).
    """
    if float(theta) == 0.0:
        return erlang_c_metrics(lam, mu, c, threshold_s)
    t = _check("threshold_s", threshold_s, finite=False)
    lam, mu, theta, c, tol = _inputs(lam, mu, theta, c, tol)
    if lam == 0.0:
        return QueueMetrics(p_wait=0.0, p_abandon=0.0, service_level=1.0, asa_s=0.0, mean_wait_s=0.0,
                            occupancy=0.0, mean_queue=0.0)
    a = c * mu
    # pi_c = 1 / (1/B - 1 + Q): the states n <= c weigh pi_c / B (Erlang B), the queue pi_c Q
    b = erlang_b(c, lam / mu)
    log_free = math.log1p(-b) - math.log(b) if b > 0.0 else math.inf  # log(1/B - 1)
    k0, log_scale, log_w = queue_window(lam, a, theta, tol)
    w = np.exp(log_w)
    # log(denominator / scale), formed without subtracting two huge logs
    rel = float(np.logaddexp(log_free - log_scale, math.log(float(w.sum()))))
    if math.isinf(rel):  # B underflows (c far above the load): nobody ever waits
        pq, p_no_wait = np.zeros(w.size), 1.0
    else:
        pq = w * math.exp(-rel)  # P(k0 + i callers waiting)
        p_no_wait = math.exp(log_free - log_scale - rel)  # P(N < c)
    k = k0 + np.arange(pq.size, dtype=float)
    exit_rate = a + (k + 1.0) * theta
    p_served_k = a / exit_rate
    p_wait, mean_queue = float(pq.sum()), float(np.dot(pq, k))
    p_ab = float(np.dot(pq, (k + 1.0) * theta / exit_rate))  # = theta E[Q] / lam
    p_served = 1.0 - p_ab  # > 0: every k has P(served | k) > 0
    # E[W | served, k ahead] = sum_{i=1..k+1} 1/(a + i theta)
    waits = harmonic(a, theta, k0) + np.cumsum(1.0 / exit_rate)
    served_wait = float(np.dot(pq * p_served_k, waits))  # E[W 1{served}]
    cdf = _served_wait_cdfs(a, theta, k + 1.0, t)  # P(W <= t | served, k ahead)
    sl = p_no_wait + float(np.dot(pq * p_served_k, cdf))
    return QueueMetrics(p_wait=min(p_wait, 1.0), p_abandon=p_ab,
                        service_level=min(max(sl, 0.0), 1.0), asa_s=served_wait / p_served,
                        mean_wait_s=mean_queue / lam, occupancy=min(lam * p_served / a, 1.0),
                        mean_queue=mean_queue)
