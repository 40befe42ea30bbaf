"""A log produced by the simulator calibrates back to the parameters that generated it.

One week of a single-queue centre with a day profile that is closed at night, weekday factors, lognormal
handle times, exponential patience and redials is simulated with ``report.request_log=true``; its
``calls.csv`` (the ``generic`` call-log format) goes through ``python -m sim.calibrate calls`` (in
process), with a small back-test.  Every check compares a fitted value with the generating one within
four standard errors of its estimator (fixed seed: the test cannot flake):

* volumes per weekday (Poisson counts) and the hourly shares; closed hours exactly zero;
* handle-time mean (lognormal, the family chosen) and patience mean (censored MLE) and median
  (Kaplan-Meier); the redial probability and delay;
* the scenario written is runnable and the back-test of a log against its own model agrees.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

PROFILE = [0] * 7 + [1, 3, 5, 6, 6, 5, 5, 6, 6, 5, 4, 3, 2, 2, 1, 1, 0]
DOW = [1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3]
PER_DAY, HANDLE, CV, PATIENCE, REDIAL, DELAY = 2000.0, 200.0, 0.8, 150.0, 0.3, 600.0


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
        "experiment.replications=1", "experiment.horizon_h=168", "experiment.warmup_h=0", "experiment.seed=11",
        "report.request_log=true", "report.plots=false", "report.html=false", "experiment.progress=false"])
    run(cfg, out_dir=folder / "sim")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        lines = calibrate(["calls", "sim/calls.csv", "--format", "generic", "--name", "selfcheck",
                           "--replications", "2", "--factors", "1.25"])
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
    cal, _, _ = calibrated
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


def test_scenario_is_runnable_and_the_backtest_agrees(calibrated):
    cal, text, folder = calibrated
    assert "calibrated by" in text.splitlines()[0] and "# " in text.split("per_day:", 1)[1].splitlines()[0]
    bt = cal["backtest"]
    assert bt["replications"] == 2 and {s["factor"] for s in bt["sensitivity"]} == {1.0, 1.25}
    day = bt["comparison"]["whole_day"]
    # a log against its own model: arrivals within 5%, abandonment within 3 points (the plan is a lower bound)
    assert abs(day["arrivals"]["error"]) <= 0.05 * day["arrivals"]["observed"]
    assert abs(day["abandon_rate"]["error"]) <= 0.03
    html = (folder / "reports/calibration/selfcheck/calibration.html").read_text()
    assert html.count("data:image/png;base64,") >= 6 and "cannot identify" in html
