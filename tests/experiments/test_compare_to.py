"""report.compare_to picks a sweep's reference variant; the tables lead with cost, the gap against erlang and the
intervals meeting each target."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import scipy.stats as st
import yaml
from test_sweep_comparison import A, B, _variant

from sim.report.comparison import compared, reference_of, scan_sweep, write_comparison

C = {"service_level": [0.70, 0.72, 0.75, 0.71, 0.74], "asa_s": [20.0, 18.0, 19.0, 22.0, 21.0]}


def _sweep(tmp_path, compare_to=None):
    for i, (vals, ops) in enumerate(((A, 100), (B, 110), (C, 90))):
        _variant(tmp_path / f"variant_{i}", 7, range(5), vals, [f"staffing.operators={ops}", "scale=0.1"], i)
        if compare_to is not None:
            (tmp_path / f"variant_{i}" / "config.yaml").write_text(yaml.safe_dump({"report": {"compare_to": compare_to}}))
    return scan_sweep(tmp_path)[0]


@pytest.mark.parametrize("compare_to, ref, note", [
    (None, 0, ""), ("", 0, ""), ("1", 1, ""), ("staffing.operators=90", 2, ""),
    ("7", 0, "names no variant"), ("staffing.operators=95", 0, "names no variant")])
def test_compare_to_picks_the_reference(tmp_path, compare_to, ref, note):
    """By number, by one of the variant's overrides, or (empty, unset, matching nothing) the first; a value that
    matches nothing says so."""
    variants = _sweep(tmp_path, compare_to)
    at, why = reference_of(variants)
    assert at == ref and (note in why if note else why == ""), (at, why)
    rows = compared(variants)
    assert [c.reference for c in rows] == [i == ref for i in range(3)]


def test_differences_are_from_the_chosen_reference(tmp_path):
    """report.compare_to=1: variant 0's difference is A - B (paired, same seed), the reference's row has none,
    comparison.csv marks the reference, and comparison.md names it."""
    _sweep(tmp_path, "1")
    path = write_comparison(tmp_path)
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["reference"] for r in rows] == ["no", "yes", "no"]
    ci = st.ttest_rel(A["service_level"], B["service_level"]).confidence_interval(0.95)
    assert float(rows[0]["service_level_diff_pp"]) == pytest.approx(
        100 * (np.mean(A["service_level"]) - np.mean(B["service_level"])), abs=5e-5)
    assert float(rows[0]["service_level_diff_pp_ci_low"]) == pytest.approx(100 * ci.low, abs=5e-5)
    assert rows[1]["service_level_diff_pp"] == "0" and rows[1]["paired"] == ""
    md = (tmp_path / "comparison.md").read_text()
    assert "Reference: variant 1 (staffing.operators=110" in md, md[:300]
    html = (tmp_path / "comparison.html").read_text()
    assert "Reference: variant 1 (staffing.operators=110)" in html
    assert "Differences from variant 1, the reference" in html or "fig-forest" in html


def test_tables_lead_with_cost_and_the_intervals_met(tmp_path):
    """Operator-hours, cost, the gap against erlang and the share of intervals meeting each target come before
    the service KPIs in comparison.csv, comparison.md and comparison.html."""
    for i, (vals, hours, gap, share) in enumerate(((A, 1000.0, 50.0, 0.9), (B, 1100.0, 150.0, 1.0))):
        folder = tmp_path / f"variant_{i}"
        _variant(folder, 7, range(5), {**vals, "operator_hours": [hours] * 5, "staffing_cost": [2 * hours] * 5},
                 [f"staffing.operators={i}"], i)
        summary = json.loads((folder / "summary.json").read_text())
        summary["staffing"] = {"intervals_meeting": {"all": share, "service_level": share}}
        summary["staffing_position"] = {"groups": [{"group": "front line", "gap_h": gap, "required_h": 950.0}]}
        (folder / "summary.json").write_text(json.dumps(summary))
    path = write_comparison(tmp_path)
    header = path.read_text().splitlines()[0].split(",")
    lead = header.index("erlang_gap_h")
    assert header[lead:lead + 4] == ["erlang_gap_h", "erlang_gap_pct", "meeting_all_pct", "meeting_service_level_pct"]
    assert lead < header.index("operator_hours") < header.index("staffing_cost") < header.index("service_level_pct")
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert (rows[1]["erlang_gap_h"], rows[1]["erlang_gap_pct"], rows[1]["meeting_all_pct"]) == ("150", "15.7895", "100")
    md = (tmp_path / "comparison.md").read_text()
    head = next(ln for ln in md.splitlines() if ln.startswith("| variant"))
    assert head.index("operator-hours") < head.index("staffing cost") < head.index("gap against erlang") < \
        head.index("intervals meeting every target") < head.index("| service level |"), head
    row1 = next(ln for ln in md.splitlines() if ln.startswith("| 1 |"))
    assert "1,100 h<br>Δ +100 h" in row1 and "+150 h<br>+15.8% of the requirement" in row1, row1
    html = (tmp_path / "comparison.html").read_text()
    assert html.index("gap against erlang") < html.index(">service level<"), "the page leads with the cost"


def test_the_method_text_names_the_chosen_reference(tmp_path, capsys):
    """report.compare_to=1 on variants of 4, 5 and 5 replications, the last with another seed: variant 0 is paired
    on the 4 replications it shares with variant 1, and variant 2 is compared by Welch; the text of both names
    variant 1 and its overrides as the one they are compared with (it said "variant 0 has 5" of the reference's 5
    replications) in comparison.csv, comparison.md, the page's hover text and the terminal."""
    from sim.report.comparison_page import terminal_summary

    for i, (vals, seed, reps) in enumerate(((A, 7, range(4)), (B, 7, range(5)), (C, 8, range(5)))):
        _variant(tmp_path / f"variant_{i}", seed, reps, {k: v[:len(reps)] for k, v in vals.items()},
                 [f"staffing.operators={100 + 10 * i}", "scale=0.1"], i)
        (tmp_path / f"variant_{i}" / "config.yaml").write_text(yaml.safe_dump({"report": {"compare_to": "1"}}))
    path = write_comparison(tmp_path)
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    ref = "variant 1 (staffing.operators=110)"
    paired = f"paired-t on the 4 replications both variants have (0-3; {ref} has 5, this one 4)"
    welch = f"Welch, unpaired (5 replications of {ref}, 5 of this one; the variants' seeds differ)"
    assert [r["differences"] for r in rows] == [paired, "", welch]
    md = (tmp_path / "comparison.md").read_text()
    html = (tmp_path / "comparison.html").read_text()
    for text in (md, html):
        assert paired in text and welch.replace("'", "&#39;" if text is html else "'") in text
        assert "variant 0 has" not in text and "Welch, unpaired (5 and 5" not in text
    assert f"; {paired}" in html, "the hover text of a difference names the reference"
    terminal = terminal_summary(compared(scan_sweep(tmp_path)[0]))
    assert f"Differences from variant 1: 0: {paired}; 2: {welch}" in terminal, terminal


