"""The Beijing baseline, optimised and scheduled into shifts at a tiny scale, from the command line.

One run of ``staffing.policy=optimize staffing.schedule=shifts`` on ``beijing_baseline`` (scale
0.02, one day, two replications; the optimisation limited to two iterations of two replications,
so that it stops at its limit) and one run of the scenario's own plan, checked for:

* ``staffing.csv``: exactly the documented columns, one row per reporting interval of the
  horizon; ``required`` and ``scheduled`` count rostered operators (the schedule covers the
  requirement in every interval); ``required`` is empty for the scenario's own plan;
* ``shifts.yaml`` pastes into a scenario: a configuration with its ``staffing`` section rosters
  exactly what the run scheduled; ``schedule.csv`` reports no under-coverage;
* ``summary.json``: ``operator_hours``, ``staffing_cost`` and ``intervals_meeting_target`` among the
  KPIs and in the KPI table on stdout, the share of intervals meeting each target, the
  optimisation's history; the optimisation that did not converge says so in one warning line.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import yaml
from support import run_cli_batch

from sim.api import compose_config
from sim.model.staffing import rostered_and_cost

TINY = ["scenario=beijing_baseline", "scale=0.02", "experiment.horizon_h=24", "experiment.drain_h=0",
        "experiment.replications=2", "experiment.jobs=1", "report.plots=false", "report.html=false"]
# one simulated day: day-by-day 8-hour patterns (the default weekly tours need a simulated week)
OPTIMIZE = ["staffing.policy=optimize", "staffing.schedule=shifts", "staffing.optimize.replications=2",
            "staffing.optimize.max_iterations=2", "staffing.patterns=[{name:d8,length_h:8}]"]
COLUMNS = ["interval", "start_h", "time_of_day", "group", "offered_load", "required", "scheduled", "mean_on_duty",
           "service_level", "occupancy", "online_on_time_rate", "scale"]
REQUIRED, SCHEDULED, ON_DUTY = COLUMNS.index("required"), COLUMNS.index("scheduled"), COLUMNS.index("mean_on_duty")
KPIS = ("operator_hours", "staffing_cost", "intervals_meeting_target")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("staffing")
    cases = {"optimize": OPTIMIZE, "plan": []}
    procs = run_cli_batch([(root, [*TINY, *extra, f"report.dir={root / name}"]) for name, extra in cases.items()])
    for name, proc in zip(cases, procs):
        assert proc.returncode == 0, (name, proc.stderr[-2000:])
    return {name: (root / name, proc) for name, proc in zip(cases, procs)}


def _csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_staffing_csv_has_the_documented_columns(runs):
    for name, (folder, _) in runs.items():
        header, rows = _csv(folder / "staffing.csv")
        assert header == COLUMNS and len(rows) == 48, (name, header, len(rows))
        assert {r[-1] for r in rows} == {"0.02"}, "every row says at which scale its counts hold"
        assert {r[3] for r in rows} == {"operators"}, "without routing.groups one group, the front line"
        required = [r[REQUIRED] for r in rows]
        if name == "plan":
            assert all(v == "" for v in required), "the scenario's own plan has no requirement"
        else:
            req, sched = np.array(required, dtype=float), np.array([r[SCHEDULED] for r in rows], dtype=float)
            assert np.all(sched >= req - 1e-9) and req.sum() > 0, "the shifts cover the requirement"
        on_duty = np.array([r[ON_DUTY] for r in rows], dtype=float)
        assert np.all(on_duty > 0) and np.all(on_duty <= np.array([r[SCHEDULED] for r in rows], dtype=float) + 1e-9)


def test_shifts_yaml_pastes_into_a_scenario(runs):
    folder, _ = runs["optimize"]
    pasted = yaml.safe_load((folder / "shifts.yaml").read_text(encoding="utf-8"))["staffing"]
    shifts = [f"{{name:{s['name']},start_h:{s['start_h']},length_h:{s['length_h']},count:{s['count']},"
              f"days:[{','.join(map(str, s.get('days', [])))}],cost_per_h:{s['cost_per_h']}}}"
              for s in pasted["shifts"]]
    cfg = compose_config("beijing_baseline", ["scale=0.02", "experiment.horizon_h=24", "experiment.drain_h=0",
                                              f"staffing.shrinkage={pasted['shrinkage']}",
                                              f"staffing.shifts=[{','.join(shifts)}]"])
    rostered, _ = rostered_and_cost(cfg.staffing, 0.02, 86400.0, 0, 1800.0, 1.0)
    _, rows = _csv(folder / "staffing.csv")
    np.testing.assert_allclose(rostered, [float(r[SCHEDULED]) for r in rows], atol=1e-9)
    header, week = _csv(folder / "schedule.csv")
    under = header.index("under")
    assert header[-4:] == ["over", "under", "over_cost", "scale"] and len(week) == 336
    assert all(float(r[under]) == 0 for r in week)
    day = {s for p in pasted["shifts"] for s in p["days"]}
    assert day == {0}, f"the shifts of a one-day run (a Monday) start on that day only, not {day}"
    header, positions = _csv(folder / "roster.csv")
    assert header[:4] == ["group", "position", "pattern", "days"] and positions
    assert [int(r[1]) for r in positions] == list(range(1, len(positions) + 1))
    assert all(r[3] == "Mon" for r in positions), "every position works the simulated Monday only"


def test_shifts_found_at_a_small_scale_say_they_hold_there_only(runs):
    """shifts.yaml of a scale-0.02 run opens with the scale it holds at, in capitals, and the hours its counts
    roster at scale 1 (50 x the plan: more than a full-size centre needs); the terminal's line announcing the
    file and the run's caveats say the same."""
    folder, proc = runs["optimize"]
    text = (folder / "shifts.yaml").read_text(encoding="utf-8")
    assert text.startswith("# HOLDS AT scale=0.02 ONLY: run the scenario you paste this into with scale=0.02.")
    pasted = yaml.safe_load(text)["staffing"]
    cfg = compose_config("beijing_baseline", [f"staffing.shifts=[{','.join(_flow(s) for s in pasted['shifts'])}]"])
    rostered, _ = rostered_and_cost(cfg.staffing, 1.0, 7 * 86400.0, 0, 1800.0, 1.0)
    at_one = f"({float(np.sum(rostered)) / 2:,.0f} operator-hours a week)"
    assert at_one in text, (at_one, text.splitlines()[:3])
    assert "Proposed shifts, ready to paste into a scenario: shifts.yaml: HOLDS AT scale=0.02 ONLY" in proc.stdout
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    reuse = [c["text"] for c in summary["caveats"] if c["key"] == "reuse_scale"]
    assert reuse and reuse[0].startswith("shifts.yaml, staffing.csv, schedule.csv hold at scale 0.02 only"), reuse


