"""The ``requests`` command on a small hand-made 311 log: unit types without an estimate of their own, the
hold-out's length, and windows too small for a fit.

* a unit type with fewer closed requests than ``--min-per-group`` has no log value of its own: the back-test
  (in sample and in the hold-out), ``calibration.json``, the page, the terminal and the documentation's table
  say it is not compared, and do not flag it - its log value used to be the pooled one of all requests
  (NYC's ``social_services``, flagged against all requests' interval; every unit type of a week's hold-out
  showing the same pooled value);
* a request log's hold-out may span more than a week (it adds no simulation: the fitted scenario's run is
  compared with it);
* a fit or hold-out window with too few closed requests names the window's options as typed (both when both
  are given) and where a default end comes from; the whole log too small names LOG.

The log: 28 days from Monday 1 January 2024; each day six DOT requests (transport, closed after about 20 h),
two HPD (housing, about 100 h), and on the first eight days one DHS request (social_services, about 500 h).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pytest

FIT, HOLD = ["--fit-to", "2024-01-21"], ["--holdout-from", "2024-01-22"]
FIT_END = dt.datetime(2024, 1, 22)  # the fit window's end: a request closed later is open there


def _requests(days: int = 28) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """(agency, created, closed) of the hand-made log."""
    rng = np.random.default_rng(5)
    out = []
    for d in range(days):
        day = dt.datetime(2024, 1, 1, 8) + dt.timedelta(days=d)
        spec = [("DOT", 20.0)] * 6 + [("HPD", 100.0)] * 2 + ([("DHS", 500.0)] if d < 8 else [])
        for j, (agency, median_h) in enumerate(spec):
            created = day + dt.timedelta(minutes=37 * j + int(rng.integers(0, 30)))
            out.append((agency, created, created + dt.timedelta(hours=float(median_h *
                                                                            np.exp(0.5 * rng.standard_normal())))))
    return out


def _write(folder: Path) -> Path:
    path = folder / "r.csv"
    lines = ["key,created,closed,due,agency,complaint_type,status,area,channel"]
    for k, (agency, created, closed) in enumerate(_requests(), 1):
        lines.append(f"{k},{created.isoformat()},{closed.isoformat()},,{agency},T{agency},Closed,X,"
                     f"{'PHONE' if k % 2 else 'ONLINE'}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def run_both(tmp_path_factory):
    """The command fitted on 1-21 January with the hold-out 22-28 January: (printed lines, calibration.json,
    page, scenario)."""
    import os

    from sim.calibrate.cli import run

    folder = tmp_path_factory.mktemp("requests")
    _write(folder)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        lines = run(["requests", "r.csv", "--name", "few", "--replications", "2", *FIT, *HOLD])
    finally:
        os.chdir(cwd)
    report = folder / "reports" / "calibration" / "few"
    return (lines, json.loads((report / "calibration.json").read_text()), (report / "calibration.html").read_text(),
            (folder / "scenarios" / "few.yaml").read_text())


def test_a_unit_type_with_too_few_closed_requests_is_not_compared(run_both):
    lines, cal, page, scenario = run_both
    # social_services: 8 requests in the fit window; those closed by its end (counted here, not by the code)
    closed = sum(1 for a, c, z in _requests() if a == "DHS" and z < FIT_END)
    assert 0 < closed < 30
    bt = cal["backtest"]
    row = bt["unit_types"]["social_services"]
    assert row["closed"] == closed and bt["not_compared"] == ["social_services"]
    for key in ("median", "p90"):
        c = row[key]
        assert c["observed"] is None and c["observed_ci_low"] is None and c["flag"] is None, c
        assert c["not_compared"] == f"{closed} closed requests of this type in the log, fewer than 30: no estimate " \
                                    "of its own"
        assert c["simulated"] is not None, "the simulated value is still shown"
    assert "social_services" not in bt["flagged"]
    assert cal["close_h_too_few"] == {"social_services": {"n": 8, "closed": closed, "open": 8 - closed,
                                                          "min_per_group": 30}}
    # the types with enough closed requests keep their own values, not the pooled one
    pooled = cal["close_h_pooled"]["median"]
    assert bt["unit_types"]["transport"]["median"]["observed"] == cal["close_h_by_unit_type"]["transport"]["median"]
    assert abs(bt["unit_types"]["transport"]["median"]["observed"] - pooled) > 5.0
    assert any(ln.startswith("back-test: ") and ln.endswith("not compared (fewer than 30 closed requests in the "
                                                            "log): social_services") for ln in lines), lines
    assert f"time to close, social_services: {closed} closed requests, fewer than 30: none of its own" in "\n".join(
        lines)
    assert "Not compared (fewer than 30 closed requests of the type in the log: no estimate of its own): " \
           "social_services." in page
    assert f'social_services</td><td class="">n/a ({closed} closed requests of this type in the log' in page
    assert f"unit_type: social_services  # r.csv (2024-01-01..2024-01-21): {closed} closed requests, fewer than " \
           f"30: no time to close of its own; the pooled one (workorders.resolution_h)" in scenario


def test_the_holdout_compares_each_type_with_its_own_requests(run_both):
    """The hold-out (22-28 January): transport's 42 requests give its own median; housing (14) and
    social_services (none) are not compared - every type used to show the hold-out's pooled value."""
    lines, cal, page, _ = run_both
    h = cal["backtest"]["holdout"]
    assert h["not_compared"] == ["housing", "social_services"] and h["flagged"] == []
    assert h["unit_types"]["housing"]["closed"] == 14 and h["unit_types"]["social_services"]["closed"] == 0
    hold = [(z - c).total_seconds() / 3600 for a, c, z in _requests() if a == "DOT" and c >= FIT_END]
    both = [(z - c).total_seconds() / 3600 for a, c, z in _requests() if a in ("DOT", "HPD") and c >= FIT_END]
    got = h["unit_types"]["transport"]["median"]["observed"]
    assert len(hold) == 42 and sorted(hold)[20] == pytest.approx(got, abs=1e-6), (sorted(hold)[20:22], got)
    assert got < np.median(both) - 1.0, "transport's own median, not the pooled one"
    assert any(ln.startswith("hold-out 2024-01-22..2024-01-28: requests per day 8.00 in the log")
               and ln.endswith("not compared (fewer than 30 closed requests in the log): housing, social_services")
               for ln in lines), lines
    assert "Not compared (fewer than 30 closed requests of the type in the log: no estimate of its own): housing, " \
           "social_services." in page


