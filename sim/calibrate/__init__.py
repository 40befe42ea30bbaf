"""Scenarios from real logs: calibration of the model from a call log or a service-request log.

A planner's first question about a simulator is whether it looks like their own
centre.  This package reads an ACD call log or a city service-request log through a
column mapping (:mod:`sim.calibrate.formats`, :mod:`sim.calibrate.logread`), fits what
the model needs - arrival volumes and profiles, day-to-day spread, the category
mix, handle times (:mod:`sim.calibrate.fitting`), patience with censoring and the
Kaplan-Meier curve (:mod:`sim.calibrate.survival`), redials, priorities, the agents
seen (:mod:`sim.calibrate.calls`); or request volumes, channels and times to
close per agency (:mod:`sim.calibrate.requests`) - writes a runnable scenario in
which every fitted number names its source (:mod:`sim.calibrate.scenario`), and
back-tests it by simulating it against the log (:mod:`sim.calibrate.backtest`).
It is a consumer of :mod:`sim.api`: nothing in the model imports it.  The command
is :mod:`sim.calibrate.cli`.
"""
