"""The routing section of the configuration: callbacks and priority aging (the groups are in the schema).

``routing`` says how the front line's operators take their work
(:class:`sim.config.schema.RoutingConfig`); with every key at its default the
model is the one queue of the plain model (one group holding every operator and
every skill, urgent calls first, then calls, then online work and outbound
calls when no call waits).  This module holds the parts that do not need the
rest of the schema: the callback offer (:class:`CallbackConfig`) and priority
aging (:class:`EscalationConfig`), and the names the routing keys accept.  The
rules themselves (and their published sources) are in :mod:`sim.policies.routing`
and :mod:`sim.policies.callbacks`; the checks in :mod:`sim.config.validate_routing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

#: Keys of ``routing.skills`` that are not categories: online work and outbound return-visit calls.
SKILL_WORK: tuple[str, ...] = ("online", "outbound")
#: Queue classes that can age (``routing.escalate_after_s.<class>``), least urgent last.
ESCALATION_CLASSES: tuple[str, ...] = ("call", "callback", "online", "outbound")


@dataclass
class CallbackConfig:
    """A callback offered to callers who would wait long (``routing.callback``)."""

    enabled: bool = False  # offer callbacks (false: every caller waits in line)
    offer_when_wait_s: float = 60.0  # offer when the wait estimated at the call's arrival exceeds this, seconds
    accept_probability: float = 0.5  # P(a caller offered a callback accepts it and hangs up)
    mode: str = "virtual_queue"  # virtual_queue: called back in their place in line; window: after inbound calls
    window_s: float = 1800.0  # promised: the first callback attempt within this long after accepting, seconds
    reach_probability: float = 0.8  # P(a callback attempt reaches the resident)
    max_attempts: int = 3  # attempts before the callback fails (the contact ends as callback_not_reached)
    retry_delay_s: float = 600.0  # from a failed attempt to the next one, seconds
    no_answer_s: float = 30.0  # operator time of an attempt that does not reach the resident, seconds


@dataclass
class EscalationConfig:
    """Priority aging: after waiting this long in its class, a waiting item moves up one class (``null`` = never)."""

    call: Optional[float] = None  # a call not in calls.priority_classes joins the urgent class, seconds
    callback: Optional[float] = None  # a pending callback (mode window) joins the calls, seconds
    online: Optional[float] = None  # an online item joins the next class up in use (callbacks or calls), seconds
    outbound: Optional[float] = None  # an outbound return-visit call joins the online items, seconds
