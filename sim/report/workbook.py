"""The workbook of a run (``report.xlsx``) and of a sweep (``comparison.xlsx``): every table as a sheet.

Written with openpyxl when ``report.xlsx`` is on, after the CSV files (from which it reads its
tables, so that a sheet holds exactly the numbers of its CSV file) and ``summary.json``'s tables:

* a run: ``KPI summary`` (each KPI's label, unit, mean, interval, target and verdict, in the pages' words),
  ``Staffing position``
  (per group, and with operator groups their total: operator-hours scheduled and required by erlang, the
  gap, the costs) and ``Gap by day`` (per group with groups)
  when the run has a position, then one sheet per CSV file of the folder, named after it
  (``intervals``, ``failing_intervals``, ``staffing_gap``, ...), but the logs (:data:`SKIPPED_CSV`) and a
  file of more than :data:`MAX_SHEET_CELLS` cells, which the last sheet, ``Left out``, lists;
* a sweep: one sheet, ``comparison`` (``comparison.csv``).

Numbers are cells of numbers (never text), with a number format for their unit (a share as a
percentage, a count without decimals, a cost with two decimals); each header names its unit
in brackets where the column's name does not say it (``service_level [share]``, ``staffing_cost
[CNY]``).  A sheet's first row is frozen.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence

#: Sheets never written from a CSV file (too large to be useful in a workbook; the CSV stays).
SKIPPED_CSV = ("requests.csv", "calls.csv")
#: A CSV file of more cells (rows x columns) is left out of the workbook: openpyxl writes about 90,000 cells a
#: second, so a year of half-hours in 5 replications (intervals.csv: 87,840 rows of 21 columns) took 20 s of a
#: 29 s workbook.  The CSV file stays; the sheet ``Left out`` names it.
MAX_SHEET_CELLS = 500_000
#: Excel's limit on a sheet's name.
MAX_SHEET_NAME = 31


def _cell(text: str) -> Any:
    """A CSV cell as a workbook value: an int or a float where it is a number, else the text (None when empty)."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def unit_of(column: str, currency: str) -> str:
    """The unit a header adds in brackets ("" when the name says it or there is none)."""
    from sim.config.kpi_catalog import kpi
    from sim.report.numbers import _base

    name = _base(column)
    try:
        k = kpi(name.split(".")[0])
    except KeyError:
        return "%" if name.endswith("_pct") else "pp" if name.endswith("_pp") else ""
    if k.domain.kind == "share":
        return "share"
    if k.unit == "cost units":
        return currency
    if k.unit in ("s", "h") and (name.endswith("_s") or name.endswith("_h")):
        return ""
    return k.unit if k.unit not in ("", "%") else ""


def number_format(column: str, header_unit: str) -> Optional[str]:
    """The Excel number format of a column's numbers."""
    from sim.report.numbers import column_decimals

    if header_unit == "share":
        return "0.00%"
    d = column_decimals(column)
    if d is None:
        return None
    return "#,##0" if d == 0 else "#,##0." + "0" * min(d, 6)


def add_sheet(book: Any, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]], currency: str) -> None:
    """A sheet of ``rows`` under ``header`` (units in brackets, the first row frozen, number formats by column)."""
    from openpyxl.styles import Font

    sheet = book.create_sheet(name[:MAX_SHEET_NAME])
    units = [unit_of(h, currency) for h in header]
    sheet.append([f"{h} [{u}]" if u else h for h, u in zip(header, units)])
    for c in sheet[1]:
        c.font = Font(bold=True)
    formats = [(j, fmt) for j, fmt in enumerate((number_format(h, u) for h, u in zip(header, units)), start=1)
               if fmt is not None]
    for r, row in enumerate(rows, start=2):  # by index: the sheet's max_row walks every cell at each call
        sheet.append(list(row))
        for j, fmt in formats:
            cell = sheet.cell(r, j)
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = fmt
    sheet.freeze_panes = "A2"
    for i, h in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(40, max(10, len(str(h)) + 4))


def csv_table(path: Path) -> tuple[List[str], List[List[Any]]]:
    """Header and rows of a CSV file, numbers as numbers."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return (rows[0], [[_cell(x) for x in r] for r in rows[1:]]) if rows else ([], [])


def csv_shape(path: Path) -> tuple[int, int]:
    """Rows (without the header) and columns of a CSV file, its cells unread."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        return sum(1 for _ in reader), len(header)


