"""CI runs every test: a missing prerequisite fails there instead of skipping.

* ``support.require`` skips a test whose prerequisite is missing (a browser, the public logs, a test
  extra), saying how to provide it, and fails it under ``CI=true``; tests/conftest.py turns any other
  skip under CI into a failure (checked on a small test file run by pytest in a subprocess).
* ``.ci/browser-packages`` exits non-zero when chromium and chromium-driver are missing and cannot be
  installed (it exited 0, and the browser tests then skipped with CI still green); ``.ci/run`` exports
  ``CI=true`` and runs exactly the README's test command after it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

SAMPLE = '''
import pytest
from support import require


def test_needs_a_tool():
    require(False, "the tool frobnicate", "apt-get install frobnicate")


def test_bare_skip():
    pytest.skip("no reason given to CI")


def test_runs():
    require(True, "nothing", "")
'''


def _pytest(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests"), *filter(None, [env.get("PYTHONPATH")])])
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q", "-rA",
                           "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path / "test_sample.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_missing_prerequisite_skips_locally_and_fails_in_ci(tmp_path):
    local = _pytest(tmp_path, ci=False)
    assert local.returncode == 0 and "1 passed, 2 skipped" in local.stdout, local.stdout[-2000:]
    assert "the tool frobnicate is missing: apt-get install frobnicate" in local.stdout, local.stdout[-2000:]
    ci = _pytest(tmp_path, ci=True)
    assert ci.returncode == 1 and "2 failed, 1 passed" in ci.stdout, ci.stdout[-2000:]
    assert "CI=true: the tool frobnicate is missing: apt-get install frobnicate" in ci.stdout, ci.stdout[-2000:]
    assert "skipped under CI=true, where every test must run: Skipped: no reason given to CI" in ci.stdout, (
        ci.stdout[-2000:])


def _tools(folder: Path, scripts: dict) -> dict:
    """An environment whose PATH holds bash and the given fake programs only."""
    folder.mkdir()
    (folder / "bash").symlink_to(Path("/bin/bash").resolve())
    for name, body in scripts.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return {"PATH": str(folder), "HOME": str(folder)}


@pytest.mark.parametrize("case, scripts, status, words", [
    ("no_apt_get", {"id": "echo 0"}, 1, "ci: no apt-get: the browser tests need chromium and chromium-driver"),
    ("install_fails", {"id": "echo 0", "apt-get": "exit 100"}, 1,
     "ci: apt-get could not install chromium and chromium-driver"),
    ("not_root_no_sudo", {"id": "echo 1000", "apt-get": "exit 0"}, 1, "ci: not root and no sudo"),
    ("installed_but_not_on_path", {"id": "echo 0", "apt-get": "exit 0"}, 1, "chromium or chromedriver is not on PATH"),
    ("present", {"chromium": "exit 0", "chromedriver": "exit 0"}, 0, ""),
])
def test_browser_packages_stop_ci_when_they_cannot_be_installed(tmp_path, case, scripts, status, words):
    proc = subprocess.run([str(ROOT / ".ci" / "browser-packages")], env=_tools(tmp_path / "bin", scripts),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == status, f"{case}: exit {proc.returncode}, stderr {proc.stderr}"
    assert words in proc.stderr, f"{case}: {proc.stderr}"


def test_ci_exports_ci_and_runs_the_packages_first():
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines.index("export CI=true") < lines.index(".ci/browser-packages") < len(lines) - 1, lines
