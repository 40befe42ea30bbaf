"""KPI values as text: the table printed at the end of a run, and the formatting the pages share.

A count is printed without decimals, a share as a percentage, anything else
with two decimals (:func:`format_value`); an interval as ``[low, high]``
(:func:`format_interval`).  :func:`kpi_table` is the terminal's summary of a run,
computed from ``summary.json``'s content alone.
"""

from __future__ import annotations

import io
from typing import Any, Mapping, Optional

import numpy as np

from sim.config.kpi_catalog import kpi_domain
from sim.config.schema import URGENCY_CLASSES


def format_value(name: str, v: Optional[float]) -> str:
    """Human-readable value of KPI ``name``."""
    if v is None:
        return "n/a"
    kind = kpi_domain(name).kind
    if kind == "count":
        return f"{v:,.0f}"
    if kind == "share":
        return f"{100 * v:.2f}%"
    return f"{v:,.2f}"


def precision_note(summary: Mapping[str, Any]) -> Optional[str]:
    """One line saying that a precision target was missed, and by how much (None if met or not set)."""
    if summary.get("precision_target") is None or summary.get("precision_met"):
        return None
    kpi, target = summary["precision_kpi"], float(summary["precision_target"])
    if summary.get("precision_stopped"):
        return f"precision target {target:.4g} on {kpi} not met: {summary['precision_stopped']}"
    achieved = summary.get("precision_achieved")
    reached = f"{float(achieved):.4g}" if achieved is not None else "undefined"
    return (f"precision target not met: the relative half-width of {kpi}'s confidence interval is {reached} "
            f"after {summary['replications']} replications (target {target:.4g}; the cap is "
            f"experiment.max_replications={summary.get('max_replications', summary['replications'])})")


def kpi_table(summary: Mapping[str, Any]) -> str:
    """The printed KPI table: mean and confidence interval of every KPI, rates by unit type, accounting,
    and a note when a precision target was missed."""
    buf = io.StringIO()
    conf = int(round(100 * summary["confidence"]))
    drain = f", drain {summary['drain_h']:g} h" if summary.get("drain_h") else ""
    buf.write(f"Scenario {summary['scenario']}: {summary['replications']} replication(s) of "
              f"{summary['horizon_h']:g} h (warm-up {summary['warmup_h']:g} h{drain}), seed {summary['seed']}, "
              f"scale {summary['scale']:g}\n")
    buf.write(f"{'KPI':<34}{'mean':>12}   {conf}% confidence interval\n")
    for name, ci in summary["kpis"].items():
        buf.write(_line(name, name, ci))
    by_type = {k: v for k, v in summary.get("breakdowns", {}).items()
               if k in ("response_rate", "resolution_rate", "satisfaction_rate")}
    if by_type:
        groups = [g for g in next(iter(by_type.values())) if g not in URGENCY_CLASSES]
        buf.write("\nThree rates by unit type:\n")
        for g in groups:
            for k, table in by_type.items():
                buf.write(_line(k, f"  {k}.{g}", table[g]))
    if summary.get("groups"):
        buf.write("\nBy operator group (calls by their first group; occupancy of the group's operators):\n")
        for g, table in summary["groups"].items():
            for k, ci in table.items():
                buf.write(_line(k, f"  {k}.{g}", ci))
    acc = summary["accounting"]
    buf.write("\nWhere the contacts offered in the window ended (mean per replication):\n")
    for state, v in acc["states"].items():
        buf.write(f"  {state:<34}{v['mean']:>14,.1f}\n")
    total = float(np.mean(acc["total_per_replication"])) if acc["total_per_replication"] else 0.0
    check = "balanced" if acc["balanced"] else "NOT BALANCED"
    buf.write(f"  {'total (= contacts_offered)':<34}{total:>14,.1f}   {check}\n")
    note = precision_note(summary)
    if note:
        buf.write(f"\nNote: {note}\n")
    return buf.getvalue()


def format_interval(name: str, ci: Mapping[str, Any]) -> Optional[str]:
    """``[low, high]`` of KPI ``name``'s confidence interval ``ci``, or None when there is none."""
    lo, hi = ci["ci_low"], ci["ci_high"]
    return f"[{format_value(name, lo)}, {format_value(name, hi)}]" if lo is not None else None


def _line(kind: str, label: str, ci: Mapping[str, Any]) -> str:
    return f"{label:<34}{format_value(kind, ci['mean']):>12}   {format_interval(kind, ci) or 'n/a'}\n"
