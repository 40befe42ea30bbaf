"""Staffing KPIs: what a plan costs and in how many intervals it meets its service targets.

Pure functions of the records (:class:`~sim.records.intervals.ReplicationResult`):

* ``operator_hours`` - operator-hours rostered in the measurement window (before shrinkage:
  the hours paid), per replication; ``staffing_cost`` - the same weighted by each shift's cost
  per hour (``staffing.cost_per_h`` where a shift has none);
* per interval, the metrics of the service targets **pooled over the replications** (the
  interval's call attempts answered within the threshold over its attempts, summed over every
  replication; likewise the abandon rate and the ASA), :func:`pooled_intervals`;
* ``intervals_meeting_target`` - the share of the window's intervals with call attempts whose
  pooled metrics meet every target that is set (``staffing.target``); computed from all
  replications together, so it has a value and no confidence interval
  (:func:`meeting_shares`, which also gives the share meeting each target alone).
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from sim.records.intervals import ReplicationResult

#: Target name (``staffing.target.*``) -> (pooled metric, whether the metric must be at most the target).
TARGET_METRICS: Dict[str, tuple[str, bool]] = {
    "service_level": ("service_level", False), "abandon_rate": ("abandon_rate", True), "asa_s": ("asa_s", True)}


def plan_hours(res: ReplicationResult) -> Dict[str, float]:
    """``operator_hours`` and ``staffing_cost`` of one replication's measurement window (empty without the columns)."""
    iv = res.intervals
    if "rostered_operators" not in iv:
        return {}
    w, h = res.warmup_intervals, res.interval_s / 3600.0
    return {"operator_hours": float(np.sum(iv["rostered_operators"][w:]) * h),
            "staffing_cost": float(np.sum(iv["staffing_cost_per_h"][w:]) * h)}


def pooled_intervals(results: Sequence[ReplicationResult]) -> Dict[str, np.ndarray]:
    """Per interval, summed over the replications: attempts and the pooled service metrics.

    Returns
    -------
    dict of ndarray, shape (intervals,)
        ``attempts`` (per replication, on average), ``service_level``, ``abandon_rate``, ``asa_s``,
        ``online_on_time_rate`` (NaN where undefined), ``mean_on_duty`` (operators on duty,
        time-average over the replications), ``rostered`` (the plan's rostered operators, when
        recorded), and the standard errors ``service_level_se``, ``abandon_rate_se``, ``asa_s_se``
        and ``online_on_time_rate_se`` of the pooled metrics: the larger of the spread between
        replications (calls of one interval wait in the same queue, so they are far from
        independent) and the binomial error (for a single replication, or replications that
        happen to agree).
    """
    def per_rep(name: str) -> np.ndarray:
        return np.array([r.intervals[name] for r in results], dtype=float)

    n_rep = len(results)
    attempts_r = per_rep("calls_offered") + per_rep("retrials")
    answered_r = per_rep("calls_answered")
    attempts = attempts_r.sum(axis=0)
    out: Dict[str, np.ndarray] = {"attempts": attempts / n_rep,
                                  "mean_on_duty": per_rep("staffed_s").sum(axis=0) / (n_rep * results[0].interval_s)}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, num, den in (("service_level", "answered_in_threshold", attempts_r),
                               ("abandon_rate", "calls_abandoned", attempts_r),
                               ("asa_s", "wait_answered_s", answered_r),
                               ("online_on_time_rate", "online_on_time", per_rep("online_offered"))):
            num_r = per_rep(num)
            total = den.sum(axis=0)
            x = np.where(total > 0, num_r.sum(axis=0) / total, np.nan)
            if name == "asa_s":
                binomial = x / np.sqrt(total)  # a wait's sd taken as its mean (exponential)
            else:
                binomial = np.sqrt(x * (1 - x) / total)
            # ratio estimator's spread between replications: sd of (num_r - x den_r) / mean den, / sqrt(n)
            if n_rep > 1:
                resid = num_r - x * den
                between = np.sqrt(np.sum(resid ** 2, axis=0) / (n_rep - 1)) / (total / n_rep) / np.sqrt(n_rep)
            else:
                between = binomial
            out[name] = x
            out[f"{name}_se"] = np.fmax(binomial, between)
    if "rostered_operators" in results[0].intervals:
        out["rostered"] = np.asarray(results[0].intervals["rostered_operators"], dtype=float)
    return out


def target_values(target: object) -> Dict[str, float]:
    """The targets that are set, from a ``staffing.target`` section: name -> bound."""
    return {k: float(getattr(target, k)) for k in TARGET_METRICS if getattr(target, k, None) is not None}


def meets(pooled: Mapping[str, np.ndarray], targets: Mapping[str, float], margin_se: float = 0.0
          ) -> Dict[str, np.ndarray]:
    """Per target, whether each interval's pooled metric meets it (with ``margin_se`` standard errors to spare).

    Returns
    -------
    dict of ndarray of float
        Target name -> 1.0 (met), 0.0 (missed) or NaN (no call attempt: nothing to meet), per interval.
    """
    out = {}
    for name, bound in targets.items():
        metric, at_most = TARGET_METRICS[name]
        x, se = pooled[metric], np.nan_to_num(pooled[f"{metric}_se"])
        with np.errstate(invalid="ignore"):
            ok = (x + margin_se * se <= bound) if at_most else (x - margin_se * se >= bound)
        out[name] = np.where(np.isnan(x), np.nan, ok.astype(float))
    return out


def meeting_shares(results: Sequence[ReplicationResult], targets: Mapping[str, float]
                   ) -> Dict[str, Optional[float]]:
    """Share of the measurement window's intervals with call attempts meeting each target, and every one.

    Returns
    -------
    dict
        ``all`` (every target set: the KPI ``intervals_meeting_target``) and one entry per target set;
        None when no interval of the window has a call attempt.
    """
    if not results:
        return {"all": None}
    pooled = pooled_intervals(results)
    w = results[0].warmup_intervals
    per = {k: v[w:] for k, v in meets(pooled, targets).items()}
    has_calls = pooled["attempts"][w:] > 0
    out: Dict[str, Optional[float]] = {}
    if not has_calls.any():
        return {"all": None, **{k: None for k in per}}
    every = np.ones(int(has_calls.sum()), dtype=bool)
    for k, v in per.items():
        ok = v[has_calls] == 1.0
        out[k] = float(ok.mean())
        every &= ok
    out["all"] = float(every.mean())
    return out
