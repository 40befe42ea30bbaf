"""The forecast command: ``python -m sim.forecast HISTORY --name NAME [--format F] [--from D] [--to D]``.

Installed, the same command is ``hotline-forecast``.  It reads a history - interval
counts (``--format counts``, the default), a call log or a service-request log in
a format of ``sim.calibrate`` (``anonymous_bank``, ``generic``, ``open311`` or a
mapping file) - back-tests the candidate methods on it, forecasts the range
(``--from``/``--to``, inclusive; by default the seven days after the history)
and writes ``reports/forecast/NAME/`` (in the folder it runs from):
``forecast.csv``, ``forecast.json``, ``forecast.html`` and, when the history has
categories, ``forecast_categories.csv`` (:mod:`sim.forecast.report`).

Bad input - a file that cannot be used, a range that does not start after the
history, fewer than two weeks of history, an unknown country, an option out of
range or one that the chosen format does not use - ends the command with one line
on stderr naming the argument, the value and the rule, and exit status 2, before
anything is written.  The folder is written whole or not at all: the files go to
a temporary folder that replaces the old one at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import numpy as np

from sim.core.errors import ConfigError, OneLineParser, command_main, invoked_as, typed

if TYPE_CHECKING:  # pragma: no cover
    from sim.forecast.history import History

PROG = "hotline-forecast"
MIN_HISTORY_DAYS = 14
MAX_RANGE_DAYS = 366
COUNT_OPTIONS = ("time_column", "count_column", "channel_column", "category_column", "channel")


class _Parser(OneLineParser):
    label = PROG


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Forecast arrivals per half-hour from a history, with a back-test beside "
                                       "the naive forecasts.")
    p.add_argument("history", metavar="HISTORY", help="the history: a CSV of interval counts, a call log or a "
                                                      "request log")
    p.add_argument("--format", default="counts", help="counts (interval counts: a start time and a count, "
                   "optionally a channel and a category column; the default) or a log format of sim.calibrate "
                   "(anonymous_bank, generic, open311, or a mapping file .yaml)")
    p.add_argument("--name", required=True, help="writes reports/forecast/NAME/")
    p.add_argument("--from", dest="start", default=None, help="first day to forecast (ISO date; default: the day "
                                                              "after the history)")
    p.add_argument("--to", dest="end", default=None, help="last day to forecast, inclusive (default: six days after "
                                                          "--from)")
    p.add_argument("--country", default=None, help="public holidays of this country (ISO 3166 code, e.g. CN, US; "
                                                   "US-NY with a subdivision)")
    p.add_argument("--special-days", default=None, help="the centre's own days: a CSV file date,end,type,name,factor "
                                                        "(type closed, open, holiday, workday or event)")
    p.add_argument("--backtest-weeks", type=typed(int), default=8, help="weeks of the back-test (default 8)")
    p.add_argument("--overwrite", action="store_true", help="replace this command's earlier output for NAME")
    p.add_argument("--base", default=None, help="also write a dated scenario NAME extending this scenario with the "
                                                "forecast as its demand (scenarios/NAME.yaml)")
    p.add_argument("--scenario-dir", default=None, help="the folder of the scenario --base writes (default: "
                                                        "scenarios, in the folder the command runs in)")
    g = p.add_argument_group("interval counts (--format counts)")
    g.add_argument("--channel", default=None, help="channel of every row when the file has no channel column "
                                                   "(default phone)")
    g.add_argument("--time-column", default=None, help="the start-time column (default: start, time, timestamp, ...)")
    g.add_argument("--count-column", default=None, help="the count column (default: count, calls, arrivals, ...)")
    g.add_argument("--channel-column", default=None, help="the channel column (default: channel, if present)")
    g.add_argument("--category-column", default=None, help="the category column (default: category, if present)")
    return p


def _date(option: str, text: Optional[str]) -> Optional[dt.date]:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(option, text, "must be an ISO date, e.g. 2003-09-29") from None


def _check_args(a: argparse.Namespace) -> None:
    from sim.report.folders import check_command_name

    check_command_name(a.name)
    if not 1 <= a.backtest_weeks <= 52:
        raise ConfigError("--backtest-weeks", a.backtest_weeks, "must be in [1, 52]")
    if a.format != "counts":
        for opt in COUNT_OPTIONS:
            if getattr(a, opt) is not None:
                flag = "--" + opt.replace("_", "-")
                raise ConfigError(flag, getattr(a, opt), f"only with --format counts (a log's mapping names its "
                                                         f"columns; --format is {a.format!r})")
    if a.scenario_dir is not None and a.base is None:
        raise ConfigError("--scenario-dir", a.scenario_dir, "only with --base (the dated scenario it names the "
                                                            "folder of)")
    if a.channel is not None and not a.channel.strip():
        raise ConfigError("--channel", a.channel, "must not be empty")


def _output(name: str, overwrite: bool) -> Path:
    """``reports/forecast/NAME`` of the current folder, checked: new, or this command's to replace."""
    from sim.report.folders import check_command_folder

    report = Path("reports") / "forecast" / name
    check_command_folder(report, "forecast.json", overwrite, name)
    return report


