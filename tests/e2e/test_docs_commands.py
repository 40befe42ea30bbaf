"""Every command in the README and docs/ runs as written; every configuration key they name exists.

* Commands: every line of a ```bash block of README.md and docs/*.md (continuation lines joined,
  ``&&`` chains split) must work in a fresh shell from a fresh clone's folder - it starts with
  ``.venv/bin/`` or creates that environment - and is either run here or listed in :data:`SKIPPED`
  with the reason (nothing a newcomer runs on a clone is skipped: the public logs of
  ``../shared/data`` are not in a clone, and tests/e2e/test_calibrate_shared_data.py runs those
  commands).  ``run_sim.py`` commands run with small settings appended for the keys they do not set
  (:data:`SMALL`; sizes they set are capped, :data:`CAPS`), each in a folder of its own (with the
  repository's ``scenarios/`` beside it when a command names a scenario file by its path); the Dask
  client command runs against a local scheduler; benchmarks run with their smallest sizes.  A sweep
  must end with ``comparison.csv`` in one sweep folder holding every variant.
* Chains: commands of one block that read what an earlier one wrote (a file under its
  ``report.dir``, the scenario a calibration named) run in order in one folder, twice, so that a
  second run of the documented steps works too (:func:`chains`).
* Python: every ```python block runs twice in one fresh folder.
* Keys: every dotted configuration key in code - blocks and inline spans of every Markdown file of
  the project and the ``--help`` page - must be a key of the schema (sim/config/schema.py).
* ``.ci/run`` installs the browser tests' Debian packages when missing, then runs exactly the README's test
  command; ``--help`` is one short page.

The commands run when the module starts, in two interpreters side by side.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, NamedTuple

import pytest
from support import ROOT, run_cli, run_cli_batch

from sim.config.schema import Config

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKDOWN = [*DOCS, *sorted(ROOT.glob("*/README.md"))]
#: command (regular expression) -> why this test does not run it
SKIPPED = {
    r"^python3 -m venv \.venv$": "creates the environment these tests run in (CI's .ci/run does)",
    r"^\.venv/bin/pip install": "installs packages (the test extra holds what the documented commands need)",
    r"^\.venv/bin/python -m pytest$": "the test suite itself (.ci/run runs it)",
    r"^\.venv/bin/dask (scheduler|worker) ": "starts cluster processes; the client command runs here against a "
                                             "local scheduler (the dask_scheduler fixture)",
    r"hydra/launcher=submitit_slurm": "needs a SLURM cluster (and hydra-submitit-launcher)",
    r"hydra/launcher=ray": "needs a Ray cluster (and hydra-ray-launcher)",
    r"scenario=bank_week(\s|$)": "plans the forecast of the shared 2003 series (a scenario a command on the "
                                  "public logs writes): tests/e2e/test_forecast_shared_data.py runs it",
    r"\.\./shared/data/": "reads the public logs, which a clone does not have (docs/calibration.md says where they "
                          "come from): tests/e2e/test_calibrate_shared_data.py and test_forecast_shared_data.py run these commands, and CI has the logs",
}
#: appended to a run_sim.py command for each key it does not set itself
SMALL = {"scale": "0.02", "experiment.horizon_h": "2", "experiment.warmup_h": "0", "experiment.drain_h": "0",
         "experiment.replications": "2", "experiment.jobs": "1", "report.plots": "false", "report.html": "false"}
#: keys counted in operators of the full-size centre: a command setting one keeps the scenario's scale (a
#: reservation of 20 idle operators is more than the whole front line at scale 0.02, and is refused)
FULL_SIZE_KEYS = ("routing.reserve_idle",)
#: with a unit staffing proposal: a week, so that the units' calendars are at work in the window (in two hours of
#: night no number of case workers responds in time, and the run is refused), and a short optimisation
UNIT_STAFFING_SMALL = {"experiment.horizon_h": "168", "unit_staffing.optimize.replications": "2",
                       "unit_staffing.optimize.max_iterations": "2", "unit_staffing.optimize.warmup_weeks": "0"}
#: with shifts: a week (the default weekly tours roster a whole week, and refuse a shorter run); with optimize:
#: a short optimisation (its replications are otherwise chosen from the measured noise: up to 64 an iteration)
SHIFTS_SMALL = {"experiment.horizon_h": "168"}
OPTIMIZE_SMALL = {"staffing.optimize.replications": "2", "staffing.optimize.max_iterations": "2"}
#: sizes a command gives itself, capped (replaced in place): 200 replications are no test of a command
CAPS = {"experiment.replications": 4, "hydra.launcher.n_jobs": 2}
#: appended to a benchmark command (argparse keeps the last value of an option)
SMALL_BENCH = {"bench_single_queue.py": ["--rounds", "1", "--horizon-h", "1"],
               "bench_pipeline.py": ["--days", "1", "--drain-h", "0", "--rounds", "1"],
               "bench_staffing.py": ["--rounds", "1", "--scale", "0.02"],
               "bench_startup.py": ["--rounds", "1"]}
#: appended to a calibration command of a chain (argparse keeps the last value): a small back-test
SMALL_CALIBRATE = ["--replications", "2", "--factors", "0.7"]
RUN_SIM = re.compile(r"^\.venv/bin/python run_sim\.py(\s|$)")
BENCH = re.compile(r"^\.venv/bin/python benchmarks/(\w+\.py)(\s|$)")
CALIBRATE = re.compile(r"^\.venv/bin/python -m sim\.calibrate(\s|$)")
FORECAST = re.compile(r"^\.venv/bin/python -m sim\.forecast(\s|$)")


class Command(NamedTuple):
    where: str  # file:line
    text: str
    block: str = ""  # file:line of the block's first line


def _bash_blocks(path: Path):
    """(first line number, lines) of every ```bash block."""
    block, start = None, 0
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            if block is None and line.strip() == "```bash":
                block, start = [], i + 1
            elif block is not None:
                yield start, block
                block = None
            continue
        if block is not None:
            block.append(line)