def _flow(s):
    days = f",days:[{','.join(map(str, s['days']))}]" if s.get("days") else ""
    return f"{{name:{s['name']},start_h:{s['start_h']},length_h:{s['length_h']},count:{s['count']}{days}}}"


def test_summary_and_kpi_table_show_the_staffing_kpis(runs):
    for name, (folder, proc) in runs.items():
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        for k in KPIS:
            assert k in summary["kpis"] and any(line.startswith(k) for line in proc.stdout.splitlines()), (name, k)
        share = summary["staffing"]["intervals_meeting"]
        assert summary["kpis"]["intervals_meeting_target"]["mean"] == share["all"]
        conf = summary["staffing"]["confirmation"]
        assert conf["replications"] == 2 and conf["replication_numbers"] == "0-1" and conf["intervals_meeting"] == share
        assert 0 <= share["service_level"] <= 1 and summary["kpis"]["operator_hours"]["mean"] > 0
    summary = json.loads((runs["optimize"][0] / "summary.json").read_text(encoding="utf-8"))
    opt = summary["staffing"]["optimize"]
    assert len(opt["history"]) == opt["iterations"] <= 2 and summary["staffing"]["shifts"]["entries"] > 0
    warnings = [line for line in runs["optimize"][1].stderr.splitlines() if "max_iterations" in line]
    assert len(warnings) == (0 if opt["converged"] else 1), runs["optimize"][1].stderr[-1500:]
    conf = summary["staffing"]["confirmation"]
    share = summary["staffing"]["intervals_meeting"]["all"]
    assert conf["fresh"] and conf["goal"] == 0.95 and conf["goal_met"] == (share >= 0.95)
    line = next(ln for ln in runs["optimize"][1].stdout.splitlines() if ln.startswith("Staffing targets"))
    assert "on fresh seeds (replications 0-1 of seed" in line and "never seen by the optimisation" in line, line
