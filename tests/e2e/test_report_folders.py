"""Report folders are never damaged by a rejected or a repeated run.

Every case runs the command line once in its own folder; the folder's whole tree (names and
bytes, hidden files included) is recorded before and compared after:

* a command rejected for bad input - a single run or one variant of a sweep - leaves the disk
  exactly as it was: no ``.hydra/``, no ``multirun.yaml``, a user's empty folder kept, an earlier
  run's ``.hydra/`` untouched;
* an existing non-empty report folder is refused (one line naming ``report.dir`` and
  ``report.overwrite``), unless ``report.overwrite=true``, which replaces it (no stale
  ``units.csv`` / ``requests.csv`` of the earlier run) - and only when it is a report folder;
* ``report.dir`` naming a file, a path under a file, a place where no folder can be created, or a
  name or path too long for the file system is one line, exit status 2; so is a value that would
  make an output non-finite (``staffing.cost_per_h=1e308``, ``online.deadline_h=1e308``) and a run
  too big for memory (``arrivals.phone.per_day=1e9 scale=0.01``);
* a run that fails after it started - out of memory, a full disk, an error while writing figures,
  every replication failing in worker processes, a failing variant of a sweep, Ctrl-C (a real
  SIGINT with worker processes) - leaves the disk as it was (a report folder appears whole or not
  at all: :mod:`sim.report.folders`), an earlier report it would replace included; so does
  :func:`sim.api.run`.

The cases run one after another in one interpreter (``support.run_cli_batch``: ``sim.cli.main``
called with each case's arguments in the case's folder, as ``run_sim.py`` calls it).
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import pytest
from support import require, run_cli_batch

RUN = ["scenario=single_queue", "experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.replications=2",
       "experiment.progress=false", "report.plots=false", "report.html=false", "report.print_table=false"]
BAD = "calls.retrial.probability=1.5"
EARLIER = {"summary.json": '{"earlier": true}', "units.csv": "unit,stale\n", "requests.csv": "stale\n",
           ".hydra/config.yaml": "earlier: true\n", ".hydra/overrides.yaml": "- earlier=1\n"}


def _files(d: Path, files: dict) -> None:
    for name, text in files.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(text)


def _tree(d: Path) -> dict:
    """Every path under ``d`` (relative) with its bytes, or None for a folder."""
    return {str(p.relative_to(d)): (None if p.is_dir() else p.read_bytes()) for p in sorted(d.rglob("*"))}


# id -> (setup(d), arguments (REPORT = d/<name>), working directory is d)
CASES = {
    "rejected_run_new_folder": (lambda d: None, [*RUN, BAD, "report.dir=out"]),
    "rejected_run_default_folder": (lambda d: None, [*RUN, BAD]),
    "rejected_run_users_empty_folder": (lambda d: (d / "empty").mkdir(), [*RUN, BAD, "report.dir=empty"]),
    "rejected_run_into_earlier_run": (lambda d: _files(d / "run", EARLIER), [*RUN, BAD, "report.dir=run"]),
    "rejected_sweep_variant": (lambda d: None, ["-m", *RUN, "staffing.operators=130,-2", "report.dir=sweep"]),
    "rejected_sweep_default_folder": (lambda d: None, ["-m", *RUN, "calls.retrial.probability=0.5,1.5"]),
    "sweep_over_report_dir": (lambda d: None, ["-m", *RUN, "report.dir=a,b"]),
    "rerun_refused": (lambda d: _files(d / "run", EARLIER), [*RUN, "report.dir=run"]),
    "rerun_sweep_refused": (lambda d: _files(d / "sweep", {"multirun.yaml": "x: 1\n", "variant_0/kpis.csv": "r\n"}),
                            ["-m", *RUN, "staffing.operators=120,130", "report.dir=sweep"]),
    "overwrite_non_report_folder": (lambda d: _files(d / "notes", {"a.txt": "mine\n"}),
                                    [*RUN, "report.dir=notes", "report.overwrite=true"]),
    "overwrite_working_directory": (lambda d: _files(d, {"summary.json": "{}"}),
                                    [*RUN, "report.dir=.", "report.overwrite=true"]),
    "report_dir_is_a_file": (lambda d: _files(d, {"afile": "x"}), [*RUN, "report.dir=afile"]),
    "report_dir_under_a_file": (lambda d: _files(d, {"afile": "x"}), [*RUN, "report.dir=afile/sub"]),
    "report_dir_cannot_be_created": (lambda d: None, [*RUN, "report.dir=/proc/hotline-sim-test/out"]),
    "overwrite_earlier_run": (lambda d: _files(d / "run", EARLIER), [*RUN, "report.dir=run", "report.overwrite=true"]),
    # a value that would make an output non-finite, a run too big for memory, a name too long: refused first
    "cost_per_h_1e308": (lambda d: None, [*RUN, "staffing.cost_per_h=1e308", "report.dir=out"]),
    "online_deadline_1e308": (lambda d: None, [*RUN, "arrivals.online.per_day=100", "online.deadline_h=1e308",
                                               "report.dir=out"]),
    "day_too_big_for_memory": (lambda d: None, [*RUN, "arrivals.phone.per_day=1e9", "scale=0.01"]),
    "report_dir_name_too_long": (lambda d: None, [*RUN, f"report.dir={'x' * 300}"]),
    "report_dir_name_leaves_no_room": (lambda d: None, [*RUN, f"report.dir={'y' * 240}"]),
    "report_dir_path_too_long": (lambda d: None, [*RUN, "report.dir=" + "/".join(["z" * 200] * 25)]),
    "overwrite_earlier_sweep": (
        lambda d: _files(d / "sweep", {"multirun.yaml": "x: 1\n", "variant_5/summary.json": "{}",
                                       "comparison.csv": "stale\n"}),
        ["-m", *RUN, "staffing.operators=120,130", "report.dir=sweep", "report.overwrite=true"]),
}
REJECTED = [k for k in CASES if not k.startswith("overwrite_earlier")]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """name -> (folder, tree before, completed process, tree after)."""
    prepared = {}
    for name, (setup, args) in CASES.items():
        d = tmp_path_factory.mktemp(name)
        setup(d)
        prepared[name] = (d, _tree(d), args)

    procs = run_cli_batch([(d, args) for d, _, args in prepared.values()])
    return {name: (d, before, proc, _tree(d)) for (name, (d, before, _)), proc in zip(prepared.items(), procs)}


@pytest.mark.parametrize("name", REJECTED)
def test_rejected_command_leaves_disk_as_it_was(results, name):
    """Exit status 2, exactly one line on stderr, and the folder's tree byte for byte as before."""
    if name == "report_dir_cannot_be_created":
        require(Path("/proc").is_dir(), "/proc (a place where no folder can be created, even by root)", "run on Linux")
    d, before, proc, after = results[name]
    assert proc.returncode == 2, f"{name}: exit {proc.returncode}; stderr {proc.stderr[-1500:]}"
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("run_sim: error: "), f"{name}: stderr {proc.stderr[-1500:]}"
    assert after == before, (f"{name}: the disk changed: added {sorted(set(after) - set(before))}, "
                             f"removed {sorted(set(before) - set(after))}, "
                             f"changed {sorted(k for k in before if k in after and before[k] != after[k])}")


