"""The settings a calibration writes for a call centre: handle time by time of day, patience per category.

* ``calls.handle_factor_half_hourly`` multiplies each call's handle time by the factor of the half-hour in
  which it arrives (48 values every day alike, or 336 over the week from Monday, placed by
  ``experiment.start_weekday``), drawn from the same random numbers: a run with the profile sees the same
  residents with scaled handle times;
* ``categories.<name>.patience_s`` gives that category's callers their own patience (first attempts and
  redials); the others keep ``calls.patience_s``; a category patience equal to the pooled one draws the same
  numbers.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.config.schema import CategoryConfig, DistConfig
from sim.core.rng import Streams
from sim.model.checks import validate
from sim.model.compile import compile_config
from sim.model.residents import COL_CATEGORY, COL_PATIENCE, COL_SERVICE, COL_T, day_rows


@pytest.fixture(scope="module")
def base():
    from sim.api import compose_config

    return compose_config("single_queue", ["experiment.horizon_h=48", "experiment.warmup_h=0",
                                           "experiment.replications=1", "arrivals.phone.per_day=20000"])


def _rows(cfg, day=0):
    return np.array(day_rows(compile_config(cfg), Streams(cfg.experiment.seed, 0), day), dtype=float)


@pytest.mark.parametrize("weekly", [False, True])
def test_handle_factor_scales_each_call_by_its_half_hour(base, weekly):
    factors = 1.0 + (np.arange(336 if weekly else 48) % 7) / 10.0
    cfg = copy.deepcopy(base)
    cfg.calls.handle_factor_half_hourly = [float(v) for v in factors]
    cfg.experiment.start_weekday = 2  # Wednesday: the week's factors start at index 96
    validate(cfg)
    for day in (0, 1):
        plain, scaled = _rows(base, day), _rows(cfg, day)
        assert np.array_equal(plain[:, COL_T], scaled[:, COL_T]), "the same residents"
        half = (plain[:, COL_T] // 1800).astype(int)
        idx = (96 + half) % 336 if weekly else half % 48
        assert np.allclose(scaled[:, COL_SERVICE], plain[:, COL_SERVICE] * factors[idx])


def test_patience_per_category(base):
    cfg = copy.deepcopy(base)
    cfg.categories = {"a": CategoryConfig(share=0.5, patience_s=DistConfig("constant", value=7.0)),
                      "b": CategoryConfig(share=0.5)}
    cfg.calls.patience_s = DistConfig("constant", value=99.0)
    validate(cfg)
    rows = _rows(cfg)
    cat, patience = rows[:, COL_CATEGORY].astype(int), rows[:, COL_PATIENCE]
    assert set(patience[cat == 0]) == {7.0} and set(patience[cat == 1]) == {99.0}
    from sim.api import run

    cfg.calls.retrial.probability, cfg.calls.retrial.max_retrials = 1.0, 2
    cfg.staffing.operators, cfg.experiment.horizon_h = 5, 4.0
    validate(cfg)
    res = run(cfg).replications[0]
    waits = res.intervals["wait_abandoned_s"].sum() / res.intervals["calls_abandoned"].sum()
    assert 7.0 < waits < 99.0 and res.intervals["retrials"].sum() > 0  # both patiences at work, redials too


def test_a_category_patience_equal_to_the_pooled_one_draws_the_same_numbers(base):
    cfg = copy.deepcopy(base)
    cfg.categories["all"].patience_s = copy.deepcopy(cfg.calls.patience_s)
    validate(cfg)
    assert np.array_equal(_rows(base)[:, COL_PATIENCE], _rows(cfg)[:, COL_PATIENCE])
