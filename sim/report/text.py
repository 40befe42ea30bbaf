"""KPI values as text: the table printed at the end of a run, the side-by-side summary of a sweep, and the
formatting the pages share.

A count is printed without decimals, a share as a percentage, a duration in the unit a person
reads for its size (``9.20 s``, ``2.18 min``, ``13.8 h``, ``6.40 days``: :func:`format_duration`),
a cost with its currency (``staffing.currency``, else "cost units"), anything else with two
decimals (:func:`format_value`; :func:`with_unit` adds the unit of a time or a cost); an interval
as ``[low, high]`` (:func:`format_interval`), and no interval at all for a quantity the input fixes
(operator-hours and cost of a plan: the same in every replication) and none for a KPI pooled over
the replications (:func:`interval_text`).
:func:`kpi_table` is the terminal's summary of a run, computed from ``summary.json``'s content
alone: the staffing position first (:mod:`sim.report.position`), then every KPI with its
interval and, where a target is set (``kpi.targets``), the target and the verdict (met, MISSED,
not clear; :mod:`sim.report.targets`); whether a precision target was met; the three rates by unit
type; where the contacts ended.  :func:`sim.report.sweep_text.sweep_table` is the compact summary that ends a sweep.
"""

from __future__ import annotations

import io
import math
import textwrap
from typing import Any, List, Mapping, Optional, Sequence

import numpy as np

from sim.config.kpi_catalog import kpi_display, kpi_domain
from sim.config.schema import URGENCY_CLASSES
from sim.report.numbers import format_hours

#: How the terminal writes a verdict (``summary.json`` -> ``targets`` -> ``status``; :mod:`sim.report.targets`).
STATUS_WORDS = {"met": "met", "missed": "MISSED", "unclear": "not clear", "no_interval": "no interval",
                "none": ""}
#: What the terminal writes for a KPI with a target but no value in the run (a verdict of status ``none``).
NOT_MEASURED = "not measured"
#: The unit of a cost when no currency is set (``staffing.currency``).
COST_UNITS = "cost units"
#: Duration units a person reads, with their length in seconds and the size up to which each is used.
DURATION_UNITS = (("s", 1.0, 120.0), ("min", 60.0, 120.0 * 60.0), ("h", 3600.0, 48 * 3600.0),
                  ("days", 86400.0, math.inf))


def format_level(confidence: float) -> str:
    """A confidence level as a percentage with the digits it has: ``95%``, ``97.5%``, ``99.9%``."""
    return f"{100 * float(confidence):.4g}%"


def seconds_of(name: str, v: float) -> float:
    """A time KPI's value in seconds (its name says its unit: ``asa_s`` seconds, ``time_to_close_p90_h`` hours)."""
    return v * 3600.0 if kpi_display(name).unit == "h" else v


def duration_unit(seconds: float) -> tuple[str, float]:
    """The unit a person reads a duration of ``seconds`` in (s up to 2 min, min up to 2 h, h up to 2 days,
    then days) and its length in seconds."""
    size = abs(seconds)
    return next((u, f) for u, f, upto in DURATION_UNITS if size < upto)


def _decimals(x: float) -> int:
    """Decimals of a number shown with about three significant digits (never fewer than its integer part)."""
    size = abs(x)
    return 2 if size < 10 else (1 if size < 100 else 0)


def format_duration(seconds: float, like: Optional[float] = None, sign: bool = False) -> str:
    """A duration in the unit of its size: ``9.20 s``, ``2.18 min``, ``13.8 h``, ``6.40 days``.

    ``like`` (seconds) chooses the unit and the decimals instead (the ends of an interval in the unit of its
    mean); ``sign`` writes ``+`` before a positive value (a difference).
    """
    ref = seconds if like is None else like
    unit, per = duration_unit(ref)
    value = seconds / per
    text = f"{value:{'+' if sign else ''},.{_decimals(ref / per)}f}"
    return f"{text} {unit}"


def is_cost(name: str) -> bool:
    """Whether KPI ``name`` is a cost (shown with the currency)."""
    return kpi_display(name).unit == COST_UNITS


