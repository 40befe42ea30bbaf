"""``calls.pickup_delay_s`` against its closed form: operators who are not ready the moment a call comes.

With operators to spare (400 for an offered load of 120 Erlang: no call ever queues), every caller finds
one free and waits only for the pickup delay ``D``.  With ``D`` exponential of rate ``nu`` and patience
exponential of rate ``theta`` (no redials), a caller hangs up first with probability
``theta / (theta + nu)``; an answered caller waited ``min(D, patience)`` given ``D`` came first, which is
exponential of rate ``theta + nu`` (ASA ``1 / (theta + nu)``); the service level at threshold ``T``
(answered within ``T`` over calls ended) is ``nu / (theta + nu) * (1 - exp(-(theta + nu) T))``.
A pickup delay that were ignored would give 0% abandonment and a 0 s ASA (the second test); the
operators' occupancy is the answered calls' handling alone: the caller waits for the pickup, no
operator is held meanwhile; and the callers waiting for it are the calls waiting (Little's law:
``lambda / (theta + nu)`` on average).
"""

from __future__ import annotations

import math

PICKUP_MEAN_S, PATIENCE_MEAN_S, THRESHOLD_S = 20.0, 120.0, 15.0


def test_pickup_delay_matches_its_closed_form(qv):
    nu, theta = 1.0 / PICKUP_MEAN_S, 1.0 / PATIENCE_MEAN_S
    over = qv.overrides(0.5, 240.0, PATIENCE_MEAN_S, 400, THRESHOLD_S, 8, 24.0, 2.0, 41)
    rows = qv.run(over + [f"calls.pickup_delay_s={{dist: exponential, mean: {PICKUP_MEAN_S}}}"])
    theory = {"abandon_rate": theta / (theta + nu), "asa_s": 1.0 / (theta + nu),
              "service_level": nu / (theta + nu) * (1.0 - math.exp(-(theta + nu) * THRESHOLD_S)),
              "mean_calls_waiting": 0.5 / (theta + nu)}  # Little: arrival rate x mean time waiting for the pickup
    comps = qv.compare(rows, theory, ("abandon_rate", "asa_s", "service_level", "mean_calls_waiting"))
    table = qv.report(f"pickup delay exponential {PICKUP_MEAN_S} s, patience exponential {PATIENCE_MEAN_S} s, "
                      f"400 operators for 120 Erlang", comps)
    assert all(c.ok for c in comps), table
    # the operators are held by the handling only: occupancy = answered calls' work / operators
    answered_load = 0.5 * 240.0 * (1.0 - theory["abandon_rate"])
    occ = sum(r["occupancy"] for r in rows) / len(rows)
    assert abs(occ - answered_load / 400) < 0.01, (occ, answered_load / 400)


def test_without_a_pickup_delay_nobody_waits(qv):
    rows = qv.run(qv.overrides(0.5, 240.0, PATIENCE_MEAN_S, 400, THRESHOLD_S, 2, 6.0, 1.0, 41))
    assert all(r["asa_s"] == 0.0 and r["abandon_rate"] == 0.0 for r in rows)
