"""Simulation-based staffing: correct the Erlang requirement until every interval meets its targets.

An iterative staffing algorithm in the spirit of Feldman, Mandelbaum, Massey & Whitt (2008,
"Staffing of time-varying queues to achieve time-stable performance", Management Science 54):
simulate the current plan, measure each interval, re-staff each interval from a stationary model
fed with what the simulation saw, and repeat until the plan no longer changes.  With operator
groups (``routing.groups``) the plan is the vector of every group's agents per interval, searched
the same way group by group (an iterative per-group algorithm: each group's intervals are judged
on its own calls and operators, and the simulation, which sees every group, carries the overflow
between them; compare Cezik & L'Ecuyer 2008, "Staffing multiskill call centers via linear
programming and simulation", Management Science 54, who search the same vector with cutting
planes from the simulation).

* **Start**: the ``erlang`` proposal of every group (agents per interval, with the online and
  occupancy rules: :mod:`sim.planning.requirement`, :mod:`sim.planning.groups`).
* **Simulate** the plan (half-hourly plans of the requirements) through the run's executor
  (``experiment.jobs``, Dask), with the drain left out.  Every iteration uses the same replications
  (common random numbers: numbers 1,000,000 and up of ``experiment.seed``), so the measured
  response to a change of plan is the change's effect, not noise, and the iteration can settle.
  How many: ``staffing.optimize.replications``, or chosen after the first simulation from the
  noise it measured (:func:`sim.planning.margins.replications`).
* **Measure** each group's intervals of the measurement window, pooled over the replications,
  pessimistically: each metric a margin of standard errors towards the unfavourable side, chosen
  so that the plan meets every target in ``staffing.optimize.intervals_share`` of the intervals on
  the run's fresh seeds (:mod:`sim.planning.margins`; ``staffing.optimize.margin_se`` fixes it).
* **Re-staff** (all intervals at once, then iterate to a fixed point, as the ISA does) from the
  calibrated model of :mod:`sim.planning.calibrated`.  The iteration alternates two kinds of step:

  - **repair**, while some interval misses a target: every missing interval gets the model's
    agents, and at least one more than it had - two, four, ... while it keeps missing (a miss
    carried in from the previous interval is cured by more than Erlang A says); it is never again
    given as few agents as it missed with (the plan cannot cycle back).  Nothing is removed: with
    additions only, queues carried into later intervals only shrink, so an interval that met every
    target since slack was last removed, with as many agents as it has now, still meets them - a
    miss measured there is the replications' noise, not the plan's, and is not repaired;
  - **removal of slack**, from a plan in which every interval meets every target: every interval
    with slack loses half of it, never below one agent more than it once missed with - unless the
    interval before it has more agents now than then (the queue it carried in made it miss).

* **Online items** are served when no call waits, so removing slack for calls could starve them.
  With a target (``staffing.target.online_on_time_rate``) an interval whose online items miss it
  is repaired in the group that serves them first: the intervals of its deadline window get one
  more agent (two, four, ... while it keeps missing).  Without one, the online items of each
  interval must be accepted within their deadline at least as often as under the erlang plan (the
  first simulation), within the same margin; where they are not, the intervals that serve them get
  back what the optimisation had removed.  In both, an interval served well since slack was last
  removed is not repaired (its miss is noise).
* **Stop** at a plan in which every interval meets every target on the optimisation's replications
  when the next round of removal and repair is expected to save at most :data:`SETTLED` (0.25%) of
  its operator-hours: the answer is the cheapest plan that met every target.  Otherwise stop after
  ``staffing.optimize.max_iterations`` with a warning, and the cheapest plan that met every
  target, or the last plan if none did.

The run that follows simulates the final plan on the run's own replications - fresh seeds,
independent of the optimisation's - and reports the share of intervals meeting each target there
(``summary.json`` -> ``staffing.confirmation``).
"""

from __future__ import annotations

import copy
import math
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

import sim.planning.margins as margins
from sim.analysis.staffing_kpis import TARGET_METRICS, pooled_group
from sim.config.schema import Config
from sim.experiments.executors import Failure, Task, run_batch
from sim.model.replication import run_replication
from sim.planning.bound import erlang_bound
from sim.planning.calibrated import assess, margin_cost
from sim.planning.plan import apply_plan, fold_week, week_slots
from sim.planning.requirement import Requirement
from sim.records.intervals import ReplicationResult

