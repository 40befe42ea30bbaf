"""The command's last line: its whole wall-clock time and where it went (planning, simulation, report, start-up),
not the simulation's alone."""

from __future__ import annotations

import re
import time

import pytest

from sim.report.timing import duration_text, timing_text


def test_durations_read_as_on_a_clock():
    assert [duration_text(s) for s in (0.04, 6.04, 42.9, 59.6, 130.2, 3725.0)] == [
        "0.0 s", "6.0 s", "43 s", "1 min 0 s", "2 min 10 s", "1 h 02 min"]


def test_the_parts_and_what_they_leave_add_up_to_the_total():
    """The stages in order, the report's costly parts after it (the workbook within the figures'), and the rest
    of the total as start-up and checks; a stage under a twentieth of a second is left out."""
    text = timing_text(130.0, {"planning (staffing.policy=plan)": 42.9, "simulation": 6.0, "unit planning": 0.01,
                               "report": 79.0},
                       {"workbook": 38.5, "staffing position": 38.4, "figures, pages and workbook": 40.1})
    assert text == ("Took 2 min 10 s: planning (staffing.policy=plan) 43 s, simulation 6.0 s, report 1 min 19 s "
                    "(staffing position 38 s, figures, pages and workbook 40 s, the workbook 38 s of it), "
                    "start-up and checks 2.1 s")


def test_the_last_line_gives_the_commands_whole_time(tmp_path, monkeypatch, capsys):
    """A report that takes long (the workbook held 1.5 s here) shows in the command's time, which is the time it
    took (it said the simulation's alone: 'Ran in 0.1 s'), and the stages it names fit in it."""
    import sim.report.workbook as workbook
    from sim.cli import main

    real = workbook.write_run_workbook

    def slow(*args, **kwargs):
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(workbook, "write_run_workbook", slow)
    started = time.perf_counter()
    main(["scenario=single_queue", "experiment.horizon_h=0.5", "experiment.warmup_h=0", "experiment.replications=1",
          "report.plots=false", "report.html=false", "report.xlsx=true", f"report.dir={tmp_path / 'run'}"])
    wall = time.perf_counter() - started
    last = capsys.readouterr().out.splitlines()[-1]
    m = re.match(r"Took ([\d.]+) s: (.*)\. Report: ", last)
    assert m, last

    def part(name: str) -> float:
        found = re.search(rf"(?:^|, ){name} ([\d.]+) s", m.group(2))
        return float(found.group(1)) if found else 0.0

    total, book = float(m.group(1)), float(re.search(r"the workbook ([\d.]+) s of it", last).group(1))
    stages = [part(r"planning \(staffing.policy=plan\)"), part("simulation"), part("report"),
              part("start-up and checks")]
    assert book >= 1.5 and stages[2] >= book
    assert total == pytest.approx(sum(stages), abs=0.25)
    assert 0.8 * wall <= total <= wall + 0.05
