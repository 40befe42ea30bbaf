"""Handling units: streets/townships, districts, municipal departments, utilities.

The scenario declares unit *types* (``units``: count, case workers, caseload,
calendar, how orders spread over the units of the type);
:func:`sim.model.derive.unit_directory` creates one :class:`Unit` per unit with a
global integer id.  A unit's capacity
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

from sim.core.calendar import WorkCalendar


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


@dataclass(frozen=True, eq=False)
class UnitDirectory:
    """All units of a scenario and the rules that send orders to them (built by
    :func:`sim.model.derive.unit_directory`).

    Attributes
    ----------
    type_names : list of str
        Unit types, in the order of ``units``.
    units : list of Unit
        Every unit (templates: each replication's back office works on fresh copies).
    offsets : list of int
        Global id of the first unit of each type.
    cum_weights : list of ndarray
        Cumulative share of orders of each unit within its type.
    counts : list of int
        Units of each type.
    district_of : ndarray of int
        Global id of each unit's district, or -1.
    cat_type, cat_unit : ndarray of int
        Per category: the index of its unit type and its named unit (-1: none).
    cat_unclear : ndarray
        Per category: the share of street-bound orders with unclear jurisdiction.
    workers : list of float
        Each unit's case workers before ``scale`` (the scenario's, or a unit staffing proposal's).
    """

    type_names: List[str]
    units: List[Unit]
    offsets: List[int]
    cum_weights: List[np.ndarray]
    counts: List[int]
    district_of: np.ndarray
    cat_type: np.ndarray
    cat_unit: np.ndarray
    cat_unclear: np.ndarray
    workers: List[float]
    name_to_uid: Dict[str, int] = field(init=False)
    type_of: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name_to_uid", {u.name: u.uid for u in self.units})
        object.__setattr__(self, "type_of", np.array([u.type_index for u in self.units], dtype=np.int64))

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
