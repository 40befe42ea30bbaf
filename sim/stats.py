"""KPIs as pure functions of the records, and confidence intervals across replications.

Every KPI is computed from the per-interval counters of
:class:`~sim.records.ReplicationResult`, restricted to the measurement window
(the intervals after the warm-up).  Counts are attributed to the interval in
which the attempt arrived; occupancy and queue lengths to the interval in which
the time passed.  Definitions (also in ``docs/kpis.md``):

* ``calls_offered``: first call attempts; ``retrials``: redials;
  attempts = calls_offered + retrials.
* ``service_level``: attempts answered within ``kpi.answer_threshold_s`` / attempts.
* ``answer_rate`` = answered / attempts; ``abandon_rate`` = abandoned / attempts.
* ``asa_s``: mean wait of answered attempts; ``mean_wait_s``: mean wait of
  answered and abandoned attempts.
* ``occupancy``: operator-seconds busy / operator-seconds on duty.
* ``online_on_time_rate``: online submissions accepted within the deadline /
  online submissions.

Across replications each KPI gets the mean and a Student-t confidence interval.
"""

from __future__ import annotations

import math
from typing import Dict, Iterable, List, Mapping, Sequence

import numpy as np
from scipy import stats as st

from .records import OPEN_STATES, TERMINAL_STATES, ReplicationResult

#: KPI names in display order, with a one-line definition each.
KPI_DEFINITIONS: Dict[str, str] = {
    "contacts_offered": "first contacts over both channels (calls_offered + online_offered)",
    "calls_offered": "first call attempts",
    "calls_answered": "call attempts answered by an operator",
    "calls_abandoned": "call attempts abandoned while waiting",
    "retrials": "redial attempts after abandoning",
    "service_level": "call attempts answered within kpi.answer_threshold_s / call attempts",
    "answer_rate": "call attempts answered / call attempts",
    "asa_s": "mean wait of answered call attempts, seconds",
    "mean_wait_s": "mean wait of answered and abandoned call attempts, seconds",
    "abandon_rate": "call attempts abandoned / call attempts",
    "occupancy": "operator time busy / operator time on duty",
    "online_offered": "online submissions",
    "online_on_time_rate": "online submissions accepted within online.deadline_h / online submissions",
    "online_mean_wait_s": "mean time from submission to acceptance of accepted online items, seconds",
    "mean_operators": "time-average number of operators on duty",
    "mean_calls_waiting": "time-average number of calls waiting",
    "transferred_emergency": "contacts transferred to emergency services (110/119/120/122)",
}
def _all_definitions() -> Dict[str, str]:
    from .stats_backoffice import BACKOFFICE_KPIS

    return {**KPI_DEFINITIONS, **BACKOFFICE_KPIS}


KPI_NAMES: tuple[str, ...] = tuple(KPI_DEFINITIONS)
#: KPIs that are counts (printed without decimals).
COUNT_KPIS = {"contacts_offered", "calls_offered", "calls_answered", "calls_abandoned", "retrials", "online_offered",
              "work_orders", "transferred_emergency", "orders_received", "closed", "open_orders"}


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray | float:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(den) > 0, np.asarray(num, dtype=float) / np.where(np.asarray(den) > 0, den, 1),
                        np.nan)


