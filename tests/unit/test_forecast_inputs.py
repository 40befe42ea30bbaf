"""The forecast's inputs: interval counts, call and request logs, the special-days file and the country;
the command's bad input (one line, exit status 2, nothing written) and its outputs."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pytest

from sim.core.errors import ConfigError
from sim.forecast.calendar import build_calendar, read_special_days
from sim.forecast.history import read_counts
from sim.forecast.logs import read_log_history


def _counts_file(path, days, start=dt.date(2024, 3, 4), step_min=5, per=3, weekends=False, extra=""):
    """A counts CSV: ``per`` arrivals in every ``step_min``-minute interval of 08:00-10:00 on each day."""
    lines = ["start,calls"]
    for k in range(days):
        d = start + dt.timedelta(days=k)
        if d.weekday() >= 5 and not weekends:
            continue
        for m in range(8 * 60, 10 * 60, step_min):
            lines.append(f"{d.isoformat()}T{m // 60:02d}:{m % 60:02d}:00,{per}")
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def test_counts_are_added_up_per_half_hour(tmp_path):
    f = _counts_file(tmp_path / "c.csv", 14, extra="2024-03-05T09:00:00,abc\nnot a time,4\n")
    h = read_counts(f, "c.csv")
    assert h.channels == ["phone"] and h.n_days == 12 and h.start == dt.date(2024, 3, 4)
    c = h.counts["phone"]
    assert c[0, 16] == 18 and c[0, 19] == 18 and c[0, 20] == 0 and c[0].sum() == 72  # 6 x 3 per half-hour
    assert not h.observed[5] and np.isnan(c[5]).all(), "a weekend without rows is no data"
    assert h.source["skipped"] == 2 and h.source["interval_min"] == 5
    assert [x["line"] for x in h.source["skipped_first_lines"]] == [len(f.read_text().splitlines()) - 1,
                                                                    len(f.read_text().splitlines())]


def test_counts_with_channel_and_category_columns(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("time,channel,type,n\n2024-03-04T08:00,phone,water,2\n2024-03-04T08:15,online,water,1\n"
                 "2024-03-04T08:45,phone,heat,4\n2024-03-18T08:00,phone,heat,1\n")
    h = read_counts(f, "c.csv", category_column="type")
    assert h.channels == ["phone", "online"] and h.n_days == 15
    assert h.counts["phone"][0, 16] == 2 and h.counts["phone"][0, 17] == 4 and h.counts["online"][0, 16] == 1
    assert h.categories["phone"]["heat"][0] == 4 and h.categories["phone"]["water"][0] == 2
    assert np.isnan(h.categories["phone"]["heat"][1]), "a day without data has no category count either"


def test_a_repeated_interval_is_skipped_not_added(tmp_path):
    """An export listed twice (overlapping exports pasted together) must not double the demand; the same clock
    time with two offsets (the hour a clock change repeats) is two intervals."""
    f = _counts_file(tmp_path / "c.csv", 14, extra="2024-03-04T08:00:00,3\n2024-03-04T08:05,3\n"
                                                  "2024-03-11T08:00+01:00,5\n")
    f.write_text(f.read_text().replace("2024-03-11T08:00:00,3", "2024-03-11T08:00:00+02:00,3"))
    h = read_counts(f, "c.csv")
    c = h.counts["phone"]
    assert c[0, 16] == 18 and c[0].sum() == 72, "a repeated interval is counted once"
    assert c[7, 16] == 18 + 5, "08:00+02:00 and 08:00+01:00 are two intervals"
    assert h.source["skipped"] == 2
    n = len(f.read_text().splitlines())
    first = h.source["skipped_first_lines"][0]
    assert first["line"] == n - 2 and "repeats the interval 2024-03-04T08:00:00 of line 2" in first["reason"]


def test_a_repeated_interval_of_a_channel_and_category_names_them(tmp_path):
    f = tmp_path / "c.csv"
    rows = [f"2024-03-{4 + d:02d}T08:{m},{ch},{cat},2" for d in range(14) for m in ("00", "30")
            for ch in ("phone", "online") for cat in ("water", "heat")]
    f.write_text("start,channel,category,calls\n" + "\n".join(rows + ["2024-03-05T08:00,online,heat,2"]) + "\n")
    h = read_counts(f, "c.csv")
    assert h.counts["online"][1, 16] == 4 and h.categories["online"]["heat"][1] == 4
    assert h.source["skipped"] == 1
    assert "repeats the interval 2024-03-05T08:00, online, heat of line 13" in h.source["skipped_first_lines"][0][
        "reason"]


def test_starts_with_an_offset_are_named_in_the_notes(tmp_path):
    """A UTC export (Z) read as the local clock shifts every half-hour by the centre's offset: the notes say how it
    was read; local offsets across a clock change are listed; a file without offsets has no such note."""
    f = _counts_file(tmp_path / "c.csv", 14)
    plain = f.read_text()
    assert not any("UTC" in n for n in read_counts(f, "c.csv").notes)
    f.write_text(plain.replace(":00,3", ":00Z,3"))
    h = read_counts(f, "c.csv")
    assert h.counts["phone"][0, 16] == 18, "read as written"
    assert h.notes == ["240 starts are written in UTC (Z or +00:00); they are read as the centre's local clock, as "
                       "written: if the export is in UTC and the centre is not, every half-hour is shifted by its "
                       "offset (convert the times to local clock time first)"]
    lines = plain.splitlines()
    f.write_text("\n".join([lines[0]] + [ln.replace(":00,", ":00-04:00," if i < 100 else ":00-05:00,")
                                         for i, ln in enumerate(lines[1:])]) + "\n")
    assert read_counts(f, "c.csv").notes == ["240 starts give a UTC offset (-05:00, -04:00); each is read as the "
                                             "local clock time written, the offset not applied"]


def test_a_day_of_zeros_is_no_data(tmp_path):
    f = _counts_file(tmp_path / "c.csv", 14, weekends=True)
    text = f.read_text().splitlines()
    zero_day = [ln if not ln.startswith("2024-03-09") else ln.rsplit(",", 1)[0] + ",0" for ln in text]
    f.write_text("\n".join(zero_day) + "\n")
    h = read_counts(f, "c.csv")
    assert not h.observed[5] and h.observed[4] and any("no arrivals at all" in n for n in h.notes)


@pytest.mark.parametrize("content, rule", [
    ("start,calls\n2024-03-04T08:00,1\n2024-03-04T09:00,1\n", "intervals of 60 min"),
    ("start,calls\n2024-03-04,10\n2024-03-05,10\n", "intervals of 1440 min"),
    ("start,calls\n", "holds a header but no rows"),
    ("", "the file is empty"),
    ("when,calls\n2024-03-04T08:00,1\n", "no start-time column"),
    ("start,a,b\n2024-03-04T08:00,1,2\n", "no count column"),
    ("start,calls\nx,1\ny,2\n2024-03-04T08:00,1\n", "2 of 3 rows cannot be read (first: line 2"),
    ("start,calls\n2024-03-04T08:00,-1\n", "is not a count"),
])
def test_unusable_counts_file_is_one_error(tmp_path, content, rule):
    f = tmp_path / "c.csv"
    f.write_text(content)
    with pytest.raises(ConfigError, match=rule.replace("(", r"\(")):
        read_counts(f, "c.csv")


def test_special_days_file(tmp_path):
    f = tmp_path / "days.csv"
    f.write_text("# the centre's own days\ndate,end,type,name,factor\n2024-10-01,2024-10-03,closed,National Day,\n"
                 "\n2024-11-15,,event,heating season start,1.25\n2024-09-29,,workday,,\n"
                 "2024-12-25,,open,,\n")
    days = read_special_days(f, "days.csv")
    assert [(d.day.isoformat(), d.type) for d in days] == [
        ("2024-10-01", "closed"), ("2024-10-02", "closed"), ("2024-10-03", "closed"), ("2024-11-15", "event"),
        ("2024-09-29", "workday"), ("2024-12-25", "open")]
    assert days[3].factor == 1.25 and days[3].name == "heating season start" and days[4].name == "workday"
    cal = build_calendar(dt.date(2024, 9, 1), 122, "US", days)
    assert cal.holiday[(dt.date(2024, 12, 25) - cal.start).days] == "", "declared open: not a holiday"
    assert cal.holiday[(dt.date(2024, 11, 28) - cal.start).days] == "Thanksgiving Day"
    assert cal.closed[30] and cal.workday[28] and cal.factors == {"heating season start": 1.25}


@pytest.mark.parametrize("content, rule", [
    ("date,type\n2024-13-01,closed\n", "--special-days=days.csv, line 2: date '2024-13-01'"),
    ("date,type\n2024-10-01,shut\n", "line 2: type 'shut': use one of closed, open, holiday, workday, event"),
    ("date,type,factor\n2024-10-01,closed,2\n", "line 2: factor '2': only an event has a factor"),
    ("date,type,factor\n# note\n2024-10-01,event,-1\n", "line 3: factor '-1'"),
    ("date,end,type\n2024-10-05,2024-10-01,closed\n", "line 2: end 2024-10-01 must be on or after"),
    ("day,type\n2024-10-01,closed\n", "the header needs the columns date and type"),
    ("", "the file is empty"),
    ("date,type\n2024-10-01,closed\n2024-10-01,open\n", "line 3: 2024-10-01 is given on line 2 already: give each "
                                                       "day once"),
    ("date,end,type,name\n2024-10-01,2024-10-07,closed,x\n# a campaign\n2024-10-03,,event,y\n",
     "line 4: 2024-10-03 is given on line 2 already"),
])
def test_bad_special_days_name_the_line(tmp_path, content, rule):
    f = tmp_path / "days.csv"
    f.write_text(content)
    with pytest.raises(ConfigError) as err:
        read_special_days(f, "days.csv")
    assert rule in str(err.value)


def test_country_calendar_and_unknown_country():
    cal = build_calendar(dt.date(2024, 9, 1), 61, "CN", [])
    worked = [cal.start + dt.timedelta(days=int(i)) for i in np.flatnonzero(cal.workday)]
    assert worked == [dt.date(2024, 9, 14), dt.date(2024, 9, 29), dt.date(2024, 10, 12)]
    assert cal.holiday[(dt.date(2024, 10, 1) - cal.start).days] == "National Day"
    assert build_calendar(dt.date(2024, 3, 1), 40, "US-CA", []).holiday[30] == "Cesar Chavez Day"
    for bad in ("XX", "US-ZZ", "China"):
        with pytest.raises(ConfigError, match=f"--country='{bad}': unknown to the holidays package"):
            build_calendar(dt.date(2024, 1, 1), 10, bad, [])


def test_call_log_is_the_phone_channel(tmp_path):
    rows = ["replication,arrival,left_queue,answered,ended,outcome,category,priority,caller_id"]
    for rep in (0, 1):
        for k in range(20):
            t = dt.datetime(2024, 3, 4, 9) + dt.timedelta(days=k, minutes=rep)
            cat = "water" if k % 2 else "heat"
            rows.append(f"{rep},{t.isoformat()},{t.isoformat()},{t.isoformat()},{t.isoformat()},answered,{cat},"
                        f"general,{k}")
    f = tmp_path / "calls.csv"
    f.write_text("\n".join(rows) + "\n")
    h = read_log_history(f, "calls.csv", "generic")
    assert h.channels == ["phone"] and h.n_days == 20 and h.source["kind"] == "calls" and h.source["runs"] == 2
    assert h.counts["phone"][0, 18] == 1.0, "two runs: their mean per half-hour"
    assert h.categories["phone"]["heat"][0] == 1.0 and h.categories["phone"]["water"][1] == 1.0
    assert any("2 runs" in n for n in h.notes)


def test_request_log_by_channel_class_without_staff_requests(tmp_path):
    rows = ["key,created,closed,due,agency,complaint_type,status,area,channel"]
    for k in range(30):
        t = dt.datetime(2024, 3, 4, 10) + dt.timedelta(days=k // 2)
        channel = ("Phone", "API", "Internal")[k % 3]
        rows.append(f"{k},{t.isoformat()},,,DPW,Pothole,Open,N,{channel}")
    f = tmp_path / "requests.csv"
    f.write_text("\n".join(rows) + "\n")
    h = read_log_history(f, "requests.csv", "open311")
    assert h.channels == ["phone", "online"] and h.source["kind"] == "requests"
    total = sum(float(np.nansum(c)) for c in h.counts.values())
    assert total == 20 and any("10 requests created by staff" in n for n in h.notes)
    assert h.categories["phone"]["Pothole"][0] == 1


def test_log_errors_name_the_history(tmp_path):
    with pytest.raises(ConfigError, match="HISTORY='none.csv': cannot read the file"):
        read_log_history(tmp_path / "none.csv", "none.csv", "generic")
    with pytest.raises(ConfigError, match="--format='nosuch': unknown format"):
        read_log_history(tmp_path / "none.csv", "none.csv", "nosuch")


def test_command_bad_input_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from sim.forecast.cli import main

    good = str(_counts_file(tmp_path / "c.csv", 21))
    short = str(_counts_file(tmp_path / "short.csv", 10))
    (tmp_path / "days.csv").write_text("date,type\n2024-03-30,closing\n")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "chan.csv").write_text("start,channel,calls\n2024-03-04T08:00,phone,1\n")
    cases = [
        ([str(tmp_path / "none.csv"), "--name", "x"], "HISTORY="),
        ([str(tmp_path / "none.csv"), "--name", "x"], "cannot read the file"),
        ([str(tmp_path / "bin.csv"), "--name", "x"], "is not UTF-8 text"),
        ([good, "--name", "x", "--from", "2024-03-20"], "--from='2024-03-20': must be after the history, which "
                                                        "ends on 2024-03-22"),
        ([good, "--name", "x", "--from", "2024-01-01"], "must be after the history"),
        ([good, "--name", "x", "--from", "2024-03-25", "--to", "2024-03-24"], "--to='2024-03-24': must be on or "
                                                                              "after --from"),
        ([good, "--name", "x", "--to", "2026-03-24"], "at most 366"),
        ([good, "--name", "x", "--to", "2024-03-22"], "--to='2024-03-22': must be on or after the range's first day, "
                                                      "2024-03-23 (the day after the history)"),
        ([good, "--name", "x", "--from", "next monday"], "--from='next monday': must be an ISO date"),
        ([short, "--name", "x"], "holds 10 day(s) (2024-03-04 to 2024-03-13), 8 with data; a forecast needs at "
                                 "least two weeks of history"),
        ([good, "--name", "x", "--country", "XX"], "--country='XX': unknown to the holidays package"),
        ([good, "--name", "x", "--special-days", str(tmp_path / "days.csv")], "line 2: type 'closing'"),
        ([good, "--name", "x", "--special-days", str(tmp_path / "nodays.csv")], "cannot read the file"),
        ([good, "--name", "1x"], "--name='1x': use a letter"),
        ([good, "--name", "x", "--backtest-weeks", "0"], "--backtest-weeks=0: must be in [1, 52]"),
        ([good, "--name", "x", "--backtest-weeks", "053"], "--backtest-weeks=053: must be in [1, 52]"),  # as typed
        ([good, "--name", "readme", "--base", "beijing_baseline"], "--name='readme': is the name of the scenario "
                                                                   "folder's documentation"),
        ([good, "--name", "x", "--format", "generic", "--count-column", "n"], "--count-column='n': only with "
                                                                             "--format counts"),
        ([good, "--name", "x", "--format", "nosuch"], "--format='nosuch': unknown format"),
        ([good, "--name", "x", "--count-column", "n"], "--count-column='n':"),
        ([str(tmp_path / "chan.csv"), "--name", "x", "--channel", "online"], "--channel='online': "
                                                                            f"{tmp_path / 'chan.csv'} has a channel "
                                                                            "column (channel)"),
        ([good, "--name", "x", "--bogus"], "unrecognized arguments: --bogus"),
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
    proc = subprocess.run([sys.executable, "-m", "sim.forecast", *cases[3][0]], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and cases[3][1] in proc.stderr


def test_command_writes_the_forecast_grid(tmp_path, monkeypatch):
    """Three weeks of counts (Monday to Friday, 08:00-10:00): the seven days after them, every half-hour of
    each, with the interval; the weekend closed; a second run needs --overwrite and replaces the folder."""
    from sim.forecast.cli import run

    f = _counts_file(tmp_path / "c.csv", 21)
    (tmp_path / "days.csv").write_text("date,type\n2020-01-01,closed\n2024-03-27,closed\n")
    monkeypatch.chdir(tmp_path)
    lines = run([str(f), "--name", "mine", "--channel", "online", "--special-days", "days.csv"])
    folder = tmp_path / "reports" / "forecast" / "mine"
    assert lines[-1] == f"wrote {folder.relative_to(tmp_path)}/forecast.csv, forecast.html, forecast.json"
    assert "note: 1 day(s) of --special-days fall outside the history and the range (2020-01-01 ...): not used" \
        in lines
    assert "note: the back-test holds 0 week(s), not the 8 of --backtest-weeks: a week needs 14 days of history " \
           "before it" in lines
    with open(folder / "forecast.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["start", "channel", "expected", "p10", "p90"]
    assert len(rows) == 7 * 48 and rows[0]["start"] == "2024-03-23T00:00" and rows[-1]["start"] == "2024-03-29T23:30"
    assert {r["channel"] for r in rows} == {"online"}
    monday_8 = next(r for r in rows if r["start"] == "2024-03-25T08:00")
    assert abs(float(monday_8["expected"]) - 18) < 2.5 and float(monday_8["p10"]) <= 18 <= float(monday_8["p90"])
    assert all(float(r["expected"]) == 0 for r in rows if r["start"] < "2024-03-25")   # the weekend: closed
    data = json.loads((folder / "forecast.json").read_text())
    days = data["channels"]["online"]["days"]
    assert [d["kind"] for d in days] == ["closed", "closed", "regular", "regular", "closed", "regular", "regular"]
    assert days[4]["reason"] == "declared closed"
    assert data["range"] == {"from": "2024-03-23", "to": "2024-03-29"}
    page = (folder / "forecast.html").read_text()
    assert ("<tr><td>2024-03-23</td><td>Sat</td><td>closed: the centre does not open on Saturdays</td>"
            '<td class="num">0</td><td class="num">0 - 0</td></tr>') in page, "a closed day reads 0, not 0.0"
    with pytest.raises(ConfigError, match="give --overwrite"):
        run([str(f), "--name", "mine"])
    run([str(f), "--name", "mine", "--overwrite", "--from", "2024-03-25", "--to", "2024-03-25"])
    with open(folder / "forecast.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 48
    assert sorted(p.name for p in folder.parent.iterdir()) == ["mine"], "no temporary folder left behind"


def test_skipped_rows_are_on_the_terminal_and_the_page_as_kept(tmp_path, monkeypatch):
    """25 repeated rows: the terminal and the page say how many were skipped and that forecast.json keeps the
    first 20 of them (not 'all')."""
    from sim.forecast.cli import run

    f = _counts_file(tmp_path / "c.csv", 21)
    text = f.read_text()
    f.write_text(text + "\n".join(text.splitlines()[1:26]) + "\n")
    monkeypatch.chdir(tmp_path)
    lines = run([str(f), "--name", "s"])
    assert lines[0].endswith("; 25 rows skipped (first: line 362: repeats the interval 2024-03-04T08:00:00 of line "
                             "2 (counted once); the first 20 in forecast.json)"), lines[0]
    folder = tmp_path / "reports" / "forecast" / "s"
    kept = json.loads((folder / "forecast.json").read_text())["history"]["source"]["skipped_first_lines"]
    assert len(kept) == 20
    page = (folder / "forecast.html").read_text()
    assert "25 of its 385 rows skipped (first: line 362: repeats the interval 2024-03-04T08:00:00 of line 2 " \
           "(counted once); the first 20 in forecast.json)." in page


def test_without_a_country_days_without_data_are_named_in_the_notes(tmp_path, monkeypatch):
    from sim.forecast.cli import run

    f = _counts_file(tmp_path / "c.csv", 19)
    f.write_text("\n".join(ln for ln in f.read_text().splitlines() if not ln.startswith("2024-03-13")) + "\n")
    monkeypatch.chdir(tmp_path)
    lines = run([str(f), "--name", "a"])
    assert any(ln.startswith("note: no --country: 1 day(s) of the history without data") for ln in lines), lines
    lines = run([str(f), "--name", "b", "--country", "US"])
    assert not any("no --country" in ln for ln in lines)
