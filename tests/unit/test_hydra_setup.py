"""Unit tests of :mod:`sim.config.hydra_setup`: report-folder resolvers and the command-line rules of composition.

* The default run / sweep folder is stamped once per command: a clock that moves between the
  calls (as it does while the variants of a sweep run) must not scatter them over folders.
* A default folder that exists already gets a suffix instead of mixing two runs.
* A staffing plan form given on the command line replaces the scenario's (the other forms are emptied).
"""

from __future__ import annotations

import datetime as dt

import pytest

import sim.config.hydra_setup as hs


class _Clock:
    """A stand-in for ``datetime.datetime`` whose ``now()`` advances one minute per call."""

    t = dt.datetime(2026, 1, 5, 9, 0, 0)

    @classmethod
    def now(cls):
        cls.t += dt.timedelta(minutes=1)
        return cls.t


@pytest.fixture
def moving_clock(monkeypatch, tmp_path):
    monkeypatch.setattr(hs._dt, "datetime", _Clock)
    monkeypatch.chdir(tmp_path)
    hs.new_command()
    yield
    hs.new_command()


def test_sweep_folder_fixed_within_a_command(moving_clock):
    """Three resolutions of the sweep folder (one per variant) with a moving clock give one folder."""
    folders = {hs._sweep_dir(None) for _ in range(3)}
    assert len(folders) == 1, f"the sweep folder moved with the clock: {sorted(folders)}"
    run = {hs._run_dir(None, "single_queue") for _ in range(3)}
    assert len(run) == 1, f"the run folder moved with the clock: {sorted(run)}"
    assert next(iter(folders)).startswith("reports/multirun/2026-01-05_09-0"), folders


def test_new_command_new_stamp(moving_clock):
    """A new command reads the clock again (two commands of one process do not share a folder)."""
    first = hs._sweep_dir(None)
    hs.new_command()
    second = hs._sweep_dir(None)
    assert first != second, f"two commands got the same default folder {first}"


def test_existing_default_folder_gets_a_suffix(moving_clock, tmp_path):
    """A default folder that already exists (another run in the same second) is not reused: _2, then _3."""
    first = hs._run_dir(None, "single_queue")
    (tmp_path / first).mkdir(parents=True)
    (tmp_path / f"{first}_2").mkdir(parents=True)
    hs._FOLDERS.clear()  # the same stamp, as a second command in the same second would read
    assert hs._run_dir(None, "single_queue") == f"{first}_3"


def test_default_folder_being_written_gets_a_suffix(moving_clock, tmp_path):
    """A default folder another run is still writing (only its temporary folder exists) is taken too: _2."""
    first = hs._run_dir(None, "single_queue")
    (tmp_path / first).parent.mkdir(parents=True)
    (tmp_path / first).parent.joinpath(f".{(tmp_path / first).name}.partial-99999").mkdir()
    hs._FOLDERS.clear()
    assert hs._run_dir(None, "single_queue") == f"{first}_2"


def test_publish_never_replaces_a_folder_filled_meanwhile(tmp_path):
    """Renaming a finished run into place: a report folder another run filled meanwhile is replaced only with
    report.overwrite (the earlier report then goes as a whole); otherwise the new report goes to <name>_2."""
    from sim.report.folders import publish

    def staged(text):
        d = tmp_path / f".run.partial-{len(list(tmp_path.iterdir()))}"
        (d / ".hydra").mkdir(parents=True)
        (d / "summary.json").write_text(text)
        (d / ".hydra" / "hydra.yaml").write_text(f"output_dir: {d.resolve()}\n")
        return d

    first = publish(staged("first"), tmp_path / "run", overwrite=False)
    second = publish(staged("second"), tmp_path / "run", overwrite=False)
    assert (first, second) == (tmp_path / "run", tmp_path / "run_2")
    assert (first / "summary.json").read_text() == "first" and (second / "summary.json").read_text() == "second"
    assert (second / ".hydra" / "hydra.yaml").read_text() == f"output_dir: {second.resolve()}\n"
    third = publish(staged("third"), tmp_path / "run", overwrite=True)
    assert third == tmp_path / "run" and sorted(p.name for p in third.iterdir()) == [".hydra", "summary.json"]
    assert (third / "summary.json").read_text() == "third"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "run_2"], sorted(p.name for p in tmp_path.iterdir())


