"""The rules that relate sections of the configuration, checked once every section is valid on its own.

:func:`check_config` runs them in the order listed in ``sim/config/README.md`` ("Across sections"); the
first broken rule is reported as a :class:`~sim.core.errors.ConfigError` naming the key, its value and the
rule.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterator, List, Optional

import numpy as np
from pydantic import BaseModel

from sim.config.backoffice import URGENCY_CLASSES, unit_names
from sim.config.fields import Range, UsedOnlyWhen, first_difference, leaf
from sim.config.routing import ONLINE, OPERATOR_VISITS, SKILL_WORK
from sim.config.staffing_policy import PLAN_FORMS
from sim.core.distributions import make_distribution
from sim.core.errors import ConfigError


def check_config(cfg: Any) -> None:
    """Check the rules across sections of ``cfg`` (a :class:`~sim.config.schema.Config` whose sections are valid)."""
    from sim.config.dated import check_dated, check_dated_staffing
    from sim.config.limits import LIMITS
    from sim.config.rules_effects import check_effects
    from sim.config.schema import CHANNELS
    from sim.config.whatif import check_factors

    _kpis(cfg)
    check_references(cfg)
    check_dated(cfg.dated, CHANNELS, list(cfg.categories), cfg.experiment.start_weekday, cfg.experiment.horizon_h,
                {ch: getattr(cfg.arrivals, ch).per_day for ch in CHANNELS})
    check_dated_staffing(cfg, CHANNELS, LIMITS["operators"])
    check_factors(cfg)
    _plans(cfg)
    check_loops(cfg)
    check_usage(cfg)
    check_effects(cfg)


def _one_of(key: str, value: Any, names: Any, what: str) -> None:
    if value not in names:
        raise ConfigError(key, value, f"unknown {what}; use one of {', '.join(names) or '(none declared)'}")


def _kpis(cfg: Any) -> None:
    from sim.config.kpi_catalog import headline_kpis, is_pooled, kpi_display, kpi_domain, why_undefined
    from sim.config.schema import BEIJING_TARGETS

    judged = [n for n in headline_kpis() if kpi_display(n).better]
    for name, value in cfg.kpi.targets.items():
        key = f"kpi.targets.{name}"
        if name not in headline_kpis():
            close = difflib.get_close_matches(name, judged, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ConfigError(key, value, f"unknown KPI; {hint}a target applies to one of {', '.join(judged)}")
        if not kpi_display(name).better:
            raise ConfigError(key, value, f"{name} is a count or a level, with no better direction; a target "
                                          f"applies to one of {', '.join(judged)}")
        d = kpi_domain(name)
        if value is not None and d.kind == "share" and 1 < value <= 100:
            raise ConfigError(key, value, f"a share is a fraction: {value / 100:g} for {value:g}%; must be in [0, 1]")
        if value is not None:
            Range(d.lo, d.hi).at(key, value)
        if value is not None and BEIJING_TARGETS.get(name) != value and not is_pooled(name):
            problem = why_undefined(cfg, name)  # undefined here (the target was dropped from the report), or always 0
            if problem:
                raise ConfigError(key, value, f"{problem}; a target on it would judge nothing")
    e = cfg.experiment
    if e.precision_kpi not in headline_kpis():
        raise ConfigError("experiment.precision_kpi", e.precision_kpi,
                          f"not a headline KPI; use one of {', '.join(headline_kpis())}")
    problem = why_undefined(cfg, e.precision_kpi) if e.precision is not None else None
    if problem:
        raise ConfigError("experiment.precision_kpi", e.precision_kpi, problem)
    interval_h = cfg.kpi.interval_min / 60.0
    for key, value in (("experiment.horizon_h", e.horizon_h), ("experiment.warmup_h", e.warmup_h)):
        if abs(value / interval_h - round(value / interval_h)) > 1e-9:
            raise ConfigError(key, value, f"must be a multiple of the reporting interval ({cfg.kpi.interval_min} min)")


def check_references(cfg: Any) -> None:
    """Refuse names used in one section that another does not declare (categories, unit types, calendars, units,
    operator groups, skills), and categories whose shares do not sum to 1."""
    from sim.config.schema import check_shares

    if not cfg.categories:
        raise ConfigError("categories", {}, "at least one request category is required")
    check_shares("categories", {n: c.share for n, c in cfg.categories.items()})
    for i, s in enumerate(cfg.arrivals.surges):
        for c in s.categories:
            _one_of(f"arrivals.surges[{i}].categories", c, list(cfg.categories), "category")
    for name in cfg.calls.priority_classes:
        _one_of("calls.priority_classes", name, URGENCY_CLASSES, "urgency class")
    names: dict = {}
    for tname, ut in cfg.units.items():
        key = f"units.{tname}"
        _one_of(f"{key}.calendar", ut.calendar, list(cfg.calendars), "calendar")
        for n in ut.names:
            if n in names:
                raise ConfigError(f"{key}.names", n, f"duplicate unit name (also in units.{names[n]})")
            names[n] = tname
        every = unit_names(tname, ut)  # the units without a name in names are <type>_<n>, as units.csv calls them
        for n in every[len(ut.names):]:
            names.setdefault(n, tname)
        for n, w in ut.case_workers_by_unit.items():
            if n not in every:
                unnamed = (f" or {every[len(ut.names)]} to {every[-1]} (the units without a name)"
                           if len(every) > len(ut.names) else "")
                raise ConfigError(f"{key}.case_workers_by_unit.{n}", w, f"unknown unit of type {tname}: use a name "
                                                                        f"of {key}.names{unnamed}")
        if ut.district_of:
            _one_of(f"{key}.district_of", ut.district_of, list(cfg.units), "unit type")
    for cname, cat in cfg.categories.items():
        key = f"categories.{cname}"
        if cat.unit_type and cat.unit_type not in cfg.units:
            _one_of(f"{key}.unit_type", cat.unit_type, list(cfg.units), "unit type")
        from sim.config.backoffice import makes_orders

        if makes_orders(cat) and not cat.unit_type:
            raise ConfigError(f"{key}.unit_type", cat.unit_type,
                              "required: this category produces work orders (direct_share < 1 or emergencies)")
        if cat.unit is not None and names.get(cat.unit) != cat.unit_type:
            raise ConfigError(f"{key}.unit", cat.unit, f"unknown department: no unit of type '{cat.unit_type}' has "
                                                       f"this name in units.{cat.unit_type}.names")
    _one_of("feedback.calendar", cfg.feedback.calendar, list(cfg.calendars), "calendar")
    r, wo = cfg.routing, cfg.workorders
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
        used = {"online": ONLINE, "outbound": OPERATOR_VISITS}.get(key)
        if used is not None and not used.when(cfg, None):
            raise ConfigError(where, list(groups), used.why)
    for t in wo.assignment_types:
        if t not in cfg.units:
            raise ConfigError("workorders.assignment_types", t,
                              f"unknown unit type; use one of {', '.join(cfg.units) or 'none (no units)'}")
    if wo.dispatch == "via_district" and cfg.units and not any(ut.district_of for ut in cfg.units.values()):
        raise ConfigError("workorders.dispatch", wo.dispatch,
                          "no unit type belongs to a district (units.<type>.district_of): nothing would pass one")


def _needs_plan(plan: Any, prefix: str) -> None:
    if plan.operators <= 0 and not plan.half_hourly and not plan.shifts:
        raise ConfigError(f"{prefix}.operators", plan.operators, "no staffing: set operators, half_hourly or shifts")


def _plans(cfg: Any) -> None:
    s, groups = cfg.staffing, cfg.routing.groups
    if groups:
        for form, empty in PLAN_FORMS.items():
            value = getattr(s, form)
            if value:
                raise ConfigError(f"staffing.{form}", value if form == "operators" else f"<{len(value)} values>",
                                  f"conflicts with routing.groups: the groups' plans are the front line's staffing "
                                  f"(set staffing.{form}={empty}; staffing.shrinkage and headcount_factor apply to "
                                  f"every group)")
        for name, g in groups.items():
            if s.policy == "plan":  # a proposing policy proposes each group's plan
                _needs_plan(g, f"routing.groups.{name}")
    elif s.policy == "plan" and cfg.dated.staffing_file is None:
        _needs_plan(s, "staffing")
    tours = [i for i, p in enumerate(s.patterns) if p.days_on > 0] if s.policy != "plan" else []
    horizon_h = cfg.experiment.horizon_h
    if s.policy != "plan" and s.schedule == "shifts" and tours and horizon_h < 168.0 - 1e-9:
        p, days = s.patterns[tours[0]], horizon_h / 24.0
        raise ConfigError("experiment.horizon_h", horizon_h,
                          f"simulates {days:g} day{'' if days == 1 else 's'}, and weekly tours "
                          f"(staffing.patterns[{tours[0]}], '{p.name}': {p.days_on} days on) roster a whole week: "
                          f"simulate it (experiment.horizon_h=168 or more), or give day-by-day patterns (days_on: 0), "
                          f"whose shifts then cover the simulated days only")
    fb = cfg.feedback
    if cfg.units and fb.mode == "team":
        _needs_plan(fb.staffing, "feedback.staffing")
    for i, sh in enumerate(fb.staffing.shifts):
        if sh.cost_per_h is not None:
            raise ConfigError(f"feedback.staffing.shifts[{i}].cost_per_h", sh.cost_per_h,
                              "used only for the front line's shifts (staffing.shifts): the feedback team's cost is "
                              "not reported")
    half_hourly = s.policy == "optimize" or (s.policy != "plan" and s.schedule == "intervals")  # any proposing one
    if half_hourly and cfg.kpi.interval_min % 30:
        how = "simulates half-hourly plans" if s.policy == "optimize" else \
            "with staffing.schedule=intervals makes a half-hourly plan"
        raise ConfigError("kpi.interval_min", cfg.kpi.interval_min, f"staffing.policy={s.policy} {how}, so the "
                          "reporting interval must be a multiple of 30 minutes")


# ------------------------------------------------------------------------------------------- loops
def _shown(dist: Any) -> dict:
    """A distribution as the error message shows it: its family and parameters."""
    return {k: v for k, v in dist.model_dump().items() if v is not None}


def can_be_zero(dist: Any, key: str) -> bool:
    """Whether a draw of the distribution can be exactly 0 (with probability 1e-9 or more, in floating point)."""
    return float(make_distribution(dist, key).ppf(np.array([1e-9]))[0]) == 0.0


def check_loops(cfg: Any) -> None:
    """Refuse a loop in simulated time whose every step can take no time (time would stand still).

    The loops: a caller's redials (patience, then the redial delay), a return visit's attempts (the
    unanswered call, then the retry delay), an order's bounces (the wrong unit's review, then the re-dispatch
    delay; a misroute probability of 1 never ends), and an order's rounds (response, resolution, the delay to
    the return visit and its talk).
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


