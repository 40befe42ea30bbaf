"""The erlang plans that bound the simulation-based one: stricter erlang plans, cheaper and no worse.

A planner who wants a plan meeting the targets in ``staffing.optimize.intervals_share`` of the
intervals on fresh seeds has a simple alternative to ``staffing.policy=optimize``: ask ``erlang``
for a stricter nominal target (a service level of 0.85 or 0.9 for a target of 0.8) until its plan
reaches the share.  ``optimize`` must never cost more than the erlang plan that reaches the share
its own plan reaches, whatever the case, so it compares its plan with those plans itself
(:func:`erlang_bound`):

* **the ladder**: the erlang plans of the service targets made stricter by a share ``u`` of their
  distance to the strictest value (:data:`LADDER`; ``u = 0`` is the erlang plan itself, simulated
  already as the optimisation's first iteration): a service level ``s`` becomes ``s + (1 - s) u``,
  a maximum abandonment rate or ASA ``x`` becomes ``x (1 - u)`` - with ``s = 0.8``, ``u`` = 0.25,
  0.5, 0.6, 0.75 are the nominal 0.85, 0.9, 0.92, 0.95.  The online and occupancy targets keep
  their value (their rules apply to every rung); each operator group's own targets are made
  stricter alike.  Only rungs cheaper than the optimisation's own plan are simulated.
* **expected share**: a plan simulated on the optimisation's replications (common random numbers,
  so that plans differ by their staffing, not by noise) is judged by its *expected* share of
  intervals meeting every target on the run's fresh seeds (:func:`expected_share`): per interval
  and target, the probability that the fresh estimate meets the target if the plan performs as
  simulated, ``Phi(gap / (se sqrt(r / n)))`` with ``gap`` the estimate's distance to the target on
  the favourable side, ``se`` its standard error from the ``r`` replications, and ``n`` the fresh
  ones (``se sqrt(r / n)`` is the fresh estimate's standard error); an interval meets every target
  with the product of its targets' probabilities.  The estimate is taken for the plan's true value:
  with ``r >= n`` its own noise is the smaller, and counting it too (``sqrt(1 + r / n)``, as the
  margins of :mod:`sim.planning.margins` do) made the steep swing's erlang plan at 0.9 look short of
  a share it reaches (0.94 expected from 24 replications, 97.2% on fresh seeds).
* **the answer**: the cheapest rung, loosest first, whose expected share is at least the
  optimisation's own plan's (or the goal, when that plan expects more) replaces the own plan; the
  own plan stays when no cheaper rung does as well.  So no cheaper erlang rung is expected to reach
  the share of the plan returned.  The own plan removes, interval by interval, the hours that the
  margins for fresh seeds do not need; where that does not pay (a steep swing, where the intervals
  after the peak need a margin the ladder gives them all at once), a rung does.

Approximations: the intervals are taken as independent (the expected share is a mean, not a
quantile: the realised share scatters around it), and the ladder is a grid: an erlang plan between
two rungs is not tried.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np
from scipy.special import ndtr

from sim.analysis.staffing_kpis import DEMAND, TARGET_METRICS, group_names, meeting, plan_targets, pooled_group
from sim.config.schema import Config
from sim.core.errors import ConfigError
from sim.model.compile import compile_config
from sim.planning.groups import front_requirements
from sim.records.intervals import ReplicationResult

#: Shares of the distance to the strictest service target tried, loosest first (0: the erlang plan).
LADDER = (0.0, 0.25, 0.5, 0.6, 0.75, 0.875)


@dataclass
class Bound:
    """The cheapest rung of the ladder expected to reach the share.

    Attributes
    ----------
    agents : ndarray of int, shape (groups, intervals)
        Its agents for calls per group and interval of the planning window.
    strictness : float
        Its ``u`` (:data:`LADDER`).
    targets : dict
        Its service targets (``staffing.target`` names), per group.
    expected_share : float
        Its expected share of intervals meeting every target on fresh seeds.
    hours : float
        Its operator-hours over the measurement window.
    """

    agents: np.ndarray
    strictness: float
    targets: Dict[str, Dict[str, float]]
    expected_share: float
    hours: float


def _stricter_target(target: Any, u: float) -> None:
    """Make the service targets of a ``staffing.target`` section stricter by ``u`` (module docstring), in place."""
    if target.service_level is not None:
        target.service_level = float(target.service_level) + (1.0 - float(target.service_level)) * u
    for name in ("abandon_rate", "asa_s"):
        if getattr(target, name) is not None:
            setattr(target, name, float(getattr(target, name)) * (1.0 - u))


def stricter(cfg: Config, u: float) -> Config:
    """``cfg`` with every service target (``staffing.target`` and each group's) made stricter by ``u``."""
    out = copy.deepcopy(cfg)
    _stricter_target(out.staffing.target, u)
    for group in out.routing.groups.values():
        _stricter_target(group.target, u)
    return out


def expected_share(results: Sequence[ReplicationResult], targets: Mapping[str, Mapping[str, float]],
                   n_fresh: int) -> float:
    """Expected share of the measurement window's intervals meeting every target on ``n_fresh`` fresh replications.

    Parameters
    ----------
    results : sequence of ReplicationResult
        A plan's simulation (``r`` replications).
    targets : mapping
        Group name -> target name -> bound (:func:`sim.analysis.staffing_kpis.plan_targets`).
    n_fresh : int
        Replications of the judgement on fresh seeds (``experiment.replications``).

    Returns
    -------
    float
        The mean over the intervals with demand of the product, over their targets, of
        ``Phi(gap / (se sqrt(r / n_fresh)))`` (module docstring); 1 where the standard error is 0
        and the target is met, 0 where it is missed.
    """
    r, w = len(results), results[0].warmup_intervals
    stretch = math.sqrt(r / max(1, n_fresh))
    prob: Optional[np.ndarray] = None
    defined_any: Optional[np.ndarray] = None
    for g, name in enumerate(group_names(results)):
        pooled = pooled_group(results, g)
        for target, bound in targets.get(name, {}).items():
            metric, at_most = TARGET_METRICS[target]
            x = np.asarray(pooled[metric][w:], dtype=float)
            se = np.nan_to_num(np.asarray(pooled[f"{metric}_se"][w:], dtype=float)) * stretch
            defined = ~np.isnan(x) & (np.asarray(pooled[DEMAND[target]][w:]) > 0)
            gap = np.nan_to_num((bound - x) if at_most else (x - bound))
            with np.errstate(divide="ignore", invalid="ignore"):
                p = np.where(se > 0, ndtr(gap / np.where(se > 0, se, 1.0)), (gap >= -1e-12).astype(float))
            p = np.where(defined, p, 1.0)
            prob = p if prob is None else prob * p
            defined_any = defined if defined_any is None else defined_any | defined
    if prob is None or defined_any is None or not defined_any.any():
        return 1.0
    return float(np.mean(prob[defined_any]))


def erlang_bound(cfg: Config, own: np.ndarray, own_results: Sequence[ReplicationResult],
                 simulate: Callable[[np.ndarray], List[ReplicationResult]], hours: Callable[[np.ndarray], float]
                 ) -> tuple[Optional[Bound], Dict[str, Any]]:
    """The cheapest rung of the ladder cheaper than the optimisation's own plan and no worse (module docstring).

    Parameters
    ----------
    cfg : Config
        The run's configuration (its targets judge every plan).
    own : ndarray of int, shape (groups, intervals)
        The optimisation's own plan (agents for calls).
    own_results : sequence of ReplicationResult
        Its simulation on the optimisation's replications.
    simulate : callable
        Agents for calls (groups x intervals) -> their simulation on the optimisation's replications.
    hours : callable
        Agents for calls -> the plan's operator-hours over the measurement window.

    Returns
    -------
    bound : Bound or None
        The plan to use instead of ``own``; None when no cheaper rung is expected to do as well.
    notes : dict
        ``own_expected_share``, ``own_share`` (its share of intervals meeting every target on the
        optimisation's replications), ``ladder`` (per rung simulated: ``strictness``, ``targets`` - the front
        line's service targets -, ``operator_hours``, ``expected_share``, ``share``), ``strictness`` of the
        rung used (or None) and ``used``.
    """
    sc = compile_config(cfg)
    goal, n_fresh = float(cfg.staffing.optimize.intervals_share), max(1, int(cfg.experiment.replications))
    judge = plan_targets(cfg)
    own_share = expected_share(own_results, judge, n_fresh) if own_results else 0.0
    need, own_hours = min(goal, own_share), hours(own)
    tried: List[Dict[str, Any]] = []
    found: Optional[Bound] = None
    for u in LADDER:
        rung = stricter(cfg, u)
        try:
            reqs = front_requirements(rung, sc)
        except ConfigError:  # no headcount meets a stricter target somewhere: no stricter rung either
            break
        agents = np.array([r.agents for r in reqs], dtype=np.int64)
        h = hours(agents)
        if h >= own_hours:  # the rungs only get dearer
            break
        results = simulate(agents)
        share = expected_share(results, judge, n_fresh)
        service = plan_targets(rung)
        tried.append({"strictness": u, "targets": {k: round(v, 6) for k, v in next(iter(service.values())).items()
                                                   if k in ("service_level", "abandon_rate", "asa_s")},
                      "operator_hours": h, "expected_share": round(share, 4),
                      "share": meeting(results, judge)["all"]})
        if share >= need:
            found = Bound(agents, u, service, share, h)
            break
    own_met = meeting(own_results, judge)["all"] if own_results else None
    return found, {"own_expected_share": round(own_share, 4), "own_share": own_met, "ladder": tried,
                   "used": found is not None, "strictness": found.strictness if found is not None else None}
