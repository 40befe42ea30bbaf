"""Registration of the schema, the scenario files and the resolvers with Hydra.

Call :func:`register` before Hydra composes a configuration (the command line
and :func:`sim.api.compose_config` both do).  Scenario files become the options
of the ``scenario`` config group with package ``_global_``, so their keys land
at the top level of the configuration, where command-line overrides apply on
top of them.  A broken scenario file is not registered: :func:`register`
returns its error, which :func:`sim.overrides.prepare_overrides` raises when a
run uses that scenario.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Optional

import yaml
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from .config import register_schema
from .scenario_files import SCENARIO_DIR, ScenarioSet, load_scenarios

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def default_scenario() -> str:
    """The scenario a run uses when the command line names none (the defaults list of configs/config.yaml)."""
    primary = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text(encoding="utf-8"))
    for entry in primary.get("defaults", []):
        if isinstance(entry, dict) and "scenario" in entry:
            return str(entry["scenario"])
    raise RuntimeError("configs/config.yaml names no default scenario")  # pragma: no cover - a packaging bug


def _stamp() -> str:
    return _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")


def _run_dir(report_dir: Optional[str], scenario: str) -> str:
    return str(report_dir) if report_dir not in (None, "", "None") else f"reports/{scenario}/{_stamp()}"


def _sweep_dir(report_dir: Optional[str]) -> str:
    return str(report_dir) if report_dir not in (None, "", "None") else f"reports/multirun/{_stamp()}"


def register(scenario_dir: Path = SCENARIO_DIR) -> ScenarioSet:
    """Register schema, scenarios and resolvers (idempotent); return the scenarios read, usable and broken."""
    register_schema()
    scenarios = load_scenarios(scenario_dir)
    cs = ConfigStore.instance()
    for name, data in scenarios.data.items():
        cs.store(group="scenario", name=name, node=data, package="_global_")
    if not OmegaConf.has_resolver("hotline_run_dir"):
        OmegaConf.register_new_resolver("hotline_run_dir", _run_dir)
        OmegaConf.register_new_resolver("hotline_sweep_dir", _sweep_dir)
    return scenarios
