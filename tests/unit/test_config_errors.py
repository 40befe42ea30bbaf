"""Bad input: every class of configuration error is rejected, naming the key and the value.

Three levels:

* :func:`sim.api.compose_config` raises :class:`sim.core.errors.ConfigError` (with
  ``.key`` / ``.value`` / ``.rule``) for every kind of bad input: a range or
  consistency rule, an unknown key or a wrong type (naming the argument as typed);
* the command line (``python run_sim.py``, through ``run_cli`` of
  ``tests/conftest.py``) exits with status 2 and prints exactly one stderr line
  naming the key and the value - no traceback;
* scenario files: :func:`sim.config.scenario_files.load_scenarios` on temporary folders
  (malformed YAML, a non-mapping, unknown or circular ``extends``), and a
  scenario with an unknown key registered from a temporary folder
  (tests/unit/test_scenario_files.py has the other malformed files).

``compose_config`` re-reads and re-registers every scenario file on each call;
this module registers them once and then stubs ``register`` out (returning the
scenarios read), which leaves composition, type checking and validation untouched.
"""

from __future__ import annotations

import copy
import math
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from sim.config.scenario_files import load_scenarios
from sim.config.schema import DistConfig, ShiftConfig, SurgeConfig
from sim.core.errors import ConfigError
from sim.model.checks import validate

ROOT = Path(__file__).resolve().parents[2]
FAST = ["experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.replications=1"]



def _with_fast(overrides):
    """FAST defaults, overridden by ``overrides`` (no duplicated keys)."""
    keys = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    return [f for f in FAST if f.split("=", 1)[0] not in keys] + list(overrides)


# --------------------------------------------------------------------------- compose_config
# id, overrides, expected exception type, key, value (None = do not check), substring of the rule/message
COMPOSE_CASES = [
    ("unknown_key", ["staffing.operatrs=4"], "arg", "staffing.operatrs", "4", "unknown key"),
    ("wrong_type", ["staffing.operators=abc"], "arg", "staffing.operators", "abc", "whole number"),
    ("negative_rate", ["arrivals.phone.per_day=-1"], ConfigError, "arrivals.phone.per_day", -1.0, ">= 0"),
    ("zero_demand_factor", ["arrivals.demand_factor=0"], ConfigError, "arrivals.demand_factor", 0.0, "(0, 100]"),
    ("huge_handle_factor", ["calls.handle_factor=101"], ConfigError, "calls.handle_factor", 101.0, "(0, 100]"),
    ("probability_gt_1", ["calls.retrial.probability=1.5"], ConfigError, "calls.retrial.probability", 1.5, "[0, 1]"),
    ("shares_not_1", ["categories.all.share=0.5"], ConfigError, "categories", {"all": 0.5}, "sum to 1"),
    ("surge_unknown_category", ["+arrivals.surges=[{name:rain,categories:[nosuch]}]"], ConfigError,
     "arrivals.surges[0].categories", "nosuch", "unknown category"),
    ("unknown_urgency_class", ["+categories.all.urgency.urgentish=1.0", "categories.all.urgency.general=0"],
     ConfigError, "categories.all.urgency.urgentish", 1.0, "unknown name"),
    ("profile_length", ["arrivals.phone.hourly_profile=[1,2,3]"], ConfigError, "arrivals.phone.hourly_profile",
     [1.0, 2.0, 3.0], "24 values"),
    ("warmup_ge_horizon", ["experiment.warmup_h=1"], ConfigError, "experiment.warmup_h", 1.0, "shorter"),
    ("horizon_not_interval_multiple", ["experiment.horizon_h=1.25"], ConfigError, "experiment.horizon_h", 1.25,
     "multiple"),
    ("unknown_family", ["calls.handle_s.dist=pareto"], ConfigError, "calls.handle_s.dist", "pareto",
     "unknown distribution"),
    # two plan forms given together (one form alone replaces the scenario's: tests/e2e/test_staffing_whatif.py)
    ("staffing_conflict", ["staffing.operators=5", "staffing.shifts=[{count:3}]"], ConfigError, "staffing.operators",
     5, "conflicts"),
    ("half_hourly_length", ["staffing.operators=0", "staffing.half_hourly=[1,2,3]"], ConfigError,
     "staffing.half_hourly", "<3 values>", "48 values"),
]


