"""The back-test and the page of a call-log calibration.

:func:`backtest_calls` runs the calibrated scenario as written (staffing factor
1) and with the staffing plan multiplied by each sensitivity factor, and
compares each run with the log (:mod:`sim.calibrate.backtest`).  :func:`calls_page`
lays out ``calibration.html``: what the log cannot identify, the fitted values
with their figures, and the back-test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Sequence

from sim.calibrate import backtest as bt
from sim.calibrate import figures as fg
from sim.calibrate.arrivals import WEEKDAYS
from sim.calibrate.calls import CallCalibration
from sim.calibrate.page import Figure, Section, Table, log_section, render_page
from sim.calibrate.page import fmt_pct as _pct
from sim.calibrate.page import fmt_s as _s
from sim.calibrate.page import fmt_value as _f
from sim.calibrate.patience_page import few_events, for_queue, patience_held, pickup_text, queue_tables, written_text
from sim.config.schema import Config
from sim.core.errors import sim_command
from sim.report.text import format_level


def backtest_calls(cal: CallCalibration, cfg: Config, factors: Sequence[float]) -> Dict[str, Any]:
    """Back-test of the calibrated scenario's configuration ``cfg`` against the log (module docstring)."""
    weekdays = cal.arrivals.types[0]
    thr = cfg.kpi.answer_threshold_s
    obs = bt.observed(cal, weekdays, thr)
    every = list(range(7))
    main, whole = bt.simulated_sets(cfg, 1.0, [weekdays, every])
    runs = {float(f): bt.simulated(cfg, float(f), weekdays) for f in sorted(set(factors) - {1.0})}
    runs[1.0] = main
    replications, seed = cfg.experiment.replications, cfg.experiment.seed
    level = cfg.experiment.confidence
    cmp = bt.compare(obs, runs[1.0], level)
    window = bt.compare(bt.observed(cal, every, thr), whole, level)["whole_day"]
    sens = bt.sensitivity(obs, runs, level)
    best = float(min(sens, key=lambda r: abs(r["abandon_rate"]["error"]))["factor"])
    return {"weekdays": [WEEKDAYS[d] for d in weekdays], "days": obs.days, "comparison": cmp, "in_sample": True,
            "whole_window": {k: window[k] for k in ("abandon_rate", "asa_s", "answered_share", "arrivals")},
            "abandonment_vs_wait": bt.abandonment_vs_wait(obs, runs[1.0]), "sensitivity": sens,
            "closest_abandonment_factor": best, "comparison_closest_factor": bt.compare(obs, runs[best], level),
            "abandonment_vs_wait_closest_factor": bt.abandonment_vs_wait(obs, runs[best]),
            "replications": replications, "seed": seed}


def unidentified_calls(cal: CallCalibration, cj: Dict[str, Any]) -> List[str]:
    """What the call log cannot identify, in the words of the report."""
    occ = cal.talk_occupancy
    items = [
        "Agents on duty: the log shows agents only while they talk. The plan holds the agents available, measured "
        "(section 'Teams and agents available'): presence reconstructed from consecutive services, and available "
        "while talking or idle with nobody of their team's call types waiting. It is not fitted to waits or "
        "abandonment.",
        "After-call work: ser_time is talk time only, so calls.handle_s is talk time. The agents present were talking "
        f"{_pct(occ)} of their time; the rest (after-call work, breaks, other tasks) counts as unavailable whenever "
        "callers were waiting.",
    ]
    if cj["retrial"]["abandoned_unidentified"]:
        items.append(f"Redials of unidentified callers ({cj['retrial']['abandoned_unidentified']:,} abandoned calls "
                     "with caller 0): their redials cannot be matched; the share seen among identified callers is "
                     "applied to them.")
    if cj["patience_s"]["km_min_survival"] > 0.5:
        items.append("Median patience: the Kaplan-Meier curve stays above 0.5 over the waits observed.")
    return items


