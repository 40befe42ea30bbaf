"""Figures of the work-order pipeline: open orders by unit type, time to close, the three rates by unit type,
and the outcomes of the return visits.

All are drawn from the back office's records of every replication (counters per
unit and per day, the time-to-close histograms per category) and from the
run's ``summary.json`` content (the rates by unit type with their intervals);
none is drawn for a scenario without units.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from sim.analysis.censoring import km_masses
from sim.config.kpi_catalog import kpi_display
from sim.config.schema import URGENCY_CLASSES
from sim.records.backoffice import HIST_EDGES_H
from sim.report.figures.common import (
    band,
    height,
    layout,
    legend_below,
    legend_beside,
    mean_band,
    percent_axis,
    png,
    shade_periods,
    subplots,
    time_axis,
)
from sim.report.pages import Figure
from sim.report.palette import SERIES, distinct, named
from sim.report.rundata import RunData
from sim.report.text import format_level

#: The three rates (Beijing's 三率), in the order the city publishes them.
THREE_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")


def _types(rd: RunData) -> List[str]:
    return list(rd.backoffice[0].backlog) if rd.backoffice else []


def open_orders(rd: RunData) -> Optional[Figure]:
    """Work orders open at the end of each day by unit type, and orders created and closed per day."""
    if not rd.backoffice:
        return None
    types = _types(rd)
    days = len(rd.backoffice[0].daily["work_orders_created"])
    ends = (np.arange(days) + 1) * 24.0  # a backlog is counted at the end of its day
    fig, axes = subplots(2, height(2, 2.2, hspace_in=0.55), sharex=True)
    layout(fig, 2, hspace_in=0.55)
    ax = axes[0][0]
    colours = distinct(types)
    for t in types:
        m, h = mean_band(np.array([b.backlog[t] for b in rd.backoffice], dtype=float), rd.confidence)
        ax.plot(ends, m, marker=".", ms=4, color=colours[t], label=t, zorder=3)
        lo, hi = band(f"open_orders.{t}", m, h)
        ax.fill_between(ends, lo, hi, color=colours[t], alpha=0.2, lw=0, zorder=2)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("open work orders")
    ax.set_title("Open work orders at the end of each day, by unit type (queued or in progress)", loc="left")
    ax = axes[1][0]
    for key, label, colour in (("work_orders_created", "created", SERIES["created"]),
                               ("closeouts", "closed out", SERIES["closed"]),
                               ("ratings", "rated on the return visit", SERIES["rated"])):
        m, h = mean_band(np.array([b.daily[key] for b in rd.backoffice], dtype=float), rd.confidence)
        mids = ends - 12.0
        ax.plot(mids, m, marker=".", ms=4, color=colour, label=label, zorder=3)
        lo, hi = band(key, m, h)  # a daily count: not a KPI, >= 0
        ax.fill_between(mids, lo, hi, color=colour, alpha=0.2, lw=0, zorder=2)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("work orders per day")
    ax.set_title("Work orders created, closed out and rated per day", loc="left")
    span = days * 24.0
    for r, a in enumerate(axes[:, 0]):
        time_axis(a, 0.0, span, rd.start_weekday, start_date=rd.start_date)
        shade_periods(a, rd.periods(with_drain=True), label=(r == 0))
        legend_beside(a)
    axes[1][0].set_xlabel("day")
    fig.suptitle("Work orders through time", x=0.01, ha="left", fontsize=11, fontweight="bold")
    drain = rd.cfg.experiment.drain_h
    caption = ("Work orders open at the end of each simulated day by the type of unit that handles them, and the "
               "orders created, closed out and rated each day (mean over the replications, with "
               + (f"{format_level(rd.confidence)} confidence bands)." if rd.replications > 1 else
                  "no confidence band: one replication).")
               + (f" The drain ({drain:g} h, shaded) follows the horizon's contacts to their end without new ones."
                  if drain > 0 else ""))
    return Figure("open_orders", "Work orders through time", caption, png(fig))


def _ecdf(hist: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share closed within each bin's upper edge: Kaplan-Meier, the orders still open censored at their age."""
    if hist.sum() + censored.sum() <= 0:
        return HIST_EDGES_H[1:], np.full(len(hist), np.nan)
    return HIST_EDGES_H[1:], np.cumsum(km_masses(hist, censored))


