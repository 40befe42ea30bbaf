"""Staffing KPIs: what a plan costs and in how many intervals it meets its targets.

Pure functions of the records (:class:`~sim.records.intervals.ReplicationResult`):

* ``operator_hours`` - operator-hours rostered in the measurement window (before shrinkage:
  the hours paid), per replication; ``staffing_cost`` - the same weighted by each shift's cost
  per hour (``staffing.cost_per_h`` where a shift has none);
* per interval, the metrics of the targets **pooled over the replications** (the interval's
  call attempts answered within the threshold over its attempts, summed over every replication;
  likewise the abandon rate, the ASA, the online items accepted on time and the occupancy - busy
  over on-duty operator-seconds), for the front line (:func:`pooled_intervals`) and for each
  operator group (:func:`pooled_group`: calls by their first group, occupancy of the group's
  operators);
* ``intervals_meeting_target`` - the share of the window's intervals with demand whose pooled
  metrics meet every target that is set (``staffing.target``; with operator groups, every
  group's targets); computed from all replications together, so it has a value and no
  confidence interval (:func:`meeting`, which also gives the share meeting each target alone,
  overall and per group).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np

from sim.records.intervals import ReplicationResult

#: Target name (``staffing.target.*``) -> (pooled metric, whether the metric must be at most the target).
TARGET_METRICS: Dict[str, tuple[str, bool]] = {
    "service_level": ("service_level", False), "abandon_rate": ("abandon_rate", True), "asa_s": ("asa_s", True),
    "online_on_time_rate": ("online_on_time_rate", False), "max_occupancy": ("occupancy", True)}
#: Which demand defines an interval for each target's metric (an interval without it has nothing to meet).
DEMAND: Dict[str, str] = {"service_level": "attempts", "abandon_rate": "attempts", "asa_s": "attempts",
                          "online_on_time_rate": "online_offered", "max_occupancy": "attempts"}


def strictest(targets: Iterable[Mapping[str, float]],
              at_most: Callable[[str], bool] = lambda name: TARGET_METRICS[name][1]) -> Dict[str, float]:
    """The strictest bound of each target among several groups' targets: the lowest of a target its metric must
    be at most (``at_most(name)``; by default :data:`TARGET_METRICS`'s), the highest of the others."""
    out: Dict[str, float] = {}
    for t in targets:
        for k, v in t.items():
            out[k] = v if k not in out else (min if at_most(k) else max)(out[k], v)
    return out


def plan_hours(res: ReplicationResult) -> Dict[str, float]:
    """``operator_hours`` and ``staffing_cost`` of one replication's measurement window (empty without the columns)."""
    iv = res.intervals
    if "rostered_operators" not in iv:
        return {}
    w, h = res.warmup_intervals, res.interval_s / 3600.0
    return {"operator_hours": float(np.sum(iv["rostered_operators"][w:]) * h),
            "staffing_cost": float(np.sum(iv["staffing_cost_per_h"][w:]) * h)}


def _pooled(rows: Mapping[str, np.ndarray], pairs: Sequence[tuple[str, str, str]]) -> Dict[str, np.ndarray]:
    """Ratio estimators pooled over the replications, with their standard errors.

    ``rows`` maps a column to an array (replications, intervals); per ``(name, numerator, denominator)``
    the result has ``name`` (NaN where the denominator is 0) and ``name_se``: the larger of the spread
    between replications (an interval's contacts wait in the same queue, so they are far from
    independent) and, for a share or a mean wait, the binomial (or exponential) error (for a single
    replication, or replications that happen to agree); the occupancy has the spread only (0 for a
    single replication).
    """
    out: Dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, num, den in pairs:
            num_r, den_r = rows[num], rows[den]
            n_rep = num_r.shape[0]
            total = den_r.sum(axis=0)
            x = np.where(total > 0, num_r.sum(axis=0) / total, np.nan)
            if name == "asa_s":
                binomial = x / np.sqrt(total)  # a wait's sd taken as its mean (exponential)
            elif name == "occupancy":
                binomial = np.zeros_like(x)
            else:
                binomial = np.sqrt(x * (1 - x) / total)
            if n_rep > 1:  # ratio estimator's spread: sd of (num_r - x den_r) / mean den, / sqrt(n)
                resid = num_r - x * den_r
                between = np.sqrt(np.sum(resid ** 2, axis=0) / (n_rep - 1)) / (total / n_rep) / np.sqrt(n_rep)
            else:
                between = binomial
            out[name] = x
            out[f"{name}_se"] = np.fmax(binomial, between)
    return out


def pooled_intervals(results: Sequence[ReplicationResult]) -> Dict[str, np.ndarray]:
    """Per interval, summed over the replications: attempts and the pooled metrics of the whole front line.

    Returns
    -------
    dict of ndarray, shape (intervals,)
        ``attempts`` and ``online_offered`` (per replication, on average), ``service_level``,
        ``abandon_rate``, ``asa_s``, ``online_on_time_rate``, ``occupancy`` (NaN where undefined),
        ``mean_on_duty`` (operators on duty, time-average over the replications), ``rostered`` (the
        plan's rostered operators, when recorded), and the standard errors ``<metric>_se`` of the
        pooled metrics (:func:`_pooled`).
    """
    def per_rep(name: str) -> np.ndarray:
        return np.array([r.intervals[name] for r in results], dtype=float)

    n_rep = len(results)
    rows = {k: per_rep(k) for k in ("calls_offered", "retrials", "calls_answered", "answered_in_threshold",
                                    "calls_abandoned", "wait_answered_s", "online_on_time", "online_offered",
                                    "busy_s", "staffed_s")}
    rows["attempts"] = rows["calls_offered"] + rows["retrials"]
    out = _pooled(rows, (("service_level", "answered_in_threshold", "attempts"),
                         ("abandon_rate", "calls_abandoned", "attempts"),
                         ("asa_s", "wait_answered_s", "calls_answered"),
                         ("online_on_time_rate", "online_on_time", "online_offered"),
                         ("occupancy", "busy_s", "staffed_s")))
    out["attempts"] = rows["attempts"].sum(axis=0) / n_rep
    out["online_offered"] = rows["online_offered"].sum(axis=0) / n_rep
    out["mean_on_duty"] = rows["staffed_s"].sum(axis=0) / (n_rep * results[0].interval_s)
    if "rostered_operators" in results[0].intervals:
        out["rostered"] = np.asarray(results[0].intervals["rostered_operators"], dtype=float)
    return out


def group_names(results: Sequence[ReplicationResult]) -> List[str]:
    """The operator groups the replications recorded (``["operators"]`` without ``routing.groups``)."""
    groups = results[0].groups if results else None
    return list(groups.names) if groups is not None else ["operators"]


def pooled_group(results: Sequence[ReplicationResult], group: int) -> Dict[str, np.ndarray]:
    """:func:`pooled_intervals` for operator group number ``group`` (its place in ``routing.groups``).

    Its calls are counted by their first group, its occupancy and time on duty are its own
    operators'; the online items' metrics and counts are the front line's.  Without
    ``routing.groups``, the front line's.
    """
    front = pooled_intervals(results)
    if not results or results[0].groups is None:
        return front

    def per_rep(name: str) -> np.ndarray:
        return np.array([getattr(r.groups, name)[group] for r in results], dtype=float)

    n_rep = len(results)
    rows = {k: per_rep(k) for k in ("attempts", "answered", "answered_in_threshold", "abandoned", "wait_answered_s",
                                    "busy_s", "staffed_s")}
    out = _pooled(rows, (("service_level", "answered_in_threshold", "attempts"),
                         ("abandon_rate", "abandoned", "attempts"),
                         ("asa_s", "wait_answered_s", "answered"),
                         ("occupancy", "busy_s", "staffed_s")))
    out["attempts"] = rows["attempts"].sum(axis=0) / n_rep
    out["mean_on_duty"] = rows["staffed_s"].sum(axis=0) / (n_rep * results[0].interval_s)
    for k in ("online_on_time_rate", "online_on_time_rate_se", "online_offered"):
        out[k] = front[k]
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
        Target name -> 1.0 (met), 0.0 (missed) or NaN (no demand for the metric: nothing to meet), per interval.
    """
    out = {}
    for name, bound in targets.items():
        metric, at_most = TARGET_METRICS[name]
        x, se = pooled[metric], np.nan_to_num(pooled[f"{metric}_se"])
        with np.errstate(invalid="ignore"):
            ok = (x + margin_se * se <= bound) if at_most else (x - margin_se * se >= bound)
        defined = ~np.isnan(x) & (np.asarray(pooled[DEMAND[name]]) > 0)
        out[name] = np.where(defined, ok.astype(float), np.nan)
    return out


def _shares(per: Mapping[str, np.ndarray]) -> Dict[str, Optional[float]]:
    """Shares of the defined intervals meeting each target, and ``all``: every target defined in the interval."""
    out: Dict[str, Optional[float]] = {}
    if not per:
        return {"all": None}
    stack = np.array(list(per.values()))
    defined = ~np.isnan(stack)
    for k, v in per.items():
        ok = v[~np.isnan(v)]
        out[k] = float(np.mean(ok == 1.0)) if ok.size else None
    any_defined = defined.any(axis=0)
    every = np.all(np.where(defined, stack == 1.0, True), axis=0)
    out["all"] = float(np.mean(every[any_defined])) if any_defined.any() else None
    return out


def meeting(results: Sequence[ReplicationResult], targets: Mapping[str, Mapping[str, float]]) -> Dict[str, Any]:
    """Shares of the measurement window's intervals meeting each target, per group and over the front line.

    Parameters
    ----------
    results : sequence of ReplicationResult
        The replications (pooled per interval).
    targets : mapping
        Group name (in the order of ``routing.groups``; ``operators`` without groups) -> target name ->
        bound; the online items' targets belong to the group that serves them first.

    Returns
    -------
    dict
        ``all`` (the share of intervals in which every group meets every target it has demand for:
        the KPI ``intervals_meeting_target``), one entry per target name (every group that has it
        meets it) and ``groups``: per group, ``all`` and one entry per target.  A share is None when
        no interval of the window has demand for it.
    """
    if not results:
        return {"all": None, "groups": {}}
    w = results[0].warmup_intervals
    names = group_names(results)
    per_group = {}
    for g, name in enumerate(names):
        pooled = pooled_group(results, g)
        per_group[name] = {k: v[w:] for k, v in meets(pooled, targets.get(name, {})).items()}
    front: Dict[str, np.ndarray] = {}
    for per in per_group.values():
        for k, v in per.items():
            if k in front:
                both = np.array([front[k], v])
                front[k] = np.where(np.isnan(both).all(axis=0), np.nan,
                                    np.where(np.nan_to_num(both, nan=1.0).min(axis=0) == 1.0, 1.0, 0.0))
            else:
                front[k] = v
    out: Dict[str, Any] = dict(_shares(front))
    every = np.array([v for per in per_group.values() for v in per.values()])
    if every.size:
        defined = ~np.isnan(every)
        ok = np.all(np.where(defined, every == 1.0, True), axis=0)
        out["all"] = float(np.mean(ok[defined.any(axis=0)])) if defined.any() else None
    out["groups"] = {name: _shares(per) for name, per in per_group.items()}
    return out


def meeting_shares(results: Sequence[ReplicationResult], targets: Mapping[str, float]
                   ) -> Dict[str, Optional[float]]:
    """:func:`meeting` for a front line without groups: ``all`` and one entry per target set."""
    out = meeting(results, {group_names(results)[0] if results else "operators": targets})
    return {k: v for k, v in out.items() if k != "groups"}


def plan_targets(cfg: Any) -> Dict[str, Dict[str, float]]:
    """The targets of each operator group (:func:`meeting`'s ``targets``) from a configuration.

    ``staffing.target`` for every group, a group's own targets (``routing.groups.<name>.target``) in
    their place; the online target only for the group that serves online items first (the first of
    ``routing.skills.online``, or the first group declared when online work is not listed).
    """
    front = target_values(cfg.staffing.target)
    groups = cfg.routing.groups
    if not groups:
        return {"operators": front}
    online_home = (list(cfg.routing.skills.get("online") or []) or list(groups))[0]
    out = {}
    for name, group in groups.items():
        own = {k: v for k, v in front.items() if k != "online_on_time_rate"}
        own.update(target_values(group.target))
        if name == online_home and "online_on_time_rate" in front:
            own["online_on_time_rate"] = front["online_on_time_rate"]
        out[name] = own
    return out
