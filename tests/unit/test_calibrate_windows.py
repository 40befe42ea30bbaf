"""Date windows of a calibration, the agents available measured from a log, and the hold-out's arithmetic.

* ``--fit-from/--fit-to/--holdout-from/--holdout-to``: a window outside the log, reversed, without a row,
  a hold-out overlapping the fit window or longer than a week's plan of agents holds, a date or hours that are
  not ones - each one line naming the option as typed, exit status 2, nothing written;
* a log cut to a window keeps each call's local clock (also across a daylight-saving change) and counts;
  a request log cut to a fit window stands as it was at the window's end;
* the estimator of the agents available, on a hand-made timeline: talking, between services, before and
  after a session, unavailable while callers of the team wait, off duty after a long gap; teams;
* the week plan of several dates is their certainty equivalent; the hold-out's dated scenario (each date's
  own half-hours), Erlang A at a fractional number of agents, persistence dates and the weighted errors;
* the handle-time factor by time of day taken within call types; the callers who find nobody waiting.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sim.calibrate.formats import load_format
from sim.calibrate.logread import read_calls
from sim.core.errors import ConfigError

MAPPING = """kind: calls
times: {format: iso}
columns: {arrival: t_in, left_queue: t_out, answered: t_start, ended: t_end, outcome: result, category: skill,
          agent: login, priority: prio}
