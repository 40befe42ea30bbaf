"""Range and consistency checks of a composed configuration.

OmegaConf checks keys and types when Hydra composes the configuration; this
module checks everything else: rates and counts non-negative, probabilities in
[0, 1], shares summing to 1, profiles of the right length, known category and
class names, warm-up shorter than the horizon, targets on KPIs that have a
better direction; then ceilings on sizes and loops
in simulated time (:mod:`sim.config.validate_size`) and settings the run would
not use or that would do nothing (:mod:`sim.config.validate_usage`), and values listed twice in a set,
entries that do nothing, references that make no sense and contradictory time limits
(:mod:`sim.config.validate_effects`).  The basic
rules (a number in a range, shares summing to 1, a staffing plan) are in
:mod:`sim.config.rules`; the checks that need the model's arithmetic, and the one
entry point of validation, in :mod:`sim.model.checks`.  The first broken
rule raises a :class:`sim.core.errors.ConfigError` naming the key, its value and the
rule.
"""

from __future__ import annotations

from typing import List, Mapping, Optional

from sim.config.dated import check_dated, check_dated_staffing
from sim.config.report_config import check_report
from sim.config.rules import check_number, check_probability, check_shares, check_weights
from sim.config.schema import CHANNELS, URGENCY_CLASSES, CallsConfig, Config
from sim.config.unit_staffing import check_unit_staffing
from sim.config.validate_backoffice import validate_backoffice
from sim.config.validate_routing import validate_routing
from sim.config.validate_size import LIMITS
from sim.config.validate_staffing import validate_staffing_policy
from sim.config.whatif import check_factors
from sim.core.distributions import make_distribution
from sim.core.errors import ConfigError


def validate_config(cfg: Config) -> None:
    """Check every range and cross-field rule of ``cfg`` that the configuration alone decides.

    The full validation (this, then the checks that need the model's arithmetic: the run's size,
    staffing coverage) is :func:`sim.model.checks.validate`.

    Raises
    ------
    ConfigError
        At the first broken rule.
    """
    from sim.config import validate_effects as effects
    from sim.config.validate_size import check_ceilings, check_loops
    from sim.config.validate_usage import check_unused

    check_number("scale", cfg.scale, lo_open=True)
    check_ceilings(cfg)
    effects.check_distinct(cfg)  # every list the schema marks DISTINCT (sim.config.markers)
    _kpi(cfg)
    _experiment(cfg)
    check_report(cfg.report)
    _categories(cfg)
    _arrivals(cfg)
    check_dated(cfg.dated, CHANNELS, list(cfg.categories), cfg.experiment.start_weekday, cfg.experiment.horizon_h,
                {ch: getattr(cfg.arrivals, ch).per_day for ch in CHANNELS})
    check_dated_staffing(cfg, CHANNELS, LIMITS["operators"])
    _calls(cfg)
    check_factors(cfg)  # arrivals.demand_factor, calls.handle_factor (the call handle times they make)
    validate_routing(cfg)  # the staffing plan (or each group's), skills, callbacks, dispatch keys
    validate_staffing_policy(cfg)
    validate_backoffice(cfg)
    check_unit_staffing(cfg.unit_staffing)
    check_loops(cfg)
    check_unused(cfg)
    effects.check_effects(cfg)
    effects.check_identities(cfg)
    effects.check_references(cfg)
    effects.check_time_limits(cfg)


