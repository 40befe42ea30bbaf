"""A log the simulator writes for a dated scenario forecasts back to its rates within sampling error.

Four weeks of known rates per date and half-hour (Monday to Saturday, open 08:00-20:00, a busier Monday and
Friday, a quiet Saturday, closed on Sunday) are simulated as a dated scenario with the call log on
(``calls.csv``, real dates), two replications; ``python -m sim.forecast --format generic`` then forecasts the
next week from that log.  What it gives back is compared with the rates the scenario had:

* each open day's expected total, and the week's, within sampling error: the history holds each weekday 8
  times (4 weeks x 2 replications), so a forecast that estimates a weekday's level from them misses its true
  total ``T`` by about ``sqrt(T / 8)`` (Poisson); the bound is 4 of those for a day, 3 for the week;
* Sunday forecast closed (the centre never opened on Sundays in the log);
* the half-hourly shape: the WAPE of the forecast's means against the true rates stays within twice the
  error an average of the 8 observations of each half-hour would have (``E|mean - lambda|``, Poisson);
* the back-test on the log itself is no worse than the mean of the last four same weekdays.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import textwrap

import numpy as np
import pytest
from support import run_cli

START = dt.date(2024, 3, 4)  # a Monday
WEEKS = 4
REPLICATIONS = 2
#: calls per open half-hour by weekday (Monday first), before the intraday shape
LEVEL = [40.0, 30.0, 30.0, 30.0, 36.0, 16.0, 0.0]


def rate(day: dt.date, slot: int) -> float:
    """True expected calls of a half-hour: open 08:00-20:00, a morning peak."""
    hour = slot / 2
    if not 8 <= hour < 20:
        return 0.0
    return LEVEL[day.weekday()] * (1.4 if 9 <= hour < 12 else 1.0)


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roundtrip")
    lines = ["start,channel,expected"]
    for d in range(WEEKS * 7):
        day = START + dt.timedelta(days=d)
        for s in range(48):
            t = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=30 * s)
            lines.append(f"{t.isoformat(timespec='minutes')},phone,{rate(day, s)}")
    (folder / "history.csv").write_text("\n".join(lines) + "\n")
    per_day = sum(rate(START + dt.timedelta(days=d), s) for d in range(7) for s in range(48)) / 7
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "known.yaml").write_text(textwrap.dedent(f"""\
        extends: single_queue
        dated: {{file: history.csv}}
        experiment: {{horizon_h: {WEEKS * 7 * 24}, warmup_h: 0, replications: {REPLICATIONS}, start_weekday: 0,
                      jobs: 1}}
        arrivals: {{phone: {{per_day: {per_day}}}}}
        staffing: {{operators: 30}}
        """))
    proc = run_cli(["scenario=known", "report.dir=run", "report.request_log=true", "report.plots=false",
                    "report.html=false", "report.print_table=false"], cwd=folder)
    assert proc.returncode == 0, proc.stderr
    import os

    from sim.forecast.cli import run

    cwd = os.getcwd()
    os.chdir(folder)
    try:
        printed = run(["run/calls.csv", "--format", "generic", "--name", "back"])
    finally:
        os.chdir(cwd)
    report = folder / "reports" / "forecast" / "back"
    with open(report / "forecast.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return json.loads((report / "forecast.json").read_text()), rows, printed


def test_the_log_has_the_scenarios_dates(roundtrip):
    data, rows, _ = roundtrip
    # the last Sunday holds no call: the history ends on Saturday 30 March, and the forecast starts the day after
    assert data["history"]["first"] == "2024-03-04" and data["history"]["last"] == "2024-03-30"
    assert data["range"] == {"from": "2024-03-31", "to": "2024-04-06"}
    assert data["history"]["open_weekdays"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


def test_daily_totals_come_back_within_sampling_error(roundtrip):
    data, _, _ = roundtrip
    days = data["channels"]["phone"]["days"]
    week_true = week_forecast = 0.0
    for d in days:
        day = dt.date.fromisoformat(d["date"])
        true = sum(rate(day, s) for s in range(48))
        week_true += true
        week_forecast += d["expected"]
        if true == 0:
            assert d["kind"] == "closed" and d["expected"] == 0, d
            continue
        sd = math.sqrt(true / (WEEKS * REPLICATIONS))
        assert abs(d["expected"] - true) <= 4 * sd, (d["date"], d["expected"], true, sd)
    sd_week = math.sqrt(week_true / (WEEKS * REPLICATIONS))
    assert abs(week_forecast - week_true) <= 3 * sd_week, (week_forecast, week_true, sd_week)


def test_half_hourly_shape_comes_back_within_sampling_error(roundtrip):
    _, rows, _ = roundtrip
    forecast = np.array([float(r["expected"]) for r in rows])
    true = np.array([rate(dt.datetime.fromisoformat(r["start"]).date(), i % 48) for i, r in enumerate(rows)])
    n = WEEKS * REPLICATIONS
    floor = float(np.sum(np.sqrt(2 * true / (math.pi * n)))) / float(np.sum(true))  # E|mean of n - lambda|, normal
    wape = float(np.sum(np.abs(forecast - true))) / float(np.sum(true))
    assert wape <= 2 * floor, (wape, floor)
    assert np.all(forecast[true == 0] < 0.05), "no demand forecast where the scenario had none"


def test_back_test_on_the_log_beats_the_naive_forecast(roundtrip):
    data, _, printed = roundtrip
    overall = data["channels"]["phone"]["backtest"]["overall"]
    if not overall:
        pytest.skip(f"no back-test week on four weeks of history: {printed}")
    assert overall["model"]["wape"] <= overall["mean4"]["wape"] * 1.05, overall
