"""Scenario files: read every ``scenarios/*.yaml`` through one guarded loader.

A scenario is plain data for the keys of :class:`sim.config.schema.Config`, possibly ``extends: <name>``
another (the parent's data first, the child's merged on top; a distribution given with its family replaces
the parent's as a whole).  What a file may hold is listed in ``scenarios/README.md``;
:func:`read_scenario_file` refuses anything else with the file, the line and the rule, and checks every key
and kind of value with the schema's models (ranges and rules wait for the run's configuration, which the
command line may still change).  :func:`load_scenarios` reads whole folders: a broken file does not stop
the others, its error is raised only when a run uses that scenario, directly or through ``extends``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.config.errors import first_error
from sim.config.fields import DIST_PARAMS
from sim.config.paths import BUILTIN_SCENARIO_DIR
from sim.config.tree import complete, dotted, merge
from sim.core.errors import ConfigError

#: Largest scenario file read, in bytes (the Beijing baseline is about 12 kB).
MAX_BYTES = 1_000_000
#: Deepest nesting of lists and mappings in a scenario file (the schema needs 6).
MAX_DEPTH = 24
_RESERVED = {
    "hydra": "Hydra settings cannot be set in a scenario file; give hydra.* keys on the command line",
    "defaults": "a scenario has no defaults list; start from another scenario with 'extends: NAME'",
    "scenario": "a scenario's name is its file name; remove this key",
}
_TAG = "tag:yaml.org,2002:"


class _Refused(Exception):
    def __init__(self, node: Optional[Node], rule: str, line: Optional[int] = None) -> None:
        super().__init__(rule)
        self.rule = rule
        self.line = line if line is not None else (node.start_mark.line + 1 if node is not None else None)


class _Loader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
              yaml.composer.Composer, yaml.resolver.BaseResolver):
    """PyYAML's parser and composer with the YAML 1.2 core scalars, no aliases and a depth limit."""

    yaml_implicit_resolvers: dict = {}

    def __init__(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.resolver.BaseResolver.__init__(self)
        self.depth = 0

    def compose_node(self, parent: Optional[Node], index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
            raise _Refused(None, f"alias *{event.anchor}: anchors and aliases are not allowed in a scenario "
                                 "file; write the value out, or start from another scenario with extends",
                           event.start_mark.line + 1)
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise _Refused(None, f"anchor &{event.anchor}: anchors and aliases are not allowed in a scenario file",
                           event.start_mark.line + 1)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark.line + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


for _tag, _pattern, _first in [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("int", r"^[-+]?[0-9][0-9_]*$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+.0123456789"),
]:
    _Loader.add_implicit_resolver(_TAG + _tag, re.compile(_pattern), list(_first))


def _scalar(node: ScalarNode) -> Any:
    tag, text = node.tag, node.value
    if tag == _TAG + "str":
        return text
    if tag == _TAG + "null" and re.fullmatch(r"~|null|Null|NULL|", text):
        return None
    if tag == _TAG + "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        if tag == _TAG + "int":
            return int(text)
        if tag == _TAG + "float":
            return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))
    except ValueError as exc:
        shown = text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"
        raise _Refused(node, f"{shown!r} is not a valid {tag[len(_TAG):]} ({str(exc).split(':')[0]})") from None
    name = tag[len(_TAG):] if tag.startswith(_TAG) else tag
    raise _Refused(node, f"{name!r} values are not allowed in a scenario file: use text, numbers, "
                         "true/false, null, lists and mappings (quote a date or time to make it text)")


