"""The back-office staffing figure: case workers required per unit against the scenario's, and hours per type.

Drawn only when a unit staffing policy proposed case workers (``unit_staffing.policy=erlang`` or
``optimize``), from the run's ``units.csv`` rows (:mod:`sim.report.units_staffing`).  The left panel
puts every unit with orders at its scheduled case workers (the scenario's, on a logarithmic axis)
and the difference the proposal makes: above 0 a unit needs more workers than it has, below it has
slack; a unit that missed a target in this run beyond doubt (the whole confidence interval of its rate below
the target) is drawn hollow.  The right panel compares the case-worker
hours of each unit type, the scenario's against the proposal's.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from sim.report.figures.common import layout, legend_below, png, subplots
from sim.report.pages import Figure
from sim.report.palette import SERIES, distinct
from sim.report.rundata import RunData


def _columns(rd: RunData) -> Optional[Dict[str, List[Any]]]:
    if rd.units is None or "required_case_workers" not in rd.units[0]:
        return None
    header, rows = rd.units
    return {h: [r[i] for r in rows] for i, h in enumerate(header)}


def required_vs_scheduled(rd: RunData) -> Optional[Figure]:
    """Scheduled against required case workers per unit, and case-worker hours per unit type (module docstring)."""
    from matplotlib.ticker import FuncFormatter

    cols = _columns(rd)
    summ = rd.summary.get("unit_staffing") or {}
    if cols is None or not summ.get("by_type"):
        return None
    req = np.array([np.nan if v is None else float(v) for v in cols["required_case_workers"]])
    sched = np.array(cols["scheduled_case_workers"], dtype=float)
    orders = np.array(cols["orders_received_mean"], dtype=float)
    keep = np.isfinite(req) & (orders > 0)
    if not keep.any():
        return None
    missed = np.array([a == "missed" or b == "missed" for a, b in zip(cols["response_verdict"],
                                                                       cols["closeout_verdict"])])
    types = list(summ["by_type"])
    colours = distinct(types)
    fig, axes = subplots(1, 4.4, cols=2, gridspec_kw={"width_ratios": [1.25, 1.0]})
    layout(fig, 1, 2, legend="below", top_in=0.5, bottom_in=0.75, wspace_in=1.1, right_in=0.3)
    ax = axes[0][0]
    gap = req - sched
    ax.axhline(0.0, color=SERIES["reference"], lw=0.8, ls="--", label="required = scheduled", zorder=1)
    for t in types:
        m = keep & (np.array(cols["unit_type"]) == t)
        for hollow in (False, True):
            mm = m & (missed == hollow)
            if mm.any():
                ax.scatter(sched[mm], gap[mm], s=16, zorder=3, linewidths=1.0, alpha=0.8,
                           facecolors="none" if hollow else colours[t], edgecolors=colours[t],
                           label=f"{t}{' (missed a target: whole interval)' if hollow else ''}")
    ax.set_xscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+g}" if v else "0"))
    span = float(np.max(np.abs(gap[keep]))) or 1.0
    ax.set_ylim(min(float(gap[keep].min()), -0.1 * span) - 0.08 * span, max(float(gap[keep].max()), 0.1 * span)
                + 0.08 * span)
    ax.set_xlabel("case workers scheduled (scenario)")
    ax.set_ylabel("required − scheduled")
    above, below = int(np.sum(keep & (gap > 1e-9))), int(np.sum(keep & (gap < -1e-9)))
    ax.set_title(f"The {int(keep.sum())} units with orders: {above} need more (above 0), {below} have slack",
                 loc="left")  # the table's slack counts the units without orders too, proposed none
    legend_below(ax, ncol=3, bbox=(0.0, -0.2))
    ax = axes[0][1]
    x = np.arange(len(types))
    s = [summ["by_type"][t]["scheduled_case_worker_hours"] for t in types]
    r = [summ["by_type"][t]["required_case_worker_hours"] for t in types]
    ax.bar(x - 0.2, s, 0.4, color=SERIES["scheduled"], label="scenario", zorder=2)
    ax.bar(x + 0.2, r, 0.4, color=SERIES["reference"], label="proposal", zorder=2)
    for xi, (a, b) in enumerate(zip(s, r)):
        if a > 0:
            ax.annotate(f"{(b - a) / a:+.0%}", (xi + 0.2, b), ha="center", va="bottom", fontsize=8,
                        xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x)
    ax.set_xticklabels(types)
    ax.set_ylabel("case-worker hours in the window")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylim(0, max(max(s), max(r)) * 1.15 if max(max(s), max(r)) > 0 else 1.0)
    ax.set_title("Hours per unit type", loc="left")
    legend_below(ax, ncol=2, bbox=(0.0, -0.2))
    scale = rd.cfg.scale
    note = "" if scale == 1 else f" (before scale; the run's scale is {scale:g})"
    return Figure("unit_staffing", "Case workers required and scheduled",
                  f"Left: every unit with orders at the case workers the scenario gives it, and how many more (above "
                  f"0) or fewer (below 0) the proposal requires{note}; hollow: missed a target in this run beyond "
                  f"doubt (the whole confidence interval of its rate below the target; a mean below it whose interval "
                  f"contains it is not clear, and drawn filled). Right: "
                  f"case-worker hours of each unit type in the measurement window, the scenario's (light) against "
                  f"the proposal's (dark), with the change.", png(fig))
