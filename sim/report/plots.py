"""Figures of a run, drawn with matplotlib from the results (never by simulating).

:func:`interval_figure` shows, per reporting interval and averaged over
replications: call attempts offered, answered and abandoned; the service level
and abandonment rate with their confidence bands (clipped to each KPI's domain
by :func:`sim.analysis.kpis.clip_to_domain`, like every interval of the report); operators
scheduled, on duty and busy.  Returns PNG bytes so the HTML report can embed the same figure.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

from sim.analysis.kpis import bin_sums, clip_to_domain, interval_kpis
from sim.experiments.runner import ExperimentResult


def _mean_band(rows: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean of ``rows`` (replications x intervals) and the half-width of its t interval."""
    from scipy import stats as st

    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN intervals (no calls) stay NaN
        mean = np.nanmean(rows, axis=0) if len(rows) else np.array([])
        if len(rows) < 2:
            return mean, np.zeros_like(mean)
        n = np.sum(~np.isnan(rows), axis=0)
        sd = np.nanstd(rows, axis=0, ddof=1)
        t = st.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        return mean, np.nan_to_num(t * sd / np.sqrt(np.maximum(n, 1)))


def band(name: str, mean: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edge of KPI ``name``'s confidence band, clipped to the KPI's domain."""
    return clip_to_domain(name, mean - half), clip_to_domain(name, mean + half)


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    """The figure as PNG bytes (then closed)."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def interval_figure(exp: ExperimentResult) -> bytes:
    """PNG bytes of the per-interval figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res0 = exp.replications[0]
    n_iv = len(res0.intervals["calls_offered"])
    # long runs: bins of one hour (or more) so the figure stays readable
    factor = max(1, int(round(3600.0 / res0.interval_s))) if n_iv > 96 else 1
    if n_iv > 24 * 14 * 3600.0 / res0.interval_s:
        factor *= 4
    per = [interval_kpis(r, factor) for r in exp.replications]
    n = len(per[0]["calls_offered"])
    hours = np.arange(n) * res0.interval_s * factor / 3600.0
    conf = exp.cfg.experiment.confidence

    def stack(name: str) -> np.ndarray:
        return np.array([p[name] for p in per], dtype=float)

    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True)
    ax = axes[0]
    for name, label in (("calls_offered", "first attempts"), ("retrials", "redials"),
                        ("calls_answered", "answered"), ("calls_abandoned", "abandoned"),
                        ("online_offered", "online submissions")):
        m, _ = _mean_band(stack(name), conf)
        if np.nansum(m) > 0:
            ax.step(hours, m, where="post", label=label)
    ax.set_ylabel("per interval" if factor == 1 else f"per {factor * res0.interval_s / 3600.0:g} h")
    bands = f", {int(100 * conf)}% bands" if len(per) >= 3 else ""
    unit = "interval" if factor == 1 else f"{factor * res0.interval_s / 3600.0:g} h"
    ax.set_title(f"{exp.cfg.scenario}: mean over {len(per)} replication(s) per {unit}{bands}")
    ax.legend(loc="upper right", fontsize=8)
    ax = axes[1]
    for name, label in (("service_level", f"answered within {exp.cfg.kpi.answer_threshold_s:g} s"),
                        ("abandon_rate", "abandon rate"), ("occupancy", "occupancy")):
        m, h = _mean_band(stack(name), conf)
        ax.step(hours, m, where="post", label=label)
        if len(per) >= 3:
            lo, hi = band(name, m, h)
            ax.fill_between(hours, lo, hi, step="post", alpha=0.25)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("share")
    ax.legend(loc="lower right", fontsize=8)
    ax = axes[2]
    sched = np.mean([bin_sums(r.intervals["scheduled_operators"], factor) / factor for r in exp.replications], axis=0)
    ax.step(hours, sched, where="post", label="scheduled", linewidth=2.5, alpha=0.5)
    m, _ = _mean_band(stack("mean_operators"), conf)
    ax.step(hours, m, where="post", label="on duty")
    busy = np.array([bin_sums(r.intervals["busy_s"], factor) / (r.interval_s * factor) for r in exp.replications])
    ax.step(hours, busy.mean(axis=0), where="post", label="busy")
    ax.set_ylabel("operators")
    ax.set_xlabel("hours from start")
    ax.legend(loc="upper right", fontsize=8)
    warm = exp.cfg.experiment.warmup_h
    for a in axes:
        if warm > 0:
            a.axvspan(0, warm, color="grey", alpha=0.15)
        a.grid(alpha=0.3)
    return _png(fig)


def backlog_figure(exp: ExperimentResult) -> bytes:
    """PNG bytes of the daily backlog per unit type and the daily work orders created and closed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bos = [r.extra["backoffice"] for r in exp.replications]
    types = list(bos[0]["backlog"])
    days = np.arange(len(bos[0]["daily"]["work_orders_created"]))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for t in types:
        axes[0].plot(days + 1, np.mean([b["backlog"][t] for b in bos], axis=0), marker=".", label=t)
    axes[0].set_title("open work orders at the end of each day")
    axes[0].set_xlabel("day")
    axes[0].legend(fontsize=8)
    for name, label in (("work_orders_created", "created"), ("closeouts", "closed"), ("ratings", "rated")):
        axes[1].plot(days + 1, np.mean([b["daily"][name] for b in bos], axis=0), marker=".", label=label)
    axes[1].set_title("work orders per day")
    axes[1].set_xlabel("day")
    axes[1].legend(fontsize=8)
    horizon_d = exp.cfg.experiment.horizon_h / 24.0
    for a in axes:
        a.axvline(horizon_d + 0.5, color="grey", linestyle=":", linewidth=1)
        a.grid(alpha=0.3)
    return _png(fig)
