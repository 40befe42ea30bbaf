"""Staffing policies that plan before a run, and may simulate to do it.

A planner asks "how many operators, when, in which shifts?".  ``staffing.policy`` chooses who
answers (:mod:`sim.planning.policies`):

* ``plan`` - the scenario's own plan, run as given;
* ``erlang`` - the fewest operators per reporting interval meeting the service targets under
  exact Erlang A for the interval's offered load (:mod:`sim.planning.requirement`: SIPP, lagged or
  the modified offered load of the infinite-server model; online and return-visit work added);
* ``optimize`` - that requirement corrected by simulation until every interval meets the targets
  with the fewest operators (:mod:`sim.planning.optimize`).

The back office's case workers are planned beside the operators, by ``unit_staffing.policy``
(:mod:`sim.planning.units_policies`): ``plan`` (the scenario's), ``erlang`` (a multi-server
approximation of each unit's queue of work orders, :mod:`sim.planning.units_erlang`) or
``optimize`` (corrected unit by unit by simulation, :mod:`sim.planning.units_optimize`); a run
proposes both when both policies ask for it.

A proposed requirement becomes the run's plan (:mod:`sim.planning.plan`): a half-hourly plan, or
the cheapest cover by allowed shift patterns (:mod:`sim.planning.shifts`, integer programming).
The run then simulates that plan like any other; its outputs add ``staffing.csv`` (and, for
shifts, ``shifts.yaml`` and ``schedule.csv``: :mod:`sim.report.staffing`).

Layering: planning sits above the experiments (it runs simulations through the executors) and
below the reports.
"""

from sim.planning.plan import StaffingPlan
from sim.planning.policies import STAFFING_POLICIES, check_plan, make_plan
from sim.planning.units_plan import UnitPlan
from sim.planning.units_policies import UNIT_STAFFING_POLICIES, check_unit_plan, make_unit_plan

__all__ = ["StaffingPlan", "STAFFING_POLICIES", "check_plan", "make_plan",
           "UnitPlan", "UNIT_STAFFING_POLICIES", "check_unit_plan", "make_unit_plan"]
