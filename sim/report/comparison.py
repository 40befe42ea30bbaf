"""Comparison of the variants of a sweep, with paired differences under common random numbers.

``python run_sim.py -m staffing.operators=600,650,700`` (or ``-m scenario=a,b``)
runs one Hydra job per variant, each writing its report folder in its own
subfolder of the sweep folder.  When the sweep ends, :class:`sim.sweep_callback.ComparisonCallback`
(a Hydra callback, so it works with any launcher: basic, joblib, submitit, Ray)
reads every variant's ``summary.json`` and ``kpis.csv`` and writes, at the top
of the sweep folder:

* ``comparison.csv`` - one row per variant: how its differences from the first
  variant were computed (``paired``, ``pairs``, ``differences``), every headline
  KPI's mean and confidence interval (clipped to the KPI's domain,
  :func:`sim.analysis.kpis.clip_to_domain`), and its difference from the first
  variant with the difference's confidence interval, whether it is significant
  (the interval excludes 0) and, when paired, the two means over the paired
  replications; a KPI pooled over the replications (``intervals_meeting_target``)
  has a difference and no interval.
  A share is written in percent (``service_level_pct``) and its difference in
  percentage points (``service_level_diff_pp``): a column's name says its unit;
* ``comparison.md`` - the same for the main KPIs, as a Markdown table;
* ``comparison.html`` - the page of the sweep (:mod:`sim.report.comparison_page`):
  a row per variant with the headline KPIs, a forest plot of the differences
  from the first variant, and the trade-off curve of a numeric sweep.

A subfolder that holds no readable report (a stray folder, a variant that
failed before writing one) is skipped with a note on stderr and in
``comparison.md``; it never stops the comparison of the others.

Variants run with the same seed see the same residents in replication ``r``
(common random numbers), so replication ``r`` of one variant is paired with
replication ``r`` of the other, over the replications *both* have, and the
difference's interval is a paired-t interval - usually much narrower than with
independent seeds.  Variants with different seeds, or fewer than two
replications in common, are compared with Welch's unpaired interval; with one
replication there is no interval.  :mod:`sim.analysis.differences` makes that
choice, and every output says which was made.  All differences are at the
confidence level of the first variant (``experiment.confidence``).
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from sim.analysis.differences import compare_replications, method_text, pairing
from sim.analysis.kpis import clip_to_domain, is_share
from sim.config.kpi_catalog import is_pooled
from sim.report.difference_text import diff_parts, levels_note

MAIN_KPIS = ("service_level", "answer_rate", "abandon_rate", "asa_s", "occupancy", "online_on_time_rate",
             "response_rate", "resolution_rate", "satisfaction_rate", "closeout_on_time_rate", "time_to_close_p90_h",
             "operator_hours", "intervals_meeting_target")


def _read_kpis_csv(path: Path) -> Dict[int, Dict[str, float]]:
    rows: Dict[int, Dict[str, float]] = {}
    with path.open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            rows[int(rec.pop("replication"))] = {k: (float(v) if v != "" else math.nan) for k, v in rec.items()}
    return rows


class NotAVariant(Exception):
    """A subfolder of a sweep folder that holds no readable variant report (the reason is the message)."""


def _variant(folder: Path) -> Dict[str, Any]:
    """The report of the variant in ``folder``; raises :class:`NotAVariant` for anything else."""
    summary_path, kpis_path = folder / "summary.json", folder / "kpis.csv"
    if not summary_path.is_file():
        raise NotAVariant("no summary.json")
    if not kpis_path.is_file():
        raise NotAVariant("no kpis.csv")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict) or not isinstance(summary.get("kpis"), dict) or "seed" not in summary:
            raise NotAVariant("summary.json is not a run's summary (no kpis or seed)")
        reps = _read_kpis_csv(kpis_path)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise NotAVariant(f"unreadable report ({type(exc).__name__}: {str(exc).splitlines()[0][:80]})") from None
    overrides: List[str] = []
    job_num = None
    hydra_dir = folder / ".hydra"
    if (hydra_dir / "overrides.yaml").exists():
        import yaml

        try:
            overrides = [str(o) for o in (yaml.safe_load((hydra_dir / "overrides.yaml").read_text()) or [])]
            hydra_yaml = hydra_dir / "hydra.yaml"
            hydra_cfg = yaml.safe_load(hydra_yaml.read_text()) if hydra_yaml.exists() else {}
            job_num = (hydra_cfg or {}).get("hydra", {}).get("job", {}).get("num")
        except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError, TypeError) as exc:
            raise NotAVariant(f"unreadable .hydra/ ({type(exc).__name__})") from None
    return {"folder": folder, "summary": summary, "reps": reps, "overrides": overrides, "job_num": job_num}


def scan_sweep(sweep_dir: Path) -> tuple[List[Dict[str, Any]], List[str]]:
    """The variants of a sweep folder in job order (first = reference), and a note per skipped subfolder.

    Every subfolder holding a readable report (``summary.json`` and ``kpis.csv``)
    is a variant; any other subfolder (a stray folder, a variant that failed
    before writing its report) is skipped, with a note saying why.
    """
    found, skipped = [], []
    for p in sorted(sweep_dir.iterdir()):
        if not p.is_dir() or p.name.startswith("."):
            continue
        try:
            found.append(_variant(p))
        except NotAVariant as exc:
            skipped.append(f"{p.name}/: {exc}")

    def order(v: Dict[str, Any]) -> tuple:
        num = v["job_num"]
        if not isinstance(num, int):  # no Hydra metadata: the number in the folder name, in numeric order
            m = re.search(r"(\d+)(?!.*\d)", v["folder"].name)
            num = int(m.group(1)) if m else 10**9
        return (num, v["folder"].name)

    return sorted(found, key=order), skipped


def collect_variants(sweep_dir: Path) -> List[Dict[str, Any]]:
    """The variants of a sweep folder, in job order (first = reference); see :func:`scan_sweep`."""
    return scan_sweep(sweep_dir)[0]


@dataclass
class Compared:
    """One variant of a sweep against the first: label, summary, each KPI's interval and difference."""

    index: int
    folder: str
    label: str  # the overrides that differ between the variants
    overrides: List[str]
    summary: Dict[str, Any]
    paired: bool
    kpis: Dict[str, Dict[str, Any]]  # name -> {"mean", "ci_low", "ci_high"} (clipped to the KPI's domain)
    diffs: Dict[str, Dict[str, Any]]  # name -> compare_replications() against variant 0 (zeros for variant 0)
    how: Dict[str, Any] = field(default_factory=dict)  # pairing() against variant 0 (empty for variant 0)

    @property
    def method(self) -> str:
        """How this variant's differences from variant 0 are computed, in words (empty for variant 0)."""
        return method_text(self.how) if self.index else ""


