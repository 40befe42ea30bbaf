"""The size of a run, estimated before it starts, and loops in simulated time that could stand still.

A configuration can be valid key by key and still describe a run that cannot
finish: ``arrivals.phone.per_day=1e12``, a surge multiplier of 1e12, a billion
operators, ``experiment.replications=10**20``.  Such runs used to pass
validation and fail late (an overflow, memory exhaustion, a hang).  Here:

* :func:`check_ceilings` - per-key ceilings, checked first (before anything
  computes with the values): horizon and drain, replications, worker processes,
  and the loop bounds per contact (redials, return-visit attempts, rounds);
* :func:`check_size` - the estimated size of the run: expected contacts per
  replication (volume x scale x weekday factors x hourly profile x surges over
  the horizon, exactly as the arrival process defines its mean), simulation
  events per replication (attempts, dispatches, bounces, rounds, return-visit
  attempts, using upper bounds of the loop counts), contacts over all
  replications, operators on duty at once, units and case slots, and the memory
  the stored results take (intervals x replications, and the request log).  A
  run over a limit is rejected naming the key that drives it;
* :func:`check_loops` - loops in simulated time whose every step can take no
  time at all (a zero patience with a zero redial delay, ...) are rejected:
  they would run their whole count at one instant.

The limits (:data:`LIMITS`) are chosen so that a run within them fits a 24 GiB
machine and finishes in reasonable time: the Beijing baseline at scale 1 makes
about 70,000 contacts a day, 2.1 million in 30 days (84 s and under 0.5 GB per
replication on a 2-core laptop); the contact limit is about 5 times that.
"""

from __future__ import annotations

import math
from typing import Dict, List, Tuple

import numpy as np

from sim.config.schema import CHANNELS, URGENCY_CLASSES, Config, DistConfig, StaffingConfig
from sim.core.errors import ConfigError

#: Ceilings and limits (documented in docs/experiments.md, "Limits").
LIMITS: Dict[str, float] = {
    "horizon_h": 366 * 24.0,          # experiment.horizon_h and experiment.drain_h: a (leap) year each
    "replications": 10_000,           # experiment.replications and experiment.max_replications
    "jobs": 256,                      # experiment.jobs: worker processes
    "max_retrials": 100,              # calls.retrial.max_retrials
    "max_attempts": 100,              # feedback.max_attempts
    "max_rounds": 100,                # feedback.max_rounds
    "contacts": 1e7,                  # expected first contacts per replication
    "events": 2e8,                    # estimated simulation events per replication
    "total_contacts": 1e9,            # expected contacts over all replications
    "operators": 100_000,             # operators on duty at once (front line or feedback team)
    "units": 100_000,                 # units over all unit types
    "case_slots": 1e9,                # case slots over all units
    "result_bytes": 8 * 2.0**30,      # results held in memory until the report is written
}
#: A reference for naming the key that drives an oversized run: the Beijing baseline's values.
_REFERENCE = {"scale": 1.0, "per_day": 70_000.0, "horizon_h": 168.0, "multiplier": 5.0, "day_of_week": 1.1}
#: Values stored per reporting interval and replication (counters, areas, states, derived KPIs), and per
#: contact in the request log; bytes per value.
_PER_INTERVAL, _PER_LOGGED_CONTACT, _BYTES = 64, 40, 8


def _ceiling(key: str, value: float, limit: float, why: str) -> None:
    if isinstance(value, (int, float)) and math.isfinite(value) and value > limit:
        raise ConfigError(key, value, f"must be <= {limit:,.0f} ({why})")


def check_ceilings(cfg: Config) -> None:
    """Per-key ceilings, checked before any value is used in a computation.

    Raises
    ------
    ConfigError
        Naming the key, its value and the ceiling.
    """
    e = cfg.experiment
    _ceiling("experiment.horizon_h", e.horizon_h, LIMITS["horizon_h"], "a year of simulated time at most")
    _ceiling("experiment.drain_h", e.drain_h, LIMITS["horizon_h"], "a year of simulated time at most")
    _ceiling("experiment.replications", e.replications, LIMITS["replications"], "the size limit of a run")
    _ceiling("experiment.max_replications", e.max_replications, LIMITS["replications"], "the size limit of a run")
    _ceiling("experiment.jobs", e.jobs, LIMITS["jobs"], "worker processes on one machine")
    _ceiling("calls.retrial.max_retrials", cfg.calls.retrial.max_retrials, LIMITS["max_retrials"],
             "redials per contact")
    _ceiling("feedback.max_attempts", cfg.feedback.max_attempts, LIMITS["max_attempts"],
             "return-visit attempts per visit")
    _ceiling("feedback.max_rounds", cfg.feedback.max_rounds, LIMITS["max_rounds"], "handling rounds per order")


