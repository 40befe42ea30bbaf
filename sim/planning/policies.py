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
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from sim.config.schema import Config
from sim.config.staffing_policy import STAFFING_POLICIES as POLICY_NAMES
from sim.model.compile import compile_config
from sim.planning.budget import within_budget
from sim.planning.groups import front_requirements
from sim.planning.optimize import optimize_agents
from sim.planning.plan import StaffingPlan, apply_plan, fold_week, group_plans_of, simulated
from sim.planning.requirement import Requirement
from sim.planning.shifts import WEEKDAYS, Schedule, check_coverage
from sim.policies.registry import Registry

Line = Callable[[str], None]
Policy = Callable[[Config, bool, Line], StaffingPlan]
#: The staffing policies by name.
STAFFING_POLICIES: Registry[Policy] = Registry("staffing policy", "staffing.policy")
_CACHE: "OrderedDict[str, List[Requirement]]" = OrderedDict()


def _requirements(cfg: Config, agents: bool) -> List[Requirement]:
    """:func:`sim.planning.groups.front_requirements`, remembered for the last few configurations
    (the check before a run and the run itself compute the same ones)."""
    key = f"{agents}:{cfg!r}"
    if key not in _CACHE:
        _CACHE[key] = front_requirements(cfg, compile_config(cfg), agents=agents)
        while len(_CACHE) > 4:
            _CACHE.popitem(last=False)
    return _CACHE[key]


