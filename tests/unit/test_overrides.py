"""Command-line overrides: what Hydra mishandled merges or ends in one line naming the argument as typed.

The issue's examples, each a test: a distribution set on a node the scenario
leaves unset (a category's own handle time, ``online.handle_work_order_s``), a
field of such a distribution, an empirical distribution with nested lists, a new
category, a value Hydra cannot parse, ``=5``, ``--nope``, ``+experiment.nope=1``,
a key given twice, ``~calls``, ``report.plots=2``; and a fuzz of malformed
arguments, each of which must compose or end in one :class:`ConfigError` line.

The argument errors are run through :func:`sim.cli.main` in this process (they
end before Hydra starts, so no run and no folder), and through
:func:`sim.api.compose_config`, which must give the same message.
"""

from __future__ import annotations

import random

import pytest

from sim.config.errors import TypeRule
from sim.config.schema import Config, DistConfig
from sim.config.tree import fields, node
from sim.core.distributions import make_distribution
from sim.core.errors import ConfigError
from sim.model.compile import DIRECT, WORK_ORDER, compile_config

FAST = ["experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.replications=1"]


@pytest.fixture(scope="module")
def compose():
    """``compose_config`` with the project's scenarios registered once for the module (for sim.cli.main too)."""
    import sim.api
    import sim.config.hydra_setup

    scenarios = sim.config.hydra_setup.register()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.api, "register", lambda *a, **k: scenarios)
        mp.setattr(sim.config.hydra_setup, "register", lambda *a, **k: scenarios)
        yield sim.api.compose_config


# --------------------------------------------------------------------------- distributions
def test_distribution_on_nodes_the_scenario_leaves_unset(compose):
    """``categories.market_supervision.handle_s={dist:exponential,mean:300}`` and
    ``online.handle_work_order_s={...}`` (null in beijing_baseline) compose, and the run uses them."""
    cfg = compose("beijing_baseline", ["categories.market_supervision.handle_s={dist:exponential,mean:300}",
                                       "online.handle_work_order_s={dist:gamma,mean:400,cv:0.5}"])
    own = cfg.categories["market_supervision"].handle_s
    assert (own.dist, own.mean, own.cv) == ("exponential", 300.0, None), own
    wo = cfg.online.handle_work_order_s
    assert (wo.dist, wo.mean, wo.cv) == ("gamma", 400.0, 0.5), wo
    comp = compile_config(cfg)
    i = comp.categories.index("market_supervision")
    assert comp.handle["phone"][DIRECT][i].mean == pytest.approx(300.0)
    assert comp.handle["online"][WORK_ORDER][i].mean == pytest.approx(400.0)
    other = comp.categories.index("housing_property")
    assert comp.handle["phone"][DIRECT][other].mean == pytest.approx(cfg.calls.handle_s.mean), "others unchanged"


def test_distribution_given_whole_replaces_the_scenarios(compose):
    """A distribution given with its family replaces the scenario's as a whole (its cv does not linger), as in
    a scenario file; one given without a family changes only the parameters named."""
    cfg = compose("beijing_baseline", ["calls.handle_s={dist:exponential,mean:200}"])
    assert (cfg.calls.handle_s.dist, cfg.calls.handle_s.mean, cfg.calls.handle_s.cv) == ("exponential", 200.0, None)
    cfg = compose("beijing_baseline", ["calls.handle_s={mean:200}"])
    assert (cfg.calls.handle_s.dist, cfg.calls.handle_s.mean) == ("lognormal", 200.0)
    assert cfg.calls.handle_s.cv is not None