# ------------------------------------------------------------------------------------------- contacts
def expected_contacts(cfg: Config, with_surges: bool = True) -> Dict[str, float]:
    """Expected first contacts per replication by channel, over ``[0, horizon)``.

    The mean of the arrival process itself (:class:`sim.model.arrivals.ChannelArrivals`): volume
    x scale x weekday factor x hourly share x surge multipliers, day by day (the gamma day
    multiplier has mean 1).
    """
    from sim.model.arrivals import ChannelArrivals, Surge

    names = list(cfg.categories)
    shares = np.array([c.share for c in cfg.categories.values()], dtype=float)
    shares = shares / shares.sum()
    horizon_s = cfg.experiment.horizon_h * 3600.0
    out: Dict[str, float] = {}
    for ch in CHANNELS:
        c = getattr(cfg.arrivals, ch)
        surges = []
        for s in cfg.arrivals.surges if with_surges else []:
            if s.channels and ch not in s.channels:
                continue
            mult = np.array([s.multiplier if (not s.categories or n in s.categories) else 1.0 for n in names])
            surges.append(Surge(s.start_h * 3600.0, (s.start_h + s.duration_h) * 3600.0, mult))
        arr = ChannelArrivals(c.per_day * cfg.scale, c.hourly_profile, cfg.arrivals.day_of_week, 0.0, shares,
                              surges, cfg.experiment.start_weekday)
        total = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            for day in range(int(math.ceil(horizon_s / 86400.0))):
                starts, ends, rates = arr.pieces(day)
                length = np.clip(np.minimum(ends, horizon_s) - starts, 0.0, None)
                total += float(np.sum(rates.sum(axis=1) * length))
        out[ch] = total if math.isfinite(total) else math.inf
    return out


def _contact_driver(cfg: Config, contacts: float) -> Tuple[str, float]:
    """The key that contributes most to the contact count, compared with the Beijing baseline."""
    a = cfg.arrivals
    cands: List[Tuple[float, str, float]] = [
        (cfg.scale / _REFERENCE["scale"], "scale", cfg.scale),
        (cfg.experiment.horizon_h / _REFERENCE["horizon_h"], "experiment.horizon_h", cfg.experiment.horizon_h),
    ]
    for ch in CHANNELS:
        per_day = getattr(a, ch).per_day
        cands.append((per_day / _REFERENCE["per_day"], f"arrivals.{ch}.per_day", per_day))
    for i, f in enumerate(a.day_of_week):
        cands.append((f / _REFERENCE["day_of_week"], f"arrivals.day_of_week[{i}]", f))
    base = sum(expected_contacts(cfg, with_surges=False).values())
    if contacts > base > 0:
        i, s = max(enumerate(a.surges), key=lambda p: p[1].multiplier * p[1].duration_h)
        cands.append((max(contacts / base, s.multiplier / _REFERENCE["multiplier"]),
                      f"arrivals.surges[{i}].multiplier", s.multiplier))
    _, key, value = max(cands, key=lambda c: c[0] if math.isfinite(c[0]) else math.inf)
    return key, value


# ------------------------------------------------------------------------------------------- events
def _geometric(p: float, n: int) -> float:
    """``sum_{k=1..n} p^k``: the expected repeats of a step repeated with probability ``p``, at most ``n`` times."""
    p, n = min(max(float(p), 0.0), 1.0), int(n)
    return float(n) if p >= 1.0 else p * (1.0 - p**n) / (1.0 - p)


def work_order_share(cfg: Config) -> float:
    """Share of contacts that become work orders (0 without units)."""
    if not cfg.units:
        return 0.0
    total = sum(c.share for c in cfg.categories.values()) or 1.0
    share = 0.0
    for c in cfg.categories.values():
        em = float(c.urgency.get("emergency", 0.0)) / (sum(c.urgency.values()) or 1.0)
        share += c.share / total * ((1.0 - em) * (1.0 - c.direct_share) + em * (1.0 - c.emergency_transfer_share))
    return share


def events_per_contact(cfg: Config) -> Dict[str, float]:
    """Upper bounds of the simulation events per first contact, by the loop that makes them.

    Every attempt of a call abandons (redials ``sum p^k``), every rating leads to a reopened
    round when allowed, every return-visit attempt fails when it can: the bound holds for
    any staffing.
    """
    fb, wo = cfg.feedback, cfg.workorders
    redials = _geometric(cfg.calls.retrial.probability, cfg.calls.retrial.max_retrials)
    orders = work_order_share(cfg)
    p_mis = float(wo.misroute_probability)
    bounces = p_mis / (1.0 - p_mis) if p_mis < 1.0 else math.inf
    rounds = 1.0 + _geometric(fb.reopen_probability, fb.max_rounds - 1)
    attempts = 1.0 + _geometric(1.0 - fb.reach_probability, fb.max_attempts - 1)
    return {"contact": 2.0, "calls.retrial.max_retrials": 2.0 * redials,
            "workorders.misroute_probability": orders * 2.0 * bounces,
            "feedback.max_rounds": orders * (2.0 + rounds * 3.0),
            "feedback.max_attempts": orders * rounds * 2.0 * attempts}