def _read(a: argparse.Namespace) -> "History":
    from sim.forecast.history import read_counts
    from sim.forecast.logs import read_log_history

    if a.format == "counts":
        hist = read_counts(Path(a.history), a.history, channel=a.channel, time_column=a.time_column,
                           count_column=a.count_column, channel_column=a.channel_column,
                           category_column=a.category_column)
    else:
        hist = read_log_history(Path(a.history), a.history, a.format)
    if hist.n_days < MIN_HISTORY_DAYS or hist.observed.sum() < 7:
        raise ConfigError("HISTORY", a.history, f"holds {hist.n_days} day(s) ({hist.start} to {hist.end}), "
                                                f"{int(hist.observed.sum())} with data; a forecast needs at least "
                                                f"two weeks of history")
    return hist


def _range(a: argparse.Namespace, end_of_history: dt.date) -> tuple[dt.date, dt.date]:
    start = _date("--from", a.start) or end_of_history + dt.timedelta(days=1)
    end = _date("--to", a.end) or start + dt.timedelta(days=6)
    if start <= end_of_history:
        raise ConfigError("--from", a.start, f"must be after the history, which ends on {end_of_history} "
                                             f"(a forecast starts where its history stops)")
    if end < start:
        first = f"--from ({start})" if a.start else f"the range's first day, {start} (the day after the history)"
        raise ConfigError("--to", a.end, f"must be on or after {first}")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ConfigError("--to", a.end, f"the range is {(end - start).days + 1} days; at most {MAX_RANGE_DAYS}")
    return start, end