def test_given_report_dir_is_used_as_is(moving_clock):
    """report.dir is the folder, whatever exists (the report-folder rules then apply to it)."""
    assert hs._run_dir("out/run1", "single_queue") == "out/run1"
    assert hs._sweep_dir("out/sweep") == "out/sweep"


@pytest.mark.parametrize("final", ["out/run1", "run1", "/abs/place/run1", "reports/single_queue/2026-01-05_09-01-00_2"])
def test_hydra_writes_into_a_temporary_folder_beside_the_report_folder(final):
    """Hydra's run/sweep folder is the report folder's temporary folder: same parent (an atomic rename), hidden
    name, and the report folder it becomes is read back from it (also from a variant's subfolder)."""
    from pathlib import Path

    from sim.config.paths import is_staging, published

    tmp = Path(hs._staging(final))
    assert tmp.parent == Path(final).parent and tmp.name.startswith(f".{Path(final).name}.partial-"), tmp
    assert is_staging(tmp) and not is_staging(Path(final))
    assert published(tmp) == Path(final) and published(tmp / "variant_3") == Path(final) / "variant_3"
    assert published(Path(final)) == Path(final)


def test_temporary_folder_of_the_working_directory_is_beside_it(moving_clock, tmp_path):
    """report.dir=. : the temporary folder is beside the working directory (never inside it, where the report
    folder check would not see it), so report.overwrite's rule on the working directory still applies."""
    from pathlib import Path

    from sim.config.paths import published

    tmp = Path(hs._staging("."))
    assert tmp.parent == tmp_path.parent and published(tmp) == tmp_path, tmp


@pytest.mark.parametrize("typed, added", [
    (["staffing.operators=650"], ["staffing.half_hourly=[]", "staffing.shifts=[]"]),
    (["-m", "staffing.operators=600,650,700"], ["staffing.half_hourly=[]", "staffing.shifts=[]"]),
    (["staffing.half_hourly=[5]"], ["staffing.operators=0", "staffing.shifts=[]"]),
    (["++staffing.shifts=[{count:3}]"], ["staffing.operators=0", "staffing.half_hourly=[]"]),
    (["feedback.staffing.operators=20"], ["feedback.staffing.half_hourly=[]", "feedback.staffing.shifts=[]"]),
    (["staffing.operators=5", "staffing.shifts=[{count:3}]"], ["staffing.half_hourly=[]"]),
    (["staffing.shrinkage=0.3", "staffing.headcount_factor=1.1", "staffing.shifts.0.count=3"], []),
    (["scale=0.1"], []),
    (["dated.staffing_file=plan.csv"], ["staffing.operators=0", "staffing.half_hourly=[]", "staffing.shifts=[]"]),
    (["dated.staffing_file=plan.csv", "staffing.operators=5"], ["staffing.half_hourly=[]", "staffing.shifts=[]"]),
    (["dated.staffing_file=null"], []),
])
def test_plan_form_overrides(typed, added):
    """A plan form on the command line empties the forms it does not give, after what was typed."""
    assert hs.plan_form_overrides(typed) == [*typed, *added]


@pytest.mark.parametrize("typed", [
    ["staffing.operators=650"], ["staffing.half_hourly=[5]"], ["++staffing.shifts=[{count:3}]"],
    ["feedback.staffing.operators=20", "scale=0.1"], ["staffing.operators=5", "staffing.shifts=[{count:3}]"],
    ["scale=0.1"], []])
def test_typed_overrides_undo_the_plan_forms_added(typed):
    """What plan_form_overrides adds is left out of what the pages show as typed (a half-hourly plan on the
    command line read "staffing.operators=0 staffing.shifts=[]" beside it).  (An emptied form the user typed
    as well, ``staffing.operators=5 staffing.half_hourly=[]``, is the same override as the one added, and is
    left out with it.)"""
    from sim.config.overrides import as_given, shown_overrides

    recorded = hs.plan_form_overrides(typed)
    assert shown_overrides(recorded) == [as_given(t) for t in typed], recorded