# ------------------------------------------------------------------------------------------- checks
def _peak_headcount(s: StaffingConfig, prefix: str, scale: float) -> Tuple[float, str, float]:
    """Largest headcount on duty at once (an upper bound for shifts), and the key that drives it."""
    f = scale * s.headcount_factor * (1.0 - s.shrinkage)
    if s.shifts:
        i = max(range(len(s.shifts)), key=lambda j: s.shifts[j].count)
        return sum(sh.count for sh in s.shifts) * f, f"{prefix}.shifts[{i}].count", s.shifts[i].count
    if s.half_hourly:
        i = int(np.argmax(s.half_hourly))
        return max(s.half_hourly) * f, f"{prefix}.half_hourly[{i}]", s.half_hourly[i]
    return s.operators * f, f"{prefix}.operators", s.operators


def check_size(cfg: Config) -> None:
    """Estimate the size of the run and reject what cannot fit, naming the key that drives it.

    Raises
    ------
    ConfigError
        Naming the key, its value, the estimate and the limit.
    """
    e = cfg.experiment
    plans = [(cfg.staffing, "staffing")]
    if cfg.units and cfg.feedback.mode == "team":
        plans.append((cfg.feedback.staffing, "feedback.staffing"))
    for plan, prefix in plans:
        peak, key, value = _peak_headcount(plan, prefix, cfg.scale)
        if peak > LIMITS["operators"]:
            if peak / cfg.scale <= LIMITS["operators"]:  # the plan fits at scale 1: scale drives it
                key, value = "scale", cfg.scale
            elif peak / plan.headcount_factor <= LIMITS["operators"]:  # the plan fits as written: the factor drives it
                key, value = f"{prefix}.headcount_factor", plan.headcount_factor
            raise ConfigError(key, value, f"about {peak:.3g} operators on duty at once (after scale {cfg.scale:g}); "
                                          f"the limit is {LIMITS['operators']:,.0f}")
    n_units = sum(ut.count for ut in cfg.units.values())
    if n_units > LIMITS["units"]:
        t = max(cfg.units, key=lambda n: cfg.units[n].count)
        raise ConfigError(f"units.{t}.count", cfg.units[t].count,
                          f"{n_units:,} units in all; the limit is {LIMITS['units']:,.0f}")
    slots = {t: (ut.count * float(ut.case_workers) + sum(map(float, ut.case_workers_by_unit.values())))
             * ut.caseload * cfg.scale for t, ut in cfg.units.items()}
    if sum(slots.values()) > LIMITS["case_slots"]:
        t = max(slots, key=lambda n: slots[n])
        raise ConfigError(f"units.{t}.case_workers", cfg.units[t].case_workers,
                          f"about {sum(slots.values()):.3g} case slots in all (units x case workers x caseload x "
                          f"scale); the limit is {LIMITS['case_slots']:.0e}")
    contacts = sum(expected_contacts(cfg).values())
    if not contacts <= LIMITS["contacts"]:
        key, value = _contact_driver(cfg, contacts)
        raise ConfigError(key, value, f"the run would offer about {contacts:.3g} contacts per replication "
                                      f"(volume x scale x weekday factors x surges over experiment.horizon_h); "
                                      f"the limit is {LIMITS['contacts']:.0e}")
    per = events_per_contact(cfg)
    events = contacts * sum(per.values())
    if not events <= LIMITS["events"]:
        key = max((k for k in per if k != "contact"), key=lambda k: per[k])
        value = {"calls.retrial.max_retrials": cfg.calls.retrial.max_retrials,
                 "workorders.misroute_probability": cfg.workorders.misroute_probability,
                 "feedback.max_rounds": cfg.feedback.max_rounds,
                 "feedback.max_attempts": cfg.feedback.max_attempts}[key]
        raise ConfigError(key, value, f"about {events:.3g} simulation events per replication for {contacts:.3g} "
                                      f"contacts ({per[key]:.3g} per contact from this loop at most); the limit "
                                      f"is {LIMITS['events']:.0e}")
    reps_key = "experiment.max_replications" if e.precision is not None else "experiment.replications"
    reps = e.max_replications if e.precision is not None else e.replications
    if contacts * reps > LIMITS["total_contacts"]:
        raise ConfigError(reps_key, reps, f"about {contacts * reps:.3g} contacts over all replications "
                                          f"({contacts:.3g} each); the limit is {LIMITS['total_contacts']:.0e}")
    n_intervals = (e.horizon_h + e.drain_h) * 60.0 / cfg.kpi.interval_min
    per_rep = {"kpi.interval_min": n_intervals * _PER_INTERVAL * _BYTES,
               "report.request_log": contacts * _PER_LOGGED_CONTACT * _BYTES if cfg.report.request_log else 0.0}
    stored = reps * sum(per_rep.values())
    if stored > LIMITS["result_bytes"]:
        key = max(per_rep, key=lambda k: per_rep[k]) if reps * max(per_rep.values()) > stored / 2 else reps_key
        value = {"kpi.interval_min": cfg.kpi.interval_min, "report.request_log": cfg.report.request_log,
                 reps_key: reps}[key]
        raise ConfigError(key, value, f"the results of {reps:,} replications would take about "
                                      f"{stored / 2**30:.3g} GiB of memory; the limit is "
                                      f"{LIMITS['result_bytes'] / 2**30:.0f} GiB")


