"""report.xlsx and comparison.xlsx: every table as a sheet, numbers as numbers, the same numbers as the CSV files."""

from __future__ import annotations

import csv
import json

import pytest

openpyxl = pytest.importorskip("openpyxl")


def _csv(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_run_workbook_holds_the_numbers_of_every_csv(run_report):
    """Every CSV file of the run (but the logs) is a sheet of report.xlsx holding the same numbers, as numbers
    (not text); the KPI summary sheet holds summary.json's means; units are in the headers."""
    out, _ = run_report
    book = openpyxl.load_workbook(out / "report.xlsx")
    names = [p for p in sorted(out.glob("*.csv")) if p.name not in ("requests.csv", "calls.csv")]
    assert {p.stem for p in names} <= set(book.sheetnames), (book.sheetnames, [p.stem for p in names])
    assert book.sheetnames[:3] == ["KPI summary", "Staffing position", "Gap by day"], book.sheetnames
    checked = 0
    for path in names:
        rows = _csv(path)
        sheet = list(book[path.stem].iter_rows(values_only=True))
        assert len(sheet) == len(rows), f"{path.name}: {len(sheet)} rows in the sheet, {len(rows)} in the file"
        for header in sheet[0]:
            assert header.split(" [")[0] in rows[0], f"{path.name}: header {header!r} not a column of the file"
        for got, want in zip(sheet[1:], rows[1:]):
            for g, w in zip(got, want):
                if w == "":
                    assert g is None
                    continue
                try:
                    number = float(w)
                except ValueError:
                    assert g == w, (path.name, g, w)
                    continue
                assert isinstance(g, (int, float)) and not isinstance(g, bool), (path.name, g, w)
                assert g == number, f"{path.name}: {g} in the workbook, {w} in the file"
                checked += 1
    assert checked > 1000, f"only {checked} numbers compared"
    summary = json.loads((out / "summary.json").read_text())
    kpis = {r[0]: r for r in book["KPI summary"].iter_rows(min_row=2, values_only=True)}
    assert kpis["service_level"][3] == pytest.approx(summary["kpis"]["service_level"]["mean"], abs=5e-7)
    assert kpis["service_level"][2] == "share" and kpis["operator_hours"][6:] == (None, None), kpis["operator_hours"]
    sl_row = next(i for i, r in enumerate(book["KPI summary"].iter_rows(min_row=2, values_only=True), start=2)
                  if r[0] == "service_level")
    assert book["KPI summary"].cell(sl_row, 4).number_format == "0.00%"
    header = [c.value for c in book["kpis"][1]]
    assert "service_level [share]" in header and "asa_s" in header, header
    gap = [c.value for c in book["Staffing position"][2]]
    assert gap[3] == pytest.approx(summary["staffing_position"]["groups"][0]["gap_h"])


def test_no_workbook_when_switched_off(tmp_path):
    """report.xlsx=false: no workbook, and it is not listed among the files."""
    from sim.api import compose_config, run

    out = tmp_path / "run"
    run(compose_config("single_queue", ["experiment.horizon_h=3", "experiment.replications=2", "report.plots=false",
                                        "report.html=false", "report.xlsx=false", "experiment.progress=false"]),
        out_dir=out)
    assert not (out / "report.xlsx").exists()
    assert "report.xlsx" not in json.loads((out / "summary.json").read_text())["files"]


def test_a_table_too_large_for_the_workbook_is_left_out_and_named(run_report, tmp_path, monkeypatch):
    """A CSV file of more cells than the limit (a year of half-hours in several replications: 20 s of openpyxl
    for intervals.csv alone) is not a sheet; the sheet ``Left out`` names it with its rows, and the logs too; the
    other files are sheets as before."""
    import shutil

    from sim.report import workbook

    out, _ = run_report
    summary = json.loads((out / "summary.json").read_text())
    names = [n for n in summary["files"] if n.endswith(".csv")]
    for n in names:
        shutil.copy(out / n, tmp_path / n)
    (tmp_path / "calls.csv").write_text("attempt,wait_s\n1,2.5\n2,0\n", encoding="utf-8")
    shape = {n: (len(_csv(out / n)) - 1, len(_csv(out / n)[0])) for n in names}
    cells = shape["intervals.csv"][0] * shape["intervals.csv"][1]
    over = [n for n in names if shape[n][0] * shape[n][1] > cells - 1]
    assert "intervals.csv" in over and len(over) < len(names)
    monkeypatch.setattr(workbook, "MAX_SHEET_CELLS", cells - 1)
    workbook.write_run_workbook(tmp_path, summary, [*names, "calls.csv"])
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert not {n[:-4] for n in over} & set(book.sheetnames) and book.sheetnames[-1] == "Left out"
    assert {n[:-4] for n in names if n not in over} <= set(book.sheetnames)
    left = list(book["Left out"].iter_rows(values_only=True))
    assert [r[:2] for r in left[1:]] == [*((n, shape[n][0]) for n in over), ("calls.csv", 2)]
    assert f"{cells:,} cells" in left[1 + over.index("intervals.csv")][2]


def test_the_workbook_verdicts_read_as_the_pages_write_them(run_report):
    """The KPI summary sheet said "unclear" where report.html and report.md say "not clear"; every verdict now
    uses the pages' words, and a KPI with a target but no value says "not measured"."""
    import openpyxl

    from sim.report.workbook import verdict_word

    out = run_report[0]
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    summary = json.loads((out / "summary.json").read_text())
    words = {"met": "met", "missed": "missed", "unclear": "not clear"}
    verdicts = {r[0]: r[7] for r in book["KPI summary"].iter_rows(min_row=2, values_only=True)}
    judged = [k for k, t in summary["targets"].items() if t["status"] in words]
    assert judged, summary["targets"]
    for k in judged:
        assert verdicts[k] == words[summary["targets"][k]["status"]], (k, verdicts[k])
    assert "unclear" not in verdicts.values(), verdicts
    assert verdict_word({"target": 0.9, "status": "no_interval", "note": "1 replication"}) == \
        "no interval (1 replication)"
    assert verdict_word({"target": 0.9, "status": "none"}) == "not measured"
    assert verdict_word({}) == ""
