"""Sweeps (``run_sim.py -m``) and the comparison of their variants (sim.report.comparison).

A sweep of ``single_queue`` over 120 and 130 operators (same seed, 4 replications
of 4 h) writes ``variant_0/`` and ``variant_1/`` and, through the Hydra callback,
``comparison.csv`` and ``comparison.md``; the comparison numbers are checked
against scipy's paired t-test on the variants' kpis.csv.  ``difference_ci`` and
``write_comparison`` are also checked on synthetic data against
``scipy.stats.ttest_rel`` / ``ttest_ind(equal_var=False)``.
"""

from __future__ import annotations

import csv
import json
import math
from html import unescape

import numpy as np
import pytest
import yaml
from scipy import stats as st
from support import run_cli
from xp_helpers import SQ_SMALL

from sim.analysis.kpis import difference_ci
from sim.report.comparison import collect_variants, columns, write_comparison
from sim.report.numbers import column_decimals

SWEEP = ["-m", "scenario=single_queue", "staffing.operators=120,130", *SQ_SMALL, "experiment.replications=4"]


def near_abs(column: str) -> float:
    """Half the last decimal comparison.csv keeps in ``column`` (:func:`sim.report.numbers.column_decimals`)."""
    d = column_decimals(column)
    return 0.5 * 10.0 ** -(d if d is not None else 12) * (1 + 1e-9)


def near(expected: float, column: str, f: float = 1.0):
    """``expected`` as read back from ``column`` of comparison.csv (divided by ``f``): rounded to the column's unit."""
    return pytest.approx(expected, rel=0, abs=near_abs(column) / f + 1e-12)


def _read_csv(path):
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _kpi_column(folder, kpi):
    return [float(r[kpi]) for r in _read_csv(folder / "kpis.csv")]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """The sweep folder of the basic-launcher sweep, and the completed process."""
    out = tmp_path_factory.mktemp("sweep") / "basic"
    proc = run_cli([*SWEEP, f"report.dir={out}"])
    assert proc.returncode == 0, f"sweep {SWEEP}: exit {proc.returncode}, stderr {proc.stderr[-800:]}"
    return out, proc


def test_sweep_writes_variant_folders_and_comparison(sweep):
    """variant_0/ and variant_1/ hold their own reports; comparison.csv/.md are at the top of the sweep folder."""
    out, proc = sweep
    for v, ops in (("variant_0", 120), ("variant_1", 130)):
        summary = json.loads((out / v / "summary.json").read_text())
        assert summary["replications"] == 4 and summary["scenario"] == "single_queue", f"{v}: {summary['replications']}"
        cfg = yaml.safe_load((out / v / "config.yaml").read_text())
        assert cfg["staffing"]["operators"] == ops, f"{v}: config.yaml has {cfg['staffing']['operators']} operators"
        assert len(_read_csv(out / v / "kpis.csv")) == 4, f"{v}: kpis.csv does not have 4 rows"
    assert (out / "comparison.csv").is_file() and (out / "comparison.md").is_file(), (
        f"sweep folder {out} lacks comparison files: {sorted(p.name for p in out.iterdir())}")
    assert str(out / "comparison.csv") in proc.stdout, (
        f"the sweep did not announce the comparison: {proc.stdout[-400:]}")


