"""A configuration checked by its models, and its first error as one line: the key, the value, the rule.

:func:`config_of` validates configuration data with :class:`sim.config.schema.Config` - keys, types, ranges,
the rules of each section and of the whole - and turns pydantic's first error into a
:class:`~sim.core.errors.ConfigError`: its location becomes the dotted key (``categories.all.urgency``,
``staffing.shifts[0].count``; the tags of the plan variants dropped), and its type the rule in the words
the project uses ("must be a whole number", "must be true or false", "unknown key; did you mean ...?").  A
rule raised by a model names its keys from :data:`~sim.config.fields.AT`, the model's place, filled in here.

Errors come in three ranks, the first of the lowest reported: a value of the wrong kind
(:class:`~sim.config.fields.TypeRule`), a field's own rule (:class:`~sim.config.fields.FieldRule`: a range, a
ceiling, a repeat), then the rules across fields and sections.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Collection, FrozenSet, Mapping, Optional, Sequence, Union

from pydantic import ValidationError

from sim.config.fields import AT, DistConfig, FieldRule, TypeRule
from sim.config.staffing_policy import PLAN_FORMS
from sim.config.tree import Path, Violation, dotted, fields, lookup, node, unknown
from sim.core.errors import ConfigError

_KIND = {"bool": "true or false", "int": "a whole number", "float": "a number", "string": "text",
         "list": "a list such as [1, 2]", "dict": "a mapping such as {key: value}"}
_DIST = "a distribution such as {dist: exponential, mean: 300}"
Kept = Optional[Union[Collection[str], Callable[[Any], Collection[str]]]]


def config_of(data: Mapping[str, Any], check: bool = True, kept: Kept = frozenset()) -> Any:
    """The :class:`~sim.config.schema.Config` of ``data``, checked (``check=False``: keys and types only).

    ``kept``: settings left unused that are not refused - their keys, a function of the configuration giving
    them (:func:`sim.config.errors.kept_unused`), or None to judge no setting unused (a command checked before
    it ran).

    Raises
    ------
    ConfigError
        The first error (:func:`first_error`).
    """
    from sim.config.rules import check_config
    from sim.config.schema import Config

    try:
        cfg = Config.model_validate(data, context={"check": check})
    except ValidationError as exc:
        raise first_error(exc.errors(include_url=False)) from None
    if check:
        cfg._kept_unused = None if kept is None else frozenset(kept(cfg) if callable(kept) else kept)
        check_config(cfg)  # the rules across sections, once each section is valid
    return cfg


def kept_unused(cfg: Any, scenario: Mapping[str, Any], typed: Sequence[str]) -> FrozenSet[str]:
    """The settings :func:`unused_settings` finds in ``cfg`` that its command line's overrides left unused: none
    of ``typed`` gives them (nor a key above or below them), and the scenario's own data, ``scenario``, uses them.

    A scenario's channel switched off (``arrivals.phone.per_day=0``) keeps its settings for that channel, as
    a category set to share 0 keeps its own (``docs/experiments.md``); a setting typed, or one that the
    scenario sets without using it, is still refused.
    """
    from sim.config.rules import unused_settings

    left = [e.key for e in unused_settings(cfg) if not given_by(e.key, typed)]
    if not left:
        return frozenset()
    try:
        own = {e.key for e in unused_settings(config_of(scenario, check=False))}
    except ConfigError:
        return frozenset()
    return frozenset(k for k in left if k not in own)


def given_by(key: str, typed: Sequence[str]) -> bool:
    """Whether the overrides ``typed`` (``key=value``, ``+key=...``) give ``key`` (``arrivals.surges[2].start_h``),
    a key above it (``arrivals.surges``) or one below it (``calls.handle_s.mean`` for ``calls.handle_s``)."""
    k = key.replace("[", ".").replace("]", "")
    given = [o.lstrip("+~").split("=", 1)[0].split("@", 1)[0] for o in typed]
    return any(k == g or k.startswith(g + ".") or g.startswith(k + ".") for g in given)


def _place(text: str, at: str) -> str:
    return text.replace(f"{AT}.", f"{at}." if at else "").replace(AT, at)


def _rank(e: Any) -> int:
    err = (e.get("ctx") or {}).get("error")
    if not isinstance(err, ConfigError) or isinstance(err, TypeRule):
        return 0
    return 1 if isinstance(err, FieldRule) else 2


def first_error(errors: Sequence[Any]) -> ConfigError:
    """The first of the lowest rank of pydantic's errors (``ValidationError.errors()``), as a ConfigError naming
    the dotted key."""
    e = min(errors, key=lambda x: (_rank(x), errors.index(x)))
    path: Path = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("<variant:")))
    err = (e.get("ctx") or {}).get("error")
    if isinstance(err, ConfigError):
        return type(err)(_place(err.key, dotted(path)), err.value, _place(err.rule, dotted(path)), err.shown)
    if e["type"] == "extra_forbidden":
        try:
            parent = lookup([str(p) for p in path[:-1]])[1][-1]
            return TypeRule(dotted(path), None, unknown(path, list(fields(parent[1]))).rule)
        except Violation as v:  # pragma: no cover - a parent that pydantic found is in the schema
            return TypeRule(dotted(v.path), None, v.rule)
    return TypeRule(dotted(path), e["input"], _rule(e, path))


def _rule(e: Any, path: Path) -> str:
    kind, value = e["type"], e["input"]
    if kind == "rule":
        return str(e["msg"])
    base = kind.split("_")[0]
    if kind in ("model_type", "model_attributes_type", "union_tag_not_found", "union_tag_invalid", "dict_type"):
        try:
            what = _DIST if node(lookup([str(p) for p in path])[1][-1][1])[1] is DistConfig else _KIND["dict"]
        except (Violation, IndexError):
            what = _KIND["dict"]
    elif base in _KIND:
        what = _KIND[base]
    elif kind == "literal_error":
        return "use one of " + ", ".join(re.findall(r"'([^']*)'", str((e.get("ctx") or {}).get("expected", ""))))
    elif kind == "missing":
        return "required: a distribution needs its family, e.g. dist: exponential" if path[-1:] == ("dist",) \
            else "required"
    else:
        return str(e["msg"])
    if value is None:
        return f"must not be null: give {what}"
    if isinstance(value, bool) and base == "string":
        return "must be text (quote it: 'true')"
    if isinstance(value, (dict, list)) and base in ("int", "float", "string", "bool"):
        return f"must be {what}, not a {'mapping' if isinstance(value, dict) else 'list'}"
    return f"must be {what}"


def as_typed(exc: ConfigError, typed: Sequence[str]) -> ConfigError:
    """``exc`` naming the argument as typed that gave its key (or, for a value of the wrong kind, a key above it).

    Validation sees composed values (``1e12`` became ``1000000000000.0``); the user should read back what they
    wrote.  A list item typed ``staffing.shifts.0.count`` is the key ``staffing.shifts[0].count``; a sweep
    argument (``key=a,b``) is named as typed, with the variant's value after it.
    """
    if exc.shown is not None:
        return exc

    def same(key: str) -> str:
        return re.sub(r"\[(\d+)\]", r".\1", key.lstrip("+~"))

    for arg in typed:
        key, eq, value = arg.partition("=")
        if not eq:
            continue
        if same(key) == same(exc.key):
            if "," in value and not value.lstrip().startswith(("[", "{")) and str(exc.value) != value:
                return ConfigError(exc.key, exc.value, exc.rule, f"{arg} (the variant with {exc.key}={exc.value!r})")
            return type(exc)(exc.key, exc.value, exc.rule, arg)
        if isinstance(exc, TypeRule) and same(exc.key).startswith(same(key) + "."):
            return TypeRule(exc.key, exc.value, f"{exc.key}: {exc.rule}", arg)
    plan, _, form = exc.key.rpartition(".")
    for arg in typed if form in PLAN_FORMS else ():  # a plan form typed empties the others (plan_form_overrides)
        typed_plan, _, typed_form = same(arg.partition("=")[0]).rpartition(".")
        if typed_form in PLAN_FORMS and typed_plan == plan:
            return type(exc)(exc.key, exc.value, exc.rule, arg)
    return exc
