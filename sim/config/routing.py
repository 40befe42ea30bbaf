"""The routing section of the configuration: operator groups, skills, blending, priority aging, callbacks.

``routing`` says how the front line's operators take their work; with every key at its default the model
is the one queue of the plain model (one group holding every operator and every skill, urgent calls
first, then calls, then online work and outbound calls when no call waits).  The rules themselves (and
their published sources) are in :mod:`sim.policies.routing` and :mod:`sim.policies.callbacks`; the rules
that relate routing to the rest of the configuration in :mod:`sim.config.rules`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Dict, List, Optional

from pydantic import StrictBool

from sim.config.fields import (
    AT,
    Count,
    Distinct,
    Model,
    PositiveSeconds,
    Probability,
    Range,
    Seconds,
    UsedOnlyWhen,
    Whole,
    check_half_hours,
    doc,
    rule,
)
from sim.config.limits import LIMITS
from sim.config.staffing_policy import Group
from sim.core.errors import ConfigError

#: Keys of ``routing.skills`` that are not categories: online work and outbound return-visit calls.
SKILL_WORK: tuple[str, ...] = ("online", "outbound")
#: Queue classes that can age (``routing.escalate_after_s.<class>``), least urgent last.
ESCALATION_CLASSES: tuple[str, ...] = ("call", "callback", "online", "outbound")
#: Most operator groups a scenario may declare.
MAX_GROUPS = 64


def has_calls(cfg: Any, owner: Any = None) -> bool:
    """Whether there are calls."""
    return bool(cfg.arrivals.phone.per_day > 0)


def has_online(cfg: Any, owner: Any = None) -> bool:
    """Whether there is online demand."""
    return bool(cfg.arrivals.online.per_day > 0)


def visits_by_operators(cfg: Any, owner: Any = None) -> bool:
    """Whether operators make the return visits (with units)."""
    return bool(cfg.units) and cfg.feedback.mode == "operators"


#: The conditions that several settings share.
PHONE = UsedOnlyWhen(has_calls, "used only when there are calls (arrivals.phone.per_day > 0)")
ONLINE = UsedOnlyWhen(has_online, "used only when there is online demand (arrivals.online.per_day > 0)")
OPERATOR_VISITS = UsedOnlyWhen(visits_by_operators, "used only with return visits by operators "
                                                    "(feedback.mode=operators, with units)")
_CALLBACK_FAILS = UsedOnlyWhen(lambda c, o: o.reach_probability < 1, "used only when a callback attempt can fail "
                                                                     "(routing.callback.reach_probability < 1)")
_BLENDED = UsedOnlyWhen(lambda c, o: has_online(c) or visits_by_operators(c), "used only with blended work: online "
                        "demand (arrivals.online.per_day > 0) or return visits by operators (feedback.mode=operators)")
_IDLE = Range(ceiling=LIMITS["operators"], why="idle operators kept, at most the operators on duty")


class CallbackConfig(Model):
    """A callback offered to callers who would wait long (``routing.callback``)."""

    enabled: Annotated[StrictBool, UsedOnlyWhen(lambda c, o: o.accept_probability > 0, "used only when a caller may "
                                                "accept a callback (routing.callback.accept_probability > 0)")] = doc(
        False, "offer callbacks (false: every caller waits in line)")
    offer_when_wait_s: Seconds = doc(60.0, "offer when the wait estimated at the call's arrival exceeds this")
    accept_probability: Probability = doc(0.5, "P(a caller offered a callback accepts it and hangs up)")
    mode: str = doc("virtual_queue", "virtual_queue: called back in their place in line; window: after inbound calls")
    window_s: PositiveSeconds = doc(1800.0, "promised: the first callback attempt within this long after accepting")
    reach_probability: Probability = doc(0.8, "P(a callback attempt reaches the resident)")
    max_attempts: Annotated[Whole, Range(1, 100), _CALLBACK_FAILS] = doc(3, "attempts before the callback fails")
    retry_delay_s: Annotated[PositiveSeconds, _CALLBACK_FAILS, UsedOnlyWhen(
        lambda c, o: o.max_attempts > 1, "used only when a callback may make a second attempt "
                                         "(routing.callback.max_attempts > 1)")] = doc(600.0, "from a failed attempt "
                                                                                             "to the next one")
    no_answer_s: Annotated[PositiveSeconds, _CALLBACK_FAILS] = doc(30.0, "operator time of an attempt that does not "
                                                                         "reach the resident")


class EscalationConfig(Model):
    """Priority aging: after waiting this long in its class, a waiting item moves up one class (``null`` = never)."""

    call: Annotated[Optional[PositiveSeconds], PHONE] = doc(None, "a call not in calls.priority_classes joins the "
                                                                   "urgent class, seconds")
    callback: Annotated[Optional[PositiveSeconds], UsedOnlyWhen(
        lambda c, o: c.routing.callback.enabled and c.routing.callback.mode == "window",
        "used only with callbacks in their own class (routing.callback.enabled=true, mode=window)")] = doc(
        None, "a pending callback (mode window) joins the calls, seconds")
    online: Annotated[Optional[PositiveSeconds], ONLINE] = doc(
        None, "an online item joins the next class up in use (callbacks or calls), seconds")
    outbound: Annotated[Optional[PositiveSeconds], OPERATOR_VISITS] = doc(
        None, "an outbound return-visit call joins the online items, seconds")


class RoutingConfig(Model):
    """How operators take their work: skill groups with overflow, blending, aging, callbacks (sim.policies)."""

    groups: Dict[str, Group] = doc(dict, "name -> plan; empty = one group, staffing's plan")
    skills: Annotated[Dict[str, Annotated[List[str], Distinct()]], UsedOnlyWhen(
        lambda c, o: bool(o.groups), "used only with operator groups (routing.groups)")] = doc(
        dict, "category, online or outbound -> the groups that serve it, preferred first")
    overflow_after_s: Annotated[Seconds, UsedOnlyWhen(
        lambda c, o: any(len(g) > 1 for g in o.skills.values()), "used only when a routing.skills list names two "
        "groups or more (there is a next group to overflow to)")] = doc(
        30.0, "wait before a contact may also go to the next group of its list, seconds")
    reserve_idle: Annotated[Count, _IDLE, _BLENDED] = doc(0, "online and outbound work only while this many other "
                                                             "operators of the group stay idle")
    reserve_idle_half_hourly: Annotated[List[Annotated[Count, _IDLE]], _BLENDED] = doc(
        list, "the same per half-hour (48 or 336 values)")
    escalate_after_s: EscalationConfig = doc(EscalationConfig, "priority aging, per class")
    callback: Annotated[CallbackConfig, UsedOnlyWhen(
        lambda c, o: o.callback.enabled and has_calls(c), "used only with callbacks on (routing.callback.enabled=true) "
                                                      "and calls (arrivals.phone.per_day > 0)")] = doc(
        CallbackConfig, "callbacks offered instead of a long wait")

    @rule
    def _groups_and_reservation(self) -> None:
        if len(self.groups) > MAX_GROUPS:
            raise ConfigError(f"{AT}.groups", f"<{len(self.groups)} groups>", f"at most {MAX_GROUPS} groups")
        for name in self.groups:
            if not re.fullmatch(r"[A-Za-z0-9_]+", name):
                raise ConfigError(f"{AT}.groups.{name}", "<plan>", "a group's name is letters, digits and _ only "
                                                                   "(it names the group's KPIs: service_level.<group>)")
        if self.reserve_idle_half_hourly:
            if self.reserve_idle:
                raise ConfigError(f"{AT}.reserve_idle", self.reserve_idle,
                                  f"conflicts with {AT}.reserve_idle_half_hourly: give one of them")
            check_half_hours(f"{AT}.reserve_idle_half_hourly", self.reserve_idle_half_hourly)
