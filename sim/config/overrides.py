"""Command-line overrides: each argument checked and named as typed, and what Hydra cannot apply as written.

Hydra applies ``key=value`` overrides in order, merging each value into the composed configuration; the
values are checked afterwards, by the schema's models (:mod:`sim.config.errors`, which name the argument
as typed: :func:`sim.config.errors.as_typed`).  :func:`prepare_overrides` keeps what Hydra cannot do by
itself, for the command line and :func:`sim.api.compose_config` alike:

* an error names the argument as typed: each is parsed on its own, its key looked up in the schema
  (:func:`sim.config.tree.lookup`: an unknown key with a suggestion); deletions (``~``), ``@package`` and a
  key given twice are refused;
* the scenario(s) the command uses must have what an override names: an entry of a mapping (a category,
  a unit type) must exist unless the key starts with ``+``, a list position must exist, and a field of an
  unset (null) distribution cannot be set alone;
* rewrites: a distribution given with its family replaces the scenario's as a whole (the parameters it
  does not give become null, as in scenario files), and a mapping given whole, or a key below an entry an
  earlier override added, is applied with ``++`` (it may add keys).

Keys under ``hydra`` (``hydra.*``, ``hydra/launcher=...``) are Hydra's and pass unchanged.  Hydra records the
rewritten overrides (``.hydra/overrides.yaml``); :func:`shown_overrides` shows them as they were given, for the
pages and the terminal.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Set

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, Quote, QuotedString, ValueType
from hydra.errors import OverrideParseException

from sim.config.fields import DIST_PARAMS
from sim.config.hydra_setup import plan_form_overrides
from sim.config.scenario_files import ScenarioSet
from sim.config.tree import Path, Violation, dotted, lookup
from sim.core.errors import ConfigError

_KEY = re.compile(r"^[A-Za-z_][\w-]*(?:\.[\w-]+)*$")
_DIST_EXAMPLE = "{dist:exponential,mean:300}"
_WORDS = {"true", "false", "null", "nan", "inf"}  # names Hydra's grammar reads as values, not text


@dataclass
class _Arg:
    text: str  # as typed
    ov: Override

    @property
    def key(self) -> str:
        return self.ov.key_or_group

    @property
    def hydra(self) -> bool:
        return self.key == "hydra" or self.ov.is_hydra_override()

    def error(self, rule: str, key: Optional[str] = None) -> ConfigError:
        return ConfigError(key or self.key, self.text, rule, shown=self.text)

    def values(self) -> Optional[List[Any]]:
        """The plain values: one, or each value of a list or range sweep; None for other sweeps."""
        if not self.ov.is_sweep_override():
            return [self.ov.value()]
        if self.ov.is_discrete_sweep() and self.ov.value_type is not ValueType.GLOB_CHOICE_SWEEP:
            parser = OverridesParser.create()
            return [parser.parse_overrides([f"k={v}"])[0].value() for v in self.ov.sweep_string_iterator()]
        return None


def _parse(text: str, parser: OverridesParser) -> _Arg:
    if "=" not in text and not text.startswith("~"):
        raise ConfigError(text, text, "not an override: write key=value, e.g. staffing.operators=650", shown=text)
    try:
        ov = parser.parse_overrides([text])[0]
    except OverrideParseException as exc:
        why = " ".join(str(exc).split("\n")[0].split())
        raise ConfigError(text, text, f"cannot parse ({why}); write lists as [1,2,3], mappings as {{a:1,b:2}}, "
                                      "and quote text holding spaces, commas or brackets", shown=text) from None
    arg = _Arg(text, ov)
    if not arg.key or not (_KEY.match(arg.key) or (arg.hydra and "/" in arg.key)):
        raise arg.error("not an override: the key before = must be a dotted name such as staffing.operators")
    if arg.hydra:
        return arg
    if ov.package is not None:
        raise arg.error("@package is not supported: give the full dotted key")
    if ov.is_delete():
        raise arg.error("deleting a key (~) is not supported: every key keeps a value (the scenario's or the "
                        "schema default); set the value you want instead, e.g. calls.retrial.probability=0")
    return arg


def _text(value: Any) -> str:
    """Hydra override syntax of a plain value; text is quoted unless it is a plain name (so '5' stays text)."""
    if isinstance(value, str):
        if re.fullmatch(r"[A-Za-z_][\w-]*", value) and value.lower() not in _WORDS:
            return value
        return QuotedString(text=value, quote=Quote.double if "'" in value and '"' not in value else
                            Quote.single).with_quotes()
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_text(v) for v in value) + "]"
    return "null" if value is None else str(value)


def _whole(value: Any) -> Any:
    """A distribution given with its family, with the parameters it does not give set to null."""
    if isinstance(value, dict) and isinstance(value.get("dist"), str):
        return {**value, **{p: value.get(p) for p in DIST_PARAMS}}
    return value


def scenario_choices(args: Sequence[str], default: str, names: Sequence[str]) -> List[str]:
    """The scenarios a command uses: its ``scenario=...`` argument's (one name, a list or glob(...) sweep)."""
    chosen = [default]
    for arg in [_parse(a, OverridesParser.create()) for a in args if a.lstrip("+").startswith("scenario=")]:
        ov = arg.ov
        if ov.value_type is ValueType.GLOB_CHOICE_SWEEP:
            chosen = list(ov.value().filter(list(names)))  # type: ignore[union-attr]
            continue
        values = arg.values()
        if values is None or ov.is_range_sweep():
            raise arg.error("a scenario sweep lists names: scenario=a,b (or glob(*))")
        chosen = [str(v) for v in values]
    return chosen