#: The difference of variant 0 from itself.
REFERENCE_DIFF: Dict[str, Any] = {"diff": 0.0, "diff_ci_low": 0.0, "diff_ci_high": 0.0, "significant": False,
                                  "method": None, "pairs": [], "ref_mean": None, "mean": None, "subset": False,
                                  "why": "the reference"}


def level_of(variants: List[Dict[str, Any]]) -> float:
    """The confidence level of a sweep's differences: the first variant's ``experiment.confidence`` (from its
    ``summary.json``; 0.95, the default, for a summary written before it was recorded)."""
    return float(variants[0]["summary"].get("confidence", 0.95)) if variants else 0.95


def compared(variants: List[Dict[str, Any]], confidence: Optional[float] = None) -> List[Compared]:
    """Every variant's KPIs and differences from the first: paired on the replications both have when they
    share the seed (common random numbers), else Welch's (:func:`sim.analysis.differences.compare_replications`),
    at the confidence level ``confidence`` (by default the first variant's, :func:`level_of`)."""
    if not variants:
        return []
    confidence = level_of(variants) if confidence is None else confidence
    ref = variants[0]
    kpis = [k for k in ref["summary"]["kpis"]]
    shared = set.intersection(*(set(v["overrides"]) for v in variants)) if len(variants) > 1 else set()
    out = []
    ref_means = {k: (ref["summary"]["kpis"].get(k) or {}).get("mean") for k in kpis}
    for i, v in enumerate(variants):
        s = v["summary"]
        same = s["seed"] == ref["summary"]["seed"]
        how = pairing(ref["reps"], v["reps"], same) if i else {}
        label = (" ".join(o for o in v["overrides"] if o not in shared)
                 or (v["folder"].name if not v["overrides"] else ""))
        cis, diffs = {}, {}
        for k in kpis:
            cis[k] = _clipped(k, s["kpis"].get(k, {"mean": None, "ci_low": None, "ci_high": None}))
            if i == 0:
                diffs[k] = dict(REFERENCE_DIFF)
            elif is_pooled(k):  # one value over all replications together: a difference, no interval
                m, m0 = cis[k]["mean"], ref_means.get(k)
                diffs[k] = {**REFERENCE_DIFF, "diff": m - m0 if m is not None and m0 is not None else None,
                            "diff_ci_low": None, "diff_ci_high": None, "significant": None, "ref_mean": m0,
                            "mean": m, "why": f"pooled over each variant's replications ({len(ref['reps'])} and "
                                                      f"{len(v['reps'])}): no interval"}
            else:
                diffs[k] = compare_replications({r: x.get(k, math.nan) for r, x in ref["reps"].items()},
                                                {r: x.get(k, math.nan) for r, x in v["reps"].items()}, same,
                                                confidence)
        out.append(Compared(i, v["folder"].name, label, [o for o in v["overrides"] if o not in shared], s,
                            bool(how.get("method") == "paired-t"), cis, diffs, how))
    return out


