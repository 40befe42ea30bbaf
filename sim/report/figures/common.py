"""What every figure of a report shares: the style, time axes as weekday and time of day, shaded periods,
legends beside the data, confidence bands, and the PNG bytes a page embeds.

Every figure is drawn with matplotlib's Agg backend (no display needed) into a
:class:`~sim.report.pages.Figure`; a page embeds its PNG as a data URI, so the
page is one self-contained file.  Conventions that keep the figures readable:

* a title, axis labels with units, shares in percent;
* the legend outside the axes (:func:`legend_beside`), so that it covers no data;
* time as weekday and time of day (:func:`time_axis`), not hours from the start;
* the warm-up, surges and the drain shaded and labelled (:func:`shade_periods`);
* colours from :mod:`sim.report.palette`, fixed per series across reports.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from sim.report.palette import SERIES, SHADE

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Width of a figure in inches (the page shows it at 100%: about 1000 pixels at :data:`DPI`).
WIDTH_IN = 10.5
DPI = 96


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, with the reports' style (imported on first use: it is slow)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.size": 9, "axes.titlesize": 10, "axes.titleweight": "bold", "axes.labelsize": 9,
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
        "legend.fontsize": 8, "legend.frameon": False, "figure.dpi": DPI, "savefig.dpi": DPI,
    })
    return plt


def height(rows: int, axes_in: float, legend: str = "beside", top_in: float = 0.8, bottom_in: float = 0.6,
           hspace_in: float = 0.9) -> float:
    """The height of a figure of ``rows`` rows of axes ``axes_in`` inches high, with :func:`layout`'s margins."""
    return rows * axes_in + (rows - 1) * hspace_in + top_in + bottom_in + (0.55 if legend == "below" else 0.0)


def subplots(rows: int, height_in: float, cols: int = 1, **kw: Any) -> tuple[Any, Any]:
    """A figure of the reports' width with ``rows`` x ``cols`` axes (always an array of axes)."""
    plt = pyplot()
    fig, axes = plt.subplots(rows, cols, figsize=(WIDTH_IN, height_in), squeeze=False, **kw)
    return fig, axes


def layout(fig: Any, rows: int, cols: int = 1, legend: str = "beside", left_in: float = 0.85,
           top_in: float = 0.8, bottom_in: float = 0.6, hspace_in: float = 0.9, wspace_in: float = 1.0,
           right_in: float = 0.3) -> None:
    """Margins and gaps of a figure in inches: room for the titles, the axis labels and the legends (beside the
    axes: ``legend="beside"``; under the last row: ``"below"``; ``"none"``).

    Fixed margins instead of a tight layout: a figure is drawn once (a tight layout draws it twice), which
    keeps a report's figures quick to make.
    """
    w, h = fig.get_size_inches()
    right = right_in + (2.35 if legend == "beside" else 0.0)
    bottom = bottom_in + (0.55 if legend == "below" else 0.0)
    ax_h = max(0.5, (h - top_in - bottom - (rows - 1) * hspace_in) / rows)
    ax_w = max(0.5, (w - left_in - right - (cols - 1) * wspace_in) / cols)
    fig.subplots_adjust(left=left_in / w, right=1 - right / w, top=1 - top_in / h, bottom=bottom / h,
                        hspace=hspace_in / ax_h, wspace=wspace_in / ax_w)


def png(fig: Any) -> bytes:
    """The figure as PNG bytes (its layout set by :func:`layout`); then closed."""
    plt = pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def legend_beside(ax: Any, **kw: Any) -> None:
    """The legend to the right of the axes, outside the data area (drawn only when something is labelled)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)


def legend_below(ax: Any, ncol: int = 2, bbox: tuple[float, float] = (0.0, -0.32), **kw: Any) -> None:
    """The legend under the axes (and under its x-axis label), for figures with several columns."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=bbox, ncol=ncol, borderaxespad=0.0, **kw)


def percent_axis(ax: Any, lo: Optional[float] = None, hi: Optional[float] = None, axis: str = "y",
                 decimals: Optional[int] = None) -> None:
    """Show a share axis (values in [0, 1]) as percentages (``axis``: ``"y"`` or ``"x"``)."""
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=decimals))
    if lo is not None or hi is not None:
        (ax.set_ylim if axis == "y" else ax.set_xlim)(lo, hi)