outcomes: {OK: answered, GONE: abandoned}
priority_labels: ["vip"]
"""


def _row(day: dt.date, start_s: float, wait_s: float, talk_s: float, skill: str, login: str, answered: bool = True,
         prio: str = "std") -> str:
    t0 = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=start_s)
    left = t0 + dt.timedelta(seconds=wait_s)
    if not answered:
        return f"{t0.isoformat()},{left.isoformat()},,,GONE,{skill},,{prio}"
    end = left + dt.timedelta(seconds=talk_s)
    return f"{t0.isoformat()},{left.isoformat()},{left.isoformat()},{end.isoformat()},OK,{skill},{login},{prio}"


def _log(tmp_path: Path, rows: list[str], zone: str | None = None):
    (tmp_path / "m.yaml").write_text(MAPPING)
    (tmp_path / "log.csv").write_text("t_in,t_out,t_start,t_end,result,skill,login,prio\n" + "\n".join(rows) + "\n")
    from sim.calibrate.timestamps import time_rule

    return read_calls(tmp_path / "log.csv", load_format(str(tmp_path / "m.yaml"), "calls"), "log.csv",
                      time_rule(zone))


def _days(n: int, first: dt.date = dt.date(2024, 1, 1)) -> list[str]:
    """``n`` days of calls (skipping the third day: a date inside the log without a row)."""
    rng = np.random.default_rng(3)
    rows = []
    for d in range(n):
        if d == 2:
            continue
        day = first + dt.timedelta(days=d)
        for k in range(60):
            rows.append(_row(day, 9 * 3600 + 400 * k, float(rng.integers(0, 90)), float(rng.integers(60, 300)),
                             "a" if k % 4 else "b", f"ag{k % 3}", answered=k % 7 != 0, prio="vip" if k % 5 == 0 else "std"))
    return rows


def _run(tmp_path: Path, monkeypatch, capsys, args: list[str], rows: list[str] | None = None) -> str:
    from sim.calibrate.cli import main

    (tmp_path / "m.yaml").write_text(MAPPING)
    (tmp_path / "log.csv").write_text("t_in,t_out,t_start,t_end,result,skill,login,prio\n"
                                      + "\n".join(_days(9) if rows is None else rows) + "\n")
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SystemExit) as stop:
        main(["calls", "log.csv", "--format", "m.yaml", "--name", "x", "--no-backtest", *args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(lines) == 1, lines
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "nothing may be written"
    return lines[0]


@pytest.mark.parametrize("args, message", [
    (["--fit-from", "2024-13-01"], "--fit-from='2024-13-01': must be a date YYYY-MM-DD"),
    (["--fit-from", "2024-01-05", "--fit-to", "2024-01-04"], "--fit-to='2024-01-04': is before --fit-from"),
    (["--holdout-from", "2024-01-06", "--holdout-to", "2024-01-05"], "--holdout-to='2024-01-05': is before"),
    (["--fit-to", "2024-01-20"], "--fit-to='2024-01-20': outside the log, which runs from 2024-01-01 to 2024-01-09"),
    (["--fit-from", "2023-12-31"], "--fit-from='2023-12-31': outside the log"),
    (["--fit-from", "2024-01-03", "--fit-to", "2024-01-03"], "the fit window 2024-01-03..2024-01-03 holds no row"),
    (["--fit-to", "2024-01-05", "--holdout-from", "2024-01-05"], "overlaps the fit window 2024-01-01..2024-01-05"),
    (["--fit-to", "2024-01-02", "--holdout-from", "2024-01-03", "--holdout-to", "2024-01-03"],
     "the hold-out window 2024-01-03..2024-01-03 holds no row"),
    (["--fit-to", "2024-01-01", "--holdout-from", "2024-01-02"], "calibrate: error: --holdout-from='2024-01-02': the "
     "hold-out window 2024-01-02..2024-01-09 (to the log's last date) spans 8 days; at most 7 for a call log"),
    # a span too long is blamed on the options that made it, as typed (it was --holdout-from's in every case)
    (["--fit-to", "2024-01-01", "--holdout-to", "2024-01-09"], "calibrate: error: --holdout-to='2024-01-09': the "
     "hold-out window 2024-01-02..2024-01-09 (from the day after the fit window) spans 8 days"),
    (["--fit-to", "2024-01-01", "--holdout-from", "2024-01-02", "--holdout-to", "2024-01-09"],
     "calibrate: error: --holdout-from='2024-01-02' --holdout-to='2024-01-09': the hold-out window "
     "2024-01-02..2024-01-09 spans 8 days"),
    (["--fit-to", "2024-01-09", "--holdout-to", "2024-01-09"], "after the log's last date (2024-01-09)"),
    (["--fit-to", "2024-01-05", "--holdout-hours", "9-7"], "--holdout-hours='9-7': must be H1-H2"),
])
def test_bad_windows_are_one_line_and_write_nothing(tmp_path, monkeypatch, capsys, args, message):
    line = _run(tmp_path, monkeypatch, capsys, args)
    assert line.startswith("calibrate: error: ") and (line.startswith(message) or message in line), line


@pytest.mark.parametrize("args, shown", [
    (["--fit-from", "2024-01-10", "--fit-to", "2024-01-10"], "--fit-from='2024-01-10' --fit-to='2024-01-10': the fit "
                                                             "window 2024-01-10..2024-01-10 cannot be fitted: "),
    (["--fit-from", "2024-01-10"], "--fit-from='2024-01-10': the fit window 2024-01-10..2024-01-10 (to the log's "
                                   "last date) cannot be fitted: "),
])
def test_a_fit_window_that_cannot_be_fitted_names_its_options(tmp_path, monkeypatch, capsys, args, shown):
    """A day without an abandoned call gives no patience: the window's options are blamed (it was LOG='log.csv'),
    with the fit's reason."""
    quiet = [_row(dt.date(2024, 1, 10), 9 * 3600 + 400 * k, 5.0, 60.0 + k, "a", f"ag{k % 3}") for k in range(40)]
    line = _run(tmp_path, monkeypatch, capsys, args, rows=_days(9) + quiet)
    assert line.startswith(f"calibrate: error: {shown}") and "abandon" in line, line


