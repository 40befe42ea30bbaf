"""KPIs as pure functions of the records, and confidence intervals across replications.

Every KPI is computed from the per-interval counters of
:class:`~sim.records.intervals.ReplicationResult`, restricted to the measurement window
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

Across replications each KPI gets the mean and a Student-t confidence interval,
clipped to the KPI's domain (:func:`kpi_domain`: counts, times and levels are
>= 0, shares lie in [0, 1]).  The domain registry is the one place that says
what values a KPI can take; every interval of KPI values (``summary.json``, the
printed table, ``units.csv``, the comparison of a sweep, the figures' bands) is
clipped through :func:`clip_to_domain`.  Differences of KPIs are not KPIs and
are never clipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Iterable, List, Mapping, Sequence, TypeVar

import numpy as np
from scipy import stats as st

from sim.records.intervals import OPEN_STATES, TERMINAL_STATES, ReplicationResult

if TYPE_CHECKING:  # pragma: no cover
    from sim.config.schema import Config

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


@dataclass(frozen=True)
class Domain:
    """The values a KPI can take.

    Attributes
    ----------
    kind : str
        ``"count"`` (a number of contacts, orders...), ``"share"`` (a rate in [0, 1]),
        ``"time"`` (a duration in the unit its name gives), ``"level"`` (a time-average
        number of operators or callers) or ``"ratio"`` (a non-negative quotient of counts).
    lo, hi : float
        Closed bounds of the domain.
    """

    kind: str
    lo: float
    hi: float


COUNT = Domain("count", 0.0, math.inf)
SHARE = Domain("share", 0.0, 1.0)
TIME = Domain("time", 0.0, math.inf)
LEVEL = Domain("level", 0.0, math.inf)
RATIO = Domain("ratio", 0.0, math.inf)

#: Domain of every front-line KPI (the back office's are in :data:`sim.analysis.kpis_backoffice.BACKOFFICE_DOMAINS`).
KPI_DOMAINS: Dict[str, Domain] = {
    "contacts_offered": COUNT, "calls_offered": COUNT, "calls_answered": COUNT, "calls_abandoned": COUNT,
    "retrials": COUNT, "service_level": SHARE, "answer_rate": SHARE, "asa_s": TIME, "mean_wait_s": TIME,
    "abandon_rate": SHARE, "occupancy": SHARE, "online_offered": COUNT, "online_on_time_rate": SHARE,
    "online_mean_wait_s": TIME, "mean_operators": LEVEL, "mean_calls_waiting": LEVEL,
    "transferred_emergency": COUNT,
}


def _all_definitions() -> Dict[str, str]:
    from sim.analysis.kpis_backoffice import BACKOFFICE_KPIS

    return {**KPI_DEFINITIONS, **BACKOFFICE_KPIS}


def _all_domains() -> Dict[str, Domain]:
    from sim.analysis.kpis_backoffice import BACKOFFICE_DOMAINS

    return {**KPI_DOMAINS, **BACKOFFICE_DOMAINS}


def headline_kpis() -> tuple[str, ...]:
    """Names of the headline KPIs (those of ``summary.json`` -> ``kpis``), front line first."""
    from sim.analysis.kpis_backoffice import BREAKDOWN_ONLY

    return tuple(k for k in _all_definitions() if k not in BREAKDOWN_ONLY)


#: KPIs measured on calls only, on online submissions only.
CALL_KPIS = frozenset({"calls_offered", "calls_answered", "calls_abandoned", "retrials", "service_level",
                       "answer_rate", "asa_s", "mean_wait_s", "abandon_rate", "mean_calls_waiting"})
ONLINE_KPIS = frozenset({"online_offered", "online_on_time_rate", "online_mean_wait_s"})


def why_undefined(cfg: "Config", name: str) -> str | None:
    """Why headline KPI ``name`` is undefined or always 0 in the scenario ``cfg`` (None if it can vary).

    A relative precision target (half-width / |mean|) on such a KPI can never be met.
    """
    from sim.analysis.kpis_backoffice import BACKOFFICE_KPIS

    a, fb, wo = cfg.arrivals, cfg.feedback, cfg.workorders
    if name in CALL_KPIS and a.phone.per_day <= 0:
        return "a call KPI, but this scenario has no calls (arrivals.phone.per_day=0)"
    if name == "retrials" and cfg.calls.retrial.probability <= 0:
        return "always 0: callers never redial (calls.retrial.probability=0)"
    if name in ONLINE_KPIS and a.online.per_day <= 0:
        return "an online KPI, but this scenario has no online demand (arrivals.online.per_day=0)"
    if name in BACKOFFICE_KPIS and not cfg.units:
        return "a work-order KPI, but this scenario has no units (no work orders)"
    if name == "feedback_occupancy" and fb.mode != "team":
        return "measured only with feedback.mode=team"
    if name in ("bounce_back_rate", "bounces_per_order") and wo.misroute_probability <= 0:
        return "always 0: no order is misrouted (workorders.misroute_probability=0)"
    if name == "reopen_rate" and (fb.reopen_probability <= 0 or fb.max_rounds <= 1):
        return "always 0: no case is reopened (feedback.reopen_probability=0 or feedback.max_rounds=1)"
    if name == "transferred_emergency" and not any(
            c.urgency.get("emergency", 0) > 0 and c.emergency_transfer_share > 0 for c in cfg.categories.values()):
        return "always 0: no category transfers emergencies (emergency urgency and emergency_transfer_share)"
    return None


def kpi_domain(name: str) -> Domain:
    """The domain of KPI ``name``; a breakdown (``closeout_on_time_rate.emergency``) has its base KPI's.

    Raises
    ------
    KeyError
        If the name's base is not a KPI of the registry (every KPI must have a domain).
    """
    base = name.split(".", 1)[0]
    try:
        return _all_domains()[base]
    except KeyError:
        raise KeyError(f"KPI {name!r} has no domain in the registry ("
                       "sim/analysis/kpis.py, sim/analysis/kpis_backoffice.py)") from None


X = TypeVar("X", float, np.ndarray)


def clip_to_domain(name: str, x: X) -> X:
    """``x`` (a bound of an interval of KPI ``name``, or an array of them) clipped to the KPI's domain.

    NaN stays NaN.  This is for values of the KPI itself (means, interval bounds, bands), never for
    differences of two KPI values, which can be negative.
    """
    d = kpi_domain(name)
    if isinstance(x, np.ndarray):
        return np.clip(x, d.lo, d.hi)
    return min(max(float(x), d.lo), d.hi) if not math.isnan(x) else x


KPI_NAMES: tuple[str, ...] = tuple(KPI_DEFINITIONS)


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray | float:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(den) > 0, np.asarray(num, dtype=float) / np.where(np.asarray(den) > 0, den, 1),
                        np.nan)


def kpis_from_sums(s: Mapping[str, np.ndarray | float], window_s: np.ndarray | float) -> Dict[str, np.ndarray | float]:
    """KPIs from summed counters (scalars for a window, arrays for per-interval values).

    Parameters
    ----------
    s : mapping
        Column name to summed counter (see :data:`sim.records.intervals.COUNT_COLUMNS` and ``AREA_COLUMNS``).
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
        from sim.analysis.kpis_backoffice import backoffice_kpis, category_kpis, unit_type_kpis

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
    return kpi_domain(name).kind == "share"


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
    half = float(st.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
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
