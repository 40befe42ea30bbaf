"""The front line's work as the model generates it: arrival rates of each kind of work and its handle time.

A staffing requirement must be derived from the scenario's own parameters, exactly as the
model uses them.  This module reads them from a :class:`~sim.model.compile.Compiled` scenario:

* :func:`channel_work` - for a channel, the piecewise-constant arrival rate of each kind of work
  (category x triage outcome, as :mod:`sim.model.residents` draws them: an emergency-class
  contact is transferred to emergency services with its category's transfer share, otherwise it
  becomes a work order; another contact is answered directly with the category's direct share)
  together with its handle-time distribution, over whole days, from the arrival process itself
  (:meth:`sim.model.arrivals.ChannelArrivals.pieces`: volume x scale x weekday factor x hourly
  profile x surges; the gamma day multiplier has mean 1).  Kinds of work with the same
  handle-time distribution are merged;
* :func:`outbound_work` - the return-visit calls that operators make when
  ``feedback.mode=operators``: the mean operator-seconds per day they bring, in steady state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Dict, List, Optional, Tuple

import numpy as np

from sim.core.distributions import Distribution
from sim.model.compile import Compiled
from sim.model.derive import DIRECT, TRANSFER, WORK_ORDER


@dataclass
class Work:
    """Arrival rates of the kinds of work of one channel, with their handle times.

    Attributes
    ----------
    starts, ends : ndarray, shape (P,)
        Pieces of constant rate, seconds from time 0.
    rates : ndarray, shape (P, J)
        Arrivals per second of kind ``j`` in each piece.
    dists : list of Distribution
        Handle time of each kind (seconds).
    labels : list of str
        What each kind is (``"work_order: lognormal(mean 300)"``), for reports.
    """

    starts: np.ndarray
    ends: np.ndarray
    rates: np.ndarray
    dists: List[Distribution]
    labels: List[str]


def _key(d: Distribution) -> Tuple:
    return (d.family, d.params, d.mean, d.variance)


def channel_work(sc: Compiled, channel: str, first_day: int, days: int,
                 categories: Optional[Collection[int]] = None) -> Work:
    """Arrival rates and handle times of every kind of work of ``channel`` on days ``first_day`` ...

    Parameters
    ----------
    sc : Compiled
        The compiled scenario (its scale is applied: volumes are those simulated).
    channel : str
        ``"phone"`` or ``"online"``.
    first_day, days : int
        Days (0 = the run's first day; -1 = the day before, with its weekday factor and no surge).
    categories : collection of int, optional
        Only the work of these categories (indices in ``sc.categories``: an operator group's share of
        the calls); default every category.
    """
    arr = sc.channels[channel]
    parts = [arr.pieces(d) for d in range(first_day, first_day + days)]
    starts = np.concatenate([p[0] for p in parts])
    ends = np.concatenate([p[1] for p in parts])
    cat_rates = np.concatenate([p[2] for p in parts])
    shares = sc.triage.kind_share
    table = sc.handle[channel]
    merged: Dict[Tuple, int] = {}
    dists: List[Distribution] = []
    labels: List[str] = []
    columns: List[np.ndarray] = []
    for k in range(len(sc.categories)):
        if categories is not None and k not in categories:
            continue
        for kind, name in ((DIRECT, "direct"), (WORK_ORDER, "work_order"), (TRANSFER, "transfer")):
            if shares[k, kind] <= 0:
                continue
            d = sc.transfer if kind == TRANSFER else table[kind][k]
            j = merged.get(_key(d))
            if j is None:
                j = merged[_key(d)] = len(dists)
                dists.append(d)
                labels.append(f"{name}: {d.family}(mean {d.mean:g} s)")
                columns.append(np.zeros(len(starts)))
            columns[j] = columns[j] + cat_rates[:, k] * shares[k, kind]
    keep = [j for j, col in enumerate(columns) if np.any(col > 0)]  # a channel without demand has no work
    rates = np.stack([columns[j] for j in keep], axis=1) if keep else np.zeros((len(starts), 0))
    return Work(starts, ends, rates, [dists[j] for j in keep], [labels[j] for j in keep])


def work_order_rate_per_day(sc: Compiled) -> float:
    """Mean work orders a day over a week of both channels (no surges: a steady-state figure)."""
    shares = sc.triage.kind_share[:, WORK_ORDER]
    total = 0.0
    for arr in sc.channels.values():
        for day in range(7):
            starts, ends, rates = arr.pieces(day)
            total += float(np.sum((rates * shares[None, :]).sum(axis=1) * (ends - starts)))
    return total / 7.0


def outbound_work(sc: Compiled) -> float:
    """Mean operator-seconds per day of return-visit calls, in steady state (0 without units).

    Each work order is visited once per round; a visit is up to ``max_attempts`` attempts, each
    reaching the resident with ``reach_probability``; a reached attempt takes ``talk_s``, an
    unanswered one ``no_answer_s``.  A further round follows an unsatisfied rating with
    ``reopen_probability``; the share unsatisfied is taken from the units' resolved shares and
    ``p_reports_resolved`` / ``p_satisfied`` without the lateness factors (an approximation: late
    close-outs are few in a scenario meant to meet its limits).
    """
    fb, bo = sc.feedback, sc.backoffice
    if fb is None or bo is None:
        return 0.0
    p = float(fb.reach_probability)
    a = int(fb.max_attempts)
    p_reached = 1.0 - (1.0 - p) ** a
    attempts = sum((1.0 - p) ** i for i in range(a))
    per_visit = p_reached * fb.talk.mean + (attempts - p_reached) * fb.no_answer.mean
    wo = sc.triage.kind_share[:, WORK_ORDER] * sc.shares
    weights = wo / wo.sum() if wo.sum() > 0 else sc.shares
    resolved = float(np.dot(weights, bo.resolved_share))
    (explained, res), (not_res, sat) = fb.p_reports_resolved, fb.p_satisfied
    reports = resolved * res + (1 - resolved) * explained
    satisfied = reports * sat + (1 - reports) * not_res
    q = p_reached * (1.0 - satisfied) * fb.reopen_probability
    rounds = sum(q ** r for r in range(int(fb.max_rounds)))
    return work_order_rate_per_day(sc) * rounds * per_visit
