"""A self-contained HTML page of a run: KPI table, accounting, figure and configuration.

The figure is embedded as a base64 PNG so the page is one file that can be
mailed or archived without its folder.
"""

from __future__ import annotations

import base64
import html
from typing import Any, Mapping

from sim.analysis.kpis_backoffice import UNIT_RATES
from sim.config.schema import URGENCY_CLASSES
from sim.experiments.runner import ExperimentResult
from sim.report.text import format_interval, format_value

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:12px}
.bad{color:#b00;font-weight:bold}.ok{color:#070}
"""


def _unit_type_table(summary: Mapping[str, Any]) -> str:
    b = summary.get("breakdowns", {})
    rates = [k for k in UNIT_RATES if k in b]
    if not rates:
        return ""
    groups = [g for g in b[rates[0]] if g not in URGENCY_CLASSES]
    head = "".join(f"<th>{html.escape(r)}</th>" for r in rates)
    rows = []
    for g in groups:
        cells = []
        for r in rates:
            ci = b[r][g]
            interval = format_interval(r, ci)
            cells.append(f"<td>{format_value(r, ci['mean'])}{' ' + interval if interval else ''}</td>")
        rows.append(f"<tr><td class=l>{html.escape(g)}</td>{''.join(cells)}</tr>")
    return (f"<h2>Three rates by unit type</h2><table><tr><th class=l>unit type</th>{head}</tr>"
            f"{''.join(rows)}</table><p>Per unit: units.csv.</p>")


def render_html(exp: ExperimentResult, summary: Mapping[str, Any], figures: Mapping[str, bytes],
                config_yaml: str) -> str:
    """The report page as a string (figures embedded as base64 PNG)."""
    esc = html.escape
    conf = int(round(100 * summary["confidence"]))
    rows = []
    definitions = summary["kpi_definitions"]
    for name, ci in summary["kpis"].items():
        rows.append(f"<tr><td class=l>{esc(name)}</td><td>{esc(format_value(name, ci['mean']))}</td>"
                    f"<td>{esc(format_interval(name, ci) or 'n/a')}</td>"
                    f"<td class=l>{esc(definitions.get(name, ''))}</td></tr>")
    acc = summary["accounting"]
    acc_rows = "".join(f"<tr><td class=l>{esc(s)}</td><td>{v['mean']:,.1f}</td></tr>"
                       for s, v in acc["states"].items())
    check = ("<span class=ok>balanced: every contact offered is accounted for</span>" if acc["balanced"]
             else "<span class=bad>NOT BALANCED</span>")
    imgs = "".join(f'<img alt="{esc(name)}" style="max-width:100%" '
                   f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
                   for name, png in figures.items())
    failed = summary.get("failed_replications") or []
    failed_html = ("<p class=bad>" + "<br>".join(esc(f"replication {f['replication']} (seed {f['seed']}) "
                                                    f"failed: {f['error']}") for f in failed) + "</p>"
                   if failed else "")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>hotline-sim: {esc(summary['scenario'])}</title><style>{_STYLE}</style></head>
<body>
<h1>Scenario <code>{esc(summary['scenario'])}</code></h1>
<p>{esc(summary.get('description') or '')}</p>
<p>{summary['replications']} replication(s) of {summary['horizon_h']:g} h, warm-up {summary['warmup_h']:g} h,
seed {summary['seed']}, scale {summary['scale']:g}; wall time {exp.wall_s:.1f} s.</p>
<h2>KPIs (mean and {conf}% confidence interval across replications)</h2>
<table><tr><th class=l>KPI</th><th>mean</th><th>{conf}% CI</th><th class=l>definition</th></tr>
{''.join(rows)}</table>
{failed_html}
{_unit_type_table(summary)}
<h2>Where the contacts ended</h2>
<table><tr><th class=l>state</th><th>contacts (mean per replication)</th></tr>{acc_rows}</table>
<p>{check}</p>
<h2>Through time</h2>
{imgs}
<h2>Configuration</h2>
<pre>{esc(config_yaml)}</pre>
</body></html>
"""
