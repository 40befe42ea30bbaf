"""What a run writes (``report.*``): the report section of the schema, with the rule of ``report.compare_to``.

A section of :class:`sim.config.schema.Config` (see there for how a setting states its rules).
"""

from __future__ import annotations

from typing import Any, Optional

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
    """The rule of ``report.compare_to`` (whether a variant matches it is known when the sweep ends)."""
    text = str(r.compare_to).strip()
    if text and not text.isdigit() and ("=" not in text or text.startswith("=") or text.endswith("=")):
        raise ConfigError(f"{at}.compare_to", r.compare_to,
                          "a variant's number (0, 1, ...) or one of its overrides, key=value "
                          "(staffing.policy=plan); empty = the first variant")
