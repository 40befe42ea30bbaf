"""Checks of a run that need the model's own arithmetic, and the one entry point of validation.

:mod:`sim.config.schema` checks what the configuration says key by key and
across keys; some rules can only be checked with the model's own arithmetic:
the expected number of contacts (the mean of the arrival process,
:class:`~sim.model.arrivals.ChannelArrivals`), and who is on duty when (the
staffing timetable, :func:`~sim.model.staffing.staffing_changes`).  Computing
them again in the configuration layer would duplicate the model, so they live
here, beside it:

* :func:`check_size` - the estimated size of the run: expected contacts per
  replication (volume x scale x demand factor x weekday factors x hourly profile x surges over
  the horizon, exactly as the arrival process defines its mean), simulation
  events per replication (attempts, dispatches, bounces, rounds, return-visit
  attempts, using upper bounds of the loop counts), contacts over all
  replications, operators on duty at once, units and case slots, and the memory
  the stored results take (intervals x replications, and the request log).  A
  run over a limit (:data:`sim.config.limits.LIMITS`) is rejected naming
  the key that drives it;
* :func:`check_coverage` - a plan with nobody on duty when it matters;
* :func:`sim.model.checks_blending.check_reservation` - a blending reservation
  at or above the headcount at every moment, which no blended work gets past.

:func:`validate` runs every check in order - the configuration's, then these -
and is what the command line, :func:`sim.api.compose_config` and a Hydra job
call.
"""

from __future__ import annotations

import math
from typing import Dict, List, Tuple

import numpy as np

from sim.config.backoffice import unit_names
from sim.config.errors import config_of
from sim.config.limits import BYTES as _BYTES
from sim.config.limits import LIMITS
from sim.config.limits import PER_INTERVAL as _PER_INTERVAL
from sim.config.limits import PER_LOGGED_CONTACT as _PER_LOGGED_CONTACT
from sim.config.limits import PER_RESIDENT_BYTES as _PER_RESIDENT_BYTES
from sim.config.limits import REFERENCE as _REFERENCE
from sim.config.schema import CHANNELS, Config, StaffingConfig, group_plans, plan_key
from sim.core.errors import ConfigError
from sim.model import derive
from sim.model.checks_blending import check_reservation
from sim.model.staffing import available_factor, plan_mode, scheduled_headcount, staffing_changes


def validate(cfg: Config) -> None:
    """Check every range and cross-field rule of ``cfg``, and the run's size and staffing coverage.

    Raises
    ------
    ConfigError
        At the first broken rule, naming the key, its value and the rule.
    """
    check_policy_names(cfg)
    config_of(cfg.model_dump(), kept=cfg.kept_unused)  # a configuration made or changed in code, checked as data is
    check_size(cfg)
    check_coverage(cfg)
    check_case_workers(cfg)
    check_reservation(cfg)


def check_policy_names(cfg: Config) -> None:
    """Reject a policy name that no registry of :mod:`sim.policies` knows (the message lists the known ones)."""
    from sim.policies.callbacks import CALLBACK_MODES
    from sim.policies.dispatch import ASSIGNMENT, DISPATCH

    CALLBACK_MODES.check(cfg.routing.callback.mode)
    DISPATCH.check(cfg.workorders.dispatch)
    ASSIGNMENT.check(cfg.workorders.assignment)


# ------------------------------------------------------------------------------------------- contacts
def expected_contacts(cfg: Config, with_surges: bool = True) -> Dict[str, float]:
    """Expected first contacts per replication by channel, over ``[0, horizon)``.

    The mean of the arrival process itself (:class:`sim.model.arrivals.ChannelArrivals`): volume
    x scale x demand factor x weekday factor x hourly share x surge multipliers, day by day (the gamma day
    multiplier has mean 1).
    """
    return {ch: float(sum(within)) for ch, (within, _) in _daily_contacts(cfg, with_surges).items()}


def busiest_day(cfg: Config) -> float:
    """Expected residents of the busiest day a replication draws, over all channels, with a margin for the day
    multiplier (mean x (1 + 3 x ``day_cv``)).

    A replication draws each day's residents at once, the whole day even when the horizon ends
    within it (:func:`sim.model.residents.day_rows`): this, not the contacts over the horizon,
    sets the memory a replication holds.
    """
    days = _daily_contacts(cfg, True)
    per_day = np.zeros(max((len(whole) for _, whole in days.values()), default=0))
    for ch, (_, whole) in days.items():
        per_day[:len(whole)] += np.asarray(whole) * (1.0 + 3.0 * getattr(cfg.arrivals, ch).day_cv)
    return float(per_day.max()) if len(per_day) else 0.0


