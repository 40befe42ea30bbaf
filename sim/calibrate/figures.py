"""Figures of a calibration report, drawn with matplotlib from fitted objects (PNG bytes).

* :func:`fit_cdf_figure` - empirical CDF of each sample (log time axis) with the
  chosen family's fitted CDF and the other families' thin;
* :func:`survival_figure` - Kaplan-Meier survival with its 95% band (Greenwood)
  against the fitted survival of every family (patience, time to close);
* :func:`profile_figure` - arrivals per half-hour of each weekday type;
* :func:`backtest_figure` - observed and simulated (mean and confidence band) arrivals,
  answered share, abandonment rate and ASA per half-hour of the average weekday;
* :func:`abandonment_figure` - abandonment against mean wait per half-hour,
  observed and simulated, with the line through the origin of slope 1 / mean
  patience (exponential patience);
* :func:`sensitivity_figure` - whole-day answered share, abandonment and ASA
  against the staffing factor, with the log's values.
"""

from __future__ import annotations

import io
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from sim.calibrate.fitting import FitReport, frozen
from sim.calibrate.survival import CensoredReport

_OBS, _SIM, _FIT = "#222222", "#1f77b4", "#d62728"
_POINTS = 1500  # an empirical curve is drawn through at most this many of its points (fast, same picture)


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    plt = _plt()
    # fixed margins: matplotlib's tight layout measures every text of every panel (seconds per figure)
    rows = (fig.axes[0].get_subplotspec().get_gridspec().get_geometry() if fig.axes else (1, 1))[0]
    width_in, height_in = fig.get_size_inches()
    top_in = 0.6 if fig._suptitle is not None else 0.3  # room for the titles and the x labels, in inches
    fig.subplots_adjust(left=0.75 / width_in, right=0.98, bottom=0.55 / height_in, top=1.0 - top_in / height_in,
                        wspace=0.28, hspace=0.6 if rows > 1 else 0.45)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def fit_cdf_figure(samples: Dict[str, np.ndarray], reports: Dict[str, FitReport], unit: str = "s") -> bytes:
    """Empirical vs fitted CDF for each named sample (at most 9 panels, the largest samples)."""
    plt = _plt()
    names = sorted(reports, key=lambda k: -reports[k].n)[:9]
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols if cols > 1 else 6.0, 3.2 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        rep = reports[name]
        x = np.sort(samples[name][samples[name] > 0])
        idx = np.unique(np.linspace(0, len(x) - 1, min(len(x), _POINTS)).astype(int))  # the ECDF at <= _POINTS
        ax.step(x[idx], (idx + 1) / len(x), where="post", color=_OBS, lw=1.2, label=f"log (n={rep.n:,})")
        grid = np.geomspace(max(x[0], 1e-3), x[-1], 300)
        for fam, fit in rep.constrained.items():
            chosen = fam == rep.chosen.family
            ax.plot(grid, fit.frozen().cdf(grid), color=_FIT if chosen else "#999999", lw=2 if chosen else 0.8,
                    ls="-" if chosen else "--", label=f"{fam}{' (chosen)' if chosen else ''}")
        ax.set_xscale("log")
        ax.set_title(f"{name}: {rep.chosen.family}, mean {rep.chosen.mean:,.0f} {unit} "
                     f"(sample {rep.sample_mean:,.0f}), D={rep.chosen.gof:.3f}", fontsize=8)
        ax.set_xlabel(unit)
        ax.set_ylabel("CDF")
        ax.legend(fontsize=6, loc="lower right")
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    return _png(fig)


