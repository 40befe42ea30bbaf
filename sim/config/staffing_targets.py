"""The targets and the optimisation settings of a proposing staffing policy (``staffing.target``, a group's
``routing.groups.<name>.target``, ``staffing.optimize``), each field with its range (see
:mod:`sim.config.staffing_policy` for the policies and :mod:`sim.planning` for their implementations).
"""

from __future__ import annotations

from typing import Annotated, Optional

from sim.config.fields import Model, Number, Range, UsedOnlyWhen, Whole, doc

Open01 = Annotated[Number, Range(0.0, 1.0, lo_open=True, hi_open=True)]
Occupancy = Annotated[Number, Range(0.0, 1.0, lo_open=True)]
Wait = Annotated[Number, Range(lo_open=True, ceiling=3.15576e9, why="a century, in seconds")]


class StaffingTargetConfig(Model):
    """Service targets a requirement must meet in every interval (every target that is set)."""

    service_level: Open01 = doc(0.8, "share of call attempts answered within kpi.answer_threshold_s, at least")
    abandon_rate: Optional[Open01] = doc(None, "share of call attempts abandoned, at most; None = no target")
    asa_s: Optional[Wait] = doc(None, "mean wait of answered call attempts, seconds, at most; None = no target")
    online_on_time_rate: Annotated[Optional[Open01], UsedOnlyWhen(
        lambda c, o: c.arrivals.online.per_day > 0, "used only when there is online demand (arrivals.online.per_day "
                                                    "> 0)")] = doc(
        None, "share of online items accepted within online.deadline_h, at least; None = no target")
    max_occupancy: Optional[Occupancy] = doc(None, "operators' busy share of their time on duty, at most; None = none")


class GroupTargetConfig(Model):
    """An operator group's own targets (``routing.groups.<name>.target``); a target left None is staffing.target's."""

    service_level: Optional[Open01] = doc(None, "the group's calls (by their first group) answered in time, at least")
    abandon_rate: Optional[Open01] = doc(None, "the group's calls abandoned, at most")
    asa_s: Optional[Wait] = doc(None, "mean wait of the group's answered calls, seconds, at most")
    max_occupancy: Optional[Occupancy] = doc(None, "the group's operators' busy share of their time on duty, at most")


class OptimizeConfig(Model):
    """The simulation-based policy (``staffing.policy=optimize``)."""

    max_iterations: Annotated[Whole, Range(1, 1000)] = doc(20, "simulations of the plan at most (then a warning)")
    replications: Optional[Annotated[Whole, Range(1, 1000)]] = doc(
        None, "replications per iteration (the same in every one); None = chosen from the measured noise (4 to 64)")
    margin_se: Optional[Annotated[Number, Range(0.0, 10.0)]] = doc(
        None, "an interval meets a target on the optimisation's replications by this many standard errors; None = "
              "chosen from the measured noise, the run's replications and intervals_share")
    intervals_share: Open01 = doc(0.95, "share of the intervals that must meet every target on fresh seeds")
    erlang_bound: bool = doc(True, "never cost more than the cheapest erlang plan of stricter service targets "
                                   "expected to reach intervals_share (sim/planning/bound.py)")
