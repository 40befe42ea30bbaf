"""Handling units: streets/townships, districts, municipal departments, utilities.

The scenario declares unit *types* (``units``: count, case workers, caseload,
calendar, how orders spread over the units of the type); :func:`build_units`
creates one :class:`Unit` per unit with a global integer id.  A unit's capacity
is the number of cases it can hold open at once, ``case_workers x caseload``
(times the scenario's ``scale``; with ``staff_by_weight`` a type's case workers
are spread over its units in proportion to their share of orders).  Fractional
slots are carried from unit to unit within a type
(:func:`sim.model.staffing.carried_counts`), so the type's total capacity is its
scaled total rounded, and a unit with case workers has at least one slot.  An order
arriving at a full unit waits in the unit's queue, most urgent class first, then
earliest deadline.

:class:`UnitDirectory` also knows how to draw a work order's unit from uniform
numbers (vectorised): the category's named unit, or a unit of the category's
type by the type's weights; for a street, unclear jurisdiction sends the order
to the street's district; a misrouted order goes to another unit of the same
type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from sim.config.schema import Config
from sim.core.calendar import WorkCalendar
from sim.model.staffing import carried_counts, scaled_headcount


@dataclass(slots=True)
class Unit:
    """One handling unit and its live state (the directory's units are templates; each
    replication's back office works on fresh copies).

    Attributes
    ----------
    uid : int
        Global unit id.
    type_index : int
        Index of the unit type.
    name : str
        Unit name.
    capacity : int
        Cases it can hold open at once.
    calendar : WorkCalendar
        Its working time.
    free : int
        Open-case slots available now.
    queue : list
        Heap of ``(urgency, deadline_s, seq, contact)`` waiting for a slot.
    wake_pending : bool
        Whether a wake-up at the next opening is already scheduled.
    """

    uid: int
    type_index: int
    name: str
    capacity: int
    calendar: WorkCalendar
    free: int = 0
    queue: list = field(default_factory=list)
    wake_pending: bool = False

    def __post_init__(self) -> None:
        self.free = self.capacity


class UnitDirectory:
    """All units of a scenario and the rules that send orders to them.

    Parameters
    ----------
    cfg : Config
        Validated configuration.
    calendars : dict of str to WorkCalendar
        Calendars by name.
    """

    def __init__(self, cfg: Config, calendars: Dict[str, WorkCalendar]) -> None:
        self.type_names: List[str] = list(cfg.units)
        self.units: List[Unit] = []
        self.workers: List[float] = []  # each unit's case workers before scale (the scenario's)
        self.offsets: List[int] = []
        self.cum_weights: List[np.ndarray] = []
        self.name_to_uid: Dict[str, int] = {}
        for t, (tname, ut) in enumerate(cfg.units.items()):
            self.offsets.append(len(self.units))
            if ut.weights:
                w = np.asarray(ut.weights, dtype=float)
            else:
                w = 1.0 / np.power(np.arange(1, ut.count + 1, dtype=float), ut.zipf)
            share = w / w.sum()
            names, workers = [], []
            for i in range(ut.count):
                name = ut.names[i] if i < len(ut.names) else f"{tname}_{i + 1:03d}"
                w_i = float(ut.case_workers) * (ut.count * share[i] if ut.staff_by_weight else 1.0)
                names.append(name)
                workers.append(float(ut.case_workers_by_unit.get(name, w_i)))
            slots = carried_counts(scaled_headcount(w * ut.caseload, cfg.scale) for w in workers)
            self.workers.extend(workers)
            for name, w_i, cap in zip(names, workers, slots, strict=True):
                unit = Unit(len(self.units), t, name, max(cap, 1 if w_i > 0 else 0), calendars[ut.calendar])
                self.units.append(unit)
                self.name_to_uid[name] = unit.uid
            cum = np.cumsum(share)
            cum[-1] = 1.0
            self.cum_weights.append(cum)
        self.counts = [ut.count for ut in cfg.units.values()]
        self.type_of = np.array([u.type_index for u in self.units], dtype=np.int64)
        self.district_of = np.full(len(self.units), -1, dtype=np.int64)
        for t, ut in enumerate(cfg.units.values()):
            if ut.district_of:
                d = self.type_names.index(ut.district_of)
                n_s, n_d = ut.count, self.counts[d]
                local = np.arange(n_s)
                self.district_of[self.offsets[t]:self.offsets[t] + n_s] = self.offsets[d] + local * n_d // n_s
        # per category: type index and fixed unit (or -1)
        self.cat_type = np.array([self.type_names.index(c.unit_type) if c.unit_type else -1
                                  for c in cfg.categories.values()], dtype=np.int64)
        self.cat_unit = np.array([self.name_to_uid[c.unit] if c.unit else -1
                                  for c in cfg.categories.values()], dtype=np.int64)
        self.cat_unclear = np.array([c.unclear_share for c in cfg.categories.values()], dtype=float)

    def __len__(self) -> int:
        return len(self.units)

    def draw(self, cats: np.ndarray, u_unit: np.ndarray, u_unclear: np.ndarray, u_mis: np.ndarray,
             u_wrong: np.ndarray, misroute_p: float) -> tuple[np.ndarray, np.ndarray]:
        """Correct unit and (if misrouted) wrong unit of each order, from uniform numbers.

        Returns
        -------
        unit, wrong : ndarray of int
            Global unit ids; ``-1`` where a category has no unit type (unit) or
            the order is not misrouted (wrong).
        """
        n = len(cats)
        unit = np.full(n, -1, dtype=np.int64)
        types = self.cat_type[cats]
        for t in range(len(self.type_names)):
            m = types == t
            if m.any():
                local = np.searchsorted(self.cum_weights[t], u_unit[m], side="right")
                unit[m] = self.offsets[t] + np.minimum(local, self.counts[t] - 1)
        fixed = self.cat_unit[cats]
        unit = np.where(fixed >= 0, fixed, unit)
        has_district = (unit >= 0) & (self.district_of[np.maximum(unit, 0)] >= 0)
        unclear = has_district & (u_unclear < self.cat_unclear[cats])
        unit = np.where(unclear, self.district_of[np.maximum(unit, 0)], unit)
        wrong = np.full(n, -1, dtype=np.int64)
        ok = unit >= 0
        t_of = self.type_of[np.maximum(unit, 0)]
        size = np.array(self.counts, dtype=np.int64)[t_of]
        mis = ok & (u_mis < misroute_p) & (size > 1)
        off = np.array(self.offsets, dtype=np.int64)[t_of]
        local = unit - off
        shift = 1 + np.floor(u_wrong * (size - 1)).astype(np.int64)
        wrong = np.where(mis, off + (local + np.minimum(shift, size - 1)) % np.maximum(size, 1), wrong)
        return unit, wrong

    def wrong_unit(self, uid: int, u: float) -> int:
        """Another unit of the same type as ``uid``, from one uniform number."""
        t = self.units[uid].type_index
        size, off = self.counts[t], self.offsets[t]
        if size < 2:
            return uid
        shift = 1 + min(int(u * (size - 1)), size - 2)
        return off + (uid - off + shift) % size

    def type_name(self, uid: int) -> str:
        """Name of the type of unit ``uid``."""
        return self.type_names[self.units[uid].type_index]

    def by_name(self, name: str) -> Optional[Unit]:
        """The unit called ``name``, if any."""
        uid = self.name_to_uid.get(name)
        return None if uid is None else self.units[uid]