def survival_figure(reports: Dict[str, CensoredReport], unit: str = "s", title: str = "",
                    log_time: bool = False, chosen: Optional[Dict[str, str]] = None) -> bytes:
    """Kaplan-Meier (with 95% band) vs fitted survival, one panel per report (at most 9); ``log_time``: a
    logarithmic time axis (times to close spread over minutes to months); ``chosen``: the family drawn as chosen
    per panel where it is not the report's own choice (the one the scenario holds)."""
    plt = _plt()
    names = list(reports)[:9]
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.0 * cols if cols > 1 else 7.5, 3.6 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        rep = reports[name]
        km = rep.km
        keep = np.unique(np.linspace(0, len(km.times) - 1, min(len(km.times), _POINTS)).astype(int))
        t = np.concatenate([[0.0], km.times[keep]])
        s = np.concatenate([[1.0], km.survival[keep]])
        se = np.concatenate([[0.0], km.std_err[keep]])
        ax.fill_between(t, np.clip(s - 1.96 * se, 0, 1), np.clip(s + 1.96 * se, 0, 1), step="post",
                        color=_OBS, alpha=0.15, lw=0)
        ax.step(t, s, where="post", color=_OBS, lw=1.4,
                label=f"Kaplan-Meier ({km.n_events:,} events, {km.n_censored:,} censored)")
        upper = float(km.times[km.at_risk >= rep.min_at_risk][-1]) if np.any(km.at_risk >= rep.min_at_risk) else (
            float(km.times[-1]) if len(km.times) else 1.0)
        first = float(km.times[km.times > 0][0]) if np.any(km.times > 0) else upper / 1000.0
        grid = np.geomspace(max(first, upper * 1e-6), upper, 300) if log_time else np.linspace(0, upper, 300)
        for fam, fit in rep.fits.items():
            chosen_fam = (chosen or {}).get(name, rep.chosen.family)
            is_chosen = fam == chosen_fam
            ax.plot(grid, frozen(fam, fit.params).sf(grid), color=_FIT if is_chosen else "#999999",
                    lw=2 if is_chosen else 0.8, ls="-" if is_chosen else "--",
                    label=f"{fam}, mean {fit.mean:,.0f} {unit}{' (chosen)' if is_chosen else ''}")
        if log_time:
            ax.set_xscale("log")
            ax.set_xlim(grid[0], upper)
        else:
            ax.set_xlim(0, upper)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(unit)
        ax.set_ylabel("survival")
        med = km.quantile(0.5)
        ax.set_title(f"{title}{name}: KM median {f'{med:.3g} {unit}' if med is not None else 'not reached'}",
                     fontsize=9)
        ax.legend(fontsize=6)
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    return _png(fig)