@pytest.mark.parametrize("name, words", [
    ("rejected_run_into_earlier_run", [BAD, "[0, 1]"]),
    ("rejected_sweep_variant", ["staffing.operators=-2", ">= 0"]),
    ("sweep_over_report_dir", ["report.dir=a,b", "cannot vary in a sweep"]),
    ("rerun_refused", ["report.dir=run", "holds files", "report.overwrite=true"]),
    ("rerun_sweep_refused", ["report.dir=sweep", "report.overwrite=true"]),
    ("overwrite_non_report_folder", ["report.dir=notes", "only a report folder", "a.txt"]),
    ("overwrite_working_directory", ["report.dir=.", "working directory"]),
    ("report_dir_is_a_file", ["report.dir=afile", "is a file"]),
    ("report_dir_under_a_file", ["report.dir=afile/sub", "afile is a file"]),
    ("report_dir_cannot_be_created", ["report.dir=/proc/hotline-sim-test/out", "cannot create a folder"]),
    ("cost_per_h_1e308", ["staffing.cost_per_h=1e308", "must be <= 1,000,000"]),
    ("online_deadline_1e308", ["online.deadline_h=1e308: must be <= 876,600"]),
    ("day_too_big_for_memory", ["arrivals.phone.per_day=1e9", "GiB of memory"]),
    ("report_dir_name_too_long", ["report.dir=xxx", "300 characters", "at most 237 fit"]),
    ("report_dir_name_leaves_no_room", ["report.dir=yyy", "240 characters", "temporary folder"]),
    ("report_dir_path_too_long", ["report.dir=zzz", "path is too long"]),
])
def test_rejection_names_key_value_and_rule(results, name, words):
    if name == "report_dir_cannot_be_created":
        require(Path("/proc").is_dir(), "/proc", "run on Linux")
    line = results[name][2].stderr.strip()
    for w in words:
        assert w in line, f"{name}: {w!r} not in {line!r}"


