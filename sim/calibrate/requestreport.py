"""The page of a request-log calibration: volumes, channels, categories, times to close, back-test."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from sim.calibrate import figures as fg
from sim.calibrate.arrivals import WEEKDAYS
from sim.calibrate.page import Figure, Section, Table, log_section, render_page
from sim.calibrate.page import fmt_value as _f
from sim.calibrate.requests import RequestCalibration


def unidentified_requests(cal: RequestCalibration) -> List[str]:
    """What a request log cannot identify."""
    items = ["The front line: a request log has no handle times, waits or operators. The scenario uses the schema's "
             "default handle times and patience and sizes the operators by square-root staffing; do not read its "
             "front-line KPIs as this city's.",
             "Dispatch, response and resolution: the log has the creation and the close only, so the scenario "
             "puts the whole time to close into resolution_h (dispatch and response delays 0).",
             "Unit capacity: case workers are not in the log; each unit type gets enough case slots not to bind, "
             "so the simulated times to close are the fitted ones, not the outcome of a queue.",
             "Return visits and ratings are not in the log."]
    if any("sample" in n for n in cal.notes) or cal.log.info.path.endswith("baltimore_requests.csv"):
        items.append("Volumes of a sampled log: requests per day count the sample; pass --sample-fraction to scale "
                     "them to the whole city.")
    if cal.arrivals.notes:
        items += cal.arrivals.notes
    return items


def _channel_profiles(cal: RequestCalibration) -> Dict[str, Sequence[float]]:
    """Each channel's hourly profile per weekday type; a channel with too few requests of its own holds all
    residents' profile, and its label says so."""
    return {f"{ch if f is not cal.arrivals else f'{ch}: all residents'} ({n})": list(f.type_profiles[k])
            for ch, f in cal.channel_arrivals.items() for k, n in enumerate(f.type_names())}


def _close_rows(summary: Dict[str, Dict[str, Any]], too_few: Optional[Dict[str, Dict[str, Any]]] = None
                ) -> List[List[str]]:
    rows = [[k, f"{v.get('n', 0):,}", f"{v.get('closed', 0):,}", f"{v.get('open', 0):,}", _f(v.get("median")),
             _f(v.get("p90")), v.get("family") or "", _f(v.get("mean"), "{:,.4g}")] for k, v in summary.items()]
    rows += [[k, f"{v['n']:,}", f"{v['closed']:,}", f"{v['open']:,}", "n/a", "n/a",
              f"none: fewer than {v['min_per_group']} closed (the scenario has the pooled time)", ""]
             for k, v in (too_few or {}).items()]
    return rows


def requests_page(cal: RequestCalibration, rj: Dict[str, Any], name: str, command: str, scenario_path: str) -> str:
    """``calibration.html`` of a request-log calibration."""
    log, a, info = cal.log, cal.arrivals, cal.log.info
    head = ["", "requests", "closed", "open", "median (h)", "p90 (h)", "family", "fitted mean (h)"]
    sections = [
        log_section(info, f"{info.path} (format {info.format}): {info.rows:,} rows from {info.first} to "
                          f"{info.last}; {info.skipped:,} rows skipped as unreadable; open requests censored at "
                          f"the latest time in the log or --as-of."),
        Section("Volumes and profiles", [
            f"Residents' requests per day: {a.per_day:,.2f} in the log ({rj['requests_per_day_scaled']:,.2f} in the "
            f"scenario); day_cv {a.day_cv:.3f} over {a.full_days} whole days; weekday types: "
            + "; ".join(a.type_names()) + "."],
            tables=[Table(["weekday", "requests per day", "day_of_week"],
                          [[d, _f(a.per_weekday.get(d), "{:,.2f}"), _f(a.day_of_week[i], "{:.3f}")]
                           for i, d in enumerate(WEEKDAYS)]),
                    Table(["channel (log)", "requests", "class"],
                          [[ch, f"{n:,}", log.channel_class[i]]
                           for i, (ch, n) in enumerate(cal.channel_counts.items())])],
            figures=[Figure(fg.profile_figure(_channel_profiles(cal), "share of the day's requests",
                                              "Hourly profile by channel and weekday type"), "Hourly profiles")]),
        Section("Categories and unit types", [
            f"{rj['categories_total']} complaint types; the 25 most frequent below. Agencies map to unit types by the "
            f"units file; the scenario has one category per unit type."],
            tables=[Table(["complaint type", "share of residents' requests"],
                          [[k, f"{100 * v:.1f}%"] for k, v in rj["categories"].items()], collapsed=True),
                    Table(["agency", "unit type"], [[k, v] for k, v in cal.unit_of_agency.items()], collapsed=True),
                    Table(["unit type", "share"], [[k, f"{100 * v:.1f}%"] for k, v in cal.unit_shares.items()])]),
        Section("Time to close", [
            "Hours from creation to close. Kaplan-Meier with open requests censored; median and 90th percentile "
            "where the curve reaches them ('n/a': it does not, too many requests are still open); censored maximum "
            "likelihood per agency and unit type, family by AIC among those within 4 standard errors of the curve; "
            "where none is, the scenario holds the curve itself (an empirical distribution). "
            f"{_f(rj.get('closed_within_a_minute'), '{:.1%}')} of closed requests closed within a minute."],
            tables=[Table(["unit type", *head[1:]], _close_rows(rj["close_h_by_unit_type"], rj.get("close_h_too_few"))),
                    Table(["agency", *head[1:]], _close_rows(rj["close_h"])),
                    Table(["complaint type", "requests", "closed", "open", "median (h)", "p90 (h)"],
                          [[k, f"{v['n']:,}", f"{v['closed']:,}", f"{v['open']:,}", _f(v["median"]), _f(v["p90"])]
                           for k, v in rj["close_h_by_category"].items()], "by complaint type", collapsed=True)],
            figures=[Figure(fg.survival_figure(dict(cal.close_by_unit), unit="h", log_time=True),
                            "Time to close by unit type: Kaplan-Meier vs fitted survival")]),
    ]
    bt = rj.get("backtest")
    if bt:
        sections.append(_comparison_section(bt, bt, "Back-test in sample: the scenario against the fit window",
                                            "In sample: the requests compared are those the scenario was fitted on."))
        if bt.get("holdout"):
            w = rj["windows"]["holdout"]
            sections.append(_comparison_section(bt, bt["holdout"], f"Hold-out: the scenario against {w['from']} to "
                                                                    f"{w['to']}, requests it was not fitted on",
                                                "Out of sample: the requests created in the hold-out window, with "
                                                "their closes up to the log's extraction."))
    summary = (f"{a.per_day:,.2f} residents' requests a day in the log; {len(cal.unit_shares)} unit types; median "
               f"time to close {_f(rj['close_h_pooled']['median'])} h over all requests.")
    return render_page(name, summary, command, scenario_path, unidentified_requests(cal), sections, cal.notes)