@pytest.mark.parametrize("value", ["", "0", "12", "staffing.policy=plan", " scale=0.1 "])
def test_compare_to_accepts_a_number_or_an_override(value):
    """The values report.compare_to accepts (whether one matches a variant: test_compare_to_naming_no_variant_is_refused)."""
    from sim.config.report_config import check_report
    from sim.config.schema import ReportConfig

    check_report(ReportConfig(compare_to=value))


def test_a_reference_matching_nothing_is_not_said_to_be_chosen(tmp_path):
    """When report.compare_to names no variant (a sweeper that chose the variants itself), comparison.md and
    comparison.html say that the first variant is the reference for that reason - not "report.compare_to chooses
    it" followed by a sentence saying that it does not."""
    _sweep(tmp_path, "7")
    write_comparison(tmp_path)
    md = (tmp_path / "comparison.md").read_text()
    html = (tmp_path / "comparison.html").read_text()
    assert "report.compare_to chooses it" not in md and "report.compare_to chooses it" not in html
    lead = md.splitlines()[2]
    assert lead.startswith("Reference: variant 0 (staffing.operators=100; report.compare_to=7 names no variant"), lead
    assert "the first variant is the reference" in lead, lead
    assert "report.compare_to=7 names no variant" in html


@pytest.mark.parametrize("args, rule", [
    (["-m", "staffing.operators=12,14", "report.compare_to=5"], "names no variant of this sweep (a number from 0 to 1"),
    (["-m", "staffing.operators=12,14", "report.compare_to='staffing.operators=13'"], "names no variant"),
    (["report.compare_to=1"], "used only by a sweep (-m)")])
