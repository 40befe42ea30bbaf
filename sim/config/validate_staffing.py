"""Rules of the staffing policy keys (``staffing.policy``, targets, schedule, shift patterns, optimize).

Applied by :func:`sim.config.validate.validate_config`; the keys are described in
:mod:`sim.config.staffing_policy`.  Settings a policy does not use (patterns without
``staffing.schedule=shifts``, ``staffing.optimize`` without the optimize policy, a
``headcount_factor`` with a policy that decides the headcount itself) are errors of the
"used only when" table (:mod:`sim.config.validate_usage`).  That a pattern set covers every
interval that needs operators is known only once the requirement is computed: the planning
layer checks it before a run starts (:func:`sim.planning.check_plan`).
"""

from __future__ import annotations

from sim.config.rules import check_number
from sim.config.schema import Config
from sim.config.staffing_policy import OFFERED_LOADS, SCHEDULES, STAFFING_POLICIES, check_planning_settings
from sim.core.errors import ConfigError


def _choice(key: str, value: str, names: tuple[str, ...], what: str) -> None:
    if value not in names:
        raise ConfigError(key, value, f"unknown {what}; use one of {', '.join(names)}")


def validate_staffing_policy(cfg: Config) -> None:
    """Check the staffing policy keys of ``cfg``.

    Raises
    ------
    ConfigError
        At the first broken rule.
    """
    s = cfg.staffing
    _choice("staffing.policy", s.policy, STAFFING_POLICIES, "staffing policy")
    _choice("staffing.offered_load", s.offered_load, OFFERED_LOADS, "offered-load rule")
    _choice("staffing.schedule", s.schedule, SCHEDULES, "schedule")
    t = s.target
    check_number("staffing.target.service_level", t.service_level, 0.0, 1.0, lo_open=True, hi_open=True)
    if t.abandon_rate is not None:
        check_number("staffing.target.abandon_rate", t.abandon_rate, 0.0, 1.0, lo_open=True, hi_open=True)
    if t.asa_s is not None:
        check_number("staffing.target.asa_s", t.asa_s, lo_open=True)
    check_number("staffing.cost_per_h", s.cost_per_h, lo_open=True)
    for i, sh in enumerate(s.shifts):
        if sh.cost_per_h is not None:
            check_number(f"staffing.shifts[{i}].cost_per_h", sh.cost_per_h, lo_open=True)
    for g, group in cfg.routing.groups.items():
        for i, sh in enumerate(group.shifts):
            if sh.cost_per_h is not None:
                check_number(f"routing.groups.{g}.shifts[{i}].cost_per_h", sh.cost_per_h, lo_open=True)
    for i, sh in enumerate(cfg.feedback.staffing.shifts):
        if sh.cost_per_h is not None:
            raise ConfigError(f"feedback.staffing.shifts[{i}].cost_per_h", sh.cost_per_h,
                              "used only for the front line's shifts (staffing.shifts): the feedback team's "
                              "cost is not reported")
    o = s.optimize
    check_number("staffing.optimize.max_iterations", o.max_iterations, lo=1, hi=1000)
    check_planning_settings(t, {g: group.target for g, group in cfg.routing.groups.items()}, o, s.currency,
                            s.budget_h, s.budget_cost)
    half_hourly = s.policy == "optimize" or (s.policy == "erlang" and s.schedule == "intervals")
    if half_hourly and cfg.kpi.interval_min % 30:
        how = "simulates half-hourly plans" if s.policy == "optimize" else "with staffing.schedule=intervals makes " \
                                                                             "a half-hourly plan"
        raise ConfigError("kpi.interval_min", cfg.kpi.interval_min,
                          f"staffing.policy={s.policy} {how}, so the reporting interval must be a multiple of "
                          f"30 minutes")
    check_number("staffing.schedule_gap", s.schedule_gap, 0.0, 1.0, hi_open=True)
    _patterns(cfg)


def _patterns(cfg: Config) -> None:
    s = cfg.staffing
    if s.schedule == "shifts" and not s.patterns:
        raise ConfigError("staffing.patterns", [], "staffing.schedule=shifts needs at least one shift pattern")
    tours = [i for i, p in enumerate(s.patterns) if p.days_on > 0]
    horizon_h = cfg.experiment.horizon_h
    if s.policy != "plan" and s.schedule == "shifts" and tours and horizon_h < 168.0 - 1e-9:
        p, days = s.patterns[tours[0]], horizon_h / 24.0
        raise ConfigError("experiment.horizon_h", horizon_h,
                          f"simulates {days:g} day{'' if days == 1 else 's'}, and weekly tours "
                          f"(staffing.patterns[{tours[0]}], '{p.name}': {p.days_on} days on) roster a whole week: "
                          f"simulate it "
                          f"(experiment.horizon_h=168 or more), or give day-by-day patterns (days_on: 0), whose "
                          f"shifts then cover the simulated days only")
    names = set()
    for i, p in enumerate(s.patterns):
        key = f"staffing.patterns[{i}]"
        if not p.name or p.name in names:
            raise ConfigError(f"{key}.name", p.name, "must be a non-empty name, different from the other patterns'")
        names.add(p.name)
        check_number(f"{key}.length_h", p.length_h, 0.0, 24.0, lo_open=True)
        for j, h in enumerate(p.starts_h):
            check_number(f"{key}.starts_h[{j}]", h, 0.0, 24.0, hi_open=True)
        for d in p.days:
            check_number(f"{key}.days", d, 0, 6)
        check_number(f"{key}.days_on", p.days_on, 0, 7)
        if p.cost_per_h is not None:
            check_number(f"{key}.cost_per_h", p.cost_per_h, lo_open=True)
        check_number(f"{key}.break_h", p.break_h, 0.0, p.length_h, hi_open=True)
        if p.break_h > 0:
            w = p.break_window_h
            if len(w) != 2:
                raise ConfigError(f"{key}.break_window_h", list(w),
                                  "needs [earliest, latest]: the break's start, hours after the shift's start")
            latest = p.length_h - p.break_h
            check_number(f"{key}.break_window_h[0]", w[0], 0.0, latest)
            check_number(f"{key}.break_window_h[1]", w[1], w[0], latest)
        elif p.break_window_h:
            raise ConfigError(f"{key}.break_window_h", list(p.break_window_h),
                              f"used only with a break ({key}.break_h > 0)")