def _write(report: Path, files: Dict[str, str]) -> None:
    """Write ``files`` into a new folder that then replaces ``report`` (never a half-written folder)."""
    report.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{report.name}.", dir=str(report.parent)))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o755)
        if report.exists():
            shutil.rmtree(report)
        os.replace(tmp, report)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _stage_file(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` and return it (``os.replace`` it into place; never a
    half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def run(argv: Sequence[str]) -> List[str]:
    """Run the command; return the lines to print.  Raises ConfigError on bad input."""
    a = _parser().parse_args(list(argv))
    _check_args(a)
    from sim.forecast.calendar import build_calendar, check_country, read_special_days

    _date("--from", a.start)
    _date("--to", a.end)
    if a.country is not None:
        check_country(a.country)
    special = read_special_days(Path(a.special_days), a.special_days) if a.special_days else []
    report = _output(a.name, a.overwrite)
    target = None
    if a.base is not None:
        from sim.forecast.scenario import check_target

        target = check_target(a.name, a.base, Path(a.scenario_dir or "scenarios"), a.overwrite,
                              typed=a.scenario_dir is not None)
    hist = _read(a)
    if target is not None:
        from sim.forecast.scenario import check_channels

        check_channels(a.base, list(hist.counts))
    start, end = _range(a, hist.end)
    month_end = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    cal = build_calendar(hist.start, (month_end - hist.start).days + 1, a.country, special, a.special_days)
    days = np.arange((start - hist.start).days, (end - hist.start).days + 1)  # the calendar runs on to the
    # end of the range's month: whether the range's last working day is the month's last depends on it

    from sim.forecast import figures
    from sim.forecast.backtest import MIN_TRAIN_DAYS
    from sim.forecast.engine import run_forecast
    from sim.forecast.page import headline, render_page
    from sim.forecast.report import categories_csv, forecast_csv, forecast_json

    result = run_forecast(hist, cal, days, backtest_weeks=a.backtest_weeks)
    outside = sorted({s.day for s in special if not hist.start <= s.day <= end})
    if outside:
        result.notes.append(f"{len(outside)} day(s) of --special-days fall outside the history and the range "
                            f"({outside[0]} ...): not used")
    scored = max((len(r.weeks) for r in result.channels.values()), default=0)
    if scored < a.backtest_weeks:
        result.notes.append(f"the back-test holds {scored} week(s), not the {a.backtest_weeks} of --backtest-weeks: "
                            f"a week needs {MIN_TRAIN_DAYS} days of history before it")
    missing = [d for d in range(hist.n_days) if not hist.observed[d] and not result.plan.closed[d]]
    if a.country is None and missing:
        result.notes.append(f"no --country: {len(missing)} day(s) of the history without data on weekdays the centre "
                            f"opens are read as no data; public holidays among them would be closures, with the days "
                            f"after them busier (give --country to know them)")
    lead = (start - hist.end).days - 1
    if lead > 0:
        result.notes.append(f"the range starts {lead} day(s) after the history: the back-test measures forecasts "
                            f"one week ahead, errors further ahead are larger")
    typed = PROG if invoked_as() == PROG else "python -m sim.forecast"  # as invoked
    command = f"{typed} " + " ".join(shlex.quote(x) for x in argv)
    data = forecast_json(result, command)
    pngs = {"daily": figures.daily_figure(result), "intraday": figures.intraday_figure(result),
            "backtest": figures.backtest_figure(result), "backtest_days": figures.backtest_days_figure(result)}
    files = {"forecast.csv": forecast_csv(result),
             "forecast.json": json.dumps(data, indent=1, allow_nan=False) + "\n",
             "forecast.html": render_page(result, data, a.name, pngs)}
    cats = categories_csv(result)
    if cats is not None:
        files["forecast_categories.csv"] = cats
    staged = None  # the scenario is written first, beside its place, so that a folder that cannot take it
    if target is not None:  # leaves no report behind (and the report's failure no scenario)
        from sim.forecast.scenario import base_volumes, scenario_yaml

        assert a.base is not None
        staged = _stage_file(target, scenario_yaml(a.name, a.base, (report / "forecast.csv").as_posix(), data,
                                                   command, base_volumes(a.base)))
    try:
        _write(report, files)
        if staged is not None and target is not None:
            os.replace(staged, target)
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
    wrote = [f"wrote {report}/{', '.join(sorted(files))}"]
    if target is not None:
        run_as = f"scenario={a.name}" if a.scenario_dir is None else f"scenario={target.as_posix()}"
        wrote.append(f"wrote {target.as_posix()}: a dated scenario of {a.base} with this forecast as its demand; "
                     f"plan it with: hotline-sim {run_as} staffing.policy=optimize staffing.schedule=shifts")
    src = hist.source
    read = f"read {src.get('rows', 0):,} rows of {a.history}: {hist.n_days} days from {hist.start} to {hist.end}"
    if src.get("skipped"):
        first = src["skipped_first_lines"][0]
        read += (f"; {src['skipped']:,} rows skipped (first: line {first['line']}: {first['reason']}; "
                 f"the first {len(src['skipped_first_lines'])} in forecast.json)")
    return [read, *headline(data), *(f"note: {n}" for n in result.notes), *wrote]


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Entry point of ``python -m sim.forecast`` and ``hotline-forecast``."""
    command_main(PROG, run, list(sys.argv[1:] if argv is None else argv))
