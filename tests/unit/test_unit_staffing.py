"""The back office's staffing policies without simulation: the erlang proposal against queueing theory.

* A single unit at work around the clock, Poisson orders, exponential handling, no misrouting, no
  response delay: ``unit_staffing.policy=erlang`` proposes exactly the fewest case workers whose
  slots Erlang C (:func:`sim.analysis.theory.erlang_c`) says meet the response target - the share
  of orders waiting no longer than the limit, ``1 - C exp(-(c mu - lambda) L)`` - for several loads
  and targets, with a caseload of 1 and of 4 (slots = workers x caseload);
* several urgency classes with one exponential holding time: the fewest whose pooled share of
  orders waiting within their class's limit meets the target, each class's wait from the
  non-preemptive priority M/M/c queue computed here independently (a Markov chain of the delay
  busy period, solved with a matrix exponential) - and one worker fewer misses;
* the proposal becomes a configuration that validates (it can be run again from ``config.yaml``)
  and holds exactly the proposed slots; at a scale below 1 the carried fractions never leave a unit
  fewer slots than it needs;
* bad input: an unknown policy, targets outside (0, 1), settings a policy does not use, a target
  that no number of case workers meets - one ConfigError naming the key, and on the command line
  one line, exit status 2.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy.linalg import expm
from support import run_cli_batch

from sim.analysis.theory import erlang_c
from sim.config.schema import (
    URGENCY_CLASSES,
    CategoryConfig,
    DistConfig,
    FeedbackConfig,
    StaffingConfig,
    UnitTypeConfig,
    WorkOrderConfig,
)
from sim.core.errors import ConfigError
from sim.model.checks import validate
from sim.model.compile import compile_config
from sim.planning import UNIT_STAFFING_POLICIES, check_unit_plan, make_unit_plan
from sim.planning.units_plan import apply_workers, capacities


def C(value: float) -> DistConfig:
    return DistConfig("constant", value=float(value))


@pytest.fixture(scope="module")
def base():
    """single_queue composed once (edited per test as typed dataclasses)."""
    from sim.api import compose_config

    return compose_config("single_queue", ["experiment.warmup_h=0", "experiment.replications=1"])


def one_unit(base, *, per_hour=10.0, mean_h=2.0, classes=None, limits_h=None, caseload=1, workers=30,
             count=1, scale=1.0, response_target=0.9, calendar="always", policy="erlang"):
    """One unit type at work around the clock (``count`` units), Poisson work orders (every contact is one),
    exponential resolution of mean ``mean_h`` for every class, no response or dispatch delay, no misrouting,
    no reopened rounds; ``limits_h`` the response limit per class (hours)."""
    cfg = copy.deepcopy(base)
    classes = classes or {"general": 1.0}
    cfg.scale = scale
    cfg.arrivals.phone.per_day = per_hour * 24.0
    cfg.calls.handle_s = C(1.0)
    cfg.calls.patience_s = C(1e9)
    cfg.staffing.operators = 50
    cfg.categories = {"repair": CategoryConfig(share=1.0, direct_share=0.0, urgency=dict(classes), unit_type="dept",
                                               resolution_h=DistConfig("exponential", mean=mean_h),
                                               resolved_share=1.0)}
    cfg.units = {"dept": UnitTypeConfig(count=count, case_workers=workers, caseload=caseload, calendar=calendar)}
    limits = {u: 1.0 for u in URGENCY_CLASSES}
    limits.update(limits_h or {"general": 0.25})
    cfg.workorders = WorkOrderConfig(dispatch_delay_h={u: C(0.0) for u in URGENCY_CLASSES},
                                     response_delay_h={u: C(0.0) for u in URGENCY_CLASSES},
                                     response_limit_h=limits,
                                     closeout_limit_h={u: 10_000.0 for u in URGENCY_CLASSES})
    cfg.feedback = FeedbackConfig(mode="team", staffing=StaffingConfig(operators=1), calendar="always",
                                  reopen_probability=0.0)
    cfg.unit_staffing.policy = policy
    cfg.unit_staffing.target.response_rate = response_target
    cfg.unit_staffing.target.closeout_on_time_rate = 0.01  # never binding: the check is the response's
    cfg.experiment.horizon_h = 168.0
    validate(cfg)
    return cfg


def erlang_c_fewest(lam: float, mu: float, limit_h: float, target: float) -> int:
    """Fewest slots with ``1 - C exp(-(c mu - lam) L) >= target`` (Erlang C)."""
    c = int(math.floor(lam / mu)) + 1
    while 1.0 - erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * limit_h) < target:
        c += 1
    return c


CASES = {  # per hour, mean resolution (h), response limit (h), target, caseload
    "light": (10.0, 2.0, 0.25, 0.9, 1),
    "heavy_short_limit": (40.0, 0.5, 0.1, 0.95, 1),
    "strict": (3.0, 4.0, 0.5, 0.99, 1),
    "caseload_4": (10.0, 10.0, 1.0, 0.9, 4),
    "caseload_7_loose": (25.0, 3.0, 2.0, 0.5, 7),
}


@pytest.mark.parametrize("case", list(CASES))
def test_erlang_proposes_the_fewest_case_workers_erlang_c_says_meet_the_response_target(base, case):
    """Around the clock, Poisson, exponential, no delay: workers = ceil(fewest Erlang C slots / caseload)."""
    per_hour, mean_h, limit_h, target, caseload = CASES[case]
    cfg = one_unit(base, per_hour=per_hour, mean_h=mean_h, limits_h={"general": limit_h}, caseload=caseload,
                   response_target=target)
    plan = make_unit_plan(cfg)
    slots = erlang_c_fewest(per_hour, 1.0 / mean_h, limit_h, target)
    assert plan is not None and plan.required is not None
    assert int(plan.required[0]) == math.ceil(slots / caseload), (case, slots, plan.required)
    assert plan.predicted is not None
    c = int(plan.required[0]) * caseload
    theory = 1.0 - erlang_c(c, per_hour * mean_h) * math.exp(-(c / mean_h - per_hour) * limit_h)
    assert plan.predicted[0]["response_rate"] == pytest.approx(theory, abs=1e-9), (case, plan.predicted[0])


def delay_busy_cdf(t: float, nu: float, above: float, through: float, n_max: int = 150) -> float:
    """``P(W <= t | W > 0)`` of a class of the non-preemptive priority M/M/c queue, from the Markov chain of its
    wait: the work of the orders of its class and the more urgent ones found waiting (exponential, rate
    ``nu - through``) then every order of a more urgent class arriving meanwhile (rate ``above``), each
    served at rate ``nu``.  States: the initial work running with ``n`` overtakers queued (``n = 0..n_max``),
    ``n >= 1`` overtakers left, and done."""
    done = 2 * n_max + 1
    q = np.zeros((done + 1, done + 1))
    for n in range(n_max + 1):
        if n < n_max:
            q[n, n + 1] += above
        q[n, done if n == 0 else n_max + n] += nu - through
    for n in range(1, n_max + 1):
        if n < n_max:
            q[n_max + n, n_max + n + 1] += above
        q[n_max + n, done if n == 1 else n_max + n - 1] += nu
    q[np.diag_indices(done + 1)] = -q.sum(axis=1)
    return float(expm(q * t)[0, done])


def test_delay_busy_chain_is_the_exponential_law_for_the_most_urgent_class():
    """The test's own reference: with no more urgent class the wait is exponential with rate nu - s_1."""
    assert delay_busy_cdf(0.3, 10.0, 0.0, 4.0) == pytest.approx(1.0 - math.exp(-6.0 * 0.3), abs=1e-9)


