"""The configuration of a run as a reader wants it: the keys that differ from the defaults first.

A resolved configuration has hundreds of keys; the few that make the run what
it is - the scenario's data and the command line's overrides - are those whose
value differs from the schema's default (:class:`~sim.config.schema.Config`).
:func:`differences` lists them as dotted keys with the value and the default;
the page shows them first and the whole configuration (``config.yaml``) folded
below.  The command line's own overrides are read from Hydra's record of the
run (``.hydra/overrides.yaml``) when the run folder has one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from sim.config.schema import Config


@dataclass
class Difference:
    """A key whose value differs from the default: dotted key, value and default, as short text."""

    key: str
    value: str
    default: str


def _flatten(node: Any, prefix: str, out: Dict[str, Any]) -> None:
    if isinstance(node, dict) and node:
        for k, v in node.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = node


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flat(cfg: Config) -> Dict[str, Any]:
    """The configuration as ``{dotted key: value}`` (lists and empty mappings are values)."""
    out: Dict[str, Any] = {}
    _flatten(cfg if isinstance(cfg, dict) else cfg.model_dump(), "", out)
    return out


def differences(cfg: Config) -> List[Difference]:
    """The keys of ``cfg`` whose value differs from the schema's default, in the schema's order.

    A key the defaults do not have (a category, a unit type) is listed with the default ``(none)``.
    """
    from sim.config.schema import defaults_data

    mine, base = flat(cfg), flat(defaults_data())  # type: ignore[arg-type]
    out = []
    for key, value in mine.items():
        if key not in base:
            out.append(Difference(key, _text(value), "(none)"))
        elif value != base[key]:
            out.append(Difference(key, _text(value), _text(base[key])))
    return out


def command_line_overrides(out_dir: Optional[Path]) -> List[str]:
    """The overrides of the command line that ran into ``out_dir`` (Hydra's ``.hydra/overrides.yaml``) as they
    were given (:func:`sim.config.overrides.as_given`; without the plan forms that a plan given on the command
    line empties, :func:`sim.config.hydra_setup.typed_overrides`), or []."""
    if out_dir is None:
        return []
    import yaml

    path = Path(out_dir) / ".hydra" / "overrides.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return []
    from sim.config.hydra_setup import typed_overrides
    from sim.config.overrides import as_given

    return [as_given(o) for o in typed_overrides([str(o) for o in data])] if isinstance(data, list) else []
