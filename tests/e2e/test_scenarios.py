"""End-to-end: every scenario file in ``scenarios/`` runs through the command line at a small scale.

The scenarios are found in the folder, so a new file is tested automatically.
Each runs with ``scale=0.05``, two replications, one day of contacts and a
week of drain (the back office has time to close and rate most orders), and
must exit 0 and write a report whose books balance and whose rates are shares:

* ``summary.json``: accounting balanced in every replication (terminal + open
  states = contacts_offered); every headline rate and breakdown in [0, 1], with
  ``ci_low <= mean <= ci_high``;
* with units: ``units.csv`` (one row per unit, rates in [0, 1] or empty, counts
  >= 0) and ``daily.csv`` (one row per replication and day, horizon and drain,
  contacts per day adding up to contacts_offered); without units neither file.

The runs are independent subprocesses; a module fixture starts them two at a
time (the machine's two cores) and each parametrised test checks one.
"""

from __future__ import annotations

import csv
import json
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from support import ROOT, run_cli

SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
REPS, HORIZON_H, DRAIN_H = 2, 24, 168
COMMON = ["scale=0.05", f"experiment.replications={REPS}", f"experiment.horizon_h={HORIZON_H}",
          f"experiment.drain_h={DRAIN_H}", "experiment.warmup_h=0", "experiment.jobs=1", "report.html=false",
          "report.plots=false", "report.print_table=false", "experiment.progress=false"]
#: Extra overrides of particular scenarios (single_queue: 2 h warm-up of its own, no back office to drain;
#: the surge scenarios: a horizon that reaches their last surge, which would otherwise be an error).
EXTRA = {"single_queue": ["experiment.drain_h=0", "experiment.warmup_h=1"],
         "heating_season_start": ["experiment.horizon_h=96"], "rainstorm": ["experiment.horizon_h=48"]}


