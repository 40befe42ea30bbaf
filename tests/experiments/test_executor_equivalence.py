"""Serial, process-pool and Dask executors give byte-identical report files.

A replication is a pure function of (configuration, replication number), and
results are put back in replication order, so where replications ran must not
show in ``kpis.csv``, ``intervals.csv``, ``accounting.csv``, ``warmup.csv`` or
``summary.json`` (which holds no wall-clock fields; any that appear later are
ignored via ``xp_helpers.TIMING_KEYS``, everything else must match).  The records of
every optional subsystem travel between processes in a replication's result
(operator groups, callbacks, the back office, the request log: ``skills_callbacks_2pct``).
"""

from __future__ import annotations

import json

import pytest
from xp_helpers import BJ_SMALL, DATA_FILES, SQ_RICH, TIMING_KEYS, strip_timings, write

from sim.experiments.executors import executor_name
from sim.experiments.runner import run_experiment

CONFIGS = {
    "single_queue_rich": ("single_queue", [*SQ_RICH, "experiment.replications=4"]),
    "beijing_2pct": ("beijing_baseline", [*BJ_SMALL, "experiment.replications=2"]),
    "skills_callbacks_2pct": ("skills_and_callbacks", [*BJ_SMALL, "experiment.replications=2",
                                                       "report.request_log=true"]),
}


def _assert_same_folders(ref, other, files, label):
    for name in files:
        a, b = (ref / name).read_bytes(), (other / name).read_bytes()
        assert a == b, f"{label}: {name} differs ({len(a)} vs {len(b)} bytes)"
    sa = json.loads((ref / "summary.json").read_text())
    sb = json.loads((other / "summary.json").read_text())
    timing = sorted(k for k in sa if k in TIMING_KEYS)
    if not timing:  # nothing to ignore: the whole file must match byte for byte
        assert (ref / "summary.json").read_bytes() == (other / "summary.json").read_bytes(), (
            f"{label}: summary.json differs in {[k for k in sa if sa.get(k) != sb.get(k)]}")
    assert strip_timings(sa) == strip_timings(sb), f"{label}: summary.json differs beyond timing keys {timing}"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_serial_process_dask_identical(fast_compose, tmp_path, dask_scheduler, name):
    """jobs=1 (serial), jobs=2 (process pool) and executor=dask write identical report files."""
    scenario, overrides = CONFIGS[name]
    runs = {
        "serial": [*overrides, "experiment.jobs=1"],
        "process": [*overrides, "experiment.jobs=2"],
        "dask": [*overrides, "experiment.executor=dask", f"experiment.scheduler={dask_scheduler}"],
    }
    folders = {}
    for label, ov in runs.items():
        cfg = fast_compose(scenario, ov)
        assert executor_name(cfg, cfg.experiment.replications) == label, f"{name}: {ov} does not select {label}"
        exp = run_experiment(cfg)
        assert not exp.failures, f"{name} on {label}: {[f.describe() for f in exp.failures]}"
        assert [r.replication for r in exp.replications] == list(range(cfg.experiment.replications)), (
            f"{name} on {label}: replications out of order: {[r.replication for r in exp.replications]}")
        folders[label] = tmp_path / label
        summary = write(exp, folders[label])
    files = [*DATA_FILES, *(f for f in ("units.csv", "daily.csv", "requests.csv", "calls.csv")
                            if f in summary["files"])]
    if name != "single_queue_rich":
        assert "units.csv" in files, f"{name}: the back office wrote no units.csv"
    if name == "skills_callbacks_2pct":
        assert {"requests.csv", "calls.csv"} <= set(files), f"{name}: no request log in {files}"
        assert summary["groups"] and summary["kpis"]["callbacks_offered"]["mean"] > 0, f"{name}: no routing records"
    for label in ("process", "dask"):
        _assert_same_folders(folders["serial"], folders[label], files, f"{name}: serial vs {label}")


def test_cli_jobs_2_equals_jobs_1(cli, tmp_path):
    """``run_sim.py ... experiment.jobs=2`` writes the same kpis.csv and intervals.csv (and the rest) as jobs=1."""
    common = ["scenario=single_queue", *SQ_RICH, "experiment.replications=4"]
    out = {}
    for jobs in (1, 2):
        out[jobs] = tmp_path / f"jobs{jobs}"
        proc = cli([*common, f"experiment.jobs={jobs}", f"report.dir={out[jobs]}"])
        assert proc.returncode == 0, f"jobs={jobs}: exit {proc.returncode}, stderr {proc.stderr[-800:]}"
    for name in ("kpis.csv", "intervals.csv", "accounting.csv", "warmup.csv", "summary.json"):
        a, b = (out[1] / name).read_bytes(), (out[2] / name).read_bytes()
        assert a == b, f"CLI single_queue rich config: {name} differs between jobs=1 and jobs=2"
    rows = (out[1] / "kpis.csv").read_text().splitlines()
    assert len(rows) == 5, f"CLI jobs=1: kpis.csv has {len(rows) - 1} replications, expected 4"
