"""Figures of a sweep: a forest plot of the differences from the first variant, and the trade-off curve of a
sweep over a numeric key.

Both are drawn from the comparison of the variants
(:func:`sim.report.comparison.compared`): every difference is paired on the
replications both variants have when they share their seed (common random
numbers), Welch's otherwise, and its label says which; shares in percentage points.
"""

from __future__ import annotations

import math
from typing import Any, List, Optional, Sequence

import numpy as np

from sim.analysis.differences import method_text
from sim.analysis.kpis import is_share
from sim.config.kpi_catalog import kpi_display
from sim.report.figures.common import height, layout, legend_beside, percent_axis, png, share_limits, subplots
from sim.report.pages import Figure
from sim.report.palette import SERIES, variant_colour

#: KPIs of the forest plot (those the variants have).
FOREST_KPIS = ("service_level", "answer_rate", "abandon_rate", "asa_s", "occupancy", "online_on_time_rate",
               "response_rate", "resolution_rate", "satisfaction_rate", "time_to_close_p90_h")


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _wrapped(text: str, width: int = 28) -> str:
    """A label on as many lines as it needs, broken after a ``.``, ``=`` or space (inside a longer word only when
    a piece alone is wider than ``width``), never cut."""
    import re

    lines = [""]
    for piece in re.findall(r"[^.= ]*[.= ]?", text):
        while len(piece) > width:
            lines += [piece[:width], ""]
            piece = piece[width:]
        if len(lines[-1]) + len(piece.rstrip()) > width and lines[-1]:
            lines.append("")
        lines[-1] += piece
    return "\n".join(line.strip() for line in lines if line.strip())


