"""Agents in a call log: the teams they form, and the agents available in each half-hour,
measured.

**Teams** (:func:`find_teams`).  An agent whose services (in the window fitted) are at
least :data:`SPECIALIST_SHARE` of one call type belongs to that type's specialist team,
if at least :data:`MIN_TEAM` agents do and the type is at most ``1 - SPECIALIST_SHARE``
of the other agents' services (a type everyone serves has no team of its own); every
other agent is in the ``general`` team.  Each call type is served first by its
specialist team (if it has one), then by the general team if general agents served any
of its calls (``routing.skills``), with no wait before the second team is eligible; a
team's *own* call types are those it serves first.  The bank's internet (IN) team is
such a specialist team.

**Availability, measured** (:func:`measure`).  A log shows an agent only while they
talk.  The estimator reconstructs *presence* from consecutive services: an agent is
present from a service's start to its end and through a gap before their next service
shorter than ``gap_s`` (default :data:`SESSION_GAP_S`, 30 minutes; a longer gap is time
off duty).  A present agent is **available** while talking, and while between services -
or in the ``gap_s / 2`` before a session's first service and after its last (logged in,
not yet or no longer talking) - as long as no caller of their team's own call types is
waiting: a caller waiting while an available agent sits idle would break work
conservation (the log's agents start the next call a median 5 s after the last one while
callers wait), so such gap time is after-call work, a break or other work.  The mean
number of agents available over each half-hour of each date is the staffing of that
half-hour.  The estimator uses the times at which callers were waiting, never how long
they waited nor whether they hung up. Assumptions: agents who were idle between services
with nobody waiting could have taken a call (an upper bound there, harmless while nobody
waits), and so could an agent in the quarter-hour before and after a session while
nobody waits (else a lone night call would find its agent present only while talking to
it); a team's agents take only the calls it serves.  A log without agent codes gives,
per half-hour, the services in progress while callers wait and otherwise the most
services in progress in that half-hour.

The per-date values feed the hold-out scenario as they are.  The calibrated week
template (:func:`weekly_plan`) must stand for several dates of each weekday with one
plan, and an average of agents would let a week of few agents and many calls and a week
of many agents and few calls add up to a quiet week (losing callers is convex in the
load per agent).  It holds for each weekday and half-hour the *certainty equivalent* of
the dates: the agents at which Erlang A, fed the dates' mean calls times the scenario's
day multiplier (``arrivals.phone.day_cv``), loses the same share of callers as it loses on
average over the dates fed each date's own calls and agents.  Only the model averages
here: the log's own abandonment is never used.

**Calls that find an agent idle** (:attr:`Availability.idle_at_arrival`,
:attr:`Availability.busy_agent_free_s`): whether an agent of the call's team sat idle
between two services when it came while nobody else waited, and how long until the team's
next service end; :func:`sim.calibrate.calls.pickup_delay` turns their waits into the
pickup delay (``calls.pickup_delay_s``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np

from sim.calibrate.logread import CallLog

HALF_S, DAY_S = 1800.0, 86400.0
SPECIALIST_SHARE = 0.8
MIN_TEAM = 2
SESSION_GAP_S = 1800.0
GENERAL = "general"


@dataclass
class Teams:
    """Agent teams and the call types they serve (see the module docstring)."""

    names: List[str]                  # team names (specialist teams first, general last)
    agent_team: np.ndarray            # team index of each agent code (-1: no service in the window)
    skills: Dict[str, List[str]]      # call type -> teams, preferred first
    own: List[List[int]]              # call-type codes each team serves first
    services: np.ndarray              # services per (team, call type), for the page
    rule: str = ""

    def skills_of(self, team: str) -> List[str]:
        """The call types ``team`` serves."""
        return [c for c, teams in self.skills.items() if team in teams]

    def as_dict(self, categories: List[str], agents: List[str]) -> Dict[str, object]:
        """JSON-ready summary."""
        return {"teams": {t: {"agents": [agents[a] for a in np.nonzero(self.agent_team == k)[0]],
                              "services": {c: int(self.services[k, j]) for j, c in enumerate(categories)
                                           if self.services[k, j]}}
                          for k, t in enumerate(self.names)},
                "skills": self.skills, "rule": self.rule}


def team_slug(name: str) -> str:
    """A team name usable as a group name (letters, digits and _)."""
    out = "".join(ch if ch.isalnum() else "_" for ch in name).strip("_")
    return out or "team"


def find_teams(log: CallLog) -> Teams:
    """The teams of the log's agents (module docstring); one team ``operators`` without agent codes."""
    served = (log.outcome == 0) & (log.agent >= 0)
    n_cat, n_ag = len(log.categories), len(log.agents)
    mix = np.zeros((n_ag, n_cat))
    np.add.at(mix, (log.agent[served], log.category[served]), 1.0)
    total = mix.sum(axis=1)
    if not n_ag or not total.sum():
        return Teams(["operators"], np.zeros(n_ag, dtype=np.int64), {}, [list(range(n_cat))],
                     np.bincount(log.category[log.outcome == 0], minlength=n_cat)[None, :].astype(float),
                     "no agent codes in the log: one team")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = mix / total[:, None]
    top = np.argmax(mix, axis=1)
    special = (total > 0) & (share[np.arange(n_ag), top] >= SPECIALIST_SHARE)
    kinds = []
    for c in range(n_cat):
        mine = special & (top == c)
        others = mix[(total > 0) & ~mine]
        if n_cat > 1 and mine.sum() >= MIN_TEAM and others[:, c].sum() <= (1 - SPECIALIST_SHARE) * others.sum():
            kinds.append(c)
    agent_team = np.full(n_ag, -1, dtype=np.int64)
    for k, c in enumerate(kinds):
        agent_team[special & (top == c)] = k
    rest = (total > 0) & (agent_team < 0)
    if not rest.any() and len(kinds) < n_cat:  # a type without a team of its own and nobody else: one team
        kinds, agent_team = [], np.where(total > 0, 0, -1)
        rest = total > 0
    names = [team_slug(log.categories[c]) for c in kinds]
    general = len(names)
    if rest.any():
        agent_team[rest] = general
        names.append(GENERAL if GENERAL not in names else f"{GENERAL}_team")
    services = np.zeros((len(names), n_cat))
    for k in range(len(names)):
        services[k] = mix[agent_team == k].sum(axis=0)
    skills: Dict[str, List[str]] = {}
    own: List[List[int]] = [[] for _ in names]
    for c, cname in enumerate(log.categories):
        order = ([kinds.index(c)] if c in kinds else []) + ([general] if general < len(names)
                                                              and (services[general, c] > 0 or c not in kinds) else [])
        skills[cname] = [names[k] for k in order]
        own[order[0]].append(c)
    rule = (f"an agent with at least {SPECIALIST_SHARE:.0%} of their services of one call type is in that type's team "
            f"when at least {MIN_TEAM} agents are and the type is at most {1 - SPECIALIST_SHARE:.0%} of the other "
            f"agents' services; the others form the general team; a type is served by its own team first, then by "
            f"the general team if general agents served it")
    return Teams(names, agent_team, skills, own, services, rule)


