"""Requirements per operator group: each group's own work, and the calls that overflow to it.

With ``routing.groups`` a staffing policy proposes one plan per group (``routing.groups.<name>``).
Each group plans for the work whose route starts with it (its *home* work, as the per-group
KPIs count it: :class:`sim.policies.routing.RoutingPlan`): the calls of the categories whose
``routing.skills`` list starts with the group, online items and outbound return-visit calls when
their list does (work not listed may go to every group at once; it is counted in the first
group declared, its home).  Its targets are ``staffing.target`` with the group's own
(``routing.groups.<name>.target``) in their place; the online target is the online items' home
group's.

**Overflow, the approximation.**  A call not yet answered after ``routing.overflow_after_s`` in
its home group may also be taken by the next group of its list (after ``k`` times the delay by
the ``k``-th).  Its share is approximated, per interval, by the home group's Erlang A:
``1 - SL_home(T)``, the calls not answered within ``T = overflow_after_s`` at the home group's
agents and load (an upper bound: it counts the calls that abandon before ``T`` too), and the
next group plans for that share of the route's load on top of its own (the share reaching the
``k``-th group is the product over the groups before it).  A group's agents change the
overflow it sends, so the requirement is computed again with the new overflow until the agents
stop changing (at most :data:`PASSES` times).  What this leaves out, each measured and corrected
by ``staffing.policy=optimize``: the overflowing calls may still be answered by their home group
(the receiving group is over-staffed by that much), and they have waited longer than the
receiving group's own calls, so a free operator takes them first (the receiving group's own
calls wait a little more than Erlang A says for the merged load).
"""

from __future__ import annotations

from typing import List, Optional

import numpy as np

from sim.analysis.theory import erlang_a_metrics
from sim.config.schema import Config
from sim.model.compile import Compiled, compile_config
from sim.planning.requirement import (
    Requirement,
    WorkShare,
    call_loads,
    calls_agents,
    planning_edges,
    propose,
    requirement,
)

#: Passes of the overflow fixed point at most.
PASSES = 5


def shares(cfg: Config, sc: Compiled) -> List[WorkShare]:
    """Each group's share of the work (one share, the whole front line, without ``routing.groups``)."""
    if not cfg.routing.groups:
        return [WorkShare()]
    rp = sc.routing
    home = rp.home
    return [WorkShare(name, frozenset(i for i, r in enumerate(rp.category_route) if home[r] == g),
                      home[rp.online_route] == g, home[rp.outbound_route] == g)
            for g, name in enumerate(rp.groups)]


def front_requirements(cfg: Config, sc: Optional[Compiled] = None, agents: bool = True,
                       upto: Optional[int] = None) -> List[Requirement]:
    """The requirement of every operator group, in the order of ``routing.groups`` (module docstring); with
    ``upto``, the agents of the first ``upto`` intervals only (0 after: a report on a shorter run).

    Raises
    ------
    ConfigError
        A target no headcount can meet in some interval of some group.
    """
    sc = sc if sc is not None else compile_config(cfg)
    reqs = [requirement(cfg, sc, agents=False, share=s) for s in shares(cfg, sc)]
    if not agents:
        return reqs
    if len(reqs) > 1:
        _with_overflow(cfg, sc, reqs, upto)
    else:
        reqs[0].calls_agents = calls_agents(reqs[0], cfg, upto)
    for req in reqs:
        propose(req, cfg, upto)
    return reqs


def _not_answered(req: Requirement, agents: np.ndarray, after_s: float) -> np.ndarray:
    """Per interval, the share of ``req``'s calls not answered within ``after_s`` at ``agents`` (Erlang A)."""
    out = np.zeros(len(agents))
    for k in np.flatnonzero(req.call_load > 0):
        mu = 1.0 / req.mean_handle_s[k]
        lam = req.call_load[k] * mu
        if agents[k] <= 0 or (req.theta == 0 and lam >= agents[k] * mu):
            out[k] = 1.0
            continue
        try:
            out[k] = 1.0 - erlang_a_metrics(lam, mu, req.theta, int(agents[k]), after_s).service_level
        except ValueError:
            out[k] = 1.0
    return out


def _with_overflow(cfg: Config, sc: Compiled, reqs: List[Requirement], upto: Optional[int] = None) -> None:
    """Set every group's ``calls_agents`` with the overflow it receives (module docstring)."""
    rp = sc.routing
    edges = planning_edges(sc)
    base = [(r.call_rate.copy(), r.mean_handle_s.copy(), r.call_load.copy(), r.work_var.copy()
             if r.work_var is not None else np.zeros(r.call_rate.size)) for r in reqs]
    routes = []  # (route's steps, its calls' rate, handle, load, variance) for routes that overflow
    for ri, steps in enumerate(rp.routes):
        cats = frozenset(i for i, r in enumerate(rp.category_route) if r == ri)
        if len(steps) > 1 and cats:
            rate, handle, load, var, _ = call_loads(cfg, sc, edges, cats)
            routes.append((steps, rate, handle, load, var))
    for req in reqs:  # first without overflow: each group for its own calls
        req.calls_agents = calls_agents(req, cfg, upto)
    for _ in range(PASSES):
        ov = [[np.zeros(edges.size - 1) for _ in range(4)] for _ in reqs]  # rate, rate x handle, load, var
        for steps, rate, handle, load, var in routes:
            share = np.ones(rate.size)
            for j in range(1, len(steps)):
                prev, after_s = steps[j - 1][0], steps[j][1] - steps[j - 1][1]
                agents = reqs[prev].calls_agents
                assert agents is not None
                share = share * _not_answered(reqs[prev], agents, after_s)
                g = steps[j][0]
                for i, v in enumerate((rate * share, rate * handle * share, load * share, var * share)):
                    ov[g][i] += v
        changed = False
        for req, (rate, handle, load, var), (o_rate, o_work, o_load, o_var) in zip(reqs, base, ov):
            req.call_rate = rate + o_rate
            with np.errstate(invalid="ignore", divide="ignore"):
                req.mean_handle_s = np.where(req.call_rate > 0, (rate * handle + o_work) / req.call_rate, handle)
            req.call_load = load + o_load
            req.work_var = var + o_var
            new = calls_agents(req, cfg, upto)
            changed |= req.calls_agents is None or not np.array_equal(new, req.calls_agents)
            req.calls_agents = new
        if not changed:
            break
