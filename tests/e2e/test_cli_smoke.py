"""End-to-end: the command line runs a scenario and writes its report folder."""

from __future__ import annotations

import json

KPI_KEYS = ("calls_offered", "service_level", "abandon_rate", "asa_s", "occupancy")


def test_public_interface_single_queue(cli, tmp_path):
    """The documented single-queue command writes summary.json with each KPI as mean and CI."""
    out = tmp_path / "out"
    r = cli(["scenario=single_queue", "arrivals.phone.per_day=43200", "arrivals.online.per_day=0",
             "staffing.operators=130", "calls.handle_s.mean=240", "calls.patience_s.mean=90",
             "kpi.answer_threshold_s=20", "experiment.replications=3", "experiment.seed=7",
             "experiment.horizon_h=6", "experiment.warmup_h=1", f"report.dir={out}"])
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    for key in KPI_KEYS:
        kpi = summary["kpis"][key]
        assert set(kpi) == {"mean", "ci_low", "ci_high"}, f"{key}: {kpi}"
        assert kpi["ci_low"] <= kpi["mean"] <= kpi["ci_high"], f"{key}: {kpi}"
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