def test_comparison_csv_rows(sweep):
    """One row per variant; variant 0's differences are 0; variant 1's service_level difference is paired,
    equals the paired t interval of the kpis.csv columns, excludes 0 and is flagged significant."""
    out, _ = sweep
    rows = _read_csv(out / "comparison.csv")
    assert [(r["variant"], r["folder"], r["overrides"]) for r in rows] == [
        ("0", "variant_0", "staffing.operators=120"), ("1", "variant_1", "staffing.operators=130")], (
        f"comparison.csv variant columns: {[(r['variant'], r['folder'], r['overrides']) for r in rows]}")
    got = [(r["paired"], r["pairs"], r["seed"], r["replications"]) for r in rows]
    assert got == [("", "", "7", "4"), ("yes", "4", "7", "4")], f"paired/pairs/seed/replications columns: {got}"
    assert rows[1]["differences"] == "paired-t on 4 replications (0-3; common random numbers)", rows[1]["differences"]
    kpis = [h[: -len("_significant")] for h in rows[0] if h.endswith("_significant")]
    assert "service_level" in kpis and "mean_wait_s" in kpis, f"comparison.csv KPIs: {kpis}"
    for k in kpis:
        _, dstem, _ = columns(k)
        got = [rows[0][dstem], rows[0][f"{dstem}_ci_low"], rows[0][f"{dstem}_ci_high"], rows[0][f"{k}_significant"]]
        assert got == ["0", "0", "0", "no"], f"variant 0 (reference), {k}: difference columns {got}"
    for i, v in enumerate(("variant_0", "variant_1")):
        summary = json.loads((out / v / "summary.json").read_text())
        assert float(rows[i]["service_level_pct"]) == near(100 * summary["kpis"]["service_level"]["mean"],
                                                                    "service_level_pct"), (
            f"{v}: comparison.csv service_level_pct {rows[i]['service_level_pct']} vs summary.json")
    for k in ("service_level", "mean_wait_s", "abandon_rate"):
        _, dstem, f = columns(k)
        a, b = _kpi_column(out / "variant_0", k), _kpi_column(out / "variant_1", k)
        ref = st.ttest_rel(b, a)
        ci = ref.confidence_interval(0.95)
        row = rows[1]
        assert float(row[dstem]) == near(f * float(np.mean(np.subtract(b, a))), dstem), (
            f"variant 1, {k}: {dstem} {row[dstem]}")
        assert float(row[f"{dstem}_ci_low"]) == near(f * ci.low, dstem), (
            f"variant 1, {k}: {dstem}_ci_low {row[f'{dstem}_ci_low']} vs ttest_rel {ci.low} (x{f:g})")
        assert float(row[f"{dstem}_ci_high"]) == near(f * ci.high, dstem), (
            f"variant 1, {k}: {dstem}_ci_high {row[f'{dstem}_ci_high']} vs ttest_rel {ci.high} (x{f:g})")
        assert row[f"{k}_significant"] == ("yes" if ref.pvalue < 0.05 else "no"), (
            f"variant 1, {k}: significant={row[f'{k}_significant']}, paired-t p={ref.pvalue:.4g}")
    lo, hi = float(rows[1]["service_level_diff_pp_ci_low"]), float(rows[1]["service_level_diff_pp_ci_high"])
    assert lo > 0 and rows[1]["service_level_significant"] == "yes", (
        f"120 -> 130 operators: service_level difference CI [{lo}, {hi}] should exclude 0 and be significant")