def test_a_window_keeps_the_local_clock_across_a_daylight_saving_change(tmp_path):
    from sim.calibrate.windows import Window, subset_calls

    # Berlin sets its clocks forward on 31 March 2024 at 02:00: calls at 09:00 local every day
    rows = [_row(dt.date(2024, 3, 29) + dt.timedelta(days=d), 9 * 3600, 10, 60, "a", "ag0") for d in range(4)]
    log = _log(tmp_path, rows, "Europe/Berlin")
    w = Window(dt.date(2024, 3, 31), dt.date(2024, 4, 1), log.info.start_date)
    cut = subset_calls(log, w)
    assert cut.n == 2 and cut.info.start_date == dt.date(2024, 3, 31)
    assert list(cut.arrive_local_s) == [9 * 3600.0, 86400.0 + 9 * 3600.0], "the local hour of each call stays 9:00"
    assert cut.arrive_s[0] == 8 * 3600.0, "absolute time: the day of the change lasts 23 hours before 9:00 local"
    assert cut.ended_s[0] - cut.arrive_s[0] == 70.0 and cut.info.first.startswith("2024-03-31T09:00:00")


def test_a_request_log_cut_to_a_fit_window_is_the_log_as_it_stood_then(tmp_path):
    from sim.calibrate.formats import load_format as lf
    from sim.calibrate.logread import read_requests
    from sim.calibrate.windows import Window, subset_requests

    path = tmp_path / "r.csv"
    path.write_text("created,closed,agency,complaint_type,status,channel\n"
                    "2024-01-01T10:00:00,2024-01-01T12:00:00,DOT,Sign,Closed,Phone\n"
                    "2024-01-02T10:00:00,2024-01-05T10:00:00,DOT,Sign,Closed,Phone\n"
                    "2024-01-04T10:00:00,,DOT,Sign,Open,Phone\n")
    log = read_requests(path, lf("open311", "requests"), "r.csv")
    w = Window(dt.date(2024, 1, 1), dt.date(2024, 1, 2), log.info.start_date)
    fit = subset_requests(log, w, as_known_at_end=True)
    assert fit.closed_s[0] == 12 * 3600.0 and np.isnan(fit.closed_s[1]), "closed after the window: open at its end"
    assert fit.end_s == {0: 2 * 86400.0}
    later = subset_requests(log, w, as_known_at_end=False)
    assert later.closed_s[1] == 4 * 86400.0 + 10 * 3600.0 and later.end_s == log.end_s


def test_agents_available_on_a_timeline(tmp_path):
    from sim.calibrate.agents import find_teams, measure

    day = dt.date(2024, 1, 1)
    h10 = 10 * 3600
    rows = [_row(day, h10, 0, 600, "a", "ag0"),              # 10:00-10:10 talking
            _row(day, h10 + 20 * 60, 0, 600, "a", "ag0"),    # 10:20-10:30 talking (a gap of 10 minutes)
            _row(day, h10 + 12 * 60, 180, 0, "a", "", answered=False),  # a caller waits 10:12-10:15 and hangs up
            _row(day, 12 * 3600, 0, 60, "a", "ag0")]         # 12:00: a new session (gap over 30 minutes)
    log = _log(tmp_path, rows)
    a = measure(log, find_teams(log))
    avail, present, talking = a.available[0, 0], a.present[0, 0], a.talking[0, 0]
    # 09:30-10:00: the quarter-hour before the session, nobody waiting
    assert avail[19] == pytest.approx(0.5) and present[19] == 0.0
    # 10:00-10:30: available but for the 3 minutes a caller waited while the agent was between calls
    assert avail[20] == pytest.approx(27 / 30) and present[20] == pytest.approx(1.0)
    assert talking[20] == pytest.approx(20 / 30)
    assert avail[21] == pytest.approx(0.5) and present[21] == 0.0  # 10:30-10:45 after the session
    assert avail[22] == 0.0 and avail[23] == pytest.approx(0.5), "off duty between sessions"
    assert avail[24] == pytest.approx(0.5 + 1 / 30) and talking[24] == pytest.approx(1 / 30)