def test_overwrite_replaces_an_earlier_run(results):
    """report.overwrite=true: the new run's files only - the earlier run's units.csv, requests.csv and
    .hydra/overrides.yaml are gone, summary.json is the new run's."""
    d, _, proc, after = results["overwrite_earlier_run"]
    assert proc.returncode == 0, proc.stderr[-1500:]
    for stale in ("units.csv", "requests.csv"):
        assert stale not in after, f"stale {stale} of the earlier run left in the report folder"
    summary = json.loads((d / "run" / "summary.json").read_text())
    assert summary.get("scenario") == "single_queue" and "earlier" not in summary, summary
    assert "earlier" not in (d / "run" / ".hydra" / "overrides.yaml").read_text()


def test_overwrite_replaces_an_earlier_sweep(results):
    """A sweep with report.overwrite=true: the sweep folder holds this sweep only (no stale variant_5/)."""
    d, _, proc, _ = results["overwrite_earlier_sweep"]
    assert proc.returncode == 0, proc.stderr[-1500:]
    names = sorted(p.name for p in (d / "sweep").iterdir())
    assert names == ["comparison.csv", "comparison.html", "comparison.md", "comparison.xlsx", "multirun.yaml",
                     "variant_0", "variant_1"], names


def test_api_run_refuses_a_folder_with_files(compose, tmp_path):
    """sim.api.run(cfg, out_dir) follows the same rule, before it simulates."""
    from sim.api import run
    from sim.core.errors import ConfigError

    _files(tmp_path, {"units.csv": "stale\n"})
    cfg = compose("single_queue", ["experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.replications=1"])
    with pytest.raises(ConfigError) as info:
        run(cfg, tmp_path)
    assert "report.overwrite" in str(info.value), str(info.value)
    assert _tree(tmp_path) == {"units.csv": b"stale\n"}


def test_published_folders_name_no_temporary_folder(results):
    """A finished run or sweep leaves only its report folder (no hidden temporary folder beside it), and no file in
    it names the temporary folder: .hydra/hydra.yaml records the report folder as Hydra's output folder."""
    for name in ("overwrite_earlier_run", "overwrite_earlier_sweep"):
        d, _, proc, after = results[name]
        assert proc.returncode == 0, proc.stderr[-1500:]
        assert not [p for p in after if ".partial-" in p or ".replaced-" in p], f"{name}: left {sorted(after)}"
        named = [p for p, data in after.items() if data is not None and b".partial-" in data]
        assert not named, f"{name}: files naming the temporary folder: {named}"
    hydra_yaml = (results["overwrite_earlier_run"][0] / "run" / ".hydra" / "hydra.yaml").read_text()
    assert f"output_dir: {results['overwrite_earlier_run'][0] / 'run'}\n" in hydra_yaml, hydra_yaml[-800:]


# --------------------------------------------------------------------------- a run that fails after it started
FAIL_RUN = [a for a in RUN if a != "report.plots=false"]  # with figures


def _main(monkeypatch, cwd, args):
    """``sim.cli.main(args)`` in this process, in ``cwd``; the exit status (0 when it returns)."""
    import sys

    import sim.cli

    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sim.cli, "_FAILED_RUNS", set())
    monkeypatch.setattr(sys, "argv", ["run_sim.py"])
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    try:
        sim.cli.main(args)
    except SystemExit as exc:
        return exc.code
    return 0


def _raising(exc):
    def boom(*args, **kwargs):
        raise exc
    return boom


def _after_writing(original, exc):
    """``original`` (a writer of files), then ``exc``: a failure once files were written."""
    def writer(*args, **kwargs):
        original(*args, **kwargs)
        raise exc
    return writer


