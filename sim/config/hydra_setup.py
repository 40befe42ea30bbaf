"""Registration of the schema, the scenario files and the resolvers with Hydra.

Call :func:`register` before Hydra composes a configuration (the command line
and :func:`sim.api.compose_config` both do).  Scenario files become the options
of the ``scenario`` config group with package ``_global_``, so their keys land
at the top level of the configuration, where command-line overrides apply on
top of them.  A broken scenario file is not registered: :func:`register`
returns its error, which :func:`sim.config.overrides.prepare_overrides` raises when a
run uses that scenario.

Report folders: without ``report.dir`` a run writes to
``reports/<scenario>/<timestamp>`` and a sweep to ``reports/multirun/<timestamp>``.
The timestamp is read once per command (:func:`new_command` starts a command)
and the resolvers cache their results, so every variant of a sweep - even one
that a launcher runs in another process - lands in the same folder.  A default
folder that already exists gets a suffix (``_2``, ``_3``, ...) instead of
mixing two runs.  Hydra's run and sweep folders are the report folder's temporary
folder (``${hotline_staging:...}`` in ``configs/config.yaml``): a run writes there and
renames it to the report folder when it succeeds (:mod:`sim.report.folders`).

:func:`command_line_overrides` applies a rule every composition shares (the
command line and :func:`sim.api.compose_config`), after
:func:`sim.config.overrides.prepare_overrides` checked and rewrote the overrides: a
staffing plan form given on the command line replaces the scenario's plan form.
"""

from __future__ import annotations

import copy
import datetime as _dt
import glob
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml
from hydra.core.config_store import ConfigNode, ConfigStore
from omegaconf import DictConfig, OmegaConf

from sim.config.paths import CONFIG_DIR, scenario_dirs, staging_folder
from sim.config.scenario_files import ScenarioSet, load_scenarios
from sim.config.schema import register_schema

__all__ = ["CONFIG_DIR", "register", "new_command", "default_scenario", "plan_form_overrides",
           "command_line_overrides", "PLAN_FORMS", "STAFFING_PLANS"]

_STAMP: Optional[str] = None
_FOLDERS: Dict[Tuple[str, ...], str] = {}
_SCHEMA_STORED = False


def _share_config_store() -> None:
    """Make a deep copy of Hydra's ConfigStore the store itself.

    Hydra 1.3 deep-copies its config repository on every composition (three per run: the
    check before the run, Hydra's own start and the run), and with it the ConfigStore
    singleton its structured-config sources hold - the schema and every scenario, 0.2-0.3 s
    each time here.  Those copies are only read, and reading a config from the store already
    returns a copy of it (``ConfigStore.load``), so sharing the singleton changes no result;
    Hydra's own later fix re-fetches the singleton instead of copying it (hydra pull request
    2928, "Use latest configstore singleton instead of storing it").
    """
    if "__deepcopy__" not in vars(ConfigStore):
        setattr(ConfigStore, "__deepcopy__", lambda self, memo: self)


#: The last compositions of this command: (config name, overrides, search path) -> the composed config.
_COMPOSED: "OrderedDict[Tuple[Any, ...], DictConfig]" = OrderedDict()
#: How many compositions are kept (a run needs one; each variant of a sweep composes its own).
_KEEP = 4
#: The override Hydra adds to a command's own when it runs it (``hydra._internal.utils._run_app``).
_RUN_MODE = "hydra.mode=RUN"


