"""One interval of the simulation-based policy: what it measured, and the agents a calibrated model says it needs.

:mod:`sim.planning.optimize` simulates a plan and, for each operator group and interval, asks
two questions answered here:

* **does it miss a target?**  Each pooled metric is taken ``margin`` standard errors towards the
  unfavourable side (:func:`pessimistic`; the margin is :mod:`sim.planning.margins`'), and
  compared with the group's targets;
* **how many agents would meet them?**  The load multiplier ``kappa`` that makes Erlang A with
  the interval's effective agents for calls reproduce the pessimistic measurement (the worst
  over the targets set; :func:`kappa`) carries what the stationary model misses - queues carried
  over from the previous interval, redials, the mix of handle times, non-exponential patience,
  overflow between groups - and the fewest agents meeting every target under ``kappa`` x the
  measured attempt rate answer the question (:func:`calibrated_agents`).  A maximum occupancy
  needs the operators on duty to grow in proportion to the measured (pessimistic) occupancy over
  the cap (:func:`assess`).
"""

from __future__ import annotations

import math
from typing import Dict, Mapping, Optional

import numpy as np

from sim.analysis.theory import QueueMetrics, erlang_a_metrics
from sim.analysis.theory_staffing import fewest_agents
from sim.planning.requirement import Requirement

KAPPA_RANGE = (2.0 ** -8, 2.0 ** 8)
#: Pooled metric -> Erlang A metric, for the service targets.
ERLANG_NAMES = {"service_level": "service_level", "abandon_rate": "p_abandon", "asa_s": "asa_s"}


def pessimistic(pooled: Mapping[str, np.ndarray], k: int, z: float) -> Dict[str, float]:
    """Interval ``k``'s measured metrics (Erlang A names), each ``z`` standard errors towards the unfavourable side."""
    se = {m: float(np.nan_to_num(pooled[f"{m}_se"][k])) for m in ("service_level", "abandon_rate", "asa_s")}
    out = {"service_level": max(0.0, float(pooled["service_level"][k]) - z * se["service_level"]),
           "p_abandon": min(1.0, float(pooled["abandon_rate"][k]) + z * se["abandon_rate"])}
    asa = float(pooled["asa_s"][k])
    if not math.isnan(asa):
        out["asa_s"] = asa + z * se["asa_s"]
    return out


def metric(lam: float, mu: float, theta: float, c: int, threshold_s: float) -> Optional[QueueMetrics]:
    """Erlang A metrics, or None for a queue that would grow without bound (every target missed)."""
    if c <= 0 or (theta == 0.0 and lam >= c * mu):
        return None
    try:
        return erlang_a_metrics(lam, mu, theta, c, threshold_s)
    except ValueError:
        if lam >= c * mu:
            return None
        raise


def worse(name: str, value: float, bound: float) -> bool:
    """Whether a metric ``value`` is worse than ``bound`` (service level lower; the others higher)."""
    return value < bound if name == "service_level" else value > bound


def kappa(req: Requirement, k: int, c_cal: int, lam: float, measured: Mapping[str, float]) -> float:
    """The load multiplier that explains ``measured`` with ``c_cal`` agents in interval ``k``.

    Found by bisection (in its logarithm) for each target's metric: the smallest ``kappa`` at which
    Erlang A with ``c_cal`` agents and ``kappa x lam`` is at least as bad as measured; the largest
    over the targets is returned.
    """
    mu = 1.0 / req.mean_handle_s[k]
    out = KAPPA_RANGE[0]
    for name in req.targets:
        value = measured.get(name)
        if value is None:
            continue
        lo, hi = math.log(KAPPA_RANGE[0]), math.log(KAPPA_RANGE[1])

        def bad(x: float) -> bool:
            m = metric(math.exp(x) * lam, mu, req.theta, c_cal, req.threshold_s)
            return m is None or not worse(name, value, getattr(m, name))  # the model is as bad or worse

        if bad(lo):
            continue
        if not bad(hi):
            return KAPPA_RANGE[1]
        while hi - lo > 1e-3:
            mid = (lo + hi) / 2
            if bad(mid):
                hi = mid
            else:
                lo = mid
        out = max(out, math.exp(hi))
    return out


def calibrated_agents(req: Requirement, k: int, c_cal: int, lam: float, measured: Mapping[str, float]) -> int:
    """Fewest agents for calls in interval ``k`` under the load multiplier that explains ``measured``."""
    mu = 1.0 / req.mean_handle_s[k]
    return fewest_agents(kappa(req, k, c_cal, lam, measured) * lam, mu, req.theta, req.threshold_s, req.targets,
                         start=c_cal)


def margin_cost(req: Requirement, k: int, c_cal: int, lam: float, pooled: Mapping[str, np.ndarray]) -> float:
    """Agents one standard error of margin costs in interval ``k``: per target, the metric's standard error over
    its change per agent under the calibrated model (at the unpenalised measurement); the largest."""
    measured = pessimistic(pooled, k, 0.0)
    kap = kappa(req, k, c_cal, lam, measured)
    mu = 1.0 / req.mean_handle_s[k]
    at, above = (metric(kap * lam, mu, req.theta, c, req.threshold_s) for c in (c_cal, c_cal + 1))
    out = 0.0
    for name, erlang in ERLANG_NAMES.items():
        if erlang not in req.targets or at is None or above is None:
            continue
        slope = abs(getattr(above, erlang) - getattr(at, erlang))
        se = float(np.nan_to_num(pooled[f"{name}_se"][k]))
        if slope > 1e-12:
            out = max(out, se / slope)
    return out


def assess(req: Requirement, pooled: Mapping[str, np.ndarray], k: int, c: int, available: float, on_duty: float,
           z: float, z_cap: float) -> tuple[bool, Optional[int]]:
    """Whether interval ``k`` misses a target of ``req`` (calls' service targets, maximum occupancy), and the
    agents for calls the calibrated model says meet them (None: nothing to judge).

    ``c`` is the interval's agents for calls in the plan, ``available`` its operators available minus the
    deferrable loads (the calls' effective agents), ``on_duty`` its operators available (after shrinkage).
    """
    model: Optional[int] = None
    miss = False
    if pooled["attempts"][k] > 0 and req.targets:
        measured = pessimistic(pooled, k, z)
        c_cal = max(1, int(math.floor(available + 1e-9)))
        lam = pooled["attempts"][k] / req.interval_s
        model = calibrated_agents(req, k, c_cal, lam, measured) - (c_cal - c)
        miss = any(worse(n, measured[n], v) for n, v in req.targets.items() if n in measured)
    cap = req.max_occupancy
    occ = float(pooled["occupancy"][k])
    if cap is not None and not math.isnan(occ) and on_duty > 0:
        high = occ + z_cap * float(np.nan_to_num(pooled["occupancy_se"][k]))
        miss = miss or high > cap
        need = c + int(math.ceil(on_duty * (high / cap - 1.0) - 1e-9))
        model = need if model is None else max(model, need)
    return miss, model
