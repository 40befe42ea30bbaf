"""The sections of a run's report page - figures and tables under a heading - and how optional ones plug in.

A section builder is a function of the run's :class:`~sim.report.rundata.RunData`
that returns a :class:`~sim.report.pages.Section`, or None when the run has no
data for it: a scenario without units has no work-order sections, a run
without a warm-up no warm-up diagnostic.  The page shows the sections in the
order of :data:`BUILDERS`; a part of the model that brings its own outputs
(staffing requirements, skill groups) adds its section with
:func:`register_section`, after a named one, and it appears only in runs that
have its data.

A builder that fails leaves a note in its section (and on stderr) instead of
losing the page: the run's files are written already, and the other sections
still tell the reader what they can.
"""

from __future__ import annotations

import sys
import traceback
from functools import partial
from typing import Any, Callable, List, Optional, Sequence, Tuple, TypeVar

import numpy as np

from sim.config.routing import has_online
from sim.core.errors import run_label
from sim.report import routing_view, staffing_view, units_staffing
from sim.report.drawing import draw_sections
from sim.report.figures import backoffice, diagnostics, flow, frontline
from sim.report.figures.common import pyplot
from sim.report.pages import Section, Table
from sim.report.rundata import RunData
from sim.report.text import format_interval, format_value

SectionBuilder = Callable[[RunData], Optional[Section]]
T = TypeVar("T")

#: Human words for the accounting's states.
STATE_LABELS = {
    "ended:answered_direct": "answered directly by an operator",
    "ended:transferred_emergency": "transferred to emergency services",
    "ended:abandoned": "abandoned (hung up, did not call again)",
    "ended:online_expired": "online submission withdrawn unaccepted",
    "ended:closed_rated": "work order closed, rated on the return visit",
    "ended:closed_not_reached": "work order closed, resident never reached",
    "ended:callback_not_reached": "callback, resident never reached",
    "open:waiting_operator": "still waiting for an operator",
    "open:with_operator": "still with an operator",
    "open:awaiting_redial": "abandoned, will call again",
    "open:awaiting_callback": "waiting for a callback",
    "open:in_dispatch": "work order being dispatched",
    "open:queued_at_unit": "work order queued at the unit",
    "open:in_progress": "work order in progress at the unit",
    "open:awaiting_return_visit": "closed, return visit not yet made",
    "open:on_return_visit": "on the return-visit call",
}


def _demand(rd: RunData) -> Section:
    return Section("demand", "Demand and staffing", figures=[frontline.demand(rd)])


def _service(rd: RunData) -> Section:
    return Section("service", "Service level, abandonment and speed of answer",
                   figures=[frontline.service_level(rd), frontline.abandonment_asa(rd)])


def _queues(rd: RunData) -> Section:
    title = "Calls waiting and the online backlog" if has_online(rd.cfg) else "Calls waiting"
    return Section("queues", title, figures=[frontline.queues(rd)])


def _work_orders(rd: RunData) -> Optional[Section]:
    figs = [f for f in (backoffice.open_orders(rd), backoffice.time_to_close(rd)) if f is not None]
    return Section("work_orders", "Work orders", figures=figs) if figs else None


def accounting_table(summary: Any) -> Table:
    """Where the contacts offered in the window ended, per state (mean per replication and share)."""
    acc = summary["accounting"]
    total = float(np.mean(acc["total_per_replication"])) if acc["total_per_replication"] else 0.0
    rows: List[List[Any]] = []
    for state, v in acc["states"].items():
        if v["mean"] <= 0 and state.startswith("open:"):
            continue
        share = v["mean"] / total if total > 0 else float("nan")
        rows.append([{"text": STATE_LABELS.get(state, state), "title": state},
                     {"text": f"{v['mean']:,.1f}", "cls": "num"},
                     {"text": f"{share:.2%}" if total > 0 else "n/a", "cls": "num"}])
    check = ("Balanced: every contact offered ended in one of these states or was still open, in every "
             "replication." if acc["balanced"] else
             "NOT BALANCED: some contacts are not accounted for (a defect of the model).")
    rows.append([{"text": "total (= contacts offered)", "cls": "strong"}, {"text": f"{total:,.1f}", "cls": "num"},
                 {"text": "100.00%" if total > 0 else "n/a", "cls": "num"}])
    return Table("Where the contacts offered in the window ended", ["state", "contacts (mean per replication)",
                                                                     "share"], rows, note=check, in_markdown=False)


def _flow(rd: RunData) -> Section:
    fig = flow.flow(rd.summary)
    return Section("flow", "Where the contacts went", figures=[fig] if fig else [],
                   tables=[accounting_table(rd.summary)])


