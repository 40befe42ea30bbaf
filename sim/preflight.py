"""Checks of a command before Hydra touches the disk.

Hydra creates the run folder (or the sweep folder and ``multirun.yaml``) before the task sees its
configuration; :func:`preflight` therefore does, before Hydra starts, everything that can reject a command:
every configuration the command would run - one, or every variant of a ``-m`` sweep
(:func:`sim.config.compose.variants`) - is composed and checked as the run will check it (:func:`checked`),
and the report folder is checked (:mod:`sim.report.folders`).  Commands that run no task (``--help``,
``--cfg``, ``--info`` ...) are left to Hydra.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path
from typing import Any, List, Optional, Sequence

from sim.config.compose import compose, variants
from sim.config.errors import config_of, given_by, kept_unused
from sim.config.hydra_private import args_parser
from sim.config.hydra_setup import _run_dir, _sweep_dir, plan_form_overrides
from sim.config.paths import published, staging_folder
from sim.config.report_config import compare_to_match, compare_to_rule
from sim.config.rules import unused_note
from sim.config.scenario_files import ScenarioSet
from sim.core.errors import ConfigError, run_label
from sim.experiments.executors import check_resources
from sim.model.checks import validate
from sim.planning import check_plan, check_unit_plan
from sim.report.folders import Staging, check_report_folder, stage


def read_args(argv: Sequence[str]) -> Optional[argparse.Namespace]:
    """Hydra's own reading of the arguments; None when it cannot read them (Hydra reports why)."""
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return args_parser().parse_args(list(argv))
    except SystemExit:
        return None


def hydra_arguments(typed: Sequence[str]) -> List[str]:
    """The arguments handed to Hydra for the command line ``typed``: with the rules of
    :func:`sim.config.hydra_setup.plan_form_overrides` when Hydra can read them (otherwise unchanged, so
    that Hydra's message shows only what was typed)."""
    full = plan_form_overrides(typed)
    return full if read_args(full) is not None else list(typed)


def checked(node: Any, job: Sequence[str]) -> Any:
    """The configuration of one job, checked as the run will check it (schema, model, plan, resources); the
    scenario's settings that the job's overrides leave unused are kept (:func:`sim.config.errors.kept_unused`)."""
    cfg = config_of(compose(node, job), kept=lambda c: kept_unused(c, compose(node, []), job))
    validate(cfg)
    check_plan(cfg)  # a staffing policy's targets and shift patterns, against the requirement
    check_unit_plan(cfg)  # a unit staffing policy's targets, against what each unit can reach
    check_resources(cfg)  # a Dask scheduler must answer before anything is written
    return cfg


def check_compare_to(compare_to: str, jobs: Optional[Sequence[Sequence[str]]], sweep: bool) -> None:
    """``report.compare_to`` must name a variant of the sweep ``jobs`` (None: the sweeper chooses the variants,
    so the comparison judges it when the sweep ends), and is an error in a run that is no sweep (``sweep``
    false), which would ignore it."""
    if not str(compare_to).strip():
        return
    if not sweep:
        raise ConfigError("report.compare_to", compare_to, "used only by a sweep (-m), to choose the variant the "
                                                           "others are compared with; a single run ignores it")
    if jobs is not None and compare_to_match(compare_to, list(enumerate(jobs))) is None:
        raise ConfigError("report.compare_to", compare_to, compare_to_rule(compare_to, len(jobs)))


def in_variant(exc: ConfigError, job: Sequence[str], jobs: Sequence[Sequence[str]]) -> ConfigError:
    """``exc``, raised by the variant ``job`` of the sweep ``jobs``, naming that variant when its key is none
    that the command line gives (a key it gives is named as typed, a swept one with the variant's value:
    :func:`sim.config.errors.as_typed`): a scenario's key, or a rule between keys, broken in one variant only."""
    from sim.config.overrides import as_given

    if len(jobs) < 2 or exc.shown is not None or given_by(exc.key, job):
        return exc
    apart = [as_given(o) for o in job if not all(o in other for other in jobs)]
    return type(exc)(exc.key, exc.value, f"{exc.rule} (in the variant {' '.join(apart)})")


def preflight(argv: Sequence[str], scenarios: ScenarioSet, default_scenario: str) -> Optional[Staging]:
    """Reject a bad command before Hydra writes anything; return the report folder's staging.

    Parameters
    ----------
    argv : sequence of str
        The arguments Hydra will read (after :func:`hydra_arguments`).
    scenarios : ScenarioSet
        The scenarios read; ``default_scenario`` the one a command without ``scenario=`` uses.

    Returns
    -------
    Staging or None
        The temporary folder Hydra will write into and the report folder it becomes; None for a command that
        runs no task, or whose Hydra folder was given directly (``hydra.run.dir=...``: written in place).

    Raises
    ------
    sim.core.errors.ConfigError
        A variant breaks a rule, or the report folder is refused (:mod:`sim.report.folders`).
    """
    args = read_args(argv)
    if args is None or args.help or args.hydra_help or args.cfg or args.info or args.shell_completion \
            or args.experimental_rerun or args.config_path or args.config_name or args.config_dir:
        return None
    task = [o for o in args.overrides if not o.lstrip("+~").startswith(("hydra.", "hydra/"))]
    jobs = variants(task, scenarios.names)
    if args.multirun:
        for o in task:
            key, _, value = o.partition("=")
            if key.lstrip("+") in ("report.dir", "report.overwrite") and len({j[task.index(o)] for j in jobs}) > 1:
                raise ConfigError(key.lstrip("+"), value, "cannot vary in a sweep: every variant writes into the one "
                                                          "sweep folder (report.dir, or reports/multirun/<timestamp>); "
                                                          "give one value")
    elif len(jobs) > 1:
        swept = next(o for o in task if len(variants([o], scenarios.names)) > 1)
        raise ConfigError(swept, swept, "several values are a sweep: add -m; write a list as key=[a,b], or quote "
                                        "text holding a comma", shown=swept)
    other_sweeper = any(o.startswith("hydra/sweeper=") for o in args.overrides)
    if other_sweeper:
        jobs = jobs[:1]  # another sweeper chooses its own values: the first job stands for them
    notes: dict[str, None] = {}  # each once, in order
    for job in jobs:
        name = next((j.split("=", 1)[1] for j in job if j.lstrip("+").startswith("scenario=")), default_scenario)
        try:
            cfg = checked(scenarios.node(name), job)
        except ConfigError as exc:
            raise in_variant(exc, job, jobs) from None
        check_compare_to(cfg.report.compare_to, jobs if args.multirun and not other_sweeper else None,
                         bool(args.multirun))
        notes.setdefault(unused_note(cfg), None)
    for note in filter(None, notes):
        sys.stderr.write(f"{run_label()}: note: {note}\n")
    hydra_key = "hydra.sweep.dir" if args.multirun else "hydra.run.dir"
    given = next((o.split("=", 1)[1] for o in args.overrides if o.split("=", 1)[0] == hydra_key), None)
    if given is not None:  # Hydra's folder given directly: written in place
        check_report_folder(published(Path(given)), cfg.report.overwrite, hydra_key, given)
        return None
    final = Path(_sweep_dir(cfg.report.dir) if args.multirun else _run_dir(cfg.report.dir, cfg.scenario))
    typed = next((o.split("=", 1)[1] for o in args.overrides if o.lstrip("+").split("=", 1)[0] == "report.dir"), None)
    shown = typed if typed is not None else str(cfg.report.dir) if cfg.report.dir else f"{final} (the default folder)"
    return stage(final, cfg.report.overwrite, "report.dir", shown, staging=staging_folder(final))
