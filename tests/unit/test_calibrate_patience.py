"""Patience and the queue a caller finds (sim.calibrate.patience).

* ``queue_found`` counts the attempts waiting when each came: those with a positive wait that came before and
  had not left (an attempt answered at once never waits; the attempt itself is not counted);
* ``queue_dependence``: the log-rank test does not find a dependence where the patience is drawn whatever the
  queue (an exponential and a lognormal patience), and finds it where callers who find a long queue are
  impatient at first and patient after (the bank's log shows this); groups without enough hang-ups give no test;
* the scenario holds the exponential patience where the patience depends on the queue found, else the rule of
  the band (a family, or the curve).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.calibrate.patience import P_DEPENDS, queue_dependence, queue_found


def test_queue_found_counts_the_callers_waiting():
    arrive = np.array([0.0, 2.0, 3.0, 4.0, 12.0])
    waits = np.array([10.0, 5.0, 0.0, 1.0, 3.0])
    # at 2: the first; at 3: the first two (the third never waits); at 4: the same two; at 12: nobody
    assert queue_found(arrive, waits).tolist() == [0, 1, 2, 2, 0]
    assert queue_found(arrive, np.array([10.0, np.nan, 0.0, 1.0, 3.0])).tolist() == [0, 1, 1, 1, 0]


def _log(seed: int, patience, n: int = 6000):
    """A queue in time order: each caller finds the callers still waiting, is offered a virtual wait growing with
    them, and waits until it ends (answered) or its patience runs out (hung up). ``patience(found, rng)`` draws."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.exponential(40.0, n))
    ends: list[float] = []
    waits, abandoned = np.empty(n), np.empty(n, dtype=bool)
    for i in range(n):
        ends = [e for e in ends if e > t[i]]
        found = len(ends)
        virtual = 0.0 if found == 0 and rng.random() < 0.4 else rng.exponential(40.0 * (found + 1))
        tau = patience(found, rng)
        waits[i], abandoned[i] = min(tau, virtual), tau < virtual
        if waits[i] > 0:
            ends.append(t[i] + waits[i])
    return t, waits, abandoned


@pytest.mark.parametrize("draw", [lambda f, r: r.exponential(300.0), lambda f, r: r.lognormal(5.0, 1.2)],
                         ids=["exponential", "lognormal"])
def test_no_dependence_where_patience_ignores_the_queue(draw):
    t, w, ab = _log(1, draw)
    q = queue_dependence(t, w, ab, 30)
    assert q is not None and q.split >= 1
    assert q.pvalue > P_DEPENDS and not q.depends
    assert sum(r["attempts"] for r in q.rows) == len(t)


def test_dependence_where_a_long_queue_makes_callers_leave_early():
    def informed(found, rng):  # a long queue: a third leave within 15 s, the rest are patient
        if found >= 3 and rng.random() < 0.35:
            return rng.exponential(15.0)
        return rng.exponential(600.0 if found >= 3 else 300.0)

    t, w, ab = _log(2, informed)
    q = queue_dependence(t, w, ab, 30)
    assert q is not None and q.depends and q.pvalue < 1e-6 and q.statistic < 0
    d = q.as_dict()
    assert d["depends"] and d["threshold"] == P_DEPENDS and len(d["bins"]) == 5
    first = [r["s_waited_per_hang_up"]["0-30 s"] for r in d["bins"]]
    assert first[0] > 3 * first[2]  # callers who found 3-5 waiting hang up early far more often


def test_no_test_without_enough_hang_ups():
    t, w, ab = _log(3, lambda f, r: r.exponential(1e6), n=500)
    assert queue_dependence(t, w, ab, 30) is None
    assert queue_dependence(np.array([0.0]), np.array([0.0]), np.array([False]), 1) is None