#: First replication number of the optimisation (its streams are independent of the run's 0, 1, ...).
FIRST_REPLICATION = 1_000_000
#: A round of removal of slack and repair is worth it when it is expected to save more than this share of the
#: operator-hours (:func:`_settled`).
SETTLED = 0.0025
Line = Callable[[str], None]
BIG = np.iinfo(np.int64).max


def simulation_config(cfg: Config, reps: int) -> Config:
    """The configuration the optimisation simulates: no drain, no request log, half-hourly plans, ``reps``
    replications."""
    sim_cfg = copy.deepcopy(cfg)
    sim_cfg.experiment.drain_h, sim_cfg.experiment.precision = 0.0, None
    sim_cfg.experiment.replications = reps
    sim_cfg.report.request_log = False
    sim_cfg.staffing.schedule = "intervals"
    return sim_cfg


def simulate(cfg: Config, reqs: Sequence[Requirement], agents: np.ndarray, reps: int, task: Task
             ) -> List[ReplicationResult]:
    """Simulate ``agents`` (groups x intervals, agents for calls) on the optimisation's replications."""
    run_cfg, _ = apply_plan(simulation_config(cfg, reps), reqs, [r.rostered(a) for r, a in zip(reqs, agents)],
                            "intervals")
    numbers = [FIRST_REPLICATION + i for i in range(reps)]
    outcomes = run_batch(run_cfg, numbers, False, task)
    failed = [o for o in outcomes.values() if isinstance(o, Failure)]
    if failed:
        raise RuntimeError(f"staffing.policy=optimize: a simulation failed: {failed[0].describe()}")
    return [o for o in (outcomes[r] for r in numbers) if isinstance(o, ReplicationResult)]


def hours(reqs: Sequence[Requirement], agents: np.ndarray, w: int, n_h: int) -> float:
    """Operator-hours (rostered) of ``agents`` over intervals ``w`` to ``n_h`` of the horizon, every group."""
    return float(sum(np.sum(r.rostered(a)[w:n_h]) for r, a in zip(reqs, agents))) * reqs[0].interval_s / 3600.0


class _Margins:
    """The margins (in standard errors) of each group: for the targets' share, and for the occupancy cap."""

    def __init__(self, cfg: Config, reqs: Sequence[Requirement], pooled: Sequence[Dict[str, np.ndarray]],
                 w: int, n_h: int, reps: int) -> None:
        o = cfg.staffing.optimize
        n_eval = max(1, int(cfg.experiment.replications))
        self.share: List[float] = []
        self.cap: List[float] = []
        for req, p in zip(reqs, pooled):
            n = max(1, int(np.sum((p["attempts"][w:n_h] > 0) | (p["online_offered"][w:n_h] > 0))))
            targets = max(1, len([t for t in req.all_targets if t != "max_occupancy"]))
            z = margins.z_share(n, o.intervals_share, targets)
            self.share.append(o.margin_se if o.margin_se is not None else margins.margin_se(z, reps, n_eval))
            zc = margins.z_cap(n)
            self.cap.append(o.margin_se if o.margin_se is not None else margins.margin_se(zc, reps, n_eval))
        self.z_pilot = [s / math.sqrt(1.0 + reps / n_eval) for s in self.share]


def _availability(reqs: Sequence[Requirement], c: np.ndarray, slots: np.ndarray, n_h: int
                  ) -> tuple[List[np.ndarray], List[np.ndarray]]:
    """Per group and interval of the planning window: the calls' effective agents (operators available minus the
    deferrable loads) and the operators available, of the simulated plan ``c``."""
    available, on_duty = [], []
    for g, req in enumerate(reqs):
        duty = fold_week(req, req.rostered(c[g]), n_h)[slots] * (1.0 - req.shrinkage)
        on_duty.append(duty)
        available.append(duty - req.online_load - req.outbound_load)
    return available, on_duty


