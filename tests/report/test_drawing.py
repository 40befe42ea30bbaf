"""Sections drawn on two processors are the sections drawn in one; a child that fails costs only time."""

from __future__ import annotations

import os
import threading

import pytest

from sim.report import drawing

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this system")


@pytest.fixture
def two_processors(monkeypatch):
    """Two processors, and no other thread (a test run may keep threads of earlier tests: idle ones, which
    hold no lock a fork could copy)."""
    monkeypatch.setattr(drawing, "processors", lambda: 2)
    monkeypatch.setattr(drawing, "other_threads", lambda: False)
    monkeypatch.setattr(drawing, "busy", lambda: 0.0)


def test_the_items_are_shared_with_a_child_and_come_back_in_order(two_processors):
    """With two processors both processes draw, each item once, and the results come back in page order."""
    import time

    parent = os.getpid()

    def draw(x):
        time.sleep(0.05)  # long enough that the child takes some before the parent has taken all
        return x * x, os.getpid()

    got = drawing.draw_sections(list(range(8)), draw)
    assert [v for v, _ in got] == [x * x for x in range(8)]
    pids = [p for _, p in got]
    assert parent in pids and len(set(pids)) == 2, pids


def test_each_item_is_taken_once_in_the_order_given(two_processors, tmp_path):
    """Every item is drawn exactly once (a log line per drawing), in whatever order the tickets give."""
    log = tmp_path / "log"

    def draw(x):
        with open(log, "a") as fh:
            fh.write(f"{x}\n")
        return x

    assert drawing.draw_sections(list(range(20)), draw, order=[19, *range(19)]) == list(range(20))
    lines = log.read_text().split()
    assert sorted(map(int, lines)) == list(range(20)), "each item drawn once"


@pytest.mark.parametrize("fault", ["exit", "unpicklable", "raises"])
def test_a_failing_child_costs_only_time(two_processors, fault):
    """A child that dies, returns what cannot be pickled, or raises: the parent draws its part itself."""
    parent = os.getpid()

    def draw(x):
        if os.getpid() != parent:
            if fault == "exit":
                os._exit(3)
            if fault == "unpicklable":
                return lambda: x
            raise RuntimeError("broken in the child")
        return x + 100

    assert drawing.draw_sections(list(range(4)), draw) == [100, 101, 102, 103]


def test_no_fork_where_it_is_unsafe_or_useless(monkeypatch):
    """One processor, a machine busy with other work, one item, or another Python thread running: drawn here, in
    order."""
    monkeypatch.setattr(drawing, "processors", lambda: 1)
    assert not drawing.can_fork(5)
    monkeypatch.setattr(drawing, "processors", lambda: 2)
    monkeypatch.setattr(drawing, "busy", lambda: 0.0)
    assert drawing.can_fork(5) == (threading.active_count() == 1) and not drawing.can_fork(1)
    monkeypatch.setattr(drawing, "busy", lambda: 1.0)
    assert not drawing.can_fork(5), "the other processor busy with other work"
    monkeypatch.setattr(drawing, "processors", lambda: 4)
    assert drawing.can_fork(5) == (threading.active_count() == 1), "two of four free"
    monkeypatch.setattr(drawing, "processors", lambda: 2)
    monkeypatch.setattr(drawing, "busy", lambda: 0.0)
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not drawing.can_fork(5)
        parent = os.getpid()
        assert drawing.draw_sections([1, 2, 3], lambda x: os.getpid()) == [parent] * 3
    finally:
        stop.set()
        t.join()


@pytest.mark.parametrize("early", [False, True], ids=["forked-at-drawing", "forked-before-the-run"])
def test_report_sections_are_the_same_drawn_on_two_processors(run_report, monkeypatch, two_processors, early):
    """The report's sections - every PNG byte, every table - drawn in one process and on two (a child forked when
    drawing, or before the run) are equal; the other outputs' task runs in this process with an early child."""
    from sim.report import sections
    from sim.report.figures.common import pyplot
    from sim.report.outputs import summary_dict
    from sim.report.rundata import RunData

    _, exp = run_report
    rd = RunData.from_experiment(exp, summary_dict(exp))
    monkeypatch.setattr(drawing, "processors", lambda: 1)
    serial, _ = sections.build_sections(rd)
    monkeypatch.setattr(drawing, "processors", lambda: 2)
    assert drawing.can_fork(2)
    if early:
        drawing.start_early(pyplot)
        assert drawing._EARLY is not None
    forked, names = sections.build_sections(rd, [os.getpid])
    assert drawing._EARLY is None and (names == [os.getpid()] or not early), "with an early child: done here"
    assert [s.id for s in forked] == [s.id for s in serial] and len(serial) >= 4
    pngs = [f.png for s in serial for f in s.figures]
    assert len(pngs) >= 4 and [f.png for s in forked for f in s.figures] == pngs
    assert forked == serial


