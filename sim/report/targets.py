"""KPIs judged against their targets (``kpi.targets``): met, missed, or not clear from the replications.

A target is a minimum for a KPI where a higher value is better (the answer
rate) and a maximum where a lower one is (abandonment); the KPI catalogue says
which (:func:`sim.config.kpi_catalog.kpi_display`).  The verdict uses the
confidence interval, not the mean alone, so that a page never claims more than
the replications show:

* **met** - the whole interval is on the good side of the target (the bound
  nearest the target meets it);
* **missed** - the whole interval is on the bad side;
* **unclear** - the interval contains the target: more replications (or a
  precision target, ``experiment.precision``) would tell;
* **no interval** - there is no interval to judge by: one replication, or a KPI
  pooled over the replications (``intervals_meeting_target``).  No verdict is
  given; the text says on which side of the target the value alone lies, and
  why there is no interval (:attr:`Verdict.note`).

:func:`judge` is the one place a verdict is made: the pages (run, routing,
sweep), the terminal and ``summary.json`` (``targets``, from which the terminal
and ``reports/index.html`` read it) all show its verdicts, in the words of
:data:`sim.report.text.STATUS_WORDS` (terminal) and :data:`WORDS` (pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

from sim.config.kpi_catalog import is_pooled, kpi_display
from sim.report.text import STATUS_WORDS, format_value

#: Marks and words of the verdicts on the pages (the terminal writes :data:`sim.report.text.STATUS_WORDS`).
MARKS = {"met": "✓", "missed": "✗", "unclear": "?", "no_interval": "○", "none": ""}
WORDS = {k: w.lower() for k, w in STATUS_WORDS.items()}


@dataclass(frozen=True)
class Verdict:
    """A KPI against its target.

    Attributes
    ----------
    status : str
        ``met``, ``missed``, ``unclear``, ``no_interval`` (no interval to judge by) or ``none`` (no target,
        or no value).
    target : float or None
        The target (a share as a fraction).
    better : str
        ``higher`` (the target is a minimum) or ``lower`` (a maximum).
    goal : str
        The target as text, ``≥ 95.00%``; empty without a target.
    text : str
        What the verdict rests on, in a few words.
    note : str
        Why there is no interval (``1 replication``, ``pooled over the replications``) for
        ``no_interval``; empty otherwise.
    """

    status: str
    target: Optional[float]
    better: str
    goal: str
    text: str
    note: str = ""

    @property
    def mark(self) -> str:
        """✓, ✗, ?, ○ or nothing."""
        return MARKS[self.status]

    @property
    def word(self) -> str:
        """The verdict as the pages write it: ``met``, ``missed``, ``not clear``, ``no interval (1 replication)``."""
        word = WORDS[self.status]
        return f"{word} ({self.note})" if self.note else word


def judge(name: str, ci: Optional[Mapping[str, Any]], target: Optional[float]) -> Verdict:
    """The verdict of KPI ``name`` (its ``{"mean", "ci_low", "ci_high"}``) against ``target``.

    Returns a verdict with status ``none`` when there is no target or no value.
    """
    better = kpi_display(name).better
    goal = f"{'≥' if better == 'higher' else '≤'} {format_value(name, target)}" if target is not None else ""
    mean = ci.get("mean") if ci else None
    if target is None or not better:
        return Verdict("none", None, better, "", "")
    if mean is None or ci is None:
        return Verdict("none", target, better, goal, "no value in this run")
    lo, hi = ci.get("ci_low"), ci.get("ci_high")

    def ok(x: float) -> bool:
        return x >= target if better == "higher" else x <= target

    if lo is None or hi is None:  # one replication, or a value pooled over the replications
        pooled = is_pooled(name)
        note = "pooled over the replications" if pooled else "1 replication"
        side = "meets" if ok(float(mean)) else "misses"
        return Verdict("no_interval", target, better, goal,
                       f"no verdict without an interval; the {'value' if pooled else 'mean'} alone {side} the target"
                       + ("" if pooled else " (2 or more replications give an interval)"), note)
    near, far = (float(lo), float(hi)) if better == "higher" else (float(hi), float(lo))
    if ok(near):
        return Verdict("met", target, better, goal, "the whole interval meets the target")
    if not ok(far):
        return Verdict("missed", target, better, goal, "the whole interval misses the target")
    return Verdict("unclear", target, better, goal, "the interval contains the target: more replications "
                                                    "would tell")


def legend(confidence: str) -> str:
    """What the verdicts mean, as the pages print it under the headline (``confidence`` as text, ``95%``)."""
    return (f"{MARKS['met']} met: the whole {confidence} confidence interval meets the target. {MARKS['missed']} "
            f"missed: the whole interval misses it. {MARKS['unclear']} not clear: the interval contains the target "
            f"(more replications would tell), or work orders still open when the run stopped could change it. "
            f"{MARKS['no_interval']} no interval: one replication (or a value pooled "
            f"over the replications) has no interval, so no verdict; the value alone is shown. Targets are set with "
            f"kpi.targets; the defaults are Beijing's published targets and levels (docs/kpis.md, \"Targets\").")


def verdicts(kpis: Mapping[str, Mapping[str, Any]], targets: Mapping[str, Optional[float]]) -> Dict[str, Verdict]:
    """The verdict of every KPI that has a target (set, not null) and appears in ``kpis``."""
    return {k: judge(k, kpis[k], t) for k, t in targets.items() if t is not None and k in kpis}


def as_json(verdict_map: Mapping[str, Verdict]) -> Dict[str, Dict[str, Any]]:
    """``summary.json``'s ``targets``: per KPI the target, whether it is a minimum or maximum, the status, and for
    ``no_interval`` the ``note`` saying why there is no interval."""
    return {k: {"target": v.target, "kind": "minimum" if v.better == "higher" else "maximum", "status": v.status,
                **({"note": v.note} if v.note else {})} for k, v in verdict_map.items()}