# ------------------------------------------------------------------------------------------- loops
def _shown(dist: DistConfig) -> Dict[str, object]:
    """A distribution as the error message shows it: its family and parameters."""
    return {k: v for k, v in vars(dist).items() if v is not None}


def can_be_zero(dist: DistConfig, key: str) -> bool:
    """Whether a draw of the distribution can be exactly 0 (with probability 1e-9 or more, in floating point)."""
    from sim.core.distributions import make_distribution

    return float(make_distribution(dist, key).ppf(np.array([1e-9]))[0]) == 0.0


def check_loops(cfg: Config) -> None:
    """Reject a loop in simulated time whose every step can take no time (time would stand still).

    The loops: a caller's redials (patience, then the redial delay), a return visit's
    attempts (the unanswered call, then the retry delay), an order's bounces (the wrong
    unit's review, then the re-dispatch delay; a misroute probability of 1 never ends), and
    an order's rounds (response, resolution, the delay to the return visit and its talk).

    Raises
    ------
    ConfigError
        Naming the delay to make positive.
    """
    c, wo, fb = cfg.calls, cfg.workorders, cfg.feedback
    if (cfg.arrivals.phone.per_day > 0 and c.retrial.probability > 0 and c.retrial.max_retrials > 0
            and can_be_zero(c.patience_s, "calls.patience_s")
            and can_be_zero(c.retrial.delay_s, "calls.retrial.delay_s")):
        raise ConfigError("calls.retrial.delay_s", _shown(c.retrial.delay_s),
                          "can be 0 while calls.patience_s can be 0: a caller who finds no free operator would "
                          f"redial up to {c.retrial.max_retrials} times at the same instant; give the redial delay "
                          "a positive value")
    if not cfg.units:
        return
    if wo.misroute_probability >= 1.0:
        raise ConfigError("workorders.misroute_probability", wo.misroute_probability,
                          "must be < 1: every order would be misrouted and bounce back forever")
    if wo.misroute_probability > 0 and can_be_zero(wo.review_h, "workorders.review_h") and any(
            can_be_zero(wo.dispatch_delay_h[u], f"workorders.dispatch_delay_h.{u}") for u in URGENCY_CLASSES):
        raise ConfigError("workorders.review_h", _shown(wo.review_h),
                          "can be 0 while a dispatch delay can be 0: a misrouted order would bounce back and be "
                          "re-dispatched at the same instant, again and again; give the review a positive duration")
    if fb.reach_probability < 1 and fb.max_attempts > 1 and can_be_zero(fb.retry_delay_h, "feedback.retry_delay_h") \
            and can_be_zero(fb.no_answer_s, "feedback.no_answer_s"):
        raise ConfigError("feedback.retry_delay_h", _shown(fb.retry_delay_h),
                          "can be 0 while feedback.no_answer_s can be 0: a return visit would make all its "
                          f"{fb.max_attempts} attempts at the same instant; give the retry delay a positive value")
    resolutions = [wo.resolution_h, *wo.resolution_h_by_urgency.values(),
                   *(cat.resolution_h for cat in cfg.categories.values() if cat.resolution_h is not None)]
    if (fb.reopen_probability > 0 and fb.max_rounds > 1 and can_be_zero(fb.delay_h, "feedback.delay_h")
            and can_be_zero(fb.talk_s, "feedback.talk_s")
            and any(can_be_zero(d, "workorders.response_delay_h") for d in wo.response_delay_h.values())
            and any(can_be_zero(d, "workorders.resolution_h") for d in resolutions)):
        raise ConfigError("feedback.delay_h", _shown(fb.delay_h),
                          "can be 0 while the response delay, the resolution and the return-visit talk can be 0: "
                          f"a reopened order would go through its {fb.max_rounds} rounds at the same instant; "
                          "give the delay to the return visit a positive value")


__all__ = ["LIMITS", "check_ceilings", "check_size", "check_loops", "expected_contacts", "events_per_contact",
           "work_order_share", "can_be_zero"]