def profile_figure(series: Dict[str, Sequence[float]], ylabel: str, title: str) -> bytes:
    """Lines per half-hour (or hour) of the day, one per named series."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for name, ys in series.items():
        y = np.asarray(ys, dtype=float)
        x = np.arange(len(y) + 1) * 24.0 / len(y)
        ax.step(x, np.append(y, y[-1]), where="post", lw=1.6, label=name)
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 2))
    ax.set_xlabel("time of day (h)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return _png(fig)


_LABELS = {"arrivals": "call attempts per half-hour", "answered_share": "answered share",
           "abandon_rate": "abandonment rate", "asa_s": "ASA (s)"}


def backtest_figure(cmp: Dict[str, Any], title: str) -> bytes:
    """Observed vs simulated (mean and confidence band) per half-hour, four panels."""
    plt = _plt()
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.4))
    x = np.arange(48) / 2.0

    def arr(values: List[Any]) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    busy = arr(cmp["series"]["arrivals"]["observed"]) >= 1.0  # at least one call a day: the centre is open
    for ax, name in zip(axes.ravel(), _LABELS):
        s = cmp["series"][name]
        obs, sim, lo, hi = arr(s["observed"]), arr(s["simulated"]), arr(s["ci_low"]), arr(s["ci_high"])
        ax.fill_between(x, lo, hi, color=_SIM, alpha=0.25, lw=0,
                        label=f"simulated {100 * float(cmp.get('confidence', 0.95)):.4g}% CI")
        ax.plot(x, sim, color=_SIM, lw=1.6, label="simulated mean")
        ax.plot(x, obs, "o-", color=_OBS, ms=3, lw=0.8, label="log")
        for h in np.nonzero(~busy)[0]:
            ax.axvspan(h / 2.0, h / 2.0 + 0.5, color="#eeeeee", lw=0, zorder=0)
        shown = np.concatenate([obs[busy], hi[busy]])
        shown = shown[~np.isnan(shown)]
        if name == "asa_s" and len(shown):  # waits of the few night calls would hide the day
            ax.set_ylim(0, float(shown.max()) * 1.1 + 1.0)
        ax.set_title(f"{_LABELS[name]} (weighted MAE {s['weighted_mae']:.3g})" if s["weighted_mae"] is not None
                     else _LABELS[name], fontsize=9)
        ax.set_xlim(0, 24)
        ax.set_xticks(range(0, 25, 3))
        ax.set_xlabel("half-hour of the day")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(title + " (grey: half-hours with under one call a day)", fontsize=10)
    return _png(fig)


def abandonment_figure(avw: Dict[str, Any], patience_mean_s: Optional[float], label: str,
                       others: Optional[Dict[str, Dict[str, Any]]] = None) -> bytes:
    """Abandonment vs mean wait per half-hour, with the exponential-patience line (``others``: more simulated
    point sets by label)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    o, s = avw["observed"], avw["simulated"]
    ax.plot(o["mean_wait_s"], o["abandon_rate"], "o", color=_OBS, ms=4, label="log, per half-hour")
    ax.plot(s["mean_wait_s"], s["abandon_rate"], "^", color=_SIM, ms=4, label="simulated mean, per half-hour")
    waits = list(o["mean_wait_s"]) + list(s["mean_wait_s"])
    for (lab, pts), marker in zip((others or {}).items(), "vsd"):
        ax.plot(pts["simulated"]["mean_wait_s"], pts["simulated"]["abandon_rate"], marker, color="#2ca02c", ms=4,
                label=lab)
        waits += list(pts["simulated"]["mean_wait_s"])
    top = max([v for v in waits if v is not None] + [1.0]) * 1.05
    w = np.linspace(0, top, 50)
    if patience_mean_s:
        ax.plot(w, w / patience_mean_s, "-", color=_FIT, label=f"slope 1/{patience_mean_s:.0f} s ({label})")
    if avw.get("observed_slope_per_s"):
        ax.plot(w, w * avw["observed_slope_per_s"], ":", color=_OBS,
                label=f"least squares through 0: 1/{1 / avw['observed_slope_per_s']:.0f} s")
    ax.set_xlim(0, top)
    ax.set_ylim(0, None)
    ax.set_xlabel("mean wait of the half-hour's calls (s)")
    ax.set_ylabel("abandonment rate")
    ax.legend(fontsize=7)
    return _png(fig)


def sensitivity_figure(rows: List[Dict[str, Any]]) -> bytes:
    """Whole-day KPIs against the staffing factor, with the log's values."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    f = np.array([r["factor"] for r in rows])
    for ax, name in zip(axes, ("answered_share", "abandon_rate", "asa_s")):
        m = np.array([r[name]["simulated"] for r in rows])
        lo = np.array([r[name]["ci_low"] for r in rows])
        hi = np.array([r[name]["ci_high"] for r in rows])
        lo, hi = (np.array([np.nan if v is None else v for v in b], dtype=float) for b in (lo, hi))
        ax.errorbar(f, m, yerr=np.nan_to_num([m - lo, hi - m]), fmt="o-", color=_SIM, capsize=3, label="simulated")
        ax.axhline(rows[0][name]["observed"], color=_OBS, ls="--", label="log")
        ax.set_xlabel("staffing.headcount_factor (x agents available)")
        ax.set_title(_LABELS[name], fontsize=9)
    axes[0].legend(fontsize=7)
    return _png(fig)
