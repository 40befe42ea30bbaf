"""``sim.api.compare``: two configurations compared from a script, paired under common random numbers as a sweep's
comparison is; ``sim.api.by_replication``: a KPI by replication number, not by list position."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.api import by_replication, compare, compose_config, run
from sim.core.errors import ConfigError
from sim.experiments.runner import ExperimentResult

FAST = ["experiment.horizon_h=3", "experiment.warmup_h=0.5", "experiment.replications=3", "experiment.jobs=1",
        "experiment.progress=false"]


@pytest.fixture(scope="module")
def runs():
    def one(*extra: str) -> ExperimentResult:
        return run(compose_config("single_queue", [*FAST, *extra]))

    return one("staffing.operators=120"), one("staffing.operators=130"), one("staffing.operators=130",
                                                                            "experiment.seed=99")


def test_same_seed_is_paired_replication_by_replication(runs):
    a, b, _ = runs
    d = compare(a, b, ["mean_wait_s", "service_level"])
    assert set(d) == {"mean_wait_s", "service_level"}
    for k in d:
        per_pair = [y[k] - x[k] for x, y in zip(a.per_replication, b.per_replication)]
        assert d[k]["method"] == "paired-t" and d[k]["pairs"] == [0, 1, 2]
        assert d[k]["diff"] == pytest.approx(np.mean(per_pair))
        sd = np.std(per_pair, ddof=1)
        half = 4.302652729911275 * sd / np.sqrt(3)  # t(0.975, 2 degrees of freedom)
        assert d[k]["diff_ci_high"] - d[k]["diff_ci_low"] == pytest.approx(2 * half)
    assert d["mean_wait_s"]["diff"] < 0 < d["service_level"]["diff"]  # ten more operators: shorter waits


def test_different_seeds_are_compared_unpaired(runs):
    a, _, c = runs
    d = compare(a, c, ["service_level"])["service_level"]
    assert d["method"] == "welch" and d["pairs"] == [] and "seed" in d["why"]


def test_by_default_every_kpi_with_a_value_per_replication(runs):
    a, b, _ = runs
    d = compare(a, b)
    assert {"service_level", "abandon_rate", "mean_wait_s"} <= set(d)


@pytest.mark.parametrize("kpi", ["service_levle", "staffing_cost_total_typo"])
def test_an_unknown_kpi_is_refused_naming_it(runs, kpi):
    a, b, _ = runs
    with pytest.raises(ConfigError) as info:
        compare(a, b, [kpi])
    assert str(info.value).startswith(f"kpi='{kpi}': not a KPI with a value per replication") and "service_level" in \
        str(info.value)
    assert ("did you mean service_level?" in str(info.value)) == (kpi == "service_levle")
    with pytest.raises(ConfigError):
        compare(a, b, "service_level")  # a string, not a list of names


def test_a_failed_replication_leaves_a_hole_not_a_shift():
    """per_replication[i] belongs to replications[i].replication: with replication 1 failed, the second value is
    replication 2's, and a comparison pairs 0 with 0 and 2 with 2."""
    cfg = compose_config("single_queue", FAST)
    reps = [SimpleNamespace(replication=r) for r in (0, 2)]
    ref = ExperimentResult(cfg, reps, [{"asa_s": 1.0}, {"asa_s": 3.0}], {}, 0.0)  # type: ignore[arg-type]
    var = ExperimentResult(cfg, [SimpleNamespace(replication=r) for r in (0, 1, 2)],  # type: ignore[arg-type]
                           [{"asa_s": 2.0}, {"asa_s": 50.0}, {"asa_s": 5.0}], {}, 0.0)
    assert by_replication(ref, "asa_s") == {0: 1.0, 2: 3.0}
    d = compare(ref, var, ["asa_s"])["asa_s"]
    assert d["pairs"] == [0, 2] and d["diff"] == pytest.approx(1.5)
