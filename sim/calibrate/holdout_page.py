"""The hold-out on the calibration page: what was predicted from what, the errors beside the baselines, a figure.

:func:`holdout_section` lays out ``calibration.json`` -> ``holdout``
(:mod:`sim.calibrate.holdout`); :func:`holdout_figure` draws, per half-hour of
the day pooled over the hold-out dates, the observed abandonment rate, ASA,
service level and calls offered beside the simulation, Erlang A and persistence;
:func:`holdout_markdown` writes the errors as the Markdown table docs/calibration.md
quotes (:mod:`sim.calibrate.docfigures`; tests/e2e/test_calibrate_shared_data.py checks it against the
documented command).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from sim.calibrate.page import Figure, Section, Table

ROWS = (("simulated", "simulation"), ("erlang_a", "Erlang A, same inputs"),
        ("persistence", "persistence (nearest fit dates, as they were)"),
        ("noise_floor", "noise floor (day bootstrap of the hold-out)"),
        ("simulated_with_redial_loop", "diagnostic: simulation fed first attempts, with its redial loop"))
UNITS = {"abandon_rate": ("abandonment", 100.0, "{:.1f} pts"), "asa_s": ("ASA", 1.0, "{:.1f} s"),
         "service_level": ("service level", 100.0, "{:.1f} pts"), "offered": ("calls offered a day", 1.0, "{:.1f}")}
_COLOURS = {"observed": "#222222", "simulated": "#1f77b4", "erlang_a": "#d62728", "persistence": "#2ca02c"}


def _cell(err: Optional[Dict[str, Any]], kpi: str) -> str:
    if not err or err.get("mae") is None:
        return "n/a"
    _, k, fmt = UNITS[kpi]
    return f"{fmt.format(k * err['mae'])} ({k * err['bias']:+.1f})"


def error_rows(h: Dict[str, Any]) -> List[List[str]]:
    """One row per predictor: MAE (bias) of each KPI."""
    return [[label] + [_cell(h["errors"][key].get(k), k) for k in UNITS] for key, label in ROWS if key in h["errors"]]


def holdout_markdown(h: Dict[str, Any]) -> str:
    """The errors as a Markdown table (the one docs/calibration.md quotes)."""
    head = ["", *(f"{UNITS[k][0]}: MAE (bias)" for k in UNITS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in error_rows(h)]
    note = _empty_queue(h)
    return "\n".join(lines + (["", *note] if note else []))


def holdout_figure(h: Dict[str, Any], title: str) -> bytes:
    """Four panels per half-hour: observed, simulated, Erlang A and persistence."""
    from sim.calibrate.figures import _plt, _png

    plt = _plt()
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.6))
    x = np.array([int(t[:2]) + int(t[3:]) / 60.0 for t in h["half_hours"]]) + 0.25

    def arr(v: List[Any]) -> np.ndarray:
        return np.array([np.nan if e is None else e for e in v], dtype=float)

    for ax, k in zip(axes.ravel(), UNITS):
        name, scale, _ = UNITS[k]
        for series, colour in _COLOURS.items():
            style = dict(marker="o", ms=3, lw=0.8) if series == "observed" else dict(lw=1.5)
            label = {"observed": "log", "simulated": "simulation", "erlang_a": "Erlang A",
                     "persistence": "persistence"}[series]
            err = h["errors"].get(series, {}).get(k) if series != "observed" else None
            if err and err.get("mae") is not None:
                label += f" (MAE {UNITS[k][2].format(scale * err['mae'])})"
            ax.plot(x, scale * arr(h[k][series]), color=colour, label=label, **style)
        ax.set_title(name + (" (%)" if scale == 100.0 else " (s)" if k == "asa_s" else ""), fontsize=9)
        ax.set_xlim(h["hours"][0], h["hours"][1])
        ax.set_xticks(range(h["hours"][0], h["hours"][1] + 1, 2))
        ax.set_xlabel("time of day (h)")
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return _png(fig)


def _empty_queue(h: Dict[str, Any]) -> List[str]:
    """The paragraph on the service level: callers who find nobody waiting (``holdout.empty_queue``)."""
    q = h.get("empty_queue") or {}
    bias = h["errors"]["simulated"]["service_level"]["bias"]
    if q.get("share_of_calls") is None or bias is None:
        return []
    return [f"Service level. Of the hold-out's calls, {100 * q['share_of_calls']:.0f}% arrived while no other caller "
            f"waited; the log answered {100 * q['answered_at_once']:.0f}% of them at once, and the others after a "
            f"median {q['median_wait_s_of_the_others'] or 0:.0f} s, so that {100 * q['within_threshold']:.0f}% were "
            f"answered within {h['threshold_s']:g} s: the log's idle agents are not always ready the moment a call "
            "comes (after-call work outside the talk time, breaks between calls). "
            + f"Answered at once, these callers would raise the log's service level by "
            f"{100 * q['service_level_points']:.1f} points: a simulation whose operators pick up at once is biased by "
            "about that much. "
            + ("In this simulation a caller who finds an operator free waits the pickup delay (calls.pickup_delay_s), "
               "measured on the fit window's calls that found an agent idle between services, each wait cut at the "
               f"team's next service end (so its figures differ from these): its bias is {100 * bias:+.1f} points."
               if h.get("pickup_delay") else
               f"This simulation has no calls.pickup_delay_s: its bias is {100 * bias:+.1f} points.")]


def holdout_section(h: Dict[str, Any], fit_label: str) -> Section:
    """The page's hold-out section."""
    w = h["window"]
    days = f"{w['from']} to {w['to']} ({', '.join(w['weekdays'])})"
    inputs = h["inputs"]
    agents = ", ".join(f"{t} {v:,.0f}" for t, v in inputs["agent_hours_available"].items())
    sim, ea = h["errors"]["simulated"], h["errors"]["erlang_a"]
    verdict = []
    for k in ("abandon_rate", "asa_s", "service_level"):
        if sim[k]["mae"] is not None and ea[k]["mae"] is not None:
            verdict.append(f"{UNITS[k][0]}: simulation {_cell(sim[k], k).split(' (')[0]}, Erlang A "
                           f"{_cell(ea[k], k).split(' (')[0]}, noise floor "
                           f"{_cell(h['errors']['noise_floor'][k], k).split(' (')[0]}")
    half = [[t] + [" / ".join("n/a" if h[k][s][i] is None else f"{UNITS[k][1] * h[k][s][i]:.3g}"
                              for s in ("observed", "simulated", "erlang_a", "persistence")) for k in UNITS]
            for i, t in enumerate(h["half_hours"])]
    return Section(f"Hold-out: predicting {days}, days the calibration did not see", [
        f"The scenario was fitted on {fit_label} only. The hold-out days are simulated ({h['replications']} "
        f"replications, seed {h['seed']}) as a dated scenario, each date with what a planner knows of it: its "
        f"calls offered per half-hour and call type ({inputs['calls_offered']:,.0f} calls, first attempts and "
        f"redials alike, so the redial loop is off) and its agents available per half-hour, measured as on the "
        f"fit window (agent-hours: {agents}); handle times, their time-of-day profile, patience and the teams "
        "come from the fit window. "
        "Erlang A gets the same inputs per date and half-hour (exponential patience: its own assumption); "
        "persistence predicts each hold-out date by the fit date nearest to it on the same weekday, as it was; the "
        f"noise floor is the error of a day bootstrap of the hold-out dates ({h['bootstrap_draws']} draws): what a "
        "perfect model would still miss (a rate's over the half-hours with calls on two dates or more; n/a with one "
        "date)." + ("" if any(h["persistence_dates"]) else " No fit date shares a weekday with the hold-out: no "
                    "persistence."),
        f"Errors per half-hour from {h['hours'][0]:02d}:00 to {h['hours'][1]:02d}:00, pooled over the hold-out "
        f"dates, weighted by the calls offered: mean absolute error, with the bias (predicted - observed) in "
        f"brackets; service level: answered within {h['threshold_s']:g} s over calls ended. Mean absolute errors "
        "- " + "; ".join(verdict) + "."] + _empty_queue(h),
        tables=[Table(["predictor", *(f"{UNITS[k][0]}: MAE (bias)" for k in UNITS)], error_rows(h)),
                Table(["half-hour", *(f"{UNITS[k][0]}: log / sim / Erlang A / persistence" for k in UNITS)], half,
                      "per half-hour, pooled over the hold-out dates", collapsed=True)],
        figures=[Figure(holdout_figure(h, f"Hold-out {days}: log and predictions per half-hour"),
                        "Hold-out per half-hour: the log against the simulation, Erlang A and persistence")])
