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
* **priorities**: the mix, and each label's mean wait relative to the other
  calls of the same half-hour.  The model queues priority classes strictly ahead;
  a label counts as queued ahead only if its calls wait at most half as long as
  the others of the same half-hours, otherwise all calls queue first come, first
  served (a head start of a minute and a half, as this bank gave its priority
  customers, is neither);
* **agents seen** in each half-hour of each weekday (local clock): agents with a
  service overlapping the half-hour, averaged over the log's days of that weekday.  It is
  a lower bound of the agents on duty: an agent who was on duty but idle, or
  doing after-call work, leaves no trace in the log.  Their *talk occupancy*
  (talk time / agents seen x half-hours) says how much of the time seen went to
  calls: far below 1 while callers abandon, the rest went to work the log does
  not record (after-call work, breaks, other tasks).  A log without agent codes
  gives instead the most services in progress at once in each half-hour (a
  lower bound too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from sim.calibrate.arrivals import WEEKDAYS, ArrivalFit, fit_arrivals
from sim.calibrate.fitting import FitReport, fit_durations
from sim.calibrate.logread import CallLog
from sim.calibrate.survival import CensoredReport, fit_censored

HALF_S = 1800.0


@dataclass
class CallOptions:
    """Settings of a call-log calibration (the command's options)."""

    redial_window_h: float = 24.0
    profile_tolerance: float = 0.1
    min_per_category: int = 50
    ahead_ratio: float = 0.5


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
    agents_half_hourly: List[int]
    agents_mean: List[float]
    talk_occupancy: float
    agents_counted: str
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


def _priority(log: CallLog, first: np.ndarray, ratio: float) -> Dict[str, Any]:
    """Priority mix and the relative waits of each label in the same half-hours (module docstring)."""
    wait = log.left_s - log.arrive_s
    slot = (log.run * 10**7 + (log.arrive_s // HALF_S)).astype(np.int64)
    answered = log.outcome == 0
    out: Dict[str, Any] = {"labels": {}, "queued_ahead": []}
    n_first = max(int(first.sum()), 1)
    for code, label in enumerate(log.priorities):
        mine = log.priority == code
        num = den = 0.0
        for s in np.unique(slot[mine & answered]):
            m = (slot == s) & answered
            a, b = wait[m & mine], wait[m & ~mine]
            if len(a) and len(b):
                num += len(a) * float(a.mean())
                den += len(a) * float(b.mean())
        rel = num / den if den > 0 else math.nan
        queued = mine & (log.outcome != 2)
        out["labels"][label] = {
            "share": float(np.sum(mine & first)) / n_first,
            "mean_wait_answered_s": float(np.mean(wait[mine & answered])) if np.any(mine & answered) else None,
            "abandon_share": float(np.mean(log.outcome[queued] == 1)) if np.any(queued) else None,
            "wait_vs_others_same_half_hour": rel if math.isfinite(rel) else None}
        if len(log.priorities) > 1 and math.isfinite(rel) and rel <= ratio:
            out["queued_ahead"].append(label)
    out["rule"] = (f"a label is queued ahead when its answered calls wait at most {ratio:g} times as long as the "
                   f"other calls of the same half-hours")
    return out


def _concurrent(start: np.ndarray, end: np.ndarray, n_halves: int) -> np.ndarray:
    """Most services in progress at once in each half-hour (a lower bound of the agents, without agent codes)."""
    times = np.concatenate([start, end])
    delta = np.concatenate([np.ones(len(start)), -np.ones(len(end))])
    order = np.lexsort((delta, times))  # at equal times an end comes before a start
    level = np.cumsum(delta[order])
    half = np.minimum((times[order] // HALF_S).astype(np.int64), n_halves - 1)
    peak = np.zeros(n_halves)
    np.maximum.at(peak, half, level)
    carried = np.zeros(n_halves)  # services still running when a half-hour begins
    last = np.zeros(n_halves)
    np.maximum.at(last, half, np.arange(1, len(level) + 1))  # index (+1) of each half-hour's last event
    run_level = 0.0
    for h in range(n_halves):
        carried[h] = run_level
        if last[h] > 0:
            run_level = float(level[int(last[h]) - 1])
    return np.maximum(peak, carried)


def _agents(log: CallLog, start_weekday: int) -> tuple[List[int], List[float], float, str]:
    """Distinct agents with a service in each half-hour, averaged over the days of each weekday (Monday first),
    the share of those agents' time spent talking (their *talk occupancy*), and how they were counted.  A log
    without agent codes gives the most services in progress at once instead (also a lower bound)."""
    m = (log.outcome == 0) & ~np.isnan(log.ended_s)
    with_codes = bool(np.any(m & (log.agent >= 0)))
    if with_codes:
        m &= log.agent >= 0
    n_days = int(math.floor(float(np.max(log.arrive_local_s)) / 86400.0)) + 1
    runs = np.unique(log.run)
    seen = np.zeros((len(runs), n_days + 1, 48), dtype=np.int64)
    talk = 0.0
    start, end = log.answered_s + log.shift_s, log.ended_s + log.shift_s  # half-hours of the local clock
    for k, r in enumerate(runs):
        mask = m & (log.run == r)
        talk += float(np.sum(log.ended_s[mask] - log.answered_s[mask]))
        if not with_codes:
            seen[k] = _concurrent(start[mask], end[mask], (n_days + 1) * 48).reshape(n_days + 1, 48)
            continue
        marks = set()
        for ag, s, e in zip(log.agent[mask], start[mask], end[mask]):
            for h in range(int(s // HALF_S), int(max(e - 1e-9, s) // HALF_S) + 1):
                marks.add((int(ag), h))
        for _, h in marks:
            if h < (n_days + 1) * 48:
                seen[k, h // 48, h % 48] += 1
    total = np.zeros((7, 48))
    days = np.zeros(7)
    for d in range(n_days):
        w = (start_weekday + d) % 7
        total[w] += seen[:, d].sum(axis=0)
        days[w] += len(runs)
    mean = np.where(days[:, None] > 0, total / np.maximum(days[:, None], 1), 0.0)
    occupancy = talk / (float(seen.sum()) * HALF_S) if seen.sum() else math.nan
    how = "agents seen" if with_codes else "most services in progress at once (no agent codes in the log)"
    return [int(math.floor(v + 0.5)) for v in mean.ravel()], [float(v) for v in mean.ravel()], occupancy, how


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
    patience = fit_censored(attempt_waits(log), log.outcome == 1)
    if patience is None:
        raise ValueError("the log has fewer than two distinct abandonment times: patience cannot be estimated")
    delay_fit = fit_durations(delays) if len(delays) >= 2 else None
    start_weekday = log.info.start_date.weekday()
    plan, plan_mean, occupancy, how = _agents(log, start_weekday)
    if not any(plan):
        raise ValueError("no answered call has a service start and end: the staffing plan cannot be derived")
    if "no agent codes" in how:
        notes.append("no agent codes in the log: the staffing plan counts the most services in progress at once "
                     "in each half-hour (a lower bound of the agents on duty)")
    return CallCalibration(log=log, first=first, arrivals=arrivals, shares=shares, handle=handle, handle_pooled=pooled,
                           patience=patience, retrial=retrial, retrial_delay=delay_fit,
                           retrial_delays_s=delays,
                           priority=_priority(log, first, opts.ahead_ratio), agents_half_hourly=plan,
                           agents_mean=plan_mean, talk_occupancy=occupancy, agents_counted=how,
                           notes=notes + arrivals.notes)


def calibration_json(cal: CallCalibration) -> Dict[str, Any]:
    """The fitted values as ``calibration.json`` holds them (before the back-test is added)."""
    a = cal.arrivals
    p = cal.patience.as_dict()
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
        "agents_half_hourly": {"plan": cal.agents_half_hourly, "mean": cal.agents_mean,
                               "weekdays": list(WEEKDAYS), "lower_bound": True,
                               "talk_occupancy": cal.talk_occupancy, "counted": cal.agents_counted,
                               "note": "agents with a service overlapping each half-hour, averaged over the log's "
                                       "days of each weekday (Monday first, 48 half-hours each): a lower bound - "
                                       "idle agents and after-call work leave no trace in the log"},
        "notes": cal.notes,
    }