def assign(teams: Teams, log: CallLog) -> Teams:
    """``teams`` (fitted on another window of the same log) for the agents of ``log``: an agent of those teams keeps
    theirs; a new one joins the specialist team of the call type that is at least :data:`SPECIALIST_SHARE` of their
    services, else the general team (else the last team)."""
    served = (log.outcome == 0) & (log.agent >= 0)
    mix = np.zeros((len(log.agents), len(log.categories)))
    np.add.at(mix, (log.agent[served], log.category[served]), 1.0)
    known = np.full(len(log.agents), -1, dtype=np.int64)
    known[:len(teams.agent_team)] = teams.agent_team[:len(log.agents)]
    fallback = teams.names.index(GENERAL) if GENERAL in teams.names else len(teams.names) - 1
    for a in np.nonzero((known < 0) & (mix.sum(axis=1) > 0))[0]:
        top = int(np.argmax(mix[a]))
        name = team_slug(log.categories[top])
        special = mix[a, top] >= SPECIALIST_SHARE * mix[a].sum() and name in teams.names and name != GENERAL
        known[a] = teams.names.index(name) if special else fallback
    return dataclasses.replace(teams, agent_team=known)


@dataclass
class Availability:
    """Mean agents per (team, date, half-hour) of a log: available (the estimate), present and talking."""

    available: np.ndarray
    present: np.ndarray
    talking: np.ndarray
    days: int
    gap_s: float
    with_codes: bool
    notes: List[str] = field(default_factory=list)
    #: Per call attempt: an agent of the team serving its type first was present and not talking when it came
    #: (between two of their services; without agent codes: fewer services in progress than the half-hour's
    #: most), and no other caller of that team's own call types waited - a call the simulation's operators
    #: would take at once.
    idle_at_arrival: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: Per call attempt: seconds from its arrival to the next end of a service of its team (inf: none).
    busy_agent_free_s: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def totals(self) -> Dict[str, float]:
        """Agent-hours available, present and talking over the log (all teams)."""
        return {k: float(getattr(self, k).sum() / 2.0) for k in ("available", "present", "talking")}