@pytest.mark.parametrize("name,overrides,exc,key,value,rule", COMPOSE_CASES, ids=[c[0] for c in COMPOSE_CASES])
def test_compose_config_rejects(compose_once, name, overrides, exc, key, value, rule):
    """compose_config('single_queue', bad override) raises; the error - and the one line the CLI makes of it
    (``sim.cli.one_line``) - names the key, the value and the rule."""
    from sim.cli import one_line

    argv = _with_fast(overrides)
    with pytest.raises(ConfigError) as info:
        compose_once("single_queue", argv)
    err = info.value
    line = one_line(err, ["scenario=single_queue", *argv])
    assert "\n" not in line, f"{overrides}: CLI message is not one line: {line!r}"
    if exc == "arg":  # an override the schema refuses: the message starts with the argument as typed
        assert line.startswith(f"{key}={value}: ") and rule in line, f"{overrides}: CLI line {line!r}"
        return
    assert err.key == key, f"{overrides}: key {err.key!r} != {key!r}"
    assert err.value == value, f"{overrides}: value {err.value!r} != {value!r}"
    assert rule in err.rule, f"{overrides}: rule {err.rule!r} lacks {rule!r}"
    assert line == str(err) and line.startswith((f"{key}=", f"+{key}=")), f"{overrides}: CLI line {line!r}"  # as typed


def test_compose_config_unknown_scenario(compose_once):
    """compose_config('nosuch') raises a ConfigError naming the missing scenario."""
    from sim.cli import one_line

    with pytest.raises(ConfigError) as info:
        compose_once("nosuch_scenario_xyz", FAST)
    line = one_line(info.value, ["scenario=nosuch_scenario_xyz"])
    assert line.startswith("scenario='nosuch_scenario_xyz'") and "single_queue" in line, line


def test_compose_config_accepts_the_documented_urgency_override_with_plus(compose_once):
    """Adding a class to the urgency mix with ``+key=value`` composes and validates."""
    cfg = compose_once("single_queue", _with_fast(["+categories.all.urgency.emergency=0.5",
                                                    "categories.all.urgency.general=0.5",
                                                    "categories.all.emergency_transfer_share=1.0"]))
    assert dict(cfg.categories["all"].urgency) == {"general": 0.5, "emergency": 0.5}


def test_compose_config_accepts_urgency_mix_as_a_mapping(compose_once):
    """``categories.all.urgency={emergency:0.5,general:0.5}`` sets the urgency mix of the category."""
    cfg = compose_once("single_queue", _with_fast(["categories.all.urgency={emergency:0.5,general:0.5}",
                                                    "categories.all.emergency_transfer_share=1.0"]))
    assert dict(cfg.categories["all"].urgency) == {"emergency": 0.5, "general": 0.5}


INF_BUG = ("BUG: check_number accepts +inf whenever there is no upper bound, so infinite rates, scales and "
           "multipliers pass validation and crash the run (ValueError: lam value too large / OverflowError); "
           "horizon_h=inf raises OverflowError (round(inf)) from validate instead of ConfigError")


@pytest.mark.parametrize("override,key", [
    ("arrivals.phone.per_day=inf", "arrivals.phone.per_day"),
    ("experiment.horizon_h=inf", "experiment.horizon_h"),
], ids=["per_day", "horizon"])
def test_compose_config_rejects_infinite_values(compose_once, override, key):
    """An infinite arrival rate or horizon is a ConfigError naming the key."""
    with pytest.raises(ConfigError) as info:
        compose_once("single_queue", _with_fast([override]))
    assert info.value.key == key, f"{override}: key {info.value.key!r}"


@pytest.mark.parametrize("scenario, typed, line", [
    # the key as typed, not the parameter of a distribution built from it (online.deadline_h.value=inf)
    ("beijing_baseline", ["scale=0.01", "online.deadline_h=1e308"], "online.deadline_h=1e308: must be <= 876,600"),
    # a list item typed with a dot is the item the error names with brackets
    ("beijing_baseline", ["scale=0.01", "staffing.shifts.0.cost_per_h=1e308"],
     "staffing.shifts.0.cost_per_h=1e308: must be <= 1,000,000"),
    # a non-finite parameter is not "must be > 0"
    ("single_queue", ["calls.handle_s.mean=inf"], "calls.handle_s.mean=inf: must be a finite number"),
], ids=["deadline", "shift_item", "infinite_mean"])
def test_cli_line_names_the_argument_as_typed(compose_once, scenario, typed, line):
    """The one line of the command line (``sim.cli.as_typed``) starts with the argument as the user typed it."""
    from sim.cli import as_typed

    argv = _with_fast(typed)
    with pytest.raises(ConfigError) as info:
        compose_once(scenario, argv)
    shown = as_typed(info.value, argv)
    assert shown.startswith(line), f"{typed}: {shown!r}"
    assert ".value" not in shown, shown


