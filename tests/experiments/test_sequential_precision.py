"""Sequential precision: replications are added until the CI of ``experiment.precision_kpi`` is narrow enough.

The stopping rule (docs/experiments.md): the run uses the first replication
count n >= ``experiment.replications`` at which the relative half-width
(Student-t half-width / |mean|) of ``precision_kpi`` over the first n
replications is at most ``experiment.precision``, or ``max_replications``.
The half-widths are recomputed here from the per-replication KPIs with scipy.

For ``single_queue`` (125 operators, 4 h, seed 2024) the relative half-width
of service_level after n = 2, 3, ... replications is about
0.140, 0.028, 0.015, 0.011, 0.013, 0.016, 0.020, 0.018, 0.016, 0.014, 0.013,
0.012, ... : with a target of 0.0125 the run stops at n = 5 when starting
from 2, 4 or 5 replications, but at n = 13 when starting from 6.
"""

from __future__ import annotations

import json

import pytest
from xp_helpers import SQ_SMALL, rel_half_width, same_kpis, write

from sim.core.errors import ConfigError
from sim.experiments.runner import run_experiment

BASE = [*SQ_SMALL, "staffing.operators=125", "experiment.seed=2024"]
TARGET = 0.0125


def _precision(replications: int, target: float = TARGET, max_replications: int = 30, extra=()):
    return [*BASE, f"experiment.replications={replications}", f"experiment.precision={target}",
            f"experiment.max_replications={max_replications}", *extra]


def _check_stopping_rule(exp, label: str) -> int:
    """Assert the run stopped at the first qualifying count >= replications; return that count."""
    e = exp.cfg.experiment
    values = [k[e.precision_kpi] for k in exp.per_replication]
    n = len(values)
    assert [r.replication for r in exp.replications] == list(range(n)), f"{label}: replications not 0..n-1"
    hw = rel_half_width(values, e.confidence)
    assert hw <= e.precision, f"{label}: stopped at n={n} with relative half-width {hw:.5f} > {e.precision}"
    for k in range(e.replications, n):
        hw_k = rel_half_width(values[:k], e.confidence)
        assert hw_k > e.precision, (f"{label}: target {e.precision} was already met at n={k} "
                                    f"(relative half-width {hw_k:.5f}) but the run went on to n={n}")
    assert n >= e.replications, f"{label}: stopped at n={n} < experiment.replications={e.replications}"
    return n


@pytest.mark.parametrize("first, expected", [(2, 5), (5, 5), (6, 13)])
def test_stops_at_first_count_meeting_target(fast_compose, tmp_path, first, expected):
    """The run stops at the first n >= replications meeting the target; summary.json records n and success."""
    exp = run_experiment(fast_compose("single_queue", _precision(first)))
    label = f"single_queue seed 2024, replications={first}, precision={TARGET}"
    n = _check_stopping_rule(exp, label)
    assert n == expected, f"{label}: stopped at n={n}, expected {expected} for this fixed seed"
    summary = write(exp, tmp_path)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk == json.loads(json.dumps(summary)), f"{label}: summary.json differs from the returned summary"
    assert on_disk["replications"] == n, f"{label}: summary.json replications={on_disk['replications']}, used {n}"
    assert on_disk["precision_met"] is True, f"{label}: precision_met={on_disk['precision_met']}"
    assert on_disk["precision_target"] == TARGET and on_disk["precision_kpi"] == "service_level", (
        f"{label}: precision notes {on_disk['precision_target']}, {on_disk['precision_kpi']}")
    hw = rel_half_width([k["service_level"] for k in exp.per_replication], 0.95)
    assert on_disk["precision_achieved"] == pytest.approx(hw, rel=1e-9), (
        f"{label}: precision_achieved={on_disk['precision_achieved']}, recomputed {hw}")
    kpis_rows = (tmp_path / "kpis.csv").read_text().splitlines()
    assert len(kpis_rows) == n + 1, f"{label}: kpis.csv has {len(kpis_rows) - 1} rows, expected {n}"


def test_unreachable_target_stops_at_max_replications(fast_compose, tmp_path):
    """A target that cannot be met stops at max_replications with precision_met false."""
    exp = run_experiment(fast_compose("single_queue", _precision(2, target=1e-6, max_replications=5)))
    label = "single_queue seed 2024, replications=2, precision=1e-6, max_replications=5"
    assert len(exp.replications) == 5, f"{label}: ran {len(exp.replications)} replications, expected 5"
    summary = write(exp, tmp_path)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["replications"] == 5 and on_disk["precision_met"] is False, (
        f"{label}: summary.json replications={on_disk['replications']}, precision_met={on_disk['precision_met']}")
    hw = rel_half_width([k["service_level"] for k in exp.per_replication], 0.95)
    assert on_disk["precision_achieved"] == pytest.approx(hw, rel=1e-9) and hw > 1e-6, (
        f"{label}: precision_achieved={on_disk['precision_achieved']}, recomputed {hw}")
    assert summary["precision_met"] is False, f"{label}: returned summary says the target was met"


