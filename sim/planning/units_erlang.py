"""Case workers per unit from a multi-server approximation of the unit's queue of work orders.

A unit with ``w`` case workers of caseload ``k`` holds ``c = w k`` cases open at once
(:mod:`sim.model.units`); an order that finds every slot taken waits, most urgent class first,
first come first served within a class, and is signed only while the unit is at work
(:mod:`sim.model.backoffice`).  :func:`unit_models` describes every unit's queue from the scenario
(:mod:`sim.planning.units_load`, :mod:`sim.planning.units_times`) and :meth:`UnitModel.rates`
predicts the unit's response rate and close-out on-time rate with ``c`` slots:

* **Load**: the slots busy on average in each hour of the measurement window, the modified
  offered load (Jennings, Mandelbaum, Massey & Whitt 1996: the mean number busy in the
  infinite-server queue fed by the hour-by-hour arrival rate, from the weeks before the run in
  their periodic steady state), every round of every class and category with its own holding time
  (from signing to close-out, calendar included), averaged over the mean holding time up to the
  hour, or over the calendar's cycle if longer (a day; a week for a unit closed on some days):
  cases last hours to days, and a queue of orders waiting for a slot builds up and clears over
  that time - a unit closed at the weekend stores the orders of Friday and clears them on Monday -
  so a peak of an hour or a day does not overload a unit that the hours around it relieve; a surge
  of days does.  For a constant arrival
  rate this is ``lambda E[H]``, the stationary offered load.
* **Waiting, per hour**: Erlang C with ``c`` slots and the hour's load gives the share of orders
  that wait (hours of nearly equal load are evaluated together), and the waiting time of each
  class is that of the non-preemptive priority M/M/c queue with one service rate
  (:mod:`sim.analysis.theory_priority`, Davis 1966), slots freeing at ``c / E[H]``, ``E[H]`` the
  mean over the unit's orders.  A holding time that is not exponential shortens the wait by the
  factor ``(1 + cs^2) / 2`` (``cs``: its coefficient of variation; the Allen-Cunneen / Kingman
  scaling, Whitt 1993, "Approximations for the GI/G/m queue", Production and Operations
  Management 2).  An hour whose load reaches ``c`` counts all its orders late.
* **Calendar**: a unit at work a share ``f`` of the week signs and frees slots only then, so its
  queue is that of the same load in the unit's working time: rates per working hour are ``1/f``
  times the elapsed ones, and a wait is measured in hours at work.  The probability of being on
  time after a wait ``w`` at work, ``A(w)``, includes the wait for the next opening and the
  response and resolution that follow, by the hour of the week of arrival
  (:class:`sim.planning.units_times.UnitTimes`).
* **Response delay and resolution**: independent of the wait (a class's waiting time does not
  depend on its own holding time), so the on-time probability of an order is
  ``(1 - C) A(0) + C integral A(w) dF(w)``, ``F`` the conditional law of the wait.  The response
  counts first rounds only; the close-out every round.

Exact (up to the quadrature, ~1e-6) for a unit at work around the clock with Poisson orders, one
exponential holding time for every class and no response delay: Erlang C's
``1 - C exp(-(c mu - lambda) L)`` for one class, Davis's law for several, any caseload.  Otherwise
an approximation, which ``unit_staffing.policy=optimize`` corrects by simulation.
:meth:`UnitModel.fewest_workers` is the fewest whole case workers (before scale, like the scenario's)
meeting both targets; a target that
no number meets (the response delays, resolution times and calendar alone make too many orders
late) is :class:`Unreachable`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from sim.analysis.theory_priority import priority_wait_cdfs
from sim.config.schema import URGENCY_CLASSES, Config
from sim.core.calendar import WorkCalendar
from sim.model.compile import Compiled
from sim.model.derive import calendars
from sim.planning.units_load import PAST_WEEKS, unit_demand
from sim.planning.units_plan import slots_needed_workers, type_capacities
from sim.planning.units_times import Holding, OnTime, UnitTimes

#: Hours whose loads differ by less than this share of the unit's mean load are evaluated together ...
LOAD_BIN = 0.01
#: At most this many groups of hours of nearly equal load.
LOAD_GROUPS = 8
TARGETS = ("response_rate", "closeout_on_time_rate")


class Unreachable(Exception):
    """No number of case workers meets a target at a unit: ``target`` (name), ``ceiling`` (the best rate)."""

    def __init__(self, unit: str, target: str, ceiling: float) -> None:
        super().__init__(f"{unit}: {target} at most {ceiling:.4f}")
        self.unit, self.target, self.ceiling = unit, target, ceiling


def erlang_b_vector(c: int, loads: np.ndarray) -> np.ndarray:
    """Erlang B with ``c`` servers for every load of ``loads`` (the stable recursion, vectorised)."""
    b = np.ones(loads.shape)
    for n in range(1, c + 1):
        b = loads * b / (n + loads * b)
    return b


@dataclass
class UnitModel:
    """One unit's queue as the approximation sees it (module docstring).

    Attributes
    ----------
    uid, name, type_name, caseload : identity and the case slots per worker
    first : ndarray, shape (classes, H)
        First-round orders per hour of the window (the response's weights).
    rounds : ndarray, shape (classes, H)
        Rounds per hour of the window, reopened ones included (the close-out's weights).
    hour_of_week : ndarray, shape (H,)
    load : ndarray, shape (H,)
        Slots busy on average in each hour with unlimited slots (Erlang).
    mean_h, cs2 : float
        Mean holding time (hours) and its squared coefficient of variation.
    share : ndarray, shape (classes,)
        Share of each class in the rounds.
    open_share : float
        Share of the week the unit is at work.
    response, closeout : list of OnTime or None
        ``A(w)`` per class (None for a class without orders).
    """

    uid: int
    name: str
    type_name: str
    caseload: int
    first: np.ndarray
    rounds: np.ndarray
    hour_of_week: np.ndarray
    load: np.ndarray
    mean_h: float
    cs2: float
    share: np.ndarray
    open_share: float
    response: List[Optional[OnTime]]
    closeout: List[Optional[OnTime]]
    _bins: Dict[float, Tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _rates: Dict[Tuple[int, float], Dict[str, float]] = field(default_factory=dict, repr=False)

    @property
    def orders(self) -> float:
        """First-round orders in the window."""
        return float(self.first.sum())

    def _load_bins(self, kappa: float) -> Tuple[np.ndarray, np.ndarray]:
        """Bin of every hour and the bins' loads, for the load multiplied by ``kappa``."""
        if kappa not in self._bins:
            m = self.load * kappa
            weight = self.rounds.sum(axis=0) + 1e-300
            spread = (float(m.max()) - float(m.min())) / LOAD_GROUPS
            width = max(LOAD_BIN * float(np.average(m, weights=weight)), spread, 1e-12)
            idx = np.floor((m - m.min()) / width).astype(np.int64)
            _, inverse = np.unique(idx, return_inverse=True)
            sums = np.bincount(inverse, weights=m * weight)
            loads = sums / np.bincount(inverse, weights=weight)
            self._bins[kappa] = (inverse, loads)
        return self._bins[kappa]

    def rates(self, c: int, kappa: float = 1.0) -> Dict[str, float]:
        """Predicted response rate and close-out on-time rate with ``c`` slots (loads times ``kappa``);
        ``c = None``-like infinity is :meth:`ceiling`."""
        if (c, kappa) in self._rates:
            return self._rates[(c, kappa)]
        inverse, loads = self._load_bins(kappa)
        stable = loads < c
        p_wait = np.ones(loads.shape)
        if stable.any():
            b = erlang_b_vector(c, loads[stable])
            p_wait[stable] = b / (1.0 - loads[stable] / c * (1.0 - b))
        out = {"response_rate": self._rate(self.first, self.response, c, loads, p_wait, stable, inverse),
               "closeout_on_time_rate": self._rate(self.rounds, self.closeout, c, loads, p_wait, stable, inverse)}
        if len(self._rates) < 64:
            self._rates[(c, kappa)] = out
        return out

    def ceiling(self) -> Dict[str, float]:
        """The rates with as many slots as orders (nobody waits for one)."""
        out = {}
        for name, weights, table in (("response_rate", self.first, self.response),
                                     ("closeout_on_time_rate", self.rounds, self.closeout)):
            total = num = 0.0
            for k, a in enumerate(table):
                if a is None:
                    continue
                num += float(np.dot(weights[k], a.a[self._rows(a), 0]))
                total += float(weights[k].sum())
            out[name] = num / total if total > 0 else float("nan")
        return out

    def _rows(self, a: OnTime) -> np.ndarray:
        return self.hour_of_week if a.a.shape[0] == 168 else np.zeros(len(self.hour_of_week), dtype=np.int64)

    def _rate(self, weights: np.ndarray, table: List[Optional[OnTime]], c: int, loads: np.ndarray,
              p_wait: np.ndarray, stable: np.ndarray, inverse: np.ndarray) -> float:
        total = float(weights.sum())
        if total <= 0:
            return float("nan")
        nu = c / (self.mean_h * self.open_share)  # slots freed per hour at work while all are busy
        speed = 2.0 / (1.0 + self.cs2)  # Allen-Cunneen: a wait of the M/M/c queue times (1 + cs^2) / 2
        cum = np.cumsum(self.share)
        num = 0.0
        for k, a in enumerate(table):
            if a is None or weights[k].sum() <= 0:
                continue
            per_bin = np.zeros((len(loads), a.a.shape[0]))  # every order of an overloaded hour is late
            if stable.any():
                lam = loads[stable] / (self.mean_h * self.open_share)
                f = priority_wait_cdfs(speed * a.w_h, nu, lam * (cum[k] - self.share[k]), lam * cum[k])
                waited = np.diff(f, axis=1) @ (0.5 * (a.a[:, 1:] + a.a[:, :-1])).T  # (bins, rows)
                pw = p_wait[stable][:, None]
                per_bin[stable] = (1.0 - pw) * a.a[None, :, 0] + pw * waited
            num += float(np.dot(weights[k], per_bin[inverse, self._rows(a)]))
        return num / total

    def meets(self, c: int, targets: Dict[str, float], kappa: float = 1.0) -> bool:
        """Whether ``c`` slots meet every target (a unit without orders meets them with none)."""
        if self.orders <= 0:
            return True
        r = self.rates(c, kappa)
        return all(not r[n] < t for n, t in targets.items() if not np.isnan(r[n]))

    def slots(self, workers: int, scale: float) -> int:
        """The unit's slots with ``workers`` case workers before scale (alone in its type: no carried fraction)."""
        return type_capacities([float(workers)], self.caseload, scale)[0]

    def relaxation_h(self, c: int) -> float:
        """Hours the unit's queue takes to forget its state with ``c`` slots at its mean load: about
        ``E[H] / (c (1 - sqrt(rho))^2)``, the relaxation time of the M/M/1 queue of the slots' total rate while all
        are busy (Morse 1955; Abate & Whitt 1987, "Transient behavior of the M/M/1 queue", Management Science 33);
        infinite when the mean load reaches ``c``."""
        rho = float(self.load.mean()) / c if c > 0 else np.inf
        return self.mean_h / (c * (1.0 - np.sqrt(rho)) ** 2) if rho < 1.0 else np.inf

    def trusted_workers(self, scale: float, warmup_h: float) -> int:
        """The fewest case workers whose steady state a simulation with ``warmup_h`` hours of warm-up can measure:
        slots above the mean load, and a relaxation time (:meth:`relaxation_h`) of at most a third of the warm-up
        (0 without orders; without a warm-up, slots above the mean load only)."""
        if self.orders <= 0:
            return 0
        w = slots_needed_workers(int(np.floor(float(self.load.mean()))) + 1, self.caseload, scale)
        while warmup_h > 0 and self.relaxation_h(self.slots(w, scale)) > warmup_h / 3.0:
            w += 1
        return w

    def fewest_workers(self, targets: Dict[str, float], scale: float, kappa: float = 1.0, start: int = 0) -> int:
        """The fewest whole case workers (before scale, from ``start``) meeting every target: upwards from the
        fewest that keep the load below the slots, doubling the step, then halving the bracket.

        Raises
        ------
        Unreachable
            A target above the rate with unlimited slots (:meth:`ceiling`).
        """
        if self.orders <= 0:
            return 0
        top = self.ceiling()
        for name, t in targets.items():
            if top[name] < t:
                raise Unreachable(self.name, name, top[name])
        inverse, loads = self._load_bins(kappa)
        busiest = float(loads[np.unique(inverse[self.rounds.sum(axis=0) > 0])].max())  # of hours with orders
        lo = max(start, slots_needed_workers(int(np.floor(busiest)) + 1, self.caseload, scale)) - 1
        w, step = lo + 1, 1
        while not self.meets(self.slots(w, scale), targets, kappa):
            lo, w, step = w, w + step, step * 2
            if step > 2 ** 40:  # pragma: no cover - the ceiling is met long before
                raise Unreachable(self.name, "response_rate", top["response_rate"])
        hi = w
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.meets(self.slots(mid, scale), targets, kappa):
                hi = mid
            else:
                lo = mid
        return hi


def unit_models(cfg: Config, sc: Compiled, targets: Dict[str, float]) -> List[UnitModel]:
    """Every unit's queue (module docstring), in the directory's order: ``sc`` is ``cfg`` compiled (each unit
    type's calendar and caseload are read from ``cfg``)."""
    assert sc.backoffice is not None
    d = sc.backoffice.units
    cals = calendars(cfg)
    demand = unit_demand(sc, 1.0 - targets["closeout_on_time_rate"])
    times = UnitTimes(sc, cals, PAST_WEEKS * 168)
    win = demand.window
    hw = demand.hour_of_week()
    n_cls = len(URGENCY_CLASSES)
    per_round = demand.rates * (1.0 + demand.extra_rounds)[:, None, None]
    totals = per_round[:, :, win].sum(axis=2)  # (categories, classes) rounds in the window
    profiles = np.zeros((per_round.shape[0], n_cls, 168))
    for h in range(168):
        profiles[:, :, h] = per_round[:, :, win][:, :, hw[win] == h].sum(axis=2)
    phi: Dict[Tuple[str, int], np.ndarray] = {}
    models = []
    for unit in d.units:
        tname = d.type_names[unit.type_index]
        ut = cfg.units[tname]
        cal = ut.calendar
        route = demand.route[unit.uid]
        weight = route[:, None] * totals  # (categories, classes)
        holds = {(int(c), int(k)): times.holding(cal, int(k), int(c), profiles[c, k])
                 for c, k in zip(*np.nonzero(weight))}
        load = np.zeros(demand.hours)
        for c in (int(x) for x in np.nonzero(route)[0]):
            if (cal, c) not in phi:
                phi[(cal, c)] = _category_load(per_round[c], [times.holding(cal, k, c, profiles[c, k])
                                                              if per_round[c, k].any() else None
                                                              for k in range(n_cls)])
            load += route[c] * phi[(cal, c)]
        w_sum = float(weight.sum())
        mean_h = sum(weight[c, k] * h.mean_h for (c, k), h in holds.items()) / w_sum if w_sum > 0 else 1.0
        load = _trailing_mean(load, _span_h(mean_h, cals[cal]))[win]
        second = sum(weight[c, k] * h.second_h2 for (c, k), h in holds.items()) / w_sum if w_sum > 0 else 1.0
        by_class = weight.sum(axis=0)
        share = by_class / w_sum if w_sum > 0 else np.zeros(n_cls)
        first = np.tensordot(route, demand.rates[:, :, win], axes=(0, 0))
        rounds = np.tensordot(route, per_round[:, :, win], axes=(0, 0))
        response = [times.response(cal, k) if by_class[k] > 0 else None for k in range(n_cls)]
        closeout = [_mixed([(weight[c, k], times.closeout(cal, k, int(c))) for c in np.nonzero(weight[:, k])[0]])
                    if by_class[k] > 0 else None for k in range(n_cls)]
        models.append(UnitModel(unit.uid, unit.name, tname, int(ut.caseload), first, rounds, hw[win], load,
                                mean_h, max(second / (mean_h * mean_h) - 1.0, 0.0), share,
                                times.periods(cal).open_share, response, closeout))
    return models


def _span_h(mean_h: float, cal: WorkCalendar) -> int:
    """Hours over which a unit's load is averaged: its mean holding time, or its calendar's cycle if longer (a day
    for one that opens every day, a week for one closed on some days)."""
    cycle = 0.0 if cal.always else (24.0 if cal.every_day else 168.0)
    return max(1, int(round(max(mean_h, cycle))))


def _trailing_mean(x: np.ndarray, hours: int) -> np.ndarray:
    """The mean of ``x`` over the ``hours`` hours up to and including each hour (the grid starts weeks before the
    window, so every hour of the window has a full span)."""
    cum = np.concatenate([[0.0], np.cumsum(x)])
    idx = np.arange(1, x.size + 1)
    return (cum[idx] - cum[np.maximum(idx - hours, 0)]) / np.minimum(idx, hours)


def _category_load(rates: np.ndarray, holds: List[Optional[Holding]]) -> np.ndarray:
    """Slots busy per hour of the grid with unlimited slots: each class's rounds per hour convolved with
    the hourly survival of its holding time."""
    out = np.zeros(rates.shape[1])
    for k, h in enumerate(holds):
        if h is not None:
            out += np.convolve(rates[k], h.survival)[:rates.shape[1]]
    return out


def _mixed(parts: List[Tuple[float, OnTime]]) -> OnTime:
    """The weighted mean of on-time functions on one grid of waits (a class's categories)."""
    total = sum(w for w, _ in parts)
    rows = max(a.a.shape[0] for _, a in parts)
    a = sum(w * np.broadcast_to(p.a, (rows, p.a.shape[1])) for w, p in parts) / total
    return OnTime(parts[0][1].w_h, np.asarray(a))