def test_comparison_md_table(sweep):
    """comparison.md has a row per variant; variant 1's service_level cell shows a significant difference."""
    out, _ = sweep
    md = (out / "comparison.md").read_text()
    lines = [ln for ln in md.splitlines() if ln.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert "service level" in header, f"comparison.md header: {header}"
    assert header[-2:] == ["replications", "differences"], (
        f"comparison.md: the KPIs should come before the method columns, as on comparison.html: {header}")
    assert not [h for h in header if "_" in h], f"comparison.md header names a KPI by its key: {header}"
    body = {ln.split("|")[1].strip(): [c.strip() for c in ln.strip("|").split("|")] for ln in lines[1:]}
    assert set(body) == {"0", "1"}, f"comparison.md rows: {list(body)}"
    sl = header.index("service level")
    assert "Δ" not in body["0"][sl], f"reference row shows a difference: {body['0'][sl]}"
    assert "Δ +" in body["1"][sl] and body["1"][sl].endswith("*"), (
        f"variant 1 service_level cell lacks a significant positive difference: {body['1'][sl]}")


@pytest.mark.slow
def test_joblib_launcher_gives_same_comparison(sweep, tmp_path):
    """``hydra/launcher=joblib hydra.launcher.n_jobs=2`` writes the same comparison.csv/.md and variant KPIs."""
    basic, _ = sweep
    out = tmp_path / "joblib"
    proc = run_cli(["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *SWEEP[1:], f"report.dir={out}"])
    assert proc.returncode == 0, f"joblib sweep: exit {proc.returncode}, stderr {proc.stderr[-800:]}"
    for name in ("comparison.csv", "comparison.md", "variant_0/kpis.csv", "variant_1/kpis.csv"):
        assert (out / name).read_bytes() == (basic / name).read_bytes(), f"joblib vs basic launcher: {name} differs"


# --- difference_ci --------------------------------------------------------------------------------------


def test_difference_ci_paired_by_hand():
    """a=[1,2,3], b=[2,4,5]: d=[1,2,2], mean 5/3, se 1/3; t quantile with 2 dof in closed form."""
    d = difference_ci([1, 2, 3], [2, 4, 5], paired=True, confidence=0.95)
    q = 0.975
    t2 = (2 * q - 1) * math.sqrt(2 / (4 * q * (1 - q)))  # Student t with 2 degrees of freedom: 4.3027
    half = t2 / 3
    assert d["method"] == "paired-t", f"method {d['method']}"
    assert d["diff"] == pytest.approx(5 / 3, rel=1e-12), f"diff {d['diff']}"
    assert (d["diff_ci_low"], d["diff_ci_high"]) == (pytest.approx(5 / 3 - half, rel=1e-12),
                                                     pytest.approx(5 / 3 + half, rel=1e-12)), f"interval {d}"
    assert d["significant"] is True, f"[{d['diff_ci_low']}, {d['diff_ci_high']}] excludes 0 but not significant"


def test_difference_ci_welch_by_hand():
    """a=[1,2,3,4] (var 5/3), b=[2,4,6] (var 4): se^2=5/12+4/3, Welch-Satterthwaite dof by hand."""
    d = difference_ci([1, 2, 3, 4], [2, 4, 6], paired=False, confidence=0.9)
    vx, vy = 5 / 3 / 4, 4 / 3
    dof = (vx + vy) ** 2 / (vx ** 2 / 3 + vy ** 2 / 2)
    half = st.t.ppf(0.95, dof) * math.sqrt(vx + vy)
    assert d["method"] == "welch", f"method {d['method']}"
    assert d["diff"] == pytest.approx(1.5, rel=1e-12), f"diff {d['diff']}"
    assert d["diff_ci_low"] == pytest.approx(1.5 - half, rel=1e-12), f"low {d['diff_ci_low']} vs {1.5 - half}"
    assert d["diff_ci_high"] == pytest.approx(1.5 + half, rel=1e-12), f"high {d['diff_ci_high']} vs {1.5 + half}"
    assert d["significant"] is False, f"interval [{d['diff_ci_low']:.3f}, {d['diff_ci_high']:.3f}] contains 0"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_difference_ci_matches_scipy(seed, confidence):
    """Paired = scipy.stats.ttest_rel and Welch = ttest_ind(equal_var=False): interval and significance."""
    rng = np.random.default_rng(seed)
    common = rng.normal(10, 3, 8)
    a = common + rng.normal(0, 0.5, 8)
    b = common + 0.4 + rng.normal(0, 0.5, 8)
    c = rng.normal(10.5, 1.0, 5)
    for label, got, ref in (
        ("paired", difference_ci(a, b, True, confidence), st.ttest_rel(b, a)),
        ("welch", difference_ci(a, c, False, confidence), st.ttest_ind(c, a, equal_var=False)),
    ):
        ci = ref.confidence_interval(confidence)
        where = f"seed {seed}, confidence {confidence}, {label}"
        assert got["diff_ci_low"] == pytest.approx(ci.low, rel=1e-9), (
            f"{where}: low {got['diff_ci_low']} vs {ci.low}")
        assert got["diff_ci_high"] == pytest.approx(ci.high, rel=1e-9), (
            f"{where}: high {got['diff_ci_high']} vs {ci.high}")
        assert got["significant"] == bool(ref.pvalue < 1 - confidence), (
            f"{where}: significant={got['significant']}, p={ref.pvalue:.4g}")
    p, w = difference_ci(a, b, True, 0.95), difference_ci(a, b, False, 0.95)
    assert p["diff_ci_high"] - p["diff_ci_low"] < w["diff_ci_high"] - w["diff_ci_low"], (
        f"seed {seed}: correlated pairs should give a narrower paired interval: {p} vs {w}")


def test_difference_ci_paired_needs_pairs():
    """Paired samples of different lengths are refused, never compared unpaired behind the caller's back."""
    with pytest.raises(ValueError, match="a paired difference needs pairs: 4 and 3 values"):
        difference_ci([1, 2, 3, 4], [2, 4, 6], paired=True, confidence=0.9)


@pytest.mark.parametrize("a, b", [([1.0, float("nan"), 2.0], [1.0, 2.0, 3.0]), ([1.0], [2.0]), ([1.0, 2.0], [3.0])])
def test_difference_ci_undefined(a, b):
    """A NaN value or fewer than 2 values per side gives an undefined difference (all None)."""
    d = difference_ci(a, b, len(a) == len(b), 0.95)
    assert d == {"diff": None, "diff_ci_low": None, "diff_ci_high": None, "significant": None, "method": None}, (
        f"a={a}, b={b}: {d}")


def test_difference_ci_identical_samples():
    """Identical samples: difference 0 with a zero-width interval, not significant."""
    d = difference_ci([0.9, 0.95, 0.97], [0.9, 0.95, 0.97], True, 0.95)
    assert (d["diff"], d["diff_ci_low"], d["diff_ci_high"], d["significant"]) == (0.0, 0.0, 0.0, False), f"{d}"


# --- write_comparison on synthetic sweep folders ---------------------------------------------------------


def _variant(folder, seed, reps, values, overrides=None, job_num=None, confidence=0.95):
    """A minimal variant folder: summary.json, kpis.csv and optionally .hydra/ metadata."""
    folder.mkdir(parents=True)
    kpis = {}
    for k, v in values.items():
        x = np.asarray(v, dtype=float)
        if len(x) < 2:
            kpis[k] = {"mean": float(x.mean()), "ci_low": None, "ci_high": None}
            continue
        half = st.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
        kpis[k] = {"mean": float(x.mean()), "ci_low": float(x.mean() - half), "ci_high": float(x.mean() + half)}
    summary = {"scenario": "synthetic", "seed": seed, "replications": len(reps), "confidence": confidence,
               "kpis": kpis}
    (folder / "summary.json").write_text(json.dumps(summary))
    names = list(values)
    lines = ["replication," + ",".join(names)]
    lines += [f"{r}," + ",".join(repr(float(values[k][i])) for k in names) for i, r in enumerate(reps)]
    (folder / "kpis.csv").write_text("\n".join(lines) + "\n")
    if job_num is not None:
        (folder / ".hydra").mkdir()
        (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(list(overrides or [])))
        (folder / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"job": {"num": job_num}}}))