def test_computed_constant_is_not_a_setting():
    """A constant distribution built from a computed value (the online deadline in seconds) names no setting:
    a non-finite value is a ValueError of the code, never a ConfigError blaming a key the user did not type."""
    from sim.core.distributions import constant

    assert constant(7200.0).mean == 7200.0 and float(constant(7200.0).ppf(np.array([0.3]))[0]) == 7200.0
    for bad in (math.inf, -1.0, math.nan):
        with pytest.raises(ValueError) as info:
            constant(bad)
        assert not isinstance(info.value, ConfigError), f"constant({bad}) raised {info.value!r}"


# --------------------------------------------------------------------------- validate() on edited configs
@pytest.fixture(scope="module")
def good_cfg(compose_once):
    """A valid single_queue configuration (typed dataclasses) to break one field at a time."""
    return compose_once("single_queue", FAST)


def _edit(cfg, fn):
    cfg = copy.deepcopy(cfg)
    fn(cfg)
    return cfg


VALIDATE_CASES = [
    ("no_demand", lambda c: setattr(c.arrivals.phone, "per_day", 0.0), "arrivals.phone.per_day", 0.0),
    ("direct_share_gt_1", lambda c: setattr(c.categories["all"], "direct_share", 1.2),
     "categories.all.direct_share", 1.2),
    ("surge_unknown_channel", lambda c: c.arrivals.surges.append(SurgeConfig(channels=["fax"])),
     "arrivals.surges[0].channels", "fax"),
    ("urgency_not_1", lambda c: setattr(c.categories["all"], "urgency", {"general": 0.7}),
     "categories.all.urgency", {"general": 0.7}),
    ("unknown_priority_class", lambda c: setattr(c.calls, "priority_classes", ["bogus"]),
     "calls.priority_classes", "bogus"),
    ("day_of_week_length", lambda c: setattr(c.arrivals, "day_of_week", [1.0, 1.0]),
     "arrivals.day_of_week", [1.0, 1.0]),
    ("interval_not_dividing_day", lambda c: setattr(c.kpi, "interval_min", 7), "kpi.interval_min", 7),
    # report.compare_to: a variant's number or one of its overrides (key=value)
    ("compare_to_not_a_variant", lambda c: setattr(c.report, "compare_to", "plan"), "report.compare_to", "plan"),
    ("compare_to_no_value", lambda c: setattr(c.report, "compare_to", "staffing.policy="), "report.compare_to",
     "staffing.policy="),
    ("param_of_other_family", lambda c: setattr(c.calls.patience_s, "cv", 0.5), "calls.patience_s.cv", 0.5),
    ("negative_mean", lambda c: setattr(c.calls.handle_s, "mean", -5.0), "calls.handle_s.mean", -5.0),
    ("transfer_handle_negative", lambda c: setattr(c.calls.handle_transfer_s, "value", -5.0),
     "calls.handle_transfer_s.value", -5.0),
    ("no_staffing", lambda c: setattr(c.staffing, "operators", 0), "staffing.operators", 0),
    ("replications_zero", lambda c: setattr(c.experiment, "replications", 0), "experiment.replications", 0),
    ("scale_zero", lambda c: setattr(c, "scale", 0.0), "scale", 0.0),
    ("day_cv_too_big", lambda c: setattr(c.arrivals.phone, "day_cv", 11.0), "arrivals.phone.day_cv", 11.0),
    ("day_cv_nan", lambda c: setattr(c.arrivals.phone, "day_cv", math.nan), "arrivals.phone.day_cv", None),
    ("profile_negative", lambda c: c.arrivals.phone.hourly_profile.__setitem__(5, -1.0),
     "arrivals.phone.hourly_profile[5]", -1.0),
    ("profile_zero_sum", lambda c: setattr(c.arrivals.phone, "hourly_profile", [0.0] * 24),
     "arrivals.phone.hourly_profile", [0.0] * 24),
    ("dow_negative", lambda c: c.arrivals.day_of_week.__setitem__(3, -0.5), "arrivals.day_of_week[3]", -0.5),
    ("surge_negative_multiplier", lambda c: c.arrivals.surges.append(SurgeConfig(multiplier=-1.0)),
     "arrivals.surges[0].multiplier", -1.0),
    ("surge_zero_duration", lambda c: c.arrivals.surges.append(SurgeConfig(duration_h=0.0)),
     "arrivals.surges[0].duration_h", 0.0),
    ("start_weekday_7", lambda c: setattr(c.experiment, "start_weekday", 7), "experiment.start_weekday", 7),
    ("warmup_not_interval_multiple", lambda c: (setattr(c.experiment, "horizon_h", 24.0),
                                                setattr(c.experiment, "warmup_h", 0.1)),
     "experiment.warmup_h", 0.1),
    ("negative_seed", lambda c: setattr(c.experiment, "seed", -1), "experiment.seed", -1),
    ("confidence_1", lambda c: setattr(c.experiment, "confidence", 1.0), "experiment.confidence", 1.0),
    ("shrinkage_1", lambda c: setattr(c.staffing, "shrinkage", 1.0), "staffing.shrinkage", 1.0),
    ("max_retrials_negative", lambda c: setattr(c.calls.retrial, "max_retrials", -1),
     "calls.retrial.max_retrials", -1),
    ("retrial_delay_bad", lambda c: setattr(c.calls.retrial, "delay_s", DistConfig("exponential", mean=0.0)),
     "calls.retrial.delay_s.mean", 0.0),
    ("online_deadline_zero", lambda c: setattr(c.online, "deadline_h", 0.0), "online.deadline_h", 0.0),
    ("online_expire_zero", lambda c: setattr(c.online, "expire_h", 0.0), "online.expire_h", 0.0),
    ("category_handle_bad", lambda c: setattr(c.categories["all"], "handle_s", DistConfig("gamma", mean=5.0)),
     "categories.all.handle_s.cv", None),
    ("category_patience_bad", lambda c: setattr(c.categories["all"], "patience_s", DistConfig("exponential")),
     "categories.all.patience_s.mean", None),
    ("handle_factor_length", lambda c: setattr(c.calls, "handle_factor_half_hourly", [1.0] * 24),
     "calls.handle_factor_half_hourly", "<24 values>"),
    ("handle_factor_zero", lambda c: setattr(c.calls, "handle_factor_half_hourly", [1.0] * 47 + [0.0]),
     "calls.handle_factor_half_hourly[47]", 0.0),
    ("handle_factor_nan", lambda c: setattr(c.calls, "handle_factor_half_hourly", [math.nan] + [1.0] * 335),
     "calls.handle_factor_half_hourly[0]", None),
    ("no_categories", lambda c: c.categories.clear(), "categories", None),
    # a plan is one form (a tagged union): an edit replaces the form (ShiftConfig made in code is checked by validate)
    ("half_hourly_negative", lambda c: setattr(c, "staffing", c.staffing.with_form(half_hourly=[1] * 47 + [-1])),
     "staffing.half_hourly[47]", -1),
    ("shift_start_24", lambda c: setattr(c, "staffing", c.staffing.with_form(
        shifts=[ShiftConfig(start_h=24.0, count=1)])), "staffing.shifts[0].start_h", 24.0),
    ("shift_length_25", lambda c: setattr(c, "staffing", c.staffing.with_form(
        shifts=[ShiftConfig(length_h=25.0, count=1)])), "staffing.shifts[0].length_h", 25.0),
    ("shift_day_7", lambda c: setattr(c, "staffing", c.staffing.with_form(shifts=[ShiftConfig(count=1, days=[0, 7])])),
     "staffing.shifts[0].days[1]", 7),
]


