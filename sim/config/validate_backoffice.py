"""Range and consistency checks of the work-order pipeline's configuration.

Called by :func:`sim.config.validate.validate_config`.  Unit types, calendars, category to unit
mappings (an unknown unit type or department is an error), per-class tables
that must name every urgency class, probabilities, and the feedback settings.
"""

from __future__ import annotations

from typing import Dict

from sim.config.rules import check_number, check_probability, check_staffing_plan, check_weights
from sim.config.schema import URGENCY_CLASSES, Config
from sim.core.distributions import make_distribution
from sim.core.errors import ConfigError

FEEDBACK_MODES = ("team", "operators")


def _classes(key: str, table: Dict[str, object]) -> None:
    for name in table:
        if name not in URGENCY_CLASSES:
            raise ConfigError(f"{key}.{name}", table[name], f"unknown urgency class; use {', '.join(URGENCY_CLASSES)}")
    for name in URGENCY_CLASSES:
        if name not in table:
            raise ConfigError(key, dict(table), f"must give a value for every urgency class (missing {name})")


def validate_backoffice(cfg: Config) -> None:
    """Check the calendars, units, work-order and feedback settings of ``cfg``."""
    for name, cal in cfg.calendars.items():
        key = f"calendars.{name}"
        for d in cal.days:
            check_number(f"{key}.days", d, 0, 6)
        check_number(f"{key}.start_h", cal.start_h, 0.0, 24.0, hi_open=True)
        check_number(f"{key}.end_h", cal.end_h, 0.0, 24.0, lo_open=True)
        if cal.end_h <= cal.start_h:
            raise ConfigError(f"{key}.end_h", cal.end_h, f"must be later than start_h ({cal.start_h})")
    names: Dict[str, str] = {}
    for tname, ut in cfg.units.items():
        key = f"units.{tname}"
        check_number(f"{key}.count", ut.count, lo=1)
        check_number(f"{key}.case_workers", ut.case_workers)
        check_number(f"{key}.caseload", ut.caseload, lo=1)
        if ut.calendar not in cfg.calendars:
            raise ConfigError(f"{key}.calendar", ut.calendar,
                              f"unknown calendar; use one of {', '.join(cfg.calendars)}")
        if len(ut.names) > ut.count:
            raise ConfigError(f"{key}.names", f"<{len(ut.names)} names>", f"more names than units (count={ut.count})")
        for n in ut.names:
            if n in names:
                raise ConfigError(f"{key}.names", n, f"duplicate unit name (also in units.{names[n]})")
            names[n] = tname
        for n, w in ut.case_workers_by_unit.items():
            if n not in ut.names:
                raise ConfigError(f"{key}.case_workers_by_unit.{n}", w, f"unknown unit of type {tname}")
            check_number(f"{key}.case_workers_by_unit.{n}", w)
        if ut.weights:
            check_weights(f"{key}.weights", ut.weights, ut.count)
        check_number(f"{key}.zipf", ut.zipf, 0.0, 10.0)
        if ut.district_of and ut.district_of not in cfg.units:
            raise ConfigError(f"{key}.district_of", ut.district_of,
                              f"unknown unit type; use one of {', '.join(cfg.units)}")
    for cname, cat in cfg.categories.items():
        key = f"categories.{cname}"
        check_probability(f"{key}.emergency_transfer_share", cat.emergency_transfer_share)
        check_probability(f"{key}.unclear_share", cat.unclear_share)
        check_probability(f"{key}.resolved_share", cat.resolved_share)
        if cat.resolution_h is not None:
            make_distribution(cat.resolution_h, f"{key}.resolution_h")
        can_order = cat.direct_share < 1.0 or (cat.urgency.get("emergency", 0.0) > 0
                                                and cat.emergency_transfer_share < 1.0)
        if cat.unit_type and cat.unit_type not in cfg.units:
            raise ConfigError(f"{key}.unit_type", cat.unit_type,
                              f"unknown unit type; use one of {', '.join(cfg.units) or '(none declared in units)'}")
        if can_order and not cat.unit_type:
            raise ConfigError(f"{key}.unit_type", cat.unit_type,
                              "required: this category produces work orders (direct_share < 1 or emergencies)")
        if cat.unit is not None:
            if names.get(cat.unit) != cat.unit_type:
                raise ConfigError(f"{key}.unit", cat.unit, f"unknown department: no unit of type "
                                  f"'{cat.unit_type}' has this name in units.{cat.unit_type}.names")
    wo = cfg.workorders
    for field_name in ("dispatch_delay_h", "response_delay_h"):
        table = getattr(wo, field_name)
        _classes(f"workorders.{field_name}", table)
        for u, d in table.items():
            make_distribution(d, f"workorders.{field_name}.{u}")
    for field_name in ("dispatch_limit_h", "response_limit_h", "closeout_limit_h"):
        table = getattr(wo, field_name)
        _classes(f"workorders.{field_name}", table)
        for u, v in table.items():
            check_number(f"workorders.{field_name}.{u}", v, lo_open=True)
    for u, dist in wo.resolution_h_by_urgency.items():
        if u not in URGENCY_CLASSES:
            raise ConfigError(f"workorders.resolution_h_by_urgency.{u}", "<dist>", "unknown urgency class")
        make_distribution(dist, f"workorders.resolution_h_by_urgency.{u}")
    make_distribution(wo.resolution_h, "workorders.resolution_h")
    make_distribution(wo.review_h, "workorders.review_h")
    check_probability("workorders.misroute_probability", wo.misroute_probability)
    _feedback(cfg)


def _feedback(cfg: Config) -> None:
    fb = cfg.feedback
    if fb.mode not in FEEDBACK_MODES:
        raise ConfigError("feedback.mode", fb.mode, f"use one of {', '.join(FEEDBACK_MODES)}")
    if fb.calendar not in cfg.calendars:
        raise ConfigError("feedback.calendar", fb.calendar, f"unknown calendar; use one of {', '.join(cfg.calendars)}")
    if cfg.units and fb.mode == "team":
        check_staffing_plan(fb.staffing, "feedback.staffing")
    for key in ("delay_h", "retry_delay_h", "talk_s", "no_answer_s"):
        make_distribution(getattr(fb, key), f"feedback.{key}")
    check_probability("feedback.reach_probability", fb.reach_probability)
    check_number("feedback.max_attempts", fb.max_attempts, lo=1)
    check_probability("feedback.reopen_probability", fb.reopen_probability)
    check_number("feedback.max_rounds", fb.max_rounds, lo=1)
    check_probability("feedback.late_factor_resolved", fb.late_factor_resolved)
    check_probability("feedback.late_factor_satisfied", fb.late_factor_satisfied)
    for key, table, need in (("p_reports_resolved", fb.p_reports_resolved, ("resolved", "explained")),
                             ("p_satisfied", fb.p_satisfied, ("resolved", "not_resolved"))):
        for n, v in table.items():
            if n not in need:
                raise ConfigError(f"feedback.{key}.{n}", v, f"unknown key; use {' and '.join(need)}")
            check_probability(f"feedback.{key}.{n}", v)
        for n in need:
            if n not in table:
                raise ConfigError(f"feedback.{key}", dict(table), f"must give {' and '.join(need)}")
