"""Colours of the reports: one fixed colour per series, the same in every figure and page.

A reader who learnt that calls are blue and abandonment is vermilion in one
report finds them so in the next, whatever the scenario or the order in which a
figure draws its series.  Series with fixed names (channels, operators, KPIs,
terminal states, Beijing's unit types) have a colour here; names that vary with
the scenario (categories, unit types of another city, sweep variants) get one
from :data:`QUALITATIVE` chosen by a hash of the name (:func:`named`), so the
same name has the same colour in every report.  Based on the Okabe-Ito palette
(Okabe and Ito, *Color Universal Design*, 2008), readable with the common forms
of colour blindness.

The CSS of the pages takes its status colours (:data:`STATUS`) and its theme
(:data:`CSS_VARIABLES`) from here too, so another page (a calibration report)
that renders with :mod:`sim.report.pages` looks like the run report.
"""

from __future__ import annotations

import zlib
from typing import Dict, Sequence

#: Series with a fixed colour.
SERIES: Dict[str, str] = {
    # demand
    "phone": "#0072B2", "calls": "#0072B2", "redials": "#56B4E9", "online": "#E69F00",
    # operators and load: grey is always the rostered operators (paid, before shrinkage), light blue those
    # available after shrinkage
    "scheduled": "#C8C8C8", "available": "#A6CEE3", "on_duty": "#222222", "busy": "#CC79A7", "offered_load": "#D55E00",
    # service
    "service_level": "#0072B2", "answer_rate": "#009E73", "abandon_rate": "#D55E00", "asa_s": "#6A3D9A",
    "occupancy": "#CC79A7", "calls_waiting": "#0072B2", "online_backlog": "#E69F00",
    "mean_calls_waiting": "#0072B2", "mean_wait_s": "#6A3D9A",
    # callbacks
    "callbacks_offered": "#0072B2", "callbacks_accepted": "#A6CEE3", "callbacks_completed": "#009E73",
    "callbacks_missed_window": "#D55E00", "callback_delay_s": "#6A3D9A", "callback_not_reached": "#A6761D",
    # work orders
    "created": "#0072B2", "closed": "#009E73", "rated": "#CC79A7",
    "response_rate": "#0072B2", "resolution_rate": "#009E73", "satisfaction_rate": "#CC79A7",
    "closeout_on_time_rate": "#E69F00",
    # where contacts end (terminal and open states)
    "answered_direct": "#009E73", "transferred_emergency": "#7F0000", "abandoned": "#D55E00",
    "online_expired": "#E69F00", "work_order": "#0072B2", "closed_rated": "#0072B2",
    "closed_not_reached": "#56B4E9", "open": "#9E9E9E", "reached": "#4D4D4D",
    "satisfied": "#009E73", "not_satisfied": "#D55E00", "not_reached": "#BDBDBD",
    # Beijing's unit types
    "street": "#1B9E77", "district": "#D95F02", "municipal": "#7570B3", "utility": "#E7298A",
    # Beijing's request categories (Tableau 10: told apart in a figure of all ten)
    "market_supervision": "#4E79A7", "public_utilities": "#F28E2B", "housing_property": "#E15759",
    "health_care": "#76B7B2", "urban_management": "#59A14F", "traffic_parking": "#EDC948",
    "social_order": "#B07AA1", "labour_social_security": "#FF9DA7", "education": "#9C755F", "other": "#BAB0AC",
    # marks
    "target": "#B00020", "reference": "#444444",
}

#: Colours for names without a fixed colour (a category, a variant), chosen by :func:`named`.
QUALITATIVE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
    "#8C564B", "#6A3D9A", "#BCBD22", "#17BECF", "#7F7F7F", "#E7298A",
)

#: Shading of periods in time figures: warm-up, surges, drain.
SHADE: Dict[str, str] = {"warmup": "#BDBDBD", "surge": "#F0E442", "drain": "#E0E0E0"}

#: Colours of a KPI's verdict against its target (pages and terminal use the same words).
STATUS: Dict[str, str] = {"met": "#1A7F37", "missed": "#CF222E", "unclear": "#9A6700", "none": "#6E7781"}

#: The pages' theme, as CSS custom properties (``var(--met)``...).
CSS_VARIABLES: Dict[str, str] = {
    "--ink": "#1F2328", "--muted": "#59636E", "--rule": "#D1D9E0", "--panel": "#F6F8FA",
    "--accent": SERIES["phone"], **{f"--{k}": v for k, v in STATUS.items()},
}


def named(name: str) -> str:
    """The colour of series ``name``: its fixed colour, or one chosen by a hash of the name (the same in
    every report)."""
    if name in SERIES:
        return SERIES[name]
    return QUALITATIVE[zlib.crc32(name.encode("utf-8")) % len(QUALITATIVE)]


def distinct(names: Sequence[str]) -> Dict[str, str]:
    """Colours for ``names`` drawn together: fixed and hashed colours, a clash moved to the next free colour.

    The first name keeps its colour and later clashes move, so a figure of a given set of names looks the
    same in every report (the order of ``names`` is the figure's own fixed order, e.g. the scenario's
    category order).
    """
    out: Dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        colour = named(name)
        if colour in used:
            start = QUALITATIVE.index(colour) if colour in QUALITATIVE else 0
            free = [QUALITATIVE[(start + i) % len(QUALITATIVE)] for i in range(1, len(QUALITATIVE) + 1)]
            colour = next((c for c in free if c not in used), colour)
        out[name] = colour
        used.add(colour)
    return out


def variant_colour(index: int) -> str:
    """The colour of the sweep variant number ``index`` (variant 0, the reference, is dark grey)."""
    return SERIES["reference"] if index == 0 else QUALITATIVE[(index - 1) % len(QUALITATIVE)]

