"""With one replication there is no confidence interval, so no verdict: every place that shows a verdict says so.

A run of ``single_queue`` with one replication, whose answer rate, service level and abandonment have targets
(the defaults) on both sides of their means: ``summary.json``, the terminal's table and targets line,
``report.md`` and ``report.html`` say "no interval (1 replication)" where a verdict would be, never "met" or
"MISSED", and the pages' legend explains the mark.  :func:`sim.report.targets.judge` is checked directly for
the words it rests on.
"""

from __future__ import annotations

import json

import pytest

from sim.report.targets import judge
from sim.report.text import kpi_table, targets_line

#: Targets on both sides of the one replication's means (answer rate about 95%, abandonment about 5%).
OVERRIDES = ["arrivals.phone.per_day=2000", "staffing.operators=8", "experiment.horizon_h=4",
             "experiment.warmup_h=0", "experiment.replications=1", "experiment.progress=false",
             "kpi.targets.answer_rate=0.5", "kpi.targets.abandon_rate=0.001", "kpi.targets.service_level=0.8",
             "report.plots=false"]
JUDGED = ("answer_rate", "abandon_rate", "service_level")


@pytest.fixture(scope="module")
def one_rep(tmp_path_factory):
    """(folder, summary) of a one-replication run with its pages."""
    from sim.api import compose_config, run

    out = tmp_path_factory.mktemp("one_rep") / "run"
    run(compose_config("single_queue", OVERRIDES), out_dir=out)
    return out, json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("mean, side", [(0.9, "meets"), (0.1, "misses")])
def test_judge_one_replication(mean, side):
    """No interval: status no_interval, the reason '1 replication', and on which side the mean alone lies."""
    v = judge("answer_rate", {"mean": mean, "ci_low": None, "ci_high": None}, 0.5)
    assert (v.status, v.note, v.word, v.mark) == ("no_interval", "1 replication", "no interval (1 replication)",
                                                  "○"), v
    assert f"the mean alone {side} the target" in v.text, v.text


def test_summary_json_has_no_verdict(one_rep):
    """summary.json's targets: no_interval with the reason, for a target met by the mean and one missed by it."""
    _, summary = one_rep
    got = {k: (summary["targets"][k]["status"], summary["targets"][k].get("note")) for k in JUDGED}
    assert got == {k: ("no_interval", "1 replication") for k in JUDGED}, got
    assert summary["kpis"]["answer_rate"]["mean"] > 0.5 > 0.001 < summary["kpis"]["abandon_rate"]["mean"], (
        "the targets should lie on both sides of the means (one would be 'met', the other 'MISSED')")


def test_terminal_says_no_interval(one_rep):
    """The terminal's table writes 'no interval (1 replication)' in the verdict column of every judged KPI, and
    its targets line gives no verdict."""
    _, summary = one_rep
    table = kpi_table(summary)
    for k in JUDGED:
        line = next(ln for ln in table.splitlines() if ln.startswith(f"{k} "))
        assert line.endswith("no interval (1 replication)"), line
    assert not any(w in table for w in (" met", "MISSED", "not clear")), table
    assert targets_line(summary) == ("Targets (kpi.targets): 3 without a verdict (1 replication, no interval: "
                                     "answer_rate, abandon_rate, service_level); run 2 or more replications to "
                                     "judge them"), targets_line(summary)


def test_pages_say_no_interval(one_rep):
    """report.md and report.html: the headline says '○ no interval (1 replication)' for each judged KPI, never
    a met/missed mark, and the legend under it explains '○ no interval'."""
    out, _ = one_rep
    md = (out / "report.md").read_text()
    headline = md[md.index("## Headline"):md.index("## KPIs")]
    rows = [ln for ln in headline.splitlines() if ln.startswith("| ") and "%" in ln and "KPI" not in ln]
    assert len(rows) == 3 and all(ln.endswith("| ○ no interval (1 replication) |") for ln in rows), rows
    assert "○ no interval: one replication" in headline, headline
    assert ("1 replication, seed 7, scale 1; no confidence intervals and so no verdicts against the targets (2 or "
            "more replications give them).") in md, md[:600]
    html = (out / "report.html").read_text()
    assert html.count("○ no interval (1 replication)</span>") >= 6, "cards and KPI table should say no interval"
    assert "✓ met</span>" not in html and "✗ missed</span>" not in html, "a verdict without an interval"
    assert "○ no interval: one replication" in html, "the legend does not explain the mark"


def test_targets_without_a_value_are_listed():
    """A KPI with a target but no value (no return visit reached a resident: no resolution or satisfaction
    rating) is named in the targets line and its table row says 'not measured'; before, the line counted only
    the judged targets, so 'Targets: 3 MISSED' hid two targets, and with none judged it printed nothing."""
    summary = {"confidence": 0.95, "scenario": "x", "replications": 2, "horizon_h": 24, "warmup_h": 0, "seed": 1,
               "scale": 1, "accounting": {"states": {}, "total_per_replication": [], "balanced": True}, "kpis": {"answer_rate": {"mean": 0.9, "ci_low": 0.88, "ci_high": 0.92},
                                           "resolution_rate": {"mean": None, "ci_low": None, "ci_high": None}},
               "targets": {"answer_rate": {"target": 0.95, "kind": "minimum", "status": "missed"},
                           "resolution_rate": {"target": 0.973, "kind": "minimum", "status": "none"}}}
    assert targets_line(summary) == ("Targets (kpi.targets): 1 MISSED (answer_rate), 1 not measured in this run, "
                                     "so no verdict (resolution_rate)")
    alone = {"kpis": summary["kpis"], "targets": {"resolution_rate": summary["targets"]["resolution_rate"]}}
    assert targets_line(alone) == "Targets (kpi.targets): 1 not measured in this run, so no verdict (resolution_rate)"
    row = next(ln for ln in kpi_table(summary).splitlines() if ln.startswith("resolution_rate "))
    assert row.endswith("≥ 97.30%   not measured"), row
