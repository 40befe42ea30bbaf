"""The configuration schema as a tree of types, for the checks Hydra and OmegaConf do not make.

OmegaConf checks keys and types when Hydra composes a configuration, but some
input passes that should not, or fails with an internal error: a key added with
``+`` is kept and then dropped without a word when the configuration becomes
dataclasses; a boolean accepts ``2`` and ``yes``; a list of numbers accepts
nested lists; a mapping merged into an unset (null) distribution crashes.  This
module walks the dataclasses of :mod:`sim.config.schema` and checks a key path
(:func:`lookup`) or a value (:func:`check`) against them, with a "did you mean"
suggestion for a misspelt key.  Command-line overrides (:mod:`sim.config.overrides`)
and scenario files (:mod:`sim.config.scenario_files`) both go through it, so they
follow the same rules and get the same messages.

The rules: a key must be a field of its dataclass; a boolean is ``true`` or
``false``; a number is a number (text that reads as one is left to OmegaConf to
convert); a list holds values of its element type, never nested lists; a
mapping is a mapping; ``null`` only where the schema allows it.  A value
holding an interpolation (``${...}``) is left to OmegaConf.
"""

from __future__ import annotations

import difflib
import functools
import typing
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any, Callable, Dict, Iterable, Optional, Sequence, Tuple, Union

from sim.config.schema import DIST_FAMILIES, Config, DistConfig

Path = Tuple[Union[str, int], ...]
#: The parameters of a distribution (every field of DistConfig but its family).
DIST_PARAMS: tuple[str, ...] = ("mean", "cv", "median", "p90", "shape", "scale", "low", "high", "value", "values")


@dataclass(frozen=True)
class Node:
    """The type at one position of the schema.

    Attributes
    ----------
    kind : str
        ``"record"`` (a dataclass), ``"mapping"`` (names to ``item``), ``"list"`` (of ``item``),
        ``"bool"``, ``"int"``, ``"float"`` or ``"str"``.
    optional : bool
        Whether ``null`` is allowed.
    record : type or None
        The dataclass of a record.
    item : Node or None
        The element type of a mapping or a list.
    """

    kind: str
    optional: bool = False
    record: Optional[type] = None
    item: Optional["Node"] = None


class Violation(Exception):
    """A key or value that breaks the schema: where (a key path), the value and the rule."""

    def __init__(self, path: Path, value: Any, rule: str) -> None:
        super().__init__(f"{dotted(path)}: {rule}")
        self.path = path
        self.value = value
        self.rule = rule


_SCALARS = {bool: "bool", int: "int", float: "float", str: "str"}


@functools.lru_cache(maxsize=None)
def node_of(hint: Any) -> Node:
    """The :class:`Node` of a type hint of the schema (``Optional[List[float]]``, a dataclass, ...)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Union and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        base = node_of(inner[0])
        return Node(base.kind, True, base.record, base.item)
    if origin in (dict, Dict):
        return Node("mapping", item=node_of(args[1]))
    if origin in (list, typing.List):
        return Node("list", item=node_of(args[0]))
    if is_dataclass(hint):
        return Node("record", record=hint)  # type: ignore[arg-type]
    if hint in _SCALARS:
        return Node(_SCALARS[hint])
    raise TypeError(f"unsupported type in the schema: {hint!r}")  # pragma: no cover - a schema bug


@functools.lru_cache(maxsize=None)
def fields_of(record: type) -> Dict[str, Node]:
    """The fields of a dataclass of the schema and their types."""
    return {name: node_of(hint) for name, hint in typing.get_type_hints(record).items()}


ROOT = node_of(Config)


def dotted(path: Sequence[Union[str, int]]) -> str:
    """``("arrivals", "surges", 0, "start_h")`` -> ``"arrivals.surges[0].start_h"``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _unknown(path: Path, names: Iterable[str]) -> Violation:
    names = list(names)
    parent = dotted(path[:-1])
    close = difflib.get_close_matches(str(path[-1]), names, n=1, cutoff=0.6)
    if close:
        return Violation(path, None, f"unknown key; did you mean {dotted(path[:-1] + (close[0],))}?")
    return Violation(path, None, f"unknown key; {parent + ' has' if parent else 'the top-level keys are'}: "
                                 f"{', '.join(names)} (see sim/config/schema.py)")


def lookup(path: Sequence[str]) -> Tuple[Path, list[Node]]:
    """Check a key path (as written: list positions as digits) against the schema.

    Returns
    -------
    tuple
        The path with list positions as ints, and the nodes along it (``len(path) + 1``, the root first).

    Raises
    ------
    Violation
        A key that is not a field of its dataclass (with a suggestion), a list position that is not a
        number, or a key below a plain value.
    """
    nodes = [ROOT]
    typed: Path = ()
    for part in path:
        cur = nodes[-1]
        if cur.kind == "record":
            assert cur.record is not None
            fields = fields_of(cur.record)
            if part not in fields:
                raise _unknown(typed + (part,), fields)
            typed += (part,)
            nodes.append(fields[part])
        elif cur.kind == "mapping":
            assert cur.item is not None
            typed += (part,)
            nodes.append(cur.item)
        elif cur.kind == "list":
            assert cur.item is not None
            if not part.isdigit():
                raise Violation(typed + (part,), None, f"{dotted(typed)} is a list: give a position, "
                                                       f"e.g. {'.'.join(map(str, typed))}.0")
            typed += (int(part),)
            nodes.append(cur.item)
        else:
            raise Violation(typed + (part,), None, f"unknown key: {dotted(typed)} is a single value ({cur.kind})")
    return typed, nodes


