"""Compilation of a configuration into the one object the model reads.

A scenario is a YAML file ``scenarios/<name>.yaml`` holding plain data for the
keys of :class:`sim.config.schema.Config` (read by :mod:`sim.config.scenario_files`); Hydra
composes it with the schema and the command-line overrides.

:func:`compile_config` turns a validated :class:`~sim.config.schema.Config` into a
:class:`Compiled` scenario: times in seconds, scaled volumes and headcounts,
:class:`~sim.core.distributions.Distribution` objects, arrival processes, the
staffing timetable, the policies looked up in their registries.  The model
(:mod:`sim.model`, :mod:`sim.policies`) reads only this object - no raw
configuration travels inside it - and the object is immutable, shared by every
replication that runs it.  The optional parts are ``None`` when the scenario
does not use them: :attr:`Compiled.callback` (``routing.callback``),
:attr:`Compiled.backoffice` and :attr:`Compiled.feedback` (``units``).  Every
derived quantity comes from :mod:`sim.model.derive`, where the checks before a
run and the staffing policies find it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from sim.config.routing import ESCALATION_CLASSES
from sim.config.schema import URGENCY_CLASSES, Config, group_plans
from sim.core.calendar import WorkCalendar
from sim.core.distributions import Distribution, make_distribution
from sim.model import derive
from sim.model.arrivals import Arrivals, OpenHours
from sim.model.derive import DIRECT, WORK_ORDER, Clock, Triage
from sim.model.staffing import StaffChange, rostered_and_cost, scheduled_headcount, staffing_changes
from sim.model.units import UnitDirectory
from sim.policies.callbacks import CALLBACK_MODES, CallbackMode
from sim.policies.dispatch import ASSIGNMENT, DISPATCH, Assignment, Dispatch
from sim.policies.routing import RoutingPlan, routing_plan

__all__ = ["Compiled", "StaffingSpec", "CallbackSpec", "BackOfficeSpec", "FeedbackSpec", "compile_config",
           "DIRECT", "WORK_ORDER"]


@dataclass(frozen=True, eq=False)
class StaffingSpec:
    """The front line's operators over the run.

    Attributes
    ----------
    group_changes : tuple of list of StaffChange
        Each operator group's timetable over the horizon and the drain, after scale, headcount factor and
        shrinkage (one group without ``routing.groups``).
    scheduled, rostered, cost_per_h : ndarray, shape (n_intervals,)
        Per reporting interval, summed over the groups: the mean operators scheduled (after shrinkage),
        rostered (before shrinkage: paid) and the plan's cost per hour.
    reserve_idle : int
        Operators kept idle for calls while blended work waits (``routing.reserve_idle``).
    reserve_half_hourly : tuple of int
        The same per half-hour (empty: the constant applies), rotated so that entry 0 is the run's first.
    escalate_after_s : dict of str to float or None
        Priority aging per queue class (``routing.escalate_after_s``; None = never).
    """

    group_changes: Tuple[List[StaffChange], ...]
    scheduled: np.ndarray
    rostered: np.ndarray
    cost_per_h: np.ndarray
    reserve_idle: int
    reserve_half_hourly: Tuple[int, ...]
    escalate_after_s: Dict[str, Optional[float]]


@dataclass(frozen=True)
class CallbackSpec:
    """Callbacks offered instead of a long wait (``routing.callback``, :mod:`sim.policies.callbacks`)."""

    mode: CallbackMode
    offer_when_wait_s: float
    accept_probability: float
    window_s: float
    reach_probability: float
    max_attempts: int
    retry_delay_s: float
    no_answer_s: float
    mean_handle_s: float  # the estimator's mean call handle time over the category and triage mix


@dataclass(frozen=True, eq=False)
class BackOfficeSpec:
    """The work-order pipeline (``units``, ``workorders``; durations in hours as drawn, limits in seconds)."""

    units: UnitDirectory
    misroute_p: float
    dispatch_delay: List[Distribution]  # per urgency class
    dispatch_limit_s: np.ndarray
    review: Distribution
    response_delay: List[Distribution]
    response_limit_s: np.ndarray
    resolution: List[List[Distribution]]  # [category][urgency class]
    resolved_share: np.ndarray
    closeout_limit_s: np.ndarray
    dispatch: Dispatch
    assignment: Assignment
    assignment_types: Tuple[int, ...]  # unit types least_loaded applies to (every type when none is named)
    district_review: Optional[Distribution]  # with dispatch via the district
    district_catch_p: float


@dataclass(frozen=True)
class FeedbackSpec:
    """Return visits (``feedback``); probabilities by outcome as ``(worse, better)`` pairs."""

    operators_visit: bool  # made by the front line's operators (feedback.mode=operators), else by a team
    team_changes: List[StaffChange]  # the team's timetable over the horizon and the drain ([] with operators)
    calendar: WorkCalendar
    delay: Distribution  # close-out to visit, hours
    reach_probability: float
    max_attempts: int
    max_rounds: int
    reopen_probability: float
    p_reports_resolved: Tuple[float, float]  # by the unit's outcome: explained, resolved
    p_satisfied: Tuple[float, float]  # by what the resident reports: not resolved, resolved
    late_factor_resolved: float
    late_factor_satisfied: float
    talk: Distribution  # seconds
    no_answer: Distribution  # seconds
    retry_delay: Distribution  # hours


@dataclass(frozen=True, eq=False)
class Compiled:
    """Everything the model needs to run a scenario (times in seconds, volumes and headcounts scaled)."""

    categories: Tuple[str, ...]
    seed: int
    request_log: bool  # keep one row per contact (report.request_log)
    clock: Clock
    shares: np.ndarray  # category mix, summing to 1
    triage: Triage
    channels: Dict[str, Arrivals]
    handle: Dict[str, List[List[Distribution]]]  # per channel, [kind][category]
    transfer: Distribution
    patience: Distribution
    patience_by_category: Optional[List[Distribution]]  # per category (categories.<name>.patience_s), or None
    retrial_probability: float
    retrial_delay: Distribution
    max_retrials: int
    answer_threshold_s: float
    deadline_s: float
    expire_s: float
    priority_urgency: np.ndarray  # per urgency class: queued ahead of the others
    staffing: StaffingSpec
    routing: RoutingPlan  # operator groups and the routes of calls, online work and outbound calls
    callback: Optional[CallbackSpec]
    backoffice: Optional[BackOfficeSpec]
    feedback: Optional[FeedbackSpec]
    handle_profile: Optional[np.ndarray] = None  # calls.handle_factor_half_hourly over the week from time 0, or None
    redial_open: Optional[OpenHours] = None  # the phone channel's open hours, when some are closed (redials defer)
    pickup_delay: Optional[Distribution] = None  # calls.pickup_delay_s: a call finding a free operator waits this


def _limits(table: Dict[str, float]) -> np.ndarray:
    return np.array([float(table[u]) * 3600.0 for u in URGENCY_CLASSES])


def rostered_by_group(cfg: Config, clk: Clock) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """Per operator group (the front line's plan alone without ``routing.groups``, keyed ``operators``), the
    rostered operators and the plan's cost per hour per reporting interval of the horizon
    (:func:`sim.model.staffing.rostered_and_cost`); the run records their sums over the groups."""
    return {name: rostered_and_cost(staff, cfg.scale, clk.horizon_s, clk.start_weekday, clk.interval_s,
                                    cfg.staffing.cost_per_h) for name, staff in group_plans(cfg).items()}


def _staffing(cfg: Config, clk: Clock) -> StaffingSpec:
    plans = group_plans(cfg)  # the front line's plan, or each group's
    changes = tuple(staffing_changes(plan, cfg.scale, clk.end_s, clk.start_weekday) for plan in plans.values())
    # the plan's changes after the horizon (drain time) fall outside the intervals and are clipped
    levels = [scheduled_headcount(ch, clk.interval_s, clk.n_intervals) for ch in changes]
    rostered = list(rostered_by_group(cfg, clk).values())
    r = cfg.routing
    half = list(r.reserve_idle_half_hourly)
    offset = clk.start_weekday * 48 if len(half) == 336 else 0
    return StaffingSpec(
        group_changes=changes, scheduled=levels[0] if len(levels) == 1 else np.sum(levels, axis=0),
        rostered=np.sum([x for x, _ in rostered], axis=0), cost_per_h=np.sum([c for _, c in rostered], axis=0),
        reserve_idle=int(r.reserve_idle), reserve_half_hourly=tuple(half[offset:] + half[:offset]),
        escalate_after_s={k: getattr(r.escalate_after_s, k) for k in ESCALATION_CLASSES})


def _callback(cfg: Config, mean_handle_s: float) -> Optional[CallbackSpec]:
    cb = cfg.routing.callback
    if not (cb.enabled and cfg.arrivals.phone.per_day > 0):
        return None
    return CallbackSpec(CALLBACK_MODES.get(cb.mode), float(cb.offer_when_wait_s), float(cb.accept_probability),
                        float(cb.window_s), float(cb.reach_probability), int(cb.max_attempts),
                        float(cb.retry_delay_s), float(cb.no_answer_s), mean_handle_s)


def _backoffice(cfg: Config, cals: Dict[str, WorkCalendar]) -> BackOfficeSpec:
    wo = cfg.workorders
    units = derive.unit_directory(cfg, cals)
    dispatch = DISPATCH.get(wo.dispatch)
    return BackOfficeSpec(
        units=units, misroute_p=float(wo.misroute_probability),
        dispatch_delay=derive.per_urgency(wo.dispatch_delay_h, "workorders.dispatch_delay_h"),
        dispatch_limit_s=_limits(wo.dispatch_limit_h),
        review=make_distribution(wo.review_h, "workorders.review_h"),
        response_delay=derive.per_urgency(wo.response_delay_h, "workorders.response_delay_h"),
        response_limit_s=_limits(wo.response_limit_h),
        resolution=derive.resolution_table(cfg),
        resolved_share=np.array([c.resolved_share for c in cfg.categories.values()], dtype=float),
        closeout_limit_s=_limits(wo.closeout_limit_h),
        dispatch=dispatch, assignment=ASSIGNMENT.get(wo.assignment),
        assignment_types=tuple(units.type_names.index(t) for t in wo.assignment_types)
        or tuple(range(len(units.type_names))),
        district_review=(make_distribution(wo.district_review_h, "workorders.district_review_h")
                         if dispatch.via_district else None),
        district_catch_p=float(wo.district_catch_probability))


def _feedback(cfg: Config, clk: Clock, cals: Dict[str, WorkCalendar]) -> FeedbackSpec:
    fb = cfg.feedback
    operators = fb.mode == "operators"
    return FeedbackSpec(
        operators_visit=operators,
        team_changes=[] if operators else staffing_changes(fb.staffing, cfg.scale, clk.end_s, clk.start_weekday),
        calendar=cals[fb.calendar], delay=make_distribution(fb.delay_h, "feedback.delay_h"),
        reach_probability=fb.reach_probability, max_attempts=fb.max_attempts, max_rounds=fb.max_rounds,
        reopen_probability=fb.reopen_probability,
        p_reports_resolved=(fb.p_reports_resolved["explained"], fb.p_reports_resolved["resolved"]),
        p_satisfied=(fb.p_satisfied["not_resolved"], fb.p_satisfied["resolved"]),
        late_factor_resolved=fb.late_factor_resolved, late_factor_satisfied=fb.late_factor_satisfied,
        talk=make_distribution(fb.talk_s, "feedback.talk_s"),
        no_answer=make_distribution(fb.no_answer_s, "feedback.no_answer_s"),
        retry_delay=make_distribution(fb.retry_delay_h, "feedback.retry_delay_h"))


def compile_config(cfg: Config) -> Compiled:
    """Derive everything the model needs from a validated configuration.

    Parameters
    ----------
    cfg : Config
        Configuration already checked by :func:`sim.model.checks.validate`.

    Returns
    -------
    Compiled
    """
    clk = derive.clock(cfg)
    shares = derive.category_shares(cfg)
    mix = derive.triage(cfg)
    handle = derive.handle_tables(cfg)
    transfer = derive.transfer_handle(cfg)
    cals = derive.calendars(cfg)
    back = _backoffice(cfg, cals) if cfg.units else None
    channels = derive.channel_arrivals(cfg)
    return Compiled(
        categories=tuple(cfg.categories), seed=int(cfg.experiment.seed), request_log=bool(cfg.report.request_log),
        clock=clk, shares=shares, triage=mix, channels=channels, handle=handle,
        transfer=transfer,
        patience=make_distribution(cfg.calls.patience_s, "calls.patience_s"),
        patience_by_category=derive.patience_table(cfg),
        retrial_probability=float(cfg.calls.retrial.probability),
        retrial_delay=make_distribution(cfg.calls.retrial.delay_s, "calls.retrial.delay_s"),
        max_retrials=int(cfg.calls.retrial.max_retrials),
        answer_threshold_s=float(cfg.kpi.answer_threshold_s),
        deadline_s=cfg.online.deadline_h * 3600.0,
        expire_s=cfg.online.expire_h * 3600.0 if cfg.online.expire_h is not None else float("inf"),
        priority_urgency=np.array([u in cfg.calls.priority_classes for u in URGENCY_CLASSES]),
        staffing=_staffing(cfg, clk),
        routing=routing_plan(list(cfg.categories), list(cfg.routing.groups), cfg.routing.skills,
                             cfg.routing.overflow_after_s, never_s=clk.end_s),
        callback=_callback(cfg, derive.mean_handle_s(shares, mix, handle["phone"], transfer)),
        backoffice=back,
        feedback=_feedback(cfg, clk, cals) if back is not None else None,
        handle_profile=derive.handle_profile(cfg),
        redial_open=OpenHours.of(channels["phone"], clk.end_s) if cfg.calls.retrial.probability > 0 else None,
        pickup_delay=None if cfg.calls.pickup_delay_s is None else make_distribution(cfg.calls.pickup_delay_s,
                                                                                      "calls.pickup_delay_s"),
    )