A = {"service_level": [0.80, 0.85, 0.83, 0.90, 0.86], "asa_s": [12.0, 9.0, 10.5, 7.0, 8.5]}
B = {"service_level": [0.88, 0.90, 0.86, 0.95, 0.91], "asa_s": [8.0, 6.5, 8.0, 4.0, 6.5]}


def test_write_comparison_different_seeds_is_welch(tmp_path):
    """Variants with different seeds are compared unpaired (Welch), as ttest_ind(equal_var=False)."""
    _variant(tmp_path / "variant_0", 1, range(5), A, ["seed=1", "x=a"], 0)
    _variant(tmp_path / "variant_1", 2, range(5), B, ["seed=2", "x=a"], 1)
    path = write_comparison(tmp_path)
    rows = _read_csv(path)
    assert [r["paired"] for r in rows] == ["", "no"], f"paired column {[r['paired'] for r in rows]}"
    assert rows[1]["differences"] == ("Welch, unpaired (5 replications of variant 0 (seed=1), 5 of this one; the "
                                      "variants' seeds differ)"), (
        rows[1]["differences"])
    assert rows[1]["service_level_pct_over_pairs"] == "" and rows[1]["pairs"] == "", (
        "an unpaired comparison has no means over pairs")
    assert [r["overrides"] for r in rows] == ["seed=1", "seed=2"], (
        f"overrides column should show only what differs: {[r['overrides'] for r in rows]}")
    for k in A:
        _, dstem, f = columns(k)
        ci = st.ttest_ind(B[k], A[k], equal_var=False).confidence_interval(0.95)
        got = (float(rows[1][f"{dstem}_ci_low"]) / f, float(rows[1][f"{dstem}_ci_high"]) / f)
        assert got == (near(ci.low, dstem, f), near(ci.high, dstem, f)), (
            f"seeds 1 vs 2, {k}: interval {got} vs Welch {ci}")
        paired_ci = st.ttest_rel(B[k], A[k]).confidence_interval(0.95)
        assert got != (pytest.approx(paired_ci.low, rel=1e-6), pytest.approx(paired_ci.high, rel=1e-6)), (
            f"seeds 1 vs 2, {k}: the interval is the paired one")


