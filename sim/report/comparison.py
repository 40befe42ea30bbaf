"""Comparison of the variants of a sweep, with paired differences under common random numbers.

``python run_sim.py -m staffing.operators=600,650,700`` (or ``-m scenario=a,b``)
runs one Hydra job per variant, each writing its report folder in its own
subfolder of the sweep folder.  When the sweep ends, :class:`sim.sweep_callback.ComparisonCallback`
(a Hydra callback, so it works with any launcher: basic, joblib, submitit, Ray)
reads every variant's ``summary.json`` and ``kpis.csv`` and writes, at the top
of the sweep folder:

* ``comparison.csv`` - one row per variant: whether it is the ``reference`` (the
  variant ``report.compare_to`` names, by number or by one of its overrides; the
  first by default: :func:`reference_of`), how its differences from the reference
  were computed (``paired``, ``pairs``, ``differences``), the gap against the
  erlang requirement and the share of intervals meeting each staffing target
  (:mod:`sim.report.comparison_lead`), every headline
  KPI's mean and confidence interval (operator-hours and cost first; clipped to the KPI's domain,
  :func:`sim.analysis.kpis.clip_to_domain`), and its difference from the first
  variant with the difference's confidence interval, whether it is significant
  (the interval excludes 0) and, when paired, the two means over the paired
  replications; a KPI pooled over the replications (``intervals_meeting_target``)
  has a difference and no interval.
  A share is written in percent (``service_level_pct``) and its difference in
  percentage points (``service_level_diff_pp``): a column's name says its unit;
* ``comparison.md`` - the same for the main KPIs, as a Markdown table led by cost and the intervals met;
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

MAIN_KPIS = ("service_level", "answer_rate", "abandon_rate", "asa_s", "occupancy", "online_on_time_rate",
             "response_rate", "resolution_rate", "satisfaction_rate", "closeout_on_time_rate", "time_to_close_p90_h")
#: KPIs whose columns come first in comparison.csv (cost and the intervals meeting the targets).
LEAD_CSV_KPIS = ("operator_hours", "staffing_cost", "intervals_meeting_target")


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

        from sim.config.overrides import shown_overrides

        try:
            overrides = shown_overrides(yaml.safe_load((hydra_dir / "overrides.yaml").read_text()) or [])
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
    diffs: Dict[str, Dict[str, Any]]  # name -> compare_replications() against the reference (zeros for it)
    how: Dict[str, Any] = field(default_factory=dict)  # pairing() against the reference (empty for it)
    reference: bool = False  # the variant the others are compared with (report.compare_to; the first by default)
    reference_name: str = "the reference"  # that variant as the texts name it: ``variant 2 (staffing.policy=plan)``

    @property
    def method(self) -> str:
        """How this variant's differences from the reference are computed, in words, naming the reference (empty
        for the reference)."""
        return "" if self.reference else method_text(self.how, reference=self.reference_name)


#: The difference of the reference from itself.
REFERENCE_DIFF: Dict[str, Any] = {"diff": 0.0, "diff_ci_low": 0.0, "diff_ci_high": 0.0, "significant": False,
                                  "method": None, "pairs": [], "ref_mean": None, "mean": None, "subset": False,
                                  "why": "the reference"}


def level_of(variants: List[Dict[str, Any]]) -> float:
    """The confidence level of a sweep's differences: the first variant's ``experiment.confidence`` (from its
    ``summary.json``; 0.95, the default, for a summary written before it was recorded)."""
    return float(variants[0]["summary"].get("confidence", 0.95)) if variants else 0.95


def report_setting(variants: List[Dict[str, Any]], key: str) -> Any:
    """``report.<key>`` of a sweep: the first variant's (from its ``config.yaml``; None without one)."""
    import yaml

    path = variants[0]["folder"] / "config.yaml" if variants else None
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return ((cfg or {}).get("report") or {}).get(key) if isinstance(cfg, dict) else None


def reference_of(variants: List[Dict[str, Any]], compare_to: Optional[str] = None) -> tuple[int, str]:
    """Position in ``variants`` of the reference, and a note when ``compare_to`` matches no variant.

    ``compare_to`` (by default the sweep's ``report.compare_to``): "" = the first variant; a number = the
    variant of that number (its Hydra job number, as the tables show it); ``key=value`` = the first variant
    whose overrides include it (``staffing.policy=plan``: the current plan)."""
    from sim.config.report_config import compare_to_match, compare_to_rule

    if compare_to is None:
        compare_to = report_setting(variants, "compare_to")
    if not variants:
        return 0, ""
    at = compare_to_match(compare_to, [(v["job_num"] if isinstance(v["job_num"], int) else i, v["overrides"])
                                       for i, v in enumerate(variants)])
    if at is not None:
        return at, ""
    return 0, (f"report.compare_to={str(compare_to).strip()} {compare_to_rule(compare_to, len(variants))}: "
               "the first variant is the reference")


