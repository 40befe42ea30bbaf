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
:class:`sim.config.schema.FrontStaffingConfig`; their rules are in :mod:`sim.config.validate_staffing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

from sim.config.markers import DISTINCT

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


@dataclass
class OptimizeConfig:
    """The simulation-based policy (``staffing.policy=optimize``)."""

    max_iterations: int = 20  # simulations of the plan at most; stops with a warning if not converged by then
    replications: int = 4  # replications per iteration (common random numbers: the same in every iteration)
    margin_se: float = 1.0  # an interval meets a target on the optimisation's replications by this many
    # standard errors of its estimate (guards against fitting the noise of those replications); >= 0


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
    cost_per_h: float = 1.0  # cost of a paid hour (> 0)


def default_patterns() -> List[ShiftPatternConfig]:
    """The patterns used when none are given: 8-hour shifts starting on any hour of any day."""
    return [ShiftPatternConfig(name="s8", length_h=8.0)]
