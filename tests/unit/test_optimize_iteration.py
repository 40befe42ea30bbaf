"""The simulation-based staffing iteration (sim.planning.optimize) against a stand-in simulator whose answer is known.

The stand-in replaces the simulation: each interval of a half-hourly plan is an exact Erlang A
queue (with ``margin_se=0`` the measurement is the theory's value, not a pessimistic one), optionally
loaded by the calls the previous interval could not serve (intervals interact, as in the real
queue).  So:

* without interaction the iteration's fixed point is known exactly - per interval, the fewest
  agents Erlang A says meet the target - and the iteration must end there, converged, in a few
  simulations, whichever offered load it starts from;
* with interaction it must end converged at a plan meeting the target in every interval;
* stopped by ``max_iterations`` after slack removal made some interval miss, it returns the
  cheapest plan that met every target (``chosen_iteration``), not the last one, and warns once;
* with the erlang bound (:mod:`sim.planning.bound`, off in the tests above), the plan returned costs
  no more than the first stricter erlang plan expected to do as well as its own plan.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.theory import erlang_a_metrics
from sim.analysis.theory_staffing import fewest_agents
from sim.api import compose_config
from sim.model.compile import compile_config
from sim.planning.groups import front_requirements
from sim.planning.optimize import optimize_agents
from sim.records.intervals import ReplicationResult

INTERVAL_S = 1800.0


def _config(offered_load: str = "modified", iterations: int = 20, bound: bool = False):
    profile = ",".join(str(round(1 + 0.5 * np.sin(2 * np.pi * (h - 6) / 24), 3)) for h in range(24))
    cfg = compose_config("single_queue", [
        "experiment.horizon_h=24", "experiment.warmup_h=0", "experiment.replications=2", "experiment.jobs=1",
        "experiment.progress=false",
        "staffing.shrinkage=0", "staffing.policy=optimize", f"staffing.offered_load={offered_load}",
        "staffing.optimize.replications=1", "staffing.optimize.margin_se=0",
        f"staffing.optimize.max_iterations={iterations}", f"arrivals.phone.hourly_profile=[{profile}]",
        f"staffing.optimize.erlang_bound={str(bound).lower()}"])
    return cfg, front_requirements(cfg, compile_config(cfg), agents=True)[0]


class StandIn:
    """A simulator of a half-hourly plan: interval k is Erlang A with rate lam[k] plus, with ``carry``,
    that share of the calls interval k-1 could not serve; it records every plan the iteration simulates."""

    def __init__(self, req, lam: np.ndarray, carry: float) -> None:
        self.req, self.lam, self.carry, self.plans = req, lam, carry, []

    def __call__(self, cfg, replication: int) -> ReplicationResult:
        n, req = self.lam.size, self.req
        agents = np.asarray(cfg.staffing.half_hourly, dtype=float)[:n] * cfg.scale
        if replication == 1_000_000:
            self.plans.append(agents.astype(int))
        cols = {k: np.zeros(n) for k in ("retrials", "online_offered", "online_on_time")}
        lam = self.lam.copy()
        for k in range(1, n):
            lam[k] += self.carry * max(0.0, lam[k - 1] - agents[k - 1] / req.mean_handle_s[k - 1])
        sl, pab, asa = np.zeros(n), np.zeros(n), np.zeros(n)
        for k in range(n):
            m = erlang_a_metrics(lam[k], 1 / req.mean_handle_s[k], req.theta, int(agents[k]), req.threshold_s)
            sl[k], pab[k], asa[k] = m.service_level, m.p_abandon, m.asa_s
        cols["calls_offered"] = lam * INTERVAL_S
        cols["answered_in_threshold"] = sl * cols["calls_offered"]
        cols["calls_abandoned"] = pab * cols["calls_offered"]
        cols["calls_answered"] = cols["calls_offered"] - cols["calls_abandoned"]
        cols["wait_answered_s"] = asa * cols["calls_answered"]
        cols["staffed_s"] = agents * INTERVAL_S
        cols["busy_s"] = np.minimum(cols["calls_answered"] * req.mean_handle_s[:n], agents * INTERVAL_S)
        return ReplicationResult(replication=replication, seed=0, interval_s=INTERVAL_S, warmup_intervals=0,
                                 intervals=cols, terminal=np.zeros((1, n)), open=np.zeros((1, n)))


LAM = np.linspace(0.2, 0.8, 48)  # calls per second: 48 to 192 Erlang at the scenario's 240 s handle time


@pytest.mark.parametrize("offered_load", ["sipp", "modified"])
def test_without_interaction_the_answer_is_the_fewest_agents_per_interval(offered_load):
    cfg, req = _config(offered_load)
    lines: list = []
    agents, notes = optimize_agents(cfg, [req], False, lines.append, task=StandIn(req, LAM, carry=0.0))
    agents = agents[0]
    exact = [fewest_agents(x, 1 / req.mean_handle_s[0], req.theta, req.threshold_s, req.targets) for x in LAM]
    assert list(agents[:48]) == exact, (list(agents[:48]), exact)
    assert notes["converged"] and notes["iterations"] <= 8, notes
    assert notes["history"][-1]["step"] == "settled" and notes["history"][-1]["intervals_changed"] == 0
    assert lines[notes["iterations"]:] == [
        f"optimize: converged after {notes['iterations']} simulations of the plan; the plan of iteration "
        f"{notes['chosen_iteration']} ({notes['history'][notes['chosen_iteration'] - 1]['operator_hours']:,.0f} "
        f"operator-hours, every interval meeting every target) is used"], lines


@pytest.fixture(scope="module")
def interacting():
    """The iteration on a falling rate where every interval inherits the queue the previous one left."""
    cfg, req = _config()
    agents, notes = optimize_agents(cfg, [req], False, lambda _: None, task=StandIn(req, LAM[::-1], carry=0.5))
    return req, agents[0], notes


def test_with_interaction_it_converges_to_a_plan_meeting_the_target_everywhere(interacting):
    req, agents, notes = interacting
    assert notes["converged"], notes["history"]
    cfg = _config()[0]
    cfg.staffing.half_hourly = [float(a) for a in agents[:48]]
    met = StandIn(req, LAM[::-1], carry=0.5)(cfg, 1)
    sl = met.intervals["answered_in_threshold"] / met.intervals["calls_offered"]
    assert np.all(sl >= req.targets["service_level"] - 1e-9), np.round(sl, 3)


def test_stopped_early_it_returns_the_cheapest_plan_that_met_every_target(interacting):
    _, _, full = interacting
    history = full["history"]
    after_removal = [h["iteration"] for h in history if h["intervals_missing_target"] > 0
                     and any(g["step"] == "remove slack" for g in history[: h["iteration"] - 1])]
    assert after_removal, "the case has a repair after a removal of slack"
    stop = after_removal[0]
    cfg, req = _config(iterations=stop)
    lines: list = []
    short = StandIn(req, LAM[::-1], carry=0.5)
    agents, notes = optimize_agents(cfg, [req], False, lines.append, task=short)
    agents = agents[0]
    chosen = notes["chosen_iteration"]
    assert not notes["converged"] and chosen < stop and history[chosen - 1]["intervals_missing_target"] == 0
    assert list(agents[:48]) == list(short.plans[chosen - 1]), "the plan returned is the one simulated then"
    warnings = [ln for ln in lines if ln.startswith("warning:")]
    assert len(warnings) == 1 and f"iteration {chosen}" in warnings[0], warnings



def test_with_the_bound_the_plan_costs_no_more_than_the_first_stricter_erlang_plan_reaching_the_share():
    # The stand-in's demand is the scenario's own, every interval inheriting all the calls the one before left:
    # the iteration's own plan costs 3,040.5 h, the erlang plan of a service level of 0.95 (u = 0.75) 3,000.5.
    cfg, req = _config(bound=True)
    stand_in = StandIn(req, req.call_rate[:48], carry=1.0)
    lines: list = []
    agents, notes = optimize_agents(cfg, [req], False, lines.append, task=stand_in)
    bound = notes["erlang_bound"]
    ladder = bound["ladder"]
    assert [r["strictness"] for r in ladder] == [0.0, 0.25, 0.5, 0.6, 0.75], ladder
    assert ladder[-1]["targets"] == {"service_level": pytest.approx(0.95)}
    need = min(0.95, bound["own_expected_share"])
    assert all(r["expected_share"] < need for r in ladder[:-1]) and ladder[-1]["expected_share"] >= need
    # the rungs are simulated after the iteration, the first (the erlang plan: the first iteration's) only once
    assert len(stand_in.plans) == notes["iterations"] + len(ladder) - 1
    reached = stand_in.plans[-1]
    cfg.staffing.half_hourly = [float(a) for a in reached]
    res = StandIn(req, req.call_rate[:48], carry=1.0)(cfg, 1).intervals
    assert np.mean(res["answered_in_threshold"] / res["calls_offered"] >= req.targets["service_level"]) >= 0.95
    own = notes["history"][notes["chosen_iteration"] - 1]["operator_hours"]
    assert bound["used"] and ladder[-1]["operator_hours"] < own
    assert list(agents[0][:48]) == list(reached) and "is cheaper and no worse: it is used" in lines[-1]
    # the targets in the words of the command line, not a Python dict ({'operators': {'service_level': 0.95}})
    assert lines[-1].startswith("optimize: the erlang plan of the service targets service_level >= 0.95 ("), lines[-1]
