"""Compilation of a configuration into engine parameters.

A scenario is a YAML file ``scenarios/<name>.yaml`` holding plain data for the
keys of :class:`sim.config.schema.Config` (read by :mod:`sim.config.scenario_files`); Hydra
composes it with the schema and the command-line overrides.

:func:`compile_config` turns a validated :class:`~sim.config.schema.Config` into a
:class:`Compiled` object: times in seconds, scaled volumes and headcounts,
:class:`~sim.core.distributions.Distribution` objects, arrival processes and the
staffing timetable.  The engine reads only the compiled object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

from sim.config.schema import CHANNELS, URGENCY_CLASSES, Config, DistConfig, group_plans
from sim.core.calendar import WorkCalendar
from sim.core.distributions import Distribution, make_distribution
from sim.model.arrivals import ChannelArrivals, Surge
from sim.model.staffing import StaffChange, staffing_changes
from sim.model.units import UnitDirectory
from sim.policies.routing import RoutingPlan, routing_plan

DIRECT, WORK_ORDER = 0, 1


@dataclass
class Compiled:
    """Engine parameters derived from a validated configuration (times in seconds)."""

    cfg: Config
    categories: List[str]
    shares: np.ndarray
    direct_share: np.ndarray
    urgency_cum: np.ndarray
    handle: Dict[str, List[List[Distribution]]]
    patience: Distribution
    retrial_probability: float
    retrial_delay: Distribution
    max_retrials: int
    channels: Dict[str, ChannelArrivals]
    staff_changes: List[StaffChange]  # the operators' plan over the horizon and the drain ([] with groups)
    horizon_s: float
    interval_s: float
    n_intervals: int
    warmup_intervals: int
    answer_threshold_s: float
    deadline_s: float
    expire_s: float
    priority_urgency: np.ndarray
    transfer_share: np.ndarray
    transfer: Distribution
    drain_s: float
    calendars: Dict[str, WorkCalendar]
    units: Optional[UnitDirectory]
    misroute_p: float
    dispatch_delay: List[Distribution]
    dispatch_limit_s: np.ndarray
    review: Distribution
    response_delay: List[Distribution]
    response_limit_s: np.ndarray
    resolution: List[List[Distribution]]
    resolved_share: np.ndarray
    closeout_limit_s: np.ndarray
    visit_delay: Distribution
    routing: RoutingPlan  # operator groups and the routes of calls, online work and outbound calls
    group_changes: List[List[StaffChange]]  # each group's plan (one group without routing.groups)
    mean_call_handle_s: float  # mean handle time of a call over the category mix (the callback estimator's)
    callbacks: bool  # routing.callback.enabled (and calls)


def mean_call_handle_s(cfg: Config, handle: List[List[Distribution]], transfer: Distribution) -> float:
    """Mean operator time of a call: categories by share, each by its mix of direct answers, work orders and
    emergency transfers (the triage drawn in :mod:`sim.model.residents`)."""
    total = weight = 0.0
    for k, (name, cat) in enumerate(cfg.categories.items()):
        em = float(cat.urgency.get("emergency", 0.0)) / (sum(float(v) for v in cat.urgency.values()) or 1.0)
        p_transfer = em * cat.emergency_transfer_share
        p_direct = (1.0 - em) * cat.direct_share
        p_order = 1.0 - p_transfer - p_direct
        total += cat.share * (p_direct * handle[DIRECT][k].mean + p_order * handle[WORK_ORDER][k].mean
                              + p_transfer * transfer.mean)
        weight += cat.share
    return total / weight if weight > 0 else 0.0


def _per_urgency(table: Dict[str, DistConfig], key: str) -> List[Distribution]:
    return [make_distribution(table[u], f"{key}.{u}") for u in URGENCY_CLASSES]


def _limits(table: Dict[str, float]) -> np.ndarray:
    return np.array([float(table[u]) * 3600.0 for u in URGENCY_CLASSES])


def _resolution_table(cfg: Config) -> List[List[Distribution]]:
    """Resolution-time distribution (hours) per category and urgency class."""
    wo = cfg.workorders
    default = make_distribution(wo.resolution_h, "workorders.resolution_h")
    by_urgency = {u: make_distribution(d, f"workorders.resolution_h_by_urgency.{u}")
                  for u, d in wo.resolution_h_by_urgency.items()}
    out = []
    for name, cat in cfg.categories.items():
        base = (make_distribution(cat.resolution_h, f"categories.{name}.resolution_h")
                if cat.resolution_h is not None else default)
        out.append([by_urgency.get(u, base) for u in URGENCY_CLASSES])
    return out


def _handle_table(cfg: Config, channel: str) -> List[List[Distribution]]:
    """Distributions of handle time, ``[kind][category]``, with the fall-back chain resolved."""
    base = cfg.calls if channel == "phone" else cfg.online
    table: List[List[Distribution]] = [[], []]
    for name, cat in cfg.categories.items():
        if channel == "phone":
            direct_cfg, direct_key = ((cat.handle_s, f"categories.{name}.handle_s") if cat.handle_s is not None
                                      else (base.handle_s, "calls.handle_s"))
            wo = [(cat.handle_work_order_s, f"categories.{name}.handle_work_order_s"),
                  (base.handle_work_order_s, "calls.handle_work_order_s"), (direct_cfg, direct_key)]
        else:
            direct_cfg, direct_key = base.handle_s, "online.handle_s"
            wo = [(base.handle_work_order_s, "online.handle_work_order_s"), (direct_cfg, direct_key)]
        wo_cfg, wo_key = next((d, k) for d, k in wo if d is not None)
        table[DIRECT].append(make_distribution(direct_cfg, direct_key))
        table[WORK_ORDER].append(make_distribution(wo_cfg, wo_key))
    return table


def compile_config(cfg: Config) -> Compiled:
    """Derive engine parameters from a validated configuration.

    Parameters
    ----------
    cfg : Config
        Configuration already checked by :func:`sim.model.checks.validate`.

    Returns
    -------
    Compiled
    """
    names = list(cfg.categories)
    cats = [cfg.categories[n] for n in names]
    shares = np.array([c.share for c in cats], dtype=float)
    shares = shares / shares.sum()
    urgency = np.array([[float(c.urgency.get(u, 0.0)) for u in URGENCY_CLASSES] for c in cats])
    urgency_cum = np.cumsum(urgency / urgency.sum(axis=1, keepdims=True), axis=1)
    urgency_cum[:, -1] = 1.0
    horizon_s = cfg.experiment.horizon_h * 3600.0
    interval_s = cfg.kpi.interval_min * 60.0
    wo = cfg.workorders
    calendars = {name: WorkCalendar(c.days, c.start_h, c.end_h, cfg.experiment.start_weekday)
                 for name, c in cfg.calendars.items()}
    end_s = horizon_s + cfg.experiment.drain_h * 3600.0
    group_changes = [staffing_changes(plan, cfg.scale, end_s, cfg.experiment.start_weekday)
                     for plan in group_plans(cfg).values()]
    handle = {ch: _handle_table(cfg, ch) for ch in CHANNELS}
    transfer = make_distribution(cfg.calls.handle_transfer_s, "calls.handle_transfer_s")
    channels = {}
    for ch in CHANNELS:
        c = getattr(cfg.arrivals, ch)
        surges = []
        for s in cfg.arrivals.surges:
            if s.channels and ch not in s.channels:
                continue
            mult = np.array([s.multiplier if (not s.categories or n in s.categories) else 1.0 for n in names])
            surges.append(Surge(s.start_h * 3600.0, (s.start_h + s.duration_h) * 3600.0, mult))
        channels[ch] = ChannelArrivals(c.per_day * cfg.scale, c.hourly_profile, cfg.arrivals.day_of_week,
                                       c.day_cv, shares, surges, cfg.experiment.start_weekday)
    return Compiled(
        cfg=cfg, categories=names, shares=shares,
        direct_share=np.array([c.direct_share for c in cats], dtype=float),
        urgency_cum=urgency_cum,
        handle=handle,
        patience=make_distribution(cfg.calls.patience_s, "calls.patience_s"),
        retrial_probability=float(cfg.calls.retrial.probability),
        retrial_delay=make_distribution(cfg.calls.retrial.delay_s, "calls.retrial.delay_s"),
        max_retrials=int(cfg.calls.retrial.max_retrials),
        channels=channels,
        staff_changes=[] if cfg.routing.groups else group_changes[0],
        horizon_s=horizon_s,
        interval_s=interval_s,
        n_intervals=int(round(horizon_s / interval_s)),
        warmup_intervals=int(round(cfg.experiment.warmup_h * 3600.0 / interval_s)),
        answer_threshold_s=float(cfg.kpi.answer_threshold_s),
        deadline_s=cfg.online.deadline_h * 3600.0,
        expire_s=cfg.online.expire_h * 3600.0 if cfg.online.expire_h is not None else float("inf"),
        priority_urgency=np.array([u in cfg.calls.priority_classes for u in URGENCY_CLASSES]),
        transfer_share=np.array([c.emergency_transfer_share for c in cats], dtype=float),
        transfer=transfer,
        drain_s=cfg.experiment.drain_h * 3600.0,
        calendars=calendars,
        units=UnitDirectory(cfg, calendars) if cfg.units else None,
        misroute_p=float(wo.misroute_probability),
        dispatch_delay=_per_urgency(wo.dispatch_delay_h, "workorders.dispatch_delay_h"),
        dispatch_limit_s=_limits(wo.dispatch_limit_h),
        review=make_distribution(wo.review_h, "workorders.review_h"),
        response_delay=_per_urgency(wo.response_delay_h, "workorders.response_delay_h"),
        response_limit_s=_limits(wo.response_limit_h),
        resolution=_resolution_table(cfg),
        resolved_share=np.array([c.resolved_share for c in cats], dtype=float),
        closeout_limit_s=_limits(wo.closeout_limit_h),
        visit_delay=make_distribution(cfg.feedback.delay_h, "feedback.delay_h"),
        routing=routing_plan(cfg, never_s=end_s),
        group_changes=group_changes,
        mean_call_handle_s=mean_call_handle_s(cfg, handle["phone"], transfer),
        callbacks=bool(cfg.routing.callback.enabled and cfg.arrivals.phone.per_day > 0),
    )
