"""Reading logs through column mappings, and the calibration command's bad input.

* a user's own mapping (other column names, another time format) reads a log without code;
* a malformed row is skipped and reported with its line number; a row without an arrival time is
  counted as not offered; a call answered without a service start, a service ending before it starts
  and an unknown outcome are malformed; times of day past midnight are on the next day;
* an unusable file - missing, empty, not UTF-8, a header without the mapped columns, mostly bad rows -
  ends the command with one line on stderr and exit status 2, and nothing written;
* the command's options and names: out-of-range values, a name taken by another file or a built-in
  scenario, an existing output without ``--overwrite``; each one line, exit 2, the disk unchanged;
* a request closed before it was created keeps its arrival but not its close time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.calibrate.formats import load_format
from sim.calibrate.logread import read_calls, read_requests
from sim.core.errors import ConfigError

MAPPING = """kind: calls
times: {format: "%d/%m/%Y %H:%M:%S", empty: ["-"]}
columns: {arrival: t_in, left_queue: t_out, answered: t_start, ended: t_end, outcome: result, category: skill,
          caller: ani, agent: login}
outcomes: {OK: answered, ABANDON: abandoned, QUEUE: open}
unknown_caller: ["anonymous"]
unknown_agent: ["-"]
"""
ROWS = """t_in,t_out,t_start,t_end,result,skill,ani,login
01/03/2024 09:00:00,01/03/2024 09:00:10,01/03/2024 09:00:10,01/03/2024 09:03:10,OK,sales,555,ag1
01/03/2024 09:01:00,01/03/2024 09:02:00,-,-,ABANDON,sales,556,-
01/03/2024 09:05:00,01/03/2024 09:05:30,01/03/2024 09:05:30,01/03/2024 09:04:00,OK,support,anonymous,ag2
01/03/2024 09:06:00,-,-,-,OK,support,557,ag2
01/03/2024 09:07:00,01/03/2024 09:07:05,01/03/2024 09:07:05,01/03/2024 09:09:05,MAYBE,support,558,ag1
01/03/2024 09:08:00
31/02/2024 09:09:00,-,-,-,ABANDON,sales,559,-
-,-,-,-,ABANDON,sales,560,-
01/03/2024 09:10:00,-,-,-,QUEUE,sales,561,-
01/03/2024 09:11:00,01/03/2024 09:11:02,01/03/2024 09:11:02,01/03/2024 09:15:02,OK,sales,anonymous,ag1
"""


def _files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "acd.yaml").write_text(MAPPING)
    (tmp_path / "acd.csv").write_text(ROWS)
    return tmp_path / "acd.yaml", tmp_path / "acd.csv"


def test_own_mapping_reads_the_log_and_reports_bad_rows(tmp_path):
    mapping, log_file = _files(tmp_path)
    log = read_calls(log_file, load_format(str(mapping), "calls"), "acd.csv")
    info = log.info
    assert info.rows == 10 and log.n == 4 and info.not_offered == 1  # the row without an arrival time
    reasons = dict(info.skipped_lines)
    assert sorted(reasons) == [4, 5, 6, 7, 8] and info.skipped == 5
    assert "ends before it starts" in reasons[4] and "no service start" in reasons[5]
    assert "'MAYBE' is not one of OK, ABANDON, QUEUE" in reasons[6]
    assert "has 1 fields, the header has 8" in reasons[7] and "not a timestamp" in reasons[8]
    assert list(log.outcome) == [0, 1, 2, 0] and log.categories == ["sales"]
    assert list(log.caller) == [0, 1, 2, -1] and log.agents == ["ag1"]
    assert log.answered_s[0] - log.arrive_s[0] == 10.0 and log.ended_s[0] - log.answered_s[0] == 180.0
    assert info.start_date.isoformat() == "2024-03-01" and log.arrive_s[0] == 9 * 3600.0


def test_clock_times_past_midnight_are_on_the_next_day(tmp_path):
    bank = ("vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,q_exit,q_time,"
            "outcome,ser_start,ser_exit,ser_time,server\n"
            "AA01,1,7,2,PS,990801,23:59:50,23:59:55,5,23:59:55,0:00:20,25,AGENT,0:00:20,0:03:20,180,A01\n"
            "AA01,2,0,0,PS,990801,12:00:00,11:59:00,-60,11:59:00,11:59:30,30,HANG,0:00:00,0:00:00,0,NO_SERVER\n"
            "AA01,3,0,0,NW,990802,8:00:00,8:00:10,10,0:00:00,0:00:00,0,HANG,0:00:00,0:00:00,0,NO_SERVER\n")
    path = tmp_path / "bank.csv"
    path.write_text(bank)
    log = read_calls(path, load_format("anonymous_bank", "calls"), "bank.csv")
    assert log.n == 2 and log.info.not_offered == 1 and log.info.skipped == 0
    assert log.left_s[0] - log.arrive_s[0] == 25.0 and log.ended_s[0] == 86400.0 + 200.0
    assert log.left_s[1] - log.arrive_s[1] == 30.0  # a clock skew of a minute is not a new day
    assert log.caller[1] == -1 and log.agent[1] == -1


@pytest.mark.parametrize("content, rule", [
    (None, "cannot read the file"),
    ("", "the file is empty"),
    ("t_in,t_out\n1,2\n", "the header lacks column(s) t_start, t_end, result"),
    (b"\xff\xfe\x00t_in", "is not UTF-8"),
    ("t_in,t_out,t_start,t_end,result,skill,ani,login\n" + "x,y,z,w,OK,s,1,a\n" * 3, "3 of 3 rows cannot be read"),
])
def test_unusable_file_is_one_error(tmp_path, content, rule):
    mapping, _ = _files(tmp_path)
    path = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as err:
        read_calls(path, load_format(str(mapping), "calls"), "bad.csv")
    assert rule in str(err.value) and str(err.value).startswith("LOG='bad.csv'")


def test_requests_closed_before_created(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("key,created,closed,due,agency,complaint_type,status,area,channel\n"
                    "1,2023-02-28T11:00:00,2023-02-28T12:00:00,,DOT,Sign,Closed,X,PHONE\n"
                    "2,2023-02-28T11:05:00,2023-02-28T10:00:00,,DOT,Sign,Closed,X,ONLINE\n"
                    "3,2023-02-28T11:10:00,,,HPD,Heat,Open,X,Internal\n")
    log = read_requests(path, load_format("open311", "requests"), "r.csv")
    assert log.bad_close == 1 and log.bad_close_lines == [3] and list(log.close_bad) == [False, True, False]
    assert np.isnan(log.closed_s[1]) and np.isnan(log.closed_s[2]) and log.closed_s[0] - log.created_s[0] == 3600.0
    assert log.channel_class == ["phone", "online", "internal"]


def test_command_bad_input_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from sim.calibrate.cli import main

    mapping, log_file = _files(tmp_path)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text("description: my own\n")
    base = ["calls", str(log_file), "--format", str(mapping)]
    cases = [
        (["calls", str(log_file), "--format", "nosuch", "--name", "x"], "--format='nosuch': unknown format"),
        (["calls", str(log_file), "--format", "open311", "--name", "x"], "a mapping of requests logs"),
        ([*base, "--name", "1x"], "--name='1x': use a letter"),
        ([*base, "--name", "x", "--replications", "0"], "--replications=0: must be in [1, 1000]"),
        ([*base, "--name", "x", "--factors", "0.8,abc"], "--factors='0.8,abc': must be numbers"),
        # numbers echoed as typed (they were echoed as parsed: =2.0, =0.0, =-1.0)
        ([*base, "--name", "x", "--profile-tolerance", "2"], "--profile-tolerance=2: must be in (0, 1]"),
        ([*base, "--name", "x", "--redial-window-h", "-1"], "--redial-window-h=-1: must be in (0, 8760]"),
        ([*base, "--name", "x", "--min-per-category", "01"], "--min-per-category=01: must be >= 2"),
        (["requests", str(log_file), "--name", "x", "--sample-fraction", "0"],
         "--sample-fraction=0: must be in (0, 1]"),
        (["requests", str(log_file), "--name", "x", "--sample-fraction", "1e0", "--min-per-group", "1"],
         "--min-per-group=1: must be >= 2"),
        ([*base, "--name", "x", "--replications", "1_001"], "--replications=1_001: must be in [1, 1000]"),
        ([*base, "--name", "x", "--replications", "x"], "argument --replications: invalid int value: 'x'"),
        # a scenario beside the scenario folder's documentation (scenarios/README.md), in any case
        ([*base, "--name", "README"], "--name='README': is the name of the scenario folder's documentation"),
        (["requests", str(log_file), "--name", "ReadMe"], "--name='ReadMe': is the name of the scenario folder's"),
        ([*base, "--name", "mine"], "scenarios/mine.yaml exists and was not written by this command"),
        ([*base, "--name", "single_queue"], "single_queue.yaml exists and was not written by this command"),
        (["calls", str(tmp_path / "none.csv"), "--format", str(mapping), "--name", "x"], "cannot read the file"),
        ([*base, "--name", "x", "--bogus"], "unrecognized arguments: --bogus"),
    ]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)
    for args, message in cases:
        with pytest.raises(SystemExit) as stop:
            main(args)
        lines = capsys.readouterr().err.strip().splitlines()
        assert stop.value.code == 2 and len(lines) == 1, (args, lines)
        assert lines[0].startswith("calibrate: error: ") and message in lines[0], (args, lines)
    # the module entry point, as a user runs it
    proc = subprocess.run([sys.executable, "-m", "sim.calibrate", *cases[0][0]], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and cases[0][1] in proc.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_existing_output_needs_overwrite(tmp_path, monkeypatch):
    from sim.calibrate.cli import _outputs

    report = tmp_path / "reports" / "calibration" / "x"
    report.mkdir(parents=True)
    (report / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="holds files; give --overwrite"):
        _outputs("x", overwrite=False)
    with pytest.raises(ConfigError, match="not a calibration folder"):
        _outputs("x", overwrite=True)
    (report / "calibration.json").write_text("{}")
    assert _outputs("x", overwrite=True)[1] == Path("reports/calibration/x")


def test_calibration_report_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    """The calibration report folder appears whole: a failure while writing it (here the second file) keeps the
    earlier report byte for byte and leaves no temporary folder; a finished write replaces it as a whole."""
    from sim.calibrate.cli import _write_report

    report = tmp_path / "reports" / "calibration" / "x"
    report.mkdir(parents=True)
    (report / "calibration.json").write_text("{\"earlier\": true}")
    (report / "stale.txt").write_text("old")
    before = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    real_write = Path.write_text

    def failing_html(self, text, *args, **kwargs):
        if self.name == "calibration.html":
            raise OSError(28, "No space left on device")
        return real_write(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing_html)
    with pytest.raises(OSError):
        _write_report(report, {"calibration.json": "{}", "calibration.html": "<html></html>"})
    monkeypatch.setattr(Path, "write_text", real_write)
    after = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before and sorted(p.name for p in report.parent.iterdir()) == ["x"], sorted(after)
    _write_report(report, {"calibration.json": "{}", "calibration.html": "<html></html>"})
    assert sorted(p.name for p in report.iterdir()) == ["calibration.html", "calibration.json"]
    with pytest.raises(OSError):  # a new folder: nothing left, not even its parents
        monkeypatch.setattr(Path, "write_text", failing_html)
        _write_report(tmp_path / "new" / "calibration" / "y", {"calibration.json": "{}", "calibration.html": ""})
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("raised, status, line", [
    (KeyboardInterrupt(), 130, "calibrate: error: interrupted; nothing was written"),
    (OSError(28, "No space left on device", "reports/calibration/x"), 1,
     "calibrate: error: could not write the report: No space left on device (reports/calibration/x); nothing was "
     "written"),
])
def test_ctrl_c_and_a_full_disk_end_the_commands_in_one_line(monkeypatch, capsys, raised, status, line):
    """Ctrl-C or a disk error in python -m sim.calibrate or sim.forecast: one line and its exit status, not a
    traceback (the commands' own try blocks have put the disk back as it was)."""
    import sim.calibrate.cli
    import sim.forecast.cli

    for module, prog in ((sim.calibrate.cli, "calibrate"), (sim.forecast.cli, "hotline-forecast")):
        def run(argv, exc=raised):
            raise exc

        monkeypatch.setattr(module, "run", run)
        with pytest.raises(SystemExit) as stop:
            module.main(["calls"])
        assert stop.value.code == status
        assert capsys.readouterr().err.splitlines() == [line.replace("calibrate", prog, 1)]
