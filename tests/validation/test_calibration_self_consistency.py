"""A log produced by the simulator calibrates back to the parameters that generated it.

Two weeks of a single-queue centre with a day profile that is closed at night, weekday factors, lognormal
handle times, exponential patience and redials is simulated with ``report.request_log=true``; its
``calls.csv`` (the ``generic`` call-log format) goes through ``python -m sim.calibrate calls`` (in
process), fitted on the first week (``--fit-to``) and held out on Monday to Friday of the second.  Every
check compares a fitted value with the generating one within four standard errors of its estimator
(fixed seed: the test cannot flake):

* volumes per weekday (Poisson counts) and the hourly shares; closed hours exactly zero;
* handle-time mean (lognormal, the family chosen) and patience mean (censored MLE) and median
  (Kaplan-Meier); the redial probability and delay;
* the scenario written is runnable and the back-test of a log against its own model agrees;
* out of sample: the hold-out's half-hourly error of the simulation is at the noise floor (the error of a
  day bootstrap of the hold-out days), for abandonment, ASA and service level.

A request log goes the same way: a week of a centre whose every contact becomes a work order (1,200 calls and
400 online submissions a day, flat profiles, 60% to districts resolved in exponential 24 h, 40% to streets in
48 h, dispatch 0.5 h and response 1 h, ample capacity, no reopening) is simulated with
``report.request_log=true``; its ``requests.csv`` goes through ``python -m sim.calibrate requests`` with a
mapping file of its columns (as a user's export would).  Volumes, channel split, weekday factors, hourly
shares and category mix come back within four standard errors; each unit type's Kaplan-Meier median and 90th
percentile of time to close within four standard errors of the generating 1.5 h + R ln 2 and 1.5 h + R ln 10
(plus at most 0.2 h at the front line).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

PROFILE = [0] * 7 + [1, 3, 5, 6, 6, 5, 5, 6, 6, 5, 4, 3, 2, 2, 1, 1, 0]
DOW = [1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3]
PER_DAY, HANDLE, CV, PATIENCE, REDIAL, DELAY = 2000.0, 200.0, 0.8, 150.0, 0.3, 600.0
REPLICATIONS = "8"


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """(calibration.json, scenario text, folder) of the simulator's own week, calibrated back."""
    import os

    from sim.api import compose_config, run
    from sim.calibrate.cli import run as calibrate

    folder = tmp_path_factory.mktemp("selfcheck")
    cfg = compose_config("single_queue", [
        f"arrivals.phone.per_day={PER_DAY}", f"arrivals.phone.hourly_profile=[{','.join(map(str, PROFILE))}]",
        f"arrivals.day_of_week=[{','.join(map(str, DOW))}]", f"calls.handle_s={{dist:lognormal,mean:{HANDLE},cv:{CV}}}",
        f"calls.patience_s={{dist:exponential,mean:{PATIENCE}}}", f"calls.retrial.probability={REDIAL}",
        f"calls.retrial.delay_s={{dist:exponential,mean:{DELAY}}}", "staffing.operators=10",
        "experiment.replications=1", "experiment.horizon_h=336", "experiment.warmup_h=0", "experiment.seed=11",
        "report.request_log=true", "report.plots=false", "report.html=false", "experiment.progress=false"])
    run(cfg, out_dir=folder / "sim")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        lines = calibrate(["calls", "sim/calls.csv", "--format", "generic", "--name", "selfcheck", "--fit-to",
                           "2024-01-07", "--holdout-from", "2024-01-08", "--holdout-to", "2024-01-12",
                           "--replications", REPLICATIONS, "--factors", "1.25"])
    finally:
        os.chdir(cwd)
    assert lines[-1].startswith("wrote scenarios/selfcheck.yaml")
    data = json.loads((folder / "reports/calibration/selfcheck/calibration.json").read_text())
    return data, (folder / "scenarios/selfcheck.yaml").read_text(), folder


def test_volumes_and_profile(calibrated):
    cal, _, _ = calibrated
    # calls.csv is on a nominal calendar without offsets or daylight saving: read as written, and said so
    times = cal["log"]["times"]
    assert times["time_zone"] is None and times["times_with_offset"] == 0 and times["times_without_offset"] > 0
    assert "read as they are" in times["rule"] and cal["log"]["first"].startswith("2024-01-01T")
    for i, day in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
        expected = PER_DAY * DOW[i]
        assert abs(cal["calls_per_weekday"][day] - expected) <= 4 * math.sqrt(expected), day
    week = cal["calls_per_day"] * 7
    assert abs(week - PER_DAY * sum(DOW)) <= 4 * math.sqrt(PER_DAY * sum(DOW))
    shares = np.array(PROFILE, float) / sum(PROFILE)
    fitted = np.array(cal["hourly_profile"])
    assert len(fitted) == 24, "every weekday has the same shape: one profile"
    assert np.all(fitted[shares == 0] == 0.0), "closed hours must be exactly 0"
    assert 0.5 * np.abs(fitted - shares).sum() < 0.03