def share_limits(*arrays: np.ndarray, target: Optional[float] = None) -> tuple[float, float]:
    """Limits of a share axis that show the data and the target, with a little room, within [0, 1]."""
    vals = [np.asarray(a, dtype=float).ravel() for a in arrays]
    allv = np.concatenate([v[np.isfinite(v)] for v in vals] + [np.array([target] if target is not None else [])])
    if not len(allv):
        return 0.0, 1.0
    lo, hi = float(allv.min()), float(allv.max())
    pad = max(0.02, 0.08 * (hi - lo))
    return max(0.0, lo - pad), min(1.005, hi + pad)


def mean_band(rows: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean of ``rows`` (replications x points) and the half-width of its Student-t interval
    (0 with fewer than 2 replications; NaN columns stay NaN)."""
    from sim.analysis.kpis import t_quantile

    rows = np.asarray(rows, dtype=float)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(rows, axis=0) if len(rows) else np.array([])
        if len(rows) < 2:
            return mean, np.zeros_like(mean)
        n = np.sum(~np.isnan(rows), axis=0)
        sd = np.nanstd(rows, axis=0, ddof=1)
        t = t_quantile(0.5 + confidence / 2, np.maximum(n - 1, 1))
        return mean, np.where(n >= 2, np.nan_to_num(t * sd / np.sqrt(np.maximum(n, 1))), 0.0)


def clip_band(name: str, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges of a band of series ``name`` clipped to the KPI's domain (:func:`sim.analysis.kpis.clip_to_domain`);
    a series that is not a KPI (operators busy, the offered load, contacts waiting) is a level: >= 0."""
    from sim.analysis.kpis import clip_to_domain

    try:
        return clip_to_domain(name, np.asarray(lo, dtype=float)), clip_to_domain(name, np.asarray(hi, dtype=float))
    except KeyError:
        return np.maximum(lo, 0.0), np.maximum(hi, 0.0)


def band(name: str, mean: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edge of KPI ``name``'s confidence band (mean -+ half), clipped to the KPI's domain."""
    return clip_band(name, mean - half, mean + half)


def weekday_of(hour: float, start_weekday: int, start_date: Optional[dt.date] = None) -> str:
    """The weekday name at ``hour`` hours from time 0 (time 0 falls on ``start_weekday``, 0 = Monday), with
    the date (``Mon 29 Sep``) when time 0 is the midnight of ``start_date`` (a dated scenario)."""
    name = WEEKDAYS[(start_weekday + int(hour // 24)) % 7]
    if start_date is None:
        return name
    day = start_date + dt.timedelta(days=int(hour // 24))
    return f"{name} {day.day} {day:%b}"


def clock(hour: float) -> str:
    """Time of day ``HH:MM`` at ``hour`` hours from a midnight."""
    minutes = int(round((hour % 24) * 60)) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def time_axis(ax: Any, start_h: float, end_h: float, start_weekday: int, show_labels: bool = True,
              narrow: bool = False, start_date: Optional[dt.date] = None) -> None:
    """Label the x axis (hours from time 0) with weekdays and times of day (and dates, from ``start_date``, the
    date of time 0 of a dated scenario: ``Mon 29 Sep``).

    Up to 2 days: a tick every 3 or 6 hours labelled ``Mon 09:00``.  Up to 2 weeks: the weekday at each
    midnight (with the day number past a week: day 0 the run's first, as in the tables and CSV files) and
    minor ticks every 6 hours (labelled when there is room).  Longer: a tick every week (every few days on a
    wide axis), a minor tick every day.
    ``narrow``: the axes take half the figure's width (fewer labels).
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    span = end_h - start_h
    long_run = end_h > 7 * 24 + 1e-9

    def day_label(h: float) -> str:
        if start_date is not None:  # the date under the weekday
            return weekday_of(h, start_weekday, start_date).replace(" ", "\n", 1)
        name = weekday_of(h, start_weekday)
        return f"{name}\nday {int(h // 24)}" if long_run else name  # from day 0, as the tables and CSV files

    if span <= 48:
        step = (3 if span <= 24 else 6) * (2 if narrow else 1)
        ticks = np.arange(np.ceil(start_h / step) * step, end_h + 1e-9, step)
        ax.xaxis.set_major_locator(FixedLocator(ticks.tolist()))
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda h, _: f"{weekday_of(h, start_weekday, start_date)} {clock(h)}" if abs(h % 24) < 1e-9 else clock(h)))
    else:
        days = span / 24
        max_labels = 8 if narrow else 16
        every = 1 if days <= max_labels else (7 if days / 7 <= max_labels else 7 * int(np.ceil(days / 7 / max_labels)))
        ticks = np.arange(np.ceil(start_h / 24) * 24, end_h + 1e-9, 24 * every)
        ax.xaxis.set_major_locator(FixedLocator(ticks.tolist()))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: day_label(h)))
        if every == 1:
            minor = [h for h in np.arange(np.ceil(start_h / 6) * 6, end_h + 1e-9, 6) if h % 24]
            labelled = span <= 8 * 24 and not narrow
            ax.xaxis.set_minor_locator(FixedLocator(minor))
            ax.xaxis.set_minor_formatter(FuncFormatter(lambda h, _: f"{int(h % 24):02d}" if labelled else ""))
            ax.tick_params(axis="x", which="minor", labelsize=6, colors="#777777")
        else:
            ax.xaxis.set_minor_locator(FixedLocator(np.arange(np.ceil(start_h / 24) * 24, end_h + 1e-9, 24).tolist()))
            ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(start_h, end_h)
    if not show_labels:
        ax.xaxis.set_major_formatter(NullFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())