def _share_compositions() -> None:
    """Let a command compose each configuration once.

    A run composes the same configuration three times - the check before the run
    (:mod:`sim.preflight`), Hydra's reading of the run mode (``Hydra.get_mode``) and
    Hydra's run - and each composition reads, copies and merges the schema and the scenario
    again (0.2-0.3 s each).  Hydra's loader is wrapped so that a composition in run mode is
    kept and every later request for the same configuration name, overrides and search path
    gets a deep copy of it, as if composed anew: a composition depends on nothing else within
    one command (the scenario files are re-registered, and the kept compositions dropped, when
    one changes: :func:`register`; :func:`new_command` drops them too).  Hydra's reading of the
    run mode composes in multirun mode without validating sweeps; it differs from a run-mode
    composition only in tolerating a missing mandatory default, which a kept composition has
    not, so it is served the kept one itself (it reads ``hydra.mode`` and changes nothing: no
    copy).  Hydra's run adds ``hydra.mode=RUN`` to the overrides: it gets a copy of the kept
    composition with that one override applied as Hydra applies it (a value of the ``hydra``
    node, listed last among its overrides).  A multirun composition that
    validates its sweeps, and every composition that raises, is made anew each time.
    """
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.types import RunMode

    original = ConfigLoaderImpl.load_configuration
    if getattr(original, "shares_compositions", False):
        return

    def load_configuration(self: ConfigLoaderImpl, config_name: Optional[str], overrides: List[str],
                           run_mode: RunMode, from_shell: bool = True,
                           validate_sweep_overrides: bool = True) -> DictConfig:
        path = tuple((p.provider, p.path) for p in self.config_search_path.get_path())
        key = (config_name, tuple(overrides), path)
        kept = _COMPOSED.get(key)
        if kept is not None and run_mode != RunMode.RUN and not validate_sweep_overrides:
            return kept  # Hydra's reading of the run mode: it reads cfg.hydra.mode and changes nothing
        if kept is not None and run_mode == RunMode.RUN:
            return copy.deepcopy(kept)
        base = _COMPOSED.get((config_name, tuple(overrides[:-1]), path)) if overrides else None
        if base is not None and run_mode == RunMode.RUN and overrides[-1] == _RUN_MODE:
            cfg = copy.deepcopy(base)  # Hydra's run: the checked composition and the one override it adds
            ConfigLoaderImpl._apply_overrides_to_config(OverridesParser.create().parse_overrides([_RUN_MODE]), cfg)
            cfg.hydra.overrides.hydra.append(_RUN_MODE)
            return cfg  # not kept: nothing composes a run's own composition again
        cfg = original(self, config_name, overrides, run_mode, from_shell, validate_sweep_overrides)
        if run_mode == RunMode.RUN:
            _keep(key, cfg)
        return cfg

    setattr(load_configuration, "shares_compositions", True)
    setattr(ConfigLoaderImpl, "load_configuration", load_configuration)


def _keep(key: Tuple[Any, ...], cfg: DictConfig) -> None:
    """Keep a copy of the composition ``cfg`` under ``key``; only the last :data:`_KEEP` are kept."""
    _COMPOSED[key] = copy.deepcopy(cfg)
    _COMPOSED.move_to_end(key)
    while len(_COMPOSED) > _KEEP:
        _COMPOSED.popitem(last=False)


def new_command() -> None:
    """Start a new command: the next default report folder gets a fresh timestamp; nothing composed is kept."""
    global _STAMP
    _STAMP = None
    _FOLDERS.clear()
    _COMPOSED.clear()


def default_scenario() -> str:
    """The scenario a run uses when the command line names none (the defaults list of configs/config.yaml)."""
    primary = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text(encoding="utf-8"))
    for entry in primary.get("defaults", []):
        if isinstance(entry, dict) and "scenario" in entry:
            return str(entry["scenario"])
    raise RuntimeError("configs/config.yaml names no default scenario")  # pragma: no cover - a packaging bug


def _stamp() -> str:
    global _STAMP
    if _STAMP is None:
        _STAMP = _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    return _STAMP


def _taken(path: str) -> bool:
    """Whether ``path`` exists, or a run is writing it (its temporary folder exists: :func:`staging_folder`)."""
    p = Path(path)
    return p.exists() or any(p.parent.glob(f".{glob.escape(p.name)}.partial-*"))


def _unused(base: str) -> str:
    """``base``, or ``base_2``, ``base_3``... the first that neither exists nor is being written."""
    path, n = base, 1
    while _taken(path):
        n += 1
        path = f"{base}_{n}"
    return path


def _default_folder(*parts: str) -> str:
    key = tuple(parts)
    if key not in _FOLDERS:
        _FOLDERS[key] = _unused("/".join(("reports", *parts, _stamp())))
    return _FOLDERS[key]


def _given(report_dir: Optional[str]) -> bool:
    return report_dir not in (None, "", "None")


def _run_dir(report_dir: Optional[str], scenario: str) -> str:
    return str(report_dir) if _given(report_dir) else _default_folder(str(scenario))


def _sweep_dir(report_dir: Optional[str]) -> str:
    return str(report_dir) if _given(report_dir) else _default_folder("multirun")


class _ScenarioNode(ConfigNode):
    """A scenario in Hydra's ConfigStore, its data made a ``DictConfig`` when a composition first reads it.

    ``ConfigStore.store`` makes every scenario a ``DictConfig`` at once, though a run reads one
    (a tenth of a second for the six built-in scenarios); this node, in the store's place for
    the scenario, makes the same ``DictConfig`` (``OmegaConf.create`` of the data, what ``store``
    does with a dict) on first reading and keeps it.  ``ConfigStore.load`` copies the node and
    deep-copies its config, so the one made is never changed.
    """

    def __init__(self, name: str, data: Dict[str, Any], group: str, package: str) -> None:
        self.name, self.group, self.package, self.provider = name, group, package, None
        self._made: List[DictConfig] = []  # shared by the store's shallow copies of the node
        self._data = data

    @property  # the dataclass field of ConfigNode, read and set as one
    def node(self) -> DictConfig:
        if not self._made:
            self._made.append(OmegaConf.create(self._data))
        return self._made[0]

    @node.setter
    def node(self, value: DictConfig) -> None:
        self._made = [value]


