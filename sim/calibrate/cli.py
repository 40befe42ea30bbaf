"""The calibration command: ``python -m sim.calibrate calls|requests LOG --format F --name NAME``.

Installed, the same command is ``hotline-calibrate``.  It reads the log through
its column mapping (:mod:`sim.calibrate.formats`), fits the model's parameters,
writes ``scenarios/NAME.yaml`` (in the folder it runs from: ``run_sim.py
scenario=NAME`` finds it there) and ``reports/calibration/NAME/`` with
``calibration.json`` and ``calibration.html``, after a back-test that simulates
the scenario against the log.

Bad input - an unknown format, a file that cannot be used, an option out of
range, a name that is taken - ends the command with one line on stderr naming
the argument, the value and the rule, and exit status 2, before anything is
written.  If a later step fails, what the command wrote is removed again.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Sequence

from sim.core.errors import ConfigError, OneLineParser, command_main, invoked_as, typed

if TYPE_CHECKING:  # pragma: no cover
    from sim.calibrate.logread import LogInfo

PROG = "calibrate"
INSTALLED = "hotline-calibrate"  # the installed program: its usage lines name it (pyproject.toml's [project.scripts])
MARK = "calibrated by"  # in the first line of every scenario file this command writes


class _Parser(OneLineParser):
    label = PROG


def _program() -> str:
    """The command as the user typed it: ``hotline-calibrate`` when installed, else ``python -m sim.calibrate``."""
    return INSTALLED if invoked_as() == INSTALLED else "python -m sim.calibrate"


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=_program(), description="Calibrate a scenario from a call log or a service-request log, and "
                "back-test it against the log.")
    sub = p.add_subparsers(dest="kind", required=True, parser_class=_Parser)
    for kind, default_format in (("calls", "generic"), ("requests", "open311")):
        s = sub.add_parser(kind, help=f"a {kind[:-1]} log")
        s.add_argument("log", metavar="LOG", help="the CSV export")
        s.add_argument("--format", default=default_format,
                       help=f"a shipped mapping (anonymous_bank, generic, open311) or a mapping file (default "
                            f"{default_format})")
        s.add_argument("--name", required=True, help="scenario name: writes scenarios/NAME.yaml and "
                                                     "reports/calibration/NAME/")
        s.add_argument("--replications", type=typed(int), default=10, help="back-test replications (default 10)")
        s.add_argument("--seed", type=typed(int), default=1, help="back-test root seed (default 1)")
        s.add_argument("--jobs", type=typed(int), default=1, help="processes for the back-test (default 1)")
        s.add_argument("--no-backtest", action="store_true", help="fit and write the scenario only")
        s.add_argument("--overwrite", action="store_true", help="replace this command's earlier output for NAME")
        s.add_argument("--timezone", default=None, metavar="NAME",
                       help="IANA time zone (e.g. Europe/Berlin) of the log's times without a UTC offset: read as "
                            "local times of NAME (default: read as they are; times with an offset are converted)")
        judged = ("simulated with its own arrivals and agents; at most 7 days" if kind == "calls" else
                  "whose requests per day and times to close are compared with the fitted scenario's simulation")
        for opt, what in (("--fit-from", "first date of the fit window (default: the log's first)"),
                          ("--fit-to", "last date of the fit window (default: the log's last)"),
                          ("--holdout-from", f"first date of the hold-out, {judged} (default: the day after the fit "
                                             f"window; a hold-out runs only when this or --holdout-to is given)"),
                          ("--holdout-to", "last date of the hold-out (default: the log's last; a hold-out runs only "
                                           "when this or --holdout-from is given)")):
            s.add_argument(opt, default=None, metavar="YYYY-MM-DD", help=f"{what}; dates are inclusive")
        if kind == "calls":
            s.add_argument("--holdout-hours", default="0-24", metavar="H1-H2",
                           help="hours of the day the hold-out is scored over (default 0-24)")
            s.add_argument("--patience-by-type", action="store_true",
                           help="give each call type with enough abandonments its own patience in the scenario")
            s.add_argument("--redial-window-h", type=typed(float), default=24.0,
                           help="a call within this many hours of the same caller's abandoned call is a redial")
            s.add_argument("--profile-tolerance", type=typed(float), default=0.1,
                           help="weekdays whose hourly shares differ by less (total variation) share a profile")
            s.add_argument("--min-per-category", type=typed(int), default=50,
                           help="services a call type needs for a handle time of its own")
            s.add_argument("--factors", default="0.5,0.6,0.7,0.8,1.2",
                           help="staffing factors of the back-test's sensitivity (comma-separated)")
        else:
            s.add_argument("--units", default=None, help="agency -> unit type mapping (YAML); default: the "
                                                         "shipped open311 mapping")
            s.add_argument("--as-of", default=None, help="when the log was extracted (ISO, read like the log's times); "
                                                         "open requests are censored there (default: the latest "
                                                         "time in the log)")
            s.add_argument("--sample-fraction", type=typed(float), default=1.0,
                           help="the share of all requests the log holds (a sample): volumes are divided by it")
            s.add_argument("--min-per-group", type=typed(int), default=30,
                           help="closed requests an agency or category needs for its own close-time fit")
    return p


def _check_args(a: argparse.Namespace) -> List[float]:
    from sim.calibrate.timestamps import parse_zone
    from sim.calibrate.windows import check_dates
    from sim.report.folders import check_command_name

    parse_zone(a.timezone)
    check_dates(a)
    check_command_name(a.name)
    for opt, v, lo, hi in (("--replications", a.replications, 1, 1000), ("--jobs", a.jobs, 1, 256),
                           ("--seed", a.seed, 0, 2**63 - 1)):
        if not lo <= v <= hi:
            raise ConfigError(opt, v, f"must be in [{lo}, {hi}]")
    factors: List[float] = []
    if a.kind == "calls":
        for name, x, top in (("--redial-window-h", a.redial_window_h, 24.0 * 365),
                             ("--profile-tolerance", a.profile_tolerance, 1.0)):
            if not (math.isfinite(x) and 0.0 < x <= top):
                raise ConfigError(name, x, f"must be in (0, {top:g}]")
        a.holdout_hours = _hours(a.holdout_hours)
        if a.min_per_category < 2:
            raise ConfigError("--min-per-category", a.min_per_category, "must be >= 2")
        try:
            factors = [float(x) for x in a.factors.split(",") if x.strip()]
        except ValueError:
            raise ConfigError("--factors", a.factors, "must be numbers separated by commas, e.g. 0.6,0.8,1.2") from None
        if not all(math.isfinite(f) and 0 < f <= 10 for f in factors):
            raise ConfigError("--factors", a.factors, "each factor must be in (0, 10]")
    else:
        if not (math.isfinite(a.sample_fraction) and 0 < a.sample_fraction <= 1):
            raise ConfigError("--sample-fraction", a.sample_fraction, "must be in (0, 1]")
        if a.min_per_group < 2:
            raise ConfigError("--min-per-group", a.min_per_group, "must be >= 2")
    return factors


def _hours(text: str) -> tuple[int, int]:
    """``H1-H2`` as whole hours ``0 <= H1 < H2 <= 24``."""
    m = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", text)
    if not m or not 0 <= int(m.group(1)) < int(m.group(2)) <= 24:
        raise ConfigError("--holdout-hours", text, "must be H1-H2, whole hours with 0 <= H1 < H2 <= 24, e.g. 7-24")
    return int(m.group(1)), int(m.group(2))


def _outputs(name: str, overwrite: bool) -> tuple[Path, Path]:
    """``scenarios/NAME.yaml`` and ``reports/calibration/NAME`` of the current folder, checked (see the module)."""
    from sim.config.paths import BUILTIN_SCENARIO_DIR
    from sim.report.folders import check_command_folder

    scenario = Path("scenarios") / f"{name}.yaml"
    report = Path("reports") / "calibration" / name
    for path in (scenario, BUILTIN_SCENARIO_DIR / f"{name}.yaml"):
        if path.exists() and MARK not in path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]:
            raise ConfigError("--name", name, f"{path} exists and was not written by this command; choose another "
                                              f"name")
    if scenario.exists() and not overwrite:
        raise ConfigError("--name", name, f"{scenario} exists; give --overwrite to replace it")
    check_command_folder(report, "calibration.json", overwrite, name)
    return scenario, report


def run(argv: Sequence[str]) -> List[str]:
    """Run the command; return the lines to print.  Raises ConfigError on bad input."""
    a = _parser().parse_args(list(argv))
    factors = _check_args(a)
    from sim.calibrate.formats import load_format

    fmt = load_format(a.format, a.kind)
    scenario, report = _outputs(a.name, a.overwrite)
    command = f"{_program()} " + " ".join(shlex.quote(x) for x in argv)
    if a.kind == "calls":
        from sim.calibrate import calls_command as cmd
    else:
        from sim.calibrate import requests_command as cmd  # type: ignore[no-redef]
    fitted = cmd.fit(a, fmt)
    old = scenario.read_text(encoding="utf-8") if scenario.exists() else None
    scenario.parent.mkdir(parents=True, exist_ok=True)
    scenario.write_text(cmd.scenario_text(fitted, a.name, command), encoding="utf-8")
    try:
        from sim.api import compose_config

        cfg = compose_config(a.name, [f"experiment.replications={a.replications}", f"experiment.seed={a.seed}",
                                      f"experiment.jobs={a.jobs}", "experiment.progress=false"])
        result = cmd.report(fitted, a, factors, command, str(scenario), cfg)
        _write_report(report, {"calibration.json": json.dumps(result.json, indent=1, allow_nan=False) + "\n",
                               "calibration.html": result.html})
    except BaseException:  # leave the disk as it was: the earlier scenario back, or none
        if old is None:
            scenario.unlink(missing_ok=True)
        else:
            scenario.write_text(old, encoding="utf-8")
        raise
    return [_read_line(fitted.log.info), f"times: {fitted.log.info.rule.statement()}", *result.headline,
            f"wrote {scenario} and {report}/calibration.json, calibration.html"]


def _write_report(report: Path, files: dict[str, str]) -> None:
    """Write the report folder whole or not at all: into a temporary folder beside it, renamed into place
    (an earlier report, allowed by ``--overwrite``, is replaced only then): :mod:`sim.report.folders`."""
    from sim.config.paths import staging_folder
    from sim.report.folders import discard, publish

    tmp = staging_folder(report)
    existed = next(p for p in (report.parent, *report.parent.parents) if p.exists())
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        publish(tmp, report, overwrite=True)
    except BaseException:
        discard(tmp, existed)
        raise


def _read_line(info: "LogInfo") -> str:
    """What reading the log found, skipped rows included (never dropped silently)."""
    text = f"read {info.rows:,} rows of {info.path}"
    if info.not_offered:
        text += f"; {info.not_offered:,} {info.not_offered_reason}"
    if info.skipped:
        line, reason = info.skipped_lines[0]
        text += (f"; {info.skipped:,} rows skipped as unreadable (first: line {line}: {reason}; all in "
                 f"calibration.json)")
    return text


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Entry point of ``python -m sim.calibrate`` and ``hotline-calibrate``."""
    command_main(PROG, run, list(sys.argv[1:] if argv is None else argv))
