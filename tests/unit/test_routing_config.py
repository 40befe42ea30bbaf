"""Bad routing and dispatch settings: one clear error naming the key, the value and the rule.

In-process through :func:`sim.api.compose_config` (a :class:`~sim.core.errors.ConfigError`
with ``.key`` and ``.rule``) for every rule of routing (:mod:`sim.config.routing`, :mod:`sim.config.rules`), the
"used only when" rules of the routing keys and the policy registries; one command-line
run checks that such an error is one stderr line and exit status 2.
"""

from __future__ import annotations

import copy

import pytest

from sim.core.errors import ConfigError

FAST = ["experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.replications=1"]
#: single_queue with two groups of 5 operators instead of the scenario's headcount.
GROUPS = ["staffing.operators=0", "+routing.groups.a={operators:5}", "+routing.groups.b={operators:5}"]



@pytest.fixture(scope="module")
def bases(compose_once):
    """Valid configurations to edit: single_queue, single_queue with groups a and b, beijing_baseline."""
    return {"sq": compose_once("single_queue", FAST), "groups": compose_once("single_queue", FAST + GROUPS),
            "bj": compose_once("beijing_baseline", FAST)}


def _group(**plan):
    """A group's plan as data (a plan is a tagged union: data may give two forms, a plan made in code may not)."""
    return dict(plan)


def _set(path, value):
    """An edit of the configuration's data: ``path`` dotted, the plan forms at their empty value dropped."""
    def edit(data):
        parts = path.split(".")
        for p in parts[:-1]:
            data = data.setdefault(p, {})
        if parts[-1] in ("operators", "half_hourly", "shifts"):  # a form given replaces the plan's form
            for form in ("operators", "half_hourly", "shifts"):
                data.pop(form, None)
        data[parts[-1]] = value
    return edit


def _checked(cfg, edits):
    """Validate ``cfg``'s data after ``edits``: the schema's rules, then the model's checks."""
    from sim.config.errors import config_of
    from sim.model.checks import validate

    data = cfg.model_dump()
    for edit in edits:
        edit(data)
    validate(config_of(data))


#: single_queue made small, with online work: 3 operators.
SMALL_BLENDED = [_set("staffing.operators", 3), _set("arrivals.online.per_day", 100.0)]