def _choose_reps(cfg: Config, reqs: Sequence[Requirement], c: np.ndarray, pooled: Sequence[Dict[str, np.ndarray]],
                 available: Sequence[np.ndarray], m: _Margins, w: int, n_h: int, pilot: int) -> int:
    """Replications per iteration from the pilot's noise (:func:`sim.planning.margins.replications`)."""
    extra = []
    for g, (req, p) in enumerate(zip(reqs, pooled)):
        for k in range(w, n_h):
            if p["attempts"][k] > 0 and req.targets:
                c_cal = max(1, int(math.floor(available[g][k] + 1e-9)))
                extra.append(m.z_pilot[g] * margin_cost(req, k, c_cal, p["attempts"][k] / req.interval_s, p))
    rostered_per_agent = 1.0 / (1.0 - reqs[0].shrinkage)
    contacts = float(sum(np.sum(p["attempts"]) for p in pooled) + np.sum(pooled[0]["online_offered"]))
    return margins.replications(extra, rostered_per_agent * reqs[0].interval_s / 3600.0, hours(reqs, c, w, n_h),
                                pilot, max(1, int(cfg.experiment.replications)), contacts)


def optimize_agents(cfg: Config, reqs: Sequence[Requirement], progress: bool, line: Line,
                    task: Task = run_replication) -> tuple[np.ndarray, Dict[str, Any]]:
    """Agents for calls per group and interval of the planning window after the simulation-based correction.

    Returns
    -------
    agents : ndarray of int, shape (groups, intervals)
        Per interval of the planning window (intervals the run does not simulate keep the
        ``erlang`` value).
    notes : dict
        ``iterations``, ``converged``, ``chosen_iteration`` (the simulation of the plan returned),
        ``replications_per_iteration`` (and ``replications_chosen_from_noise``), ``first_replication``,
        ``margin_se`` (per group: for the targets' share, and for the occupancy cap), ``intervals_share``
        and ``history``: per iteration the operator-hours of the plan over the horizon, the intervals
        missing a target (of which online), the intervals changed, the step and the hours it removed.
    """
    o = cfg.staffing.optimize
    assert all(r.agents is not None for r in reqs)
    n_h, w = reqs[0].n_intervals, reqs[0].warmup_intervals
    slots = week_slots(reqs[0])
    c = np.array([r.agents for r in reqs], dtype=np.int64)
    erlang = c.copy()
    fail = np.full(c.shape, -1, dtype=np.int64)  # the most agents an interval missed with ...
    before = np.full(c.shape, BIG)  # ... and the agents of the interval before it then
    step = np.ones(c.shape, dtype=np.int64)  # the least a missing interval gains: doubles while it keeps missing
    met = np.full(c.shape, BIG)  # the fewest agents each interval met with since slack was removed
    home = next((g for g, r in enumerate(reqs) if r.online_target is not None or np.any(r.online_load > 0)), 0)
    online = _Online(reqs[home], c.shape[1])
    reps = o.replications
    if reps is None:  # a pilot simulation of the erlang plan measures the noise
        pooled = [pooled_group(simulate(cfg, reqs, c, margins.PILOT, task), g) for g in range(len(reqs))]
        available, _ = _availability(reqs, c, slots, n_h)
        reps = _choose_reps(cfg, reqs, c, pooled, available, _Margins(cfg, reqs, pooled, w, n_h, margins.PILOT),
                            w, n_h, margins.PILOT)
    memo: Dict[bytes, List[ReplicationResult]] = {}  # the first iteration's and the best plan's simulations

    def sim_plan(a: np.ndarray) -> List[ReplicationResult]:
        key = np.ascontiguousarray(a, dtype=np.int64).tobytes()
        return memo[key] if key in memo else simulate(cfg, reqs, a, reps, task)

    history: List[Dict[str, Any]] = []
    best: Optional[tuple[float, int, np.ndarray]] = None  # the cheapest plan that met every target so far
    best_results: List[ReplicationResult] = []
    converged = False
    bar = _bar(o.max_iterations, progress)
    t0 = time.perf_counter()
    for it in range(1, o.max_iterations + 1):
        results = sim_plan(c)
        if it == 1:  # the erlang plan: the bound's first rung
            memo[c.tobytes()] = results
        pooled = [pooled_group(results, g) for g in range(len(reqs))]
        m = _Margins(cfg, reqs, pooled, w, n_h, reps)
        available, on_duty = _availability(reqs, c, slots, n_h)
        new, lean, missing = c.copy(), c.copy(), 0
        for g, req in enumerate(reqs):
            for k in range(w, n_h):
                miss, model = assess(req, pooled[g], k, int(c[g, k]), available[g][k], on_duty[g][k],
                                     m.share[g], m.cap[g])
                if model is None:
                    continue
                if c[g, k] < met[g, k] and miss:
                    missing += 1
                    fail[g, k], before[g, k] = max(fail[g, k], c[g, k]), c[g, k - 1] if k else BIG
                    new[g, k] = max(model, c[g, k] + step[g, k])
                    step[g, k] *= 2
                else:
                    step[g, k], met[g, k] = 1, min(met[g, k], c[g, k])
                    if model < c[g, k]:  # slack: half of it is removed once every interval meets
                        # not below what it missed with, unless the interval before it has more agents since
                        floor = fail[g, k] + 1 if k == 0 or c[g, k - 1] <= before[g, k] else 0
                        lean[g, k] = max(c[g, k] - int(math.ceil(0.5 * (c[g, k] - model))), floor, 0)
        late = online.repair(pooled[home], c[home], erlang[home], new[home], fail[home], before[home], w, n_h,
                             m.share[home])
        missing += late
        plan_hours = hours(reqs, c, w, n_h)
        if missing == 0:
            if best is None or plan_hours < best[0]:
                best, best_results = (plan_hours, it, c.copy()), results
            new = lean
            met[:] = BIG
            online.met[:] = False
        saving = plan_hours - hours(reqs, new, w, n_h)
        changed = int(np.sum(new != c))
        history.append({"iteration": it, "replications": reps, "operator_hours": plan_hours,
                        "intervals_missing_target": missing, "online_intervals_late": late,
                        "intervals_changed": changed, "step": "remove slack" if missing == 0 else "repair",
                        "removed_operator_hours": saving if missing == 0 else 0.0})
        msg = (f"optimize: iteration {it}/{o.max_iterations}: {missing} interval(s) below target, "
               f"{changed} changed, {plan_hours:,.0f} operator-hours, {reps} replications "
               f"({time.perf_counter() - t0:.0f} s)")
        if bar is not None:
            bar.set_postfix_str(f"{missing} below target, {changed} changed")
            bar.update(1)
        else:
            line(msg)
        if missing == 0 and _settled(history, saving, plan_hours):  # the removal computed above is not taken
            history[-1].update(step="settled", intervals_changed=0, removed_operator_hours=0.0)
            converged = True
            break
        c = new
    if bar is not None:
        bar.close()
    chosen = best[1] if best is not None else len(history)
    own, own_results = (best[2], best_results) if best is not None else (c, results)
    bound, bound_notes = (erlang_bound(cfg, own, own_results, sim_plan, lambda a: hours(reqs, a, w, n_h))
                          if o.erlang_bound else (None, {"used": False}))
    notes = {"iterations": len(history), "converged": converged, "chosen_iteration": chosen,
             "erlang_bound": bound_notes,
             "replications_per_iteration": reps, "replications_chosen_from_noise": o.replications is None,
             "first_replication": FIRST_REPLICATION, "intervals_share": o.intervals_share,
             "margin_se": {r.name: {"targets": round(s, 4), "max_occupancy": round(cap, 4)}
                           for r, s, cap in zip(reqs, m.share, m.cap)},
             "history": history}
    _closing(line, o.max_iterations, converged, history, best)
    if bound is not None:
        stricter = "; ".join((f"{g}: " if len(bound.targets) > 1 else "") + ", ".join(
            f"{k} {'<=' if TARGET_METRICS[k][1] else '>='} {v:g}" for k, v in t.items())
            for g, t in bound.targets.items())
        line(f"optimize: the erlang plan of the service targets {stricter} ({bound.hours:,.0f} operator-hours, "
             f"expected to meet every target in {bound.expected_share:.1%} of the intervals on fresh seeds) is "
             f"cheaper and no worse: it is used")
        return bound.agents.copy(), notes
    return own, notes


