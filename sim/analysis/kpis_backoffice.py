"""Back-office KPIs as pure functions of the work-order records.

Definitions (also in ``docs/kpis.md``), all over work orders of contacts that
arrived in the measurement window:

* ``response_rate``: orders whose first contact with the resident came within
  ``workorders.response_limit_h`` of their arrival at the unit / orders whose
  response was made or is overdue.
* ``resolution_rate``: final return-visit ratings in which the resident said the
  problem was solved / final ratings.  ``satisfaction_rate``: ratings satisfied /
  final ratings.  (Beijing publishes the three rates from the residents' own
  answers on the return visit.)
* ``dispatch_on_time_rate``: orders dispatched within ``workorders.dispatch_limit_h``;
  ``closeout_on_time_rate``: close-outs within ``workorders.closeout_limit_h`` /
  close-outs plus open orders past their deadline (every round).
* ``bounce_back_rate``: work orders bounced at least once / work orders
  (``bounces_per_order`` counts every bounce); ``reopen_rate``: reopened rounds /
  return visits that reached the resident; ``return_visit_reach_rate``: visits
  that reached the resident / visits concluded (reached or given up).
* ``time_to_close_*_h``: hours from the resident's first contact to the first
  close-out (mean, median, 90th percentile), with the orders not yet closed when
  the run stopped censored at their age (:mod:`sim.analysis.censoring`: Kaplan-Meier
  quantiles; the mean counts them at their age, a lower bound).

The shares count the outcomes seen; the orders still open when the run stopped
leave a range around them (:func:`sim.analysis.censoring.replication_open`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

import numpy as np

from sim.analysis.censoring import time_kpis
from sim.config.schema import URGENCY_CLASSES
from sim.records.backoffice import BackOfficeRecords

#: The rates reported per unit and per unit type (the three rates and the close-out on-time rate).
UNIT_RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "closeout_on_time_rate")

def _r(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else float("nan")


def rates(u: Mapping[str, np.ndarray], idx: Any = slice(None)) -> Dict[str, float]:
    """Response, resolution and satisfaction rates (and counts) over the units selected by ``idx``."""
    s = {k: float(np.sum(v[idx])) for k, v in u.items()}
    return {
        "orders_received": s["orders_received"],
        "response_rate": _r(s["response_on_time"], s["response_due"]),
        "resolution_rate": _r(s["rated_resolved"], s["rated"]),
        "satisfaction_rate": _r(s["rated_satisfied"], s["rated"]),
        "closeout_on_time_rate": _r(s["closeouts_on_time"], s["closeouts_due"]),
        "bounced": s["bounced"],
        "reopened": s["reopened"],
        "rated": s["rated"],
    }


def backoffice_kpis(bo: BackOfficeRecords, intervals: Mapping[str, np.ndarray], warmup: int,
                    after: Optional[Mapping[str, float]] = None) -> Dict[str, float]:
    """Headline back-office KPIs of one replication.

    ``after`` holds the counters after the horizon (:meth:`sim.records.intervals.IntervalRecorder.after_horizon`):
    the feedback team works through the drain, when most return visits of a short run are made, so
    ``feedback_occupancy`` covers the warm-up's end to the end of the drain.
    """
    after = after or {}
    u, g = bo.unit, bo.urgency
    wo = float(bo.work_orders)
    out = {"work_orders": wo}
    out.update({k: v for k, v in rates(u).items() if k.endswith("_rate")})
    out["dispatch_on_time_rate"] = _r(g["dispatch_on_time"].sum(), g["dispatched"].sum())
    out["bounce_back_rate"] = _r(bo.orders_bounced, wo)
    out["bounces_per_order"] = _r(u["bounced"].sum(), wo)
    out["reopen_rate"] = _r(u["reopened"].sum(), u["visits_reached"].sum())
    out["return_visit_reach_rate"] = _r(u["visits_reached"].sum(), u["visits_reached"].sum() + u["not_reached"].sum())
    out.update(time_kpis(bo.close_hist.sum(axis=0), bo.censor_hist.sum(axis=0), float(bo.close_sum_h.sum()),
                         float(bo.censor_sum_h.sum())))
    out["feedback_occupancy"] = _r(intervals["feedback_busy_s"][warmup:].sum() + after.get("feedback_busy_s", 0.0),
                                   intervals["feedback_staffed_s"][warmup:].sum()
                                   + after.get("feedback_staffed_s", 0.0))
    for i, cls in enumerate(URGENCY_CLASSES):
        out[f"dispatch_on_time_rate.{cls}"] = _r(g["dispatch_on_time"][i], g["dispatched"][i])
        out[f"closeout_on_time_rate.{cls}"] = _r(g["closeouts_on_time"][i], g["closeouts_due"][i])
        out[f"response_rate.{cls}"] = _r(g["response_on_time"][i], g["response_due"][i])
    return out


def unit_type_kpis(bo: BackOfficeRecords, type_of: np.ndarray, type_names: List[str],
                   days: slice = slice(None)) -> Dict[str, float]:
    """Three rates (and close-out on-time rate) per unit type, keys ``<rate>.<type>``, and the
    open work orders at the end of the day averaged over ``days`` (``open_orders.<type>``)."""
    out: Dict[str, float] = {}
    for t, name in enumerate(type_names):
        r = rates(bo.unit, type_of == t)
        for k in UNIT_RATES:
            out[f"{k}.{name}"] = r[k]
        out[f"orders_received.{name}"] = r["orders_received"]
        backlog = np.asarray(bo.backlog[name], dtype=float)[days]
        out[f"open_orders.{name}"] = float(backlog.mean()) if len(backlog) else float("nan")
    return out


def category_kpis(bo: BackOfficeRecords, categories: List[str]) -> Dict[str, float]:
    """Time to close per category (mean, median, 90th percentile), keys ``<kpi>.<category>``."""
    out: Dict[str, float] = {}
    for c, name in enumerate(categories):
        times = time_kpis(bo.close_hist[c], bo.censor_hist[c], float(bo.close_sum_h[c]), float(bo.censor_sum_h[c]))
        out.update({f"{k}.{name}": v for k, v in times.items()})
        out[f"closed.{name}"] = float(bo.close_n[c])
    return out


def unit_rows(bo: BackOfficeRecords) -> List[Dict[str, float]]:
    """Per-unit rates and counts of one replication (one dict per unit)."""
    n = len(bo.unit["orders_received"])
    return [rates(bo.unit, i) for i in range(n)]