def test_teams_of_specialists(tmp_path):
    from sim.calibrate.agents import assign, find_teams

    day = dt.date(2024, 1, 1)
    rows = [_row(day, 3600 * 8 + 60 * k, 0, 30, skill, agent) for k, (skill, agent) in enumerate(
        [("web", "w1"), ("web", "w2")] * 10 + [("phone", "g1"), ("phone", "g2")] * 10 + [("web", "g1")] * 4)]
    log = _log(tmp_path, rows)
    t = find_teams(log)
    assert t.names == ["web", "general"] and t.skills == {"web": ["web", "general"], "phone": ["general"]}
    assert [t.names[k] for k in t.agent_team] == ["web", "web", "general", "general"]
    # a type every agent serves has no team of its own, however many serve only it
    only_phone = [_row(day, 3600 * 8 + 60 * k, 0, 30, "phone", f"p{k % 4}") for k in range(40)]
    assert find_teams(_log(tmp_path, only_phone)).names == ["general"]
    assert list(assign(t, log).agent_team) == list(t.agent_team)


def test_week_plan_is_the_certainty_equivalent():
    from sim.analysis.theory import erlang_a_metrics
    from sim.calibrate.agents import weekly_plan

    lam = np.zeros((2, 48))
    c = np.zeros((2, 48))
    lam[:, 20], c[:, 20] = [300.0, 60.0], [6.0, 6.0]      # a busy and a quiet Monday with the same agents
    lam[:, 21], c[:, 21] = [150.0, 150.0], [5.0, 5.0]     # two equal Mondays
    # dates 0 and 7 are both Mondays (start Monday, 8 dates)
    avail, off = np.zeros((8, 48)), np.zeros((8, 48))
    avail[[0, 7]], off[[0, 7]] = c, lam
    handle, patience = np.full(48, 180.0), 300.0
    plan = weekly_plan(avail, off, 0, handle, patience)
    assert plan[21] == pytest.approx(5.0, abs=1e-6), "equal dates: their own agents"

    def loss(n, k):
        return erlang_a_metrics(n / 1800.0, 1 / 180.0, 1 / patience, k, 0.0).p_abandon

    target = (300 * loss(300, 6) + 60 * loss(60, 6)) / 360
    lo = int(plan[20])
    mixed = (1 - (plan[20] - lo)) * loss(180, lo) + (plan[20] - lo) * loss(180, lo + 1)
    assert mixed == pytest.approx(target, rel=1e-4) and plan[20] < 6.0, "busy + quiet day: fewer equivalent agents"
    assert plan[48 * 1 + 20] == 0.0, "a weekday without dates has no agents"


def test_week_plan_counts_the_scenarios_day_multiplier():
    """With ``day_cv`` the template's loss is averaged over the gamma day multiplier the scenario draws (calls-
    weighted): checked against the integral over the gamma density, and more agents than without it where the
    loss is convex in the calls."""
    from scipy import integrate, stats

    from sim.analysis.theory import erlang_a_metrics
    from sim.calibrate.agents import weekly_plan

    avail, off = np.zeros((8, 48)), np.zeros((8, 48))
    avail[[0, 7], 20], off[[0, 7], 20] = [6.0, 6.0], [120.0, 100.0]  # two Mondays, moderately loaded
    handle, patience, cv = np.full(48, 180.0), 300.0, 0.3
    plain = weekly_plan(avail, off, 0, handle, patience)[20]
    with_cv = weekly_plan(avail, off, 0, handle, patience, day_cv=cv)[20]

    def loss(n, k):
        return 1.0 if k == 0 else erlang_a_metrics(n / 1800.0, 1 / 180.0, 1 / patience, k, 0.0).p_abandon

    def mixed(n, c):
        lo = int(c)
        return (1 - (c - lo)) * loss(n, lo) + (c - lo) * loss(n, lo + 1)

    target = (120 * loss(120, 6) + 100 * loss(100, 6)) / 220
    shape = 1 / cv ** 2
    density = stats.gamma(shape, scale=1 / shape).pdf
    exact, _ = integrate.quad(lambda m: m * mixed(110.0 * m, with_cv) * density(m), 0, 5, limit=200)
    assert exact == pytest.approx(target, rel=0.03)
    assert with_cv > plain + 0.1, (with_cv, plain)


