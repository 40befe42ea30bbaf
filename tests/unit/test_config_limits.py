"""Settings that the run would ignore, run sizes that cannot fit, and loops that would stop the clock.

Three mechanisms of validation, each rejecting with one :class:`sim.core.errors.ConfigError`
naming the key, its value and the rule:

* "key X is used only when condition C" (:class:`sim.config.fields.UsedOnlyWhen` on the field; a key is
  set when it differs from the schema default), and settings that would make a part of the
  model do nothing (a surge outside the horizon or inside the warm-up, a staffing
  plan with nobody on duty in the measurement window, a calendar with no day);
* ceilings on the fields (:class:`sim.config.fields.Range`: every number of the configuration finite and
  bounded, so that no output computed from it overflows) and the estimated size of the run against
  :data:`sim.config.limits.LIMITS` (contacts, events, operators, units, replications, memory of the
  results and of the day's residents a replication draws);
  :func:`sim.config.rules.check_loops`: loops in simulated time whose every step can take no time.

The precision target is bounded to (0, 1) on headline KPIs the scenario can
define; a KPI undefined in a replication stops the sequential rule with a message,
and a missed target is printed (stderr warning and a note under the KPI table).
"""

from __future__ import annotations

import json
import math
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from sim.core.errors import ConfigError

FAST = ["experiment.horizon_h=4", "experiment.warmup_h=1", "experiment.replications=2", "experiment.progress=false",
        "report.plots=false", "report.html=false", "report.print_table=false"]
ZERO = "{dist:constant,value:0,mean:null}"



def _with_fast(overrides):
    keys = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    return [f for f in FAST if f.split("=", 1)[0] not in keys] + list(overrides)


