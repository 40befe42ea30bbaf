"""Figures of the forecast page (PNG bytes, matplotlib on the reports' style).

* :func:`daily_figure` - each channel's daily arrivals over the last weeks of the
  history and the forecast's daily totals with their 80% band, closed days marked;
* :func:`intraday_figure` - the forecast per half-hour over the range with its
  band, beside the same weekdays of the history's last week;
* :func:`backtest_figure` - the back-test's half-hour WAPE by week, the method
  beside the two naive forecasts, and the coverage of its 80% interval;
* :func:`backtest_days_figure` - the back-test's daily totals, actual against
  forecast with its band.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

import numpy as np

from sim.forecast.engine import ForecastResult
from sim.forecast.history import SLOTS
from sim.report.figures.common import height, layout, legend_beside, percent_axis, png, subplots
from sim.report.palette import SERIES, named

HISTORY_WEEKS = 8
_BAND = 0.25
_NAIVE = {"model": ("the method", "#0072B2"), "last_week": ("same weekday last week", "#999999"),
          "mean4": ("mean of last 4 same weekdays", "#E69F00")}


def _colour(ch: str) -> str:
    return SERIES.get(ch, named(ch))


def _date_axis(ax: Any, dates: List[dt.date]) -> None:
    step = max(1, len(dates) // 12)
    ticks = list(range(0, len(dates), step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([dates[i].strftime("%a %d %b") for i in ticks], rotation=30, ha="right")


def daily_figure(result: ForecastResult) -> bytes:
    """Daily arrivals: the history's last weeks, then the forecast with its 80% band."""
    chans = list(result.channels)
    fig, axes = subplots(len(chans), height(len(chans), 2.6, bottom_in=1.0))
    h = result.history
    first = max(0, h.n_days - 7 * HISTORY_WEEKS)
    end = int(result.days[-1]) + 1
    dates = [h.date(i) for i in range(first, end)]
    x = np.arange(len(dates))
    for ax, ch in zip(axes[:, 0], chans):
        res = result.channels[ch]
        fc = res.forecast
        c = h.counts[ch]
        past = np.array([np.nansum(c[i]) if h.observed[i] else np.nan for i in range(first, h.n_days)])
        ax.plot(x[: len(past)], past, "o-", ms=3, lw=1, color="#222222", label="history (arrivals a day)")
        shut = [j for j, i in enumerate(range(first, h.n_days)) if result.plan.closed[i] and
                result.plan.weekday[i] in result.plan.open_weekdays]
        if shut:
            ax.plot(x[shut], np.zeros(len(shut)), "x", color="#D55E00", label="closed (holiday, closure)")
        pos = np.asarray(result.days) - first
        assert fc.day_low is not None and fc.day_high is not None
        shown = np.where(fc.closed, np.nan, 1.0)
        ax.fill_between(pos, fc.day_low * shown, fc.day_high * shown, color=_colour(ch), alpha=_BAND, lw=0,
                        label="80% interval")
        ax.plot(pos, fc.day_expected * shown, "o-", ms=3, lw=1.4, color=_colour(ch), label="forecast (expected)")
        if fc.closed.any():
            ax.plot(pos[fc.closed], np.zeros(int(fc.closed.sum())), "s", ms=4, color="#999999",
                    label="forecast closed")
        ax.axvline(h.n_days - first - 0.5, color="#999999", lw=0.8, ls="--")
        ax.set_title(f"{ch}: arrivals a day, history and forecast")
        ax.set_ylabel("arrivals a day")
        ax.set_ylim(bottom=0)
        _date_axis(ax, dates)
        legend_beside(ax)
    layout(fig, len(chans), bottom_in=1.0)
    return png(fig)