def kpis_from_sums(s: Mapping[str, np.ndarray | float], window_s: np.ndarray | float) -> Dict[str, np.ndarray | float]:
    """KPIs from summed counters (scalars for a window, arrays for per-interval values).

    Parameters
    ----------
    s : mapping
        Column name to summed counter (see :data:`sim.records.COUNT_COLUMNS` and ``AREA_COLUMNS``).
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
        "answer_rate": _ratio(s["calls_answered"], attempts),
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


def replication_kpis(res: ReplicationResult) -> Dict[str, float]:
    """KPIs of one replication over its measurement window.

    Headline KPIs have plain names; breakdowns have dotted names
    (``closeout_on_time_rate.emergency``, ``satisfaction_rate.street``,
    ``time_to_close_p90_h.education``).
    """
    w = res.warmup_intervals
    sums = {k: float(v[w:].sum()) for k, v in res.intervals.items()}
    window_s = (len(next(iter(res.intervals.values()))) - w) * res.interval_s
    out = {k: float(v) for k, v in kpis_from_sums(sums, window_s).items()}
    bo = res.extra.get("backoffice")
    if bo is not None:
        from .stats_backoffice import backoffice_kpis, category_kpis, unit_type_kpis

        meta = res.extra["backoffice_meta"]
        out["transferred_emergency"] = float(res.terminal[TERMINAL_STATES.index("transferred_emergency"), w:].sum())
        out.update(backoffice_kpis(bo, res.intervals, w, res.extra.get("after_horizon")))
        first_day = int(np.ceil(w * res.interval_s / 86400.0))
        last_day = int(np.ceil(len(res.intervals["calls_offered"]) * res.interval_s / 86400.0))
        out.update(unit_type_kpis(bo, np.asarray(meta["type_of"]), list(meta["type_names"]),
                                  slice(first_day, max(last_day, first_day + 1))))
        out.update(category_kpis(bo, list(meta["categories"])))
    return out


def bin_sums(x: np.ndarray, factor: int) -> np.ndarray:
    """Sums of ``x`` over consecutive bins of ``factor`` entries (a trailing partial bin is dropped)."""
    n = len(x) // factor * factor
    return np.asarray(x[:n], dtype=float).reshape(-1, factor).sum(axis=1)


def interval_kpis(res: ReplicationResult, factor: int = 1) -> Dict[str, np.ndarray]:
    """KPIs of every reporting interval of one replication (including warm-up intervals), or of
    every bin of ``factor`` consecutive intervals."""
    sums = res.intervals if factor == 1 else {k: bin_sums(v, factor) for k, v in res.intervals.items()}
    return {k: np.asarray(v, dtype=float) for k, v in kpis_from_sums(sums, res.interval_s * factor).items()}


def accounting(res: ReplicationResult, window_only: bool = True) -> Dict[str, int]:
    """Contacts by terminal or open state (arrival interval in the window unless ``window_only`` is False)."""
    w = res.warmup_intervals if window_only else 0
    out = {f"ended:{s}": int(round(res.terminal[i, w:].sum())) for i, s in enumerate(TERMINAL_STATES)}
    out.update({f"open:{s}": int(round(res.open[i, w:].sum())) for i, s in enumerate(OPEN_STATES)})
    return out


def is_share(name: str) -> bool:
    """Whether KPI ``name`` is a share in [0, 1] (a rate, service level or occupancy)."""
    base = name.split(".", 1)[0]
    return base.endswith("_rate") or base.endswith("occupancy") or base == "service_level"


def confidence_interval(values: Sequence[float], confidence: float = 0.95,
                        bounds: tuple[float, float] | None = None) -> Dict[str, float | None]:
    """Mean and Student-t confidence interval of replication values.

    Returns ``{"mean", "ci_low", "ci_high"}``; the bounds are ``None`` with a
    single replication, and everything is ``None`` when a value is undefined
    (NaN) in some replication.  ``bounds`` clips the interval (a share cannot
    leave [0, 1]).
    """
    x = np.asarray(values, dtype=float)
    if len(x) == 0 or np.isnan(x).any():
        return {"mean": None, "ci_low": None, "ci_high": None}
    mean = float(x.mean())
    if len(x) < 2:
        return {"mean": mean, "ci_low": None, "ci_high": None}
    half = float(st.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    lo, hi = mean - half, mean + half
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return {"mean": mean, "ci_low": lo, "ci_high": hi}


def summarise(per_rep: Iterable[Mapping[str, float]], confidence: float = 0.95,
              names: Sequence[str] | None = None) -> Dict[str, Dict[str, float | None]]:
    """Mean and confidence interval of each KPI across replications (all KPIs of the first row by default)."""
    rows: List[Mapping[str, float]] = list(per_rep)
    if names is None:
        names = list(rows[0]) if rows else []
    return {k: confidence_interval([r[k] for r in rows], confidence, (0.0, 1.0) if is_share(k) else None)
            for k in names}


def relative_half_width(ci: Mapping[str, float | None]) -> float:
    """Half-width of a confidence interval divided by |mean| (inf when undefined)."""
    if ci["ci_low"] is None or ci["mean"] in (None, 0):
        return math.inf
    return (float(ci["ci_high"]) - float(ci["ci_low"])) / 2 / abs(float(ci["mean"]))  # type: ignore[arg-type]
