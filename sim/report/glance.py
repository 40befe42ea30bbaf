"""A run "at a glance": the few sentences a decision-maker reads before anything else on the page.

The staffing position comes first among the sections of a run's page, and the verdicts against the targets
follow it: a reader who stops after the first screen must still learn whether the targets are met, what the
plan costs against the requirement, and where it falls short.  These sentences say so at the top of
``report.html`` and ``report.md``, from ``summary.json`` alone (the same numbers as the headline, the staffing
position and the workbook: nothing is recomputed but counts and the largest day gaps).
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional

from sim.config.kpi_catalog import kpi_display
from sim.report.numbers import format_hours
from sim.report.text import currency_of, format_cost

#: How each status reads in the sentence on the targets, in this order.
_STATUS_TEXT = (("missed", "missed"),
                ("unclear", "not clear (the confidence interval contains the target: more replications would tell; "
                            "or work orders still open at the end could change the verdict)"))


def _label(name: str) -> str:
    return kpi_display(name).label


def targets_sentence(targets: Mapping[str, Mapping[str, Any]]) -> Optional[str]:
    """``Targets: 2 of 5 met; missed: service level, abandonment; ...`` from ``summary.json`` -> ``targets``
    (None without targets).  Every target set is accounted for: met, missed, not clear, without an interval,
    or not measured."""
    if not targets:
        return None
    n = len(targets)
    met = [k for k, v in targets.items() if v.get("status") == "met"]
    parts = [f"Targets: {len(met)} of {n} met" + (f" ({', '.join(map(_label, met))})" if met else "")]
    for status, text in _STATUS_TEXT:
        names = [k for k, v in targets.items() if v.get("status") == status]
        if names:
            parts.append(f"{len(names)} {text}: {', '.join(map(_label, names))}")
    alone = [k for k, v in targets.items() if v.get("status") == "no_interval"]
    if alone:
        why = sorted({str(targets[k].get("note") or "no interval") for k in alone})
        hint = ", run 2 or more replications to judge them" if "1 replication" in why else ""
        parts.append(f"{len(alone)} without a verdict ({'; '.join(why)}: no confidence interval{hint}): "
                     f"{', '.join(map(_label, alone))}")
    unmeasured = [k for k, v in targets.items() if v.get("status", "none") == "none"]
    if unmeasured:
        parts.append(f"{len(unmeasured)} not measured in this run: {', '.join(map(_label, unmeasured))}")
    return "; ".join(parts) + "."


def plan_sentences(pos: Optional[Mapping[str, Any]], currency: str) -> List[str]:
    """What the plan costs against the requirement, the intervals that miss a target, and the days furthest
    short and over, from ``summary.json`` -> ``staffing_position`` (nothing without one)."""
    if not pos or "why" in pos or not pos.get("groups"):
        return []
    g = pos["total"] if len(pos["groups"]) > 1 and "total" in pos else pos["groups"][0]
    pct = "" if g.get("gap_pct") is None else f" ({abs(g['gap_pct']):.1f}%)"
    side = "over" if g["gap_h"] >= 0 else "short of"
    out = [f"Plan: {format_hours(g['scheduled_h'])} operator-hours rostered, costing "
           f"{format_cost(g['scheduled_cost'], currency, exact=True)}; what the scenario's own staffing targets "
           f"require by queueing theory (the {pos.get('reference', 'erlang')} policy) is "
           f"{format_hours(g['required_h'])} h, so the plan "
           f"is {format_hours(abs(g['gap_h']))} h{pct} {side} it in total"
           + (f", short in {g['intervals_under']} intervals and over in {g['intervals_over']}"
              if "intervals_under" in g else "") + "."]
    f = pos.get("failing") or {}
    if "intervals" in f:
        of = f" of the {f['with_calls']} with calls" if "with_calls" in f else ""
        out.append(f"{f['intervals']} intervals{of} miss a staffing target (listed under Staffing position; "
                   f"all in failing_intervals.csv).")
    days = pos.get("by_day") or []
    short = min(days, key=lambda d: d["gap_h"], default=None)
    over = max(days, key=lambda d: d["gap_h"], default=None)
    moves = []
    if short is not None and short["gap_h"] < 0:
        moves.append(f"the day furthest short is day {short['day']} ({short['weekday']}, "
                     f"{format_hours(short['gap_h'], True)} h)")
    if over is not None and over["gap_h"] > 0:
        moves.append(f"the day furthest over is day {over['day']} ({over['weekday']}, "
                     f"{format_hours(over['gap_h'], True)} h)")
    if moves:
        out.append("By day: " + "; ".join(moves) + " (the gap by day, under Staffing position).")
    return out


def at_a_glance(summary: Mapping[str, Any]) -> List[str]:
    """The sentences of the page's "At a glance" box, targets first (empty when the run has neither targets
    nor a staffing position)."""
    first = targets_sentence(summary.get("targets") or {})
    return ([first] if first else []) + plan_sentences(summary.get("staffing_position"), currency_of(summary))
