"""A replication's result carries the optional subsystems' records as typed fields, not an untyped dict.

Operator groups, callbacks, the back office and the request log each have their own record
(:class:`~sim.records.routing.GroupRecords`, :class:`~sim.records.routing.CallbackRecords`,
:class:`~sim.records.backoffice.BackOfficeRecords`, :class:`~sim.records.intervals.RequestLogRecords`),
present exactly when the scenario uses the subsystem; no field of the result is typed ``Any``, so mypy
checks every reader; and a result pickles whole (process pools and Dask send it back that way).
"""

from __future__ import annotations

import dataclasses
import pickle
import typing

import numpy as np
import pytest

from sim.model.replication import run_replication
from sim.records.backoffice import BackOfficeRecords
from sim.records.intervals import ReplicationResult, RequestLogRecords
from sim.records.routing import CALLBACK_COUNTS, GROUP_AREAS, GROUP_COUNTS, CallbackRecords, GroupRecords

SMALL = ["scale=0.02", "experiment.horizon_h=12", "experiment.drain_h=24", "experiment.replications=1"]


@pytest.fixture(scope="module")
def results(compose_once):
    """One replication of a scenario using every optional subsystem, and one using none."""
    rich = compose_once("skills_and_callbacks", [*SMALL, "report.request_log=true"])
    plain = compose_once("single_queue", ["experiment.horizon_h=4", "experiment.warmup_h=0"])
    return {"rich": (rich, run_replication(rich, 0)), "plain": (plain, run_replication(plain, 0))}


def _mentions_any(hint) -> bool:
    return hint is typing.Any or any(_mentions_any(a) for a in typing.get_args(hint))


def test_no_field_is_untyped():
    """Every field of a result and of its records has a type without ``Any`` (there is no ``extra`` dict)."""
    for cls in (ReplicationResult, GroupRecords, CallbackRecords, BackOfficeRecords, RequestLogRecords):
        hints = typing.get_type_hints(cls)
        loose = [name for name, hint in hints.items() if _mentions_any(hint)]
        assert not loose, f"{cls.__name__}: fields typed Any: {loose}"
    assert "extra" not in {f.name for f in dataclasses.fields(ReplicationResult)}


def test_optional_records_present_exactly_when_used(results):
    """skills_and_callbacks with a request log has every record, single_queue none of them."""
    cfg, res = results["rich"]
    assert isinstance(res.groups, GroupRecords) and res.groups.names == list(cfg.routing.groups), res.groups
    assert isinstance(res.callbacks, CallbackRecords) and res.callbacks.offered.sum() > 0
    assert isinstance(res.backoffice, BackOfficeRecords)
    assert isinstance(res.request_log, RequestLogRecords)
    n = len(res.intervals["calls_offered"])
    assert res.groups.attempts.shape == (len(cfg.routing.groups), n), res.groups.attempts.shape
    assert list(res.groups.counters()) == [*GROUP_COUNTS, *GROUP_AREAS]
    assert list(res.callbacks.counters()) == list(CALLBACK_COUNTS) and res.callbacks.completed.shape == (n,)
    meta = res.backoffice.meta
    assert len(meta.unit_names) == len(meta.type_of) == len(res.backoffice.unit["orders_received"]) > 0
    assert meta.categories == list(cfg.categories) and meta.type_names == list(cfg.units)
    assert len(res.request_log.contacts["id"]) == res.contacts_created > 0
    _, plain = results["plain"]
    assert (plain.groups, plain.callbacks, plain.backoffice, plain.request_log) == (None, None, None, None)
    assert plain.contacts_created > 0 and plain.after_horizon["retrials"] == 0.0


def _equal(x, y) -> bool:
    if dataclasses.is_dataclass(x) and type(x) is type(y):
        return all(_equal(getattr(x, f.name), getattr(y, f.name)) for f in dataclasses.fields(x))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_equal(x[k], y[k]) for k in x)
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.array_equal(x, y, equal_nan=np.asarray(x).dtype.kind == "f")
    return bool(x == y)


def test_result_pickles_whole(results):
    """A result with every record survives a pickle round trip unchanged (how a worker process returns it)."""
    _, res = results["rich"]
    back = pickle.loads(pickle.dumps(res))
    assert type(back.backoffice) is BackOfficeRecords and type(back.request_log) is RequestLogRecords
    assert _equal(res, back), "the result changed in a pickle round trip"
