"""The forecast page, ``forecast.html``: one self-contained file rendered by Jinja2.

The page extends the reports' base template (:mod:`sim.report.pages`: the same
look, autoescaped values, figures as data URIs, no network request) with the
template ``sim/forecast/templates/forecast.html.j2``.  Its sections: the
forecast (daily totals with the history's last weeks, half-hours, and a table of
the days with their kind); the back-test (the method beside the naive forecasts,
by week and pooled); the method (the chosen models, their estimated effects and
the candidates' back-test errors); the history read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from sim.forecast.backtest import MIN_TRAIN_DAYS
from sim.forecast.engine import ForecastResult
from sim.report.pages import Figure, Section, Table

TEMPLATES = Path(__file__).resolve().parent / "templates"
_NAMES = {"model": "the method", "last_week": "same weekday last week", "mean4": "mean of last 4 same weekdays"}


def _pct(x: Any, digits: int = 1) -> str:
    return "-" if x is None else f"{100 * x:.{digits}f}%"


def _n(text: str) -> Dict[str, str]:
    """A numeric table cell (right-aligned)."""
    return {"text": text, "cls": "num"}


def _num(x: float) -> str:
    return "0" if x == 0 else f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"  # a closed day: 0, not 0.0


def _png(figures: Dict[str, Optional[bytes]], name: str) -> bytes:
    png = figures[name]
    assert png is not None, name
    return png


def headline(data: Dict[str, Any]) -> List[str]:
    """One line per channel: the back-test's half-hour WAPE beside the naive forecasts', and the coverage."""
    out = []
    for ch, c in data["channels"].items():
        o = c["backtest"]["overall"]
        weeks = len(c["backtest"]["weeks"])
        if not weeks:
            out.append(f"{ch}: no back-test (the history is too short to leave a week out)")
            continue
        m, n4, n1 = o["model"], o["mean4"], o["last_week"]
        ratio = (f" ({m['wape'] / n4['wape']:.2f} of it)" if m["wape"] is not None and n4["wape"] else "")
        out.append(f"{ch}: back-test over {weeks} week(s) one week ahead, half-hour WAPE {_pct(m['wape'])} against "
                   f"{_pct(n4['wape'])} for the mean of the last four same weekdays{ratio} and {_pct(n1['wape'])} "
                   f"for the same weekday last week (Poisson noise alone: {_pct(m['poisson_floor'])}); 80% interval "
                   f"coverage {_pct(m['coverage'], 0)}")
    return out


def _sections(result: ForecastResult, data: Dict[str, Any], figures: Dict[str, Optional[bytes]]) -> List[Section]:
    chans = list(data["channels"])
    fc_rows = []
    first = data["channels"][chans[0]]["days"]
    for j, day in enumerate(first):
        row: List[Any] = [day["date"], day["weekday"], day["kind"] + (f": {day['reason']}" if day["reason"] else "")]
        for ch in chans:
            d = data["channels"][ch]["days"][j]
            row += [{"text": _num(d["expected"]), "cls": "num"},
                    {"text": f"{_num(d['p10'])} - {_num(d['p90'])}", "cls": "num"}]
        fc_rows.append(row)
    header = ["date", "day", "kind"] + [x for ch in chans for x in (f"{ch} expected", f"{ch} 80% interval")]
    forecast = Section("forecast", "Forecast", "Arrivals a day and per half-hour, the expected count with its 80% "
                       "prediction interval (a closed day is zero).",
                       figures=[Figure("daily", "Daily arrivals", "History (last weeks) and forecast with its 80% "
                                       "interval; crosses mark closed days on weekdays the centre opens.",
                                       _png(figures, "daily")),
                                Figure("intraday", "Per half-hour", "The forecast per half-hour with its 80% interval, "
                                       "and the same weekdays of the history's last week.",
                                       _png(figures, "intraday"))],
                       tables=[Table("Days of the forecast", header, fc_rows)])
    bt_tables = []
    for ch in chans:
        bt = data["channels"][ch]["backtest"]
        if not bt["weeks"]:
            continue
        rows = [[_NAMES[k], _n(_pct(v["wape"], 2)), _n(_pct(v["bias"], 2)), _n(_pct(v["daily_wape"], 2)),
                 _n(_pct(v["coverage"], 0))] for k, v in bt["overall"].items()]
        floor = bt["overall"]["model"]["poisson_floor"]
        bt_tables.append(Table(f"{ch}: pooled over {len(bt['weeks'])} weeks",
                               ["forecast", "half-hour WAPE", "bias", "daily WAPE", "80% coverage"], rows,
                               f"Poisson noise alone would leave a half-hour WAPE of about {_pct(floor, 2)}: "
                               f"no forecast of the counts does better on average."))
        wrows = [[w["origin"], *(_n(_pct(x, d)) for x, d in (
                  (w["model"]["wape"], 2), (w["mean4"]["wape"], 2), (w["last_week"]["wape"], 2),
                  (w["model"]["bias"], 1), (w["model"]["daily_wape"], 2), (w["model"]["coverage"], 0))),
                  w["method"]] for w in bt["weeks"]]
        bt_tables.append(Table(f"{ch}: by week", ["week from", "WAPE", "WAPE mean of 4", "WAPE last week", "bias",
                                                  "daily WAPE", "80% coverage", "method (chosen before the week)"],
                               wrows))
    bt_figs = []
    if figures.get("backtest") is not None:
        bt_figs.append(Figure("backtest", "Back-test by week", "Half-hour WAPE of each week forecast one week ahead, "
                              "the method beside the naive forecasts; the share of half-hours inside the 80% "
                              "interval.", _png(figures, "backtest")))
    if figures.get("backtest_days") is not None:
        bt_figs.append(Figure("backtest-days", "Back-test, daily totals", "Each back-test day's arrivals against its "
                              "forecast one week ahead and the 80% interval.", _png(figures, "backtest_days")))
    intro = ("Rolling origin: each of the history's last weeks is forecast from the days before it, by the method "
             "chosen on the weeks before it. WAPE: absolute errors over all half-hours / arrivals; bias: (forecast - "
             "actual) / arrivals; coverage: half-hours inside the 80% interval. The naive forecasts: the same "
             "weekday last week, the mean of the last four same weekdays.")
    if not bt_tables:
        intro = (f"No back-test: a week is scored only with at least {MIN_TRAIN_DAYS} days of history before it, and "
                 f"this history is too short. The method is the default one; judge the forecast with care.")
    backtest = Section("backtest", "Back-test", intro, figures=bt_figs, tables=bt_tables, failed=not bt_tables)
    mtables = []
    for ch in chans:
        c = data["channels"][ch]
        m = c["method"]
        rows = [[k, _n(f"x {v:.3f}")] for k, v in c["effects"].items()]
        note = f"Dispersion of half-hours beyond Poisson: phi = {m['dispersion_phi']:.4f}."
        if m["fallback"]:
            note += f" Fallback: {m['fallback']}."
        if c["effects_not_in_history"]:
            note += (" Not in the history: " + ", ".join(c["effects_not_in_history"]) + " (an event takes the factor "
                     "of the special-days file where it gives one; anything else has no effect).")
        ref = data["history"]["open_weekdays"][0]
        mtables.append(Table(f"{ch}: {m['name']}", [f"effect on the daily total (a weekday: relative to {ref})",
                                                    "multiplier"], rows, note))
        if c["backtest"]["daily_models"]:
            mtables.append(Table(f"{ch}: daily models in the back-test", ["daily model", "half-hour WAPE",
                                                                          "daily WAPE"],
                                 [[k, _n(_pct(v["wape"], 2)), _n(_pct(v["daily_wape"], 2))]
                                  for k, v in c["backtest"]["daily_models"].items()],
                                 "Each with the chosen profile, over the back-test weeks (the method chooses on "
                                 "the weeks before each)."))
    method = Section("method", "Method", "The log of each open day's total is a state-space model (statsmodels "
                     "UnobservedComponents) with calendar regressors; each day's total is spread over the half-hours "
                     "by the day type's profile shrunk towards the pooled profile. The daily model and the profile "
                     "setting are chosen by the back-test, never by in-sample fit.", tables=mtables)
    h = data["history"]
    hrows = [[x["date"], x["name"], "closed" if x["closed"] else "open"] for x in h["holidays"]]
    history = Section("history", "History", f"{h['days']} days from {h['first']} to {h['last']}, "
                      f"{h['days_with_data']} with data; days without data that are not closed: "
                      f"{', '.join(h['missing_days']) or 'none'} (no data, not zero demand).",
                      tables=[Table("Holidays in the history, on days the centre opens", ["date", "holiday", "read as"],
                                    hrows)] if hrows else [])
    return [forecast, backtest, method, history]


def render_page(result: ForecastResult, data: Dict[str, Any], name: str,
                figures: Dict[str, Optional[bytes]]) -> str:
    """The page as HTML text (``data`` is ``forecast.json``'s content, ``figures`` the PNGs by name)."""
    from sim import __version__
    from sim.report.pages import environment

    h = data["history"]
    cal = data["calendar"]
    src = h["source"]
    skipped = ""
    if src.get("skipped"):
        first = src["skipped_first_lines"][0]
        skipped = (f" {src['skipped']:,} of its {src['rows']:,} rows skipped (first: line {first['line']}: "
                   f"{first['reason']}; the first {len(src['skipped_first_lines'])} in forecast.json).")
    facts = headline(data) + [
        f"History: {src.get('path')} ({src.get('format')}), {h['first']} to {h['last']}, "
        f"{h['days_with_data']} days with data; the centre opens on {', '.join(h['open_weekdays'])}.{skipped}",
        f"Calendar: {'public holidays of ' + cal['country'] if cal['country'] else 'no country (no public holidays)'}"
        f"{'; special days from ' + cal['special_days'] if cal['special_days'] else ''}."]
    env = environment([TEMPLATES])
    return str(env.get_template("forecast.html.j2").render(
        name=name, version=__version__, command=data["command"], facts=facts, notes=data["notes"],
        lede=f"Arrivals per half-hour from {data['range']['from']} to {data['range']['to']}, "
             f"channels: {', '.join(data['channels'])}.",
        has_categories=any(c["categories"] for c in data["channels"].values()),
        sections=[s for s in _sections(result, data, figures) if not s.empty]))
