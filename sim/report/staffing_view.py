"""The report's staffing section: required against scheduled, the confirmation on fresh seeds, the roster, the budget.

Built from the run's ``staffing.csv`` (the figure, :mod:`sim.report.figures.staffing`) and
``summary.json`` -> ``staffing`` (:func:`sim.report.staffing.staffing_summary`), for a plan a
staffing policy proposed (``staffing.policy=erlang`` or ``optimize``):

* **confirmation** - per operator group and target, the share of the intervals meeting it on the
  run's replications (seeds the policy never saw), and every target together, against the goal
  ``staffing.optimize.intervals_share``;
* **roster** (``staffing.schedule=shifts``) - the positions, identical ones merged ("positions 1-12:
  Mon-Fri 08:00-17:00, meal break 12:00-13:00"), with the over-coverage and its cost;
* **budget** (``staffing.budget_h`` or ``budget_cost``) - what the budget buys.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from sim.report.figures import staffing as staffing_figure
from sim.report.numbers import format_hours
from sim.report.pages import Section, Table
from sim.report.rundata import RunData

#: Roster entries shown per group (roster.csv has every position).
MAX_ENTRIES = 40


def _share(x: Optional[float]) -> Dict[str, str]:
    return {"text": "n/a" if x is None else f"{100 * x:.1f}%", "cls": "num"}


def _bound(name: str, bound: float) -> str:
    sign = ">=" if name in ("service_level", "online_on_time_rate") else "<="
    value = f"{bound:g} s" if name.endswith("_s") else f"{100 * bound:g}%"
    return f"{'occupancy' if name == 'max_occupancy' else name} {sign} {value}"


def confirmation_table(s: Mapping[str, Any]) -> Optional[Table]:
    """Per group and target, the share of intervals meeting it on the run's replications."""
    conf = s.get("confirmation")
    groups = s.get("groups") or {}
    if not conf or not groups:
        return None
    rows: List[List[Any]] = []
    for g, entry in groups.items():
        shares = (conf.get("groups") or {}).get(g) or {}
        for name, bound in entry.get("targets", {}).items():
            rows.append([g, _bound(name, bound), _share(shares.get(name))])
        rows.append([g, {"text": "every target", "cls": "strong"}, _share(shares.get("all"))])
    rows.append([{"text": "front line", "cls": "strong"}, {"text": "every target of every group", "cls": "strong"},
                 _share((conf.get("intervals_meeting") or {}).get("all"))])
    fresh = (f"replications {conf['replication_numbers']} of seed {conf['seed']}, which the policy never saw"
             if conf.get("fresh") else f"the run's {conf.get('replications')} replications")
    goal = ""
    if "goal" in conf:
        goal = (f" Goal (staffing.optimize.intervals_share): {100 * conf['goal']:g}% of the intervals meeting every "
                f"target: {'met' if conf.get('goal_met') else 'NOT MET'}.")
    return Table("Confirmation: intervals meeting each target", ["group", "target", "intervals meeting it"], rows,
                 note=f"Each interval's metrics pooled over {fresh}; intervals with demand for the metric only."
                      + goal)


def roster_table(s: Mapping[str, Any]) -> Optional[Table]:
    """The roster's positions, identical ones merged, per group."""
    groups = {g: e["roster"] for g, e in (s.get("groups") or {}).items() if e.get("roster")}
    if not groups:
        return None
    currency = s.get("currency") or "cost units"
    rows: List[List[Any]] = []
    hidden = 0
    for g, roster in groups.items():
        entries = roster["entries"]
        hidden += max(0, len(entries) - MAX_ENTRIES)
        for e in entries[:MAX_ENTRIES]:
            span = f"{e['first']}" if e["first"] == e["last"] else f"{e['first']}-{e['last']}"
            rows.append([g, {"text": span, "cls": "num"}, " ".join(e["days"]), f"{e['start']}-{e['end']}",
                         e["meal_break"] or "none", {"text": f"{e['paid_h_per_week']:g}", "cls": "num"}])
    sh = s.get("shifts") or {}
    most = max(r['max_days_per_week'] for r in groups.values())
    note = (f"{sum(r['positions'] for r in groups.values()):,} positions, each at most {most} "
            f"day{'s' if most != 1 else ''} a week; paid {format_hours(sh.get('paid_hours_per_week', 0))} "
            f"operator-hours a week costing {format_hours(sh.get('cost_per_week', 0))} {currency}, of which "
            f"{format_hours(sh.get('over_coverage_operator_hours_per_week', 0))} operator-hours "
            f"({format_hours(sh.get('over_coverage_cost_per_week', 0))} {currency}) over the requirement (per "
            f"interval: schedule.csv). Counts at the run's scale.")
    if hidden:
        note += f" {hidden} more entries are in roster.csv."
    return Table("Roster: positions a supervisor fills", ["group", "positions", "days", "hours", "meal break",
                                                         "paid hours a week"], rows, note=note)


def budget_table(s: Mapping[str, Any]) -> Optional[Table]:
    """What a budget bought (``staffing.budget_h`` or ``budget_cost``)."""
    b = s.get("budget")
    if not b:
        return None
    rows = [["budget (operator-hours in the window)", {"text": f"{b['budget_h']:,.0f}", "cls": "num"}],
            ["needed for every interval", {"text": f"{b['needed_h']:,.0f}", "cls": "num"}],
            ["planned", {"text": f"{b['planned_h']:,.0f}", "cls": "num"}],
            ["unspent", {"text": f"{b['unspent_h']:,.0f}", "cls": "num"}],
            ["intervals kept at their targets", {"text": f"{b['intervals_kept']} of {b['intervals']}",
                                                 "cls": "num"}]]
    dropped = b.get("dropped") or []
    note = (f"Intervals given less: {', '.join(dropped[:12])}{' ...' if len(dropped) > 12 else ''}."
            if dropped else "The budget buys every interval.")
    return Table("What the budget buys", ["", "value"], rows, note=note)


def section(rd: RunData) -> Optional[Section]:
    """The staffing section (None for the scenario's own plan without a requirement)."""
    fig = staffing_figure.required_vs_scheduled(rd)
    if fig is None:
        return None
    s = rd.summary.get("staffing") or {}
    tables = [t for t in (confirmation_table(s), roster_table(s), budget_table(s)) if t is not None]
    return Section("staffing", "Staffing required and scheduled", figures=[fig], tables=tables)
