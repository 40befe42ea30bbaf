"""A difference between two variants of a sweep as text: the cell of a table, and what must be read with it.

A difference (:func:`sim.analysis.differences.compare_replications`) is shown as
``Δ +8.75 pp [7.06, 10.4] *``; beside it goes what a reader needs to read it
right: the two means it is the difference of, when it is paired on fewer
replications than the variants report (their reported means then differ by
something else), or why it has no interval.  ``comparison.md``,
``comparison.html`` and the forest plot use these functions.
"""

from __future__ import annotations

from typing import Any, Dict, Sequence

from sim.analysis.kpis import is_share
from sim.report.text import format_value


def diff_parts(name: str, d: Dict[str, Any], digits: int = 3) -> tuple[str, str]:
    """A difference as a table shows it: ``Δ +8.75 pp [7.06, 10.4] *`` (or ``Δ +8.0 pp`` without an interval),
    and what else must be read with it: the means it is the difference of when paired over fewer
    replications than the variants report, or why it has no interval; "" otherwise.  Shares in
    percentage points."""
    f, unit = (100.0, " pp") if is_share(name) else (1.0, "")
    if d.get("diff") is None:
        return "Δ n/a", str(d.get("why") or "")
    text = f"Δ {d['diff'] * f:+.{digits}g}{unit}"
    if d.get("diff_ci_low") is None or d.get("diff_ci_high") is None:
        return text, str(d.get("why") or "no interval")
    text += (f" [{d['diff_ci_low'] * f:.{digits}g}, {d['diff_ci_high'] * f:.{digits}g}]"
             + (" *" if d.get("significant") else ""))
    if d.get("subset"):
        return text, (f"over the {len(d['pairs'])} pairs: {format_value(name, d['ref_mean'])} → "
                      f"{format_value(name, d['mean'])}")
    return text, ""


def levels_note(rows_in: Sequence[Any], confidence: float) -> str:
    """A sentence naming the variants whose own intervals are at another confidence level than ``confidence``
    (that of variant 0, used for every difference), or ""."""
    other = [f"variant {c.index}: {float(c.summary['confidence']):.4g}" for c in rows_in
             if c.summary.get("confidence") is not None and float(c.summary["confidence"]) != confidence]
    return (f"The variants' own intervals are at their own confidence level (experiment.confidence), which is not "
            f"{confidence:.4g} for {', '.join(other)}; every difference is at {confidence:.4g}.") if other else ""
