"""Writing a calibrated scenario: plain YAML in which every fitted number says where it came from.

The scenario files' loader (:mod:`sim.config.scenario_files`) accepts plain data
only, so the writer emits plain YAML itself - block mappings, flow lists and
flow mappings of numbers and quoted text - with a comment after each fitted
value naming the log, the rows and dates used and the estimator.  PyYAML's
dumper cannot write comments; the output is read back through the guarded
loader and composed before it is kept.

:func:`calls_scenario` builds the scenario of a call-log calibration; the request
log's is built in :mod:`sim.calibrate.requests` with the same :class:`Item` tree.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

from sim.calibrate.calls import (
    MIN_SHAPE_EVENTS,
    CallCalibration,
    exponential_reason,
    patience_written,
    pickup_json,
)
from sim.calibrate.fitting import FitReport
from sim.calibrate.survival import CensoredReport, empirical_values

Value = Union[None, bool, int, float, str, List[Any], Dict[str, Any], List["Item"]]


@dataclass
class Item:
    """One ``key: value  # comment`` line, or a block mapping when ``children`` is given."""

    key: str
    value: Value = None
    comment: str = ""
    children: Optional[List["Item"]] = None
    before: List[str] = field(default_factory=list)  # comment lines above the key


def scalar(v: Any) -> str:
    """A YAML 1.2 scalar for ``v`` (numbers plain, text double-quoted)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write {v} in a scenario")
        return repr(v) if abs(v) >= 1e15 or v == int(v) else f"{v:.9g}"
    text = str(v)
    if re.fullmatch(r"[a-z][a-z_]*", text) and text not in _RESERVED_WORDS:
        return text  # a family or class name: plain
    return json.dumps(text, ensure_ascii=False)


#: Plain words other YAML readers (YAML 1.1) would not read as text.
_RESERVED_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}


def flow(v: Any) -> str:
    """A flow-style YAML value (lists and mappings on one line)."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(flow(x) for x in v) + "]"
    return scalar(v)


def key(k: str) -> str:
    """A mapping key: bare when it is a plain identifier, quoted otherwise."""
    return k if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) else json.dumps(k)


def emit(items: List[Item], indent: int = 0) -> List[str]:
    """The YAML lines of ``items``."""
    pad = " " * indent
    out: List[str] = []
    for it in items:
        out += [f"{pad}# {line}" for line in it.before]
        note = f"  # {it.comment}" if it.comment else ""
        if it.children is not None:
            out.append(f"{pad}{key(it.key)}:{note}")
            out += emit(it.children, indent + 2)
        else:
            out.append(f"{pad}{key(it.key)}: {flow(it.value)}{note}")
    return out


def render(header: List[str], items: List[Item]) -> str:
    """The whole file: header comment lines, then the items."""
    return "\n".join([*(f"# {h}" if h else "#" for h in header), *emit(items)]) + "\n"


def slug(name: str) -> str:
    """A key usable on the command line (``categories.<slug>.share``)."""
    s = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
    return s if s and not s[0].isdigit() else f"c_{s}"


def dist_value(rep: FitReport) -> Dict[str, Any]:
    """The chosen fit of ``rep`` as a scenario distribution, rounded for the file."""
    spec = rep.chosen.spec()
    return {k: (round(v, 6 - int(math.floor(math.log10(abs(v)))) - 1) if isinstance(v, float) and v else v)
            for k, v in spec.items()}


def _dist_comment(src: str, rep: FitReport, what: str) -> str:
    c = rep.chosen
    return (f"{src}: {rep.n:,} {what}; {c.family} by AIC among exponential/lognormal/gamma/weibull, maximum "
            f"likelihood with the mean held at the sample mean ({rep.sample_mean:.1f}); KS D {c.gof:.3f}")


