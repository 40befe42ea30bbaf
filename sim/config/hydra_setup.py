"""The scenario files, the resolvers and the report folders, as Hydra sees them (its public API only).

:func:`register` reads the scenario files and registers the resolvers; :func:`store` gives Hydra the
scenarios a command uses, through its ``ConfigStore``: each is an option of the ``scenario`` config group
with package ``_global_``, holding the scenario's whole configuration
(:meth:`sim.config.scenario_files.ScenarioSet.node`), so that command-line overrides apply on top of it.
The report folders' resolvers give the default folders (docs/outputs.md) and their temporary folders
(:mod:`sim.report.folders`); their timestamp is read once per command (:func:`new_command`) and their
results cached, so every variant of a sweep, even one run in another process, lands in the same folder.
:func:`plan_form_overrides` applies a rule every composition shares (the command line and
:func:`sim.api.compose_config`): a staffing plan form given on the command line replaces the scenario's.
"""

from __future__ import annotations

import datetime as _dt
import glob
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from sim.config.paths import CONFIG_DIR, scenario_dirs, staging_folder
from sim.config.scenario_files import ScenarioSet, load_scenarios
from sim.config.staffing_policy import PLAN_FORMS

__all__ = ["CONFIG_DIR", "register", "store", "new_command", "default_scenario", "plan_form_overrides",
           "PLAN_FORMS", "STAFFING_PLANS"]

_STAMP: Optional[str] = None
_FOLDERS: Dict[Tuple[str, ...], str] = {}


def new_command() -> None:
    """Start a new command: the next default report folder gets a fresh timestamp."""
    global _STAMP
    _STAMP = None
    _FOLDERS.clear()


def default_scenario() -> str:
    """The scenario a run uses when the command line names none (the defaults list of configs/config.yaml)."""
    primary = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text(encoding="utf-8"))
    for entry in primary.get("defaults", []):
        if isinstance(entry, dict) and "scenario" in entry:
            return str(entry["scenario"])
    raise RuntimeError("configs/config.yaml names no default scenario")  # pragma: no cover - a packaging bug


def _default_folder(*parts: str) -> str:
    """``reports/<parts>/<timestamp>``, or with ``_2``, ``_3``... the first that neither exists nor is being
    written (its temporary folder exists: :func:`staging_folder`); the same for the whole command."""
    global _STAMP
    _STAMP = _STAMP or _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if parts not in _FOLDERS:
        base = path = "/".join(("reports", *parts, _STAMP))
        n = 1
        while Path(path).exists() or any(Path(path).parent.glob(f".{glob.escape(Path(path).name)}.partial-*")):
            n += 1
            path = f"{base}_{n}"
        _FOLDERS[parts] = path
    return _FOLDERS[parts]


def _given(report_dir: Optional[str]) -> bool:
    return report_dir not in (None, "", "None")


def _run_dir(report_dir: Optional[str], scenario: str) -> str:
    return str(report_dir) if _given(report_dir) else _default_folder(str(scenario))


def _sweep_dir(report_dir: Optional[str]) -> str:
    return str(report_dir) if _given(report_dir) else _default_folder("multirun")


def _staging(final: str) -> str:
    """The temporary folder Hydra creates for the report folder ``final`` (:func:`sim.config.paths.staging_folder`)."""
    return str(staging_folder(Path(str(final))))


_Signature = Tuple[Tuple[str, int, int], ...]
_REGISTERED: Optional[Tuple[_Signature, ScenarioSet, _Signature]] = None


