"""Records a replication appends to: per-interval counters and terminal states.

Processes never compute KPIs; they add to the counters of the reporting
interval in which the attempt arrived (counts, summed waits) or in which the
time passed (time-weighted areas: operators busy, operators on duty, items
waiting).  The reporting intervals cover the horizon; what happens after it
(redials and return-visit work during ``experiment.drain_h``) goes to one more
slot, *after the horizon*, which no interval and no front-line KPI includes.
The resulting table, one row per interval, is all that :mod:`sim.analysis.kpis` needs,
so memory grows with the horizon's number of intervals, never with the number
of finished contacts.

Every contact that enters ends in exactly one state of :data:`TERMINAL_STATES`,
or is in one of :data:`OPEN_STATES` when the run stops; both are counted per
arrival interval of the contact's first attempt, so the accounting table can be
restricted to the measurement window like every KPI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from sim.records.backoffice import BackOfficeRecords
from sim.records.routing import CallbackRecords, GroupRecords

#: How a contact can end.
TERMINAL_STATES: tuple[str, ...] = (
    "answered_direct",        # answered by an operator without a work order
    "transferred_emergency",  # life-safety case transferred to 110/119/120
    "abandoned",              # hung up while waiting and did not call again
    "online_expired",         # online item withdrawn before an operator accepted it
    "closed_rated",           # work order closed, the resident rated it on the return visit
    "closed_not_reached",     # work order closed, the return visit never reached the resident
    "callback_not_reached",   # accepted a callback, and no callback attempt reached the resident
)
#: Where a contact can be when the run stops.
OPEN_STATES: tuple[str, ...] = (
    "waiting_operator",       # in an operator queue
    "with_operator",          # being handled by an operator
    "awaiting_redial",        # abandoned, will call again
    "in_dispatch",            # work order on its way to the unit (incl. bounce-back review and re-dispatch)
    "queued_at_unit",         # waiting at the unit for a free case slot
    "in_progress",            # signed by the unit, not yet closed
    "awaiting_return_visit",  # closed, the return visit is not yet made (or waits for a next attempt)
    "on_return_visit",        # the return-visit call is in progress
    "awaiting_callback",      # accepted a callback that has not yet reached the resident
)

#: Per-interval counters, indexed by the interval of the attempt's arrival.
COUNT_COLUMNS: tuple[str, ...] = (
    "calls_offered",          # first call attempts
    "retrials",               # redial attempts
    "calls_answered",         # call attempts answered
    "answered_in_threshold",  # call attempts answered within kpi.answer_threshold_s
    "calls_abandoned",        # call attempts abandoned
    "wait_answered_s",        # sum of waits of answered call attempts
    "wait_abandoned_s",       # sum of waits of abandoned call attempts
    "online_offered",         # online submissions
    "online_accepted",        # online submissions accepted by an operator
    "online_on_time",         # accepted within online.deadline_h
    "online_expired",         # withdrawn before acceptance
    "wait_online_s",          # sum of waits of accepted online submissions
    "outbound_work_s",        # operator-seconds of return-visit calls started (any pool)
)
#: Per-interval time-weighted areas (operator-seconds or item-seconds within the interval).
AREA_COLUMNS: tuple[str, ...] = (
    "busy_s",                 # operator-seconds busy
    "staffed_s",              # operator-seconds on duty
    "queue_calls_s",          # call-seconds waiting (integral of the call queue length)
    "queue_online_s",         # item-seconds of online submissions waiting
    "feedback_busy_s",        # feedback-team operator-seconds busy
    "feedback_staffed_s",     # feedback-team operator-seconds on duty
)


class IntervalRecorder:
    """Counters per reporting interval for one replication.

    Parameters
    ----------
    n_intervals : int
        Number of reporting intervals in the horizon; index ``n_intervals`` of every
        list is the slot after the horizon (:data:`AFTER_HORIZON`).
    interval_s : float
        Length of an interval in seconds.
    """

    # One list per column of COUNT_COLUMNS and AREA_COLUMNS (set in __init__), one value per interval.
    calls_offered: List[float]
    retrials: List[float]
    calls_answered: List[float]
    answered_in_threshold: List[float]
    calls_abandoned: List[float]
    wait_answered_s: List[float]
    wait_abandoned_s: List[float]
    online_offered: List[float]
    online_accepted: List[float]
    online_on_time: List[float]
    online_expired: List[float]
    wait_online_s: List[float]
    outbound_work_s: List[float]
    busy_s: List[float]
    staffed_s: List[float]
    queue_calls_s: List[float]
    queue_online_s: List[float]
    feedback_busy_s: List[float]
    feedback_staffed_s: List[float]

    def __init__(self, n_intervals: int, interval_s: float) -> None:
        self.n = n_intervals
        self.interval_s = interval_s
        for name in COUNT_COLUMNS + AREA_COLUMNS:
            setattr(self, name, [0.0] * (n_intervals + 1))
        self.terminal = [[0] * n_intervals for _ in TERMINAL_STATES]

    def add_area(self, interval: int, **areas: float) -> None:
        """Add time-weighted areas (keyword = column of :data:`AREA_COLUMNS`) to ``interval``
        (any index past the horizon's intervals: to the slot after the horizon)."""
        if interval >= 0:
            k = min(interval, self.n)
            for name, value in areas.items():
                getattr(self, name)[k] += value

    def table(self) -> Dict[str, np.ndarray]:
        """The counters of the horizon's intervals as arrays, one entry per column."""
        return {name: np.asarray(getattr(self, name)[:self.n], dtype=float) for name in COUNT_COLUMNS + AREA_COLUMNS}

    def after_horizon(self) -> Dict[str, float]:
        """The counters of the slot after the horizon (attempts and work during the drain)."""
        return {name: float(getattr(self, name)[self.n]) for name in COUNT_COLUMNS + AREA_COLUMNS}


@dataclass
class RequestLogRecords:
    """The request log of one replication (``report.request_log``; :class:`sim.model.requestlog.RequestLog`).

    Attributes
    ----------
    contacts : dict of str to ndarray
        One entry per contact: its identity, attributes, timeline (seconds) and final or open state.
    abandoned_attempts : dict of str to ndarray
        One entry per abandoned call attempt (``calls.csv``).
    """

    contacts: Dict[str, np.ndarray]
    abandoned_attempts: Dict[str, np.ndarray]


@dataclass
class ReplicationResult:
    """Everything one replication produced; the input of :mod:`sim.analysis.kpis`.

    Attributes
    ----------
    replication : int
        Replication number.
    seed : int
        Root seed.
    interval_s : float
        Reporting interval length, seconds.
    warmup_intervals : int
        Leading intervals excluded from KPIs.
    intervals : dict of str to ndarray
        Columns of :data:`COUNT_COLUMNS` and :data:`AREA_COLUMNS`, plus
        ``scheduled_operators`` (mean scheduled headcount per interval, after shrinkage),
        ``rostered_operators`` (the same before shrinkage: the operators paid) and
        ``staffing_cost_per_h`` (the plan's cost per hour in force).
    terminal : ndarray, shape (len(TERMINAL_STATES), n_intervals)
        Contacts ending in each state, by arrival interval.
    open : ndarray, shape (len(OPEN_STATES), n_intervals)
        Contacts still open at the horizon, by arrival interval.
    wall_s : float
        Wall-clock seconds the replication took.
    contacts_created : int
        Contacts the replication created (first attempts, whenever they arrived).
    after_horizon : dict of str to float
        The counters of the slot after the horizon (:meth:`IntervalRecorder.after_horizon`).
    groups : GroupRecords or None
        Per operator group (``routing.groups``).
    callbacks : CallbackRecords or None
        Callbacks (``routing.callback.enabled``, with calls).
    backoffice : BackOfficeRecords or None
        The work-order pipeline (a scenario with units).
    request_log : RequestLogRecords or None
        One row per contact (``report.request_log``).
    """

    replication: int
    seed: int
    interval_s: float
    warmup_intervals: int
    intervals: Dict[str, np.ndarray]
    terminal: np.ndarray
    open: np.ndarray
    wall_s: float = 0.0
    contacts_created: int = 0
    after_horizon: Dict[str, float] = field(default_factory=dict)
    groups: Optional[GroupRecords] = None
    callbacks: Optional[CallbackRecords] = None
    backoffice: Optional[BackOfficeRecords] = None
    request_log: Optional[RequestLogRecords] = None
