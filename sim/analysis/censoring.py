"""Work orders still open when the run stops: KPIs that count them as censored, and the range they leave.

A run that stops before its work orders are done (a short ``experiment.drain_h``: with
``drain_h=0`` a third of a week's orders are still open) has seen the close-out, the
response or the rating of the quick orders only.  A KPI computed over the outcomes seen
describes those orders, not the cohort: the 90th percentile of the time to close of a
week without a drain is 85 h over the orders closed, 154 h once they are all closed.
Each KPI of the catalogue that is defined over such outcomes says how it counts the
open ones (:class:`sim.config.kpi_catalog.Censoring`, in each KPI's record):

* a share (``satisfaction_rate``, ``closeout_on_time_rate`` ...) keeps its value over
  the outcomes seen, and gets the range the open members leave: from ``num / (den + m)``
  (every open one ends badly) to ``(num + m) / (den + m)`` (every one ends well), ``m``
  open members;
* a quantile of the time to close is the Kaplan-Meier (product-limit) estimate, with
  every order not yet closed censored at its age when the run stopped (Kaplan & Meier
  1958, *Nonparametric estimation from incomplete observations*, JASA 53: 457-481), in the
  life-table form on the histogram's log-spaced bins (an order censored within a bin is
  at risk for half of it; Cutler & Ederer 1958).  It equals the plain quantile when no
  order is open, and is not estimable (NaN) when the curve does not reach the quantile
  within the time followed.  Its range runs from the quantile with every open order
  closing as the run stopped to the quantile with none ever closing (infinite once
  the open share exceeds ``1 - q``);
* the mean time to close counts every open order at its age so far: a lower bound
  while any order is open (no upper bound).

Everything here is a pure function of the records (:mod:`sim.records.backoffice`).
"""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Sequence

import numpy as np

from sim.config.kpi_catalog import censored_kpis
from sim.config.schema import URGENCY_CLASSES
from sim.records.backoffice import BackOfficeRecords, hist_quantile

#: Per replication and KPI: (share of the population still open, lowest value, highest value).
Open = tuple[float, float, float]

#: Quantile of each time KPI read from the Kaplan-Meier curve.
QUANTILES = {"time_to_close_median_h": 0.5, "time_to_close_p90_h": 0.9}
#: The shares counted with a range while members are open, with the counters behind each.
BOUNDS = censored_kpis("bounds")


def km_masses(closed: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """Kaplan-Meier probability of closing in each bin (life-table form: censored orders at risk for half
    their bin); the masses sum to 1 less the share still open after the last bin."""
    closed, censored = np.asarray(closed, dtype=float), np.asarray(censored, dtype=float)
    total = closed.sum() + censored.sum()
    before = np.concatenate(([0.0], np.cumsum(closed + censored)[:-1]))
    at_risk = total - before - censored / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        hazard = np.where(at_risk > 0, closed / np.where(at_risk > 0, at_risk, 1.0), 0.0)
    survival = np.cumprod(1.0 - np.clip(hazard, 0.0, 1.0))
    return np.concatenate(([1.0], survival[:-1])) - survival


def km_quantile(closed: np.ndarray, censored: np.ndarray, q: float) -> float:
    """Quantile ``q`` of the time to close with the open orders censored (NaN when not estimable)."""
    if float(np.sum(censored)) <= 0:
        return hist_quantile(np.asarray(closed, dtype=float), q)
    return hist_quantile(km_masses(closed, censored), q, total=1.0)


def time_kpis(closed: np.ndarray, censored: np.ndarray, close_sum_h: float,
              censor_sum_h: float) -> Dict[str, float]:
    """Mean (a lower bound while orders are open), median and 90th percentile (Kaplan-Meier) of the time to
    close, hours, from the histograms of orders closed and not yet closed and their summed hours."""
    n = float(np.sum(closed) + np.sum(censored))
    out = {"time_to_close_mean_h": (close_sum_h + censor_sum_h) / n if n > 0 else math.nan}
    for name, q in QUANTILES.items():
        out[name] = km_quantile(closed, censored, q)
    return out


def time_open(closed: np.ndarray, censored: np.ndarray, close_sum_h: float, censor_sum_h: float) -> Dict[str, Open]:
    """The open share and range of each time KPI (see the module's docstring)."""
    closed, censored = np.asarray(closed, dtype=float), np.asarray(censored, dtype=float)
    m, n = float(censored.sum()), float(closed.sum() + censored.sum())
    if n <= 0:
        return {}
    if m <= 0:  # nothing open: the range is the value itself
        return {k: (0.0, v, v) for k, v in time_kpis(closed, censored, close_sum_h, censor_sum_h).items()}
    mean = (close_sum_h + censor_sum_h) / n
    out: Dict[str, Open] = {"time_to_close_mean_h": (m / n, mean, math.inf)}
    for name, q in QUANTILES.items():
        high = hist_quantile(closed, q, total=n)
        out[name] = (m / n, hist_quantile(closed + censored, q), math.inf if math.isnan(high) else high)
    return out


def share_open(num: float, den: float, pending: float) -> Open | None:
    """Open share and range of a share ``num / den`` with ``pending`` members still open (with none open, the
    range is the value itself; None when the population is empty)."""
    whole = den + pending
    if whole <= 0:
        return None
    return pending / whole, num / whole, (num + pending) / whole


def _counters(table: Mapping[str, Any], idx: Any = slice(None)) -> Dict[str, float]:
    s = {k: float(np.sum(np.asarray(v, dtype=float)[idx])) for k, v in table.items()}
    if "visits_reached" in s:
        s["visits_concluded"] = s["visits_reached"] + s.get("not_reached", 0.0)
    return s


def _shares(s: Mapping[str, float], names: Sequence[str], suffix: str = "") -> Dict[str, Open]:
    out: Dict[str, Open] = {}
    for name in names:
        num, den, pending = BOUNDS[name].counters
        if pending in s:
            found = share_open(s[num], s[den], s[pending])
            if found is not None:
                out[name + suffix] = found
    return out


def replication_open(bo: BackOfficeRecords) -> Dict[str, Open]:
    """Every censored KPI of one replication with members still open: headline, by urgency class, by unit
    type and by category (``bo``: the replication's back-office records)."""
    rates = list(BOUNDS)
    meta = bo.meta
    out = _shares(_counters(bo.unit), rates)
    g = bo.urgency
    for i, cls in enumerate(URGENCY_CLASSES):
        out.update(_shares(_counters(g, i), [k for k in rates if BOUNDS[k].counters[2] in g], f".{cls}"))
    type_of = np.asarray(meta.type_of)
    for t, name in enumerate(meta.type_names):
        out.update(_shares(_counters(bo.unit, type_of == t), [k for k in ("response_rate", "resolution_rate",
                                                                         "satisfaction_rate",
                                                                         "closeout_on_time_rate")], f".{name}"))
    out.update(time_open(bo.close_hist.sum(axis=0), bo.censor_hist.sum(axis=0), float(bo.close_sum_h.sum()),
                         float(bo.censor_sum_h.sum())))
    for c, cat in enumerate(meta.categories):
        found = time_open(bo.close_hist[c], bo.censor_hist[c], float(bo.close_sum_h[c]), float(bo.censor_sum_h[c]))
        out.update({f"{k}.{cat}": v for k, v in found.items()})
    return out
