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
   The routing options of one front line (``routing.callback``, ``routing.reserve_idle``,
   ``routing.escalate_after_s``) are not in the model: a callback takes a caller out of the queue
   and back later, a reservation keeps operators off online work; the requirement staffs the
   plain queue and ``optimize`` measures what they change.  Operator groups (``routing.groups``)
   have plans of their own and are not planned here (validation rejects the combination).
4. **Required**, the rostered operators: ``ceil((calls + online + outbound) / (1 - shrinkage))``;
   0 where nothing arrives or is due.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np

from sim.analysis.offered_load import deferred_load, interval_load, mean_rate
from sim.analysis.theory import erlang_a_metrics
from sim.analysis.theory_staffing import fewest_agents
from sim.config.schema import Config
from sim.core.calendar import DAY_S, WorkCalendar
from sim.core.errors import ConfigError
from sim.model.compile import Compiled, compile_config
from sim.model.workload import channel_work, outbound_work

#: ``staffing.target`` name -> the Erlang A metric (:class:`sim.analysis.theory.QueueMetrics`) it bounds.
THEORY_TARGETS: Dict[str, str] = {"service_level": "service_level", "abandon_rate": "p_abandon", "asa_s": "asa_s"}
WEEK_S = 7 * DAY_S


@dataclass
class Requirement:
    """Offered loads and operators needed per reporting interval of the planning window.

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
        their offered load (Erlang) by the chosen rule.
    online_load, outbound_load : ndarray, shape (K,)
        Deferrable loads (Erlang).
    theta : float
        Abandonment rate, 1 / mean patience (per second).
    calls_agents : ndarray of int, shape (K,), or None
        Fewest agents for the calls meeting every target (None when not computed).
    shrinkage : float
        Share of rostered operators not available.
    targets : dict
        Erlang A metric -> bound.
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
    calls_agents: Optional[np.ndarray] = None
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
        """Rostered operators per interval (needs :attr:`calls_agents`)."""
        assert self.calls_agents is not None
        return self.rostered(self.calls_agents)

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


def targets_of(cfg: Config) -> Dict[str, float]:
    """``staffing.target`` as Erlang A metric bounds (only the targets that are set)."""
    t = cfg.staffing.target
    return {THEORY_TARGETS[k]: float(getattr(t, k)) for k in THEORY_TARGETS if getattr(t, k) is not None}


def _open_seconds(cal: WorkCalendar, edges: np.ndarray) -> np.ndarray:
    """Seconds of each interval ``[edges[k], edges[k+1])`` in which ``cal`` is open."""
    out = np.zeros(len(edges) - 1)
    for k in range(len(out)):
        t, end = float(edges[k]), float(edges[k + 1])
        while t < end:
            if cal.is_open(t):
                nxt = min(cal.open_until(t), end)
                out[k] += nxt - t
            else:
                nxt = min(cal.next_open(t), end)
            t = nxt if nxt > t else end
    return out


def requirement(cfg: Config, sc: Optional[Compiled] = None, agents: bool = True) -> Requirement:
    """Offered loads and (with ``agents``) the operators needed, per reporting interval (module docstring).

    Parameters
    ----------
    cfg : Config
        A validated configuration.
    sc : Compiled, optional
        ``compile_config(cfg)`` if already at hand.
    agents : bool
        Also search the fewest agents for the calls (the erlang and optimize policies); without,
        only the offered loads (every run reports them).

    Raises
    ------
    ConfigError
        A target no headcount can meet in some interval (an ASA target of a fraction of a second in
        an overloaded interval, ...), naming that target.
    """
    sc = sc if sc is not None else compile_config(cfg)
    clk = sc.clock
    interval_s = clk.interval_s
    days = max(7, int(math.ceil(clk.horizon_s / DAY_S - 1e-9)))
    edges = np.arange(days * int(round(DAY_S / interval_s)) + 1) * interval_s
    method = cfg.staffing.offered_load
    calls = channel_work(sc, "phone", -1, days + 1)
    rates = [mean_rate(calls.starts, calls.ends, calls.rates[:, j], edges) for j in range(len(calls.dists))]
    loads = [interval_load(method, calls.starts, calls.ends, calls.rates[:, j], d, edges)
             for j, d in enumerate(calls.dists)]
    k_n = len(edges) - 1
    call_rate = np.sum(rates, axis=0) if rates else np.zeros(k_n)
    weighted = np.sum([r * d.mean for r, d in zip(rates, calls.dists)], axis=0) if rates else np.zeros(k_n)
    overall = sum(float(np.sum(r)) * d.mean for r, d in zip(rates, calls.dists)) / max(float(np.sum(call_rate)), 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_handle = np.where(call_rate > 0, weighted / np.where(call_rate > 0, call_rate, 1.0), overall)
    online = channel_work(sc, "online", -1, days + 1)
    due_s = min(sc.deadline_s, sc.expire_s)
    online_load = np.sum([deferred_load(online.starts, online.ends, online.rates[:, j], d.mean, due_s, edges)
                          for j, d in enumerate(online.dists)], axis=0) if online.dists else np.zeros(k_n)
    outbound = np.zeros(k_n)
    notes: Dict[str, object] = {"offered_load": method, "planning_days": days,
                                "call_kinds": calls.labels, "online_kinds": online.labels}
    if sc.feedback is not None and sc.feedback.operators_visit:
        open_s = _open_seconds(sc.feedback.calendar, edges)
        week_open = float(np.sum(open_s[: int(round(WEEK_S / interval_s))]))
        per_day = outbound_work(sc)
        if week_open > 0:
            outbound = per_day * 7.0 / week_open * open_s / interval_s
        notes["outbound_operator_s_per_day"] = per_day
    req = Requirement(interval_s=interval_s, days=days, start_weekday=clk.start_weekday,
                      n_intervals=clk.n_intervals, warmup_intervals=clk.warmup_intervals, due_s=due_s,
                      call_rate=call_rate,
                      mean_handle_s=mean_handle, call_load=np.sum(loads, axis=0) if loads else np.zeros(k_n),
                      online_load=online_load, outbound_load=outbound,
                      theta=1.0 / sc.patience.mean if sc.patience.mean > 0 else math.inf,
                      threshold_s=sc.answer_threshold_s, shrinkage=float(cfg.staffing.shrinkage),
                      targets=targets_of(cfg), redial=(sc.retrial_probability, sc.max_retrials), notes=notes)
    if agents:
        req.calls_agents = _agents(req, cfg)
    return req


def _agents(req: Requirement, cfg: Config) -> np.ndarray:
    """Fewest agents for the calls of every interval, searched from the previous interval's answer."""
    out = np.zeros(len(req.call_rate), dtype=np.int64)
    beta, redials = 1.0, 0.0  # the last answer's square-root-staffing parameter and redial share: next guesses
    for k in range(len(out)):
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
                return ConfigError(f"staffing.target.{name}", getattr(cfg.staffing.target, name),
                                   f"cannot be met on day {int(t // DAY_S)} at {_clock(t)} (offered load "
                                   f"{req.call_load[k]:.4g} Erlang) by any headcount the search allows")
    return ConfigError("staffing.target", "<targets>", f"cannot be met together: {exc}")


def _clock(t: float) -> str:
    s = int(t % DAY_S)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"