def _experiment(cfg: Config) -> None:
    e = cfg.experiment
    check_number("experiment.seed", e.seed)
    check_number("experiment.replications", e.replications, lo=1)
    check_number("experiment.horizon_h", e.horizon_h, lo_open=True)
    check_number("experiment.warmup_h", e.warmup_h)
    if e.warmup_h >= e.horizon_h:
        raise ConfigError("experiment.warmup_h", e.warmup_h,
                          f"must be shorter than experiment.horizon_h ({e.horizon_h})")
    check_number("experiment.drain_h", e.drain_h)
    check_number("experiment.start_weekday", e.start_weekday, 0, 6)
    check_number("experiment.jobs", e.jobs, lo=1)
    check_number("experiment.confidence", e.confidence, 0.0, 1.0, lo_open=True, hi_open=True)
    from sim.config.kpi_catalog import headline_kpis
    from sim.config.validate_executor import EXECUTORS, check_scheduler

    if e.executor not in EXECUTORS:
        raise ConfigError("experiment.executor", e.executor, f"use one of {', '.join(EXECUTORS)}")
    check_scheduler(e)
    if e.precision_kpi not in headline_kpis():
        raise ConfigError("experiment.precision_kpi", e.precision_kpi,
                          f"not a headline KPI; use one of {', '.join(headline_kpis())}")
    if e.precision is not None:
        check_number("experiment.precision", e.precision, 0.0, 1.0, lo_open=True, hi_open=True)
        check_number("experiment.max_replications", e.max_replications, lo=2)
        if e.max_replications < e.replications:
            raise ConfigError("experiment.max_replications", e.max_replications,
                              f"must be >= experiment.replications ({e.replications})")
        from sim.config.kpi_catalog import why_undefined

        problem = why_undefined(cfg, e.precision_kpi)
        if problem:
            raise ConfigError("experiment.precision_kpi", e.precision_kpi, problem)
    interval_h = cfg.kpi.interval_min / 60.0
    for key, value in (("experiment.horizon_h", e.horizon_h), ("experiment.warmup_h", e.warmup_h)):
        if abs(value / interval_h - round(value / interval_h)) > 1e-9:
            raise ConfigError(key, value, f"must be a multiple of the reporting interval ({cfg.kpi.interval_min} min)")


def _kpi(cfg: Config) -> None:
    k = cfg.kpi
    check_number("kpi.answer_threshold_s", k.answer_threshold_s)
    check_number("kpi.interval_min", k.interval_min, lo=1, hi=1440)
    if 1440 % k.interval_min:
        raise ConfigError("kpi.interval_min", k.interval_min, "must divide a day (1440 minutes)")
    _targets(k.targets)


