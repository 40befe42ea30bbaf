"""Checks of a command before Hydra touches the disk.

Hydra creates the run folder (or the sweep folder and ``multirun.yaml``) before
the task sees its configuration, so a command rejected inside the task would
leave folders behind, or write ``.hydra/`` into an earlier run's folder.
:func:`preflight` therefore does, before Hydra starts, everything that can
reject a command:

* compose every configuration the command would run - one, or every variant of
  a ``-m`` sweep, expanded with Hydra's own override parser and basic sweeper -
  and type-check and validate each (:func:`sim.model.checks.validate`), and check that a staffing
  policy can make its plan (:func:`sim.planning.check_plan`);
* check the report folder (:mod:`sim.report.folders`): a folder that is a file, cannot
  be created, has a name or path too long for the file system, or holds files is
  refused (unless ``report.overwrite=true``: it is then replaced when the run succeeds).

Hydra then writes into the report folder's temporary folder (the returned
:class:`~sim.report.folders.Staging`), which becomes the report folder at the end
of a successful run, and is removed by the command line if the run fails.

A rejected command raises before anything is written, so the disk stays as it
was.  Commands that run no task (``--help``, ``--cfg``, ``--info`` ...) are
left to Hydra.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from omegaconf import DictConfig, OmegaConf, open_dict

from sim.config.hydra_setup import command_line_overrides
from sim.config.paths import CONFIG_DIR, published
from sim.config.schema import Config
from sim.core.errors import ConfigError
from sim.experiments.executors import check_resources
from sim.model.checks import validate
from sim.planning import check_plan, check_unit_plan
from sim.report.folders import Staging, check_report_folder, stage

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def _read_args(argv: Sequence[str]) -> Optional[argparse.Namespace]:
    """Hydra's own reading of the arguments; None when it cannot read them (Hydra reports why)."""
    from hydra._internal.utils import get_args_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return get_args_parser().parse_args(list(argv))
    except SystemExit:
        return None


def hydra_arguments(typed: Sequence[str]) -> List[str]:
    """The arguments handed to Hydra for the command line ``typed``.

    The rules of :func:`sim.config.hydra_setup.command_line_overrides` apply when Hydra
    can read the arguments; otherwise they go unchanged, so that Hydra's message
    shows only what was typed.
    """
    full = command_line_overrides(typed)
    return full if _read_args(full) is not None else list(typed)


def _parse_args(argv: Sequence[str]) -> Optional[argparse.Namespace]:
    """Hydra's own reading of the arguments; None when they would not run a task."""
    args = _read_args(argv)
    if args is None:
        return None
    if (args.help or args.hydra_help or args.cfg or args.info or args.shell_completion
            or args.experimental_rerun or args.config_path or args.config_name or args.config_dir):
        return None
    return args


def _job_config(dcfg: DictConfig) -> Config:
    """The typed configuration of a composed config (its ``hydra`` node dropped), validated."""
    job = dcfg.copy()
    with open_dict(job):
        job.pop("hydra", None)
    cfg = OmegaConf.to_object(job)
    assert isinstance(cfg, Config)
    validate(cfg)
    check_plan(cfg)  # a staffing policy's targets and shift patterns, against the requirement
    check_unit_plan(cfg)  # a unit staffing policy's targets, against what each unit can reach
    check_resources(cfg)  # a Dask scheduler must answer before anything is written
    return cfg


