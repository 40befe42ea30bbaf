"""The back office's staffing policy (``unit_staffing.*``): case workers per unit, planned to meet two targets.

``unit_staffing.policy`` names the policy (:data:`UNIT_STAFFING_POLICIES`; the implementations are in
:mod:`sim.planning.units_policies`, registered under the same names):

* ``plan`` (the default) - every unit keeps the case workers the scenario gives (``units``);
* ``erlang`` - per unit, the fewest case workers that a multi-server approximation of the unit's queue of
  work orders says meet both targets of :class:`UnitTargetConfig` (:mod:`sim.planning.units_erlang`);
* ``optimize`` - that proposal corrected unit by unit by simulation (:class:`UnitOptimizeConfig`).

A proposal replaces the scenario's case workers in the run, which then simulates it; the front line's
staffing (``staffing``) is planned on its own, so both can be proposed in one run.  A section of
:class:`sim.config.schema.Config` (see there for how a setting states its rules): the whole section is used
only with units, ``target`` only with a proposing policy, ``optimize`` only with ``optimize``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from sim.config.fields import Model, Number, Open01, Range, UsedOnlyWhen, Whole, doc

#: Back-office staffing policies, by name (the planning layer registers an implementation for each).
UNIT_STAFFING_POLICIES: tuple[str, ...] = ("plan", "erlang", "optimize")


def _known(v: Any) -> Any:
    if v not in UNIT_STAFFING_POLICIES:
        raise PydanticCustomError("rule", "unknown unit staffing policy; use one of "
                                          + ", ".join(UNIT_STAFFING_POLICIES))
    return v


class UnitTargetConfig(Model):
    """Targets each unit's work orders must meet (docs/kpis.md, "Targets of the back-office plan")."""

    response_rate: Open01 = doc(0.93, "share of the unit's orders responded to within workorders.response_limit_h "
                                       "of their arrival at the unit, at least; in (0, 1)")
    closeout_on_time_rate: Open01 = doc(0.90, "share of the unit's close-outs within workorders.closeout_limit_h of "
                                               "the round's arrival at the unit, at least; in (0, 1)")


class UnitOptimizeConfig(Model):
    """The simulation-based policy (``unit_staffing.policy=optimize``)."""

    max_iterations: Annotated[Whole, Range(1, 1000)] = doc(
        12, "simulations of the proposal at most; stops with a warning if not settled")
    replications: Annotated[Whole, Range(1, 1000)] = doc(
        4, "replications per iteration (common random numbers: the same in every iteration)")
    margin_se: Annotated[Number, Range(0.0, 10.0)] = doc(
        1.0, "a unit meets a target on the optimisation's replications by this many standard errors of its "
             "estimate (guards against fitting their noise)")
    warmup_weeks: Annotated[Whole, Range(0, 52)] = doc(
        2, "weeks of ordinary demand simulated before the run's own window, so that the back office is measured "
           "full (it starts empty); whole weeks keep the weekdays")


class UnitStaffingConfig(Model):
    """The back office's case workers: the scenario's, or a policy's proposal per unit."""

    policy: Annotated[str, AfterValidator(_known)] = doc(
        "plan", "plan (the scenario's case workers), erlang (a queueing approximation per unit) or optimize "
                "(erlang corrected by simulation)")
    target: Annotated[UnitTargetConfig, UsedOnlyWhen(
        lambda c, o: o.policy != "plan",
        "used only when a policy proposes the case workers (unit_staffing.policy="
        + " or ".join(p for p in UNIT_STAFFING_POLICIES if p != "plan") + ")")] = doc(
        UnitTargetConfig, "targets every unit must meet")
    optimize: Annotated[UnitOptimizeConfig, UsedOnlyWhen(
        lambda c, o: o.policy == "optimize", "used only with unit_staffing.policy=optimize")] = doc(
        UnitOptimizeConfig, "the simulation-based policy")