def currency_of(summary: Optional[Mapping[str, Any]]) -> str:
    """The currency of a run's costs (``summary.json`` -> ``staffing`` -> ``currency``, written from
    ``staffing.currency``), or "cost units" when none is set."""
    staffing = (summary or {}).get("staffing") or {}
    return str(staffing.get("currency") or "") or COST_UNITS


def format_cost(v: float, currency: str = COST_UNITS, sign: bool = False, exact: bool = False) -> str:
    """A cost with its currency: ``5,068 CNY`` (two decimals below 100; ``exact``: from 100 on, one decimal where
    the cost has one, :func:`format_hours`)."""
    if exact and abs(v) >= 100:
        return f"{format_hours(v, sign)} {currency or COST_UNITS}"
    return f"{v:{'+' if sign else ''},.{0 if abs(v) >= 100 else 2}f} {currency or COST_UNITS}"


def format_value(name: str, v: Optional[float], like: Optional[float] = None) -> str:
    """Human-readable value of KPI ``name``: a duration with its unit (chosen by its size, or by ``like``'s,
    in the KPI's own unit), a share in percent, a count without decimals (2 for a mean below 10 that is not a
    whole number, and for its interval's ends: 0.25 [0.00, 1.05], not 0 [0, 1]); a cost without its currency
    (:func:`with_unit` adds it)."""
    if v is None:
        return "n/a"
    kind = kpi_domain(name).kind
    if kind == "count":
        # a mean over replications of a few events (0.25: one in four replications) is not rounded to 0 or 1
        ref = v if like is None else like  # an interval's ends take the decimals of its mean
        return f"{v:,.2f}" if abs(ref) < 10 and ref != round(ref) else f"{v:,.0f}"
    if kind == "share":
        return f"{100 * v:.2f}%"
    if kind == "time":
        return format_duration(seconds_of(name, v), None if like is None else seconds_of(name, like))
    if is_cost(name) or kpi_display(name).unit == "operator-hours":
        return f"{v:,.{0 if abs(v if like is None else like) >= 100 else 2}f}"
    return f"{v:,.2f}"


def with_unit(name: str, v: Optional[float], currency: str = COST_UNITS) -> str:
    """:func:`format_value` with the currency of a cost (``5,068 CNY``) and the ``h`` of operator-hours
    (``5,068 h``); a duration has its unit already."""
    text = format_value(name, v)
    if v is None:
        return text
    if is_cost(name):
        return f"{text} {currency or COST_UNITS}"
    return f"{text} h" if kpi_display(name).unit == "operator-hours" else text


def format_diff(name: str, x: float, like: Optional[float] = None, currency: str = COST_UNITS) -> str:
    """A difference of KPI ``name`` with its sign and unit: ``+4.69 pp`` (shares in percentage points),
    ``+1.20 min`` (a duration in the unit of its size, or of ``like``'s), ``+120 h`` (operator-hours),
    ``+1,234 CNY`` (a cost), ``+12`` (a count)."""
    kind = kpi_domain(name).kind
    if kind == "share":
        return f"{100 * x:+.2f} pp"
    if kind == "time":
        return format_duration(seconds_of(name, x), None if like is None else seconds_of(name, like), sign=True)
    if is_cost(name):
        return format_cost(x, currency, sign=True)
    if kpi_display(name).unit == "operator-hours":
        return f"{x:+,.0f} h"
    return f"{x:+,.0f}" if kind == "count" else f"{x:+,.2f}"


def is_fixed(name: str) -> bool:
    """Whether KPI ``name`` is fixed by the input (the plan's operator-hours and cost): no interval is shown."""
    return kpi_display(name).fixed


def format_interval(name: str, ci: Mapping[str, Any]) -> Optional[str]:
    """``[low, high]`` of KPI ``name``'s confidence interval ``ci`` (a duration's ends in the unit of its mean),
    or None when there is none (one replication, a pooled KPI, a quantity the input fixes)."""
    lo, hi = ci["ci_low"], ci["ci_high"]
    if lo is None or hi is None or is_fixed(name):
        return None
    like = ci.get("mean")
    return f"[{format_value(name, lo, like)}, {format_value(name, hi, like)}]"