def patience_value(rep: CensoredReport, written: str) -> Dict[str, Any]:
    """A censored fit as a scenario distribution: ``written`` is :func:`sim.calibrate.calls.patience_written`'s
    choice (a family's fit, or ``"empirical"``: the Kaplan-Meier curve's quantiles)."""
    if written == "empirical":
        return {"dist": "empirical", "values": [float(v) for v in empirical_values(rep)]}
    return _round_spec(rep.fits[written].spec())


def _patience_comment(src: str, rep: CensoredReport, what: str, written: str, reason: Optional[str]) -> str:
    km_median = rep.km.quantile(0.5)
    how = ("exponential, its rate the abandonments per second waited: the patience depends on the queue the "
           "caller found (log-rank test, calibration.html), which no one curve fits" if reason == "queue" else
           f"exponential, its rate the abandonments per second waited: fewer than {MIN_SHAPE_EVENTS} abandonments "
           "leave any other shape unidentified" if reason == "few" else
           f"{rep.chosen.family} (AIC among the families within 4 standard errors of the Kaplan-Meier curve)"
           if written != "empirical" else
           f"no family within 4 standard errors of the Kaplan-Meier curve: 200 quantiles of the curve, "
           f"{rep.chosen.family} tail (AIC) beyond its last {rep.min_at_risk} at risk")
    return (f"{src}: {rep.km.n_events:,} abandonments (events) and {rep.km.n_censored:,} answered or open waits "
            f"(censored) of {what}; censored maximum likelihood; {how}; Kaplan-Meier median "
            f"{'%.0f s' % km_median if km_median is not None else 'not reached'}")


def _patience_item(cal: CallCalibration, rep: CensoredReport, src: str, what: str) -> Item:
    """``patience_s``: what :func:`sim.calibrate.calls.patience_written` chooses for ``rep``, with its comment."""
    written = patience_written(cal, rep)
    return Item("patience_s", patience_value(rep, written),
                _patience_comment(src, rep, what, written, exponential_reason(cal, rep)))


def pickup_items(cal: CallCalibration, src: str) -> List[Item]:
    """``calls.pickup_delay_s``: the Kaplan-Meier curve of the pickup delay (:func:`sim.calibrate.calls.pickup_delay`)
    as 200 equally likely values; none when the log cannot identify it."""
    pj = pickup_json(cal)
    if pj is None or cal.pickup is None:
        return []
    later = pj["median_s_of_the_others"]
    return [Item("pickup_delay_s", {"dist": "empirical", "values": [float(v) for v in empirical_values(cal.pickup)]},
                 f"{src}: {pj['calls']:,} calls that came while an agent of their team sat idle between services and "
                 f"no other caller waited: {pj['answered_at_once']:.0%} answered at once, the others after a median "
                 f"{'%.0f s' % later if later is not None else 'beyond the log'}; Kaplan-Meier curve, each wait cut "
                 f"at the team's next service end; 200 quantiles")]


