"""A proposal of case workers per unit, and how it becomes the run's ``units`` section.

A unit policy (:mod:`sim.planning.units_policies`) returns a :class:`UnitPlan`: whole case workers
per unit, *before scale* like every count of a scenario (at ``scale=1`` the case workers a unit
needs; at a smaller scale the simulation holds ``workers x caseload x scale`` slots, with the
fractions carried from unit to unit within a type as for the scenario's own staffing:
:mod:`sim.model.units`).  :func:`apply_workers` writes it into a copy of the configuration: per
unit type, ``case_workers`` the most common count and ``case_workers_by_unit`` the others (the
type's units named in ``names`` as far as needed, with the names the model gives them),
``staff_by_weight`` off.  :func:`capacities` is the slots each unit then has, by the model's own
rule.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from sim.config.schema import Config
from sim.model.staffing import carried_counts, scaled_headcount
from sim.model.units import UnitDirectory


@dataclass
class UnitPlan:
    """What a unit staffing policy decided.

    Attributes
    ----------
    policy : str
        The policy's name.
    cfg : Config
        The configuration to run (its ``units`` hold the proposal; the scenario's for ``plan``).
    names, types : list of str
        Every unit's name and type, in the model's order.
    scheduled : ndarray
        The scenario's case workers per unit, before scale.
    required : ndarray of int or None
        The proposal per unit, before scale (None for ``plan``).
    erlang : ndarray of int or None
        The ``erlang`` proposal (for ``optimize``, to report its error).
    predicted : list of dict or None
        Per unit, the approximation's rates with the capacity the run simulates.
    notes : dict
        Facts for ``summary.json`` -> ``unit_staffing``.
    """

    policy: str
    cfg: Config
    names: List[str]
    types: List[str]
    scheduled: np.ndarray
    required: Optional[np.ndarray] = None
    erlang: Optional[np.ndarray] = None
    predicted: Optional[List[Dict[str, float]]] = None
    notes: Dict[str, Any] = field(default_factory=dict)


def slots_needed_workers(slots: int, caseload: int, scale: float) -> int:
    """The fewest whole case workers (before scale) whose ``workers x caseload x scale`` covers ``slots``."""
    if slots <= 0:
        return 0
    per = caseload * scale
    w = int(np.ceil(slots / per - 1e-9))
    return max(w, 1)


def type_capacities(workers: List[float], caseload: int, scale: float) -> List[int]:
    """Slots of the units of one type with ``workers`` (before scale), by the model's rule (:mod:`sim.model.units`)."""
    slots = carried_counts(scaled_headcount(w * caseload, scale) for w in workers)
    return [max(cap, 1 if w > 0 else 0) for w, cap in zip(workers, slots)]


def capacities(d: UnitDirectory, cfg: Config, workers: np.ndarray) -> np.ndarray:
    """Slots of every unit with ``workers`` per unit (before scale)."""
    out = np.zeros(len(d), dtype=np.int64)
    for t, (tname, ut) in enumerate(cfg.units.items()):
        span = slice(d.offsets[t], d.offsets[t] + d.counts[t])
        out[span] = type_capacities([float(w) for w in workers[span]], int(ut.caseload), cfg.scale)
    return out


def cover(d: UnitDirectory, cfg: Config, needed: np.ndarray, workers: np.ndarray) -> np.ndarray:
    """``workers`` raised where the carried fractions leave a unit fewer slots than ``needed`` (at a scale below
    1 a unit's slots are its share of its type's rounded total), until every unit has them."""
    w = np.asarray(workers, dtype=np.int64).copy()
    for _ in range(1000):
        short = capacities(d, cfg, w) < needed
        if not short.any():
            return w
        w[short] += 1
    raise RuntimeError("unit_staffing: the case workers could not be rounded to cover every unit")  # pragma: no cover


def apply_workers(cfg: Config, d: UnitDirectory, workers: np.ndarray) -> Config:
    """The configuration that runs ``workers`` case workers (before scale) per unit (module docstring)."""
    out = copy.deepcopy(cfg)
    for t, (tname, ut) in enumerate(out.units.items()):
        first = d.offsets[t]
        counts = [int(workers[first + i]) for i in range(d.counts[t])]
        common = Counter(counts).most_common(1)[0][0]
        names = [d.units[first + i].name for i in range(d.counts[t])]
        others = {names[i]: n for i, n in enumerate(counts) if n != common}
        last = max((i for i, n in enumerate(counts) if n != common), default=-1)
        ut.names = list(ut.names) + names[len(ut.names):last + 1]
        ut.case_workers = common
        ut.case_workers_by_unit = others
        ut.staff_by_weight = False
    return out
