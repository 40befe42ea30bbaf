"""A capacity planner's odd inputs: each is refused in one line before anything is written, or does what it says.

* an error of one variant of a sweep on a key the command line does not give (a scenario's surge after a swept
  horizon, a scenario of a swept list) names the variant: it used to name only the scenario's key;
* an empty plan typed (``staffing.shifts=[]``) is named as typed: the line named ``staffing.operators=0``;
* Ctrl-C with Hydra's folder given directly (written in place) says that folder may hold part of a report.

The cases run one after another in one interpreter (``support.run_cli_batch``), each in its own folder; a
refused case must leave its folder as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import run_cli_batch

RUN = ["scenario=single_queue", "experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.replications=2",
       "experiment.progress=false", "report.plots=false", "report.html=false", "report.print_table=false",
       "report.xlsx=false"]

# id -> (arguments, words the one error line holds; None: the command runs)
CASES = {
    # a scenario's own key breaks a rule in one variant of a sweep: the line says which variant
    "sweep_variant_scenario_key": (["-m", "scenario=single_queue,rainstorm", "experiment.horizon_h=24",
                                    "report.dir=sweep"],
                                   ["arrivals.surges[0].start_h=24.0:", "(in the variant scenario=rainstorm)"]),
    # an empty plan form typed empties the scenario's other forms: the line names what was typed, not
    # staffing.operators=0 (which the command line never gave)
    "empty_shifts_typed": ([*RUN, "staffing.shifts=[]", "report.dir=run"],
                           ["run_sim: error: staffing.shifts=[]: no staffing"]),
    "empty_team_plan_typed": (["scenario=beijing_baseline", "scale=0.01", "feedback.staffing.half_hourly=[]",
                               "report.dir=run"], ["run_sim: error: feedback.staffing.half_hourly=[]: no staffing"]),
    "sweep_variant_swept_key": (["-m", "scenario=rainstorm", "scale=0.1", "experiment.horizon_h=48,24",
                                 "report.dir=sweep"], ["(in the variant experiment.horizon_h=24)"]),
}


def _tree(d: Path) -> dict:
    return {str(p.relative_to(d)): (None if p.is_dir() else p.read_bytes()) for p in sorted(d.rglob("*"))}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """name -> (folder, tree before, completed process, tree after)."""
    folders = {name: tmp_path_factory.mktemp(name) for name in CASES}
    before = {name: _tree(d) for name, d in folders.items()}
    procs = run_cli_batch([(folders[name], args) for name, (args, _) in CASES.items()])
    return {name: (folders[name], before[name], proc, _tree(folders[name])) for name, proc in zip(CASES, procs)}


@pytest.mark.parametrize("name", [k for k, (_, words) in CASES.items() if words is not None])
def test_refused_in_one_line_before_anything_is_written(results, name):
    d, before, proc, after = results[name]
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("run_sim: error: "), proc.stderr[-2000:]
    assert all(w in lines[0] for w in CASES[name][1]), lines[0]
    assert after == before, f"{name}: wrote {sorted(set(after) - set(before))}"


@pytest.mark.parametrize("where", ["hydra.run.dir", None])
def test_ctrl_c_says_what_it_left(monkeypatch, capsys, tmp_path, where):
    """Ctrl-C once the run started: with Hydra's folder given directly (written in place, no temporary folder)
    the line says that folder may hold part of a report - it used to say "nothing was written" beside the
    files it left; with report.dir, nothing is left and the line says so."""
    import sys

    import sim.api  # noqa: F401 - binds the real run_experiment before the patch (it imports it by name)
    import sim.cli
    import sim.experiments.runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiments.runner, "run_experiment", interrupted)  # what the command line calls
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sim.cli, "_FAILED_RUNS", set())
    monkeypatch.setattr(sys, "argv", ["run_sim.py"])
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    folder = f"{where}=inplace" if where else "report.dir=staged"
    with pytest.raises(SystemExit) as info:
        sim.cli.main([*RUN, folder])
    lines = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 130 and len(lines) == 1, lines
    if where:
        assert (tmp_path / "inplace").is_dir(), "the case must leave a folder behind"
        assert "hydra.run.dir=inplace" in lines[0] and "may hold part of a report" in lines[0], lines[0]
        assert "nothing was written" not in lines[0], lines[0]
    else:
        assert lines[0] == "run_sim: error: interrupted; nothing was written" and not any(tmp_path.iterdir())
