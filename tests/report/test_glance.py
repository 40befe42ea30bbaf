"""The "At a glance" box at the top of a run's pages: whether the targets are met, what the plan costs against the
requirement, where it falls short - before the staffing position's chart and tables.

The sentences are checked against summaries written here by hand (every number typed, not computed by the code
under test), and against the shared run's report.html and report.md (tests/report/conftest.py).
"""

from __future__ import annotations

import json
import re

from sim.report.glance import at_a_glance, plan_sentences, targets_sentence

POSITION = {
    "reference": "erlang", "policy": "plan", "offered_load": "modified", "targets": {"service_level": 0.8},
    "cost_per_h": 60.0, "interval_h": 0.5,
    "groups": [{"group": "front line", "scheduled_h": 5068.0, "required_h": 4971.5, "gap_h": 96.5,
                "gap_pct": 1.94, "scheduled_cost": 304080.0, "required_cost": 298290.0, "gap_cost": 5790.0,
                "intervals_under": 197, "intervals_over": 128}],
    "by_day": [{"day": 0, "weekday": "Mon", "scheduled_h": 724.0, "required_h": 772.5, "gap_h": -48.5},
               {"day": 1, "weekday": "Tue", "scheduled_h": 724.0, "required_h": 729.5, "gap_h": -5.5},
               {"day": 6, "weekday": "Sun", "scheduled_h": 724.0, "required_h": 635.0, "gap_h": 89.0}],
    "failing": {"intervals": 166, "with_calls": 336, "by_target": {"service_level": 166}},
}


def test_targets_sentence_counts_every_target_with_readable_names():
    targets = {"answer_rate": {"target": 0.95, "status": "met"},
               "service_level": {"target": 0.8, "status": "missed"},
               "abandon_rate": {"target": 0.05, "status": "unclear"},
               "resolution_rate": {"target": 0.973, "status": "no_interval", "note": "1 replication"},
               "satisfaction_rate": {"target": 0.977, "status": "none"}}
    text = targets_sentence(targets)
    assert text is not None
    assert text.startswith("Targets: 1 of 5 met (answer rate); 1 missed: service level; 1 not clear"), text
    assert "abandonment" in text and "1 without a verdict (1 replication: no confidence interval, run 2 or more " \
        "replications to judge them): resolution rate" in text, text
    assert "1 not measured in this run: satisfaction rate" in text, text
    assert "_rate" not in text and "service_level" not in text, "a KPI key instead of its name: " + text
    assert targets_sentence({}) is None


def test_plan_sentences_say_cost_gap_failing_intervals_and_the_days_to_move():
    lines = plan_sentences(POSITION, "CNY")
    assert len(lines) == 3, lines
    assert lines[0].startswith("Plan: 5,068 operator-hours rostered, costing 304,080 CNY;"), lines[0]
    assert "4,971.5 h" in lines[0] and "96.5 h (1.9%) over it in total" in lines[0], lines[0]
    assert "short in 197 intervals and over in 128" in lines[0], lines[0]
    assert lines[1].startswith("166 intervals of the 336 with calls miss a staffing target"), lines[1]
    assert lines[2] == ("By day: the day furthest short is day 0 (Mon, -48.5 h); the day furthest over is day 6 "
                        "(Sun, +89 h) (the gap by day, under Staffing position)."), lines[2]


def test_a_plan_short_in_total_says_short_and_no_day_over():
    short = json.loads(json.dumps(POSITION))
    short["groups"][0].update(gap_h=-120.0, gap_pct=-2.4)
    for d in short["by_day"]:
        d["gap_h"] = -abs(d["gap_h"])
    lines = plan_sentences(short, "cost units")
    assert "120 h (2.4%) short of it in total" in lines[0], lines[0]
    assert "furthest over" not in lines[2] and "day 6 (Sun, -89 h)" in lines[2], lines[2]
    assert plan_sentences({"why": "no plan"}, "CNY") == [] and plan_sentences(None, "CNY") == []


def test_at_a_glance_puts_targets_first():
    lines = at_a_glance({"targets": {"service_level": {"target": 0.8, "status": "missed"}},
                         "staffing_position": POSITION, "staffing": {"currency": "CNY"}})
    assert lines[0] == "Targets: 0 of 1 met; 1 missed: service level.", lines
    assert "304,080 CNY" in lines[1], lines


def test_the_pages_open_with_the_glance_before_the_staffing_position(run_report, run_summary):
    folder = run_report[0]
    html = (folder / "report.html").read_text(encoding="utf-8")
    md = (folder / "report.md").read_text(encoding="utf-8")
    n = len(run_summary["targets"])
    met = sum(v["status"] == "met" for v in run_summary["targets"].values())
    for text, position in ((html, 'id="position"'), (md, "## Staffing position")):
        at = text.find("At a glance")
        assert 0 <= at < text.find(position), "the glance is missing or after the staffing position"
        assert re.search(rf"Targets: {met} of {n} met", text), text[at:at + 600]
        assert "operator-hours rostered, costing" in text[at:at + 2000]


def test_the_return_visits_caption_says_why_the_satisfaction_rate_exceeds_the_satisfied_share(run_report):
    """The return-visit bars showed 85% satisfied under a headline satisfaction rate of 97.7%, unexplained: the
    caption now says the rate counts the rated orders only."""
    html = (run_report[0] / "report.html").read_text(encoding="utf-8")
    at = html.find('id="return_visits"')
    assert at >= 0, "no return-visit section"
    assert "satisfaction rate of the headline counts the rated orders only" in html[at:], html[at:at + 3000]