def _daily_contacts(cfg: Config, with_surges: bool) -> Dict[str, Tuple[List[float], List[float]]]:
    """Per channel, the expected first contacts of each day the run draws: within the horizon, and the whole day."""
    horizon_s = derive.clock(cfg).horizon_s
    out: Dict[str, Tuple[List[float], List[float]]] = {}
    for ch, arr in derive.channel_arrivals(cfg, with_surges).items():
        within, whole = [], []
        with np.errstate(over="ignore", invalid="ignore"):
            for day in range(int(math.ceil(horizon_s / 86400.0))):
                starts, ends, rates = arr.pieces(day)
                per_piece = rates.sum(axis=1)
                length = np.clip(np.minimum(ends, horizon_s) - starts, 0.0, None)
                within.append(_finite(float(np.sum(per_piece * length))))
                whole.append(_finite(float(np.sum(per_piece * (ends - starts)))))
        out[ch] = (within, whole)
    return out


def _finite(x: float) -> float:
    return x if math.isfinite(x) else math.inf


def _contact_driver(cfg: Config, contacts: float) -> Tuple[str, float]:
    """The key that contributes most to the contact count, compared with the Beijing baseline."""
    a = cfg.arrivals
    cands: List[Tuple[float, str, float]] = [
        (cfg.scale / _REFERENCE["scale"], "scale", cfg.scale),
        (a.demand_factor / _REFERENCE["demand_factor"], "arrivals.demand_factor", a.demand_factor),
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


def events_per_contact(cfg: Config) -> Dict[str, float]:
    """Upper bounds of the simulation events per first contact, by the loop that makes them.

    Every attempt of a call abandons (redials ``sum p^k``), every rating leads to a reopened
    round when allowed, every return-visit attempt fails when it can, and with callbacks every call
    attempt accepts one whose every attempt fails: the bound holds for any staffing.
    """
    fb, wo = cfg.feedback, cfg.workorders
    redials = _geometric(cfg.calls.retrial.probability, cfg.calls.retrial.max_retrials)
    orders = derive.work_order_share(cfg)
    p_mis = float(wo.misroute_probability)
    bounces = p_mis / (1.0 - p_mis) if p_mis < 1.0 else math.inf
    rounds = 1.0 + _geometric(fb.reopen_probability, fb.max_rounds - 1)
    attempts = 1.0 + _geometric(1.0 - fb.reach_probability, fb.max_attempts - 1)
    cb = cfg.routing.callback
    callbacks = 3.0 * (1.0 + redials) * cb.max_attempts if cb.enabled else 0.0  # each attempt accepts, each try fails
    return {"contact": 2.0, "calls.retrial.max_retrials": 2.0 * redials, "routing.callback.max_attempts": callbacks,
            "workorders.misroute_probability": orders * 2.0 * bounces,
            "feedback.max_rounds": orders * (2.0 + rounds * 3.0),
            "feedback.max_attempts": orders * rounds * 2.0 * attempts}


# ------------------------------------------------------------------------------------------- checks
def _peak_headcount(s: StaffingConfig, prefix: str, scale: float) -> Tuple[float, str, float]:
    """Largest headcount on duty at once (an upper bound for shifts), and the key that drives it."""
    f = available_factor(s, scale)
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
    plans: List[Tuple[StaffingConfig, str]] = ([(plan, plan_key(cfg, name)) for name, plan in group_plans(cfg).items()]
                                               if cfg.staffing.policy == "plan" else [])
    if cfg.units and cfg.feedback.mode == "team":
        plans.append((cfg.feedback.staffing, "feedback.staffing"))
    for plan, prefix in plans:  # a plan proposed by a staffing policy is not known yet
        peak, key, value = _peak_headcount(plan, prefix, cfg.scale)
        if not peak <= LIMITS["operators"]:
            at_scale_1, _, _ = _peak_headcount(plan, prefix, 1.0)
            if at_scale_1 <= LIMITS["operators"]:  # the plan fits at scale 1: scale drives it
                key, value = "scale", cfg.scale
            elif at_scale_1 / plan.headcount_factor <= LIMITS["operators"]:  # the plan fits as written: the factor
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
                                      f"(volume x scale x demand factor x weekday factors x surges over "
                                      f"experiment.horizon_h); "
                                      f"the limit is {LIMITS['contacts']:.0e}")
    per = events_per_contact(cfg)
    events = contacts * sum(per.values())
    if not events <= LIMITS["events"]:
        key = max((k for k in per if k != "contact"), key=lambda k: per[k])
        value = {"calls.retrial.max_retrials": cfg.calls.retrial.max_retrials,
                 "routing.callback.max_attempts": cfg.routing.callback.max_attempts,
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
    _check_day_memory(cfg)
    clk = derive.clock(cfg)
    n_intervals = clk.end_s / clk.interval_s
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


def _check_day_memory(cfg: Config) -> None:
    """The residents of the busiest day, held by every process running a replication at once, must fit
    :data:`LIMITS` ``["day_bytes"]`` (and half of this machine's memory)."""
    from sim.config.limits import machine_memory_bytes

    e = cfg.experiment
    residents = busiest_day(cfg)
    reps = e.max_replications if e.precision is not None else e.replications
    processes = 1 if e.executor in ("serial", "dask") else max(1, min(e.jobs, reps))
    need = residents * _PER_RESIDENT_BYTES * processes
    machine = machine_memory_bytes()
    limit = min(LIMITS["day_bytes"], machine / 2) if machine else LIMITS["day_bytes"]
    if need > limit:
        key, value = _day_driver(cfg)
        if processes > 1 and residents * _PER_RESIDENT_BYTES <= limit:
            key, value = "experiment.jobs", e.jobs
        where = f" in each of {processes} worker processes" if processes > 1 else ""
        raise ConfigError(key, value, f"a replication draws a whole day's residents at once: about "
                                      f"{residents:.3g} on the busiest day{where}, {need / 2**30:.3g} GiB of memory; "
                                      f"the limit is {limit / 2**30:.3g} GiB")


def _day_driver(cfg: Config) -> Tuple[str, float]:
    """The key that contributes most to a day's volume, compared with the Beijing baseline."""
    a = cfg.arrivals
    cands: List[Tuple[float, str, float]] = [
        (cfg.scale / _REFERENCE["scale"], "scale", cfg.scale),
        (a.demand_factor / _REFERENCE["demand_factor"], "arrivals.demand_factor", a.demand_factor)]
    cands += [(getattr(a, ch).per_day / _REFERENCE["per_day"], f"arrivals.{ch}.per_day", getattr(a, ch).per_day)
              for ch in CHANNELS]
    cands += [(f / _REFERENCE["day_of_week"], f"arrivals.day_of_week[{i}]", f) for i, f in enumerate(a.day_of_week)]
    cands += [(s.multiplier / _REFERENCE["multiplier"], f"arrivals.surges[{i}].multiplier", s.multiplier)
              for i, s in enumerate(a.surges)]
    _, key, value = max(cands, key=lambda c: c[0])
    return key, value


def check_coverage(cfg: Config) -> None:
    """Reject a staffing plan with nobody on duty when it matters.

    The front line's plan must have someone on duty in the measurement window; a feedback
    team (``feedback.mode=team``) must be on duty while ``feedback.calendar`` is open in some
    week.

    Raises
    ------
    ConfigError
        Naming the plan's key.
    """
    e = cfg.experiment
    if cfg.staffing.policy != "plan":  # the plan is proposed by the policy, which staffs every interval with demand
        return _check_team_coverage(cfg)
    clk = derive.clock(cfg)
    on_duty: dict[str, bool] = {}
    for name, staff in group_plans(cfg).items():  # the front line's plan, or each group's
        plan = scheduled_headcount(staffing_changes(staff, cfg.scale, clk.horizon_s, clk.start_weekday),
                                   clk.interval_s, clk.n_intervals)
        on_duty[name] = bool(np.any(plan[clk.warmup_intervals:] > 0))
    window = (f"nobody is on duty in the whole measurement window ({e.warmup_h:g} h to {e.horizon_h:g} h, "
              f"after scale {cfg.scale:g} and shrinkage {cfg.staffing.shrinkage:g})")
    if not any(on_duty.values()):
        if not cfg.routing.groups:
            mode = plan_mode(cfg.staffing)
            raise ConfigError(f"staffing.{'operators' if mode == 'constant' else mode}",
                              "<plan>" if mode != "constant" else cfg.staffing.operators, window)
        raise ConfigError("routing.groups", f"<{len(on_duty)} groups>", f"in every group, {window}")
    # with groups, a group may be off duty in a short window as long as each kind of work has someone
    for key, groups in cfg.routing.skills.items():
        if not any(on_duty[g] for g in groups):
            raise ConfigError(f"routing.skills.{key}", list(groups), f"in each of these groups, {window}")
    _check_team_coverage(cfg)


def _check_team_coverage(cfg: Config) -> None:
    """A feedback team (``feedback.mode=team``) must be on duty while residents may be called, in some week."""
    if not cfg.units or cfg.feedback.mode != "team":
        return
    clk = derive.clock(cfg)
    interval_s = clk.interval_s
    # over a whole week, whatever the run's length: a short run may end before calling hours begin, but a
    # team plan that never meets the calling hours in any week is a mistake in the plan itself
    week_s = 7 * 86400.0
    m = int(np.ceil(week_s / interval_s))
    team = scheduled_headcount(staffing_changes(cfg.feedback.staffing, cfg.scale, week_s, clk.start_weekday),
                               interval_s, m)
    cal = derive.calendars(cfg)[cfg.feedback.calendar]
    open_ = np.array([cal.is_open((k + 0.5) * interval_s) for k in range(m)])
    if not np.any((team > 0) & open_):
        mode = plan_mode(cfg.feedback.staffing)
        key = {"constant": "feedback.staffing.operators", "half_hourly": "feedback.staffing.half_hourly",
               "shifts": "feedback.staffing.shifts"}[mode]
        raise ConfigError(key, "<plan>" if mode != "constant" else cfg.feedback.staffing.operators,
                          f"the feedback team is never on duty while feedback.calendar '{cfg.feedback.calendar}' "
                          f"is open, in any week: no return visit would be made")


def check_case_workers(cfg: Config) -> None:
    """Reject a unit that receives work orders with no case worker (its orders would wait to the end of the run:
    the back-office counterpart of a plan with nobody on duty).  A unit receives orders when a category with
    orders names it, or names its type and the unit's weight is above 0, or, for a district, when such a
    category's unclear share goes to it.  A unit staffing policy proposes the case workers itself: not checked.

    Raises
    ------
    ConfigError
        Naming ``units.<type>.case_workers`` (or ``.case_workers_by_unit.<unit>``), the value 0 and the categories.
    """
    if not cfg.units or cfg.unit_staffing.policy != "plan":
        return
    named: Dict[str, List[str]] = {}
    typed: Dict[str, List[str]] = {}
    for cname, c in cfg.categories.items():
        if c.share <= 0 or c.direct_share >= 1 or not c.unit_type:
            continue
        if c.unit:
            named.setdefault(c.unit, []).append(cname)
        else:
            typed.setdefault(c.unit_type, []).append(cname)
        district = cfg.units[c.unit_type].district_of
        if c.unclear_share > 0 and district:
            typed.setdefault(district, []).append(cname)
    for tname, ut in cfg.units.items():
        weights = list(ut.weights) if ut.weights else [1.0] * ut.count
        idle: Dict[str, List[str]] = {}  # key -> units without a case worker that receive orders
        cats: List[str] = []
        for i, name in enumerate(unit_names(tname, ut)):
            sent = named.get(name, []) + (typed.get(tname, []) if weights[i] > 0 else [])
            if sent and float(ut.case_workers_by_unit.get(name, ut.case_workers)) <= 0:
                key = (f"units.{tname}.case_workers_by_unit.{name}" if name in ut.case_workers_by_unit
                       else f"units.{tname}.case_workers")
                idle.setdefault(key, []).append(name)
                cats += sent
        for key, names in idle.items():
            who = names[0] if len(names) == 1 else f"{len(names)} units of type {tname} ({names[0]}, ...)"
            raise ConfigError(key, 0, f"{who} receive{'s' if len(names) == 1 else ''} work orders (categories "
                                      f"{', '.join(dict.fromkeys(cats))}) and no case worker would ever handle "
                                      "them: give at least one (or unit_staffing.policy=erlang to propose them)")
