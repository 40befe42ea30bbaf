"""Records of the work-order pipeline: counters per unit, per urgency class, per category and per day.

Like the front line's interval table, these are append-only counters that the
processes add to and :mod:`sim.analysis.kpis` reads; memory is fixed by the number of
units, classes, categories and days, never by the number of work orders.

Counters per unit, per class and per category concern contacts that arrived in
the measurement window (after the warm-up), so that every rate describes the
same cohort as the front-line KPIs.  The daily table is by event time: what
happened on each simulated day (work orders created and closed, backlog at the
end of the day per unit type), including drain days after the horizon.
Time to close is kept as a histogram on a log scale (0.01 h to 10,000 h, 600
bins), from which means and quantiles are read.

An order still open when the run stops has an outcome the run has not seen: it
is *censored*.  The counters ``pending_*`` count such orders where they could
still change a rate, and the orders not yet closed go into a second histogram
at their age when the run stopped (``censor_hist``), so that the time to close
can be estimated with them (Kaplan-Meier, :mod:`sim.analysis.censoring`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List

import numpy as np

from sim.config.schema import URGENCY_CLASSES

#: Counters kept per unit (global unit id).
UNIT_COUNTERS: tuple[str, ...] = (
    "orders_received",    # work orders that reached this (correct) unit, first round
    "bounced",            # orders wrongly sent here and bounced back
    "response_due",       # orders whose response was made or overdue
    "response_on_time",   # first contact with the resident within workorders.response_limit_h
    "closeouts",          # close-outs (every round)
    "closeouts_due",      # close-outs plus orders still open past their deadline
    "closeouts_on_time",  # close-outs within workorders.closeout_limit_h
    "rated",              # final return-visit ratings
    "rated_resolved",     # ... in which the resident said the problem was solved
    "rated_satisfied",    # ... in which the resident was satisfied
    "reopened",           # rounds reopened after an unsatisfied rating
    "not_reached",        # return visits that never reached the resident
    "visits_reached",     # return visits that reached the resident (every round)
    # at the end of the run, orders still open whose outcome the run has not seen (censored):
    "pending_response",   # ... first round, not yet responded to and not yet past the response limit
    "pending_closeout",   # ... the current round not yet closed and not yet past its close-out deadline
    "pending_rating",     # ... not yet ended (each may still get a final rating, or a return visit)
)
#: Counters kept per urgency class.
URGENCY_COUNTERS: tuple[str, ...] = (
    "dispatched", "dispatch_on_time", "closeouts_due", "closeouts_on_time", "response_due", "response_on_time",
    "pending_closeout", "pending_response",
)
#: Columns of the daily table (per day; backlog columns are added per unit type).
DAILY_COUNTERS: tuple[str, ...] = ("work_orders_created", "closeouts", "ratings")

#: The time-to-close histogram: ``N_BINS`` bins, log-spaced from 10**LOG_LO_H to 10**LOG_HI_H hours.
N_BINS, LOG_LO_H, LOG_HI_H = 600, -2.0, 4.0
HIST_EDGES_H = np.logspace(LOG_LO_H, LOG_HI_H, N_BINS + 1)
_LOG_STEP = (LOG_HI_H - LOG_LO_H) / N_BINS
_MIN_H = 10 ** LOG_LO_H


@dataclass
class BackOfficeMeta:
    """What the back office's arrays are indexed by: units (global id), unit types and categories.

    Attributes
    ----------
    type_of : list of int
        Unit type (index into ``type_names``) of every unit.
    type_names, unit_names : list of str
        Unit types, and every unit's name.
    capacity : list of int
        Every unit's case slots.
    categories : list of str
        Request categories (rows of the time-to-close histograms).
    """

    type_of: List[int]
    type_names: List[str]
    unit_names: List[str]
    capacity: List[int]
    categories: List[str]


@dataclass
class BackOfficeRecords:
    """The work-order pipeline's counters of one replication (a :class:`BackOfficeRecorder`'s result).

    Attributes
    ----------
    unit : dict of str to ndarray
        :data:`UNIT_COUNTERS`, one value per unit.
    urgency : dict of str to ndarray
        :data:`URGENCY_COUNTERS`, one value per urgency class.
    close_hist, censor_hist : ndarray, shape (categories, N_BINS)
        Time-to-close histograms of orders closed, and of orders not yet closed at their age when the run stopped.
    close_sum_h, censor_sum_h, close_n : ndarray, shape (categories,)
        Sums of those hours, and the orders closed.
    daily : dict of str to ndarray
        :data:`DAILY_COUNTERS`, one value per day (drain included).
    backlog, queued : dict of str to ndarray
        Per unit type, orders open (queued or in progress) and queued at the end of each day.
    work_orders, orders_bounced, visit_attempts : int
        Work orders of the window, those bounced back at least once, and return-visit attempts made.
    meta : BackOfficeMeta
        What the arrays are indexed by.
    """

    unit: Dict[str, np.ndarray]
    urgency: Dict[str, np.ndarray]
    close_hist: np.ndarray
    close_sum_h: np.ndarray
    close_n: np.ndarray
    censor_hist: np.ndarray
    censor_sum_h: np.ndarray
    daily: Dict[str, np.ndarray]
    backlog: Dict[str, np.ndarray]
    queued: Dict[str, np.ndarray]
    work_orders: int
    orders_bounced: int
    visit_attempts: int
    meta: BackOfficeMeta


class BackOfficeRecorder:
    """Counters of the work-order pipeline for one replication.

    Parameters
    ----------
    n_units : int
        Number of units.
    n_categories : int
        Number of request categories.
    n_days : int
        Simulated days, drain included.
    unit_types : list of str
        Names of the unit types (backlog columns of the daily table).
    """

    def __init__(self, n_units: int, n_categories: int, n_days: int, unit_types: List[str]) -> None:
        self.unit = {name: [0] * n_units for name in UNIT_COUNTERS}
        self.urgency = {name: [0] * len(URGENCY_CLASSES) for name in URGENCY_COUNTERS}
        self.close_hist = [[0] * N_BINS for _ in range(n_categories)]
        self.close_sum_h = [0.0] * n_categories
        self.censor_hist = [[0] * N_BINS for _ in range(n_categories)]
        self.censor_sum_h = [0.0] * n_categories
        self.daily = {name: [0] * n_days for name in DAILY_COUNTERS}
        self.backlog = {t: [0] * n_days for t in unit_types}
        self.queued = {t: [0] * n_days for t in unit_types}
        self.totals = {"work_orders": 0, "orders_bounced": 0, "visit_attempts": 0}
        self.n_days = n_days

    def add_time_to_close(self, category: int, hours: float) -> None:
        """Record the time from first contact to first close-out of one order."""
        self.close_sum_h[category] += hours
        self.close_hist[category][hist_bin(hours)] += 1

    def add_not_closed(self, category: int, hours: float) -> None:
        """Record an order not yet closed when the run stopped, ``hours`` after its first contact (censored)."""
        self.censor_sum_h[category] += hours
        self.censor_hist[category][hist_bin(hours)] += 1

    @property
    def close_n(self) -> List[int]:
        """Orders closed (first close-out) per category: the histogram's counts."""
        return [sum(h) for h in self.close_hist]

    def arrays(self, meta: BackOfficeMeta) -> BackOfficeRecords:
        """Everything as arrays (for the replication result), with what they are indexed by."""
        return BackOfficeRecords(
            unit={k: np.asarray(v, dtype=float) for k, v in self.unit.items()},
            urgency={k: np.asarray(v, dtype=float) for k, v in self.urgency.items()},
            close_hist=np.asarray(self.close_hist, dtype=float),
            close_sum_h=np.asarray(self.close_sum_h, dtype=float),
            close_n=np.asarray(self.close_hist, dtype=float).sum(axis=1),
            censor_hist=np.asarray(self.censor_hist, dtype=float),
            censor_sum_h=np.asarray(self.censor_sum_h, dtype=float),
            daily={k: np.asarray(v, dtype=float) for k, v in self.daily.items()},
            backlog={k: np.asarray(v, dtype=float) for k, v in self.backlog.items()},
            queued={k: np.asarray(v, dtype=float) for k, v in self.queued.items()},
            work_orders=self.totals["work_orders"], orders_bounced=self.totals["orders_bounced"],
            visit_attempts=self.totals["visit_attempts"], meta=meta)


def hist_bin(hours: float) -> int:
    """The bin of the time-to-close histogram that holds ``hours``."""
    if hours <= _MIN_H:
        return 0
    b = int((math.log10(hours) - LOG_LO_H) / _LOG_STEP)
    return N_BINS - 1 if b >= N_BINS else b


def hist_quantile(hist: np.ndarray, q: float, total: float | None = None) -> float:
    """Quantile ``q`` of a time-to-close histogram (log-linear interpolation in the bin).

    ``total`` is the mass the quantile is a share of (the histogram's sum by default); when the
    histogram holds less than ``q * total`` the quantile lies beyond it and is NaN.
    """
    total = float(hist.sum()) if total is None else total
    if total <= 0 or hist.sum() < q * total * (1 - 1e-12):
        return float("nan")
    cum = np.cumsum(hist)
    b = int(np.searchsorted(cum, q * total, side="left"))
    b = min(b, len(hist) - 1)
    before = cum[b - 1] if b > 0 else 0.0
    frac = (q * total - before) / hist[b] if hist[b] > 0 else 0.0
    lo, hi = np.log10(HIST_EDGES_H[b]), np.log10(HIST_EDGES_H[b + 1])
    return float(10 ** (lo + frac * (hi - lo)))