def test_erlang_with_several_urgency_classes_is_the_priority_queue_fewest(base):
    """Three classes, one exponential holding time, limits 0.1 h / 0.5 h / 2 h: the proposal is the fewest
    slots whose pooled share within the limit (priority waits from the chain) meets 0.92; one fewer misses;
    the class order matters (first come first served would give another answer)."""
    classes = {"utilities": 0.2, "general": 0.5, "complex": 0.3}
    limits = {"utilities": 0.1, "general": 0.5, "complex": 2.0}
    lam, mean_h, target = 12.0, 1.0, 0.92
    cfg = one_unit(base, per_hour=lam, mean_h=mean_h, classes=classes, limits_h=limits, response_target=target)
    plan = make_unit_plan(cfg)
    assert plan is not None and plan.required is not None

    def share(c: int, fifo: bool = False) -> float:
        p_wait, nu, total, done = erlang_c(c, lam * mean_h), c / mean_h, 0.0, 0.0
        for name in ("utilities", "general", "complex"):
            above = 0.0 if fifo else lam * done
            through = lam if fifo else lam * (done + classes[name])
            f = (1.0 - math.exp(-(nu - lam) * limits[name])) if fifo else delay_busy_cdf(limits[name], nu, above,
                                                                                          through)
            total += classes[name] * (1.0 - p_wait + p_wait * f)
            done += classes[name]
        return total

    c = int(plan.required[0])
    assert share(c) >= target > share(c - 1), (c, share(c), share(c - 1))
    assert plan.predicted is not None
    assert plan.predicted[0]["response_rate"] == pytest.approx(share(c), abs=2e-6)
    fifo = next(k for k in range(13, 60) if share(k, fifo=True) >= target)
    assert fifo != c, "the case does not tell priority from first come first served"


