"""The pages as a user sees them: opened in a real headless browser (Debian's chromium through chromedriver).

For report.html, comparison.html and reports/index.html: the page loads from a file, every image decodes
(natural width > 0), the browser requested nothing but the page itself (the DevTools protocol's network
log and the page's resource timing), no error reached the console, the headline and tables are there, and
a screenshot can be taken.  Without a browser these tests skip, saying how to enable them (under CI they fail:
``support.require``).
"""

from __future__ import annotations

import json
import shutil
import tempfile

import pytest
from support import require, require_module

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900"]
ENABLE = ("install Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver; .ci/run does "
          "it when they are missing) and the test extra (pip install -e '.[test]': selenium)")


def _browser_paths() -> tuple[str, str]:
    browser = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver = shutil.which("chromedriver")
    require(browser is not None and driver is not None,
            f"a headless browser (chromium: {browser}, chromedriver: {driver})", ENABLE)
    assert browser is not None and driver is not None
    return browser, driver


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium driven by Selenium, with the DevTools performance (network) log on."""
    webdriver = require_module("selenium.webdriver", ENABLE)
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _browser_paths()
    profile = tempfile.mkdtemp(prefix="hotline-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(driver, path):
    """Load ``path``; return the requests the browser made while it did (DevTools network log: URL and the
    document that asked) and the console errors."""
    driver.get("about:blank")
    driver.get_log("performance")  # drop what the browser's start page and earlier pages logged
    driver.get_log("browser")
    driver.get(path.as_uri())
    driver.execute_script("return document.readyState")
    requested = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            requested.append((msg["params"]["request"]["url"], msg["params"].get("documentURL", "")))
    errors = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    return requested, errors


def _check_common(driver, path, min_images):
    requested, errors = _open(driver, path)
    network = [u for u, _ in requested if u.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp")]
    assert not network, f"{path.name}: the browser requested from the network: {network}"
    by_page = [u for u, doc in requested if doc == path.as_uri() and not u.startswith("data:")]
    assert by_page == [path.as_uri()], f"{path.name} loaded more than itself: {by_page}"
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('data:'))")
    assert resources == [], f"{path.name} resource timing lists requests: {resources}"
    assert not errors, f"{path.name}: console errors {errors}"
    widths = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
    assert len(widths) >= min_images, f"{path.name}: {len(widths)} images, expected at least {min_images}"
    bad = [alt for complete, w, alt in widths if not complete or w <= 0]
    assert not bad, f"{path.name}: images that do not decode: {bad}"
    shot = driver.get_screenshot_as_png()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 10_000, f"{path.name}: no screenshot"


def test_run_report_in_browser(browser, run_report):
    """report.html: every figure decodes, no request, headline cards and KPI tables present."""
    out, _ = run_report
    _check_common(browser, out / "report.html", min_images=10)
    cards = browser.execute_script("return document.querySelectorAll('#headline .card').length")
    tables = browser.execute_script("return document.querySelectorAll('table.kpis').length")
    heading = browser.execute_script("return document.querySelector('h1').textContent")
    assert cards == 6 and tables == 5, f"{cards} headline cards, {tables} KPI tables"  # front line, staffing, online, work orders, return visits
    assert "heating_season_start" in heading, heading
    nowrap = browser.execute_script(
        "return Array.from(document.querySelectorAll('table.kpis td.ci .ival')).every(iv => iv.getClientRects().length"
        " === 1 && iv.getBoundingClientRect().height < 40)")
    assert nowrap, "a confidence interval wraps onto a second line"


def test_routing_report_in_browser(browser, routing_report):
    """report.html with operator groups and callbacks: its two figures decode, a table row per group, the
    callbacks' KPI table, and the intervals under the group values stay on one line."""
    out, _ = routing_report
    _check_common(browser, out / "report.html", min_images=11)
    figs = browser.execute_script("return Array.from(document.querySelectorAll('#routing figure img'))"
                                  ".map(i => i.naturalWidth)")
    groups = browser.execute_script("return Array.from(document.querySelectorAll('#routing table')[0]"
                                    ".querySelectorAll('tbody tr')).map(r => r.cells[0].textContent)")
    kpi_tables = browser.execute_script("return Array.from(document.querySelectorAll('#kpis h3'))"
                                        ".map(h => h.textContent)")
    assert len(figs) == 2 and all(w > 0 for w in figs), figs
    assert groups == ["general", "enterprise"], groups
    assert "Callbacks" in kpi_tables, kpi_tables
    nowrap = browser.execute_script(
        "return Array.from(document.querySelectorAll('#routing .cell-ci')).every(s => s.getClientRects().length"
        " === 1)")
    assert nowrap, "an interval under a group's value wraps onto a second line"


def test_comparison_in_browser(browser, cli_sweep):
    """comparison.html: a row per variant, the forest plot and the trade-off curve decode, no request."""
    sweep_dir, _ = cli_sweep
    _check_common(browser, sweep_dir / "comparison.html", min_images=2)
    rows = browser.execute_script("return document.querySelectorAll('table.comparison tbody tr').length")
    figs = browser.execute_script("return Array.from(document.querySelectorAll('figure')).map(f => f.id)")
    assert rows == 2, f"{rows} variant rows"
    assert figs == ["fig-forest", "fig-tradeoff"], figs