def calls_scenario(cal: CallCalibration, name: str, command: str, patience_by_type: bool = False) -> str:
    """The scenario file of a call-log calibration (see the module docstring); with ``patience_by_type`` each call
    type with a patience fit of its own gets it (``categories.<type>.patience_s``)."""
    log = cal.log
    info = log.info
    a = cal.arrivals
    dates = f"{info.first[:10]}..{info.last[:10]}"
    src = f"{info.path} ({dates})"
    n_days = int(math.floor(float(log.arrive_local_s.max()) / 86400.0)) + 1
    assert info.start_date is not None
    start_weekday = info.start_date.weekday()
    runs = len(log.end_s)
    first = int(cal.first.sum())
    per_day_note = (f"{src}: {first:,} first attempts of {log.n:,} calls offered to agents ({log.n - first:,} "
                    f"identified redials left out{', less the unseen ones' if cal.retrial['share'] > 0 else ''}); "
                    f"mean over the weekdays of (arrivals / hours covered) summed over each weekday's hours")
    types = ", ".join(f"{n} ({len(t)} weekday{'s' if len(t) > 1 else ''})" for n, t in zip(a.type_names(), a.types))
    week = "Monday 0:00 first, " if len(a.hourly_profile) > 24 else ""
    profile_note = (f"{src}: {len(a.hourly_profile)} weights ({week}"
                    f"weekday types {types}); share of each hour in its day type, arrivals / hours covered; an hour "
                    f"without arrivals is 0 (closed)")
    cats: List[Item] = []
    for cname, share in cal.shares.items():
        rep = cal.handle.get(cname)
        kids = [Item("share", round(share, 6), f"{src}: {int(round(share * first)):,} of {first:,} first attempts"),
                Item("direct_share", 1.0, "a call log has no work orders: every call is answered directly"),
                Item("urgency", {"general": 1.0})]
        if rep is not None:
            kids.append(Item("handle_s", dist_value(rep), _dist_comment(src, rep, f"services of {cname}")))
        own = cal.patience_by_type.get(cname)
        if patience_by_type and own is not None:
            kids.append(_patience_item(cal, own, src, f"calls of {cname}"))
        cats.append(Item(slug(cname), children=kids))
    fix_shares(cats)
    ahead = cal.priority["queued_ahead"]
    retrial = cal.retrial
    retrial_items = [Item("probability", round(min(retrial["share"], 1.0), 6),
                          f"{src}: {retrial['redials_identified']:,} of {retrial['abandoned_identified']:,} abandoned "
                          f"calls of identified callers followed by a call within {retrial['window_h']:g} h")]
    if retrial["share"] > 0 and cal.retrial_delay is not None:
        retrial_items += [Item("delay_s", dist_value(cal.retrial_delay),
                               _dist_comment(src, cal.retrial_delay, "redial delays (abandonment to the next call)")),
                          Item("max_retrials", max(int(retrial["max_chain"]), 1),
                               f"{src}: the longest chain of redials seen")]
    factor_note = (f"{src}: mean handle time of the calls arriving in each half-hour / the mean of all, shrunk towards "
                   f"1 with the weight of 100 services (48 values, every day alike)")
    items = [
        Item("description", f"Calibrated from {info.path} ({info.format} format, {dates})"),
        Item("arrivals", children=[
            Item("phone", children=[
                Item("per_day", round(a.per_day, 3), per_day_note),
                Item("hourly_profile", [round(v, 6) for v in a.hourly_profile], profile_note),
                Item("day_cv", round(a.day_cv, 4), f"{src}: {a.full_days} whole days; method of moments of a gamma "
                                                   f"day multiplier (includes any trend over the log's weeks)")]),
            Item("online", children=[Item("per_day", 0, "a call log has no online submissions")]),
            Item("day_of_week", [round(v, 5) for v in a.day_of_week],
                 f"{src}: each weekday's expected arrivals / per_day, Monday first")]),
        Item("categories", children=cats, before=[f"call types of the log, shares of first attempts ({src})"]),
        Item("calls", children=[
            Item("handle_s", dist_value(cal.handle_pooled),
                 _dist_comment(src, cal.handle_pooled, "services, all types") + "; talk time only (no after-call "
                                                                                  "work in the log)"),
            Item("handle_factor_half_hourly", [round(v, 4) for v in cal.handle_factor], factor_note),
            _patience_item(cal, cal.patience, src, "all calls"),
            *pickup_items(cal, src),
            Item("priority_classes", ["utilities"] if ahead else [],
                 f"{src}: priority labels queued ahead: {', '.join(ahead) or 'none'} "
                 f"({cal.priority['rule']})"),
            Item("retrial", children=retrial_items)]),
        *staffing_items(cal, src),
        Item("experiment", children=[
            Item("horizon_h", n_days * 24, f"the log's {n_days} day{'s' if n_days != 1 else ''}"),
            Item("start_weekday", start_weekday, f"{info.start_date.isoformat()} is a "
                                                 f"{info.start_date.strftime('%A')}"),
            Item("replications", max(5, runs))]),
    ]
    if ahead:
        _priority_urgency(cal, cats, ahead)
    header = [f"Scenario {name}: calibrated by `{command}`.",
              f"Log: {info.path}, format {info.format}: {info.rows:,} rows, {log.n:,} calls offered to agents "
              f"({f'{info.not_offered:,} {info.not_offered_reason}; ' if info.not_offered else ''}"
              f"{info.skipped:,} rows skipped as unreadable),",
              f"from {info.first} to {info.last}" + (f", {runs} runs" if runs > 1 else "") + ".",
              "Every fitted number names its source and estimator; the report with the figures and the back-test",
              f"is reports/calibration/{name}/calibration.html.  Not in a call log: after-call work, idle agents.", ""]
    return render(header, items)


