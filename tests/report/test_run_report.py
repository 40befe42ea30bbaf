"""The report of a run: report.html, report.md, the figures, targets in summary.json, the index.

One small ``heating_season_start`` run (tests/report/conftest.py) is read by every test: its pages must hold
the headline against the targets, the KPI tables by group, every figure section the run has data for (the
surges and the warm-up shaded, the warm-up diagnostic because a warm-up is set), and the configuration
folded; report.md has a fixed structure (a golden list of headings).
"""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import pytest

#: The headings of report.md for a run with units, a warm-up and figure files, in order.
GOLDEN_MD_HEADINGS = [
    "# Scenario `heating_season_start`", "## Staffing position", "## Headline", "## KPIs", "### Front line", "### Staffing", "### Online",
    "### Work orders", "### Return visits", "### Experiment", "## Figures", "### Demand and staffing",
    "### Service level, abandonment and speed of answer", "### Calls waiting and the online backlog",
    "### Work orders", "### Where the contacts went", "### The three rates", "### Return visits",
    "### Warm-up diagnostic", "## Where the contacts ended", "## Configuration",
]
FIGURES = ["staffing_position", "demand", "service_level", "abandonment_asa", "queues", "open_orders", "time_to_close", "flow",
           "three_rates", "return_visits", "warmup"]


class _Page(html.parser.HTMLParser):
    """Tags, ids, image sources and link targets of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.imgs: list[str] = []
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.ids += [a["id"]] if "id" in a else []
        self.classes += (a.get("class") or "").split()
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag in ("a", "link", "script"):
            self.hrefs.append(a.get("href") or a.get("src") or "")


@pytest.fixture(scope="module")
def page(run_report):
    p = _Page()
    p.feed((run_report[0] / "report.html").read_text(encoding="utf-8"))
    return p


def test_figures_are_written_and_embedded(run_report, page):
    """Every figure of the run is a PNG in figures/ and embedded in report.html as a data URI, and nothing
    else is referred to: no external image, link or script."""
    out, _ = run_report
    assert sorted(p.stem for p in (out / "figures").glob("*.png")) == sorted(FIGURES), (
        f"figures written: {sorted(p.name for p in (out / 'figures').glob('*.png'))}")
    for name in FIGURES:
        data = (out / "figures" / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, f"figures/{name}.png is no real PNG"
    assert len(page.imgs) == len(FIGURES) and all(s.startswith("data:image/png;base64,") for s in page.imgs), (
        f"report.html images: {[s[:40] for s in page.imgs]}")
    assert {f"fig-{n}" for n in FIGURES} <= set(page.ids), f"figure ids: {page.ids}"
    assert all(h.startswith("#") for h in page.hrefs), f"report.html links outside itself: {page.hrefs}"
    assert "script" not in page.tags, "report.html has a script"


def test_page_structure_in_order(run_report):
    """The staffing position, headline, KPIs, the sections, glossary, configuration - in that order; the configuration is folded
    and lists the keys that differ from the defaults."""
    text = (run_report[0] / "report.html").read_text(encoding="utf-8")
    order = ['id="position"', 'id="headline"', 'id="kpis"', 'id="demand"', 'id="service"', 'id="queues"', 'id="work_orders"',
             'id="flow"', 'id="three_rates"', 'id="return_visits"', 'id="warmup"', 'id="glossary"',
             'id="configuration"']
    pos = [text.find(s) for s in order]
    assert all(p >= 0 for p in pos) and pos == sorted(pos), dict(zip(order, pos))
    config = text[text.find('id="configuration"'):]
    assert "<details>" in config and "keys differ from the defaults" in config, config[:400]
    assert "<code>arrivals.surges</code>" in config and "<code>scale</code>" in config, (
        "the differing keys (the scenario's surges, the scale) are not listed first")
    assert "could not be drawn" not in text, "a section failed to draw"


def test_headline_cards_and_verdicts(run_report, run_summary, page):
    """Six headline cards (answer rate, service level, abandonment, the three rates); summary.json's targets
    hold each judged KPI's target (the configuration's), kind and verdict: met when the whole interval is on the
    target's good side, missed when it is all on the bad side, unclear when it holds the target (worked out here
    from the interval, not by the judging code)."""
    import yaml

    assert page.classes.count("card") == 6, f"{page.classes.count('card')} headline cards"
    targets = run_summary["targets"]
    assert set(targets) == {"answer_rate", "abandon_rate", "service_level", "resolution_rate", "satisfaction_rate"}, (
        f"judged KPIs: {sorted(targets)}")
    configured = yaml.safe_load((run_report[0] / "config.yaml").read_text())["kpi"]["targets"]
    kinds = {"answer_rate": "minimum", "service_level": "minimum", "resolution_rate": "minimum",
             "satisfaction_rate": "minimum", "abandon_rate": "maximum"}
    for name, t in targets.items():
        ci = run_summary["kpis"][name]
        assert (t["target"], t["kind"]) == (configured[name], kinds[name]), f"{name}: {t}"
        good = [x >= t["target"] if t["kind"] == "minimum" else x <= t["target"] for x in (ci["ci_low"], ci["ci_high"])]
        want = "met" if all(good) else "missed" if not any(good) else "unclear"
        assert t["status"] == want, f"{name}: {t} for the interval {ci}"


def test_report_md_golden_structure(run_report):
    """report.md: the golden list of headings, the headline table's header, and links to figures/*.png."""
    md = (run_report[0] / "report.md").read_text(encoding="utf-8")
    headings = [ln for ln in md.splitlines() if ln.startswith("#")]
    assert headings == GOLDEN_MD_HEADINGS, "\n".join(headings)
    assert "| KPI | mean | 95% CI | target | verdict |" in md, md[:800]
    links = re.findall(r"!\[[^\]]*\]\((figures/[a-z_]+\.png)\)", md)
    assert sorted(Path(x).stem for x in links) == sorted(FIGURES), links
    for link in links:
        assert (run_report[0] / link).is_file(), f"report.md links to a missing {link}"


