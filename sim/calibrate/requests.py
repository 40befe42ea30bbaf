"""What a service-request log says: volumes, channels, profiles, categories and times to close.

:func:`calibrate_requests` turns a :class:`~sim.calibrate.logread.RequestLog` into

* **volumes and profiles** of residents' requests (channel classes ``phone``,
  ``online``, ``other``, ``unknown``; ``internal`` requests - created by city staff,
  e.g. proactive sweeps - are counted but are not residents' demand): requests
  per day, weekday factors and ``day_cv`` of all of them, an hourly profile per
  channel (:mod:`sim.calibrate.arrivals`); ``other`` and ``unknown`` requests
  are shared between phone and online in proportion.  A log that is a sample
  (``sample_fraction`` < 1) has its volumes divided by the fraction;
* the **channel mix** and the **category mix** (the log's complaint types);
* **time to close** (closed - created, hours) per agency, per category and per
  unit type (agencies mapped to unit types by a user-editable mapping,
  :func:`sim.calibrate.formats.load_units`): Kaplan-Meier with open requests
  censored at the extraction time (``as_of``), its median and 90th percentile,
  and per agency and unit type a censored maximum-likelihood fit
  (:func:`sim.calibrate.survival.fit_censored`), over residents' requests.  A
  group needs ``min_per_group`` closed requests for an estimate of its own; a
  unit type with fewer has none (``close_by_unit`` leaves it out,
  ``closed_by_unit`` counts its closed requests): the scenario gives it the
  pooled time to close, and the back-test does not compare it.  A request
  closed before it was created keeps its arrival but not its close time
  (counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from sim.calibrate.arrivals import ArrivalFit, fit_arrivals
from sim.calibrate.logread import RequestLog
from sim.calibrate.scenario import slug
from sim.calibrate.survival import CensoredReport, fit_censored

HOUR_S = 3600.0
RESIDENT = ("phone", "online", "other", "unknown")


@dataclass
class RequestOptions:
    """Settings of a request-log calibration (the command's options)."""

    as_of_s: Optional[float] = None   # extraction time, seconds from day 0 (default: the latest time in the log)
    sample_fraction: float = 1.0
    min_per_group: int = 30
    profile_tolerance: float = 0.1
    top_categories: int = 25


@dataclass
class RequestCalibration:
    """Everything fitted from a request log."""

    log: RequestLog
    resident: np.ndarray                # mask: residents' requests
    arrivals: ArrivalFit
    channel_arrivals: Dict[str, ArrivalFit]
    channel_per_day: Dict[str, float]
    channel_counts: Dict[str, int]
    class_counts: Dict[str, int]
    unit_of_agency: Dict[str, str]
    unit_shares: Dict[str, float]
    close_by_unit: Dict[str, CensoredReport]
    close_by_agency: Dict[str, CensoredReport]
    close_by_category: Dict[str, Dict[str, Any]]
    close_pooled: CensoredReport
    as_of_s: float
    closed_by_unit: Dict[str, int] = field(default_factory=dict)  # residents' closed requests per unit type
    min_per_group: int = 30  # closed requests a unit type needs for an estimate of its own
    notes: List[str] = field(default_factory=list)
    holdout: Optional["RequestCalibration"] = None  # the same fits on the hold-out window, to compare with


def close_times_h(log: RequestLog, as_of_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Close time in hours, event flag (closed) and usable mask (not closed before created, created by as_of)."""
    closed = ~np.isnan(log.closed_s)
    t = np.where(closed, log.closed_s - log.created_s, as_of_s - log.created_s) / HOUR_S
    return t, closed, ~log.close_bad & (log.created_s <= as_of_s) & (t >= 0)


def _km_summary(rep: Optional[CensoredReport], n: int) -> Dict[str, Any]:
    if rep is None:
        return {"n": n, "median": None, "p90": None, "family": None}
    d = rep.as_dict()
    return {"n": n, "closed": d["n_events"], "open": d["n_censored"], "median": d["km_median"], "p90": d["km_p90"],
            "family": d["family"], "params": d["params"], "mean": d["mean"], "cv": d["cv"], "gof": d["gof"]["value"],
            "aic": d["aic"]}


def calibrate_requests(log: RequestLog, units: Dict[str, str], opts: RequestOptions) -> RequestCalibration:
    """Fit volumes, mixes and times to close (see the module docstring)."""
    notes: List[str] = []
    assert log.info.start_date is not None
    classes = np.array([log.channel_class[c] for c in log.channel]) if len(log.channel) else np.array([], dtype=str)
    resident = np.isin(classes, RESIDENT)
    if not resident.any():
        raise ValueError("holds no request from residents (every channel maps to internal)")
    local, zone = log.created_local_s, log.info.rule.zone  # hours and weekdays of the local clock
    arr = fit_arrivals(local[resident], log.run[resident], log.info.start_date, opts.profile_tolerance, zone)
    f = opts.sample_fraction
    if f < 1.0:
        notes.append(f"the log is a sample of {f:.3g} of all requests: volumes divided by it")
    per_day = arr.per_day / f
    counts = {k: int(np.sum(classes == k)) for k in ("phone", "online", "other", "unknown", "internal")}
    known = counts["phone"] + counts["online"]
    share_phone = counts["phone"] / known if known else 0.5
    if counts["other"] + counts["unknown"]:
        notes.append(f"{counts['other'] + counts['unknown']:,} requests by other or unknown channels are shared "
                     f"between phone ({share_phone:.1%}) and online in proportion")
    if counts["internal"]:
        notes.append(f"{counts['internal']:,} requests created by city staff (internal channels) are not residents' "
                     f"demand: left out of the volumes and the times to close")
    channel_per_day = {"phone": per_day * share_phone, "online": per_day * (1.0 - share_phone)}
    channel_arrivals: Dict[str, ArrivalFit] = {}
    for ch in ("phone", "online"):
        m = classes == ch
        if m.sum() >= 50:
            channel_arrivals[ch] = fit_arrivals(local[m], log.run[m], log.info.start_date, opts.profile_tolerance,
                                                zone)
        else:
            channel_arrivals[ch] = arr
            if channel_per_day[ch] > 0:
                notes.append(f"{int(m.sum())} {ch} requests (< 50): the {ch} profile is that of all residents' "
                             f"requests")
    as_of = opts.as_of_s if opts.as_of_s is not None else max(log.end_s.values())
    t, event, usable = close_times_h(log, as_of)
    if log.bad_close:
        notes.append(f"{log.bad_close} requests closed before they were created (lines "
                     f"{', '.join(map(str, log.bad_close_lines[:5]))}{', ...' if log.bad_close > 5 else ''}): "
                     f"arrivals kept, close times left out")
    unit_of = {a: slug(units.get(a, a)) or "unknown" for a in log.agencies}
    unmapped = [a for a in log.agencies if a not in units]
    if unmapped:
        notes.append(f"agencies without a unit type in the mapping (each its own type): {', '.join(unmapped[:10])}"
                     f"{' ...' if len(unmapped) > 10 else ''}")
    agency_unit = np.array([unit_of[log.agencies[a]] for a in log.agency]) if len(log.agency) else np.array([])
    unit_counts = {u: int(np.sum(resident & (agency_unit == u))) for u in sorted(set(unit_of.values()))}
    total = sum(unit_counts.values())
    unit_shares = {u: c / total for u, c in unit_counts.items() if c > 0}

    def fit(mask: np.ndarray) -> Optional[CensoredReport]:
        m = mask & usable & resident
        if np.sum(m & event) < opts.min_per_group:
            return None
        return fit_censored(t[m], event[m], resolution=1.0 / HOUR_S)

    close_by_unit = {u: r for u in unit_shares if (r := fit(agency_unit == u)) is not None}
    closed_by_unit = {u: int(np.sum((agency_unit == u) & usable & resident & event)) for u in unit_shares}
    for u in unit_shares:
        if u not in close_by_unit:
            notes.append(f"unit type {u}: {closed_by_unit[u]} closed requests, fewer than {opts.min_per_group}: no "
                         f"time to close of its own (the scenario gives it the pooled one; the back-test does not "
                         f"compare it)")
    close_by_agency = {a: r for i, a in enumerate(log.agencies) if (r := fit(log.agency == i)) is not None}
    order = np.argsort(-np.bincount(log.category, minlength=len(log.categories)))[:opts.top_categories]
    close_by_category: Dict[str, Dict[str, Any]] = {}
    from sim.calibrate.survival import kaplan_meier

    for c in order:
        m = (log.category == c) & usable & resident
        if np.sum(m & event) >= opts.min_per_group:
            km = kaplan_meier(t[m], event[m])
            close_by_category[log.categories[c]] = {"n": int(m.sum()), "closed": km.n_events, "open": km.n_censored,
                                                    "median": km.quantile(0.5), "p90": km.quantile(0.9)}
    pooled = fit(np.ones(len(t), dtype=bool))
    if pooled is None:
        raise ValueError(f"holds {int(np.sum(usable & resident & event))} closed requests of residents, fewer "
                         f"than {opts.min_per_group}: their time to close cannot be estimated")
    return RequestCalibration(
        log=log, resident=resident, arrivals=arr, channel_arrivals=channel_arrivals, channel_per_day=channel_per_day,
        channel_counts={ch: int(np.sum(log.channel == i)) for i, ch in enumerate(log.channels)},
        class_counts=counts, unit_of_agency=unit_of, unit_shares=unit_shares, close_by_unit=close_by_unit,
        close_by_agency=close_by_agency, close_by_category=close_by_category, close_pooled=pooled,
        as_of_s=float(as_of), closed_by_unit=closed_by_unit, min_per_group=opts.min_per_group,
        notes=notes + arr.notes)


def requests_json(cal: RequestCalibration) -> Dict[str, Any]:
    """The fitted values as ``calibration.json`` holds them (before the back-test is added)."""
    log, a = cal.log, cal.arrivals
    cats = np.bincount(log.category[cal.resident], minlength=len(log.categories))
    n_res = max(int(cal.resident.sum()), 1)
    top = np.argsort(-cats)[:25]
    t, event, usable = close_times_h(log, cal.as_of_s)
    agency_unit = np.array([cal.unit_of_agency[log.agencies[a]] for a in log.agency])
    done = event & usable & cal.resident
    instant = float(np.mean(t[done] <= 1.0 / 60.0)) if np.any(done) else None
    return {
        "kind": "requests", "log": log.info.as_dict(), "requests": len(log.created_s),
        "resident_requests": int(cal.resident.sum()),
        "requests_per_day": a.per_day, "requests_per_day_scaled": sum(cal.channel_per_day.values()),
        "per_weekday": a.per_weekday, "day_of_week": a.day_of_week, "hourly_profile": a.hourly_profile,
        "day_cv": a.day_cv, "arrivals": a.as_dict(),
        "channels": {"per_day": cal.channel_per_day, "counts": cal.channel_counts, "classes": cal.class_counts,
                     "hourly_profile": {ch: f.hourly_profile for ch, f in cal.channel_arrivals.items()}},
        "categories": {log.categories[c]: float(cats[c] / n_res) for c in top if cats[c] > 0},
        "categories_total": len(log.categories),
        "unit_of_agency": cal.unit_of_agency, "unit_shares": cal.unit_shares,
        "as_of": cal.as_of_s, "as_of_time": log.info.when(cal.as_of_s),
        "close_h": {a_: _km_summary(r, int(np.sum(cal.resident & (log.agency == log.agencies.index(a_)))))
                    for a_, r in cal.close_by_agency.items()},
        "close_h_by_unit_type": {u: _km_summary(r, int(np.sum(cal.resident & (agency_unit == u))))
                                 for u, r in cal.close_by_unit.items()},
        "close_h_too_few": {u: {"n": int(np.sum(cal.resident & (agency_unit == u))), "closed": n,
                                "open": int(np.sum(cal.resident & usable & ~event & (agency_unit == u))),
                                "min_per_group": cal.min_per_group}
                            for u, n in cal.closed_by_unit.items() if u not in cal.close_by_unit},
        "close_h_pooled": _km_summary(cal.close_pooled, len(log.created_s)),
        "close_h_by_category": cal.close_by_category,
        "closed_within_a_minute": instant,
        "estimator": {"close_h": "Kaplan-Meier with open requests censored at as_of (median, p90); censored maximum "
                                 "likelihood per agency and unit type, family by AIC"},
        "notes": cal.notes,
    }


