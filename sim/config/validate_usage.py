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
* without units (no work orders): ``workorders``, ``feedback``, ``calendars``, ``unit_staffing``
  and the categories' back-office keys (``unit_type``, ``unit``,
  ``unclear_share``, ``resolution_h``, ``resolved_share``);
  ``feedback.staffing`` only with ``feedback.mode=team``;
* without calls (``arrivals.phone.per_day=0``): ``calls`` (except
  ``handle_transfer_s``, which online transfers use too, and ``handle_factor``,
  which multiplies it: used when online emergencies are transferred),
  ``kpi.answer_threshold_s`` and the categories' call handle times; without
  online demand: ``online``.  (A channel's arrival profile stays allowed:
  ``per_day=0`` is how a scenario's channel is switched off.)  A channel whose arrivals a dated
  file gives (``dated.file``): its ``hourly_profile`` and ``day_cv``, and ``arrivals.day_of_week``
  when every channel with demand is dated.
* switches, on values as well as keys: ``calls.retrial.delay_s``/``max_retrials``
  only with a redial probability > 0, and the probability and delay only with
  ``max_retrials`` > 0; the work-order handle times only when a category makes
  work orders; ``workorders.misroute_probability`` only when a unit type has
  two units or more (a misroute goes to another unit of the type);
  ``workorders.review_h`` only with misrouting;
  ``feedback.retry_delay_h``/``max_attempts``/``no_answer_s`` only when an
  attempt can fail (``reach_probability`` < 1), the retry delay only with
  ``max_attempts`` > 1; ``feedback.max_rounds`` only with
  ``reopen_probability`` > 0 and ``reopen_probability`` only with
  ``max_rounds`` > 1.
* staffing policies: ``staffing.headcount_factor`` only with ``staffing.policy=plan`` (the
  other policies decide the headcount); ``staffing.schedule`` only with a policy that proposes
  a plan; ``staffing.patterns`` and
  ``staffing.schedule_gap`` only with ``staffing.schedule=shifts``; ``staffing.optimize``
  and a budget (``staffing.budget_h``, ``budget_cost``) only with ``staffing.policy=optimize``;
  ``staffing.target.online_on_time_rate`` only with online demand; ``unit_staffing`` only with
  units, its ``target`` only with a policy that proposes case workers, its ``optimize`` only with
  ``unit_staffing.policy=optimize``.
* routing: ``routing.skills`` only with ``routing.groups``;
  ``routing.overflow_after_s`` only when some skills list has two groups or more;
  the callback's keys only with ``routing.callback.enabled`` (and calls),
  ``enabled`` only with ``accept_probability`` > 0, its retry keys and
  ``no_answer_s`` only when an attempt can fail, the retry delay only with
  ``max_attempts`` > 1; ``routing.reserve_idle`` only with
  blended work (online demand, or return visits by operators); each class of
  ``routing.escalate_after_s`` only when that class has work;
  ``workorders.district_*`` only with ``workorders.dispatch=via_district``
  (the catch probability also only with misrouting),
  ``workorders.assignment_types`` only with ``workorders.assignment=least_loaded``.

:data:`ENTRY_RULES` is the same table for the entries of ``categories``,
``units`` and ``calendars``, judged entry by entry: a category's back-office
keys and work-order handle time only when it makes work orders, its
``emergency_transfer_share`` only when it has emergencies, its
``unclear_share`` only when its unit type belongs to a district; a unit type's
``weights``/``zipf`` only with two units or more, ``staff_by_weight`` only when
its units differ in weight; a calendar only when a unit type or
``feedback.calendar`` names it.

Settings that the run reads but that would change nothing (a surge outside the
window, a calendar with no day, a value listed twice, ...) are
:mod:`sim.config.validate_effects`'s.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from sim.config.schema import CategoryConfig, Config, DistConfig, UnitTypeConfig
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


def _template(cfg: Config, channel: str) -> bool:
    """Whether ``channel``'s arrivals come from the weekly template (not from a dated file's rows)."""
    if cfg.dated.file is None:
        return True
    from sim.config.dated import read_dated
    from sim.config.schema import CHANNELS

    return channel not in read_dated(cfg.dated.file, CHANNELS, list(cfg.categories)).rates


def _operators_visit(cfg: Config) -> bool:
    return bool(cfg.units) and cfg.feedback.mode == "operators"


def _call_handling(cfg: Config) -> bool:
    """Whether operators spend call handle time: calls, or online items transferred to emergency services."""
    return _phone(cfg) or (_online(cfg) and any(c.urgency.get("emergency", 0.0) > 0 and c.emergency_transfer_share > 0
                                                for c in cfg.categories.values()))


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
    Rule(("workorders", "feedback", "calendars", "unit_staffing", *_BACK_OFFICE_CATEGORY_KEYS), _units,
         "used only when the scenario has units (work orders); this one has none"),
    Rule(("feedback.staffing",), lambda c: c.feedback.mode == "team", "used only with feedback.mode=team"),
    Rule(_CALL_KEYS, _phone, "used only when there are calls (arrivals.phone.per_day > 0)"),
    Rule(("online",), _online,
         "used only when there is online demand (arrivals.online.per_day > 0)"),
    Rule(("calls.handle_factor",), _call_handling,
         "used only when operators handle calls (arrivals.phone.per_day > 0) or transfer online emergencies "
         "(calls.handle_transfer_s)"),
    Rule(("arrivals.phone.hourly_profile", "arrivals.phone.day_cv"), lambda c: _template(c, "phone"),
         "not used: dated.file gives the phone arrivals per date and half-hour (its days' spread: dated.day_log_sd)"),
    Rule(("arrivals.online.hourly_profile", "arrivals.online.day_cv"), lambda c: _template(c, "online"),
         "not used: dated.file gives the online arrivals per date and half-hour (its days' spread: "
         "dated.day_log_sd)"),
    Rule(("arrivals.day_of_week",), lambda c: any(getattr(c.arrivals, ch).per_day > 0 and _template(c, ch)
                                                 for ch in ("phone", "online")),
         "not used: dated.file gives the arrivals of every channel with demand per date"),
    Rule(("calls.retrial.delay_s", "calls.retrial.max_retrials"), lambda c: c.calls.retrial.probability > 0,
         "used only when callers redial (calls.retrial.probability > 0)"),
    Rule(("calls.retrial.probability", "calls.retrial.delay_s"), lambda c: c.calls.retrial.max_retrials > 0,
         "used only when a caller may redial at least once (calls.retrial.max_retrials > 0)"),
    Rule(("calls.handle_work_order_s", "online.handle_work_order_s"),
         lambda c: any(makes_orders(cat) for cat in c.categories.values()),
         "used only when a category makes work orders (direct_share < 1, or emergencies not all transferred)"),
    Rule(("workorders.misroute_probability",), lambda c: any(ut.count > 1 for ut in c.units.values()),
         "used only when a unit type has more than one unit (units.<type>.count > 1): a misrouted order goes to "
         "another unit of its type"),
    Rule(("workorders.review_h",), lambda c: c.workorders.misroute_probability > 0,
         "used only when orders are misrouted (workorders.misroute_probability > 0)"),
    Rule(("feedback.retry_delay_h", "feedback.max_attempts", "feedback.no_answer_s"),
         lambda c: c.feedback.reach_probability < 1,
         "used only when a return-visit attempt can fail (feedback.reach_probability < 1)"),
    Rule(("feedback.retry_delay_h",), lambda c: c.feedback.max_attempts > 1,
         "used only when a return visit may make a second attempt (feedback.max_attempts > 1)"),
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
    Rule(("staffing.optimize", "staffing.budget_h", "staffing.budget_cost"), lambda c: c.staffing.policy == "optimize",
         "used only with staffing.policy=optimize"),
    Rule(("staffing.target.online_on_time_rate",), _online,
         "used only when there is online demand (arrivals.online.per_day > 0)"),
    Rule(("unit_staffing.target",), lambda c: c.unit_staffing.policy != "plan",
         "used only when a policy proposes the case workers (unit_staffing.policy=erlang or optimize)"),
    Rule(("unit_staffing.optimize",), lambda c: c.unit_staffing.policy == "optimize",
         "used only with unit_staffing.policy=optimize"),
    Rule(("routing.skills",), lambda c: bool(c.routing.groups), "used only with operator groups (routing.groups)"),
    Rule(("routing.overflow_after_s",), lambda c: any(len(g) > 1 for g in c.routing.skills.values()),
         "used only when a routing.skills list names two groups or more (there is a next group to overflow to)"),
    Rule(("routing.callback",), lambda c: c.routing.callback.enabled and _phone(c),
         "used only with callbacks on (routing.callback.enabled=true) and calls (arrivals.phone.per_day > 0)"),
    Rule(("routing.callback.enabled",), lambda c: c.routing.callback.accept_probability > 0,
         "used only when a caller may accept a callback (routing.callback.accept_probability > 0)"),
    Rule(("routing.callback.retry_delay_s", "routing.callback.max_attempts", "routing.callback.no_answer_s"),
         lambda c: c.routing.callback.reach_probability < 1,
         "used only when a callback attempt can fail (routing.callback.reach_probability < 1)"),
    Rule(("routing.callback.retry_delay_s",), lambda c: c.routing.callback.max_attempts > 1,
         "used only when a callback may make a second attempt (routing.callback.max_attempts > 1)"),
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
    Rule(("workorders.district_catch_probability",), lambda c: c.workorders.misroute_probability > 0,
         "used only when orders are misrouted (workorders.misroute_probability > 0): it is the chance that the "
         "district's review catches a misroute"),
    Rule(("workorders.assignment_types",), lambda c: c.workorders.assignment == "least_loaded",
         "used only with workorders.assignment=least_loaded"),
)