def test_holdout_arithmetic():
    from sim.calibrate.holdout import _erlang_a_mix, persistence_dates, score
    from sim.calibrate.windows import Window

    from sim.analysis.theory import erlang_a_metrics

    p0, asa0, sl0 = _erlang_a_mix(0.01, 1 / 180, 1 / 300, 0.0, 15.0, erlang_a_metrics)
    assert (p0, asa0, sl0) == (1.0, 0.0, 0.0), "nobody available: everyone hangs up"
    one = erlang_a_metrics(0.01, 1 / 180, 1 / 300, 1, 15.0)
    two = erlang_a_metrics(0.01, 1 / 180, 1 / 300, 2, 15.0)
    p, asa, sl = _erlang_a_mix(0.01, 1 / 180, 1 / 300, 1.25, 15.0, erlang_a_metrics)
    assert p == pytest.approx(0.75 * one.p_abandon + 0.25 * two.p_abandon)
    assert sl == pytest.approx(0.75 * one.service_level + 0.25 * two.service_level)
    assert asa == pytest.approx((0.75 * (1 - one.p_abandon) * one.asa_s + 0.25 * (1 - two.p_abandon) * two.asa_s)
                                / (1 - p))
    start = dt.date(1999, 8, 1)
    fit, hold = Window(start, dt.date(1999, 8, 21), start), Window(dt.date(1999, 8, 22), dt.date(1999, 8, 26), start)
    assert persistence_dates(fit, hold) == [dt.date(1999, 8, 15), *(dt.date(1999, 8, 16 + i) for i in range(4))]
    before = Window(dt.date(1999, 8, 15), dt.date(1999, 8, 28), start)
    assert persistence_dates(before, Window(start, dt.date(1999, 8, 2), start)) == [dt.date(1999, 8, 15),
                                                                                   dt.date(1999, 8, 16)]
    obs = {k: np.array([0.1, 0.2, np.nan, 0.3]) for k in ("abandon_rate", "asa_s", "service_level", "offered")}
    pred = {k: np.array([0.2, 0.2, 0.5, 0.0]) for k in obs}
    e = score(pred, obs, np.array([1.0, 2.0, 5.0, 1.0]), np.array([True, True, True, False]))
    assert e["abandon_rate"]["mae"] == pytest.approx(0.1 / 3) and e["abandon_rate"]["bias"] == pytest.approx(0.1 / 3)


def test_holdout_is_a_dated_scenario_of_its_own_dates(tmp_path):
    """Each hold-out date keeps its own calls per half-hour and call type, and its own agents (issue 20): not an
    hourly profile, not weekday averages."""
    from sim.api import compose_config
    from sim.calibrate.holdout import erlang_a
    from sim.calibrate.holdout_inputs import Inputs, dated_scenario
    from sim.config.dated import read_dated

    cfg = compose_config("single_queue", ["experiment.progress=false", "calls.retrial.probability=0.3"])
    types = list(cfg.categories)
    dates = [dt.date(2024, 1, 5) + dt.timedelta(days=i) for i in range(3)]  # Friday, Saturday, Sunday
    calls = np.zeros((3, 48, len(types)))
    calls[0, 18, 0], calls[0, 19, 0] = 10, 90  # 09:00 and 09:30 of one hour differ
    calls[1, 20, 0], calls[2, 18:22, 0] = 50, [30, 0, 90, 0]
    agents = np.zeros((3, 48))
    agents[:, 18:22] = [[4.0], [2.5], [3.0]]
    x = Inputs(dates, calls, types, {"operators": agents})
    t = dated_scenario(cfg, x, tmp_path)
    e = t.experiment
    assert (e.start_weekday, e.horizon_h, t.calls.retrial.probability) == (4, 72.0, 0.0)
    demand = read_dated(t.dated.file, ["phone", "online"], list(t.categories))
    assert demand.start == dates[0] and demand.n_days == 3 and demand.by_category
    rates = demand.rates["phone"].reshape(3, 48, -1)
    col = list(t.categories).index(types[0])
    assert rates[0, 18, col] == 10 and rates[0, 19, col] == 90 and rates[1, 20, col] == 50
    assert rates[2, 20, col] == 90 and rates[2, 19].sum() == 0
    assert t.arrivals.phone.per_day == pytest.approx(270.0 / 3)
    plan = np.array(t.staffing.half_hourly).reshape(7, 48)
    assert plan[4, 18] == 4.0 and plan[5, 20] == 2.5 and plan[6, 21] == 3.0 and plan[0].sum() == 0.0
    # Erlang A is fed the same dates: 90 calls at 09:30 of the first date, 10 at 09:00, not 50 and 50
    ea = erlang_a(x, [1.0] * 48, {t: 180.0 for t in types}, 300.0, 15.0)
    assert ea.offered[18] == 10 + 30 and ea.offered[19] == 90 and ea.offered[20] == 50 + 90
    with pytest.raises(ValueError, match="at most 7 dates"):
        dated_scenario(cfg, Inputs(dates * 3, np.vstack([calls] * 3), types, {"operators": np.vstack([agents] * 3)}),
                       tmp_path)
    with pytest.raises(ValueError, match="calls of type.s. PE, which the fit window has too few calls of"):
        dated_scenario(cfg, Inputs(dates, np.concatenate([calls, calls[:, :, :1]], axis=2), [*types, "PE"],
                                   {"operators": agents}), tmp_path)


