"""Markers on fields of the configuration schema, read by generic checks.

Some rules hold for every field of a kind rather than for one key: a list whose
values form a set (weekdays, urgency classes, unit types, operator groups, start
times) never names a value twice - a repeated weekday would not make a calendar
work twice as much, it would change nothing.  Such a field carries
``metadata=DISTINCT`` in its dataclass (:mod:`sim.config.schema`); on a mapping of
lists (``routing.skills``) the marker applies to each list.  The check walks the
schema and needs no list of keys (:func:`sim.config.validate_effects.check_distinct`),
so a field added later with the marker is covered.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

#: Field metadata: the list (or each list of a mapping) holds distinct values.
DISTINCT: Mapping[str, bool] = MappingProxyType({"distinct": True})