def compared(variants: List[Dict[str, Any]], confidence: Optional[float] = None,
             ref_at: Optional[int] = None) -> List[Compared]:
    """Every variant's KPIs and differences from the reference (``ref_at``, a position in ``variants``; by
    default :func:`reference_of`): paired on the replications both have when they share the seed (common
    random numbers), else Welch's (:func:`sim.analysis.differences.compare_replications`), at the confidence
    level ``confidence`` (by default the first variant's, :func:`level_of`)."""
    if not variants:
        return []
    confidence = level_of(variants) if confidence is None else confidence
    ref_at = reference_of(variants)[0] if ref_at is None else ref_at
    ref = variants[ref_at]
    kpis = [k for k in ref["summary"]["kpis"]]
    shared = set.intersection(*(set(v["overrides"]) for v in variants)) if len(variants) > 1 else set()
    out = []
    ref_means = {k: (ref["summary"]["kpis"].get(k) or {}).get("mean") for k in kpis}
    for i, v in enumerate(variants):
        s = v["summary"]
        same = s["seed"] == ref["summary"]["seed"]
        how = pairing(ref["reps"], v["reps"], same) if i != ref_at else {}
        label = (" ".join(o for o in v["overrides"] if o not in shared)
                 or (v["folder"].name if not v["overrides"] else ""))
        cis, diffs = {}, {}
        for k in kpis:
            cis[k] = _clipped(k, s["kpis"].get(k, {"mean": None, "ci_low": None, "ci_high": None}))
            if i == ref_at:
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
                                                confidence, k)
        number = v["job_num"] if isinstance(v["job_num"], int) else i
        out.append(Compared(number, v["folder"].name, label, [o for o in v["overrides"] if o not in shared], s,
                            bool(how.get("method") == "paired-t"), cis, diffs, how, reference=i == ref_at))
    ref_row = out[ref_at]
    for c in out:
        c.reference_name = reference_name(ref_row)
    return out


def reference_name(c: Compared) -> str:
    """A variant as the texts name the reference: ``variant 2 (staffing.policy=plan)`` (its number and the
    overrides that set it apart; its folder when it has none)."""
    return f"variant {c.index} ({c.label or c.folder})"


def columns(name: str) -> tuple[str, str, float]:
    """Column stem of KPI ``name`` in ``comparison.csv``, the stem of its difference, and the factor applied:
    a share is written in percent (``service_level_pct``) and its difference in percentage points
    (``service_level_diff_pp``); any other KPI as it is (its name says its unit: ``asa_s``)."""
    if is_share(name):
        return f"{name}_pct", f"{name}_diff_pp", 100.0
    return name, f"{name}_diff", 1.0


def compare(variants: List[Dict[str, Any]], confidence: Optional[float] = None) -> tuple[List[str], List[List[Any]]]:
    """Header and rows of ``comparison.csv`` (shares in percent, their differences in percentage points).

    Per variant, ``paired`` (yes/no; empty for the reference), ``pairs`` (how many replications the paired
    differences use) and ``differences`` (how they were computed, :func:`sim.analysis.differences.method_text`);
    per KPI, after the difference and its interval, the two means the difference is the difference of:
    ``<kpi>_over_pairs`` and ``ref_<kpi>_over_pairs`` when paired (over the replications both variants
    have, which may be fewer than either reports), empty when unpaired (the difference is then that of
    the reported means)."""
    from sim.report.comparison_lead import csv_columns

    rows_in = compared(variants, confidence)
    if not rows_in:
        return [], []
    kpis = list(rows_in[0].kpis)
    kpis = [k for k in LEAD_CSV_KPIS if k in kpis] + [k for k in kpis if k not in LEAD_CSV_KPIS]
    lead_header, lead_rows = csv_columns(rows_in)
    header = ["variant", "folder", "overrides", "scenario", "seed", "replications", "reference", "paired", "pairs",
              "differences", *lead_header]  # overrides: those that differ between the variants
    for k in kpis:
        stem, dstem, _ = columns(k)
        header += [stem, f"{stem}_ci_low", f"{stem}_ci_high", dstem, f"{dstem}_ci_low", f"{dstem}_ci_high",
                   f"{k}_significant", f"{stem}_over_pairs", f"ref_{stem}_over_pairs"]
    rows = []
    for c, lead in zip(rows_in, lead_rows):
        s = c.summary
        row: List[Any] = [c.index, c.folder, c.label, s["scenario"], s["seed"], s["replications"], c.reference,
                          None if c.reference else c.paired, len(c.how.get("pairs", [])) if c.paired else None,
                          c.method, *lead]
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


def _fmt(x: Any, column: str = "") -> str:
    if isinstance(x, bool):
        return "yes" if x else "no"
    from sim.report.numbers import csv_text

    return csv_text(x, column)


def write_comparison(sweep_dir: Path, confidence: Optional[float] = None) -> Optional[Path]:
    """Write ``comparison.csv``, ``comparison.md`` and ``comparison.html`` for the sweep in ``sweep_dir``;
    return the CSV path (None when the folder holds no variant)."""
    variants, skipped = scan_sweep(sweep_dir)
    if not variants:
        return None
    conf = confidence if confidence is not None else level_of(variants)
    ref_at, ref_note = reference_of(variants)
    rows_in = compared(variants, conf, ref_at)
    header, rows = compare(variants, conf)
    out = sweep_dir / "comparison.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([_fmt(x, h) for x, h in zip(row, header)])
    from sim.report.comparison_lead import markdown

    md = markdown(rows_in, conf, [k for k in MAIN_KPIS if k in rows_in[0].kpis], ref_note)
    if skipped:
        md += "\nSubfolders that are not variant reports, skipped:\n\n" + "".join(f"* {n}\n" for n in skipped)
    (sweep_dir / "comparison.md").write_text(md, encoding="utf-8")
    from sim.report.comparison_page import write_comparison_page

    write_comparison_page(sweep_dir, rows_in, skipped, conf, ref_note)
    if report_setting(variants, "xlsx") is not False:
        from sim.report.text import currency_of
        from sim.report.workbook import write_sweep_workbook

        write_sweep_workbook(sweep_dir, currency_of(variants[0]["summary"]))
    return out