def _level(start: np.ndarray, end: np.ndarray, n: int) -> np.ndarray:
    """Number of intervals ``[start, end)`` (whole seconds, clipped to ``[0, n)``) covering each second."""
    x = np.zeros(n + 1)
    s = np.clip(np.floor(start).astype(np.int64), 0, n)
    e = np.clip(np.floor(end).astype(np.int64), 0, n)
    np.add.at(x, s, 1.0)
    np.add.at(x, e, -1.0)
    return np.cumsum(x)[:n]


def measure(log: CallLog, teams: Teams, gap_s: float = SESSION_GAP_S) -> Availability:
    """Agents available per (team, date, half-hour), averaged over the log's runs (module docstring)."""
    local = log.shift_s  # each time on the local clock: absolute + the arrival's shift
    arrive, left = log.arrive_s + local, log.left_s + local
    start, end = log.answered_s + local, log.ended_s + local
    days = int(math.floor(float(np.max(arrive)) / DAY_S)) + 1
    n_s = days * int(DAY_S)
    t = len(teams.names)
    out = {k: np.zeros((t, days * 48)) for k in ("available", "present", "talking")}
    runs = np.unique(log.run)
    served = (log.outcome == 0) & ~np.isnan(log.ended_s)
    with_codes = bool(np.any(served & (log.agent >= 0)))
    waited = ~np.isnan(left) & (left > arrive)
    idle = np.zeros(log.n, dtype=bool)
    free_in = np.full(log.n, np.inf)
    second = np.clip(np.floor(arrive).astype(np.int64), 0, n_s - 1)
    for r in runs:
        in_run = log.run == r
        for k in range(t):
            own = np.isin(log.category, teams.own[k]) & in_run
            mine = own & waited
            level = _level(arrive[mine], left[mine], n_s)
            waiting = level > 0
            if with_codes:
                avail, pres, talk = _team(log, teams, k, in_run & served, start, end, waiting, n_s, gap_s)
                free = pres - talk  # between two services of a session
            else:
                m = in_run & served & np.isin(log.category, teams.own[k])
                talk = _level(start[m], end[m], n_s)
                peak = np.repeat(talk.reshape(-1, int(HALF_S)).max(axis=1), int(HALF_S))
                avail = np.where(waiting, talk, peak)
                pres, free = avail, peak - talk
            itself = mine & (np.floor(left) > np.floor(arrive))  # the call's own wait covers its arrival second
            idle[own] = (free[second[own]] > 0) & (level[second[own]] - itself[own] <= 0)
            ends = np.sort(end[in_run & served & (np.isin(log.agent, np.nonzero(teams.agent_team == k)[0])
                                                  if with_codes else np.isin(log.category, teams.own[k]))])
            j = np.searchsorted(ends, arrive[own], side="right")
            free_in[own] = (np.where(j < len(ends), ends[np.minimum(j, len(ends) - 1)] - arrive[own], np.inf)
                            if len(ends) else np.inf)  # a team that served nobody in the window: never free
            for key, v in (("available", avail), ("present", pres), ("talking", talk)):
                out[key][k] += v.reshape(-1, int(HALF_S)).mean(axis=1)
    notes = [] if with_codes else ["no agent codes in the log: the agents available are the services in progress "
                                   "while callers wait, else the most in progress in the half-hour (a lower bound)"]
    return Availability(**{k: v.reshape(t, days, 48) / len(runs) for k, v in out.items()}, days=days, gap_s=gap_s,
                        with_codes=with_codes, notes=notes, idle_at_arrival=idle, busy_agent_free_s=free_in)