@pytest.mark.parametrize("name,edit,key,value", VALIDATE_CASES, ids=[c[0] for c in VALIDATE_CASES])
def test_validate_rejects(good_cfg, name, edit, key, value):
    """validate() of a valid config with one field broken raises ConfigError naming that key and value."""
    validate(good_cfg)  # the starting point is valid
    with pytest.raises(ConfigError) as info:
        validate(_edit(good_cfg, edit))
    assert info.value.key == key, f"{name}: key {info.value.key!r} != {key!r} ({info.value})"
    if value is not None:
        assert info.value.value == value, f"{name}: value {info.value.value!r} != {value!r}"
    assert str(info.value).startswith(f"{key}="), f"{name}: message {info.value}"


def test_two_plan_forms_are_refused(good_cfg):
    """A plan given in two forms (data with half_hourly and shifts) names the first form and the conflict."""
    from sim.config.errors import config_of

    data = good_cfg.model_dump()
    data["staffing"] = {**data["staffing"], "operators": 0, "half_hourly": [1] * 48, "shifts": [{"count": 1}]}
    with pytest.raises(ConfigError) as info:
        config_of(data)
    assert (info.value.key, info.value.value) == ("staffing.half_hourly", "<48 values>"), info.value
    assert "conflicts with staffing.shifts" in info.value.rule, info.value


