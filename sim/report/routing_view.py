"""The report's section on the routing policies: operator groups side by side, and callbacks.

Shown only when the scenario uses them (``routing.groups``;
``routing.callback.enabled``): a table of each group's service level,
abandonment, speed of answer and occupancy with their confidence intervals
(``summary.json`` -> ``groups``) and a verdict against the hotline's targets; a
table of what became of the callbacks; and the figures of
:mod:`sim.report.figures.routing`.  Group KPIs count call attempts by their home
group (the first group of their route) and the occupancy of the group's own
operators, as :mod:`sim.analysis.kpis_routing` defines them.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

import numpy as np

from sim.analysis.kpis_routing import GROUP_KPIS
from sim.config.kpi_catalog import kpi_display
from sim.report.figures import routing
from sim.report.pages import Section, Table
from sim.report.rundata import RunData
from sim.report.targets import judge
from sim.report.text import format_interval, format_level, with_unit


def _kpi_cell(name: str, ci: Optional[Mapping[str, Any]], target: Optional[float]) -> Dict[str, str]:
    """A KPI's mean with its interval under it, coloured and marked by its verdict against ``target``."""
    if not ci or ci.get("mean") is None:
        return {"text": "n/a", "cls": "num", "title": "no value in this run"}
    interval = (format_interval(name, ci) or "").strip("[]").replace(", ", " – ")
    v = judge(name, ci, target)
    mark = f"{v.mark} " if v.status != "none" else ""
    title = f"target {v.goal}: {v.word}; {v.text}" if v.goal else ""
    return {"text": f"{mark}{with_unit(name, ci['mean'])}", "sub": interval,
            "cls": f"num {v.status}" if v.status != "none" else "num", "title": title}


def _per_replication(rd: RunData, key: str, per_window_s: Optional[float] = None) -> float:
    """Mean over replications of counter ``key`` summed over the measurement window (divided by its length
    in seconds when ``per_window_s`` is given: a time average)."""
    total = rd.counters[key][:, rd.warmup:].sum(axis=1)
    return float(np.mean(total / per_window_s if per_window_s else total))


def home_categories(rd: RunData) -> Dict[str, List[str]]:
    """The categories whose calls each group takes first: the first group of the category's route
    (``routing.skills``), or the first group of ``routing.groups`` for a category without a route."""
    skills, first_group = rd.cfg.routing.skills, rd.groups[0]
    out: Dict[str, List[str]] = {}
    for c in rd.cfg.categories:
        route = skills.get(c)
        out.setdefault(route[0] if route else first_group, []).append(c)
    return out


def groups_table(rd: RunData) -> Optional[Table]:
    """Each operator group's size, calls, and KPIs with their intervals and verdicts (None without groups)."""
    by_group = rd.summary.get("groups") or {}
    if not rd.groups or not by_group:
        return None
    window_s = (rd.n - rd.warmup) * rd.interval_s
    targets = rd.cfg.kpi.targets
    home = home_categories(rd)
    rows: List[List[Any]] = []
    for g in rd.groups:
        table = by_group.get(g, {})
        first = home.get(g, [])
        cells: List[Any] = [{"text": g, "cls": "strong", "title": ("home group of: " + ", ".join(first))
                             if first else "home group of no category (it takes overflow)"},
                            {"text": f"{_per_replication(rd, f'group.{g}.staffed_s', window_s):,.1f}", "cls": "num"},
                            {"text": f"{_per_replication(rd, f'group.{g}.attempts'):,.0f}", "cls": "num"}]
        cells += [_kpi_cell(k, table.get(k), targets.get(k)) for k in GROUP_KPIS]
        rows.append(cells)
    header = ["group", "operators on duty (mean)", "call attempts (home group)"] + [
        kpi_display(k).label + (f" ({kpi_display(k).unit})" if kpi_display(k).unit not in ("%", "s") else "")
        for k in GROUP_KPIS]
    return Table("Operator groups", header, rows, note=(
        f"Per replication over the measurement window, each value with its {format_level(rd.confidence)} confidence "
        f"interval{' (none with one replication)' if rd.replications < 2 else ''}. Calls count for their home "
        f"group (the first group of their route, routing.skills) whichever group answered them; occupancy is that "
        f"of the group's own operators. Marks: the hotline's targets (kpi.targets) applied to each group."))


def callbacks_table(rd: RunData) -> Optional[Table]:
    """What became of the callbacks offered (None without callbacks)."""
    kpis = rd.summary["kpis"]
    if not rd.callbacks or "callbacks_offered" not in kpis:
        return None

    def mean(k: str) -> float:
        return float(kpis.get(k, {}).get("mean") or 0.0)

    offered, accepted = mean("callbacks_offered"), mean("callbacks_accepted")
    steps = [("call attempts offered a callback", "callbacks_offered", None, ""),
             ("accepted the offer (hung up to be called back)", "callbacks_accepted", offered, "offered"),
             ("reached the resident", "callbacks_completed", accepted, "accepted"),
             ("later than the promised window (or never attempted)", "callbacks_missed_window", accepted,
              "accepted")]
    rows: List[List[Any]] = []
    for words, k, of, base in steps:
        rows.append([{"text": words, "title": k}, _kpi_cell(k, kpis.get(k), None),
                     {"text": f"{mean(k) / of:.1%}" if of else "", "cls": "num",
                      "title": f"of the callbacks {base}" if base else ""}])
    rows.append([{"text": "mean delay from acceptance to reaching the resident", "title": "callback_delay_s"},
                 _kpi_cell("callback_delay_s", kpis.get("callback_delay_s"), rd.cfg.kpi.targets.get(
                     "callback_delay_s")), {"text": "", "cls": "num"}])
    window = rd.cfg.routing.callback.window_s
    return Table("What became of the callbacks", ["", "mean per replication", "share"], rows, note=(
        f"Counted by the call attempt that accepted the offer, in the measurement window. Shares: accepted of "
        f"offered, the others of accepted (a ratio of the means). The promised window is {window / 60:g} min "
        f"(routing.callback.window_s); accepted callbacks that never reached the resident end as 'callback, "
        f"resident never reached' (see 'Where the contacts went')."))


def section(rd: RunData) -> Optional[Section]:
    """The routing section (None when the run has neither operator groups nor callbacks)."""
    if not rd.groups and not rd.callbacks:
        return None
    figures = [f for f in (routing.groups(rd), routing.callbacks(rd)) if f is not None]
    tables = [t for t in (groups_table(rd), callbacks_table(rd)) if t is not None]
    title = " and ".join(w for w, on in (("Operator groups", rd.groups), ("callbacks", rd.callbacks)) if on)
    return Section("routing", title[0].upper() + title[1:], figures=figures, tables=tables)
