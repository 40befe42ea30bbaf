"""Records of the routing policies: per operator group, and of callbacks.

Kept only when the scenario uses them (``routing.groups``; ``routing.callback.enabled``),
so the records of the plain model are unchanged.  Like the interval table
(:mod:`sim.records.intervals`) these are append-only counters per reporting
interval, with one more slot after the horizon; a replication's result carries them
as :class:`GroupRecords` and :class:`CallbackRecords`, which :mod:`sim.analysis.kpis_routing`
reads.

* Per group (:class:`GroupRecorder`), call attempts are counted by their *home*
  group - the first group of the caller's route, the one the call is routed to
  first - in the interval in which the attempt arrived; operator time busy and on
  duty by the group the operators belong to, in the interval in which it passed.
* Callbacks (:class:`CallbackRecorder`) are counted in the interval of the call
  attempt that accepted the offer, so that every accepted callback is in exactly
  one of ``completed``, ``not_reached`` or ``pending`` (the balance the tests check).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Dict, List, Sequence

import numpy as np

#: Per-group counters, by home group and arrival interval of the attempt.
GROUP_COUNTS: tuple[str, ...] = (
    "attempts",               # call attempts (first attempts and redials) routed first to the group
    "answered",               # ... answered (by any group)
    "answered_in_threshold",  # ... answered within kpi.answer_threshold_s
    "abandoned",              # ... abandoned
    "wait_answered_s",        # sum of the waits of the answered ones
)
#: Per-group time-weighted areas, by the group of the operators.
GROUP_AREAS: tuple[str, ...] = ("busy_s", "staffed_s")
#: Callback counters, by the interval of the attempt that accepted the offer.
CALLBACK_COUNTS: tuple[str, ...] = (
    "offered",        # call attempts offered a callback
    "accepted",       # offers accepted (the caller hung up to be called back)
    "completed",      # callbacks that reached the resident
    "not_reached",    # callbacks that failed after their last attempt
    "pending",        # callbacks still pending when the run stopped
    "missed_window",  # first attempt later than routing.callback.window_s after acceptance (or never made)
    "delay_s",        # sum, over completed callbacks, of acceptance to the reaching attempt
    "attempts",       # callback attempts made
)


@dataclass
class GroupRecords:
    """Per-group counters of one replication over the horizon (a :class:`GroupRecorder`'s result).

    Attributes
    ----------
    names : list of str
        Group names, in the order of ``routing.groups`` (row ``g`` of every array).
    attempts, answered, answered_in_threshold, abandoned, wait_answered_s : ndarray, shape (groups, intervals)
        Call attempts by home group and arrival interval (:data:`GROUP_COUNTS`).
    busy_s, staffed_s : ndarray, shape (groups, intervals)
        Operator-seconds busy and on duty by the operators' group (:data:`GROUP_AREAS`).
    """

    names: List[str]
    attempts: np.ndarray
    answered: np.ndarray
    answered_in_threshold: np.ndarray
    abandoned: np.ndarray
    wait_answered_s: np.ndarray
    busy_s: np.ndarray
    staffed_s: np.ndarray

    def counters(self) -> Dict[str, np.ndarray]:
        """Every counter by name, in the order of :data:`GROUP_COUNTS` then :data:`GROUP_AREAS`."""
        return {k: getattr(self, k) for k in GROUP_COUNTS + GROUP_AREAS}


@dataclass
class CallbackRecords:
    """Callback counters of one replication over the horizon, arrays of shape (intervals,), by the interval of
    the call attempt that accepted the offer (:data:`CALLBACK_COUNTS`; a :class:`CallbackRecorder`'s result)."""

    offered: np.ndarray
    accepted: np.ndarray
    completed: np.ndarray
    not_reached: np.ndarray
    pending: np.ndarray
    missed_window: np.ndarray
    delay_s: np.ndarray
    attempts: np.ndarray

    def counters(self) -> Dict[str, np.ndarray]:
        """Every counter by name, in the order of :data:`CALLBACK_COUNTS`."""
        return {k: getattr(self, k) for k in CALLBACK_COUNTS}


class GroupRecorder:
    """Per-group counters for one replication (``[group][interval]`` lists, slot ``n`` after the horizon).

    Parameters
    ----------
    groups : sequence of str
        Group names.
    n_intervals : int
        Reporting intervals of the horizon.
    """

    def __init__(self, groups: Sequence[str], n_intervals: int) -> None:
        self.groups = list(groups)
        self.n = n_intervals
        self.counts: Dict[str, List[List[float]]] = {
            k: [[0.0] * (n_intervals + 1) for _ in groups] for k in GROUP_COUNTS + GROUP_AREAS}

    def add_areas(self, interval: int, areas: Sequence[tuple[float, float]]) -> None:
        """Add ``(busy_s, staffed_s)`` of each group to ``interval`` (past the horizon: the slot after it)."""
        k = min(interval, self.n)
        busy, staffed = self.counts["busy_s"], self.counts["staffed_s"]
        for g, (b, s) in enumerate(areas):
            busy[g][k] += b
            staffed[g][k] += s

    def arrays(self) -> GroupRecords:
        """The horizon's counters as arrays of shape (groups, intervals), with the group names."""
        return GroupRecords(names=list(self.groups), **{k: np.asarray([row[:self.n] for row in v], dtype=float)
                                                        for k, v in self.counts.items()})


class CallbackRecorder:
    """Callback counters for one replication (one list per counter, slot ``n`` after the horizon).

    Parameters
    ----------
    n_intervals : int
        Reporting intervals of the horizon.
    """

    def __init__(self, n_intervals: int) -> None:
        self.n = n_intervals
        self.counts: Dict[str, List[float]] = {k: [0.0] * (n_intervals + 1) for k in CALLBACK_COUNTS}

    def arrays(self) -> CallbackRecords:
        """The horizon's counters as arrays of length ``n_intervals``."""
        return CallbackRecords(**{k: np.asarray(v[:self.n], dtype=float) for k, v in self.counts.items()})


# a counter is recorded and returned under the same name
assert tuple(f.name for f in fields(GroupRecords))[1:] == GROUP_COUNTS + GROUP_AREAS
assert tuple(f.name for f in fields(CallbackRecords)) == CALLBACK_COUNTS