def test_handle_factor_does_not_count_the_call_type_mix_twice(tmp_path):
    """Short calls in the morning and long ones in the evening, each type alike at every hour.  The scenario's mix
    of types is one for the whole day, so its factor carries the mix (short half-hours 0.5); the hold-out's dated
    file gives each half-hour its own mix, so its factor is taken within types: 1 for the short calls (the pooled
    one counted the mix twice), with the long type's own evening slow-down kept."""
    from sim.api import compose_config
    from sim.calibrate.calls import CallOptions, calibrate_calls
    from sim.calibrate.holdout_inputs import Inputs, dated_scenario

    rows = []
    for d in range(3):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=d)
        for k in range(120):
            rows.append(_row(day, 9 * 3600 + 30 * k, 0, 50.0 + 20 * (k % 2), "short", f"s{k % 2}"))  # 09:00-10:00
            rows.append(_row(day, 18 * 3600 + 30 * k, 0, 250.0 + 100 * (k % 2), "long", f"l{k % 2}"))  # 18:00
            rows.append(_row(day, 21 * 3600 + 30 * k, 0, 600.0 if k % 2 else 300.0, "long", f"l{k % 2}"))
            if k % 10 == 0:  # a few callers who hang up (patience needs them)
                rows.append(_row(day, 12 * 3600 + 30 * k, 10.0 + k, 0, "short", "", answered=False))
    cal = calibrate_calls(_log(tmp_path, rows), CallOptions(min_per_category=10))
    assert cal.handle["short"].sample_mean == pytest.approx(60.0) and cal.handle["long"].sample_mean == pytest.approx(
        375.0)
    pooled = (60 * 360 + 375 * 720) / 1080
    assert cal.handle_factor[18] == pytest.approx((180 * 60 / pooled + 100) / 280), "the day's mix: carried"
    f = cal.handle_factor_within
    assert f[18] == pytest.approx(1.0) and f[19] == pytest.approx(1.0), "short calls at their type's mean"
    # the long type's own time of day: 300 s at 18:00, 450 s at 21:00 (180 calls a half-hour, shrunk by 100)
    assert f[36] == pytest.approx((180 * 300 / 375 + 100) / 280) and f[42] == pytest.approx((180 * 1.2 + 100) / 280)
    cfg = compose_config("single_queue", ["experiment.progress=false"])
    x = Inputs([dt.date(2024, 1, 8)], np.ones((1, 48, 1)), list(cfg.categories), {"operators": np.ones((1, 48))})
    assert dated_scenario(cfg, x, tmp_path, f).calls.handle_factor_half_hourly == f


