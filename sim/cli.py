"""The command line: ``python run_sim.py [scenario=NAME] [key=value ...] [-m]``.

A thin shell around Hydra: :func:`prepare_argv` checks the options and every override before Hydra sees them
(:mod:`sim.config.overrides`), :mod:`sim.preflight` everything else that can reject a command before Hydra
creates a folder; the task checks the composed configuration (:func:`sim.config.errors.config_of`), runs the
experiment, writes the report folder and prints the KPI table.  Hydra re-raises its errors
(``HYDRA_FULL_ERROR=1``) so that :func:`main` prints each refusal as one line on stderr, exit status 2.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn, Optional, Sequence

from omegaconf import DictConfig, OmegaConf

from sim.core.errors import BadInput, ConfigError, RunFailed, failure_line, run_label

log = logging.getLogger("hotline")
EXIT_BAD_INPUT = 2


def task(dcfg: DictConfig) -> dict[str, Any]:
    """Run one configuration as composed by Hydra; return its summary (used by sweeps).

    A run that cannot finish for want of memory or through a disk error raises :class:`RunFailed`
    (one line, exit status 1), which Hydra passes on as it is, like :class:`BadInput`.
    """
    from sim.report.drawing import stop_early

    try:
        return _run(dcfg)
    except (MemoryError, OSError) as exc:
        raise RunFailed(failure_line(exc)) from None
    finally:
        stop_early()  # a drawing child the run did not use


def _run(dcfg: DictConfig) -> dict[str, Any]:
    """The task's work: validate, plan, simulate, write the report folder and print the KPI table."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from sim.api import config_yaml
    from sim.config.errors import config_of
    from sim.config.paths import is_staging, published
    from sim.experiments.runner import run_experiment
    from sim.model.checks import validate
    from sim.planning import check_plan, check_unit_plan, make_plan, make_unit_plan
    from sim.report.folders import publish
    from sim.report.outputs import write_outputs
    from sim.report.text import kpi_table, precision_note

    task_started = time.perf_counter()
    job = {str(k): v for k, v in OmegaConf.to_container(dcfg, resolve=True).items()  # type: ignore[union-attr]
           if k != "hydra"}
    out_dir = Path(HydraConfig.get().runtime.output_dir)  # the report folder's temporary folder (sim.report.folders)
    report_dir = published(out_dir)  # where the report will be once the run succeeds
    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    try:
        cfg = config_of(job, kept=None)  # sim.preflight checked it before Hydra started, its unused settings too
        validate(cfg)
        started = time.perf_counter()  # the checks compute what the plans reuse (the unit approximation)
        check_plan(cfg)
        check_unit_plan(cfg)
    except ConfigError as exc:
        raise BadInput(str(exc)) from None
    try:
        plan = make_plan(cfg, line=_note)
        units = make_unit_plan(plan.cfg, line=_note)
    except RuntimeError as exc:  # a simulation of the optimisation failed, the shift solver found nothing
        raise BadInput(str(exc)) from None
    planning_s = time.perf_counter() - started
    run_cfg = units.cfg if units is not None else plan.cfg
    if run_cfg.report.plots or run_cfg.report.html:  # matplotlib imported in a child while this process simulates
        from sim.report.drawing import start_early
        from sim.report.figures.common import pyplot

        start_early(pyplot)  # the imports the drawing needs
    exp = run_experiment(run_cfg)
    policies = f"staffing.policy={cfg.staffing.policy}" + (
        f", unit_staffing.policy={cfg.unit_staffing.policy}" if units is not None and units.policy != "plan" else "")
    for key in ("executor_note", "policy_note"):
        if exp.notes.get(key):
            sys.stderr.write(f"{run_label()}: note: {exp.notes[key]}\n")
    if not exp.replications:
        first = exp.failures[0].error
        if all(f.error.startswith("MemoryError") for f in exp.failures):
            raise RunFailed(f"out of memory in every replication (seed {cfg.experiment.seed}): {first}; "
                            "nothing was written")
        raise BadInput(f"every replication failed (seed {cfg.experiment.seed}); first: {first}")
    for failure in exp.failures:
        sys.stderr.write(f"{run_label()}: warning: {failure.describe()}\n")
    report_started = time.perf_counter()
    report_parts: dict[str, float] = {}
    summary = write_outputs(exp, out_dir, config_yaml(run_cfg), staffing=plan, unit_plan=units,
                            timings=report_parts)
    if not multirun:  # a sweep's folder becomes the report folder when the sweep ends (sim.sweep_callback)
        from sim.report.index import refresh_index_for

        if is_staging(out_dir):
            report_dir = publish(out_dir, report_dir, cfg.report.overwrite)
        refresh_index_for(report_dir)
    from sim.report.timing import timing_text

    now = time.perf_counter()
    took = timing_text(now - (_COMMAND_STARTED if _COMMAND_STARTED is not None and not multirun else task_started),
                       {f"planning ({policies})": planning_s, "simulation": exp.wall_s,
                        "report": now - report_started}, report_parts)
    missed = precision_note(summary)
    if missed:
        sys.stderr.write(f"{run_label()}: warning: {missed}\n")
    if cfg.report.print_table:
        page = report_dir / "report.html" if cfg.report.html else report_dir
        if multirun:  # the sweep ends with the variants side by side
            from sim.config.overrides import shown_overrides

            shown = " ".join(shown_overrides(HydraConfig.get().overrides.task)) or "no overrides"
            print(f"{report_dir.name} ({shown}): "
                  f"{took[0].lower()}{took[1:]}; report: {page}")
        else:
            print(kpi_table(summary), end="")
            print(f"{took}. Report: {page}")
    if exp.failures:
        note_failed_run(str(report_dir))
    return summary


