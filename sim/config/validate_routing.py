"""Checks of the routing section and of the work-order dispatch keys, and each group's staffing plan.

Called by :func:`sim.config.validate.validate_config`.  With ``routing.groups``
the groups' plans are the front line's staffing: ``staffing`` then gives no plan
of its own (its ``shrinkage`` and ``headcount_factor`` apply to every group), and
each group needs exactly one plan form with someone in it.  ``routing.skills``
names known categories (or ``online``, ``outbound``) and, for each, a non-empty
list of known groups (a group listed twice is refused by the generic check of
:mod:`sim.config.validate_effects`).  The names of policies (callback mode,
dispatch, assignment) are checked against their registries in
:func:`sim.model.checks.validate`, before anything else.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Dict

from sim.config.dated import dated_plan
from sim.config.routing import ESCALATION_CLASSES, SKILL_WORK
from sim.config.rules import check_number, check_probability, check_staffing_plan
from sim.config.schema import CHANNELS, Config, StaffingConfig
from sim.core.distributions import make_distribution
from sim.core.errors import ConfigError

#: Most operator groups a scenario may declare.
MAX_GROUPS = 64


def group_plans(cfg: Config) -> Dict[str, StaffingConfig]:
    """Each group's staffing plan: its own plan form, with ``staffing``'s shrinkage and headcount factor.

    Without ``routing.groups``: the one plan ``staffing``, under the name ``"operators"``.
    """
    if not cfg.routing.groups:
        dated = dated_plan(cfg, CHANNELS)  # a dated scenario's plan per date and half-hour (dated.staffing_file)
        if dated is not None:
            return {"operators": dataclasses.replace(cfg.staffing, operators=0, half_hourly=dated, shifts=[])}
        return {"operators": cfg.staffing}
    return {name: dataclasses.replace(cfg.staffing, operators=g.operators, half_hourly=list(g.half_hourly),
                                      shifts=list(g.shifts))
            for name, g in cfg.routing.groups.items()}


def plan_key(cfg: Config, group: str) -> str:
    """The key prefix of ``group``'s plan (``staffing`` without groups)."""
    return f"routing.groups.{group}" if cfg.routing.groups else "staffing"


def validate_routing(cfg: Config) -> None:
    """Check ``routing`` (groups, skills, reservation, aging, callbacks) and the dispatch keys of ``workorders``.

    Raises
    ------
    ConfigError
        At the first broken rule.
    """
    r = cfg.routing
    if r.groups:
        _groups(cfg)
    else:
        check_staffing_plan(cfg.staffing, "staffing",
                            required=cfg.staffing.policy == "plan" and cfg.dated.staffing_file is None)
    for key, groups in r.skills.items():
        where = f"routing.skills.{key}"
        if key not in cfg.categories and key not in SKILL_WORK:
            raise ConfigError(where, list(groups), f"unknown category; use a key of categories, or "
                                                   f"{' or '.join(SKILL_WORK)}")
        if not groups:
            raise ConfigError(where, [], "no eligible group: list the groups that may serve it")
        for g in groups:
            if g not in r.groups:
                raise ConfigError(where, g, f"unknown group; routing.groups has: {', '.join(r.groups) or 'none'}")
        if key == "online" and cfg.arrivals.online.per_day <= 0:
            raise ConfigError(where, list(groups), "used only when there is online demand "
                                                   "(arrivals.online.per_day > 0)")
        if key == "outbound" and not (cfg.units and cfg.feedback.mode == "operators"):
            raise ConfigError(where, list(groups), "used only with return visits by operators "
                                                   "(feedback.mode=operators, with units)")
    check_number("routing.overflow_after_s", r.overflow_after_s)
    check_number("routing.reserve_idle", r.reserve_idle)
    if r.reserve_idle_half_hourly:
        if r.reserve_idle:
            raise ConfigError("routing.reserve_idle", r.reserve_idle,
                              "conflicts with routing.reserve_idle_half_hourly: give one of them")
        if len(r.reserve_idle_half_hourly) not in (48, 336):
            raise ConfigError("routing.reserve_idle_half_hourly", f"<{len(r.reserve_idle_half_hourly)} values>",
                              "must have 48 values (one day) or 336 (one week, Monday first)")
        for i, n in enumerate(r.reserve_idle_half_hourly):
            check_number(f"routing.reserve_idle_half_hourly[{i}]", n)
    for name in ESCALATION_CLASSES:
        after = getattr(r.escalate_after_s, name)
        if after is not None:
            check_number(f"routing.escalate_after_s.{name}", after, lo_open=True)
    cb = r.callback
    check_number("routing.callback.offer_when_wait_s", cb.offer_when_wait_s)
    check_probability("routing.callback.accept_probability", cb.accept_probability)
    check_number("routing.callback.window_s", cb.window_s, lo_open=True)
    check_probability("routing.callback.reach_probability", cb.reach_probability)
    check_number("routing.callback.max_attempts", cb.max_attempts, lo=1, hi=100)
    check_number("routing.callback.retry_delay_s", cb.retry_delay_s, lo_open=True)
    check_number("routing.callback.no_answer_s", cb.no_answer_s, lo_open=True)
    wo = cfg.workorders
    make_distribution(wo.district_review_h, "workorders.district_review_h")
    check_probability("workorders.district_catch_probability", wo.district_catch_probability)
    for t in wo.assignment_types:
        if t not in cfg.units:
            raise ConfigError("workorders.assignment_types", t,
                              f"unknown unit type; use one of {', '.join(cfg.units) or 'none (no units)'}")
    if wo.dispatch == "via_district" and cfg.units and not any(ut.district_of for ut in cfg.units.values()):
        raise ConfigError("workorders.dispatch", wo.dispatch,
                          "no unit type belongs to a district (units.<type>.district_of): nothing would pass one")


def _groups(cfg: Config) -> None:
    r, s = cfg.routing, cfg.staffing
    if len(r.groups) > MAX_GROUPS:
        raise ConfigError("routing.groups", f"<{len(r.groups)} groups>", f"at most {MAX_GROUPS} groups")
    for form, empty in (("operators", 0), ("half_hourly", []), ("shifts", [])):
        value = getattr(s, form)
        if value != empty:
            shown = value if form == "operators" else f"<{len(value)} values>"
            raise ConfigError(f"staffing.{form}", shown,
                              f"conflicts with routing.groups: the groups' plans are the front line's staffing "
                              f"(set staffing.{form}={empty}; staffing.shrinkage and headcount_factor apply to "
                              f"every group)")
    for name in r.groups:
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise ConfigError(f"routing.groups.{name}", "<plan>", "a group's name is letters, digits and _ only "
                                                                  "(it names the group's KPIs: service_level.<group>)")
    check_number("staffing.shrinkage", s.shrinkage, 0.0, 1.0, hi_open=True)
    check_number("staffing.headcount_factor", s.headcount_factor, lo_open=True)
    for name, plan in group_plans(cfg).items():
        check_staffing_plan(plan, f"routing.groups.{name}", required=cfg.staffing.policy == "plan")
