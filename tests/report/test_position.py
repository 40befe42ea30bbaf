"""The staffing position: operator-hours scheduled against the erlang requirement, the gap by day and by interval
of the week, its cost, and the intervals that miss a target; first on the page and in the terminal."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from support import erlang_c_agents

from sim.analysis.staffing_gap import by_day, by_week_slot, failing_intervals, gap_table, totals
from sim.report.numbers import format_hours
from sim.report.position import worst


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
    assert f"{format_hours(g['required_h'])} required" in lines[first + 1], lines[first + 1]


def test_the_intervals_shown_are_shared_among_the_groups():
    """With groups the page's worst intervals come from every group in turn: a group at 0% everywhere (ga) does
    not hide the other's misses (gb's three, all nearer their target than any of ga's)."""
    rows = [{"group": "ga", "interval": k, "kpi": "service_level", "value": 0.0, "target": 0.8, "at_most": False}
            for k in range(10)]
    rows += [{"group": "gb", "interval": k, "kpi": "service_level", "value": 0.75 - 0.01 * k, "target": 0.8,
              "at_most": False} for k in (4, 5, 6)]
    picked = worst(rows, 5, {"ga": 0, "gb": 1})
    assert [(r["group"], r["interval"]) for r in picked] == [("ga", 0), ("ga", 1), ("ga", 2), ("gb", 5), ("gb", 6)]


# ------------------------------------------------------------------------------------------- operator groups
#: Two groups without overflow (category ``all`` to ``ga`` only, ``b`` to ``gb`` only), a flat load of 6 and 4
#: Erlang (3,600 calls a day, 60% and 40%, 240 s each), callers who (nearly) never hang up: Erlang C.
TWO_GROUPS = ["experiment.horizon_h=4", "experiment.warmup_h=0", "experiment.replications=2", "experiment.seed=3",
              "experiment.progress=false", "experiment.jobs=1", "arrivals.phone.per_day=3600", "staffing.operators=0",
              "staffing.shrinkage=0.2", "staffing.offered_load=sipp", "staffing.cost_per_h=60",
              "calls.patience_s={dist:exponential,mean:1e8}", "categories.all.share=0.6", "+categories.b={share:0.4}",
              "routing.groups={ga:{operators:10},gb:{operators:10}}", "routing.skills={all:[ga],b:[gb]}",
              "staffing.target.service_level=0.8", "staffing.target.asa_s=15", "report.plots=false"]


@pytest.fixture(scope="module")
def two_groups(tmp_path_factory):
    from sim.api import compose_config, run

    out = tmp_path_factory.mktemp("two_groups") / "run"
    return out, run(compose_config("single_queue", TWO_GROUPS), out_dir=out)