def staffing_items(cal: CallCalibration, src: str) -> List[Item]:
    """``staffing`` (one team) or ``routing`` with a group per team and the call types' skills, each plan the
    agents available measured (:mod:`sim.calibrate.agents`), 336 values."""
    est = (f"{src}: agents available, measured (presence from consecutive services, a gap over "
           f"{cal.availability.gap_s / 60:g} min off duty; available while talking or idle with no caller of "
           f"the team's call types waiting); per weekday and half-hour the certainty equivalent of the dates (Erlang A "
           f"on the mean day loses the share it loses over the dates), Monday first")
    shrink = Item("shrinkage", 0.0, "the plan counts agents available, already net of absences and other work")
    if len(cal.plans) == 1:
        plan = next(iter(cal.plans.values()))
        return [Item("staffing", children=[Item("half_hourly", [round(v, 3) for v in plan], est), shrink])]
    groups = [Item(team, children=[Item("half_hourly", [round(v, 3) for v in plan], est)])
              for team, plan in cal.plans.items()]
    skills = [Item(slug(c), groups) for c, groups in cal.teams.skills.items() if slug(c) in
              {slug(x) for x in cal.shares}]
    return [Item("staffing", children=[shrink]),
            Item("routing", children=[
                Item("groups", children=groups, before=[f"teams of the log's agents ({cal.teams.rule})"]),
                Item("skills", children=skills),
                Item("overflow_after_s", 0.0, "a call type's second team may take it at once (the log cannot show "
                                              "a delay)")])]


def _round_spec(spec: Dict[str, Any]) -> Dict[str, Any]:
    return {k: (float(f"{v:.6g}") if isinstance(v, float) else v) for k, v in spec.items()}


def fix_shares(cats: List[Item]) -> None:
    """Make the rounded category shares sum to exactly 1 (the largest absorbs the rounding)."""
    shares = [c.children[0] for c in cats if c.children]
    if not shares:
        return
    total = sum(number(s.value) for s in shares)
    big = max(shares, key=lambda s: number(s.value))
    big.value = round(number(big.value) + 1.0 - total, 12)


def number(v: Value) -> float:
    """The number held by an item's value."""
    assert isinstance(v, (int, float)) and not isinstance(v, bool)
    return float(v)


def _priority_urgency(cal: CallCalibration, cats: List[Item], ahead: List[str]) -> None:
    """Give each category the share of its calls with a label queued ahead as urgency class ``utilities``."""
    log = cal.log
    codes = [log.priorities.index(label) for label in ahead]
    for item, cname in zip(cats, cal.shares):
        c = log.categories.index(cname)
        mine = cal.first & (log.category == c)
        q = float(sum(int((mine & (log.priority == k)).sum()) for k in codes) / max(int(mine.sum()), 1))
        assert item.children is not None
        urg = next(k for k in item.children if k.key == "urgency")
        # every class of the schema's default is written: a mapping in a scenario is merged into the default one, so
        # {utilities: 1.0} alone would compose to {general: 1.0, utilities: 1.0}
        urg.value = {"general": round(1.0 - min(q, 1.0), 9), "utilities": round(min(q, 1.0), 9)} if q > 0 else {
            "general": 1.0}
        urg.comment = "the model's class 'utilities' stands for the log's priority labels queued ahead"