class _Online:
    """The online items' repair (module docstring), in the group that serves them first."""

    def __init__(self, req: Requirement, k_n: int) -> None:
        self.target = req.online_target
        self.window = max(1, int(math.ceil(min(req.due_s, 1e12) / req.interval_s)))
        self.base: Optional[np.ndarray] = None  # online items on time under the erlang plan (the first simulation)
        self.met = np.zeros(k_n, dtype=bool)  # whether an interval's online items were served well since removal
        self.step = np.ones(k_n, dtype=np.int64)

    def repair(self, pooled: Dict[str, np.ndarray], c: np.ndarray, erlang: np.ndarray, new: np.ndarray,
               fail: np.ndarray, before: np.ndarray, w: int, n_h: int, z: float) -> int:
        """Raise ``new`` (and ``fail``) where online items miss; the number of intervals repaired."""
        on, se = pooled["online_on_time_rate"], np.nan_to_num(pooled["online_on_time_rate_se"])
        if self.base is None:
            self.base = on.copy()
        bound = self.target if self.target is not None else self.base
        with np.errstate(invalid="ignore"):
            late = np.flatnonzero((on[:n_h] - z * se[:n_h] < np.asarray(bound)[:n_h] - 1e-12 if self.target is None
                                   else on[:n_h] - z * se[:n_h] < bound) & (pooled["online_offered"][:n_h] > 0))
        self.met[np.setdiff1d(np.arange(w, n_h), late)] = True
        fixed = 0
        for k in late[(late >= w) & ~self.met[late]]:
            window = range(k, min(n_h, k + self.window))
            if self.target is None:  # give back what was removed from the intervals that serve them
                removed = [j for j in window if c[j] < erlang[j]]
                for j in removed:
                    fail[j], before[j] = max(fail[j], c[j]), BIG
                    new[j] = max(new[j], int(erlang[j]))
                fixed += bool(removed)  # a shortfall where nothing was removed is the seeds' noise, not the plan's
            else:
                for j in window:
                    fail[j], before[j] = max(fail[j], c[j]), BIG
                    new[j] = max(new[j], int(c[j]) + int(self.step[k]))
                self.step[k] *= 2
                fixed += 1
        return fixed


