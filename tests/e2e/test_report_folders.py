"""Report folders are never damaged by a rejected or a repeated run.

Every case runs the command line once in its own folder; the folder's whole tree (names and
bytes, hidden files included) is recorded before and compared after:

* a command rejected for bad input - a single run or one variant of a sweep - leaves the disk
  exactly as it was: no ``.hydra/``, no ``multirun.yaml``, a user's empty folder kept, an earlier
  run's ``.hydra/`` untouched;
* an existing non-empty report folder is refused (one line naming ``report.dir`` and
  ``report.overwrite``), unless ``report.overwrite=true``, which clears it first (no stale
  ``units.csv`` / ``requests.csv`` of the earlier run) - and only when it is a report folder;
* ``report.dir`` naming a file, a path under a file, or a place where no folder can be created is
  one line, exit status 2.

The cases run one after another in one interpreter (``support.run_cli_batch``: ``sim.cli.main``
called with each case's arguments in the case's folder, as ``run_sim.py`` calls it).
"""

from __future__ import annotations

import json
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
    assert names == ["comparison.csv", "comparison.html", "comparison.md", "multirun.yaml", "variant_0",
                     "variant_1"], names


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