def worst_units(rd: RunData, count: int = 10) -> Optional[Table]:
    """The units with the lowest satisfaction rate (then resolution rate) among those rated often enough."""
    if rd.units is None:
        return None
    header, rows = rd.units
    col = {h: i for i, h in enumerate(header)}
    rated = [float(r[col["rated_mean"]]) for r in rows]
    floor = 10.0 if any(x >= 10.0 for x in rated) else 1.0
    cand = [r for r, n in zip(rows, rated) if n >= floor and r[col["satisfaction_rate"]] is not None]
    cand.sort(key=lambda r: (r[col["satisfaction_rate"]], r[col["resolution_rate"]] or 0.0))
    if not cand:
        return None
    out = []
    for r in cand[:count]:
        cells: List[Any] = [r[col["unit"]], r[col["unit_type"]],
                            {"text": f"{r[col['orders_received_mean']]:,.0f}", "cls": "num"},
                            {"text": f"{r[col['rated_mean']]:,.0f}", "cls": "num"}]
        for k in backoffice.THREE_RATES:
            ci = {"mean": r[col[k]], "ci_low": r[col[f"{k}_ci_low"]], "ci_high": r[col[f"{k}_ci_high"]]}
            iv = format_interval(k, ci) if ci["mean"] is not None else None
            cells.append({"text": format_value(k, ci["mean"]), "title": iv or "", "cls": "num"})
        out.append(cells)
    return Table(f"The {len(out)} units with the lowest satisfaction rate", [
        "unit", "type", "orders received", "final ratings", "response rate", "resolution rate", "satisfaction rate"],
        out, note=f"Units with at least {floor:g} final ratings per replication; per replication means (hover a "
                  f"rate for its confidence interval). Every unit: units.csv.")


def _rates(rd: RunData) -> Optional[Section]:
    fig = backoffice.three_rates(rd)
    if fig is None:
        return None
    table = worst_units(rd)
    return Section("three_rates", "The three rates", figures=[fig], tables=[table] if table else [])


def _return_visits(rd: RunData) -> Optional[Section]:
    fig = backoffice.return_visits(rd)
    return Section("return_visits", "Return visits", figures=[fig]) if fig else None


def _warmup(rd: RunData) -> Optional[Section]:
    fig = diagnostics.warmup(rd)
    return Section("warmup", "Warm-up diagnostic", figures=[fig]) if fig else None


#: The sections of the page in order: ``(key, builder)``.
BUILDERS: List[Tuple[str, SectionBuilder]] = [
    ("demand", _demand), ("staffing", staffing_view.section), ("service", _service), ("queues", _queues),
    ("routing", routing_view.section), ("work_orders", _work_orders),
    ("flow", _flow), ("three_rates", _rates), ("unit_staffing", units_staffing.section),
    ("return_visits", _return_visits), ("warmup", _warmup),
]


def register_section(key: str, builder: SectionBuilder, after: Optional[str] = None) -> None:
    """Add (or replace) the section ``key``, placed after section ``after`` (at the end when None).

    Raises
    ------
    KeyError
        ``after`` names no section.
    """
    keys = [k for k, _ in BUILDERS]
    if key in keys:
        BUILDERS[keys.index(key)] = (key, builder)
        return
    if after is None:
        BUILDERS.append((key, builder))
        return
    if after not in keys:
        raise KeyError(f"no section {after!r}; sections: {', '.join(keys)}")
    BUILDERS.insert(keys.index(after) + 1, (key, builder))


def _build(entry: Tuple[str, SectionBuilder], rd: RunData) -> Tuple[Optional[Section], str]:
    """One section, or a note in its place when its builder fails (and the warning to print); None when the
    run has no data for it."""
    key, builder = entry
    try:
        section = builder(rd)
    except Exception as exc:  # noqa: BLE001 - one section must not cost the reader the page
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return (Section(key, key.replace("_", " ").capitalize(),
                        intro=f"This section could not be drawn ({last}); the run's data files are complete.",
                        failed=True), f"{run_label()}: warning: report section {key!r} could not be drawn: {last}\n")
    return (section if section is not None and not section.empty else None), ""


def _call(task: Callable[[], T]) -> T:
    return task()


def build_sections(rd: RunData, also: Sequence[Callable[[], T]] = (),
                   first: Sequence[Callable[[], Optional[Section]]] = ()) -> Tuple[List[Section], List[T]]:
    """Every section the run has data for, in page order (a failing builder leaves a note instead, and a
    warning on stderr), and the results of ``also`` (other outputs to write, such as the workbook: done
    beside the drawing); on two processors where the machine has them (:mod:`sim.report.drawing`).
    ``first`` are sections drawn beside the others and shown before them (the staffing position)."""
    n = len(first) + len(BUILDERS)
    tasks: List[Callable[[], Any]] = [*first, *(partial(_build, entry, rd) for entry in BUILDERS), *also]
    local = range(n, len(tasks))  # `also` (the workbook: costly) first; it needs no matplotlib
    done = draw_sections(tasks, _call, prepare=pyplot, order=[*local, *range(n)], local=local)
    drawn, rest = done[len(first):n], done[n:]
    for _, warning in drawn:
        sys.stderr.write(warning)
    return [s for s in done[:len(first)] if s is not None] + [s for s, _ in drawn if s is not None], rest
