"""The margin a plan needs to meet its targets on seeds it never saw, and the replications that measure it.

A plan found by simulation is judged again on fresh seeds: the run's own ``n`` replications
(``experiment.replications``), pooled per interval (:mod:`sim.analysis.staffing_kpis`).  That
judgement is noisy: an interval whose expected service level is exactly the target meets it
on half of the fresh seeds.  So the optimisation (:mod:`sim.planning.optimize`) asks each
interval to meet each target by a margin, in standard errors ``se`` of its own estimate (from
``r`` replications, :func:`sim.analysis.staffing_kpis.pooled_intervals`):

    estimate - z x se x sqrt(1 + r / n) >= target     (the side that is worse)

``se x sqrt(r)`` is the standard deviation of one replication's value of the interval, so
``se x sqrt(1 + r / n)`` is the standard deviation of the difference between the fresh
judgement (``n`` replications) and the optimisation's estimate (``r``): the margin covers both
noises.  ``z`` comes from the share of intervals that must meet every target on the fresh seeds
(``staffing.optimize.intervals_share``, 95%) and their number ``N`` (:func:`z_share`): the largest
per-interval miss probability ``q`` such that at most ``floor(N (1 - share))`` of ``N`` intervals
miss with probability :data:`ASSURANCE` (binomial), shared out over the targets set, and
``z = Phi^-1(1 - q)``.  A maximum occupancy is a cap, met in every interval: its ``z``
(:func:`z_cap`) makes a miss in any of the ``N`` intervals as unlikely (``1 - ASSURANCE``).

The replications (``staffing.optimize.replications``, when not given) come from the same noise:
the first simulation (:data:`PILOT` replications) measures each interval's ``se``; the
optimisation's own share of the margin, ``z se (sqrt(1 + r / n) - sqrt(r / n))`` for ``r``
replications, costs agents (the measured metric's change per agent, from the calibrated Erlang A
model); :func:`replications` picks the fewest of :data:`CANDIDATES` at which that costs at most
:data:`HOURS_SHARE` of the plan's operator-hours; or, once an iteration simulates more than
:data:`CONTACT_BUDGET` contacts, at which it is at most :data:`NOISE_SHARE` of the margin the fresh
judgement needs anyway (``z se sqrt(r / n)``, whatever the optimisation does): past that, more
replications buy little and cost much simulation time.  The second rule decides on a large centre
judged on few replications (a week of the Beijing baseline at scale 1, judged on 4: 8 replications
per iteration instead of the 32 the first asks for, a margin about 0.6% of the operator-hours
larger, each simulation 4 times shorter); small cases keep the first.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Optional, Sequence

#: Replications of the first simulation, which measures the noise.
PILOT = 4
#: Replications per iteration the optimisation chooses from.
CANDIDATES = (4, 8, 12, 16, 24, 32, 48, 64)
#: Probability with which the share of intervals (or a cap in every interval) is to be reached on fresh seeds.
ASSURANCE = 0.9
#: Share of the operator-hours the optimisation's own noise may cost.
HOURS_SHARE = 0.0025
#: Share of the fresh judgement's own margin that the optimisation's noise may add, past the budget below.
NOISE_SHARE = 0.25
#: Contacts simulated per iteration within which the replications follow the hours rule alone (a minute or two of
#: processor time: 8 replications of a week of the Beijing baseline, 560,000 contacts each, are 4.5 million).
CONTACT_BUDGET = 5_000_000


def _binomial_cdf(m: int, n: int, q: float) -> float:
    """P(Binomial(n, q) <= m), summed in log space."""
    if q <= 0.0:
        return 1.0
    if q >= 1.0:
        return 1.0 if m >= n else 0.0
    lq, lp = math.log(q), math.log1p(-q)
    return min(1.0, sum(math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lq
                                 + (n - i) * lp) for i in range(0, min(m, n) + 1)))


def miss_probability(n: int, share: float, assurance: Optional[float] = None) -> float:
    """The largest per-interval miss probability at which at most ``floor(n (1 - share))`` of ``n`` independent
    intervals miss with probability ``assurance`` (default :data:`ASSURANCE`; bisection: the CDF falls as the
    probability rises)."""
    assurance = ASSURANCE if assurance is None else assurance
    n = max(1, int(n))
    m = int(math.floor(n * (1.0 - share) + 1e-9))
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _binomial_cdf(m, n, mid) >= assurance:
            lo = mid
        else:
            hi = mid
    return lo


def z_share(n: int, share: float, targets: int = 1) -> float:
    """``z`` of the margin for a share ``share`` of ``n`` intervals meeting ``targets`` targets each (module
    docstring): the interval's miss probability is shared out evenly over its targets."""
    q = max(miss_probability(n, share) / max(1, targets), 1e-12)
    return NormalDist().inv_cdf(1.0 - q)


def z_cap(n: int) -> float:
    """``z`` of the margin for a cap met in every one of ``n`` intervals (with probability :data:`ASSURANCE`)."""
    return NormalDist().inv_cdf(1.0 - (1.0 - ASSURANCE) / max(1, int(n)))


def margin_se(z: float, r: int, n: int) -> float:
    """The margin in standard errors of an estimate from ``r`` replications, judged again on ``n`` fresh ones."""
    return z * math.sqrt(1.0 + r / max(1, n))


def replications(extra_agents: Sequence[float], hours_per_agent: float, plan_hours: float, pilot: int,
                 n: int, contacts: float = 0.0) -> int:
    """The replications per iteration (module docstring).

    Parameters
    ----------
    extra_agents : sequence of float
        Per interval, the agents a margin of one pilot standard error costs (``z`` included), so that a
        margin of ``m`` pilot standard errors costs ``m x extra``.
    hours_per_agent : float
        Operator-hours of one agent in one interval (rostered).
    plan_hours : float
        The plan's operator-hours.
    pilot, n : int
        Replications of the pilot, and of the fresh judgement.
    contacts : float
        Contacts (call attempts and online items) a replication simulates; the second rule of the module
        docstring applies only past :data:`CONTACT_BUDGET` per iteration.
    """
    per_se = float(sum(max(0.0, x) for x in extra_agents)) * hours_per_agent
    affordable = max([r for r in CANDIDATES if r * contacts <= CONTACT_BUDGET] or [pilot])
    for r in CANDIDATES:
        if r < pilot:
            continue
        own = math.sqrt(pilot / r + pilot / n) - math.sqrt(pilot / n)  # the optimisation's share, in pilot se
        if own * per_se <= HOURS_SHARE * plan_hours:
            return r
        if r >= affordable and own <= NOISE_SHARE * math.sqrt(pilot / n):
            return r
    return CANDIDATES[-1]