def is_share(name: str) -> bool:
    base = name.split(".", 1)[0]
    return base.endswith("_rate") or base.endswith("occupancy") or base == "service_level"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``{scenario: (CompletedProcess, out_dir)}`` for every scenario file, run two at a time."""
    root = tmp_path_factory.mktemp("scenarios")

    def one(name):
        out = root / name
        extra = EXTRA.get(name, [])
        keys = {a.split("=", 1)[0] for a in extra}  # a key is given once: the scenario's extras replace COMMON's
        args = [a for a in COMMON if a.split("=", 1)[0] not in keys] + extra
        return name, (run_cli([f"scenario={name}", *args, f"report.dir={out}"]), out)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, SCENARIOS))


def read_csv(path: Path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_scenario_folder_is_found():
    """The parametrisation sees the scenario files (at least the five shipped ones)."""
    assert {"beijing_baseline", "heating_season_start", "rainstorm", "department_staff_cut",
            "single_queue"} <= set(SCENARIOS), SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_runs_and_balances(runs, scenario):
    """The CLI exits 0 and writes summary.json with REPS replications and balanced accounting in each."""
    r, out = runs[scenario]
    assert r.returncode == 0, f"scenario={scenario}: exit {r.returncode}\n{r.stderr[-3000:]}"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == scenario and summary["replications"] == REPS, (scenario, summary["replications"])
    acc = summary["accounting"]
    assert acc["balanced"], f"scenario={scenario}: accounting not balanced {acc['total_per_replication']} vs " \
                            f"{acc['contacts_offered_per_replication']}"
    assert acc["total_per_replication"] == acc["contacts_offered_per_replication"]
    assert all(n > 0 for n in acc["contacts_offered_per_replication"]), f"scenario={scenario}: no contacts"
    per_rep = [sum(v["per_replication"][i] for v in acc["states"].values()) for i in range(REPS)]
    assert per_rep == acc["contacts_offered_per_replication"], f"scenario={scenario}: states sum to {per_rep}"
    for name in ("kpis.csv", "intervals.csv", "accounting.csv", "config.yaml"):
        assert (out / name).exists(), f"scenario={scenario}: {name} missing"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_rates_are_shares(runs, scenario):
    """Every headline rate (service level, occupancy, the three rates, on-time and bounce-back rates ...) and
    every breakdown rate has mean and CI bounds in [0, 1] (or null), ci_low <= mean <= ci_high."""
    r, out = runs[scenario]
    assert r.returncode == 0, f"scenario={scenario}: {r.stderr[-2000:]}"
    summary = json.loads((out / "summary.json").read_text())
    items = list(summary["kpis"].items())
    items += [(f"{k}.{g}", ci) for k, groups in summary["breakdowns"].items() for g, ci in groups.items()]
    n_shares = 0
    for name, ci in items:
        if not is_share(name) or ci["mean"] is None:
            continue
        n_shares += 1
        assert 0.0 <= ci["mean"] <= 1.0, f"scenario={scenario}: {name} mean {ci['mean']}"
        if ci["ci_low"] is not None:
            assert 0.0 <= ci["ci_low"] <= ci["mean"] + 1e-12 <= ci["ci_high"] + 2e-12 <= 1.0 + 2e-12, (
                f"scenario={scenario}: {name} {ci}")
    assert n_shares >= 4, f"scenario={scenario}: only {n_shares} rates"
    if (out / "units.csv").exists():
        for k in ("response_rate", "resolution_rate", "satisfaction_rate", "dispatch_on_time_rate",
                  "closeout_on_time_rate", "return_visit_reach_rate", "bounce_back_rate"):
            assert summary["kpis"][k]["mean"] is not None, f"scenario={scenario}: {k} undefined"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_unit_and_daily_tables(runs, scenario):
    """Scenarios with units write units.csv (rates in [0, 1] or empty, counts >= 0, capacity as configured
    x scale) and daily.csv (one row per replication and day of horizon + drain; contacts per day add up to
    contacts_offered); scenarios without units write neither."""
    r, out = runs[scenario]
    assert r.returncode == 0, f"scenario={scenario}: {r.stderr[-2000:]}"
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    if not cfg.get("units"):
        assert not (out / "units.csv").exists() and not (out / "daily.csv").exists(), scenario
        return
    units = read_csv(out / "units.csv")
    assert len(units) == sum(t["count"] for t in cfg["units"].values()), f"scenario={scenario}: {len(units)} units"
    assert {u["unit_type"] for u in units} == set(cfg["units"]), scenario
    rated = 0.0
    for u in units:
        for k, v in u.items():
            if k in ("unit", "unit_type") or v == "":
                continue
            x = float(v)
            assert math.isfinite(x) and x >= 0, f"scenario={scenario}: unit {u['unit']} {k}={v}"
            if "_rate" in k:
                assert x <= 1.0, f"scenario={scenario}: unit {u['unit']} {k}={v}"
        assert int(u["capacity"]) >= 0
        rated += float(u["rated_mean"])
    assert rated > 0, f"scenario={scenario}: no unit has a rating"
    daily = read_csv(out / "daily.csv")
    n_days = math.ceil((cfg["experiment"]["horizon_h"] + cfg["experiment"]["drain_h"]) / 24)
    assert len(daily) == REPS * n_days, f"scenario={scenario}: {len(daily)} daily rows, expected {REPS}x{n_days}"
    summary = json.loads((out / "summary.json").read_text())
    offered = summary["accounting"]["contacts_offered_per_replication"]
    for rep in range(REPS):
        mine = [d for d in daily if int(d["replication"]) == rep]
        assert [int(d["day"]) for d in mine] == list(range(n_days)), f"scenario={scenario}: days of rep {rep}"
        assert sum(float(d["contacts_offered"]) for d in mine) == offered[rep], f"scenario={scenario}, rep {rep}"
        for d in mine:
            assert all(float(v) >= 0 for v in d.values()), f"scenario={scenario}: negative value in {d}"
        assert sum(float(d["work_orders_created"]) for d in mine) > 0, f"scenario={scenario}: no work orders"