def test_the_scenario_holds_the_exponential_patience_where_it_depends_on_the_queue():
    from types import SimpleNamespace

    from sim.calibrate.calls import patience_written
    from sim.calibrate.patience import QueueDependence
    from sim.calibrate.scenario import patience_value
    from sim.calibrate.survival import fit_censored

    rng = np.random.default_rng(4)
    tau, virtual = rng.lognormal(5.0, 1.0, 4000), rng.exponential(200.0, 4000)
    rep = fit_censored(np.minimum(tau, virtual), tau < virtual)
    assert rep is not None and rep.chosen.family == "lognormal" and not rep.empirical
    for p, want in ((1e-9, "exponential"), (0.5, "lognormal")):
        cal = SimpleNamespace(queue_found=QueueDependence(split=2, statistic=-5.0, pvalue=p, rows=[]))
        assert patience_written(cal, rep) == want  # type: ignore[arg-type]
    assert patience_written(SimpleNamespace(queue_found=None), rep) == "lognormal"  # type: ignore[arg-type]
    spec = patience_value(rep, "exponential")
    assert spec == {"dist": "exponential", "mean": pytest.approx(rep.fits["exponential"].mean, rel=1e-5)}
    # the exponential's mean is the seconds waited per hang-up (censored maximum likelihood)
    w, ab = np.minimum(tau, virtual), tau < virtual
    assert spec["mean"] == pytest.approx(w.sum() / ab.sum(), rel=1e-3)


def test_logrank_z_is_scipys_with_one_stratum_and_compares_within_strata():
    from scipy import stats

    from sim.calibrate.patience import logrank_z

    rng = np.random.default_rng(5)
    t = np.round(rng.exponential(100.0, 3000))  # whole seconds: ties
    e, g = rng.random(3000) < 0.6, rng.random(3000) < 0.4
    t[g] *= 0.8
    want = stats.logrank(stats.CensoredData.right_censored(t[g], ~e[g]),
                         stats.CensoredData.right_censored(t[~g], ~e[~g])).statistic
    assert logrank_z(t, e, g) == pytest.approx(want, rel=1e-9)
    # two call types of different patience; the group is mostly the impatient type, but within each type the
    # group's patience is the others': pooled, a strong difference; within the types, none
    kind = rng.random(6000) < 0.5
    tau = rng.exponential(np.where(kind, 60.0, 400.0))
    virtual = rng.exponential(200.0, 6000)
    w, ab = np.minimum(tau, virtual), tau < virtual
    grp = rng.random(6000) < np.where(kind, 0.8, 0.2)
    assert abs(logrank_z(w, ab, grp)) > 10
    assert abs(logrank_z(w, ab, grp, kind.astype(int))) < 3


def test_the_texts_say_the_queue_made_the_choice_only_where_it_did():
    """An exponential chosen by AIC where the test finds no dependence (a simulator's own log, p = 0.39) is not
    described as chosen for the queue: the summary line, the page and the scenario comment follow the test."""
    from types import SimpleNamespace

    from sim.calibrate.patience_page import patience_held
    from sim.calibrate.patience_page import written_text as _written_text
    from sim.calibrate.calls import exponential_reason
    from sim.calibrate.patience import QueueDependence
    from sim.calibrate.scenario import _patience_item
    from sim.calibrate.survival import fit_censored

    rng = np.random.default_rng(0)  # a seed where the exponential is the best by AIC
    tau, virtual = rng.exponential(150.0, 4000), rng.exponential(200.0, 4000)
    rep = fit_censored(np.minimum(tau, virtual), tau < virtual)
    assert rep is not None and rep.chosen.family == "exponential" and not rep.empirical
    for p in (0.39, 1e-9):
        q = QueueDependence(split=2, statistic=-0.9 if p > 0.1 else -6.0, pvalue=p, rows=[])
        because = exponential_reason(SimpleNamespace(queue_found=q), rep)  # type: ignore[arg-type]
        pj = {**rep.as_dict(), "queue_found": q.as_dict(), "in_scenario": "exponential",
              "exponential_because": because}
        line, page = patience_held(pj), _written_text(pj)
        item = _patience_item(SimpleNamespace(queue_found=q), rep, "the log", "calls")  # type: ignore[arg-type]
        says = [("depends on the queue" in t) for t in (line, item.comment)]
        assert says == [p < 0.001] * 2, (p, line, item.comment)
        assert ("It does not." in page) == (p > 0.001) and ("It does:" in page) == (p < 0.001)
