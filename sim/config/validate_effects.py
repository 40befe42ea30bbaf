"""Settings that would change nothing, point nowhere sensible, or contradict each other.

A configuration can pass every range check and still say something the run
cannot mean.  Five kinds are errors here, each found by one mechanism:

* **a value listed twice in a set** (:func:`check_distinct`): every list the
  schema marks ``metadata=DISTINCT`` (:mod:`sim.config.markers`: weekdays,
  urgency classes, unit names and types, skills' groups, surge categories and
  channels, shift-pattern start times) holds each value once - a weekday given
  three times does not make a calendar work three times;
* **a part of the model that would do nothing** (:func:`check_effects`): a
  surge wholly after the horizon, wholly in the warm-up, only on channels
  without demand or categories with share 0, or multiplying by 1 (a surge's
  default multiplier); a calendar in use with no working day.  (A front-line
  plan with nobody on duty in the whole measurement window, or a feedback team
  never on duty while residents may be called, is found from the staffing
  timetable: :func:`sim.model.checks.check_coverage`.);
* **an entry whose only effect is the identity** (:func:`check_identities`): a
  shift of 0 operators (0 is a shift's default count), a category with share 0
  and no setting of its own (never drawn: as ``++categories.new.share=0`` makes;
  a scenario's own category set to 0 is switched off, as a channel with
  ``per_day=0``), an exception in ``units.<type>.case_workers_by_unit`` equal to
  the type's ``case_workers``, a priority class that no category has;
* **references that make no sense** (:func:`check_references`): a unit type as
  its own district or a circle of districts, more districts than the units they
  hold, an operator group that no work can reach;
* **time limits that contradict each other** (:func:`check_time_limits`): an
  online item withdrawn (``online.expire_h``) before its acceptance deadline
  (``online.deadline_h``); a close-out limit shorter than the response limit of
  the same class (both count from the order's arrival at the unit); aging or
  overflow of a waiting item that would come only after the item has left (an
  online item withdrawn, every caller hung up: the patience's largest value).

Each raises a :class:`~sim.core.errors.ConfigError` naming the key, its value and
the rule.  Keys the run does not read at all are the "used only when" table's
(:mod:`sim.config.validate_usage`), checked before these.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, Iterable

import numpy as np

from sim.config.routing import SKILL_WORK
from sim.config.schema import URGENCY_CLASSES, CategoryConfig, Config, ShiftConfig
from sim.config.schema_tree import fields_of
from sim.core.distributions import make_distribution
from sim.core.errors import ConfigError

_BLANK_CATEGORY = CategoryConfig()


def check_distinct(obj: Any, key: str = "") -> None:
    """Refuse a value listed twice in a list the schema marks ``DISTINCT`` (anywhere in ``obj``, a dataclass).

    Only the fields that hold a marked list, or records that do, are visited (:func:`_visits`).

    Raises
    ------
    ConfigError
        Naming the list, as a whole, and the first repeated value.
    """
    for name, how in _visits(type(obj)):  # type: ignore[arg-type]
        value = getattr(obj, name)
        sub = f"{key}.{name}" if key else name
        if how == "distinct":
            lists = value.items() if isinstance(value, dict) else [("", value)]
            for entry, items in lists:
                _once(f"{sub}.{entry}" if entry else sub, items or [])
        elif how == "record":
            if value is not None:
                check_distinct(value, sub)
        elif isinstance(value, dict):  # "each": a mapping or a list of records
            for k, v in value.items():
                check_distinct(v, f"{sub}.{k}")
        else:
            for i, v in enumerate(value or []):
                check_distinct(v, f"{sub}[{i}]")


@functools.lru_cache(maxsize=None)
def _visits(record: type) -> tuple[tuple[str, str], ...]:
    """The fields of ``record`` that :func:`check_distinct` visits: ``(name, "distinct" | "record" | "each")``."""
    out = []
    nodes = fields_of(record)
    for f in dataclasses.fields(record):
        node = nodes[f.name]
        if f.metadata.get("distinct"):
            out.append((f.name, "distinct"))
        elif node.record is not None and _visits(node.record):
            out.append((f.name, "record"))
        elif node.item is not None and node.item.record is not None and _visits(node.item.record):
            out.append((f.name, "each"))
    return tuple(out)


def _once(key: str, items: Iterable[Any]) -> None:
    seen = set()
    for v in items:
        if v in seen:
            raise ConfigError(key, list(items), f"{v!r} is listed twice: each value counts once, so the repeat "
                                                "changes nothing (give each value once)")
        seen.add(v)


# ------------------------------------------------------------------------------------------- effects
def check_effects(cfg: Config) -> None:
    """Reject settings that make a part of the model do nothing (surges, calendars).

    Plans with nobody on duty when it matters need the staffing timetable and are checked in the
    model layer (:func:`sim.model.checks.check_coverage`).
    """
    _surges(cfg)
    _calendars(cfg)


def _surges(cfg: Config) -> None:
    e = cfg.experiment
    demand = {"phone": cfg.arrivals.phone.per_day > 0, "online": cfg.arrivals.online.per_day > 0}
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
        if s.multiplier == 1:
            raise ConfigError(f"{key}.multiplier", s.multiplier, "a surge that multiplies by 1 changes nothing "
                                                                 "(1 is a surge's default): give its multiplier, or "
                                                                 "remove the surge")
        drawn = [n for n in (s.categories or list(cfg.categories)) if cfg.categories[n].share > 0]
        if not drawn:
            raise ConfigError(f"{key}.categories", list(s.categories), "the surge applies only to categories with "
                                                                       "share 0 (never drawn): it would change nothing")
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


# ------------------------------------------------------------------------------------------- identities
def _plans(cfg: Config) -> Iterable[tuple[str, list[ShiftConfig]]]:
    yield "staffing.shifts", cfg.staffing.shifts
    for name, g in cfg.routing.groups.items():
        yield f"routing.groups.{name}.shifts", g.shifts
    if cfg.units and cfg.feedback.mode == "team":
        yield "feedback.staffing.shifts", cfg.feedback.staffing.shifts


def check_identities(cfg: Config) -> None:
    """Refuse entries whose only effect is the identity (see the module's docstring)."""
    for key, shifts in _plans(cfg):
        for i, sh in enumerate(shifts):
            if sh.count == 0:
                raise ConfigError(f"{key}[{i}].count", sh.count, "a shift of 0 operators changes nothing (0 is a "
                                                                 "shift's default count): give its count, or remove it")
    for name, cat in cfg.categories.items():
        if cat == _BLANK_CATEGORY:  # share 0 (the default) and every other field at its default
            raise ConfigError(f"categories.{name}.share", cat.share,
                              "a category with share 0 and no setting of its own is never drawn and changes "
                              "nothing: give it a share (taken from the others), or leave it out")
    for tname, ut in cfg.units.items():
        if ut.staff_by_weight:
            continue  # the type's own count is spread by weight: an exception equal to case_workers still counts
        for unit, n in ut.case_workers_by_unit.items():
            if n == ut.case_workers:
                raise ConfigError(f"units.{tname}.case_workers_by_unit.{unit}", n,
                                  f"equals units.{tname}.case_workers ({ut.case_workers}): the exception changes "
                                  "nothing; remove it")
    classes = {u for cat in cfg.categories.values() if cat.share > 0 for u, w in cat.urgency.items() if w > 0}
    default = ["emergency"]
    if list(cfg.calls.priority_classes) != default and cfg.arrivals.phone.per_day > 0:
        for u in cfg.calls.priority_classes:
            if u not in classes:
                raise ConfigError("calls.priority_classes", list(cfg.calls.priority_classes),
                                  f"no category has {u} contacts (categories.<name>.urgency.{u} > 0): queuing "
                                  f"them first changes nothing")


# ------------------------------------------------------------------------------------------- references
def check_references(cfg: Config) -> None:
    """Refuse references that make no sense: districts of unit types, operator groups no work can reach."""
    for tname, ut in cfg.units.items():
        key = f"units.{tname}.district_of"
        if not ut.district_of:
            continue
        if ut.district_of == tname:
            raise ConfigError(key, ut.district_of, "a unit type cannot be its own district: name another unit type")
        chain, t = [tname], ut.district_of
        while t and t in cfg.units and t not in chain:
            chain.append(t)
            t = cfg.units[t].district_of
        if t == tname:
            raise ConfigError(key, ut.district_of, f"circular: {' -> '.join(chain + [t])}; districts must end at "
                                                   "a type that belongs to none")
        districts = cfg.units[ut.district_of].count if ut.district_of in cfg.units else 0
        if districts > ut.count:
            raise ConfigError(key, ut.district_of, f"more districts (units.{ut.district_of}.count={districts}) "
                                                   f"than units of this type ({ut.count}): some districts would "
                                                   "hold no unit")
    r = cfg.routing
    if not r.groups:
        return
    work = [n for n, c in cfg.categories.items() if c.share > 0]
    if cfg.arrivals.online.per_day > 0:
        work.append(SKILL_WORK[0])
    if cfg.units and cfg.feedback.mode == "operators":
        work.append(SKILL_WORK[1])
    if all(w in r.skills for w in work):
        reached = {g for w in work for g in r.skills[w]}
        for g in r.groups:
            if g not in reached:
                raise ConfigError(f"routing.groups.{g}", "<plan>", "no work reaches this group: every kind of work "
                                                                   "has a routing.skills list and none names it")


# ------------------------------------------------------------------------------------------- time limits
def check_time_limits(cfg: Config) -> None:
    """Refuse time limits that contradict each other (see the module's docstring)."""
    o, r = cfg.online, cfg.routing
    online = cfg.arrivals.online.per_day > 0
    if online and o.expire_h is not None and o.expire_h < o.deadline_h:
        raise ConfigError("online.expire_h", o.expire_h,
                          f"must be >= online.deadline_h ({o.deadline_h:g}): an item withdrawn before its "
                          "acceptance deadline can never miss it, so the deadline would change nothing")
    aging = r.escalate_after_s.online
    if online and aging is not None and o.expire_h is not None and aging >= o.expire_h * 3600.0:
        raise ConfigError("routing.escalate_after_s.online", aging,
                          f"must be shorter than online.expire_h ({o.expire_h:g} h = {o.expire_h * 3600:g} s): an "
                          "item would be withdrawn before it ages, so the aging would change nothing")
    if cfg.units:
        wo = cfg.workorders
        for u in URGENCY_CLASSES:
            if wo.closeout_limit_h[u] < wo.response_limit_h[u]:
                raise ConfigError(f"workorders.closeout_limit_h.{u}", wo.closeout_limit_h[u],
                                  f"must be >= workorders.response_limit_h.{u} ({wo.response_limit_h[u]:g}): both "
                                  "count from the order's arrival at the unit and a case is closed out after its "
                                  "first contact, so a shorter close-out limit contradicts the response limit")
    if cfg.arrivals.phone.per_day <= 0:
        return
    with np.errstate(divide="ignore", over="ignore"):  # an unbounded patience: ppf(1) = inf
        longest = float(make_distribution(cfg.calls.patience_s, "calls.patience_s").ppf([1.0])[0])
    if not math.isfinite(longest):
        return
    for key, after in (("routing.escalate_after_s.call", r.escalate_after_s.call),
                       ("routing.overflow_after_s", r.overflow_after_s if any(
                           len(g) > 1 for g in r.skills.values()) else None)):
        if after is not None and after >= longest:
            raise ConfigError(key, after, f"must be shorter than the longest patience (calls.patience_s: "
                                          f"{longest:g} s): every caller would hang up first, so it would "
                                          "change nothing")