def forest(rows: Sequence[Any]) -> Optional[Figure]:
    """Differences of the main KPIs from variant 0, one panel per KPI, one line per variant (None with one
    variant)."""
    if len(rows) < 2:
        return None
    kpis = [k for k in FOREST_KPIS if k in rows[0].kpis and rows[0].kpis[k].get("mean") is not None]
    if not kpis:
        return None
    cols = 3
    nrows = math.ceil(len(kpis) / cols)
    ref = next((c for c in rows if c.reference), rows[0])
    others = [c for c in rows if c is not ref]
    labels = [_wrapped(f"{c.index}: {c.label}") + f"\n{method_text(c.how, short=True)}" for c in others]
    lines = max(label.count("\n") + 1 for label in labels)
    widest = max(len(line) for label in labels for line in label.split("\n"))
    panel_h = (0.16 * lines + 0.12) * len(others) + 0.25
    fig, axes = subplots(nrows, height(nrows, panel_h, "none", hspace_in=0.75), cols=cols)
    layout(fig, nrows, cols, "none", left_in=max(1.2, 0.075 * widest + 0.3), wspace_in=0.45, hspace_in=0.75,
           right_in=0.5)
    for i, k in enumerate(kpis):
        ax = axes[i // cols][i % cols]
        f, unit = (100.0, "pp") if is_share(k) else (1.0, kpi_display(k).unit)
        for y, c in enumerate(others):
            d = c.diffs[k]
            if d.get("diff") is None:
                continue
            colour = variant_colour(c.index if c.index != 0 else ref.index)  # grey stays the reference's
            if d.get("diff_ci_low") is not None and d.get("diff_ci_high") is not None:  # pooled KPIs have none
                ax.plot([d["diff_ci_low"] * f, d["diff_ci_high"] * f], [y, y], color=colour, lw=2.4,
                        solid_capstyle="butt", zorder=3)
            ax.plot([d["diff"] * f], [y], "o", ms=6, zorder=4, color=colour,
                    markerfacecolor=colour if d.get("significant") else "white")
        ax.axvline(0, color=SERIES["reference"], lw=1, zorder=2)
        ax.set_yticks(range(len(others)))
        ax.set_yticklabels(labels if i % cols == 0 else [])
        ax.set_ylim(len(others) - 0.5, -0.5)
        ax.set_title(f"{kpi_display(k).label} ({unit})", loc="left", fontsize=9)
        ax.grid(axis="y", alpha=0)
    for j in range(len(kpis), nrows * cols):
        axes[j // cols][j % cols].set_visible(False)
    fig.suptitle(f"Differences from variant {ref.index}, the reference ({_short(ref.label or ref.folder, 60)})",
                 x=0.01, ha="left", fontsize=11, fontweight="bold")
    caption = (f"Each variant minus variant {ref.index}, the reference (report.compare_to): dot = mean difference, "
               "bar = confidence interval; under each label, how: 'paired on n' = paired-t on the n replications "
               "both variants have (common random numbers; "
               "'n of a/b' when the reference has a and this one b, and the dot is then the difference of the means "
               "over the n pairs), 'Welch' = unpaired (different seeds), 'no interval' = a dot alone (one "
               "replication). A filled dot differs significantly (the interval excludes 0); shares in percentage "
               "points (pp).")
    return Figure("forest", "Differences from the reference", caption, png(fig))


def numeric_key(rows: Sequence[Any]) -> Optional[tuple[str, List[float]]]:
    """The one key a sweep varies and each variant's value of it, when the values are numbers; else None."""
    keys = set()
    values: List[float] = []
    for c in rows:
        if len(c.overrides) != 1 or "=" not in c.overrides[0]:
            return None
        key, value = c.overrides[0].split("=", 1)
        keys.add(key.lstrip("+"))
        try:
            values.append(float(value))
        except ValueError:
            return None
    return (keys.pop(), values) if len(keys) == 1 and len(set(values)) > 1 else None


def operator_hours(c: Any) -> Optional[float]:
    """Operator-hours rostered in the measurement window of a variant (per replication; before shrinkage, the
    hours paid), or on duty where the plan's rostered hours were not recorded."""
    s = c.summary
    if (s["kpis"].get("operator_hours") or {}).get("mean") is not None:
        return float(s["kpis"]["operator_hours"]["mean"])
    ops = (s["kpis"].get("mean_operators") or {}).get("mean")
    return None if ops is None else float(ops) * (float(s["horizon_h"]) - float(s.get("warmup_h", 0.0)))


def _or(x: Optional[float], default: float) -> float:
    return float(default if x is None else x)


def tradeoff(rows: Sequence[Any], targets: Any) -> Optional[Figure]:
    """Service level and abandonment against the swept key and against the operator-hours (None when the
    sweep varies no numeric key and the operator-hours do not change)."""
    key = numeric_key(rows)
    maybe = [operator_hours(c) for c in rows]
    hours_x = [float(h) for h in maybe if h is not None]
    vary_hours = len(hours_x) == len(rows) and max(hours_x) > 1.005 * min(hours_x)
    if (key is None and not vary_hours) or len(rows) < 2:
        return None
    xs: List[tuple[str, List[float]]] = []
    linear = key is not None and vary_hours and abs(float(np.corrcoef(key[1], hours_x)[0, 1])) > 0.999
    if key is not None and not linear:
        xs.append((key[0], key[1]))
    if vary_hours:
        xs.append(("operator-hours rostered (paid) per replication", hours_x))
    groups = [[k for k in ("service_level", "answer_rate") if rows[0].kpis.get(k, {}).get("mean") is not None],
              [k for k in ("abandon_rate",) if rows[0].kpis.get(k, {}).get("mean") is not None]]
    groups = [g for g in groups if g]
    fig, axes = subplots(len(groups), height(len(groups), 2.4), cols=len(xs))
    layout(fig, len(groups), len(xs), "beside", wspace_in=0.8)
    for r, group in enumerate(groups):
        for j, (xlabel, x) in enumerate(xs):
            ax = axes[r][j]
            order = np.argsort(x)
            xx = np.asarray(x, dtype=float)[order]
            means = []
            for k in group:
                colour = SERIES.get(k, "#444444")
                m = np.array([rows[i].kpis[k]["mean"] for i in order], dtype=float)
                lo = np.array([_or(rows[i].kpis[k].get("ci_low"), rows[i].kpis[k]["mean"]) for i in order])
                hi = np.array([_or(rows[i].kpis[k].get("ci_high"), rows[i].kpis[k]["mean"]) for i in order])
                ax.errorbar(xx, m, yerr=[m - lo, hi - m], color=colour, marker="o", ms=5, capsize=3, lw=1.4,
                            label=kpi_display(k).label)
                means += [lo, hi]
                t = targets.get(k) if targets else None
                if t is not None:
                    ax.axhline(t, color=colour, ls="--", lw=1, alpha=0.8,
                               label=f"target {'≥' if kpi_display(k).better == 'higher' else '≤'} {t:.0%}")
                    means.append(np.array([t]))
                if k == group[0]:
                    for i in order:
                        name = f"{key[0].rsplit('.', 1)[-1]}={key[1][i]:g}" if linear and key else str(rows[i].index)
                        right = len(x) > 1 and x[i] == max(x)  # to the left of the last point: inside the axes
                        ax.annotate(name, (x[i], rows[i].kpis[k]["mean"]), fontsize=7,
                                    xytext=(-4 if right else 4, 4), textcoords="offset points",
                                    ha="right" if right else "left", color="#444444")
            percent_axis(ax, *share_limits(*means))
            ax.set_xlabel(xlabel)
            if j == 0:
                ax.set_title(" and ".join(kpi_display(k).label for k in group).capitalize(), loc="left", fontsize=9)
            if j == len(xs) - 1:
                legend_beside(ax)
    fig.suptitle("Trade-off", x=0.01, ha="left", fontsize=11, fontweight="bold")
    against = [f"the swept key {key[0]}"] if key and not linear else []
    against += ["the operator-hours rostered" + (f" (which follow {key[0]})" if linear and key else "")] \
        if vary_hours else []
    alone = [str(c.index) for c in rows if any(c.kpis.get(k, {}).get("mean") is not None
                                               and c.kpis[k].get("ci_low") is None for g in groups for k in g)]
    caption = ("Service level, answer rate and abandonment of each variant (mean and confidence interval) against "
               + " and ".join(against) + "; the labels name the variants; dashed: the targets."
               + (f" Variant{'s' if len(alone) > 1 else ''} {', '.join(alone)}: no interval (1 replication), the "
                  f"mean alone." if alone else ""))
    return Figure("tradeoff", "Trade-off", caption, png(fig))