def interval_text(name: str, ci: Mapping[str, Any], missing: str = "n/a") -> str:
    """:func:`format_interval`, or what stands in its place: "fixed by the input" for a quantity the input
    fixes (the same in every replication), ``missing`` otherwise."""
    from sim.config.kpi_catalog import is_pooled

    if ci.get("mean") is not None and is_fixed(name):
        return "fixed by the input"
    if ci.get("mean") is not None and is_pooled(name):
        return "pooled: no interval"
    return format_interval(name, ci) or missing


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


def precision_status(summary: Mapping[str, Any]) -> Optional[str]:
    """One line on the precision target: met (with the half-width reached) or not (with why); None if unset."""
    if summary.get("precision_target") is None:
        return None
    if not summary.get("precision_met"):
        return precision_note(summary)
    achieved = summary.get("precision_achieved")
    reached = f"{float(achieved):.4g}" if achieved is not None else "undefined"
    return (f"precision target met: the relative half-width of {summary['precision_kpi']}'s confidence interval "
            f"is {reached} after {summary['replications']} replications (target "
            f"{float(summary['precision_target']):.4g})")


def _target_cells(summary: Mapping[str, Any], name: str) -> str:
    t = summary.get("targets", {}).get(name)
    if not t or t.get("target") is None:
        return ""
    sign = "≥" if t.get("kind") == "minimum" else "≤"
    status = t.get("status", "none")
    word = (STATUS_WORDS.get(status, "") if status != "none" else NOT_MEASURED) + (f" ({t['note']})" if t.get("note")
                                                                                   else "")
    return f"   {sign} {format_value(name, t['target']):<9}{word}"


def _line(summary: Mapping[str, Any], kind: str, label: str, ci: Mapping[str, Any], target: bool = True) -> str:
    value = with_unit(kind, ci["mean"], currency_of(summary))
    text = f"{label:<34}{value:>18}   {interval_text(kind, ci):<28}"
    return (text + (_target_cells(summary, kind) if target else "")).rstrip() + "\n"


def kpi_table(summary: Mapping[str, Any]) -> str:
    """The printed KPI table: mean, confidence interval and target of every KPI, rates by unit type,
    accounting, whether the targets and the precision target were met."""
    buf = io.StringIO()
    conf = format_level(summary["confidence"])
    drain = f", drain {summary['drain_h']:g} h" if summary.get("drain_h") else ""
    buf.write(f"Scenario {summary['scenario']}: {summary['replications']} replication(s) of "
              f"{summary['horizon_h']:g} h (warm-up {summary['warmup_h']:g} h{drain}), seed {summary['seed']}, "
              f"scale {summary['scale']:g}\n")
    for caveat in summary.get("caveats") or []:
        buf.write(textwrap.fill(caveat["text"], width=110, initial_indent="CAVEAT: ", subsequent_indent="  ") + "\n")
    from sim.report.position import position_lines

    for line in position_lines(summary.get("staffing_position"), currency_of(summary)):
        buf.write(line + "\n")
    head = f"{'KPI':<34}{'mean':>18}   {f'{conf} confidence interval':<28}"
    buf.write((head + ("   target" if summary.get("targets") else "")).rstrip() + "\n")
    for name, ci in summary["kpis"].items():
        buf.write(_line(summary, name, name, ci))
    by_type = {k: v for k, v in summary.get("breakdowns", {}).items()
               if k in ("response_rate", "resolution_rate", "satisfaction_rate")}
    if by_type:
        groups = [g for g in next(iter(by_type.values())) if g not in URGENCY_CLASSES]
        buf.write("\nThree rates by unit type:\n")
        for g in groups:
            for k, table in by_type.items():
                buf.write(_line(summary, k, f"  {k}.{g}", table[g], target=False))
    if summary.get("groups"):
        buf.write("\nBy operator group (calls by their first group; occupancy of the group's operators):\n")
        for g, table in summary["groups"].items():
            for k, ci in table.items():
                buf.write(_line(summary, k, f"  {k}.{g}", ci, target=False))
    still = open_lines(summary)
    if still:
        buf.write("\nStill open when the run stopped (share open; the KPI's range if every open one ended worst "
                  "or best):\n" + still)
    acc = summary["accounting"]
    buf.write("\nWhere the contacts offered in the window ended (mean per replication):\n")
    for state, v in acc["states"].items():
        buf.write(f"  {state:<34}{v['mean']:>14,.1f}\n")
    total = float(np.mean(acc["total_per_replication"])) if acc["total_per_replication"] else 0.0
    check = "balanced" if acc["balanced"] else "NOT BALANCED"
    buf.write(f"  {'total (= contacts_offered)':<34}{total:>14,.1f}   {check}\n")
    verdict = targets_line(summary)
    if verdict:
        buf.write(f"\n{verdict}\n")
    planned = staffing_line(summary)
    if planned:
        buf.write(f"{'' if verdict else chr(10)}{planned}\n")
    if "shifts.yaml" in (summary.get("files") or []):
        where = (f": HOLDS AT scale={summary['scale']:g} ONLY, run it with scale={summary['scale']:g} (see the "
                 f"caveat above)" if summary["scale"] != 1 else "")
        buf.write(f"Proposed shifts, ready to paste into a scenario: shifts.yaml{where}\n")
    note = precision_status(summary)
    if note:
        buf.write(f"{'' if verdict else chr(10)}{note[0].upper()}{note[1:]}\n")
    return buf.getvalue()


