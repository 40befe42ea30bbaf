"""Range and consistency checks of a composed configuration.

OmegaConf checks keys and types when Hydra composes the configuration; this
module checks everything else: rates and counts non-negative, probabilities in
[0, 1], shares summing to 1, profiles of the right length, known category and
class names, warm-up shorter than the horizon; then the size of the run and its
loops in simulated time (:mod:`sim.config.validate_size`) and settings the run would
not use or that would do nothing (:mod:`sim.config.validate_usage`).  The first broken
rule raises a :class:`sim.core.errors.ConfigError` naming the key, its value and the
rule.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from sim.config.schema import CHANNELS, URGENCY_CLASSES, Config, StaffingConfig
from sim.core.distributions import make_distribution
from sim.core.errors import ConfigError

SHARE_TOLERANCE = 1e-6


def check_number(key: str, value: float, lo: float = 0.0, hi: float = math.inf,
                 lo_open: bool = False, hi_open: bool = False) -> None:
    """Raise unless ``value`` is a finite number in the given range."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(key, value, "must be a number") from None
    if not math.isfinite(v):
        raise ConfigError(key, value, "must be a finite number")
    bad_lo = v <= lo if lo_open else v < lo
    bad_hi = v >= hi if hi_open else v > hi
    if bad_lo or bad_hi:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        if hi == math.inf:
            rule = f"must be {'>' if lo_open else '>='} {_fmt(lo)}"
        else:
            rule = f"must be in {left}{_fmt(lo)}, {_fmt(hi)}{right}"
        raise ConfigError(key, value, rule)


def check_probability(key: str, value: float) -> None:
    """Raise unless ``value`` is in [0, 1]."""
    check_number(key, value, 0.0, 1.0)


def check_shares(key: str, shares: dict[str, float], allowed: Iterable[str] | None = None) -> None:
    """Raise unless the named shares are non-negative, use known names and sum to 1."""
    if not shares:
        raise ConfigError(key, shares, "must not be empty")
    allowed_set = set(allowed) if allowed is not None else None
    for name, v in shares.items():
        if allowed_set is not None and name not in allowed_set:
            raise ConfigError(f"{key}.{name}", v, f"unknown name; use one of {', '.join(sorted(allowed_set))}")
        check_number(f"{key}.{name}", v)
    total = sum(float(v) for v in shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ConfigError(key, dict(shares), f"shares must sum to 1 (they sum to {total:.6g})")


def check_weights(key: str, weights: Sequence[float], length: int) -> None:
    """Raise unless ``weights`` has ``length`` non-negative values with a positive sum."""
    if len(weights) != length:
        raise ConfigError(key, list(weights), f"must have {length} values (has {len(weights)})")
    for i, w in enumerate(weights):
        check_number(f"{key}[{i}]", w)
    if sum(weights) <= 0:
        raise ConfigError(key, list(weights), "must have a positive sum")


def validate(cfg: Config) -> None:
    """Check every range and cross-field rule of ``cfg``.

    Raises
    ------
    ConfigError
        At the first broken rule.
    """
    from sim.config.validate_size import check_ceilings, check_loops, check_size
    from sim.config.validate_usage import check_effects, check_unused

    check_number("scale", cfg.scale, lo_open=True)
    check_ceilings(cfg)
    _kpi(cfg)
    _experiment(cfg)
    _categories(cfg)
    _arrivals(cfg)
    _calls(cfg)
    _staffing_plan(cfg.staffing, "staffing")
    from sim.config.validate_backoffice import validate_backoffice

    validate_backoffice(cfg)
    check_loops(cfg)
    check_size(cfg)
    check_unused(cfg)
    check_effects(cfg)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


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
    from sim.analysis.kpis import headline_kpis
    from sim.experiments.executors import EXECUTORS, check_scheduler

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
        from sim.analysis.kpis import why_undefined

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


def _categories(cfg: Config) -> None:
    if not cfg.categories:
        raise ConfigError("categories", {}, "at least one request category is required")
    check_shares("categories", {n: c.share for n, c in cfg.categories.items()})
    for name, cat in cfg.categories.items():
        key = f"categories.{name}"
        check_probability(f"{key}.direct_share", cat.direct_share)
        check_shares(f"{key}.urgency", dict(cat.urgency), URGENCY_CLASSES)
        for field_name in ("handle_s", "handle_work_order_s"):
            dist = getattr(cat, field_name)
            if dist is not None:
                make_distribution(dist, f"{key}.{field_name}")


def _arrivals(cfg: Config) -> None:
    a = cfg.arrivals
    for ch in CHANNELS:
        c = getattr(a, ch)
        check_number(f"arrivals.{ch}.per_day", c.per_day)
        check_weights(f"arrivals.{ch}.hourly_profile", c.hourly_profile, 24)
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


def _calls(cfg: Config) -> None:
    c = cfg.calls
    make_distribution(c.handle_s, "calls.handle_s")
    if c.handle_work_order_s is not None:
        make_distribution(c.handle_work_order_s, "calls.handle_work_order_s")
    make_distribution(c.handle_transfer_s, "calls.handle_transfer_s")
    make_distribution(c.patience_s, "calls.patience_s")
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


def _staffing_plan(s: StaffingConfig, prefix: str) -> None:
    """Check one staffing plan (front line, or the feedback team) whose keys start with ``prefix``."""
    check_number(f"{prefix}.operators", s.operators)
    check_number(f"{prefix}.shrinkage", s.shrinkage, 0.0, 1.0, hi_open=True)
    check_number(f"{prefix}.headcount_factor", s.headcount_factor, lo_open=True)
    if s.operators > 0 and (s.half_hourly or s.shifts):
        other = f"{prefix}.shifts" if s.shifts else f"{prefix}.half_hourly"
        raise ConfigError(f"{prefix}.operators", s.operators,
                          f"conflicts with {other}: give exactly one of operators, half_hourly, shifts "
                          f"(set {prefix}.operators=0, or {other}=[])")
    if s.half_hourly and s.shifts:
        raise ConfigError(f"{prefix}.half_hourly", f"<{len(s.half_hourly)} values>",
                          f"conflicts with {prefix}.shifts: give exactly one of operators, half_hourly, shifts")
    if s.operators <= 0 and not s.half_hourly and not s.shifts:
        raise ConfigError(f"{prefix}.operators", s.operators, "no staffing: set operators, half_hourly or shifts")
    if s.half_hourly:
        if len(s.half_hourly) not in (48, 336):
            raise ConfigError(f"{prefix}.half_hourly", f"<{len(s.half_hourly)} values>",
                              "must have 48 values (one day) or 336 (one week, Monday first)")
        for i, n in enumerate(s.half_hourly):
            check_number(f"{prefix}.half_hourly[{i}]", n)
    for i, sh in enumerate(s.shifts):
        key = f"{prefix}.shifts[{i}]"
        check_number(f"{key}.start_h", sh.start_h, 0.0, 24.0, hi_open=True)
        check_number(f"{key}.length_h", sh.length_h, 0.0, 24.0, lo_open=True)
        check_number(f"{key}.count", sh.count)
        for d in sh.days:
            check_number(f"{key}.days", d, 0, 6)