def test_index_in_browser(browser, cli_sweep, run_report, reports_root):
    """reports/index.html: the run and the sweep with its variants, and every link points to a file."""
    index = reports_root / "reports" / "index.html"
    _check_common(browser, index, min_images=0)
    hrefs = browser.execute_script("return Array.from(document.querySelectorAll('a')).map(a => a.href)")
    assert any(h.endswith("heating_season_start/run/report.html") for h in hrefs), hrefs
    assert any(h.endswith("/comparison.html") for h in hrefs), hrefs
    from urllib.parse import unquote, urlparse

    missing = [h for h in hrefs if not (reports_root / "reports").joinpath(
        unquote(urlparse(h).path)).is_file()]
    assert not missing, f"index links to missing files: {missing}"


def test_the_checks_see_a_request_and_a_broken_image(browser, tmp_path):
    """The checks above can fail: a page (without our pages' security policy) that loads an image from the
    network and one that does not decode is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html><body><h1>x</h1><img alt="remote" src="http://127.0.0.1:9/x.png">'
                    '<img alt="broken" src="data:image/png;base64,AAAA"></body></html>')
    with pytest.raises(AssertionError, match="network"):
        _check_common(browser, page, min_images=2)


#: Elements wider than their container, outside a container that scrolls sideways (a table in ``.scroll`` may be
#: wider than the page: it scrolls, and is never clipped), and the page's own sideways overflow.
OVERFLOW_JS = """
const out = [];
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth + 1) out.push('the page scrolls sideways: ' + root.scrollWidth + ' > ' +
                                                      root.clientWidth);
const scrolls = el => { const x = getComputedStyle(el).overflowX; return x === 'auto' || x === 'scroll'; };
for (const el of document.querySelectorAll('main *, header *')) {
  let p = el.parentElement, inside = false;
  while (p && p !== document.body) { if (scrolls(p)) { inside = true; break; } p = p.parentElement; }
  if (inside || !el.getClientRects().length) continue;
  const box = el.getBoundingClientRect(), parent = el.parentElement.getBoundingClientRect();
  if (box.right > parent.right + 1 || box.right > root.clientWidth + 1)
    out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '') +
             ' ends at ' + Math.round(box.right) + ' px, its container at ' + Math.round(parent.right));
}
for (const s of document.querySelectorAll('.scroll')) {
  const box = s.getBoundingClientRect();
  if (box.right > root.clientWidth + 1) out.push('a scrolling table ends past the page: ' + Math.round(box.right));
}
return out.slice(0, 10);
"""


@pytest.mark.parametrize("width", [1366, 1920])
def test_pages_fit_the_window(browser, run_report, routing_report, cli_sweep, reports_root, tmp_path, width):
    """At 1366 and 1920 px: no element of report.html (a front line; operator groups with their staffing position
    per group), comparison.html or the index overflows its container (a wide table scrolls inside its own box);
    screenshots of the new sections (the staffing position, per group too, the comparison's variants) are taken."""
    sweep_dir, _ = cli_sweep
    browser.set_window_size(width, 1000)
    pages = {"report": run_report[0] / "report.html", "comparison": sweep_dir / "comparison.html",
             "index": reports_root / "reports" / "index.html", "groups": routing_report[0] / "report.html"}
    for name, path in pages.items():
        browser.get(path.as_uri())
        bad = browser.execute_script(OVERFLOW_JS)
        assert not bad, f"{name} at {width} px: {bad}"
    from selenium.webdriver.common.by import By

    def top(element_id: str):  # the position follows the "At a glance" box: scroll to its top, then shoot
        element = browser.find_element(By.ID, element_id)
        browser.execute_script("arguments[0].scrollIntoView(true)", element)
        return element

    browser.get(pages["report"].as_uri())
    shot = top("position").screenshot_as_png
    (tmp_path / f"position_{width}.png").write_bytes(shot)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 20_000, "no screenshot of the staffing position"
    browser.get(pages["groups"].as_uri())
    groups = browser.execute_script("return Array.from(document.querySelectorAll('#position table')[0]"
                                    ".querySelectorAll('tbody tr')).map(r => r.cells[0].textContent.trim())")
    assert len(groups) == 1 and groups[0].startswith("general + enterprise (general "), groups  # one pool
    shot = top("position").screenshot_as_png
    (tmp_path / f"position_groups_{width}.png").write_bytes(shot)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 20_000, "no screenshot of the position per group"
    browser.get(pages["comparison"].as_uri())
    shot = browser.find_element(By.ID, "variants").screenshot_as_png
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 5_000, "no screenshot of the variants"
    lead = browser.execute_script("return Array.from(document.querySelectorAll('table.comparison thead th'))"
                                  ".map(th => th.textContent.trim())")
    assert lead[2].startswith("operator-hours") and "gap against erlang" in lead, lead