@pytest.mark.parametrize("edit,key", [
    (lambda c: setattr(c, "scale", math.inf), "scale"),
    (lambda c: c.arrivals.surges.append(SurgeConfig(multiplier=math.inf)), "arrivals.surges[0].multiplier"),
    (lambda c: setattr(c.arrivals.online, "per_day", math.inf), "arrivals.online.per_day"),
], ids=["scale", "surge_multiplier", "online_per_day"])
def test_validate_rejects_infinite_values(good_cfg, edit, key):
    """An infinite scale, surge multiplier or online rate is a ConfigError naming the key."""
    with pytest.raises(ConfigError) as info:
        validate(_edit(good_cfg, edit))
    assert info.value.key == key, f"key {info.value.key!r} != {key!r}"


# --------------------------------------------------------------------------- scenario files
def _folder(tmp_path, files):
    d = tmp_path / "scenarios"
    d.mkdir()
    for name, text in files.items():
        (d / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return d


def test_scenarios_extends_merges_mappings_and_replaces_lists(tmp_path):
    """A child's mapping keys merge over the parent's, lists replace, and a child distribution replaces the
    parent's as a whole (parameters of the parent's family become null)."""
    d = _folder(tmp_path, {
        "parent.yaml": """
            arrivals:
              phone: {per_day: 100, hourly_profile: [1, 2]}
            calls:
              handle_s: {dist: lognormal, mean: 200, cv: 0.5}
            staffing: {operators: 4}
            """,
        "child.yaml": """
            extends: parent
            arrivals:
              phone: {hourly_profile: [5]}
            calls:
              handle_s: {dist: exponential, mean: 100}
            """,
    })
    scenarios = load_scenarios(d)
    assert scenarios.names == ["child", "parent"] and not scenarios.errors, scenarios
    child = scenarios.data["child"]
    assert child["scenario"] == "child" and "extends" not in child, child
    assert child["arrivals"]["phone"]["per_day"] == 100, "mapping key of the parent lost"
    assert child["arrivals"]["phone"]["hourly_profile"] == [5], "list not replaced"
    assert child["calls"]["handle_s"]["dist"] == "exponential" and child["calls"]["handle_s"]["mean"] == 100
    assert child["calls"]["handle_s"]["cv"] is None, "parent's lognormal cv leaked into the child's exponential"
    assert child["staffing"]["operators"] == 4
    assert scenarios.data["parent"]["calls"]["handle_s"]["cv"] == 0.5


@pytest.mark.parametrize("files,name,message", [
    ({"broken.yaml": "staffing: [1, 2\n"}, "broken", "scenarios/broken.yaml, line 2: not valid YAML"),
    ({"tabs.yaml": "a:\n\t- b\n"}, "tabs", "scenarios/tabs.yaml, line 2: not valid YAML"),
    ({"list.yaml": "- 1\n- 2\n"}, "list", "scenarios/list.yaml, line 1: must be a mapping"),
    ({"a.yaml": "extends: nothere\n"}, "a", "scenarios/a.yaml, line 1: extends='nothere': unknown scenario"),
    ({"a.yaml": "extends: b\n", "b.yaml": "extends: a\n"}, "a", "circular: a -> b -> a"),
    ({"self.yaml": "extends: self\n"}, "self", "scenarios/self.yaml, line 1: extends='self': circular: self -> self"),
], ids=["malformed", "tab_indent", "not_a_mapping", "unknown_extends", "circular", "self_extends"])
def test_scenario_folder_errors(tmp_path, files, name, message):
    """load_scenarios on a temporary folder keeps a ConfigError for the broken scenario, naming the file, the line
    and the rule - and the folder's other scenario stays usable."""
    d = _folder(tmp_path, {"ok.yaml": "staffing: {operators: 3}\n", **files})
    scenarios = load_scenarios(d)
    assert "ok" in scenarios.data and "ok" not in scenarios.errors, scenarios.errors.get("ok")
    err = scenarios.errors[name]
    assert message in str(err), f"{files}: {err}"
    if "circular" in message:
        assert err.rule.count("->") <= 2, f"{files}: cycle reported late: {err.rule}"
    assert "\n" not in str(err), f"message is not one line: {str(err)!r}"


def test_a_file_named_like_the_scenario_it_extends_is_told_it_replaces_it(tmp_path):
    """A folder of one's own holding single_queue.yaml with 'extends: single_queue' (to change a built-in scenario in
    place) was refused as "circular: single_queue -> single_queue"; the file replaces the built-in one, so it cannot
    extend it, and the message now says so and what to do.  A file alone in its folder extending itself stays a
    circle."""
    from sim.config.paths import BUILTIN_SCENARIO_DIR

    own = _folder(tmp_path, {"single_queue.yaml": "extends: single_queue\nstaffing: {operators: 100}\n",
                             "my_sq.yaml": "extends: rainstorm\n"})
    scenarios = load_scenarios([BUILTIN_SCENARIO_DIR, own])
    err = str(scenarios.errors["single_queue"])
    assert err.startswith("scenarios/single_queue.yaml, line 1: extends='single_queue': this file replaces the "
                          "scenario 'single_queue' of the same name, so it cannot extend it; give the file another "
                          "name (my_single_queue.yaml)"), err
    assert "my_sq" in scenarios.data and "rainstorm" in scenarios.data


def test_empty_scenario_file_is_an_empty_scenario(tmp_path):
    """An empty YAML file is a scenario with no keys (named after the file)."""
    scenarios = load_scenarios(_folder(tmp_path, {"empty.yaml": ""}))
    assert scenarios.data["empty"] == {"scenario": "empty"}, scenarios.data


@pytest.fixture(scope="module")
def bad_key_scenario_error(tmp_path_factory, compose_once):
    """The exception of composing a scenario file (registered from a temp folder) that holds an unknown key."""
    import sim.api
    from sim.config.hydra_setup import register

    src = (ROOT / "scenarios" / "single_queue.yaml").read_text(encoding="utf-8")
    d = tmp_path_factory.mktemp("scen")
    (d / "utest_base_sq.yaml").write_text(src, encoding="utf-8")
    (d / "utest_bad_key.yaml").write_text("extends: utest_base_sq\nstaffing:\n  operatorz: 5\n", encoding="utf-8")
    scenarios = register(d)  # the temp folder's scenarios (the project's scenarios stay registered with Hydra)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.api, "register", lambda *a, **k: scenarios)
        try:
            sim.api.compose_config("utest_bad_key", FAST)
        except ConfigError as exc:
            return exc
    pytest.fail("a scenario with the unknown key staffing.operatorz composed without error")


def test_scenario_unknown_key_is_rejected(bad_key_scenario_error):
    """A scenario file with an unknown key fails composition; the message names the file, line, key and a fix."""
    assert str(bad_key_scenario_error).startswith("scen"), str(bad_key_scenario_error)
    for part in ("utest_bad_key.yaml, line 3: staffing.operatorz", "did you mean staffing.operators?"):
        assert part in str(bad_key_scenario_error), str(bad_key_scenario_error)


def test_one_line_names_unknown_key_of_scenario_file(bad_key_scenario_error):
    """The CLI's one-line message for a scenario file with ``staffing.operatorz: 5`` names the key."""
    from sim.cli import one_line

    line = one_line(bad_key_scenario_error, ["scenario=utest_bad_key"])
    assert "staffing.operatorz" in line, line


# --------------------------------------------------------------------------- command line
# Each CLI case is a fresh interpreter (~2-3 s of CPU: scipy, Hydra and the scenario files).  The subprocesses of
# the selected CLI tests are started in background threads when this module starts (autouse fixture below), so
# they run while the in-process tests above use the other core; the CLI tests at the end collect the results.
BASE_ARGS = {"scenario": "single_queue", "experiment.horizon_h": "1", "experiment.warmup_h": "0",
             "experiment.replications": "1", "experiment.progress": "false", "report.plots": "false",
             "report.html": "false"}
# id -> (extra args (replacing BASE_ARGS keys), strings the single stderr line must contain: key, value, rule)
CLI_CASES = {
    "unknown_key": (["staffing.operatrs=4"], ["staffing.operatrs=4", "unknown key"]),
    "wrong_type": (["staffing.operators=abc"], ["staffing.operators=abc", "whole number"]),
    "negative_rate": (["arrivals.phone.per_day=-1"], ["arrivals.phone.per_day=-1", ">= 0"]),
    "zero_demand_factor": (["arrivals.demand_factor=0"], ["arrivals.demand_factor=0: must be in (0, 100]"]),
    "negative_handle_factor": (["calls.handle_factor=-1.1"], ["calls.handle_factor=-1.1: must be in (0, 100]"]),
    "probability_gt_1": (["calls.retrial.probability=1.5"], ["calls.retrial.probability=1.5", "[0, 1]"]),
    "shares_not_1": (["categories.all.share=0.5"], ["categories=", "0.5", "sum to 1"]),
    "surge_unknown_category": (["+arrivals.surges=[{name:rain,categories:[nosuch]}]"],
                               ["arrivals.surges[0].categories='nosuch'", "unknown category"]),
    "unknown_urgency_class": (["+categories.all.urgency.urgentish=1.0", "categories.all.urgency.general=0"],
                              ["categories.all.urgency.urgentish=1.0", "unknown name"]),
    "profile_length": (["arrivals.phone.hourly_profile=[1,2,3]"],
                       ["arrivals.phone.hourly_profile=[1,2,3]", "24 values"]),
    "warmup_ge_horizon": (["experiment.warmup_h=1"], ["experiment.warmup_h=1", "shorter"]),
    "horizon_not_interval_multiple": (["experiment.horizon_h=1.25"], ["experiment.horizon_h=1.25", "multiple"]),
    "unknown_scenario": (["scenario=nosuch"], ["scenario='nosuch'", "single_queue"]),
    "unknown_family": (["calls.handle_s.dist=pareto"], ["calls.handle_s.dist=pareto", "unknown distribution"]),
    "staffing_conflict": (["staffing.operators=5", "staffing.shifts=[{count:3}]"],
                          ["staffing.operators=5", "staffing.shifts"]),
    "half_hourly_length": (["staffing.operators=0", "staffing.half_hourly=[1,2,3]"],
                           ["staffing.half_hourly=[1,2,3]", "48 values"]),
    # an option Hydra's argparse answered with its usage text (the other arguments it mishandled are checked
    # in-process through sim.cli.main by tests/unit/test_overrides.py)
    "unknown_option": (["--nope"], ["--nope: unknown option"]),
}
# sim.cli.main with the scenario folder replaced by a temporary one (the project's folder stays untouched)
WRAPPER = """
import sys
from pathlib import Path
import sim.config.hydra_setup as hs
folder = Path(sys.argv.pop(1))
_register = hs.register
hs.register = lambda scenario_dir=folder, files=(): _register(scenario_dir, files)
from sim.cli import main
main()
"""
# id -> (scenario files (None = a copy of single_queue.yaml), extra args, strings the stderr line must contain)
WRAPPED_CASES = {
    "scenario_malformed_yaml": ({"good.yaml": None, "broken.yaml": "a: [1, 2\n"},
                                ["scenario=broken"], ["scenarios/broken.yaml, line 2: not valid YAML"]),
    "scenario_unknown_key": ({"utest_sq.yaml": None, "bad.yaml": "extends: utest_sq\nstaffing:\n  operatorz: 5\n"},
                             ["scenario=bad"], []),
    # a broken file breaks only the runs that use it: the folder's other scenario still runs
    "other_scenario_runs": ({"good.yaml": None, "broken.yaml": "a: [1, 2\n", "dup.yaml": "a: 1\na: 2\n"},
                            ["scenario=good"], []),
}


def _args(extra, report_dir):
    args = dict(BASE_ARGS, **{"report.dir": str(report_dir)})
    options = [a for a in extra if a.startswith("-") or "=" not in a]
    for a in extra:
        if a in options:
            continue
        k, v = a.split("=", 1)
        args.pop(k.lstrip("+~"), None)
        args[k] = v
    return [f"{k}={v}" for k, v in args.items()] + options


def _job(name, tmp_path_factory):
    """A no-argument function running CLI case ``name`` and returning its CompletedProcess."""
    import subprocess

    from support import run_cli  # the function behind the `cli` fixture

    d = tmp_path_factory.mktemp(f"cli_{name}")
    if name in CLI_CASES:
        return lambda: run_cli(_args(CLI_CASES[name][0], d / "report"), timeout=300)
    files, extra, _ = WRAPPED_CASES[name]
    scen = d / "scenarios"
    scen.mkdir()
    for fname, text in files.items():
        if text is None:
            text = (ROOT / "scenarios" / "single_queue.yaml").read_text(encoding="utf-8")
        (scen / fname).write_text(text, encoding="utf-8")
    cmd = [sys.executable, "-c", WRAPPER, str(scen), *_args(extra, d / "report")]
    return lambda: subprocess.run(cmd, cwd=str(ROOT), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module", autouse=True)
def cli_runs(request, tmp_path_factory):
    """Futures of the CLI runs needed by the selected tests of this module, started in two background threads."""
    wanted = []
    for item in request.session.items:
        if getattr(item, "module", None) is request.module and hasattr(item, "callspec"):
            case = item.callspec.params.get("cli_case")
            if case is not None and case not in wanted:
                wanted.append(case)
    ex = ThreadPoolExecutor(max_workers=2)
    futures = {name: ex.submit(_job(name, tmp_path_factory)) for name in wanted}
    yield futures
    ex.shutdown(wait=True, cancel_futures=True)


def _one_line(r, expect, label):
    assert r.returncode == 2, f"{label}: exit status {r.returncode}\nstderr:\n{r.stderr[-2000:]}"
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"{label}: {len(lines)} stderr lines:\n{r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr and lines[0].startswith("run_sim: error: "), lines[0]
    for s in expect:
        assert s in lines[0], f"{label}: {s!r} not in stderr line {lines[0]!r}"
    return lines[0]


# One case per error path of sim.cli.main runs by default; the other classes of bad input take the same path as
# negative_rate (ConfigError -> one line), their message text is checked in-process by test_compose_config_rejects,
# so their (slow: one interpreter each) CLI runs are marked slow.
CLI_FAST = ("unknown_key", "wrong_type", "negative_rate", "unknown_scenario", "unknown_option", "zero_demand_factor")


@pytest.mark.parametrize("cli_case", [c if c in CLI_FAST else pytest.param(c, marks=pytest.mark.slow)
                                      for c in CLI_CASES])
def test_cli_bad_input_one_line_exit_2(cli_runs, cli_case):
    """``run_sim.py <bad override>`` exits 2 with exactly one stderr line naming the key, the value and the rule."""
    extra, expect = CLI_CASES[cli_case]
    _one_line(cli_runs[cli_case].result(), expect, f"run_sim.py {' '.join(extra)}")


@pytest.mark.parametrize("cli_case", ["scenario_malformed_yaml", "scenario_unknown_key"])
def test_cli_bad_scenario_file_one_line_exit_2(cli_runs, cli_case):
    """A malformed YAML file, or a scenario file with an unknown key, in the scenario folder: exit 2, one line."""
    files, extra, expect = WRAPPED_CASES[cli_case]
    _one_line(cli_runs[cli_case].result(), expect, f"{cli_case}: {files}")


@pytest.mark.parametrize("cli_case", ["other_scenario_runs"])
def test_cli_broken_scenario_file_does_not_stop_other_scenarios(cli_runs, cli_case):
    """With a malformed file and a file with a duplicate key in the scenario folder, another scenario runs."""
    r = cli_runs[cli_case].result()
    assert r.returncode == 0 and "Report: " in r.stdout, r.stderr[-2000:]


@pytest.mark.parametrize("cli_case", ["scenario_unknown_key"])
def test_cli_scenario_unknown_key_names_the_key(cli_runs, cli_case):
    """The one stderr line for a scenario file with ``staffing.operatorz: 5`` names ``staffing.operatorz``."""
    line = cli_runs[cli_case].result().stderr.strip()
    assert "staffing.operatorz" in line, line
