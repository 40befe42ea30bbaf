"""What a call log says about the model's front-line parameters.

:func:`calibrate_calls` turns a :class:`~sim.calibrate.logread.CallLog` into the
fitted values of ``calibration.json`` and the objects the report draws:

* **redials**: a call of an identified caller within ``redial_window_h`` of that
  caller's abandoned call is a redial of it; the share of abandoned calls
  followed by one, the delay (abandonment to redial; fitted like a handle time)
  and the longest chain.  Redials of unidentified callers cannot be seen: their
  expected number (unidentified abandonments x the share) is taken off the
  first attempts, like the identified redials;
* **arrivals** of first attempts (:mod:`sim.calibrate.arrivals`) and the
  **category mix** of first attempts;
* **handle time** (service end - start of answered calls) per category and
  pooled (:func:`sim.calibrate.fitting.fit_durations`); a category with fewer
  than ``min_per_category`` services uses the pooled fit;
* **patience** by censored maximum likelihood and Kaplan-Meier
  (:func:`sim.calibrate.survival.fit_censored`): an abandoned call's wait is an
  event, an answered call's wait a censoring; so is an open call's wait, up to
  the time it left the queue (a callback taken) or else to the end of the log;
  and whether it depends on the queue the caller found (:mod:`sim.calibrate.patience`:
  if so the scenario holds the exponential patience, whose rate is the log's abandonments per second waited);
* **priorities**: only where the log marks them (the format's
  ``priority_labels``; any other value is a regular caller): the mix, and each
  marked label's mean wait relative to the regular calls of the same call type
  and half-hour.  The model queues priority classes strictly ahead; a label
  counts as queued ahead only if its calls wait at most half as long as those
  regular calls, otherwise all calls queue first come, first served (a head start
  of a minute and a half, as this bank gave its priority customers, is neither);
* **teams and the agents available** (:mod:`sim.calibrate.agents`): the teams
  the log's agents form and the call types they serve, and the agents available
  in each half-hour of each date, measured from presence and the times callers
  waited (not fitted to waits or abandonment);
* **handle time by time of day**: the mean handle time of the calls arriving in
  each half-hour of the day over the pooled mean, shrunk towards 1 with the
  weight of :data:`SHRINK_SERVICES` services (``calls.handle_factor_half_hourly``):
  the scenario's call-type mix is one for the whole day, so the factor carries
  the half-hour's mix too; and the same *within call types* (each call's handle
  time over its type's mean) for a dated scenario whose half-hours carry their
  own mix (the hold-out, :mod:`sim.calibrate.holdout_inputs`), where the pooled
  factor would count the mix twice;
* **patience per call type** where a type has at least ``min_per_category``
  abandonments (censored fits as for the pooled patience).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from sim.calibrate.agents import Availability, Teams, find_teams, measure, weekly_plan
from sim.calibrate.arrivals import WEEKDAYS, ArrivalFit, fit_arrivals
from sim.calibrate.fitting import FitReport, fit_durations
from sim.calibrate.logread import CallLog
from sim.calibrate.patience import QueueDependence, queue_dependence
from sim.calibrate.survival import CensoredReport, fit_censored

HALF_S = 1800.0
#: Share of the calls finding an idle agent answered at once from which a log has no pickup delay.
AT_ONCE = 0.995
#: Fewest abandonments from which the patience's shape (a two-parameter family, or the curve itself) is fitted;
#: below, the exponential (one parameter: the seconds waited per abandonment).  20 hang-ups of one Saturday gave a
#: lognormal of mean 12,395 s and CV 23 beside a Kaplan-Meier median of 361 s.
MIN_SHAPE_EVENTS = 50
#: Weight (in services) pulling each half-hour's handle-time factor towards 1.
SHRINK_SERVICES = 100


@dataclass
class CallOptions:
    """Settings of a call-log calibration (the command's options)."""

    redial_window_h: float = 24.0
    profile_tolerance: float = 0.1
    min_per_category: int = 50
    ahead_ratio: float = 0.5
    priority_labels: List[str] = field(default_factory=list)  # values of the priority column marking priority
    patience_by_type: bool = False  # write each call type's own patience fit into the scenario


@dataclass
class CallCalibration:
    """Everything fitted from a call log."""

    log: CallLog
    first: np.ndarray                 # mask: first attempts
    arrivals: ArrivalFit
    shares: Dict[str, float]
    handle: Dict[str, FitReport]      # per category with enough services
    handle_pooled: FitReport
    patience: CensoredReport
    retrial: Dict[str, Any]
    retrial_delay: Optional[FitReport]
    retrial_delays_s: np.ndarray      # each identified redial's delay after the abandoned call
    priority: Dict[str, Any]
    teams: Teams
    availability: Availability
    plans: Dict[str, List[float]]     # team -> 336 agents available (Monday first): the week template
    talk_occupancy: float             # talking / present
    handle_factor: List[float]        # 48 factors of handle time by half-hour of arrival
    handle_factor_within: List[float]  # the same within call types (for half-hours that carry their own mix)
    patience_by_type: Dict[str, CensoredReport]
    pickup: Optional[CensoredReport]  # the pickup delay of calls that came while an agent sat idle (or None)
    options: CallOptions = field(default_factory=CallOptions)
    queue_found: Optional[QueueDependence] = None  # whether the patience depends on the queue found (or no test)
    source: Optional[CallLog] = None  # the whole log, when the calibration is fitted on a window of it
    notes: List[str] = field(default_factory=list)


def attempt_waits(log: CallLog) -> np.ndarray:
    """Each attempt's wait in seconds: to its answer or abandonment; for an open call, to the time it left the
    queue if the log has one (a caller who took a callback) or else to the end of the log."""
    end = np.array([log.end_s[int(r)] for r in log.run])
    still = (log.outcome == 2) & np.isnan(log.left_s)
    return np.where(still, end - log.arrive_s, log.left_s - log.arrive_s)


def _redials(log: CallLog, window_s: float) -> tuple[np.ndarray, Dict[str, Any], np.ndarray]:
    """Redial mask, the retrial summary, and the delays (abandonment to redial)."""
    n = log.n
    redial = np.zeros(n, dtype=bool)
    depth = np.zeros(n, dtype=np.int64)
    ident = np.nonzero(log.caller >= 0)[0]
    order = ident[np.lexsort((log.arrive_s[ident], log.caller[ident], log.run[ident]))]
    delays: List[float] = []
    followed = abandoned_ident = 0
    for a, b in zip(order[:-1], order[1:]):
        if log.outcome[a] != 1:
            continue
        abandoned_ident += 1
        if log.caller[a] == log.caller[b] and log.run[a] == log.run[b]:
            gap = log.arrive_s[b] - log.left_s[a]
            if 0.0 <= gap <= window_s:
                redial[b] = True
                depth[b] = depth[a] + 1
                delays.append(float(gap))
                followed += 1
    if len(order) and log.outcome[order[-1]] == 1:
        abandoned_ident += 1
    share = followed / abandoned_ident if abandoned_ident else 0.0
    unidentified_ab = int(np.sum((log.caller < 0) & (log.outcome == 1)))
    summary = {"share": share, "abandoned_identified": abandoned_ident, "redials_identified": followed,
               "abandoned_unidentified": unidentified_ab, "expected_unseen_redials": share * unidentified_ab,
               "max_chain": int(depth.max()) if n else 0, "window_h": window_s / 3600.0,
               "estimator": "share of identified callers' abandoned calls followed by a call of the same caller "
                            "within the window"}
    return redial, summary, np.asarray(delays)


def _priority(log: CallLog, first: np.ndarray, opts: CallOptions) -> Dict[str, Any]:
    """Priority mix and the relative waits of each marked label (module docstring)."""
    wait = log.left_s - log.arrive_s
    slot = ((log.run * 10**7 + (log.arrive_s // HALF_S)) * 1000 + log.category).astype(np.int64)
    answered = log.outcome == 0
    marked = [code for code, label in enumerate(log.priorities) if label in opts.priority_labels]
    regular = ~np.isin(log.priority, marked)
    out: Dict[str, Any] = {"labels": {}, "queued_ahead": [], "marked": [log.priorities[c] for c in marked]}
    n_first = max(int(first.sum()), 1)
    for code, label in enumerate(log.priorities):
        mine = log.priority == code
        rel = math.nan
        if code in marked:
            num = den = 0.0
            for s in np.unique(slot[mine & answered]):
                m = (slot == s) & answered
                a, b = wait[m & mine], wait[m & regular]
                if len(a) and len(b):
                    num += len(a) * float(a.mean())
                    den += len(a) * float(b.mean())
            rel = num / den if den > 0 else math.nan
        queued = mine & (log.outcome != 2)
        out["labels"][label] = {
            "share": float(np.sum(mine & first)) / n_first, "marked": code in marked,
            "mean_wait_answered_s": float(np.mean(wait[mine & answered])) if np.any(mine & answered) else None,
            "abandon_share": float(np.mean(log.outcome[queued] == 1)) if np.any(queued) else None,
            "wait_vs_regular_same_type_and_half_hour": rel if math.isfinite(rel) else None}
        if math.isfinite(rel) and rel <= opts.ahead_ratio:
            out["queued_ahead"].append(label)
    out["rule"] = (f"only the labels the log marks as priority ({', '.join(out['marked']) or 'none'}); one is queued "
                   f"ahead when its answered calls wait at most {opts.ahead_ratio:g} times as long as the regular "
                   f"calls of the same call type and half-hour")
    return out


def type_handle_means(log: CallLog, handle: Dict[str, FitReport], pooled: FitReport) -> np.ndarray:
    """The mean handle time the scenario gives each call type of ``log`` (its own fit's, else the pooled one's), s."""
    return np.array([handle[c].sample_mean if c in handle else pooled.sample_mean for c in log.categories])


def handle_factor(log: CallLog, type_mean_s: Optional[np.ndarray] = None) -> List[float]:
    """Handle time by half-hour of arrival, shrunk towards 1 (module docstring): the half-hour's mean over the pooled
    mean, or with ``type_mean_s`` (per type code) the half-hour's mean of each call's handle time over its type's.

    A scenario whose mix of call types is one for the whole day needs the first (the factor then carries the
    half-hour's mix); a dated scenario whose half-hours carry their own mix needs the second, since the model
    multiplies each type's own handle time by the factor and the first would count the mix twice.
    """
    m = (log.outcome == 0) & ~np.isnan(log.ended_s) & (log.ended_s > log.answered_s)
    x = (log.ended_s - log.answered_s)[m]
    if not len(x):
        return [1.0] * 48
    x = x / (float(x.mean()) if type_mean_s is None else type_mean_s[log.category[m]])
    half = ((log.arrive_local_s[m] % 86400.0) // HALF_S).astype(np.int64)
    total = np.bincount(half, weights=x, minlength=48)
    n = np.bincount(half, minlength=48)
    return [float(v) for v in (total + SHRINK_SERVICES) / (n + SHRINK_SERVICES)]


def offered_by_team(log: CallLog, teams: Teams, days: int) -> np.ndarray:
    """Calls offered per (team, date, half-hour), each call to the team that serves its type first (mean over runs)."""
    day = np.floor(log.arrive_local_s / 86400.0).astype(np.int64)
    half = ((log.arrive_local_s % 86400.0) // HALF_S).astype(np.int64)
    out = np.zeros((len(teams.names), days, 48))
    for k, own in enumerate(teams.own):
        m = np.isin(log.category, own) & (day < days)
        np.add.at(out[k], (day[m], half[m]), 1.0)
    return out / max(len(np.unique(log.run)), 1)


def pickup_delay(log: CallLog, avail: Availability, waits: np.ndarray, min_calls: int) -> Optional[CensoredReport]:
    """The time an idle agent took to pick up a call (``calls.pickup_delay_s``): the Kaplan-Meier curve of the waits
    of the calls that came while an agent of their team sat idle between services and no other caller of the team's
    own types waited (:attr:`Availability.idle_at_arrival`).  A wait is cut at the next end of a service of the team
    (:attr:`Availability.busy_agent_free_s`): from then on the simulation's freed operator would take the caller,
    so the cut is an event like an answer, and a hang-up before it a censoring.  None with fewer than
    ``min_calls`` such calls, fewer than two distinct event times, or at least :data:`AT_ONCE` of them answered
    at once (the simulator's own logs: its operators are always ready)."""
    idle = avail.idle_at_arrival & (log.outcome < 2)
    if int(idle.sum()) < min_calls:
        return None
    busy_free = avail.busy_agent_free_s[idle]
    w = waits[idle]
    rep = fit_censored(np.minimum(w, busy_free), (log.outcome[idle] == 0) | (w > busy_free))
    if rep is None or _at_once(rep) >= AT_ONCE:
        return None  # (nearly) every such call answered at once: no delay to model
    return rep


def _at_once(rep: CensoredReport) -> float:
    """The share of a pickup fit's calls answered at once (its Kaplan-Meier curve's drop at 0)."""
    return 1.0 - float(rep.km.at(np.array([0.0]))[0])


def pickup_json(cal: CallCalibration) -> Optional[Dict[str, Any]]:
    """``calibration.json`` -> ``pickup_delay_s``: the fitted pickup delay (None when the log cannot identify it)."""
    if cal.pickup is None:
        return None
    km = cal.pickup.km
    at_once = _at_once(cal.pickup)
    return {"calls": km.n_events + km.n_censored, "answered_at_once": at_once,
            "median_s_of_the_others": km.quantile((1.0 + at_once) / 2.0), "km_p90": km.quantile(0.9),
            "estimator": "the Kaplan-Meier curve of the waits of calls that came while an agent of their team sat "
                         "idle between services and no other caller of the team's own types waited; a wait is cut "
                         "at the next end of a service of the team (the caller would have been taken then), answered "
                         "or cut: an event, hung up: censored"}


def calibrate_calls(log: CallLog, opts: CallOptions) -> CallCalibration:
    """Fit every front-line parameter the log identifies (see the module docstring)."""
    notes: List[str] = []
    redial, retrial, delays = _redials(log, opts.redial_window_h * 3600.0)
    first = ~redial
    assert log.info.start_date is not None
    arrivals = fit_arrivals(log.arrive_local_s[first], log.run[first], log.info.start_date, opts.profile_tolerance,
                            log.info.rule.zone)
    unseen = retrial["expected_unseen_redials"]
    n_first = int(first.sum())
    if unseen > 0 and n_first > 0:
        factor = max(1.0 - unseen / n_first, 0.0)
        arrivals.per_day *= factor
        arrivals.per_weekday = {k: v * factor for k, v in arrivals.per_weekday.items()}
        notes.append(f"{unseen:.0f} redials of unidentified callers are expected but cannot be seen; the first "
                     f"attempts per day are reduced by that share ({1 - factor:.2%})")
    counts = np.bincount(log.category[first], minlength=len(log.categories)).astype(float)
    shares = {name: float(c / counts.sum()) for name, c in zip(log.categories, counts) if c > 0}
    service = log.ended_s - log.answered_s
    pooled = fit_durations(service[log.outcome == 0])
    if pooled is None:
        raise ValueError("the log has fewer than two answered calls with a positive service time")
    handle: Dict[str, FitReport] = {}
    for code, name in enumerate(log.categories):
        if name not in shares:
            continue
        rep = fit_durations(service[(log.outcome == 0) & (log.category == code)])
        if rep is not None and rep.n >= opts.min_per_category:
            handle[name] = rep
        else:
            notes.append(f"category {name}: {0 if rep is None else rep.n} services (< {opts.min_per_category}): "
                         f"the pooled handle time")
    waits = attempt_waits(log)
    patience = fit_censored(waits, log.outcome == 1)
    if patience is None:
        raise ValueError("the log has fewer than two distinct abandonment times: patience cannot be estimated")
    queue_found = queue_dependence(log.arrive_s, waits, log.outcome == 1, opts.min_per_category, log.category)
    delay_fit = fit_durations(delays) if len(delays) >= 2 else None
    by_type: Dict[str, CensoredReport] = {}
    for code, name in enumerate(log.categories):
        mine = log.category == code
        if int(np.sum(mine & (log.outcome == 1))) >= opts.min_per_category:
            own = fit_censored(waits[mine], log.outcome[mine] == 1)
            if own is not None:
                by_type[name] = own
    teams = find_teams(log)
    avail = measure(log, teams)
    if not avail.available.any():
        raise ValueError("no answered call has a service start and end: the staffing plan cannot be derived")
    offered = offered_by_team(log, teams, avail.days)
    pickup = pickup_delay(log, avail, waits, opts.min_per_category)
    factor = handle_factor(log)
    handle_h = pooled.sample_mean * np.asarray(factor)
    plans = {t: [float(v) for v in weekly_plan(avail.available[k], offered[k], log.info.start_date.weekday(),
                                               handle_h, patience.fits["exponential"].mean, arrivals.day_cv)]
             for k, t in enumerate(teams.names)}
    tot = avail.totals()
    return CallCalibration(log=log, first=first, arrivals=arrivals, shares=shares, handle=handle, handle_pooled=pooled,
                           patience=patience, retrial=retrial, retrial_delay=delay_fit, retrial_delays_s=delays,
                           priority=_priority(log, first, opts), teams=teams, availability=avail, plans=plans,
                           talk_occupancy=tot["talking"] / tot["present"] if tot["present"] else math.nan,
                           handle_factor=factor, patience_by_type=by_type, pickup=pickup, options=opts,
                           queue_found=queue_found,
                           handle_factor_within=handle_factor(log, type_handle_means(log, handle, pooled)),
                           notes=notes + arrivals.notes + avail.notes)


def patience_written(cal: CallCalibration, rep: CensoredReport) -> str:
    """What the scenario holds for the patience ``rep``: ``"exponential"`` where the patience depends on the
    queue found (:mod:`sim.calibrate.patience`) or where fewer than :data:`MIN_SHAPE_EVENTS` abandonments leave a
    shape unidentified, else the family within the band (``rep.chosen.family``) or ``"empirical"`` (the
    Kaplan-Meier curve)."""
    if exponential_reason(cal, rep):
        return "exponential"
    return "empirical" if rep.empirical else rep.chosen.family


def exponential_reason(cal: CallCalibration, rep: CensoredReport) -> Optional[str]:
    """Why the scenario holds the exponential patience for ``rep`` whatever family fits best: ``"queue"`` (the
    patience depends on the queue found), ``"few"`` (fewer than :data:`MIN_SHAPE_EVENTS` abandonments); else None."""
    if cal.queue_found is not None and cal.queue_found.depends:
        return "queue"
    return "few" if rep.km.n_events < MIN_SHAPE_EVENTS else None


def calibration_json(cal: CallCalibration) -> Dict[str, Any]:
    """The fitted values as ``calibration.json`` holds them (before the back-test is added)."""
    a = cal.arrivals
    p = {**cal.patience.as_dict(), "queue_found": cal.queue_found.as_dict() if cal.queue_found else None,
         "in_scenario": patience_written(cal, cal.patience),
         "exponential_because": exponential_reason(cal, cal.patience)}
    return {
        "kind": "calls", "log": cal.log.info.as_dict(), "calls_offered": cal.log.n,
        "first_attempts": int(cal.first.sum()),
        "calls_per_day": a.per_day, "calls_per_weekday": a.per_weekday, "day_of_week": a.day_of_week,
        "hourly_profile": a.hourly_profile, "arrivals": a.as_dict(), "day_cv": a.day_cv,
        "categories": cal.shares,
        "handle_s": {**cal.handle_pooled.as_dict(), "by_category": {k: r.as_dict() for k, r in cal.handle.items()}},
        "patience_s": p,
        "retrial": {**cal.retrial, "delay_s": cal.retrial_delay.as_dict() if cal.retrial_delay else None},
        "priority": cal.priority,
        "patience_by_type": {k: r.as_dict() for k, r in cal.patience_by_type.items()},
        "pickup_delay_s": pickup_json(cal),
        "handle_factor_half_hourly": cal.handle_factor,
        "handle_factor_within_types": cal.handle_factor_within,
        "teams": cal.teams.as_dict(cal.log.categories, cal.log.agents),
        "agents_half_hourly": agents_json(cal),
        "notes": cal.notes,
    }


def agents_json(cal: CallCalibration) -> Dict[str, Any]:
    """The measured agents: the week template per team, and per date and team the agents available, present and
    talking (JSON-ready)."""
    a = cal.availability
    start = cal.log.info.start_date
    assert start is not None
    dates = [(start + dt.timedelta(days=d)).isoformat() for d in range(a.days)]
    return {"plan": [float(sum(v)) for v in zip(*cal.plans.values())], "by_team": cal.plans,
            "weekdays": list(WEEKDAYS), "lower_bound": False, "talk_occupancy": cal.talk_occupancy,
            "session_gap_s": a.gap_s, "with_agent_codes": a.with_codes, "totals_agent_hours": a.totals(),
            "dates": dates, "available_by_date": {t: a.available[k].round(4).tolist() for k, t in
                                                  enumerate(cal.teams.names)},
            "estimator": "presence reconstructed from consecutive services (a gap over the session gap is off duty); "
                         "available while talking, or between services and a half session gap around a session while "
                         "no caller of the team's own call types waits; the week template holds per weekday and "
                         "half-hour the certainty equivalent of the dates (the agents at which Erlang A on the mean "
                         "day loses the share of callers it loses over the dates)"}