def _targets(targets: Mapping[str, Optional[float]]) -> None:
    """Each target names a headline KPI that has a better direction, and lies in the KPI's domain."""
    import difflib

    from sim.config.kpi_catalog import headline_kpis, kpi_display, kpi_domain

    judged = [n for n in headline_kpis() if kpi_display(n).better]
    for name, value in targets.items():
        key = f"kpi.targets.{name}"
        if name not in headline_kpis():
            close = difflib.get_close_matches(name, judged, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ConfigError(key, value, f"unknown KPI; {hint}a target applies to one of {', '.join(judged)}")
        if not kpi_display(name).better:
            raise ConfigError(key, value, f"{name} is a count or a level, with no better direction; a target "
                                          f"applies to one of {', '.join(judged)}")
        if value is None:
            continue
        d = kpi_domain(name)
        if d.kind == "share" and isinstance(value, (int, float)) and 1 < value <= 100:
            raise ConfigError(key, value, f"a share is a fraction: {value / 100:g} for {value:g}%; must be in [0, 1]")
        check_number(key, value, d.lo, d.hi)


def _categories(cfg: Config) -> None:
    if not cfg.categories:
        raise ConfigError("categories", {}, "at least one request category is required")
    check_shares("categories", {n: c.share for n, c in cfg.categories.items()})
    for name, cat in cfg.categories.items():
        key = f"categories.{name}"
        check_probability(f"{key}.direct_share", cat.direct_share)
        check_shares(f"{key}.urgency", dict(cat.urgency), URGENCY_CLASSES)
        for field_name in ("handle_s", "handle_work_order_s", "patience_s"):
            dist = getattr(cat, field_name)
            if dist is not None:
                make_distribution(dist, f"{key}.{field_name}")


def _arrivals(cfg: Config) -> None:
    a = cfg.arrivals
    for ch in CHANNELS:
        c = getattr(a, ch)
        check_number(f"arrivals.{ch}.per_day", c.per_day)
        _hourly_profile(f"arrivals.{ch}.hourly_profile", c.hourly_profile, a.day_of_week, c.per_day)
        check_number(f"arrivals.{ch}.day_cv", c.day_cv, hi=10.0)
    if a.phone.per_day + a.online.per_day <= 0:
        raise ConfigError("arrivals.phone.per_day", a.phone.per_day,
                          "no demand: phone and online per_day are both 0")
    if len(a.day_of_week) != 7:
        raise ConfigError("arrivals.day_of_week", list(a.day_of_week), f"must have 7 values (has {len(a.day_of_week)})")
    for i, f in enumerate(a.day_of_week):
        check_number(f"arrivals.day_of_week[{i}]", f)
    for i, s in enumerate(a.surges):
        key = f"arrivals.surges[{i}]"
        check_number(f"{key}.start_h", s.start_h)
        check_number(f"{key}.duration_h", s.duration_h, lo_open=True)
        check_number(f"{key}.multiplier", s.multiplier)
        for c in s.categories:
            if c not in cfg.categories:
                raise ConfigError(f"{key}.categories", c, f"unknown category; use one of {', '.join(cfg.categories)}")
        for ch in s.channels:
            if ch not in CHANNELS:
                raise ConfigError(f"{key}.channels", ch, f"unknown channel; use one of {', '.join(CHANNELS)}")


def _hourly_profile(key: str, weights: List[float], day_of_week: List[float], per_day: float) -> None:
    """24 weights (every day alike) or 168 (a week, Monday first), each weekday with demand having some weight."""
    if len(weights) not in (24, 168):
        raise ConfigError(key, list(weights), f"must have 24 values (every day alike) or 168 (a week, Monday "
                                              f"0:00 first) (has {len(weights)})")
    check_weights(key, weights, len(weights))
    if len(weights) == 168 and per_day > 0:
        for d in range(min(7, len(day_of_week))):
            if day_of_week[d] > 0 and sum(weights[24 * d:24 * d + 24]) <= 0:
                raise ConfigError(f"{key}[{24 * d}:{24 * d + 24}]", list(weights[24 * d:24 * d + 24]),
                                  f"weekday {d} (0 = Monday) has no weight but arrivals.day_of_week[{d}] = "
                                  f"{day_of_week[d]:g} gives it demand; give its hours weights or set the factor to 0")


def _calls(cfg: Config) -> None:
    c = cfg.calls
    make_distribution(c.handle_s, "calls.handle_s")
    if c.handle_work_order_s is not None:
        make_distribution(c.handle_work_order_s, "calls.handle_work_order_s")
    make_distribution(c.handle_transfer_s, "calls.handle_transfer_s")
    make_distribution(c.patience_s, "calls.patience_s")
    check_calls_profile(c)
    for name in c.priority_classes:
        if name not in URGENCY_CLASSES:
            raise ConfigError("calls.priority_classes", name,
                              f"unknown urgency class; use one of {', '.join(URGENCY_CLASSES)}")
    check_probability("calls.retrial.probability", c.retrial.probability)
    make_distribution(c.retrial.delay_s, "calls.retrial.delay_s")
    check_number("calls.retrial.max_retrials", c.retrial.max_retrials)
    o = cfg.online
    make_distribution(o.handle_s, "online.handle_s")
    if o.handle_work_order_s is not None:
        make_distribution(o.handle_work_order_s, "online.handle_work_order_s")
    check_number("online.deadline_h", o.deadline_h, lo_open=True)
    if o.expire_h is not None:
        check_number("online.expire_h", o.expire_h, lo_open=True)


def check_calls_profile(c: CallsConfig) -> None:
    """Range checks of ``calls.handle_factor_half_hourly`` (length 0, 48 or 336; each value in (0, 10])."""
    f = c.handle_factor_half_hourly
    if len(f) not in (0, 48, 336):
        raise ConfigError("calls.handle_factor_half_hourly", f"<{len(f)} values>",
                          "must have 48 values (one day) or 336 (one week, Monday first)")
    for i, v in enumerate(f):
        if not 0.0 < float(v) <= 10.0:  # NaN fails too
            raise ConfigError(f"calls.handle_factor_half_hourly[{i}]", v, "must be in (0, 10]")
