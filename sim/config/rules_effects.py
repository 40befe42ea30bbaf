"""Settings that would change nothing, point nowhere sensible, or contradict each other.

A configuration can pass every range check and still say something the run cannot mean.  Checked last
(:func:`sim.config.rules.check_config`), each kind by one rule:

* **a part of the model that would do nothing**: a surge wholly after the horizon, wholly in the warm-up,
  only on channels without demand or categories with share 0, or multiplying by 1 (a surge's default
  multiplier); a calendar in use with no working day.  (A front-line plan with nobody on duty in the whole
  measurement window, or a feedback team never on duty while residents may be called, is found from the
  staffing timetable: :func:`sim.model.checks.check_coverage`.);
* **an entry whose only effect is the identity**: a shift of 0 operators (0 is a shift's default count), a
  category with share 0 and no setting of its own (never drawn: as ``++categories.new.share=0`` makes; a
  scenario's own category set to 0 is switched off, as a channel with ``per_day=0``), an exception in
  ``units.<type>.case_workers_by_unit`` equal to the type's ``case_workers``, a priority class that no
  category has;
* **references that make no sense**: a unit type as its own district or a circle of districts, more
  districts than the units they hold, an operator group that no work can reach;
* **time limits that contradict each other**: an online item withdrawn (``online.expire_h``) before its
  acceptance deadline (``online.deadline_h``); a close-out limit shorter than the response limit of the same
  class (both count from the order's arrival at the unit); aging or overflow of a waiting item that would
  come only after the item has left (an online item withdrawn, every caller hung up: the patience's largest
  value).

A value listed twice in a set is refused by its field (:class:`sim.config.fields.Distinct`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.config.backoffice import URGENCY_CLASSES
from sim.config.routing import SKILL_WORK
from sim.core.distributions import make_distribution
from sim.core.errors import ConfigError


def check_effects(cfg: Any) -> None:
    """Refuse settings that would change nothing or contradict each other (see the module's docstring)."""
    _surges(cfg)
    _calendars(cfg)
    _identities(cfg)
    _districts_and_groups(cfg)
    _time_limits(cfg)


def _surges(cfg: Any) -> None:
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


def _calendars(cfg: Any) -> None:
    if not cfg.units:
        return
    used = {ut.calendar: f"units.{t}.calendar" for t, ut in cfg.units.items()}
    used.setdefault(cfg.feedback.calendar, "feedback.calendar")
    for name, by in used.items():
        if not cfg.calendars[name].days:
            raise ConfigError(f"calendars.{name}.days", [], f"no working day, but {by} uses this calendar: "
                                                            "nothing would ever be done")


# ------------------------------------------------------------------------------------------- identities
def _identities(cfg: Any) -> None:
    plans = [("staffing", cfg.staffing), *((f"routing.groups.{n}", g) for n, g in cfg.routing.groups.items()),
             *([("feedback.staffing", cfg.feedback.staffing)] if cfg.units and cfg.feedback.mode == "team" else [])]
    for key, shifts in ((f"{k}.shifts", plan.shifts) for k, plan in plans):
        for i, sh in enumerate(shifts):
            if sh.count == 0:
                raise ConfigError(f"{key}[{i}].count", sh.count, "a shift of 0 operators changes nothing (0 is a "
                                                                 "shift's default count): give its count, or remove it")
    blank = type(next(iter(cfg.categories.values())))() if cfg.categories else None
    for name, cat in cfg.categories.items():
        if cat == blank:  # share 0 (the default) and every other field at its default
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
def _districts_and_groups(cfg: Any) -> None:
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
def _time_limits(cfg: Any) -> None:
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
