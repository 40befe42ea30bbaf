"""Settings that would change nothing, or contradict each other, are errors (or have a documented meaning).

Each kind has one mechanism (``docs/experiments.md``, "Settings the run cannot use are errors"):

* a value listed twice in a set: every list field the schema marks
  :class:`~sim.config.fields.Distinct`;
* an entry whose only effect is the identity: a surge multiplying by 1, a shift of 0, a category
  of share 0 with nothing of its own, an exception equal to the rule
  (:mod:`sim.config.rules_effects`);
* a key read only when another key has a value: the fields' :class:`~sim.config.fields.UsedOnlyWhen`
  conditions (:func:`sim.config.rules.check_usage`, entry by entry where a mapping's field says so);
* a distribution of absurd size: its size parameters and median at most a century in its key's unit,
  its mean, variance and largest draw finite (:func:`sim.core.distributions.make_distribution`);
* references that make no sense (a unit type as its own district) and contradictory time limits.

The examples of the issue run through the command line (``sim.cli.main``, as ``run_sim.py``, in
one interpreter: :func:`support.run_cli_batch`) and must print exactly one line and exit with
status 2, writing nothing; the other cases of each kind are checked in-process on the
:class:`~sim.core.errors.ConfigError`.
"""

from __future__ import annotations

import pytest

from sim.core.errors import ConfigError

FAST = ["experiment.horizon_h=2", "experiment.warmup_h=0", "experiment.replications=1"]
CLI_BASE = [*FAST, "experiment.progress=false", "report.plots=false", "report.html=false",
            "report.print_table=false"]
E = "run_sim: error: "

# the examples: arguments (on the default scenario, beijing_baseline) -> the exact stderr line
EXAMPLES = {
    "same_day_three_times": (["calendars.office.days=[0,0,0]"],
                             E + "calendars.office.days=[0,0,0]: 0 is listed twice: each value counts once, so the "
                                 "repeat changes nothing (give each value once)"),
    "surge_multiplying_by_1": (["+arrivals.surges=[{name:heat}]"],
                               E + "arrivals.surges[0].multiplier=1.0: a surge that multiplies by 1 changes nothing "
                                   "(1 is a surge's default): give its multiplier, or remove the surge"),
    "delay_mean_1e308": (["feedback.delay_h={dist:exponential,mean:1e308}"],
                         E + "feedback.delay_h.mean=1e+308: must be <= 876,600 (a century, in hours)"),
    "redial_probability_without_redials": (["calls.retrial.max_retrials=0", "calls.retrial.probability=0.9"],
                                           E + "calls.retrial.probability=0.9: used only when a caller may redial "
                                               "at least once (calls.retrial.max_retrials > 0)"),
    "category_never_drawn": (["++categories.newcat.share=0"],
                             E + "++categories.newcat.share=0: a category with share 0 and no setting of its own is "
                                 "never drawn and changes nothing: give it a share (taken from the others), or "
                                 "leave it out"),
    "street_its_own_district": (["units.street.district_of=street"],
                                E + "units.street.district_of=street: a unit type cannot be its own district: name "
                                    "another unit type"),
    "withdrawn_before_deadline": (["online.expire_h=0.5"],
                                  E + "online.expire_h=0.5: must be >= online.deadline_h (2): an item withdrawn "
                                      "before its acceptance deadline can never miss it, so the deadline would change "
                                      "nothing"),
}


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory):
    """Each example run once through ``sim.cli.main`` (one interpreter), with its own report folder."""
    from support import ROOT, run_cli_batch

    d = tmp_path_factory.mktemp("noop")
    cases = [(ROOT, [*CLI_BASE, *args, f"report.dir={d / name}"]) for name, (args, _) in EXAMPLES.items()]
    return {name: (r, d / name) for name, r in zip(EXAMPLES, run_cli_batch(cases))}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_is_one_exact_line_exit_2(example_runs, name):
    """The issue's example: exit status 2, exactly the expected stderr line, no report folder."""
    r, folder = example_runs[name]
    assert r.returncode == 2, f"{name}: exit {r.returncode}\n{r.stderr[-2000:]}"
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines == [EXAMPLES[name][1]], f"{name}: stderr {lines}"
    assert not folder.exists(), f"{name}: a refused run wrote {folder}"