def _at(data: Any, part: Any) -> Any:
    if isinstance(data, dict):
        return data.get(part, _ABSENT)
    if isinstance(data, list) and isinstance(part, int):
        return data[part] if part < len(data) else _ABSENT
    return _ABSENT


_ABSENT = object()


def _check_place(arg: _Arg, path: Path, kinds: List[Any], nodes: Dict[str, Any], added: Set[Path]) -> bool:
    """Check that each scenario used has what ``path`` names; return whether it goes below an added entry."""
    for name, node in nodes.items():
        data = node
        for i, part in enumerate(path):
            if path[:i + 1] in added:
                return True
            parent, data = data, _at(data, part)
            if data is _ABSENT and kinds[i][0] == "list":
                raise arg.error(f"{dotted(path[:i])} has {len(parent)} item(s) in scenario '{name}': no position "
                                f"{part}; give the whole list instead")
            if data is _ABSENT and not (arg.ov.is_add() or arg.ov.is_force_add()):
                have = sorted(parent) if isinstance(parent, dict) else []
                close = difflib.get_close_matches(str(part), have, n=1)
                hint = f"did you mean {dotted(path[:i] + (close[0],))}? " if close else ""
                raise arg.error(f"scenario '{name}' has no {dotted(path[:i + 1])} ({hint}{dotted(path[:i])} has: "
                                f"{', '.join(have) or 'nothing'}); to add it write +{arg.text}")
            if data is _ABSENT:
                added.add(path[:i + 1])
                return True
            if data is None and (i < len(path) - 1 or any(isinstance(v, dict) and "dist" not in v
                                                          for v in arg.values() or [])) \
                    and kinds[i + 1][0] == "record":
                target = dotted(path[:i + 1])
                raise arg.error(f"{target} is unset (null) in this scenario, so it cannot be given in part; set the "
                                f"whole distribution, e.g. {target}={_DIST_EXAMPLE}")
            if data is None:
                break
        if arg.ov.is_add() and data is not _ABSENT and data is not None and not all(
                isinstance(v, (dict, list)) for v in arg.values() or []):
            raise arg.error(f"{dotted(path)} already has a value; to change it, drop the +: {arg.text[1:]}")
    return False


