"""Two operator groups against Erlang A: independent without overflow, one pooled system with overflow at once.

Two call categories of equal share, each routed first to its own group of 10
operators (``routing.skills``: ``all -> [a, b]``, ``two -> [b, a]``), each group
offered 10 Erlang (M/M/10+M, mean handle 180 s, mean patience 60 s):

* with an overflow wait longer than the run, nobody overflows: each group is
  an independent M/M/10+M queue with half the arrivals, and its service level,
  abandonment and occupancy (``<kpi>.<group>``) match Erlang A at c = 10;
* with overflow at once and the same two groups on both lists, a free operator
  of either group takes the longest-waiting call: one pooled M/M/20+M queue,
  whose Erlang A values the overall and the per-group KPIs match;
* in between, a longer overflow wait gives more abandonment and less
  occupancy, monotonically, from the pooled value to the independent one
  (common random numbers: the same callers in every variant).

99% Student-t intervals over replications, fixed seeds (``conftest.py``).  The
pooled and the independent values are far apart at this load (service level
0.79 against 0.72): the independent run's intervals reject the pooled theory.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.theory import erlang_a_metrics

LAM = 9600 / 86400.0  # calls per second, both categories
AHT_S, PATIENCE_S, C, THRESHOLD_S = 180.0, 60.0, 10, 20.0
NEVER_S = 10_000_000  # an overflow wait longer than the run: no overflow


def _overrides(overflow_s, reps, seed=11):
    return ["staffing.operators=0", f"+routing.groups.a={{operators:{C}}}", f"+routing.groups.b={{operators:{C}}}",
            "categories.all.share=0.5", "+categories.two={share:0.5}", "+routing.skills.all=[a,b]",
            "+routing.skills.two=[b,a]", f"routing.overflow_after_s={overflow_s}",
            f"arrivals.phone.per_day={LAM * 86400}",
            f"calls.handle_s.mean={AHT_S}", f"calls.patience_s.mean={PATIENCE_S}",
            f"kpi.answer_threshold_s={THRESHOLD_S}", f"experiment.replications={reps}", "experiment.horizon_h=24",
            "experiment.warmup_h=2", f"experiment.seed={seed}"]


def _theory(lam, c):
    m = erlang_a_metrics(lam, 1.0 / AHT_S, 1.0 / PATIENCE_S, c, THRESHOLD_S)
    return {"service_level": m.service_level, "abandon_rate": m.p_abandon, "occupancy": m.occupancy}


def _per_group(theory):
    return {f"{k}.{g}": v for g in ("a", "b") for k, v in theory.items()}


def test_two_groups_without_overflow_are_independent_erlang_a_systems(qv):
    """Each group's service level, abandonment and occupancy lie within the 99% CI of its M/M/10+M values;
    the pooled system's values lie outside (the comparison has power)."""
    rows = qv.run(_overrides(NEVER_S, 10))
    theory = _per_group(_theory(LAM / 2, C))
    comps = qv.compare(rows, theory, list(theory))
    table = qv.report("two groups, no overflow: each M/M/10+M", comps)
    print("\n" + table)
    assert all(c.ok for c in comps), table
    pooled = _per_group(_theory(LAM, 2 * C))
    assert any(not c.ok for c in qv.compare(rows, pooled, list(pooled))), "the data do not reject the pooled system"


def test_two_groups_with_overflow_at_once_are_one_pooled_erlang_a_system(qv):
    """With overflow at once, the overall and the per-group KPIs match one M/M/20+M queue."""
    rows = qv.run(_overrides(0, 10))
    pooled = _theory(LAM, 2 * C)
    theory = {**pooled, **_per_group(pooled)}
    comps = qv.compare(rows, theory, list(theory))
    table = qv.report("two groups, overflow at once: one M/M/20+M", comps)
    print("\n" + table)
    assert all(c.ok for c in comps), table


def test_intermediate_overflow_waits_lie_between_monotonically(qv):
    """Abandonment rises and occupancy falls as the overflow wait grows (0, 15 s, 60 s, never), on the same
    callers; the ends differ significantly."""
    import copy

    from sim.analysis.kpis import difference_ci, replication_kpis
    from sim.api import compose_config
    from sim.model.checks import validate
    from sim.model.replication import run_replication

    base = compose_config("single_queue", _overrides(0, 6, seed=12))  # composed once, then the wait edited
    waits = [0, 15, 60, NEVER_S]
    runs = []
    for w in waits:
        cfg = copy.deepcopy(base)
        cfg.routing.overflow_after_s = float(w)
        validate(cfg)
        runs.append([replication_kpis(run_replication(cfg, r)) for r in range(cfg.experiment.replications)])
    for kpi, sign in (("abandon_rate", 1), ("occupancy", -1)):
        means = [sign * np.mean([r[kpi] for r in rows]) for rows in runs]
        assert all(x < y for x, y in zip(means, means[1:])), (kpi, dict(zip(waits, means)))
        d = difference_ci([r[kpi] for r in runs[0]], [r[kpi] for r in runs[-1]], paired=True, confidence=0.99)
        assert d["significant"], (kpi, d)


@pytest.mark.slow
def test_per_group_kpis_with_unequal_groups_match_erlang_a(qv):
    """Unequal groups (10 and 14 operators) without overflow: each matches its own Erlang A system."""
    rows = qv.run([o.replace("routing.groups.b={operators:10}", "routing.groups.b={operators:14}")
                   for o in _overrides(NEVER_S, 12, seed=13)])
    theory = {**{f"{k}.a": v for k, v in _theory(LAM / 2, C).items()},
              **{f"{k}.b": v for k, v in _theory(LAM / 2, 14).items()}}
    comps = qv.compare(rows, theory, list(theory))
    table = qv.report("groups of 10 and 14, no overflow", comps)
    print("\n" + table)
    assert all(c.ok for c in comps), table
