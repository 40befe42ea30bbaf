"""The staffing figure: operators required by a staffing policy against those scheduled, per interval.

Drawn only when a staffing policy computed a requirement (``staffing.policy=erlang`` or
``optimize``): it reads the run's ``staffing.csv`` (:mod:`sim.report.staffing`), which
the outputs write before the pages.  The top panel shows the interval's offered load
(Erlangs), the rostered operators the policy requires, the rostered operators of the plan
the run simulated (a shift schedule covers the requirement with some over-coverage), and
the operators actually on duty after shrinkage; the bottom panel the interval's service
level pooled over the replications, with the service-level target.  A run longer than a
week shows its first week, since a proposed plan repeats by day or week.
"""

from __future__ import annotations

import csv
from typing import Dict, List, Optional

import numpy as np

from sim.report.figures.common import (
    height,
    layout,
    legend_beside,
    percent_axis,
    png,
    step_line,
    subplots,
    target_line,
    time_axis,
)
from sim.report.pages import Figure
from sim.report.palette import SERIES, distinct
from sim.report.rundata import RunData

#: Hours of a run the figure shows at most (a proposed plan repeats by day or week).
MAX_SHOWN_H = 7 * 24.0


def read_staffing_csv(rd: RunData) -> Optional[Dict[str, np.ndarray]]:
    """Columns of the run's ``staffing.csv`` as float arrays per interval (NaN for empty cells), the operator
    groups' rows added up (``service_level.<group>``: each group's), or None without the file."""
    if rd.out_dir is None or not (rd.out_dir / "staffing.csv").is_file():
        return None
    with (rd.out_dir / "staffing.csv").open(newline="", encoding="utf-8") as fh:
        rows: List[Dict[str, str]] = list(csv.DictReader(fh))
    if not rows:
        return None

    def value(r: Dict[str, str], c: str) -> float:
        return float(r[c]) if r.get(c) not in (None, "") else np.nan

    groups = list(dict.fromkeys(r["group"] for r in rows))
    by = {g: [r for r in rows if r["group"] == g] for g in groups}
    first = by[groups[0]]
    out = {"start_h": np.array([value(r, "start_h") for r in first])}
    for c in ("offered_load", "required", "scheduled", "mean_on_duty"):
        out[c] = np.sum([[value(r, c) for r in by[g]] for g in groups], axis=0)
    for g in groups:
        out[f"service_level.{g}"] = np.array([value(r, "service_level") for r in by[g]])
    return out


def required_vs_scheduled(rd: RunData) -> Optional[Figure]:
    """Required vs scheduled operators and the service level per interval (None without a requirement)."""
    data = read_staffing_csv(rd)
    if data is None or not np.any(np.isfinite(data["required"])):
        return None
    keep = data["start_h"] < MAX_SHOWN_H
    x = data["start_h"][keep]
    end_h = float(min(rd.horizon_h, MAX_SHOWN_H))
    fig, axes = subplots(2, height(2, 2.0, "beside"))
    layout(fig, 2, 1, "beside")
    ax = axes[0][0]
    step_line(ax, x, data["scheduled"][keep], SERIES["scheduled"], "scheduled (rostered)", lw=6.0)
    step_line(ax, x, data["required"][keep], SERIES["target"], "required by the policy (rostered)", lw=1.4)
    step_line(ax, x, data["mean_on_duty"][keep], SERIES["on_duty"], "on duty (after shrinkage)", lw=1.0)
    step_line(ax, x, data["offered_load"][keep], SERIES["offered_load"], "offered load (Erlangs)", lw=1.0)
    ax.set_ylabel("operators / Erlangs")
    ax.set_ylim(bottom=0)
    per = "per half-hour" if rd.step_h == 0.5 else "per interval"
    ax.set_title(f"Operators required and scheduled: {per}", loc="left", fontsize=9)
    time_axis(ax, 0.0, end_h, rd.start_weekday, start_date=rd.start_date)
    legend_beside(ax)
    ax = axes[1][0]
    groups = [k[len("service_level."):] for k in data if k.startswith("service_level.")]
    colours = distinct(groups) if len(groups) > 1 else {groups[0]: SERIES["service_level"]}
    for g in groups:
        label = "service level" if len(groups) == 1 else f"service level, group {g}"
        step_line(ax, x, data[f"service_level.{g}"][keep], colours[g], label, lw=1.4)
    target = rd.cfg.staffing.target.service_level
    own = {g: rd.cfg.routing.groups[g].target.service_level for g in groups if g in rd.cfg.routing.groups}
    own = {g: t for g, t in own.items() if t is not None and t != target}
    target_line(ax, target, "higher")
    for g, t in own.items():  # a group's own target (routing.groups.<name>.target), in the group's colour
        ax.axhline(t, color=colours[g], linestyle="--", linewidth=1.2, zorder=4, label=f"target {g} ≥ {t:.0%}")
    percent_axis(ax, 0.0, 1.0)
    ax.set_ylabel("service level")
    ax.set_title(f"Service level (answered within {rd.cfg.kpi.answer_threshold_s:g} s): {per}",
                 loc="left", fontsize=9)
    time_axis(ax, 0.0, end_h, rd.start_weekday, start_date=rd.start_date)
    legend_beside(ax)
    policy = rd.cfg.staffing.policy
    shown = " The first week is shown." if rd.horizon_h > MAX_SHOWN_H else ""
    caption = (f"Rostered operators required by staffing.policy={policy} (offered load by "
               f"staffing.offered_load={rd.cfg.staffing.offered_load}, divided by 1 - shrinkage) against those "
               "the run's plan rostered (the wide grey line; where it shows only at the edges of the red one, "
               "the plan is the requirement); on duty is after shrinkage, averaged over the replications"
               + (" (the operator groups added up)" if len(groups) > 1 else "") + ". Bottom: "
               "each interval's service level pooled over the replications"
               + (" for each group's calls (by their first group)" if len(groups) > 1 else "")
               + ", against staffing.target.service_level"
               + (" (a group's own target, routing.groups.<name>.target, dashed in its colour)" if own else "")
               + "." + shown + " The numbers are in staffing.csv.")
    return Figure("staffing", "Staffing required and scheduled", caption, png(fig))
