"""A difference between two variants of a sweep as text: the cell of a table, and what must be read with it.

A difference (:func:`sim.analysis.differences.compare_replications`) is shown as
``Δ +8.75 pp [+7.06 pp, +10.44 pp] *`` (a duration in the unit of its size: ``Δ +1.20 min``);
beside it goes what a reader needs to read it right: the two means it is the difference of,
when it is paired on fewer replications than the variants report (their reported means then
differ by something else), or why it has no interval.  ``comparison.md``,
``comparison.html`` and the forest plot use these functions.
"""

from __future__ import annotations

from typing import Any, Dict, Sequence

from sim.report.text import COST_UNITS, format_diff, format_value


def diff_parts(name: str, d: Dict[str, Any], currency: str = COST_UNITS) -> tuple[str, str]:
    """A difference as a table shows it: ``Δ +8.75 pp [+7.06 pp, +10.44 pp] *`` (or ``Δ +8.00 pp`` without an
    interval; the ends of a duration's interval in the unit of the difference), and what else must be read
    with it: the means it is the difference of when paired over fewer replications than the variants
    report, or why it has no interval; "" otherwise.  Shares in percentage points, costs in ``currency``."""
    if d.get("diff") is None:
        return "Δ n/a", str(d.get("why") or "")
    text = f"Δ {format_diff(name, d['diff'], currency=currency)}"
    if d.get("diff_ci_low") is None or d.get("diff_ci_high") is None:
        return text, str(d.get("why") or "no interval")
    ends = [format_diff(name, d[b], like=d["diff"], currency=currency) for b in ("diff_ci_low", "diff_ci_high")]
    text += f" [{ends[0]}, {ends[1]}]" + (" *" if d.get("significant") else "")
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