def test_write_comparison_same_seed_is_paired_and_uses_job_order(tmp_path):
    """Same seed: paired over the common replications; the reference is job 0 whatever the folder names;
    the confidence level comes from the reference's summary.json."""
    _variant(tmp_path / "zz_reference", 5, range(5), A, ["x=1"], 0, confidence=0.9)
    # the other variant lost replication 2: pairs are replications 0, 1, 3, 4
    _variant(tmp_path / "aa_other", 5, [0, 1, 3, 4], {k: [v[i] for i in (0, 1, 3, 4)] for k, v in B.items()},
             ["x=2"], 1, confidence=0.9)
    rows = _read_csv(write_comparison(tmp_path))
    assert [r["folder"] for r in rows] == ["zz_reference", "aa_other"], f"row order {[r['folder'] for r in rows]}"
    assert rows[1]["paired"] == "yes", f"same seed: paired={rows[1]['paired']}"
    for k in A:
        a, b = [A[k][i] for i in (0, 1, 3, 4)], [B[k][i] for i in (0, 1, 3, 4)]
        ci = st.ttest_rel(b, a).confidence_interval(0.9)
        _, dstem, f = columns(k)
        got = (float(rows[1][f"{dstem}_ci_low"]) / f, float(rows[1][f"{dstem}_ci_high"]) / f)
        assert got == (near(ci.low, dstem, f), near(ci.high, dstem, f)), (
            f"same seed, {k}, confidence 0.9: interval {got} vs paired t {ci}")
    md = (tmp_path / "comparison.md").read_text()
    assert "90% CI" in md, f"comparison.md does not state the 90% level: {md[:200]}"


def test_difference_of_shares_stays_within_100_points(tmp_path):
    """Two replications whose online on-time rates differ by -0.2 and +0.55 (a sweep over headcounts at a small
    scale gave -114 to +149 pp): the paired interval of a share's difference is clipped to [-100, +100] pp, the
    difference two shares can have, and stays not significant; a time's difference (unbounded) is not clipped."""
    ref = {"service_level": [0.5, 0.6], "online_on_time_rate": [0.6, 0.45], "asa_s": [40.0, 48.0]}
    var = {"service_level": [0.7, 0.75], "online_on_time_rate": [0.4, 1.0], "asa_s": [10.0, 200.0]}
    _variant(tmp_path / "variant_0", 5, range(2), ref, ["h=1"], 0)
    _variant(tmp_path / "variant_1", 5, range(2), var, ["h=2"], 1)
    rows = _read_csv(write_comparison(tmp_path))
    _, dstem, f = columns("online_on_time_rate")
    low, high = float(rows[1][f"{dstem}_ci_low"]), float(rows[1][f"{dstem}_ci_high"])
    ci = st.ttest_rel(var["online_on_time_rate"], ref["online_on_time_rate"]).confidence_interval(0.95)
    assert ci.low * f < -100 and ci.high * f > 100, f"the case must reach past 100 pp: {ci}"
    assert (low, high) == (-100, 100), f"share difference interval {low}, {high} pp"
    assert rows[1]["online_on_time_rate_significant"] == "no"
    _, tstem, tf = columns("asa_s")
    t_ci = st.ttest_rel(var["asa_s"], ref["asa_s"]).confidence_interval(0.95)
    assert float(rows[1][f"{tstem}_ci_low"]) / tf == near(t_ci.low, tstem, tf), "a time's difference is not clipped"


def test_write_comparison_without_variants(tmp_path):
    """A folder without variant reports gives no comparison (None, no files)."""
    (tmp_path / "empty").mkdir()
    assert write_comparison(tmp_path) is None, "write_comparison on a folder without summary.json files"
    assert not (tmp_path / "comparison.csv").exists(), "comparison.csv written for an empty sweep"


def test_variants_without_hydra_metadata_in_numeric_order(tmp_path):
    """Twelve variant_<n> folders without .hydra/ are compared in the order variant_0, ..., variant_11."""
    for n in range(12):
        _variant(tmp_path / f"variant_{n}", 1, range(3), {"service_level": [0.5 + n / 100, 0.6, 0.7]})
    order = [v["folder"].name for v in collect_variants(tmp_path)]
    assert order == [f"variant_{n}" for n in range(12)], f"variant order without .hydra: {order}"


STRAYS = {  # subfolder -> files: none of them is a variant's report
    "notes": {"a.txt": "my notes\n"},
    "copied_summary": {"summary.json": json.dumps({"seed": 1, "kpis": {}})},
    "broken_json": {"summary.json": "{not json", "kpis.csv": "replication,service_level\n0,0.5\n"},
    "not_a_summary": {"summary.json": "[1, 2]", "kpis.csv": "replication,service_level\n0,0.5\n"},
    "bad_kpis": {"summary.json": json.dumps({"seed": 1, "kpis": {}}), "kpis.csv": "replication,x\nzero,1\n"},
}