_EXAMPLES = {"record": "a mapping such as {key: value}", "mapping": "a mapping of names to values",
             "list": "a list such as [1, 2]", "bool": "true or false", "int": "a whole number",
             "float": "a number", "str": "text"}


def describe(node: Node) -> str:
    """What a value of ``node`` looks like, for messages."""
    if node.record is DistConfig:
        return "a distribution such as {dist: exponential, mean: 300}"
    return _EXAMPLES[node.kind]


def check(value: Any, node: Node, path: Path = (),
          complete: Optional[Callable[[Path], Iterable[str]]] = None) -> Any:
    """Check ``value`` against ``node``; return it with every distribution given whole completed.

    Parameters
    ----------
    value : Any
        Plain data: dicts, lists, str, int, float, bool, None.
    node : Node
        Its type (:data:`ROOT` for a whole configuration).
    path : tuple
        Where the value sits, for messages.
    complete : callable, optional
        ``complete(path)`` names the parameters to set to null in a distribution given with its
        family (``dist``) at ``path``, so that it replaces the one it is merged into as a whole;
        None completes nothing.

    Raises
    ------
    Violation
        The first part of ``value`` that breaks the schema.
    """
    if value is None:
        if node.optional:
            return None
        raise Violation(path, value, f"must not be null: give {describe(node)}")
    if isinstance(value, str) and "${" in value:
        return value  # an interpolation: OmegaConf resolves and checks it
    kind = node.kind
    if kind in ("record", "mapping"):
        if not isinstance(value, dict):
            raise Violation(path, value, f"must be {describe(node)}")
        out = {}
        fields = fields_of(node.record) if node.record is not None else {}
        for key, v in value.items():
            if not isinstance(key, str) or not key:
                raise Violation(path, key, f"keys must be names (text), not {key!r}")
            if kind == "record" and key not in fields:
                raise _unknown(path + (key,), fields)
            out[key] = check(v, fields[key] if kind == "record" else node.item,  # type: ignore[arg-type]
                             path + (key,), complete)
        if node.record is DistConfig and "dist" in out and complete is not None:
            for name in complete(path):
                out.setdefault(name, None)
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise Violation(path, value, f"must be a list of {describe(node.item)}")  # type: ignore[arg-type]
        return [check(v, node.item, path + (i,), complete) for i, v in enumerate(value)]  # type: ignore[arg-type]
    if isinstance(value, (dict, list)):
        shape = "mapping" if isinstance(value, dict) else "list"
        raise Violation(path, value, f"must be {describe(node)}, not a {shape}")
    if kind == "bool":
        if not isinstance(value, bool):
            raise Violation(path, value, "must be true or false")
        return value
    if kind in ("int", "float"):
        if isinstance(value, bool):
            raise Violation(path, value, f"must be {describe(node)}, not true/false")
        if isinstance(value, str):
            try:
                int(value) if kind == "int" else float(value)
            except ValueError:
                raise Violation(path, value, f"must be {describe(node)}") from None
        elif kind == "int" and not isinstance(value, int):
            raise Violation(path, value, "must be a whole number")
        return value
    if isinstance(value, bool):
        raise Violation(path, value, "must be text (quote it: 'true')")
    return value


#: What :func:`resolved` returns for a key the configuration does not have.
ABSENT = object()


@functools.lru_cache(maxsize=None)
def _defaults(record: type) -> Dict[str, Any]:
    return asdict(record())


def _filled(node: Node, value: Any) -> Any:
    if node.kind == "record" and isinstance(value, dict):
        return {**_defaults(node.record), **value}
    return value


def _child(node: Node, part: Union[str, int]) -> Node:
    sub = fields_of(node.record)[str(part)] if node.record is not None else node.item
    assert sub is not None
    return sub


def resolved(data: Dict[str, Any], path: Sequence[Union[str, int]]) -> Any:
    """The value at ``path`` of the configuration that ``data`` composes to (``data`` over the schema defaults).

    A record's fields that ``data`` leaves out take their defaults, as when Hydra merges a scenario
    into the schema.  Returns :data:`ABSENT` for a mapping entry or list position that does not exist,
    and None for an unset (null) value or anything below it.
    """
    node, value = ROOT, _filled(ROOT, data)
    for part in path:
        if value is None:
            return None
        if node.kind in ("record", "mapping") and isinstance(value, dict):
            if part not in value:
                return ABSENT
            value, node = value[part], _child(node, part)
        elif node.kind == "list" and isinstance(value, list) and isinstance(part, int):
            if part >= len(value):
                return ABSENT
            value, node = value[part], _child(node, part)
        else:
            return ABSENT
        value = _filled(node, value)
    return value


def distributions_without_family(data: Any, node: Node = ROOT, path: Path = ()) -> Iterable[Path]:
    """Paths of distributions in ``data`` given in part (no ``dist``) where the schema has none to complete.

    Such a mapping would silently take a default family; it must name its family instead.
    """
    if not isinstance(data, (dict, list)):
        return
    if node.record is DistConfig and isinstance(data, dict):
        default = resolved({}, path)
        if "dist" not in data and not (isinstance(default, dict) and default.get("dist") in DIST_FAMILIES):
            yield path
        return
    if isinstance(data, list) and node.kind == "list":
        for i, v in enumerate(data):
            yield from distributions_without_family(v, _child(node, i), path + (i,))
    elif isinstance(data, dict) and node.kind in ("record", "mapping"):
        for k, v in data.items():
            if node.record is None or k in fields_of(node.record):
                yield from distributions_without_family(v, _child(node, k), path + (k,))