def _data(node: Node) -> Any:
    """Plain data of a composed node (no constructors: only the plain types are built)."""
    if isinstance(node, ScalarNode):
        return _scalar(node)
    if node.tag not in (_TAG + "seq", _TAG + "map"):
        raise _Refused(node, f"{node.tag!r} values are not allowed in a scenario file")
    if isinstance(node, SequenceNode):
        return [_data(item) for item in node.value]
    assert isinstance(node, MappingNode)
    out: Dict[str, Any] = {}
    first: Dict[str, int] = {}
    for key_node, value_node in node.value:
        if key_node.tag == _TAG + "merge":
            raise _Refused(key_node, "merge keys (<<) are not allowed in a scenario file")
        key = _data(key_node) if isinstance(key_node, ScalarNode) else None
        if not isinstance(key, str):
            raise _Refused(key_node, f"keys must be names (text), not {key_node.value!r}")
        if key in out:
            raise _Refused(key_node, f"duplicate key {key!r} (first at line {first[key]})")
        first[key] = key_node.start_mark.line + 1
        out[key] = _data(value_node)
    return out


def _line(root: Optional[Node], path: Tuple[Union[str, int], ...]) -> Optional[int]:
    """The line of the deepest node of ``path`` present in the file (1-based)."""
    line = None
    node = root
    for part in path:
        nxt = None
        if isinstance(node, MappingNode):
            for k, v in node.value:
                if isinstance(k, ScalarNode) and k.value == part:
                    line, nxt = k.start_mark.line + 1, v
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


@dataclass
class ScenarioFile:
    """One file's data (``extends`` removed, distributions completed) and where each key is written."""

    name: str
    label: str  # "scenarios/<name>.yaml", for messages
    data: Dict[str, Any]
    extends: Optional[str]
    root: Optional[Node] = field(default=None, repr=False)
    #: errors of a distribution given in part without its family, which a file it extends may complete
    partial: List[Any] = field(default_factory=list, repr=False)

    def error(self, rule: str, path: Tuple[Union[str, int], ...] = (), line: Optional[int] = None) -> ConfigError:
        """A ConfigError naming this file, the line of ``path`` (or ``line``) and the rule."""
        line = line if line is not None else _line(self.root, path)
        where = f"{self.label}, line {line}" if line else self.label
        return ConfigError(self.label, dotted(path) or "<file>", rule, shown=where)