def _team(log: CallLog, teams: Teams, k: int, served: np.ndarray, start: np.ndarray, end: np.ndarray,
          waiting: np.ndarray, n_s: int, gap_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds-resolution counts of team ``k``'s agents available, present and talking."""
    avail, pres, talk = np.zeros(n_s), np.zeros(n_s), np.zeros(n_s)
    for a in np.nonzero(teams.agent_team == k)[0]:
        m = served & (log.agent == a)
        if not m.any():
            continue
        order = np.argsort(start[m], kind="stable")
        s, e = start[m][order], np.maximum(end[m][order], start[m][order])
        on_call = _level(s, e, n_s) > 0
        gap = (e[:-1] < s[1:]) & ((s[1:] - e[:-1]) <= gap_s)
        between = _level(e[:-1][gap], s[1:][gap], n_s) > 0
        first = np.concatenate([[True], ~gap])  # a session's first service, and (below) its last
        last = np.concatenate([~gap, [True]])
        edge = gap_s / 2.0
        margin = (_level(s[first] - edge, s[first], n_s) + _level(e[last], e[last] + edge, n_s)) > 0
        talk += on_call
        pres += on_call | between
        avail += on_call | ((between | margin) & ~waiting)
    return avail, pres, talk


def weekly_plan(available: np.ndarray, offered: np.ndarray, start_weekday: int, mean_handle_s: np.ndarray,
                patience_mean_s: float, day_cv: float = 0.0) -> np.ndarray:
    """A week of half-hourly agents (Monday 0:00 first, 336 values) standing for per-date ones.

    Parameters
    ----------
    available : ndarray, shape (days, 48)
        Agents available per date and half-hour (measured).
    offered : ndarray, shape (days, 48)
        Calls offered to the team per date and half-hour.
    start_weekday : int
        Weekday of date 0 (0 = Monday).
    mean_handle_s : ndarray, shape (48,)
        Mean handle time of each half-hour's calls (seconds).
    patience_mean_s : float
        Mean of the exponential patience fitted to the log (Erlang A's).
    day_cv : float
        CV of the scenario's gamma day multiplier (``arrivals.phone.day_cv``): the template's days are the
        dates' mean calls times it, so its loss is averaged over the multiplier (16 equally likely values);
        0 = the mean calls alone.

    Returns
    -------
    ndarray, shape (336,)
        Per weekday and half-hour the certainty equivalent of the dates (module docstring): the agents at
        which Erlang A, fed the dates' mean calls times the day multiplier, loses the share of callers it
        loses over the dates with their own calls and agents (calls-weighted); the plain mean where no call
        came; 0 for weekdays the dates do not hold.  Erlang A only aggregates here: the log's abandonment is
        never used.  Held at the mean calls alone, the template would match the dates while the scenario,
        drawing busier and quieter days around them, lost more.
    """
    from scipy import stats

    from sim.analysis.theory import erlang_a_metrics

    theta = 1.0 / patience_mean_s
    whole: Dict[tuple[float, float, int], float] = {}

    def at(lam: float, mu: float, k: int) -> float:  # Erlang A's abandonment with k agents (cached)
        if (lam, mu, k) not in whole:
            whole[(lam, mu, k)] = 1.0 if k == 0 else erlang_a_metrics(lam, mu, theta, k, 0.0).p_abandon
        return whole[(lam, mu, k)]

    def lost(lam: float, mu: float, c: float) -> float:  # Erlang A's abandonment, linear between whole agents
        lo = int(math.floor(c))
        return sum(w * at(lam, mu, k) for k, w in ((lo, 1.0 - (c - lo)), (lo + 1, c - lo)) if w > 0)

    mult = np.ones(1)
    if day_cv > 0:
        shape = 1.0 / day_cv ** 2
        mult = stats.gamma.ppf((np.arange(16) + 0.5) / 16, shape, scale=1.0 / shape)
        mult = mult / mult.mean()

    def template(lam: float, mu: float, c: float) -> float:  # the template's loss over the multiplier, calls-weighted
        return float(np.mean([m * lost(lam * m, mu, c) for m in mult]))

    plan = np.zeros(336)
    for w in range(7):
        rows = [d for d in range(available.shape[0]) if (start_weekday + d) % 7 == w]
        for h in range(48 if rows else 0):
            c, lam = available[rows, h], offered[rows, h] / HALF_S
            if lam.sum() <= 0 or c.max() <= 0:
                plan[48 * w + h] = float(c.mean())
                continue
            mu = 1.0 / float(mean_handle_s[h])
            target = float(np.dot(lam, [lost(x, mu, y) if x > 0 else 0.0 for x, y in zip(lam, c)]) / lam.sum())
            lo, hi = 0.0, float(c.max())
            while day_cv > 0 and template(float(lam.mean()), mu, hi) > target and hi < 10.0 * c.max():
                hi = 1.25 * hi + 1.0  # busier days may need more than the most agents any date had
            for _ in range(30):  # the abandonment falls as agents are added: bisection
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if template(float(lam.mean()), mu, mid) > target else (lo, mid)
            plan[48 * w + h] = hi
    return plan