def test_handle_patience_and_redials(calibrated):
    cal, text, _ = calibrated
    h = cal["handle_s"]
    assert h["family"] == "lognormal" and h["mean"] == pytest.approx(h["sample_mean"], rel=1e-9)
    assert abs(h["mean"] - HANDLE) <= 4 * HANDLE * CV / math.sqrt(h["n"])
    assert abs(h["cv"] - CV) < 0.05
    p = cal["patience_s"]
    assert abs(p["mean"] - PATIENCE) <= 4 * PATIENCE / math.sqrt(p["n_events"])
    assert abs(p["km_median"] - PATIENCE * math.log(2)) <= 0.15 * PATIENCE * math.log(2)
    r = cal["retrial"]
    assert abs(r["share"] - REDIAL) <= 4 * math.sqrt(REDIAL * (1 - REDIAL) / r["abandoned_identified"])
    assert abs(r["delay_s"]["mean"] - DELAY) <= 4 * DELAY / math.sqrt(r["redials_identified"])
    assert r["max_chain"] <= 3
    # the simulator's operators answer at once: no pickup delay is measured, none written
    assert cal["pickup_delay_s"] is None and "pickup_delay_s" not in text


def test_scenario_is_runnable_and_the_backtest_agrees(calibrated):
    cal, text, folder = calibrated
    assert "calibrated by" in text.splitlines()[0] and "# " in text.split("per_day:", 1)[1].splitlines()[0]
    bt = cal["backtest"]
    assert bt["replications"] == int(REPLICATIONS) and {s["factor"] for s in bt["sensitivity"]} == {1.0, 1.25}
    assert bt["in_sample"] is True and cal["windows"]["fit"]["to"] == "2024-01-07"
    day = bt["comparison"]["whole_day"]
    # a log against its own model: arrivals within 5%, abandonment within 3 points (the plan is a lower bound)
    assert abs(day["arrivals"]["error"]) <= 0.05 * day["arrivals"]["observed"]
    assert abs(day["abandon_rate"]["error"]) <= 0.03
    html = (folder / "reports/calibration/selfcheck/calibration.html").read_text()
    assert html.count("data:image/png;base64,") >= 6 and "cannot identify" in html


def test_holdout_error_is_at_the_noise_floor(calibrated):
    cal, _, _ = calibrated
    h = cal["holdout"]
    assert h["window"]["from"] == "2024-01-08" and h["window"]["days"] == 5
    e = h["errors"]
    for kpi in ("abandon_rate", "asa_s", "service_level"):
        sim, floor = e["simulated"][kpi]["mae"], e["noise_floor"][kpi]["mae"]
        assert sim <= 1.25 * floor, f"{kpi}: simulation's error {sim:.4g} against the noise floor {floor:.4g}"
        assert abs(e["simulated"][kpi]["bias"]) <= 0.5 * floor, kpi
    # the log holds no agent codes: the agents are the services in progress while callers wait, which the
    # simulator keeps at its 10 operators through the busy hours
    plan = cal["agents_half_hourly"]["by_team"]["operators"]
    assert max(plan) == 10.0 and cal["agents_half_hourly"]["with_agent_codes"] is False


# ------------------------------------------------------------------------------------------ request log round trip
REQ_PHONE, REQ_ONLINE, DAYS = 1200.0, 400.0, 7
REQ_SHARES, REQ_RESOLUTION_H, FRONT_H = {"district": 0.6, "street": 0.4}, {"district": 24.0, "street": 48.0}, 1.5
REQ_SCENARIO = f"""extends: single_queue
description: "every contact a work order, for the request-log round trip"
arrivals:
  phone: {{per_day: {REQ_PHONE}}}
  online: {{per_day: {REQ_ONLINE}, hourly_profile: [{', '.join(['1'] * 24)}]}}
categories:
  all: {{share: 0.6, direct_share: 0.0, urgency: {{general: 1.0}}, unit_type: district}}
  roads: {{share: 0.4, direct_share: 0.0, urgency: {{general: 1.0}}, unit_type: street,
          resolution_h: {{dist: exponential, mean: 48}}}}
staffing: {{operators: 20}}
calendars:
  always: {{days: [0, 1, 2, 3, 4, 5, 6], start_h: 0, end_h: 24}}
units:
  district: {{count: 4, case_workers: 100, caseload: 10, calendar: always}}
  street: {{count: 8, case_workers: 100, caseload: 10, calendar: always}}
workorders:
  dispatch_delay_h: {{general: {{dist: constant, value: 0.5}}}}
  response_delay_h: {{general: {{dist: constant, value: 1.0}}}}
  resolution_h: {{dist: exponential, mean: 24}}
  misroute_probability: 0
feedback: {{reopen_probability: 0, staffing: {{operators: 20}}}}
"""
#: A user's mapping of the simulator's requests.csv (docs/outputs.md) onto the request fields.
REQ_MAPPING = """kind: requests
times: {format: iso}
columns: {created: arrival, closed: closed, agency: unit_type, category: category, channel: channel,
          status: terminal_state, run: replication}
channels: {phone: phone, online: online}
"""


