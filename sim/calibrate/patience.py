"""Patience and the queue a caller finds: whether one patience curve can stand for every caller.

The model gives every caller one patience distribution (``calls.patience_s``), whatever the queue they find.
Callers who hear or guess how long the queue is behave otherwise.  In the bank's log
(``anonymous_bank``, 1-21 August 1999) the callers who found nobody waiting hung up at a rate roughly alike
whatever their wait so far (one hang-up per 380-510 s waited), while those who found six to ten callers waiting
hung up in their first 30 s at one per 176 s waited and, once past two minutes, at one per 803 s.  The
Kaplan-Meier curve pooled over all callers mixes the two: its hazard falls with the wait.  Given to every caller,
that curve makes the callers still waiting in a long queue more patient than the log's, so in an overloaded
half-hour the simulated callers hold on and the simulated ASA overshoots the log's.

:func:`queue_dependence` tests for it: the log-rank test (Mantel 1966) of the waits of the attempts that found
fewer callers waiting than the median found by the attempts that waited, against those that found at least that
many (waits to an answer censored, to a hang-up events), stratified by call type (:func:`logrank_z`): call types
differ in patience and in when they call, so each is compared within itself.  Where it rejects (p below
:data:`P_DEPENDS`) the pooled curve is a mix of queues, no one patience fits every queue, and the scenario holds
the exponential patience of censored maximum likelihood: its rate is the log's abandonments per second waited over
the fit window (abandonments = rate x time spent waiting), stable across the bank's windows (a mean of 389-415 s),
and it is the patience of the Erlang A baseline.  Brown et al. (2005, JASA 100(469)) found the abandonment of this
bank's callers close to linear in their mean wait, as that patience makes it.  A choice judged out of sample:
on the bank's hold-outs it predicted ASA better than the pooled curve in every window (8-12 August: 24.1 s mean
absolute error against 42.1 s), while in sample, where the log's callers who stay through a long queue are more
patient than it makes them, the simulated ASA runs 8-20 s below the log's at about its abandonment.  With a log
this size (tens of thousands of calls) the test rejects for a small difference too: its z and the table on the
page say how large it is.
Elsewhere the rule of :mod:`sim.calibrate.survival` stands (a family within the band, else the curve).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import numpy as np

#: The log-rank p-value below which the patience is taken to depend on the queue found.
P_DEPENDS = 0.001
#: Queue-found bins of the page's table (callers waiting when the attempt came): lower bounds.
BINS = (0, 1, 3, 6, 11)
#: Bands of the wait so far (s) in which the table gives the seconds waited per hang-up.
BANDS = ((0.0, 30.0), (30.0, 120.0), (120.0, math.inf))


def queue_found(arrive_s: np.ndarray, waits_s: np.ndarray) -> np.ndarray:
    """The number of callers waiting when each attempt came.

    Parameters
    ----------
    arrive_s, waits_s : ndarray, shape (n,)
        Arrival times and waits (to an answer, a hang-up or the end of the log), seconds; a NaN wait is
        not known and counts nowhere.

    Returns
    -------
    ndarray of int, shape (n,)
        Attempts with a positive wait that came before and had not left yet (the attempt itself excluded).
    """
    arrive_s = np.asarray(arrive_s, dtype=float)
    waits_s = np.asarray(waits_s, dtype=float)
    waited = np.isfinite(waits_s) & (waits_s > 0)
    starts = np.sort(arrive_s[waited])
    ends = np.sort(arrive_s[waited] + waits_s[waited])
    found = np.searchsorted(starts, arrive_s, side="left") - np.searchsorted(ends, arrive_s, side="right")
    return np.maximum(found, 0).astype(np.int64)


@dataclass
class QueueDependence:
    """The log-rank test of patience between callers who found a short and a long queue, and the page's table."""

    split: int                 # the groups: found fewer than ``split`` callers waiting / at least ``split``
    statistic: float           # log-rank z (negative: the long-queue group hangs up sooner)
    pvalue: float
    rows: List[Dict[str, Any]]  # per bin of BINS: attempts, abandonments, seconds waited per hang-up per band

    @property
    def depends(self) -> bool:
        """Whether the patience depends on the queue found (p below :data:`P_DEPENDS`)."""
        return self.pvalue < P_DEPENDS

    def as_dict(self) -> Dict[str, Any]:
        """JSON-ready (``calibration.json`` -> ``patience_s.queue_found``)."""
        return {"test": "log-rank, two-sided, stratified by call type (Mantel 1966)",
                "groups": f"callers who found fewer than {self.split} waiting against those who found {self.split} "
                          f"or more ({self.split}: the median found by the callers who waited), within each call "
                          "type",
                "statistic_z": self.statistic, "pvalue": self.pvalue, "threshold": P_DEPENDS,
                "depends": self.depends, "bins": self.rows}


