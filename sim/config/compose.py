"""A command's configurations as data, checked before Hydra writes anything.

Hydra composes a run's configuration from the scenario's node (:meth:`sim.config.scenario_files.ScenarioSet.node`:
its data over the schema's defaults) and the command's overrides.  :func:`compose` makes the same
configuration with the public OmegaConf API, as Hydra applies overrides (``OmegaConf.update``, merging a
mapping into a mapping; ``+`` and ``++`` may add a key), and :func:`variants` expands a ``-m`` sweep into its
jobs with Hydra's public override parser, in the order of Hydra's basic sweeper (the cartesian product of the
swept values, in the order given).  So every variant of a sweep is checked - keys, values, rules - before
Hydra creates a folder (:mod:`sim.preflight`), and :func:`sim.api.compose_config` needs no Hydra composition.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Sequence

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Transformer, ValueType
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.core.errors import ConfigError


def compose(node: Dict[str, Any], overrides: Sequence[str]) -> Dict[str, Any]:
    """``node`` (a scenario's whole data) with the overrides applied, resolved to plain data.

    Overrides of ``hydra`` and the scenario choice are Hydra's and are skipped.

    Raises
    ------
    ConfigError
        An override OmegaConf cannot apply (naming it as typed).
    """
    cfg = OmegaConf.create(node)
    OmegaConf.set_struct(cfg, True)
    for ov in OverridesParser.create().parse_overrides(list(overrides)):
        if ov.is_hydra_override() or ov.key_or_group in ("hydra", "scenario"):
            continue
        try:
            OmegaConf.update(cfg, ov.key_or_group, ov.value(), merge=True, force_add=ov.is_add() or ov.is_force_add())
        except OmegaConfBaseException as exc:
            raise ConfigError(ov.key_or_group, ov.input_line, " ".join(str(exc).splitlines()[0].split()),
                              shown=ov.input_line) from None
    try:
        data = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as exc:
        key = str(getattr(exc, "full_key", "") or "?")
        raise ConfigError(key, None, " ".join(str(exc).splitlines()[0].split())) from None
    assert isinstance(data, dict)
    return data  # type: ignore[return-value]


def variants(overrides: Sequence[str], scenarios: Sequence[str] = ()) -> List[List[str]]:
    """The jobs of a ``-m`` sweep over ``overrides`` (one job without a sweep), each a list of ``key=value``.

    ``scenarios`` are the scenario names a ``scenario=glob(...)`` sweep chooses from.  An interval sweep
    (for an optimising sweeper) is left out: its values are the sweeper's to choose.
    """
    lists = []
    for ov in OverridesParser.create().parse_overrides(list(overrides)):
        key = ov.get_key_element()
        if not ov.is_sweep_override():
            lists.append([f"{key}={ov.get_value_element_as_str()}"])
        elif ov.value_type is ValueType.GLOB_CHOICE_SWEEP:
            lists.append([f"{key}={v}" for v in ov.value().filter(list(scenarios))])  # type: ignore[union-attr]
        elif ov.is_range_sweep():
            lists.append([f"{key}={v}" for v in ov.sweep_iterator(transformer=Transformer.encode)])
        elif ov.is_discrete_sweep():
            lists.append([f"{key}={v}" for v in ov.sweep_string_iterator()])
    return [list(job) for job in itertools.product(*lists)]
