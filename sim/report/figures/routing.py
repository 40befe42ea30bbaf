"""Figures of the routing policies: operator groups side by side, and callbacks through time.

Drawn only when the scenario uses the policy (``routing.groups``;
``routing.callback.enabled``).  A group's calls are counted by their *home*
group - the first group of their route - whoever answered them, and its
occupancy is that of the group's own operators (whatever they served), as the
KPIs of :mod:`sim.analysis.kpis_routing` define them.  Callbacks are counted in
the interval of the call attempt that accepted the offer.  Both figures use the
front line's layout (:func:`sim.report.figures.frontline.build`) as the average
day (a small group takes too few calls per half-hour to read interval by
interval), and average week and daily series beyond a week.
"""

from __future__ import annotations

from typing import Optional

from sim.report.figures.frontline import Line, Panel, average_day_views, build
from sim.report.pages import Figure
from sim.report.palette import SERIES, distinct
from sim.report.rundata import RunData


def group_colours(rd: RunData) -> dict[str, str]:
    """The colour of each operator group (fixed per group name across reports)."""
    return distinct(rd.groups)


def groups(rd: RunData) -> Optional[Figure]:
    """Service level and occupancy of each operator group through time (None without groups)."""
    if not rd.groups:
        return None
    colours = group_colours(rd)
    thr = rd.cfg.kpi.answer_threshold_s
    sl = Panel(f"Service level by home group (answered within {thr:g} s)", "service level",
               [Line(f"service_level.{g}", g, colours[g]) for g in rd.groups], share=True, target="service_level")
    occ = Panel("Occupancy of each group's operators", "busy / on duty",
                [Line(f"occupancy.{g}", g, colours[g]) for g in rd.groups], share=True)
    caption = ("Call attempts are counted by their home group, the first group of their route "
               "(routing.skills), whichever group answered them; an abandoned attempt counts as not answered in "
               "time. Occupancy is the time the group's own operators were busy, whatever they served, over their "
               "time on duty. The dashed line is the hotline's service-level target (kpi.targets). Shown as the "
               "average day: a small group takes too few calls per half-hour to read interval by interval.")
    return build(rd, "groups", "Operator groups", [sl, occ], caption, 2.1, average_day_views(rd))


def callbacks(rd: RunData) -> Optional[Figure]:
    """Callbacks offered, accepted, completed and late, and the delay to reach the resident (None without)."""
    if not rd.callbacks:
        return None
    cb = rd.cfg.routing.callback
    counts = Panel("Callbacks", "call attempts / callbacks", [
        Line("callbacks_accepted", "accepted", SERIES["callbacks_accepted"], band=False, lw=4.0),
        Line("callbacks_offered", "offered a callback", SERIES["callbacks_offered"], band=False),
        Line("callbacks_completed", "reached the resident", SERIES["callbacks_completed"], band=False),
        Line("callbacks_missed_window", "later than promised", SERIES["callbacks_missed_window"], band=False)])
    window_min = cb.window_s / 60.0
    delay = Panel("Delay from acceptance to reaching the resident", "seconds",
                  [Line("callback_delay_s", "mean delay (reached)", SERIES["callback_delay_s"])],
                  target="callback_delay_s", refs=[(cb.window_s, f"promised window ({window_min:g} min)")])
    caption = (f"A caller whose estimated wait exceeds {cb.offer_when_wait_s:g} s is offered a callback "
               f"(routing.callback.offer_when_wait_s) and accepts with probability {cb.accept_probability:g}; "
               f"callbacks are counted in the interval of the call attempt that accepted. A callback is late when "
               f"its first attempt comes more than {window_min:g} min after acceptance (routing.callback.window_s), "
               f"or is never made. The wide pale line (accepted) shows where nearly every accepted callback "
               f"reached the resident; the counts have no band.")
    return build(rd, "callbacks", "Callbacks", [counts, delay], caption, 2.1, average_day_views(rd))