def run_once(overrides: Sequence[str], config_dir: str) -> None:
    """One run composed once through Hydra's public API, as ``hydra.main`` runs it.

    ``hydra.main`` composes a run's configuration twice: once only to read ``hydra.mode``.  Here the
    configuration is composed once (``hydra.compose``) and the job run by ``hydra.core.utils.run_job``,
    the function Hydra's own run and its launchers use: the same report folder, ``.hydra/`` files,
    job logging, ``hydra.callbacks`` and errors.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.utils import configure_log, run_job
    from hydra.types import HydraContext

    from sim.config.hydra_private import callbacks as hydra_callbacks

    with initialize_config_dir(version_base="1.3", config_dir=config_dir, job_name="run_sim"):
        cfg = compose("config", overrides=[*overrides, "hydra.mode=RUN"], return_hydra_config=True)  # as Hydra's
        configure_log(cfg.hydra.hydra_logging, cfg.hydra.verbose)
        callbacks = hydra_callbacks(cfg)
        callbacks.on_run_start(config=cfg, config_name="config")
        context = HydraContext(config_loader=GlobalHydra.instance().config_loader(), callbacks=callbacks)
        ret = run_job(hydra_context=context, task_function=task, config=cfg, job_dir_key="hydra.run.dir",
                      job_subdir_key=None)
        callbacks.on_run_end(config=cfg, config_name="config", job_return=ret)
        _ = ret.return_value  # the task's exception, raised again


def _note(message: str) -> None:
    """A planning message (an optimisation's iteration, a warning) as a line on stderr."""
    sys.stderr.write(f"{run_label()}: {message}\n")


_FAILED_RUNS: set[str] = set()
#: ``hydra.run.dir=...`` / ``hydra.sweep.dir=...`` as given, once a command writing there in place has started.
_IN_PLACE: Optional[str] = None
#: When :func:`run_command` started (the whole command's time: reading the scenario, Hydra, the checks).
_COMMAND_STARTED: Optional[float] = None


def note_failed_run(folder: str) -> None:
    """Remember a run folder whose experiment lost replications (the exit status becomes 1).

    Called by the task in this process, and by the sweep callback for jobs that other
    processes ran (joblib, submitit, Ray launchers).
    """
    _FAILED_RUNS.add(folder)


def one_line(exc: BaseException, argv: Sequence[str]) -> str:
    """A one-line description of a configuration error, naming the argument as typed (key, value, rule)."""
    if isinstance(exc, ConfigError):
        return str(exc)
    text = str(exc)
    lines = str(getattr(exc.__cause__, "msg", None) or exc.__cause__ or text).splitlines() or [type(exc).__name__]
    arg = next((a for a in argv if a and a in text), None)
    return f"{arg or 'configuration'}: {' '.join(lines[0].split())}"


def _split_options(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Hydra's options (``-m``, ``--cfg job``, ...) and the overrides, each option checked.

    Options may come before, between or after the overrides (Hydra's own parser stops taking
    overrides at the first option); an unknown option or a bad option value is a ConfigError.
    """
    import difflib

    from sim.config.hydra_private import args_parser

    actions = {opt: act for act in args_parser()._actions for opt in act.option_strings}
    options: list[str] = []
    overrides: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            overrides.extend(argv[i:])
            break
        if not arg.startswith("-") or arg == "-":
            overrides.append(arg)
            continue
        name, eq, value = arg.partition("=")
        act = actions.get(name)
        if act is None:
            close = difflib.get_close_matches(name, list(actions), n=1, cutoff=0.75)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ConfigError(arg, arg, f"unknown option; {hint}{program()} takes key=value overrides and the "
                                        "options -m/--multirun (a sweep), --cfg job, --info, --help", shown=arg)
        options.append(name)
        if act.nargs == 0:
            if eq:
                raise ConfigError(arg, arg, f"{name} takes no value", shown=arg)
            continue
        if not eq:
            nxt = argv[i] if i < len(argv) else None
            if act.nargs == "?" and (nxt is None or nxt not in (act.choices or ())):
                continue  # an optional value that is not given (--info alone)
            if nxt is None or nxt.startswith("-"):
                choices = f" ({' | '.join(map(str, act.choices))})" if act.choices else ""
                raise ConfigError(arg, arg, f"needs a value{choices}", shown=arg)
            value = nxt
            i += 1
        if act.choices is not None and value not in act.choices:
            raise ConfigError(arg, value, f"{value!r} is not one of {' | '.join(map(str, act.choices))}",
                              shown=f"{name} {value}")
        options.append(value)
    return options, overrides


def prepare_argv(argv: Sequence[str]) -> tuple[list[str], list[str], Any]:
    """Check the command line before Hydra sees it; return (arguments for Hydra, overrides as typed, scenarios).

    Raises ConfigError (naming the argument as typed) for an unknown option, an override that cannot be parsed
    or names what the schema or the scenario lacks, or a broken scenario file the run uses; gives Hydra the
    scenarios the command uses.
    """
    from sim.config.hydra_setup import default_scenario, register, store
    from sim.config.overrides import prepare_overrides, scenario_choices
    from sim.config.paths import scenario_paths

    options, overrides = _split_options(argv)
    named, files = scenario_paths(overrides)  # scenario=path/to/file.yaml: the file's scenario
    scenarios = register(files=files)
    prepared = prepare_overrides(named, scenarios, default_scenario())
    chosen = scenario_choices(named, default_scenario(), scenarios.names)
    if {"-m", "--multirun"} & set(options) and default_scenario() in scenarios.data:
        # a sweep's first composition is of the primary config's default scenario, the sweep's values come after
        chosen = [*chosen, default_scenario()]
    store(scenarios, chosen)
    return [*options, *prepared], overrides, scenarios


INSTALLED = "hotline-sim"  # the installed program (pyproject.toml's [project.scripts])


def program() -> str:
    """The command as the user typed it: ``hotline-sim`` when installed, else ``run_sim.py``."""
    return INSTALLED if run_label() == INSTALLED else "run_sim.py"


def help_text(prog: Optional[str] = None) -> str:
    """The ``--help`` page: the template of ``configs/config.yaml`` (``hydra.help.template``) with the scenarios.

    Printed by this module rather than by Hydra, whose help composes the configuration and lists every
    config group (seconds of work for a page of text).  ``prog`` is the command as invoked (default:
    :func:`program`): run as the installed ``hotline-sim``, the usage and examples name it instead of
    ``python run_sim.py`` (no such file in the folder it runs in), and the schema is named by its installed path.
    """
    import string

    import yaml

    from sim.config.paths import CONFIG_DIR, scenario_dirs

    template = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text(encoding="utf-8"))["hydra"]["help"]["template"]
    names = sorted({p.stem for d in scenario_dirs() for p in d.glob("*.yaml")})  # the files, unread (as register)
    text = string.Template(template).safe_substitute(APP_CONFIG_GROUPS=f"scenario: {', '.join(names)}")
    if (prog or program()) != INSTALLED:
        return text
    schema = Path(__file__).resolve().parent / "config" / "schema.py"
    text = text.replace("     (installed: hotline-sim ...)", "").replace("python run_sim.py", INSTALLED)
    return text.replace("sim/config/schema.py", str(schema)).replace("docs/kpis.md", "docs/kpis.md in the repository")


def as_typed(exc: ConfigError, typed: Sequence[str]) -> str:
    """The error's line, naming the argument as typed when the command line gave the key it names
    (:func:`sim.config.errors.as_typed`)."""
    from sim.config.errors import as_typed as named

    return str(named(exc, typed))


def fail(message: str, status: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with ``status`` (2: bad input)."""
    sys.stderr.write(f"{run_label()}: error: {message}\n")
    sys.exit(status)


def main(argv: Optional[Sequence[str]] = None, started: Optional[float] = None) -> None:
    """Entry point of ``run_sim.py``: :func:`run_command`, and Ctrl-C at any moment as one line (exit status 130)."""
    try:
        run_command(argv, started)
    except KeyboardInterrupt:
        if _IN_PLACE is not None:
            fail(f"interrupted; {_IN_PLACE}: Hydra's folder given directly is written in place, without a temporary "
                 "folder, and may hold part of a report (delete it, or run again with report.overwrite=true)",
                 status=130)
        fail("interrupted; nothing was written", status=130)


def run_command(argv: Optional[Sequence[str]] = None, started: Optional[float] = None) -> None:
    """Check and run one command line.

    A run that fails after the checks leaves no report folder: Hydra writes into the folder's
    temporary folder, which the task renames into place at the end (:mod:`sim.report.folders`) and
    which is removed here on any failure - bad input found late (exit status 2), a run that could
    not finish (out of memory, a disk error: one line, exit status 1), Ctrl-C (exit status 130), or
    an internal error (its traceback, exit status 1).  ``started`` (``time.perf_counter()``) is when the
    command started, for the time its last line gives (default: now).
    """
    global _COMMAND_STARTED, _IN_PLACE
    _IN_PLACE = None
    _COMMAND_STARTED = started if started is not None else time.perf_counter()
    import hydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        if {"--help", "-h"} & set(_split_options(sys.argv[1:] if argv is None else argv)[0]):
            sys.stdout.write(help_text())  # a page of text: no scenario read, no override checked (as Hydra's)
            return
    except ConfigError as exc:
        fail(str(exc))
    from sim.config.hydra_setup import CONFIG_DIR, default_scenario, new_command
    from sim.preflight import hydra_arguments, preflight

    _FAILED_RUNS.clear()
    new_command()
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        argv, typed, scenarios = prepare_argv(sys.argv[1:] if argv is None else argv)
        argv = hydra_arguments(argv)
    except ConfigError as exc:
        fail(str(exc))

    hydra_main = hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")(task)
    saved = sys.argv
    sys.argv = [saved[0] if saved else "run_sim.py", *argv]
    staging = None
    try:
        try:
            staging = preflight(argv, scenarios, default_scenario())  # before Hydra writes anything
            hydra_dir = "hydra.sweep.dir" if any(a in ("-m", "--multirun") for a in argv) else "hydra.run.dir"
            _IN_PLACE = next((a for a in typed if a.split("=", 1)[0] == hydra_dir), None)
            if any(a.startswith("-") for a in argv):  # a sweep (-m), --cfg, --info...: Hydra's command line
                hydra_main()
            else:
                run_once(argv, str(CONFIG_DIR))
        except BaseException:
            if staging is not None:
                staging.discard()
            raise
    except ConfigError as exc:
        fail(as_typed(exc, typed))
    except BadInput as exc:
        fail(str(exc))
    except (HydraException, OmegaConfBaseException) as exc:
        fail(one_line(exc, typed))
    except RunFailed as exc:
        fail(str(exc), status=1)
    except (MemoryError, OSError) as exc:
        fail(failure_line(exc), status=1)
    finally:
        sys.argv = saved
    if _FAILED_RUNS:
        sys.stderr.write(f"{run_label()}: {len(_FAILED_RUNS)} run(s) had failed replications; "
                         f"the others' results are in {', '.join(sorted(_FAILED_RUNS))}\n")
        sys.exit(1)
