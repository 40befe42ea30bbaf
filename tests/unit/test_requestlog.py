"""Unit tests of :mod:`sim.model.requestlog`: one row per contact with its timeline.

With ``report.request_log=true`` every contact of a replication - ended or
still open when the run stops - has exactly one row in
``ReplicationResult.request_log.contacts`` (times in seconds), and the CLI
writes ``requests.csv`` from all replications.  Checked here on small
``beijing_baseline`` runs (both channels, every terminal state, misrouting,
units of four types, return visits):

* one row per contact, attributes consistent with the KPIs (channels, units of
  the category's type, work orders only with a unit);
* timestamps in pipeline order wherever present, and present exactly where the
  contact's state says they should be;
* terminal and open states matching the accounting table;
* nothing kept when the log is off;
* ``requests.csv``: the header, one row per contact and replication, ISO
  timestamps on the nominal calendar of ``experiment.start_weekday``.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import math
from collections import Counter

import numpy as np
import pytest

from sim.analysis.kpis import accounting, replication_kpis
from sim.config.schema import CHANNELS
from sim.model.checks import validate
from sim.model.compile import compile_config
from sim.model.replication import Replication, run_replication
from sim.model.requestlog import TIME_FIELDS
from sim.model.residents import DIRECT, TRANSFER, WORK_ORDER
from sim.records.intervals import OPEN_STATES, TERMINAL_STATES

SMALL = ["scale=0.05", "experiment.horizon_h=24", "experiment.drain_h=168", "experiment.replications=1",
         "experiment.jobs=1", "report.request_log=true"]
CSV_HEADER = ["replication", "contact_id", "channel", "category", "urgency", "kind", "unit", "unit_type",
              "attempts", "bounces", "rounds", "visit_attempts", "arrival_h", "arrival", "answered", "handled",
              "dispatched", "at_unit", "signed", "responded", "closed", "rated", "reports_resolved", "satisfied",
              "terminal_state", "last_attempt", "left_queue", "callback", "callback_first_try"]


@pytest.fixture(scope="module")
def baseline():
    """beijing_baseline at scale 0.05: one day of contacts, a week of drain, request log on."""
    from sim.api import compose_config

    return compose_config("beijing_baseline", SMALL)


def variant(cfg, **changes):
    new = copy.deepcopy(cfg)
    for path, value in changes.items():
        node = new
        *parts, last = path.split("__")
        for p in parts:
            node = getattr(node, p)
        setattr(node, last, value)
    validate(new)
    return new


@pytest.fixture(scope="module")
def no_reopen(baseline):
    """The baseline without reopened rounds (one round per order), short drain so some contacts stay open:
    config and result of replication 0."""
    cfg = variant(baseline, feedback__reopen_probability=0.0, experiment__drain_h=60.0,
                  workorders__misroute_probability=0.2)
    return cfg, run_replication(cfg, 0)


def rows(res):
    log = res.request_log.contacts
    return [{k: v[i] for k, v in log.items()} for i in range(len(log["id"]))]


def test_one_row_per_contact_with_consistent_attributes(no_reopen):
    """As many rows as contacts created, ids 0..n-1 once each; channels add up to calls_offered and
    online_offered; kinds match the accounting (direct answers, transfers); a work order that reached the back
    office has a unit of its category's type (or, for unclear street jurisdiction, a district), a category with
    a named unit always that unit; other contacts have unit -1."""
    cfg, res = no_reopen
    log = res.request_log.contacts
    n = res.contacts_created
    assert len(log["id"]) == n and np.array_equal(log["id"], np.arange(n)), f"{len(log['id'])} rows, {n} contacts"
    iv = res.intervals
    ch = Counter(log["channel"].tolist())
    assert ch[CHANNELS.index("phone")] == iv["calls_offered"].sum() and ch[CHANNELS.index("online")] == (
        iv["online_offered"].sum()), f"channels {ch}"
    acc = accounting(res, window_only=False)
    kinds = Counter(log["kind"].tolist())
    assert kinds[TRANSFER] == acc["ended:transferred_emergency"], f"kinds {kinds}, {acc}"
    assert kinds[DIRECT] >= acc["ended:answered_direct"] and kinds[WORK_ORDER] > 100, kinds
    sc = compile_config(cfg)
    units = sc.backoffice.units
    cats = list(cfg.categories.values())
    checked = 0
    for r in rows(res):
        back = r["kind"] == WORK_ORDER and not math.isnan(r["t_handled"])
        if not back:
            assert r["unit"] == -1 and r["round"] == 0, f"contact {r['id']} (kind {r['kind']}, {r['state']}): {r}"
            continue
        cat = cats[r["category"]]
        got = units.type_name(r["unit"])
        allowed = {cat.unit_type} | ({cfg.units[cat.unit_type].district_of} if cat.unclear_share > 0 else set())
        assert got in allowed, f"contact {r['id']}: category type {cat.unit_type}, unit {r['unit']} of type {got}"
        if cat.unit is not None:
            assert units.units[r["unit"]].name == cat.unit, f"contact {r['id']}: named unit {cat.unit}"
        assert r["round"] == 1 and r["attempts"] >= 1
        checked += 1
    assert checked > 100, f"only {checked} work orders reached the back office"


def test_states_match_the_accounting_table(no_reopen):
    """The log's terminal states (and open:<state> rows) count exactly what accounting(window_only=False) counts."""
    _, res = no_reopen
    got = Counter(res.request_log.contacts["state"].tolist())
    acc = accounting(res, window_only=False)
    want = {**{s: acc[f"ended:{s}"] for s in TERMINAL_STATES}, **{f"open:{s}": acc[f"open:{s}"] for s in OPEN_STATES}}
    assert {k: got.get(k, 0) for k in want} == want, f"log states {dict(got)}, accounting {acc}"
    assert sum(got.values()) == sum(want.values())
    assert acc["open:in_progress"] + acc["open:awaiting_return_visit"] > 0, "the test wants open orders too"


