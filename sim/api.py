"""Python entry points for scripts, notebooks and tests.

:func:`compose_config` builds the same validated configuration the command
line would (scenario file plus Hydra-style overrides), and :func:`run` runs it
and optionally writes the report folder::

    from sim.api import compose_config, run
    cfg = compose_config("single_queue", ["staffing.operators=130", "experiment.replications=3"])
    exp = run(cfg)
    print(exp.summary["service_level"])

:func:`compare` gives the difference of two runs' KPIs with its interval, paired replication by
replication when they share the seed (common random numbers); :func:`by_replication` one KPI's value
per replication number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union

from sim.config.compose import compose, variants
from sim.config.errors import as_typed, config_of, kept_unused
from sim.config.hydra_setup import plan_form_overrides, register
from sim.config.kpi_catalog import is_pooled
from sim.config.overrides import prepare_overrides, scenario_choices
from sim.config.paths import scenario_paths
from sim.config.schema import Config
from sim.core.errors import ConfigError
from sim.experiments.runner import ExperimentResult, run_experiment
from sim.model.checks import validate


def compose_config(scenario: str = "beijing_baseline", overrides: Sequence[str] = ()) -> Config:
    """Compose and check a configuration, as the command line would (without Hydra: :mod:`sim.config.compose`).

    Parameters
    ----------
    scenario : str
        Name of a file in ``scenarios/``, or the path of a scenario file (``.yaml``).
    overrides : sequence of str
        Hydra overrides such as ``"staffing.operators=130"``, with the command line's rules
        (:func:`sim.config.hydra_setup.plan_form_overrides`: a staffing plan form given here
        replaces the scenario's).

    Returns
    -------
    Config

    Raises
    ------
    sim.core.errors.ConfigError
        Bad input, with the message the command line prints: an override that cannot be parsed, an
        unknown key, a value of the wrong type or out of range, a broken scenario file; a setting of Hydra
        (``hydra.run.dir=...``), which only the command line uses.
    """
    if isinstance(overrides, str) or not all(isinstance(o, str) for o in overrides):
        raise ConfigError("overrides", overrides, "must be a list of strings such as ['staffing.operators=650']")
    for o in overrides:  # Hydra's settings (its run folder, logging...) act only on the command line
        if o.lstrip("+~").split("=")[0].split(".")[0].split("/")[0] == "hydra":
            raise ConfigError(o, o, "Hydra's settings apply to the command line only; give run() its out_dir",
                              shown=o)
    args = [f"scenario={scenario}", *overrides]
    named, files = scenario_paths(args)  # a scenario given as the path of its file
    scenarios = register(files=files)
    prepared = plan_form_overrides(prepare_overrides(named, scenarios, scenario))
    if len(variants(prepared[1:], scenarios.names)) > 1:
        swept = next(o for o in overrides if len(variants([o])) > 1)
        raise ConfigError(swept, swept, "several values are a sweep: compose one configuration per value (a sweep "
                                        "is the command line's -m); write a list as key=[a,b], or quote text "
                                        "holding a comma", shown=swept)
    try:
        node = scenarios.node(scenario_choices(named, scenario, scenarios.names)[0])
        cfg = config_of(compose(node, prepared), kept=lambda c: kept_unused(c, compose(node, []), prepared))
        validate(cfg)
    except ConfigError as exc:  # named as typed, as the command line names it (``mean=0``, not ``mean=0.0``)
        raise as_typed(exc, args) from None
    return cfg


def config_yaml(cfg: Config) -> str:
    """The configuration as YAML text (the keys of the variants it uses: ``staffing.policy``'s, its plan form)."""
    import yaml

    return yaml.safe_dump(cfg.model_dump(), sort_keys=False, allow_unicode=True, default_flow_style=False)


def run(cfg: Config, out_dir: Optional[Union[str, Path]] = None) -> ExperimentResult:
    """Plan the staffing (``staffing.policy``), run the experiment; write its report folder when ``out_dir`` is given.

    The result's ``cfg`` is the configuration simulated (a proposed plan in its ``staffing``, proposed
    case workers in its ``units``), its ``notes["staffing"]`` the :class:`sim.planning.plan.StaffingPlan`'s
    notes and ``notes["unit_staffing"]`` the unit plan's (:mod:`sim.report.units_staffing`).  The report is
    written into a temporary folder beside ``out_dir`` and renamed to ``out_dir`` when every file is
    written (:mod:`sim.report.folders`): a failure (an exception, Ctrl-C) leaves no folder, and with
    ``cfg.report.overwrite`` an earlier report in ``out_dir`` is replaced only then (without it, a
    report another run put in ``out_dir`` meanwhile is kept and this one goes to ``<out_dir>_2``:
    :func:`sim.report.folders.publish`).

    Raises
    ------
    sim.core.errors.ConfigError
        ``cfg`` breaks a rule: it is checked again, as :func:`compose_config` checks it, since a configuration
        changed after it was composed (``cfg.calls.retrial.probability = 5``,
        ``cfg.model_copy(update={"scale": -1})``) was run unchecked.  ``out_dir`` is a file, cannot be created,
        has a name too long for the file system, or holds files and ``cfg.report.overwrite`` is false (the rules of
        :func:`sim.report.folders.check_report_folder`); a staffing policy's plan cannot be made
        (:func:`sim.planning.check_plan`); both checked before the run.
    RuntimeError
        Every replication failed (the first failure named); nothing is written.  A replication that fails
        beside others that ran is in the result's ``failures``.
    """
    from sim.planning import check_plan, check_unit_plan, make_plan, make_unit_plan

    if not isinstance(cfg, Config):
        raise ConfigError("cfg", type(cfg).__name__, "must be a configuration of compose_config()")
    checked = config_of(cfg.model_dump(), kept=cfg.kept_unused)  # pydantic models are mutable: a change is checked
    validate(checked)
    cfg = checked
    check_plan(cfg)
    check_unit_plan(cfg)
    staging = None
    if out_dir is not None:
        from sim.report.folders import stage

        staging = stage(Path(out_dir), cfg.report.overwrite, "out_dir", str(out_dir))
    plan = make_plan(cfg)
    units = make_unit_plan(plan.cfg)
    run_cfg = units.cfg if units is not None else plan.cfg
    exp = run_experiment(run_cfg)
    if not exp.replications:
        first = exp.failures[0].error
        hint = ("; a worker process ended (killed, out of memory, or a script whose code runs when it is imported: "
                "worker processes import the script, so its code belongs under if __name__ == '__main__':)"
                if first.startswith("BrokenProcessPool") else "")
        raise RuntimeError(f"every replication failed (seed {cfg.experiment.seed}); first: {first}{hint}")
    from sim.report.staffing import staffing_summary

    exp.notes["staffing"] = staffing_summary(exp, plan)
    if units is not None and units.policy != "plan":
        from sim.report.tables import units_table
        from sim.report.units_staffing import unit_staffing_summary

        exp.notes["unit_staffing"] = unit_staffing_summary(exp, units, units_table(exp, units))
    if staging is not None:
        from sim.report.folders import publish
        from sim.report.index import refresh_index_for
        from sim.report.outputs import write_outputs

        try:
            staging.staging.mkdir(parents=True)
            write_outputs(exp, staging.staging, config_yaml(run_cfg), staffing=plan, unit_plan=units)
            written = publish(staging.staging, staging.final, cfg.report.overwrite)
        except BaseException:
            staging.discard()
            raise
        refresh_index_for(written)
    return exp


def by_replication(exp: ExperimentResult, kpi: str) -> Dict[int, float]:
    """One KPI's value in each replication of a run, by replication number.

    ``exp.per_replication[i]`` belongs to replication ``exp.replications[i].replication``: a replication
    that failed leaves a hole in the numbers (it is in ``exp.failures``), so a list index is not a
    replication number.

    Raises
    ------
    sim.core.errors.ConfigError
        ``kpi`` has no value per replication (a misspelt name, or a KPI pooled over all replications).
    """
    known = [k for k in (exp.per_replication[0] if exp.per_replication else {}) if not is_pooled(k)]
    if kpi not in known:
        from difflib import get_close_matches

        close = get_close_matches(str(kpi), known, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise ConfigError("kpi", kpi, f"not a KPI with a value per replication of this run; {hint}use one of "
                                      f"{', '.join(known)}")
    return {r.replication: float(k[kpi]) for r, k in zip(exp.replications, exp.per_replication)}


def compare(ref: ExperimentResult, var: ExperimentResult,
            kpis: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, Any]]:
    """The difference ``var - ref`` of each KPI with its confidence interval, as a sweep's comparison computes it.

    Two runs with the same ``experiment.seed`` meet the same residents in replication ``r`` (common random
    numbers): their difference is the paired-t interval over the replications both have.  With different
    seeds (or fewer than two replications in common) it is Welch's unpaired interval
    (:func:`sim.analysis.differences.compare_replications`).  The level is ``ref``'s ``experiment.confidence``.

    Parameters
    ----------
    ref, var : ExperimentResult
        The reference run and the other one (results of :func:`run`).
    kpis : sequence of str, optional
        KPI names (``docs/kpis.md``); default: every KPI both runs have per replication.

    Returns
    -------
    dict
        KPI name to ``diff``, ``diff_ci_low``, ``diff_ci_high``, ``significant``, ``method`` (``"paired-t"``,
        ``"welch"`` or None), ``pairs`` (the replication numbers paired), ``ref_mean`` and ``mean`` (the two
        means ``diff`` is the difference of), ``why`` (why unpaired or without an interval; "" when paired).
        Shares are fractions, as in ``summary``.

    Raises
    ------
    sim.core.errors.ConfigError
        A KPI of ``kpis`` has no value per replication in one of the runs.
    """
    from sim.analysis.differences import compare_replications

    if kpis is None:
        kpis = [k for k in (ref.per_replication[0] if ref.per_replication else {})
                if not is_pooled(k) and var.per_replication and k in var.per_replication[0]]
    elif isinstance(kpis, str):
        raise ConfigError("kpis", kpis, "must be a list of KPI names such as ['service_level']")
    same = ref.cfg.experiment.seed == var.cfg.experiment.seed
    return {k: compare_replications(by_replication(ref, k), by_replication(var, k), same,
                                    ref.cfg.experiment.confidence) for k in kpis}
