"""The operators each reporting interval needs, from Erlang A and the scenario's own parameters.

:func:`requirement` computes, for every reporting interval of the planning window (whole days
from the run's start, at least a week, so that a plan covers every weekday):

1. **Calls.** The arrival rate of each kind of call (category x triage outcome, with its own
   handle-time distribution; :func:`sim.model.workload.channel_work` reads them from the arrival
   model itself: weekday factors, hourly profile, surges, scale, category mix) gives the
   interval's offered load by the rule ``staffing.offered_load`` (:mod:`sim.analysis.offered_load`:
   ``sipp``, ``lagged`` or ``modified``, summed over the kinds).  The fewest agents meeting every
   target of ``staffing.target`` then come from exact Erlang A
   (:func:`sim.analysis.theory_staffing.fewest_agents`; Erlang C if patience were infinite) with
   that load, the interval's mean handle time (the mix of its kinds) and the mean patience.
   Approximations, each corrected by ``staffing.policy=optimize``: the handle-time mixture and the
   patience enter Erlang A through their means (Erlang A assumes both exponential); calls of the
   priority classes are counted with the others (the queue's total is the same, a few urgent
   calls wait less and the rest a little more); redials add ``sum_i (p_redial x p_abandon)^i``
   (up to ``calls.retrial.max_retrials``) to the interval's own arrivals, with ``p_abandon`` that
   of the staffing found, and the search is repeated once.  An interval without calls needs no
   agent for calls.
2. **Online items** are deferrable (operators take them when no call waits) and due within
   ``online.deadline_h`` (or ``online.expire_h`` if it is shorter): an item's handle time is
   spread evenly over its deadline (:func:`sim.analysis.offered_load.deferred_load`), and that
   load is added to the agents for calls as operators busy on average.
3. **Return visits by operators** (``feedback.mode=operators``): the steady-state outbound
   operator-seconds per day (:func:`sim.model.workload.outbound_work`) spread evenly over the
   calling hours of ``feedback.calendar``, added likewise.
   Not modelled: ``routing.callback``, ``routing.reserve_idle``, ``routing.escalate_after_s`` (the
   requirement staffs the plain queue; ``optimize`` measures what they change).  With operator
   groups (``routing.groups``) each group has a requirement of its own, from its share of the work
   and the calls that overflow to it (:mod:`sim.planning.groups`), and its own targets.
4. **The other targets.** An online target (``staffing.target.online_on_time_rate``) and a
   maximum occupancy (``max_occupancy``) raise the agents where the operators would not have the
   spare time for the online items within their deadline, or would be busier than allowed, the
   channels' day multipliers included (:mod:`sim.planning.erlang_rules`, with the approximations
   it documents): :attr:`Requirement.agents`.
5. **Required**, the rostered operators: ``ceil((agents + online + outbound) / (1 - shrinkage))``;
   0 where nothing arrives or is due.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Optional

import numpy as np

from sim.analysis.offered_load import deferred_load, interval_load, mean_rate
from sim.analysis.theory import erlang_a_metrics
from sim.analysis.theory_staffing import fewest_agents
from sim.config.schema import Config
from sim.core.calendar import DAY_S, WorkCalendar
from sim.core.errors import ConfigError
from sim.model.compile import Compiled, compile_config
from sim.model.workload import channel_work, outbound_work
from sim.planning.erlang_rules import day_sd, occupancy_floor, online_floor

#: ``staffing.target`` name -> the Erlang A metric (:class:`sim.analysis.theory.QueueMetrics`) it bounds.
THEORY_TARGETS: Dict[str, str] = {"service_level": "service_level", "abandon_rate": "p_abandon", "asa_s": "asa_s"}
WEEK_S = 7 * DAY_S
CH = ("phone", "online")  # the channels in the order of Requirement.day_cv


@dataclass
class Requirement:
    """Offered loads and operators needed per reporting interval of the planning window, for one operator group.

    Attributes
    ----------
    interval_s : float
        Length of a reporting interval.
    days : int
        Days in the planning window (at least 7; the run's horizon in whole days if longer).
    start_weekday : int
        Weekday of day 0.
    n_intervals, warmup_intervals : int
        Reporting intervals of the run's horizon, and the leading ones of its warm-up.
    due_s : float
        The time within which an online item is due: its deadline, or its expiry if shorter.
    call_rate, mean_handle_s, call_load : ndarray, shape (K,)
        First-attempt call arrivals per second, the mean handle time of the interval's calls, and
        their offered load (Erlang) by the chosen rule (with operator groups: the group's own calls,
        and the calls that overflow to it, :mod:`sim.planning.groups`).
    online_load, outbound_load : ndarray, shape (K,)
        Deferrable loads (Erlang): online items spread over their deadline, return visits over the
        calling hours.
    online_work : ndarray, shape (K,)
        Online work as it arrives (the interval's online arrival rate x mean handle time, Erlang).
    work_var : ndarray, shape (K,)
        Variance of the operator-seconds of work arriving per second of the interval (calls and
        online items: rate x E[S^2], compound Poisson), for the noise terms of the online and
        occupancy rules (:mod:`sim.planning.erlang_rules`).
    day_cv : ndarray, shape (2, K), or None
        Coefficient of variation of the day multiplier of each interval's day: calls, online items.
    theta : float
        Abandonment rate, 1 / mean patience (per second).
    shrinkage : float
        Share of rostered operators not available.
    targets : dict
        Erlang A metric -> bound (the group's service targets).
    online_target, max_occupancy : float or None
        The share of online items to accept within ``due_s`` (for the group that serves them
        first) and the highest occupancy of the group's operators, when set.
    name : str
        The operator group (``operators`` without ``routing.groups``).
    calls_agents : ndarray of int, shape (K,), or None
        Fewest agents for the calls meeting every service target (None when not computed).
    agents : ndarray of int, shape (K,), or None
        The erlang proposal in the same units: ``calls_agents``, raised where the online or the
        occupancy rule needs more operators (None when not computed).
    notes : dict
        What the computation assumed, for ``summary.json``.
    """

    interval_s: float
    days: int
    start_weekday: int
    n_intervals: int
    warmup_intervals: int
    due_s: float
    call_rate: np.ndarray
    mean_handle_s: np.ndarray
    call_load: np.ndarray
    online_load: np.ndarray
    outbound_load: np.ndarray
    theta: float
    threshold_s: float
    shrinkage: float
    targets: Dict[str, float]
    redial: tuple[float, int]
    online_work: Optional[np.ndarray] = None
    work_var: Optional[np.ndarray] = None
    day_cv: Optional[np.ndarray] = None
    online_target: Optional[float] = None
    max_occupancy: Optional[float] = None
    name: str = "operators"
    calls_agents: Optional[np.ndarray] = None
    agents: Optional[np.ndarray] = None
    notes: Dict[str, object] = field(default_factory=dict)

    @property
    def offered_load(self) -> np.ndarray:
        """Total offered load per interval (Erlang): calls + online + outbound."""
        return self.call_load + self.online_load + self.outbound_load

    def rostered(self, calls_agents: np.ndarray) -> np.ndarray:
        """Rostered operators for ``calls_agents`` per interval, the deferrable loads added."""
        need = np.asarray(calls_agents, dtype=float) + self.online_load + self.outbound_load
        out = np.ceil(need / (1.0 - self.shrinkage) - 1e-9)
        return np.where(need > 1e-12, np.maximum(out, 1.0), 0.0)

    @property
    def required(self) -> np.ndarray:
        """Rostered operators per interval of the erlang proposal (needs :attr:`agents`)."""
        assert self.agents is not None
        return self.rostered(self.agents)

    @property
    def all_targets(self) -> Dict[str, float]:
        """Every target of the group by its ``staffing.target`` name (the service targets and the others set)."""
        out = {name: self.targets[metric] for name, metric in THEORY_TARGETS.items() if metric in self.targets}
        if self.online_target is not None:
            out["online_on_time_rate"] = self.online_target
        if self.max_occupancy is not None:
            out["max_occupancy"] = self.max_occupancy
        return out

    def agents_for_calls(self, k: int, lam: float, start: Optional[int] = None, redials: float = 0.0
                         ) -> tuple[int, float]:
        """Fewest agents meeting every target in interval ``k`` for first-attempt calls ``lam`` per second.

        Redials add ``sum_{i=1..max} (p_redial x p_abandon)^i`` of ``lam``, with ``p_abandon`` that of the
        staffing found: searched with the guess ``redials`` (the neighbouring interval's) and again
        only if the staffing found changes it enough to matter.  Returns ``(agents, redials)``.
        """
        mu = 1.0 / self.mean_handle_s[k]
        p_redial, max_redials = self.redial
        if p_redial <= 0 or max_redials <= 0:
            return fewest_agents(lam, mu, self.theta, self.threshold_s, self.targets, start=start), 0.0
        c = -1
        for _ in range(4):  # the fixed point is reached at once or in one more step
            c_new = fewest_agents(lam * (1.0 + redials), mu, self.theta, self.threshold_s, self.targets,
                                  start=start if c < 0 else c)
            if c_new == c or c_new == 0:
                c = c_new
                break
            c = c_new
            q = p_redial * erlang_a_metrics(lam * (1.0 + redials), mu, self.theta, c, self.threshold_s).p_abandon
            updated = sum(q ** i for i in range(1, max_redials + 1))
            if abs(updated - redials) <= 1e-3 * (1.0 + redials):
                redials = updated
                break
            redials = updated
        return c, redials


def targets_of(cfg: Config, group: Optional[str] = None) -> Dict[str, float]:
    """``staffing.target`` as Erlang A metric bounds (only the targets that are set); with ``group``, the
    group's own targets (``routing.groups.<group>.target``) replace those they set."""
    t = cfg.staffing.target
    own = cfg.routing.groups[group].target if group is not None and group in cfg.routing.groups else None
    out = {}
    for k, metric in THEORY_TARGETS.items():
        value = getattr(own, k) if own is not None and getattr(own, k) is not None else getattr(t, k)
        if value is not None:
            out[metric] = float(value)
    return out


def max_occupancy_of(cfg: Config, group: Optional[str] = None) -> Optional[float]:
    """The highest occupancy allowed to ``group``'s operators (its own target, else ``staffing.target``'s)."""
    own = cfg.routing.groups[group].target.max_occupancy if group in cfg.routing.groups else None
    value = own if own is not None else cfg.staffing.target.max_occupancy
    return float(value) if value is not None else None


@dataclass(frozen=True)
class WorkShare:
    """Which work an operator group plans for: its calls' categories (indices), online work, outbound calls."""

    name: str = "operators"
    categories: Optional[FrozenSet[int]] = None  # None: every category
    online: bool = True
    outbound: bool = True


def _open_seconds(cal: WorkCalendar, edges: np.ndarray) -> np.ndarray:
    """Seconds of each interval ``[edges[k], edges[k+1])`` in which ``cal`` is open."""
    out = np.zeros(len(edges) - 1)
    for k in range(len(out)):
        t, end = float(edges[k]), float(edges[k + 1])
        while t < end:
            is_open = cal.is_open(t)
            nxt = min(cal.open_until(t) if is_open else cal.next_open(t), end)
            out[k] += nxt - t if is_open else 0.0
            t = nxt if nxt > t else end
    return out


def planning_edges(sc: Compiled) -> np.ndarray:
    """Bounds (s) of the reporting intervals of the planning window: whole days from the start, at least a week."""
    interval_s = sc.clock.interval_s
    days = max(7, int(math.ceil(sc.clock.horizon_s / DAY_S - 1e-9)))
    return np.arange(days * int(round(DAY_S / interval_s)) + 1) * interval_s


def call_loads(cfg: Config, sc: Compiled, edges: np.ndarray, categories: Optional[FrozenSet[int]] = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list]:
    """First-attempt call rate, mean handle time, offered load and work variance rate per interval of the calls
    of ``categories`` (every category by default), with the labels of their kinds."""
    days = int(round((edges[-1] - edges[0]) / DAY_S))
    calls = channel_work(sc, "phone", -1, days + 1, categories)
    rates = [mean_rate(calls.starts, calls.ends, calls.rates[:, j], edges) for j in range(len(calls.dists))]
    loads = [interval_load(cfg.staffing.offered_load, calls.starts, calls.ends, calls.rates[:, j], d, edges)
             for j, d in enumerate(calls.dists)]
    k_n = len(edges) - 1
    call_rate = np.sum(rates, axis=0) if rates else np.zeros(k_n)
    weighted = np.sum([r * d.mean for r, d in zip(rates, calls.dists)], axis=0) if rates else np.zeros(k_n)
    var = np.sum([r * (d.variance + d.mean ** 2) for r, d in zip(rates, calls.dists)], axis=0) if rates \
        else np.zeros(k_n)
    overall = sum(float(np.sum(r)) * d.mean for r, d in zip(rates, calls.dists)) / max(float(np.sum(call_rate)), 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_handle = np.where(call_rate > 0, weighted / np.where(call_rate > 0, call_rate, 1.0), overall)
    load = np.sum(loads, axis=0) if loads else np.zeros(k_n)
    return call_rate, mean_handle, load, var, calls.labels


def requirement(cfg: Config, sc: Optional[Compiled] = None, agents: bool = True,
                share: WorkShare = WorkShare(), upto: Optional[int] = None) -> Requirement:
    """Offered loads and (with ``agents``) the operators needed, per reporting interval (module docstring).

    Parameters
    ----------
    cfg : Config
        A validated configuration.
    sc : Compiled, optional
        ``compile_config(cfg)`` if already at hand.
    agents : bool
        Also search the fewest agents for the calls (the erlang and optimize policies) and apply the
        online and occupancy rules (:mod:`sim.planning.erlang_rules`); without, only the offered loads
        (every run reports them).
    share : WorkShare
        The work of one operator group (default: the whole front line); its targets are the group's
        (:func:`targets_of`).
    upto : int, optional
        Search the agents of the first ``upto`` intervals only (0 after): a report on a shorter run.

    Raises
    ------
    ConfigError
        A target no headcount can meet in some interval (an ASA target of a fraction of a second in
        an overloaded interval, ...), naming that target.
    """
    sc = sc if sc is not None else compile_config(cfg)
    clk = sc.clock
    edges = planning_edges(sc)
    interval_s, days, k_n = float(edges[1] - edges[0]), int(round(edges[-1] / DAY_S)), len(edges) - 1
    call_rate, mean_handle, call_load, work_var, call_labels = call_loads(cfg, sc, edges, share.categories)
    due_s = min(sc.deadline_s, sc.expire_s)
    online_load, online_work = np.zeros(k_n), np.zeros(k_n)
    online_labels: list = []
    if share.online:
        online = channel_work(sc, "online", -1, days + 1)
        online_labels = online.labels
        for j, d in enumerate(online.dists):
            online_load = online_load + deferred_load(online.starts, online.ends, online.rates[:, j], d.mean, due_s,
                                                      edges)
            rate = mean_rate(online.starts, online.ends, online.rates[:, j], edges)
            online_work = online_work + rate * d.mean
            work_var = work_var + rate * (d.variance + d.mean ** 2)
    outbound = np.zeros(k_n)
    group = share.name if cfg.routing.groups else None
    notes: Dict[str, object] = {"offered_load": cfg.staffing.offered_load, "planning_days": days,
                                "call_kinds": call_labels, "online_kinds": online_labels}
    if share.outbound and sc.feedback is not None and sc.feedback.operators_visit:
        open_s = _open_seconds(sc.feedback.calendar, edges)
        week_open = float(np.sum(open_s[: int(round(WEEK_S / interval_s))]))
        per_day = outbound_work(sc)
        if week_open > 0:
            outbound = per_day * 7.0 / week_open * open_s / interval_s
        notes["outbound_operator_s_per_day"] = per_day
    target = cfg.staffing.target.online_on_time_rate
    day_cv = np.array([np.repeat([sc.channels[c].multiplier_cv(d) for d in range(days)], k_n // days) for c in CH])
    req = Requirement(interval_s=interval_s, days=days, start_weekday=clk.start_weekday,
                      n_intervals=clk.n_intervals, warmup_intervals=clk.warmup_intervals, due_s=float(due_s),
                      call_rate=call_rate, mean_handle_s=mean_handle, call_load=call_load, online_load=online_load,
                      outbound_load=outbound, online_work=online_work, work_var=work_var, day_cv=day_cv,
                      theta=1.0 / sc.patience.mean if sc.patience.mean > 0 else math.inf,
                      threshold_s=sc.answer_threshold_s, shrinkage=float(cfg.staffing.shrinkage),
                      targets=targets_of(cfg, group), redial=(sc.retrial_probability, sc.max_retrials),
                      online_target=float(target) if target is not None and share.online and online_labels else None,
                      max_occupancy=max_occupancy_of(cfg, group), name=share.name,
                      notes=notes)
    if agents:
        req.calls_agents = calls_agents(req, cfg, upto)
        propose(req, cfg, upto)
    return req


def propose(req: Requirement, cfg: Config, upto: Optional[int] = None) -> None:
    """Set ``req.agents``: the calls' agents raised by the online and occupancy rules where they are set
    (:mod:`sim.planning.erlang_rules`; the evaluation's replications are ``experiment.replications``)."""
    assert req.calls_agents is not None
    agents = req.calls_agents.astype(float)
    deferred = req.online_load + req.outbound_load
    floors, n_r = [], int(cfg.experiment.replications)
    sd = day_sd(req.call_load, req.day_cv[0], req.online_work, req.day_cv[1]) \
        if req.day_cv is not None and req.online_work is not None else None
    if req.online_target is not None and req.online_work is not None and req.work_var is not None:
        floors.append(online_floor(req.call_load + req.outbound_load, req.online_work, req.work_var, req.interval_s,
                                   req.due_s, agents + deferred, req.online_target, n_r, sd))
    if req.max_occupancy is not None and req.online_work is not None and req.work_var is not None:
        busy = req.call_load + req.online_work + req.outbound_load
        floors.append(occupancy_floor(busy, req.work_var, req.interval_s, req.max_occupancy, n_r, sd))
    for floor in floors:
        agents = np.maximum(agents, floor - deferred)
    req.agents = np.where(agents > 0, np.ceil(agents - 1e-9), 0).astype(np.int64)
    req.agents[upto if upto is not None else len(agents):] = 0


def calls_agents(req: Requirement, cfg: Config, upto: Optional[int] = None) -> np.ndarray:
    """Fewest agents for the calls of each interval (the first ``upto``), searched from the last answer."""
    out = np.zeros(len(req.call_rate), dtype=np.int64)
    beta, redials = 1.0, 0.0  # the last answer's square-root-staffing parameter and redial share: next guesses
    for k in range(len(out) if upto is None else min(upto, len(out))):
        if req.call_rate[k] <= 0 or req.call_load[k] <= 0:
            continue
        load = req.call_load[k]
        lam = load / req.mean_handle_s[k]
        guess = max(1, int(round(load + beta * math.sqrt(load))))
        try:
            c, redials = req.agents_for_calls(k, lam, guess, redials)
        except ValueError as exc:
            raise _unreachable(req, cfg, k, lam, exc) from None
        out[k] = c
        beta = (c - load) / math.sqrt(load)
    return out


def _unreachable(req: Requirement, cfg: Config, k: int, lam: float, exc: ValueError) -> ConfigError:
    """The error for an interval whose targets no headcount meets, naming the target that cannot be met."""
    mu = 1.0 / req.mean_handle_s[k]
    for name, metric in THEORY_TARGETS.items():
        if metric in req.targets:
            try:
                fewest_agents(lam, mu, req.theta, req.threshold_s, {metric: req.targets[metric]})
            except ValueError:
                t = k * req.interval_s
                own = cfg.routing.groups[req.name].target if req.name in cfg.routing.groups else None
                key = f"routing.groups.{req.name}.target" if own is not None and getattr(own, name) is not None \
                    else "staffing.target"
                group = f" for group {req.name}" if cfg.routing.groups else ""
                return ConfigError(f"{key}.{name}", req.targets[metric],
                                   f"cannot be met{group} on day {int(t // DAY_S)} at "
                                   f"{int(t % DAY_S) // 3600:02d}:{int(t % DAY_S) % 3600 // 60:02d} (offered load "
                                   f"{req.call_load[k]:.4g} Erlang) by any headcount the search allows")
    return ConfigError("staffing.target", "<targets>", f"cannot be met together: {exc}")