# ------------------------------------------------------------------------------------------- usage
def unused_settings(cfg: Any, model: Any = None, key: str = "") -> Iterator[ConfigError]:
    """Each field set (differing from its default) while its :class:`UsedOnlyWhen` condition fails, as the error
    that refuses it; section by section in the schema's order, a section's condition before its fields'."""
    model = cfg if model is None else model
    for name, f in type(model).model_fields.items():
        value, sub = getattr(model, name), f"{key}.{name}" if key else name
        for m in f.metadata:
            if not isinstance(m, UsedOnlyWhen):
                continue
            default = f.get_default(call_default_factory=True)
            for entry, v, d, where in ([(k, v, default.get(k), f"{sub}.{k}") for k, v in value.items()] if m.each
                                       else [(model, value, default, sub)]):
                found: Optional[str] = first_difference(v, d, where) if d is not None or not m.each else where
                if found and not m.when(cfg, entry):
                    yield ConfigError(found, leaf(cfg, found), m.why)
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else None
        if isinstance(value, BaseModel):
            yield from unused_settings(cfg, value, sub)
        for k, child in children or ():
            if isinstance(child, BaseModel):
                yield from unused_settings(cfg, child, f"{sub}[{k}]" if isinstance(k, int) else f"{sub}.{k}")


def check_usage(cfg: Any) -> None:
    """Refuse the first of :func:`unused_settings` not kept (:func:`sim.config.errors.kept_unused`)."""
    kept = cfg.kept_unused
    for err in unused_settings(cfg) if kept is not None else ():
        if err.key not in kept:
            raise err


def unused_note(cfg: Any) -> str:
    """A line naming the settings ``cfg`` keeps unused (:func:`sim.config.errors.kept_unused`) and why, or ""."""
    left = [e for e in unused_settings(cfg) if e.key in (cfg.kept_unused or ())]
    if not left:
        return ""
    why: dict[str, List[str]] = {}
    for e in left:
        why.setdefault(e.rule, []).append(e.key)
    return "; ".join(f"the scenario's {', '.join(keys[:3])}{f' and {len(keys) - 3} more' if len(keys) > 3 else ''} "
                     f"{'is' if len(keys) == 1 else 'are'} unused in this run ({rule})" for rule, keys in why.items())