def _sweep_with_strays(tmp_path):
    _variant(tmp_path / "variant_0", 5, range(5), A, ["x=1"], 0)
    _variant(tmp_path / "variant_1", 5, range(5), B, ["x=2"], 1)
    for name, files in STRAYS.items():
        (tmp_path / name).mkdir()
        for fname, text in files.items():
            (tmp_path / name / fname).write_text(text)


def test_stray_subfolders_are_skipped_with_a_note(tmp_path):
    """Subfolders that hold no readable report are skipped - never a crash - and listed in comparison.md."""
    _sweep_with_strays(tmp_path)
    rows = _read_csv(write_comparison(tmp_path))
    assert [r["folder"] for r in rows] == ["variant_0", "variant_1"], [r["folder"] for r in rows]
    md = (tmp_path / "comparison.md").read_text()
    for name in STRAYS:
        assert f"* {name}/: " in md, f"comparison.md does not note the skipped {name}/: {md[-600:]}"


def test_callback_notes_skipped_subfolders(tmp_path, capsys):
    """The sweep's callback writes the comparison and says on stderr which subfolders it skipped."""
    from omegaconf import OmegaConf

    from sim.sweep_callback import ComparisonCallback

    _sweep_with_strays(tmp_path)
    ComparisonCallback().on_multirun_end(OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}}}))
    out, err = capsys.readouterr()
    assert str(tmp_path / "comparison.csv") in out, out
    noted = [ln for ln in err.splitlines() if ln.startswith("run_sim: note: comparison: skipped")]
    assert len(noted) == len(STRAYS), err


# --- pairing only what is paired (issue: replication sets that differ) -----------------------------------

#: A precision target stops variant 0 (8 operators) at 8 replications and variant 1 (10) at 6.
PRECISION_SWEEP = ["-m", "scenario=single_queue", "arrivals.phone.per_day=2000", "staffing.operators=8,10",
                   "experiment.horizon_h=12", "experiment.warmup_h=0", "experiment.replications=2",
                   "experiment.precision=0.01", "experiment.max_replications=8", "experiment.progress=false"]
#: The same settings twice, with 2 and 3 replications.
REPLICATIONS_SWEEP = ["-m", "scenario=single_queue", "arrivals.phone.per_day=2000", "staffing.operators=8",
                      "experiment.horizon_h=12", "experiment.warmup_h=0", "experiment.replications=2,3",
                      "experiment.progress=false"]


def _quick(args, out):
    proc = run_cli([*args, "report.plots=false", f"report.dir={out}"])
    assert proc.returncode == 0, f"{args}: exit {proc.returncode}, stderr {proc.stderr[-800:]}"
    return proc


@pytest.fixture(scope="module")
def precision_sweep(tmp_path_factory):
    """The sweep folder and process of PRECISION_SWEEP (variants with 8 and 6 replications)."""
    out = tmp_path_factory.mktemp("sweep") / "precision"
    return out, _quick(PRECISION_SWEEP, out)


def test_paired_only_on_common_replications(precision_sweep):
    """8 and 6 replications under one seed: the difference is paired on replications 0-5 only, equals the
    paired t interval of those pairs, and is the difference of the two means over those pairs, which
    comparison.csv gives (it is not the difference of the reported means, 8 against 6 replications)."""
    out, _ = precision_sweep
    rows = _read_csv(out / "comparison.csv")
    a = dict(zip(map(int, (r["replication"] for r in _read_csv(out / "variant_0" / "kpis.csv"))),
                 _kpi_column(out / "variant_0", "service_level")))
    b = dict(zip(map(int, (r["replication"] for r in _read_csv(out / "variant_1" / "kpis.csv"))),
                 _kpi_column(out / "variant_1", "service_level")))
    assert (sorted(a), sorted(b)) == (list(range(8)), list(range(6))), f"replications {sorted(a)}, {sorted(b)}"
    row = rows[1]
    assert (row["paired"], row["pairs"]) == ("yes", "6"), (row["paired"], row["pairs"])
    assert row["differences"] == ("paired-t on the 6 replications both variants have (0-5; variant 0 "
                                  "(staffing.operators=8) has 8, this one 6)"), row["differences"]
    x, y = [a[r] for r in range(6)], [b[r] for r in range(6)]
    ci = st.ttest_rel(y, x).confidence_interval(0.95)
    got = [float(row[c]) / 100 for c in ("service_level_diff_pp", "service_level_diff_pp_ci_low",
                                         "service_level_diff_pp_ci_high")]
    pp = "service_level_diff_pp"
    assert got == [near(np.mean(y) - np.mean(x), pp, 100), near(ci.low, pp, 100), near(ci.high, pp, 100)], f"paired difference {got} vs pairs 0-5: {ci}"
    assert float(row["service_level_pct_over_pairs"]) == near(100 * np.mean(y), "service_level_pct")
    assert float(row["ref_service_level_pct_over_pairs"]) == near(100 * np.mean(x), "service_level_pct")
    reported = float(row["service_level_pct"]) - float(rows[0]["service_level_pct"])
    assert abs(reported - float(row["service_level_diff_pp"])) > 0.1, (
        f"the example no longer shows the point: reported means differ by {reported:.3f} pp, paired "
        f"difference {row['service_level_diff_pp']} pp")