# id -> (scenario, overrides, key named by the error, substring of the rule)
REJECTED = {
    # kind 3: keys the chosen mode cannot use
    "scheduler_without_dask": ("single_queue", ["experiment.scheduler=tcp://127.0.0.1:8786"],
                               "experiment.scheduler", "experiment.executor=dask"),
    "jobs_with_serial": ("single_queue", ["experiment.jobs=2", "experiment.executor=serial"],
                         "experiment.jobs", "serial"),
    "max_replications_without_precision": ("single_queue", ["experiment.max_replications=50"],
                                           "experiment.max_replications", "experiment.precision"),
    "feedback_without_units": ("single_queue", ["feedback.max_attempts=5"], "feedback.max_attempts", "no"),
    "workorders_without_units": ("single_queue", ["workorders.misroute_probability=0.1"],
                                 "workorders.misroute_probability", "units"),
    "category_unit_without_units": ("single_queue", ["categories.all.resolved_share=0.5"],
                                    "categories.all.resolved_share", "units"),
    "team_staffing_with_operators_mode": ("beijing_baseline", ["feedback.mode=operators",
                                                               "feedback.staffing.operators=3"],
                                          "feedback.staffing.operators", "feedback.mode=team"),
    "online_settings_without_online": ("single_queue", ["online.deadline_h=4"], "online.deadline_h",
                                       "online demand"),
    "call_settings_without_calls": ("single_queue", ["arrivals.phone.per_day=0", "arrivals.online.per_day=1000",
                                                     "calls.handle_s.mean=200"], "calls.handle_s", "calls"),
    "redial_delay_without_redials": ("single_queue", ["calls.retrial.delay_s.mean=60"], "calls.retrial.delay_s",
                                     "calls.retrial.probability > 0"),
    "surge_after_horizon": ("single_queue", ["+arrivals.surges=[{start_h:30,duration_h:2,multiplier:2}]"],
                            "arrivals.surges[0].start_h", "after the run's arrivals end"),
    "surge_inside_warmup": ("single_queue", ["+arrivals.surges=[{start_h:0,duration_h:1,multiplier:2}]"],
                            "arrivals.surges[0].start_h", "within the warm-up"),
    "surge_on_channel_without_demand": ("single_queue",
                                        ["+arrivals.surges=[{start_h:1,duration_h:2,multiplier:2,channels:[online]}]"],
                                        "arrivals.surges[0].channels", "without demand"),
    "nobody_on_duty_in_window": ("single_queue", ["staffing.operators=0",
                                                  "+staffing.shifts=[{start_h:0,length_h:1,count:5}]"],
                                 "staffing.shifts", "nobody is on duty"),
    # units receiving work orders with no case worker: their orders would wait to the end of the run
    "no_case_worker_at_streets": ("beijing_baseline", ["units.street.case_workers=0", "scale=0.01"],
                                  "units.street.case_workers", "343 units of type street (street_001, ...) receive "
                                                               "work orders (categories housing_property"),
    "no_case_worker_at_a_named_unit": ("beijing_baseline", ["units.municipal.case_workers_by_unit.health_commission=0",
                                                            "scale=0.01"],
                                       "units.municipal.case_workers_by_unit.health_commission",
                                       "health_commission receives work orders (categories health_care)"),
    "calendar_without_days": ("beijing_baseline", ["calendars.daytime.days=[]", "scale=0.01"],
                              "calendars.daytime.days", "no working day"),
    "feedback_team_never_in_calling_hours": ("beijing_baseline", ["scale=0.01",
                                             "feedback.staffing.shifts=[{start_h:21,length_h:2,count:10}]"],
                                             "feedback.staffing.shifts", "never on duty"),
    "precision_above_one": ("single_queue", ["experiment.precision=1.5"], "experiment.precision", "(0, 1)"),
    "precision_kpi_unknown": ("single_queue", ["experiment.precision=0.1", "experiment.precision_kpi=happiness"],
                              "experiment.precision_kpi", "not a headline KPI"),
    "precision_kpi_breakdown_only": ("beijing_baseline", ["experiment.precision=0.1", "scale=0.01",
                                                          "experiment.precision_kpi=open_orders"],
                                     "experiment.precision_kpi", "not a headline KPI"),
    "precision_kpi_without_calls": ("single_queue", ["experiment.precision=0.1", "arrivals.phone.per_day=0",
                                                     "arrivals.online.per_day=1000",
                                                     "calls.handle_s={dist:lognormal,mean:180,cv:0.8}",
                                                     "calls.patience_s.mean=120",
                                                     "calls.priority_classes=[emergency]", "kpi.answer_threshold_s=15"],
                                    "experiment.precision_kpi", "no calls"),
    "precision_kpi_always_zero": ("single_queue", ["experiment.precision=0.1", "experiment.precision_kpi=retrials"],
                                  "experiment.precision_kpi", "always 0"),
    # operator-hours and cost are the plan's: a precision on them was "met" after the first replications
    "precision_kpi_operator_hours": ("single_queue", ["experiment.precision=0.1",
                                                      "experiment.precision_kpi=operator_hours"],
                                     "experiment.precision_kpi", "fixed by the input"),
    "precision_kpi_staffing_cost": ("single_queue", ["experiment.precision=0.1",
                                                     "experiment.precision_kpi=staffing_cost"],
                                    "experiment.precision_kpi", "fixed by the input"),
    # kind 4: no ceiling on sizes
    "replications_1e20": ("single_queue", ["experiment.replications=100000000000000000000"],
                          "experiment.replications", "<= 10,000"),
    "horizon_1e308": ("single_queue", ["experiment.horizon_h=1e308"], "experiment.horizon_h", "<= 8,784"),
    "operators_1e9": ("single_queue", ["staffing.operators=1000000000"], "staffing.operators", "operators on duty"),
    "scale_1e6": ("single_queue", ["scale=1e6"], "scale", "limit"),
    "per_day_1e12": ("single_queue", ["arrivals.phone.per_day=1e12"], "arrivals.phone.per_day", "contacts per"),
    "surge_multiplier_1e12": ("single_queue", ["+arrivals.surges=[{start_h:2,duration_h:1,multiplier:1e12}]"],
                              "arrivals.surges[0].multiplier", "contacts per"),
    "units_1e6": ("beijing_baseline", ["units.street.count=1000000"], "units.street.count", "units in all"),
    "case_workers_1e12": ("beijing_baseline", ["units.utility.case_workers=1000000000000"],
                          "units.utility.case_workers", "case slots"),
    "all_replications_too_many_contacts": ("beijing_baseline", ["experiment.replications=5000", "experiment.horizon_h=168"],
                                           "experiment.replications", "over all replications"),
    "results_too_large": ("single_queue", ["experiment.horizon_h=8760", "kpi.interval_min=1",
                                           "experiment.replications=2000", "arrivals.phone.per_day=100"],
                          "kpi.interval_min", "GiB"),
    # kind 4 (round 3): a value that makes an output non-finite, refused before the run
    "cost_per_h_1e308": ("single_queue", ["staffing.cost_per_h=1e308"], "staffing.cost_per_h", "<= 1,000,000"),
    "shift_cost_per_h_1e308": ("single_queue", ["staffing.operators=0",
                                                "staffing.shifts=[{start_h:0,length_h:24,count:130,cost_per_h:1e308}]"],
                               "staffing.shifts[0].cost_per_h", "<= 1,000,000"),
    "pattern_cost_per_h_1e308": ("single_queue", ["staffing.policy=optimize", "staffing.schedule=shifts",
                                                  "staffing.patterns=[{name:day,length_h:8,cost_per_h:1e308}]"],
                                 "staffing.patterns[0].cost_per_h", "<= 1,000,000"),
    "online_deadline_1e308": ("single_queue", ["arrivals.online.per_day=100", "online.deadline_h=1e308"],
                              "online.deadline_h", "<= 876,600"),
    "dispatch_limit_1e308": ("beijing_baseline", ["scale=0.01", "workorders.dispatch_limit_h.general=1e308"],
                             "workorders.dispatch_limit_h.general", "<= 876,600"),
    "resolution_p90_1e308": ("beijing_baseline", ["scale=0.01", "workorders.resolution_h.p90=1e308"],
                             "workorders.resolution_h.p90", "<= 876,600"),
    "handle_mean_1e308": ("single_queue", ["calls.handle_s.mean=1e308"], "calls.handle_s.mean",
                          "<= 3,155,760,000"),
    # a distribution whose parameters are each in range but whose mean overflows (a traceback before)
    "lognormal_mean_overflows": ("single_queue", ["calls.handle_s={dist:lognormal,median:1e-300,p90:1000}"],
                                 "calls.handle_s.p90", "no finite mean"),
    "weibull_mean_overflows": ("single_queue", ["calls.handle_s={dist:weibull,shape:0.001,scale:1000}"],
                               "calls.handle_s.shape", "no finite mean"),
    "hourly_weight_1e308": ("single_queue", ["arrivals.phone.hourly_profile.5=1e308"],
                            "arrivals.phone.hourly_profile[5]", "<= 1,000,000,000"),
    # kind 4 (round 3): a run too big for memory - a replication draws a whole day's residents at once
    "day_memory_per_day_1e9_scale": ("single_queue", ["arrivals.phone.per_day=1e9", "scale=0.01"],
                                     "arrivals.phone.per_day", "whole day's residents"),
    "day_memory_short_horizon": ("single_queue", ["arrivals.phone.per_day=1e9", "experiment.horizon_h=0.2",
                                                  "experiment.warmup_h=0", "kpi.interval_min=6"],
                                 "arrivals.phone.per_day", "whole day's residents"),
    "day_memory_in_each_worker": ("single_queue", ["arrivals.phone.per_day=1e6", "experiment.jobs=8",
                                                   "experiment.replications=8"],
                                  "experiment.jobs", "in each of 8 worker processes"),
    "events_from_redials": ("beijing_baseline", ["calls.retrial.probability=1", "calls.retrial.max_retrials=100",
                                                 "experiment.horizon_h=720"],
                            "calls.retrial.max_retrials", "events"),
    # kind 5: loops that stop the clock
    "max_retrials_18000": ("single_queue", ["calls.retrial.probability=1", "calls.retrial.max_retrials=18000"],
                           "calls.retrial.max_retrials", "<= 100"),
    "zero_patience_zero_redial_delay": ("single_queue", [f"calls.patience_s={ZERO}", "calls.retrial.probability=1",
                                                         f"calls.retrial.delay_s={ZERO}"],
                                        "calls.retrial.delay_s", "at the same instant"),
    "misroute_always": ("beijing_baseline", ["workorders.misroute_probability=1", "scale=0.01"],
                        "workorders.misroute_probability", "bounce back forever"),
    "zero_review_zero_dispatch": ("beijing_baseline", ["scale=0.01", f"workorders.review_h={ZERO}",
                                                       f"workorders.dispatch_delay_h.emergency={ZERO}"],
                                  "workorders.review_h", "at the same instant"),
    "zero_retry_zero_ring": ("beijing_baseline", ["scale=0.01", f"feedback.retry_delay_h={ZERO}",
                                                  "feedback.no_answer_s={dist:constant,value:0}"],
                             "feedback.retry_delay_h", "at the same instant"),
}


