"""Figures of the front line through time: demand against staffing, service level, abandonment and speed of
answer, calls waiting and the online backlog.

Up to a week (:data:`sim.report.rundata.LONG_DAYS`) a figure shows every reporting
interval of the horizon (:class:`~sim.report.rundata.Timeline`), with weekday and
time of day on the axis; a longer run is shown as its average day, its average
week (from two weeks on) and one point per day (:class:`~sim.report.rundata.Profile`,
:class:`~sim.report.rundata.Daily`), so that a month never becomes a comb of thirty
peaks.  Every figure is built by :func:`build` from a list of :class:`Panel`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Union

import numpy as np

from sim.config.kpi_catalog import kpi_display
from sim.config.routing import has_online
from sim.report.figures.common import (
    clip_band,
    clock,
    height,
    layout,
    legend_below,
    legend_beside,
    percent_axis,
    png,
    shade_periods,
    share_limits,
    step_line,
    subplots,
    target_line,
    time_axis,
)
from sim.report.pages import Figure
from sim.report.palette import SERIES
from sim.report.rundata import Daily, Profile, RunData, Timeline
from sim.report.text import format_level

View = Union[Timeline, Profile, Daily]


@dataclass
class Line:
    """One series of a panel: the name in :func:`sim.report.rundata.series`, its label and colour."""

    name: str
    label: str
    colour: str
    band: bool = True
    lw: float = 1.4  # line width (a wide pale line shows a series that others may run along)


@dataclass
class Panel:
    """One column of a figure: series drawn together on one axis."""

    title: str
    ylabel: str
    lines: List[Line]
    share: bool = False  # values in [0, 1], shown as percentages
    target: Optional[str] = None  # KPI whose target is drawn
    stacked: bool = False  # stacked areas (timeline only; bands left out)
    extra: List[str] = field(default_factory=list)  # words after the title
    refs: List[tuple[float, str]] = field(default_factory=list)  # reference lines (value, label): a promise


def views(rd: RunData) -> List[View]:
    """The views of a run: its timeline, or (long runs) average day, average week and daily series."""
    if not rd.long:
        return [Timeline(rd)]
    out: List[View] = [Profile(rd, 1)]
    if Profile.whole_cycles(rd, 7) >= 2:
        out.append(Profile(rd, 7))
    out.append(Daily(rd))
    return out


def _target(rd: RunData, kpi: Optional[str]) -> tuple[Optional[float], str]:
    if kpi is None:
        return None, ""
    t = rd.cfg.kpi.targets.get(kpi)
    return (float(t) if t is not None else None), kpi_display(kpi).better


def _view_words(view: View) -> str:
    if isinstance(view, Timeline):
        return view.per
    if isinstance(view, Profile):
        return "average day" if view.cycle_days == 1 else "average week"
    return "per day"


def _axis(ax: Any, view: View, rd: RunData, first_row: bool, narrow: bool) -> None:
    if isinstance(view, Profile) and view.cycle_days == 1:
        step = 6 if narrow else 3
        ax.set_xlim(0, 24)
        ax.set_xticks(np.arange(0, 25, step))
        ax.set_xticklabels([clock(h) for h in range(0, 25, step)])
        ax.set_xlabel("time of day")
        return
    if isinstance(view, Profile):
        time_axis(ax, 0.0, view.span[1], view.first_weekday, narrow=narrow)
        ax.set_xlabel("weekday")
        return
    time_axis(ax, view.span[0], view.span[1], rd.start_weekday, narrow=narrow, start_date=rd.start_date)
    shade_periods(ax, rd.periods(), label=first_row)
    ax.set_xlabel("day" if isinstance(view, Daily) else
                  "date and time of day" if rd.start_date is not None else "weekday and time of day")


def _top(view: View, panel: Panel, target: Optional[float]) -> float:
    """The top of a panel's y axis: the data and most of the bands (a few wide bands of quiet intervals,
    such as the waits of the night's few calls, do not squash the rest)."""
    tops = [target or 0.0] + [v for v, _ in panel.refs]
    for line in panel.lines:
        st = view.stats(line.name)
        if panel.stacked:
            tops.append(float(np.nansum([np.nan_to_num(view.stats(ln.name).mean) for ln in panel.lines],
                                        axis=0).max()))
            break
        if np.any(np.isfinite(st.mean)):
            tops += [float(np.nanmax(st.mean)), float(np.nanpercentile(st.hi, 97)) if line.band else 0.0]
    top = max(tops)
    return top * 1.08 if top > 0 else 1.0