# id, base, edits, key, substring of the rule
CASES = [
    ("unknown_group", "groups", [_set("routing.skills.all", ["a", "c"])], "routing.skills.all", "unknown group"),
    ("no_eligible_group", "groups", [_set("routing.skills.all", [])], "routing.skills.all", "no eligible group"),
    ("unknown_skill_key", "groups", [_set("routing.skills.nosuch", ["a"])], "routing.skills.nosuch",
     "unknown category"),
    ("group_listed_twice", "groups", [_set("routing.skills.all", ["a", "a"])], "routing.skills.all", "listed twice"),
    ("group_without_staffing", "groups", [_set("routing.groups.c", _group(operators=0))],
     "routing.groups.c.operators", "no staffing"),
    ("group_two_plan_forms", "groups", [_set("routing.groups.c", _group(operators=2, shifts=[{"count": 1}]))],
     "routing.groups.c.operators", "conflicts"),
    # a second category, not listed, keeps groups a and b in use (a group no work reaches is refused)
    ("skill_whose_groups_are_off_duty", "groups",
     [_set("routing.groups.c", _group(shifts=[{"start_h": 5, "count": 1}])), _set("routing.skills.all", ["c"]),
      _set("categories.all.share", 0.5),
      lambda c: c["categories"].__setitem__("other", copy.deepcopy(c["categories"]["all"]))],
     "routing.skills.all", "nobody is on duty"),
    ("group_no_work_reaches", "groups", [_set("routing.skills.all", ["a"])], "routing.groups.b",
     "no work reaches this group"),
    ("every_group_off_duty", "groups",
     [_set("routing.groups.a", _group(shifts=[{"start_h": 5, "count": 1}])),
      _set("routing.groups.b", _group(shifts=[{"start_h": 6, "count": 1}]))],
     "routing.groups", "in every group, nobody is on duty"),
    ("staffing_plan_beside_groups", "groups", [_set("staffing.operators", 130)], "staffing.operators",
     "conflicts with routing.groups"),
    ("skills_without_groups", "sq", [_set("routing.skills.all", ["a"])], "routing.skills.all", "unknown group"),
    ("overflow_without_a_next_group", "groups", [_set("routing.overflow_after_s", 10.0)],
     "routing.overflow_after_s", "two groups or more"),
    ("online_skill_without_online_work", "groups", [_set("routing.skills.online", ["a"])], "routing.skills.online",
     "online demand"),
    ("outbound_skill_without_operators_visits", "groups", [_set("routing.skills.outbound", ["a"])],
     "routing.skills.outbound", "feedback.mode=operators"),
    ("reserve_without_blended_work", "sq", [_set("routing.reserve_idle", 2)], "routing.reserve_idle", "blended work"),
    ("reserve_two_forms", "bj", [_set("routing.reserve_idle", 2), _set("routing.reserve_idle_half_hourly", [1] * 48)],
     "routing.reserve_idle", "conflicts"),
    ("reserve_half_hourly_length", "bj", [_set("routing.reserve_idle_half_hourly", [1, 2])],
     "routing.reserve_idle_half_hourly", "48 values"),
    # a reservation that no blended work gets past (sim.model.checks_blending)
    ("reserve_at_the_headcount", "sq", [*SMALL_BLENDED, _set("routing.reserve_idle", 3)], "routing.reserve_idle",
     "online work would never be taken; give a value below 3"),
    ("reserve_above_the_headcount_with_aging", "sq", [*SMALL_BLENDED, _set("routing.reserve_idle", 7),
                                                     _set("routing.escalate_after_s.online", 60.0)],
     "routing.reserve_idle", "never be taken before it ages into another class (routing.escalate_after_s.online)"),
    ("reserve_at_the_scaled_headcount", "sq", [*SMALL_BLENDED, _set("scale", 0.5), _set("routing.reserve_idle", 2)],
     "routing.reserve_idle", "at most 2 at once, after scale 0.5"),
    ("reserve_at_the_peak_of_a_varying_plan", "sq",
     [*SMALL_BLENDED, _set("staffing.operators", 0), _set("staffing.half_hourly", [2] * 16 + [4] * 32),
      _set("routing.reserve_idle", 4)], "routing.reserve_idle", "at most 4 at once"),
    ("reserve_half_hourly_at_the_headcount_in_every_half_hour", "sq",
     [*SMALL_BLENDED, _set("staffing.operators", 0), _set("staffing.half_hourly", [2] * 16 + [4] * 32),
      _set("routing.reserve_idle_half_hourly", [2] * 16 + [4] * 32)], "routing.reserve_idle_half_hourly",
     "in every half-hour of the week at or above the operators on duty"),
    ("reserve_at_the_headcount_of_the_only_group_for_online_work", "groups",
     [_set("arrivals.online.per_day", 100.0), _set("routing.groups.b.operators", 8),
      _set("routing.skills.online", ["a"]), _set("routing.reserve_idle", 5)],
     "routing.reserve_idle", "group a (at most 5 at once"),
    ("escalate_online_without_online_work", "sq", [_set("routing.escalate_after_s.online", 600.0)],
     "routing.escalate_after_s.online", "online demand"),
    ("escalate_not_positive", "sq", [_set("routing.escalate_after_s.call", 0.0)], "routing.escalate_after_s.call",
     "> 0"),
    ("callback_key_without_callbacks", "sq", [_set("routing.callback.accept_probability", 0.7)],
     "routing.callback.accept_probability", "callbacks on"),
    ("callback_probability", "sq", [_set("routing.callback.enabled", True),
                                    _set("routing.callback.accept_probability", 2.0)],
     "routing.callback.accept_probability", "[0, 1]"),
    ("callback_unknown_mode", "sq", [_set("routing.callback.enabled", True), _set("routing.callback.mode", "sms")],
     "routing.callback.mode", "unknown callback mode; use one of virtual_queue, window"),
    ("escalate_callback_in_virtual_queue", "sq", [_set("routing.callback.enabled", True),
                                                  _set("routing.escalate_after_s.callback", 60.0)],
     "routing.escalate_after_s.callback", "mode=window"),
    ("unknown_dispatch", "bj", [_set("workorders.dispatch", "fax")], "workorders.dispatch",
     "unknown dispatch policy; use one of direct, via_district"),
    ("unknown_assignment", "bj", [_set("workorders.assignment", "random")], "workorders.assignment",
     "unknown assignment policy"),
    ("assignment_types_unknown", "bj", [_set("workorders.assignment", "least_loaded"),
                                        _set("workorders.assignment_types", ["village"])],
     "workorders.assignment_types", "unknown unit type"),
    ("assignment_types_without_least_loaded", "bj", [_set("workorders.assignment_types", ["district"])],
     "workorders.assignment_types", "least_loaded"),
    ("district_review_without_via_district", "bj", [_set("workorders.district_catch_probability", 0.9)],
     "workorders.district_catch_probability", "via_district"),
]


@pytest.mark.parametrize("name,base,edits,key,rule", CASES, ids=[c[0] for c in CASES])
def test_routing_settings_rejected(bases, name, base, edits, key, rule):
    """Each broken routing or dispatch rule raises a ConfigError naming the key and the rule."""
    with pytest.raises(ConfigError) as err:
        _checked(bases[base], edits)
    assert err.value.key == key and rule in str(err.value), f"{name}: {err.value!s} (key {err.value.key})"


