"""Settings the chosen mode cannot use are errors, not silently ignored.

A configuration can be valid key by key and still hold settings the run never
reads: a Dask scheduler address without the Dask executor, a cap on
replications without a precision target, return-visit settings in a scenario
without units, online handle times with no online demand.  Ignoring them
silently would let a user believe they had changed something.  :data:`RULES`
is one table of "key X is used only when condition C holds"; a key counts as
*set* when its value differs from the schema default (:mod:`sim.config.schema`), so a
scenario that leaves a section alone is never blamed for it.  The rules, in
order (the first broken one is reported):

* ``experiment.scheduler`` only with ``experiment.executor=dask``;
  ``experiment.jobs`` > 1 not with ``experiment.executor=serial``;
  ``experiment.max_replications`` and ``experiment.precision_kpi`` only with
  ``experiment.precision``;
* without units (no work orders): ``workorders``, ``feedback``, ``calendars``
  and the categories' back-office keys (``unit_type``, ``unit``,
  ``unclear_share``, ``resolution_h``, ``resolved_share``);
  ``feedback.staffing`` only with ``feedback.mode=team``;
* without calls (``arrivals.phone.per_day=0``): ``calls`` (except
  ``handle_transfer_s``, which online transfers use too),
  ``kpi.answer_threshold_s`` and the categories' call handle times; without
  online demand: ``online``.  (A channel's arrival profile stays allowed:
  ``per_day=0`` is how a scenario's channel is switched off.)
* switches: ``calls.retrial.delay_s``/``max_retrials`` only with a redial
  probability > 0; ``workorders.review_h`` only with misrouting;
  ``feedback.retry_delay_h``/``max_attempts`` only when an attempt can fail
  (``reach_probability`` < 1); ``feedback.max_rounds`` only with
  ``reopen_probability`` > 0 and ``reopen_probability`` only with
  ``max_rounds`` > 1.
* staffing policies: ``staffing.headcount_factor`` only with ``staffing.policy=plan`` (the
  other policies decide the headcount); ``staffing.schedule`` only with a policy that proposes
  a plan; ``staffing.patterns`` and
  ``staffing.schedule_gap`` only with ``staffing.schedule=shifts``; ``staffing.optimize``
  only with ``staffing.policy=optimize``.
* routing: ``routing.skills`` only with ``routing.groups``;
  ``routing.overflow_after_s`` only when some skills list has two groups or more;
  the callback's keys only with ``routing.callback.enabled`` (and calls), its
  retry keys only when an attempt can fail; ``routing.reserve_idle`` only with
  blended work (online demand, or return visits by operators); each class of
  ``routing.escalate_after_s`` only when that class has work;
  ``workorders.district_*`` only with ``workorders.dispatch=via_district``,
  ``workorders.assignment_types`` only with ``workorders.assignment=least_loaded``.

:func:`check_effects` then rejects settings that make a part of the model do
nothing: a surge wholly after the horizon, wholly in the warm-up or only on
channels without demand; a calendar in use with no working day.  (A front-line
plan with nobody on duty in the whole measurement window, or a feedback team
never on duty while residents may be called, is found from the staffing
timetable: :func:`sim.model.checks.check_coverage`.)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from sim.config.schema import CategoryConfig, Config, DistConfig
from sim.core.errors import ConfigError

_DEFAULT = Config()


@dataclass(frozen=True)
class Rule:
    """Keys that the model reads only when ``used`` holds.

    Attributes
    ----------
    keys : tuple of str
        Dotted keys (a whole section, e.g. ``"workorders"``, stands for every key in it);
        ``"categories.*.unit_type"`` stands for that key of every category.
    used : callable
        ``used(cfg) -> bool``.
    why : str
        The condition, as the error message says it ("used only with ...").
    """

    keys: tuple[str, ...]
    used: Callable[[Config], bool]
    why: str


def _units(cfg: Config) -> bool:
    return bool(cfg.units)


def _phone(cfg: Config) -> bool:
    return cfg.arrivals.phone.per_day > 0


def _online(cfg: Config) -> bool:
    return cfg.arrivals.online.per_day > 0


def _operators_visit(cfg: Config) -> bool:
    return bool(cfg.units) and cfg.feedback.mode == "operators"


_CALL_KEYS = ("calls.handle_s", "calls.handle_work_order_s", "calls.patience_s", "calls.priority_classes",
              "calls.retrial", "kpi.answer_threshold_s", "categories.*.handle_s", "categories.*.handle_work_order_s")
_BACK_OFFICE_CATEGORY_KEYS = ("categories.*.unit_type", "categories.*.unit", "categories.*.unclear_share",
                              "categories.*.resolution_h", "categories.*.resolved_share")

#: The table: key X is used only when condition C holds.
RULES: tuple[Rule, ...] = (
    Rule(("experiment.scheduler", "experiment.connect_timeout_s"), lambda c: c.experiment.executor == "dask",
         "used only with experiment.executor=dask"),
    Rule(("experiment.jobs",), lambda c: c.experiment.executor != "serial",
         "ignored by experiment.executor=serial, which runs one replication at a time "
         "(set experiment.jobs=1, or experiment.executor=auto)"),
    Rule(("experiment.max_replications", "experiment.precision_kpi"), lambda c: c.experiment.precision is not None,
         "used only with a precision target (experiment.precision)"),
    Rule(("workorders", "feedback", "calendars", *_BACK_OFFICE_CATEGORY_KEYS), _units,
         "used only when the scenario has units (work orders); this one has none"),
    Rule(("feedback.staffing",), lambda c: c.feedback.mode == "team", "used only with feedback.mode=team"),
    Rule(_CALL_KEYS, _phone, "used only when there are calls (arrivals.phone.per_day > 0)"),
    Rule(("online",), _online,
         "used only when there is online demand (arrivals.online.per_day > 0)"),
    Rule(("calls.retrial.delay_s", "calls.retrial.max_retrials"), lambda c: c.calls.retrial.probability > 0,
         "used only when callers redial (calls.retrial.probability > 0)"),
    Rule(("workorders.review_h",), lambda c: c.workorders.misroute_probability > 0,
         "used only when orders are misrouted (workorders.misroute_probability > 0)"),
    Rule(("feedback.retry_delay_h", "feedback.max_attempts"), lambda c: c.feedback.reach_probability < 1,
         "used only when a return-visit attempt can fail (feedback.reach_probability < 1)"),
    Rule(("feedback.max_rounds",), lambda c: c.feedback.reopen_probability > 0,
         "used only when cases are reopened (feedback.reopen_probability > 0)"),
    Rule(("feedback.reopen_probability",), lambda c: c.feedback.max_rounds > 1,
         "used only when a case may have more than one round (feedback.max_rounds > 1)"),
    Rule(("staffing.headcount_factor",), lambda c: c.staffing.policy == "plan",
         "used only with staffing.policy=plan: a policy that proposes the plan decides the headcount itself"),
    Rule(("staffing.schedule",), lambda c: c.staffing.policy != "plan",
         "used only when a policy proposes the plan (staffing.policy=erlang or optimize)"),
    Rule(("staffing.patterns", "staffing.schedule_gap"),
         lambda c: c.staffing.policy != "plan" and c.staffing.schedule == "shifts",
         "used only to schedule shifts (staffing.schedule=shifts, with staffing.policy=erlang or optimize)"),
    Rule(("staffing.optimize",), lambda c: c.staffing.policy == "optimize",
         "used only with staffing.policy=optimize"),
    Rule(("routing.skills",), lambda c: bool(c.routing.groups), "used only with operator groups (routing.groups)"),
    Rule(("routing.overflow_after_s",), lambda c: any(len(g) > 1 for g in c.routing.skills.values()),
         "used only when a routing.skills list names two groups or more (there is a next group to overflow to)"),
    Rule(("routing.callback",), lambda c: c.routing.callback.enabled and _phone(c),
         "used only with callbacks on (routing.callback.enabled=true) and calls (arrivals.phone.per_day > 0)"),
    Rule(("routing.callback.retry_delay_s", "routing.callback.max_attempts"),
         lambda c: c.routing.callback.reach_probability < 1,
         "used only when a callback attempt can fail (routing.callback.reach_probability < 1)"),
    Rule(("routing.reserve_idle", "routing.reserve_idle_half_hourly"), lambda c: _online(c) or _operators_visit(c),
         "used only with blended work: online demand (arrivals.online.per_day > 0) or return visits by "
         "operators (feedback.mode=operators)"),
    Rule(("routing.escalate_after_s.call",), _phone, "used only when there are calls (arrivals.phone.per_day > 0)"),
    Rule(("routing.escalate_after_s.callback",),
         lambda c: c.routing.callback.enabled and c.routing.callback.mode == "window",
         "used only with callbacks in their own class (routing.callback.enabled=true, mode=window)"),
    Rule(("routing.escalate_after_s.online",), _online,
         "used only when there is online demand (arrivals.online.per_day > 0)"),
    Rule(("routing.escalate_after_s.outbound",), _operators_visit,
         "used only with return visits by operators (feedback.mode=operators, with units)"),
    Rule(("workorders.district_review_h", "workorders.district_catch_probability"),
         lambda c: c.workorders.dispatch == "via_district", "used only with workorders.dispatch=via_district"),
    Rule(("workorders.assignment_types",), lambda c: c.workorders.assignment == "least_loaded",
         "used only with workorders.assignment=least_loaded"),
)


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _first_difference(value: Any, default: Any, key: str) -> Optional[str]:
    """The dotted key of the first place where ``value`` differs from ``default`` (None if equal)."""
    if value == default:
        return None
    if dataclasses.is_dataclass(value) and type(value) is type(default) and not isinstance(value, DistConfig):
        for f in dataclasses.fields(value):
            found = _first_difference(getattr(value, f.name), getattr(default, f.name), f"{key}.{f.name}")
            if found:
                return found
    if isinstance(value, dict) and isinstance(default, dict):
        for name in value:
            if name not in default:
                return f"{key}.{name}"
            found = _first_difference(value[name], default[name], f"{key}.{name}")
            if found:
                return found
        return next((f"{key}.{name}" for name in default if name not in value), key)
    return key


def _set_keys(cfg: Config, pattern: str) -> Iterator[tuple[str, Any]]:
    """``(key, value)`` of the keys matching ``pattern`` whose value differs from the schema default."""
    if pattern.startswith("categories.*."):
        field = pattern.split(".", 2)[2]
        blank = getattr(CategoryConfig(), field)
        for name, cat in cfg.categories.items():
            found = _first_difference(getattr(cat, field), blank, f"categories.{name}.{field}")
            if found:
                yield found, getattr(cat, field)
        return
    found = _first_difference(_get(cfg, pattern), _get(_DEFAULT, pattern), pattern)
    if found:
        yield found, _leaf(cfg, found)


def _leaf(cfg: Config, key: str) -> Any:
    obj: Any = cfg
    for part in key.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part, None)
    if isinstance(obj, DistConfig):  # a distribution is one value: {dist: ..., its parameters}
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if getattr(obj, f.name) is not None}
    if dataclasses.is_dataclass(obj) or isinstance(obj, (dict, list)) and len(str(obj)) > 60:
        return "<set>"
    return obj


def check_unused(cfg: Config) -> None:
    """Reject a key that is set (differs from the schema default) while the run cannot use it.

    Raises
    ------
    ConfigError
        Naming the first such key, its value and the condition under which it is used.
    """
    for rule in RULES:
        if rule.used(cfg):
            continue
        for pattern in rule.keys:
            for key, value in _set_keys(cfg, pattern):
                raise ConfigError(key, value, rule.why)


def check_effects(cfg: Config) -> None:
    """Reject settings that make a part of the model do nothing (surges, calendars).

    Plans with nobody on duty when it matters need the staffing timetable and are checked in the
    model layer (:func:`sim.model.checks.check_coverage`).
    """
    _surges(cfg)
    _calendars(cfg)


def _surges(cfg: Config) -> None:
    e = cfg.experiment
    demand = {"phone": _phone(cfg), "online": _online(cfg)}
    for i, s in enumerate(cfg.arrivals.surges):
        key = f"arrivals.surges[{i}]"
        if s.start_h >= e.horizon_h:
            raise ConfigError(f"{key}.start_h", s.start_h,
                              f"the surge starts after the run's arrivals end (experiment.horizon_h="
                              f"{e.horizon_h:g}): it would change nothing")
        if s.start_h + s.duration_h <= e.warmup_h:
            raise ConfigError(f"{key}.start_h", s.start_h,
                              f"the surge ends ({s.start_h + s.duration_h:g} h) within the warm-up "
                              f"(experiment.warmup_h={e.warmup_h:g}): no KPI would see it")
        channels = s.channels or list(demand)
        if not any(demand[ch] for ch in channels):
            raise ConfigError(f"{key}.channels", list(s.channels), "the surge applies only to channels without "
                                                                   "demand (per_day = 0): it would change nothing")


def _calendars(cfg: Config) -> None:
    if not cfg.units:
        return
    used = {ut.calendar: f"units.{t}.calendar" for t, ut in cfg.units.items()}
    used.setdefault(cfg.feedback.calendar, "feedback.calendar")
    for name, by in used.items():
        if not cfg.calendars[name].days:
            raise ConfigError(f"calendars.{name}.days", [], f"no working day, but {by} uses this calendar: "
                                                            "nothing would ever be done")