def test_distribution_sweep_over_an_unset_node():
    """``-m categories.all.handle_s={...},{...}`` becomes one whole distribution per value that Hydra's sweeper can
    split, each with the parameters it does not give set to null."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.config.hydra_setup import register
    from sim.config.overrides import prepare_overrides

    out = prepare_overrides(["categories.all.handle_s={dist:exponential,mean:200},{dist:gamma,mean:200,cv:0.5}"],
                            register(), "single_queue")
    assert len(out) == 1 and out[0].startswith("++categories.all.handle_s={dist:exponential,mean:200,cv:null"), out
    jobs = list(OverridesParser.create().parse_overrides(out)[0].sweep_string_iterator())
    assert len(jobs) == 2 and "exponential" in jobs[0] and "gamma" in jobs[1], jobs


@pytest.mark.parametrize("arg", ["online.handle_work_order_s.mean=300", "online.handle_work_order_s={mean:300}",
                                 "categories.all.handle_s.cv=0.5"])
def test_part_of_an_unset_distribution_is_one_clear_line(compose, arg):
    """A field of a distribution the scenario leaves unset cannot be set alone: one line says to give it whole."""
    with pytest.raises(ConfigError) as info:
        compose("single_queue", [*FAST, arg])
    msg = str(info.value)
    assert msg.startswith(f"{arg}: ") and "is unset (null)" in msg and "={dist:exponential,mean:300}" in msg, msg


def test_empirical_distribution_with_nested_lists(compose):
    """``values: [[1, 2], [3]]`` is refused naming values[0], from the command line and from Python."""
    arg = "calls.handle_s={dist:empirical,values:[[1,2],[3]]}"
    with pytest.raises(ConfigError) as info:
        compose("single_queue", [*FAST, arg])
    assert str(info.value).startswith(f"{arg}: calls.handle_s.values[0]: must be a number"), str(info.value)
    for bad in ([[1.0, 2.0], [3.0]], ["a"], [True], [{"a": 1}]):
        with pytest.raises(ConfigError) as info:
            make_distribution(DistConfig.model_construct(dist="empirical", values=bad), "x")  # unchecked, as data
        assert info.value.key == "x.values[0]", (bad, info.value)


# --------------------------------------------------------------------------- categories
@pytest.mark.parametrize("args", [
    ["++categories.extra={share:0.25,handle_s:{dist:exponential,mean:100}}"],
    ["+categories.extra.share=0.25", "+categories.extra.handle_s={dist:exponential,mean:100}"],
    ["+categories.extra.share=0.25", "categories.extra.handle_s={dist:exponential,mean:100}"],
], ids=["mapping", "keys", "a_field_of_the_added_entry"])
def test_new_category_from_the_command_line(compose, args):
    """A category added with + gets the schema's defaults for the keys not given; shares must still sum to 1."""
    cfg = compose("single_queue", [*FAST, *args, "categories.all.share=0.75"])
    extra = cfg.categories["extra"]
    assert (extra.share, extra.direct_share, dict(extra.urgency)) == (0.25, 1.0, {"general": 1.0}), extra
    assert extra.handle_s is not None and (extra.handle_s.dist, extra.handle_s.mean) == ("exponential", 100.0)
    with pytest.raises(ConfigError) as info:
        compose("single_queue", [*FAST, *args])
    assert info.value.key == "categories" and "sum to 1" in info.value.rule, info.value


def test_new_category_without_plus_names_it_and_says_how(compose):
    """``categories.extra.share=0.1`` (no such category, no +) is one line naming it and how to add one."""
    with pytest.raises(ConfigError) as info:
        compose("single_queue", [*FAST, "categories.extra.share=0.1"])
    msg = str(info.value)
    assert msg.startswith("categories.extra.share=0.1: scenario 'single_queue' has no categories.extra"), msg
    assert "+categories.extra.share=0.1" in msg, msg


# --------------------------------------------------------------------------- argument errors, CLI and API
ARG_CASES = [
    (["=5"], "=5: not an override"),
    (["x"], "x: not an override"),
    (["--nope"], "--nope: unknown option"),
    (["--multi"], "--multi: unknown option; did you mean --multirun?"),
    (["--cfg"], "--cfg: needs a value (job | hydra | all)"),
    (["--cfg", "bogus"], "--cfg bogus: 'bogus' is not one of job | hydra | all"),
    (["arrivals.day_of_week=[1,2"], "arrivals.day_of_week=[1,2: cannot parse"),
    (["staffing.operators=1=2"], "staffing.operators=1=2: cannot parse"),
    (["+experiment.nope=1"], "+experiment.nope=1: unknown key"),
    (["++calls.handel_s={dist:exponential,mean:1}"], "did you mean calls.handle_s?"),
    (["~calls"], "~calls: deleting a key (~) is not supported"),
    (["~calls.retrial.probability=0"], "deleting a key (~) is not supported"),
    (["report.plots=2"], "report.plots=2: must be true or false"),
    (["report.plots=yes"], "report.plots=yes: must be true or false"),
    (["report.plots=0"], "report.plots=0: must be true or false"),
    (["experiment.seed=1", "experiment.seed=2"],
     "experiment.seed=2: experiment.seed is given twice (experiment.seed=1 and experiment.seed=2)"),
    (["experiment.seed=1", "+experiment.seed=2"], "is given twice"),
    (["staffing.operatrs=3"], "staffing.operatrs=3: unknown key; did you mean staffing.operators?"),
    (["experimnt.seed=3"], "experimnt.seed=3: unknown key; did you mean experiment?"),
    (["categories.al.share=1"], "did you mean categories.all?"),
    (["scenario=single_queu"], "did you mean single_queue?"),
    (["staffing.operators.x=3"], "staffing.operators.x=3: unknown key: staffing.operators is a single value"),
    (["arrivals.surges.0.start_h=3"], "no position 0"),
    (["experiment@foo.seed=3"], "@package is not supported"),
    (["+calls.handle_s.mean=3"], "+calls.handle_s.mean=3: calls.handle_s.mean already has a value"),
    (["staffing.operators=abc"], "staffing.operators=abc: must be a whole number"),
    (["staffing.operators=true"], "staffing.operators=true: must be a whole number, not true/false"),
    (["description={a:1}"], "description={a:1}: must be text, not a mapping"),
    (["arrivals.day_of_week=[[1]]"], "arrivals.day_of_week=[[1]]: arrivals.day_of_week[0]: must be a number"),
    (["staffing.shifts=[{count:1,dayz:[1]}]"], "did you mean staffing.shifts[0].days?"),
    (["calls.handle_s=null"], "calls.handle_s=null: must not be null"),
]