def columns(name: str) -> tuple[str, str, float]:
    """Column stem of KPI ``name`` in ``comparison.csv``, the stem of its difference, and the factor applied:
    a share is written in percent (``service_level_pct``) and its difference in percentage points
    (``service_level_diff_pp``); any other KPI as it is (its name says its unit: ``asa_s``)."""
    if is_share(name):
        return f"{name}_pct", f"{name}_diff_pp", 100.0
    return name, f"{name}_diff", 1.0


def compare(variants: List[Dict[str, Any]], confidence: Optional[float] = None) -> tuple[List[str], List[List[Any]]]:
    """Header and rows of ``comparison.csv`` (shares in percent, their differences in percentage points).

    Per variant, ``paired`` (yes/no; empty for variant 0), ``pairs`` (how many replications the paired
    differences use) and ``differences`` (how they were computed, :func:`sim.analysis.differences.method_text`);
    per KPI, after the difference and its interval, the two means the difference is the difference of:
    ``<kpi>_over_pairs`` and ``ref_<kpi>_over_pairs`` when paired (over the replications both variants
    have, which may be fewer than either reports), empty when unpaired (the difference is then that of
    the reported means)."""
    rows_in = compared(variants, confidence)
    if not rows_in:
        return [], []
    kpis = list(rows_in[0].kpis)
    header = ["variant", "folder", "overrides", "scenario", "seed", "replications", "paired", "pairs",
              "differences"]  # overrides: those that differ between the variants
    for k in kpis:
        stem, dstem, _ = columns(k)
        header += [stem, f"{stem}_ci_low", f"{stem}_ci_high", dstem, f"{dstem}_ci_low", f"{dstem}_ci_high",
                   f"{k}_significant", f"{stem}_over_pairs", f"ref_{stem}_over_pairs"]
    rows = []
    for c in rows_in:
        s = c.summary
        row: List[Any] = [c.index, c.folder, c.label, s["scenario"], s["seed"], s["replications"],
                          c.paired if c.index else None, len(c.how.get("pairs", [])) if c.paired else None,
                          c.method]
        for k in kpis:
            f = columns(k)[2]
            ci, d = c.kpis[k], c.diffs[k]
            over = d.get("method") == "paired-t"
            row += [_times(ci["mean"], f), _times(ci["ci_low"], f), _times(ci["ci_high"], f), _times(d["diff"], f),
                    _times(d["diff_ci_low"], f), _times(d["diff_ci_high"], f), d["significant"],
                    _times(d["mean"], f) if over else None, _times(d["ref_mean"], f) if over else None]
        rows.append(row)
    return header, rows


