"""Reproducibility and common random numbers.

A replication is a pure function of (configuration, replication number): the
same seed gives bit-identical records, another seed or replication other ones,
and worker processes (``experiment.jobs=2``) change nothing.  Every random
source has its own named stream and every resident's attributes are drawn when
the resident is created, so configurations that differ only in staffing (or in
anything downstream of arrivals) see the very same residents; a distribution's
mean changes a resident's draw proportionally (sampling by inversion).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import simpy
from support import layered

from sim.analysis.kpis import replication_kpis
from sim.config.schema import ShiftConfig
from sim.core.rng import Streams
from sim.experiments.runner import run_experiment
from sim.model.compile import compile_config
from sim.model.frontline import FrontLine
from sim.model.replication import run_replication
from sim.records.intervals import IntervalRecorder

#: Redials, lognormal handle and patience, expiring online items and a shift timetable: every random
#: source and every process of the front line is used.
RICH = [
    "calls.retrial.probability=0.5", "staffing.operators=0",
    "staffing.shifts=[{start_h:0,length_h:5,count:110},{start_h:4,length_h:8,count:125}]",
    "calls.handle_s.dist=lognormal", "calls.handle_s.cv=0.8",
    "calls.patience_s.dist=lognormal", "calls.patience_s.cv=1.5",
    "arrivals.online.per_day=5000", "online.expire_h=0.5", "online.deadline_h=0.5",
    "experiment.horizon_h=10", "experiment.warmup_h=1", "experiment.seed=777",
]
#: Leading columns of a day's resident rows (FrontLine.day_block, or sim.model.residents.day_rows).
BLOCK_COLUMNS = ("time", "channel", "category", "urgency", "kind", "service_s", "patience_s", "cls")


def _differences(a, b) -> list[str]:
    """Names of the records in which two ReplicationResults differ (bit for bit)."""
    out = [f"intervals[{k}]" for k in a.intervals if not np.array_equal(a.intervals[k], b.intervals[k])]
    if set(a.intervals) != set(b.intervals):
        out.append("interval columns")
    for name in ("terminal", "open"):
        if not np.array_equal(getattr(a, name), getattr(b, name)):
            out.append(name)
    for name in ("replication", "seed", "interval_s", "warmup_intervals", "contacts_created", "after_horizon"):
        if getattr(a, name) != getattr(b, name):
            out.append(name)
    for name in ("groups", "callbacks", "backoffice", "request_log"):  # the optional subsystems' records
        if not _equal(getattr(a, name), getattr(b, name)):
            out.append(name)
    return out


def _equal(x, y) -> bool:
    """Bit-for-bit equality of records: dataclasses, mappings, sequences and arrays, field by field."""
    if dataclasses.is_dataclass(x) and type(x) is type(y):
        return all(_equal(getattr(x, f.name), getattr(y, f.name)) for f in dataclasses.fields(x))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_equal(x[k], y[k]) for k in x)
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.array_equal(x, y, equal_nan=np.asarray(x).dtype.kind == "f")
    return bool(x == y)


def _same_kpis(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (np.isnan(a[k]) and np.isnan(b[k])) or a[k] == b[k] for k in a)


def test_same_seed_same_records(compose):
    """Two runs of the same configuration and replication give identical tables and KPIs."""
    cfg = compose("single_queue", RICH)
    for rep in (0, 1):
        a, b = run_replication(cfg, rep), run_replication(cfg, rep)
        diff = _differences(a, b)
        assert not diff, f"replication {rep} of seed 777 (RICH config) not reproducible: {diff}"
        ka, kb = replication_kpis(a), replication_kpis(b)
        assert _same_kpis(ka, kb), f"replication {rep}: KPIs differ: {ka} vs {kb}"
    # the composed configuration itself is reproducible
    a = run_replication(compose("single_queue", RICH), 0)
    assert not _differences(a, run_replication(cfg, 0)), "recomposing the same overrides changed the records"


def test_different_seed_or_replication_differs(compose):
    """Another seed, or another replication number, gives other arrivals and other KPIs."""
    cfg = compose("single_queue", RICH)
    base = run_replication(cfg, 0)
    other_seed = run_replication(compose("single_queue", layered(RICH, ["experiment.seed=778"])), 0)
    other_rep = run_replication(cfg, 1)
    for label, res in (("seed 778", other_seed), ("replication 1", other_rep)):
        for col in ("calls_offered", "online_offered", "busy_s", "queue_calls_s"):
            assert not np.array_equal(base.intervals[col], res.intervals[col]), (
                f"{label}: intervals[{col}] identical to seed 777 replication 0")
        assert replication_kpis(base)["mean_wait_s"] != replication_kpis(res)["mean_wait_s"], label


def test_parallel_jobs_identical_to_serial(compose):
    """run_experiment with experiment.jobs=2 (worker processes) = jobs=1, replication by replication."""
    over = RICH + ["experiment.replications=3", "experiment.progress=false"]
    serial = run_experiment(compose("single_queue", over + ["experiment.jobs=1"]))
    parallel = run_experiment(compose("single_queue", over + ["experiment.jobs=2"]))
    assert [r.replication for r in parallel.replications] == [0, 1, 2]
    for a, b in zip(serial.replications, parallel.replications):
        diff = _differences(a, b)
        assert not diff, f"replication {a.replication}: jobs=2 differs from jobs=1 in {diff}"
    for i, (ka, kb) in enumerate(zip(serial.per_replication, parallel.per_replication)):
        assert _same_kpis(ka, kb), f"replication {i}: per-replication KPIs differ between jobs=1 and jobs=2"
    for k, ci in serial.summary.items():
        assert ci == parallel.summary[k], f"summary[{k}]: {ci} (jobs=1) != {parallel.summary[k]} (jobs=2)"


SHIFT_120 = [ShiftConfig(start_h=0.0, length_h=12.0, count=120)]
SHIFT_150 = [ShiftConfig(start_h=8.0, length_h=8.0, count=150)]


@pytest.fixture(scope="module")
def crn_base(sq):
    """Base of the CRN comparisons: redials and expiring online items on, 10 h, seed 31."""
    return sq.compose(["arrivals.online.per_day=5000", "online.expire_h=0.5", "online.deadline_h=0.5",
                       "calls.retrial.probability=0.5",
                       "experiment.horizon_h=10", "experiment.warmup_h=1", "experiment.seed=31"])


@pytest.mark.parametrize("other", [
    {"staffing.operators": 90},
    {"staffing.operators": 150},
    {"staffing.operators": 0, "staffing.shifts": SHIFT_120},
    {"calls.retrial.probability": 0.9},
    {"kpi.answer_threshold_s": 5.0},
], ids=["c90", "c150", "shift", "redial0.9", "threshold5"])
def test_common_random_numbers_arrivals(sq, crn_base, other):
    """Same seed, other staffing (or redial / threshold setting): identical arrivals per interval."""
    a = run_replication(crn_base, 0)
    b = run_replication(sq.variant(crn_base, other), 0)
    for col in ("calls_offered", "online_offered"):
        assert np.array_equal(a.intervals[col], b.intervals[col]), (
            f"intervals[{col}] changed with {other} (seed 31): CRN broken")
    assert a.contacts_created == b.contacts_created
    assert not np.array_equal(a.intervals["busy_s"], b.intervals["busy_s"]) or "kpi" in next(iter(other)), (
        f"{other} changed nothing at all: the comparison is vacuous")


@pytest.fixture(scope="module")
def block_base(sq):
    return sq.compose(["experiment.horizon_h=48", "experiment.seed=2718", "arrivals.online.per_day=5000",
                       "online.expire_h=1", "online.deadline_h=1"])


def _day_rows(sc, streams, day):
    """All residents of ``day`` with their attributes, as the model draws them when it creates them:
    ``FrontLine.day_block`` on a front line built like :func:`sim.model.replication.run_replication` builds it, or
    :func:`sim.model.residents.day_rows` where the drawing has moved there."""
    if hasattr(FrontLine, "day_block"):
        env = simpy.Environment()
        front = FrontLine(env, sc, streams, IntervalRecorder(sc.clock.n_intervals, sc.clock.interval_s))
        return front.day_block(day)
    from sim.model.residents import day_rows

    return day_rows(sc, streams, day)


def _blocks(sq, base, changes, days=(0, 1), replication=0):
    """Columns of the day rows (the first 8 named as in BLOCK_COLUMNS, further ones col8, col9, ...)."""
    cfg = sq.variant(base, changes)
    sc = compile_config(cfg)
    streams = Streams(cfg.experiment.seed, replication)
    out = []
    for d in days:
        block = _day_rows(sc, streams, d)
        assert block, f"day {d} has no arrivals"
        cols = list(zip(*block))
        names = list(BLOCK_COLUMNS) + [f"col{j}" for j in range(len(BLOCK_COLUMNS), len(cols))]
        out.append({name: np.asarray(col) for name, col in zip(names, cols)})
    return out


@pytest.mark.parametrize("other", [
    {"staffing.operators": 80},
    {"staffing.operators": 0, "staffing.shifts": SHIFT_150},
    {"calls.retrial.probability": 0.5},
    {"online.expire_h": 2.0},
], ids=["c80", "shift", "redial0.5", "expire2h"])
def test_common_random_numbers_resident_attributes(sq, block_base, other):
    """Every column of the first-attempt attributes (time, channel, category, urgency, kind, handle time,
    patience, class) is identical on days 0 and 1 when only staffing / redials / online expiry change."""
    a_days = _blocks(sq, block_base, {})
    b_days = _blocks(sq, block_base, other)
    for day, (a, b) in enumerate(zip(a_days, b_days)):
        phone = a["channel"] == 0
        assert phone.any() and (~phone).any(), f"day {day}: expected calls and online items"
        assert a.keys() == b.keys()
        for col in a:
            x, y = a[col], b[col]
            if col == "patience_s" and "online.expire_h" in other:  # an online item's patience is the expiry
                x, y = x[phone], y[phone]
            assert np.array_equal(x, y), f"day {day}: column {col} differs with {other}"


@pytest.mark.parametrize("key,base,new", [
    ("calls.handle_s.mean", 240.0, 300.0),
    ("calls.patience_s.mean", 90.0, 180.0),
])
def test_inversion_scales_each_residents_draw(sq, block_base, key, base, new):
    """Changing a distribution's mean rescales every caller's own draw by new/base; nothing else moves."""
    col = "service_s" if "handle" in key else "patience_s"
    (a,) = _blocks(sq, block_base, {key: base}, days=(0,))
    (b,) = _blocks(sq, block_base, {key: new}, days=(0,))
    phone = a["channel"] == 0
    for other_col in a:
        if other_col != col:
            assert np.array_equal(a[other_col], b[other_col]), f"{other_col} changed with {key}={new}"
    assert np.array_equal(a[col][~phone], b[col][~phone]), f"online {col} changed with {key}={new}"
    np.testing.assert_allclose(b[col][phone], a[col][phone] * (new / base), rtol=1e-12,
                               err_msg=f"{col} not scaled by {new}/{base} when {key} changes")


def test_adding_online_channel_keeps_phone_residents(sq, block_base):
    """Switching the online channel on adds residents but leaves every phone resident unchanged."""
    # (with the channel off its settings are unused, which is an error when they differ from the defaults)
    (a,) = _blocks(sq, block_base, {"arrivals.online.per_day": 0.0, "online.expire_h": None,
                                    "online.deadline_h": 2.0}, days=(0,))
    (b,) = _blocks(sq, block_base, {}, days=(0,))
    assert (a["channel"] == 0).all() and (b["channel"] == 1).any()
    phone = b["channel"] == 0
    for col in a:
        assert np.array_equal(a[col], b[col][phone]), f"phone column {col} changed when online was added"