@pytest.fixture(scope="module")
def requests_calibrated(tmp_path_factory):
    """(calibration.json, the rows of requests.csv, folder) of the simulated week, calibrated back."""
    import csv
    import os

    from sim.api import compose_config, run
    from sim.calibrate.cli import run as calibrate

    folder = tmp_path_factory.mktemp("request_roundtrip")
    (folder / "roundtrip.yaml").write_text(REQ_SCENARIO)
    (folder / "sim_requests.yaml").write_text(REQ_MAPPING)
    (folder / "units.yaml").write_text("district: district\nstreet: street\n")
    cfg = compose_config(str(folder / "roundtrip.yaml"), [
        f"experiment.horizon_h={24 * DAYS}", "experiment.warmup_h=0", "experiment.drain_h=336",
        "experiment.replications=1", "experiment.seed=5", "report.request_log=true", "report.plots=false",
        "report.html=false", "experiment.progress=false"])
    run(cfg, out_dir=folder / "sim")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        lines = calibrate(["requests", "sim/requests.csv", "--format", "sim_requests.yaml", "--units", "units.yaml",
                           "--name", "roundtrip_fit", "--no-backtest"])
    finally:
        os.chdir(cwd)
    assert lines[-1].startswith("wrote scenarios/roundtrip_fit.yaml"), lines
    with (folder / "sim" / "requests.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return json.loads((folder / "reports/calibration/roundtrip_fit/calibration.json").read_text()), rows, folder


def test_request_volumes_channels_and_mix(requests_calibrated):
    cal, rows, _ = requests_calibrated
    total = REQ_PHONE + REQ_ONLINE
    assert cal["requests"] == len(rows) and cal["resident_requests"] == len(rows)
    assert abs(cal["requests_per_day"] - total) <= 4 * math.sqrt(total / DAYS), cal["requests_per_day"]
    for ch, per_day in (("phone", REQ_PHONE), ("online", REQ_ONLINE)):
        got = cal["channels"]["per_day"][ch]
        assert abs(got - per_day) <= 4 * math.sqrt(per_day / DAYS), f"{ch}: {got} a day, generated {per_day}"
    for i, f in enumerate(cal["day_of_week"]):
        assert abs(f - 1.0) <= 4 / math.sqrt(total), f"weekday {i}: factor {f}, generated 1"
    flat = np.full(24, 1 / 24)
    assert len(cal["hourly_profile"]) == 24 and 0.5 * np.abs(np.array(cal["hourly_profile"]) - flat).sum() < 0.03
    n = len(rows)
    for cat, share in (("all", 0.6), ("roads", 0.4)):
        assert abs(cal["categories"][cat] - share) <= 4 * math.sqrt(share * (1 - share) / n), cal["categories"]


def test_request_times_to_close(requests_calibrated):
    """Each unit type's Kaplan-Meier median and 90th percentile of time to close, from (almost) only closed
    requests, against 1.5 h + R ln 2 and 1.5 h + R ln 10 of an exponential resolution of mean R (standard
    errors R / sqrt(n) and 3 R / sqrt(n)); the counts are those of the log, read here from requests.csv."""
    cal, rows, _ = requests_calibrated
    for unit_type, mean_h in REQ_RESOLUTION_H.items():
        fit = cal["close_h_by_unit_type"][unit_type]
        mine = [r for r in rows if r["unit_type"] == unit_type]
        closed = sum(1 for r in mine if r["closed"])
        assert (fit["closed"], fit["open"]) == (closed, len(mine) - closed), (unit_type, fit)
        assert abs(len(mine) / len(rows) - REQ_SHARES[unit_type]) < 0.02, unit_type
        for q, key, se in ((math.log(2), "median", 1.0), (math.log(10), "p90", 3.0)):
            want = FRONT_H + mean_h * q
            tol = 4 * se * mean_h / math.sqrt(closed) + 0.2
            assert abs(fit[key] - want) <= tol, f"{unit_type} {key}: {fit[key]:.2f} h, generated {want:.2f} h +- {tol:.2f}"


def test_request_scenario_is_runnable(requests_calibrated):
    """The scenario written composes (given by its path) with the fitted volumes."""
    from sim.api import compose_config

    cal, _, folder = requests_calibrated
    cfg = compose_config(str(folder / "scenarios" / "roundtrip_fit.yaml"), ["experiment.horizon_h=2",
                                                                            "experiment.drain_h=0"])
    assert cfg.arrivals.phone.per_day == pytest.approx(cal["channels"]["per_day"]["phone"], rel=1e-6)
    assert set(cfg.units) == {"district", "street"}