def time_to_close(rd: RunData) -> Optional[Figure]:
    """The distribution (ECDF) of the time to close per category, with the close-out limits marked."""
    if not rd.backoffice or rd.meta is None:
        return None
    cats = list(rd.meta.categories)
    hist = np.sum([np.asarray(b.close_hist, dtype=float) for b in rd.backoffice], axis=0)  # (categories, bins)
    cens = np.sum([np.asarray(b.censor_hist, dtype=float) for b in rd.backoffice], axis=0)
    closed = hist.sum(axis=1)
    fig, axes = subplots(1, height(1, 3.6))
    layout(fig, 1)
    ax = axes[0][0]
    colours = distinct(cats)
    order = sorted(range(len(cats)), key=lambda c: -closed[c])
    for c in order:
        if closed[c] <= 0:
            continue
        x, y = _ecdf(hist[c], cens[c])
        ax.step(x, y, where="post", color=colours[cats[c]], lw=1.3,
                label=f"{cats[c].replace('_', ' ')} ({closed[c] / max(1, rd.replications):,.0f})", zorder=3)
    x, y = _ecdf(hist.sum(axis=0), cens.sum(axis=0))
    ax.step(x, y, where="post", color="black", lw=2.2, label="all categories", zorder=4)
    limits: Dict[float, List[str]] = {}
    for cls in URGENCY_CLASSES:
        lim = rd.cfg.workorders.closeout_limit_h.get(cls)
        if lim is not None:
            limits.setdefault(float(lim), []).append(cls)
    ax.set_xscale("log")
    finite = np.nonzero(hist.sum(axis=0))[0]
    if len(finite):
        ax.set_xlim(HIST_EDGES_H[max(finite[0] - 2, 0)], HIST_EDGES_H[min(finite[-1] + 3, len(HIST_EDGES_H) - 1)])
    trans = ax.get_xaxis_transform()
    lo, hi = ax.get_xlim()
    past = []
    for lim, classes in sorted(limits.items()):
        if not lo < lim < hi:  # a limit past the times drawn: its label would land outside the axes
            past.append(", ".join(classes))
            continue
        ax.axvline(lim, color=SERIES["target"], ls="--", lw=1, zorder=2)
        when = f"{lim:g} h" if lim < 48 else f"{lim / 24:g} days"
        # along its line (a label beside the line ran into the next limit's line and label: 7 and 15 days), on a
        # pale box so that the curves crossing it leave it readable
        ax.text(lim * 1.04, 0.03, f"limit {when}: {', '.join(classes)}", transform=trans, fontsize=7,
                color=SERIES["target"], va="bottom", ha="left", rotation=90, zorder=5,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    from matplotlib.ticker import FixedLocator, FuncFormatter

    ticks = [t for t in (0.1, 0.5, 1, 2, 4, 8, 24, 48, 72, 168, 360, 720, 1440, 2880) if t]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: f"{h:g} h" if h < 48 else f"{h / 24:g} d"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda h, _: ""))
    percent_axis(ax, 0, 1.01)
    ax.set_xlabel("time from the first contact to the close-out (log scale)")
    ax.set_ylabel("share of orders closed within")
    ax.set_title("Time to close by category (orders closed per replication)", loc="left")
    legend_beside(ax)
    still = cens.sum() / max(1.0, cens.sum() + hist.sum())
    caption = ("The share of work orders closed out within a given time of the resident's first contact, per "
               "category, for the orders of the measurement window: a Kaplan-Meier estimate, in which an order "
               "still open when the run stopped counts as not closed up to its age then (censored; "
               f"{still:.1%} of the orders were still open: experiment.drain_h follows them further). "
               "The dashed lines are the close-out "
               "limits of the urgency classes (workorders.closeout_limit_h), counted from the order's arrival at "
               "the unit, so a little later than drawn"
               + (f"; those of {'; '.join(past)} lie past the times drawn." if past else "."))
    return Figure("time_to_close", "Time to close", caption, png(fig))