def _signature(folders: Sequence[Path]) -> Tuple[Tuple[str, int, int], ...]:
    """Every scenario file of ``folders`` (or a file itself) with its modification time and size."""
    out = []
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else [folder]:
            try:
                st = path.stat()
                out.append((str(path), st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((str(path), -1, -1))
    return tuple(out)


def register(scenario_dir: Optional[Path] = None, files: Sequence[Path] = ()) -> ScenarioSet:
    """Read the scenario files and register the resolvers; return the scenarios read, usable and broken.

    Cheap when nothing changed: the files are read again only when one was added, removed or modified
    since the last call.  Hydra is given a scenario when a command uses it (:func:`store`).

    Parameters
    ----------
    scenario_dir : Path, optional
        Read the scenarios of this folder only; by default the built-in scenarios and ``./scenarios``
        (:func:`sim.config.paths.scenario_dirs`).
    files : sequence of Path
        Scenario files named by their path on the command line, read after the folders
        (:func:`sim.config.paths.scenario_paths`).
    """
    global _REGISTERED
    folders = [scenario_dir] if scenario_dir is not None else scenario_dirs()
    folders += list(files)
    sig = _signature(folders)
    if _REGISTERED is None or _REGISTERED[0] != sig or _REGISTERED[2] != _signature(_REGISTERED[1].probed):
        scenarios = load_scenarios(folders)  # the files beside files given by their path, looked at, count too
        _REGISTERED = (sig, scenarios, _signature(scenarios.probed))
    for name, fn in (("hotline_run_dir", _run_dir), ("hotline_sweep_dir", _sweep_dir), ("hotline_staging", _staging)):
        if not OmegaConf.has_resolver(name):  # cached: Hydra copies a config's resolver cache into every job's
            OmegaConf.register_new_resolver(name, fn, use_cache=True)
    return _REGISTERED[1]


def store(scenarios: ScenarioSet, names: Sequence[str]) -> None:
    """Give Hydra the scenarios ``names`` as options of the ``scenario`` group (package ``_global_``: their keys
    land at the top of the configuration), each its whole data (:meth:`ScenarioSet.node`)."""
    cs = ConfigStore.instance()
    for name in names:
        node = scenarios.node(name)
        if _STORED.get(name) is not node:
            cs.store(group="scenario", name=name, node=node, package="_global_")
            _STORED[name] = node


_STORED: Dict[str, Dict[str, Any]] = {}


#: The keys that hold a staffing plan (:class:`sim.config.schema.StaffingConfig`).
STAFFING_PLANS: Tuple[str, ...] = ("staffing", "feedback.staffing")


def plan_form_overrides(overrides: Sequence[str]) -> List[str]:
    """``overrides`` plus what makes a plan form given on the command line replace the scenario's.

    ``staffing.operators=650`` means "650 operators instead of the scenario's plan", so the forms the command
    line does not give are emptied (``staffing.shifts=[]`` ...); forms given together stay a conflict for the
    schema to report.  The same for ``feedback.staffing`` and an operator group's plan (``routing.groups.<name>``),
    and for ``dated.staffing_file`` (the front line's plan per date: every ``staffing`` form it is not given with
    is emptied).

    Parameters
    ----------
    overrides : sequence of str
        Hydra overrides as typed (``-m`` sweeps included).

    Returns
    -------
    list of str
        ``overrides`` followed by the added overrides.
    """
    given: Dict[str, set] = {plan: set() for plan in STAFFING_PLANS}
    for arg in overrides:
        m = re.match(r"^\+{0,2}([\w.]+)=", arg)
        if not m:
            continue
        plan, _, form = m.group(1).rpartition(".")
        if form in PLAN_FORMS and (plan in given or re.fullmatch(r"routing\.groups\.[^.]+", plan)):
            given.setdefault(plan, set()).add(form)
        elif m.group(1) == "dated.staffing_file" and arg.split("=", 1)[1].strip().lower() not in ("null", "none", ""):
            given["staffing"].add("dated.staffing_file")  # the front line's plan per date: every form is emptied
    extra = [f"{'' if plan in STAFFING_PLANS else '++'}{plan}.{form}={empty}" for plan, forms in given.items()
             if forms for form, empty in PLAN_FORMS.items() if form not in forms]  # a group added may lack a key
    return [*overrides, *extra]