def documented_commands() -> List[Command]:
    out = []
    for path in DOCS:
        for start, lines in _bash_blocks(path):
            joined: List[tuple[int, str]] = []
            for k, line in enumerate(lines):
                text = re.sub(r"(^|\s)#.*$", "", line).rstrip()
                if joined and joined[-1][1].endswith("\\"):
                    joined[-1] = (joined[-1][0], joined[-1][1][:-1].rstrip() + " " + text.strip())
                elif text.strip():
                    joined.append((start + k, text.strip()))
            for line_no, text in joined:
                for part in text.split("&&"):
                    out.append(Command(f"{path.relative_to(ROOT)}:{line_no}", part.strip().rstrip("&").strip(),
                                       f"{path.relative_to(ROOT)}:{start}"))
    return out


def _writes(text: str) -> List[str]:
    """What a later command may read from this one: its report folder (``report.dir=X`` -> ``X/``) and the
    scenario a calibration, or a forecast with ``--base``, writes (``--name N`` -> ``scenario=N``)."""
    args = shlex.split(text)
    out = [f"{a.split('=', 1)[1].rstrip('/')}/" for a in args if a.startswith("report.dir=")]
    if (CALIBRATE.match(text) or (FORECAST.match(text) and "--base" in args)) and "--name" in args:
        out.append(f"scenario={args[args.index('--name') + 1]}")
    return out


def chains(commands: List[Command]) -> List[List[str]]:
    """Runs of commands of one block in which each reads what an earlier one wrote, in order (2 or more)."""
    out: List[List[str]] = []
    for block in dict.fromkeys(c.block for c in commands):
        chain: List[str] = []
        for c in (c for c in commands if c.block == block and _skip_reason(c.text) is None):
            if chain and any(w in c.text for prev in chain for w in _writes(prev)):
                chain.append(c.text)
            else:
                if len(chain) > 1:
                    out.append(chain)
                chain = [c.text]
        if len(chain) > 1:
            out.append(chain)
    return out


COMMANDS = documented_commands()


def _skip_reason(text: str):
    return next((reason for pattern, reason in SKIPPED.items() if re.search(pattern, text)), None)


def _given(args: List[str]) -> Dict[str, str]:
    return {a.split("=", 1)[0].lstrip("+~"): a.split("=", 1)[1] for a in args if "=" in a and not a.startswith("-")}