@pytest.mark.parametrize("argv,expect", ARG_CASES, ids=[" ".join(a) for a, _ in ARG_CASES])
def test_argument_errors_are_one_line_naming_the_argument(compose, capsys, tmp_path, argv, expect):
    """``run_sim.py ARG``: exit 2, one stderr line naming ARG as typed, no report folder; compose_config raises a
    ConfigError with the same message."""
    from sim.cli import main

    out = tmp_path / "report"
    with pytest.raises(SystemExit) as info:
        scenario = [] if any(a.startswith("scenario=") for a in argv) else ["scenario=single_queue"]
        main([*scenario, f"report.dir={out}", *argv])
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert info.value.code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("run_sim: error: ") and expect in lines[0], lines[0]
    assert not out.exists()
    if not any(a.startswith("-") for a in argv) and not any(a.startswith("scenario=") for a in argv):
        with pytest.raises(ConfigError) as err:
            compose("single_queue", argv)
        assert str(err.value) == lines[0].removeprefix("run_sim: error: "), (str(err.value), lines[0])


def test_compose_config_wants_a_list_of_strings(compose):
    """``compose_config("single_queue", "staffing.operators=3")`` (a string, not a list) is one clear error."""
    with pytest.raises(ConfigError) as info:
        compose("single_queue", "staffing.operators=3")
    assert info.value.key == "overrides" and "list of strings" in info.value.rule, info.value


# --------------------------------------------------------------------------- fuzz
_KINDS = {bool: "bool", int: "int", float: "float", str: "str"}


def _leaf_keys(record=Config, prefix=""):
    """Dotted keys of the schema's fields (records' fields only) and their kinds, e.g. calls.retrial.probability."""
    for name, t in fields(record).items():
        key = f"{prefix}{name}"
        kind, arg = node(t)
        yield key, _KINDS.get(arg, "str") if kind == "value" else kind
        if kind == "record":
            yield from _leaf_keys(arg, key + ".")


TYPED = {"float": ["0.5", "2", "-1", "0", "1e9", "nan"], "int": ["1", "0", "-3", "7", "100"], "bool": ["true", "false"],
         "str": ["abc", "''", "dask", "tcp://127.0.0.1:1"], "record": ["{dist:exponential,mean:3}", "{mean:3}", "{}"],
         "list": ["[1,2]", "[]", "[0.5]"], "mapping": ["{general:1}", "{}", "{all:{share:1}}"]}


VALUES = ["1", "-1", "0", "2", "0.5", "1e9", "abc", "true", "false", "null", "[1,2", "[[1]]", "{a:1}", "[]", "{}",
          "'x'", "1,2", "${nope}", "", "[1,2,3]", "nan", "inf", "{dist:exponential,mean:3}", "{mean:3}", "=", "}",
          "{dist:empirical,values:[[1]]}", "[{count:1}]", "range(1,3)", "'a b'", "tcp://x:1", "{general:1}"]


