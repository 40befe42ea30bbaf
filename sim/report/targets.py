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
* with one replication there is no interval, and the mean alone decides (the
  verdict says so).

The pages, the terminal and ``summary.json`` (``targets``) show the same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

from sim.config.kpi_catalog import kpi_display
from sim.report.text import format_value

#: Words and marks of the verdicts (the terminal shows the word, the pages the mark and the word).
MARKS = {"met": "✓", "missed": "✗", "unclear": "?", "none": ""}


@dataclass(frozen=True)
class Verdict:
    """A KPI against its target.

    Attributes
    ----------
    status : str
        ``met``, ``missed``, ``unclear`` or ``none`` (no target, or no value).
    target : float or None
        The target (a share as a fraction).
    better : str
        ``higher`` (the target is a minimum) or ``lower`` (a maximum).
    goal : str
        The target as text, ``≥ 95.00%``; empty without a target.
    text : str
        What the verdict rests on, in a few words.
    """

    status: str
    target: Optional[float]
    better: str
    goal: str
    text: str

    @property
    def mark(self) -> str:
        """✓, ✗, ? or nothing."""
        return MARKS[self.status]


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

    if lo is None or hi is None:
        status = "met" if ok(float(mean)) else "missed"
        return Verdict(status, target, better, goal, f"{status} by the mean (one replication: no interval)")
    near, far = (float(lo), float(hi)) if better == "higher" else (float(hi), float(lo))
    if ok(near):
        return Verdict("met", target, better, goal, "the whole interval meets the target")
    if not ok(far):
        return Verdict("missed", target, better, goal, "the whole interval misses the target")
    return Verdict("unclear", target, better, goal, "the interval contains the target: more replications "
                                                    "would tell")


def verdicts(kpis: Mapping[str, Mapping[str, Any]], targets: Mapping[str, Optional[float]]) -> Dict[str, Verdict]:
    """The verdict of every KPI that has a target (set, not null) and appears in ``kpis``."""
    return {k: judge(k, kpis[k], t) for k, t in targets.items() if t is not None and k in kpis}


def as_json(verdict_map: Mapping[str, Verdict]) -> Dict[str, Dict[str, Any]]:
    """``summary.json``'s ``targets``: per KPI the target, whether it is a minimum or maximum, and the status."""
    return {k: {"target": v.target, "kind": "minimum" if v.better == "higher" else "maximum", "status": v.status}
            for k, v in verdict_map.items()}
