"""Case workers per unit, end to end: optimize under a working calendar, the outputs, a surge what-if.

* Three offices at work 8 hours a day, 5 days a week (09:00-17:00, Monday to Friday), orders of three
  urgency classes arriving on weekdays from 08:00 to 18:00: ``unit_staffing.policy=optimize`` proposes
  case workers with which every unit that has orders meets both targets on the run's own replications -
  fresh seeds the optimisation never saw - and the erlang proposal's error against it is reported
  (``summary.json`` -> ``unit_staffing`` -> ``erlang_error``, the ``erlang_case_workers`` column);
* the outputs: ``units.csv`` gains the case workers scheduled and required and the targets met, the page a
  section with its figure and tables; ``plan`` keeps today's outputs (no proposal, no section);
* a surge what-if (``scenario=rainstorm``): the units whose proposal exceeds the scenario's case workers
  include the utilities the storm's outages reach, which need more than in the baseline week.
"""

from __future__ import annotations

import csv
import json

import pytest
from support import run_cli

from sim.api import compose_config, run
from sim.planning import make_unit_plan

WEEKDAY_HOURS = [1.0 if d < 5 and 8 <= h < 18 else 0.0 for d in range(7) for h in range(24)]
OFFICES = f"""description: "Three offices at work 8 hours a day, 5 days a week, three urgency classes"
experiment: {{seed: 21, replications: 3, horizon_h: 168, warmup_h: 0, drain_h: 240, jobs: 1, progress: false}}
arrivals:
  phone: {{per_day: 300, hourly_profile: {WEEKDAY_HOURS}}}
  online: {{per_day: 0}}
  day_of_week: [1, 1, 1, 1, 1, 0, 0]
categories:
  repair:
    share: 1.0
    direct_share: 0.0
    urgency: {{utilities: 0.1, general: 0.7, complex: 0.2}}
    unit_type: office
    resolution_h: {{dist: lognormal, median: 16, p90: 40}}
    resolved_share: 1.0
calls: {{handle_s: {{dist: constant, value: 60}}, priority_classes: []}}
staffing: {{operators: 20}}
calendars:
  weekdays: {{days: [0, 1, 2, 3, 4], start_h: 9, end_h: 17}}
units:
  office: {{count: 3, weights: [1, 2, 3], case_workers: 10, caseload: 4, calendar: weekdays}}
workorders:
  dispatch_delay_h: {{emergency: {{dist: constant, value: 0.1}}, utilities: {{dist: constant, value: 0.1}},
                     general: {{dist: constant, value: 0.1}}, complex: {{dist: constant, value: 0.1}}}}
  response_delay_h: {{emergency: {{dist: exponential, mean: 1}}, utilities: {{dist: exponential, mean: 1}},
                     general: {{dist: exponential, mean: 2}}, complex: {{dist: exponential, mean: 2}}}}
  response_limit_h: {{emergency: 24, utilities: 24, general: 72, complex: 96}}
  closeout_limit_h: {{emergency: 48, utilities: 96, general: 168, complex: 240}}
feedback: {{calendar: weekdays, reopen_probability: 0, staffing: {{operators: 2}}}}
"""


def _units_csv(folder):
    with (folder / "units.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def offices(tmp_path_factory):
    """The offices scenario run with optimize (3 replications per iteration and in the run), and its erlang
    proposal."""
    root = tmp_path_factory.mktemp("offices")
    path = root / "offices.yaml"
    path.write_text(OFFICES, encoding="utf-8")
    cfg = compose_config(str(path), ["unit_staffing.policy=optimize", "unit_staffing.optimize.replications=3"])
    exp = run(cfg, root / "report")
    erlang = make_unit_plan(compose_config(str(path), ["unit_staffing.policy=erlang"]))
    return root / "report", exp, erlang


def test_optimize_meets_both_targets_on_fresh_seeds_in_every_unit_with_orders(offices):
    folder, exp, _ = offices
    rows = [r for r in _units_csv(folder) if float(r["orders_received_mean"]) > 0]
    assert len(rows) == 3
    for r in rows:
        assert (r["response_target_met"], r["closeout_target_met"]) == ("True", "True"), r
        assert float(r["response_rate"]) >= 0.93 and float(r["closeout_on_time_rate"]) >= 0.90, r
    meeting = json.loads((folder / "summary.json").read_text())["unit_staffing"]["units_meeting"]
    assert (meeting["response_rate"], meeting["closeout_on_time_rate"], meeting["both"]) == (1.0, 1.0, 1.0)
    assert all(r.replication < 1_000_000 for r in exp.replications)  # the run's own seeds, not the optimisation's


def test_erlangs_error_against_optimize_is_reported(offices):
    folder, _, erlang = offices
    summ = json.loads((folder / "summary.json").read_text())["unit_staffing"]
    rows = _units_csv(folder)
    err = summ["erlang_error"]
    assert [int(r["erlang_case_workers"]) for r in rows] == [int(w) for w in erlang.required]
    req = [int(r["required_case_workers"]) for r in rows]
    assert err["erlang_case_workers"] == sum(erlang.required) and err["optimize_case_workers"] == sum(req)
    assert err["difference"] == sum(erlang.required) - sum(req)
    assert err["units_erlang_fewer"] + err["units_erlang_more"] + err["units_equal"] == 3
    assert summ["optimize"]["converged"] and summ["optimize"]["iterations"] >= 1


def test_the_page_shows_the_proposal_and_plan_keeps_todays_outputs(offices, tmp_path):
    folder, _, _ = offices
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="unit_staffing"' in html and "Units needing more case workers, and units with slack" in html
    assert (folder / "figures" / "unit_staffing.png").stat().st_size > 10_000
    path = tmp_path / "offices.yaml"
    path.write_text(OFFICES, encoding="utf-8")
    run(compose_config(str(path), ["experiment.replications=2"]), tmp_path / "plan")
    rows = _units_csv(tmp_path / "plan")
    assert [r["scheduled_case_workers"] for r in rows] == ["10", "10", "10"]
    assert {r["required_case_workers"] for r in rows} == {""}
    assert "unit_staffing" not in json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert 'id="unit_staffing"' not in (tmp_path / "plan" / "report.html").read_text(encoding="utf-8")


def test_a_rainstorm_shows_the_units_it_overwhelms(tmp_path):
    """The storm's utility outages (x3 for two days) overwhelm the utility companies' scheduled case workers:
    they need more than the scenario gives them, and more than in the baseline week."""
    proc = run_cli(["scenario=rainstorm", "scale=0.05", "unit_staffing.policy=erlang", "experiment.replications=2",
                    "experiment.drain_h=48", "report.plots=false", f"report.dir={tmp_path / 'storm'}"])
    assert proc.returncode == 0, proc.stderr
    rows = _units_csv(tmp_path / "storm")
    short = {r["unit"] for r in rows if r["required_case_workers"] and
             int(r["required_case_workers"]) > float(r["scheduled_case_workers"])}
    utilities = {r["unit"] for r in rows if r["unit_type"] == "utility"}
    assert utilities <= short, sorted(utilities - short)
    summ = json.loads((tmp_path / "storm" / "summary.json").read_text())["unit_staffing"]
    baseline = make_unit_plan(compose_config("beijing_baseline", ["scale=0.05", "unit_staffing.policy=erlang"]))
    base_utility = sum(int(w) for w, t in zip(baseline.required, baseline.types) if t == "utility")
    assert summ["by_type"]["utility"]["required_case_workers"] > base_utility
    assert summ["by_type"]["utility"]["units_needing_more"] == 10