def _mutate(key: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return key
    if roll < 0.7 and len(key) > 3:
        i = rng.randrange(len(key))
        return key[:i] + key[i + 1:]
    if roll < 0.8:
        return key + ".x"
    if roll < 0.9:
        return "categories.all." + key.split(".")[-1]
    return key.replace(".", rng.choice(["..", "[", "/", " "]), 1)


def test_fuzz_malformed_overrides_end_in_a_config_or_one_line(compose):
    """100 random arguments (schema keys, misspelt or extended, with +/++/~ and odd values): each composes to a
    valid Config or raises one ConfigError whose message is one line naming a key of the schema or the argument."""
    rng = random.Random(8)
    keys = sorted(set(_leaf_keys()))
    kinds = dict(keys)
    top = set(fields(Config)) | {"scenario"}
    outcomes = {"ok": 0, "refused before Hydra": 0, "refused after": 0}
    for _ in range(100):
        args = []
        for _ in range(rng.choice([1, 1, 2])):
            key = rng.choice(keys)[0]
            value = rng.choice(TYPED[kinds[key]] if rng.random() < 0.5 else VALUES)
            args.append(f"{rng.choice(['', '', '', '+', '++', '~'])}{_mutate(key, rng)}={value}")
        try:
            compose("single_queue", [*FAST, *args])
            outcomes["ok"] += 1
        except ConfigError as exc:
            # a rule of the checks (not a value of the wrong kind) is named as typed too, re-raised from its context
            after = isinstance(exc.__context__, ConfigError) and not isinstance(exc.__context__, TypeRule)
            outcomes["refused after" if after or exc.shown not in args else "refused before Hydra"] += 1
            msg = str(exc)
            assert "\n" not in msg and "Traceback" not in msg, (args, msg)
            named = any(msg.startswith(a) for a in args) or exc.key.split(".")[0].split("[")[0] in top
            assert named, (args, msg)
    assert outcomes["refused before Hydra"] > 40 and outcomes["ok"] + outcomes["refused after"] > 10, outcomes


@pytest.mark.parametrize("recorded, given", [
    ("++calls.patience_s={dist:exponential,mean:90,cv:null,median:null,p90:null,shape:null,scale:null,low:null,"
     "high:null,value:null,values:null}", "calls.patience_s={dist:exponential,mean:90}"),
    ("++calls.handle_s={dist:lognormal,mean:240,cv:0.5,median:null},{dist:exponential,mean:200,cv:null}",
     "calls.handle_s={dist:lognormal,mean:240,cv:0.5},{dist:exponential,mean:200}"),
    ("++categories.noise={share:0.1,direct_share:1.0}", "categories.noise={share:0.1,direct_share:1.0}"),
    ("staffing.operators=650", "staffing.operators=650"),
    ("calls.handle_s.mean=240", "calls.handle_s.mean=240"),
    ("++broken={", "++broken={"),
])
def test_recorded_overrides_are_shown_as_given(recorded, given):
    """Hydra records the rewritten overrides (``.hydra/overrides.yaml``); the pages show them as given."""
    from sim.config.overrides import as_given

    assert as_given(recorded) == given


def test_the_run_page_shows_the_overrides_as_given(tmp_path):
    """A run with a distribution given whole: its page's overrides line shows it as typed, not Hydra's rewrite
    (``++`` and every parameter it did not give set to null)."""
    from sim.cli import main

    out = tmp_path / "run"
    typed = "calls.patience_s={dist:exponential,mean:90}"
    main(["scenario=single_queue", *FAST, typed, f"report.dir={out}", "report.plots=false"])
    recorded = (out / ".hydra" / "overrides.yaml").read_text()
    assert "++calls.patience_s" in recorded and "cv:null" in recorded  # Hydra's record: the rewrite
    page = (out / "report.html").read_text(encoding="utf-8")
    assert typed in page and "++calls.patience_s" not in page


@pytest.mark.parametrize("recorded, shown", [
    (["staffing.operators=40", "staffing.half_hourly=[]", "staffing.shifts=[]"], ["staffing.operators=40"]),
    (["feedback.staffing.shifts=[{start:8,hours:8,count:3}]", "feedback.staffing.operators=0",
      "feedback.staffing.half_hourly=[]"], ["feedback.staffing.shifts=[{start:8,hours:8,count:3}]"]),
    (["++routing.groups.A.operators=5", "++routing.groups.A.half_hourly=[]", "++routing.groups.A.shifts=[]"],
     ["routing.groups.A.operators=5"]),
    (["staffing.half_hourly=[]"], ["staffing.half_hourly=[]"]),  # typed on its own: kept
    (["scale=0.1"], ["scale=0.1"]),
    ([], []),
])
def test_recorded_overrides_lose_the_plan_forms_the_command_line_added(recorded, shown):
    """A plan form given on the command line empties the others (``plan_form_overrides``); Hydra records those
    too, and the terminal's per-variant line and the pages showed them as if typed."""
    from sim.config.overrides import shown_overrides

    assert shown_overrides(recorded) == shown


def test_a_sweeps_variant_lines_show_only_the_typed_overrides(tmp_path, capsys):
    from sim.cli import main

    main(["-m", "scenario=single_queue", *FAST, "staffing.operators=40,45", f"report.dir={tmp_path / 'sweep'}",
          "report.plots=false"])
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("variant_")]
    assert len(lines) == 2 and "staffing.operators=45" in lines[1]
    assert not any("half_hourly" in x or "shifts=" in x for x in lines), lines
    page = (tmp_path / "sweep" / "variant_1" / "report.html").read_text(encoding="utf-8")
    assert "staffing.operators=45" in page and "staffing.shifts=[]" not in page
