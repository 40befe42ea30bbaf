"""Configuration of the staffing policies: which plan a run uses, and how a proposed plan is made.

``staffing.policy`` names the policy (:data:`STAFFING_POLICIES`; the implementations are in
:mod:`sim.planning`, registered under the same names):

* ``plan`` (the default) - the plan the scenario gives (``staffing.operators``, ``half_hourly``
  or ``shifts``) is run as it is;
* ``erlang`` - a requirement per reporting interval from Erlang A for the interval's offered
  load (``staffing.offered_load``: ``sipp``, ``lagged`` or ``modified``), meeting every target of
  :class:`StaffingTargetConfig`;
* ``optimize`` - that requirement corrected by simulation (:class:`OptimizeConfig`).

The requirement becomes the run's plan: a half-hourly plan (``staffing.schedule=intervals``) or
shifts covering it at least cost (``staffing.schedule=shifts``, from the patterns of
:class:`ShiftPatternConfig`).  The dataclasses below are fields of the front line's
:class:`sim.config.schema.FrontStaffingConfig` (and :class:`GroupTargetConfig` of each operator
group's :class:`sim.config.schema.GroupConfig`); their rules are in :mod:`sim.config.validate_staffing`,
those of the planning settings added since (online and occupancy targets, a group's own targets,
the optimisation's share of intervals on fresh seeds, currency and budget) in one function here,
:func:`check_planning_settings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, List, Optional

from sim.config.markers import DISTINCT
from sim.core.errors import ConfigError

#: Staffing policies, by name (the planning layer registers an implementation for each).
STAFFING_POLICIES: tuple[str, ...] = ("plan", "erlang", "optimize")
#: Offered-load rules of the erlang policy (:mod:`sim.analysis.offered_load`).
OFFERED_LOADS: tuple[str, ...] = ("sipp", "lagged", "modified")
#: How a requirement becomes the run's plan.
SCHEDULES: tuple[str, ...] = ("intervals", "shifts")


@dataclass
class StaffingTargetConfig:
    """Service targets a requirement must meet in every interval (every target that is set)."""

    service_level: float = 0.8  # share of call attempts answered within kpi.answer_threshold_s, at least; in (0, 1)
    abandon_rate: Optional[float] = None  # share of call attempts abandoned, at most, in (0, 1); None = no target
    asa_s: Optional[float] = None  # mean wait of answered call attempts, seconds, at most (> 0); None = no target
    # share of online items accepted within online.deadline_h, at least, in (0, 1); None = no target
    online_on_time_rate: Optional[float] = None
    max_occupancy: Optional[float] = None  # operators' busy share of their time on duty, at most, (0, 1]; None = none


@dataclass
class GroupTargetConfig:
    """An operator group's own targets (``routing.groups.<name>.target``); a target left None is staffing.target's."""

    service_level: Optional[float] = None  # the group's calls (by their first group) answered in time, at least; (0, 1)
    abandon_rate: Optional[float] = None  # the group's calls abandoned, at most, in (0, 1)
    asa_s: Optional[float] = None  # mean wait of the group's answered calls, seconds, at most (> 0)
    max_occupancy: Optional[float] = None  # the group's operators' busy share of their time on duty, at most, (0, 1]


@dataclass
class OptimizeConfig:
    """The simulation-based policy (``staffing.policy=optimize``)."""

    max_iterations: int = 20  # simulations of the plan at most; stops with a warning if not converged by then
    # replications per iteration (common random numbers: the same in every iteration), 1 to 1000; None = chosen
    # from the noise the first simulation measures (4 to 32: sim.planning.margins)
    replications: Optional[int] = None
    # an interval meets a target on the optimisation's replications by this many standard errors of its estimate,
    # 0 to 10; None = chosen from the measured noise, the run's replications and intervals_share
    margin_se: Optional[float] = None
    # share of the intervals that must meet every target on fresh seeds (the run's own replications); in (0, 1)
    intervals_share: float = 0.95


@dataclass
class ShiftPatternConfig:
    """An allowed shift: its length, start times, unpaid break, weekdays or weekly tour, and cost."""

    name: str = "shift"  # label; the scheduled shifts are named after it
    length_h: float = 8.0  # from start to end, hours, break included (0 < length_h <= 24; may cross midnight)
    # allowed start times of day, hours; empty = every hour
    starts_h: List[float] = field(default_factory=list, metadata=DISTINCT)
    # weekdays it may start on (0 = Monday); empty = every day
    days: List[int] = field(default_factory=list, metadata=DISTINCT)
    days_on: int = 0  # a weekly tour: the same start on this many consecutive days, then off; 0 = day by day
    break_h: float = 0.0  # unpaid break, hours (0 = none)
    break_window_h: List[float] = field(default_factory=list)  # [earliest, latest] break start, hours after the
    # shift's start (with break_h > 0)
    cost_per_h: Optional[float] = None  # cost of a paid hour (> 0); None = staffing.cost_per_h


def default_patterns() -> List[ShiftPatternConfig]:
    """The patterns used when none are given: weekly tours a person can work.

    Five consecutive days on, then two off, starting on any weekday (so the days off rotate over
    the positions) and at any hour, 9 hours with an unpaid meal break of 1 hour starting 3 to 5
    hours into the shift: 8 paid hours a day, 40 a week.
    """
    return [ShiftPatternConfig(name="tour", length_h=9.0, days_on=5, break_h=1.0, break_window_h=[3.0, 5.0])]


def _check(key: str, value: Any, lo: float, hi: float, lo_open: bool, hi_open: bool) -> None:
    """Raise unless ``value`` is a finite number in the range (worded as :func:`sim.config.rules.check_number`)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(key, value, "must be a number") from None
    if not math.isfinite(v):
        raise ConfigError(key, value, "must be a finite number")
    if (v <= lo if lo_open else v < lo) or (v >= hi if hi_open else v > hi):
        if hi == math.inf:
            raise ConfigError(key, value, f"must be {'>' if lo_open else '>='} {lo:g}")
        raise ConfigError(key, value, f"must be in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}")


