"""A staffing plan proposed for a run, and how it becomes the run's ``staffing`` section.

A policy (:mod:`sim.planning.policies`) returns a :class:`StaffingPlan`: the requirement per
reporting interval of the planning window (rostered operators), and the configuration to run.
The plan is weekly, like a scenario's: the planning window's intervals are folded onto the week
(Monday first; a run longer than a week gets, in each interval of the week, the most that any of
its weeks requires) and then

* ``staffing.schedule=intervals`` - become ``staffing.half_hourly`` (336 values, a half-hour's
  value being the most of the reporting intervals it overlaps; the reporting interval is a
  multiple of 30 minutes);
* ``staffing.schedule=shifts`` - are covered at least cost by shifts of the allowed patterns
  (:mod:`sim.planning.shifts`), which become ``staffing.shifts``.

Counts are written before ``scale``, like every plan of a scenario (the requirement is for the
scaled demand, so it is divided by the scale); ``headcount_factor`` is 1 for a proposed plan.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

from sim.config.schema import Config
from sim.core.calendar import DAY_S
from sim.planning.requirement import WEEK_S, Requirement
from sim.planning.shifts import Schedule, solve


@dataclass
class StaffingPlan:
    """What a staffing policy decided.

    Attributes
    ----------
    policy : str
        The policy's name.
    cfg : Config
        The configuration to run (its ``staffing`` holds the plan to simulate).
    requirement : Requirement
        Offered loads per interval of the planning window (and, for a proposing policy, the
        agents for calls).
    required : ndarray or None
        Rostered operators required per interval of the planning window; None for ``plan``.
    schedule : Schedule or None
        The shifts covering the requirement (``staffing.schedule=shifts``).
    notes : dict
        Facts for ``summary.json`` -> ``staffing``.
    """

    policy: str
    cfg: Config
    requirement: Requirement
    required: Optional[np.ndarray] = None
    schedule: Optional[Schedule] = None
    notes: Dict[str, Any] = field(default_factory=dict)


def week_slots(req: Requirement) -> np.ndarray:
    """Index in the week (Monday 0:00 first) of every interval of the planning window."""
    per_day = int(round(DAY_S / req.interval_s))
    k = np.arange(req.days * per_day)
    weekday = (req.start_weekday + k // per_day) % 7
    return weekday * per_day + k % per_day


def fold_week(req: Requirement, values: np.ndarray) -> np.ndarray:
    """The most of ``values`` (one per interval of the planning window) in each interval of the week."""
    out = np.zeros(int(round(WEEK_S / req.interval_s)))
    np.maximum.at(out, week_slots(req), np.asarray(values, dtype=float))
    return out


def half_hourly(week: np.ndarray, interval_s: float) -> np.ndarray:
    """336 half-hour values from values per interval of the week (the interval a multiple of 30 minutes)."""
    per = int(round(interval_s / 1800.0))
    return np.repeat(week, per)


def _clean(v: float) -> float:
    """A count with binary round-off removed (an integer divided and multiplied back by a scale)."""
    r = round(v)
    return float(r) if abs(v - r) <= 1e-9 * max(1.0, abs(v)) else float(v)


def apply_plan(cfg: Config, req: Requirement, required: np.ndarray) -> tuple[Config, Optional[Schedule]]:
    """The configuration that runs ``required`` (rostered operators per interval of the planning window).

    Raises
    ------
    ConfigError
        ``staffing.schedule=shifts`` and the patterns cannot cover the requirement.
    """
    week = fold_week(req, required)
    out = copy.deepcopy(cfg)
    schedule = None
    if cfg.staffing.schedule == "shifts":
        schedule = solve(week, cfg.staffing.patterns, req.interval_s, cfg.scale, cfg.staffing.schedule_gap)
        out.staffing = out.staffing.with_form(shifts=schedule.shifts)
    else:
        plan = [_clean(v / cfg.scale) for v in half_hourly(week, req.interval_s)]
        out.staffing = out.staffing.with_form(half_hourly=plan)
    return out, schedule
