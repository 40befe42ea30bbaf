"""KPIs as pure functions of the records, and confidence intervals across replications.

Every KPI is computed from the per-interval counters of
:class:`~sim.records.intervals.ReplicationResult`, restricted to the measurement window
(the intervals after the warm-up).  Counts are attributed to the interval in
which the attempt arrived; occupancy and queue lengths to the interval in which
the time passed.  Definitions (also in ``docs/kpis.md``):

* ``calls_offered``: first call attempts; ``retrials``: redials;
  attempts = calls_offered + retrials.
* ``service_level``: attempts answered within ``kpi.answer_threshold_s`` / attempts.
* ``answer_rate`` = (answered live + callbacks completed) / attempts: a callback that
  reached the resident is an answered contact, counted in the interval of the attempt
  that accepted it; ``abandon_rate`` = abandoned / attempts.
* ``asa_s``: mean wait of answered attempts; ``mean_wait_s``: mean wait of
  answered and abandoned attempts.
* ``occupancy``: operator-seconds busy / operator-seconds on duty.
* ``online_on_time_rate``: online submissions accepted within the deadline /
  online submissions.

Across replications each KPI gets the mean and a Student-t confidence interval,
clipped to the KPI's domain (:func:`sim.config.kpi_catalog.kpi_domain`: counts,
times and levels are >= 0, shares lie in [0, 1]).  The KPI catalogue is the one
place that says what values a KPI can take; every interval of KPI values (``summary.json``, the
printed table, ``units.csv``, the comparison of a sweep, the figures' bands) is
clipped through :func:`clip_to_domain`.  Differences of KPIs are not KPIs and
are never clipped.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Iterable, List, Mapping, Sequence, TypeVar

import numpy as np
from scipy import special

from sim.analysis.staffing_kpis import plan_hours
from sim.config.kpi_catalog import all_definitions, front_line_kpis, headline_kpis, kpi_domain
from sim.records.intervals import OPEN_STATES, TERMINAL_STATES, ReplicationResult

__all__ = ["KPI_NAMES", "all_definitions", "headline_kpis", "kpi_domain", "clip_to_domain", "clip_difference",
           "kpis_from_sums", "replication_kpis", "bin_sums", "interval_kpis", "accounting", "confidence_interval",
           "summarise", "relative_half_width", "is_share", "difference_ci"]

X = TypeVar("X", float, np.ndarray)


def clip_to_domain(name: str, x: X) -> X:
    """``x`` (a bound of an interval of KPI ``name``, or an array of them) clipped to the KPI's domain.

    NaN stays NaN.  This is for values of the KPI itself (means, interval bounds, bands), never for
    differences of two KPI values, which can be negative: :func:`clip_difference` bounds those.
    """
    d = kpi_domain(name)
    if isinstance(x, np.ndarray):
        return np.clip(x, d.lo, d.hi)
    return min(max(float(x), d.lo), d.hi) if not math.isnan(x) else x


def clip_difference(name: str, x: float) -> float:
    """``x`` (a bound of the interval of a difference of KPI ``name`` between two variants) clipped to the
    differences the KPI's domain allows: two values in [lo, hi] differ by at most hi - lo either way (two
    shares by at most 1: 100 percentage points).  Unbounded domains (counts, times) leave ``x`` as it is."""
    d = kpi_domain(name)
    span = d.hi - d.lo
    return min(max(float(x), -span), span) if not math.isnan(x) else x


#: The KPIs every run computes (front line and staffing), first in ``kpis.csv``.
KPI_NAMES: tuple[str, ...] = front_line_kpis()


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray | float:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(den) > 0, np.asarray(num, dtype=float) / np.where(np.asarray(den) > 0, den, 1),
                        np.nan)


def kpis_from_sums(s: Mapping[str, np.ndarray | float], window_s: np.ndarray | float) -> Dict[str, np.ndarray | float]:
    """KPIs from summed counters (scalars for a window, arrays for per-interval values).

    Parameters
    ----------
    s : mapping
        Column name to summed counter (see :data:`sim.records.intervals.COUNT_COLUMNS` and ``AREA_COLUMNS``),
        and ``callbacks_completed`` when callbacks are on (:func:`with_callbacks`).
    window_s : float or ndarray
        Length of the window(s) in seconds.
    """
    attempts = s["calls_offered"] + s["retrials"]
    ended = s["calls_answered"] + s["calls_abandoned"]
    return {
        "contacts_offered": s["calls_offered"] + s["online_offered"],
        "calls_offered": s["calls_offered"],
        "calls_answered": s["calls_answered"],
        "calls_abandoned": s["calls_abandoned"],
        "retrials": s["retrials"],
        "service_level": _ratio(s["answered_in_threshold"], attempts),
        "answer_rate": _ratio(s["calls_answered"] + s.get("callbacks_completed", 0.0), attempts),
        "asa_s": _ratio(s["wait_answered_s"], s["calls_answered"]),
        "mean_wait_s": _ratio(s["wait_answered_s"] + s["wait_abandoned_s"], ended),
        "abandon_rate": _ratio(s["calls_abandoned"], attempts),
        "occupancy": _ratio(s["busy_s"], s["staffed_s"]),
        "online_offered": s["online_offered"],
        "online_on_time_rate": _ratio(s["online_on_time"], s["online_offered"]),
        "online_mean_wait_s": _ratio(s["wait_online_s"], s["online_accepted"]),
        "mean_operators": _ratio(s["staffed_s"], window_s),
        "mean_calls_waiting": _ratio(s["queue_calls_s"], window_s),
    }


def with_callbacks(res: ReplicationResult) -> Dict[str, np.ndarray]:
    """The interval table of ``res``, with ``callbacks_completed`` per interval (of the accepting attempt)
    when callbacks are on: the answered contacts are the calls answered live and the callbacks completed."""
    table = dict(res.intervals)
    if res.callbacks is not None:
        table["callbacks_completed"] = np.asarray(res.callbacks.completed, dtype=float)
    return table


def replication_kpis(res: ReplicationResult) -> Dict[str, float]:
    """KPIs of one replication over its measurement window.

    Headline KPIs have plain names; breakdowns have dotted names
    (``closeout_on_time_rate.emergency``, ``satisfaction_rate.street``,
    ``time_to_close_p90_h.education``).
    """
    w = res.warmup_intervals
    sums = {k: float(v[w:].sum()) for k, v in with_callbacks(res).items()}
    window_s = (len(next(iter(res.intervals.values()))) - w) * res.interval_s
    out = {k: float(v) for k, v in kpis_from_sums(sums, window_s).items()}
    out.update(plan_hours(res))
    bo = res.backoffice
    if bo is not None:
        from sim.analysis.kpis_backoffice import backoffice_kpis, category_kpis, unit_type_kpis

        out["transferred_emergency"] = float(res.terminal[TERMINAL_STATES.index("transferred_emergency"), w:].sum())
        out.update(backoffice_kpis(bo, res.intervals, w, res.after_horizon))
        first_day = int(np.ceil(w * res.interval_s / 86400.0))
        last_day = int(np.ceil(len(res.intervals["calls_offered"]) * res.interval_s / 86400.0))
        out.update(unit_type_kpis(bo, np.asarray(bo.meta.type_of), list(bo.meta.type_names),
                                  slice(first_day, max(last_day, first_day + 1))))
        out.update(category_kpis(bo, list(bo.meta.categories)))
    if res.groups is not None or res.callbacks is not None:
        from sim.analysis.kpis_routing import callback_kpis, group_kpis

        if res.callbacks is not None:
            out.update(callback_kpis(res.callbacks, w))
        if res.groups is not None:
            out.update(group_kpis(res.groups, w))
    return out


def bin_sums(x: np.ndarray, factor: int) -> np.ndarray:
    """Sums of ``x`` over consecutive bins of ``factor`` entries (a trailing partial bin is dropped)."""
    n = len(x) // factor * factor
    return np.asarray(x[:n], dtype=float).reshape(-1, factor).sum(axis=1)


def interval_kpis(res: ReplicationResult, factor: int = 1) -> Dict[str, np.ndarray]:
    """KPIs of every reporting interval of one replication (including warm-up intervals), or of
    every bin of ``factor`` consecutive intervals."""
    table = with_callbacks(res)
    sums = table if factor == 1 else {k: bin_sums(v, factor) for k, v in table.items()}
    return {k: np.asarray(v, dtype=float) for k, v in kpis_from_sums(sums, res.interval_s * factor).items()}


def accounting(res: ReplicationResult, window_only: bool = True) -> Dict[str, int]:
    """Contacts by terminal or open state (arrival interval in the window unless ``window_only`` is False)."""
    w = res.warmup_intervals if window_only else 0
    out = {f"ended:{s}": int(round(res.terminal[i, w:].sum())) for i, s in enumerate(TERMINAL_STATES)}
    out.update({f"open:{s}": int(round(res.open[i, w:].sum())) for i, s in enumerate(OPEN_STATES)})
    return out


def is_share(name: str) -> bool:
    """Whether KPI ``name`` is a share in [0, 1] (a rate, service level or occupancy)."""
    return kpi_domain(name).kind == "share"


def t_quantile(q: float | np.ndarray, dof: float | np.ndarray) -> np.ndarray:
    """Quantile ``q`` of Student's t distribution with ``dof`` degrees of freedom (array-like).

    The same function and values as ``scipy.stats.t.ppf(q, dof)`` (which calls it), through
    :mod:`scipy.special` alone: importing :mod:`scipy.stats` costs most of a second at the
    start of every run.
    """
    return special.stdtrit(dof, q)


def confidence_interval(values: Sequence[float], confidence: float = 0.95,
                        name: str | None = None) -> Dict[str, float | None]:
    """Mean and Student-t confidence interval of replication values.

    Returns ``{"mean", "ci_low", "ci_high"}``; the bounds are ``None`` with a
    single replication, and everything is ``None`` when a value is undefined
    (NaN) in some replication.  With the KPI's ``name`` the interval is clipped
    to its domain (:func:`clip_to_domain`: a count cannot go below 0, a share
    cannot leave [0, 1]); without it the interval is the plain t interval (the
    stopping rule of a precision target measures that one).
    """
    x = np.asarray(values, dtype=float)
    if len(x) == 0 or np.isnan(x).any():
        return {"mean": None, "ci_low": None, "ci_high": None}
    mean = float(x.mean())
    if len(x) < 2:
        return {"mean": mean, "ci_low": None, "ci_high": None}
    half = float(t_quantile(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    lo, hi = mean - half, mean + half
    if name is not None:
        lo, hi = clip_to_domain(name, lo), clip_to_domain(name, hi)
    return {"mean": mean, "ci_low": lo, "ci_high": hi}


def summarise(per_rep: Iterable[Mapping[str, float]], confidence: float = 0.95,
              names: Sequence[str] | None = None) -> Dict[str, Dict[str, float | None]]:
    """Mean and confidence interval of each KPI across replications (all KPIs of the first row by default)."""
    rows: List[Mapping[str, float]] = list(per_rep)
    if names is None:
        names = list(rows[0]) if rows else []
    return {k: confidence_interval([r[k] for r in rows], confidence, k) for k in names}


def relative_half_width(ci: Mapping[str, float | None]) -> float:
    """Half-width of a confidence interval divided by |mean| (inf when undefined)."""
    if ci["ci_low"] is None or ci["mean"] in (None, 0):
        return math.inf
    return (float(ci["ci_high"]) - float(ci["ci_low"])) / 2 / abs(float(ci["mean"]))  # type: ignore[arg-type]


def difference_ci(a: Sequence[float], b: Sequence[float], paired: bool, confidence: float,
                  name: str | None = None) -> Dict[str, Any]:
    """Mean of ``b - a`` with its confidence interval and whether it excludes 0.

    Paired-t when ``paired`` (``a[i]`` and ``b[i]`` are one pair: the same replication of two
    variants under common random numbers), else Welch's unpaired interval with the
    Welch-Satterthwaite degrees of freedom.  Which values form a pair is the caller's to know:
    :func:`sim.analysis.differences.compare_replications` pairs by replication number.  A
    difference of KPIs can be negative: it is never clipped to a KPI's domain, but with the KPI's
    ``name`` its interval is clipped to the differences that domain allows (:func:`clip_difference`:
    two shares differ by at most 1), which never changes whether it excludes 0.  When the values
    are all equal (paired: every pair differs by the same amount), the interval is that single
    value, significant when it is not 0.

    Raises
    ------
    ValueError
        ``paired`` with samples of different lengths (they cannot be pairs).

    Returns
    -------
    dict
        ``diff``, ``diff_ci_low``, ``diff_ci_high``, ``significant`` and ``method``
        (``"paired-t"`` or ``"welch"``); all None when a sample has fewer than 2 values or a NaN.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if paired and len(x) != len(y):
        raise ValueError(f"a paired difference needs pairs: {len(x)} and {len(y)} values")
    if np.isnan(x).any() or np.isnan(y).any() or len(x) < 2 or len(y) < 2:
        return {"diff": None, "diff_ci_low": None, "diff_ci_high": None, "significant": None, "method": None}
    q = 0.5 + confidence / 2
    dof: float
    if paired:
        d = y - x
        mean, se, dof = float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d))), len(d) - 1
        method = "paired-t"
    else:
        vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
        mean, se = float(y.mean() - x.mean()), float(math.sqrt(vx + vy))
        denom = (vx * vx / (len(x) - 1) + vy * vy / (len(y) - 1))
        dof = float((vx + vy) ** 2 / denom) if denom > 0 else len(x) + len(y) - 2
        method = "welch"
    half = float(t_quantile(q, dof) * se) if se > 0 else 0.0
    lo, hi = mean - half, mean + half
    if name is not None:
        lo, hi = clip_difference(name, lo), clip_difference(name, hi)
    return {"diff": mean, "diff_ci_low": lo, "diff_ci_high": hi, "significant": bool(lo > 0 or hi < 0),
            "method": method}
