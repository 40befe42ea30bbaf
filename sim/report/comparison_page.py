"""The page of a sweep, ``comparison.html``, and the compact side-by-side summary that ends a sweep on the
terminal.

The page (``comparison.html.j2``, one self-contained file beside
``comparison.csv``): a row per variant with the headline KPIs, each with its
confidence interval, its verdict against the target and its difference from
the reference (``report.compare_to``; the first variant by default); a forest
plot of those differences; for a sweep over a numeric key (operators,
shrinkage, a reserve threshold), the trade-off curve of the service level
against the key and the operator-hours
(:mod:`sim.report.figures.sweep`).  Shares are percentages, differences of
shares percentage points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from sim.analysis.differences import method_text
from sim.analysis.kpis import is_share
from sim.config.kpi_catalog import kpi_display
from sim.config.paths import published
from sim.report.caveats import judged
from sim.report.comparison_lead import page_cells
from sim.report.difference_text import diff_parts, levels_note
from sim.report.pages import render, write_atomically
from sim.report.sweep_text import sweep_table
from sim.report.text import format_diff, format_interval, format_level, with_unit

#: Columns of the page's table.
PAGE_KPIS = ("answer_rate", "service_level", "abandon_rate", "asa_s", "occupancy", "mean_operators",
             "response_rate", "resolution_rate", "satisfaction_rate")


def _diff_text(name: str, d: Dict[str, Any], reference: str = "the reference") -> tuple[str, str, str]:
    """``Δ +4.69 pp *``, what must be read with it (the means over the pairs of a difference paired on fewer
    replications than the variants have, or why there is no interval), and the whole as a hover text (naming
    ``reference``, the variant the difference is from)."""
    if d.get("diff") is None:
        why = str(d.get("why") or "")
        return "Δ n/a", why, f"difference from the reference: n/a ({why})" if why else ""
    f, unit = (100.0, " pp") if is_share(name) else (1.0, f" {kpi_display(name).unit}")
    text = f"Δ {format_diff(name, d['diff'])}"
    extra = diff_parts(name, d)[1]
    if d.get("diff_ci_low") is None or d.get("diff_ci_high") is None:
        return text, extra, f"difference from the reference: {d['diff'] * f:+.2f}{unit} ({extra})"
    title = (f"difference from the reference: {d['diff'] * f:+.2f}{unit}, interval [{d['diff_ci_low'] * f:+.2f}, "
             f"{d['diff_ci_high'] * f:+.2f}]" + (", significant" if d.get("significant") else ", not significant")
             + f"; {method_text(d, reference=reference)}" + (f"; {extra}" if extra else ""))
    return text + (" *" if d.get("significant") else ""), extra, title


def table_rows(rows: Sequence[Any], kpis: Sequence[str]) -> List[Dict[str, Any]]:
    """The page's rows: per variant its label, links, how its differences were computed, and one cell per KPI
    (value, interval, verdict, Δ)."""
    out = []
    for c in rows:
        targets = (c.summary.get("targets") or {})
        cells = []
        for k in kpis:
            ci = c.kpis.get(k) or {"mean": None, "ci_low": None, "ci_high": None}
            t = (targets.get(k) or {}).get("target")
            v = judged(k, ci, t, (c.summary.get("open_at_end") or {}).get(k))
            diff, extra, diff_title = (_diff_text(k, c.diffs.get(k, {}), c.reference_name) if not c.reference
                                       else ("", "", ""))
            cells.append({"value": with_unit(k, ci.get("mean")),
                          "interval": (format_interval(k, ci) or "no interval") if ci.get("mean") is not None
                          else "",
                          "status": v.status, "title": f"target {v.goal}: {v.word}; {v.text}" if v.goal else "",
                          "diff": diff, "diff_extra": extra, "diff_title": diff_title,
                          "significant": bool(c.diffs.get(k, {}).get("significant")) if not c.reference else False})
        out.append({"index": c.index, "label": c.label or ("(reference)" if c.reference else ""),
                    "reference": c.reference, "folder": c.folder,
                    "replications": c.summary["replications"], "seed": c.summary["seed"],
                    "scenario": c.summary["scenario"], "paired": c.paired, "method": c.method or "(reference)",
                    "report": f"{c.folder}/report.html", "cells": cells})
    return out


def write_comparison_page(sweep_dir: Path, rows: Sequence[Any], skipped: Sequence[str],
                          confidence: float, ref_note: str = "") -> Path:
    """Write ``comparison.html`` in ``sweep_dir``; return its path."""
    from sim import __version__
    from sim.report.figures.sweep import forest, tradeoff

    kpis = [k for k in PAGE_KPIS if rows and (rows[0].kpis.get(k) or {}).get("mean") is not None]
    targets: Dict[str, Optional[float]] = {k: v.get("target") for k, v in
                                           (rows[0].summary.get("targets") or {}).items()} if rows else {}
    figures = [f for f in (forest(rows), tradeoff(rows, targets)) if f is not None]
    lead_headers, lead = page_cells(rows)
    ref = next((c for c in rows if c.reference), rows[0]) if rows else None
    context = {
        "sweep": str(published(sweep_dir)), "rows": [dict(r, has_report=(sweep_dir / r["report"]).is_file())
                                          for r in table_rows(rows, kpis)],
        "columns": [kpi_display(k).label for k in kpis], "figures": figures, "skipped": list(skipped),
        "lead_columns": lead_headers, "lead": lead, "ref_note": ref_note,
        "reference": ref.reference_name if ref is not None else "",
        "confidence": format_level(confidence), "version": __version__,
        "scenarios": sorted({c.summary["scenario"] for c in rows}),
        "levels_note": levels_note(list(rows), confidence),
    }
    path = sweep_dir / "comparison.html"
    write_atomically(path, render("comparison.html.j2", **context))
    return path


def terminal_summary(rows: Sequence[Any]) -> str:
    """The side-by-side summary of a sweep's variants for the terminal (:func:`sim.report.sweep_text.sweep_table`),
    then how each variant's differences from the reference were computed."""
    labels = [f"{c.index}: {c.label}" if c.label else str(c.index) for c in rows]
    sig = [{k: d.get("significant") for k, d in c.diffs.items()} for c in rows]
    methods = [f"{c.index}: {c.method}" for c in rows if not c.reference]
    ref = next((i for i, c in enumerate(rows) if c.reference), 0)
    return sweep_table(labels, [c.summary for c in rows], sig, methods, ref)
