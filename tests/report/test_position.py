"""The staffing position: operator-hours scheduled against the erlang requirement, the gap by day and by interval
of the week, its cost, and the intervals that miss a target; first on the page and in the terminal."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from sim.analysis.staffing_gap import by_day, by_week_slot, failing_intervals, gap_table, totals
from sim.report.position import position_lines, worst


def test_gap_by_day_and_by_interval_of_the_week():
    """Two days of 4 six-hour intervals from a Saturday, without the first interval (warm-up): hours per day,
    the gap in percent of the requirement, and each interval of the week averaged over the intervals on it."""
    scheduled = np.array([9.0, 10, 10, 10, 10, 4, 4, 4])
    required = np.array([1.0, 8, 8, 12, 8, 8, 8, 8, 99, 99])  # longer than the run: cut to its intervals
    t = gap_table(scheduled, required, warmup=1)
    assert list(t["interval"]) == [1, 2, 3, 4, 5, 6, 7] and list(t["gap"]) == [2, 2, -2, 2, -4, -4, -4]
    days = by_day(t, 6 * 3600.0, start_weekday=5)
    assert [(d["day"], d["weekday"], d["scheduled_h"], d["required_h"]) for d in days] == [
        (0, "Sat", 180.0, 168.0), (1, "Sun", 132.0, 192.0)]
    assert days[0]["gap_pct"] == pytest.approx(100 * 12 / 168) and days[1]["gap_pct"] == pytest.approx(-31.25)
    tot = totals(t, 6 * 3600.0, scheduled_cost=624.0, cost_per_h=2.0)
    assert (tot["scheduled_h"], tot["required_h"], tot["gap_h"]) == (312.0, 360.0, -48.0)
    assert tot["gap_pct"] == pytest.approx(-100 * 48 / 360) and tot["gap_cost"] == 624.0 - 720.0
    assert (tot["intervals_under"], tot["intervals_over"]) == (4, 3)
    week = by_week_slot(t, 6 * 3600.0, start_weekday=5)
    assert week["weeks"].sum() == 7 and week["weeks"][5 * 4] == 0  # Saturday 00:00 is the warm-up's
    assert week["scheduled"][5 * 4 + 1] == 10 and week["gap"][6 * 4 + 3] == -4 and np.isnan(week["gap"][0])


def test_failing_intervals_name_the_target_and_the_operators():
    """An interval fails a target when its pooled metric misses it; intervals without calls never fail; each row
    says when, which target, the measured value, and the operators scheduled and required."""
    pooled = {"attempts": np.array([10.0, 10, 0, 10]), "service_level": np.array([0.9, 0.5, np.nan, 0.79]),
              "service_level_se": np.zeros(4), "asa_s": np.array([5.0, 40, np.nan, 31]), "asa_s_se": np.zeros(4)}
    t = gap_table(np.array([5.0, 3, 0, 4]), np.array([4.0, 6, 0, 5]), warmup=0)
    rows = failing_intervals(pooled, {"service_level": 0.8, "asa_s": 30.0}, t, 1800.0, start_weekday=0)
    assert [(r["time"], r["kpi"], r["value"], r["scheduled"], r["required"]) for r in rows] == [
        ("00:30", "service_level", 0.5, 3.0, 6.0), ("00:30", "asa_s", 40.0, 3.0, 6.0),
        ("01:30", "service_level", 0.79, 4.0, 5.0), ("01:30", "asa_s", 31.0, 4.0, 5.0)]
    picked = worst(rows, 2)  # furthest from their target, relative: 0.5 vs 0.8 and 40 s vs 30 s
    assert [(r["time"], r["kpi"]) for r in picked] == [("00:30", "asa_s"), ("00:30", "service_level")]


def test_the_run_shows_its_staffing_position_first(run_report):
    """The heating-season run: summary.json -> staffing_position holds the gap against the erlang requirement
    that staffing_gap.csv adds up to; failing_intervals.csv lists every interval the summary counts; the page and
    report.md open with the position (before the headline), and the terminal's table starts with it."""
    from sim.planning.requirement import requirement
    from sim.report.text import kpi_table

    out, exp = run_report
    summary = json.loads((out / "summary.json").read_text())
    pos = summary["staffing_position"]
    g = pos["groups"][0]
    with (out / "staffing_gap.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    h = exp.replications[0].interval_s / 3600.0
    req = requirement(exp.cfg, agents=True).required
    w, n = exp.replications[0].warmup_intervals, len(exp.replications[0].intervals["calls_offered"])
    assert g["required_h"] == pytest.approx(float(np.sum(req[w:n])) * h)
    assert g["scheduled_h"] == pytest.approx(summary["kpis"]["operator_hours"]["mean"])
    assert sum(float(r["required_operators"]) for r in rows) * h == pytest.approx(g["required_h"], abs=0.01)
    assert g["gap_h"] == pytest.approx(g["scheduled_h"] - g["required_h"])
    assert sum(d["gap_h"] for d in pos["by_day"]) == pytest.approx(g["gap_h"])
    with (out / "failing_intervals.csv").open() as fh:
        failing = list(csv.DictReader(fh))
    assert len(failing) == sum(pos["failing"]["by_target"].values()) > 0
    assert len({r["interval"] for r in failing}) == pos["failing"]["intervals"]
    html = (out / "report.html").read_text()
    assert 0 < html.index('id="position"') < html.index('id="headline"'), "the position comes first"
    assert "Intervals that miss a target" in html and "The gap by day" in html and "fig-staffing_position" in html
    md = (out / "report.md").read_text()
    assert md.index("## Staffing position") < md.index("## Headline")
    lines = kpi_table(summary).splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.startswith("Staffing position"))
    assert first < next(i for i, ln in enumerate(lines) if ln.startswith("KPI")), lines[:8]
    assert f"{g['required_h']:,.0f} required" in lines[first + 1], lines[first + 1]


def test_operator_groups_say_why_there_is_no_position(routing_report):
    """With routing.groups the erlang requirement is for one front line: the position says so, on the page too."""
    out, _ = routing_report
    pos = json.loads((out / "summary.json").read_text())["staffing_position"]
    assert "routing.groups" in pos["why"], pos
    assert not (out / "staffing_gap.csv").exists()
    assert position_lines(pos, "CNY") == [f"Staffing position: none ({pos['why']})"]
    assert "No staffing position: the run has operator groups" in (out / "report.html").read_text()