def _times(x: Any, factor: float) -> Any:
    return None if x is None else float(x) * factor


def _clipped(name: str, ci: Dict[str, Any]) -> Dict[str, Any]:
    """The interval of KPI ``name`` as read from a variant's summary, clipped to the KPI's domain.

    Summaries written by this version are clipped already; this keeps a comparison of older
    report folders in the domain too.  (Differences between variants are never clipped.)
    """
    return {**ci, **{b: clip_to_domain(name, float(ci[b])) for b in ("ci_low", "ci_high") if ci.get(b) is not None}}


def _fmt(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.12g}"
    return str(x)


def write_comparison(sweep_dir: Path, confidence: Optional[float] = None) -> Optional[Path]:
    """Write ``comparison.csv``, ``comparison.md`` and ``comparison.html`` for the sweep in ``sweep_dir``;
    return the CSV path (None when the folder holds no variant)."""
    variants, skipped = scan_sweep(sweep_dir)
    if not variants:
        return None
    conf = confidence if confidence is not None else level_of(variants)
    rows_in = compared(variants, conf)
    header, rows = compare(variants, conf)
    out = sweep_dir / "comparison.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([_fmt(x) for x in row])
    md = _markdown(rows_in, conf)
    if skipped:
        md += "\nSubfolders that are not variant reports, skipped:\n\n" + "".join(f"* {n}\n" for n in skipped)
    (sweep_dir / "comparison.md").write_text(md, encoding="utf-8")
    from sim.report.comparison_page import write_comparison_page

    write_comparison_page(sweep_dir, rows_in, skipped, conf)
    return out


def _markdown(rows_in: List[Compared], confidence: float) -> str:
    from sim.report.text import format_level, format_value

    kpis = [k for k in MAIN_KPIS if rows_in and k in rows_in[0].kpis]
    pct = format_level(confidence)
    lines = ["# Sweep comparison\n", f"Mean [{pct} CI] of each variant; Δ = difference from variant 0 [{pct} CI] "
             "(shares in percentage points, pp); * = significant (the interval excludes 0). The column "
             "'differences' says how each variant's differences were computed: paired-t on the replications both "
             "variants have when they share the seed (common random numbers), else Welch's unpaired interval. A "
             "difference paired on fewer replications than a variant reports is the difference of the means over "
             "the paired replications, shown under it.\n"]
    note = levels_note(rows_in, confidence)
    if note:
        lines.append(note + "\n")
    lines += ["| variant | overrides | reps | differences | " + " | ".join(kpis) + " |",
              "|---|---|---|---|" + "---|" * len(kpis)]
    for c in rows_in:
        cells = []
        for k in kpis:
            ci, d = c.kpis[k], c.diffs[k]
            if ci["mean"] is None:
                cells.append("n/a")
                continue
            cell = format_value(k, ci["mean"]) + (f" [{_g(k, ci['ci_low'])}, {_g(k, ci['ci_high'])}]"
                                                  if ci["ci_low"] is not None else " (no interval)")
            if c.index != 0:
                text, extra = diff_parts(k, d)
                cell += f"<br>{text}" + (f"<br>{extra}" if extra else "")
            cells.append(cell)
        lines.append(f"| {c.index} | {c.label or '(reference)'} | {c.summary['replications']} | "
                     f"{c.method or '(reference)'} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _g(name: str, x: Any) -> str:
    from sim.report.text import format_value

    return "n/a" if x is None else format_value(name, x)