def _agents_section(cal: CallCalibration) -> Section:
    a = cal.availability
    teams = cal.teams
    tot = {t: (a.available[k].sum() / 2, a.present[k].sum() / 2, a.talking[k].sum() / 2)
           for k, t in enumerate(teams.names)}
    rows = [[t, ", ".join(f"{c} {int(n):,}" for c, n in zip(cal.log.categories, teams.services[k]) if n),
             ", ".join(teams.skills_of(t)), f"{tot[t][0]:,.0f}", f"{tot[t][1]:,.0f}", f"{tot[t][2]:,.0f}"]
            for k, t in enumerate(teams.names)]
    week = {t: [sum(v) for v in zip(*[p[48 * w:48 * w + 48] for w in range(7)])] for t, p in cal.plans.items()}
    return Section("Teams and agents available, measured", [
        f"Teams: {teams.rule}.",
        "Agents available (the staffing plan), measured, not fitted: an agent is present from a service's start "
        f"through gaps before the next service of at most {a.gap_s / 60:g} minutes (a longer gap is time off duty), "
        "and available while talking or, between services and in the "
        f"{a.gap_s / 120:g} minutes before a session's first service and after its last, while no caller of the "
        "team's own call types waits: a "
        "caller waiting while an available agent sits idle would break work conservation (the log's agents take "
        "the next call a median 5 s after the last while callers wait). The estimator uses when callers waited, "
        "never how long nor whether they hung up. Assumptions: an agent idle while nobody waits could have taken a "
        "call (also just before and after a session); a team takes only the calls it serves. The week template "
        "holds, per weekday and half-hour, the certainty equivalent of the fit window's "
        "dates: the agents at which Erlang A, fed the dates' mean calls, loses the share of callers it loses over the "
        "dates fed their own calls and agents (a plain mean of agents would let a week of few agents and many calls "
        "and a week of the converse add up to a quiet week; the log's abandonment is never used).",
        f"Talk occupancy of the agents present: {_pct(cal.talk_occupancy)}."],
        tables=[Table(["team", "services by call type", "serves (preferred first)", "agent-hours available",
                       "present", "talking"], rows)],
        figures=[Figure(fg.profile_figure({t: [v / 7.0 for v in week[t]] for t in week}, "agents available",
                                          "Agents available per half-hour, mean over the weekdays of the plan"),
                        "Agents available (the plan), per team")])