def test_valid_routing_settings_compose(compose_once):
    """Groups with skills and overflow, callbacks, aging and a reservation compose and validate."""
    cfg = compose_once("beijing_baseline", FAST + [
        "staffing.shifts=[]", "+routing.groups.general={operators:600}", "+routing.groups.enterprise={operators:10}",
        "+routing.skills.market_supervision=[enterprise,general]", "+routing.skills.online=[general]",
        "routing.overflow_after_s=20", "routing.reserve_idle=3", "routing.callback.enabled=true",
        "routing.callback.mode=window", "routing.escalate_after_s.callback=900", "routing.escalate_after_s.online=3600",
        "workorders.dispatch=via_district", "workorders.assignment=least_loaded"])
    assert list(cfg.routing.groups) == ["general", "enterprise"] and cfg.routing.reserve_idle == 3


# id, base, edits: reservations that leave blended work some moment (accepted)
RESERVE_ACCEPTED = [
    ("below_the_headcount", "sq", [*SMALL_BLENDED, _set("routing.reserve_idle", 2)]),
    ("below_the_peak_of_a_varying_plan", "sq", [*SMALL_BLENDED, _set("staffing.operators", 0),
                                                _set("staffing.half_hourly", [2] * 16 + [4] * 32),
                                                _set("routing.reserve_idle", 3)]),
    ("a_fractional_operator_some_of_the_time", "sq", [*SMALL_BLENDED, _set("scale", 0.5),
                                                      _set("routing.reserve_idle", 1)]),
    ("paused_in_some_half_hours", "sq", [*SMALL_BLENDED, _set("routing.reserve_idle_half_hourly", [3] * 47 + [2])]),
    ("a_larger_group_also_serves_online_work", "groups", [_set("arrivals.online.per_day", 100.0),
                                                          _set("routing.groups.b.operators", 8),
                                                          _set("routing.reserve_idle", 5)]),
    ("a_group_for_online_work_only_keeps_no_reservation", "groups",
     [_set("arrivals.online.per_day", 100.0), _set("routing.skills.all", ["a"]), _set("routing.skills.online", ["b"]),
      _set("routing.reserve_idle", 5)]),
]


@pytest.mark.parametrize("name,base,edits", RESERVE_ACCEPTED, ids=[c[0] for c in RESERVE_ACCEPTED])
def test_reservations_that_leave_blended_work_a_moment_are_accepted(bases, name, base, edits):
    """A reservation below the headcount at some moment of the week (however briefly), or kept by a group
    that serves no calls, or where another group serves the work, validates."""
    _checked(bases[base], edits)


def test_reported_reservation_at_the_headcount_is_one_line_exit_2(cli, tmp_path):
    """The reported command (3 operators, routing.reserve_idle=3, online work aged after 60 s) is refused:
    exit status 2, one stderr line naming the key, the value and the headcount, nothing written."""
    r = cli(["scenario=single_queue", "arrivals.phone.per_day=300", "arrivals.online.per_day=100",
             "staffing.operators=3", "routing.reserve_idle=3", "routing.escalate_after_s.online=60",
             "experiment.horizon_h=48", "experiment.warmup_h=0", "experiment.replications=1",
             f"report.dir={tmp_path}/r"])
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr[-2000:]
    assert lines[0].startswith("run_sim: error: routing.reserve_idle=3: at or above the operators on duty"), lines
    assert "give a value below 3" in lines[0] and "Traceback" not in r.stderr, lines
    assert not (tmp_path / "r").exists(), "a rejected command must leave the disk as it was"


def test_group_plan_form_on_the_command_line_replaces_the_scenarios(compose_once):
    """``routing.groups.<g>.<form>=...`` replaces the group's plan form, like ``staffing.<form>`` does."""
    cfg = compose_once("single_queue", FAST + GROUPS + ["routing.groups.a.half_hourly=[" + ",".join(["4"] * 48) + "]"])
    assert cfg.routing.groups["a"].operators == 0 and len(cfg.routing.groups["a"].half_hourly) == 48


def test_cli_routing_error_is_one_line_exit_2(cli, tmp_path):
    """An unknown group on the command line: exit status 2, one stderr line naming the key and the rule."""
    r = cli(["scenario=single_queue", *FAST, *GROUPS, "+routing.skills.all=[a,nosuch]", f"report.dir={tmp_path}/r"])
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr[-2000:]
    assert "routing.skills.all" in lines[0] and "unknown group" in lines[0] and "Traceback" not in r.stderr, lines
    assert not (tmp_path / "r").exists(), "a rejected command must leave the disk as it was"


def test_a_callback_offer_that_never_acted_is_noted(bases):
    """Callbacks on but never offered leave results identical to callbacks off: the run says so."""
    from sim.experiments.runner import unused_policy_note

    cfg = copy.deepcopy(bases["sq"])
    never = {"callbacks_offered": {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}}
    some = {"callbacks_offered": {"mean": 3.0, "ci_low": 1.0, "ci_high": 5.0}}
    assert unused_policy_note(cfg, never) is None  # callbacks off: nothing to say
    cfg.routing.callback.enabled = True
    note = unused_policy_note(cfg, never)
    assert note is not None and "routing.callback.offer_when_wait_s=60" in note
    assert unused_policy_note(cfg, some) is None