def test_the_documentation_table_says_not_compared(run_both):
    from sim.calibrate import docfigures

    table = docfigures.render("unit_types", [run_both[1]]).splitlines()
    row = next(r for r in table if r.startswith("| social_services |"))
    assert row.startswith("| social_services | n/a [n/a, n/a] | ") and row.endswith(
        "| not compared: 5 closed requests of this type in the log, fewer than 30: no estimate of its own |"), row


def _fail(tmp_path: Path, monkeypatch, capsys, args: list[str], log: str = "r.csv") -> str:
    from sim.calibrate.cli import main

    _write(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SystemExit) as stop:
        main(["requests", log, "--name", "x", "--no-backtest", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "nothing may be written"
    return err[0]


@pytest.mark.parametrize("args, message", [
    (["--fit-from", "2024-01-01", "--fit-to", "2024-01-01"],
     "--fit-from='2024-01-01' --fit-to='2024-01-01': the fit window 2024-01-01..2024-01-01 holds 1 closed requests "
     "of residents, fewer than 30: their time to close cannot be estimated (a request closed after the window's "
     "last day is open there)"),
    (["--fit-to", "2024-01-02"], "--fit-to='2024-01-02': the fit window 2024-01-01..2024-01-02 (from the log's first "
                                 "date) holds 7 closed requests"),
    (["--fit-to", "2024-01-26", "--holdout-from", "2024-01-27"],
     "--holdout-from='2024-01-27': the hold-out window 2024-01-27..2024-01-28 (to the log's last date) holds 16 "
     "closed requests of residents, fewer than 30: their time to close cannot be estimated (closes up to the "
     "log's extraction)"),
    (["--fit-to", "2024-01-14", "--holdout-to", "2024-01-15"],
     "--holdout-to='2024-01-15': the hold-out window 2024-01-15..2024-01-15 (from the day after the fit window) "
     "holds 8 closed requests"),
    (["--fit-to", "2024-01-14", "--holdout-from", "2024-01-15", "--holdout-to", "2024-01-15"],
     "--holdout-from='2024-01-15' --holdout-to='2024-01-15': the hold-out window 2024-01-15..2024-01-15 holds 8"),
])
def test_a_window_too_small_names_its_options(tmp_path, monkeypatch, capsys, args, message):
    line = _fail(tmp_path, monkeypatch, capsys, args)
    assert line == f"calibrate: error: {message}" or line.startswith(f"calibrate: error: {message} "), line


def test_the_whole_log_too_small_names_the_log(tmp_path, monkeypatch, capsys):
    _write(tmp_path)
    text = (tmp_path / "r.csv").read_text().splitlines()
    (tmp_path / "small.csv").write_text("\n".join(text[:5]) + "\n")
    line = _fail(tmp_path, monkeypatch, capsys, [], log="small.csv")
    assert line == ("calibrate: error: LOG='small.csv': holds 4 closed requests of residents, fewer than 30: their "
                    "time to close cannot be estimated"), line


def test_a_request_holdout_may_span_more_than_a_week(tmp_path, monkeypatch):
    """Fourteen days held out (a call log's hold-out stops at 7: tests/unit/test_calibrate_windows.py)."""
    from sim.calibrate.cli import run

    _write(tmp_path)
    monkeypatch.chdir(tmp_path)
    run(["requests", "r.csv", "--name", "two_weeks", "--no-backtest", "--fit-to", "2024-01-14", "--holdout-from",
         "2024-01-15"])
    cal = json.loads((tmp_path / "reports/calibration/two_weeks/calibration.json").read_text())
    assert cal["windows"]["holdout"]["days"] == 14 and cal["windows"]["holdout"]["to"] == "2024-01-28"


def test_requests_help_does_not_promise_agents(capsys):
    from sim.calibrate.cli import main

    with pytest.raises(SystemExit):
        main(["requests", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "agents" not in text and "at most 7" not in text
    assert "whose requests per day and times to close are compared with the fitted scenario's simulation" in text
    with pytest.raises(SystemExit):
        main(["calls", "--help"])
    assert "simulated with its own arrivals and agents; at most 7 days" in " ".join(capsys.readouterr().out.split())


def test_a_channel_without_a_profile_of_its_own_is_labelled_so(tmp_path):
    """A channel with fewer than 50 requests holds all residents' hourly profile: its figure label says so (it
    read as the channel's own)."""
    from sim.calibrate.formats import load_format, load_units
    from sim.calibrate.logread import read_requests
    from sim.calibrate.requestreport import _channel_profiles
    from sim.calibrate.requests import RequestOptions, calibrate_requests

    _write(tmp_path)
    rows = (tmp_path / "r.csv").read_text().splitlines()
    online = [r for r in rows[1:] if r.endswith(",ONLINE")]
    phone = [r for r in rows[1:] if r.endswith(",PHONE")][:20]
    (tmp_path / "few.csv").write_text("\n".join([rows[0], *online, *phone]) + "\n")
    log = read_requests(tmp_path / "few.csv", load_format("open311", "requests"), "few.csv")
    cal = calibrate_requests(log, load_units(None), RequestOptions())
    labels = list(_channel_profiles(cal))
    assert labels and all(k.startswith("online (") or k.startswith("phone: all residents (") for k in labels), labels
    assert any(k.startswith("phone: all residents (") for k in labels)


def test_help_names_the_program_as_invoked(capsys, monkeypatch):
    """Installed, ``hotline-calibrate --help`` and its subcommands' usage name hotline-calibrate (it printed
    ``usage: python -m sim.calibrate``); run as a module, the usage names ``python -m sim.calibrate``."""
    from sim.calibrate.cli import main

    for argv0, shown in (("/venv/bin/hotline-calibrate", "hotline-calibrate"),
                         ("/repo/sim/calibrate/__main__.py", "python -m sim.calibrate")):
        monkeypatch.setattr(sys, "argv", [argv0])
        for args in (["--help"], ["calls", "--help"], ["requests", "--help"]):
            with pytest.raises(SystemExit):
                main(args)
            usage = capsys.readouterr().out.splitlines()[0]
            assert usage.startswith(f"usage: {shown} {args[0] if len(args) > 1 else '['}"), (argv0, args, usage)


def test_installed_command_names_installed_programs(tmp_path, monkeypatch):
    """Run as hotline-calibrate (a folder without run_sim.py), the scenario file records the command as typed and
    the page tells the user to run hotline-sim; run as a module, the repository's commands."""
    from sim.calibrate.cli import run

    _write(tmp_path)
    monkeypatch.chdir(tmp_path)
    for argv0, typed, sim in (("/venv/bin/hotline-calibrate", "hotline-calibrate", "hotline-sim"),
                              ("/repo/sim/calibrate/__main__.py", "python -m sim.calibrate",
                               ".venv/bin/python run_sim.py")):
        monkeypatch.setattr(sys, "argv", [argv0])
        run(["requests", "r.csv", "--name", "inst", "--no-backtest", "--overwrite"])
        first = (tmp_path / "scenarios/inst.yaml").read_text().splitlines()[0]
        assert f"calibrated by `{typed} requests r.csv --name inst" in first, first
        page = (tmp_path / "reports/calibration/inst/calibration.html").read_text()
        assert f"<code>{sim} scenario=inst</code>" in page, (argv0, page[:2000])
