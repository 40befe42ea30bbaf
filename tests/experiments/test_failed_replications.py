"""A replication that raises is reported with its number and seed; the others' results are kept.

The failing task (``xp_helpers.fail_on_two``) raises for replication 2 and
runs :func:`sim.model.replication.run_replication` otherwise; it is injected with
``run_experiment(cfg, task=...)`` and must work on every executor (the process
pool unpickles it in spawned workers, Dask workers get this folder on PYTHONPATH).
"""

from __future__ import annotations

import csv
import json
import sys

import pytest
from xp_helpers import FAILING_REPLICATION, SQ_SMALL, fail_on_two, injected_error, run_cli_env, same_kpis, write

import sim.cli
import sim.experiments.runner
from sim.analysis.kpis import summarise
from sim.analysis.staffing_kpis import meeting_shares, target_values
from sim.config.kpi_catalog import is_pooled
from sim.experiments.executors import Failure
from sim.experiments.runner import run_experiment

SEED = 314
OVERRIDES = [*SQ_SMALL, f"experiment.seed={SEED}", "experiment.replications=4"]
EXECUTORS = {
    "serial": ["experiment.jobs=1"],
    "process": ["experiment.jobs=2"],
    "dask": ["experiment.executor=dask"],
}


@pytest.fixture(scope="module")
def clean_run(fast_compose):
    """The same configuration without the injected failure (serial)."""
    return run_experiment(fast_compose("single_queue", OVERRIDES))


@pytest.mark.parametrize("executor", list(EXECUTORS))
def test_failure_reported_and_survivors_kept(fast_compose, tmp_path, clean_run, executor, request):
    """Failure names replication 2 and the seed; replications 0, 1, 3 are kept, summarised and written."""
    extra = list(EXECUTORS[executor])
    if executor == "dask":
        extra.append(f"experiment.scheduler={request.getfixturevalue('dask_scheduler')}")
    exp = run_experiment(fast_compose("single_queue", [*OVERRIDES, *extra]), task=fail_on_two)
    label = f"single_queue seed {SEED}, 4 replications, {executor} executor, replication 2 raising"
    assert exp.failures == [Failure(FAILING_REPLICATION, SEED, injected_error())], (
        f"{label}: failures {exp.failures}")
    assert str(FAILING_REPLICATION) in exp.failures[0].describe() and str(SEED) in exp.failures[0].describe(), (
        f"{label}: describe() = {exp.failures[0].describe()!r}")
    kept = [r.replication for r in exp.replications]
    assert kept == [0, 1, 3], f"{label}: kept replications {kept}"
    clean = {r.replication: k for r, k in zip(clean_run.replications, clean_run.per_replication)}
    for r, k in zip(exp.replications, exp.per_replication):
        diff = same_kpis(k, clean[r.replication])
        assert not diff, f"{label}: replication {r.replication} KPIs differ from the clean run in {diff}"
    expected = summarise([clean[r] for r in (0, 1, 3)], 0.95)
    per_rep_summary = {k: v for k, v in exp.summary.items() if not is_pooled(k)}
    assert per_rep_summary == expected, f"{label}: summary is not the summary of replications 0, 1, 3"
    survivors = [r for r in clean_run.replications if r.replication in (0, 1, 3)]
    pooled = meeting_shares(survivors, target_values(exp.cfg.staffing.target))["all"]
    assert exp.summary["intervals_meeting_target"]["mean"] == pooled, f"{label}: pooled over replications 0, 1, 3"

    summary = write(exp, tmp_path)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["failed_replications"] == [
        {"replication": FAILING_REPLICATION, "seed": SEED, "error": injected_error()}], (
        f"{label}: summary.json failed_replications = {on_disk['failed_replications']}")
    assert on_disk["replications"] == 3, f"{label}: summary.json replications = {on_disk['replications']}"
    sl, sl_expected = on_disk["kpis"]["service_level"], expected["service_level"]
    assert sl["mean"] == pytest.approx(sl_expected["mean"], rel=1e-12), (
        f"{label}: summary.json service_level {sl} vs survivors {sl_expected}")
    assert summary["accounting"]["balanced"] is True, f"{label}: accounting not balanced over the survivors"
    for name in ("kpis.csv", "accounting.csv"):
        with (tmp_path / name).open() as fh:
            reps = [int(row["replication"]) for row in csv.DictReader(fh)]
        assert reps == [0, 1, 3], f"{label}: {name} lists replications {reps}"
    with (tmp_path / "intervals.csv").open() as fh:
        reps = sorted({int(row["replication"]) for row in csv.DictReader(fh)})
    assert reps == [0, 1, 3], f"{label}: intervals.csv lists replications {reps}"