@pytest.mark.parametrize("name", list(REJECTED))
def test_rejected_naming_the_key(compose_once, name):
    """Each configuration is a ConfigError naming the key that drives it (and the CLI makes one line of it)."""
    from sim.cli import one_line

    scenario, overrides, key, rule = REJECTED[name]
    argv = _with_fast(overrides)
    with pytest.raises(ConfigError) as info:
        compose_once(scenario, argv)
    err = info.value
    assert err.key == key, f"{name}: the error names {err.key!r}, expected {key!r}: {err}"
    assert rule in err.rule, f"{name}: rule {err.rule!r} lacks {rule!r}"
    assert "\n" not in one_line(err, argv)


# --------------------------------------------------------------------------- every number has a bound
def numeric_settings(node, key=""):
    """Every number of a configuration's data, with its key as errors name it (``staffing.shifts[0].count``)."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from numeric_settings(value, f"{key}.{name}" if key else name)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from numeric_settings(value, f"{key}[{i}]")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield key, node


def _set(data, key, value):
    """Set the setting ``key`` (as :func:`numeric_settings` names it) in the configuration's data."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", key)
    for p in parts[:-1]:
        data = data[int(p[1:-1])] if p.startswith("[") else data[p]
    data[int(parts[-1][1:-1]) if parts[-1].startswith("[") else parts[-1]] = value


