"""Shared runs of the invariant tests: replications of ``single_queue`` variants, cached per session.

Every invariant here holds on each sample path, so a few short replications
(12 h, 1 h warm-up unless a configuration says otherwise) are enough; seeds are fixed.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Dict, List, Sequence

import numpy as np
import pytest
from support import layered

BASE = ["experiment.horizon_h=12", "experiment.warmup_h=1", "experiment.seed=4242"]

#: Named variants of ``single_queue`` (overrides on top of :data:`BASE`).
CONFIGS: Dict[str, List[str]] = {
    "default": [],
    "redials_lognormal": [
        "calls.retrial.probability=0.5", "staffing.operators=115",
        "calls.handle_s.dist=lognormal", "calls.handle_s.cv=0.8",
        "calls.patience_s.dist=lognormal", "calls.patience_s.cv=1.5",
    ],
    "online_expiring": ["arrivals.online.per_day=5000", "online.expire_h=0.5", "online.deadline_h=0.5"],
    "tight_staffing": ["staffing.operators=90"],
    # 0-5 h: 120, 4-12 h: 130 (overlap 4-5 h), then nobody until the horizon at 24 h.
    "shifts": [
        "staffing.operators=0",
        "staffing.shifts=[{start_h:0,length_h:5,count:120},{start_h:4,length_h:8,count:130}]",
        "experiment.horizon_h=24",
    ],
    # A half-hourly plan alternating 140 and 100 operators (falls send busy operators home late),
    # with redials and expiring online items on top.
    "half_hourly_mixed": [
        "staffing.operators=0",
        "staffing.half_hourly=[" + ",".join(["140", "140", "100", "100"] * 12) + "]",
        "calls.retrial.probability=0.7", "arrivals.online.per_day=8000", "online.expire_h=0.25",
        "online.deadline_h=0.25",
    ],
    # Two operator groups with overflow after 10 s, online work blended under a reservation of 2 idle operators
    # and aged into the call class after 10 minutes: the routing policies under every invariant.
    "groups_overflow": [
        "staffing.operators=0", "+routing.groups.a={operators:65}", "+routing.groups.b={operators:60}",
        "categories.all.share=0.6", "+categories.two={share:0.4}", "+routing.skills.all=[a,b]",
        "+routing.skills.two=[b,a]", "routing.overflow_after_s=10", "arrivals.online.per_day=5000",
        "routing.reserve_idle=2", "routing.escalate_after_s.online=600",
    ],
}


def variant(cfg, changes: Dict[str, object]):
    """A validated copy of ``cfg`` with dotted keys set, e.g. ``{"staffing.operators": 120}``.

    Equivalent to composing with the overrides ``key=value`` but without a
    Hydra composition (~0.5 s each), for tests that sweep one input.
    """
    from sim.model.checks import validate

    new = copy.deepcopy(cfg)
    for key, value in changes.items():
        *path, last = key.split(".")
        node = new
        for part in path:
            node = getattr(node, part)
        assert hasattr(node, last), f"unknown key {key}"
        setattr(node, last, value)
    validate(new)
    return new


def phone_waiting_by_interval(res) -> np.ndarray:
    """Calls in an operator queue at the horizon, by arrival interval of the contact.

    ``open:waiting_operator`` holds calls and online items; online items are
    counted by their own arrival interval, so the online ones are the online
    submissions neither accepted nor withdrawn.
    """
    from sim.records.intervals import OPEN_STATES

    iv = res.intervals
    online_waiting = iv["online_offered"] - iv["online_accepted"] - iv["online_expired"]
    return res.open[OPEN_STATES.index("waiting_operator")] - online_waiting


@pytest.fixture(scope="session")
def sq():
    """``sq.run(name_or_overrides, reps=3)`` -> (cfg, [ReplicationResult]) of ``single_queue`` (cached);
    ``sq.compose(overrides)`` -> Config; ``sq.variant(cfg, {key: value})``; ``sq.CONFIGS``;
    ``sq.phone_waiting(res)``."""
    from sim.api import compose_config
    from sim.model.replication import run_replication

    cache: Dict[tuple, tuple] = {}

    def compose(overrides: Sequence[str]):
        return compose_config("single_queue", layered(BASE, overrides))

    def run(spec, reps: int = 3):
        overrides = CONFIGS[spec] if isinstance(spec, str) else list(spec)
        key = (tuple(overrides), reps)
        if key not in cache:
            cfg = compose(overrides)
            cache[key] = (cfg, [run_replication(cfg, r) for r in range(reps)])
        return cache[key]

    return SimpleNamespace(run=run, compose=compose, CONFIGS=CONFIGS, phone_waiting=phone_waiting_by_interval,
                           variant=variant)
