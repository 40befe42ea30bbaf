"""The staffing outputs of a run: ``staffing.csv``, and with shifts ``shifts.yaml``, ``schedule.csv``, ``roster.csv``.

Written from the :class:`~sim.planning.plan.StaffingPlan` the run simulated and the run's records
(never simulating); with operator groups (``routing.groups``) every file has each group's rows:

* ``staffing.csv`` - one row per reporting interval of the horizon and operator group
  (``operators`` without groups): ``interval``, ``start_h``, ``time_of_day``, ``group``,
  ``offered_load`` (Erlang: the group's calls by ``staffing.offered_load``, online items and
  operators' return visits), ``required`` (rostered operators the policy requires; empty for
  ``staffing.policy=plan``), ``scheduled`` (rostered operators of the plan run), ``mean_on_duty``
  (operators on duty, time-average over the replications: after shrinkage, with the overtime of
  finishing a contact), ``service_level`` (the group's call attempts - by their first group -
  answered within the threshold over its attempts, pooled over the replications), ``occupancy``
  (the group's busy over on-duty operator-seconds, pooled), ``online_on_time_rate`` (the front
  line's, pooled) and ``scale`` (the run's: every count of the file holds at it);
* ``shifts.yaml`` - the scheduled shifts, ready to paste into a scenario (a ``staffing:`` section,
  or with groups each group's ``shifts`` under ``routing.groups``); found at a scale other than 1
  its header says first, in capitals, that the counts hold at that scale only (:func:`scale_warning`);
* ``schedule.csv`` - one row per interval of the week (Monday first) and group: the requirement the
  shifts cover, the operators they schedule, the over- and under-coverage and the over-coverage's
  cost (at the schedule's mean cost of a paid hour);
* ``roster.csv`` - one row per position a supervisor fills (:mod:`sim.planning.roster`): its group,
  number, pattern, days worked and off, hours and meal break, paid hours and cost a week.

A dated scenario (``dated.file``) adds the dates: a ``date`` column in ``staffing.csv`` and
``schedule.csv`` (the date of each weekday in the run's first seven days), and the dates each shift
works in ``shifts.yaml``.

:func:`staffing_summary` is ``summary.json`` -> ``staffing``: the policy's notes (per group), and the
confirmation - the share of intervals meeting each target in this run, on its own replications (for
``optimize``, seeds the optimisation never saw).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Union

import numpy as np

from sim.analysis.staffing_kpis import meeting, plan_targets, pooled_group
from sim.config.schema import group_plans
from sim.core.calendar import DAY_S
from sim.experiments.runner import ExperimentResult
from sim.model.derive import start_date
from sim.model.staffing import rostered_and_cost
from sim.planning.plan import StaffingPlan
from sim.planning.shifts import WEEKDAYS, shifts_yaml

Table = tuple[List[str], List[List[Any]]]
STAFFING_COLUMNS = ("interval", "start_h", "time_of_day", "group", "offered_load", "required", "scheduled",
                    "mean_on_duty", "service_level", "occupancy", "online_on_time_rate", "scale")
ROSTER_COLUMNS = ("group", "position", "pattern", "days", "days_off", "start", "end", "meal_break",
                  "paid_h_per_week", "cost_per_week", "scale")


def _clock(t_s: float) -> str:
    s = int(round(t_s % DAY_S))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def _num(x: float) -> Any:
    return None if x is None or np.isnan(x) else float(x)


def staffing_rows(exp: ExperimentResult, plan: StaffingPlan) -> Table:
    """Header and rows of ``staffing.csv``."""
    cfg = exp.cfg
    interval_s = exp.replications[0].interval_s
    n = len(exp.replications[0].intervals["calls_offered"])
    plans = list(group_plans(cfg).values())
    rows: List[List[Any]] = []
    per_group = []
    for g, gp in enumerate(plan.groups):
        pooled = pooled_group(exp.replications, g)
        if "rostered" in pooled and not cfg.routing.groups:  # the run's own (a dated staffing file's included)
            rostered = pooled["rostered"]
        else:
            rostered, _ = rostered_and_cost(plans[g], cfg.scale, n * interval_s, cfg.experiment.start_weekday,
                                            interval_s, cfg.staffing.cost_per_h)
        per_group.append((gp, pooled, rostered))
    first = start_date(cfg)
    for k in range(n):
        date = [(first + dt.timedelta(days=int(k * interval_s // DAY_S))).isoformat()] if first else []
        for gp, pooled, rostered in per_group:
            required = float(gp.required[k]) if gp.required is not None else None
            rows.append([k, k * interval_s / 3600.0, *date, _clock(k * interval_s), gp.name,
                         float(gp.requirement.offered_load[k]), required, float(rostered[k]),
                         float(pooled["mean_on_duty"][k]), _num(pooled["service_level"][k]),
                         _num(pooled["occupancy"][k]), _num(pooled["online_on_time_rate"][k]), cfg.scale])
    header = list(STAFFING_COLUMNS)
    return (header[:2] + ["date"] + header[2:] if first else header), rows


def week_dates(cfg: Any) -> Optional[List[dt.date]]:
    """For a dated scenario, the date of each weekday (Monday first) in the run's first seven days; else None."""
    first = start_date(cfg)
    if first is None:
        return None
    return [first + dt.timedelta(days=(w - first.weekday()) % 7) for w in range(7)]