# id -> (scenario, overrides, key named by the error, substring of the rule)
REJECTED = {
    # a value listed twice, wherever the schema marks the list DISTINCT
    "shift_days_twice": ("single_queue", ["staffing.operators=0", "+staffing.shifts=[{count:5,days:[1,1]}]"],
                         "staffing.shifts[0].days", "1 is listed twice"),
    "priority_class_twice": ("beijing_baseline", ["calls.priority_classes=[emergency,emergency]"],
                             "calls.priority_classes", "'emergency' is listed twice"),
    "surge_channel_twice": ("single_queue", ["+arrivals.surges=[{multiplier:2,channels:[phone,phone]}]"],
                            "arrivals.surges[0].channels", "'phone' is listed twice"),
    "surge_category_twice": ("single_queue", ["+arrivals.surges=[{multiplier:2,categories:[all,all]}]"],
                             "arrivals.surges[0].categories", "'all' is listed twice"),
    "assignment_type_twice": ("beijing_baseline", ["workorders.assignment=least_loaded",
                                                   "workorders.assignment_types=[street,street]"],
                              "workorders.assignment_types", "'street' is listed twice"),
    "unit_name_twice": ("beijing_baseline", ["units.utility.names=[water,water]"], "units.utility.names",
                        "'water' is listed twice"),
    "pattern_start_twice": ("single_queue", ["staffing.policy=erlang", "staffing.schedule=shifts",
                                             "staffing.operators=0", "staffing.patterns=[{starts_h:[8,8]}]"],
                            "staffing.patterns[0].starts_h", "8.0 is listed twice"),
    # identities
    "shift_of_nobody": ("single_queue", ["staffing.operators=0",
                                         "+staffing.shifts=[{count:5},{start_h:8}]"],
                        "staffing.shifts[1].count", "a shift of 0 operators"),
    "exception_equal_to_rule": ("beijing_baseline", ["units.municipal.case_workers_by_unit.health_commission=3"],
                                "units.municipal.case_workers_by_unit.health_commission", "changes nothing"),
    "priority_class_without_contacts": ("single_queue", ["calls.priority_classes=[complex]"],
                                        "calls.priority_classes", "no category has complex contacts"),
    "surge_on_categories_never_drawn": ("beijing_baseline",
                                        ["categories.education.share=0", "categories.other.share=0.39",
                                         "+arrivals.surges=[{multiplier:2,categories:[education]}]"],
                                        "arrivals.surges[0].categories", "share 0"),
    # used only when another key has a value
    "redial_delay_without_redials": ("beijing_baseline", ["calls.retrial.max_retrials=0",
                                                          "calls.retrial.delay_s.mean=60"],
                                     "calls.retrial.delay_s", "max_retrials > 0"),
    "callbacks_never_accepted": ("single_queue", ["routing.callback.enabled=true",
                                                  "routing.callback.accept_probability=0"],
                                 "routing.callback.enabled", "accept_probability > 0"),
    "callback_ring_always_reached": ("single_queue", ["routing.callback.enabled=true",
                                                      "routing.callback.reach_probability=1",
                                                      "routing.callback.no_answer_s=10"],
                                     "routing.callback.no_answer_s", "reach_probability < 1"),
    "callback_retry_with_one_attempt": ("single_queue", ["routing.callback.enabled=true",
                                                         "routing.callback.max_attempts=1",
                                                         "routing.callback.retry_delay_s=60"],
                                        "routing.callback.retry_delay_s", "max_attempts > 1"),
    "visit_retry_with_one_attempt": ("beijing_baseline", ["feedback.max_attempts=1",
                                                          "feedback.retry_delay_h.mean=1"],
                                     "feedback.retry_delay_h", "max_attempts > 1"),
    "visit_ring_always_reached": ("beijing_baseline", ["feedback.reach_probability=1",
                                                       "feedback.no_answer_s.value=20"],
                                  "feedback.no_answer_s", "reach_probability < 1"),
    "catch_without_misrouting": ("beijing_baseline", ["workorders.dispatch=via_district",
                                                      "workorders.misroute_probability=0",
                                                      "workorders.district_catch_probability=0.9"],
                                 "workorders.district_catch_probability", "misroute_probability > 0"),
    "work_order_handle_without_orders": ("single_queue", ["calls.handle_work_order_s={dist:exponential,mean:400}"],
                                         "calls.handle_work_order_s", "makes work orders"),
    "transfer_share_without_emergencies": ("beijing_baseline",
                                           ["categories.labour_social_security.emergency_transfer_share=0.5"],
                                           "categories.labour_social_security.emergency_transfer_share",
                                           "has emergencies"),
    "unclear_share_outside_districts": ("beijing_baseline", ["categories.education.unclear_share=0.1"],
                                        "categories.education.unclear_share", "belongs to a district"),
    "zipf_with_one_unit": ("beijing_baseline", ["units.utility.count=1", "units.utility.zipf=0.5"],
                           "units.utility.zipf", "more than one unit"),
    "unused_calendar_changed": ("beijing_baseline", ["calendars.office.start_h=8"], "calendars.office.start_h",
                                "names this calendar"),
    # references
    "circle_of_districts": ("beijing_baseline", ["units.district.district_of=street"], "units.street.district_of",
                            "circular: street -> district -> street"),
    "more_districts_than_streets": ("beijing_baseline", ["units.district.count=400"], "units.street.district_of",
                                    "some districts would hold no unit"),
    "group_no_work_reaches": ("single_queue", ["staffing.operators=0", "+routing.groups.a={operators:60}",
                                               "+routing.groups.b={operators:70}", "+routing.skills.all=[a]"],
                              "routing.groups.b", "no work reaches this group"),
    # time limits
    "closeout_before_response": ("beijing_baseline", ["workorders.closeout_limit_h.general=12"],
                                 "workorders.closeout_limit_h.general", "workorders.response_limit_h.general (24)"),
    "aging_after_withdrawal": ("beijing_baseline", ["online.expire_h=3", "routing.escalate_after_s.online=10800"],
                               "routing.escalate_after_s.online", "withdrawn before it ages"),
    "aging_after_every_caller_hung_up": ("single_queue", ["calls.patience_s={dist:uniform,low:0,high:300}",
                                                          "calls.priority_classes=[general]",
                                                          "routing.escalate_after_s.call=300"],
                                         "routing.escalate_after_s.call", "longest patience"),
    # distributions: finite, and a mean of at most a century in the key's unit
    "lognormal_p90_1e300": ("single_queue", ["calls.handle_s={dist:lognormal,median:1,p90:1e300}"],
                            "calls.handle_s.p90", "must be <= 3,155,760,000 (a century, in seconds)"),
    "uniform_handle_of_centuries": ("single_queue", ["calls.handle_s={dist:uniform,low:0,high:1e10}"],
                                    "calls.handle_s.high", "a century"),
    "gamma_median_a_millennium": ("beijing_baseline", ["workorders.resolution_h={dist:gamma,shape:1000,scale:9000}"],
                                  "workorders.resolution_h.scale", "median must be at most a century (876,600 hours)"),
    # (a cv of 1e200 is refused by the ceiling of every coefficient of variation, before the distribution is built)
    "gamma_without_a_mean": ("single_queue", ["calls.handle_s={dist:gamma,mean:100,cv:1e200}"], "calls.handle_s.cv",
                             "must be <= 100 (a coefficient of variation)"),
    "weibull_without_a_variance": ("single_queue", ["calls.handle_s={dist:weibull,shape:0.01,scale:1}"],
                                   "calls.handle_s.shape", "gives no finite variance"),
}


