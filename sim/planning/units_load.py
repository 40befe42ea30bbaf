"""The work orders each unit receives, by urgency class and hour, from the scenario's own parameters.

The unit planner (:mod:`sim.planning.units_erlang`) needs, for every unit, the orders per hour of
each urgency class that reach it, as the model generates them:

* **Contacts** of every category per hour, both channels, from the arrival process itself
  (:meth:`sim.model.arrivals.ChannelArrivals.pieces`: volume x scale x weekday factor x hourly
  profile x surges; the gamma day multiplier has mean 1), over a grid of whole hours that starts
  :data:`PAST_WEEKS` weeks before the run (ordinary weeks, without surges: the back office then is
  in the periodic steady state the planner plans for) and ends at the horizon.
* **Work orders**: a contact of category ``c`` and class ``k`` becomes one with probability
  ``1 - emergency_transfer_share`` for an emergency, ``1 - direct_share`` otherwise (as
  :mod:`sim.model.residents` draws the triage).
* **Arrival at the unit**: the dispatch delay of the class shifts the orders (its distribution over
  whole hours); the wait for an operator and the call are minutes and are left out, and so are
  the detours of a misrouted order (a review at the wrong unit and a second dispatch) and, with
  ``workorders.dispatch=via_district``, the district's review: a misrouted order still reaches its
  unit, a little later, and holds no slot at the wrong one.
* **Which unit**: :func:`routing_matrix`, ``P(unit | category)`` as
  :meth:`sim.model.units.UnitDirectory.draw` draws it: the category's named unit, or a unit of its
  type by the type's weights, and for a unit that belongs to a district the category's
  ``unclear_share`` moved to the district.  With ``workorders.assignment=least_loaded`` the orders
  are still taken as drawn by the weights (the balancing only helps the units it spreads over).
* **Later rounds**: :func:`extra_rounds`, the reopened rounds per first round of a category
  (return visits reach the resident with ``1 - (1 - reach_probability)^max_attempts``; the share
  unsatisfied follows from ``resolved_share``, ``p_reports_resolved`` and ``p_satisfied``, with the
  lateness factors applied to the share of close-outs the close-out target allows to be late).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.analysis.offered_load import mean_rate
from sim.config.schema import URGENCY_CLASSES
from sim.core.calendar import DAY_S
from sim.core.distributions import Distribution
from sim.model.compile import Compiled
from sim.model.units import UnitDirectory

#: Ordinary weeks before the run on the planning grid (the loads of orders signed before the run).
PAST_WEEKS = 6
EMERGENCY = URGENCY_CLASSES.index("emergency")
HOUR_S = 3600.0


@dataclass
class UnitDemand:
    """Work orders reaching their units, per category, class and hour of the planning grid.

    Attributes
    ----------
    first_h : int
        Hour of the grid's first hour, from the run's start (negative: before the run).
    window : slice
        The grid's hours of the measurement window (from ``experiment.warmup_h`` to the horizon).
    rates : ndarray, shape (categories, classes, hours)
        First-round work orders per hour reaching their unit.
    route : ndarray, shape (units, categories)
        ``P(unit | category)``.
    extra_rounds : ndarray, shape (categories,)
        Reopened rounds per first round.
    """

    first_h: int
    window: slice
    rates: np.ndarray
    route: np.ndarray
    extra_rounds: np.ndarray

    @property
    def hours(self) -> int:
        """Hours on the grid."""
        return self.rates.shape[2]

    def hour_of_week(self) -> np.ndarray:
        """Hour of the week of every hour of the grid (0 = the first hour of the run's first day)."""
        return (np.arange(self.hours) + self.first_h) % 168

    def unit_rates(self, u: int) -> np.ndarray:
        """First-round orders per hour reaching unit ``u``, shape (classes, hours)."""
        return np.tensordot(self.route[u], self.rates, axes=(0, 0))


def order_shares(sc: Compiled) -> np.ndarray:
    """``P(work order of class k | contact of category c)``, shape (categories, classes)."""
    cum = sc.triage.urgency_cum
    urgency = np.diff(np.concatenate([np.zeros((cum.shape[0], 1)), cum], axis=1), axis=1)
    made = np.repeat((1.0 - sc.triage.direct_share)[:, None], len(URGENCY_CLASSES), axis=1)
    made[:, EMERGENCY] = 1.0 - sc.triage.transfer_share
    return urgency * made


def _lag_weights(dist_h: Distribution, n: int = 4000) -> np.ndarray:
    """Probability that a delay (hours) falls in each whole hour ``[l, l+1)``."""
    u = (np.arange(n) + 0.5) / n
    lags = np.floor(dist_h.ppf(u)).astype(np.int64)
    return np.bincount(np.clip(lags, 0, None), minlength=1) / n


def category_rates(sc: Compiled, first_day: int, days: int) -> np.ndarray:
    """First-round work orders per hour by category and class, on days ``first_day ...`` (before the dispatch)."""
    edges = (np.arange(days * 24 + 1) + first_day * 24) * HOUR_S
    shares = order_shares(sc)
    out = np.zeros((len(sc.categories), len(URGENCY_CLASSES), days * 24))
    for arr in sc.channels.values():
        if arr.per_day <= 0:
            continue
        parts = [arr.pieces(d) for d in range(first_day, first_day + days)]
        starts = np.concatenate([p[0] for p in parts])
        ends = np.concatenate([p[1] for p in parts])
        cat_rates = np.concatenate([p[2] for p in parts])
        for c in range(len(sc.categories)):
            per_hour = mean_rate(starts, ends, cat_rates[:, c], edges) * HOUR_S
            out[c] += per_hour[None, :] * shares[c][:, None]
    return out


def routing_matrix(d: UnitDirectory) -> np.ndarray:
    """``P(unit | category)``, shape (units, categories), as :meth:`UnitDirectory.draw` draws the unit."""
    m = np.zeros((len(d), len(d.cat_type)))
    has_district = d.district_of >= 0
    for c in range(len(d.cat_type)):
        if d.cat_unit[c] >= 0:
            m[d.cat_unit[c], c] = 1.0
        elif d.cat_type[c] >= 0:
            t = int(d.cat_type[c])
            share = np.diff(np.concatenate([[0.0], d.cum_weights[t]]))
            m[d.offsets[t]:d.offsets[t] + d.counts[t], c] = share
        moved = m[has_district, c] * d.cat_unclear[c]
        m[has_district, c] -= moved
        np.add.at(m[:, c], d.district_of[has_district], moved)
    return m


def extra_rounds(sc: Compiled, late_share: float) -> np.ndarray:
    """Reopened rounds per first round of each category (module docstring), with ``late_share`` of the
    close-outs late."""
    fb, bo = sc.feedback, sc.backoffice
    assert fb is not None and bo is not None
    explained, resolved_p = fb.p_reports_resolved  # P(reports resolved) by the unit's outcome
    not_satisfied_p, satisfied_p = fb.p_satisfied  # P(satisfied) by what the resident reports
    reached = 1.0 - (1.0 - fb.reach_probability) ** fb.max_attempts
    out = np.zeros(len(sc.categories))
    for c, resolved in enumerate(bo.resolved_share):
        unsatisfied = 0.0
        for late, weight in ((False, 1.0 - late_share), (True, late_share)):
            reports = (resolved * resolved_p + (1.0 - resolved) * explained) \
                * (fb.late_factor_resolved if late else 1.0)
            satisfied = (reports * satisfied_p + (1.0 - reports) * not_satisfied_p) \
                * (fb.late_factor_satisfied if late else 1.0)
            unsatisfied += weight * (1.0 - satisfied)
        q = reached * unsatisfied * fb.reopen_probability
        out[c] = sum(q ** r for r in range(1, int(fb.max_rounds)))
    return out


def unit_demand(sc: Compiled, late_share: float) -> UnitDemand:
    """Every unit's work orders on the planning grid (module docstring).

    Parameters
    ----------
    sc : Compiled
        The compiled scenario (with units).
    late_share : float
        Share of close-outs taken as late for the reopened rounds (``1 - `` the close-out target).
    """
    assert sc.backoffice is not None
    horizon_h, warmup_h = _window_h(sc)
    days = int(np.ceil(horizon_h / 24.0 - 1e-9))
    first_day = -7 * PAST_WEEKS
    rates = category_rates(sc, first_day, days - first_day)
    for k, dist in enumerate(sc.backoffice.dispatch_delay):
        w = _lag_weights(dist)
        for c in range(rates.shape[0]):
            if rates[c, k].any():
                rates[c, k] = np.convolve(rates[c, k], w)[:rates.shape[2]]
    first_h = first_day * 24
    lo = int(round(warmup_h)) - first_h
    hi = int(np.ceil(horizon_h - 1e-9)) - first_h
    return UnitDemand(first_h, slice(lo, hi), rates, routing_matrix(sc.backoffice.units), extra_rounds(sc, late_share))


def window_days(sc: Compiled) -> float:
    """Days in the measurement window."""
    horizon_h, warmup_h = _window_h(sc)
    return (horizon_h - warmup_h) * 3600.0 / DAY_S


def _window_h(sc: Compiled) -> tuple[float, float]:
    """The horizon and the warm-up in hours (the measurement window lies between them)."""
    clk = sc.clock
    return clk.horizon_s / 3600.0, clk.warmup_intervals * clk.interval_s / 3600.0
