"""The terminal's progress covers the whole run: one bar (or a line per replication) with the time left overall."""

from __future__ import annotations

import sim.experiments.executors as ex


def test_time_left_is_the_remaining_share_at_the_rate_so_far(monkeypatch):
    """3 of 4 replications in 60 s: about 20 s left; half of 10 in 300 s: about 5 min; none when done."""
    monkeypatch.setattr(ex.time, "monotonic", lambda: 1060.0)
    assert ex.time_left(1000.0, 3, 4) == "; about 20 s left"
    assert ex.time_left(760.0, 5, 10) == "; about 5 min left"
    assert ex.time_left(1000.0, 4, 4) == "" and ex.time_left(1000.0, 0, 4) == ""


def test_serial_replications_share_one_progress_with_the_time_left(monkeypatch, capsys):
    """Without a terminal, replications run one after another print a line each, saying which of how many
    finished and the time left for the whole run (not one replication's)."""
    from sim.api import compose_config

    cfg = compose_config("single_queue", ["experiment.horizon_h=2", "experiment.warmup_h=0",
                                          "experiment.replications=3", "experiment.jobs=1"])
    monkeypatch.setattr(ex, "LINE_PROGRESS_AFTER_S", 0.0)
    ex.start_progress_clock()
    done = list(ex.run_serial(cfg, [0, 1, 2], progress=True))
    assert [r for r, _ in done] == [0, 1, 2]
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "replication" in ln]
    assert [ln.split(" finished")[0] for ln in lines] == [
        "run_sim: replication 1 of 3", "run_sim: replication 2 of 3", "run_sim: replication 3 of 3"], lines
    assert "left" in lines[0] and "left" in lines[1] and "left" not in lines[2], lines
