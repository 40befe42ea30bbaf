"""The staffing policies, found by name (``staffing.policy``), and the planning step of a run.

Each policy is a function ``policy(cfg, progress, line) -> StaffingPlan`` registered in
:data:`STAFFING_POLICIES` (a :class:`sim.policies.registry.Registry`; an unknown name is rejected
with the valid ones, and validation rejects it before anything runs:
:data:`sim.config.staffing_policy.STAFFING_POLICIES` lists the same names).  :func:`make_plan` runs
the configured policy before the experiment; :func:`check_plan` does, before anything is written,
what can reject a policy's plan (targets no headcount meets, shift patterns that cannot cover the
requirement).
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional

import numpy as np

from sim.config.schema import Config
from sim.config.staffing_policy import STAFFING_POLICIES as POLICY_NAMES
from sim.model.compile import compile_config
from sim.planning.optimize import optimize_agents
from sim.planning.plan import StaffingPlan, apply_plan, fold_week
from sim.planning.requirement import Requirement, requirement
from sim.planning.shifts import check_coverage
from sim.policies.registry import Registry

Line = Callable[[str], None]
Policy = Callable[[Config, bool, Line], StaffingPlan]
#: The staffing policies by name.
STAFFING_POLICIES: Registry[Policy] = Registry("staffing policy", "staffing.policy")
_CACHE: "OrderedDict[str, Requirement]" = OrderedDict()


def _requirement(cfg: Config, agents: bool) -> Requirement:
    """:func:`sim.planning.requirement.requirement`, remembered for the last few configurations
    (the check before a run and the run itself compute the same one)."""
    key = f"{agents}:{cfg!r}"
    if key not in _CACHE:
        _CACHE[key] = requirement(cfg, compile_config(cfg), agents=agents)
        while len(_CACHE) > 4:
            _CACHE.popitem(last=False)
    return _CACHE[key]


def _notes(cfg: Config, req: Requirement) -> Dict[str, Any]:
    s = cfg.staffing
    targets = {k: getattr(s.target, k) for k in ("service_level", "abandon_rate", "asa_s")
               if getattr(s.target, k) is not None}
    return {"policy": s.policy, "offered_load": s.offered_load, "targets": targets, **req.notes}


@STAFFING_POLICIES.register("plan")
def plan_as_given(cfg: Config, progress: bool, line: Line) -> StaffingPlan:
    """Run the scenario's own plan (``staffing.operators``, ``half_hourly`` or ``shifts``) as it is.

    Rule: nothing is proposed; the offered load of every interval (by ``staffing.offered_load``) is
    still computed, for ``staffing.csv``.
    """
    req = _requirement(cfg, agents=False)
    return StaffingPlan("plan", cfg, req, None, None, _notes(cfg, req))


def _proposed(cfg: Config, req: Requirement, agents: np.ndarray, notes: Dict[str, Any]) -> StaffingPlan:
    required = req.rostered(agents)
    run_cfg, schedule = apply_plan(cfg, req, required)
    n_h = req.n_intervals
    notes = {**notes, "schedule": cfg.staffing.schedule,
             "required_operator_hours": float(np.sum(required[:n_h])) * req.interval_s / 3600.0}
    if schedule is not None:
        h = req.interval_s / 3600.0
        notes["shifts"] = {"entries": len(schedule.shifts), "cost_per_week": schedule.cost,
                           "operator_hours_per_week": float(schedule.covered.sum() * h),
                           "over_coverage_operator_hours_per_week": float(schedule.over.sum() * h),
                           "under_coverage_operator_hours_per_week": float(schedule.under.sum() * h),
                           "solver": schedule.status, "optimality_gap": schedule.gap}
    return StaffingPlan(cfg.staffing.policy, run_cfg, req, required, schedule, notes)


@STAFFING_POLICIES.register("erlang")
def erlang(cfg: Config, progress: bool, line: Line) -> StaffingPlan:
    """Per reporting interval, the fewest operators meeting every target for the interval's offered load.

    Rule: exact Erlang A (Palm 1943; Garnett, Mandelbaum & Reiman 2002, "Designing a call center
    with impatient customers", M&SOM 4) for the load of ``staffing.offered_load`` - ``sipp``, ``lagged``
    (Green, Kolesar & Soares 2001, "Improving the SIPP approach for staffing service systems that
    have cyclic demands", Operations Research 49) or ``modified`` (Jennings, Mandelbaum, Massey & Whitt
    1996) - plus the online and return-visit loads, divided by ``1 - shrinkage`` and rounded up
    (:mod:`sim.planning.requirement`, with the approximations it documents).
    """
    req = _requirement(cfg, agents=True)
    assert req.calls_agents is not None
    return _proposed(cfg, req, req.calls_agents, _notes(cfg, req))


@STAFFING_POLICIES.register("optimize")
def optimize(cfg: Config, progress: bool, line: Line) -> StaffingPlan:
    """The ``erlang`` requirement corrected by simulation until every interval meets every target.

    Rule: an iterative staffing algorithm after Feldman, Mandelbaum, Massey & Whitt (2008), with
    common random numbers, a noise margin, removal of slack, and the fewest agents per interval at
    its fixed point (:mod:`sim.planning.optimize`); confirmed by the run itself on fresh seeds.
    """
    req = _requirement(cfg, agents=True)
    agents, opt = optimize_agents(cfg, req, progress, line)
    notes = _notes(cfg, req)
    assert req.calls_agents is not None
    n_h = req.n_intervals
    opt["erlang_operator_hours"] = float(np.sum(req.required[:n_h])) * req.interval_s / 3600.0
    notes["optimize"] = opt
    return _proposed(cfg, req, agents, notes)


def _stderr(message: str) -> None:
    sys.stderr.write(f"{message}\n")


def make_plan(cfg: Config, line: Optional[Line] = None) -> StaffingPlan:
    """Run the configured staffing policy: the plan the run will simulate.

    Parameters
    ----------
    cfg : Config
        A validated configuration.
    line : callable, optional
        Receives one-line messages (a line per optimisation iteration when stderr is not a
        terminal and ``experiment.progress`` is on; the warning of an optimisation that did not
        converge); default: stderr.

    Raises
    ------
    ConfigError
        An unknown policy, a target no headcount can meet, shift patterns that cannot cover the requirement.
    """
    out = line if line is not None else _stderr
    progress = bool(cfg.experiment.progress)
    quiet: Line = out if progress else (lambda m: out(m) if m.startswith("warning") else None)
    return STAFFING_POLICIES.get(cfg.staffing.policy)(cfg, progress, quiet)


def check_plan(cfg: Config) -> None:
    """Reject, before anything runs, what would stop the policy's planning (a cheap check: no simulation).

    Raises
    ------
    ConfigError
        An unknown policy; a target that no headcount meets in some interval; with
        ``staffing.schedule=shifts``, an interval needing operators that no allowed shift covers.
    """
    STAFFING_POLICIES.check(cfg.staffing.policy)
    if cfg.staffing.policy == "plan":
        return
    req = _requirement(cfg, agents=True)
    if cfg.staffing.schedule == "shifts":
        check_coverage(fold_week(req, req.required), cfg.staffing.patterns, req.interval_s)


assert set(STAFFING_POLICIES.names()) == set(POLICY_NAMES), "the registry and the configuration's list differ"
