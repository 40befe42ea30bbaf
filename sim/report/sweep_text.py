"""The compact side-by-side summary that ends a sweep on the terminal.

A column per variant (a row per variant with more than five): operator-hours, staffing cost and the
intervals meeting the staffing targets first, then the gap against the erlang requirement
(``summary.json`` -> ``staffing_position``), then the main KPIs as mean ± half-width of the
confidence interval (its ends where it is clipped to the KPI's domain), ``*`` where a variant differs
significantly from the reference (``report.compare_to``).
"""

from __future__ import annotations

import io
from typing import Any, Mapping, Optional, Sequence

from sim.config.kpi_catalog import kpi_domain
from sim.report.text import COST_UNITS, currency_of, format_value, is_fixed, with_unit

SWEEP_KPIS = ("operator_hours", "staffing_cost", "intervals_meeting_target", "service_level", "answer_rate",
              "abandon_rate", "asa_s", "occupancy", "mean_operators", "online_on_time_rate", "response_rate",
              "resolution_rate", "satisfaction_rate", "time_to_close_p90_h")


def _cell(name: str, ci: Mapping[str, Any], sig: Optional[bool], currency: str = COST_UNITS) -> str:
    m = ci.get("mean")
    if m is None:
        return "n/a"
    if is_fixed(name):  # the same in every replication: no interval, nothing to test
        return with_unit(name, m, currency)
    lo, hi = ci.get("ci_low"), ci.get("ci_high")
    if lo is None or hi is None:
        return format_value(name, m) + (" *" if sig else "")
    half = (hi - lo) / 2
    if abs((lo + hi) / 2 - m) > 1e-9 * max(1.0, abs(m), half):
        # clipped to the KPI's domain (docs/kpis.md): mean ± half-width would name ends the interval does not
        # have (66.94% ±50.00 for [0%, 100%]), so the interval itself is shown
        text = f"{format_value(name, m)} [{format_value(name, lo, m)}, {format_value(name, hi, m)}]"
    elif kpi_domain(name).kind == "share":
        text = f"{100 * m:.2f}% ±{100 * half:.2f}"
    else:
        text = f"{format_value(name, m)} ±{format_value(name, half)}"
    return text + (" *" if sig else "")


def _gap_cell(summary: Mapping[str, Any]) -> str:
    """The gap of a variant's operator-hours against the erlang requirement (``staffing_position``), or n/a."""
    groups = (summary.get("staffing_position") or {}).get("groups") or []
    if not groups:
        return "n/a"
    gap = sum(g["gap_h"] for g in groups)
    req = sum(g["required_h"] for g in groups)
    return f"{gap:+,.0f} h" + (f" ({100 * gap / req:+.1f}%)" if req > 0 else "")


def sweep_table(labels: Sequence[str], summaries: Sequence[Mapping[str, Any]],
                significant: Sequence[Mapping[str, Optional[bool]]], methods: Sequence[str] = (),
                reference: int = 0) -> str:
    """The side-by-side summary of a sweep: a column per variant, a row per main KPI, cost and the intervals
    meeting the staffing targets first, then the gap against the erlang requirement (mean ± half-width;
    ``*`` = differs significantly from the reference, the variant at position ``reference``; a KPI no
    variant defines is left out); with more than five variants, a row per variant; then ``methods``, a
    line per variant saying how its differences from the reference were computed."""
    names = [k for k in SWEEP_KPIS if any(s.get("kpis", {}).get(k, {}).get("mean") is not None for s in summaries)]
    empty = {"mean": None, "ci_low": None, "ci_high": None}
    cells = [[_cell(k, s.get("kpis", {}).get(k, empty), sig.get(k) if i != reference else None, currency_of(s))
              for k in names]
             for i, (s, sig) in enumerate(zip(summaries, significant))]
    if any((s.get("staffing_position") or {}).get("groups") for s in summaries):
        at = min(3, len(names))  # after the cost and the intervals meeting the targets
        names.insert(at, "gap_vs_erlang")
        for row, s in zip(cells, summaries):
            row.insert(at, _gap_cell(s))
    buf = io.StringIO()
    if len(labels) <= 5:
        widths = [max(len(lab), *(len(c) for c in col)) + 2 for lab, col in zip(labels, cells)]
        buf.write(f"{'KPI':<24}" + "".join(f"{lab:>{w}}" for lab, w in zip(labels, widths)) + "\n")
        for j, k in enumerate(names):
            buf.write(f"{k:<24}" + "".join(f"{col[j]:>{w}}" for col, w in zip(cells, widths)) + "\n")
    else:
        shown = names[:5]
        widths = [max(len(k), *(len(c[j]) for c in cells)) + 2 for j, k in enumerate(shown)]
        lw = max(len(lab) for lab in labels) + 2
        buf.write(f"{'variant':<{lw}}" + "".join(f"{k:>{w}}" for k, w in zip(shown, widths)) + "\n")
        for lab, row in zip(labels, cells):
            buf.write(f"{lab:<{lw}}" + "".join(f"{row[j]:>{w}}" for j, w in enumerate(widths)) + "\n")
    buf.write("mean ± half-width of the confidence interval, or mean [low, high] where the interval is clipped to the "
              "KPI's domain (none with 1 replication, none for a quantity the input fixes); * = differs significantly "
              f"from the reference, {labels[reference]}\n")
    if methods:
        buf.write(f"Differences from variant {labels[reference].split(':')[0]}: " + "; ".join(methods) + "\n")
    return buf.getvalue()