def _notes(cfg: Config, reqs: Sequence[Requirement]) -> Dict[str, Any]:
    s = cfg.staffing
    targets = {k: getattr(s.target, k) for k in ("service_level", "abandon_rate", "asa_s", "online_on_time_rate",
                                                   "max_occupancy") if getattr(s.target, k) is not None}
    req = reqs[0]
    n_h = simulated(cfg, req)
    per_day = int(round(86400.0 / req.interval_s))
    days = sorted({int((req.start_weekday + k // per_day) % 7) for k in range(n_h)})
    return {"policy": s.policy, "offered_load": s.offered_load, "targets": targets, "currency": s.currency,
            "simulated_weekdays": [WEEKDAYS[d] for d in days], **req.notes}


@STAFFING_POLICIES.register("plan")
def plan_as_given(cfg: Config, progress: bool, line: Line) -> StaffingPlan:
    """Run the scenario's own plan (``staffing.operators``, ``half_hourly`` or ``shifts``; or each group's) as it is.

    Rule: nothing is proposed; the offered load of every interval (by ``staffing.offered_load``) is
    still computed, for ``staffing.csv``.
    """
    reqs = _requirements(cfg, agents=False)
    return StaffingPlan("plan", cfg, group_plans_of(reqs, [None] * len(reqs), [None] * len(reqs)),
                        _notes(cfg, reqs))


def _shift_notes(schedule: Schedule, interval_s: float) -> Dict[str, Any]:
    h = interval_s / 3600.0
    over_h = float(schedule.over.sum() * h)
    return {"entries": len(schedule.shifts), "cost_per_week": schedule.cost,
            "operator_hours_per_week": float(schedule.covered.sum() * h),
            "paid_hours_per_week": schedule.paid_h,
            "over_coverage_operator_hours_per_week": over_h,
            "over_coverage_cost_per_week": over_h * schedule.cost_per_paid_h,
            "under_coverage_operator_hours_per_week": float(schedule.under.sum() * h),
            "solver": schedule.status, "optimality_gap": schedule.gap}


def _proposed(cfg: Config, reqs: Sequence[Requirement], agents: Sequence[np.ndarray], notes: Dict[str, Any]
              ) -> StaffingPlan:
    required = [req.rostered(a) for req, a in zip(reqs, agents)]
    run_cfg, schedules = apply_plan(cfg, reqs, required)
    groups = group_plans_of(reqs, required, schedules)
    n_h = simulated(cfg, reqs[0])
    h = reqs[0].interval_s / 3600.0
    per_group: Dict[str, Any] = {}
    for gp in groups:
        assert gp.required is not None
        entry: Dict[str, Any] = {"targets": gp.requirement.all_targets,
                                 "required_operator_hours": float(np.sum(gp.required[:n_h])) * h}
        if gp.schedule is not None and gp.roster is not None:
            entry["shifts"] = _shift_notes(gp.schedule, gp.requirement.interval_s)
            entry["roster"] = {"positions": len(gp.roster.positions), "max_days_per_week": gp.roster.max_days,
                               "entries": gp.roster.entries()}
        per_group[gp.name] = entry
    notes = {**notes, "schedule": cfg.staffing.schedule,
             "required_operator_hours": float(sum(e["required_operator_hours"] for e in per_group.values())),
             "groups": per_group}
    if all(gp.schedule is not None for gp in groups):
        total = {k: float(sum(e["shifts"][k] for e in per_group.values()))
                 for k in ("entries", "cost_per_week", "operator_hours_per_week", "paid_hours_per_week",
                           "over_coverage_operator_hours_per_week", "over_coverage_cost_per_week",
                           "under_coverage_operator_hours_per_week")}
        total["entries"] = int(total["entries"])
        first = next(iter(per_group.values()))["shifts"]
        notes["shifts"] = {**total, "solver": first["solver"],
                           "optimality_gap": max(e["shifts"]["optimality_gap"] for e in per_group.values())}
    return StaffingPlan(cfg.staffing.policy, run_cfg, groups, notes)


@STAFFING_POLICIES.register("erlang")
def erlang(cfg: Config, progress: bool, line: Line) -> StaffingPlan:
    """Per reporting interval, the fewest operators meeting every target for the interval's offered load.

    Rule: exact Erlang A (Palm 1943; Garnett, Mandelbaum & Reiman 2002, "Designing a call center
    with impatient customers", M&SOM 4) for the load of ``staffing.offered_load`` - ``sipp``, ``lagged``
    (Green, Kolesar & Soares 2001, "Improving the SIPP approach for staffing service systems that
    have cyclic demands", Operations Research 49) or ``modified`` (Jennings, Mandelbaum, Massey & Whitt
    1996) - plus the online and return-visit loads, raised by the online and occupancy rules, divided
    by ``1 - shrinkage`` and rounded up (:mod:`sim.planning.requirement`, :mod:`sim.planning.erlang_rules`,
    with the approximations they document); per operator group from its own load and the calls that
    overflow to it (:mod:`sim.planning.groups`).
    """
    reqs = _requirements(cfg, agents=True)
    return _proposed(cfg, reqs, [r.agents for r in reqs if r.agents is not None], _notes(cfg, reqs))


@STAFFING_POLICIES.register("optimize")
def optimize(cfg: Config, progress: bool, line: Line) -> StaffingPlan:
    """The ``erlang`` requirement corrected by simulation until every interval meets every target.

    Rule: an iterative staffing algorithm after Feldman, Mandelbaum, Massey & Whitt (2008), with
    common random numbers, a margin for the noise of fresh seeds, removal of slack, and the fewest
    agents per interval at its fixed point; with operator groups, the vector of the groups' agents
    (:mod:`sim.planning.optimize`); within a budget, the plan meeting the targets in the most
    intervals (:mod:`sim.planning.budget`); confirmed by the run itself on fresh seeds.
    """
    reqs = _requirements(cfg, agents=True)
    agents, opt = optimize_agents(cfg, reqs, progress, line)
    notes = _notes(cfg, reqs)
    n_h = simulated(cfg, reqs[0])
    h = reqs[0].interval_s / 3600.0
    opt["erlang_operator_hours"] = float(sum(np.sum(r.required[:n_h]) for r in reqs)) * h
    notes["optimize"] = opt
    if cfg.staffing.budget_h is not None or cfg.staffing.budget_cost is not None:
        agents, notes["budget"] = within_budget(cfg, reqs, agents, line, int(opt["replications_per_iteration"]))
    return _proposed(cfg, reqs, list(agents), notes)


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
    for req in _requirements(cfg, agents=True):
        if cfg.staffing.schedule == "shifts":
            check_coverage(fold_week(req, req.required, simulated(cfg, req)), cfg.staffing.patterns, req.interval_s)


assert set(STAFFING_POLICIES.names()) == set(POLICY_NAMES), "the registry and the configuration's list differ"