def _cell(c: Dict[str, Any]) -> str:
    if c.get("not_compared"):
        return f"n/a ({c['not_compared']}) / {_f(c['simulated'])} - not compared"
    text = (f"{_f(c['observed'])} [{_f(c.get('observed_ci_low'))}, {_f(c.get('observed_ci_high'))}] / "
            f"{_f(c['simulated'])}")
    return text + (f" - FLAGGED: {c['flag']}" if c.get("flag") else "")


def _verdict(cmp: Dict[str, Any]) -> str:
    """The flagged medians and the unit types not compared, in a sentence."""
    flagged, few = cmp.get("flagged") or [], cmp.get("not_compared") or []
    text = (f"Medians flagged: {', '.join(flagged)}." if flagged else
            "Every median compared lies inside the log's interval.")
    if few:
        text += (f" Not compared (fewer than {cmp.get('min_per_group')} closed requests of the type in the log: no "
                 f"estimate of its own): {', '.join(few)}.")
    return text


def _comparison_section(bt: Dict[str, Any], cmp: Dict[str, Any], title: str, lead: str) -> Section:
    rows = [[u] + [_cell(row[k]) for k in ("median", "p90")] for u, row in cmp["unit_types"].items()]
    rpd = cmp["requests_per_day"]
    return Section(title, [
        f"{lead} {bt['replications']} replications of the scenario (seed {bt['seed']}). Requests per day: log "
        f"{_f(rpd['observed'], '{:,.2f}')}, simulated {_f(rpd['simulated'], '{:,.2f}')} "
        f"[{_f(rpd['ci_low'], '{:,.2f}')}, {_f(rpd['ci_high'], '{:,.2f}')}]. Times to close are Kaplan-Meier "
        "quantiles on both sides - the log's open requests censored at its extraction, the simulation's open "
        f"orders at the end of the drain ({bt['drain_h']:g} h after {bt['horizon_h'] / 24:g} days of arrivals: "
        f"a follow-up of {bt['follow_up_h']:g} h at most) - and the simulated ones run from the first contact (the "
        "front line's minutes included). The log's 95% interval is Brookmeyer and Crowley's (Greenwood's "
        "variance); a simulated value outside it, or a log value beyond the follow-up, is flagged. "
        + _verdict(cmp)],
        tables=[Table(["unit type", "median h: log [95% interval] / simulated", "p90 h: log [95% interval] / "
                                                                              "simulated"], rows)])


def requests_headline(rj: Dict[str, Any]) -> List[str]:
    """Lines printed at the end of the command."""
    out = [f"requests per day: {rj['requests_per_day']:,.2f} in the log, {rj['requests_per_day_scaled']:,.2f} in the "
           f"scenario (phone {rj['channels']['per_day']['phone']:,.2f}, "
           f"online {rj['channels']['per_day']['online']:,.2f})"]
    for u, v in rj["close_h_by_unit_type"].items():
        out.append(f"time to close, {u}: median {_f(v['median'])} h, p90 {_f(v['p90'])} h, {v['family']}")
    for u, v in (rj.get("close_h_too_few") or {}).items():
        out.append(f"time to close, {u}: {v['closed']} closed requests, fewer than {v['min_per_group']}: none of its "
                   f"own (the pooled one in the scenario)")
    bt = rj.get("backtest")
    if bt:
        errs = [abs(r["median"]["error"]) for r in bt["unit_types"].values() if r["median"].get("error") is not None]
        out.append("back-test: " + (f"largest error of a median time to close {max(errs):.3g} h; " if errs else "")
                   + _verdict_line(bt))
        if bt.get("holdout"):
            h, w = bt["holdout"], rj["windows"]["holdout"]
            rpd = h["requests_per_day"]
            out.append(f"hold-out {w['from']}..{w['to']}: requests per day {_f(rpd['observed'], '{:,.2f}')} in the "
                       f"log, {_f(rpd['simulated'], '{:,.2f}')} simulated; " + _verdict_line(h))
    return out


def _verdict_line(cmp: Dict[str, Any]) -> str:
    text = f"medians outside the log's 95% interval: {', '.join(cmp['flagged']) or 'none'}"
    if cmp.get("not_compared"):
        text += (f"; not compared (fewer than {cmp['min_per_group']} closed requests in the log): "
                 f"{', '.join(cmp['not_compared'])}")
    return text
