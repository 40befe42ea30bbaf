"""The erlang policy's rules for the targets Erlang A does not model: online items on time, and occupancy.

Erlang A staffs the calls (:mod:`sim.planning.requirement`); two more targets need operators it
does not count, and each rule below gives the fewest operators *available* (after shrinkage)
per reporting interval that it approximately needs.  Both are approximations, documented here
and measured in the docs; ``staffing.policy=optimize`` enforces the targets on the simulation.

* **Online items on time** (``staffing.target.online_on_time_rate``).  Operators take online
  items only when no call waits, so the calls' priority takes first whatever capacity they can
  use: their whole offered load, not the fewer agents Erlang A may find enough with abandonment
  (with hundreds of operators, Erlang A can meet a service level with fewer agents than the
  offered load; the online items then wait for the capacity the calls leave, which is none).
  The items that arrive in a *deadline window* (the intervals from an item's arrival to its
  deadline) must be done with the spare capacity of that window: for every window,

      sum over the window of (available - calls' offered load - outbound load) x interval
          >= online work arriving in the window + z x sd,

  with ``z = Phi^-1(target)`` and ``sd`` the standard deviation of the work arriving in the
  window (calls and online items, compound Poisson: rate x E[S^2] summed over the window - the
  calls' share is the noise of the capacity they leave).  Windows are taken in time order, and a
  window short of capacity gets the shortfall spread evenly over its intervals.  What the rule
  leaves out: the backlog an item finds (an item late because of the items before it: the windows
  overlap, so the flow over time is covered, but not the order within a window) and the
  non-preemptive service (an operator on an online item is not free for a call, which lowers the
  calls' service a little).  The *day multipliers* (below) add to ``sd`` the window's sum of
  :func:`day_sd` (its intervals share a day's multiplier, so their noise adds up, not in quadrature)
  over the square root of the replications that judge the plan, as for the occupancy: without it
  the erlang plan's daytime windows missed the target on seeds with busier days.
* **Maximum occupancy** (``staffing.target.max_occupancy``, or a group's own).  Occupancy is the
  operators' time busy over their time on duty, measured per interval and pooled over the
  replications.  The busy operators are on average the offered load of the calls, the online
  items taken as they arrive (with spare capacity, online items are not deferred) and outbound
  calls, so ``available >= (busy + z sd) / cap`` where ``sd`` is the standard deviation of the
  interval's mean busy operators pooled over the ``experiment.replications`` replications ``n_r``
  that judge the plan, and ``z = Phi^-1(1 - 0.1 / n)`` over the ``n`` intervals with work: a
  maximum is a cap, and this margin keeps every interval under it with probability about 0.9 if
  the noise is as modelled.  Two noises make up ``sd``: the Poisson arrivals of the interval's work
  (rate x E[S^2] / interval / n_r), and the *day multiplier* of each channel
  (``arrivals.<channel>.day_cv``, or a dated scenario's ``dated.day_log_sd``), which makes every
  interval of a day busier or quieter together: ``(cv_calls x calls' load)^2 + (cv_online x online
  work)^2`` over ``n_r`` (the channels draw their multipliers independently).  The second dominates
  on a large centre (Beijing baseline, ``day_cv`` 0.05, 4 replications: 2.5% of the busy operators
  against about 1% for the first); without it, the day with the highest multipliers was above the
  cap.  Treating a day's intervals, which move together, like independent ones in ``z`` errs on the
  safe side.  Left out: the lag of the calls' load into the next day (its multiplier is the day's
  own), and the return-visit calls' share of the day multiplier (outbound work is taken as steady).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Optional

import numpy as np


def online_floor(priority_load: np.ndarray, online_work: np.ndarray, work_var: np.ndarray, interval_s: float,
                 deadline_s: float, available: np.ndarray, target: float, replications: int = 1,
                 day_sd: Optional[np.ndarray] = None) -> np.ndarray:
    """Operators available per interval so that the online items are accepted within their deadline.

    Parameters
    ----------
    priority_load : ndarray, shape (K,)
        Work before online items (calls' offered load and outbound calls), Erlang.
    online_work : ndarray, shape (K,)
        Online work arriving (rate x mean handle time), Erlang.
    work_var : ndarray, shape (K,)
        Variance of the work arriving per second (operator-seconds squared per second).
    interval_s, deadline_s : float
        The interval's length and the online deadline, seconds.
    available : ndarray, shape (K,)
        The operators available before the rule (at least what the calls need).
    target : float
        Share of online items to accept on time, in (0, 1).
    replications : int
        Replications over which the on-time share is pooled when the plan is judged (they average the day
        multipliers' noise).
    day_sd : ndarray, shape (K,), optional
        Standard deviation of the interval's busy operators from the day multipliers (:func:`day_sd`).

    Returns
    -------
    ndarray, shape (K,)
        ``available`` raised where a deadline window lacks spare capacity (module docstring).
    """
    a = np.asarray(available, dtype=float).copy()
    m = max(1, int(round(min(deadline_s, 1e9) / interval_s)))
    z = NormalDist().inv_cdf(target)
    for k in np.flatnonzero(np.asarray(online_work) > 0):
        w = slice(int(k), min(a.size, int(k) + m))
        n = w.stop - w.start
        spare = float(np.sum(a[w] - priority_load[w])) * interval_s
        work = float(np.sum(online_work[w])) * interval_s
        sd = float(np.sum(work_var[w])) * interval_s
        if day_sd is not None:  # a window's intervals share their day's multiplier: their noise adds up
            sd += (float(np.sum(day_sd[w])) * interval_s) ** 2 / max(1, replications)
        short = work + z * math.sqrt(sd) - spare
        if short > 0:
            a[w] += short / (n * interval_s)
    return a


def occupancy_floor(busy: np.ndarray, work_var: np.ndarray, interval_s: float, cap: float, replications: int,
                    day_sd: Optional[np.ndarray] = None) -> np.ndarray:
    """Operators available per interval keeping the occupancy at or below ``cap`` (module docstring).

    Parameters
    ----------
    busy : ndarray, shape (K,)
        Mean operators busy (calls, online items as they arrive, outbound calls), Erlang.
    work_var : ndarray, shape (K,)
        Variance of the work arriving per second.
    interval_s : float
        Length of an interval, seconds.
    cap : float
        The highest occupancy, in (0, 1].
    replications : int
        Replications over which the occupancy is pooled when the plan is judged.
    day_sd : ndarray, shape (K,), optional
        Standard deviation of the interval's mean busy operators in one replication that comes from the
        day multipliers (Erlang; :func:`day_sd`); none by default.

    Returns
    -------
    ndarray, shape (K,)
        0 where there is no work.
    """
    busy = np.asarray(busy, dtype=float)
    n = max(1, int(np.sum(busy > 0)))
    z = NormalDist().inv_cdf(1.0 - 0.1 / n)
    var = np.maximum(np.asarray(work_var, dtype=float), 0.0) / interval_s
    if day_sd is not None:
        var = var + np.asarray(day_sd, dtype=float) ** 2
    sd = np.sqrt(var / max(1, replications))
    return np.where(busy > 0, (busy + z * sd) / cap, 0.0)


def day_sd(call_load: np.ndarray, cv_calls: np.ndarray, online_work: np.ndarray, cv_online: np.ndarray
           ) -> np.ndarray:
    """Standard deviation of each interval's mean busy operators from the channels' day multipliers.

    Parameters
    ----------
    call_load, online_work : ndarray, shape (K,)
        The calls' offered load and the online work arriving, Erlang.
    cv_calls, cv_online : ndarray, shape (K,)
        Coefficient of variation of the day multiplier of the interval's day, per channel
        (:meth:`sim.model.arrivals.ChannelArrivals.multiplier_cv`).

    Returns
    -------
    ndarray, shape (K,)
        ``sqrt((cv_calls x call_load)^2 + (cv_online x online_work)^2)``, Erlang: a multiplier scales its
        channel's load in every interval of the day, and the channels draw theirs independently.
    """
    return np.hypot(np.asarray(cv_calls) * np.asarray(call_load), np.asarray(cv_online) * np.asarray(online_work))