def test_each_group_is_staffed_against_the_erlang_c_requirement_of_its_own_load(two_groups):
    """ga: 6 Erlang need 9 agents for 80% in 20 s (Erlang C by hand; 8 give 69.8%) and 10 for an ASA of at most
    15 s (9 give 15.7 s), 13 rostered at 20% shrinkage; gb: 4 Erlang need 7 (6 give 75.9%; ASA 10.8 s), 9
    rostered. Both have 10 rostered for 4 hours: ga is 12 h short (-23.1%), gb 4 h over; at 60 an hour. Every
    CSV has a first column ``group``; the page, report.xlsx and the terminal show each group and their total."""
    from openpyxl import load_workbook

    from sim.report.text import kpi_table

    out, exp = two_groups
    need = {g: math.ceil(erlang_c_agents(load, 240.0, 20.0, 0.8, 15.0) / 0.8)
            for g, load in (("ga", 6.0), ("gb", 4.0))}
    assert need == {"ga": 13, "gb": 9}
    summary = json.loads((out / "summary.json").read_text())
    pos = summary["staffing_position"]
    got = {g["group"]: g for g in pos["groups"]}
    assert list(got) == ["ga", "gb"]
    for g, rostered in need.items():
        assert got[g]["scheduled_h"] == pytest.approx(40.0) and got[g]["required_h"] == pytest.approx(4 * rostered)
        assert got[g]["gap_h"] == pytest.approx(40.0 - 4 * rostered)
        assert got[g]["required_cost"] == pytest.approx(60 * 4 * rostered)
        assert got[g]["scheduled_cost"] == pytest.approx(60 * 40.0)
    assert got["ga"]["gap_pct"] == pytest.approx(-100 * 12 / 52) and got["ga"]["intervals_under"] == 8
    assert got["gb"]["intervals_over"] == 8 and got["gb"]["targets"] == {"service_level": 0.8, "asa_s": 15.0}
    assert pos["total"]["required_h"] == pytest.approx(88.0) and pos["total"]["gap_h"] == pytest.approx(-8.0)
    assert [(d["group"], d["day"], d["required_h"]) for d in pos["by_day"]] == [("ga", 0, 52.0), ("gb", 0, 36.0)]
    with (out / "staffing_gap.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["group"], r["interval"], r["scheduled_operators"], r["required_operators"], r["gap_operators"])
            for r in rows] == [(g, str(k), "10", str(need[g]), str(10 - need[g])) for g in ("ga", "gb")
                               for k in range(8)]
    with (out / "staffing_gap_week.csv").open() as fh:
        week = list(csv.DictReader(fh))
    assert {(r["group"], r["required_operators"]) for r in week} == {("ga", "13"), ("gb", "9")} and len(week) == 16
    book = load_workbook(out / "report.xlsx")
    sheet = [tuple(r) for r in book["Staffing position"].iter_rows(values_only=True)]
    assert [r[:3] for r in sheet[1:]] == [("ga", 40, 52), ("gb", 40, 36), ("all groups", 80, 88)]
    assert [c.value for c in book["staffing_gap"][1]][0] == "group"
    html = (out / "report.html").read_text()
    assert "No staffing position" not in html and "all groups" in html and "Per operator group" in html
    lines = kpi_table(summary).splitlines()
    assert any(ln.startswith("  ga: 40 operator-hours scheduled, 52 required: gap -12 h (-23.1%)") for ln in lines)
    assert any(ln.startswith("  all groups: 80 operator-hours scheduled, 88 required") for ln in lines)


