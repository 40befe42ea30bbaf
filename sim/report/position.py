"""The staffing position of a run: how far its plan is from the ``erlang`` requirement for its own targets.

Every run with a front-line plan shows it first (the page, the terminal): the operator-hours
scheduled against the ``erlang`` requirement (:func:`sim.planning.requirement.requirement`: exact
Erlang A per interval for ``staffing.target`` and ``staffing.offered_load``; under a second for a
week of half-hours), the gap in hours and percent by day and by interval of the week, the cost at
``staffing.cost_per_h``, and the intervals that miss each target of ``staffing.target``.  A run of
``erlang`` or ``optimize`` compares with the erlang requirement its policy computed (for ``optimize``
the plan it corrected); a run of the scenario's plan computes it here (no simulation).

:func:`position` is ``summary.json`` -> ``staffing_position``; :func:`position_files` the tables
``staffing_gap.csv`` (one row per interval of the window) and ``failing_intervals.csv`` (one row
per interval and target missed); :func:`position_lines` the terminal's lines.  The requirement is
for the front line as one group (``groups`` holds one entry); with ``routing.groups`` there is no
requirement to compare with, and the position says why.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from sim.analysis.staffing_gap import by_day, by_week_slot, clock, failing_intervals, gap_table, totals
from sim.analysis.staffing_kpis import pooled_intervals, target_values
from sim.core.errors import ConfigError
from sim.experiments.runner import ExperimentResult

Table = tuple[List[str], List[List[Any]]]
#: The group name of a requirement for the whole front line.
FRONT_LINE = "front line"
#: Failing intervals the page lists at most, those furthest from their target (all: failing_intervals.csv).
SHOWN_FAILING = 20


def erlang_required(exp: ExperimentResult, plan: Any) -> tuple[Optional[np.ndarray], str]:
    """Rostered operators the ``erlang`` policy requires per interval of the run (or None), and why not."""
    cfg = exp.cfg
    if cfg.routing.groups:
        return None, ("the run has operator groups (routing.groups): the erlang requirement is for one front "
                      "line, so there is none to compare with")
    if "rostered_operators" not in exp.replications[0].intervals:
        return None, "the run recorded no rostered operators"
    req = getattr(plan, "requirement", None)
    if req is None or req.calls_agents is None:
        from sim.planning.requirement import requirement

        try:
            req = requirement(cfg, agents=True, upto=len(exp.replications[0].intervals["rostered_operators"]))
        except ConfigError as exc:
            return None, f"the erlang requirement cannot be computed: {exc}"
    return np.asarray(req.required, dtype=float), ""


def position(exp: ExperimentResult, plan: Any) -> Dict[str, Any]:
    """``summary.json`` -> ``staffing_position`` (module docstring); ``{"why": ...}`` when there is none."""
    required, why = erlang_required(exp, plan)
    if required is None:
        return {"why": why}
    cfg = exp.cfg
    res0 = exp.replications[0]
    iv, interval_s, w = res0.intervals, res0.interval_s, res0.warmup_intervals
    table = gap_table(np.asarray(iv["rostered_operators"], dtype=float), required, w)
    sched_cost = float(np.sum(np.asarray(iv["staffing_cost_per_h"])[w:]) * interval_s / 3600.0)
    targets = target_values(cfg.staffing.target)
    failing = failing_intervals(pooled_intervals(exp.replications), targets, table, interval_s,
                                cfg.experiment.start_weekday)
    counted = {name: sum(1 for f in failing if f["kpi"] == name) for name in targets}
    return {"reference": "erlang", "policy": cfg.staffing.policy, "offered_load": cfg.staffing.offered_load,
            "targets": targets, "cost_per_h": float(cfg.staffing.cost_per_h), "interval_h": interval_s / 3600.0,
            "groups": [{"group": FRONT_LINE, **totals(table, interval_s, sched_cost, float(cfg.staffing.cost_per_h))}],
            "by_day": by_day(table, interval_s, cfg.experiment.start_weekday),
            "failing": {"intervals": len({f["interval"] for f in failing}), "by_target": counted,
                        "first": worst(failing, SHOWN_FAILING)},
            "_table": table, "_failing": failing}


def worst(failing: Sequence[Mapping[str, Any]], n: int) -> List[Mapping[str, Any]]:
    """The ``n`` failing intervals furthest from their target (relative to the target), in time order."""
    def miss(f: Mapping[str, Any]) -> float:
        return (f["value"] - f["target"] if f["at_most"] else f["target"] - f["value"]) / f["target"]

    picked = sorted(failing, key=miss, reverse=True)[:n]
    return sorted(picked, key=lambda f: (f["interval"], f["kpi"]))


def public(pos: Mapping[str, Any]) -> Dict[str, Any]:
    """The position without its arrays (what ``summary.json`` holds)."""
    return {k: v for k, v in pos.items() if not k.startswith("_")}


def position_files(pos: Mapping[str, Any], interval_s: float, start_weekday: int) -> Dict[str, Table]:
    """``staffing_gap.csv`` and ``failing_intervals.csv`` of a position (none without one)."""
    if "_table" not in pos:
        return {}
    t = pos["_table"]
    gap_rows = []
    for i, k in enumerate(t["interval"]):
        day = int(k * interval_s // 86400.0)
        gap_rows.append([int(k), day, _weekday(day, start_weekday), clock(k * interval_s),
                         float(t["scheduled"][i]), float(t["required"][i]), float(t["gap"][i])])
    week = by_week_slot(t, interval_s, start_weekday)
    per_week = len(week["weeks"])
    week_rows = [[_weekday(i * 7 // per_week, 0), clock(i * interval_s), week["scheduled"][i], week["required"][i],
                  week["gap"][i], int(week["weeks"][i])] for i in range(per_week) if week["weeks"][i] > 0]
    fail_rows = [[f["interval"], f["day"], f["weekday"], f["time"], f["kpi"], f["value"], f["target"],
                  f["scheduled"], f["required"]] for f in pos["_failing"]]
    return {"staffing_gap.csv": (["interval", "day", "weekday", "time_of_day", "scheduled_operators",
                                  "required_operators", "gap_operators"], gap_rows),
            "staffing_gap_week.csv": (["weekday", "time_of_day", "scheduled_operators", "required_operators",
                                       "gap_operators", "weeks"], week_rows),
            "failing_intervals.csv": (["interval", "day", "weekday", "time_of_day", "kpi", "value", "target",
                                       "scheduled_operators", "required_operators"], fail_rows)}


def _weekday(day: int, start_weekday: int) -> str:
    from sim.analysis.staffing_gap import WEEKDAYS

    return WEEKDAYS[(start_weekday + day) % 7]


def metric_text(name: str, value: float) -> str:
    """A target's metric as text (a share in percent, a wait in seconds)."""
    return f"{value:.1f} s" if name == "asa_s" else f"{100 * value:.1f}%"