#: Scenarios (and overrides) that between them use every kind of numeric setting: shifts with their own cost,
#: the online channel with an expiry, units and return visits, skill groups and callbacks, a staffing policy's
#: patterns and targets, every distribution family.
EVERY_NUMBER = {
    "single_queue": ["arrivals.online.per_day=500", "online.expire_h=4", "calls.retrial.probability=0.3",
                     "calls.handle_s={dist:gamma,shape:2,scale:120}", "calls.patience_s={dist:uniform,low:10,high:200}",
                     "calls.retrial.delay_s={dist:empirical,values:[30,60,90]}", "experiment.precision=0.1",
                     "experiment.max_replications=20", "staffing.policy=erlang", "staffing.target.asa_s=30",
                     "staffing.target.abandon_rate=0.1", "routing.escalate_after_s.online=600"],
    "beijing_baseline": ["scale=0.01", "staffing.shifts.0.cost_per_h=2", "online.expire_h=4",
                         "workorders.misroute_probability=0.1", "units.utility.weights=[1,2,3,4,5,6,7,8,9,10]"],
    "skills_and_callbacks": ["scale=0.1"],
}


@pytest.mark.parametrize("scenario", list(EVERY_NUMBER))
def test_every_number_is_bounded(compose_once, scenario):
    """Every number of the configuration, set to 1e308 (10**30 for a whole number), is refused by validate()
    naming it (or the mapping or list it belongs to: shares that no longer sum to 1): no setting can make an
    output overflow (a staffing cost, a deadline in seconds), and a new setting cannot arrive without a bound.
    The seed is the one exception: any whole number (it seeds a generator and is never computed with)."""
    import copy as _copy

    from sim.config.errors import config_of
    from sim.model.checks import validate

    data = compose_once(scenario, _with_fast(EVERY_NUMBER[scenario])).model_dump()
    keys = [k for k, _ in numeric_settings(data) if k != "experiment.seed"]
    assert len(keys) > 60, f"{scenario}: only {len(keys)} numbers found"
    wrong = []
    for key, value in numeric_settings(data):
        if key == "experiment.seed":
            continue
        bad = _copy.deepcopy(data)
        _set(bad, key, 10**30 if isinstance(value, int) else 1e308)
        try:
            validate(config_of(bad))
            wrong.append(f"{key}: accepted")
        except ConfigError as exc:
            if not (exc.key == key or key.startswith((f"{exc.key}.", f"{exc.key}["))):
                wrong.append(f"{key}: refused naming {exc.key} ({exc})")
        except Exception as exc:  # noqa: BLE001 - the point: nothing but a ConfigError
            wrong.append(f"{key}: {type(exc).__name__}: {exc}")
    assert not wrong, f"{scenario}: {len(wrong)} of {len(keys)} numbers set huge: " + "; ".join(wrong[:12])


