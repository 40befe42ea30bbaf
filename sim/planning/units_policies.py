"""The back office's staffing policies, found by name (``unit_staffing.policy``), and their planning step.

Each policy is a function ``policy(cfg, line) -> UnitPlan`` registered in
:data:`UNIT_STAFFING_POLICIES` (a :class:`sim.policies.registry.Registry`; validation rejects an
unknown name before anything runs: :data:`sim.config.unit_staffing.UNIT_STAFFING_POLICIES` lists
the same names).  The front line's policies (:mod:`sim.planning.policies`) plan the operators; these
plan the case workers of every unit, so a run may propose both: :func:`make_unit_plan` runs after
the front line's plan, on the configuration it returns.  :func:`check_unit_plan` does, before
anything is written, what can reject a proposal: a target that no number of case workers meets at
some unit.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from sim.config.schema import Config
from sim.config.unit_staffing import UNIT_STAFFING_POLICIES as POLICY_NAMES
from sim.core.errors import ConfigError
from sim.model.compile import compile_config
from sim.model.derive import calendars, clock, unit_directory
from sim.model.units import UnitDirectory
from sim.planning.units_erlang import TARGETS, UnitModel, Unreachable, unit_models
from sim.planning.units_optimize import optimize_workers
from sim.planning.units_plan import UnitPlan, apply_workers, capacities, cover
from sim.policies.registry import Registry

Line = Callable[[str], None]
Policy = Callable[[Config, Line], UnitPlan]
#: The back office's staffing policies by name.
UNIT_STAFFING_POLICIES: Registry[Policy] = Registry("unit staffing policy", "unit_staffing.policy")
_CACHE: "OrderedDict[str, tuple[List[UnitModel], np.ndarray]]" = OrderedDict()
APPROXIMATIONS = (
    "load: the slots busy per hour with unlimited slots (modified offered load) from each unit's orders per hour "
    "by urgency class, every round, each with its holding time from signing to close-out",
    "waiting: Erlang C per hour of the window, and the non-preemptive priority M/M/c waiting time of each class "
    "(most urgent first; Davis 1966) with one mean holding time, shortened by (1 + cs^2) / 2 (Allen-Cunneen)",
    "calendar: slots signed and freed only at work, so rates per hour at work are 1/f times the elapsed ones; the "
    "wait for the next opening, the response delay and the resolution time (calendar included) follow the wait",
    "response delay: the response is on time when wait + delay (then the next opening) is within the limit from "
    "arrival at the unit; first rounds only. Close-out: every round, from the round's arrival",
    "left out: the minutes of the front line, misrouted orders' detours, a district's review (via_district), "
    "least_loaded balancing; reopened rounds from the feedback settings",
)


def _key(cfg: Config) -> str:
    """What the approximation depends on (not the front line's staffing, not the report)."""
    return repr((cfg.scale, clock(cfg), cfg.arrivals, cfg.categories, cfg.units,
                 cfg.calendars, cfg.workorders, cfg.feedback, cfg.unit_staffing.target))


def _erlang(cfg: Config) -> tuple[List[UnitModel], np.ndarray]:
    """Every unit's approximation and its fewest case workers (before scale), remembered for the last few
    configurations (the check before a run and the run itself compute the same ones).

    Raises
    ------
    ConfigError
        A target that no number of case workers meets at a unit, naming the unit and its best rate.
    """
    key = _key(cfg)
    if key not in _CACHE:
        sc = compile_config(cfg)
        assert sc.backoffice is not None
        targets = _targets(cfg)
        models = unit_models(cfg, sc, targets)
        fewest = np.zeros(len(models), dtype=np.int64)
        for m in models:
            try:
                fewest[m.uid] = m.fewest_workers(targets, cfg.scale)
            except Unreachable as exc:
                raise ConfigError(f"unit_staffing.target.{exc.target}", targets[exc.target],
                                  f"no number of case workers meets it at {exc.unit}: its response delays, "
                                  f"resolution times and calendar alone leave {exc.ceiling:.2%} on time of its orders "
                                  f"arriving in the measurement window") from None
        needed = np.array([m.slots(int(w), cfg.scale) for m, w in zip(models, fewest)])
        _CACHE[key] = (models, cover(sc.backoffice.units, cfg, needed, fewest))
        while len(_CACHE) > 4:
            _CACHE.popitem(last=False)
    return _CACHE[key]


def _targets(cfg: Config) -> Dict[str, float]:
    return {k: float(getattr(cfg.unit_staffing.target, k)) for k in TARGETS}


def _plan(cfg: Config, policy: str, required: Optional[np.ndarray], models: Optional[List[UnitModel]],
          notes: Dict[str, Any], erlang: Optional[np.ndarray] = None) -> UnitPlan:
    d = _directory(cfg)
    names = [u.name for u in d.units]
    types = [d.type_names[u.type_index] for u in d.units]
    scheduled = np.asarray(d.workers, dtype=float)
    if required is None:
        return UnitPlan(policy, cfg, names, types, scheduled, notes=notes)
    run_cfg = apply_workers(cfg, d, required)
    caps = capacities(d, run_cfg, required)
    predicted = [m.rates(int(c)) if m.orders > 0 else {k: float("nan") for k in TARGETS}
                 for m, c in zip(models or [], caps)]
    return UnitPlan(policy, run_cfg, names, types, scheduled, np.asarray(required), erlang, predicted, notes)


def _directory(cfg: Config) -> UnitDirectory:
    """The scenario's units (no need to compile the rest)."""
    return unit_directory(cfg, calendars(cfg))


def _notes(cfg: Config) -> Dict[str, Any]:
    return {"policy": cfg.unit_staffing.policy, "targets": _targets(cfg)}


@UNIT_STAFFING_POLICIES.register("plan")
def plan_as_given(cfg: Config, line: Line) -> UnitPlan:
    """Every unit keeps the scenario's case workers (``units``)."""
    return _plan(cfg, "plan", None, None, _notes(cfg))


@UNIT_STAFFING_POLICIES.register("erlang")
def erlang(cfg: Config, line: Line) -> UnitPlan:
    """Per unit, the fewest case workers meeting both targets under the multi-server approximation
    (:mod:`sim.planning.units_erlang`, which documents each approximation)."""
    models, fewest = _erlang(cfg)
    return _plan(cfg, "erlang", fewest, models, {**_notes(cfg), "approximations": list(APPROXIMATIONS)})


@UNIT_STAFFING_POLICIES.register("optimize")
def optimize(cfg: Config, line: Line) -> UnitPlan:
    """The ``erlang`` proposal corrected unit by unit by simulation with common random numbers
    (:mod:`sim.planning.units_optimize`), confirmed by the run itself on fresh seeds."""
    models, fewest = _erlang(cfg)
    workers, opt = optimize_workers(cfg, models, fewest, line)
    notes = {**_notes(cfg), "approximations": list(APPROXIMATIONS), "optimize": opt}
    return _plan(cfg, "optimize", workers, models, notes, erlang=fewest)


def _stderr(message: str) -> None:
    sys.stderr.write(f"{message}\n")


def make_unit_plan(cfg: Config, line: Optional[Line] = None) -> Optional[UnitPlan]:
    """Run the configured unit staffing policy: the case workers the run will simulate (None without units).

    Parameters
    ----------
    cfg : Config
        A validated configuration (the front line's plan already in it, if a policy proposed one).
    line : callable, optional
        Receives one-line messages (an optimisation's iterations when ``experiment.progress`` is on; its
        warnings always); default: stderr.

    Raises
    ------
    ConfigError
        A target that no number of case workers meets at some unit.
    """
    if not cfg.units:
        return None
    out = line if line is not None else _stderr
    quiet: Line = out if cfg.experiment.progress else (lambda m: out(m) if m.startswith("warning") else None)
    return UNIT_STAFFING_POLICIES.get(cfg.unit_staffing.policy)(cfg, quiet)


def check_unit_plan(cfg: Config) -> None:
    """Reject, before anything runs, what would stop the unit policy (no simulation: the approximation only).

    Raises
    ------
    ConfigError
        An unknown policy; a target that no number of case workers meets at some unit.
    """
    if not cfg.units:
        return
    UNIT_STAFFING_POLICIES.check(cfg.unit_staffing.policy)
    if cfg.unit_staffing.policy != "plan":
        _erlang(cfg)


assert set(UNIT_STAFFING_POLICIES.names()) == set(POLICY_NAMES), "the registry and the configuration's list differ"