def _run_sim_args(text: str, scheduler) -> List[str]:
    args = shlex.split(text)[2:]
    if any("SCHEDULER" in a for a in args):
        args = [a.replace("tcp://SCHEDULER:8786", scheduler()) for a in args]
    for key, cap in CAPS.items():
        args = [f"{key}={min(float(a.split('=', 1)[1]), cap):g}" if a.startswith(key + "=") else a for a in args]
    given = _given(args)
    small = dict(SMALL)
    scenarios = [Path(s).stem for s in given.get("scenario", "beijing_baseline").split(",")]  # a name or a path
    small["experiment.horizon_h"] = _horizon_h(scenarios)
    if scenarios == ["single_queue"]:
        small.pop("experiment.drain_h")  # the scenario has no back office, nothing to drain
    if any(key in given for key in FULL_SIZE_KEYS):
        small.pop("scale")
    if "experiment.precision" in given:
        small["experiment.max_replications"] = "4"
    if set(given.get("unit_staffing.policy", "plan").split(",")) - {"plan"}:
        horizon_h = max(float(small["experiment.horizon_h"]), float(UNIT_STAFFING_SMALL["experiment.horizon_h"]))
        small.update({**UNIT_STAFFING_SMALL, "experiment.horizon_h": f"{horizon_h:g}"})
        if "optimize" not in given["unit_staffing.policy"]:
            small = {k: v for k, v in small.items() if not k.startswith("unit_staffing.optimize.")}
    if given.get("staffing.schedule") == "shifts":
        small.update(SHIFTS_SMALL)
    if given.get("staffing.policy") == "optimize":  # not in a sweep: its erlang variant would refuse the keys
        small.update(OPTIMIZE_SMALL)
    if "hydra/launcher=joblib" in args:
        small.pop("experiment.jobs")  # the scenario's own jobs=2, inside joblib's workers: the documented case
    extra = [f"{k}={v}" for k, v in small.items() if k not in given]
    # next to the command's own overrides (Hydra reads the overrides as one run of arguments)
    last = max((i for i, a in enumerate(args) if "=" in a and not a.startswith("-")), default=len(args) - 1)
    return [*args[:last + 1], *extra, *args[last + 1:]]


def _horizon_h(scenarios: List[str]) -> str:
    """SMALL's horizon, or long enough that every surge of the scenarios starts in it (a surge after the
    horizon is an error: it would change nothing)."""
    from sim.config.scenario_files import load_scenarios

    data = load_scenarios().data
    starts = [float(s["start_h"]) for name in scenarios for s in data.get(name, {}).get("arrivals", {}).get("surges", [])]
    return f"{max([float(SMALL['experiment.horizon_h']), *(math.floor(t) + 1 for t in starts)]):g}"


def _bench(cmd: Command, cwd: Path) -> subprocess.CompletedProcess:
    m = BENCH.match(cmd.text)
    assert m, f"{cmd.where}: no way to run {cmd.text!r}"
    argv = [sys.executable, str(ROOT / "benchmarks" / m.group(1)), *shlex.split(cmd.text)[2:],
            *SMALL_BENCH[m.group(1)]]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)


RUNNABLE = [c for c in COMMANDS if _skip_reason(c.text) is None]
CHAINS = [list(c) for c in dict.fromkeys(tuple(c) for c in chains(COMMANDS))]  # documented twice: run once
IN_CHAINS = {t for chain in CHAINS for t in chain}
UNIQUE = list(dict.fromkeys(c.text for c in RUNNABLE if c.text not in IN_CHAINS))  # documented twice: run once


def _folder_for(text: str, folder: Path) -> Path:
    """``folder``, with the repository's scenarios/ linked in when the command names a scenario file by a relative
    path (``scenario=scenarios/rainstorm.yaml``, as typed in the repository folder)."""
    if re.search(r"(^|\s)scenario=scenarios/", text):
        (folder / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    return folder


def _calibrate(text: str, cwd: Path) -> subprocess.CompletedProcess:
    """A calibration command of a chain (with a small back-test), or a forecast command (as written)."""
    if FORECAST.match(text):
        return subprocess.run([sys.executable, *shlex.split(text)[1:]], cwd=cwd, capture_output=True, text=True,
                              timeout=600)
    argv = [sys.executable, "-m", "sim.calibrate", *shlex.split(text)[3:], *SMALL_CALIBRATE]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)


def _run_chain(chain: List[str], folder: Path, scheduler) -> Dict[str, tuple]:
    """Run the chain's commands in order in ``folder``, twice; command text -> (folder, the second run's process,
    the report folders (with summary.json) its second run made).  A failure in the first pass is returned."""
    out: Dict[str, tuple] = {}
    for _ in range(2):
        for text in chain:
            before = set(folder.glob("reports/*/*/summary.json"))
            proc = (run_cli_batch([(folder, _run_sim_args(text, scheduler))])[0] if RUN_SIM.match(text)
                    else _calibrate(text, folder))
            made = sorted(p.parent for p in set(folder.glob("reports/*/*/summary.json")) - before)
            out[text] = (folder, proc, made)
            if proc.returncode != 0:
                return out
    return out