def test_a_unit_without_orders_is_proposed_none_and_the_plan_runs_again(base):
    """Three units, the third never drawn (weight 0): proposal 0 there; the configuration of the proposal
    validates (config.yaml runs again: no exception equal to the type's count) and holds the slots."""
    cfg = one_unit(base, count=3, per_hour=20.0)
    cfg.units["dept"].weights = [1.0, 3.0, 0.0]
    validate(cfg)
    plan = make_unit_plan(cfg)
    assert plan is not None and plan.required is not None
    assert plan.required[2] == 0 and plan.required[1] > plan.required[0] > 0, plan.required
    validate(plan.cfg)
    sc = compile_config(plan.cfg)
    assert [u.capacity for u in sc.backoffice.units.units] == [int(w) for w in plan.required]  # caseload 1, scale 1


def test_carried_fractions_never_leave_a_unit_short_at_a_small_scale(base):
    """Scale 0.3, caseload 3: one worker before scale is 0.9 slots, carried from unit to unit; every unit of the
    proposal still has at least the slots its workers alone would give it, and the config holds them."""
    cfg = one_unit(base, count=5, per_hour=30.0, scale=0.3, caseload=3)
    cfg.units["dept"].zipf = 0.7
    validate(cfg)
    plan = make_unit_plan(cfg)
    assert plan is not None and plan.required is not None
    sc = compile_config(plan.cfg)
    alone = [max(int(math.floor(w * 3 * 0.3 + 0.5 + 1e-9)), 1) for w in plan.required]
    got = [u.capacity for u in sc.backoffice.units.units]
    assert all(g >= a for g, a in zip(got, alone)), (got, alone)
    assert list(capacities(sc.backoffice.units, plan.cfg, plan.required)) == got


def test_apply_workers_names_only_the_units_that_differ(base):
    """The type keeps its most common count; the others are exceptions by name (names added as needed)."""
    cfg = one_unit(base, count=4)
    d = compile_config(cfg).backoffice.units
    out = apply_workers(cfg, d, np.array([5, 7, 5, 5]))
    ut = out.units["dept"]
    assert (ut.case_workers, ut.case_workers_by_unit, ut.names) == (5, {"dept_002": 7}, ["dept_001", "dept_002"])
    validate(out)


def test_the_registry_holds_the_configured_names():
    from sim.config.unit_staffing import UNIT_STAFFING_POLICIES as NAMES

    assert UNIT_STAFFING_POLICIES.names() == NAMES