def _per_abandonment(waits: np.ndarray, abandoned: np.ndarray, lo: float, hi: float) -> Optional[float]:
    """Seconds waited in ``[lo, hi)`` per hang-up there (the inverse of the hazard in the band); None without one."""
    exposure = float(np.clip(waits - lo, 0.0, hi - lo).sum())
    events = int(np.sum(abandoned & (waits >= lo) & (waits < hi)))
    return exposure / events if events else None


def _rows(found: np.ndarray, waits: np.ndarray, abandoned: np.ndarray) -> List[Dict[str, Any]]:
    rows = []
    for k, lo in enumerate(BINS):
        hi = BINS[k + 1] if k + 1 < len(BINS) else None
        m = (found >= lo) & ((found < hi) if hi is not None else True)
        rows.append({"found": f"{lo}" if hi == lo + 1 else (f"{lo}-{hi - 1}" if hi is not None else f"{lo}+"),
                     "attempts": int(m.sum()), "abandonments": int(np.sum(abandoned[m])),
                     "s_waited_per_hang_up": {f"{a:g}-{b:g} s" if math.isfinite(b) else f"over {a:g} s":
                                              _per_abandonment(waits[m], abandoned[m], a, b) for a, b in BANDS}})
    return rows


def logrank_z(t: np.ndarray, event: np.ndarray, group: np.ndarray, strata: Optional[np.ndarray] = None) -> float:
    """The stratified log-rank statistic of ``group`` (Mantel 1966).

    Parameters
    ----------
    t : ndarray, shape (n,)
        Durations (of an event, or of censoring).
    event, group : ndarray of bool, shape (n,)
        Whether the event was seen; whether the duration is in the group compared (the others are the rest).
    strata : ndarray, shape (n,), optional
        A stratum label per duration; the groups are compared within each stratum (one stratum by default).

    Returns
    -------
    float
        ``sum(O - E) / sqrt(sum V)`` over the strata's event times: ``O`` the group's events, ``E`` those
        expected from its share of the durations at risk, ``V`` the hypergeometric variance; standard normal
        when the group's hazard is the rest's in every stratum; negative when the group has fewer events
        than expected.  With one stratum it is :func:`scipy.stats.logrank`'s statistic.
    """
    t = np.asarray(t, dtype=float)
    event = np.asarray(event, dtype=bool)
    group = np.asarray(group, dtype=bool)
    labels = np.zeros(len(t), dtype=np.int64) if strata is None else np.asarray(strata)
    num = var = 0.0
    for s in np.unique(labels):
        m = labels == s
        tt, ee, gg = t[m], event[m], group[m]
        times = np.unique(tt[ee])
        if not len(times):
            continue
        n = len(tt) - np.searchsorted(np.sort(tt), times, side="left")  # at risk at each event time
        n1 = int(gg.sum()) - np.searchsorted(np.sort(tt[gg]), times, side="left")
        d = np.bincount(np.searchsorted(times, tt[ee]), minlength=len(times))
        d1 = np.bincount(np.searchsorted(times, tt[ee & gg]), minlength=len(times))
        share = n1 / n
        num += float(np.sum(d1 - d * share))
        var += float(np.sum(np.where(n > 1, d * share * (1 - share) * (n - d) / np.maximum(n - 1, 1), 0.0)))
    return num / math.sqrt(var) if var > 0 else 0.0


def queue_dependence(arrive_s: np.ndarray, waits_s: np.ndarray, abandoned: np.ndarray,
                     min_events: int, call_type: Optional[np.ndarray] = None) -> Optional[QueueDependence]:
    """Test whether the callers' patience depends on the queue they found (module docstring).

    Parameters
    ----------
    arrive_s, waits_s : ndarray, shape (n,)
        Arrival times and waits of the attempts offered to agents, seconds.
    abandoned : ndarray of bool, shape (n,)
        Whether each attempt ended in a hang-up (its wait an event; otherwise censored).
    min_events : int
        Each group needs this many hang-ups, else no test (None).
    call_type : ndarray, shape (n,), optional
        Each attempt's call type: the strata of the test.

    Returns
    -------
    QueueDependence or None
    """
    from scipy import stats

    waits = np.asarray(waits_s, dtype=float)
    ab = np.asarray(abandoned, dtype=bool)
    found = queue_found(arrive_s, waits)
    ok = np.isfinite(waits)
    waited = ok & (waits > 0)
    if not waited.any():
        return None
    split = max(int(np.ceil(np.median(found[waited]))), 1)
    short, long_ = ok & (found < split), ok & (found >= split)
    if min(int(np.sum(ab & short)), int(np.sum(ab & long_))) < max(min_events, 1):
        return None
    z = logrank_z(waits[ok], ab[ok], short[ok], None if call_type is None else np.asarray(call_type)[ok])
    return QueueDependence(split=split, statistic=z, pvalue=float(2.0 * stats.norm.sf(abs(z))),
                           rows=_rows(found[ok], waits[ok], ab[ok]))