def intraday_figure(result: ForecastResult) -> bytes:
    """The forecast per half-hour over the range, with its band and the history's last week."""
    chans = list(result.channels)
    fig, axes = subplots(len(chans), height(len(chans), 2.6, bottom_in=1.0))
    h = result.history
    days = [int(d) for d in result.days]
    x = np.arange(len(days) * SLOTS) / 2.0
    for ax, ch in zip(axes[:, 0], chans):
        fc = result.channels[ch].forecast
        assert fc.low is not None and fc.high is not None
        ax.fill_between(x, fc.low.ravel(), fc.high.ravel(), step="post", color=_colour(ch), alpha=_BAND, lw=0,
                        label="80% interval")
        ax.step(x, fc.expected.ravel(), where="post", color=_colour(ch), lw=1.2, label="forecast (expected)")
        last = []
        for d in days:
            src = next((i for i in range(h.n_days - 1, max(-1, h.n_days - 8), -1)
                        if (h.date(i).weekday() == h.date(d).weekday())), None)
            last.append(h.counts[ch][src] if src is not None and h.observed[src] else np.full(SLOTS, np.nan))
        ax.step(x, np.concatenate(last), where="post", color="#222222", lw=0.7, alpha=0.7,
                label="same weekday, history's last week")
        ax.set_xlim(0, x[-1] + 0.5)
        ticks = np.arange(len(days)) * 24.0
        ax.set_xticks(ticks)
        ax.set_xticklabels([h.date(d).strftime("%a %d %b") for d in days], rotation=30, ha="right")
        ax.set_title(f"{ch}: arrivals per half-hour")
        ax.set_ylabel("arrivals per half-hour")
        ax.set_ylim(bottom=0)
        legend_beside(ax)
    layout(fig, len(chans), bottom_in=1.0)
    return png(fig)


def backtest_figure(result: ForecastResult) -> Optional[bytes]:
    """Half-hour WAPE by back-test week (the method and the naive forecasts) and the 80% interval's coverage
    (None without a back-test)."""
    chans = [c for c in result.channels if result.channels[c].weeks]
    if not chans:
        return None
    fig, axes = subplots(len(chans), height(len(chans), 2.6, bottom_in=1.0), cols=2)
    for row, ch in zip(axes, chans):
        weeks = result.channels[ch].weeks
        labels = [w["origin"] for w in weeks]
        x = np.arange(len(weeks))
        for k, (label, colour) in _NAIVE.items():
            y = np.array([np.nan if w[k]["wape"] is None else w[k]["wape"] for w in weeks])
            row[0].plot(x, y, "o-", ms=4, lw=1.4 if k == "model" else 1.0, color=colour, label=label)
        cov = np.array([np.nan if w["model"]["coverage"] is None else w["model"]["coverage"] for w in weeks])
        row[1].bar(x, cov, color="#0072B2", alpha=0.7, label="inside the 80% interval")
        row[1].axhline(0.8, color="#222222", lw=1, ls="--", label="80%")
        for ax, title in ((row[0], f"{ch}: half-hour WAPE by week"), (row[1], f"{ch}: coverage of the 80% interval")):
            ax.set_xticks(x)
            ax.set_xticklabels([f"from {s[5:]}" for s in labels], rotation=30, ha="right")
            ax.set_title(title)
        percent_axis(row[0], lo=0)
        percent_axis(row[1], lo=0, hi=1)
        row[0].set_ylim(0, 1.3 * np.nanmax([w[k]["wape"] or 0 for w in weeks for k in _NAIVE]) + 1e-9)
        row[1].set_ylim(0, 1.2)
        row[0].legend(loc="upper left", fontsize=7, ncol=2)
        row[1].legend(loc="upper left", fontsize=7, ncol=2)
    layout(fig, len(chans), cols=2, legend="none", bottom_in=1.0, wspace_in=0.9)
    return png(fig)


def backtest_days_figure(result: ForecastResult) -> Optional[bytes]:
    """The back-test's daily totals: actual against the forecast with its 80% band (None without a back-test)."""
    chans = [c for c in result.channels if result.channels[c].backtest_days]
    if not chans:
        return None
    fig, axes = subplots(len(chans), height(len(chans), 2.6, bottom_in=1.0))
    for ax, ch in zip(axes[:, 0], chans):
        rows: List[Dict[str, Any]] = [r for r in result.channels[ch].backtest_days if not r["closed"]]
        x = np.arange(len(rows))
        ax.fill_between(x, [r["p10"] for r in rows], [r["p90"] for r in rows], color=_colour(ch), alpha=_BAND, lw=0,
                        label="80% interval")
        ax.plot(x, [r["expected"] for r in rows], "-", lw=1.2, color=_colour(ch), label="forecast one week ahead")
        ax.plot(x, [np.nan if r["actual"] is None else r["actual"] for r in rows], "o", ms=3, color="#222222",
                label="actual")
        _date_axis(ax, [dt.date.fromisoformat(r["date"]) for r in rows])
        ax.set_title(f"{ch}: back-test, arrivals a day (open days)")
        ax.set_ylabel("arrivals a day")
        ax.set_ylim(bottom=0)
        legend_beside(ax)
    layout(fig, len(chans), bottom_in=1.0)
    return png(fig)
