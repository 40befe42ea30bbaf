"""The command line: ``python run_sim.py [scenario=NAME] [key=value ...] [-m]``.

A thin shell around Hydra: compose the configuration, turn it into the typed
:class:`~sim.config.Config` (``OmegaConf.to_object``), validate it, run the
experiment, write the report folder and print the KPI table.

Everything that can reject a command - every variant of a sweep, and the
report folder - is checked before Hydra creates a folder (:mod:`sim.preflight`),
so a rejected command leaves the disk as it was.

Bad input never produces a traceback.  Hydra is asked to re-raise its errors
(``HYDRA_FULL_ERROR=1``) so that :func:`main` can catch them and print exactly
one line on stderr - naming the key, the value and the rule - and exit with
status 2.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import Any, NoReturn, Optional, Sequence

from omegaconf import DictConfig, OmegaConf

from .errors import BadInput, ConfigError

log = logging.getLogger("hotline")
EXIT_BAD_INPUT = 2


def task(dcfg: DictConfig) -> dict[str, Any]:
    """Run one configuration as composed by Hydra; return its summary (used by sweeps)."""
    from hydra.core.hydra_config import HydraConfig

    from .api import config_yaml
    from .config import Config
    from .experiment import run_experiment
    from .report import kpi_table, write_outputs
    from .validate import validate

    cfg = OmegaConf.to_object(dcfg)
    assert isinstance(cfg, Config)
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        validate(cfg)  # sim.preflight validated it before Hydra started; a job run elsewhere checks again
    except ConfigError as exc:
        raise BadInput(str(exc)) from None
    exp = run_experiment(cfg)
    if exp.notes.get("executor_note"):
        sys.stderr.write(f"run_sim: note: {exp.notes['executor_note']}\n")
    for failure in exp.failures:
        sys.stderr.write(f"run_sim: warning: {failure.describe()}\n")
    if not exp.replications:
        raise BadInput(f"every replication failed (seed {cfg.experiment.seed}); first: {exp.failures[0].error}")
    summary = write_outputs(exp, out_dir, config_yaml(cfg))
    if cfg.report.print_table:
        print(kpi_table(summary), end="")
        print(f"Report written to {out_dir} ({exp.wall_s:.1f} s)")
    if exp.failures:
        note_failed_run(str(out_dir))
    return summary


_FAILED_RUNS: set[str] = set()


def note_failed_run(folder: str) -> None:
    """Remember a run folder whose experiment lost replications (the exit status becomes 1).

    Called by the task in this process, and by the sweep callback for jobs that other
    processes ran (joblib, submitit, Ray launchers).
    """
    _FAILED_RUNS.add(folder)


def _override_value(key: str, argv: Sequence[str]) -> Optional[str]:
    for arg in argv:
        m = re.match(r"^[+~]{0,2}([\w.\[\]/-]+)=(.*)$", arg)
        if m and m.group(1) == key:
            return m.group(2)
    return None


def one_line(exc: BaseException, argv: Sequence[str]) -> str:
    """A one-line description of a configuration error (key, value, rule)."""
    from hydra.errors import MissingConfigException, OverrideParseException
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, MissingConfigException) or "Could not find 'scenario/" in str(exc):
        m = re.search(r"Could not find '([^']+)'", str(exc))
        name = m.group(1).split("/", 1)[-1] if m else "?"
        opts = re.findall(r"^\t(\S+)$", str(exc), flags=re.M)
        if m and m.group(1).startswith("scenario/"):
            return f"scenario={name!r}: no file scenarios/{name}.yaml; use one of {', '.join(opts)}"
        return f"{name}: config not found"
    if isinstance(exc, OverrideParseException):
        return f"could not parse override: {str(exc).splitlines()[0]}"
    cause: BaseException = exc
    for inner in (exc.__cause__, exc.__context__):
        if isinstance(inner, OmegaConfBaseException):
            cause = inner
            break
    key = getattr(cause, "full_key", None)
    text = str(getattr(cause, "msg", None) or cause).splitlines()[0].strip()
    src = re.search(r"(?:Error merging|In) '([^']+)'", str(exc))
    if src and src.group(1).startswith("scenario/"):
        where = f"scenarios/{src.group(1).split('/', 1)[1]}.yaml: "
    else:
        where = ""
    if key:
        value = _override_value(str(key), argv)
        shown = f"{key}={value}" if value is not None else str(key)
        if "not in" in text or "not in struct" in text or "is not in struct" in text:
            hint = ""
            if not where and str(key).count(".") >= 2:
                hint = f"; to add an entry to a mapping, write ++{key}=..."
            return f"{where}{shown}: unknown key (see sim/config.py for the keys{hint})"
        return f"{where}{shown}: {text}"
    return f"{where}{text}"


def _preflight(argv: Sequence[str]) -> None:
    """Validate the whole command and prepare its report folder before Hydra writes anything."""
    from .preflight import preflight

    preflight(argv)


def fail(message: str) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with status 2."""
    sys.stderr.write(f"run_sim: error: {message}\n")
    sys.exit(EXIT_BAD_INPUT)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Entry point of ``run_sim.py``."""
    import hydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from .hydra_setup import CONFIG_DIR, new_command, register
    from .preflight import hydra_arguments

    argv = hydra_arguments(sys.argv[1:] if argv is None else argv)
    _FAILED_RUNS.clear()
    new_command()
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        register()
    except ConfigError as exc:
        fail(str(exc))

    hydra_main = hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")(task)
    saved = sys.argv
    sys.argv = [saved[0] if saved else "run_sim.py", *argv]
    try:
        _preflight(argv)
        hydra_main()
    except (ConfigError, BadInput) as exc:
        fail(str(exc))
    except (HydraException, OmegaConfBaseException) as exc:
        fail(one_line(exc, argv))
    finally:
        sys.argv = saved
    if _FAILED_RUNS:
        sys.stderr.write(f"run_sim: {len(_FAILED_RUNS)} run(s) had failed replications; "
                         f"the others' results are in {', '.join(sorted(_FAILED_RUNS))}\n")
        sys.exit(1)
