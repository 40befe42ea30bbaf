"""``pip install .`` gives a working program: configuration and scenarios ship in the package.

The project is copied (pyproject.toml, README.md, sim/, configs/, scenarios/) to a temporary folder,
built into a wheel and installed with ``pip install --no-deps --target`` (its dependencies are this
environment's); the installed ``hotline-sim`` then runs from another folder, where a ``scenarios/``
folder holds a user scenario that extends a built-in one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from support import ROOT

TINY = ["experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.replications=1", "report.plots=false",
        "report.html=false", "report.print_table=false"]


def _pip(*args: str, cwd: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"pip {' '.join(args)}: {proc.stderr[-2000:]}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel, install folder, a working folder outside the repository with a user scenario)."""
    tmp = tmp_path_factory.mktemp("pkg")
    src = tmp / "hotline-sim-copy"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("sim", "configs", "scenarios"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    _pip("wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), str(src), cwd=tmp)
    wheel = next((tmp / "dist").glob("hotline_sim-*.whl"))
    target = tmp / "site"
    _pip("install", "-q", "--no-deps", "--no-index", "--target", str(target), str(wheel), cwd=tmp)
    work = tmp / "elsewhere"
    (work / "scenarios").mkdir(parents=True)
    (work / "scenarios" / "my_city.yaml").write_text("extends: single_queue\nstaffing:\n  operators: 120\n")
    return wheel, target, work


def _hotline(installed, *args: str) -> subprocess.CompletedProcess:
    _, target, work = installed
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    env["PYTHONPATH"] = str(target)  # ahead of this environment's (editable) copy of the project
    return subprocess.run([str(target / "bin" / "hotline-sim"), *args], cwd=work, env=env, capture_output=True,
                          text=True, timeout=300)


def test_wheel_ships_configs_and_scenarios(installed):
    names = set(zipfile.ZipFile(installed[0]).namelist())
    for folder, package in (("configs", "sim/configs"), ("scenarios", "sim/scenarios")):
        for path in sorted((ROOT / folder).iterdir()):
            if path.suffix in (".yaml", ".md"):
                assert f"{package}/{path.name}" in names, f"the wheel lacks {package}/{path.name}"
    assert any(n.endswith("entry_points.txt") for n in names)
    for path in sorted((ROOT / "sim").rglob("*")):  # page templates, log formats, unit mappings of every part
        if path.suffix in (".j2", ".yaml") and "__pycache__" not in path.parts:
            rel = path.relative_to(ROOT).as_posix()
            assert rel in names, f"the wheel lacks {rel}"
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = zipfile.ZipFile(installed[0]).read(entry).decode()
    for script in ("hotline-sim", "hotline-calibrate", "hotline-forecast"):
        assert f"{script} = " in scripts, f"the wheel does not install {script}"


def test_installed_forecast_runs_from_another_folder(installed):
    """hotline-forecast on three weeks of counts: its page is rendered from the installed package's template."""
    _, target, work = installed
    lines = ["start,calls"] + [f"2024-03-{d:02d}T09:{m:02d}:00,{3 + d % 4}" for d in range(4, 23) if d not in
                               (9, 10, 16, 17) for m in range(0, 60, 5)]
    (work / "counts.csv").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run([str(target / "bin" / "hotline-forecast"), "counts.csv", "--name", "pkg"], cwd=work,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = (work / "reports" / "forecast" / "pkg" / "forecast.html").read_text()
    assert "<h1>Forecast <code>pkg</code></h1>" in page


def test_installed_program_runs_from_another_folder(installed):
    """hotline-sim --help and a tiny run of a user scenario (./scenarios/my_city.yaml extends single_queue)."""
    _, target, work = installed
    which = _hotline(installed, "--help")
    assert which.returncode == 0, which.stderr[-2000:]
    for name in ("beijing_baseline", "single_queue", "my_city"):
        assert name in which.stdout, f"--help does not list {name}: {which.stdout[:600]}"
    assert "run_sim.py" not in which.stdout and "  hotline-sim scenario=rainstorm" in which.stdout, (
        f"the installed --help names a file the folder does not have: {which.stdout}")
    run = _hotline(installed, "scenario=my_city", *TINY, "report.dir=out")
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads((work / "out" / "summary.json").read_text())
    assert (work / "out" / "report.md").read_text().startswith("# Scenario `my_city`"), (
        "report.md was not rendered from the installed package's templates")
    cfg = yaml.safe_load((work / "out" / "config.yaml").read_text())
    assert summary["scenario"] == "my_city" and cfg["staffing"]["operators"] == 120, (summary["scenario"], cfg)
    assert cfg["calls"]["patience_s"]["mean"] == 90, "the user scenario did not extend single_queue"
    origin = subprocess.run([sys.executable, "-c", "import sim.config.paths as p; print(p.CONFIG_DIR)"], cwd=work,
                            env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True, text=True)
    assert origin.stdout.strip() == str(target / "sim" / "configs"), (
        f"the run did not use the installed package's configuration: {origin.stdout} {origin.stderr[-500:]}")
