"""End-to-end: the command line runs a scenario and writes its report folder."""

from __future__ import annotations

import csv
import json
from math import inf

import pytest
from support import hand_interval

KPI_KEYS = ("calls_offered", "service_level", "abandon_rate", "asa_s", "occupancy")
SHARES = ("service_level", "abandon_rate", "occupancy")


def test_public_interface_single_queue(cli, tmp_path):
    """The documented single-queue command writes summary.json with each KPI as mean and CI."""
    out = tmp_path / "out"
    r = cli(["scenario=single_queue", "arrivals.phone.per_day=43200", "arrivals.online.per_day=0",
             "staffing.operators=130", "calls.handle_s.mean=240", "calls.patience_s.mean=90",
             "kpi.answer_threshold_s=20", "experiment.replications=3", "experiment.seed=7",
             "experiment.horizon_h=6", "experiment.warmup_h=1", f"report.dir={out}"])
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    per_rep = list(csv.DictReader((out / "kpis.csv").open()))
    for key in KPI_KEYS:
        kpi = summary["kpis"][key]
        assert set(kpi) == {"mean", "ci_low", "ci_high"}, f"{key}: {kpi}"
        # the mean and 95% t interval of the three replications' values (kpis.csv), worked out here
        mean, low, high = hand_interval([float(r[key]) for r in per_rep], 0.95, 0.0, 1.0 if key in SHARES else inf)
        # kpis.csv rounds a value to half its column's last decimal; the t interval of 3 values can move by
        # about t(0.975, 2) = 4.3 times that
        from sim.report.numbers import column_decimals

        d = column_decimals(key)
        tol = 5.0 * 10.0 ** -(d if d is not None else 9)
        assert (kpi["mean"], kpi["ci_low"], kpi["ci_high"]) == (
            pytest.approx(mean, rel=1e-7, abs=tol), pytest.approx(low, rel=1e-7, abs=tol),
            pytest.approx(high, rel=1e-7, abs=tol)), f"{key}: {kpi}, by hand {mean} [{low}, {high}] (kpis.csv rounds)"
    assert summary["replications"] == 3
    assert summary["accounting"]["balanced"]
    for name in ("kpis.csv", "intervals.csv", "accounting.csv", "config.yaml", "report.html", "report.md",
                 "figures/service_level.png", "figures/demand.png"):
        assert (out / name).exists(), name
    assert "service_level" in r.stdout
    last = r.stdout.rstrip().splitlines()[-1]
    assert last.endswith(str(out / "report.html")), f"the run does not end with the path of report.html: {last!r}"


def test_bad_key_is_one_line_exit_2(cli, tmp_path):
    """An unknown key ends the run with status 2 and one stderr line naming it."""
    r = cli(["scenario=single_queue", "staffing.operatrs=4", f"report.dir={tmp_path}"])
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "staffing.operatrs" in lines[0] and "unknown key" in lines[0]


def test_scenario_given_as_a_path(tmp_path):
    """The issue's example, ``scenario=scenarios/rainstorm.yaml`` from the repository folder, runs rainstorm (it
    answered "no file scenarios/scenarios/rainstorm.yaml.yaml"); a path that is no file says what to type."""
    from support import ROOT, run_cli_batch

    small = ["scale=0.01", "experiment.horizon_h=26", "experiment.replications=1", "experiment.progress=false",
             "report.plots=false", "report.html=false", "report.print_table=false"]
    ok, bad = run_cli_batch([(ROOT, ["scenario=scenarios/rainstorm.yaml", *small, f"report.dir={tmp_path / 'a'}"]),
                             (ROOT, ["scenario=rainstorm.yaml", *small, f"report.dir={tmp_path / 'b'}"])])
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["scenario"] == "rainstorm"
    assert bad.returncode == 2 and not (tmp_path / "b").exists(), bad.stderr
    assert bad.stderr == (f"run_sim: error: scenario='rainstorm.yaml': no such file (in {ROOT}); "
                          f"write scenario=rainstorm (the scenario of that name)\n"), bad.stderr


def test_a_sweep_over_scenarios_without_the_default_one(cli, tmp_path):
    """``-m scenario=mine,single_queue`` (a scenario of one's own folder beside a built-in one): Hydra composes a
    sweep's primary configuration with the default scenario first, which the command had not given it, and every
    scenario sweep without beijing_baseline ended in "configuration: In 'config': Could not find
    'scenario/beijing_baseline'"."""
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text("extends: single_queue\nstaffing: {operators: 120}\n",
                                                      encoding="utf-8")
    r = cli(["-m", "scenario=mine,single_queue", "experiment.horizon_h=2", "experiment.warmup_h=0",
             "experiment.replications=2", "report.plots=false", f"report.dir={tmp_path / 'sweep'}"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    with open(tmp_path / "sweep" / "comparison.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [json.loads((tmp_path / "sweep" / f"variant_{i}" / "summary.json").read_text())["scenario"]
            for i in (0, 1)] == ["mine", "single_queue"] and len(rows) == 2