@pytest.fixture(scope="module")
def results(request, tmp_path_factory):
    """command text -> (folder it ran in, completed process), for every runnable command.

    The run_sim.py commands run in two interpreters (``support.run_cli_batch``, each calling
    ``sim.cli.main`` as run_sim.py does), the benchmarks as programs, side by side.  A joblib sweep
    runs in an interpreter of its own: joblib keeps its worker processes for the next call, and a
    worker stays in the folder of the command that started it (a second sweep's variants would land
    in the first one's folder).
    """
    folders = {text: _folder_for(text, tmp_path_factory.mktemp("doc")) for text in UNIQUE}
    address = [request.getfixturevalue("dask_scheduler")] if any("SCHEDULER" in t for t in UNIQUE) else []
    runs = [t for t in UNIQUE if RUN_SIM.match(t)]
    alone = [[t] for t in runs if "hydra/launcher=joblib" in t]
    shared = [t for t in runs if "hydra/launcher=joblib" not in t]
    groups = [shared[0::2], shared[1::2], *alone]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = [pool.submit(run_cli_batch, [(folders[t], _run_sim_args(t, lambda: address[0])) for t in g])
                for g in groups]
        bench = {t: pool.submit(_bench, Command("", t), folders[t]) for t in UNIQUE if not RUN_SIM.match(t)}
        linked = [pool.submit(_run_chain, chain, tmp_path_factory.mktemp("chain"), lambda: address[0])
                  for chain in CHAINS]
        out = {t: (folders[t], f.result(), None) for t, f in bench.items()}
        for group, future in zip(groups, done):
            out.update({t: (folders[t], proc, None) for t, proc in zip(group, future.result())})
        for future in linked:
            out.update(future.result())
    return out


def test_commands_found():
    texts = [c.text for c in COMMANDS]
    assert any("-m staffing.shrinkage=0.2,0.25,0.3" in t for t in texts), "the README's sweep is not extracted"
    assert any("staffing.operators=600,650,700" in t for t in texts), "docs/experiments.md's sweep is not extracted"
    assert len(RUNNABLE) >= 15, [c.text for c in RUNNABLE]
    readme = [c for c in RUNNABLE if c.where.startswith("README.md")]
    assert any(CALIBRATE.match(c.text) for c in readme), "the README's calibration command is not run here"
    assert [len(chain) for chain in chains(readme)] == [3, 3], (
        f"the README's calibration (simulate a log, calibrate it, run the scenario) and its plan from history "
        f"(simulate a history, forecast it into a dated scenario, plan it) are not two chains: {chains(readme)}")
    assert any(FORECAST.match(c.text) for chain in chains(readme) for c in [Command("", chain[1])])


def test_nothing_a_newcomer_runs_is_skipped():
    """A command that a clone can run is run here: only environment set-up, the test suite itself, cluster
    processes and the public logs are skipped."""
    skipped = [c for c in COMMANDS if _skip_reason(c.text) is not None]
    for c in skipped:
        assert (not (RUN_SIM.match(c.text) and "launcher" not in c.text) or "../shared/data" in c.text
                or _scenario_of_shared_data(c.text)), f"{c.where}: a run_sim.py command is skipped: {c.text}"
        assert not CALIBRATE.match(c.text) or "../shared/data/" in c.text, f"{c.where}: {c.text} is skipped"


def _scenario_of_shared_data(text: str) -> bool:
    """Whether a run_sim.py command runs a scenario that a documented command on the public logs writes."""
    given = _given(shlex.split(text)[2:])
    written = {w for c in COMMANDS if "../shared/data/" in c.text for w in _writes(c.text)}
    return f"scenario={given.get('scenario', '')}" in written


@pytest.mark.parametrize("cmd", COMMANDS, ids=[c.where for c in COMMANDS])
def test_command_works_in_a_fresh_shell(cmd):
    """Run from the repository folder, a command must not depend on an activated environment."""
    assert cmd.text.startswith(".venv/bin/") or cmd.text == "python3 -m venv .venv", (
        f"{cmd.where}: {cmd.text!r} does not start with .venv/bin/ (fails in a fresh shell)")
    if _skip_reason(cmd.text) is None:
        assert RUN_SIM.match(cmd.text) or BENCH.match(cmd.text) or cmd.text in IN_CHAINS, (
            f"{cmd.where}: neither run nor skipped: {cmd.text}")


