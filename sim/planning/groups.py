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

**Pools: groups that share work, judged together.**  Which group serves a call that two groups may
take is decided in the run, not by the plan: the split above (the home group staffed for all its
calls, the next for what overflows) is one way of planning, not the only one, and a plan that leaves
a call type to the other group (a small specialist team beside generalists who take its calls too)
is not short by the specialists' missing hours.  :func:`pools` groups the operator groups that share
work - linked by a route with work that lists more than one of them - and :func:`pooled` gives a pool
one requirement: the erlang requirement of its groups' home work together (their loads added; the
mean handle time weighted by the calls), for the strictest of their targets (each call of a pool
served alike then meets every group's).  It is the least the pool needs: exact when one of its groups
may take every call of the pool at once, a lower bound when the routing restricts that (a skill a
group lacks, ``routing.overflow_after_s`` before a call may go to the next group).  The staffing
position compares a pool's scheduled operators with it (:mod:`sim.report.position`).
"""

from __future__ import annotations

import dataclasses
from typing import List, Optional, Sequence, Tuple

import numpy as np

from sim.analysis.staffing_kpis import strictest
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


def pools(sc: Compiled) -> List[Tuple[int, ...]]:
    """The operator groups (their numbers) that share work, each pool in the order of ``routing.groups``, the pools
    in the order of their first group (module docstring): two groups share work when a route that carries work
    (a category with calls, online items, outbound calls when operators make return visits) lists both."""
    rp = sc.routing
    root = list(range(len(rp.groups)))

    def find(g: int) -> int:
        while root[g] != g:
            g = root[g]
        return g

    calls = sc.channels["phone"].per_day > 0
    used = {r for i, r in enumerate(rp.category_route) if calls and sc.shares[i] > 0}
    used |= {rp.online_route} if sc.channels["online"].per_day > 0 else set()
    used |= {rp.outbound_route} if sc.feedback is not None and sc.feedback.operators_visit else set()
    for r in sorted(used):
        for g, _ in rp.routes[r][1:]:
            a, b = find(rp.routes[r][0][0]), find(g)
            root[max(a, b)] = min(a, b)
    members: dict[int, List[int]] = {}
    for g in range(len(rp.groups)):
        members.setdefault(find(g), []).append(g)
    return [tuple(m) for m in members.values()]


def pooled(home: Sequence[Requirement], name: str) -> Requirement:
    """One requirement (loads only) for the home work of several groups' requirements (``home``: each group's own
    work, no overflow) served together, for the strictest of their targets (module docstring)."""
    first = home[0]
    rate = np.sum([r.call_rate for r in home], axis=0)
    work = np.sum([r.call_rate * r.mean_handle_s for r in home], axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        handle = np.where(rate > 0, work / np.where(rate > 0, rate, 1.0), first.mean_handle_s)
    targets = strictest((r.targets for r in home), at_most=lambda metric: metric != "service_level")
    online = [r.online_target for r in home if r.online_target is not None]
    occupancy = [r.max_occupancy for r in home if r.max_occupancy is not None]

    def added(attr: str) -> Optional[np.ndarray]:
        parts = [getattr(r, attr) for r in home]
        return None if any(p is None for p in parts) else np.sum(parts, axis=0)

    return dataclasses.replace(
        first, call_rate=rate, mean_handle_s=handle, call_load=np.sum([r.call_load for r in home], axis=0),
        online_load=np.sum([r.online_load for r in home], axis=0),
        outbound_load=np.sum([r.outbound_load for r in home], axis=0), online_work=added("online_work"),
        work_var=added("work_var"),
        targets=targets, online_target=max(online) if online else None,
        max_occupancy=min(occupancy) if occupancy else None, name=name, calls_agents=None, agents=None,
        notes={**first.notes, "pool": [r.name for r in home]})


def with_agents(req: Requirement, cfg: Config, upto: Optional[int] = None) -> Requirement:
    """A copy of ``req`` (its loads) with the erlang agents of its first ``upto`` intervals (all by default)."""
    out = dataclasses.replace(req, calls_agents=None, agents=None)
    out.calls_agents = calls_agents(out, cfg, upto)
    propose(out, cfg, upto)
    return out


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