def test_paired_subset_is_said_everywhere(precision_sweep):
    """comparison.md, comparison.html and the terminal say the differences are paired on 6 of the replications,
    and the Markdown cell shows the two means over those pairs beside the paired difference."""
    from sim.report.text import format_value

    out, proc = precision_sweep
    rows = _read_csv(out / "comparison.csv")
    how = "paired-t on the 6 replications both variants have (0-5; variant 0 (staffing.operators=8) has 8, this one 6)"
    md = (out / "comparison.md").read_text()
    line = next(ln for ln in md.splitlines() if ln.startswith("| 1 |"))
    ref_m, m = (float(rows[1][c]) / 100 for c in ("ref_service_level_pct_over_pairs", "service_level_pct_over_pairs"))
    want = f"over the 6 pairs: {format_value('service_level', ref_m)} → " \
           f"{format_value('service_level', m)}"
    assert how in line and want in line, f"comparison.md row of variant 1 lacks {how!r} or {want!r}: {line}"
    html = (out / "comparison.html").read_text()
    assert how in html and want in html, "comparison.html does not say how the differences were computed"
    assert f"Differences from variant 0: 1: {how}" in proc.stdout, proc.stdout[-600:]


def test_identical_settings_replications_2_and_3(tmp_path):
    """replications=2,3 on identical settings: the pairs (replications 0 and 1) are identical, so the paired
    difference is exactly 0 with a zero-width interval, not significant; the page and comparison.md show it beside
    the means over those 2 pairs (equal), while the reported means differ (the third replication)."""
    from sim.report.text import format_value

    out = tmp_path / "reps"
    _quick(REPLICATIONS_SWEEP, out)
    rows = _read_csv(out / "comparison.csv")
    row = rows[1]
    assert (row["pairs"], row["service_level_diff_pp"], row["service_level_diff_pp_ci_low"],
            row["service_level_diff_pp_ci_high"], row["service_level_significant"]) == ("2", "0", "0", "0", "no"), row
    # the same mean computed in another order may round to the neighbouring last decimal of the column
    pct = [float(row["service_level_pct_over_pairs"]), float(row["ref_service_level_pct_over_pairs"])]
    assert pct == [near(float(rows[0]["service_level_pct"]), "service_level_pct", 0.5)] * 2, (
        "the means over the 2 pairs should both be variant 0's mean")
    assert row["service_level_pct"] != rows[0]["service_level_pct"], "the reported means should differ"
    mean0 = format_value("service_level", float(rows[0]["service_level_pct"]) / 100)
    line = next(ln for ln in (out / "comparison.md").read_text().splitlines() if ln.startswith("| 1 |"))
    assert f"Δ +0.00 pp [+0.00 pp, +0.00 pp]<br>over the 2 pairs: {mean0} → {mean0}" in line, line