def test_callers_finding_nobody_waiting(tmp_path):
    """The service-level gap's diagnostic: of the callers who arrive while nobody else waits, how many the log
    answers at once (the simulation answers each one at once whenever an agent is free)."""
    from sim.calibrate.holdout import not_ready

    day = dt.date(2024, 1, 1)
    h10 = 10 * 3600
    rows = [_row(day, h10, 0, 60, "a", "ag0"),                       # nobody waiting: answered at once
            _row(day, h10 + 300, 30, 60, "a", "ag0"),                # nobody waiting, yet waits 30 s
            _row(day, h10 + 310, 40, 60, "a", "ag1"),                # arrives while the one before waits: left out
            _row(day, h10 + 600, 20, 0, "a", "", answered=False),    # nobody waiting: hangs up after 20 s
            _row(day, 8 * 3600, 0, 60, "a", "ag0")]                  # outside the hours scored
    d = not_ready(_log(tmp_path, rows), 15.0, (10, 11))
    assert d["share_of_calls"] == pytest.approx(3 / 4) and d["answered_at_once"] == pytest.approx(1 / 3)
    assert d["within_threshold"] == pytest.approx(1 / 3) and d["median_wait_s_of_the_others"] == 25.0
    assert d["service_level_points"] == pytest.approx(2 / 4), "two of the four calls ended, not answered in 15 s"


def test_a_team_that_served_nobody_in_the_hold_out(tmp_path):
    """A team (here the web specialists) that answered no call in the hold-out window: its agents are 0 and it is
    never free for a caller, instead of an IndexError (a one-day Friday or Saturday hold-out of the bank)."""
    from sim.calibrate.agents import assign, find_teams, measure
    from sim.calibrate.windows import Window, subset_calls

    d1, d2 = dt.date(2024, 1, 1), dt.date(2024, 1, 2)
    rows = [_row(d1, 3600 * 8 + 60 * k, 0, 30, skill, agent) for k, (skill, agent) in enumerate(
        [("web", "w1"), ("web", "w2")] * 10 + [("phone", "g1"), ("phone", "g2")] * 10 + [("web", "g1")] * 4)]
    rows += [_row(d2, 3600 * 8 + 60 * k, 0, 30, "phone", f"g{1 + k % 2}") for k in range(10)]
    rows += [_row(d2, 3600 * 9, 120, 0, "web", "", answered=False)]
    log = _log(tmp_path, rows)
    teams = find_teams(log)
    hold = subset_calls(log, Window(d2, d2, d1))
    a = measure(hold, assign(teams, hold))
    web = teams.names.index("web")
    assert a.available[web].sum() == 0.0 and a.available[1 - web].sum() > 0
    own = np.isin(hold.category, teams.own[web])
    assert own.any() and np.all(np.isinf(a.busy_agent_free_s[own]))