def calls_page(cal: CallCalibration, cj: Dict[str, Any], btj: Dict[str, Any] | None, name: str, command: str,
               scenario_path: str) -> str:
    """``calibration.html`` of a call-log calibration."""
    log, a = cal.log, cal.arrivals
    info = log.info
    service = log.ended_s - log.answered_s
    samples = {k: service[(log.outcome == 0) & (log.category == log.categories.index(k))] for k in cal.handle}
    samples["all types"] = service[log.outcome == 0]
    reports = {**cal.handle, "all types": cal.handle_pooled}
    p = cj["patience_s"]
    sections = [
        log_section(info, f"{info.path} (format {info.format}): {info.rows:,} rows; {info.not_offered:,} rows "
                          f"{info.not_offered_reason}; {info.skipped:,} rows skipped as unreadable. "
                          + (f"Fitted on the whole log, {info.first} to {info.last}: " if cj["windows"]["whole_log"]
                             else f"Fitted on the window {cj['windows']['fit']['from']} to "
                                  f"{cj['windows']['fit']['to']} "
                                  f"only (--fit-from/--fit-to; first call {info.first}, last {info.last}): ")
                          + f"{log.n:,} calls offered to agents."),
        Section("Arrivals", [
            f"First attempts per day: {a.per_day:,.1f} on average over the weekdays "
            f"({cj['first_attempts']:,} first attempts; identified redials left out). day_cv = {a.day_cv:.3f} "
            f"over {a.full_days} whole days (it includes the trend over the month).",
            "Weekday types (hourly shares within 10% in total variation): " + "; ".join(a.type_names()) + ". "
            "Closed hours have weight exactly 0."],
            tables=[Table(["weekday", "first attempts per day", "day_of_week factor"],
                          [[d, _f(a.per_weekday.get(d), "{:,.1f}"), _f(a.day_of_week[i], "{:.3f}")]
                           for i, d in enumerate(WEEKDAYS)])],
            figures=[Figure(fg.profile_figure(dict(zip(a.type_names(), a.half_hourly_by_type)), "first attempts",
                                              "First attempts per half-hour, mean day of each weekday type"),
                            "Arrivals per half-hour by weekday type")]),
        Section("Call types and handle times", [
            "Handle time = service end - service start of answered calls (talk time). Families fitted by maximum "
            "likelihood with the mean held at the sample mean, chosen by AIC; 'MLE mean gap' is how far the plain "
            "MLE of the chosen family would put the mean."],
            tables=[Table(["type", "share", "services", "family", "mean (s)", "sample mean (s)", "MLE mean gap", "cv",
                           "KS D"],
                          [[k, _pct(cal.shares.get(k)), f"{r.n:,}", r.chosen.family, _f(r.chosen.mean, "{:.1f}"),
                            _f(r.sample_mean, "{:.1f}"), _pct(r.plain[r.chosen.family].mean / r.sample_mean - 1),
                            _f(r.chosen.cv, "{:.2f}"), _f(r.chosen.gof, "{:.3f}")] for k, r in reports.items()])],
            figures=[Figure(fg.fit_cdf_figure(samples, reports), "Handle time: empirical vs fitted CDF"),
                     Figure(fg.profile_figure({"handle-time factor": cal.handle_factor}, "x mean handle time",
                                              "Handle time by half-hour of arrival (calls.handle_factor_half_hourly)"),
                            "Handle time by time of day: the mean of each half-hour's calls over the mean of all, "
                            "shrunk towards 1 with the weight of 100 services")]),
        Section("Patience", [
            f"{p['n_events']:,} abandonments (events) and {p['n_censored']:,} waits of answered or open calls "
            f"(censored). Families within 4 standard errors of the Kaplan-Meier curve wherever 30 are at risk: "
            f"{', '.join(p['passing_families']) or 'none'}. "
            + written_text(p)
            + "Kaplan-Meier "
            f"median {_s(p['km_median'])}, 90th percentile {_s(p['km_p90'])}; area under the "
            f"Kaplan-Meier curve {_f(p['km_restricted_mean'], '{:.0f} s')} (up to the longest wait, "
            f"{_f(p['km_last_time'], '{:.0f} s')}); the best family by AIC, {p['family']}, has mean "
            f"{_f(p['mean'], '{:,.0f} s')}: a fitted mean far above the curve's area comes from the tail beyond the "
            "waits observed, which the log cannot see.",
            pickup_text(cj.get("pickup_delay_s"), cal.options.min_per_category)],
            tables=queue_tables(p.get("queue_found")) + [
                Table(["call type", "abandonments", "censored waits", "Kaplan-Meier median (s)",
                       "families within the band", "in the scenario"],
                      [[k, f"{r.km.n_events:,}", f"{r.km.n_censored:,}", _f(r.km.quantile(0.5), "{:.0f}"),
                        ", ".join(r.passing) or "none",
                        "its own" if cal.options.patience_by_type else "the pooled"]
                       for k, r in cal.patience_by_type.items()], "patience per call type (at least "
                      f"{cal.options.min_per_category} abandonments; "
                      + ("written into the scenario, --patience-by-type)" if cal.options.patience_by_type else
                         "the scenario holds the pooled patience; --patience-by-type writes each type's own)"))],
            figures=[Figure(fg.survival_figure(
                {"patience": cal.patience, **cal.patience_by_type},
                chosen={k: "exponential" for k in ["patience", *(cal.patience_by_type if cal.options.patience_by_type
                                                                 else [])]}
                if for_queue(p) or few_events(p) else None),
                "Patience: Kaplan-Meier vs fitted, all calls and per call type (the bold line: the family the "
                "scenario holds, or the best by AIC where it holds the curve or, for a call type, the pooled "
                "patience)")]),
    ]
    r = cj["retrial"]
    delay = r.get("delay_s") or {}
    figures: List[Figure] = []
    if cal.retrial_delay is not None:
        figures.insert(0, Figure(fg.fit_cdf_figure({"redial delay": cal.retrial_delays_s},
                                                   {"redial delay": cal.retrial_delay}),
                                 "Redial delay: empirical vs fitted CDF"))
    sections.append(Section("Redials and priorities", [
        f"Redials: {r['redials_identified']:,} of {r['abandoned_identified']:,} abandoned calls of identified callers "
        f"were followed by a call of the same caller within {r['window_h']:g} h ({_pct(r['share'])}); delay "
        f"{delay.get('family', 'n/a')}, mean {_f(delay.get('mean'), '{:,.0f} s')}; longest chain {r['max_chain']}.",
        f"Priorities: queued ahead in the scenario: {', '.join(cal.priority['queued_ahead']) or 'none'} "
        f"({cal.priority['rule']})."],
        tables=[Table(["priority", "marked by the log", "share of first attempts", "mean wait answered (s)",
                       "abandonment", "wait vs regular calls, same type and half-hour"],
                      [[k, "yes" if v["marked"] else "no", _pct(v["share"]), _f(v["mean_wait_answered_s"], "{:.1f}"),
                        _pct(v["abandon_share"]), _f(v["wait_vs_regular_same_type_and_half_hour"], "{:.2f}")]
                       for k, v in cal.priority["labels"].items()])],
        figures=figures))
    sections.append(_agents_section(cal))
    if cj.get("holdout"):
        from sim.calibrate.holdout_page import holdout_section

        sections.append(holdout_section(cj["holdout"], f"{cj['windows']['fit']['from']} to "
                                                       f"{cj['windows']['fit']['to']}"))
    if btj is not None:
        sections += _backtest_sections(cal, btj, Path(cj["scenario"]).stem)
    summary = (f"{a.per_day:,.0f} first attempts a day; handle time {cal.handle_pooled.chosen.family}, mean "
               f"{cal.handle_pooled.chosen.mean:.1f} s (sample mean {cal.handle_pooled.sample_mean:.1f} s); patience "
               + patience_held(p)
               + f", Kaplan-Meier median {_s(p['km_median'])}.")
    return render_page(name, summary, command, scenario_path, unidentified_calls(cal, cj), sections, cal.notes)