def check_planning_settings(target: StaffingTargetConfig, group_targets: dict, optimize: OptimizeConfig,
                            currency: str, budget_h: Optional[float], budget_cost: Optional[float]) -> None:
    """The ranges of the planning settings: online and occupancy targets, the groups' own targets, the
    optimisation's replications, margin and share of intervals, the currency and the budget.

    ``group_targets`` maps a group's name to its :class:`GroupTargetConfig`.

    Raises
    ------
    ConfigError
        At the first value out of its range.
    """
    share = (0.0, 1.0, True, True)
    if target.online_on_time_rate is not None:
        _check("staffing.target.online_on_time_rate", target.online_on_time_rate, *share)
    if target.max_occupancy is not None:
        _check("staffing.target.max_occupancy", target.max_occupancy, 0.0, 1.0, True, False)
    for name, t in group_targets.items():
        key = f"routing.groups.{name}.target"
        for field_name, rng in (("service_level", share), ("abandon_rate", share),
                                ("asa_s", (0.0, math.inf, True, False)), ("max_occupancy", (0.0, 1.0, True, False))):
            if getattr(t, field_name) is not None:
                _check(f"{key}.{field_name}", getattr(t, field_name), *rng)
    if optimize.replications is not None:
        _check("staffing.optimize.replications", optimize.replications, 1, 1000, False, False)
    if optimize.margin_se is not None:
        _check("staffing.optimize.margin_se", optimize.margin_se, 0.0, 10.0, False, False)
    _check("staffing.optimize.intervals_share", optimize.intervals_share, *share)
    if len(currency) > 16 or any(not (ch.isprintable() and ch not in "\"{}") for ch in currency):
        raise ConfigError("staffing.currency", currency, "must be a short label (at most 16 printable characters, "
                                                          "e.g. CNY)")
    if budget_h is not None and budget_cost is not None:
        raise ConfigError("staffing.budget_cost", budget_cost, "conflicts with staffing.budget_h: give one budget")
    for key, value in (("staffing.budget_h", budget_h), ("staffing.budget_cost", budget_cost)):
        if value is not None:
            _check(key, value, 0.0, 1e12, True, False)