def _staging(final: str) -> str:
    """The temporary folder Hydra creates for the report folder ``final`` (:func:`sim.config.paths.staging_folder`)."""
    return str(staging_folder(Path(str(final))))


_REGISTERED: Optional[Tuple[Tuple[Tuple[str, int, int], ...], ScenarioSet]] = None


def _signature(folders: Sequence[Path]) -> Tuple[Tuple[str, int, int], ...]:
    """Every scenario file of ``folders`` (or a file itself) with its modification time and size (what a
    re-read would see)."""
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
    """Register schema, scenarios and resolvers; return the scenarios read, usable and broken.

    Idempotent and cheap when nothing changed: the scenario files are read and
    stored with Hydra again only when a file was added, removed or modified
    since the last call (reading and storing them is most of the cost of a
    composition).

    Parameters
    ----------
    scenario_dir : Path, optional
        Read the scenarios of this folder only; by default the built-in scenarios
        and ``./scenarios`` (:func:`sim.config.paths.scenario_dirs`).
    files : sequence of Path
        Scenario files named by their path on the command line, read after the folders
        (:func:`sim.config.paths.scenario_paths`).
    """
    global _REGISTERED, _SCHEMA_STORED
    if not _SCHEMA_STORED:  # once: storing the schema builds it anew (0.1-0.2 s), and loading copies it
        _share_config_store()
        _share_compositions()
        register_schema()
        _SCHEMA_STORED = True
    folders = [scenario_dir] if scenario_dir is not None else scenario_dirs()
    folders += list(files)
    sig = _signature(folders)
    if _REGISTERED is not None and _REGISTERED[0] == sig:
        return _REGISTERED[1]
    scenarios = load_scenarios(folders)
    _COMPOSED.clear()  # compositions kept so far read the scenarios as they were
    group = ConfigStore.instance().repo.setdefault("scenario", {})
    for name, data in scenarios.data.items():
        group[f"{name}.yaml"] = _ScenarioNode(f"{name}.yaml", data, "scenario", "_global_")
    if not OmegaConf.has_resolver("hotline_run_dir"):
        # cached: Hydra copies a config's resolver cache into every job's config (as for its own `now`)
        OmegaConf.register_new_resolver("hotline_run_dir", _run_dir, use_cache=True)
        OmegaConf.register_new_resolver("hotline_sweep_dir", _sweep_dir, use_cache=True)
    if not OmegaConf.has_resolver("hotline_staging"):
        OmegaConf.register_new_resolver("hotline_staging", _staging, use_cache=True)
    _REGISTERED = (sig, scenarios)
    return scenarios


#: The three forms of a staffing plan and the value that leaves each unused.
PLAN_FORMS: Dict[str, str] = {"operators": "0", "half_hourly": "[]", "shifts": "[]"}
#: The keys that hold a staffing plan (:class:`sim.config.schema.StaffingConfig`).
STAFFING_PLANS: Tuple[str, ...] = ("staffing", "feedback.staffing")


def plan_form_overrides(overrides: Sequence[str]) -> List[str]:
    """``overrides`` plus what makes a plan form given on the command line replace the scenario's.

    A scenario states its operators in one form: a constant headcount
    (``operators``), a half-hourly plan or shifts.  ``staffing.operators=650``
    on the command line means "650 operators instead of the scenario's plan",
    so the forms the command line does not give are emptied
    (``staffing.shifts=[]`` ...).  Forms given together on the command line
    stay a conflict for :mod:`sim.config.validate` to report; a scenario file that
    gives two forms is reported too.  The same holds for ``feedback.staffing`` and for
    an operator group's plan (``routing.groups.<name>``).

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
    extra = [f"{plan}.{form}={empty}" for plan, forms in given.items() if forms
             for form, empty in PLAN_FORMS.items() if form not in forms]
    return [*overrides, *extra]


def command_line_overrides(overrides: Sequence[str]) -> List[str]:
    """The overrides Hydra composes for ``overrides`` (command line and :func:`sim.api.compose_config`).

    ``overrides`` are those :func:`sim.config.overrides.prepare_overrides` returned.
    """
    return plan_form_overrides(overrides)