@pytest.mark.parametrize("name", list(REJECTED))
def test_rejected_naming_the_key(compose_once, name):
    """Each setting that changes nothing (or contradicts another) is a ConfigError naming the key and the rule."""
    from support import layered

    scenario, overrides, key, rule = REJECTED[name]
    with pytest.raises(ConfigError) as info:
        compose_once(scenario, layered(FAST, overrides))
    err = info.value
    assert err.key == key, f"{name}: the error names {err.key!r}, expected {key!r}: {err}"
    assert rule in err.rule, f"{name}: rule {err.rule!r} lacks {rule!r}"


@pytest.mark.parametrize("scenario, overrides", [
    # a scenario's own category switched off keeps its settings (as a channel with per_day=0)
    ("beijing_baseline", ["categories.education.share=0", "categories.other.share=0.39"]),
    ("beijing_baseline", ["online.expire_h=2"]),  # withdrawn at the deadline: the deadline still decides
    ("beijing_baseline", ["online.expire_h=4", "routing.escalate_after_s.online=3600"]),
    ("beijing_baseline", ["+arrivals.surges=[{multiplier:0.5}]"]),  # a lull is a surge below 1
    ("beijing_baseline", ["calendars.daytime.days=[6,0,1,2,3,4,5]"]),  # order is free, repeats are not
    ("beijing_baseline", ["units.street.staff_by_weight=false"]),
    ("single_queue", ["calls.patience_s.mean=1e9"]),  # "nobody hangs up": 32 years is under a century
    # a heavy tail fitted to a log of requests often never closed: a median of 4 h, a mean of 1.6e19 h
    ("beijing_baseline", ["categories.other.resolution_h={dist:lognormal,median:3.73,p90:535346}"]),
    ("single_queue", ["calls.patience_s={dist:uniform,low:0,high:300}", "calls.priority_classes=[general]",
                      "routing.escalate_after_s.call=299"]),
])
def test_accepted(compose_once, scenario, overrides):
    """Settings that do something stay valid: a switched-off category, limits that agree, a lull, a long patience."""
    from support import layered

    compose_once(scenario, layered(FAST, overrides))