def test_hold_out_hours_without_calls_are_refused_before_simulating(tmp_path, monkeypatch, capsys):
    """--holdout-hours whose hours hold no call of the hold-out: one line naming it, exit 2, nothing written, before
    any simulation (the calls run from 09:00 to 15:40)."""
    from sim.calibrate.cli import main

    (tmp_path / "m.yaml").write_text(MAPPING)
    (tmp_path / "log.csv").write_text("t_in,t_out,t_start,t_end,result,skill,login,prio\n" + "\n".join(_days(9)) + "\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(["calls", "log.csv", "--format", "m.yaml", "--name", "x", "--fit-to", "2024-01-05", "--holdout-from",
              "2024-01-06", "--holdout-hours", "16-24"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and lines == [
        "calibrate: error: --holdout-hours='16-24': the hold-out (2024-01-06..2024-01-09) has no calls in these hours: "
        "nothing to score"], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", "m.yaml"]


def test_noise_floor_is_unmeasured_where_the_days_cannot_show_it():
    """The day bootstrap measures nothing with one hold-out date, nor for a rate in a half-hour whose calls all came
    on one date (it would read 0.0, "what a perfect model would still miss"): None there, the other half-hours
    scored; calls offered keeps every half-hour of two dates or more."""
    from sim.calibrate.backtest import Sums
    from sim.calibrate.holdout import kpis, noise_floor

    def day(offered: list, abandoned: list) -> Sums:
        o, a = np.zeros(48), np.zeros(48)
        o[:len(offered)], a[:len(abandoned)] = offered, abandoned
        return Sums(o, o - a, a, 30.0 * (o - a), np.zeros(48), o - a, days=1.0)

    keep = np.ones(48, dtype=bool)
    one = [day([10, 10], [1, 5])]
    assert all(v == {"mae": None, "bias": None} for v in noise_floor(one, kpis(one[0]), one[0].offered, keep,
                                                                     1).values())
    apart = [day([10, 0], [5, 0]), day([0, 10], [0, 1])]  # no half-hour with calls on both dates
    total = apart[0] + apart[1]
    nf = noise_floor(apart, kpis(total), total.offered, keep, 1)
    assert nf["abandon_rate"]["mae"] is None and nf["offered"]["mae"] > 0
    shared = [day([10, 10], [5, 0]), day([10, 0], [1, 0])]  # half-hour 0 on both dates, half-hour 1 on one
    total = shared[0] + shared[1]
    nf = noise_floor(shared, kpis(total), total.offered, keep, 1)
    only0 = noise_floor(shared, kpis(total), total.offered, np.arange(48) == 0, 1)
    assert nf["abandon_rate"] == only0["abandon_rate"] and nf["abandon_rate"]["mae"] > 0


def test_persistence_predicts_nothing_without_a_fit_date_of_the_same_weekday():
    """Persistence pools the chosen fit dates; with none (no fit date shares a weekday with the hold-out) it
    predicts nothing - not zero calls offered."""
    from sim.calibrate.backtest import Sums
    from sim.calibrate.holdout import persistence

    first = dt.date(1999, 8, 1)
    days = [Sums(np.full(48, 10.0 * (i + 1)), np.full(48, 8.0), np.full(48, 2.0), np.full(48, 80.0), np.zeros(48),
                 np.full(48, 6.0), days=1.0) for i in range(3)]
    got = persistence(days, first, [dt.date(1999, 8, 3), None, dt.date(1999, 8, 2)])
    assert got["offered"][0] == pytest.approx(25.0) and got["abandon_rate"][0] == pytest.approx(0.2)
    none = persistence(days, first, [None, None])
    assert all(np.isnan(v).all() for v in none.values())


def test_the_summary_line_reads_n_a_for_an_error_it_could_not_measure():
    """A hold-out whose scored hours hold calls but, say, no answered call: its ASA errors are None and the summary
    line prints n/a (it raised a TypeError)."""
    from sim.calibrate.callreport import headline

    err = {"mae": 0.05, "bias": 0.01}
    none = {"mae": None, "bias": None}
    e = {who: {"abandon_rate": err, "asa_s": none, "service_level": err, "offered": err}
         for who in ("simulated", "erlang_a")}
    e["noise_floor"] = {k: none for k in ("abandon_rate", "asa_s", "service_level", "offered")}
    cj = {"calls_per_day": 10.0, "calls_per_weekday": {"Mon": 10.0},
          "handle_s": {"family": "exponential", "mean": 180.0, "sample_mean": 181.0},
          "patience_s": {"in_scenario": "exponential", "family": "exponential", "mean": 200.0, "km_median": None,
                         "fits": {"exponential": {"mean": 200.0}}, "queue_found": None, "n_events": 400},
          "holdout": {"window": {"from": "2024-01-06", "to": "2024-01-06"}, "errors": e}}
    line = headline(cj)[-1]
    assert line == ("hold-out 2024-01-06..2024-01-06, MAE per half-hour: abandonment simulated 5.0 pts, Erlang A 5.0, "
                    "noise floor n/a; ASA simulated n/a, Erlang A n/a, noise floor n/a; service level simulated "
                    "5.0 pts, Erlang A 5.0, noise floor n/a"), line
    assert "Kaplan-Meier median not reached" in headline(cj)[2]