def test_every_replication_failing_gives_no_results(fast_compose):
    """With every replication failing the result is empty and lists one Failure per replication."""
    cfg = fast_compose("single_queue", [*SQ_SMALL, "experiment.replications=2", f"experiment.seed={SEED}"])
    exp = run_experiment(cfg, task=_always_fails)
    assert exp.replications == [] and exp.per_replication == [] and exp.summary == {}, (
        f"2 replications, both failing: kept {exp.replications}, summary {exp.summary}")
    assert [(f.replication, f.seed) for f in exp.failures] == [(0, SEED), (1, SEED)], f"failures {exp.failures}"
    assert exp.notes["failed_replications"] == [
        {"replication": r, "seed": SEED, "error": "ValueError: nope"} for r in (0, 1)], f"notes {exp.notes}"


def _always_fails(cfg, replication):
    raise ValueError("nope")


def _main_with_failing_task(monkeypatch, argv):
    """Run ``sim.cli.main(argv)`` in this process with replication 2 failing; return the exit code."""
    original = sim.experiments.runner.run_experiment
    monkeypatch.setattr(sim.experiments.runner, "run_experiment", lambda cfg: original(cfg, task=fail_on_two))
    try:
        sim.cli.main(argv)
    except SystemExit as exc:
        return exc.code
    finally:
        monkeypatch.setattr(sim.experiments.runner, "run_experiment", original)
    return 0


def test_cli_exits_1_and_writes_the_survivors(monkeypatch, tmp_path, capsys):
    """The command line warns on stderr with replication and seed, writes the report, and exits 1."""
    monkeypatch.setattr(sim.cli, "_FAILED_RUNS", set())
    monkeypatch.setattr(sys, "argv", ["run_sim.py"])
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    out = tmp_path / "run"
    code = _main_with_failing_task(monkeypatch, ["scenario=single_queue", *OVERRIDES, f"report.dir={out}"])
    err = capsys.readouterr().err
    assert code == 1, f"single_queue with replication 2 failing: exit code {code}, stderr {err[-600:]}"
    assert f"replication {FAILING_REPLICATION} (seed {SEED}) failed" in err, f"stderr lacks the failure: {err}"
    assert str(out) in err, f"stderr does not name the report folder {out}: {err}"
    on_disk = json.loads((out / "summary.json").read_text())
    assert [f["replication"] for f in on_disk["failed_replications"]] == [FAILING_REPLICATION], (
        f"summary.json failed_replications = {on_disk['failed_replications']}")


def test_cli_clean_run_after_failed_run_exits_0(monkeypatch, tmp_path, capsys):
    """A clean run after a run with failures, in the same process, exits 0 and blames nothing."""
    monkeypatch.setattr(sim.cli, "_FAILED_RUNS", set())
    monkeypatch.setattr(sys, "argv", ["run_sim.py"])
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    first = _main_with_failing_task(monkeypatch, ["scenario=single_queue", *OVERRIDES,
                                                  f"report.dir={tmp_path / 'failing'}"])
    assert first == 1, f"the run with replication 2 failing exited {first}"
    capsys.readouterr()
    try:
        sim.cli.main(["scenario=single_queue", *OVERRIDES, f"report.dir={tmp_path / 'clean'}"])
        code = 0
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code in (0, None), f"clean single_queue run after a failed one exited {code}; stderr: {err.strip()}"


SITECUSTOMIZE = '''
import os
_R = os.environ.get("XP_FAIL_REPLICATION")
if _R is not None:
    import sim.experiments.runner as _se
    from sim.model.replication import run_replication as _run

    def failing_task(cfg, replication):
        if replication == int(_R):
            raise RuntimeError(f"injected failure in replication {replication}")
        return _run(cfg, replication)

    _se.run_experiment.__defaults__ = (failing_task,)
'''


@pytest.mark.slow
def test_joblib_sweep_with_failed_replications_exits_1(tmp_path):
    """A -m sweep on the joblib launcher whose variants lost a replication exits 1, like the basic launcher.

    The failure is injected into every process of the sweep (including joblib's workers) with a
    ``sitecustomize.py`` on PYTHONPATH that replaces run_experiment's default task when
    ``XP_FAIL_REPLICATION`` is set; the test first checks that the injection worked (the variant's
    summary.json lists the failed replication).  One variant is enough: the job runs in a joblib worker.
    The basic launcher's exit status 1 is checked by test_cli_exits_1_and_writes_the_survivors.
    """
    launcher = "joblib"
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(SITECUSTOMIZE)
    launch = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
    out = tmp_path / "sweep"
    proc = run_cli_env(["-m", *launch, "scenario=single_queue", "staffing.operators=120",
                        *SQ_SMALL, "experiment.replications=3", f"report.dir={out}"],
                       env_extra={"XP_FAIL_REPLICATION": "1"}, pythonpath=[str(inject)])
    for v in ("variant_0",):
        failed = json.loads((out / v / "summary.json").read_text())["failed_replications"]
        assert [f["replication"] for f in failed] == [1], (
            f"{launcher} launcher: {v}/summary.json failed_replications = {failed} (injection did not work?)")
    assert proc.returncode == 1, (f"{launcher} launcher, replication 1 failing in the sweep's variant: exit "
                                  f"{proc.returncode}; stderr tail: {proc.stderr[-600:]}")
