"""KPIs of the routing policies as pure functions of their records: per operator group, and callbacks.

Present only when the scenario uses the policy (``routing.groups``;
``routing.callback.enabled``).  Definitions (also in ``docs/kpis.md``), over the
measurement window:

* per group ``g`` (:data:`GROUP_KPIS`, named ``<kpi>.<g>``), over the call
  attempts whose home group - the first group of their route - is ``g``:
  ``service_level.g`` (answered within ``kpi.answer_threshold_s`` / attempts),
  ``abandon_rate.g`` (abandoned / attempts), ``asa_s.g`` (mean wait of the
  answered ones, whoever answered), and ``occupancy.g``: time busy / time on duty
  of the group's operators (whatever they served);
* ``callbacks_offered``, ``callbacks_accepted``, ``callbacks_completed``
  (callbacks that reached the resident: answered contacts, counted in ``answer_rate``
  by :func:`sim.analysis.kpis.kpis_from_sums`), ``callbacks_not_reached`` (given
  up after the last attempt), ``callbacks_missed_window`` (first
  attempt later than ``routing.callback.window_s`` after acceptance, or not made
  by the end) and ``callback_delay_s`` (mean time from acceptance to the
  reaching attempt), counted by the interval of the accepting call attempt.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

import numpy as np

from sim.records.routing import CallbackRecords, GroupRecords

#: The KPIs reported per operator group (``summary.json`` -> ``groups``).
GROUP_KPIS: tuple[str, ...] = ("service_level", "abandon_rate", "asa_s", "occupancy")


def _r(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else float("nan")


def group_kpis(groups: GroupRecords, warmup: int) -> Dict[str, float]:
    """Per-group KPIs of one replication, named ``<kpi>.<group>`` (see the module's docstring)."""
    out: Dict[str, float] = {}
    s = {k: np.asarray(v, dtype=float)[:, warmup:].sum(axis=1) for k, v in groups.counters().items()}
    for g, name in enumerate(groups.names):
        out[f"service_level.{name}"] = _r(s["answered_in_threshold"][g], s["attempts"][g])
        out[f"abandon_rate.{name}"] = _r(s["abandoned"][g], s["attempts"][g])
        out[f"asa_s.{name}"] = _r(s["wait_answered_s"][g], s["answered"][g])
        out[f"occupancy.{name}"] = _r(s["busy_s"][g], s["staffed_s"][g])
    return out


def callback_kpis(cb: CallbackRecords, warmup: int) -> Dict[str, float]:
    """Callback KPIs of one replication (see the module's docstring)."""
    s = {k: float(np.asarray(v, dtype=float)[warmup:].sum()) for k, v in cb.counters().items()}
    return {
        "callbacks_offered": s["offered"],
        "callbacks_accepted": s["accepted"],
        "callbacks_completed": s["completed"],
        "callbacks_not_reached": s["not_reached"],
        "callbacks_missed_window": s["missed_window"],
        "callback_delay_s": _r(s["delay_s"], s["completed"]),
    }


def callback_balance(cb: CallbackRecords) -> np.ndarray:
    """``accepted - completed - not_reached - pending`` per interval: 0 everywhere when every accepted
    callback ends in exactly one state."""
    return cb.accepted - cb.completed - cb.not_reached - cb.pending


def group_summary(summary: Mapping[str, Mapping[str, Any]], names: List[str]) -> Dict[str, Dict[str, Any]]:
    """``{group: {kpi: {"mean", "ci_low", "ci_high"}}}`` from the summary's ``<kpi>.<group>`` entries."""
    return {g: {k: summary[f"{k}.{g}"] for k in GROUP_KPIS if f"{k}.{g}" in summary} for g in names}
