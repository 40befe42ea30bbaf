"""End-to-end: every scenario file in ``scenarios/`` runs through the command line at a small scale.

The scenarios are found in the folder, so a new file is tested automatically.
Each runs with ``scale=0.05``, two replications, one day of contacts and a
week of drain (the back office has time to close and rate most orders), and
must exit 0 and write a report whose books balance and whose rates are shares:

* ``summary.json``: accounting balanced in every replication (terminal + open
  states = contacts_offered); every headline rate and breakdown a share in each
  replication (``kpis.csv``), summarised by its mean and the t interval worked
  out by hand;
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
from support import ROOT, hand_interval, run_cli

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
    """Every headline rate (service level, occupancy, the three rates, on-time and bounce-back rates ...) and every
    breakdown rate is a share in each replication (kpis.csv: the raw ratio of the replication's counts, never
    clipped), and its summary is the mean of those values with the t interval worked out here, clipped to [0, 1].
    (The summary's bounds alone prove nothing: summarise() clips them to [0, 1] whatever the values.)"""
    r, out = runs[scenario]
    assert r.returncode == 0, f"scenario={scenario}: {r.stderr[-2000:]}"
    summary = json.loads((out / "summary.json").read_text())
    per_rep = read_csv(out / "kpis.csv")
    assert [int(row["replication"]) for row in per_rep] == list(range(REPS)), f"scenario={scenario}: kpis.csv rows"
    items = list(summary["kpis"].items())
    items += [(f"{k}.{g}", ci) for k, groups in summary["breakdowns"].items() for g, ci in groups.items()]
    n_shares = 0
    for name, ci in items:
        if not is_share(name) or ci["mean"] is None or name not in per_rep[0]:
            continue  # pooled over the replications (intervals_meeting_target): no per-replication value
        n_shares += 1
        values = [float(row[name]) for row in per_rep]
        assert all(0.0 <= v <= 1.0 for v in values), f"scenario={scenario}: {name} per replication {values}"
        mean, low, high = hand_interval(values, summary["confidence"], 0.0, 1.0)
        tol = 2e-5  # kpis.csv keeps a share's 6 decimals (sim.report.numbers); with 2 replications t = 12.7 magnifies it
        assert ci["mean"] == pytest.approx(mean, rel=1e-7, abs=tol), f"scenario={scenario}: {name} {ci} vs {values}"
        assert (ci["ci_low"], ci["ci_high"]) == (pytest.approx(low, abs=tol), pytest.approx(high, abs=tol)), (
            f"scenario={scenario}: {name} {ci}, by hand [{low}, {high}] from {values}")
    assert n_shares >= 4, f"scenario={scenario}: only {n_shares} rates"
    if (out / "units.csv").exists():
        for k in ("response_rate", "resolution_rate", "satisfaction_rate", "dispatch_on_time_rate",
                  "closeout_on_time_rate", "return_visit_reach_rate", "bounce_back_rate"):
            assert summary["kpis"][k]["mean"] is not None, f"scenario={scenario}: {k} undefined"


#: Case slots at scale 0.05 worked out by hand from scenarios/beijing_baseline.yaml (case workers x caseload x
#: 0.05): a district 40 x 60, a utility 20 x 20, a municipal department 3 x 60 unless named (health 80, human
#: resources 150, education 55 case workers); department_staff_cut: human resources 100 x 60 x 0.05.  Streets
#: share 343 x 8 x 18 x 0.05 = 2469.6 slots by weight, rounded once for the type.
HAND_CAPACITY = {"district": 120, "utility": 20, "municipal": 9, "health_commission": 240,
                 "human_resources_social_security": 450, "education_commission": 165}
HAND_STREETS = 2470
HAND_OWN = {"department_staff_cut": {"human_resources_social_security": 300}}


def _capacity_as_configured(cfg, units, scenario):
    """Each unit's capacity is its case workers x caseload x scale (a whole number here); a type whose workers are
    spread by weight has the rounded total of the type."""
    scale = cfg["scale"]
    for tname, ut in cfg["units"].items():
        mine = [u for u in units if u["unit_type"] == tname]
        if ut.get("staff_by_weight"):
            total = round(ut["count"] * ut["case_workers"] * ut["caseload"] * scale)
            caps = [int(u["capacity"]) for u in mine]
            assert sum(caps) == total and min(caps) >= 1, f"scenario={scenario}: {tname} slots {sum(caps)} != {total}"
            continue
        for u in mine:
            workers = (ut.get("case_workers_by_unit") or {}).get(u["unit"], ut["case_workers"])
            slots = workers * ut["caseload"] * scale
            if abs(slots - round(slots)) < 1e-9:
                assert int(u["capacity"]) == round(slots), (
                    f"scenario={scenario}: unit {u['unit']} capacity {u['capacity']}, configured {workers} x "
                    f"{ut['caseload']} x {scale} = {slots:g}")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_unit_and_daily_tables(runs, scenario):
    """Scenarios with units write units.csv (rates in [0, 1] or empty, counts >= 0, capacity as configured
    x scale, and for the Beijing scenarios as worked out by hand) and daily.csv (one row per replication and day
    of horizon + drain; contacts per day add up to contacts_offered); scenarios without units write neither."""
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
        rated += float(u["rated_mean"])
    assert rated > 0, f"scenario={scenario}: no unit has a rating"
    _capacity_as_configured(cfg, units, scenario)
    if cfg["scale"] == 0.05 and {"street", "district", "municipal", "utility"} == set(cfg["units"]):
        hand = {**HAND_CAPACITY, **HAND_OWN.get(scenario, {})}
        for u in units:
            want = hand.get(u["unit"], hand.get(u["unit_type"]))
            if want is not None:
                assert int(u["capacity"]) == want, f"scenario={scenario}: {u['unit']} capacity {u['capacity']} != {want}"
        streets = sum(int(u["capacity"]) for u in units if u["unit_type"] == "street")
        assert streets == HAND_STREETS, f"scenario={scenario}: streets hold {streets} slots, not {HAND_STREETS}"
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
