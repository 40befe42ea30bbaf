"""The schema's keys as a tree: what sits at a dotted key, and data completed with the defaults.

A thin lookup over the pydantic models of :mod:`sim.config.schema`: :func:`lookup` checks a key path as
typed (an unknown key with a "did you mean" suggestion, a list position that is not a number, a key below
a single value); :func:`complete` fills every section, mapping entry and list item of configuration data
with the defaults of its model, as a composition starts from them (so that ``categories.x.direct_share=...``
names a key that exists).  Values are checked by the models themselves (:mod:`sim.config.errors`).
"""

from __future__ import annotations

import copy
import difflib
import functools
import typing
from typing import Any, Dict, List, Sequence, Tuple, Union

from pydantic import BaseModel

from sim.config.fields import DistConfig
from sim.config.staffing_policy import _FAMILIES, skeleton

Path = Tuple[Union[str, int], ...]


class Violation(Exception):
    """A key path that breaks the schema: where and the rule."""

    def __init__(self, path: Path, rule: str) -> None:
        super().__init__(f"{dotted(path)}: {rule}")
        self.path, self.rule = path, rule


def dotted(path: Sequence[Union[str, int]]) -> str:
    """``("arrivals", "surges", 0, "start_h")`` -> ``"arrivals.surges[0].start_h"``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _family(t: Any) -> Any:
    """The plan family of a tagged union of plans (:func:`sim.config.staffing_policy.tagged`), else None."""
    if typing.get_origin(t) is Union:
        first = typing.get_args(typing.get_args(t)[0])[0] if typing.get_origin(typing.get_args(t)[0]) \
            is typing.Annotated else typing.get_args(t)[0]
        return next((f for f, variants in _FAMILIES.items() if first in variants.values()), None)
    return None


def node(t: Any) -> Tuple[str, Any]:
    """The kind of the type ``t``: ``("record", model)``, ``("mapping", item)``, ``("list", item)`` or ``("value", t)``.

    Annotations and ``Optional`` are looked through; a tagged union of plans is the record of its family.
    Kept per type (a composition asks about the same few types for every entry).
    """
    try:
        return _node(t)
    except TypeError:  # an unhashable annotation
        return _node.__wrapped__(t)


@functools.lru_cache(maxsize=None)
def _node(t: Any) -> Tuple[str, Any]:
    while True:
        if typing.get_origin(t) is typing.Annotated:
            t = typing.get_args(t)[0]
        elif _family(t) is not None:
            return "record", _family(t)
        elif typing.get_origin(t) is Union:
            t = next(a for a in typing.get_args(t) if a is not type(None))
        else:
            break
    origin = typing.get_origin(t)
    if origin is dict:
        return "mapping", typing.get_args(t)[1]
    if origin is list:
        return "list", typing.get_args(t)[0]
    if isinstance(t, type) and issubclass(t, BaseModel):
        return "record", t
    return "value", t


def _annotated(params: Tuple[Any, ...]) -> Any:
    return typing.Annotated[params]


@functools.lru_cache(maxsize=None)
def fields(record: Any) -> Dict[str, Any]:
    """The keys of a model and their types; of a plan family, every key of every variant (not to be changed)."""
    out: Dict[str, Any] = {}
    for cls in (_FAMILIES[record].values() if record in _FAMILIES else [record]):
        out.update({k: _annotated((f.annotation, *f.metadata)) if f.metadata else f.annotation
                    for k, f in cls.model_fields.items() if k not in out})
    return out


def unknown(path: Path, names: List[str]) -> Violation:
    """The error of a key its record does not have, with the closest name if there is one."""
    close = difflib.get_close_matches(str(path[-1]), names, n=1, cutoff=0.6)
    if close:
        return Violation(path, f"unknown key; did you mean {dotted(path[:-1] + (close[0],))}?")
    parent = dotted(path[:-1])
    return Violation(path, f"unknown key; {parent + ' has' if parent else 'the top-level keys are'}: "
                           f"{', '.join(names)} (see sim/config/schema.py)")


def lookup(parts: Sequence[str], root: Any = None) -> Tuple[Path, List[Tuple[str, Any]]]:
    """Check a key path as typed (list positions as digits) against the schema.

    Returns the path (positions as ints) and the kinds along it (:func:`node`; the root first).

    Raises
    ------
    Violation
        A key its record does not have, a list position that is not a number, a key below a single value.
    """
    from sim.config.schema import Config

    kinds = [node(root or Config)]
    typed: Path = ()
    for part in parts:
        kind, arg = kinds[-1]
        if kind == "record":
            names = fields(arg)
            if part not in names:
                raise unknown(typed + (part,), list(names))
            typed, t = typed + (part,), names[part]
        elif kind == "mapping":
            typed, t = typed + (part,), arg
        elif kind == "list":
            if not part.isdigit():
                raise Violation(typed + (part,), f"{dotted(typed)} is a list: give a position, e.g. "
                                                 f"{'.'.join(map(str, typed))}.0")
            typed, t = typed + (int(part),), arg
        else:
            raise Violation(typed + (part,), f"unknown key: {dotted(typed)} is a single value")
        kinds.append(node(t))
    return typed, kinds


def defaults(record: Any) -> Dict[str, Any]:
    """A model's defaults as data (of a plan family: every key of every variant); a new copy each time."""
    return copy.deepcopy(_defaults(record))


@functools.lru_cache(maxsize=None)
def _defaults(record: Any) -> Dict[str, Any]:
    return skeleton(record) if record in _FAMILIES else record.model_construct().model_dump()


def merge(base: Any, top: Any) -> Any:
    """``top`` merged onto ``base``: mappings key by key, anything else replaced (a composition's rule)."""
    if isinstance(base, dict) and isinstance(top, dict):
        out = dict(base)
        for k, v in top.items():
            out[k] = merge(base.get(k), v) if k in base else v
        return out
    return top


def complete(data: Any, t: Any = None) -> Any:
    """``data`` with every mapping entry and list item that is a section filled with its defaults (recursively)."""
    from sim.config.schema import Config

    kind, arg = node(t or Config)
    if kind == "record" and isinstance(data, dict):
        names = fields(arg)
        return {k: complete(v, names[k]) if k in names else v for k, v in data.items()}
    if kind in ("mapping", "list"):
        item_kind, record = node(arg)
        fill = item_kind == "record" and record is not DistConfig
        items = data.items() if kind == "mapping" and isinstance(data, dict) else \
            enumerate(data) if kind == "list" and isinstance(data, list) else None
        if items is None:
            return data
        done = [(k, complete(merge(defaults(record), v) if fill and isinstance(v, dict) else v, arg)) for k, v in items]
        return dict(done) if kind == "mapping" else [v for _, v in done]
    return data