def test_timestamps_in_pipeline_order(no_reopen):
    """Where present: arrival <= answered <= handled <= dispatched <= at_unit <= signed <= responded <= closed
    <= rated.  Present exactly as the state implies: every closed order has its full timeline up to closed
    (rated only if closed_rated), a direct answer stops at handled, an abandoned call has no answer."""
    _, res = no_reopen
    presence = {"closed_rated": 9, "closed_not_reached": 8, "answered_direct": 3, "transferred_emergency": 3,
                "abandoned": 1, "online_expired": 1}
    n_checked = Counter()
    for r in rows(res):
        times = [r[f] for f in TIME_FIELDS]
        present = [t for t in times if not math.isnan(t)]
        assert all(a <= b for a, b in zip(present, present[1:])), (
            f"contact {r['id']} ({r['state']}): timeline out of order "
            f"{dict(zip(TIME_FIELDS, np.round(np.array(times) / 3600, 4)))}")
        if r["state"] in presence:
            k = presence[r["state"]]
            flags = [not math.isnan(t) for t in times]
            assert flags == [True] * k + [False] * (9 - k), f"contact {r['id']} ({r['state']}): present {flags}"
            n_checked[r["state"]] += 1
    assert n_checked["closed_rated"] > 100 and n_checked["closed_not_reached"] > 10, n_checked
    assert sum(r["bounces"] > 0 for r in rows(res)) > 10, "the test wants bounced orders too"


def test_timestamps_in_order_for_reopened_orders(baseline):
    """Every rating unsatisfied and reopened (reopen_probability 1, p_satisfied 0): rows of round-2 orders must
    keep a timeline in pipeline order (at_unit <= signed <= responded <= closed <= rated)."""
    cfg = variant(baseline, feedback__reopen_probability=1.0,
                  feedback__p_satisfied={"resolved": 0.0, "not_resolved": 0.0})
    res = run_replication(cfg, 0)
    reopened = [r for r in rows(res) if r["round"] == 2]
    assert len(reopened) > 50, f"only {len(reopened)} reopened orders"
    for r in reopened:
        times = [r[f] for f in TIME_FIELDS if not math.isnan(r[f])]
        assert all(a <= b for a, b in zip(times, times[1:])), (
            f"contact {r['id']} (round {r['round']}, {r['state']}): "
            f"{dict(zip(TIME_FIELDS, np.round(np.array([r[f] for f in TIME_FIELDS]) / 3600, 3)))}")