@dataclass(frozen=True)
class EntryRule:
    """Fields of each entry of a mapping section that the model reads only when ``used(cfg, name)`` holds.

    Attributes
    ----------
    section : str
        ``"categories"``, ``"units"`` or ``"calendars"``.
    fields : tuple of str
        Fields of the entry; empty stands for the whole entry (an entry the schema's defaults do not
        have is set as a whole).
    used : callable
        ``used(cfg, name) -> bool`` for the entry ``name``.
    why : str
        The condition, as the error message says it.
    """

    section: str
    fields: tuple[str, ...]
    used: Callable[[Config, str], bool]
    why: str


def makes_orders(cat: CategoryConfig) -> bool:
    """Whether a category can make work orders: some contacts not answered at once, or emergencies not transferred."""
    return cat.direct_share < 1.0 or (cat.urgency.get("emergency", 0.0) > 0 and cat.emergency_transfer_share < 1.0)


def _calendar_used(cfg: Config, name: str) -> bool:
    return name == cfg.feedback.calendar or any(ut.calendar == name for ut in cfg.units.values())


def _in_district(cfg: Config, name: str) -> bool:
    ut = cfg.units.get(cfg.categories[name].unit_type)
    return ut is not None and bool(ut.district_of)


def _uneven(cfg: Config, name: str) -> bool:
    ut = cfg.units[name]
    return ut.count > 1 and (ut.zipf > 0 or len(set(ut.weights)) > 1)


