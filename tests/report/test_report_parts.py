"""The parts of the reports, one at a time: verdicts against targets, the targets' validation, the terminal's
table and sweep summary, progress lines, long-horizon figures, colours, optional sections, escaping."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from support import run_cli_batch

from sim.core.errors import ConfigError
from sim.report.targets import judge


@pytest.mark.parametrize("name, ci, target, status", [
    ("answer_rate", (0.97, 0.96, 0.98), 0.95, "met"),
    ("answer_rate", (0.93, 0.92, 0.94), 0.95, "missed"),
    ("answer_rate", (0.95, 0.94, 0.96), 0.95, "unclear"),
    ("abandon_rate", (0.03, 0.02, 0.04), 0.05, "met"),
    ("abandon_rate", (0.07, 0.06, 0.08), 0.05, "missed"),
    ("abandon_rate", (0.05, 0.04, 0.06), 0.05, "unclear"),
    ("asa_s", (9.0, None, None), 10.0, "no_interval"),  # one replication: no interval, no verdict
    ("asa_s", (11.0, None, None), 10.0, "no_interval"),
    ("intervals_meeting_target", (0.99, None, None), 0.9, "no_interval"),  # pooled: never an interval
    ("resolution_rate", (None, None, None), 0.97, "none"),  # no value (no work orders)
    ("answer_rate", (0.97, 0.96, 0.98), None, "none"),  # no target
])
def test_judge(name, ci, target, status):
    """met: the whole interval on the good side; missed: on the bad side; unclear: it contains the target;
    no_interval: no interval to judge by."""
    v = judge(name, dict(zip(("mean", "ci_low", "ci_high"), ci)), target)
    assert v.status == status, f"{name} {ci} against {target}: {v}"


@pytest.fixture(scope="module")
def sq_config():
    from sim.api import compose_config

    return compose_config("single_queue", [])


@pytest.mark.parametrize("name, value, words", [
    ("happines", 0.9, "kpi.targets.happines=0.9: unknown KPI; a target applies to one of"),
    ("answer_rat", 0.9, "did you mean answer_rate?"),
    ("calls_offered", 100, "calls_offered is a count or a level, with no better direction"),
    ("answer_rate", 95, "a share is a fraction: 0.95 for 95%"),
    ("asa_s", -1.0, "kpi.targets.asa_s=-1.0: must be >= 0"),
    # a KPI the scenario cannot define: the target was dropped from the report (response_rate) or shown as
    # "n/a" without a verdict (online_on_time_rate), as if accepted
    ("response_rate", 0.98, "kpi.targets.response_rate=0.98: a work-order KPI, but this scenario has no units"),
    ("online_on_time_rate", 0.9, "an online KPI, but this scenario has no online demand"),
    ("resolution_rate", 0.99, "a work-order KPI, but this scenario has no units"),
])
def test_targets_validation(sq_config, name, value, words):
    """A target on an unknown KPI, on a count, out of the KPI's domain, or on a KPI the scenario cannot define is
    one clear error (Beijing's default targets, which every scenario carries, are not judged by the last rule)."""
    import copy

    from sim.model.checks import validate

    cfg = copy.deepcopy(sq_config)
    cfg.kpi.targets[name] = value
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert words in str(err.value), str(err.value)


def test_default_targets_on_kpis_the_scenario_lacks_are_accepted(sq_config):
    """single_queue has no units, yet carries Beijing's default resolution and satisfaction targets: they are
    not an error (a target removed with null neither)."""
    import copy

    from sim.model.checks import validate

    cfg = copy.deepcopy(sq_config)
    assert cfg.kpi.targets["resolution_rate"] == 0.973 and not cfg.units
    validate(cfg)
    cfg.kpi.targets["satisfaction_rate"] = None
    validate(cfg)


def test_targets_on_the_command_line(tmp_path):
    """On the command line: a bad target is one stderr line naming the argument as typed, exit 2; a target
    removed with null and one added with + show in the terminal's table."""
    out = tmp_path / "ok"
    bad, good = run_cli_batch([
        (tmp_path, ["scenario=single_queue", "+kpi.targets.happiness=0.9"]),
        (tmp_path, ["scenario=single_queue", "kpi.targets.service_level=null", "+kpi.targets.asa_s=30",
                    "experiment.horizon_h=3", "experiment.replications=2", "report.plots=false",
                    "report.html=false", "experiment.progress=false", f"report.dir={out}"])])
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    assert bad.stderr.startswith("run_sim: error: +kpi.targets.happiness=0.9: unknown KPI"), bad.stderr
    assert good.returncode == 0, good.stderr[-1500:]
    lines = {ln.split()[0]: ln for ln in good.stdout.splitlines() if ln.strip()}
    summary = json.loads((out / "summary.json").read_text())
    asa = summary["kpis"]["asa_s"]
    # a maximum: met when the whole interval is at or below 30 s, missed when all of it is above, else not clear
    want = "met" if asa["ci_high"] <= 30 else "MISSED" if asa["ci_low"] > 30 else "not clear"
    assert "≤ 30.0 s" in lines["asa_s"] and lines["asa_s"].rstrip().endswith(want), (lines["asa_s"], asa)
    assert summary["targets"]["asa_s"] == {"target": 30.0, "kind": "maximum",
                                           "status": {"MISSED": "missed", "not clear": "unclear"}.get(want, want)}
    assert "≥" not in lines["service_level"], f"service_level's target was removed: {lines['service_level']}"
    assert good.stdout.rstrip().splitlines()[-1].endswith(str(out)), "the run does not end with its folder"


def _summary(**extra):
    base = {"scenario": "x", "replications": 5, "horizon_h": 24, "warmup_h": 0, "seed": 1, "scale": 1,
            "confidence": 0.95, "accounting": {"states": {}, "total_per_replication": [], "balanced": True},
            "kpis": {"answer_rate": {"mean": 0.93, "ci_low": 0.92, "ci_high": 0.94},
                     "asa_s": {"mean": 8.0, "ci_low": 7.0, "ci_high": 9.0}},
            "targets": {"answer_rate": {"target": 0.95, "kind": "minimum", "status": "missed"}}}
    base.update(extra)
    return base


def test_terminal_table_targets_and_precision():
    """The KPI table shows the target and the verdict, a line on the targets, and the precision reached -
    met or not."""
    from sim.report.text import kpi_table

    met = kpi_table(_summary(precision_target=0.01, precision_kpi="answer_rate", precision_met=True,
                             precision_achieved=0.008))
    row = next(ln for ln in met.splitlines() if ln.startswith("answer_rate"))
    assert "≥ 95.00%" in row and row.rstrip().endswith("MISSED"), row
    assert "Targets (kpi.targets): 1 MISSED (answer_rate)" in met, met
    assert "Precision target met: the relative half-width of answer_rate's confidence interval is " \
           "0.008 after 5 replications (target 0.01)" in met, met
    missed = kpi_table(_summary(precision_target=0.001, precision_kpi="answer_rate", precision_met=False,
                                precision_achieved=0.004, max_replications=5))
    assert "Precision target not met: the relative half-width of answer_rate's confidence interval is 0.004" \
           in missed, missed


def test_terminal_table_staffing_targets():
    """A proposed plan's table says how many intervals met each planning target (staffing.target), which
    are not the KPI targets; the scenario's own plan has no such line."""
    from sim.report.text import kpi_table

    staffing = {"policy": "erlang", "targets": {"service_level": 0.8, "abandon_rate": 0.02, "asa_s": 30.0},
                "intervals_meeting": {"service_level": 0.979, "abandon_rate": 0.854, "asa_s": 1.0, "all": 0.85}}
    text = kpi_table(_summary(staffing=staffing))
    assert ("Staffing targets (staffing.policy=erlang): intervals meeting service_level >= 80%: 97.9%, "
            "abandon_rate <= 2%: 85.4%, asa_s <= 30 s: 100.0%; every target: 85.0%") in text, text
    assert "Staffing targets" not in kpi_table(_summary(staffing={**staffing, "policy": "plan"}))


def test_sweep_ends_side_by_side(cli_sweep, reports_root):
    """A sweep prints a line per variant, then the variants side by side, then where comparison.html is -
    not each variant's full table."""
    sweep_dir, proc = cli_sweep
    out = proc.stdout
    assert "Where the contacts offered" not in out, "a variant's full KPI table was printed"
    assert "The 2 variants side by side:" in out, out[-1500:]
    table = out[out.index("side by side"):]
    header = table.splitlines()[1]
    assert "0: staffing.operators=120" in header and "1: staffing.operators=130" in header, header
    sl = next(ln for ln in table.splitlines() if ln.startswith("service_level"))
    assert sl.count("%") == 2 and sl.count("±") == 2, sl
    assert out.rstrip().endswith(f"the page: {(sweep_dir / 'comparison.html').relative_to(reports_root)}"), out[-300:]


def test_progress_lines_without_a_terminal(compose, monkeypatch, capsys):
    """stderr not a terminal: a line per finished replication once the run has taken LINE_PROGRESS_AFTER_S
    (0 here), with the time left for the whole run; with experiment.progress=false, none."""
    from sim.experiments import executors
    from sim.experiments.runner import run_experiment

    monkeypatch.setattr(executors, "LINE_PROGRESS_AFTER_S", 0.0)
    cfg = compose("single_queue", ["scale=0.01", "experiment.horizon_h=3", "experiment.replications=2"])
    run_experiment(cfg)
    err = capsys.readouterr().err
    assert "replication 1 of 2 finished; about" in err and "replication 2 of 2 finished (" in err, err
    cfg.experiment.progress = False
    run_experiment(cfg)
    assert capsys.readouterr().err == "", "progress lines although experiment.progress=false"


@pytest.fixture(scope="module")
def long_run():
    """A 15-day single_queue run (no warm-up): shown as average day, average week and daily series."""
    from sim.api import compose_config, run
    from sim.report.outputs import summary_dict
    from sim.report.rundata import RunData

    cfg = compose_config("single_queue", ["scale=0.01", "experiment.horizon_h=360", "experiment.warmup_h=0",
                                          "experiment.replications=2",
                                          "experiment.progress=false"])
    exp = run(cfg)
    return exp, RunData.from_experiment(exp, summary_dict(exp))


def test_long_run_views(long_run):
    """Profiles pool the counters (their mean is the daily total spread over the slots), the week needs two
    weeks, the daily series has one point per day."""
    from sim.report.figures.frontline import views
    from sim.report.rundata import Daily, Profile

    exp, rd = long_run
    vs = views(rd)
    assert rd.long and [type(v).__name__ for v in vs] == ["Profile", "Profile", "Daily"], vs
    day, week, daily = vs
    assert isinstance(day, Profile) and day.cycles == 15 and isinstance(week, Profile) and week.cycles == 2
    calls = np.array([r.intervals["calls_offered"] for r in exp.replications])
    assert day.stats("calls_offered").mean.sum() == pytest.approx(calls.sum() / 2 / 15, rel=1e-12)
    assert isinstance(daily, Daily) and len(daily.x) == 15
    np.testing.assert_allclose(daily.stats("calls_offered").mean, calls.reshape(2, 15, -1).sum(axis=2).mean(axis=0))
    sl = day.stats("service_level")
    assert np.all((sl.lo <= sl.mean + 1e-12) & (sl.mean <= sl.hi + 1e-12)), "the band does not hold the mean"


def test_long_run_figures_draw(long_run):
    """Every front-line figure of a long run draws (a PNG that decodes) and says what its bands show."""
    from PIL import Image

    from sim.report.figures.frontline import all_frontline

    _, rd = long_run
    for fig in all_frontline(rd):
        w, h = Image.open(io.BytesIO(fig.png)).size
        assert w > 800 and h > 400, f"{fig.name}: {w}x{h}"
        assert "average day and week pool every day" in fig.caption, fig.caption


def test_palette_is_fixed():
    """Known series have fixed colours; other names a colour from their hash (the same in every run); a
    figure's names get distinct colours."""
    from sim.report.palette import QUALITATIVE, SERIES, distinct, named

    assert named("phone") == SERIES["phone"] and named("street") == SERIES["street"]
    assert named("noise_complaints") == named("noise_complaints") in QUALITATIVE
    names = [f"category_{i}" for i in range(len(QUALITATIVE))]
    colours = distinct(names)
    assert len(set(colours.values())) == len(names), colours


def test_optional_section_plugs_in(run_report, monkeypatch, capsys):
    """A registered section appears after the one named, only when it has data; a failing one leaves a note
    (and a warning) instead of losing the page."""
    from sim.report import sections
    from sim.report.outputs import summary_dict
    from sim.report.pages import Section
    from sim.report.rundata import RunData

    monkeypatch.setattr(sections, "BUILDERS", [b for b in sections.BUILDERS if b[0] in ("demand", "flow")])
    sections.register_section("staffing", lambda rd: Section("staffing", "Staffing", intro="required"),
                              after="demand")
    sections.register_section("groups", lambda rd: None, after="demand")  # no data: not shown
    sections.register_section("broken", lambda rd: 1 / 0)
    with pytest.raises(KeyError, match="no section 'nothing'"):
        sections.register_section("x", lambda rd: None, after="nothing")
    _, exp = run_report
    got, _ = sections.build_sections(RunData.from_experiment(exp, summary_dict(exp)))
    assert [s.id for s in got] == ["demand", "staffing", "flow", "broken"], [s.id for s in got]
    assert got[-1].failed and "ZeroDivisionError" in got[-1].intro, got[-1]
    assert "report section 'broken' could not be drawn" in capsys.readouterr().err


def test_pages_escape_text(run_report):
    """Text from a scenario (a description with markup) is escaped in HTML, shown as written in Markdown."""
    from sim.report.pages import render
    from sim.report.run_page import page_context

    out, exp = run_report
    import json

    summary = json.loads((out / "summary.json").read_text())
    summary["description"] = "<script>alert('x')</script> & co"
    ctx = page_context(summary, exp.cfg, [], "a: 1\n", None, None, False)
    html = render("run.html.j2", **ctx)
    assert "<script>" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in html
    assert "<script>alert('x')</script> & co" in render("run.md.j2", **ctx)


def test_config_differences(compose):
    """The configuration's keys that differ from the defaults, with their defaults, in the schema's order: none for
    the defaults; exactly the keys changed by hand (a distribution's changed parameters, a new category's every key
    with the default "(none)"); a scenario's keys and an override of a composed configuration."""
    from sim.config.schema import CategoryConfig, Config, DistConfig
    from sim.report.config_view import differences

    assert differences(Config()) == [], "the defaults differ from themselves"
    cfg = Config()
    cfg.staffing.operators = 125
    cfg.experiment.seed = 7
    cfg.calls.handle_s = DistConfig("lognormal", mean=200.0, cv=0.8)  # the default family and cv: only the mean
    cfg.categories["noise"] = CategoryConfig(share=1.0)
    got = [(d.key, d.value, d.default) for d in differences(cfg)]
    assert got[0] == ("experiment.seed", "7", "12345") and got[-2:] == [("calls.handle_s.mean", "200.0", "180.0"),
                                                                        ("staffing.operators", "125", "0")], got
    noise = [key for key, _, default in got if key.startswith("categories.noise.")]
    assert len(got) == 3 + len(noise) and all(d == "(none)" for k, _, d in got if k in noise), got
    assert ("categories.noise.share", "1.0", "(none)") in got, got
    diffs = {d.key: d for d in differences(compose("single_queue", ["staffing.operators=125"]))}
    assert (diffs["staffing.operators"].value, diffs["staffing.operators"].default) == ("125", "0")
    assert (diffs["scenario"].value, diffs["calls.patience_s.mean"].value) == ("single_queue", "90.0"), diffs
    assert "experiment.confidence" not in diffs and (diffs["calls.handle_s.mean"].value,
                                                     diffs["calls.handle_s.mean"].default) == ("240.0", "180.0")


def test_a_scenario_without_online_work_has_no_online_backlog(tmp_path):
    """Phone only (single_queue): the queues section and figure show calls waiting alone - no empty online-backlog
    panel, no acceptance deadline (a run with online work keeps both: test_run_report.py)."""
    from sim.api import compose_config, run

    small = ["experiment.horizon_h=2", "experiment.warmup_h=0", "experiment.replications=1", "experiment.jobs=1",
             "experiment.progress=false", "report.xlsx=false"]
    run(compose_config("single_queue", small), out_dir=tmp_path / "phone")
    html = (tmp_path / "phone" / "report.html").read_text(encoding="utf-8")
    assert "<h2>Calls waiting</h2>" in html and "online backlog" not in html.lower()
    assert "acceptance deadline" not in html and (tmp_path / "phone" / "figures" / "queues.png").is_file()


def test_pages_and_sweep_lines_show_the_overrides_as_typed(tmp_path):
    """A plan given on the command line empties the scenario's other plan forms (staffing.shifts=[] ...); the
    report's "Command-line overrides" and a sweep variant's line on the terminal show what was typed, not those
    additions (a half-hourly plan read "staffing.operators=0" beside it)."""
    from support import run_cli

    common = ["scenario=single_queue", "scale=0.1", "experiment.horizon_h=2", "experiment.warmup_h=1",
              "experiment.replications=1", "report.plots=false", "report.xlsx=false"]
    plan = "staffing.half_hourly=[" + ",".join(["130"] * 48) + "]"
    r = run_cli([*common, plan, f"report.dir={tmp_path / 'run'}"])
    assert r.returncode == 0, r.stderr[-800:]
    md = (tmp_path / "run" / "report.md").read_text()
    line = next(ln for ln in md.splitlines() if "Command-line overrides" in ln)
    assert plan in line, line
    assert "staffing.operators=0" not in line and "staffing.shifts=[]" not in line, line
    html = (tmp_path / "run" / "report.html").read_text()
    assert "staffing.operators=0" not in html, "the page shows an override nobody typed"
    r = run_cli(["-m", *common, "staffing.operators=120,130", "report.html=false", f"report.dir={tmp_path / 'sweep'}"])
    assert r.returncode == 0, r.stderr[-800:]
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("variant_")]
    assert len(lines) == 2 and all("staffing.shifts=[]" not in ln and "half_hourly" not in ln for ln in lines), lines
    assert "staffing.operators=120" in lines[0], lines
