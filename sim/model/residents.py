"""Residents of one day: arrival times and every attribute of their request, drawn at once.

Common random numbers rest on this module.  A resident's randomness is drawn
when the resident is created, by inversion of uniform numbers from streams named
after the attribute and the channel (``handle.phone``, ``wo.resolution.online``,
...), in arrival order.  Two runs with the same seed therefore see the same
residents - arrival time, category, urgency, triage outcome, handle time,
patience, unit, dispatch and case durations, the uniform numbers behind their
ratings - whatever the staffing, routing or unit capacities; only what depends
on the course of events (a redial's new patience, a reopened round) is drawn
later, from streams of its own.

:func:`day_rows` returns one tuple per resident; the ``COL_*`` constants name
the positions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List

import numpy as np

from sim.config.schema import CHANNELS
from sim.core.rng import Streams
from sim.model.arrivals import DatedArrivals
from sim.model.derive import DIRECT, EMERGENCY, TRANSFER, WORK_ORDER

if TYPE_CHECKING:  # pragma: no cover
    from sim.model.compile import Compiled

HALF_HOUR_S = 1800.0
KIND_NAMES = ("direct", "work_order", "transfer")  # the kinds DIRECT, WORK_ORDER, TRANSFER
#: Queue classes of the operator pool, most urgent first: urgent calls, calls, callbacks that wait after the
#: calls (``routing.callback.mode=window``), online work, outbound return-visit calls.
CLS_URGENT, CLS_CALL, CLS_CALLBACK, CLS_ONLINE, CLS_OUTBOUND = 0, 1, 2, 3, 4
#: Channel codes of the residents' rows (``COL_CHANNEL``): the index of the channel in ``CHANNELS``.
PHONE, ONLINE = CHANNELS.index("phone"), CHANNELS.index("online")

(COL_T, COL_CHANNEL, COL_CATEGORY, COL_URGENCY, COL_KIND, COL_SERVICE, COL_PATIENCE, COL_CLS,
 COL_UNIT, COL_WRONG_UNIT, COL_DISPATCH_S, COL_REVIEW_S, COL_RESPONSE_S, COL_RESOLUTION_S,
 COL_RESOLVED, COL_VISIT_DELAY_S, COL_U_REPORTS, COL_U_SATISFIED, COL_U_REOPEN) = range(19)
N_COLS = 19
#: With callbacks on (``Compiled.callback``), one more column: the uniform number against which the resident
#: accepts a callback offer (0 for online work, which is never offered one).
COL_U_CALLBACK = 19


def _by_group(u: np.ndarray, groups: np.ndarray, dists: list) -> np.ndarray:
    """Inverse-CDF values of ``u``, using ``dists[g]`` for the entries of group ``g``."""
    out = np.empty(len(u))
    for g, dist in enumerate(dists):
        m = groups == g
        if m.any():
            out[m] = dist.ppf(u[m])
    return out


def channel_columns(sc: "Compiled", st: Streams, ch: str, day: int) -> List[np.ndarray]:
    """All attribute columns of one channel's residents of ``day`` (arrival order)."""
    arr = sc.channels[ch]
    day_stream = f"arrivals.{ch}.forecast_day" if isinstance(arr, DatedArrivals) else f"arrivals.{ch}.day"
    t, cat = arr.generate(day, st.get(f"arrivals.{ch}"), st.get(day_stream), st.get(f"category.{ch}"))
    n = len(t)
    mix = sc.triage
    urg = (st.get(f"urgency.{ch}").random(n)[:, None] >= mix.urgency_cum[cat]).sum(axis=1)
    u_triage = st.get(f"triage.{ch}").random(n)
    emergency = urg == EMERGENCY
    kind = np.where(emergency, np.where(u_triage < mix.transfer_share[cat], TRANSFER, WORK_ORDER),
                    np.where(u_triage < mix.direct_share[cat], DIRECT, WORK_ORDER))
    u_handle = st.get(f"handle.{ch}").random(n)
    service = np.empty(n)
    table = sc.handle[ch]
    for k in (DIRECT, WORK_ORDER):
        m = kind == k
        if m.any():
            service[m] = _by_group(u_handle[m], cat[m], table[k])
    if ch == "phone" and sc.handle_profile is not None:  # the time-of-day profile of handle time
        service *= sc.handle_profile[(t // HALF_HOUR_S).astype(np.int64) % len(sc.handle_profile)]
    m = kind == TRANSFER
    if m.any():
        service[m] = sc.transfer.ppf(u_handle[m])
    if ch == "phone":
        u_patience = st.get("patience.phone").random(n)
        patience = (sc.patience.ppf(u_patience) if sc.patience_by_category is None
                    else _by_group(u_patience, cat, sc.patience_by_category))
        cls = np.where(sc.priority_urgency[urg], CLS_URGENT, CLS_CALL)
    else:
        patience = np.full(n, sc.expire_s)
        cls = np.full(n, CLS_ONLINE)
    cols = [t, np.full(n, CHANNELS.index(ch)), cat, urg, kind, service, patience, cls]
    cols += work_order_columns(sc, st, ch, cat, urg, kind)
    if sc.callback is not None:
        cols.append(st.get(f"callback.accept.{ch}").random(n) if ch == "phone" else np.zeros(n))
    return cols


def work_order_columns(sc: "Compiled", st: Streams, ch: str, cat: np.ndarray, urg: np.ndarray,
                       kind: np.ndarray) -> List[np.ndarray]:
    """Back-office attributes (columns ``COL_UNIT`` onwards) of residents, drawn for everyone."""
    n = len(cat)

    def u(name: str) -> np.ndarray:
        return st.get(f"wo.{name}.{ch}").random(n)

    bo, fb = sc.backoffice, sc.feedback
    if bo is None or fb is None or n == 0:
        zeros = np.zeros(n)
        return [np.full(n, -1), np.full(n, -1)] + [zeros] * 4 + [np.zeros(n, dtype=bool)] + [zeros] * 4
    unit, wrong = bo.units.draw(cat, u("unit"), u("unclear"), u("misroute"), u("wrong_unit"), bo.misroute_p)
    unit = np.where(kind == WORK_ORDER, unit, -1)
    wrong = np.where(kind == WORK_ORDER, wrong, -1)
    dispatch = _by_group(u("dispatch"), urg, bo.dispatch_delay) * 3600.0
    review = bo.review.ppf(u("review")) * 3600.0
    response = _by_group(u("response"), urg, bo.response_delay) * 3600.0
    u_res = u("resolution")
    resolution = np.empty(n)
    for c, per_urgency in enumerate(bo.resolution):
        m = cat == c
        if m.any():
            resolution[m] = _by_group(u_res[m], urg[m], per_urgency) * 3600.0
    resolved = u("outcome") < bo.resolved_share[cat]
    visit = fb.delay.ppf(u("visit_delay")) * 3600.0
    return [unit, wrong, dispatch, review, response, resolution, resolved, visit,
            u("rating_resolved"), u("rating_satisfied"), u("reopen")]


def day_rows(sc: "Compiled", st: Streams, day: int) -> List[tuple]:
    """Residents of ``day`` over both channels, in time order, one tuple of ``N_COLS`` values each
    (``N_COLS + 1`` with callbacks on)."""
    parts = [channel_columns(sc, st, ch, day) for ch in CHANNELS if sc.channels[ch].per_day > 0]
    if not parts:
        return []
    cols = [np.concatenate([p[j] for p in parts]) for j in range(len(parts[0]))]
    order = np.argsort(cols[COL_T], kind="stable")
    return list(zip(*(c[order].tolist() for c in cols)))