def open_lines(summary: Mapping[str, Any]) -> str:
    """One line per headline KPI with members still open when the run stopped (:mod:`sim.report.caveats`)."""
    entries = summary.get("open_at_end") or {}
    means = {k: (v or {}).get("mean") for k, v in (summary.get("kpis") or {}).items()}
    return "".join(f"  {name:<32}{open_note(name, e, means.get(name))}\n" for name, e in entries.items()
                   if "." not in name and open_note(name, e))


def open_note(name: str, entry: Optional[Mapping[str, Any]], like: Optional[float] = None) -> str:
    """``0.30% still open: 97.38% to 97.72%`` - the open share and the range of KPI ``name`` (empty if none);
    a duration's ends in one unit, that of ``like`` (the KPI's mean) when given, else of the range's upper end
    (``37.5 h to 2.49 days`` read as a range of two units)."""
    if not entry or entry.get("open_share", 0) <= 0:
        return ""
    suffix = ""  # a duration carries its unit already (format_value)
    low, high = (entry.get(k) or {} for k in ("low", "high"))
    like = like if like is not None else high.get("mean") if entry.get("high") is not None else low.get("mean")
    lo = format_value(name, low.get("mean"), like) if low.get("mean") is not None else "n/a"
    what = "still open" if entry.get("method") == "bounds" else "not yet closed"
    if entry.get("high") is None:
        return f"{100 * entry['open_share']:.2f}% {what}: at least {lo}{suffix}, no upper bound"
    hi = format_value(name, high.get("mean"), like) if high.get("mean") is not None else "n/a"
    if lo == hi and lo != "n/a":  # the open ones cannot move it, at the precision shown
        return f"{100 * entry['open_share']:.2f}% {what}: {lo} either way{suffix}"
    return f"{100 * entry['open_share']:.2f}% {what}: {lo} to {hi}{suffix}"


def targets_line(summary: Mapping[str, Any]) -> Optional[str]:
    """``Targets: 4 met, 1 MISSED (resolution_rate), ...`` (None without targets).

    A KPI with a target but no value in this run (status ``none``: no return visit reached a resident, say) is
    listed as not measured, never left out: the line must account for every target set.
    """
    given = summary.get("targets", {})
    targets = {k: v for k, v in given.items() if v.get("status", "none") != "none"}
    unmeasured = [k for k, v in given.items() if v.get("status", "none") == "none" and v.get("target") is not None]
    if not targets and not unmeasured:
        return None
    parts = []
    for status in ("met", "missed", "unclear"):
        names = [k for k, v in targets.items() if v["status"] == status]
        if names:
            parts.append(f"{len(names)} {STATUS_WORDS[status]}" + (f" ({', '.join(names)})" if status != "met"
                                                                    else ""))
    alone: dict[str, List[str]] = {}
    for k, v in targets.items():
        if v["status"] == "no_interval":
            alone.setdefault(str(v.get("note") or "no interval"), []).append(k)
    for note, names in alone.items():
        parts.append(f"{len(names)} without a verdict ({note}, no interval: {', '.join(names)})")
    if unmeasured:
        parts.append(f"{len(unmeasured)} {NOT_MEASURED} in this run, so no verdict ({', '.join(unmeasured)})")
    hint = ("; run 2 or more replications to judge them" if any(n.endswith("1 replication") for n in alone)
            else "")
    return "Targets (kpi.targets): " + ", ".join(parts) + hint


