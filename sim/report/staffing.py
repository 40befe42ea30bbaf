"""The staffing outputs of a run: ``staffing.csv``, and for a shift schedule ``shifts.yaml`` and ``schedule.csv``.

Written from the :class:`~sim.planning.plan.StaffingPlan` the run simulated and the run's records
(never simulating):

* ``staffing.csv`` - one row per reporting interval of the horizon: ``interval``, ``start_h``,
  ``time_of_day``, ``offered_load`` (Erlang: calls by ``staffing.offered_load``, online items and
  operators' return visits), ``required`` (rostered operators the policy requires; empty for
  ``staffing.policy=plan``), ``scheduled`` (rostered operators of the plan run), ``mean_on_duty``
  (operators on duty, time-average over the replications: after shrinkage, with the overtime of
  finishing a contact) and ``service_level`` (the interval's call attempts answered within the
  threshold over its attempts, pooled over the replications) and ``scale`` (the run's: every count
  of the file holds at it); ``required`` and ``scheduled`` both count rostered operators, before shrinkage;
* ``shifts.yaml`` - the scheduled shifts, ready to paste into a scenario; found at a scale other
  than 1 its header says first, in capitals, that the counts hold at that scale only
  (:func:`scale_warning`);
* ``schedule.csv`` - one row per interval of the week (Monday first): the requirement the shifts
  cover, the operators they schedule, and the over- and under-coverage.

A dated scenario (``dated.file``) adds the dates: a ``date`` column in ``staffing.csv`` and
``schedule.csv`` (the date of each weekday in the run's first seven days), and the dates each shift
works in ``shifts.yaml``.

:func:`staffing_summary` is ``summary.json`` -> ``staffing``: the policy's notes and the share of
intervals meeting each target in this run (for ``optimize``, on seeds the optimisation never saw).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Union

import numpy as np

from sim.analysis.staffing_kpis import meeting_shares, pooled_intervals, target_values
from sim.core.calendar import DAY_S
from sim.experiments.runner import ExperimentResult
from sim.model.derive import start_date
from sim.planning.plan import StaffingPlan
from sim.planning.shifts import WEEKDAYS, shifts_yaml

Table = tuple[List[str], List[List[Any]]]
STAFFING_COLUMNS = ("interval", "start_h", "time_of_day", "offered_load", "required", "scheduled", "mean_on_duty",
                    "service_level", "scale")


def _clock(t_s: float) -> str:
    s = int(round(t_s % DAY_S))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def staffing_rows(exp: ExperimentResult, plan: StaffingPlan) -> Table:
    """Header and rows of ``staffing.csv``."""
    pooled = pooled_intervals(exp.replications)
    interval_s = exp.replications[0].interval_s
    n = len(pooled["attempts"])
    load = plan.requirement.offered_load
    rows: List[List[Any]] = []
    first = start_date(exp.cfg)
    for k in range(n):
        required = float(plan.required[k]) if plan.required is not None else None
        date = [(first + dt.timedelta(days=int(k * interval_s // DAY_S))).isoformat()] if first else []
        rows.append([k, k * interval_s / 3600.0, *date, _clock(k * interval_s), float(load[k]), required,
                     float(pooled["rostered"][k]), float(pooled["mean_on_duty"][k]), float(pooled["service_level"][k]),
                     exp.cfg.scale])
    header = list(STAFFING_COLUMNS)
    return (header[:2] + ["date"] + header[2:] if first else header), rows


def week_dates(cfg: Any) -> Optional[List[dt.date]]:
    """For a dated scenario, the date of each weekday (Monday first) in the run's first seven days; else None."""
    first = start_date(cfg)
    if first is None:
        return None
    return [first + dt.timedelta(days=(w - first.weekday()) % 7) for w in range(7)]


def schedule_rows(plan: StaffingPlan) -> Table:
    """Header and rows of ``schedule.csv`` (the week's intervals, operators at the run's scale)."""
    s = plan.schedule
    assert s is not None
    scale = plan.cfg.scale
    dates = week_dates(plan.cfg)
    rows = [[i, WEEKDAYS[int(i * s.slot_s // DAY_S)],
             *([dates[int(i * s.slot_s // DAY_S)].isoformat()] if dates else []), _clock(i * s.slot_s),
             float(s.required[i]), float(s.covered[i]), float(s.over[i]), float(s.under[i]), scale]
            for i in range(len(s.required))]
    return ["slot", "weekday", *(["date"] if dates else []), "time_of_day", "required", "scheduled", "over", "under",
            "scale"], rows


def staffing_summary(exp: ExperimentResult, plan: StaffingPlan) -> Dict[str, Any]:
    """``summary.json`` -> ``staffing``: the policy's notes and the shares of intervals meeting each target."""
    shares = meeting_shares(exp.replications, target_values(exp.cfg.staffing.target))
    return {**plan.notes, "intervals_meeting": shares}


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


def staffing_files(exp: ExperimentResult, plan: StaffingPlan) -> Dict[str, Union[str, Table]]:
    """The staffing files of a run: name -> CSV table (header, rows) or text (``shifts.yaml``)."""
    files: Dict[str, Union[str, Table]] = {"staffing.csv": staffing_rows(exp, plan)}
    if plan.schedule is not None:
        cfg = exp.cfg
        s = plan.schedule
        header = (scale_warning(cfg.scale, cfg.staffing.policy, s.covered.sum() * s.slot_s / 3600.0)
                  + f"Shifts proposed by staffing.policy={cfg.staffing.policy} staffing.schedule=shifts for scenario "
                  f"{cfg.scenario} (scale {cfg.scale:g}; counts before scale).\n"
                  f"Targets: {plan.notes.get('targets')}; a week of these shifts costs {s.cost / cfg.scale:,.6g} "
                  f"(staffing.cost_per_h units; within {s.gap:.2%} of the optimum; {s.cost:,.6g} at the run's scale), "
                  f"{float(np.sum(s.over)) * s.slot_s / 3600.0 / cfg.scale:,.6g} operator-hours over the "
                  f"requirement.\n"
                  f"To use it, replace a scenario's staffing section with this one.")
        dates = week_dates(cfg)
        if dates is not None:
            first, days = min(dates), int(np.ceil(cfg.experiment.horizon_h / 24 - 1e-9))
            header += (f"\nDates: the run starts on {first:%A} {first}; a shift's days (0 = Monday) are the dates "
                       f"in the comment after it" + (f" (the first week's; the {days} days of the run take the same "
                                                      f"shifts each week)" if days > 7 else "") + ".")
        files["shifts.yaml"] = shifts_yaml(s, cfg.staffing.shrinkage, header, dates)
        files["schedule.csv"] = schedule_rows(plan)
    return files
