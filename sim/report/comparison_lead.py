"""What a sweep's tables lead with: the cost of each variant and how much of the time it meets its targets.

Every table of a sweep (``comparison.csv``, ``comparison.md``, ``comparison.html``, the terminal's)
opens with, per variant: the operator-hours rostered, the staffing cost (with its currency), the gap
against the ``erlang`` requirement for the scenario's targets (``summary.json`` ->
``staffing_position``: :mod:`sim.report.position`) and the share of intervals meeting each staffing
target and every one (``summary.json`` -> ``staffing`` -> ``intervals_meeting``); in a sweep of the back
office's proposal (``unit_staffing.*``), the case workers proposed and their hours (``summary.json`` ->
``unit_staffing`` -> ``total``), so that what each target costs in case workers stands beside its rates.  The reference
variant is ``report.compare_to``'s (:func:`sim.report.comparison.reference_of`).  :func:`markdown`
writes ``comparison.md``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from sim.report.difference_text import diff_parts, levels_note
from sim.report.text import currency_of, format_diff, format_level, format_value, with_unit

#: KPIs shown first, in this order (those a variant defines).
LEAD_KPIS = ("operator_hours", "staffing_cost")
#: The staffing targets whose shares of intervals met are shown, with their labels.
TARGET_LABELS = {"all": "every target", "service_level": "service level", "abandon_rate": "abandon rate",
                 "asa_s": "ASA"}


def meeting(summary: Mapping[str, Any]) -> Dict[str, Optional[float]]:
    """Share of intervals meeting each staffing target and every one (``all``), as the run wrote them."""
    shares = ((summary.get("staffing") or {}).get("intervals_meeting") or {})
    if not shares and (summary.get("kpis", {}).get("intervals_meeting_target") or {}).get("mean") is not None:
        shares = {"all": summary["kpis"]["intervals_meeting_target"]["mean"]}
    return {k: shares[k] for k in sorted(shares, key=lambda k: (k != "all", k))}


def gap(summary: Mapping[str, Any]) -> tuple[Optional[float], Optional[float]]:
    """The gap in operator-hours against the erlang requirement, and in percent of it (None, None without one)."""
    groups = (summary.get("staffing_position") or {}).get("groups") or []
    if not groups:
        return None, None
    g, r = sum(x["gap_h"] for x in groups), sum(x["required_h"] for x in groups)
    return g, (100.0 * g / r if r > 0 else None)


def case_workers(summary: Mapping[str, Any]) -> tuple[Optional[float], Optional[float]]:
    """The case workers a unit staffing policy proposed (before scale) and their hours in the window
    (``summary.json`` -> ``unit_staffing`` -> ``total``); None, None without a proposal."""
    total = (summary.get("unit_staffing") or {}).get("total") or {}
    if not total:
        return None, None
    return total.get("required_case_workers"), total.get("required_case_worker_hours")


def _proposes(rows: Sequence[Any]) -> bool:
    """Whether any variant proposed case workers (a sweep over ``unit_staffing.*``)."""
    return any(case_workers(c.summary)[0] is not None for c in rows)


def targets_of(rows: Sequence[Any]) -> List[str]:
    """The targets any variant reports a share of intervals for (``all`` first)."""
    seen: List[str] = []
    for c in rows:
        for k in meeting(c.summary):
            if k not in seen:
                seen.append(k)
    return sorted(seen, key=lambda k: (k != "all", k))


def csv_columns(rows: Sequence[Any]) -> tuple[List[str], List[List[Any]]]:
    """The lead columns of ``comparison.csv`` (after the KPIs' own columns for operator-hours and cost):
    ``erlang_gap_h``, ``erlang_gap_pct`` and ``meeting_<target>_pct`` per target (``meeting_all_pct``: every
    target), and when a variant proposed case workers (``unit_staffing.policy``) ``case_workers`` and
    ``case_worker_hours`` (the proposal's, before scale), one row per variant."""
    targets = targets_of(rows)
    units = _proposes(rows)
    header = ["erlang_gap_h", "erlang_gap_pct", *[f"meeting_{t}_pct" for t in targets],
              *(["case_workers", "case_worker_hours"] if units else [])]
    out = []
    for c in rows:
        shares = meeting(c.summary)
        pct = [None if shares.get(t) is None else 100.0 * float(shares[t] or 0.0) for t in targets]
        out.append([*gap(c.summary), *pct, *(case_workers(c.summary) if units else ())])
    return header, out


def page_cells(rows: Sequence[Any]) -> tuple[List[str], List[List[Dict[str, str]]]]:
    """Headers and, per variant, the cells the page's table leads with (text, a second line, a hover text)."""
    targets = targets_of(rows)
    kpis = [k for k in LEAD_KPIS if any((c.kpis.get(k) or {}).get("mean") is not None for c in rows)]
    from sim.config.kpi_catalog import kpi_display

    headers = [kpi_display(k).label.split(" (")[0] for k in kpis] + ["gap against erlang"]
    headers += [f"intervals meeting {TARGET_LABELS.get(t, t)}" for t in targets]
    units = _proposes(rows)
    headers += ["case workers (proposal)"] if units else []
    out = []
    for c in rows:
        cur = currency_of(c.summary)
        cells = []
        for k in kpis:
            m = (c.kpis.get(k) or {}).get("mean")
            d = c.diffs.get(k) or {}
            sub = "" if c.reference or d.get("diff") is None else f"Δ {format_diff(k, d['diff'], currency=cur)}"
            cells.append({"text": with_unit(k, m, cur) if m is not None else "n/a", "sub": sub})
        g, pct = gap(c.summary)
        cells.append({"text": "n/a" if g is None else f"{g:+,.0f} h",
                      "sub": "" if pct is None else f"{pct:+.1f}% of the requirement"})
        shares = meeting(c.summary)
        for t in targets:
            x = shares.get(t)
            cells.append({"text": "n/a" if x is None else f"{100 * float(x):.1f}%", "sub": ""})
        if units:
            n, h = case_workers(c.summary)
            cells.append({"text": "n/a" if n is None else f"{n:,.0f}",
                          "sub": "" if h is None else f"{h:,.0f} case-worker hours"})
        out.append(cells)
    return headers, out


def markdown(rows_in: Sequence[Any], confidence: float, kpis: Sequence[str], ref_note: str = "") -> str:
    """``comparison.md``: a row per variant, cost and the intervals meeting the targets first, then the KPIs
    (mean [interval], the difference from the reference under it)."""
    ref = next((c for c in rows_in if c.reference), rows_in[0])
    pct = format_level(confidence)
    chosen = ref_note or "report.compare_to chooses it"
    lines = ["# Sweep comparison\n", f"Reference: variant {ref.index} ({ref.label or ref.folder}; {chosen}). "
             f"Mean [{pct} CI] of each variant; Δ = difference from the reference [{pct} CI] "
             "(shares in percentage points, pp); * = significant (the interval excludes 0). The column "
             "'differences' says how each variant's differences were computed: paired-t on the replications both "
             "variants have when they share the seed (common random numbers), else Welch's unpaired interval. A "
             "difference paired on fewer replications than a variant reports is the difference of the means over "
             "the paired replications, shown under it. Operator-hours and cost are fixed by the plan (no "
             "interval); the gap is against the erlang requirement for the scenario's own targets.\n"]
    note = levels_note(list(rows_in), confidence)
    if note:
        lines.append(note + "\n")
    lead_head, lead = page_cells(rows_in)
    from sim.config.kpi_catalog import kpi_display

    # as on comparison.html: the KPIs by name, right after the cost; the method (replications, differences) last
    names = [kpi_display(k).label for k in kpis]
    lines += ["| variant | overrides | " + " | ".join(lead_head) + " | " + " | ".join(names)
              + " | replications | differences |",
              "|---|---|" + "---:|" * len(lead_head) + "---|" * len(kpis) + "---:|---|"]
    for c, lc in zip(rows_in, lead):
        cells = []
        for k in kpis:
            ci, d = c.kpis[k], c.diffs[k]
            if ci["mean"] is None:
                cells.append("n/a")
                continue
            cell = format_value(k, ci["mean"]) + (f" [{_g(k, ci['ci_low'])}, {_g(k, ci['ci_high'])}]"
                                                  if ci["ci_low"] is not None else " (no interval)")
            if not c.reference:
                text, extra = diff_parts(k, d)
                cell += f"<br>{text}" + (f"<br>{extra}" if extra else "")
            cells.append(cell)
        lead_text = [x["text"] + (f"<br>{x['sub']}" if x["sub"] else "") for x in lc]
        label = (c.label or "") + (" (reference)" if c.reference else "")
        lines.append(f"| {c.index} | {label.strip() or '(reference)'} | " + " | ".join(lead_text) + " | "
                     + " | ".join(cells) + f" | {c.summary['replications']} | {c.method or '(reference)'} |")
    return "\n".join(lines) + "\n"


def _g(name: str, x: Any) -> str:
    return "n/a" if x is None else format_value(name, x)