#: The table for entries: field X of an entry is used only when condition C holds for that entry.
ENTRY_RULES: tuple[EntryRule, ...] = (
    EntryRule("categories", ("unit_type", "unit", "unclear_share", "resolution_h", "resolved_share",
                             "handle_work_order_s"), lambda c, n: makes_orders(c.categories[n]),
              "used only when the category makes work orders (direct_share < 1, or emergencies not all "
              "transferred)"),
    EntryRule("categories", ("emergency_transfer_share",), lambda c, n: c.categories[n].urgency.get("emergency", 0) > 0,
              "used only when the category has emergencies (its urgency.emergency > 0)"),
    EntryRule("categories", ("unclear_share",), _in_district,
              "used only when the category's unit type belongs to a district (units.<type>.district_of): an "
              "order of unclear jurisdiction goes to the district"),
    EntryRule("units", ("weights", "zipf"), lambda c, n: c.units[n].count > 1,
              "used only when the unit type has more than one unit (count > 1)"),
    EntryRule("units", ("staff_by_weight",), _uneven,
              "used only when the type's units differ in weight (count > 1, with weights that differ or zipf > 0)"),
    EntryRule("calendars", (), _calendar_used,
              "used only when a unit type (units.<type>.calendar) or feedback.calendar names this calendar"),
)
_ENTRY_DEFAULTS: dict[str, Any] = {"categories": CategoryConfig(), "units": UnitTypeConfig(),
                                   "calendars": None}


def _entry_keys(cfg: Config, rule: EntryRule, name: str) -> Iterator[tuple[str, Any]]:
    """``(key, value)`` of the fields of ``rule`` set (differing from the default) in entry ``name``."""
    entry = getattr(cfg, rule.section)[name]
    key = f"{rule.section}.{name}"
    if not rule.fields:
        default = getattr(_DEFAULT, rule.section).get(name)
        found = key if default is None else _first_difference(entry, default, key)
        if found:
            yield found, _leaf(cfg, found)
        return
    for f in rule.fields:
        found = _first_difference(getattr(entry, f), getattr(_ENTRY_DEFAULTS[rule.section], f), f"{key}.{f}")
        if found:
            yield found, _leaf(cfg, found)


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
    for entry_rule in ENTRY_RULES:
        for name in getattr(cfg, entry_rule.section):
            if entry_rule.used(cfg, name):
                continue
            for key, value in _entry_keys(cfg, entry_rule, name):
                raise ConfigError(key, value, entry_rule.why)
