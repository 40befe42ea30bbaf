"""Policies the model consults during a run (routing, dispatch), each found by its name.

A kind of policy has one :class:`~sim.policies.registry.Registry`; a scenario names
the policy it wants and an unknown name is rejected with the list of valid ones.
Policies that plan *before* a run and may simulate to do it (staffing
requirements, optimisation, shift scheduling) do not belong here: they sit above
the experiments.
"""