def test_same_seed_without_two_common_replications_is_welch(tmp_path):
    """Same seed but only replication 2 in common (the others failed): too few to pair, so Welch's interval on
    all replications, whose difference is that of the reported means."""
    _variant(tmp_path / "variant_0", 5, [0, 1, 2], {k: v[:3] for k, v in A.items()}, ["x=1"], 0)
    _variant(tmp_path / "variant_1", 5, [2, 3, 4], {k: v[2:] for k, v in B.items()}, ["x=2"], 1)
    rows = _read_csv(write_comparison(tmp_path))
    assert (rows[1]["paired"], rows[1]["differences"]) == (
        "no", "Welch, unpaired (3 replications of variant 0 (x=1), 3 of this one; 1 replication in common, too few "
              "to pair)"), rows[1]
    for k in A:
        stem, dstem, f = columns(k)
        ci = st.ttest_ind(B[k][2:], A[k][:3], equal_var=False).confidence_interval(0.95)
        got = [float(rows[1][c]) / f for c in (dstem, f"{dstem}_ci_low", f"{dstem}_ci_high")]
        assert got == [near(np.mean(B[k][2:]) - np.mean(A[k][:3]), dstem, f),
                       near(ci.low, dstem, f), near(ci.high, dstem, f)], f"{k}: {got} vs {ci}"
        assert float(rows[1][dstem]) == pytest.approx(float(rows[1][stem]) - float(rows[0][stem]), abs=2 * near_abs(stem))


def test_one_replication_has_no_interval(tmp_path):
    """One replication per variant: the difference of the means, no interval, no significance, and every
    output says 'no interval (1 replication)'."""
    _variant(tmp_path / "variant_0", 5, [0], {"service_level": [0.80]}, ["x=1"], 0)
    _variant(tmp_path / "variant_1", 5, [0], {"service_level": [0.90]}, ["x=2"], 1)
    rows = _read_csv(write_comparison(tmp_path))
    row = rows[1]
    assert (row["differences"], row["service_level_diff_pp_ci_low"], row["service_level_diff_pp_ci_high"],
            row["service_level_significant"]) == ("no interval (1 replication)", "", "", ""), row
    assert float(row["service_level_diff_pp"]) == near(10.0, "service_level_diff_pp"), row["service_level_diff_pp"]
    md = (tmp_path / "comparison.md").read_text()
    assert "Δ +10.00 pp<br>no interval (1 replication)" in md, md
    html = (tmp_path / "comparison.html").read_text()
    assert "<td class=\"method\">no interval (1 replication)</td>" in html, "the page's differences column"
    assert "Variants 0, 1: no interval (1 replication), the mean alone." in html, "the trade-off's caption"


def test_comparison_states_a_confidence_level_other_than_95(tmp_path):
    """At experiment.confidence=0.975 the differences are 97.5% intervals (scipy's), and the page and
    comparison.md say 97.5%, not a rounded 98%."""
    _variant(tmp_path / "variant_0", 5, range(5), A, ["x=1"], 0, confidence=0.975)
    _variant(tmp_path / "variant_1", 5, range(5), B, ["x=2"], 1, confidence=0.975)
    rows = _read_csv(write_comparison(tmp_path))
    ci = st.ttest_rel(B["asa_s"], A["asa_s"]).confidence_interval(0.975)
    assert (float(rows[1]["asa_s_diff_ci_low"]), float(rows[1]["asa_s_diff_ci_high"])) == (
        near(ci.low, "asa_s_diff"), near(ci.high, "asa_s_diff")), rows[1]
    assert "Mean [97.5% CI]" in (tmp_path / "comparison.md").read_text()
    assert "97.5% confidence interval" in (tmp_path / "comparison.html").read_text()


def test_variants_at_other_confidence_levels_are_named(tmp_path):
    """A sweep over experiment.confidence: every difference is at variant 0's level (99%), and comparison.md and
    the page say that variant 1's own intervals are at 90%."""
    _variant(tmp_path / "variant_0", 5, range(5), A, ["experiment.confidence=0.99"], 0, confidence=0.99)
    _variant(tmp_path / "variant_1", 5, range(5), B, ["experiment.confidence=0.9"], 1, confidence=0.9)
    rows = _read_csv(write_comparison(tmp_path))
    ci = st.ttest_rel(B["asa_s"], A["asa_s"]).confidence_interval(0.99)
    assert float(rows[1]["asa_s_diff_ci_low"]) == near(ci.low, "asa_s_diff"), rows[1]["asa_s_diff_ci_low"]
    note = ("The variants' own intervals are at their own confidence level (experiment.confidence), which is not "
            "0.99 for variant 1: 0.9; every difference is at 0.99.")
    assert note in (tmp_path / "comparison.md").read_text()
    assert note in unescape((tmp_path / "comparison.html").read_text())