def banded(view: Any, rd: RunData) -> bool:
    """Whether a view draws its bands (a timeline of one replication has none)."""
    return not (isinstance(view, Timeline) and rd.replications < 2)


def _draw(ax: Any, view: View, panel: Panel, rd: RunData) -> None:
    if panel.stacked and isinstance(view, Timeline):
        base = np.zeros(len(view.x))
        edges = np.append(view.x, view.x[-1] + (view.x[1] - view.x[0] if len(view.x) > 1 else 1.0))
        for line in panel.lines:
            m = np.nan_to_num(view.stats(line.name).mean)
            top = base + m
            ax.fill_between(edges, np.append(base, base[-1]), np.append(top, top[-1]), step="post",
                            color=line.colour, alpha=0.75, lw=0, label=line.label, zorder=2)
            base = top
        return
    banded_ = banded(view, rd)
    for line in panel.lines:
        st = view.stats(line.name)
        if not np.any(np.isfinite(st.mean)):
            continue
        if line.band and banded_:
            # the band from its edges (a profile's band is not symmetric about the mean)
            edges = np.append(st.x, st.x[-1] + (st.x[1] - st.x[0] if len(st.x) > 1 else 1.0))
            lo, hi = clip_band(line.name, st.lo, st.hi)
            ax.fill_between(edges, np.append(lo, lo[-1]), np.append(hi, hi[-1]), step="post", color=line.colour,
                            alpha=0.2, lw=0, zorder=2)
        step_line(ax, st.x, st.mean, line.colour, line.label, lw=line.lw)


def average_day_views(rd: RunData) -> List[View]:
    """The average day (and, for a long run, week and daily series): the views of series too sparse to read
    interval by interval, such as a small group's calls; the timeline when the window holds no whole day."""
    if rd.long:
        return views(rd)
    return [Profile(rd, 1)] if Profile.whole_cycles(rd, 1) >= 1 else [Timeline(rd)]


def build(rd: RunData, name: str, title: str, panels: Sequence[Panel], caption: str,
          row_height_in: float = 2.6, view_list: Optional[Sequence[View]] = None) -> Figure:
    """A figure of ``panels``: up to a week, one full-width row per panel over the timeline; a longer run,
    a column per panel and a row per view (average day, average week, daily: :func:`views`).  ``view_list``
    replaces the views (one view: a row per panel)."""
    vs = list(view_list) if view_list is not None else views(rd)
    stacked = len(vs) == 1
    cells = ([(r, 0, vs[0], p) for r, p in enumerate(panels)] if stacked else
             [(r, c, v, p) for r, v in enumerate(vs) for c, p in enumerate(panels)])
    rows, cols = (len(panels), 1) if stacked else (len(vs), len(panels))
    narrow = cols > 1
    legend = "below" if narrow else "beside"
    fig, axes = subplots(rows, height(rows, row_height_in, legend), cols=cols)
    layout(fig, rows, cols, legend)
    for r, c, view, panel in cells:
        ax = axes[r][c]
        _draw(ax, view, panel, rd)
        target, better = _target(rd, panel.target)
        if panel.share:
            arrays = []
            for ln in panel.lines:  # the means and the whole of their bands, as drawn
                st = view.stats(ln.name)
                arrays += [st.mean, *(clip_band(ln.name, st.lo, st.hi) if ln.band and banded(view, rd) else ())]
            percent_axis(ax, *share_limits(*arrays, target=target))
        else:
            ax.set_ylim(0, _top(view, panel, target))
        target_line(ax, target, better, "{:.0%}" if panel.share else "{:g}")
        for value, words in panel.refs:
            ax.axhline(value, color=SERIES["reference"], linestyle=":", linewidth=1.2, zorder=4, label=words)
        _axis(ax, view, rd, first_row=(r == 0), narrow=narrow)
        ax.set_ylabel(panel.ylabel)
        ax.set_title(f"{panel.title}: {_view_words(view)}", loc="left", fontsize=9 if narrow else 10)
        if not narrow:
            legend_beside(ax)
        elif r == rows - 1:
            legend_below(ax)
    fig.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    if rd.replications < 2:
        bands = "One replication: no confidence band."
    else:
        bands = f"Bands: the {format_level(rd.confidence)} confidence interval across {rd.replications} replications."
    prof = next((v for v in vs if isinstance(v, Profile)), None)
    if prof is not None:
        what = "The average day and week pool" if len(vs) > 1 else "The average day pools"
        bands = (f"{what} every day of the measurement window; the band shows how much a day differs from "
                 f"another ({prof.band_label})." + (f" Per day: {bands[0].lower()}{bands[1:]}"
                                                    if any(isinstance(v, Daily) for v in vs) else ""))
    return Figure(name, title, f"{caption} {bands}", png(fig))


