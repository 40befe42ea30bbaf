"""Registration of the schema, the scenario files and the resolvers with Hydra.

Call :func:`register` before Hydra composes a configuration (the command line
and :func:`sim.api.compose_config` both do).  Scenario files become the options
of the ``scenario`` config group with package ``_global_``, so their keys land
at the top level of the configuration, where command-line overrides apply on
top of them.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Optional

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from .config import register_schema
from .scenario import SCENARIO_DIR, load_scenario_nodes

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def _stamp() -> str:
    return _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")


def _run_dir(report_dir: Optional[str], scenario: str) -> str:
    return str(report_dir) if report_dir not in (None, "", "None") else f"reports/{scenario}/{_stamp()}"


def _sweep_dir(report_dir: Optional[str]) -> str:
    return str(report_dir) if report_dir not in (None, "", "None") else f"reports/multirun/{_stamp()}"


def register(scenario_dir: Path = SCENARIO_DIR) -> list[str]:
    """Register schema, scenarios and resolvers (idempotent); return the scenario names."""
    register_schema()
    nodes = load_scenario_nodes(scenario_dir)
    cs = ConfigStore.instance()
    for name, node in nodes.items():
        cs.store(group="scenario", name=name, node=node, package="_global_")
    if not OmegaConf.has_resolver("hotline_run_dir"):
        OmegaConf.register_new_resolver("hotline_run_dir", _run_dir)
        OmegaConf.register_new_resolver("hotline_sweep_dir", _sweep_dir)
    return sorted(nodes)


def mapping_override(arg: str) -> str:
    """``key={...}`` becomes ``++key={...}``: a mapping given whole may add entries (e.g. a new urgency class).

    Hydra merges a mapping override into the existing node and, in struct mode,
    refuses keys the node lacks; ``++`` lets a typed mapping (an urgency mix, a
    table per urgency class) gain valid entries, while the schema still checks
    every key of a dataclass node.
    """
    m = re.match(r"^([\w.\[\]/-]+)=\{", arg)
    return f"++{arg}" if m and not arg.startswith("hydra") else arg