def test_misrouting_needs_a_type_with_two_units(compose_once):
    """With one unit of every type a misrouted order has nowhere wrong to go: the probability changes nothing."""
    import copy

    from sim.model.checks import validate

    cfg = copy.deepcopy(compose_once("beijing_baseline", FAST))
    assert cfg.workorders.misroute_probability > 0
    for ut in cfg.units.values():
        ut.count, ut.names, ut.case_workers_by_unit, ut.zipf, ut.staff_by_weight = 1, ut.names[:1], {}, 0.0, False
    for cat in cfg.categories.values():
        cat.unit = None
    with pytest.raises(ConfigError) as info:
        validate(cfg)
    assert info.value.key == "workorders.misroute_probability" and "more than one unit" in info.value.rule, info.value
    cfg.workorders.misroute_probability, cfg.workorders.review_h = 0.0, copy.deepcopy(
        compose_once("single_queue", FAST).workorders.review_h)
    validate(cfg)  # without misrouting the same units are valid


def test_every_distinct_field_is_a_list():
    """The Distinct marker sits only on lists of scalars or mappings of such lists (what the check can read), and on
    the lists whose values form a set."""
    import typing

    from sim.config.fields import Distinct
    from sim.config.schema import Config
    from sim.config.tree import fields, node

    marked, todo, seen = [], [Config], set()
    while todo:
        record = todo.pop()
        if record in seen:
            continue
        seen.add(record)
        for name, t in fields(record).items():
            for part in (t, node(t)[1]):  # the field, or the lists of a mapping
                args = typing.get_args(part) if typing.get_origin(part) is typing.Annotated else ()
                if any(isinstance(m, Distinct) for m in args[1:]):
                    kind, item = node(args[0])
                    assert kind == "list" and node(item)[0] == "value", f"{record.__name__}.{name}: {t}"
                    marked.append(f"{record.__name__}.{name}")
            kind, arg = node(t)
            while kind in ("mapping", "list"):
                kind, arg = node(arg)
            if kind == "record":
                todo.append(arg)
    assert {"CalendarConfig.days", "ShiftConfig.days", "CallsConfig.priority_classes", "RoutingConfig.skills",
            "ShiftPatternConfig.starts_h", "WorkOrderConfig.assignment_types"} <= set(marked), marked


