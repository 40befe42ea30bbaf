"""Callbacks offered instead of a long wait: when to offer one, and where the callback waits.

**Rule.**  With ``routing.callback.enabled``, a caller of an ordinary call class
(never an urgent one) who finds no free operator is offered a callback when the
wait estimated at arrival exceeds ``routing.callback.offer_when_wait_s``, and
accepts with ``accept_probability`` (an attribute of the resident, drawn when
the resident is created, so that variants see the same residents).  An accepted
caller hangs up: neither answered nor abandoned.  The callback waits, by
``routing.callback.mode``,

* ``virtual_queue`` - in the caller's place in line, among the calls (a
  "virtual hold"): an operator calls back when the caller's turn comes;
* ``window`` - in a class of its own, after inbound calls and before online
  work: operators call back when no inbound call waits; the promise is a
  callback within ``window_s``.

Either way an attempt reaches the resident with ``reach_probability``; an
attempt that does not costs the operator ``no_answer_s`` and is retried after
``retry_delay_s`` (joining the back of its line), up to ``max_attempts``; then
the callback fails and the contact ends as ``callback_not_reached``.  A reached
resident is handled like an answered call.  A callback whose first attempt
starts more than ``window_s`` after acceptance (or has not started by the end of
the run) missed its window.

**The estimator** (:func:`estimated_wait_s`) is the queue-length predictor of
Whitt (1999), "Predicting queueing delays", Management Science 45(6): a caller
with ``k`` calls ahead in a queue served by ``s`` operators of mean handle time
``h`` waits ``(k + 1) h / s`` on average (exact for M/M/s without abandonment;
an over-estimate when callers ahead abandon).  ``k`` counts the waiting work the
caller's preferred group may serve in the caller's class or a more urgent one
(pending virtual callbacks included), ``s`` that group's operators on duty, ``h``
the mean call handle time of the scenario's category mix.  Sources for the
designs: Armony & Maglaras (2004), "Contact centers with a call-back option and
real-time delay information", Operations Research 52(4); Legros, Jouini & Koole
(2016), "Optimal scheduling in call centers with a callback option", Performance
Evaluation 95.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.policies.registry import Registry


@dataclass(frozen=True)
class CallbackMode:
    """Where an accepted callback waits.

    Attributes
    ----------
    name : str
        The value of ``routing.callback.mode``.
    keeps_place : bool
        True: in the caller's place among the calls; False: in the callback class, after inbound calls.
    """

    name: str
    keeps_place: bool


#: The callback modes, by ``routing.callback.mode``.
CALLBACK_MODES: Registry[CallbackMode] = Registry("callback mode", "routing.callback.mode")
CALLBACK_MODES.register("virtual_queue")(CallbackMode("virtual_queue", keeps_place=True))
CALLBACK_MODES.register("window")(CallbackMode("window", keeps_place=False))


def estimated_wait_s(ahead: int, operators: int, mean_handle_s: float) -> float:
    """Expected wait of a caller who finds ``ahead`` calls waiting before them (Whitt 1999).

    Parameters
    ----------
    ahead : int
        Calls waiting ahead of the caller (>= 0).
    operators : int
        Operators on duty serving them; 0 gives ``inf``.
    mean_handle_s : float
        Mean handle time, seconds.

    Returns
    -------
    float
        ``(ahead + 1) * mean_handle_s / operators`` seconds.
    """
    if operators <= 0:
        return float("inf")
    return (ahead + 1) * mean_handle_s / operators