def test_a_groups_failing_intervals_are_those_its_own_calls_miss(two_groups):
    """A group's interval fails when the calls routed first to it, pooled over the replications, miss one of its
    targets (counted here from the group records directly); the row gives that group's operators."""
    out, exp = two_groups
    with (out / "failing_intervals.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    want = set()
    for g, name in enumerate(exp.replications[0].groups.names):
        rec = [r.groups for r in exp.replications]
        for k in range(8):
            attempts = sum(x.attempts[g][k] for x in rec)
            if attempts == 0:
                continue
            if sum(x.answered_in_threshold[g][k] for x in rec) / attempts < 0.8:
                want.add((name, str(k), "service_level"))
            answered = sum(x.answered[g][k] for x in rec)
            if answered and sum(x.wait_answered_s[g][k] for x in rec) / answered > 15:
                want.add((name, str(k), "asa_s"))
    assert {(r["group"], r["interval"], r["kpi"]) for r in rows} == want
    assert any(g == "ga" for g, _, _ in want), "ga, 2 agents short, misses its target somewhere"
    assert all(r["required_operators"] == {"ga": "13", "gb": "9"}[r["group"]] for r in rows)
    assert [int(r["interval"]) for r in rows] == sorted(int(r["interval"]) for r in rows)
    pos = json.loads((out / "summary.json").read_text())["staffing_position"]
    assert pos["failing"]["by_group"] == {g: len({k for x, k, _ in want if x == g}) for g in ("ga", "gb")}


def test_the_erlang_policy_leaves_no_gap_in_any_group(tmp_path):
    """With staffing.policy=erlang each group runs its own requirement (the policy's, not computed again):
    scheduled equals required in every group and interval."""
    from sim.api import compose_config, run

    out = tmp_path / "run"
    overrides = [o for o in TWO_GROUPS if not o.startswith("experiment.replications=")]
    run(compose_config("single_queue", [*overrides, "staffing.policy=erlang", "experiment.replications=1",
                                        "report.html=false", "report.xlsx=false"]), out_dir=out)
    with (out / "staffing_gap.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["group"], r["scheduled_operators"], r["gap_operators"]) for r in rows} == {("ga", "13", "0"),
                                                                                            ("gb", "9", "0")}


def test_the_skills_and_callbacks_run_shows_the_groups_sharing_calls_as_one_pool(routing_report):
    """skills_and_callbacks: general and enterprise take each other's calls after 30 s, so they have one position,
    their pool's (no longer "none", nor one per group against a split of the calls the run does not make), their
    rostered hours each given and adding up to the run's operator_hours; on the page with each group named in the
    failing intervals."""
    out, _ = routing_report
    summary = json.loads((out / "summary.json").read_text())
    pos = summary["staffing_position"]
    assert "why" not in pos and [g["group"] for g in pos["groups"]] == ["general + enterprise"]
    pool = pos["groups"][0]
    assert pool["members"] == ["general", "enterprise"] and pool["required_h"] > 0
    assert pos["total"]["scheduled_h"] == pytest.approx(summary["kpis"]["operator_hours"]["mean"])
    assert sum(pool["scheduled_h_by_group"].values()) == pytest.approx(pool["scheduled_h"])
    with (out / "staffing_gap.csv").open() as fh:
        assert next(csv.reader(fh))[0] == "group"
    html = (out / "report.html").read_text()
    assert "No staffing position" not in html and "enterprise" in html[html.index('id="position"'):
                                                                       html.index('id="headline"')]


def test_the_gap_by_day_of_a_long_run_is_folded():
    """Two weeks of days are shown at once; a longer run's table (a year: 366 rows, a page 24,000 px tall) keeps
    its title and note in view and shows its rows on request (<details>)."""
    from sim.report.pages import environment
    from sim.report.position_view import FOLD_ROWS, day_table

    def pos(days: int) -> dict:
        return {"by_day": [{"day": d, "weekday": "Mon", "scheduled_h": 10.0, "required_h": 12.0, "gap_h": -2.0,
                            "gap_pct": -16.7} for d in range(days)]}

    assert not day_table(pos(FOLD_ROWS)).folded and day_table(pos(FOLD_ROWS + 1)).folded
    table = environment().from_string('{% import "macros.html.j2" as m %}{{ m.table(t) }}').render
    long, short = table(t=day_table(pos(366))), table(t=day_table(pos(7)))
    assert "<details><summary>366 rows</summary>" in long and long.index("The gap by day") < long.index("<details>")
    assert long.count("<tr>") == 367 and "Days counted from" in long
    assert "<details>" not in short and short.count("<tr>") == 8


def test_the_position_shows_operator_hours_that_add_up():
    """A pool of half-hours (skills_and_callbacks at scale 0.2, a day: 1,439.5 + 165 = 1,604.5 scheduled against
    1,447.5 required) used to read "1,604 operator-hours scheduled (general 1,440, enterprise 165), 1,448 required:
    gap +157": each rounded to whole hours, half to even, the parts and the gap disagreed with the total. The
    terminal line and the page's table show the half hours; whole hours keep no decimals."""
    from sim.report.position import position_lines
    from sim.report.position_view import totals_table

    g = {"group": "general + enterprise", "members": ["general", "enterprise"],
         "scheduled_h_by_group": {"general": 1439.5, "enterprise": 165.0}, "targets": {"service_level": 0.8},
         "scheduled_h": 1604.5, "required_h": 1447.5, "gap_h": 157.0, "gap_pct": 10.85, "scheduled_cost": 1604.5,
         "required_cost": 1447.5, "gap_cost": 157.0, "intervals_under": 0, "intervals_over": 48}
    pos = {"offered_load": "modified", "targets": {"service_level": 0.8}, "cost_per_h": 1.0, "groups": [g],
           "failing": {"intervals": 0, "by_target": {}}}
    line = position_lines(pos, "CNY")[1]
    assert ("1,604.5 operator-hours scheduled (general 1,439.5, enterprise 165), 1,447.5 required: gap +157 h"
            in line), line
    cells = [c["text"] if isinstance(c, dict) else c for c in totals_table({**pos, "total": g}, "CNY").rows[0]]
    assert cells[:4] == ["general + enterprise (general 1,439.5 h, enterprise 165 h)", "1,604.5 h", "1,447.5 h",
                         "+157 h"], cells
    assert cells[5:8] == ["1,604.5 CNY", "1,447.5 CNY", "+157 CNY"], cells