def test_every_skip_is_used():
    for pattern in SKIPPED:
        assert any(re.search(pattern, c.text) for c in COMMANDS), f"SKIPPED entry {pattern!r} matches no command"


@pytest.mark.parametrize("cmd", RUNNABLE, ids=[c.where for c in RUNNABLE])
def test_documented_command_runs(results, cmd):
    """The command exits 0 without a traceback and writes what it says (commands of a chain: on their second run)."""
    cwd, proc, made = results[cmd.text]
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, (
        f"{cmd.where}: {cmd.text}\nexit {proc.returncode}\n{proc.stderr[-2000:]}")
    if CALIBRATE.match(cmd.text):
        args = shlex.split(cmd.text)
        name = args[args.index("--name") + 1]
        assert (cwd / "scenarios" / f"{name}.yaml").is_file(), f"{cmd.where}: no scenarios/{name}.yaml"
        assert (cwd / "reports" / "calibration" / name / "calibration.json").is_file(), f"{cmd.where}: no report"
        return
    if FORECAST.match(cmd.text):
        args = shlex.split(cmd.text)
        name = args[args.index("--name") + 1]
        assert (cwd / "reports" / "forecast" / name / "forecast.csv").is_file(), f"{cmd.where}: no forecast.csv"
        assert (cwd / "scenarios" / f"{name}.yaml").is_file() == ("--base" in args), f"{cmd.where}: scenario"
        return
    if not RUN_SIM.match(cmd.text):
        return
    args = shlex.split(cmd.text)[2:]
    given = _given(args)
    if "--cfg" in args:
        assert "staffing:" in proc.stdout and not any(p.name != "scenarios" for p in cwd.iterdir()), (
            f"{cmd.where}: --cfg wrote files")
    elif "-m" in args:
        _check_sweep(cmd, cwd, args, given)
    else:
        if "report.dir" in given:
            folder = cwd / given["report.dir"]
        else:
            folder = _only(made if made is not None else (p.parent for p in cwd.glob("reports/*/*/summary.json")),
                           cmd)
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["accounting"]["balanced"], f"{cmd.where}: accounting does not balance"
        if "scenario" in given:
            assert summary["scenario"] == Path(given["scenario"]).stem, f"{cmd.where}: ran {summary['scenario']}"
        if given.get("report.request_log") == "true":
            assert (folder / "requests.csv").is_file() and (folder / "calls.csv").is_file(), (
                f"{cmd.where}: no requests.csv or calls.csv")
        if "experiment.precision" in given:
            assert "precision_met" in summary, f"{cmd.where}: summary.json lacks precision_met"


def _only(paths, cmd):
    found = sorted(paths)
    assert len(found) == 1, f"{cmd.where}: expected one report folder, found {found}"
    return found[0]


def _check_sweep(cmd, cwd, args, given):
    """One sweep folder holding every variant and comparison.csv with a row per variant."""
    sweeps = [a for a in args if "=" in a and "," in a.split("=", 1)[1] and not a.startswith("hydra")]
    n = math.prod(len(a.split("=", 1)[1].split(",")) for a in sweeps)
    folder = cwd / given["report.dir"] if "report.dir" in given else _only(cwd.glob("reports/multirun/*"), cmd)
    variants = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert variants == [f"variant_{i}" for i in range(n)], f"{cmd.where}: sweep folder holds {variants}"
    rows = (folder / "comparison.csv").read_text().splitlines()
    assert len(rows) == n + 1, f"{cmd.where}: comparison.csv has {len(rows) - 1} rows for {n} variants"
    if "hydra/launcher=joblib" in args:  # beijing_baseline asks for experiment.jobs=2: serial inside a worker
        for v in variants:
            note = json.loads((folder / v / "summary.json").read_text()).get("executor_note", "")
            assert "worker of another process pool" in note, f"{cmd.where}: {v} has no executor note"


def test_ci_runs_the_readme_test_command():
    """.ci/run's command is exactly the README's test command (quick start: one command each)."""
    readme = [c for c in documented_commands() if c.where.startswith("README.md")]
    chains = {}
    for c in readme:
        chains.setdefault(c.where, []).append(c.text)
    test_cmd = [" && ".join(parts) for parts in chains.values() if parts[-1] == ".venv/bin/python -m pytest"]
    ci = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines()
          if ln.strip() and not ln.startswith(("#", "set ", "cd ", "export "))]
    # before it, only the Debian packages of the browser tests (installed when missing; tests/e2e/test_ci_prerequisites.py)
    assert len(test_cmd) == 1 and ci == [".ci/browser-packages", *test_cmd], f".ci/run {ci} vs README {test_cmd}"
    run_cmd = [" && ".join(parts) for parts in chains.values() if parts[-1] == ".venv/bin/python run_sim.py"]
    assert run_cmd and run_cmd[0].startswith("python3 -m venv .venv && .venv/bin/pip install"), (
        f"the quick start is not one command that installs and runs: {run_cmd}")