def test_other_outputs_are_written_beside_the_drawing(run_report, monkeypatch, tmp_path, two_processors):
    """``also`` tasks (the workbook) are shared with the sections; their results come back in order, and what they
    write is there when the sections are."""
    from sim.report import sections
    from sim.report.outputs import summary_dict
    from sim.report.rundata import RunData

    _, exp = run_report

    def write(name):
        (tmp_path / name).write_text(str(os.getpid()))
        return name

    got, names = sections.build_sections(RunData.from_experiment(exp, summary_dict(exp)),
                                         [lambda: write("a.txt"), lambda: write("b.txt")])
    assert names == ["a.txt", "b.txt"] and len(got) >= 4
    assert all((tmp_path / n).read_text().isdigit() for n in names)


def _square(x):
    return x * x, os.getpid()


def _pid_of_drawer(x):
    return os.getpid()


def _gone(pid):
    """True when ``pid`` is no child of this process any more (reaped)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_an_early_child_draws_what_is_not_local(two_processors):
    """A child forked before the run draws the items handed to it (forking once more), the local ones are done here;
    everything comes back in order, and the child is reaped."""
    parent = os.getpid()
    drawing.start_early(lambda: None)
    early = drawing._EARLY
    assert early is not None
    got = drawing.draw_sections(list(range(6)), _square, order=[5, 0, 1, 2, 3, 4], local=[5])
    assert [v for v, _ in got] == [x * x for x in range(6)]
    pids = [p for _, p in got]
    assert pids[5] == parent and parent not in pids[:5], pids
    assert drawing._EARLY is None and _gone(early.pid)


def test_the_early_child_prints_nothing_twice():
    """What this process printed (and buffered) before the fork is printed once, by this process."""
    import subprocess
    import sys

    code = ("import os, sys\nfrom sim.report import drawing\n"
            "drawing.processors = lambda: 2\ndrawing.busy = lambda: 0.0\n"
            "print('before the fork', end='')\ndrawing.start_early(lambda: None)\n"
            "assert drawing._EARLY is not None\nprint(drawing.draw_sections([1, 2, 3], abs), end='')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "before the fork[1, 2, 3]"


def test_an_early_child_not_used_is_stopped(two_processors):
    """A run that fails before drawing: stop_early kills and reaps the child; a second start replaces the first."""
    drawing.start_early(lambda: None)
    first = drawing._EARLY
    drawing.start_early(lambda: None)
    second = drawing._EARLY
    assert first is not None and second is not None and _gone(first.pid)
    drawing.stop_early()
    assert drawing._EARLY is None and _gone(second.pid)
    drawing.stop_early()  # nothing to stop


def test_items_that_cannot_be_pickled_are_drawn_without_the_early_child(two_processors):
    """A lambda among the items: the early child is stopped and the drawing goes as without it."""
    drawing.start_early(lambda: None)
    early = drawing._EARLY
    items = [lambda: 1, lambda: 2, lambda: 3]
    assert drawing.draw_sections(items, drawing_call) == [1, 2, 3]
    assert early is not None and _gone(early.pid) and drawing._EARLY is None


def drawing_call(task):
    return task()


def test_busy_counts_the_other_work_of_this_moment(tmp_path):
    """The processes running or ready to run now, less this one (``/proc/loadavg``'s fourth field), not a minute's
    load average, which would lag and hold this command's own previous runs against it; a process spinning now
    counts at every reading."""
    import subprocess
    import sys
    import time

    loadavg = tmp_path / "loadavg"
    for line, others in (("2.91 2.80 2.10 1/130 999", 0.0), ("0.10 0.20 0.30 4/130 999", 3.0)):
        loadavg.write_text(line + "\n")
        assert drawing.busy(str(loadavg)) == others, line
    if not os.path.exists("/proc/loadavg"):
        pytest.skip("no /proc/loadavg on this system")
    spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # past its start-up
        assert min(drawing.busy() for _ in range(20)) >= 1.0, "a spinning process is always ready to run"
    finally:
        spin.kill()
        spin.wait()


def test_an_early_child_that_dies_costs_only_time(two_processors):
    """The early child exits before it draws: everything is drawn here."""
    drawing.start_early(lambda: os._exit(3))
    got = drawing.draw_sections(list(range(4)), _square)
    assert [v for v, _ in got] == [0, 1, 4, 9] and {p for _, p in got} == {os.getpid()}


def test_a_run_with_an_early_child_never_imports_matplotlib_itself(tmp_path):
    """The whole command on two free processors: the child forked before the run draws every figure (the staffing
    position's too), so the run's own process never pays for importing matplotlib; the page has its figures."""
    import subprocess
    import sys

    out = tmp_path / "run"
    code = ("import sys, atexit\nfrom sim.report import drawing\n"
            "drawing.processors = lambda: 2\ndrawing.busy = lambda: 0.0\nused = []\n"
            "with_early = drawing._with_early\n"
            "drawing._with_early = lambda *a: used.append(1) or with_early(*a)\n"
            "atexit.register(lambda: print('USED', used, 'MPL', 'matplotlib' in sys.modules))\n"
            "from sim.cli import main\n"
            f"sys.argv = ['run_sim.py', 'experiment.horizon_h=2', 'experiment.warmup_h=0', 'experiment.replications=1',"
            f" 'report.dir={out}']\nmain()\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith("USED [1] MPL False"), res.stdout[-300:]
    pngs = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert len(pngs) >= 6 and any(n.startswith("staffing_gap") or "position" in n for n in pngs), pngs
