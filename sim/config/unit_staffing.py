"""Configuration of the back office's staffing policy: case workers per unit, planned to meet two targets.

``unit_staffing.policy`` names the policy (:data:`UNIT_STAFFING_POLICIES`; the implementations are
in :mod:`sim.planning.units_policies`, registered under the same names):

* ``plan`` (the default) - every unit keeps the case workers the scenario gives (``units``);
* ``erlang`` - per unit, the fewest case workers that a multi-server approximation of the unit's
  queue of work orders says meet both targets of :class:`UnitTargetConfig`
  (:mod:`sim.planning.units_erlang`);
* ``optimize`` - that proposal corrected unit by unit by simulation (:class:`UnitOptimizeConfig`).

A proposal replaces the scenario's case workers in the run, which then simulates it; the front
line's staffing (``staffing``) is planned on its own, so both can be proposed in one run.  The rules
of every key are in :func:`check_unit_staffing`, next to the fields they concern.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from sim.core.errors import ConfigError

#: Back-office staffing policies, by name (the planning layer registers an implementation for each).
UNIT_STAFFING_POLICIES: tuple[str, ...] = ("plan", "erlang", "optimize")


@dataclass
class UnitTargetConfig:
    """Targets each unit's work orders must meet (docs/kpis.md, "Targets of the back-office plan")."""

    response_rate: float = 0.93  # share of the unit's orders responded to within workorders.response_limit_h
    # of their arrival at the unit, at least; in (0, 1)
    closeout_on_time_rate: float = 0.90  # share of the unit's close-outs within workorders.closeout_limit_h of the
    # round's arrival at the unit, at least; in (0, 1)


@dataclass
class UnitOptimizeConfig:
    """The simulation-based policy (``unit_staffing.policy=optimize``)."""

    max_iterations: int = 12  # simulations of the proposal at most (1 to 1000); stops with a warning if not settled
    replications: int = 4  # replications per iteration (common random numbers: the same in every iteration), 1-1000
    margin_se: float = 1.0  # a unit meets a target on the optimisation's replications by this many standard
    # errors of its estimate (guards against fitting their noise); 0 to 10
    warmup_weeks: int = 2  # weeks of ordinary demand simulated before the run's own window, so that the back
    # office is measured full, as in a steady state (it starts empty); whole weeks keep the weekdays; 0 to 52


@dataclass
class UnitStaffingConfig:
    """The back office's case workers: the scenario's, or a policy's proposal per unit."""

    policy: str = "plan"  # plan (the scenario's case workers), erlang (a queueing approximation per unit) or
    # optimize (erlang corrected by simulation)
    target: UnitTargetConfig = field(default_factory=UnitTargetConfig)  # targets every unit must meet
    optimize: UnitOptimizeConfig = field(default_factory=UnitOptimizeConfig)  # the simulation-based policy


def check_unit_staffing(s: UnitStaffingConfig) -> None:
    """Check the ``unit_staffing`` keys (which keys a policy uses: :mod:`sim.config.validate_usage`).

    Raises
    ------
    ConfigError
        An unknown policy, a target outside (0, 1), an optimisation setting out of its range.
    """
    if s.policy not in UNIT_STAFFING_POLICIES:
        raise ConfigError("unit_staffing.policy", s.policy,
                          f"unknown unit staffing policy; use one of {', '.join(UNIT_STAFFING_POLICIES)}")
    for name in ("response_rate", "closeout_on_time_rate"):
        _in_range(f"unit_staffing.target.{name}", getattr(s.target, name), "(0, 1)", lambda v: 0.0 < v < 1.0)
    o = s.optimize
    _in_range("unit_staffing.optimize.max_iterations", o.max_iterations, "[1, 1000]", lambda v: 1 <= v <= 1000)
    _in_range("unit_staffing.optimize.replications", o.replications, "[1, 1000]", lambda v: 1 <= v <= 1000)
    _in_range("unit_staffing.optimize.margin_se", o.margin_se, "[0, 10]", lambda v: 0.0 <= v <= 10.0)
    _in_range("unit_staffing.optimize.warmup_weeks", o.warmup_weeks, "[0, 52]", lambda v: 0 <= v <= 52)


def _in_range(key: str, value: float, interval: str, ok: Callable[[float], bool]) -> None:
    """Raise unless ``value`` is a finite number for which ``ok`` holds (the words of
    :func:`sim.config.rules.check_number`, which this module cannot import: the schema imports it)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(key, value, "must be a number") from None
    if not math.isfinite(v):
        raise ConfigError(key, value, "must be a finite number")
    if not ok(v):
        raise ConfigError(key, value, f"must be in {interval}")
