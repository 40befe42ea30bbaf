"""Helpers of the statistical validation: replicate a configuration, compare KPIs with theory.

A comparison takes the per-replication KPIs of ``R`` independent replications
(each measured after its warm-up), builds the two-sided Student-t confidence
interval of their mean and checks that the exact steady-state value of the
queueing model lies inside it.  Seeds are fixed, so a test gives the same
verdict on every run; the level (99 %) is chosen so that a correct simulator
passes a whole table of comparisons with high probability for any seed, while
the observed half-widths are small enough that the theory of a neighbouring
headcount (``c - 2`` or ``c + 2``) is rejected (see ``test_erlang_a.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Dict, List, Sequence

import numpy as np
import pytest
from scipy import stats as st

#: Confidence level of every theory comparison.
CONFIDENCE = 0.99

#: KPI of :mod:`sim.analysis.kpis` -> attribute of :class:`sim.analysis.theory.QueueMetrics`.
KPI_TO_THEORY: Dict[str, str] = {
    "service_level": "service_level",
    "abandon_rate": "p_abandon",
    "asa_s": "asa_s",
    "mean_wait_s": "mean_wait_s",
    "occupancy": "occupancy",
    "mean_calls_waiting": "mean_queue",
}


@dataclass(frozen=True)
class Comparison:
    """One KPI against its theoretical value."""

    kpi: str
    mean: float
    half_width: float
    theory: float
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    @property
    def z(self) -> float:
        """(mean - theory) / standard error; 0 when the replications agree exactly."""
        se = self.half_width / st.t.ppf(0.5 + CONFIDENCE / 2, self.n - 1)
        return (self.mean - self.theory) / se if se > 0 else (0.0 if self.mean == self.theory else math.inf)

    @property
    def ok(self) -> bool:
        return self.low <= self.theory <= self.high

    def line(self) -> str:
        flag = "ok  " if self.ok else "FAIL"
        return (f"{flag} {self.kpi:<19} sim {self.mean:.6g} [{self.low:.6g}, {self.high:.6g}] "
                f"theory {self.theory:.6g}  z={self.z:+.2f}")


def compare(rows: Sequence[Dict[str, float]], theory: object, kpis: Sequence[str]) -> List[Comparison]:
    """Compare the mean over replications of each KPI in ``kpis`` with ``theory``.

    ``theory`` is a :class:`sim.analysis.theory.QueueMetrics` (read through :data:`KPI_TO_THEORY`)
    or a mapping from KPI name to value.
    """
    out = []
    for kpi in kpis:
        x = np.asarray([r[kpi] for r in rows], dtype=float)
        assert np.isfinite(x).all(), f"{kpi} undefined in some replication: {x}"
        n = len(x)
        half = float(st.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
        value = theory[kpi] if isinstance(theory, dict) else getattr(theory, KPI_TO_THEORY[kpi])
        out.append(Comparison(kpi, float(x.mean()), half, float(value), n))
    return out


def report(label: str, comps: Sequence[Comparison]) -> str:
    """A table of comparisons, for assertion messages and ``pytest -s`` output."""
    return "\n".join([label] + ["  " + c.line() for c in comps])


def replicate(scenario: str, overrides: Sequence[str]) -> List[Dict[str, float]]:
    """Per-replication KPIs (measurement window only) of ``scenario`` with ``overrides``."""
    from sim.analysis.kpis import replication_kpis
    from sim.api import compose_config
    from sim.model.replication import run_replication

    cfg = compose_config(scenario, list(overrides))
    return [replication_kpis(run_replication(cfg, r)) for r in range(cfg.experiment.replications)]


def queue_overrides(lam: float, aht_s: float, patience_s: float, c: int, threshold_s: float, reps: int,
                    horizon_h: float, warmup_h: float, seed: int) -> List[str]:
    """Overrides of ``single_queue`` giving an M/M/c+M queue with these parameters."""
    return [
        f"arrivals.phone.per_day={lam * 86400.0!r}",
        f"calls.handle_s.mean={aht_s!r}",
        f"calls.patience_s.mean={patience_s!r}",
        f"staffing.operators={c}",
        f"kpi.answer_threshold_s={threshold_s!r}",
        f"experiment.replications={reps}",
        f"experiment.horizon_h={horizon_h!r}",
        f"experiment.warmup_h={warmup_h!r}",
        f"experiment.seed={seed}",
    ]


@pytest.fixture(scope="session")
def qv():
    """Validation helpers: ``qv.run(overrides)`` (per-replication KPIs of ``single_queue``,
    cached for the session), ``qv.overrides(...)``, ``qv.compare(rows, theory, kpis)``,
    ``qv.report(label, comparisons)``."""
    cache: Dict[tuple, List[Dict[str, float]]] = {}

    def run(overrides: Sequence[str]) -> List[Dict[str, float]]:
        key = tuple(overrides)
        if key not in cache:
            cache[key] = replicate("single_queue", overrides)
        return cache[key]

    return SimpleNamespace(run=run, overrides=queue_overrides, compare=compare, report=report,
                           confidence=CONFIDENCE)
