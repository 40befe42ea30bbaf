"""The calibration figures quoted in the documentation, written from ``calibration.json`` (never by hand).

docs/calibration.md holds blocks between ``<!-- figures: KIND NAME[,NAME...] -->`` and
``<!-- end figures -->``; each is the Markdown :func:`render` makes of the ``calibration.json`` of the
documented command(s) ``--name NAME``.  tests/e2e/test_calibrate_shared_data.py runs those commands as
written and fails when a block differs from what they give; after a change that moves the figures,
run the documented commands and then ``python -m sim.calibrate.docfigures docs/calibration.md reports``
(``reports/calibration/NAME/calibration.json`` of each name) to rewrite the blocks.

Kinds: ``calls_summary`` (what a call log's calibration fitted), ``holdout`` (the errors of the
hold-out, :func:`sim.calibrate.holdout_page.holdout_markdown`),
``windows`` (one line per calibration: fit and hold-out windows, the errors beside the baselines, the fit
window reproduced), ``unit_types`` (a request log's medians and 90th percentiles against the log's 95%
intervals; "not compared" where the log has too few closed requests of a type for an estimate of its own).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

#: a block: its opening line, kind, names, body (no block marker inside it: an empty body ends at once) and its end
BLOCK = re.compile(r"(<!-- figures: (\w+) ([\w,-]+) -->\n)"
                   r"((?:(?!<!-- (?:end )?figures)[\s\S])*?)(\n?<!-- end figures -->)")


def _windows(cjs: Sequence[Dict[str, Any]]) -> str:
    head = ["fit window", "hold-out", "abandonment MAE: simulation / Erlang A / persistence / noise floor (pts)",
            "ASA MAE (s)", "service level MAE (pts)",
            "service level: simulation's bias / log's loss to callers not answered at once with nobody waiting (pts)",
            "fit window reproduced: abandonment, ASA (log / simulated)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cj in cjs:
        h, ww = cj["holdout"], cj["backtest"]["whole_window"]
        e = h["errors"]

        def four(k: str, scale: float) -> str:
            return " / ".join(f"{scale * e[p][k]['mae']:.1f}" for p in ("simulated", "erlang_a", "persistence",
                                                                         "noise_floor"))

        w = cj["windows"]
        lines.append(f"| {w['fit']['from']} to {w['fit']['to']} | {w['holdout']['from']} to {w['holdout']['to']} "
                     f"({', '.join(w['holdout']['weekdays'])}) | {four('abandon_rate', 100)} | {four('asa_s', 1)} | "
                     f"{four('service_level', 100)} | {100 * e['simulated']['service_level']['bias']:+.1f} / "
                     f"{100 * h['empty_queue']['service_level_points']:.1f} | "
                     f"{100 * ww['abandon_rate']['observed']:.1f}% / "
                     f"{100 * ww['abandon_rate']['simulated']:.1f}%, {ww['asa_s']['observed']:.1f} / "
                     f"{ww['asa_s']['simulated']:.1f} s |")
    return "\n".join(lines)


def _unit_types(cjs: Sequence[Dict[str, Any]]) -> str:
    bt = cjs[0]["backtest"]
    head = ["unit type", "median h: log [95% interval]", "simulated", "p90 h: log [95% interval]", "simulated",
            "flagged"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def v(x: Optional[float]) -> str:
        return "n/a" if x is None else f"{x:,.1f}"

    for u, row in bt["unit_types"].items():
        cells = []
        for k in ("median", "p90"):
            c = row[k]
            cells += [f"{v(c['observed'])} [{v(c['observed_ci_low'])}, {v(c['observed_ci_high'])}]", v(c["simulated"])]
        flags = "; ".join(f"{k}: {row[k]['flag']}" for k in ("median", "p90") if row[k].get("flag"))
        if row["median"].get("not_compared"):  # too few closed requests of the type for a log value of its own
            flags = f"not compared: {row['median']['not_compared']}"
        lines.append(f"| {u} | " + " | ".join(cells) + f" | {flags or '-'} |")
    return "\n".join(lines)


def _calls_summary(cjs: Sequence[Dict[str, Any]]) -> str:
    from sim.calibrate.patience_page import patience_held

    cj = cjs[0]
    w, h, p, r = cj["windows"]["fit"], cj["handle_s"], cj["patience_s"], cj["retrial"]
    a = cj["agents_half_hourly"]
    teams = cj["teams"]["teams"]
    pr = cj["priority"]
    ratio = {k: v["wait_vs_regular_same_type_and_half_hour"] for k, v in pr["labels"].items() if v["marked"]}
    factor = cj["handle_factor_half_hourly"][14:48]
    tot = a["totals_agent_hours"]
    return "\n".join([
        f"* fitted on {w['from']} to {w['to']} ({w['days']} days): {cj['calls_offered']:,} calls offered to agents, "
        f"{cj['first_attempts']:,} first attempts; {cj['calls_per_day']:,.1f} first attempts a day on average over "
        "the weekdays (" + ", ".join(f"{k} {v:,.0f}" for k, v in cj["calls_per_weekday"].items()) + ")",
        f"* handle time (talk): {h['family']}, mean {h['mean']:.1f} s; per call type "
        + ", ".join(f"{k} {v['family']} {v['mean']:.0f} s" for k, v in h["by_category"].items())
        + f"; by time of day (07:00-24:00) x{min(factor):.2f} to x{max(factor):.2f}",
        f"* patience: {p['n_events']:,} abandonments, {p['n_censored']:,} censored waits; families within the band: "
        f"{', '.join(p['passing_families']) or 'none'}; in the scenario: "
        + patience_held(p)
        + f"; Kaplan-Meier median {p['km_median']:.0f} s; exponential fit (Erlang A's) mean "
        f"{p['fits']['exponential']['mean']:.0f} s; per call type (Kaplan-Meier medians) "
        + ", ".join(f"{k} {v['km_median']:.0f} s" for k, v in cj["patience_by_type"].items() if v["km_median"]),
        f"* redials: {100 * r['share']:.0f}% of identified callers' abandoned calls, after "
        f"{r['delay_s']['mean'] / 3600:.1f} h on average",
        "* priority: marked " + (", ".join(f"'{k}' (waits {v:.2f} x the regular calls of its type and half-hour)"
                                            for k, v in ratio.items() if v is not None) or "none")
        + f"; queued ahead: {', '.join(pr['queued_ahead']) or 'none'}",
        "* teams: " + "; ".join(f"{t} ({len(v['agents'])} agents: " + ", ".join(
            f"{c} {n:,}" for c, n in v["services"].items()) + " services)" for t, v in teams.items()),
        f"* agent-hours over the fit window: {tot['present']:,.0f} present, {tot['available']:,.0f} available, "
        f"{tot['talking']:,.0f} talking (talk occupancy of the agents present {100 * a['talk_occupancy']:.0f}%)"])


def _holdout(cjs: Sequence[Dict[str, Any]]) -> str:
    from sim.calibrate.holdout_page import holdout_markdown

    return holdout_markdown(cjs[0]["holdout"])


KINDS: Dict[str, Callable[[Sequence[Dict[str, Any]]], str]] = {"holdout": _holdout, "windows": _windows,
                                                               "unit_types": _unit_types,
                                                               "calls_summary": _calls_summary}


def render(kind: str, cjs: Sequence[Dict[str, Any]]) -> str:
    """The Markdown of block ``kind`` from the calibrations ``cjs`` (their ``calibration.json``)."""
    return KINDS[kind](cjs)


def blocks(text: str) -> List[tuple[str, List[str], str]]:
    """``(kind, names, body)`` of every figures block of ``text``."""
    return [(m.group(2), m.group(3).split(","), m.group(4)) for m in BLOCK.finditer(text)]


def rewrite(text: str, load: Callable[[str], Dict[str, Any]]) -> str:
    """``text`` with every figures block rendered from ``load(name)``."""
    return BLOCK.sub(lambda m: m.group(1) + render(m.group(2), [load(n) for n in m.group(3).split(",")])
                     + "\n<!-- end figures -->", text)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """``python -m sim.calibrate.docfigures DOC REPORTS``: rewrite DOC's figures blocks from REPORTS."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        sys.exit("usage: python -m sim.calibrate.docfigures DOC REPORTS_FOLDER")
    doc, reports = Path(args[0]), Path(args[1])

    def load(name: str) -> Dict[str, Any]:
        data: Dict[str, Any] = json.loads((reports / "calibration" / name / "calibration.json").read_text("utf-8"))
        return data

    doc.write_text(rewrite(doc.read_text("utf-8"), load), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
