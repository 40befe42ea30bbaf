"""What a command does around its simulation, kept to what it needs (speed figures: benchmarks/bench_startup.py).

* Hydra composes a run's configuration once (``hydra.main`` would compose it twice: once only to read the
  run mode); the check before the run composes no configuration with Hydra (:mod:`sim.config.compose` applies the overrides
  to the scenario's data with OmegaConf), and what it checks is what Hydra composes - for every scenario and
  for overrides of every kind.
* The start of a run imports no module it does not use: not :mod:`scipy.stats` (the t quantile
  comes from :mod:`scipy.special`, the same function), not :mod:`scipy.optimize`, not the sweep
  comparison (the sweep callback imports it when a sweep ends).
* ``config.yaml`` is the typed configuration's text: read back and checked, it is the same configuration.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from omegaconf import OmegaConf
from support import ROOT

import sim.config.hydra_setup as hs
from sim.analysis.kpis import t_quantile
from sim.api import config_yaml
from sim.config.compose import compose as compose_data
from sim.config.errors import config_of
from sim.config.overrides import prepare_overrides

SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
OVERRIDES = [["experiment.seed=11"], ["staffing.operators=7", "experiment.seed=3", "report.dir=out/x"],
             ["calls.handle_s={dist:exponential,mean:200}", "categories.all.handle_s={dist:gamma,mean:90,cv:0.5}"],
             ["+categories.extra.share=0.25", "categories.all.share=0.75", "categories.extra.direct_share=0.5"],
             ["arrivals.day_of_week=[1,1,1,1,1,0.5,0.5]", "staffing.shifts.0.count=3", "+kpi.targets.asa_s=30"]]


@pytest.fixture
def compositions(monkeypatch):
    """Counts the compositions Hydra makes (this test's own look inside Hydra); every test starts a command."""
    hs.new_command()
    made = []
    real = ConfigLoaderImpl._load_configuration_impl

    def counted(self, *args, **kwargs):
        made.append(kwargs.get("overrides", args[1] if len(args) > 1 else None))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ConfigLoaderImpl, "_load_configuration_impl", counted)
    yield made
    hs.new_command()


def test_a_run_composes_once(compositions, tmp_path, capsys):
    """``run_sim.py ...``: one composition, Hydra's run's (the check before the run makes none); the folder has Hydra's
    record of the run (``.hydra/``: the configuration, the overrides, and ``hydra.mode=RUN`` as Hydra's run sets it)."""
    from sim.cli import main

    main(["scenario=single_queue", "experiment.horizon_h=0.5", "experiment.warmup_h=0", "experiment.replications=1",
          "report.plots=false", "report.html=false", f"report.dir={tmp_path / 'run'}"])
    assert (tmp_path / "run" / "summary.json").is_file(), capsys.readouterr().err
    assert len(compositions) == 1, f"{len(compositions)} compositions: {compositions}"
    hydra = yaml.safe_load((tmp_path / "run" / ".hydra" / "hydra.yaml").read_text())["hydra"]
    assert hydra["mode"] == "RUN" and hydra["overrides"]["hydra"] == ["hydra.mode=RUN"]
    assert hydra["runtime"]["output_dir"] == str(tmp_path / "run") and hydra["job"]["name"] == "run_sim"
    assert "experiment.horizon_h=0.5" in yaml.safe_load((tmp_path / "run" / ".hydra" / "overrides.yaml").read_text())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_configuration_checked_is_the_one_hydra_composes(scenario):
    """The data the check before the run validates (:func:`sim.config.compose.compose`) is Hydra's composition of
    the same command (public ``hydra.compose``), with overrides that set, replace and add."""
    scenarios = hs.register()
    for overrides in OVERRIDES:
        typed = [f"scenario={scenario}", *overrides]
        try:
            prepared = hs.plan_form_overrides(prepare_overrides(typed, scenarios, scenario))
        except Exception:  # noqa: BLE001 - an override this scenario has no place for (e.g. its category)
            continue
        hs.store(scenarios, [scenario])
        with initialize_config_dir(config_dir=str(hs.CONFIG_DIR), version_base="1.3"):
            hydra_data = OmegaConf.to_container(compose(config_name="config", overrides=prepared), resolve=True)
        assert compose_data(scenarios.node(scenario), prepared) == hydra_data, overrides


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_config_yaml_is_the_configuration(scenario):
    """``config.yaml`` (the typed configuration's text) read back and checked is the same configuration."""
    from sim.api import compose_config

    cfg = compose_config(scenario, ["experiment.seed=11"])
    assert config_of(yaml.safe_load(config_yaml(cfg))) == cfg