def _closing(line: Line, limit: int, converged: bool, history: List[Dict[str, Any]],
             best: Optional[tuple[float, int, np.ndarray]]) -> None:
    if converged:
        assert best is not None
        line(f"optimize: converged after {len(history)} simulations of the plan; the plan of iteration {best[1]} "
             f"({best[0]:,.0f} operator-hours, every interval meeting every target) is used")
    elif best is None:
        line(f"warning: staffing.optimize.max_iterations={limit} reached without convergence "
             f"({history[-1]['intervals_missing_target']} interval(s) below target in the last simulation); "
             f"the last plan is used: raise staffing.optimize.max_iterations to go on")
    else:
        line(f"warning: staffing.optimize.max_iterations={limit} reached before the slack was "
             f"settled; the cheapest plan that met every target (iteration {best[1]}, "
             f"{best[0]:,.0f} operator-hours) is used: raise staffing.optimize.max_iterations to go on")


def _settled(history: List[Dict[str, Any]], saving: float, plan_hours: float) -> bool:
    """Whether a plan that meets every target (the last of ``history``) is the answer.

    A round - remove slack, then repair - is worth it when it is expected to save more than
    :data:`SETTLED` of the operator-hours.  The first round is expected to save what it removes
    (``saving``); a later one the share of its removal that the last round kept (its net saving
    over what it removed; none when it cost hours).
    """
    if saving <= SETTLED * plan_hours:
        return True
    met = [h for h in history[:-1] if h["intervals_missing_target"] == 0]
    if not met:
        return False
    kept = max(0.0, met[-1]["operator_hours"] - plan_hours) / max(met[-1]["removed_operator_hours"], 1e-9)
    return kept * saving <= SETTLED * plan_hours


def _bar(total: int, enabled: bool):  # type: ignore[no-untyped-def]
    if not (enabled and sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="optimize staffing", unit="it", leave=False, file=sys.stderr, dynamic_ncols=True)