def test_index_lists_the_run(run_report, cli_sweep, reports_root):
    """reports/index.html lists the API run and the command-line sweep with its variants, and links to
    their pages and, beside each page, its workbook; a broken folder is listed as unreadable without stopping
    the index."""
    from sim.report.index import refresh_index, scan

    index = reports_root / "reports" / "index.html"
    text = index.read_text(encoding="utf-8")
    assert "heating_season_start/run/report.html" in text, "the run is not in the index"
    sweep_dir, _ = cli_sweep
    rel = sweep_dir.relative_to(reports_root / "reports").as_posix()
    assert f"{rel}/comparison.html" in text and f"{rel}/variant_1/" in text, "the sweep is not in the index"
    hrefs = re.findall(r'href="([^"#]+)"', text)
    for page, book in (("heating_season_start/run/report.html", "heating_season_start/run/report.xlsx"),
                       (f"{rel}/comparison.html", f"{rel}/comparison.xlsx")):
        assert (reports_root / "reports" / book).is_file() and book in hrefs, f"no link to {book}: {hrefs}"
        assert hrefs.index(book) == hrefs.index(page) + 1, f"{book} is not beside {page}"
    broken = reports_root / "reports" / "stray" / "broken"
    broken.mkdir(parents=True, exist_ok=True)
    (broken / "summary.json").write_text("{not json")
    try:
        entries = {e.path: e for e in scan(reports_root / "reports")}
        assert entries["stray/broken"].kind == "unreadable", entries["stray/broken"]
        assert entries[rel].kind == "sweep" and len(entries[rel].variants) == 2, entries[rel]
        assert "stray/broken" in refresh_index(reports_root / "reports").read_text(encoding="utf-8")
    finally:
        (broken / "summary.json").unlink()
        refresh_index(reports_root / "reports")
