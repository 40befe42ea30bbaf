"""Numbers in the CSV files and workbooks: each column rounded to the precision its unit can mean.

``summary.json`` keeps every value exact; the tables a person opens (the CSV files, ``report.xlsx``)
carry a number to the precision of its unit, not the 12 digits of a float:

* a share (a KPI in [0, 1], ``service_level``): 6 decimals (a ten-thousandth of a percentage point);
  in percent (``service_level_pct``, ``*_diff_pp``): 4 decimals;
* a time in seconds (``asa_s``, ``*_s``): 3 decimals (a millisecond); in hours (``*_h``, ``start_h``):
  4 decimals (a third of a second);
* a count (``calls_offered``): as it is when whole, else 2 decimals (a mean over replications);
* operators, Erlangs, levels and ratios (``offered_load``, ``mean_operators``, ``occupancy`` is a share):
  3 decimals; a cost 2 decimals;
* anything else: 6 significant digits, never in exponent notation.

The column's name says its unit (:func:`column_decimals`): a KPI's name (with a breakdown
``.street``, or an interval's ``_ci_low`` / ``_ci_high``, a moving average's ``_ma``) is looked up in
the KPI catalogue, other names by their suffix.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

#: Suffixes that carry a statistic of the column they follow (its interval, a moving average, a difference).
STAT_SUFFIXES = ("_ci_low", "_ci_high", "_ma", "_over_pairs", "_replications")
#: Columns of operators or Erlangs (staffing.csv, schedule.csv, the staffing position): 3 decimals.
LEVEL_COLUMNS = ("offered_load", "required", "scheduled", "mean_on_duty", "over", "under", "gap",
                 "scheduled_operators", "required_operators", "gap_operators", "capacity")


def _base(column: str) -> str:
    name = column[4:] if column.startswith("ref_") else column
    for suffix in STAT_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def column_decimals(column: str) -> Optional[int]:
    """Decimals of the numbers of ``column`` (None: 6 significant digits)."""
    from sim.config.kpi_catalog import kpi

    name = _base(column)
    if name.endswith(("_pct", "_pp")):
        return 4
    if name.endswith("_diff"):
        name = name[: -len("_diff")]
    if name in LEVEL_COLUMNS or name.endswith("_operators"):
        return 3
    if name.endswith("_cost") or name.startswith("cost"):
        return 2
    try:
        k = kpi(name)
    except KeyError:
        k = None
    if k is not None:
        kind = k.domain.kind
        if kind == "share":
            return 6
        if kind == "count":
            return 2
        if kind == "time":
            return 3 if k.unit == "s" else 4
        return 2 if k.unit == "cost units" else 3
    if name.endswith("_s"):
        return 3
    if name.endswith("_h") or name.endswith("_hours"):
        return 4
    return None


def rounded(x: float, column: str) -> float:
    """``x`` rounded for ``column`` (:func:`column_decimals`; 6 significant digits otherwise)."""
    if not math.isfinite(x) or x == 0:
        return float(x)
    d = column_decimals(column)
    if d is None:
        d = max(0, 6 - int(math.floor(math.log10(abs(x)))) - 1)
    out = round(float(x), d)
    return 0.0 if out == 0 else out  # no "-0"


def csv_text(x: Any, column: str = "") -> str:
    """Text of a CSV cell: empty for a missing value, a whole number without decimals, another number rounded
    for its column (never in exponent notation), anything else as it is."""
    if x is None or (isinstance(x, (float, np.floating)) and math.isnan(float(x))):
        return ""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if not math.isfinite(v):
            return "inf" if v > 0 else "-inf"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        text = np.format_float_positional(rounded(v, column), trim="-")  # the shortest text, no exponent
        return "0" if text == "-0" else text
    return str(x)


def format_hours(h: float, sign: bool = False) -> str:
    """Operator-hours as they add up: whole hours without decimals, others with one (``1,604.5``).  A plan counts
    half-hours, so rounding each of a total, its parts and a difference to whole hours (half to even) made them
    disagree (``1,604 scheduled (1,440 and 165)``, ``gap +157`` against ``1,448 required``)."""
    whole = abs(h - round(h)) < 5e-7
    return f"{h:{'+' if sign else ''},.{0 if whole else 1}f}"