# ------------------------------------------------------------------------------------------- keys
#: a report file named after a section (`staffing.csv`), not a key
FILE_NAME = re.compile(r"\.(csv|yaml|json|md|png|html)$")
KEY = re.compile(r"^[+~]{0,2}([a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_<>\-]+)+)(?:\.\*)?(?:=.*)?$")
SECTIONS = set(Config.model_fields)


def schema_has(parts: List[str]) -> bool:
    """Whether the dotted key ``parts`` is a key of the schema (mapping entries and list indices are free)."""
    from sim.config.tree import Violation, lookup

    try:
        lookup(["0" if p.startswith("<") else p for p in parts])
    except Violation:
        return False
    return True


def keys_in(text: str) -> List[str]:
    """Dotted keys of configuration sections in the code of a Markdown text (blocks and inline spans)."""
    code = re.findall(r"```.*?```", text, flags=re.S) + re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text,
                                                                                          flags=re.S))
    found = []
    for span in code:
        for token in re.split(r"[\s,()\[\]{}\"']+", span):
            m = KEY.match(token)
            if m and m.group(1).split(".")[0] in SECTIONS and not FILE_NAME.search(m.group(1)):
                found.append(m.group(1))
    return found


def test_schema_check_finds_a_missing_key():
    """The check itself: the example of the issue (kpi.confidence) is not a key; experiment.confidence is."""
    assert keys_in("the interval (`kpi.confidence`, default 95%)") == ["kpi.confidence"]
    assert keys_in("`calls.csv` has `calls.handle_s.mean`") == ["calls.handle_s.mean"], "a file is not a key"
    assert not schema_has(["kpi", "confidence"]) and schema_has(["experiment", "confidence"])
    assert schema_has("categories.other.urgency".split(".")) and schema_has("staffing.shifts.0.count".split("."))
    assert not schema_has("staffing.shifts.count".split("."))


@pytest.mark.parametrize("path", MARKDOWN, ids=[str(p.relative_to(ROOT)) for p in MARKDOWN])
def test_documented_keys_exist(path):
    keys = keys_in(path.read_text(encoding="utf-8"))
    missing = sorted({k for k in keys if not schema_has(k.split("."))})
    assert not missing, f"{path.relative_to(ROOT)} names keys that are not in sim/config/schema.py: {missing}"


def test_help_is_one_short_page():
    """--help: what the tool does, the scenarios, the main keys (all in the schema), where the schema is, examples."""
    proc = run_cli(["--help"], timeout=300)
    assert proc.returncode == 0, proc.stderr[-1500:]
    lines = proc.stdout.splitlines()
    assert len(lines) <= 60, f"--help prints {len(lines)} lines"
    for name in sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml")):
        assert name in proc.stdout, f"--help does not list scenario {name}"
    for words in ("sim/config/schema.py", "--hydra-help", "Examples", "-m "):
        assert words in proc.stdout, f"--help lacks {words!r}"
    keys = keys_in("`" + "` `".join(proc.stdout.split()) + "`")
    assert len(keys) >= 10 and all(schema_has(k.split(".")) for k in keys), (
        f"--help names keys not in the schema: {[k for k in keys if not schema_has(k.split('.'))]}")


def _python_blocks():
    """(file:line, code) of every ```python block of the README and docs."""
    out = []
    for path in DOCS:
        block, start = None, 0
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("```"):
                if block is None and line.strip() == "```python":
                    block, start = [], i + 1
                elif block is not None:
                    out.append((f"{path.relative_to(ROOT)}:{start}", "\n".join(block)))
                    block = None
                continue
            if block is not None:
                block.append(line)
    return out


@pytest.mark.parametrize("where, code", _python_blocks(), ids=[w for w, _ in _python_blocks()])
def test_documented_python_runs(tmp_path, where, code):
    """Every Python example of the README and docs runs as written, twice in one fresh folder (the second run
    finds what the first one wrote: the README's example used to fail then, its report folder taken)."""
    for attempt in ("first", "second"):
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, f"{where}, {attempt} run:\n{code}\n{proc.stderr[-2000:]}"
