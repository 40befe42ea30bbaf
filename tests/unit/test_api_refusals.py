"""``sim.api.compose_config`` refuses, as the command line does, what it cannot apply: one line naming the override."""

from __future__ import annotations

import pytest

from sim.api import compose_config
from sim.core.errors import ConfigError


@pytest.mark.parametrize("overrides, start, rule", [
    (["staffing.operators=40,45"], "staffing.operators=40,45", "several values are a sweep"),
    (["hydra.run.dir=/tmp/elsewhere"], "hydra.run.dir=/tmp/elsewhere", "apply to the command line only"),
    (["hydra/job_logging=disabled"], "hydra/job_logging=disabled", "apply to the command line only"),
    ("scale=0.1", "overrides='scale=0.1'", "must be a list of strings"),
])
def test_what_the_api_cannot_apply_is_refused_in_one_line(overrides, start, rule):
    """A Hydra setting (its run folder, its logging) was accepted and did nothing outside the command line."""
    with pytest.raises(ConfigError) as info:
        compose_config("single_queue", overrides)
    msg = str(info.value)
    assert msg.startswith(start) and rule in msg and "\n" not in msg, msg


@pytest.mark.parametrize("override", ["calls.handle_s.mean=0", "experiment.warmup_h=1e9", "staffing.shrinkage=1"])
def test_the_api_names_the_override_as_typed_like_the_command_line(override, capsys):
    """compose_config is documented to give the command line's one-line errors; for a rule of the checks (a range,
    a rule across fields) it named the composed value (``calls.handle_s.mean=0.0``) where the command line says
    ``calls.handle_s.mean=0``, the argument as typed."""
    from sim.cli import main

    with pytest.raises(ConfigError) as info:
        compose_config("single_queue", [override])
    with pytest.raises(SystemExit):
        main(["scenario=single_queue", override, "report.dir=/nonexistent/never"])
    line = capsys.readouterr().err.strip()
    assert str(info.value).startswith(f"{override}: ") and line == f"run_sim: error: {info.value}", line


def test_a_sweep_given_to_the_api_is_not_told_to_add_a_command_line_flag():
    with pytest.raises(ConfigError) as info:
        compose_config("single_queue", ["staffing.operators=40,45"])
    assert "compose one configuration per value" in str(info.value) and "add -m" not in str(info.value)


def test_a_script_without_a_main_guard_gets_one_clear_error(tmp_path):
    """A script that runs at import, with replications in worker processes: each worker imports the script
    again and dies, and run() went on to write a report of no replication (an IndexError in write_outputs).
    It now raises one error naming every replication's failure and the guard the script lacks; nothing is
    written."""
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "study.py"
    out = tmp_path / "out"
    script.write_text(
        "from sim.api import compose_config, run\n"
        "cfg = compose_config('single_queue', ['experiment.horizon_h=3', 'experiment.warmup_h=0',\n"
        "                     'experiment.replications=2', 'experiment.jobs=2', 'report.plots=false'])\n"
        f"run(cfg, out_dir={str(out)!r})\n")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 1 and last.startswith("RuntimeError: every replication failed"), done.stderr[-2000:]
    assert "if __name__ == '__main__'" in last and not out.exists()


def test_code_read_from_stdin_runs_its_replications_in_one_process():
    """``python - <<EOF`` (code on stdin) with experiment.jobs=2: each spawned worker tried to run the file
    '<stdin>', died, and run() raised "every replication failed" with a hint about a __main__ guard that would not
    have helped.  The replications now run one after another, with the same results and a note saying why."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("from sim.api import compose_config, run\n"
            "c = compose_config('single_queue', ['experiment.horizon_h=2', 'experiment.warmup_h=0.5',\n"
            "                   'experiment.replications=2', 'experiment.jobs=JOBS', 'experiment.progress=false'])\n"
            "e = run(c)\n"
            "print(len(e.replications), e.summary['service_level']['mean'], e.notes.get('executor_note'))\n")
    root = Path(__file__).resolve().parents[2]
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    piped = subprocess.run([sys.executable, "-"], input=code.replace("JOBS", "2"), capture_output=True, text=True,
                           timeout=300, env=env)
    assert piped.returncode == 0, piped.stderr[-2000:]
    n, level, note = piped.stdout.split(" ", 2)
    serial = subprocess.run([sys.executable, "-c", code.replace("JOBS", "1")], capture_output=True, text=True,
                            timeout=300, env=env)
    assert n == "2" and serial.stdout.split(" ", 2)[1] == level
    assert note.startswith("experiment.jobs=2: the program was read from <stdin>, which worker processes cannot")


@pytest.mark.parametrize("change, line", [
    (lambda c: setattr(c.calls.retrial, "probability", 5.0), "calls.retrial.probability=5.0: must be in [0, 1]"),
    (lambda c: c.model_copy(update={"scale": -1.0}), "scale=-1.0: must be > 0"),
    (lambda c: setattr(c.staffing, "operators", -3), "staffing.operators=-3: must be >= 0"),
])
def test_a_configuration_changed_after_compose_is_checked_by_run(change, line, tmp_path):
    """A notebook changes the configuration in place (``cfg.calls.retrial.probability = 5``) or copies it with an
    update: run() simulated it unchecked (scale -1 ran, offering no call, and reported it); it now refuses it with
    the line compose_config would give, before anything runs or is written."""
    from sim.api import run

    cfg = compose_config("single_queue", ["experiment.horizon_h=2", "experiment.warmup_h=0.5",
                                          "experiment.replications=2", "experiment.progress=false"])
    changed = change(cfg) or cfg
    with pytest.raises(ConfigError) as info:
        run(changed, out_dir=tmp_path / "out")
    assert str(info.value).startswith(line), str(info.value)
    assert not (tmp_path / "out").exists()


def test_a_valid_change_after_compose_runs():
    from sim.api import run

    cfg = compose_config("single_queue", ["experiment.horizon_h=2", "experiment.warmup_h=0.5",
                                          "experiment.replications=2", "experiment.progress=false"])
    cfg.staffing.operators = 100
    assert run(cfg).cfg.staffing.operators == 100
    with pytest.raises(ConfigError, match="must be a configuration of compose_config"):
        run({"scale": 1.0})  # type: ignore[arg-type]