def test_stopping_count_same_with_one_or_two_jobs(fast_compose):
    """jobs=1 and jobs=2 (replications added 2 at a time, overshooting) stop at the same count and KPIs."""
    serial = run_experiment(fast_compose("single_queue", _precision(4, extra=["experiment.jobs=1"])))
    parallel = run_experiment(fast_compose("single_queue", _precision(4, extra=["experiment.jobs=2"])))
    n1, n2 = len(serial.replications), len(parallel.replications)
    # with jobs=2 replications 4 and 5 run together; the target is met after replication 4 (n=5)
    assert n1 == n2 == 5, f"replications=4, precision={TARGET}: jobs=1 stopped at {n1}, jobs=2 at {n2} (expected 5)"
    _check_stopping_rule(parallel, "jobs=2")
    for a, b in zip(serial.per_replication, parallel.per_replication):
        assert not same_kpis(a, b), f"jobs=1 vs jobs=2: KPIs differ in {same_kpis(a, b)}"
    assert parallel.notes == serial.notes, f"notes differ: jobs=1 {serial.notes}, jobs=2 {parallel.notes}"


def test_stopping_count_same_on_dask(fast_compose, dask_scheduler):
    """The Dask executor (2 workers, batches of 2) stops at the same count as the serial run."""
    exp = run_experiment(fast_compose("single_queue", _precision(
        4, extra=["experiment.jobs=2", "experiment.executor=dask", f"experiment.scheduler={dask_scheduler}"])))
    assert not exp.failures, f"dask run failed: {[f.describe() for f in exp.failures]}"
    n = _check_stopping_rule(exp, "dask, replications=4")
    assert n == 5, f"dask executor, replications=4, precision={TARGET}: stopped at {n}, expected 5"


@pytest.mark.parametrize("overrides, key", [
    (["experiment.precision=0"], "experiment.precision"),
    (["experiment.precision=-0.05"], "experiment.precision"),
    (["experiment.precision=0.05", "experiment.replications=5", "experiment.max_replications=4"],
     "experiment.max_replications"),
    (["experiment.precision=0.05", "experiment.precision_kpi=no_such_kpi"], "experiment.precision_kpi"),
])
def test_invalid_precision_settings_rejected(fast_compose, overrides, key):
    """Precision <= 0, max_replications < replications and an unknown precision_kpi are ConfigErrors."""
    with pytest.raises(ConfigError) as info:
        fast_compose("single_queue", [*SQ_SMALL, *overrides])
    assert info.value.key == key, f"overrides {overrides}: error names {info.value.key!r}, expected {key!r}"


def test_invalid_precision_exits_2_on_the_command_line(cli, tmp_path):
    """The CLI prints one line naming experiment.precision and exits with status 2 (no traceback)."""
    proc = cli(["scenario=single_queue", *SQ_SMALL, "experiment.precision=0", f"report.dir={tmp_path / 'out'}"])
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, f"experiment.precision=0: exit {proc.returncode}, stderr {proc.stderr[-500:]}"
    assert len(lines) == 1 and "experiment.precision" in lines[0], f"experiment.precision=0: stderr {lines}"
    assert not (tmp_path / "out" / "summary.json").exists(), "experiment.precision=0: a report was written"


def test_precision_kpi_absent_from_scenario_is_a_config_error(fast_compose):
    """precision_kpi=resolution_rate on single_queue (no units) is bad input, not a KeyError mid-run."""
    with pytest.raises(ConfigError) as info:
        cfg = fast_compose("single_queue", [*SQ_SMALL, "experiment.replications=2", "experiment.precision=0.1",
                                       "experiment.precision_kpi=resolution_rate"])
        run_experiment(cfg)
    assert info.value.key == "experiment.precision_kpi", f"error names {info.value.key!r}"


def test_precision_met_consistent_with_precision_achieved(fast_compose):
    """precision_met is true exactly when precision_achieved <= precision_target.

    At 140 operators (seed 11) service_level is close to 1 and its CI is clipped at 1: over 4
    replications the unclipped relative half-width is ~0.0042 (> 0.0035, so the rule does not
    stop), the clipped one reported as precision_achieved ~0.0032 (< 0.0035).
    """
    exp = run_experiment(fast_compose("single_queue", [
        *SQ_SMALL, "staffing.operators=140", "experiment.seed=11", "experiment.replications=4",
        "experiment.precision=0.0035", "experiment.max_replications=4"]))
    n = exp.notes
    assert n["precision_met"] == (n["precision_achieved"] <= n["precision_target"]), (
        f"140 operators, seed 11, target 0.0035, max 4: precision_met={n['precision_met']} but "
        f"precision_achieved={n['precision_achieved']:.5f}")
