"""A registry of policies: a policy is found by its name, unknown names are rejected.

Policies are the model's decision rules that a user chooses by name in a
scenario or on the command line (``workorders.dispatch=...``,
``workorders.assignment=...``, ``routing.callback.mode=...``; before a run,
``staffing.policy=...`` and ``unit_staffing.policy=...`` in :mod:`sim.planning`).
Operator groups, skills, overflow, reservation and aging are settings of
``routing.*`` read by the operator pool, not named policies.  Each kind of policy
has one :class:`Registry`; a policy module registers its implementation under
a name with :meth:`Registry.register`, and configuration code looks it up with
:meth:`Registry.get`, which rejects an unknown name with a
:class:`~sim.core.errors.ConfigError` listing the valid ones.  The registry is
closed: only code of this package registers, and a name in a scenario file is
never imported or evaluated (scenario files are data written by analysts).
"""

from __future__ import annotations

from typing import Callable, Dict, Generic, Iterator, TypeVar

from sim.core.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named implementations of one kind of policy.

    Parameters
    ----------
    kind : str
        What the policies decide, for messages (``"dispatch policy"``).
    key : str
        The configuration key that names a policy of this kind (``"staffing.policy"``).

    Examples
    --------
    >>> assignment = Registry[Callable[..., int]]("assignment policy", "workorders.assignment")
    >>> @assignment.register("weights")
    ... def by_weights(*args): ...
    >>> assignment.names()
    ('weights',)
    """

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        self._items: Dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated class or function under ``name``.

        Raises
        ------
        ValueError
            ``name`` is already registered (two policies cannot share a name).
        """

        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = obj
            return obj

        return add

    def get(self, name: str, key: str | None = None) -> T:
        """The policy registered as ``name``.

        Parameters
        ----------
        name : str
            The name given in the configuration.
        key : str, optional
            The configuration key that holds it, for the message (default: the registry's key).

        Raises
        ------
        ConfigError
            No policy of this kind has that name; the message lists the valid names.
        """
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise ConfigError(key or self.key, name,
                              f"unknown {self.kind}; use one of {', '.join(self.names())}") from None

    def check(self, name: str, key: str | None = None) -> None:
        """Raise :class:`ConfigError` unless ``name`` is registered (see :meth:`get`)."""
        self.get(name, key)

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order."""
        return tuple(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)