def schedule_rows(plan: StaffingPlan) -> Table:
    """Header and rows of ``schedule.csv`` (the week's intervals per group, operators at the run's scale)."""
    scale = plan.cfg.scale
    dates = week_dates(plan.cfg)
    rows = []
    for gp in plan.groups:
        s = gp.schedule
        assert s is not None
        per_h = s.cost_per_paid_h
        h = s.slot_s / 3600.0
        rows += [[gp.name, i, WEEKDAYS[int(i * s.slot_s // DAY_S)],
                  *([dates[int(i * s.slot_s // DAY_S)].isoformat()] if dates else []), _clock(i * s.slot_s),
                  float(s.required[i]), float(s.covered[i]), float(s.over[i]), float(s.under[i]),
                  float(s.over[i]) * h * per_h, scale]
                 for i in range(len(s.required))]
    return ["group", "slot", "weekday", *(["date"] if dates else []), "time_of_day", "required", "scheduled", "over",
            "under", "over_cost", "scale"], rows


def roster_rows(plan: StaffingPlan) -> Table:
    """Header and rows of ``roster.csv``: every position of every group."""
    rows = []
    for gp in plan.groups:
        assert gp.roster is not None
        for p in gp.roster.positions:
            d = p.describe()
            rows.append([gp.name, p.number, d["pattern"], " ".join(d["days"]), " ".join(d["days_off"]), d["start"],
                         d["end"], d["meal_break"] or "", d["paid_h_per_week"], d["cost_per_week"], plan.cfg.scale])
    return list(ROSTER_COLUMNS), rows


def confirmation(exp: ExperimentResult, plan: StaffingPlan) -> Dict[str, Any]:
    """The share of intervals meeting each target on this run's replications, overall and per group.

    ``fresh`` says whether the policy never saw these seeds (``optimize`` simulates replications
    1,000,000 and up; ``erlang`` simulates nothing), ``goal`` is ``staffing.optimize.intervals_share``
    for ``optimize`` and ``goal_met`` whether every target together reached it.
    """
    cfg = exp.cfg
    shares = meeting(exp.replications, plan_targets(cfg))
    numbers = [r.replication for r in exp.replications]
    out: Dict[str, Any] = {"seed": cfg.experiment.seed, "replications": len(numbers),
                           "replication_numbers": f"{min(numbers)}-{max(numbers)}" if numbers else "",
                           "fresh": plan.policy != "plan",
                           "intervals_meeting": {k: v for k, v in shares.items() if k != "groups"},
                           "groups": shares["groups"]}
    if plan.policy == "optimize":
        goal = float(cfg.staffing.optimize.intervals_share)
        out["goal"] = goal
        out["goal_met"] = shares["all"] is not None and shares["all"] >= goal - 1e-12
    return out


def staffing_summary(exp: ExperimentResult, plan: StaffingPlan) -> Dict[str, Any]:
    """``summary.json`` -> ``staffing``: the policy's notes, the shares of intervals meeting each target (front
    line: ``intervals_meeting``) and the :func:`confirmation`."""
    conf = confirmation(exp, plan)
    out = {**plan.notes, "intervals_meeting": conf["intervals_meeting"], "confirmation": conf}
    groups = out.get("groups")
    if isinstance(groups, dict):
        out["groups"] = {g: {**v, "intervals_meeting": conf["groups"].get(g)} for g, v in groups.items()}
    return out


def scale_warning(scale: float, policy: str, hours_per_week: float) -> str:
    """The first lines of ``shifts.yaml`` found at a scale other than 1 (empty at scale 1): the counts hold at
    that scale only.  They are written before scale, so a scenario that pastes them reproduces the plan at
    ``scale``; run at scale 1 it rosters ``1 / scale`` times the plan, which is not the full-size centre's
    requirement: a smaller centre needs more operators per call for the same service (the economies of
    scale of Erlang's formulas, roughly ``R + beta * sqrt(R)`` operators for an offered load ``R``), so the
    operators found at scale 0.1, divided by 0.1, overstate what the full-size centre needs."""
    if scale == 1:
        return ""
    return (f"HOLDS AT scale={scale:g} ONLY: run the scenario you paste this into with scale={scale:g}.\n"
            f"At scale 1 these counts roster {1 / scale:g} x this plan ({hours_per_week / scale:,.0f} "
            f"operator-hours a week), more than the full-size centre needs:\n"
            f"a centre {scale:g} the size has fewer economies of scale, so the operators it needs, divided by "
            f"{scale:g}, are not the full-size requirement.\n"
            f"For a full-size plan, run staffing.policy={policy} staffing.schedule=shifts with scale=1.\n")


def _shifts_text(plan: StaffingPlan) -> str:
    cfg = plan.cfg
    scheds = [gp.schedule for gp in plan.groups if gp.schedule is not None]
    week_h = float(sum(s.covered.sum() * s.slot_s / 3600.0 for s in scheds))
    cost = float(sum(s.cost for s in scheds))
    over = float(sum(np.sum(s.over) * s.slot_s / 3600.0 for s in scheds))
    gap = max((s.gap for s in scheds), default=0.0)
    unit = cfg.staffing.currency or "staffing.cost_per_h units"
    header = (scale_warning(cfg.scale, cfg.staffing.policy, week_h)
              + f"Shifts proposed by staffing.policy={cfg.staffing.policy} staffing.schedule=shifts for scenario "
              f"{cfg.scenario} (scale {cfg.scale:g}; counts before scale).\n"
              f"Targets: {plan.notes.get('targets')}; a week of these shifts costs {cost / cfg.scale:,.6g} "
              f"({unit}; within {gap:.2%} of the optimum; {cost:,.6g} at the run's scale), "
              f"{over / cfg.scale:,.6g} operator-hours over the requirement.\n"
              f"They cover the simulated days only: {', '.join(plan.notes.get('simulated_weekdays', []))}.\n")
    dates = week_dates(cfg)
    if dates is not None:
        first, days = min(dates), int(np.ceil(cfg.experiment.horizon_h / 24 - 1e-9))
        header += (f"Dates: the run starts on {first:%A} {first}; a shift's days (0 = Monday) are the dates "
                   f"in the comment after it" + (f" (the first week's; the {days} days of the run take the same "
                                                  f"shifts each week)" if days > 7 else "") + ".\n")
    if not cfg.routing.groups:
        schedule = plan.schedule
        assert schedule is not None
        return shifts_yaml(schedule, cfg.staffing.shrinkage,
                           header + "To use it, replace a scenario's staffing section with this one.", dates)
    lines = []
    for gp in plan.groups:
        assert gp.schedule is not None
        body = shifts_yaml(gp.schedule, cfg.staffing.shrinkage, "", dates).splitlines()
        lines += [f"    {gp.name}:"] + [f"    {ln}" for ln in body[2:]]
    header += ("To use it, replace the plans of the scenario's routing.groups with these (staffing.shrinkage "
               f"{cfg.staffing.shrinkage:g} applies to every group).")
    return "\n".join([f"# {ln}" for ln in header.splitlines()] + ["routing:", "  groups:"] + lines) + "\n"


def staffing_files(exp: ExperimentResult, plan: StaffingPlan) -> Dict[str, Union[str, Table]]:
    """The staffing files of a run: name -> CSV table (header, rows) or text (``shifts.yaml``)."""
    files: Dict[str, Union[str, Table]] = {"staffing.csv": staffing_rows(exp, plan)}
    if all(gp.schedule is not None for gp in plan.groups):
        files["shifts.yaml"] = _shifts_text(plan)
        files["schedule.csv"] = schedule_rows(plan)
        files["roster.csv"] = roster_rows(plan)
    return files
