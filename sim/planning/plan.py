"""A staffing plan proposed for a run, and how it becomes the run's staffing sections.

A policy (:mod:`sim.planning.policies`) returns a :class:`StaffingPlan`: per operator group
(one, ``operators``, without ``routing.groups``) the requirement per reporting interval of the
planning window (rostered operators), and the configuration to run.  The plan is weekly, like
a scenario's, and covers exactly the simulated days: the horizon's intervals are folded onto
the week (Monday first; a run longer than a week gets, in each interval of the week, the most
that any of its weeks requires), and the intervals of the week the run does not simulate (a
horizon shorter than a week) need nobody.  Then

* ``staffing.schedule=intervals`` - become a half-hourly plan (336 values, a half-hour's value
  being the most of the reporting intervals it overlaps; the reporting interval is a multiple of
  30 minutes);
* ``staffing.schedule=shifts`` - are covered at least cost by shifts of the allowed patterns
  (:mod:`sim.planning.shifts`), which become the plan's shifts, and listed as positions a
  supervisor can fill (:mod:`sim.planning.roster`).

The plan of the front line is ``staffing.half_hourly`` / ``staffing.shifts``; that of a group
``routing.groups.<name>.half_hourly`` / ``.shifts``.  Counts are written before ``scale``, like
every plan of a scenario (the requirement is for the scaled demand, so it is divided by the
scale); ``headcount_factor`` is 1 for a proposed plan.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from sim.config.schema import Config
from sim.config.staffing_policy import ShiftPatternConfig
from sim.core.calendar import DAY_S
from sim.planning.requirement import WEEK_S, Requirement
from sim.planning.roster import Roster, positions
from sim.planning.shifts import Schedule, solve


@dataclass
class GroupPlan:
    """One operator group's part of a plan.

    Attributes
    ----------
    name : str
        The group (``operators`` without ``routing.groups``).
    requirement : Requirement
        Its offered loads (and, for a proposing policy, the erlang agents) per interval of the
        planning window.
    required : ndarray or None
        Rostered operators required per interval of the planning window; None for ``plan``.
    schedule : Schedule or None
        The shifts covering the requirement (``staffing.schedule=shifts``).
    roster : Roster or None
        The schedule's positions (``staffing.schedule=shifts``).
    """

    name: str
    requirement: Requirement
    required: Optional[np.ndarray] = None
    schedule: Optional[Schedule] = None
    roster: Optional[Roster] = None


@dataclass
class StaffingPlan:
    """What a staffing policy decided.

    Attributes
    ----------
    policy : str
        The policy's name.
    cfg : Config
        The configuration to run (its ``staffing``, or its groups, hold the plan to simulate).
    groups : list of GroupPlan
        Per operator group, in the order of ``routing.groups`` (one without groups).
    notes : dict
        Facts for ``summary.json`` -> ``staffing``.
    """

    policy: str
    cfg: Config
    groups: List[GroupPlan]
    notes: Dict[str, Any] = field(default_factory=dict)

    @property
    def requirement(self) -> Requirement:
        """The first group's requirement (the front line's without groups)."""
        return self.groups[0].requirement

    @property
    def required(self) -> Optional[np.ndarray]:
        """Rostered operators required per interval of the planning window, all groups together (None for plan)."""
        parts = [g.required for g in self.groups if g.required is not None]
        return np.sum(parts, axis=0) if len(parts) == len(self.groups) else None

    @property
    def schedule(self) -> Optional[Schedule]:
        """The first group's shift schedule (the front line's without groups)."""
        return self.groups[0].schedule


def week_slots(req: Requirement) -> np.ndarray:
    """Index in the week (Monday 0:00 first) of every interval of the planning window."""
    per_day = int(round(DAY_S / req.interval_s))
    k = np.arange(req.days * per_day)
    weekday = (req.start_weekday + k // per_day) % 7
    return weekday * per_day + k % per_day


def simulated(cfg: Config, req: Requirement) -> int:
    """Intervals of the planning window the run simulates (its horizon)."""
    return min(req.days * int(round(DAY_S / req.interval_s)), req.n_intervals)


def fold_week(req: Requirement, values: np.ndarray, n_intervals: Optional[int] = None) -> np.ndarray:
    """The most of ``values`` (one per interval of the planning window) in each interval of the week, over the
    first ``n_intervals`` intervals (the simulated ones; default all): the others need nobody."""
    out = np.zeros(int(round(WEEK_S / req.interval_s)))
    n = len(values) if n_intervals is None else n_intervals
    np.maximum.at(out, week_slots(req)[:n], np.asarray(values, dtype=float)[:n])
    return out


def half_hourly(week: np.ndarray, interval_s: float) -> np.ndarray:
    """336 half-hour values from values per interval of the week (the interval a multiple of 30 minutes)."""
    per = int(round(interval_s / 1800.0))
    return np.repeat(week, per)


def _clean(v: float) -> float:
    """A count with binary round-off removed (an integer divided and multiplied back by a scale)."""
    r = round(v)
    return float(r) if abs(v - r) <= 1e-9 * max(1.0, abs(v)) else float(v)


def apply_plan(cfg: Config, reqs: Sequence[Requirement], required: Sequence[np.ndarray],
               schedule: Optional[str] = None) -> tuple[Config, List[Optional[Schedule]]]:
    """The configuration that runs ``required`` (per group, rostered operators per interval of the planning window).

    ``schedule`` is ``intervals`` or ``shifts`` (default ``cfg.staffing.schedule``).  Returns the configuration
    and each group's schedule (None for a half-hourly plan).

    Raises
    ------
    ConfigError
        ``staffing.schedule=shifts`` and the patterns cannot cover a group's requirement.
    """
    out = copy.deepcopy(cfg)
    form = schedule or cfg.staffing.schedule
    patterns = priced_patterns(cfg)
    schedules: List[Optional[Schedule]] = []
    for req, need in zip(reqs, required):
        week = fold_week(req, need, simulated(cfg, req))
        sched = None
        if form == "shifts":
            sched = solve(week, patterns, req.interval_s, cfg.scale, cfg.staffing.schedule_gap)
            plan: Dict[str, Any] = {"shifts": sched.shifts}
        else:
            plan = {"half_hourly": [_clean(v / cfg.scale) for v in half_hourly(week, req.interval_s)]}
        if cfg.routing.groups:  # a plan has one form: the form proposed replaces the given one
            out.routing.groups[req.name] = out.routing.groups[req.name].with_form(**plan)
        else:
            out.staffing = out.staffing.with_form(**plan)
        schedules.append(sched)
    return out, schedules


def priced_patterns(cfg: Config) -> List[ShiftPatternConfig]:
    """``staffing.patterns`` with each cost per hour resolved: a pattern's own, else ``staffing.cost_per_h``."""
    return [p.model_copy(update={"cost_per_h": float(p.cost_per_h if p.cost_per_h is not None
                                                     else cfg.staffing.cost_per_h)})
            for p in cfg.staffing.patterns]


def group_plans_of(reqs: Sequence[Requirement], required: Sequence[Optional[np.ndarray]],
                   schedules: Sequence[Optional[Schedule]]) -> List[GroupPlan]:
    """The :class:`GroupPlan` of each group, with the positions of its schedule."""
    return [GroupPlan(req.name, req, need, sched, positions(sched) if sched is not None else None)
            for req, need, sched in zip(reqs, required, schedules)]