def _backtest_sections(cal: CallCalibration, btj: Dict[str, Any], name: str) -> List[Section]:
    cmp = btj["comparison"]
    level = format_level(cmp.get("confidence", 0.95))
    days = " + ".join(btj["weekdays"])
    wd = cmp["whole_day"]
    rows = [[k, _f(v["observed"], "{:.4g}"), _f(v["simulated"], "{:.4g}"),
             f"[{_f(v['ci_low'], '{:.4g}')}, {_f(v['ci_high'], '{:.4g}')}]", _f(v["error"], "{:+.4g}"),
             _f(cmp["series"][k]["weighted_mae"], "{:.3g}")] for k, v in wd.items()]
    half = [[h] + [f"{_f(cmp['series'][k]['observed'][i], '{:.3g}')} / {_f(cmp['series'][k]['simulated'][i], '{:.3g}')}"
                   for k in ("arrivals", "answered_share", "abandon_rate", "asa_s")] for i, h in
            enumerate(cmp["half_hours"])]
    sens = btj["sensitivity"]
    srows = [[_f(s["factor"], "{:g}")] + [f"{_f(s[k]['simulated'], '{:.3g}')} ({_f(s[k]['error'], '{:+.3g}')})"
                                          for k in ("answered_share", "abandon_rate", "asa_s")] for s in sens]
    avw = btj["abandonment_vs_wait"]
    exp_mean = cal.patience.fits["exponential"].mean
    best = btj["closest_abandonment_factor"]
    others = {f"simulated, staffing factor {best:g}": btj["abandonment_vs_wait_closest_factor"]} if best != 1.0 else {}
    return [
        Section(f"Back-test in sample: the scenario against the days it was fitted on ({days}, {btj['days']:.0f} "
                f"days)", [
            "In sample: the log compared here is the one the scenario was fitted on, so agreement is expected and "
            "says little about prediction (the hold-out, where given, does). "
            f"{btj['replications']} replications of the fit window (seed {btj['seed']}), staffing as fitted "
            f"(factor 1). Simulated values are the mean over replications with a {level} confidence interval (none "
            "with one replication); the error "
            "is simulated - observed; 'weighted MAE' averages the absolute error over the half-hours, weighted by "
            "the log's calls."],
            tables=[Table(["whole day", "log", "simulated", f"{level} CI", "error", "weighted MAE per half-hour"],
                          rows),
                    Table(["every day of the fit window", "log", "simulated", f"{level} CI", "error"],
                          [[k, _f(v["observed"], "{:.4g}"), _f(v["simulated"], "{:.4g}"),
                            f"[{_f(v['ci_low'], '{:.4g}')}, {_f(v['ci_high'], '{:.4g}')}]", _f(v["error"], "{:+.4g}")]
                           for k, v in btj["whole_window"].items()],
                          f"what {sim_command()} scenario={name} experiment.replications={btj['replications']} "
                          f"experiment.seed={btj['seed']} reproduces, the whole fit window, every weekday (a run "
                          "with the scenario's own replications and seed differs within the interval)"),
                    Table(["half-hour", "arrivals log / sim", "answered share", "abandonment", "ASA (s)"], half,
                          "per half-hour: log / simulated mean", collapsed=True)],
            figures=[Figure(fg.backtest_figure(cmp, f"Average {days} day: log vs simulated"),
                            "Back-test per half-hour"),
                     Figure(fg.abandonment_figure(avw, exp_mean, "exponential patience fitted to the log", others),
                            "Abandonment against mean wait per half-hour; with exponential patience the points lie "
                            "on the line through the origin of slope 1/mean patience")]),
        Section("Diagnostic: a staffing factor fitted to the outcome (fit window only)", [
            "The measured plan multiplied by each factor (staffing.headcount_factor), simulated over the fit window "
            "and compared with its outcome: a factor chosen this way is fitted to the abandonment it is then compared "
            f"with, so it is shown as a diagnostic only. The fit window's abandonment is matched most closely at "
            f"factor {btj['closest_abandonment_factor']:g}; the scenario keeps factor 1 (the measured plan), and no "
            "factor is ever written into it."],
            tables=[Table(["factor", "answered share (error)", "abandonment (error)", "ASA s (error)"], srows)],
            figures=[Figure(fg.sensitivity_figure(sens), "Whole-day KPIs against the staffing factor")]
            + ([Figure(fg.backtest_figure(btj["comparison_closest_factor"], f"Average {days} day: log vs simulated "
                                          f"with staffing factor {best:g}"),
                       f"Back-test per half-hour with the staffing plan x {best:g}")] if best != 1.0 else [])),
    ]