def as_given(recorded: str) -> str:
    """A recorded override (``.hydra/overrides.yaml``) shown as it was given: the rewrite of
    :func:`prepare_overrides` undone - the ``++`` it adds, and the parameters a distribution given with its
    family did not give (null).  Other text, and text that does not parse, is returned unchanged.

    Examples
    --------
    >>> as_given("++calls.patience_s={dist:exponential,mean:90,cv:null,median:null}")
    'calls.patience_s={dist:exponential,mean:90}'
    """
    if not recorded.startswith("++"):
        return recorded
    try:
        ov = OverridesParser.create().parse_overrides([recorded])[0]
    except OverrideParseException:
        return recorded
    values = _Arg(recorded, ov).values()
    if values is None:
        return recorded
    shown = [{k: v for k, v in x.items() if not (k in DIST_PARAMS and v is None)}
             if isinstance(x, dict) and isinstance(x.get("dist"), str) else x for x in values]
    return f"{ov.key_or_group}={','.join(_text(v) for v in shown)}"


def shown_overrides(recorded: Sequence[str]) -> List[str]:
    """Recorded overrides (``.hydra/overrides.yaml``, Hydra's task overrides) as the command line gave them: each
    through :func:`as_given`, without the plan forms :func:`sim.config.hydra_setup.plan_form_overrides` appended
    (``staffing.shifts=[]`` after ``staffing.operators=40``).

    Examples
    --------
    >>> shown_overrides(["staffing.operators=40", "staffing.half_hourly=[]", "staffing.shifts=[]"])
    ['staffing.operators=40']
    """
    recorded = [str(o) for o in recorded]
    typed = next((recorded[:k] for k in range(len(recorded) + 1) if plan_form_overrides(recorded[:k]) == recorded),
                 recorded)
    return [as_given(o) for o in typed]


def prepare_overrides(args: Sequence[str], scenarios: ScenarioSet, default_scenario: str) -> List[str]:
    """Check command-line overrides and rewrite them for Hydra (see the module's docstring).

    Parameters
    ----------
    args : sequence of str
        The overrides as typed, e.g. ``["scenario=rainstorm", "staffing.shrinkage=0.3"]``.
    scenarios : ScenarioSet
        The scenarios read (:func:`sim.config.hydra_setup.register`).
    default_scenario : str
        The scenario used when ``args`` names none.

    Returns
    -------
    list of str
        The overrides to hand to Hydra, in the same order.

    Raises
    ------
    ConfigError
        Naming the argument as typed and the rule it breaks; or the error of a broken scenario file the run uses.
    """
    parser = OverridesParser.create()
    parsed = [_parse(a, parser) for a in args]
    seen: Dict[str, str] = {}
    for arg in parsed:
        key = arg.key + (f"@{arg.ov.package}" if arg.ov.package else "")
        if key in seen:
            raise arg.error(f"{key} is given twice ({seen[key]} and {arg.text}); give each key once")
        seen[key] = arg.text
    names = scenario_choices(args, default_scenario, scenarios.names)
    for name in names:
        if name in scenarios.errors:
            raise scenarios.errors[name]
        if name not in scenarios.data:
            close = difflib.get_close_matches(name, scenarios.names, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ConfigError("scenario", name, f"no file scenarios/{name}.yaml; {hint}use one of "
                                                f"{', '.join(scenarios.names)}")
    nodes = {name: scenarios.node(name) for name in names}
    added: Set[Path] = set()
    out = []
    for arg in parsed:
        if arg.hydra or arg.key == "scenario":
            out.append(arg.text)
            continue
        try:
            path, kinds = lookup(arg.key.split("."))
        except Violation as v:
            raise arg.error(v.rule, key=dotted(v.path)) from None
        below_added = _check_place(arg, path, kinds, nodes, added)
        values = arg.values()
        if values is None:  # an interval or other sweep for an optimising sweeper: Hydra checks it
            out.append(arg.text)
            continue
        whole = [_whole(v) for v in values]
        if all(isinstance(v, dict) for v in values):
            added.update(path[:k + 1] for k in range(len(path)))
        if below_added or whole != values or all(isinstance(v, dict) for v in values):
            out.append(f"++{arg.key}={','.join(_text(v) for v in whole)}")
        else:
            out.append(arg.text)
    return out