def test_compare_to_naming_no_variant_is_refused(tmp_path, args, rule):
    """A reference that no variant of the sweep has, or a reference in a run that is no sweep, is refused before
    anything runs (one line naming the argument as typed, exit status 2, no folder); they used to run the sweep
    against the first variant after a note on stderr, or to be ignored."""
    from support import run_cli

    out = tmp_path / "out"
    r = run_cli(["scenario=single_queue", "scale=0.1", "experiment.horizon_h=2", "experiment.warmup_h=1",
                 "experiment.replications=2", f"report.dir={out}", *args])
    typed = args[-1]
    assert r.returncode == 2, (r.returncode, r.stderr[-500:])
    assert r.stderr.startswith(f"run_sim: error: {typed}: ") and rule in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert not out.exists(), "a refused command wrote its folder"


def test_compare_to_naming_a_variant_runs(tmp_path):
    """A reference named by an override of a variant, quoted as typed, is accepted and chosen."""
    from support import run_cli

    out = tmp_path / "out"
    r = run_cli(["-m", "scenario=single_queue", "scale=0.1", "experiment.horizon_h=2", "experiment.warmup_h=1",
                 "experiment.replications=2", "report.plots=false", "report.html=false", "report.xlsx=false",
                 f"report.dir={out}", "staffing.operators=120,140", "report.compare_to='staffing.operators=140'"])
    assert r.returncode == 0, r.stderr[-800:]
    md = (out / "comparison.md").read_text()
    assert "Reference: variant 1 (staffing.operators=140; report.compare_to chooses it)" in md, md[:300]


def test_a_sweep_of_unit_staffing_targets_shows_the_case_workers_each_costs(tmp_path):
    """-m unit_staffing.target.response_rate=0.9,0.95 ('what each target costs'): comparison.csv, .md and .html
    set each variant's proposed case workers and their hours beside its rates; before, only each variant's
    summary.json held them, and a sweep without a proposal has no such column."""
    for i, (vals, workers, hours) in enumerate(((A, 4359.0, 669564.0), (B, 4810.0, 738816.0))):
        folder = tmp_path / f"variant_{i}"
        _variant(folder, 7, range(5), vals, [f"unit_staffing.target.response_rate=0.9{5 * i}"], i)
        summary = json.loads((folder / "summary.json").read_text())
        summary["unit_staffing"] = {"policy": "erlang", "total": {"required_case_workers": workers,
                                                                  "required_case_worker_hours": hours}}
        (folder / "summary.json").write_text(json.dumps(summary))
    path = write_comparison(tmp_path)
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["case_workers"], r["case_worker_hours"]) for r in rows] == [("4359", "669564"), ("4810", "738816")]
    row1 = next(ln for ln in (tmp_path / "comparison.md").read_text().splitlines() if ln.startswith("| 1 |"))
    assert "4,810<br>738,816 case-worker hours" in row1, row1
    assert "case workers (proposal)" in (tmp_path / "comparison.html").read_text()
    plain = tmp_path / "plain"
    _variant(plain / "variant_0", 7, range(5), A, ["staffing.operators=1"], 0)
    _variant(plain / "variant_1", 7, range(5), B, ["staffing.operators=2"], 1)
    assert "case_workers" not in write_comparison(plain).read_text().splitlines()[0].split(",")