def three_rates(rd: RunData) -> Optional[Figure]:
    """The three rates per unit type (and overall) with their confidence intervals and targets."""
    b = rd.summary.get("breakdowns", {})
    if not rd.backoffice or not all(r in b for r in THREE_RATES):
        return None
    types = [t for t in _types(rd) if t in b[THREE_RATES[0]]]
    rows = ["all units", *types]
    fig, axes = subplots(1, height(1, 0.42 * len(rows), "none"), cols=3, sharey=True)
    layout(fig, 1, 3, "none", left_in=1.0, wspace_in=0.35)
    for c, rate in enumerate(THREE_RATES):
        ax = axes[0][c]
        cis = [rd.summary["kpis"].get(rate, {}), *[b[rate][t] for t in types]]
        vals: List[float] = []
        for y, (name, ci) in enumerate(zip(rows, cis)):
            m = ci.get("mean")
            if m is None:
                continue
            colour = "black" if y == 0 else named(name)
            lo, hi = ci.get("ci_low"), ci.get("ci_high")
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [y, y], color=colour, lw=2.5, solid_capstyle="butt", zorder=3)
                vals += [lo, hi]
            ax.plot([m], [y], "o", color=colour, ms=6, zorder=4)
            vals.append(m)
        target = rd.cfg.kpi.targets.get(rate)
        if target is not None:
            ax.axvline(target, color=SERIES["target"], ls="--", lw=1.2, zorder=2)
            vals.append(target)
        if vals:
            pad = max(0.005, 0.1 * (max(vals) - min(vals)))
            percent_axis(ax, max(0.0, min(vals) - pad), min(1.0, max(vals) + pad), axis="x", decimals=1)
        goal = f" (target ≥ {target:.1%}, dashed)" if target is not None else " (no target)"
        ax.set_title(kpi_display(rate).label + goal, loc="left", fontsize=9)
        ax.grid(axis="y", alpha=0)
    axes[0][0].set_yticks(range(len(rows)))
    axes[0][0].set_yticklabels(rows)
    axes[0][0].invert_yaxis()
    fig.suptitle("The three rates by unit type", x=0.01, ha="left", fontsize=11, fontweight="bold")
    caption = (f"Response, resolution and satisfaction rate (Beijing's three rates) of each type of unit: dot = mean, "
               f"bar = {format_level(rd.confidence)} confidence interval across replications"
               + (" (none with one replication)" if rd.replications < 2 else "")
               + "; the dashed line is the target (kpi.targets). The units with the lowest rates are listed in the "
               "table below.")
    return Figure("three_rates", "The three rates by unit type", caption, png(fig))


def return_visits(rd: RunData) -> Optional[Figure]:
    """Final outcomes of the return visits by unit type: satisfied, not satisfied, never reached."""
    if not rd.backoffice or rd.meta is None:
        return None
    type_of = np.asarray(rd.meta.type_of)
    names = list(rd.meta.type_names)

    def total(key: str, idx: Any = slice(None)) -> float:
        return float(np.sum([np.asarray(b.unit[key], dtype=float)[idx].sum() for b in rd.backoffice]))

    rows = [("all units", slice(None))] + [(n, type_of == t) for t, n in enumerate(names)]
    parts = [("satisfied", "rated_satisfied", SERIES["satisfied"]),
             ("rated, not satisfied", None, SERIES["not_satisfied"]),
             ("never reached", "not_reached", SERIES["not_reached"])]
    fig, axes = subplots(1, height(1, 0.42 * len(rows), "below"))
    layout(fig, 1, 1, "below", left_in=1.0, right_in=1.8)
    ax = axes[0][0]
    for y, (name, idx) in enumerate(rows):
        rated, sat, nr = total("rated", idx), total("rated_satisfied", idx), total("not_reached", idx)
        den = rated + nr
        if den <= 0:
            continue
        left = 0.0
        for label, _, colour in parts:
            v = {"satisfied": sat, "rated, not satisfied": rated - sat, "never reached": nr}[label] / den
            ax.barh(y, v, left=left, color=colour, height=0.6, label=label if y == 0 else None, zorder=3)
            if v >= 0.04:
                ax.text(left + v / 2, y, f"{v:.1%}", ha="center", va="center", fontsize=7,
                        color="white" if colour != SERIES["not_reached"] else "black", zorder=4)
            left += v
        reopened = total("reopened", idx) / max(1, rd.replications)
        ax.text(1.01, y, f"{den / max(1, rd.replications):,.0f} orders, {reopened:,.0f} reopened", va="center",
                fontsize=7, transform=ax.get_yaxis_transform())
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows])
    ax.invert_yaxis()
    percent_axis(ax, 0, 1, axis="x")
    ax.grid(axis="y", alpha=0)
    ax.set_title("Final outcome of the return visits of closed work orders", loc="left")
    legend_below(ax, ncol=3, bbox=(0.0, -0.45 / (0.42 * len(rows))))
    fig.suptitle("Return visits", x=0.01, ha="left", fontsize=11, fontweight="bold")
    caption = ("How the return visits of the closed work orders ended, by unit type: the resident was reached and "
               "satisfied, reached and not satisfied (the final rating, after any reopened round), or never reached "
               "after feedback.max_attempts calls. Right: orders and reopened rounds per replication. The "
               "satisfaction rate of the headline counts the rated orders only (satisfied out of satisfied and "
               "not satisfied), so it is well above the green share, which the never reached lower.")
    return Figure("return_visits", "Return visits", caption, png(fig))


def all_backoffice(rd: RunData) -> List[Optional[Figure]]:
    """The back office's figures, in the page's order (None where the scenario has no units)."""
    return [open_orders(rd), time_to_close(rd), three_rates(rd), return_visits(rd)]
