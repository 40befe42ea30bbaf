"""Priority classes only where the log marks them, and scenario mappings written whole.

The bank's calibration of 15-21 August 1999 alone ended with ``categories.IN.urgency ... sum to 2``: a rule
took the unidentified-customer label "0" for a priority class (its calls waited less - because its calls
were other call types, and callers who did not wait are logged with it), wrote ``urgency: {utilities: 1.0}``
for the type whose calls all carried it, and a mapping in a scenario is merged into the default one
(``{general: 1.0}``).  Here, on a log made for it:

* a label the format does not mark is never a priority class, however little its calls wait;
* a marked label is queued ahead only if its calls wait at most half as long as regular calls of the same
  call type and half-hour (the comparison within the type: a type that waits less is not a priority);
* a call type whose every call is queued ahead composes to ``{general: 0, utilities: 1}``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from sim.calibrate.calls import CallOptions, calibrate_calls
from sim.calibrate.formats import load_format
from sim.calibrate.logread import read_calls

MAPPING = """kind: calls
times: {format: iso}
columns: {arrival: t_in, left_queue: t_out, answered: t_start, ended: t_end, outcome: result, category: skill,
          agent: login, priority: prio}
outcomes: {OK: answered, GONE: abandoned}
priority_labels: ["vip"]
"""


def _log(tmp_path, vip_wait: float, quick_type_label: str):
    """Three days; type 'fast' waits 5 s and carries label ``quick_type_label``; type 'slow' waits 60 s, a
    third of its calls marked 'vip' waiting ``vip_wait``; a few abandon."""
    rng = np.random.default_rng(8)
    rows = []
    for d in range(3):
        day = dt.datetime(2024, 1, 1) + dt.timedelta(days=d)
        for k in range(240):
            t0 = day + dt.timedelta(hours=8, seconds=120 * k)
            kind = "fast" if k % 2 else "slow"
            prio = quick_type_label if kind == "fast" else ("vip" if k % 3 == 0 else "std")
            wait = 5.0 if kind == "fast" else (vip_wait if prio == "vip" else 60.0)
            wait += float(rng.integers(0, 4))
            left = t0 + dt.timedelta(seconds=wait)
            if k % 11 == 0:
                rows.append(f"{t0.isoformat()},{left.isoformat()},,,GONE,{kind},,{prio}")
                continue
            end = left + dt.timedelta(seconds=float(rng.integers(60, 200)))
            rows.append(f"{t0.isoformat()},{left.isoformat()},{left.isoformat()},{end.isoformat()},OK,{kind},"
                        f"ag{k % 3},{prio}")
    (tmp_path / "m.yaml").write_text(MAPPING)
    (tmp_path / "log.csv").write_text("t_in,t_out,t_start,t_end,result,skill,login,prio\n" + "\n".join(rows) + "\n")
    fmt = load_format(str(tmp_path / "m.yaml"), "calls")
    return read_calls(tmp_path / "log.csv", fmt, "log.csv"), fmt


def test_an_unmarked_label_is_never_a_priority_class(tmp_path):
    log, fmt = _log(tmp_path, vip_wait=60.0, quick_type_label="0")
    cal = calibrate_calls(log, CallOptions(priority_labels=fmt.priority_labels))
    p = cal.priority
    assert p["marked"] == ["vip"] and p["queued_ahead"] == []
    assert p["labels"]["0"]["marked"] is False and p["labels"]["0"]["wait_vs_regular_same_type_and_half_hour"] is None
    assert 0.9 < p["labels"]["vip"]["wait_vs_regular_same_type_and_half_hour"] < 1.1


def test_a_marked_label_waiting_far_less_within_its_type_is_queued_ahead_and_written_whole(tmp_path):
    from sim.api import compose_config
    from sim.calibrate.scenario import calls_scenario

    log, fmt = _log(tmp_path, vip_wait=5.0, quick_type_label="vip")
    cal = calibrate_calls(log, CallOptions(priority_labels=fmt.priority_labels))
    assert cal.priority["queued_ahead"] == ["vip"]
    assert cal.priority["labels"]["vip"]["wait_vs_regular_same_type_and_half_hour"] < 0.2
    path = tmp_path / "scenarios" / "prio.yaml"
    path.parent.mkdir()
    path.write_text(calls_scenario(cal, "prio", "test"))
    cfg = compose_config(str(path), ["experiment.progress=false"])
    assert cfg.calls.priority_classes == ["utilities"]
    assert dict(cfg.categories["fast"].urgency) == {"general": 0.0, "utilities": 1.0}, "every call of 'fast' is vip"
    share = dict(cfg.categories["slow"].urgency)
    assert set(share) == {"general", "utilities"} and abs(share["utilities"] - 1 / 3) < 0.02