def verdict_word(target: Mapping[str, Any]) -> str:
    """A verdict in the words of the pages (``met``, ``missed``, ``not clear``, ``no interval (1 replication)``,
    ``not measured``), from ``summary.json`` -> ``targets`` -> a KPI; empty without a target."""
    from sim.report.targets import WORDS
    from sim.report.text import NOT_MEASURED

    status = target.get("status", "")
    if not status:
        return ""
    if status == "none":
        return NOT_MEASURED if target.get("target") is not None else ""
    return WORDS[status] + (f" ({target['note']})" if target.get("note") else "")


def kpi_rows(summary: Mapping[str, Any]) -> tuple[List[str], List[List[Any]]]:
    """The KPIs sheet: key, label, unit, mean, interval, target and verdict (numbers rounded as in the CSVs)."""
    from sim.config.kpi_catalog import kpi
    from sim.report.numbers import rounded
    from sim.report.text import currency_of

    cur = currency_of(summary)
    rows = []
    for name, ci in summary["kpis"].items():
        k = kpi(name)
        t = (summary.get("targets") or {}).get(name) or {}
        vals = [None if ci.get(b) is None else rounded(float(ci[b]), name) for b in ("mean", "ci_low", "ci_high")]
        unit = "share" if k.domain.kind == "share" else cur if k.unit == "cost units" else k.unit
        rows.append([name, k.label, unit, *vals, t.get("target"), verdict_word(t)])
    return ["kpi", "label", "unit", "mean", "ci_low", "ci_high", "target", "verdict"], rows


def write_run_workbook(out_dir: Path, summary: Mapping[str, Any], csv_names: Sequence[str]) -> str:
    """Write ``report.xlsx`` in ``out_dir`` from ``summary`` and the CSV files named; return its name."""
    from openpyxl import Workbook

    from sim.report.text import currency_of

    cur = currency_of(summary)
    book = Workbook()
    book.remove(book.active)
    sheet_formats(book, "KPI summary", *kpi_rows(summary), cur)
    pos = summary.get("staffing_position") or {}
    if pos.get("groups"):
        keys = ["scheduled_h", "required_h", "gap_h", "gap_pct", "scheduled_cost", "required_cost", "gap_cost",
                "intervals_under", "intervals_over"]
        every = [*pos["groups"], *([pos["total"]] if "total" in pos else [])]  # with groups, their total too
        add_sheet(book, "Staffing position", ["group", *keys], [[g["group"], *[g.get(k) for k in keys]]
                                                                for g in every], cur)
        days = [*(["group"] if "total" in pos else []), "day", "weekday", "scheduled_h", "required_h", "gap_h",
                "gap_pct"]
        add_sheet(book, "Gap by day", days, [[d[k] for k in days] for d in pos["by_day"]], cur)
    left: List[List[Any]] = []
    for name in csv_names:
        path = out_dir / name
        if not name.endswith(".csv") or not path.is_file():
            continue
        n_rows, n_columns = csv_shape(path)
        if name in SKIPPED_CSV:
            left.append([name, n_rows, "a log of one row per contact or call attempt"])
        elif n_rows * n_columns > MAX_SHEET_CELLS:
            left.append([name, n_rows, f"{n_rows * n_columns:,} cells, over {MAX_SHEET_CELLS:,}: too slow to "
                                       "write and too large to read here"])
        else:
            add_sheet(book, Path(name).stem, *csv_table(path), cur)
    if left:
        add_sheet(book, "Left out", ["file", "rows", "why (the CSV file in the report folder holds it)"], left, cur)
    book.save(out_dir / "report.xlsx")
    return "report.xlsx"


def sheet_formats(book: Any, name: str, header: Sequence[str], rows: List[List[Any]], currency: str) -> None:
    """The KPI summary sheet: like :func:`add_sheet`, each row's numbers formatted by its own KPI's unit."""
    add_sheet(book, name, header, rows, currency)
    sheet = book[name]
    for r, row in enumerate(rows, start=2):
        fmt = "0.00%" if row[2] == "share" else number_format(str(row[0]), "")
        for c in range(4, 8):
            cell = sheet.cell(r, c)
            if fmt is not None and isinstance(cell.value, (int, float)):
                cell.number_format = fmt


def write_sweep_workbook(sweep_dir: Path, currency: str) -> Optional[str]:
    """Write ``comparison.xlsx`` from ``comparison.csv`` (costs in ``currency``); return its name (None without
    the CSV)."""
    from openpyxl import Workbook

    path = sweep_dir / "comparison.csv"
    if not path.is_file():
        return None
    book = Workbook()
    book.remove(book.active)
    add_sheet(book, "comparison", *csv_table(path), currency)
    book.save(sweep_dir / "comparison.xlsx")
    return "comparison.xlsx"
