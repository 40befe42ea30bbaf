"""Errors raised for bad input.

A :class:`ConfigError` names the offending key, its value and the rule it breaks;
the command line prints it as one line on stderr and exits with status 2.
"""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """A configuration value breaks a rule.

    Parameters
    ----------
    key : str
        Dotted path of the key, e.g. ``"calls.handle_s.cv"``.
    value : Any
        The offending value.
    rule : str
        The rule it breaks, e.g. ``"must be >= 0"``.
    """

    def __init__(self, key: str, value: Any, rule: str) -> None:
        self.key = key
        self.value = value
        self.rule = rule
        super().__init__(f"{key}={_show(value)}: {rule}")


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    if isinstance(value, (list, tuple)) and len(value) > 8:
        head = ", ".join(_show(v) for v in value[:6])
        return f"[{head}, ... ({len(value)} values)]"
    if isinstance(value, str) and not value.startswith("<"):
        return repr(value)
    return str(value)


class BadInput(BaseException):
    """Raised out of a Hydra task for bad input, so that Hydra does not report it as a failed job."""
