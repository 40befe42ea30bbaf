"""The patience on the calibration page: what the scenario holds, why, and the pickup delay.

``calibration.json`` -> ``patience_s`` says what the scenario holds (``in_scenario``) and what the
log showed; :func:`patience_held` says it in a few words (the page's summary, the command's summary
line, the docs figures block), :func:`written_text` in the page's sentences: the exponential where the
patience depends on the queue found (:mod:`sim.calibrate.patience`) or where too few abandonments
identify a shape (:data:`sim.calibrate.calls.MIN_SHAPE_EVENTS`), else the family within the
Kaplan-Meier band or the curve itself.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List

from sim.calibrate.calls import AT_ONCE, MIN_SHAPE_EVENTS
from sim.calibrate.page import Table
from sim.calibrate.page import fmt_pct as _pct
from sim.calibrate.page import fmt_s as _s
from sim.calibrate.page import fmt_value as _f


def for_queue(p: Dict[str, Any]) -> bool:
    """Whether the scenario holds the exponential patience because the patience depends on the queue found
    (``p``: ``calibration.json`` -> ``patience_s``)."""
    return p.get("exponential_because") == "queue"


def few_events(p: Dict[str, Any]) -> bool:
    """Whether the scenario holds the exponential patience for want of abandonments (not for the queue found)."""
    return p.get("exponential_because") == "few"


def patience_held(p: Dict[str, Any]) -> str:
    """The patience the scenario holds, in a few words (``p``: ``calibration.json`` -> ``patience_s``)."""
    q = p.get("queue_found") or {}
    if for_queue(p):
        return (f"exponential, mean {_f(p['fits']['exponential']['mean'], '{:,.0f} s')} (the seconds waited per "
                f"abandonment: the patience depends on the queue the caller found, log-rank p = "
                f"{q.get('pvalue', math.nan):.1g})")
    if few_events(p):
        return (f"exponential, mean {_f(p['fits']['exponential']['mean'], '{:,.0f} s')} (the seconds waited per "
                f"abandonment: {p['n_events']} abandonments, fewer than {MIN_SHAPE_EVENTS}, identify no other shape)")
    if p["in_scenario"] == "empirical":
        return f"the Kaplan-Meier curve itself (no family within its band; the best by AIC, {p['family']}, has mean " \
               f"{_f(p['mean'], '{:,.0f} s')})"
    return f"{p['family']}, mean {_f(p['mean'], '{:,.0f} s')}"


def written_text(p: Dict[str, Any]) -> str:
    """The page's sentences on the patience the scenario holds and why."""
    q = p.get("queue_found")
    test = ("" if q is None else
            f"Does the patience depend on the queue the caller found? Log-rank test, {q['groups']}: z = "
            f"{q['statistic_z']:.1f}, p = {q['pvalue']:.2g} (it depends below {q['threshold']:g}; table below). ")
    if for_queue(p):
        return (test + "It does: callers who find a long queue hang up sooner at first, and those who stay are "
                "the more patient, so the curve pooled over all callers (its hazard falls with the wait) is a mix "
                "of queues, and given to every simulated caller it would keep the callers of a long queue waiting "
                "longer than the log's. The model has one patience for every caller, and none fits every queue; the "
                "scenario holds the exponential patience of censored maximum likelihood, whose rate is the log's "
                "abandonments per second waited over the fit window (its mean, "
                f"{_f(p['fits']['exponential']['mean'], '{:,.0f} s')}, is the seconds waited per abandonment; the "
                "patience of the Erlang A baseline too): a choice judged out of sample, on the hold-outs of the bank "
                "log in docs/calibration.md, where it predicts the busy half-hours' ASA better than the curve. It is "
                "less patient than the log's callers who stay through a long queue: at the log's abandonment the "
                "simulated ASA runs lower. ")
    if few_events(p):
        return (test + f"The fit window has {p['n_events']} abandonments, fewer than {MIN_SHAPE_EVENTS}: too few to "
                "fit a shape (a two-parameter family or the curve would extrapolate far beyond them), so the scenario "
                "holds the exponential patience of censored maximum likelihood, mean "
                f"{_f(p['fits']['exponential']['mean'], '{:,.0f} s')} (the seconds waited per abandonment). ")
    if p["in_scenario"] == "empirical":
        return (test + "So the scenario holds the curve itself (200 quantiles; beyond its last 30 at risk, the tail "
                f"of the best family by AIC, {p['family']}, mean {_f(p['mean'], '{:,.0f} s')}). ")
    return test + ("It does not. " if q else "") + (f"Chosen: {p['family']} (censored MLE, AIC, within the "
                                                    f"band), mean {_f(p['mean'], '{:,.0f} s')}. ")


def queue_tables(q: Dict[str, Any] | None) -> List[Table]:
    """The seconds waited per hang-up by the queue found and the wait so far (none without a test)."""
    if not q:
        return []
    bands = list(q["bins"][0]["s_waited_per_hang_up"])
    return [Table(["callers waiting when the call came", "calls", "hang-ups"]
                  + [f"s waited per hang-up, waits {b}" for b in bands],
                  [[r["found"], f"{r['attempts']:,}", f"{r['abandonments']:,}"]
                   + [_f(r["s_waited_per_hang_up"][b], "{:,.0f}") for b in bands] for r in q["bins"]],
                  "patience and the queue found: seconds waited per hang-up (the inverse of the hazard) in each "
                  "band of the wait so far; a constant patience hazard gives one value per row")]


def pickup_text(pj: Dict[str, Any] | None, cal_min: int) -> str:
    """The page's paragraph on ``calls.pickup_delay_s``."""
    if pj is None:
        return ("Pickup delay: none in the scenario (calls.pickup_delay_s): fewer than "
                f"{cal_min} calls came while an agent of their team sat idle and nobody else waited, or at least "
                f"{_pct(AT_ONCE)} of them were answered at once.")
    later = pj["median_s_of_the_others"]
    return (f"Pickup delay (calls.pickup_delay_s): of {pj['calls']:,} calls that came while an agent of their team "
            f"sat idle between services and nobody else waited, {_pct(pj['answered_at_once'])} were answered at "
            f"once and the others after a median {_s(later)} (a wait cut at the team's next service end, "
            "when another agent would have taken the caller; a hang-up before either censors it, Kaplan-Meier): the "
            "log's agents are not always ready the moment a call comes (after-call work outside the talk time, "
            "breaks). In the simulation a caller who finds an operator free waits it.")
