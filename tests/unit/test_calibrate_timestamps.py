"""Timestamps of a log read with their offset and time zone (:mod:`sim.calibrate.timestamps`).

Around a daylight-saving change (America/New_York: 2024-03-10 02:00 EST -> 03:00 EDT, 2024-11-03 02:00 EDT
-> 01:00 EST):

* a time with a UTC offset (or ``Z``) is converted, not cut: a 120 s wait across the change is 120 s (not
  3,720 s), a call that leaves the queue in the repeated hour is not "before it arrives", and offsets that
  differ within one column are all converted;
* the same log with local times and ``--timezone``: a time in the skipped hour is a skipped row with its
  reason, a time in the repeated hour is placed by the order of the row's events, and counted;
* without ``--timezone`` local times are read as they are, and the log says so; a log mixing times with and
  without an offset skips the other kind with the reason;
* a patience fit on 800 calls with exponential 180 s patience across the change is the fit of the same calls
  on a day without a change (same family, same mean), with offsets or with local times and ``--timezone``;
* hours of the day are read on the local clock (a call at 9:00 local is in hour 9 before and after the
  change, also when the log is in UTC), and an hour the clocks repeat covers two hours of arrivals;
* ``--timezone`` and ``--as-of`` bad values: one line, exit status 2, nothing written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from sim.calibrate.arrivals import fit_arrivals
from sim.calibrate.calls import attempt_waits
from sim.calibrate.formats import load_format
from sim.calibrate.logread import read_calls, read_requests
from sim.calibrate.survival import fit_censored
from sim.calibrate.timestamps import local_hour_lengths, time_rule
from sim.core.errors import ConfigError

NY = "America/New_York"
HEADER = "replication,arrival,left_queue,answered,ended,outcome,category,priority,caller_id\n"


def _calls(tmp_path: Path, name: str, rows: list[str], zone: str | None = None):
    path = tmp_path / f"{name}.csv"
    path.write_text(HEADER + "".join(f"1,{r},a,1,{i}\n" for i, r in enumerate(rows)))
    return read_calls(path, load_format("generic", "calls"), path.name, time_rule(zone))


def _waits(log) -> list[float]:
    return [float(x) for x in log.left_s - log.arrive_s]


# --- times with offsets: converted, not cut ---------------------------------------------------------------------

SPRING_OFFSETS = [
    # 01:59 EST and 03:01 EDT are two minutes apart: the "120 s read as 3,720 s"
    "2024-03-10T01:59:00-05:00,2024-03-10T03:01:00-04:00,2024-03-10T03:01:00-04:00,2024-03-10T03:04:00-04:00,answered",
    "2024-03-10T01:58:00-05:00,2024-03-10T01:59:30-05:00,,,abandoned",
    "2024-03-10T07:10:00Z,2024-03-10T03:12:00-04:00,,,abandoned",  # UTC and local in one column
]
FALL_OFFSETS = [
    "2024-11-03T01:30:00-04:00,2024-11-03T01:32:00-04:00,2024-11-03T01:32:00-04:00,2024-11-03T01:33:00-04:00,answered",
    # leaves at 01:01 EST, 2 minutes after arriving at 01:59 EDT: not "before it arrives"
    "2024-11-03T01:59:00-04:00,2024-11-03T01:01:00-05:00,2024-11-03T01:01:00-05:00,2024-11-03T01:05:00-05:00,answered",
    "2024-11-03T06:10:00Z,2024-11-03T01:12:00-05:00,,,abandoned",  # 06:10 UTC = 01:10 EST
]


def test_offsets_are_converted_across_spring_forward(tmp_path):
    log = _calls(tmp_path, "spring", SPRING_OFFSETS)
    assert log.info.skipped == 0 and log.n == 3
    assert _waits(log) == [120.0, 90.0, 120.0]
    assert log.ended_s[0] - log.answered_s[0] == 180.0
    # day 0 is 2024-03-10 00:00 EST: absolute seconds from then; the local clock is an hour ahead after 02:00
    assert log.arrive_s[0] == 1 * 3600 + 59 * 60 and log.arrive_s[2] == 2 * 3600 + 10 * 60
    # without --timezone each time's local clock is its own offset's: the UTC time is at 07:10
    assert list(log.arrive_local_s) == [1 * 3600 + 59 * 60, 1 * 3600 + 58 * 60, 7 * 3600 + 10 * 60]
    info = log.info
    assert info.start_date == dt.date(2024, 3, 10)
    assert (info.first, info.last) == ("2024-03-10T01:58:00-05:00", "2024-03-10T07:10:00+00:00")
    times = info.as_dict()["times"]
    assert times["time_zone"] is None and times["utc_offsets"] == ["-05:00", "+00:00"]  # of the arrivals
    assert times["times_with_offset"] == 8 and times["times_without_offset"] == 0
    zoned = _calls(tmp_path, "spring", SPRING_OFFSETS, NY)  # on New York's clock the UTC time is at 03:10
    assert _waits(zoned) == [120.0, 90.0, 120.0] and zoned.arrive_local_s[2] == 3 * 3600 + 10 * 60
    assert zoned.info.last == "2024-03-10T03:10:00-04:00"
    assert "converted" in times["rule"]


def test_offsets_are_converted_across_fall_back(tmp_path):
    log = _calls(tmp_path, "fall", FALL_OFFSETS)
    assert log.info.skipped == 0 and log.n == 3  # nothing "leaves the queue before it arrives"
    assert _waits(log) == [120.0, 120.0, 120.0]
    assert list(log.ended_s[:2] - log.answered_s[:2]) == [60.0, 240.0]
    # in absolute time the third call (01:10 EST) comes after the second (01:59 EDT)
    assert list(log.arrive_s) == [5400.0, 7140.0, 7800.0]
    assert list(log.arrive_local_s) == [5400.0, 7140.0, 22200.0]  # 01:30, 01:59, and 06:10 on the UTC clock
    zoned = _calls(tmp_path, "fall", FALL_OFFSETS, NY)
    assert list(zoned.arrive_local_s) == [5400.0, 7140.0, 4200.0]  # 01:30, 01:59, 01:10 in New York


# --- local times with --timezone: skipped and repeated hours ---------------------------------------------------

SPRING_LOCAL = [
    "2024-03-10T01:59:00,2024-03-10T03:01:00,2024-03-10T03:01:00,2024-03-10T03:04:00,answered",
    "2024-03-10T02:30:00,2024-03-10T03:31:00,,,abandoned",  # 02:30 does not exist that day
    "2024-03-10T03:10:00,2024-03-10T03:12:00,,,abandoned",
]
FALL_LOCAL = [
    "2024-11-03T01:30:00,2024-11-03T01:32:00,2024-11-03T01:32:00,2024-11-03T01:33:00,answered",  # first 01:30
    "2024-11-03T01:58:00,2024-11-03T02:01:00,,,abandoned",       # 01:58 EST: 3 minutes before 02:01 EST
    "2024-11-03T01:59:00,2024-11-03T01:01:00,2024-11-03T01:01:00,2024-11-03T01:05:00,answered",  # 01:01 EST
    "2024-11-03T01:10:00,2024-11-03T01:11:00,,,abandoned",       # after the row above: the second 01:10
    "2024-11-03T03:00:00,2024-11-03T03:02:00,,,abandoned",
]


def test_local_times_with_timezone_across_spring_forward(tmp_path):
    log = _calls(tmp_path, "spring_local", SPRING_LOCAL, NY)
    assert log.n == 2 and log.info.skipped == 1
    assert log.info.skipped_lines == [(3, "column arrival: 2024-03-10T02:30:00 does not exist in America/New_York "
                                         "(the clocks skipped that hour)")]
    assert _waits(log) == [120.0, 120.0] and log.ended_s[0] - log.answered_s[0] == 180.0
    times = log.info.as_dict()["times"]
    assert times["time_zone"] == NY and times["skipped_hour_rows"] == 1 and times["repeated_hour_rows"] == 0
    assert times["utc_offsets"] == ["-05:00", "-04:00"] and "1 row skipped for a local time the clocks skipped" in times["rule"]
    assert log.info.first == "2024-03-10T01:59:00-05:00"


def test_local_times_with_timezone_across_fall_back(tmp_path):
    log = _calls(tmp_path, "fall_local", FALL_LOCAL, NY)
    assert log.n == 5 and log.info.skipped == 0
    assert _waits(log) == [120.0, 180.0, 120.0, 60.0, 120.0]
    assert log.ended_s[2] - log.answered_s[2] == 240.0
    # absolute seconds from 00:00 EDT: 01:30 EDT, 01:58 EST, 01:59 EDT, 01:10 EST, 03:00 EST
    assert list(log.arrive_s) == [5400.0, 10680.0, 7140.0, 7800.0, 14400.0]
    assert log.info.as_dict()["times"]["repeated_hour_rows"] == 4


def test_local_times_without_timezone_are_read_as_they_are(tmp_path):
    log = _calls(tmp_path, "spring_naive", SPRING_LOCAL)
    assert _waits(log) == [3720.0, 3660.0, 120.0]  # the documented reading: no zone, no daylight saving
    times = log.info.as_dict()["times"]
    assert times["time_zone"] is None and times["times_without_offset"] == 8 and "read as they are" in times["rule"]
    assert log.info.first == "2024-03-10T01:59:00" and not np.any(log.shift_s)
    fall = _calls(tmp_path, "fall_naive", FALL_LOCAL)
    assert fall.info.skipped == 1 and fall.info.skipped_lines[0][1] == "leaves the queue before it arrives"


def test_a_log_mixing_times_with_and_without_offsets(tmp_path):
    rows = ["2024-03-10T01:59:00-05:00,2024-03-10T03:01:00-04:00,,,abandoned",
            "2024-03-10T03:10:00,2024-03-10T03:12:00,,,abandoned",
            "2024-03-10T03:20:00-04:00,2024-03-10T03:21:00,,,abandoned"]
    log = _calls(tmp_path, "mixed", rows + rows[:1] * 3)
    assert log.n == 4 and log.info.skipped == 2
    assert log.info.skipped_lines[0] == (3, "column arrival: 2024-03-10T03:10:00 has no UTC offset while the log's "
                                            "times have one (give --timezone NAME to read times without an "
                                            "offset as local times of a zone)")
    assert log.info.skipped_lines[1][1].startswith("column left_queue: 2024-03-10T03:21:00 has no UTC offset")
    zoned = _calls(tmp_path, "mixed", rows + rows[:1] * 3, NY)
    assert zoned.info.skipped == 0 and _waits(zoned) == [120.0, 120.0, 60.0] + [120.0] * 3
    with pytest.raises(ConfigError) as err:
        _calls(tmp_path, "mostly_local", rows[:1] + rows[1:2] * 3)  # more than half unreadable: one error
    assert str(err.value).startswith("LOG='mostly_local.csv': 3 of 4 rows cannot be read (first: line 3: column "
                                     "arrival: 2024-03-10T03:10:00 has no UTC offset while the log's times have one")
    assert "--format" not in str(err.value)


def test_requests_close_times_across_a_change(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("key,created,closed,due,agency,complaint_type,status,area,channel\n"
                    "1,2024-03-09T12:00:00,2024-03-10T12:00:00,,DOT,Sign,Closed,X,PHONE\n"
                    "2,2024-11-02T12:00:00Z,2024-11-03T12:00:00-05:00,,DOT,Sign,Closed,X,PHONE\n")
    log = read_requests(path, load_format("open311", "requests"), "r.csv", time_rule(NY))
    assert list((log.closed_s - log.created_s) / 3600.0) == [23.0, 29.0]  # 12:00Z = 08:00 EDT
    assert list(log.created_local_s % 86400.0 / 3600.0) == [12.0, 8.0]


# --- a patience fit across the change -----------------------------------------------------------------------------

def _generated_log(path: Path, start: dt.datetime, offsets: bool, n: int = 800, hours: float = 3.0,
                   seed: int = 5) -> None:
    """``n`` calls in ``hours`` of absolute time from local ``start`` (New York): exponential patience (mean
    180 s), offered waits (mean 300 s) and services (mean 200 s); timestamps with offsets or local."""
    zone = ZoneInfo(NY)
    rng = np.random.default_rng(seed)
    t0 = start.replace(tzinfo=zone).timestamp()
    arrive = t0 + np.sort(rng.uniform(0.0, hours * 3600.0, n))
    patience, offered, handle = rng.exponential(180.0, n), rng.exponential(300.0, n), rng.exponential(200.0, n)

    def stamp(s: float) -> str:
        t = dt.datetime.fromtimestamp(s, zone)
        return (t if offsets else t.replace(tzinfo=None)).isoformat(timespec="seconds")

    lines = [HEADER]
    for i in range(n):
        if patience[i] < offered[i]:
            lines.append(f"1,{stamp(arrive[i])},{stamp(arrive[i] + patience[i])},,,abandoned,a,1,{i}\n")
        else:
            a, s, e = stamp(arrive[i]), stamp(arrive[i] + offered[i]), stamp(arrive[i] + offered[i] + handle[i])
            lines.append(f"1,{a},{s},{s},{e},answered,a,1,{i}\n")
    path.write_text("".join(lines))


def _patience(path: Path, zone: str | None):
    log = read_calls(path, load_format("generic", "calls"), path.name, time_rule(zone))
    return log, fit_censored(attempt_waits(log), log.outcome == 1)


@pytest.mark.parametrize("day", [dt.datetime(2024, 3, 10), dt.datetime(2024, 11, 3)], ids=["spring", "fall"])
@pytest.mark.parametrize("offsets, zone", [(True, None), (False, NY)], ids=["offsets", "local+timezone"])
def test_patience_fit_across_a_change_is_the_fit_without(tmp_path, day, offsets, zone):
    """800 calls from 00:00 to 03:00 around the change: the fit of the calls on a day without a change."""
    _generated_log(tmp_path / "plain.csv", dt.datetime(2024, 2, 10), offsets=True)
    _generated_log(tmp_path / "dst.csv", day, offsets=offsets)
    ref_log, ref = _patience(tmp_path / "plain.csv", None)
    log, rep = _patience(tmp_path / "dst.csv", zone)
    assert ref.chosen.family == "exponential" and ref.chosen.mean == pytest.approx(180.0, rel=0.05)
    assert log.info.skipped == 0 and log.n == 800
    assert np.allclose(attempt_waits(log), attempt_waits(ref_log), rtol=0, atol=1e-9)
    assert rep.chosen.family == "exponential" and rep.chosen.mean == pytest.approx(ref.chosen.mean, rel=1e-9)
    assert (rep.km.n_events, rep.km.n_censored) == (ref.km.n_events, ref.km.n_censored)


# --- hours of the day on the local clock -------------------------------------------------------------------------

def test_hours_of_the_day_are_local(tmp_path):
    """A call at 09:05 New York time every day of a week across the spring change, written in UTC: hour 9."""
    rows = []
    for d in range(7, 14):
        t = dt.datetime(2024, 3, d, 9, 5, tzinfo=ZoneInfo(NY)).astimezone(dt.timezone.utc)
        u = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append(f"{u},{u},{u},{(t + dt.timedelta(minutes=3)).strftime('%Y-%m-%dT%H:%M:%SZ')},answered")
    log = _calls(tmp_path, "nine", rows, NY)
    fit = fit_arrivals(log.arrive_local_s, log.run, log.info.start_date, zone=log.info.rule.zone)
    profile = np.asarray(fit.hourly_profile).reshape(-1, 24)
    assert np.all(profile[:, 9] == 1.0) and fit.per_day == pytest.approx(1.0)
    assert sorted(fit.per_weekday) == sorted(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    assert log.info.first == "2024-03-07T09:05:00-05:00" and log.info.last == "2024-03-13T09:05:00-04:00"


def test_a_repeated_hour_covers_two_hours_of_arrivals():
    lengths = local_hour_lengths(ZoneInfo(NY), dt.date(2024, 11, 2), 3)
    assert lengths[1, 1] == 2.0 and lengths.sum() == 73.0 and np.count_nonzero(lengths != 1.0) == 1
    spring = local_hour_lengths(ZoneInfo(NY), dt.date(2024, 3, 10), 1)
    assert spring[0, 2] == 0.0 and spring.sum() == 23.0
    # one arrival a minute of absolute time, 2-4 November: 60 an hour, also in the repeated hour
    zone = ZoneInfo(NY)
    t0 = dt.datetime(2024, 11, 2, tzinfo=zone).timestamp()
    t1 = dt.datetime(2024, 11, 5, tzinfo=zone).timestamp()
    stamps = np.arange(t0, t1, 60.0)
    local = np.array([(dt.datetime.fromtimestamp(s, zone).replace(tzinfo=None) - dt.datetime(2024, 11, 2))
                      .total_seconds() for s in stamps])
    run = np.zeros(len(local), dtype=int)
    fit = fit_arrivals(local, run, dt.date(2024, 11, 2), zone=zone)
    assert np.allclose(fit.hourly_profile, 1 / 24) and fit.per_weekday["Sun"] == pytest.approx(1440.0)
    naive = fit_arrivals(local, run, dt.date(2024, 11, 2))  # every hour an hour: hour 1 of Sunday twice
    assert naive.per_weekday["Sun"] == pytest.approx(1500.0)


# --- the command's options -----------------------------------------------------------------------------------------

REQUESTS = ("key,created,closed,due,agency,complaint_type,status,area,channel\n"
            + "".join(f"{i},2024-11-0{1 + i % 3}T1{i % 10}:00:00,2024-11-05T10:00:00,,DOT,Sign,Closed,X,PHONE\n"
                      for i in range(60)))


@pytest.mark.parametrize("extra, message", [
    (["--timezone", "Mars/Olympus"], "--timezone='Mars/Olympus': not a time zone of the IANA database"),
    (["--timezone", "America"], "--timezone='America': not a time zone"),
    (["--timezone", "../etc/passwd"], "--timezone='../etc/passwd': not a time zone"),
    (["--as-of", "2024-11-06T00:00:00Z"], "--as-of='2024-11-06T00:00:00Z': has a UTC offset while the log's "
                                          "times have none"),
    (["--as-of", "2024-11-03T01:30:00", "--timezone", NY], "--as-of='2024-11-03T01:30:00': is ambiguous in "
                                                           "America/New_York"),
    (["--as-of", "2025-03-09T02:30:00", "--timezone", NY], "--as-of='2025-03-09T02:30:00': does not exist in "
                                                           "America/New_York"),
    (["--as-of", "2024-11-05T14:59:00Z", "--timezone", NY], "--as-of='2024-11-05T14:59:00Z': is before the latest "
                                                            "time in the log (2024-11-05T10:00:00-05:00)"),
    (["--as-of", "soon"], "--as-of='soon': must be an ISO date and time"),
])
def test_bad_timezone_and_as_of_are_one_line(tmp_path, monkeypatch, capsys, extra, message):
    from sim.calibrate.cli import main

    (tmp_path / "r.csv").write_text(REQUESTS)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(["requests", "r.csv", "--name", "x", "--no-backtest", *extra])
    lines = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(lines) == 1 and lines[0].startswith("calibrate: error: "), lines
    assert message in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_as_of_with_an_offset_is_converted(tmp_path, monkeypatch):
    import json

    from sim.calibrate.cli import main

    (tmp_path / "r.csv").write_text(REQUESTS)
    monkeypatch.chdir(tmp_path)
    main(["requests", "r.csv", "--name", "x", "--no-backtest", "--timezone", NY, "--as-of", "2024-11-05T15:00:00Z"])
    cal = json.loads((tmp_path / "reports/calibration/x/calibration.json").read_text())
    # day 0 is 2024-11-01 00:00 EDT (04:00 UTC); 2024-11-05 15:00 UTC is 4 days and 11 hours later
    assert cal["as_of"] == (4 * 24 + 11) * 3600.0 and cal["as_of_time"] == "2024-11-05T10:00:00-05:00"
    assert cal["log"]["times"]["time_zone"] == NY
