"""Command-line overrides checked against the schema and the scenario before Hydra applies them.

Hydra applies ``key=value`` overrides in order, merging each value into the
composed configuration.  Left alone it drops a key added with ``+`` that the
schema does not have, keeps the last of a key given twice, replaces a section
deleted with ``~`` by the schema's defaults, accepts ``2`` for a boolean, and
crashes when a mapping is merged into a node the scenario leaves unset (a
category's own handle time) or adds a category.  :func:`prepare_overrides`
runs before Hydra, for the command line and :func:`sim.api.compose_config`
alike, and for each argument, naming it as typed in every error:

* parses it on its own (so that a parse error names it) and refuses deletions,
  ``@package`` and a key given twice;
* checks the key and every value (each value of a sweep) against the schema
  (:mod:`sim.config.schema_tree`: unknown keys with a suggestion, strict booleans, no
  nested lists) and against the data of the scenario(s) the run uses: an entry
  of a mapping (a category, a unit type) must exist unless the key starts with
  ``+``, and a field of an unset (null) distribution cannot be set alone;
* rewrites what Hydra cannot apply as written: a mapping given whole becomes
  ``++key={...}`` (it may add entries, e.g. an urgency class); a distribution
  given with its family replaces the scenario's as a whole (the parameters the
  scenario sets and the new one does not become null, the rule of scenario
  files); and a value below a node that is unset or does not exist yet is
  merged at the deepest node that exists, which OmegaConf can do:
  ``categories.x.handle_s={...}`` becomes ``++categories.x={handle_s: {...}}``.

Keys under ``hydra`` (``hydra.*``, ``hydra/launcher=...``) are Hydra's and pass
unchanged.  :func:`as_config_error` turns what Hydra or OmegaConf may still
raise into a :class:`~sim.core.errors.ConfigError` naming the argument.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Glob, Override, Quote, QuotedString, ValueType
from hydra.errors import OverrideParseException

from sim.config.scenario_files import ScenarioSet
from sim.config.schema_tree import ABSENT, DIST_PARAMS, Node, Path, Violation, check, dotted, lookup, resolved
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

    def error(self, rule: str, key: Optional[str] = None, value: Any = None) -> ConfigError:
        return ConfigError(key or self.key, value if value is not None else self.text, rule, shown=self.text)


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
    key = ov.key_or_group
    if not key or not (_KEY.match(key) or (arg.hydra and "/" in key)):
        raise arg.error("not an override: the key before = must be a dotted name such as staffing.operators")
    if arg.hydra:
        return arg
    if ov.package is not None:
        raise arg.error("@package is not supported: give the full dotted key")
    if ov.is_delete():
        raise arg.error("deleting a key (~) is not supported: every key keeps a value (the scenario's or the "
                        "schema default); set the value you want instead, e.g. calls.retrial.probability=0")
    return arg


def _elements(arg: _Arg) -> Optional[List[Any]]:
    """The raw values of an override: one, or each value of a list or range sweep; None for other sweeps."""
    ov = arg.ov
    if not ov.is_sweep_override():
        return [ov._value]
    if ov.is_discrete_sweep() and ov.value_type is not ValueType.GLOB_CHOICE_SWEEP:
        return list(ov.sweep_iterator())
    return None


def _plain(raw: Any) -> Any:
    return Override._convert_value(raw)


def _text(value: Any) -> str:
    """Hydra override syntax of a plain value; text is quoted unless it is a plain name (so '5' stays text)."""
    if isinstance(value, str):
        if re.fullmatch(r"[A-Za-z_][\w-]*", value) and value.lower() not in _WORDS:
            return value
        return QuotedString(text=value, quote=_quote(value)).with_quotes()
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_text(v) for v in value) + "]"
    return Override._get_value_element_as_str(value)


def _quote(value: str) -> Quote:
    return Quote.double if "'" in value and '"' not in value else Quote.single


def _scenario_names(arg: _Arg, scenarios: ScenarioSet) -> List[str]:
    """The scenarios a ``scenario=...`` argument selects: one name, a list sweep or a glob(...) sweep."""
    ov = arg.ov
    if isinstance(ov._value, Glob):
        return list(ov._value.filter(scenarios.names))
    values = _elements(arg)
    if values is None or ov.is_range_sweep():
        raise arg.error("a scenario sweep lists names: scenario=a,b (or glob(*))")
    return [str(_plain(v)) for v in values]


def _check_scenario(name: str, scenarios: ScenarioSet) -> None:
    if name in scenarios.errors:
        raise scenarios.errors[name]
    if name not in scenarios.data:
        close = difflib.get_close_matches(name, scenarios.names, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise ConfigError("scenario", name, f"no file scenarios/{name}.yaml; {hint}use one of "
                                            f"{', '.join(scenarios.names)}")


class _State:
    """What earlier overrides created or set whole (so that later ones may go below it)."""

    def __init__(self, data: List[Dict[str, Any]], names: List[str]) -> None:
        self.data = data
        self.names = names
        self.present: Set[Path] = set()
        self.touched: Set[Path] = set()

    def first_gap(self, path: Path, nodes: List[Node], arg: _Arg) -> Optional[Tuple[int, str]]:
        """The first prefix of ``path`` that is unset (``"null"``) or absent (``"absent"``) in a scenario used."""
        gap: Optional[Tuple[int, str]] = None
        for data, name in zip(self.data, self.names):
            for i in range(len(path)):
                prefix = path[:i + 1]
                if prefix in self.present:
                    continue
                value = resolved(data, prefix)
                if value is ABSENT and path[:i] in self.present and nodes[i].kind == "record":
                    continue  # a field of a record an earlier override created: the schema gives it a default
                if value is ABSENT:
                    parent = nodes[i]
                    if parent.kind == "list":
                        size = len(resolved(data, path[:i]) or [])
                        raise arg.error(f"{dotted(path[:i])} has {size} item(s) in scenario '{name}': "
                                        f"no position {path[i]}; give the whole list instead")
                    if not (arg.ov.is_add() or arg.ov.is_force_add()):
                        have = sorted(resolved(data, path[:i]) or {})
                        close = difflib.get_close_matches(str(path[i]), have, n=1)
                        hint = f"did you mean {dotted(path[:i] + (close[0],))}? " if close else ""
                        raise arg.error(f"scenario '{name}' has no {dotted(prefix)} ({hint}"
                                        f"{dotted(path[:i])} has: {', '.join(have) or 'nothing'}); "
                                        f"to add it write +{arg.text}")
                    kind = "absent"
                elif value is None and i < len(path) - 1:
                    kind = "null"
                elif value is None and nodes[i + 1].kind == "record":
                    kind = "null"
                else:
                    continue
                if gap is None or i < gap[0]:
                    gap = (i, kind)
                break
        return gap

    def nulls(self, path: Path) -> Iterable[str]:
        """Parameters to null in a distribution given whole at ``path``: those set before it."""
        out = []
        for name in DIST_PARAMS:
            sub = path + (name,)
            if sub in self.touched or any(resolved(d, sub) not in (None, ABSENT) for d in self.data):
                out.append(name)
        return out


def _prepare(arg: _Arg, state: _State) -> str:
    ov = arg.ov
    parts = tuple(ov.key_or_group.split("."))
    try:
        path, nodes = lookup(parts)
    except Violation as v:
        raise arg.error(v.rule, key=dotted(v.path)) from None
    raws = _elements(arg)
    if raws is None:
        return arg.text  # an interval or other sweep for an optimising sweeper: Hydra checks it
    leaf = nodes[-1]
    values = []
    for raw in raws:
        try:
            values.append(check(_plain(raw), leaf, path, complete=state.nulls))
        except Violation as v:
            where = "" if v.path == path else f"{dotted(v.path)}: "
            raise arg.error(f"{where}{v.rule}", key=dotted(v.path), value=v.value) from None
    gap = state.first_gap(path, nodes, arg)
    whole = all(isinstance(v, dict) for v in values)
    state.touched.add(path)
    if gap is not None:
        i, kind = gap
        if kind == "null" and (i < len(path) - 1 or not all(
                v is None or (isinstance(v, dict) and "dist" in v) for v in values)):
            target = dotted(path[:i + 1])
            raise arg.error(f"{target} is unset (null) in this scenario, so it cannot be given in part; "
                            f"set the whole distribution, e.g. {target}={_DIST_EXAMPLE}")
        if all(v is None for v in values) or i == 0:  # top-level keys always exist: i == 0 never has a gap
            return arg.text
        for k in range(i, len(path)):
            state.present.add(path[:k + 1])
        wrapped = []
        for value in values:
            for p in reversed(path[i:]):
                value = {p: value}
            wrapped.append(_text(value))
        return f"++{'.'.join(map(str, path[:i]))}={','.join(wrapped)}"
    if ov.is_add() and not all(isinstance(v, (dict, list)) for v in values) and any(
            resolved(d, path) is not None for d in state.data):
        raise arg.error(f"{dotted(path)} already has a value; to change it, drop the +: {arg.text[1:]}")
    if whole:
        for k in range(len(path)):
            state.present.add(path[:k + 1])
    changed = any(v != _plain(raw) for v, raw in zip(values, raws))
    if changed:
        prefix = "++" if whole or ov.is_force_add() else ("+" if ov.is_add() else "")
        return f"{prefix}{ov.key_or_group}={','.join(_text(v) for v in values)}"
    if whole and not ov.is_force_add():
        return f"++{arg.text.lstrip('+')}"
    return arg.text


def prepare_overrides(args: Sequence[str], scenarios: ScenarioSet, default_scenario: str) -> List[str]:
    """Check command-line overrides and rewrite them for Hydra (see the module's docstring).

    Parameters
    ----------
    args : sequence of str
        The overrides as typed, e.g. ``["scenario=rainstorm", "staffing.shrinkage=0.3"]``.
    scenarios : ScenarioSet
        The scenarios registered with Hydra (:func:`sim.config.hydra_setup.register`).
    default_scenario : str
        The scenario used when ``args`` names none.

    Returns
    -------
    list of str
        The overrides to hand to Hydra, in the same order.

    Raises
    ------
    ConfigError
        Naming the argument as typed and the rule it breaks; or the error of a broken scenario file
        the run uses.
    """
    parser = OverridesParser.create()
    parsed = [_parse(a, parser) for a in args]
    seen: Dict[str, str] = {}
    for arg in parsed:
        key = arg.key + (f"@{arg.ov.package}" if arg.ov.package else "")
        if key in seen:
            raise arg.error(f"{key} is given twice ({seen[key]} and {arg.text}); give each key once")
        seen[key] = arg.text
    names = [default_scenario]
    for arg in parsed:
        if arg.key == "scenario":
            names = _scenario_names(arg, scenarios)
    for name in names:
        _check_scenario(name, scenarios)
    state = _State([scenarios.data[n] for n in names], names)
    return [arg.text if arg.hydra or arg.key == "scenario" else _prepare(arg, state) for arg in parsed]


def _argument_for(key: str, args: Sequence[str]) -> Optional[str]:
    """The argument (as typed) that sets ``key``, or the one closest to it: a key above or below it."""
    best: Optional[Tuple[int, str]] = None
    for arg in args:
        m = re.match(r"^[+~]{0,2}([\w.-]+)=", arg)
        if not m:
            continue
        k = m.group(1)
        if k == key:
            return arg
        if key.startswith(k + ".") or key.startswith(k + "[") or k.startswith(key + "."):
            score = -abs(len(k) - len(key))
            if best is None or score > best[0]:
                best = (score, arg)
    return best[1] if best else None


def as_config_error(exc: BaseException, args: Sequence[str]) -> ConfigError:
    """A :class:`ConfigError` for an error Hydra or OmegaConf raised while composing ``args``.

    The message names the argument as typed when the error concerns one (or the scenario file),
    and keeps only the first line of the library's text.
    """
    from hydra.errors import MissingConfigException
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(exc, ConfigError):
        return exc
    text = str(exc)
    if isinstance(exc, MissingConfigException) or "Could not find 'scenario/" in text:
        m = re.search(r"Could not find '([^']+)'", text)
        name = m.group(1).split("/", 1)[-1] if m else "?"
        opts = re.findall(r"^\t(\S+)$", text, flags=re.M)
        if m and m.group(1).startswith("scenario/"):
            return ConfigError("scenario", name, f"no file scenarios/{name}.yaml; use one of {', '.join(opts)}")
        return ConfigError(name, None, "config not found", shown=name)
    if text.startswith("Ambiguous value for argument"):
        swept = next((a for a in args if f"'{a}'" in text), text.split("'")[1] if "'" in text else "?")
        return ConfigError(swept, swept, "several values are a sweep: add -m; write a list as key=[a,b], or quote "
                                         "text holding a comma", shown=swept)
    omega = [e for e in (exc.__cause__, exc, exc.__context__) if isinstance(e, OmegaConfBaseException)]
    cause: BaseException = omega[0] if omega else exc
    key = next((str(e.full_key) for e in omega if getattr(e, "full_key", None)), "")
    lines = str(getattr(cause, "msg", None) or cause).splitlines()
    rule = " ".join(lines[0].split()) if lines else type(cause).__name__
    src = re.search(r"(?:Error merging|In) '([^']+)'", text)
    if src and src.group(1).startswith("scenario/"):
        label = f"scenarios/{src.group(1).split('/', 1)[1]}.yaml"
        return ConfigError(label, key or "<file>", f"{key}: {rule}" if key else rule, shown=label)
    m = re.search(r"override '?([^'\n]+?)'?(?:\.|$|\n)", text)
    arg: Optional[str] = _argument_for(key, args) if key else None
    if arg is None and m:
        arg = next((a for a in args if a == m.group(1) or a.endswith(m.group(1))), None)
    if arg is None:
        arg = next((a for a in args if a and a in text), None)
    if arg is not None:
        return ConfigError(key or arg, arg, rule, shown=arg)
    return ConfigError(key or "?", None, rule, shown=key or "configuration")