def _variants(task: List[Any], master: DictConfig) -> List[List[str]]:
    """Every job of a ``-m`` sweep: its task overrides, as Hydra's basic sweeper expands them."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = master.hydra.sweeper.get("params") or {}
    parsed = OverridesParser.create().parse_overrides([f"{k}={v}" for k, v in params.items()]) + task
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def _text(o: Any) -> str:
    """An override as typed."""
    return str(o.input_line)


def _is_group_choice(o: Any) -> bool:
    """A config-group choice (``scenario=x``), as opposed to a value (``a.b=1``)."""
    return o.key_or_group == "scenario" or "/" in o.key_or_group or o.package is not None


def _check_sweep(hydra_ovr: List[str], task: List[Any], master: DictConfig) -> None:
    """Compose and validate every variant of the sweep.

    Variants that choose the same config groups (``scenario=...``) share one
    composition; each variant's values are applied to a copy of it, as Hydra
    applies them after composing.
    """
    from hydra import compose
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    groups: Dict[Tuple[str, ...], List[List[Any]]] = defaultdict(list)
    for job in _variants(task, master):
        parsed = parser.parse_overrides(job)
        groups[tuple(_text(o) for o in parsed if _is_group_choice(o))].append(
            [o for o in parsed if not _is_group_choice(o)])
    for choices, jobs in groups.items():
        base = compose(config_name="config", overrides=[*hydra_ovr, *choices])
        for values in jobs:
            cfg = copy.deepcopy(base)
            ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
            _job_config(cfg)


def _no_swept_folder(task: List[Any]) -> None:
    """A sweep writes every variant into its one sweep folder: ``report.dir`` cannot vary by variant."""
    for o in task:
        key = o.get_key_element().lstrip("+~")
        if o.is_sweep_override() and key in ("report.dir", "report.overwrite"):
            raise ConfigError(key, str(o.input_line).split("=", 1)[1],
                              "cannot vary in a sweep: every variant writes into the one sweep folder "
                              "(report.dir, or reports/multirun/<timestamp>); give one value")


def _folder(dcfg: DictConfig, argv_overrides: Sequence[str], multirun: bool) -> Tuple[Path, Path, str, str]:
    """The folder Hydra will create, the report folder it becomes, the key that chose it and its value as typed."""
    hydra_key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    folder = str(OmegaConf.select(dcfg, hydra_key))
    final = published(Path(folder))
    for arg in argv_overrides:
        if arg.split("=", 1)[0] == hydra_key:
            return Path(folder), final, hydra_key, arg.split("=", 1)[1]
    if dcfg.report.dir not in (None, ""):
        return Path(folder), final, "report.dir", str(dcfg.report.dir)
    return Path(folder), final, "report.dir", f"{final} (the default folder)"


def preflight(argv: Sequence[str]) -> Optional[Staging]:
    """Reject a bad command before Hydra writes anything; return the report folder's staging.

    Parameters
    ----------
    argv : sequence of str
        The arguments Hydra will read (after :func:`sim.config.hydra_setup.command_line_overrides`).

    Returns
    -------
    Staging or None
        The temporary folder Hydra will write into and the report folder it becomes
        (:mod:`sim.report.folders`); None for a command that runs no task, or whose Hydra
        folder was given directly (``hydra.run.dir=...``: written in place).

    Raises
    ------
    sim.core.errors.ConfigError
        A variant breaks a rule, or the report folder is refused (:mod:`sim.report.folders`).
    hydra.errors.HydraException, omegaconf.errors.OmegaConfBaseException
        An unknown key, a value of the wrong type, an unparsable override.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.override_parser.overrides_parser import OverridesParser

    args = _parse_args(argv)
    if args is None:
        return None
    parsed = OverridesParser.create().parse_overrides(args.overrides)
    hydra_ovr = [_text(o) for o in parsed if o.is_hydra_override()]
    task = [o for o in parsed if not o.is_hydra_override()]
    fixed = [_text(o) for o in task if not o.is_sweep_override()]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        if args.multirun:
            _no_swept_folder(task)
            master = compose(config_name="config", overrides=[*hydra_ovr, *fixed], return_hydra_config=True)
            if master.hydra.sweeper.get("_target_") == BASIC_SWEEPER:
                _check_sweep(hydra_ovr, task, master)
            dcfg = master
        else:
            dcfg = compose(config_name="config", overrides=[*hydra_ovr, *(_text(o) for o in task)],
                           return_hydra_config=True)
            _job_config(dcfg)
        folder, final, key, shown = _folder(dcfg, args.overrides, args.multirun)
        overwrite = bool(dcfg.report.overwrite)
    if folder == final:  # hydra.run.dir / hydra.sweep.dir given directly: Hydra writes there, in place
        check_report_folder(final, overwrite, key, shown)
        return None
    return stage(final, overwrite, key, shown, staging=folder)