def test_ceilings_keep_derived_outputs_finite(compose_once, tmp_path):
    """At the ceilings (a cost of 1e6 per operator-hour, a century's online deadline), a run writes finite figures:
    the staffing cost is cost x operator-hours (130 operators x 2 h x 1e6), and summary.json is valid JSON."""
    from sim.api import run

    cfg = compose_once("single_queue", ["experiment.horizon_h=2", "experiment.warmup_h=0",
                                        "experiment.replications=1", "staffing.cost_per_h=1000000",
                                        "arrivals.online.per_day=200", "online.deadline_h=876600",
                                        "report.plots=false", "report.html=false"])
    run(cfg, tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    cost = summary["kpis"]["staffing_cost"]["mean"]
    assert cost == pytest.approx(130 * 2 * 1e6), f"staffing_cost {cost}, expected 2.6e8 (130 x 2 h x 1e6)"


def test_size_estimate_counts_the_whole_day_drawn(compose_once):
    """A replication draws its first day's residents whole even with a 1-hour horizon: the memory estimate counts
    what the model draws (43,200 residents of single_queue's day), not the 1,800 contacts of the horizon."""
    from sim.core.rng import Streams
    from sim.model.checks import busiest_day, expected_contacts
    from sim.model.compile import compile_config
    from sim.model.residents import day_rows

    cfg = compose_once("single_queue", _with_fast(["experiment.horizon_h=1", "experiment.warmup_h=0"]))
    assert expected_contacts(cfg)["phone"] == pytest.approx(1800.0)
    assert busiest_day(cfg) == pytest.approx(43200.0), busiest_day(cfg)
    drawn = len(day_rows(compile_config(cfg), Streams(cfg.experiment.seed, 0), 0))
    assert abs(drawn - 43200) < 5 * math.sqrt(43200), f"the model drew {drawn} residents for day 0"


@pytest.mark.parametrize("scenario, overrides", [
    ("beijing_baseline", ["experiment.horizon_h=720", "experiment.replications=2"]),  # 30 days at scale 1
    ("beijing_baseline", ["arrivals.online.per_day=0"]),  # the online channel switched off
    ("beijing_baseline", ["calls.retrial.probability=0", "workorders.misroute_probability=0",
                          "feedback.reopen_probability=0", "feedback.reach_probability=1"]),
    ("beijing_baseline", ["feedback.mode=operators", "feedback.staffing.shifts=[]", "feedback.staffing.shrinkage=0"]),
    ("single_queue", ["experiment.precision=0.05", "experiment.max_replications=20"]),
    ("single_queue", ["experiment.executor=dask", "experiment.scheduler=tcp://127.0.0.1:8786"]),
    ("heating_season_start", []), ("rainstorm", []), ("department_staff_cut", []),
    # no case worker where no work order goes: the municipal departments the categories do not name
    ("beijing_baseline", ["units.municipal.case_workers=0", "scale=0.01"]),
    # no case worker at the streets, whose case workers a unit staffing policy proposes
    ("beijing_baseline", ["units.street.case_workers=0", "unit_staffing.policy=erlang", "scale=0.01"]),
])
def test_accepted(compose_once, scenario, overrides):
    """The shipped scenarios, the Beijing month at scale 1 and switching a mechanism off are valid."""
    compose_once(scenario, overrides)


def test_loop_bounds_keep_time_moving(compose_once):
    """A zero patience with a positive redial delay is allowed (a loss system that redials later)."""
    compose_once("single_queue", _with_fast([f"calls.patience_s={ZERO}", "calls.retrial.probability=1",
                                             "calls.retrial.delay_s.mean=30"]))


def test_every_limit_is_documented():
    """Each limit of sim.config.limits.LIMITS is stated in docs/experiments.md."""
    from pathlib import Path

    from sim.config.limits import LIMITS

    text = (Path(__file__).resolve().parents[2] / "docs" / "experiments.md").read_text(encoding="utf-8")
    for name in LIMITS:
        assert f"`{name}`" in text, f"limit {name} is not documented in docs/experiments.md"


@pytest.mark.parametrize("field, value, key, rule", [
    ("experiment.horizon_h", 1e308, "experiment.horizon_h", "<= 8,784"),
    ("staffing.operators", 10**9, "staffing.operators", "operators on duty"),
    ("experiment.replications", 10**20, "experiment.replications", "<= 10,000"),
])
def test_huge_values_are_rejected_before_anything_is_built(compose_once, field, value, key, rule):
    """A horizon of 1e308, a billion operators or 1e20 replications: validate() names the key and its limit, and
    builds nothing sized by the value on the way - Python's allocations while it runs stay under 20 MB (one
    array of the billion operators' states, or of a year's half-hours per replication, would be gigabytes; the
    check used to assert only that some time >= 0 had passed)."""
    import copy
    import tracemalloc

    from sim.model.checks import validate

    bad = copy.deepcopy(compose_once("single_queue", _with_fast([])))
    section, name = field.split(".")
    setattr(getattr(bad, section), name, value)
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as info:
            validate(bad)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.key == key and rule in info.value.rule, f"{field}={value}: {info.value}"
    assert peak < 20e6, f"{field}={value}: validate() allocated {peak / 1e6:.0f} MB before refusing it"


# --------------------------------------------------------------------------- precision at run time
def test_precision_kpi_undefined_in_a_replication_stops_with_a_message(compose_once, tmp_path):
    """online_on_time_rate with about one online item a day: undefined (no item) in some replication, so the
    sequential rule stops at once with a message instead of running to the cap."""
    from sim.experiments.runner import run_experiment
    from sim.report.outputs import write_outputs
    from sim.report.text import kpi_table

    cfg = compose_once("single_queue", _with_fast(["arrivals.online.per_day=1", "experiment.precision=0.05",
                                                   "experiment.precision_kpi=online_on_time_rate",
                                                   "experiment.max_replications=40", "experiment.seed=3"]))
    exp = run_experiment(cfg)
    n = exp.notes
    assert n["precision_met"] is False and "undefined (NaN)" in n["precision_stopped"], n
    assert len(exp.replications) < 40, f"ran {len(exp.replications)} replications: the rule went on to the cap"
    summary = write_outputs(exp, tmp_path, "")
    assert "Precision target" in kpi_table(summary) and "NaN" in kpi_table(summary)


def test_missed_precision_target_is_printed(cli, tmp_path):
    """A target missed at the cap: a stderr warning line with the half-width reached, a note under the table."""
    out = tmp_path / "run"
    proc = cli(["scenario=single_queue", *[a for a in FAST if "print_table" not in a], "experiment.precision=0.0001",
                "experiment.max_replications=3", f"report.dir={out}"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("run_sim: warning: precision target not met")]
    summary = json.loads((out / "summary.json").read_text())
    assert len(warnings) == 1 and f"{summary['precision_achieved']:.4g}" in warnings[0], proc.stderr
    assert "experiment.max_replications=3" in warnings[0], warnings[0]
    assert "Precision target not met" in proc.stdout, proc.stdout[-1500:]


@pytest.mark.slow  # two interpreters; the in-process cases above check every message
def test_cli_named_examples_one_line_exit_2(cli, tmp_path):
    """Through the command line, named examples of the three kinds end in one stderr line and exit status 2."""
    cases = [["staffing.operators=1000000000"],
             ["calls.retrial.probability=1", f"calls.retrial.delay_s={ZERO}", f"calls.patience_s={ZERO}"]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = list(pool.map(lambda a: cli(["scenario=single_queue", *a, f"report.dir={tmp_path / 'x'}"]), cases))
    for args, p in zip(cases, procs, strict=True):
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        assert p.returncode == 2 and len(lines) == 1 and lines[0].startswith("run_sim: error: "), (args, p.stderr)
        assert args[0].split("=")[0] in lines[0] or "calls.retrial.delay_s" in lines[0], (args, lines[0])
