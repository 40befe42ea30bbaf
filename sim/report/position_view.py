"""The staffing position as the run's page shows it, first: totals per group, the gap by day, a figure of
the gap by interval of the week, and the intervals that miss a target.

Read from ``summary.json`` -> ``staffing_position`` (:mod:`sim.report.position`) and the run's
``staffing_gap_week.csv``; nothing is computed here but text and the figure.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import numpy as np

from sim.analysis.staffing_kpis import TARGET_METRICS
from sim.report.numbers import format_hours
from sim.report.pages import Figure, Section, Table
from sim.report.position import metric_text
from sim.report.text import format_cost

TARGET_LABELS = {"service_level": "service level", "abandon_rate": "abandon rate", "asa_s": "ASA",
                 "online_on_time_rate": "online on time", "max_occupancy": "occupancy"}
#: Targets that bound their metric from above.
AT_MOST = {k for k, (_, at_most) in TARGET_METRICS.items() if at_most}


def _num(x: Optional[float], unit: str = "", sign: bool = False) -> Dict[str, str]:
    if x is None:
        return {"text": "n/a", "cls": "num"}
    return {"text": f"{format_hours(x, sign)}{unit}", "cls": "num"}


def _pct(x: Optional[float]) -> Dict[str, str]:
    return {"text": "n/a" if x is None else f"{x:+.1f}%", "cls": "num"}


def _targets_text(targets: Mapping[str, float]) -> str:
    return ", ".join(f"{TARGET_LABELS.get(k, k)} {'≤' if k in AT_MOST else '≥'} {metric_text(k, v)}"
                     for k, v in targets.items()) or "none"


def totals_table(pos: Mapping[str, Any], currency: str) -> Table:
    """One row per group (and their total with groups): operator-hours scheduled and required, the gap in hours
    and percent, the costs."""
    rows = []
    grouped = "total" in pos
    for g in [*pos["groups"], *([pos["total"]] if grouped and len(pos["groups"]) > 1 else [])]:
        counts = (f"{g['intervals_under']} short, {g['intervals_over']} over" if "intervals_under" in g else "")
        each = g.get("scheduled_h_by_group") or {}
        name = g["group"] + (f" ({', '.join(f'{m} {format_hours(h)} h' for m, h in each.items())})" if each else "")
        rows.append([name if g.get("targets") is None else
                     {"text": name, "title": f"targets: {_targets_text(g['targets'])}"},
                     _num(g["scheduled_h"], " h"), _num(g["required_h"], " h"),
                     _num(g["gap_h"], " h", sign=True), _pct(g["gap_pct"]),
                     {"text": format_cost(g["scheduled_cost"], currency, exact=True), "cls": "num"},
                     {"text": format_cost(g["required_cost"], currency, exact=True), "cls": "num"},
                     {"text": format_cost(g["gap_cost"], currency, sign=True, exact=True), "cls": "num"},
                     {"text": counts, "cls": "num"}])
    load = f"offered load by staffing.offered_load={pos['offered_load']}"
    if grouped:
        own = "; ".join(f"{g['group']}: {_targets_text(g['targets'])}" for g in pos["groups"])
        pools = [g["group"] for g in pos["groups"] if g.get("members")]
        shared = (f" Groups that share calls ({'; '.join(pools)}) form one pool: which of them answers a call is "
                  f"decided in the run, not by the plan, so the pool's operators together are set against the "
                  f"requirement of its groups' own calls together, for the strictest of their targets - the least "
                  f"the pool needs (exact when one of its groups may take every call of the pool at once; a lower "
                  f"bound when a missing skill or routing.overflow_after_s restricts that)." if pools else "")
        required = (f"Required: the erlang policy for each group's own load and targets ({own}): exact Erlang A per "
                    f"interval for the calls whose route starts with it, {load}.{shared}")
    else:
        required = (f"Required: the erlang policy for this scenario's own targets (exact Erlang A per interval, "
                    f"{load}).")
    note = (f"Operator-hours rostered (before shrinkage: the hours paid) over the measurement window. {required} "
            f"Priced at staffing.cost_per_h = {pos['cost_per_h']:g} {currency}/h; scheduled at the plan's own cost "
            f"per hour. A positive gap is over the requirement.")
    return Table("Operator-hours scheduled against the erlang requirement",
                 ["group", "scheduled", "required (erlang)", "gap", "gap %", "cost scheduled", "cost required",
                  "cost of the gap", "intervals"], rows, note)


#: Rows of the gap by day shown at once; a longer table (a long run) is folded, its rows shown on request.
FOLD_ROWS = 14


def day_table(pos: Mapping[str, Any]) -> Table:
    """Operator-hours scheduled and required per day of the run (per group with groups), and the gap."""
    grouped = "total" in pos
    dated = any("date" in d for d in pos["by_day"])  # a dated run: each day's date beside its number
    rows = [[f"day {d['day']}", *([d["date"]] if dated else []), d["weekday"], *([d["group"]] if grouped else []),
             _num(d["scheduled_h"], " h"), _num(d["required_h"], " h"), _num(d["gap_h"], " h", sign=True),
             _pct(d["gap_pct"])]
            for d in sorted(pos["by_day"], key=lambda d: d["day"])]
    return Table("The gap by day", ["day", *(["date"] if dated else []), "weekday", *(["group"] if grouped else []),
                                    "scheduled", "required (erlang)", "gap", "gap %"], rows,
                 "Days counted from the run's start (day 0), over the measurement window. Per interval: "
                 "staffing_gap.csv; per interval of the week: staffing_gap_week.csv.", folded=len(rows) > FOLD_ROWS)


def failing_table(pos: Mapping[str, Any]) -> Table:
    """The intervals that miss a target (the first ones; all of them in failing_intervals.csv)."""
    f = pos["failing"]
    grouped = "total" in pos
    rows = []
    for r in f["first"]:
        bound = ("≤ " if r["at_most"] else "≥ ") + metric_text(r["kpi"], r["target"])
        day = f"{r['weekday']} {r['date']}" if "date" in r else f"day {r['day']} {r['weekday']}"  # dated: the date
        when = f"{day} {r['time']}"
        rows.append([when, *([r["group"]] if grouped else []),
                     TARGET_LABELS.get(r["kpi"], r["kpi"]),
                     {"text": metric_text(r["kpi"], r["value"]), "cls": "num missed"}, {"text": bound, "cls": "num"},
                     {"text": f"{r['scheduled']:,.1f}", "cls": "num"}, {"text": f"{r['required']:,.1f}", "cls": "num"}])
    by = ", ".join(f"{TARGET_LABELS.get(k, k)}: {n}" for k, n in f["by_target"].items())
    shown = len(f["first"])
    total = f.get("rows", sum(f["by_target"].values()))
    shared = " (shared among the groups, the furthest of each in turn)" if grouped else ""
    more = (f" The {shown} of {total} misses furthest from their target{shared} are shown, in time order; every one "
            "is in failing_intervals.csv." if total > shown else "")
    of = f" of the {f['with_calls']} with calls" if "with_calls" in f else " with calls"
    if grouped:
        per = ", ".join(f"{g}: {n}" for g, n in f["by_group"].items())
        note = (f"{f['intervals']} intervals{of} miss a target of an operator group (intervals missing each target: "
                f"{by or 'no target set'}; intervals in which each group misses one: {per}; an interval counts once "
                f"however many targets and groups miss in it): a group's metric counts the calls whose route "
                f"starts with it, pooled over the replications, against its own targets; the operators are its "
                f"position's (its pool's when it shares calls), rostered, at the run's scale.{more}")
    else:
        note = (f"{f['intervals']} intervals{of} miss a target of staffing.target (intervals missing each target: "
                f"{by or 'no target set'}), each metric pooled over the replications. Operators are rostered, at "
                f"the run's scale.{more}")
    return Table("Intervals that miss a target", ["interval", *(["group"] if grouped else []), "target", "measured",
                                                   "target value", "operators scheduled", "operators required"],
                 rows, note)


def read_week(out_dir: Optional[Path]) -> Optional[Dict[str, Dict[str, np.ndarray]]]:
    """``staffing_gap_week.csv`` as arrays per group (the front line's under ``""`` without a ``group`` column;
    None without the file)."""
    path = None if out_dir is None else out_dir / "staffing_gap_week.csv"
    if path is None or not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as fh:
        rows: List[Dict[str, str]] = list(csv.DictReader(fh))
    if not rows:
        return None
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    out: Dict[str, Dict[str, np.ndarray]] = {}
    for name in dict.fromkeys(r.get("group", "") for r in rows):
        own = [r for r in rows if r.get("group", "") == name]
        slot_h = np.array([days.index(r["weekday"]) * 24 + int(r["time_of_day"][:2]) + int(r["time_of_day"][3:]) / 60
                           for r in own])
        out[name] = {"week_h": slot_h, **{c: np.array([float(r[c]) for r in own])
                                          for c in ("scheduled_operators", "required_operators", "gap_operators")}}
    return out


def week_figure(out_dir: Optional[Path], step_h: float) -> Optional[Figure]:
    """Operators scheduled and required by interval of the week, with the gap shaded: a panel per operator
    group (None without the file)."""
    from sim.report.figures.common import height, layout, legend_beside, png, step_line, subplots, time_axis
    from sim.report.palette import SERIES

    data = read_week(out_dir)
    if data is None:
        return None
    n = len(data)
    fig, axes = subplots(n, height(n, 2.4, "beside"))
    layout(fig, n, 1, "beside")
    for row, (name, d) in enumerate(data.items()):
        ax = axes[row][0]
        x = d["week_h"]
        s, r = d["scheduled_operators"], d["required_operators"]
        edges = np.append(x, x[-1] + step_h)
        se, re_ = np.append(s, s[-1]), np.append(r, r[-1])
        ax.fill_between(edges, se, re_, step="post", where=se < re_, color=SERIES["target"], alpha=0.25, lw=0,
                        label="short of the requirement")
        ax.fill_between(edges, se, re_, step="post", where=se > re_, color=SERIES["reference"], alpha=0.2, lw=0,
                        label="over the requirement")
        step_line(ax, x, s, SERIES["reference"], "scheduled (rostered)", lw=1.4)
        step_line(ax, x, r, SERIES["target"], "required by erlang (rostered)", lw=1.4)
        ax.set_ylabel("operators")
        ax.set_ylim(bottom=0)
        title = "Operators scheduled and required, by interval of the week"
        ax.set_title(f"{name}: {title[0].lower()}{title[1:]}" if name else title, loc="left", fontsize=9)
        time_axis(ax, float(x[0]), float(edges[-1]), 0)
        if row == 0:
            legend_beside(ax)
    per_group = (" One panel per operator group, each against the requirement of its own load and targets (groups "
                 "that share calls: one panel for their pool)."
                 if n > 1 or next(iter(data)) else "")
    caption = ("Rostered operators of the run's plan against the erlang requirement for the scenario's targets, "
               "per interval of the week (Monday 00:00 first; a run longer than a week shows each interval's "
               f"average over its weeks). Shaded red: short of the requirement; grey: over it.{per_group} "
               "The numbers are in staffing_gap_week.csv.")
    return Figure("staffing_position", "Staffing position by interval of the week", caption, png(fig))


def position_section(pos: Optional[Mapping[str, Any]], currency: str, out_dir: Optional[Path], step_h: float,
                     plots: bool) -> Optional[Section]:
    """The section the page opens with (None without a position)."""
    if not pos:
        return None
    if "why" in pos:
        return Section("position", "Staffing position", intro=f"No staffing position: {pos['why']}.")
    figures = [f for f in [week_figure(out_dir, step_h) if plots else None] if f is not None]
    per_group = (" Per operator group: each group's plan against what its own load and targets require; groups "
                 "that share calls together, as one pool."
                 if "total" in pos else "")
    return Section("position", "Staffing position", intro=(
        "How far the plan is from what the scenario's own targets require, what that costs, and which "
        f"intervals miss a target.{per_group}"), figures=figures,
        tables=[totals_table(pos, currency), day_table(pos), failing_table(pos)])