def headline(cj: Dict[str, Any]) -> List[str]:
    """Lines printed at the end of the command."""
    h, p = cj["handle_s"], cj["patience_s"]
    out = [f"calls per day (first attempts): {cj['calls_per_day']:,.1f}; per weekday: "
           + ", ".join(f"{k} {v:,.0f}" for k, v in cj["calls_per_weekday"].items()),
           f"handle time: {h['family']}, mean {h['mean']:.1f} s (sample mean {h['sample_mean']:.1f} s)",
           "patience: " + patience_held(p)
           + f", Kaplan-Meier median {_s(p['km_median'])}"]
    pj = cj.get("pickup_delay_s")
    out.append("pickup delay (calls.pickup_delay_s): " + (
        f"{_pct(pj['answered_at_once'])} of {pj['calls']:,} calls that found an agent idle answered at once, the "
        f"others after a median {_s(pj['median_s_of_the_others'])}" if pj else "none"))
    b = cj.get("backtest")
    if b:
        wd = b["comparison"]["whole_day"]
        out.append("back-test (factor 1): " + ", ".join(
            f"{k} log {v['observed']:.3g} sim {v['simulated']:.3g}" for k, v in wd.items() if k != "mean_wait_s")
            + f"; closest abandonment at factor {b['closest_abandonment_factor']:g} (a diagnostic, not applied)")
    h = cj.get("holdout")
    if b and not h:
        out.append("hold-out: none (the back-test above is in sample; --holdout-from/--holdout-to predict days the "
                   "fit did not see)")
    if h:
        e = h["errors"]

        def mae(who: str, k: str, scale: float = 1.0, unit: str = "") -> str:
            v = e[who][k]["mae"]
            return "n/a" if v is None else f"{scale * v:.1f}{unit}"

        out.append(f"hold-out {h['window']['from']}..{h['window']['to']}, MAE per half-hour: abandonment simulated "
                   f"{mae('simulated', 'abandon_rate', 100, ' pts')}, Erlang A {mae('erlang_a', 'abandon_rate', 100)}, "
                   f"noise floor {mae('noise_floor', 'abandon_rate', 100)}; ASA simulated "
                   f"{mae('simulated', 'asa_s', unit=' s')}, Erlang A {mae('erlang_a', 'asa_s', unit=' s')}, noise "
                   f"floor {mae('noise_floor', 'asa_s', unit=' s')}; service level simulated "
                   f"{mae('simulated', 'service_level', 100, ' pts')}, Erlang A "
                   f"{mae('erlang_a', 'service_level', 100)}, noise floor {mae('noise_floor', 'service_level', 100)}")
    return out


__all__ = ["backtest_calls", "calls_page", "headline", "unidentified_calls"]