def shade_periods(ax: Any, periods: Iterable[tuple[float, float, str, str]], label: bool = True) -> None:
    """Mark periods ``(start_h, end_h, kind, text)`` (kind: ``warmup``, ``surge``, ``drain``) on time axes.

    Each period is a bar in a strip along the top of the axes, one row per period, labelled on the axes
    where ``label`` is true; the axes grow upwards to make room, so the strip covers no data.  The warm-up
    and the drain (times outside the KPIs or without new contacts) are also shaded lightly over the whole
    height; a surge is not (it would cover the curves it explains).
    """
    x0, x1 = ax.get_xlim()
    shown = [(max(a, x0), min(b, x1), kind, text) for a, b, kind, text in periods if min(b, x1) > max(a, x0)]
    if not shown:
        return
    row = 0.075  # height of a strip row, as a share of the axes' height (after growing)
    y0, y1 = ax.get_ylim()
    ticks = [t for t in ax.get_yticks() if y0 - 1e-12 <= t <= y1 + 1e-12]
    grow = row * len(shown) / (1 - row * len(shown))
    ax.set_ylim(y0, y1 + (y1 - y0) * grow)
    ax.set_yticks(ticks)  # no tick in the strip (a share axis would show 110%)
    trans = ax.get_xaxis_transform()
    ax.axvspan(x0, x1, ymin=1.0 - len(shown) * row, ymax=1.0, color="white", lw=0, zorder=4)  # over the data
    for i, (lo, hi, kind, text) in enumerate(shown):
        top = 1.0 - i * row
        if kind != "surge":
            ax.axvspan(lo, hi, ymax=1.0 - len(shown) * row, color=SHADE[kind], alpha=0.3, lw=0, zorder=0)
        ax.axvspan(lo, hi, ymin=top - row * 0.8, ymax=top - row * 0.1, color=SHADE[kind],
                   alpha=0.9 if kind == "surge" else 0.7, lw=0, zorder=5)
        if label and text:
            ax.text(lo + 0.004 * (x1 - x0), top - row * 0.45, text, transform=trans, va="center", ha="left",
                    fontsize=6.5, color="#333333", zorder=6, clip_on=True)


def target_line(ax: Any, target: Optional[float], better: str, text_fmt: str = "{:.0%}") -> None:
    """A dashed horizontal line at ``target``, labelled with the direction (``target >= 80%``)."""
    if target is None:
        return
    sign = "≥" if better == "higher" else "≤"
    ax.axhline(target, color=SERIES["target"], linestyle="--", linewidth=1.2, zorder=4,
               label=f"target {sign} {text_fmt.format(target)}")


def step_line(ax: Any, x: np.ndarray, mean: np.ndarray, colour: str, label: str, lw: float = 1.4) -> None:
    """A step line of ``mean`` over intervals starting at ``x`` (the last interval's end is added)."""
    edges = np.append(x, x[-1] + (x[1] - x[0] if len(x) > 1 else 1.0))
    ys = np.append(mean, mean[-1] if len(mean) else np.nan)
    ax.step(edges, ys, where="post", color=colour, lw=lw, label=label, zorder=3)


def note(ax: Any, text: str) -> None:
    """A short note in the middle of empty axes (a series the scenario does not have)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#666666", fontsize=9)
    ax.set_yticks([])


def nice_units(values: Sequence[float]) -> str:
    """``"per half-hour"``-style wording of an interval length given in hours (the first value)."""
    h = float(values[0]) if len(values) else 0.5
    if abs(h - 0.5) < 1e-9:
        return "per half-hour"
    if abs(h - 1.0) < 1e-9:
        return "per hour"
    if h < 1:
        return f"per {h * 60:g} min"
    return f"per {h:g} h"
