"""Dated scenarios (sim/config/dated.py): the file's rules, the arrival process it gives, the day multipliers of a
forecast's spread, the run's dates, and the scenario the forecast command writes with --base."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import numpy as np
import pytest
from support import run_cli

from sim.config.dated import DatedConfig, DayLogSdConfig, check_dated, read_dated
from sim.core.errors import ConfigError
from sim.core.rng import Streams
from sim.model.arrivals import DatedArrivals

MONDAY = dt.date(2003, 9, 29)


def _sd(date: str, channel: str = "phone", log_sd: float = 0.0) -> DayLogSdConfig:
    """A ``dated.day_log_sd`` entry (the schema's models take keywords)."""
    return DayLogSdConfig(date=date, channel=channel, log_sd=log_sd)


def _dated_csv(path, days=3, start=MONDAY, per_slot=lambda d, h: 20.0 if 8 <= h < 18 else 0.0, channels=("phone",),
               category=None, extra=""):
    lines = ["start,channel," + ("category," if category else "") + "expected,p10,p90"]
    for d in range(days):
        for s in range(48):
            t = dt.datetime.combine(start + dt.timedelta(days=d), dt.time()) + dt.timedelta(minutes=30 * s)
            for ch in channels:
                cat = f"{category}," if category else ""
                lines.append(f"{t.isoformat(timespec='minutes')},{ch},{cat}{per_slot(d, s // 2)},0,0")
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def test_file_gives_the_rates_per_date_and_half_hour(tmp_path):
    f = _dated_csv(tmp_path / "a.csv", per_slot=lambda d, h: (d + 1) * 10.0 if h == 9 else 0.0)
    demand = read_dated(str(f), ("phone", "online"), ["all"])
    assert demand.start == MONDAY and demand.n_days == 3 and list(demand.rates) == ["phone"]
    arr = DatedArrivals(demand.rates["phone"], [1.0], [], np.zeros(3))
    for day in range(3):
        hourly = arr.expected_per_hour(day)
        assert hourly[9] == pytest.approx(2 * (day + 1) * 10.0) and hourly.sum() == pytest.approx(20.0 * (day + 1))
    assert arr.expected_per_hour(3).sum() == 0 and arr.expected_per_hour(-1).sum() == 0, "no demand outside the file"
    assert arr.per_day == pytest.approx(40.0)


def test_categories_of_the_file_are_kept(tmp_path):
    f = _dated_csv(tmp_path / "a.csv", days=1, category="b")
    demand = read_dated(str(f), ("phone", "online"), ["a", "b"])
    assert demand.by_category and demand.rates["phone"][:, 0].sum() == 0 and demand.rates["phone"][:, 1].sum() == 400
    starts, ends, rates = DatedArrivals(demand.rates["phone"], [0.9, 0.1], [], np.zeros(1)).pieces(0)
    assert rates[:, 0].sum() == 0, "the file's categories, not the scenario's shares"


@pytest.mark.parametrize("extra, content, rule", [
    ("2003-09-29T08:00,phone,1,0,0\n", None, "line 50: repeats 2003-09-29T08:00, phone (one row per half-hour)"),
    ("", "start,channel,expected\n2003-09-29T00:00,phone,1\n", "has no row for phone at 2003-09-29T00:30"),
    ("", "start,channel,expected\n2003-09-29T00:15,phone,1\n", "line 2: start '2003-09-29T00:15' is not on a whole"),
    ("", "start,channel,expected\nMonday,phone,1\n", "line 2: start 'Monday' is not an ISO date"),
    ("", "start,channel,expected\n2003-09-29T00:00+08:00,phone,1\n", "has an offset"),
    ("", "start,channel,expected\n2003-09-29T00:00,fax,1\n", "channel 'fax' is not a channel of the simulator"),
    ("", "start,channel,expected\n2003-09-29T00:00,phone,-1\n", "expected '-1' must be a finite number >= 0"),
    ("", "start,channel,expected\n2003-09-29T00:00,phone,nan\n", "expected 'nan' must be a finite number"),
    ("", "start,channel,expected\n2003-09-29T00:00,phone,many\n", "expected 'many' is not a number"),
    ("", "start,channel,calls\n", "has no column 'expected'"),
    ("", "", "is empty"),
    ("", "start,channel,expected\n", "has no rows of arrivals"),
    ("", "start,channel,category,expected\n2003-09-29T00:00,phone,zz,1\n", "category 'zz' is not a category"),
    ("", "start,channel,expected\n2003-09-29T00:00,phone,1\n2005-09-29T00:00,phone,1\n", "spans 732 days"),
])
def test_bad_files_name_the_rule_and_line(tmp_path, extra, content, rule):
    f = tmp_path / "bad.csv"
    if content is None:
        _dated_csv(f, days=1, extra=extra)
    else:
        f.write_text(content)
    with pytest.raises(ConfigError) as err:
        read_dated(str(f), ("phone", "online"), ["all"])
    assert err.value.key == "dated.file" and rule in str(err.value), str(err.value)
    assert str(err.value).startswith(f"dated.file={f}")


def test_missing_file():
    with pytest.raises(ConfigError, match="dated.file=nowhere.csv: not a readable file"):
        read_dated("nowhere.csv", ("phone",), ["all"])


def _check(tmp_path, cfg, start_weekday=0, horizon_h=72.0, per_day=None):
    return check_dated(cfg, ("phone", "online"), ["all"], start_weekday, horizon_h, per_day or {"phone": 100.0})


@pytest.mark.parametrize("change, key, rule", [
    (dict(start_weekday=5), "experiment.start_weekday", "must be 0: dated.file starts on Monday 2003-09-29"),
    (dict(horizon_h=96.0), "experiment.horizon_h", "must be at most 72: dated.file covers 3 day(s), 2003-09-29 to "
                                                   "2003-10-01"),
    (dict(per_day={"phone": 0.0}), "arrivals.phone.per_day", "must be > 0: dated.file gives phone arrivals (set it "
                                                             "to their mean per day, 400"),
    (dict(sd=[_sd("2003-10-02", "phone", 0.1)]), "dated.day_log_sd[0].date", "is not a day of dated.file"),
    (dict(sd=[_sd("29/09/2003", "phone", 0.1)]), "dated.day_log_sd[0].date", "must be an ISO date"),
    (dict(sd=[_sd("2003-09-29", "online", 0.1)]), "dated.day_log_sd[0].channel", "has no online arrivals"),
    (dict(sd=[_sd("2003-09-29", "phone", 3.5)]), "dated.day_log_sd[0].log_sd", "must be in [0, 3]"),
    (dict(sd=[_sd("2003-09-29", "phone", 0.1)] * 2), "dated.day_log_sd[1]", "repeats a date and channel"),
])
def test_rules_of_a_dated_scenario(tmp_path, change, key, rule):
    f = _dated_csv(tmp_path / "a.csv")
    cfg = DatedConfig(file=str(f), day_log_sd=change.pop("sd", []))
    with pytest.raises(ConfigError) as err:
        _check(tmp_path, cfg, **change)
    assert err.value.key == key and rule in err.value.rule, err.value.rule


def test_day_log_sd_needs_a_file():
    with pytest.raises(ConfigError, match="only with dated.file"):
        check_dated(DatedConfig(day_log_sd=[_sd("2003-09-29")]), ("phone",), [], 0, 24.0, {})


def test_day_multipliers_have_mean_1_and_the_forecasts_spread(tmp_path):
    """10 000 arrivals a day (Poisson noise 1%): the log of the day's total has the file's sd (0.2 on day 0, 0 on
    day 1); its mean total is the file's; uncertainty=false draws none."""
    f = _dated_csv(tmp_path / "a.csv", days=2, per_slot=lambda d, h: 10000 / 48)
    demand = read_dated(str(f), ("phone",), ["all"])
    for uncertainty, sd0 in ((True, 0.2), (False, 0.0)):
        cfg = DatedConfig(file=str(f), uncertainty=uncertainty, day_log_sd=[_sd("2003-09-29", "phone", 0.2)])
        from sim.config.dated import day_log_sd

        arr = DatedArrivals(demand.rates["phone"], [1.0], [], day_log_sd(cfg, demand, "phone"))
        totals = np.zeros((400, 2))
        for rep in range(400):
            st = Streams(11, rep)
            for day in range(2):
                t, _ = arr.generate(day, st.get("a"), st.get("forecast_day"), st.get("c"))
                totals[rep, day] = len(t)
        logs = np.log(totals)
        assert np.std(logs[:, 0]) == pytest.approx(np.hypot(sd0, 0.01), abs=0.02)
        assert np.std(logs[:, 1]) == pytest.approx(0.01, abs=0.003)
        assert totals[:, 0].mean() == pytest.approx(10000, rel=3 * max(sd0, 0.01) / 20)


def test_a_dated_run_carries_its_dates(tmp_path):
    """The command line on a dated scenario: the logs' timestamps, intervals.csv and staffing.csv have the file's
    dates; a file that breaks a rule is one line, exit status 2, nothing written."""
    _dated_csv(tmp_path / "week.csv", days=2, start=dt.date(2003, 10, 4))  # a Saturday
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "dtest.yaml").write_text(textwrap.dedent("""\
        extends: single_queue
        dated: {file: week.csv}
        experiment: {horizon_h: 48, warmup_h: 0, replications: 1, start_weekday: 5}
        arrivals: {phone: {per_day: 400}}
        staffing: {operators: 6}
        """))
    proc = run_cli(["scenario=dtest", "report.dir=out", "report.request_log=true", "report.plots=false"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "out" / "calls.csv").read_text().splitlines()
    assert calls[1].split(",")[6].startswith("2003-10-04T08:")
    assert calls[-1].split(",")[6].startswith("2003-10-05T1")
    intervals = (tmp_path / "out" / "intervals.csv").read_text().splitlines()
    assert intervals[0].split(",")[3:6] == ["day", "date", "time_of_day"]
    assert intervals[-1].split(",")[4:6] == ["2003-10-05", "23:30"]
    assert "from Saturday 4 October 2003 00:00" in (tmp_path / "out" / "report.html").read_text()
    # the staffing position too: its files, summary.json and the page's tables give each day's date
    gap = (tmp_path / "out" / "staffing_gap.csv").read_text().splitlines()
    assert gap[0].split(",")[:4] == ["interval", "day", "date", "weekday"]
    assert gap[1].split(",")[:4] == ["0", "0", "2003-10-04", "Sat"] and gap[-1].split(",")[1:5] == [
        "1", "2003-10-05", "Sun", "23:30"]
    assert (tmp_path / "out" / "failing_intervals.csv").read_text().split(",")[:4] == [
        "interval", "day", "date", "weekday"]
    pos = json.loads((tmp_path / "out" / "summary.json").read_text())["staffing_position"]
    assert [(d["day"], d["date"]) for d in pos["by_day"]] == [(0, "2003-10-04"), (1, "2003-10-05")]
    from sim.report.position_view import day_table, failing_table

    assert [r[:3] for r in day_table(pos).rows] == [["day 0", "2003-10-04", "Sat"], ["day 1", "2003-10-05", "Sun"]]
    missed = {"interval": 50, "day": 1, "date": "2003-10-05", "weekday": "Sun", "time": "01:00", "kpi": "asa_s",
              "value": 40.0, "target": 20.0, "at_most": True, "scheduled": 6.0, "required": 7.0}
    shown = failing_table({**pos, "failing": {**pos["failing"], "first": [missed]}})
    assert shown.rows[0][0] == "Sun 2003-10-05 01:00"
    (tmp_path / "week.csv").write_text("start,channel,expected\n2003-10-04T00:00,phone,x\n")
    proc = run_cli(["scenario=dtest", "report.dir=out2"], cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("run_sim: error: dated.file=week.csv, line 2: expected 'x' is not a number")
    assert not (tmp_path / "out2").exists()


def test_template_settings_of_a_dated_channel_are_refused(tmp_path):
    """A dated channel does not use its weekly template: an hourly profile, a day CV, or weekday factors when every
    channel with demand is dated, are settings that change nothing (one line naming the key)."""
    from sim.api import compose_config

    f = _dated_csv(tmp_path / "a.csv", days=1)
    scenario = tmp_path / "d.yaml"
    scenario.write_text(f"extends: single_queue\ndated: {{file: {f}}}\n"
                        "experiment: {horizon_h: 24, warmup_h: 0, start_weekday: 0}\n")
    compose_config(str(scenario))
    for override, key in (("arrivals.phone.day_cv=0.1", "arrivals.phone.day_cv"),
                          ("arrivals.phone.hourly_profile=[2,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]",
                           "arrivals.phone.hourly_profile"),
                          ("arrivals.day_of_week=[2,1,1,1,1,1,1]", "arrivals.day_of_week")):
        with pytest.raises(ConfigError) as err:
            compose_config(str(scenario), [override])
        assert err.value.key == key and "not used: dated.file gives the" in err.value.rule, str(err.value)
    # with online demand from the weekly template, the weekday factors are used (by online)
    compose_config(str(scenario), ["arrivals.day_of_week=[2,1,1,1,1,1,1]", "arrivals.online.per_day=100"])


def _staff_csv(path, days, start, count=lambda d, s: 10 + d + (s >= 16), extra=""):
    lines = ["start,operators"]
    for d in range(days):
        for s in range(48):
            t = dt.datetime.combine(start + dt.timedelta(days=d), dt.time()) + dt.timedelta(minutes=30 * s)
            lines.append(f"{t.isoformat(timespec='minutes')},{count(d, s)}")
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


@pytest.mark.parametrize("days", [7, 3])
def test_staffing_file_is_the_front_lines_plan_per_date(tmp_path, days):
    """A plan per date and half-hour: each interval of the run has the file's headcount of that date and time
    (a 7-day file starting on a Saturday too, which a weekly plan would read Monday first)."""
    from sim.api import compose_config
    from sim.model.compile import compile_config

    saturday = dt.date(2003, 10, 4)
    f = _dated_csv(tmp_path / "a.csv", days=days, start=saturday)
    staff = _staff_csv(tmp_path / "s.csv", days, saturday)
    scenario = tmp_path / "d.yaml"
    scenario.write_text(f"extends: single_queue\ndated: {{file: {f}, staffing_file: {staff}}}\n"
                        f"staffing: {{operators: 0}}\n"
                        f"experiment: {{horizon_h: {24 * days}, warmup_h: 0, start_weekday: 5}}\n"
                        f"arrivals: {{phone: {{per_day: 400}}}}\n")
    cfg = compose_config(str(scenario))
    scheduled = compile_config(cfg).staffing.scheduled
    expected = [10 + d + (s >= 16) for d in range(days) for s in range(48)]
    assert list(scheduled) == pytest.approx(expected)


@pytest.mark.parametrize("extra, overrides, key, rule", [
    ("", ["staffing.operators=5"], "staffing.operators", "conflicts with dated.staffing_file"),
    ("", ["staffing.policy=erlang"], "dated.staffing_file", "used only with staffing.policy=plan"),
    ("", ["experiment.horizon_h=72"], "dated.staffing_file", "covers 48 h; the horizon (experiment.horizon_h) is 72 h"),
    ("2003-09-29T00:00,3\n", [], "dated.staffing_file", "line 98: repeats 2003-09-29T00:00"),
    ("2003-09-28T23:30,3\n", [], "dated.staffing_file", "is before the first date of dated.file"),
    ("2003-10-01T01:00,3\n", [], "dated.staffing_file", "has no row for 2003-10-01T00:00"),
    ("2003-10-01T00:00,-3\n", [], "dated.staffing_file", "operators '-3' must be a number in [0, 100000]"),
    ("2003-10-01T00:10,3\n", [], "dated.staffing_file", "is not a local time on a whole half-hour"),
])
def test_bad_staffing_file(tmp_path, extra, overrides, key, rule):
    from sim.api import compose_config

    f = _dated_csv(tmp_path / "a.csv", days=3)
    staff = _staff_csv(tmp_path / "s.csv", 2, MONDAY, extra=extra)
    scenario = tmp_path / "d.yaml"
    scenario.write_text(f"extends: single_queue\ndated: {{file: {f}, staffing_file: {staff}}}\n"
                        "staffing: {operators: 0}\nexperiment: {horizon_h: 48, warmup_h: 0, start_weekday: 0}\n"
                        "arrivals: {phone: {per_day: 400}}\n")
    with pytest.raises(ConfigError) as err:
        compose_config(str(scenario), overrides)
    assert err.value.key == key and rule in str(err.value), str(err.value)


def test_staffing_file_on_the_command_line_replaces_the_scenarios_plan(tmp_path):
    """dated.staffing_file typed for a scenario with a plan of its own (a forecast's scenario extends one) is the
    front line's plan, as a plan form typed would be; typed beside a plan form, the conflict names the key typed."""
    from sim.api import compose_config
    from sim.model.compile import compile_config

    f = _dated_csv(tmp_path / "a.csv", days=2)
    staff = _staff_csv(tmp_path / "s.csv", 2, MONDAY)
    scenario = tmp_path / "d.yaml"
    scenario.write_text(f"extends: single_queue\ndated: {{file: {f}}}\nstaffing: {{operators: 130}}\n"
                        "experiment: {horizon_h: 48, warmup_h: 0, start_weekday: 0}\narrivals: {phone: {per_day: 400}}\n")
    cfg = compose_config(str(scenario), [f"dated.staffing_file={staff}"])
    assert list(compile_config(cfg).staffing.scheduled) == pytest.approx(
        [10 + d + (s >= 16) for d in range(2) for s in range(48)])
    with pytest.raises(ConfigError) as err:
        compose_config(str(scenario), [f"dated.staffing_file={staff}", "staffing.operators=7"])
    assert err.value.key == "staffing.operators" and "=7: conflicts with dated.staffing_file" in str(err.value)


def test_a_run_over_closed_days_only_has_no_demand(tmp_path):
    """A forecast week from a Saturday with the weekend closed, run over its first 48 h: no contact can arrive,
    refused as a template without demand is (a report of zeros and n/a was written); a horizon that reaches
    Monday's first arrivals runs; a template channel with demand runs too."""
    from sim.api import compose_config

    f = _dated_csv(tmp_path / "a.csv", days=3, start=dt.date(2003, 9, 27),
                   per_slot=lambda d, h: 20.0 if d == 2 and 8 <= h < 18 else 0.0)
    scenario = tmp_path / "d.yaml"
    scenario.write_text(f"extends: single_queue\ndated: {{file: {f}}}\n"
                        "experiment: {horizon_h: 48, warmup_h: 0, start_weekday: 5}\n"
                        "arrivals: {phone: {per_day: 400}, online: {per_day: 0}}\n")
    with pytest.raises(ConfigError) as err:
        compose_config(str(scenario))
    assert err.value.key == "experiment.horizon_h" and err.value.rule == (
        "no demand: dated.file gives no arrivals in the run's 48 h from Sat 2003-09-27 00:00 (its first arrivals are "
        "at Mon 2003-09-29 08:00; a closed day has none)")
    compose_config(str(scenario), ["experiment.horizon_h=56.5"])
    compose_config(str(scenario), ["arrivals.online.per_day=100"])


def test_staffing_file_needs_the_arrivals_file():
    from sim.api import compose_config

    with pytest.raises(ConfigError, match="dated.staffing_file=s.csv: only with dated.file"):
        compose_config("single_queue", ["dated.staffing_file=s.csv"])