RAIN = ["experiment.horizon_h=30", "experiment.warmup_h=0", "experiment.replications=1"]  # past its surge at 24 h


@pytest.mark.parametrize("scenario, typed, kept", [
    ("rainstorm", ["arrivals.phone.per_day=0", "experiment.drain_h=0"],
     {"calls.handle_s", "calls.patience_s", "calls.retrial.probability"}),
    ("beijing_baseline", ["feedback.mode=operators"], {"feedback.staffing.shifts"}),
    ("beijing_baseline", ["calls.retrial.max_retrials=0"], {"calls.retrial.probability"}),
])
def test_a_part_switched_off_on_the_command_line_keeps_the_scenarios_settings(scenario, typed, kept):
    """The docs switch a scenario's channel off with per_day=0; every shipped scenario then refused its own call
    settings, which nobody typed ("calls.handle_s=...: used only when there are calls").  Settings of the
    scenario that the command line leaves unused are kept (and named in a note); typed ones are refused."""
    from sim.api import compose_config

    cfg = compose_config(scenario, [*RAIN, *typed])
    assert kept <= set(cfg.kept_unused), sorted(cfg.kept_unused)


def test_a_setting_typed_or_unused_in_the_scenario_itself_is_still_refused(tmp_path, monkeypatch):
    import sim.api
    import sim.config.hydra_setup
    from sim.api import compose_config

    monkeypatch.setattr(sim.api, "register", sim.config.hydra_setup.register)  # undo compose_once: a file by path

    with pytest.raises(ConfigError, match=r"^calls.patience_s.*used only when there are calls"):
        compose_config("rainstorm", [*RAIN, "experiment.drain_h=0", "arrivals.phone.per_day=0",
                                     "calls.patience_s.mean=100"])
    own = tmp_path / "no_redials.yaml"  # the scenario file itself sets what it does not use
    own.write_text("extends: single_queue\ncalls:\n  retrial: {max_retrials: 0, probability: 0.3}\n")
    with pytest.raises(ConfigError, match=r"^calls.retrial.probability=0.3: used only when a caller may redial"):
        compose_config(str(own), FAST)


def test_the_command_line_names_the_kept_settings_in_a_note(tmp_path):
    from support import run_cli_batch

    quiet = ["experiment.progress=false", "report.plots=false", "report.html=false", "report.print_table=false"]
    [done] = run_cli_batch([(tmp_path, ["scenario=rainstorm", *RAIN, *quiet, "experiment.drain_h=0",
                                        "arrivals.phone.per_day=0", "scale=0.05", "report.dir=run"])])
    assert done.returncode == 0, done.stderr
    note = next(line for line in done.stderr.splitlines() if line.startswith("run_sim: note: the scenario's"))
    assert "calls.handle_s" in note and "unused in this run (used only when there are calls" in note, note


def test_run_keeps_what_compose_config_kept(monkeypatch):
    """run() checks its configuration again (a notebook may change it after compose_config); a copy changed in
    code keeps the settings the command line left unused, so a channel switched off still runs."""
    import sim.api

    cfg = sim.api.compose_config("rainstorm", [*RAIN, "experiment.drain_h=0", "arrivals.phone.per_day=0",
                                               "scale=0.05", "experiment.jobs=1"])
    exp = sim.api.run(cfg.model_copy(update={"scale": 0.04}))
    assert exp.summary["contacts_offered"]["mean"] > 0
    assert exp.summary.get("calls_offered", {"mean": 0.0})["mean"] == 0.0