def test_t_quantile_is_scipy_stats_t_ppf():
    """The t quantile from scipy.special is scipy.stats.t.ppf to the last bit (the intervals do not move)."""
    from scipy import stats

    dof = np.array([1, 2, 3, 4, 6, 9, 19, 29, 99, 2.5, 13.7, 1e6, np.inf])
    for q in (0.75, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.5617):
        assert np.array_equal(t_quantile(q, dof), stats.t.ppf(q, dof))
        assert float(t_quantile(q, 4)) == float(stats.t.ppf(q, 4))


def test_a_run_imports_no_module_it_does_not_use(tmp_path):
    """A run with two replications and its figures imports neither scipy.stats nor scipy.optimize, nor the sweep
    comparison."""
    heavy = ["scipy.stats", "scipy.optimize", "sim.report.comparison"]
    code = ("import json, runpy, sys\n"
            f"sys.argv = ['run_sim.py', 'scenario=single_queue', 'experiment.horizon_h=1', 'experiment.warmup_h=0',"
            f" 'experiment.replications=2', 'report.dir={tmp_path / 'run'}']\n"
            "runpy.run_path('run_sim.py', run_name='__main__')\n"
            f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "run" / "figures").is_dir()
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_help_reads_no_scenario_and_builds_no_schema(tmp_path):
    """``--help`` is a page of text: it lists the scenario files (a broken one too) without reading them, and imports
    neither the schema (pydantic, scipy) nor the scenario loader; an unknown option beside it is still refused."""
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "zz_broken.yaml").write_text("calls: [unclosed\n")
    heavy = ["pydantic", "scipy", "sim.config.schema", "sim.config.scenario_files"]
    code = ("import json, sys\nfrom sim.cli import main\nmain(['--help'])\n"
            f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    page = out.stdout.strip().splitlines()
    assert json.loads(page[-1]) == []
    assert any(ln.startswith("scenario: ") and ln.endswith("skills_and_callbacks, zz_broken") for ln in page), page
    bad = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "--help", "--nope"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "run_sim: error: --nope: unknown option; run_sim.py takes key=value overrides and the options -m/--multirun "
        "(a sweep), --cfg job, --info, --help"], bad.stderr


def test_help_and_unknown_option_name_the_installed_program(tmp_path):
    """Run as the installed ``hotline-sim`` (from a folder without run_sim.py), ``--help``'s usage and examples are
    hotline-sim commands and the schema is named where it is installed; error lines name hotline-sim too.
    Run as ``run_sim.py``, the page is the repository's."""
    import sim.cli as cli

    page = cli.help_text("hotline-sim")
    assert "run_sim.py" not in page, page
    examples = page.split("== Examples ==")[1].strip().splitlines()
    assert examples and all(ln.strip().startswith("hotline-sim ") for ln in examples), examples
    assert "Usage:  hotline-sim [scenario=NAME]" in page, page
    schema = page.split("Every key with its type, default and meaning: ")[1].split(" ")[0]
    assert schema.endswith("schema.py") and (tmp_path / schema).is_file(), schema  # an absolute path that exists
    assert "  python run_sim.py scenario=rainstorm scale=0.1" in cli.help_text("run_sim")
    launcher = tmp_path / "hotline-sim"
    launcher.write_text("import sys\nfrom sim.cli import main\nmain()\n")
    bad = subprocess.run([sys.executable, str(launcher), "--nope"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("hotline-sim: error: --nope: unknown option; hotline-sim "
                                                         "takes key=value overrides"), bad.stderr
    value = subprocess.run([sys.executable, str(launcher), "calls.retrial.probability=1.5"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert value.returncode == 2 and value.stderr.splitlines() == [
        "hotline-sim: error: calls.retrial.probability=1.5: must be in [0, 1]"], value.stderr
    assert not (tmp_path / "reports").exists() and not (tmp_path / "outputs").exists()
    helped = subprocess.run([sys.executable, str(launcher), "--help"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert helped.returncode == 0 and "  hotline-sim scenario=rainstorm scale=0.1" in helped.stdout, helped.stdout