def demand(rd: RunData) -> Figure:
    """Contacts arriving by channel against operators scheduled, on duty and busy, and the offered load."""
    if rd.long:  # average profiles and daily series: lines with bands, not stacks
        arrivals = Panel("Contacts arriving", "contacts", [
            Line("attempts", "call attempts", SERIES["calls"]),
            Line("online_offered", "online submissions", SERIES["online"])])
    else:
        arrivals = Panel("Contacts arriving (stacked)", "contacts", [
            Line("calls_offered", "calls (first attempts)", SERIES["calls"]),
            Line("retrials", "redials", SERIES["redials"]),
            Line("online_offered", "online submissions", SERIES["online"])], stacked=True)
    staff = Panel("Operators and offered load", "operators / Erlangs", [
        Line("scheduled_operators", "available (scheduled after shrinkage)", SERIES["available"], band=False, lw=4.0),
        Line("mean_operators", "on duty", SERIES["on_duty"]),
        Line("busy_operators", "busy with contacts", SERIES["busy"]),
        Line("offered_load", "offered load (Erlangs)", SERIES["offered_load"])])
    handle = f"{rd.handle_s:.0f} s" if np.isfinite(rd.handle_s) else "n/a"
    caption = (f"Calls (first attempts and redials) and online submissions arriving, against the operators. "
               f"The offered load is the work arriving, in operators it would keep busy: contacts per second "
               f"times the mean operator time per handled contact measured in this run ({handle}). "
               f"Where the load comes close to the operators on duty, callers wait.")
    return build(rd, "demand", "Demand and staffing", [arrivals, staff], caption, 2.1)


def service_level(rd: RunData) -> Figure:
    """The service level through time with its band and the target line."""
    thr = rd.cfg.kpi.answer_threshold_s
    panel = Panel(f"Call attempts answered within {thr:g} s", "service level",
                  [Line("service_level", "service level", SERIES["service_level"])], share=True,
                  target="service_level")
    caption = (f"The share of call attempts answered within {thr:g} s (kpi.answer_threshold_s); an abandoned "
               f"attempt counts as not answered in time. The dashed line is the target (kpi.targets).")
    return build(rd, "service_level", "Service level", [panel], caption, 2.2)


def abandonment_asa(rd: RunData) -> Figure:
    """Abandonment and the average speed of answer through time."""
    ab = Panel("Abandonment", "abandoned / attempts",
               [Line("abandon_rate", "abandonment", SERIES["abandon_rate"])], share=True, target="abandon_rate")
    asa = Panel("Average speed of answer", "seconds",
                [Line("asa_s", "mean wait of answered calls", SERIES["asa_s"])], target="asa_s")
    where = ("left", "right") if rd.long else ("top", "bottom")
    caption = (f"Call attempts abandoned while waiting, as a share of attempts ({where[0]}), and the mean wait of "
               f"answered attempts ({where[1]}).")
    return build(rd, "abandonment_asa", "Abandonment and speed of answer", [ab, asa], caption, 2.0)


def queues(rd: RunData) -> Figure:
    """Calls waiting and the online backlog (time averages) through time."""
    calls = Panel("Calls waiting", "calls (time average)",
                  [Line("mean_calls_waiting", "calls waiting", SERIES["calls_waiting"])])
    online = Panel("Online backlog", "submissions (time average)",
                   [Line("online_waiting", "online submissions waiting", SERIES["online_backlog"])])
    if not has_online(rd.cfg):  # a scenario without online work: no empty backlog panel, no deadline
        return build(rd, "queues", "Queues: calls waiting", [calls], "Time-average number of calls waiting for an "
                     "operator.", 2.0)
    deadline = rd.cfg.online.deadline_h
    caption = (f"Time-average number of calls waiting for an operator, and of online submissions waiting to be "
               f"accepted (operators take them when no call waits; the acceptance deadline is {deadline:g} h).")
    return build(rd, "queues", "Queues: calls waiting and the online backlog", [calls, online], caption, 2.0)


def all_frontline(rd: RunData) -> List[Figure]:
    """The front line's figures, in the page's order."""
    return [demand(rd), service_level(rd), abandonment_asa(rd), queues(rd)]
