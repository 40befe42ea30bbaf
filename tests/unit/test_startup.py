"""What a command does around its simulation, kept to what it needs (speed figures: benchmarks/bench_startup.py).

* A run composes its configuration once: the check before the run, Hydra's reading of the run
  mode and Hydra's run share it (:func:`sim.config.hydra_setup._share_compositions`), and what
  each gets is what a composition of its own would have given - also for a scenario file changed
  between two compositions.
* The start of a run imports no module it does not use: not :mod:`scipy.stats` (the t quantile
  comes from :mod:`scipy.special`, the same function), not :mod:`scipy.optimize`, not the sweep
  comparison (the sweep callback imports it when a sweep ends).
* ``config.yaml`` of a run of the plan as given is the composition's text: equal to the text of
  the typed configuration (:func:`sim.api.config_yaml`), which it replaces.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.global_hydra import GlobalHydra
from hydra.types import RunMode
from omegaconf import OmegaConf, open_dict
from support import ROOT

import sim.config.hydra_setup as hs
from sim.analysis.kpis import t_quantile
from sim.api import config_yaml

OVERRIDES = [[], ["scenario=single_queue", "staffing.operators=7", "experiment.seed=3"],
             ["scenario=rainstorm", "scale=0.1", "report.dir=out/x", "hydra.job.name=other"]]


def _compose(overrides, run_mode=RunMode.RUN, validate=True):
    """Hydra's own composition of ``configs/config.yaml`` with ``overrides`` (the hydra node kept)."""
    with initialize_config_dir(config_dir=str(hs.CONFIG_DIR), version_base="1.3"):
        hydra = GlobalHydra.instance().hydra
        assert hydra is not None
        return hydra.compose_config("config", list(overrides), run_mode=run_mode,
                                    validate_sweep_overrides=validate)


@pytest.fixture
def compositions(monkeypatch):
    """Counts the compositions Hydra really makes; every test starts and ends a command."""
    hs.register()
    hs.new_command()
    made = []
    real = ConfigLoaderImpl._load_configuration_impl

    def counted(self, *args, **kwargs):
        made.append(kwargs.get("overrides", args[1] if len(args) > 1 else None))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ConfigLoaderImpl, "_load_configuration_impl", counted)
    yield made
    hs.new_command()


def test_a_run_composes_its_configuration_once(compositions, tmp_path, capsys):
    """``run_sim.py ...``: the check before the run, Hydra's run mode and Hydra's run make one composition."""
    from sim.cli import main

    main(["scenario=single_queue", "experiment.horizon_h=0.5", "experiment.warmup_h=0", "experiment.replications=1",
          "report.plots=false", "report.html=false", f"report.dir={tmp_path / 'run'}"])
    assert (tmp_path / "run" / "summary.json").is_file(), capsys.readouterr().err
    assert len(compositions) == 1, f"{len(compositions)} compositions: {compositions}"


@pytest.mark.parametrize("overrides", OVERRIDES, ids=lambda o: " ".join(o) or "defaults")
def test_a_shared_composition_is_what_a_composition_gives(compositions, overrides):
    """Served from the kept composition: the same run-mode config, Hydra's run with ``hydra.mode=RUN`` applied as
    Hydra applies it, and the multirun config Hydra reads the run mode from, as compositions of their own give."""
    shared = [_compose(overrides), _compose([*overrides, "hydra.mode=RUN"]),
              _compose(overrides, RunMode.MULTIRUN, validate=False), _compose(overrides)]
    assert len(compositions) == 1, compositions
    fresh = []
    for args in ([overrides], [[*overrides, "hydra.mode=RUN"]], [overrides, RunMode.MULTIRUN, False], [overrides]):
        hs.new_command()
        fresh.append(_compose(*args))
    assert len(compositions) == 5, compositions
    for a, b in zip(shared, fresh):
        assert OmegaConf.to_yaml(a) == OmegaConf.to_yaml(b)
    assert shared[1].hydra.mode == RunMode.RUN and shared[0].hydra.mode is None
    assert list(shared[1].hydra.overrides.hydra)[-1] == "hydra.mode=RUN"


def test_a_shared_composition_is_a_copy(compositions):
    """Changing the config a composition returned changes no later composition."""
    first = _compose(["scenario=single_queue"])
    with open_dict(first):
        first.experiment.seed = 999
        first.hydra.mode = RunMode.MULTIRUN
    again = _compose(["scenario=single_queue"])
    assert again.experiment.seed == 7 and again.hydra.mode is None
    assert len(compositions) == 1


def test_a_command_keeps_its_last_compositions_only(compositions):
    """Ten variants (a sweep in one process) keep the last few compositions, not ten: the latest is shared."""
    for seed in range(10):
        _compose([f"experiment.seed={seed}"])
    assert len(hs._COMPOSED) == hs._KEEP
    assert _compose(["experiment.seed=9"]).experiment.seed == 9 and len(compositions) == 10
    _compose(["experiment.seed=0"])
    assert len(compositions) == 11  # long dropped: composed anew


def test_a_changed_scenario_file_is_composed_anew(compositions, tmp_path):
    """A scenario file edited between two compositions of one command: the second reads the new file."""
    (tmp_path / "mine.yaml").write_text("experiment:\n  seed: 1\n", encoding="utf-8")
    try:
        hs.register(tmp_path)
        assert _compose(["scenario=mine"]).experiment.seed == 1
        (tmp_path / "mine.yaml").write_text("experiment:\n  seed: 22\n", encoding="utf-8")
        hs.register(tmp_path)
        assert _compose(["scenario=mine"]).experiment.seed == 22
        assert len(compositions) == 2
    finally:
        hs.register()


@pytest.mark.parametrize("scenario", sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml")))
def test_the_composition_text_is_the_typed_configuration_text(scenario):
    """``config.yaml`` of a run of the plan as given (the composition's text) = config_yaml of the typed config."""
    hs.register()
    with initialize_config_dir(config_dir=str(hs.CONFIG_DIR), version_base="1.3"):
        dcfg = compose(config_name="config", overrides=[f"scenario={scenario}", "experiment.seed=11"])
    assert OmegaConf.to_yaml(dcfg, resolve=True) == config_yaml(OmegaConf.to_object(dcfg))


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
