"""Skill-based routing with overflow: which operator groups may serve which work, and when.

**Rule.**  ``routing.groups`` names the operator groups, each with its own
staffing plan; ``routing.skills`` gives, for a category (or ``online`` for
online work, ``outbound`` for return-visit calls made by operators), the groups
that may serve it in order of preference.  A contact is eligible for the first
group of its list at once and for the ``k``-th group (``k`` = 0, 1, ...) after
waiting ``k x routing.overflow_after_s``: it first waits for its preferred
group, then overflows one group at a time.  Work not listed may be served by
every group at once (the groups in the order ``routing.groups`` declares them).
An operator who becomes free takes, among the contacts it may serve now, the
most urgent class first, then the earliest queued; an arriving contact that
finds free operators in several eligible groups goes to the first of its list
(:mod:`sim.core.engine` states the rule in full).  With no groups the front
line is one group holding every operator and every skill: the plain model.

**Source.**  Skills-based routing with a preference order and delayed overflow
is the standard design of multi-skill contact centres: Gans, Koole & Mandelbaum
(2003), "Telephone call centers: tutorial, review, and research prospects",
M&SOM 5(2), section 5; Wallace & Whitt (2005), "A staffing algorithm for call
centers with skill-based routing", M&SOM 7(4); Koole (2013), *Call Center
Optimization*, ch. 6 (overflow after a waiting-time threshold).  Two groups that
never overflow are two independent Erlang A systems; with overflow at once and
identical skills they are one pooled system - the limits the tests check.

:func:`routing_plan` turns the configuration into a :class:`RoutingPlan`, the
engine's routes (:data:`sim.core.engine.Route`) and which work takes which route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Sequence, Tuple

INF = float("inf")
#: The one group of a front line without ``routing.groups``.
DEFAULT_GROUP = "operators"


@dataclass(frozen=True)
class RoutingPlan:
    """The routes of one scenario.

    Attributes
    ----------
    groups : tuple of str
        Group names, in declaration order (index = group number).
    routes : tuple of routes
        Each route is ``((group, eligible_after_s), ...)`` in order of preference; route 0 is "every
        group at once".
    category_route : tuple of int
        Route of each category's calls (in the order of ``categories``).
    online_route, outbound_route : int
        Routes of online work and of outbound return-visit calls.
    """

    groups: Tuple[str, ...]
    routes: Tuple[Tuple[Tuple[int, float], ...], ...]
    category_route: Tuple[int, ...]
    online_route: int
    outbound_route: int

    @property
    def home(self) -> Tuple[int, ...]:
        """Home group of each route: its first (preferred) group; per-group KPIs count work by it."""
        return tuple(r[0][0] for r in self.routes)

    @property
    def grouped(self) -> bool:
        """Whether the scenario declares groups (and per-group KPIs are recorded)."""
        return self.groups != (DEFAULT_GROUP,) or len(self.routes) > 1

    def call_routes(self) -> List[int]:
        """Routes that calls take (the categories' routes, without repetition)."""
        return sorted(set(self.category_route))


def routing_plan(categories: Sequence[str], groups: Sequence[str], skills: Mapping[str, Sequence[str]],
                 overflow_after_s: float, never_s: float = INF) -> RoutingPlan:
    """The routes of a front line (``routing.groups``, ``routing.skills``, ``routing.overflow_after_s``, validated).

    Parameters
    ----------
    categories : sequence of str
        The categories, in the order of ``categories``.
    groups : sequence of str
        The operator groups in declaration order; empty: one group holding every operator.
    skills : mapping of str to sequence of str
        Category, ``online`` or ``outbound`` -> the groups that may serve it, preferred first.
    overflow_after_s : float
        Wait before a contact may also go to the next group of its list.
    never_s : float
        An overflow wait at least this long cannot happen in the run (its length); such a group is
        left out of the route, which is the same as "never" and keeps no timer.

    Returns
    -------
    RoutingPlan
    """
    if not groups:
        return RoutingPlan((DEFAULT_GROUP,), (((0, 0.0),),), (0,) * len(categories), 0, 0)
    names = tuple(groups)
    index = {name: i for i, name in enumerate(names)}
    every = tuple((i, 0.0) for i in range(len(names)))
    routes: List[Tuple[Tuple[int, float], ...]] = [every]
    known: Dict[Tuple[Tuple[int, float], ...], int] = {every: 0}

    def route_of(chosen: Sequence[str]) -> int:
        steps = tuple((index[g], k * float(overflow_after_s)) for k, g in enumerate(chosen))
        steps = tuple(s for s in steps if s[1] < never_s)
        if steps not in known:
            known[steps] = len(routes)
            routes.append(steps)
        return known[steps]

    cats = tuple(route_of(skills[c]) if c in skills else 0 for c in categories)
    online = route_of(skills["online"]) if "online" in skills else 0
    outbound = route_of(skills["outbound"]) if "outbound" in skills else 0
    return RoutingPlan(names, tuple(routes), cats, online, outbound)
