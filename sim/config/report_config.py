"""What a run writes (``report.*``): the report section of the schema, with the rule of ``report.compare_to``.

The section lives here, beside its one rule that is not a type or a range, and :mod:`sim.config.schema`
imports it into the schema (``Config.report``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass
class ReportConfig:
    """What a run writes."""

    dir: Optional[str] = None  # output folder; None = reports/<scenario>/<timestamp>
    plots: bool = True  # write PNG figures
    html: bool = True  # write a self-contained report.html
    print_table: bool = True  # print the KPI table on stdout
    request_log: bool = False  # write requests.csv: one row per contact with its timeline
    overwrite: bool = False  # replace the contents of an existing report folder (otherwise a run refuses it)
    compare_to: str = ""  # a sweep's reference variant: its number or one of its overrides; "" = the first
    xlsx: bool = True  # write report.xlsx (a run) and comparison.xlsx (a sweep): every table as a sheet


def check_report(r: ReportConfig) -> None:
    """The rules of ``report.compare_to`` (whether a variant matches it is known when the sweep ends)."""
    from sim.core.errors import ConfigError

    text = str(r.compare_to).strip()
    if text and not text.isdigit() and ("=" not in text or text.startswith("=") or text.endswith("=")):
        raise ConfigError("report.compare_to", r.compare_to,
                          "a variant's number (0, 1, ...) or one of its overrides, key=value "
                          "(staffing.policy=plan); empty = the first variant")