def _target_part(name: str, bound: float, share: Optional[float]) -> str:
    sign = ">=" if name in ("service_level", "online_on_time_rate") else "<="
    value = f"{bound:g} s" if name.endswith("_s") else f"{100 * bound:g}%"
    label = "occupancy" if name == "max_occupancy" else name
    return f"{label} {sign} {value}: {'n/a' if share is None else f'{100 * share:.1f}%'}"


def staffing_line(summary: Mapping[str, Any]) -> Optional[str]:
    """The lines on a proposed plan: how many intervals met each planning target on the run's seeds, per group.

    ``Staffing targets (staffing.policy=optimize), on fresh seeds (replications 0-3 of seed 12345, never seen
    by the optimisation): intervals meeting service_level >= 80%: 98.2%, ...; every target: 97.0% (goal 95%:
    met)``, then a line per operator group, the roster's positions and over-coverage, and what a budget
    bought.  The planning targets (``staffing.target``) are not the KPI targets (``kpi.targets``).  None for
    the scenario's own plan.
    """
    s = summary.get("staffing", {})
    conf = s.get("confirmation") or {}
    if s.get("policy", "plan") == "plan" or not s.get("intervals_meeting"):
        return None
    meeting = s["intervals_meeting"]
    parts = [_target_part(name, bound, meeting.get(name)) for name, bound in s.get("targets", {}).items()
             if name in meeting]
    every = f"; every target: {100 * meeting['all']:.1f}%" if meeting.get("all") is not None else ""
    if "goal" in conf:
        every += f" (goal {100 * conf['goal']:g}%: {'met' if conf.get('goal_met') else 'NOT MET'})"
    seen = "the optimisation" if s["policy"] == "optimize" else "the policy"
    where = (f", on fresh seeds (replications {conf['replication_numbers']} of seed {conf['seed']}, never seen "
             f"by {seen})" if conf.get("fresh") and conf.get("replication_numbers") else "")
    lines = [f"Staffing targets (staffing.policy={s['policy']}){where}: intervals meeting "
             f"{', '.join(parts)}{every}"]
    groups = s.get("groups") or {}
    if len(groups) > 1:
        for g, entry in groups.items():
            shares = entry.get("intervals_meeting") or {}
            gparts = [_target_part(n, b, shares.get(n)) for n, b in entry.get("targets", {}).items()]
            lines.append(f"  group {g} ({entry.get('required_operator_hours', 0):,.0f} operator-hours required): "
                         f"{', '.join(gparts)}")
    currency = s.get("currency") or "cost units"
    rosters = {g: e["roster"] for g, e in groups.items() if e.get("roster")}
    if rosters and s.get("shifts"):
        sh = s["shifts"]
        who = ", ".join(f"{g} {r['positions']:,}" for g, r in rosters.items()) if len(rosters) > 1 else ""
        most = max(r["max_days_per_week"] for r in rosters.values())
        lines.append(f"Roster: {sum(r['positions'] for r in rosters.values()):,} positions"
                     f"{' (' + who + ')' if who else ''}, each at most {most} day{'s' if most != 1 else ''} a week "
                     f"(roster.csv); over-coverage {format_hours(sh['over_coverage_operator_hours_per_week'])} "
                     f"operator-hours a week, costing {format_hours(sh['over_coverage_cost_per_week'])} {currency} "
                     f"of {format_hours(sh['cost_per_week'])} {currency} a week")
    b = s.get("budget")
    if b:
        lines.append(f"Budget {b['budget_h']:,.0f} operator-hours (needed for every interval: {b['needed_h']:,.0f}): "
                     f"{b['intervals_kept']} of {b['intervals']} intervals kept at their targets, "
                     f"{b['planned_h']:,.0f} planned, {b['unspent_h']:,.0f} unspent")
    return "\n".join(lines)


#: KPIs of the side-by-side summary of a sweep (those a variant has).
def variant_labels(overrides: Sequence[str], n: int) -> List[str]:
    """Short column labels of a sweep's variants: ``0: key=value`` (the overrides that differ)."""
    return [f"{i}: {o}" if o else f"{i}" for i, o in zip(range(n), overrides)]
