"""The private calls into Hydra (:mod:`sim.config.hydra_private`): what the project relies on, pinned.

The command line reads Hydra's options before Hydra runs (:func:`sim.cli._split_options`: every option and
whether it takes a value, from the parser's actions) and skips the checks of a command that runs no task
(:func:`sim.preflight.preflight`: the attributes of the parsed arguments).  A Hydra release that changes its
parser or its caller of the callbacks fails here, not in a user's command.
"""

from __future__ import annotations

import pytest

from sim.config.hydra_private import args_parser

#: Option -> (its other spellings, how many values: 0, 1 or "?" for an optional one, its choices).
OPTIONS = {
    "--multirun": ({"-m"}, 0, None), "--cfg": ({"-c"}, 1, ("job", "hydra", "all")), "--help": ({"-h"}, 0, None),
    "--hydra-help": (set(), 0, None), "--info": ({"-i"}, "?", None), "--run": ({"-r"}, 0, None),
    "--package": ({"-p"}, 1, None), "--config-path": ({"-cp"}, 1, None), "--config-name": ({"-cn"}, 1, None),
    "--config-dir": ({"-cd"}, 1, None), "--shell-completion": ({"-sc"}, 0, None),
    "--experimental-rerun": (set(), 1, None), "--version": (set(), 0, None),
}


def test_the_options_hydra_takes():
    """Every option the command line checks, with its spellings, its number of values and its choices."""
    actions = {opt: act for act in args_parser()._actions for opt in act.option_strings}
    for option, (others, nargs, choices) in OPTIONS.items():
        act = actions[option]
        assert set(act.option_strings) == {option, *others}, act.option_strings
        assert (act.nargs if act.nargs is not None else 1) == nargs or (nargs == 0 and act.nargs == 0), (option, act)
        if choices is not None:
            assert tuple(act.choices) == choices, (option, act.choices)


@pytest.mark.parametrize("argv, expect", [
    (["-m", "a=1", "b=x,y"], {"multirun": True, "overrides": ["a=1", "b=x,y"], "cfg": None, "help": False}),
    (["--cfg", "job", "scenario=x"], {"cfg": "job", "overrides": ["scenario=x"], "multirun": False}),
    (["--info"], {"info": "all", "overrides": []}),
    (["--help"], {"help": True, "hydra_help": False}),
    (["a=1"], {"shell_completion": False, "experimental_rerun": None, "config_path": None, "config_name": None,
               "config_dir": None, "info": None}),
])
def test_the_reading_of_a_command(argv, expect):
    """The attributes :func:`sim.preflight.preflight` reads, for a sweep, --cfg job, --info, --help, a run."""
    args = args_parser().parse_args(argv)
    assert {k: getattr(args, k) for k in expect} == expect


class Recorder:
    """A ``hydra.callbacks`` entry that records the calls it gets (and fails on one of them)."""

    calls: list = []

    def on_run_start(self, config, **kwargs):
        Recorder.calls.append(("on_run_start", kwargs.get("config_name")))

    def on_job_start(self, config, **kwargs):
        Recorder.calls.append(("on_job_start", None))

    def on_run_end(self, config, **kwargs):
        raise RuntimeError("a faulty callback")


def test_the_callers_of_the_callbacks():
    """Hydra's caller of ``hydra.callbacks`` (what a plain run hands to ``run_job``): it instantiates each entry, calls
    it with the configuration, and turns a callback's exception into a warning."""
    from omegaconf import OmegaConf

    from sim.config.hydra_private import callbacks

    Recorder.calls = []
    cfg = OmegaConf.create({"hydra": {"callbacks": {"rec": {"_target_": f"{__name__}.Recorder"}}}})
    cb = callbacks(cfg)
    cb.on_run_start(config=cfg, config_name="config")
    cb.on_job_start(config=cfg, task_function=print)
    with pytest.warns(UserWarning, match="Recorder.on_run_end raised RuntimeError: a faulty callback"):
        cb.on_run_end(config=cfg, config_name="config", job_return=None)
    assert Recorder.calls == [("on_run_start", "config"), ("on_job_start", None)]