@pytest.mark.parametrize("key,value,rule", [
    ("policy", "fastest", "unknown unit staffing policy; use one of plan, erlang, optimize"),
    ("target.response_rate", 1.0, "must be in (0, 1)"),
    ("target.closeout_on_time_rate", 0.0, "must be in (0, 1)"),
    ("target.response_rate", -0.2, "must be in (0, 1)"),
    ("target.closeout_on_time_rate", float("nan"), "must be a finite number"),
])
def test_bad_settings_are_one_config_error_naming_the_key(base, key, value, rule):
    cfg = one_unit(base)
    obj = cfg.unit_staffing
    *path, leaf = key.split(".")
    for part in path:
        obj = getattr(obj, part)
    setattr(obj, leaf, value)
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert (err.value.key, err.value.rule) == (f"unit_staffing.{key}", rule)


def test_a_target_no_number_of_case_workers_meets_names_the_unit_and_its_best_rate(base):
    """A response delay of exp(1 h) against a 1 h limit leaves 1 - e^-1 = 63.2% on time at best: 0.7 is out of
    reach whatever the staffing (checked before anything runs)."""
    cfg = one_unit(base, limits_h={"general": 1.0}, response_target=0.7)
    cfg.workorders.response_delay_h["general"] = DistConfig("exponential", mean=1.0)
    with pytest.raises(ConfigError) as err:
        check_unit_plan(cfg)
    assert err.value.key == "unit_staffing.target.response_rate"
    assert "no number of case workers meets it at dept_001" in err.value.rule and "63.21%" in err.value.rule


COMMAND_CASES = {
    "unknown_policy": (["unit_staffing.policy=fastest"],
                       "unit_staffing.policy=fastest: unknown unit staffing policy; use one of plan, erlang, optimize"),
    "target_one": (["unit_staffing.policy=erlang", "unit_staffing.target.response_rate=1"],
                   "unit_staffing.target.response_rate=1: must be in (0, 1)"),
    "target_zero": (["unit_staffing.policy=erlang", "unit_staffing.target.closeout_on_time_rate=0"],
                    "unit_staffing.target.closeout_on_time_rate=0: must be in (0, 1)"),
    "target_percent": (["unit_staffing.policy=erlang", "unit_staffing.target.response_rate=95"],
                       "unit_staffing.target.response_rate=95: must be in (0, 1)"),
    "target_with_plan": (["unit_staffing.target.response_rate=0.9"],
                         "unit_staffing.target.response_rate=0.9: used only when a policy proposes the case workers "
                         "(unit_staffing.policy=erlang or optimize)"),
    "optimize_with_erlang": (["unit_staffing.policy=erlang", "unit_staffing.optimize.replications=2"],
                             "unit_staffing.optimize.replications=2: used only with unit_staffing.policy=optimize"),
    "warmup_a_year_and_more": (["unit_staffing.policy=optimize", "unit_staffing.optimize.warmup_weeks=53"],
                               "unit_staffing.optimize.warmup_weeks=53: must be in [0, 52]"),
    "no_units": (["scenario=single_queue", "unit_staffing.policy=erlang"],
                 "unit_staffing.policy=erlang: used only when the scenario has units (work orders); this one has "
                 "none"),
    "unreachable": (["unit_staffing.policy=erlang", "unit_staffing.target.response_rate=0.99", "scale=0.05"],
                    "unit_staffing.target.response_rate=0.99: no number of case workers meets it at street_001: its "
                    "response delays, resolution times and calendar alone leave 97.09% on time of its orders "
                    "arriving in the measurement window"),
}


def test_bad_unit_staffing_commands_are_one_line_exit_2(tmp_path):
    """On the command line every case is one line on stderr, exit status 2, and nothing written."""
    cases = [(tmp_path, [*args, f"report.dir={tmp_path / name}"]) for name, (args, _) in COMMAND_CASES.items()]
    for (name, (_, line)), proc in zip(COMMAND_CASES.items(), run_cli_batch(cases)):
        assert proc.returncode == 2, (name, proc.stderr)
        assert proc.stderr.strip().splitlines() == [f"run_sim: error: {line}"], (name, proc.stderr)
        assert not (tmp_path / name).exists(), name