def read_scenario_file(path: Path, label: Optional[str] = None) -> ScenarioFile:
    """Read and check one scenario file.

    Raises
    ------
    ConfigError
        Naming the file, the line when known, and the rule broken (see the module's list).
    """
    label = label or f"{path.parent.name}/{path.name}"
    blank = ScenarioFile(path.stem, label, {}, None)
    if not path.is_file():
        raise blank.error("not a readable file (a directory, a broken link or a device)")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise blank.error(f"too large ({size:,} bytes; a scenario file holds at most {MAX_BYTES:,})")
        raw = path.read_bytes()
    except OSError as exc:
        raise blank.error(f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise blank.error(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line=line) from None
    loader: Optional[_Loader] = None
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
        data = _data(root) if root is not None else {}
    except _Refused as exc:
        raise blank.error(exc.rule, line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        at: Optional[int] = mark.line + 1 if mark is not None else None
        if isinstance(exc, yaml.reader.ReaderError):
            at = text[:exc.position].count("\n") + 1
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        context = getattr(exc, "context", None)
        why = f"{context} {problem}" if isinstance(context, str) else str(problem)
        raise blank.error(f"not valid YAML: {' '.join(why.split())}", line=at) from None
    finally:
        if loader is not None:
            loader.dispose()
    sf, data = ScenarioFile(path.stem, label, {}, None, root), {} if data is None else data
    if not isinstance(data, dict):
        raise sf.error("must be a mapping of keys to values", line=1)
    for key, why in _RESERVED.items():
        if key in data:
            raise sf.error(f"{key}: {why}", (key,))
    has_parent = "extends" in data
    parent = data.pop("extends", None)
    if has_parent and (not isinstance(parent, str) or not parent):
        raise sf.error(f"extends={parent!r}: must be the name of one scenario (a scenario extends at most one)",
                       ("extends",))
    sf.data = _whole_distributions(data)
    errors = _shape(sf.data)
    left = [e for e in errors if not (e["type"] == "missing" and e["loc"][-1:] == ("dist",))]
    if left:
        raise _file_error(sf, first_error(left))
    sf.extends, sf.partial = parent, errors
    return sf


def _whole_distributions(data: Any) -> Any:
    """``data`` with each distribution given with its family completed by nulls (it replaces the parent's whole)."""
    if isinstance(data, dict):
        out = {k: _whole_distributions(v) for k, v in data.items()}
        return {**out, **{p: out.get(p) for p in DIST_PARAMS}} if isinstance(data.get("dist"), str) else out
    return [_whole_distributions(v) for v in data] if isinstance(data, list) else data


def _shape(data: Dict[str, Any]) -> List[Any]:
    """The errors of the keys and kinds of values of ``data`` over the defaults (ranges and rules wait)."""
    from sim.config.schema import Config, defaults_data

    try:
        Config.model_validate(complete(merge(defaults_data(), data)), context={"check": False})
    except ValidationError as exc:
        return exc.errors(include_url=False)
    return []


def _path(key: str) -> Tuple[Union[str, int], ...]:
    return tuple(int(p[1:-1]) if p.startswith("[") else p for p in re.findall(r"\[\d+\]|[^.\[\]]+", key))


def _file_error(sf: "ScenarioFile", exc: ConfigError) -> ConfigError:
    path = _path(exc.key)
    if exc.rule.startswith("required: a distribution"):
        return sf.error(f"{dotted(path[:-1])}: a distribution needs its family here: add dist, e.g. {{dist: "
                        "exponential, mean: 300}} (only one the scenario already has may be given in part)", path[:-1])
    shown = f"={exc.value!r}" if exc.value is not None and not isinstance(exc.value, (dict, list)) else ""
    return sf.error(f"{exc.key}{shown}: {exc.rule}", path)


@dataclass
class ScenarioSet:
    """The scenarios of a folder: each usable one's data and, for each broken one, why."""

    data: Dict[str, Dict[str, Any]]  # scenario data: extends resolved, ``scenario: <name>`` set
    errors: Dict[str, ConfigError]  # why each broken scenario cannot be used
    probed: List[Path] = field(default_factory=list)  # files looked for beside files given by their path
    _nodes: Dict[str, Dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def names(self) -> List[str]:
        """Every scenario name, usable or broken."""
        return sorted(set(self.data) | set(self.errors))

    def node(self, name: str) -> Dict[str, Any]:
        """The scenario's whole configuration data: its data over the defaults, every entry completed (what
        Hydra composes from, :mod:`sim.config.hydra_setup`); raises the scenario's error if it is broken."""
        if name in self.errors:
            raise self.errors[name]
        if name not in self._nodes:
            from sim.config.schema import defaults_data

            self._nodes[name] = complete(merge(defaults_data(), self.data[name]))
        return self._nodes[name]


def _resolve(name: str, files: Dict[str, Union[ScenarioFile, ConfigError]], chain: List[str],
             shadowed: Sequence[str] = ()) -> List[ScenarioFile]:
    """The files of ``name``'s extends chain, the root first (``shadowed``: names whose file replaced another
    folder's file of the same name)."""
    f = files[name]
    if isinstance(f, ConfigError):
        if chain:
            raise ConfigError(f.key, f.value, f"{f.rule} (scenario '{chain[0]}' extends it)", f.shown)
        raise f
    if f.extends is None:
        return [f]
    if f.extends == name and name in shadowed:  # a file named like the scenario it means to extend replaces it
        raise f.error(f"extends={f.extends!r}: this file replaces the scenario {name!r} of the same name, so it "
                      f"cannot extend it; give the file another name (my_{name}.yaml)", ("extends",))
    if f.extends in chain + [name]:
        raise f.error(f"extends={f.extends!r}: circular: {' -> '.join(chain + [name, f.extends])}", ("extends",))
    if f.extends not in files:
        path_like = "/" in f.extends or f.extends.endswith((".yaml", ".yml"))
        raise f.error(f"extends={f.extends!r}: " + ("names a scenario, not a file: write the file's name without "
                                                   ".yaml (a file beside this one, or a scenario of " if path_like
                                                   else "unknown scenario (nor a file beside this one); use one of ")
                      + ", ".join(sorted(set(files) - {name})) + (")" if path_like else ""), ("extends",))
    return _resolve(f.extends, files, chain + [name], shadowed) + [f]


def _compose(name: str, chain: List[ScenarioFile]) -> Dict[str, Any]:
    """The scenario's data: its chain of files merged, the child's keys last."""
    data: Dict[str, Any] = {}
    for f in chain:
        data = merge(data, f.data)
    errors = chain[0].partial if len(chain) == 1 else _shape(data)  # a file alone: its own check's errors
    if errors:
        wrong = first_error(errors)
        path = _path(wrong.key)
        owner = next((f for f in reversed(chain) if _has(f.data, path[:-1])), chain[-1])
        raise _file_error(owner, wrong)
    data["scenario"] = name
    return data


def _has(data: Any, path: Tuple[Union[str, int], ...]) -> bool:
    for p in path:
        if isinstance(data, dict) and p in data:
            data = data[p]
        elif isinstance(data, list) and isinstance(p, int) and p < len(data):
            data = data[p]
        else:
            return False
    return True


def load_scenarios(folder: Union[Path, Sequence[Path]] = BUILTIN_SCENARIO_DIR) -> ScenarioSet:
    """Read every ``*.yaml`` scenario of ``folder`` (or of several folders; an entry that is a file, a scenario
    named by its path, counts as a folder holding that file alone); a broken one is kept as an error, not raised.
    A file of a later folder replaces an earlier folder's file of the same name; any file may extend any other.

    Returns
    -------
    ScenarioSet
        Each usable scenario's data, and each broken one's :class:`ConfigError` (which names the file - the
        scenario's own or the one it extends - the line and the rule).
    """
    files: Dict[str, Union[ScenarioFile, ConfigError]] = {}
    folders = [folder] if isinstance(folder, Path) else list(folder)
    found = [p for f in folders for p in (sorted(f.glob("*.yaml")) if f.is_dir() else [f])]
    paths = {p.stem: p for p in found}
    shadowed = [name for name in paths if sum(p.stem == name for p in found) > 1]
    for path in paths.values():
        try:
            files[path.stem] = read_scenario_file(path, None if path.parent in folders else str(path))
        except ConfigError as exc:
            files[path.stem] = exc
    out = ScenarioSet({}, {}, probed=_read_beside([f for f in folders if not f.is_dir()], files))
    for name in sorted(files):
        try:
            out.data[name] = _compose(name, _resolve(name, files, [], shadowed))
        except ConfigError as exc:
            out.errors[name] = exc
    return out


def _read_beside(given: List[Path], files: Dict[str, Union[ScenarioFile, ConfigError]]) -> List[Path]:
    """Read into ``files`` the files that the files ``given`` by their path extend from their own folder: a
    file's ``extends: NAME`` reads ``NAME.yaml`` (``.yml``) beside it where there is one (it then replaces a
    scenario of that name, as a file given by its path does), and so on up the chain.  Returns the paths
    looked at, found or not (whose changes make the files read again: :func:`sim.config.hydra_setup.register`)."""
    todo, seen, probed = list(given), set(given), []
    while todo:
        path = todo.pop()
        f = files.get(path.stem)
        if not isinstance(f, ScenarioFile) or not f.extends or "/" in f.extends or f.extends == path.stem:
            continue
        candidates = [path.parent / f"{f.extends}{e}" for e in (".yaml", ".yml")]
        probed += candidates
        beside = next((p for p in candidates if p.is_file() and p not in seen), None)
        if beside is not None:
            seen.add(beside)
            todo.append(beside)
            try:
                files[beside.stem] = read_scenario_file(beside, str(beside))
            except ConfigError as exc:
                files[beside.stem] = exc
    return probed


__all__ = ["MAX_BYTES", "MAX_DEPTH", "ScenarioFile", "ScenarioSet", "read_scenario_file", "load_scenarios"]