@pytest.mark.parametrize("name, where, exc, status, words", [
    ("memory_in_the_run", "sim.experiments.runner.run_experiment", MemoryError(), 1, ["out of memory"]),
    ("disk_full_while_writing", "sim.report.outputs.write_csv",
     OSError(28, "No space left on device", "intervals.csv"), 1, ["No space left on device", "nothing was written"]),
    ("ctrl_c_in_the_run", "sim.experiments.runner.run_experiment", KeyboardInterrupt(), 130, ["interrupted"]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_failure_after_the_checks_leaves_nothing(monkeypatch, capsys, tmp_path, name, where, exc, status, words):
    """Out of memory, a full disk, Ctrl-C once the run started: one line, the exit status of its kind, and the
    working directory as it was - no report folder, no temporary folder, no reports/ folder nor index (the
    default folder reports/single_queue/<timestamp> and its parents are made for the run, and removed)."""
    module, attr = where.rsplit(".", 1)
    monkeypatch.setattr(importlib.import_module(module), attr, _raising(exc))
    before = _tree(tmp_path)
    status_seen = _main(monkeypatch, tmp_path, FAIL_RUN)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert status_seen == status and len(lines) == 1 and lines[0].startswith("run_sim: error: "), (name, err[-1500:])
    assert all(w in lines[0] for w in words), (name, lines[0])
    assert _tree(tmp_path) == before, f"{name}: left {sorted(set(_tree(tmp_path)) - set(before))}"


def test_failure_while_writing_figures_keeps_the_earlier_report(monkeypatch, capsys, tmp_path):
    """An error while writing the figures (after the data files were written), with report.overwrite=true over an
    earlier report: the earlier report is kept byte for byte, no temporary folder is left, the error propagates."""
    import sim.report.run_page

    _files(tmp_path / "run", EARLIER)
    before = _tree(tmp_path)
    monkeypatch.setattr(sim.report.run_page, "write_report", _raising(RuntimeError("a figure failed")))
    with pytest.raises(RuntimeError, match="a figure failed"):
        _main(monkeypatch, tmp_path, [*FAIL_RUN, "report.dir=run", "report.overwrite=true"])
    capsys.readouterr()
    assert _tree(tmp_path) == before, f"left {sorted(set(_tree(tmp_path)) ^ set(before))}"


def test_every_replication_out_of_memory_in_worker_processes(monkeypatch, capsys, tmp_path):
    """Replications that run out of memory in worker processes (experiment.jobs=2): one line, exit status 1, and no
    report folder (the run's temporary folder, created by Hydra before the run, is removed)."""
    from support import out_of_memory

    import sim.experiments.runner

    original = sim.experiments.runner.run_experiment
    monkeypatch.setattr(sim.experiments.runner, "run_experiment", lambda cfg: original(cfg, task=out_of_memory))
    before = _tree(tmp_path)
    status = _main(monkeypatch, tmp_path, [*RUN, "experiment.jobs=2", "report.dir=run"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(lines) == 1 and "out of memory in every replication" in lines[0], lines
    assert _tree(tmp_path) == before, f"left {sorted(set(_tree(tmp_path)) - set(before))}"


def test_failed_variant_leaves_no_sweep_and_keeps_the_earlier_one(monkeypatch, capsys, tmp_path):
    """Variant 2 of 3 runs out of memory after variant 1 finished: the sweep leaves nothing (a sweep folder is
    one report: its comparison needs every variant), and the earlier sweep it would replace is kept as it was."""
    import sim.experiments.runner

    _files(tmp_path / "sweep", {"multirun.yaml": "x: 1\n", "variant_0/summary.json": "{}", "comparison.csv": "old\n"})
    before = _tree(tmp_path)
    original = sim.experiments.runner.run_experiment

    def second_fails(cfg):
        if cfg.staffing.operators == 125:
            raise MemoryError()
        return original(cfg)

    monkeypatch.setattr(sim.experiments.runner, "run_experiment", second_fails)
    status = _main(monkeypatch, tmp_path, ["-m", *RUN, "staffing.operators=120,125,130", "report.dir=sweep",
                                           "report.overwrite=true"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and lines[-1].startswith("run_sim: error: out of memory"), lines
    assert _tree(tmp_path) == before, f"changed: {sorted(set(_tree(tmp_path)) ^ set(before))}"


def test_api_run_failure_leaves_nothing_and_keeps_the_earlier_report(compose, monkeypatch, tmp_path):
    """sim.api.run(cfg, out_dir) follows the same rule: a failure after some files were written leaves no new
    folder and, with report.overwrite, the earlier report as it was; a finished run replaces it."""
    import sim.report.outputs
    from sim.api import run

    cfg = compose("single_queue", ["experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.replications=1",
                                   "report.plots=false", "report.html=false", "report.overwrite=true"])
    _files(tmp_path / "run", EARLIER)
    before = _tree(tmp_path)
    original = sim.report.outputs.write_outputs
    monkeypatch.setattr(sim.report.outputs, "write_outputs", _after_writing(original, OSError(28, "No space left")))
    with pytest.raises(OSError):
        run(cfg, tmp_path / "run")
    with pytest.raises(OSError):
        run(cfg, tmp_path / "new" / "run")
    assert _tree(tmp_path) == before, f"changed: {sorted(set(_tree(tmp_path)) ^ set(before))}"
    monkeypatch.setattr(sim.report.outputs, "write_outputs", original)
    run(cfg, tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert "earlier" not in summary and not (tmp_path / "run" / "units.csv").exists(), sorted(_tree(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"], sorted(p.name for p in tmp_path.iterdir())


def _process_group_alive(pgid: int) -> list:
    """Processes of the process group ``pgid`` still running (Linux /proc)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(stat.parent.name)
    return alive


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to find the worker processes")
def test_ctrl_c_with_worker_processes(tmp_path):
    """Ctrl-C (SIGINT to the command's process group) while replications run in 2 worker processes: one line,
    exit status 130, no folder left, and no worker process left running."""
    import signal
    import subprocess
    import sys
    import time

    from support import ROOT

    # far more replications than 2 s can finish (8 took 2 s on a fast machine and the run ended before the signal):
    # the interrupt stops them, so the test costs no more
    args = ["scenario=single_queue", "experiment.replications=400", "experiment.jobs=2", "experiment.progress=false",
            "report.dir=run"]
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_sim.py"), *args], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".run.partial-") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended before it was interrupted: {proc.communicate()}"
        time.sleep(0.1)
    time.sleep(2.0)  # into the replications
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    lines = err.strip().splitlines()
    assert proc.returncode == 130 and lines == ["run_sim: error: interrupted; nothing was written"], (
        proc.returncode, err[-2000:])
    assert list(tmp_path.iterdir()) == [], sorted(p.name for p in tmp_path.iterdir())
    time.sleep(0.5)
    assert not _process_group_alive(proc.pid), f"worker processes left: {_process_group_alive(proc.pid)}"


def test_log_file_follows_the_report_folder(monkeypatch, capsys, tmp_path):
    """Hydra's log file (run_sim.log) is opened in the temporary folder: after the rename a record logged in the same
    process goes to the report folder's run_sim.log, and after a failed run it goes nowhere - never an error about
    a folder that no longer exists, never a folder created again."""
    import logging

    import sim.experiments.runner

    assert _main(monkeypatch, tmp_path, [*RUN, "report.dir=run"]) == 0, capsys.readouterr().err[-1500:]
    logging.getLogger("hotline").warning("a record after the run")
    assert "a record after the run" in (tmp_path / "run" / "run_sim.log").read_text(), sorted(_tree(tmp_path))
    monkeypatch.setattr(sim.experiments.runner, "run_experiment", _raising(MemoryError()))
    assert _main(monkeypatch, tmp_path, [*RUN, "report.dir=second"]) == 1
    logging.getLogger("hotline").warning("a record after the failed run")
    err = capsys.readouterr().err
    assert "Logging error" not in err and "FileNotFoundError" not in err, err[-1500:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"], sorted(p.name for p in tmp_path.iterdir())


def test_a_command_folder_is_new_empty_or_the_commands_own(tmp_path):
    """The folder of ``--name`` (calibration, forecast): a file, files without --overwrite, or another command's
    folder are refused naming --name; an empty folder or, with --overwrite, the command's own is accepted."""
    from sim.core.errors import ConfigError
    from sim.report.folders import check_command_folder

    folder = tmp_path / "mine"
    check_command_folder(folder, "forecast.json", False, "mine")  # new
    folder.mkdir()
    check_command_folder(folder, "forecast.json", False, "mine")  # empty
    (folder / "notes.txt").write_text("mine")
    for overwrite, rule in ((False, "holds files; give --overwrite"), (True, "is not a forecast folder")):
        with pytest.raises(ConfigError, match=rule) as info:
            check_command_folder(folder, "forecast.json", overwrite, "mine")
        assert info.value.key == "--name" and info.value.value == "mine"
    (folder / "forecast.json").write_text("{}")
    check_command_folder(folder, "forecast.json", True, "mine")
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="is a file"):
        check_command_folder(tmp_path / "file", "calibration.json", True, "file")
