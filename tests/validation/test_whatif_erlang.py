"""The one-key what-ifs against queueing theory: Erlang C at the multiplied load.

``single_queue`` with no abandonment (mean patience 1e9 s) is the M/M/c queue of
:func:`sim.analysis.theory.erlang_c_metrics`.  With ``arrivals.demand_factor=1.2`` its calls arrive at
1.2 lambda; with ``calls.handle_factor=1.2`` its exponential handle times have mean 1.2 x AHT: either way the
offered load is 1.2 R, and the simulated service level, ASA, mean wait, occupancy and mean queue must agree
with Erlang C at that load (99% t confidence intervals, as tests/validation/test_erlang_c.py), while Erlang C
at the scenario's own load R is rejected (so the check has the power to see a factor that is not applied).
"""

from __future__ import annotations

import pytest

from sim.analysis.theory import erlang_c_metrics

NEVER_ABANDON_S = 1e9
KPIS = ("service_level", "asa_s", "mean_wait_s", "occupancy", "mean_calls_waiting")
# R = 10 Erlang at the scenario's own values (100 calls per half hour, AHT 180 s), 12 after the factor; 14 agents
LAM, AHT_S, AGENTS, THRESHOLD_S = 100 / 1800, 180.0, 14, 20.0


@pytest.mark.parametrize("factor_key, seed", [("arrivals.demand_factor", 211), ("calls.handle_factor", 212)])
def test_erlang_c_at_the_multiplied_load(qv, factor_key, seed):
    overrides = [*qv.overrides(LAM, AHT_S, NEVER_ABANDON_S, AGENTS, THRESHOLD_S, 20, 48.0, 2.0, seed),
                 f"{factor_key}=1.2"]
    rows = qv.run(overrides)
    lam, aht = (LAM * 1.2, AHT_S) if factor_key == "arrivals.demand_factor" else (LAM, AHT_S * 1.2)
    comps = qv.compare(rows, erlang_c_metrics(lam, 1.0 / aht, AGENTS, THRESHOLD_S), KPIS)
    label = (f"{factor_key}=1.2 on M/M/{AGENTS}: lam={LAM:.6g}/s, AHT={AHT_S}s -> offered load "
             f"{lam * aht:g} Erlang (rho={lam * aht / AGENTS:.3f}), 20 reps x 48 h (warm-up 2 h), seed={seed}")
    table = qv.report(label, comps)
    print("\n" + table)
    bad = [c.kpi for c in comps if not c.ok]
    assert not bad, f"Erlang C at the multiplied load outside the {qv.confidence:.0%} CI for {bad}\n{table}"
    own = qv.compare(rows, erlang_c_metrics(LAM, 1.0 / AHT_S, AGENTS, THRESHOLD_S), KPIS)
    assert all(not c.ok for c in own), ("Erlang C at the scenario's own load is not rejected:\n"
                                        + qv.report("own load", own))
