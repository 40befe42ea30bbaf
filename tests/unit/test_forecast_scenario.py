"""From forecast to plan: ``--base SCENARIO`` writes a dated scenario that runs the forecast
(sim/forecast/scenario.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sim.core.errors import ConfigError


def _counts_file(path, days=21, start=dt.date(2024, 3, 4), per=3):
    """Five-minute counts on weekdays, 08:00-10:00 (the weekend closed)."""
    lines = ["start,count"]
    for d in range(days):
        day = start + dt.timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for m in range(0, 120, 5):
            t = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=m)
            lines.append(f"{t.isoformat()},{per + (d % 3)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_base_writes_a_dated_scenario_that_composes(tmp_path, monkeypatch):
    from sim.api import compose_config
    from sim.forecast.cli import run

    f = _counts_file(tmp_path / "c.csv")
    monkeypatch.chdir(tmp_path)
    lines = run([str(f), "--name", "week13", "--base", "single_queue"])
    target = tmp_path / "scenarios" / "week13.yaml"
    assert lines[-1] == ("wrote scenarios/week13.yaml: a dated scenario of single_queue with this forecast as its "
                         "demand; plan it with: hotline-sim scenario=week13 staffing.policy=optimize "
                         "staffing.schedule=shifts")
    text = target.read_text()
    assert text.startswith("# Written by hotline-forecast") and "extends: single_queue" in text
    data = json.loads((tmp_path / "reports" / "forecast" / "week13" / "forecast.json").read_text())
    days = data["channels"]["phone"]["days"]
    cfg = compose_config("week13")
    assert cfg.dated.file == "reports/forecast/week13/forecast.csv" and cfg.dated.uncertainty
    assert cfg.experiment.start_weekday == 5 and cfg.experiment.horizon_h == 168 and cfg.experiment.warmup_h == 0
    assert [(e.date, e.channel, e.log_sd) for e in cfg.dated.day_log_sd] == [
        (d["date"], "phone", pytest.approx(d["log_sd"], rel=1e-5)) for d in days if d["log_sd"] > 0]
    assert len(cfg.dated.day_log_sd) == 5, "the five open days, the weekend closed"
    assert cfg.arrivals.phone.per_day == pytest.approx(sum(d["expected"] for d in days) / 7, rel=1e-5)
    assert cfg.arrivals.online.per_day == 0
    from sim.model.derive import channel_arrivals

    arr = channel_arrivals(cfg)["phone"]
    assert arr.expected_per_hour(2).sum() == pytest.approx(days[2]["expected"], rel=1e-3), "the forecast's Monday"
    # a second run needs --overwrite, and replaces the file it wrote
    with pytest.raises(ConfigError, match="give --overwrite"):
        run([str(f), "--name", "week13", "--base", "single_queue"])
    run([str(f), "--name", "week13", "--base", "single_queue", "--overwrite", "--from", "2024-03-25",
         "--to", "2024-03-26"])
    assert compose_config("week13").experiment.horizon_h == 48


def test_scenario_dir_points_elsewhere(tmp_path, monkeypatch):
    from sim.api import compose_config
    from sim.forecast.cli import run

    f = _counts_file(tmp_path / "c.csv")
    monkeypatch.chdir(tmp_path)
    lines = run([str(f), "--name", "w", "--base", "single_queue", "--scenario-dir", "plans"])
    assert "hotline-sim scenario=plans/w.yaml staffing.policy=optimize" in lines[-1]
    assert not (tmp_path / "scenarios").exists()
    assert compose_config("plans/w.yaml").dated.file == "reports/forecast/w/forecast.csv"


def test_bad_base_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from sim.forecast.cli import main

    f = str(_counts_file(tmp_path / "c.csv"))
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text("description: my own scenario\n")
    (tmp_path / "scenarios" / "broken.yaml").write_text("arrivals: [\n")
    (tmp_path / "counts2.csv").write_text("start,channel,count\n" + "".join(
        f"2024-03-{4 + d:02d}T08:{m:02d},{ch},5\n" for d in range(21) for m in (0, 5) for ch in ("phone", "fax")))
    cases = [
        ([f, "--name", "x", "--base", "nosuch"], "--base='nosuch': unknown scenario; use one of "),
        ([f, "--name", "x", "--base", "broken"], "--base='broken': cannot be used: "),
        ([f, "--name", "x", "--base", "x"], "--base='x': must be another scenario than --name"),
        ([f, "--name", "mine", "--base", "single_queue"], "--name='mine': scenarios/mine.yaml exists and was not "
                                                          "written by this command: not replaced"),
        ([f, "--name", "mine", "--base", "single_queue", "--overwrite"], "was not written by this command"),
        ([f, "--name", "x", "--scenario-dir", "plans"], "--scenario-dir='plans': only with --base"),
        ([f, "--name", "x", "--base", "single_queue", "--scenario-dir", "c.csv"], "--scenario-dir='c.csv': is a file, "
                                                                                  "not a folder"),
        ([f, "--name", "x", "--base", "single_queue", "--scenario-dir", "c.csv/sub"],
         "--scenario-dir='c.csv/sub': c.csv is a file, not a folder"),
        ([str(tmp_path / "counts2.csv"), "--name", "x", "--base", "single_queue"],
         "--base='single_queue': the forecast has channel(s) fax, which the simulator does not have (phone, "
         "online)"),
    ]
    monkeypatch.chdir(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for args, message in cases:
        with pytest.raises(SystemExit) as stop:
            main(args)
        lines = capsys.readouterr().err.strip().splitlines()
        assert stop.value.code == 2 and len(lines) == 1, (args, lines)
        assert lines[0].startswith("hotline-forecast: error: ") and message in lines[0], (args, lines)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "scenarios" / "mine.yaml").read_text() == "description: my own scenario\n"


def test_a_scenario_folder_that_cannot_be_written_is_refused_before_the_report(tmp_path, monkeypatch, capsys):
    """The default folder 'scenarios' a file: one line naming --base as typed, exit status 2, and no report
    folder (the scenario was written after the report, whose folder stayed behind under 'nothing was
    written')."""
    from sim.forecast.cli import main

    f = str(_counts_file(tmp_path / "c.csv"))
    (tmp_path / "scenarios").write_text("not a folder\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main([f, "--name", "x", "--base", "single_queue"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err == ("hotline-forecast: error: --base='single_queue': cannot write the "
                                            "scenario in scenarios (give --scenario-dir): scenarios is a file, not "
                                            "a folder\n")
    assert not (tmp_path / "reports").exists()


def test_a_channel_in_capitals_is_the_simulators_channel(tmp_path, monkeypatch):
    """An export's 'PHONE' and 'Online' are the simulator's phone and online: the dated scenario is written."""
    from sim.forecast.cli import run

    f = tmp_path / "c.csv"
    f.write_text("start,channel,count\n" + "".join(
        f"2024-03-{4 + d:02d}T08:{m:02d},{ch},5\n" for d in range(21) for m in (0, 5) for ch in ("PHONE", "Online")))
    monkeypatch.chdir(tmp_path)
    run([str(f), "--name", "caps", "--base", "single_queue"])
    data = json.loads((tmp_path / "reports" / "forecast" / "caps" / "forecast.json").read_text())
    assert list(data["channels"]) == ["phone", "online"]
    text = (tmp_path / "scenarios" / "caps.yaml").read_text()
    assert "  phone:\n    per_day: " in text and "  online:\n    per_day: " in text


def test_a_channel_the_forecast_lacks_keeps_the_bases_template(tmp_path, monkeypatch):
    """Base beijing_baseline (phone and online): the phone forecast replaces the phone template, whose shape goes
    back to its defaults (a dated channel does not use it); online keeps its weekly template and so the weekday
    factors."""
    from sim.api import compose_config
    from sim.forecast.cli import run

    f = _counts_file(tmp_path / "c.csv")
    monkeypatch.chdir(tmp_path)
    run([str(f), "--name", "w", "--base", "beijing_baseline"])
    base = compose_config("beijing_baseline")
    cfg = compose_config("w")
    assert cfg.arrivals.online.per_day == base.arrivals.online.per_day > 0
    assert cfg.arrivals.online.hourly_profile == base.arrivals.online.hourly_profile
    assert cfg.arrivals.day_of_week == base.arrivals.day_of_week != [1.0] * 7
    assert cfg.arrivals.phone.hourly_profile == [1.0] * 24 and cfg.arrivals.phone.day_cv == 0


def test_a_failing_write_leaves_neither_the_report_nor_the_scenario(tmp_path, monkeypatch, capsys):
    """A disk that fills up while the scenario is written: the report was already in place, under a line saying
    nothing was written.  Now the scenario is staged first and the report's failure removes it too."""
    import errno

    import sim.forecast.cli as cli

    f = str(_counts_file(tmp_path / "c.csv"))
    monkeypatch.chdir(tmp_path)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    for broken in ("_stage_file", "_write"):
        with monkeypatch.context() as m:
            m.setattr(cli, broken, full)
            with pytest.raises(SystemExit) as stop:
                cli.main([f, "--name", "x", "--base", "single_queue"])
        err = capsys.readouterr().err
        assert stop.value.code == 1 and "No space left on device" in err and "nothing was written" in err, err
        assert not (tmp_path / "reports" / "forecast" / "x").exists(), broken
        scenarios = tmp_path / "scenarios"
        assert not scenarios.exists() or not any(scenarios.iterdir()), broken


def test_the_scenario_records_the_command_as_typed(tmp_path, monkeypatch):
    """Installed, the dated scenario and forecast.json record ``hotline-forecast ...`` (they said python -m
    sim.forecast, which the user did not type); run as a module, ``python -m sim.forecast ...``."""
    import sys

    from sim.forecast.cli import run

    f = _counts_file(tmp_path / "c.csv")
    monkeypatch.chdir(tmp_path)
    for argv0, typed in (("/venv/bin/hotline-forecast", "hotline-forecast"),
                         ("/repo/sim/forecast/__main__.py", "python -m sim.forecast")):
        monkeypatch.setattr(sys, "argv", [argv0])
        run([str(f), "--name", "w", "--base", "single_queue", "--overwrite"])
        first = (tmp_path / "scenarios" / "w.yaml").read_text().splitlines()[0]
        assert first.startswith(f"# Written by hotline-forecast ({typed} {f} --name w"), first
