"""The warm-up diagnostic: Welch's moving averages of the front line's series, with the warm-up that was set
and the MSER-5 suggestion of each series (:mod:`sim.analysis.warmup`).

Drawn when the run has a warm-up (``experiment.warmup_h`` > 0): a steady-state
study whose reader should see that the series stopped drifting before the
measurement window began.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from sim.analysis.warmup import INTERVAL_SERIES
from sim.config.kpi_catalog import kpi_display
from sim.report.figures.common import height, layout, legend_below, percent_axis, png, subplots, time_axis
from sim.report.pages import Figure
from sim.report.palette import SERIES, SHADE, named
from sim.report.rundata import RunData


def warmup(rd: RunData) -> Optional[Figure]:
    """The diagnostic figure, or None without a warm-up (or without Welch's table)."""
    table = rd.warmup_table
    if rd.warmup_h <= 0 or table is None:
        return None
    suggested = rd.summary.get("warmup_diagnostic", {}).get("suggested_warmup_h", {})
    x = np.arange(rd.n) * rd.step_h
    fig, axes = subplots(2, height(2, 2.0, "below", hspace_in=1.5), cols=2)
    layout(fig, 2, 2, "below", hspace_in=1.5)
    for i, name in enumerate(INTERVAL_SERIES):
        ax = axes[i // 2][i % 2]
        colour = SERIES.get(name, named(name))
        ax.plot(x, table[name], color=colour, lw=0.6, alpha=0.45, label="mean over replications")
        ax.plot(x, table[f"{name}_ma"], color=colour, lw=1.8, label="moving average (Welch, 2 h each side)")
        ax.axvspan(0, rd.warmup_h, color=SHADE["warmup"], alpha=0.35, lw=0, label=f"warm-up set: {rd.warmup_h:g} h")
        s = suggested.get(name)
        if s is not None:
            ax.axvline(float(s), color=SERIES["target"], ls="--", lw=1.2, label=f"MSER-5 suggests {float(s):g} h")
        d = kpi_display(name)
        if d.unit == "%":
            percent_axis(ax)
        ax.set_ylabel(d.unit if d.unit != "%" else "share")
        ax.set_title(d.label, loc="left", fontsize=9)
        time_axis(ax, 0.0, rd.horizon_h, rd.start_weekday, narrow=True, start_date=rd.start_date)
        legend_below(ax, ncol=2, bbox=(0.0, -0.3), fontsize=7)
    fig.suptitle("Warm-up diagnostic", x=0.01, ha="left", fontsize=11, fontweight="bold")
    backlog = suggested.get("open_work_orders")
    extra = (f" For the open work orders (end of day) MSER-5 suggests {float(backlog):g} h." if backlog is not None
             else "")
    caption = ("Each series averaged over the replications per reporting interval (thin) and smoothed (thick). "
               "The warm-up should end where the smoothed series stop drifting; the dashed line is the automatic "
               "suggestion (MSER-5, the truncation that minimises the standard error of the rest)." + extra)
    return Figure("warmup", "Warm-up diagnostic", caption, png(fig))