def test_log_off_keeps_nothing(baseline):
    """report.request_log=false: no log object, no on_finish hook, and no 'request_log' in the result."""
    cfg = variant(baseline, report__request_log=False, experiment__drain_h=0.0)
    rp = Replication(compile_config(cfg), 0)
    assert rp.log is None and rp.front.on_finish is None
    res = rp.run()
    assert res.request_log is None, "a request log kept without report.request_log"
    assert replication_kpis(res)["contacts_offered"] > 0


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """The CLI on beijing_baseline (scale 0.02, 2 replications, start on a Wednesday) with the request log."""
    from support import run_cli

    out = tmp_path_factory.mktemp("reqlog") / "out"
    r = run_cli(["scenario=beijing_baseline", "scale=0.02", "experiment.replications=2", "experiment.horizon_h=24",
                 "experiment.drain_h=72", "experiment.jobs=1", "experiment.start_weekday=2",
                 "report.request_log=true", "report.html=false", "report.plots=false", f"report.dir={out}"])
    return r, out


def test_requests_csv_header_rows_and_timestamps(csv_run):
    """requests.csv: the documented header; per replication one row per contact, its terminal states equal to
    accounting.csv; unit and unit_type as in units.csv; ISO timestamps on the nominal calendar (time 0 =
    Wednesday 2024-01-03 for start_weekday 2) with milliseconds, agreeing with arrival_h (6 decimals of an hour)."""
    import json

    r, out = csv_run
    assert r.returncode == 0, r.stderr
    with (out / "requests.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        data = [dict(zip(header, row)) for row in reader]
    assert header == CSV_HEADER, f"requests.csv header {header}"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["request_log_rows"] == len(data) and "requests.csv" in summary["files"]
    with (out / "accounting.csv").open(newline="") as fh:
        acc = {int(row["replication"]): row for row in csv.DictReader(fh)}
    with (out / "units.csv").open(newline="") as fh:
        unit_type = {row["unit"]: row["unit_type"] for row in csv.DictReader(fh)}
    assert sorted({row["replication"] for row in data}) == ["0", "1"]
    epoch = dt.datetime(2024, 1, 3)
    for rep in (0, 1):
        mine = [row for row in data if row["replication"] == str(rep)]
        assert [int(row["contact_id"]) for row in mine] == list(range(len(mine))), f"replication {rep}: ids"
        states = Counter(row["terminal_state"] for row in mine)
        for s in TERMINAL_STATES:
            assert states.get(s, 0) == int(acc[rep][f"ended:{s}"]), f"replication {rep}: {s} {states}"
        for s in OPEN_STATES:
            assert states.get(f"open:{s}", 0) == int(acc[rep][f"open:{s}"]), f"replication {rep}: open:{s}"
        assert len(mine) == int(acc[rep]["contacts_offered"]), f"replication {rep}: {len(mine)} rows"
    for row in data:
        label = f"replication {row['replication']} contact {row['contact_id']}"
        assert row["channel"] in CHANNELS and row["kind"] in ("direct", "work_order", "transfer"), label
        if row["unit"]:
            assert unit_type[row["unit"]] == row["unit_type"], f"{label}: {row['unit']} is a {unit_type[row['unit']]}"
        else:
            assert row["unit_type"] == "", label
        arrival = dt.datetime.fromisoformat(row["arrival"])
        delta = (arrival - epoch).total_seconds() - float(row["arrival_h"]) * 3600.0
        assert abs(delta) < 0.003, f"{label}: arrival {row['arrival']} vs arrival_h {row['arrival_h']}"
        stamps = [row[h] for h in ("arrival", "answered", "handled", "dispatched", "at_unit", "signed",
                                   "responded", "closed")]
        present = [dt.datetime.fromisoformat(s) for s in stamps if s]
        if row["rounds"] in ("0", "1"):  # reopened rounds: see test_timestamps_in_order_for_reopened_orders
            assert present == sorted(present), f"{label}: timestamps out of order {stamps}"
        for flag in ("reports_resolved", "satisfied"):
            assert row[flag] in ("", "0", "1"), f"{label}: {flag}={row[flag]!r}"
        assert (row["rated"] != "") == (row["terminal_state"] == "closed_rated"), f"{label}: rated {row['rated']!r}"
    first = min(dt.datetime.fromisoformat(r["arrival"]) for r in data)
    assert first.date() == epoch.date() and first.weekday() == 2, f"first arrival {first}"


def test_call_log_has_every_attempt(no_reopen, tmp_path):
    """calls.csv (the generic call-log format): one row per call attempt, redials included, each contact's rows
    numbered 1..attempts; abandoned attempts have a queue exit and no service, answered ones a service."""
    from sim.model.requestlog import CALL_LOG_HEADER, write_call_log

    cfg, res = no_reopen
    n = write_call_log(tmp_path / "calls.csv", [(0, res.request_log.contacts, res.request_log.abandoned_attempts)],
                       list(cfg.categories), cfg.experiment.start_weekday)
    with (tmp_path / "calls.csv").open() as fh:
        data = list(csv.DictReader(fh))
    assert len(data) == n and list(data[0]) == list(CALL_LOG_HEADER)
    per_contact = Counter(int(r["call_id"]) for r in data)
    contacts = [r for r in rows(res) if r["channel"] == CHANNELS.index("phone")]
    assert sum(r["attempts"] > 1 for r in contacts) > 0, "the test needs redials"
    for r in contacts:
        assert per_contact[int(r["id"])] == r["attempts"], r
    outcomes = Counter(r["outcome"] for r in data)
    assert outcomes["answered"] == sum(not math.isnan(r["t_answered"]) for r in contacts)
    assert outcomes["abandoned"] == len(res.request_log.abandoned_attempts["id"]) > 0
    for r in data:
        assert r["arrival"] <= (r["left_queue"] or r["arrival"])
        if r["outcome"] == "abandoned":
            assert r["left_queue"] and not r["answered"] and not r["ended"]
        elif r["outcome"] == "answered":
            assert r["answered"] == r["left_queue"] and (not r["ended"] or r["ended"] >= r["answered"])
    attempts = sorted(int(r["attempt"]) for r in data if int(r["call_id"]) == max(per_contact, key=per_contact.get))
    assert attempts == list(range(1, len(attempts) + 1))


def test_call_log_callbacks_leave_the_queue_censored(tmp_path):
    """A caller who accepts a callback leaves the queue then: calls.csv says ``callback`` with that time and no
    service (the callback is outbound work), and the generic format reads it as a censored wait."""
    from sim.api import compose_config
    from sim.calibrate.calls import attempt_waits
    from sim.calibrate.formats import load_format
    from sim.calibrate.logread import read_calls
    from sim.model.requestlog import write_call_log

    cfg = compose_config("skills_and_callbacks", ["scale=0.05", "experiment.horizon_h=12", "experiment.drain_h=2",
                                                  "experiment.replications=1", "report.request_log=true"])
    res = run_replication(cfg, 0)
    log = res.request_log.contacts
    path = tmp_path / "calls.csv"
    write_call_log(path, [(0, log, res.request_log.abandoned_attempts)], list(cfg.categories),
                   cfg.experiment.start_weekday)
    with path.open() as fh:
        data = list(csv.DictReader(fh))
    taken = [r for r in data if r["outcome"] == "callback"]
    assert len(taken) == int(log["callback"].sum()) > 0, "the test needs callbacks"
    for r in taken:
        assert r["arrival"] <= r["left_queue"] and not r["answered"] and not r["ended"], r
    calls = read_calls(path, load_format("generic", "calls"), str(path))
    assert calls.info.skipped == 0 and calls.n == len(data)
    took = np.isin(calls.line, [i + 2 for i, r in enumerate(data) if r["outcome"] == "callback"])
    waits = attempt_waits(calls)
    assert np.all(calls.outcome[took] == 2) and np.allclose(waits[took], (calls.left_s - calls.arrive_s)[took])


def test_front_line_kpis_recomputed_from_requests_csv(tmp_path):
    """The front-line KPIs recomputed from requests.csv alone equal kpis.csv: on single_queue (no redials, so
    a contact is one call attempt) the service level (waits of answered attempts within
    kpi.answer_threshold_s over attempts), the ASA and the mean wait (abandoned attempts waiting until they
    left the queue) of the contacts arriving in the window.  Timestamps rounded to whole seconds moved a
    wait of 19.6 s to 20 s or 20.4 s to 19 s, so the service level recomputed from the file differed from
    the report's (0.5062 against 0.5051 on a week of 8,000 calls)."""
    from sim.api import compose_config, run

    cfg = compose_config("single_queue", ["scale=0.1", "experiment.replications=2", "experiment.horizon_h=6",
                                          "experiment.warmup_h=1", "report.request_log=true", "report.plots=false",
                                          "report.html=false", "report.xlsx=false", "experiment.progress=false"])
    run(cfg, out_dir=str(tmp_path / "out"))
    with (tmp_path / "out" / "requests.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with (tmp_path / "out" / "kpis.csv").open(newline="", encoding="utf-8") as fh:
        kpis = {int(r["replication"]): r for r in csv.DictReader(fh)}
    threshold = cfg.kpi.answer_threshold_s
    for rep in (0, 1):
        mine = [r for r in rows if r["replication"] == str(rep) and 1.0 <= float(r["arrival_h"]) < 6.0]
        waits, abandoned = [], []
        for r in mine:
            assert r["attempts"] == "1" and r["last_attempt"] == r["arrival"], r
            if r["answered"]:
                waits.append((dt.datetime.fromisoformat(r["answered"])
                               - dt.datetime.fromisoformat(r["arrival"])).total_seconds())
            elif r["terminal_state"] == "abandoned":
                abandoned.append((dt.datetime.fromisoformat(r["left_queue"])
                                  - dt.datetime.fromisoformat(r["arrival"])).total_seconds())
        k = kpis[rep]
        assert len(mine) == int(k["calls_offered"]) and len(abandoned) == int(k["calls_abandoned"]) > 0, rep
        assert len(waits) == int(k["calls_answered"]), rep
        in_time = sum(w <= threshold for w in waits)
        assert in_time / len(mine) == pytest.approx(float(k["service_level"]), abs=1e-6), f"replication {rep}"
        assert sum(waits) / len(waits) == pytest.approx(float(k["asa_s"]), abs=2e-3), f"replication {rep}"
        assert (sum(waits) + sum(abandoned)) / (len(waits) + len(abandoned)) == pytest.approx(
            float(k["mean_wait_s"]), abs=2e-3), f"replication {rep}"


def test_callback_kpis_recomputed_from_requests_csv(tmp_path):
    """The callback KPIs recomputed from requests.csv alone equal kpis.csv.  The file had no column saying a
    contact took a callback, nor when the first callback attempt came, so callbacks_missed_window could not be
    recomputed (``callback``, ``callback_first_try``).  A callback counts in the window of the attempt that
    accepted it (``left_queue``); it misses its window when its first attempt came more than
    routing.callback.window_s later, or had not come by the end of the run with the window past."""
    from sim.api import compose_config, run

    window_s = 120.0
    cfg = compose_config("skills_and_callbacks", [
        "scale=0.2", "experiment.replications=2", "experiment.horizon_h=12", "experiment.warmup_h=2",
        "experiment.drain_h=1", "staffing.headcount_factor=0.8", f"routing.callback.window_s={window_s}",
        "routing.callback.reach_probability=0.5", "report.request_log=true", "report.plots=false",
        "report.html=false", "report.xlsx=false", "experiment.progress=false", "experiment.jobs=1"])
    run(cfg, out_dir=str(tmp_path / "out"))
    with (tmp_path / "out" / "requests.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with (tmp_path / "out" / "kpis.csv").open(newline="", encoding="utf-8") as fh:
        kpis = {int(r["replication"]): r for r in csv.DictReader(fh)}
    epoch = dt.datetime(2024, 1, 1)
    run_end = epoch + dt.timedelta(hours=cfg.experiment.horizon_h + cfg.experiment.drain_h)

    def at(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text)

    for rep in (0, 1):
        accepted = [r for r in rows if r["replication"] == str(rep) and r["callback"] == "1"
                    and 2.0 <= (at(r["left_queue"]) - epoch).total_seconds() / 3600.0 < 12.0]
        completed = [r for r in accepted if r["answered"]]
        not_reached = [r for r in accepted if r["terminal_state"] == "callback_not_reached"]
        missed = [r for r in accepted if ((at(r["callback_first_try"]) if r["callback_first_try"] else run_end)
                                          - at(r["left_queue"])).total_seconds() > window_s]
        delay_s = sum((at(r["answered"]) - at(r["left_queue"])).total_seconds() for r in completed) / len(completed)
        k = kpis[rep]
        assert len(accepted) == float(k["callbacks_accepted"]) > 100, rep
        assert len(completed) == float(k["callbacks_completed"]), rep
        assert len(not_reached) == float(k["callbacks_not_reached"]) > 0, rep
        assert len(missed) == float(k["callbacks_missed_window"]) > 0, rep
        assert delay_s == pytest.approx(float(k["callback_delay_s"]), abs=2e-3), rep
