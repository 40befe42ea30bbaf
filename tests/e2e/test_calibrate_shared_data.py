"""The documented calibration commands, run on the shared real logs.

Every ``python -m sim.calibrate`` command of the README and docs/ on the public logs (``../shared/data``;
``tests/e2e/test_docs_commands.py`` leaves them to this module) runs here as written, in a fresh folder,
with the log path resolved to the shared data folder and a small back-test appended (2 replications and
one sensitivity factor for the call log, one replication for NYC, none for Baltimore).  The data folder
is ``$HOTLINE_SHARED_DATA`` or ``<repository>/../shared/data``; without it the tests skip with a message
(a fresh clone has no data), and fail under CI, which has it (``support.require``).  Checks, beyond "it runs":

* the bank's call log (Brown et al. 2005): a runnable scenario whose every fitted number carries a
  comment; 168 hourly weights with Friday afternoon and Saturday daytime exactly 0; the handle time's
  mean equal to the sample mean; patience from 7,000+ abandonments with most waits censored; the
  unreadable rows counted with their line numbers; the agents' plan flagged as a lower bound; the
  back-test's series;
* the 311 logs: close times per agency with median and 90th percentile, open requests censored,
  requests closed before they were created left out (NYC), their times read as New York local times
  (two Baltimore requests in a repeated hour), and NYC's back-test per unit type.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest
from support import ROOT, require

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHARED = Path(os.environ.get("HOTLINE_SHARED_DATA") or ROOT.parent / "shared" / "data")
#: appended to a command (argparse keeps the last value): a small back-test; Baltimore's (a year of a
#: 311 sample with its long drain) is left to the command itself, NYC's tests the request back-test
SMALL = {"calls": ["--replications", "2", "--factors", "0.7"], "requests": ["--replications", "1"],
         "baltimore": ["--no-backtest"]}


def calibrate_commands():
    """(file:line, argv) of every documented calibration command on the public logs (the others, on a log the
    simulator writes, run in tests/e2e/test_docs_commands.py)."""
    out = []
    for path in DOCS:
        inside = False
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("```"):
                inside = line.strip() == "```bash" and not inside
                continue
            text = re.sub(r"(^|\s)#.*$", "", line).strip()
            if inside and text.startswith(".venv/bin/python -m sim.calibrate ") and "../shared/data/" in text:
                out.append((f"{path.relative_to(ROOT)}:{i}", shlex.split(text)[3:]))
    return out


COMMANDS = calibrate_commands()


def test_commands_documented():
    logs = " ".join(" ".join(argv) for _, argv in COMMANDS)
    for name in ("anonymous_bank/calls.csv", "311/baltimore_requests.csv", "311/nyc_requests.csv"):
        assert name in logs, f"no documented calibration of {name}"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """argv -> (folder, printed lines, calibration.json, scenario text) of each documented command."""
    require(SHARED.is_dir(), f"the public logs' folder {SHARED}",
            "set HOTLINE_SHARED_DATA to the folder of the public logs (docs/calibration.md says where they come from)")
    from sim.calibrate.cli import run

    out = {}
    cwd = os.getcwd()
    unique = {tuple(argv): where for where, argv in reversed(COMMANDS)}  # a command documented twice runs once
    for argv, where in ((list(a), w) for a, w in unique.items()):
        folder = tmp_path_factory.mktemp("calibrate")
        args = [a.replace("../shared/data", str(SHARED)) for a in argv] + SMALL[argv[0]]
        args += SMALL["baltimore"] if "baltimore" in argv[1] else []
        name = args[args.index("--name") + 1]
        os.chdir(folder)
        try:
            lines = run(args)
        finally:
            os.chdir(cwd)
        data = json.loads((folder / "reports/calibration" / name / "calibration.json").read_text())
        out[where] = (folder, lines, data, (folder / "scenarios" / f"{name}.yaml").read_text())
    return out


def _one(results, kind, log):
    found = [v for v in results.values() if v[2]["kind"] == kind and v[2]["log"]["path"].endswith(log)]
    assert found, f"no documented calibration of {log}"
    return found[0]


def test_bank_call_log(results):
    folder, lines, cal, text = _one(results, "calls", "anonymous_bank/calls.csv")
    assert lines[-1].startswith("wrote scenarios/") and (folder / "reports/calibration").is_dir()
    info = cal["log"]
    assert info["rows"] == 41768 and info["skipped"] == 57 and info["skipped_first_lines"][0]["line"] == 191
    assert info["not_offered"] == 3057 and cal["calls_offered"] == 41768 - 57 - 3057
    week = cal["hourly_profile"]
    assert len(week) == 168
    assert all(w == 0.0 for w in week[4 * 24 + 15:5 * 24]), "Friday afternoon must be closed (exactly 0)"
    assert all(w == 0.0 for w in week[5 * 24:5 * 24 + 20]), "Saturday daytime must be closed (exactly 0)"
    assert cal["day_of_week"][5] < 0.2 and cal["day_of_week"][4] < 0.6
    h = cal["handle_s"]
    assert abs(h["mean_gap"]) < 1e-9 and h["gof"]["statistic"].startswith("Kolmogorov")
    for key in ("family", "params", "mean", "sample_mean", "mle_mean_gap"):
        assert key in h and key in h["by_category"]["PS"]
    p = cal["patience_s"]
    assert p["n_events"] > 7000 and p["n_censored"] > 3 * p["n_events"] and 200 < p["km_median"] < 600
    assert cal["retrial"]["share"] > 0 and cal["agents_half_hourly"]["lower_bound"] is True
    assert len(cal["agents_half_hourly"]["plan"]) == 336 and max(cal["agents_half_hourly"]["plan"]) >= 5
    comments = [ln for ln in text.splitlines() if re.match(r"\s+(per_day|hourly_profile|day_cv|handle_s|"
                                                           r"patience_s|probability|half_hourly):", ln)]
    comments = [ln for ln in comments if not ln.strip().startswith("per_day: 0 ")]  # online: not fitted
    assert len(comments) >= 8 and all("#" in ln and "calls.csv" in ln.split("#", 1)[1] for ln in comments)
    bt = cal["backtest"]
    assert set(bt["comparison"]["series"]) >= {"arrivals", "answered_share", "abandon_rate", "asa_s"}
    assert len(bt["comparison"]["series"]["abandon_rate"]["observed"]) == 48
    assert bt["weekdays"] == ["Mon", "Tue", "Wed", "Thu", "Sun"]
    assert abs(bt["comparison"]["whole_day"]["abandon_rate"]["observed"] - 0.19) < 0.02


@pytest.mark.parametrize("log", ["311/baltimore_requests.csv", "311/nyc_requests.csv"])
def test_311_request_logs(results, log):
    folder, lines, cal, text = _one(results, "requests", log)
    assert cal["requests"] == (10000 if "baltimore" in log else 4999)
    for agency, c in cal["close_h"].items():
        assert c["closed"] >= 30 and c["family"] in ("exponential", "lognormal", "gamma", "weibull"), agency
        assert c["median"] is None or c["p90"] is None or c["median"] <= c["p90"]
    assert sum(c["open"] for c in cal["close_h"].values()) > 0, "open requests must be censored, not dropped"
    times = cal["log"]["times"]  # US Eastern wall-clock times without an offset, read with --timezone
    assert times["time_zone"] == "America/New_York" and times["skipped_hour_rows"] == 0
    assert times["repeated_hour_rows"] == (2 if "baltimore" in log else 0)
    if "nyc" in log:
        assert cal["log"]["first"] == "2023-02-28T11:31:00-05:00" and times["utc_offsets"] == ["-05:00"]
        assert any("closed before they were created" in n for n in cal["notes"])
        assert all(w == 0.0 for w in cal["hourly_profile"][:11]), "hours the log does not cover get no weight"
    bt = cal["backtest"]
    if "nyc" in log:
        assert bt["replications"] == 1 and set(bt["unit_types"]) == set(cal["unit_shares"])
        police = bt["unit_types"]["police"]["median"]  # 1,568 requests closed in about an hour
        assert abs(police["error"]) < 0.5 * police["observed"]
    else:
        assert bt is None and (folder / "reports/calibration/baltimore311/calibration.html").is_file()
    assert "resolution_h" in text and "not in the log" in text