def position_lines(pos: Optional[Mapping[str, Any]], currency: str) -> List[str]:
    """The terminal's staffing position: one line per group, then the failing intervals by target."""
    if not pos:
        return []
    if "why" in pos:
        return [f"Staffing position: none ({pos['why']})"]
    lines = [f"Staffing position against the erlang requirement (staffing.offered_load={pos['offered_load']}, "
             f"targets {', '.join(f'{k} {metric_text(k, v)}' for k, v in pos['targets'].items()) or 'none'}):"]
    for g in pos["groups"]:
        pct = "" if g["gap_pct"] is None else f" ({g['gap_pct']:+.1f}%)"
        lines.append(f"  {g['group']}: {g['scheduled_h']:,.0f} operator-hours scheduled, {g['required_h']:,.0f} "
                     f"required: gap {g['gap_h']:+,.0f} h{pct}, {g['gap_cost']:+,.0f} {currency} at "
                     f"{pos['cost_per_h']:g} {currency} an hour; short in {g['intervals_under']} intervals, over in "
                     f"{g['intervals_over']}")
    f = pos["failing"]
    by = ", ".join(f"{k} {n}" for k, n in f["by_target"].items())
    lines.append(f"  intervals missing a target: {f['intervals']} ({by}; listed in failing_intervals.csv)")
    return lines


def day_rows(pos: Mapping[str, Any]) -> List[Sequence[Any]]:
    """Rows of the by-day table: day, weekday, scheduled h, required h, gap h, gap %."""
    return [[d["day"], d["weekday"], d["scheduled_h"], d["required_h"], d["gap_h"], d["gap_pct"]]
            for d in pos.get("by_day") or []]
