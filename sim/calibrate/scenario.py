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

from sim.calibrate.calls import CallCalibration
from sim.calibrate.fitting import FitReport

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


def calls_scenario(cal: CallCalibration, name: str, command: str) -> str:
    """The scenario file of a call-log calibration (see the module docstring)."""
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
    p = cal.patience
    pc = p.chosen
    km_median = p.km.quantile(0.5)
    patience_note = (f"{src}: {p.km.n_events:,} abandonments (events) and {p.km.n_censored:,} answered or open "
                     f"waits (censored); censored maximum likelihood, {pc.family} by AIC; Kaplan-Meier median "
                     f"{'%.0f s' % km_median if km_median is not None else 'not reached'}")
    counted = ("agents with a service in each half-hour" if cal.agents_counted == "agents seen"
               else "most services in progress at once in each half-hour (no agent codes)")
    plan_note = (f"{src}: {counted}, mean over the days of each weekday (Monday first); a LOWER BOUND - idle "
                 f"agents and after-call work leave no trace")
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
            Item("patience_s", _round_spec(pc.spec()), patience_note),
            Item("priority_classes", ["utilities"] if ahead else [],
                 f"{src}: priority labels queued ahead: {', '.join(ahead) or 'none'} "
                 f"({cal.priority['rule']})"),
            Item("retrial", children=retrial_items)]),
        Item("staffing", children=[
            Item("half_hourly", cal.agents_half_hourly, plan_note),
            Item("shrinkage", 0.0, "the plan counts agents seen serving calls, already net of absences")]),
        Item("experiment", children=[
            Item("horizon_h", n_days * 24, f"the log's {n_days} days"),
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
        urg.value = {"general": round(1.0 - q, 9), "utilities": round(q, 9)} if 0 < q < 1 else (
            {"utilities": 1.0} if q >= 1 else {"general": 1.0})
        urg.comment = "the model's class 'utilities' stands for the log's priority labels queued ahead"
