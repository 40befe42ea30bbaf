"""What a run writes (``report.*``): the report section of the schema, with the rule of ``report.compare_to``.

A section of :class:`sim.config.schema.Config` (see there for how a setting states its rules).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from pydantic import StrictBool

from sim.config.fields import AT, Model, doc, rule
from sim.core.errors import ConfigError


class ReportConfig(Model):
    """What a run writes."""

    dir: Optional[str] = doc(None, "output folder; None = reports/<scenario>/<timestamp>")
    plots: StrictBool = doc(True, "write PNG figures")
    html: StrictBool = doc(True, "write a self-contained report.html")
    print_table: StrictBool = doc(True, "print the KPI table on stdout")
    request_log: StrictBool = doc(False, "write requests.csv: one row per contact with its timeline")
    overwrite: StrictBool = doc(False, "replace the contents of an existing report folder (otherwise a run refuses it)")
    compare_to: str = doc("", "a sweep's reference variant: its number or one of its overrides (key=value); "
                              "empty = the first")
    xlsx: StrictBool = doc(True, "write report.xlsx (a run) and comparison.xlsx (a sweep): every table as a sheet")

    @rule
    def _compare_to(self) -> None:
        check_report(self, AT)


def check_report(r: Any, at: str = "report") -> None:
    """The rule of ``report.compare_to``'s form (whether a variant matches it: :func:`compare_to_match`)."""
    text = str(r.compare_to).strip()
    if text and not text.isdigit() and ("=" not in text or text.startswith("=") or text.endswith("=")):
        raise ConfigError(f"{at}.compare_to", r.compare_to,
                          "a variant's number (0, 1, ...) or one of its overrides, key=value "
                          "(staffing.policy=plan); empty = the first variant")


def compare_to_match(compare_to: Any, variants: Sequence[tuple[int, Sequence[str]]]) -> Optional[int]:
    """Position in ``variants`` of the variant ``report.compare_to`` names, or None when it names none.

    ``variants``: each variant's number (its Hydra job number, as the tables show it) and its overrides
    (``key=value``, as the sweep passed them).  ``compare_to``: "" (or None) = the first variant; a number =
    the variant of that number; ``key=value`` = the first variant whose overrides include it.  The command
    line checks it before a sweep starts (:mod:`sim.preflight`), the comparison when the sweep ends.
    """
    text = "" if compare_to is None else str(compare_to).strip()
    if not text:
        return 0 if variants else None
    for i, (number, overrides) in enumerate(variants):
        if (text.isdigit() and number == int(text)) or (not text.isdigit() and text in overrides):
            return i
    return None


def compare_to_rule(compare_to: Any, count: int) -> str:
    """Why ``report.compare_to`` names no variant of a sweep of ``count`` variants."""
    return (f"names no variant of this sweep (a number from 0 to {count - 1}, or an override one of them has, "
            "key=value as typed)")
