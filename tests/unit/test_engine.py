"""Unit tests of :mod:`sim.core.engine` (``Pool``, ``Tick``) on a real ``simpy.Environment``.

Items are tiny deterministic objects; arrivals happen at fixed times, and each
test asserts the exact timeline of starts, ends and reneges (in the style of
SimPy's own tests), or time-weighted areas integrated by hand.
"""

from __future__ import annotations

import math

import pytest
import simpy
from simpy.core import NORMAL

from sim.core.engine import DONE, GONE, IN_SERVICE, NEW, WAITING, Pool, Tick


class Item:
    """What a Pool serves: state, attempt, cls, route, service_s, patience_s (plus a name for the log)."""

    def __init__(self, name, cls=1, service_s=10.0, patience_s=math.inf, route=0):
        self.name = name
        self.state = NEW
        self.attempt = 0
        self.cls = cls
        self.route = route
        self.service_s = service_s
        self.patience_s = patience_s

    def __repr__(self):
        return f"Item({self.name})"


class Harness:
    """A Pool with logging callbacks, and helpers to schedule arrivals and staffing actions at fixed times."""

    def __init__(self, operators=1, n_classes=3, on_renege=None):
        self.env = simpy.Environment()
        self.log = []
        self._extra_renege = on_renege
        self.pool = Pool(self.env, n_classes, self._start, self._end, self._renege, name="test")
        if operators:
            self.at(0.0, lambda: self.pool.add(operators))

    def _start(self, item, now):
        self.log.append((now, "start", item.name))

    def _end(self, item, now):
        item.state = DONE
        self.log.append((now, "end", item.name))

    def _renege(self, item, now):
        self.log.append((now, "renege", item.name))
        if self._extra_renege is not None:
            self._extra_renege(self, item, now)

    def at(self, t, fn):
        """Call ``fn()`` at absolute time ``t`` (scheduled with a Tick, like the model does)."""
        self.env.schedule(Tick(lambda ev: fn()), NORMAL, t - self.env.now)

    def arrive(self, t, item):
        self.at(t, lambda: self.pool.offer(item))
        return item

    def run(self, until=None):
        self.env.run(until=until)
        return self.log

    def starts(self):
        return [(t, n) for t, kind, n in self.log if kind == "start"]


# --------------------------------------------------------------------------- Tick
def test_tick_fires_at_delay_with_payload_in_time_order():
    """A Tick scheduled with delay 5 fires at t=5 with its item and tag, between SimPy timeouts at 3 and 7."""
    env = simpy.Environment()
    seen = []

    def proc(env):
        yield env.timeout(3)
        seen.append((env.now, "timeout"))
        yield env.timeout(4)
        seen.append((env.now, "timeout"))

    env.process(proc(env))
    env.schedule(Tick(lambda ev: seen.append((env.now, ev.item, ev.tag)), "payload", 42), NORMAL, 5.0)
    env.run()
    assert seen == [(3, "timeout"), (5.0, "payload", 42), (7, "timeout")], seen


def test_tick_can_be_rescheduled_from_its_callback():
    """A Tick re-armed from inside its callback (as the arrival pump does) fires again: at 1, 3, 6."""
    env = simpy.Environment()
    times = []
    gaps = iter([2.0, 3.0])

    def cb(ev):
        times.append(env.now)
        gap = next(gaps, None)
        if gap is not None:
            ev.callbacks = [cb]
            env.schedule(ev, NORMAL, gap)

    env.schedule(Tick(cb), NORMAL, 1.0)
    env.run()
    assert times == [1.0, 3.0, 6.0], times


# --------------------------------------------------------------------------- queueing discipline
def test_fifo_within_a_class():
    """One operator, four class-1 items at t=0.5, 1, 2, 3 (10 s each) start at 0.5, 10.5, 20.5, 30.5 in arrival order."""
    h = Harness(operators=1)
    for i, t in enumerate([0.5, 1, 2, 3]):
        h.arrive(t, Item(f"c{i}"))
    h.run()
    assert h.starts() == [(0.5, "c0"), (10.5, "c1"), (20.5, "c2"), (30.5, "c3")], h.log


def test_priority_class_order_when_operator_frees():
    """Busy operator (A 1..11); arrivals online(cls2)@2, call(cls1)@3, urgent(cls0)@4, call(cls1)@5 are served
    urgent, call@3, call@5, online - class 0 before 1 before 2, FIFO inside a class."""
    h = Harness(operators=1)
    h.arrive(1, Item("A", cls=1))
    h.arrive(2, Item("online", cls=2))
    h.arrive(3, Item("call1", cls=1))
    h.arrive(4, Item("urgent", cls=0))
    h.arrive(5, Item("call2", cls=1))
    h.run()
    assert h.starts() == [(1, "A"), (11, "urgent"), (21, "call1"), (31, "call2"), (41, "online")], h.log


def test_no_preemption():
    """An urgent item arriving while a class-2 item is in service waits for it to finish (0..100)."""
    h = Harness(operators=1)
    low = h.arrive(1, Item("low", cls=2, service_s=100.0))
    h.arrive(5, Item("urgent", cls=0, service_s=1.0))
    h.run()
    assert h.log == [(1, "start", "low"), (101, "end", "low"), (101, "start", "urgent"),
                     (102, "end", "urgent")], h.log
    assert low.state == DONE


def test_free_operators_take_items_at_once():
    """Three operators: three items at t=1 all start at 1; a fourth at t=2 waits until 11."""
    h = Harness(operators=3)
    for n in "abc":
        h.arrive(1, Item(n))
    h.arrive(2, Item("d"))
    h.run()
    assert h.starts() == [(1, "a"), (1, "b"), (1, "c"), (11, "d")], h.log
    assert h.pool.on_duty == 3 and h.pool.busy == 0 and len(h.pool.free) == 3


def test_patience_expiry_leaves_and_is_never_served():
    """B (patience 5) waits behind A (1..11) and reneges at 6; C (no patience) is served at 11; B never starts."""
    h = Harness(operators=1)
    h.arrive(1, Item("A"))
    b = h.arrive(2, Item("B", patience_s=5.0))
    h.arrive(3, Item("C"))
    h.run()
    assert h.log == [(1, "start", "A"), (7, "renege", "B"), (11, "end", "A"), (11, "start", "C"),
                     (21, "end", "C")], h.log
    assert b.state == GONE, f"B state {b.state}"
    assert h.pool.n_waiting == 0


def test_served_item_does_not_renege():
    """An item taken before its patience runs out (wait 4 < patience 5) is not reneged when the patience tick fires."""
    h = Harness(operators=1)
    h.arrive(0.5, Item("A", service_s=4.0))
    h.arrive(0.5, Item("B", patience_s=5.0))
    h.run()
    assert h.log == [(0.5, "start", "A"), (4.5, "end", "A"), (4.5, "start", "B"), (14.5, "end", "B")], h.log


def test_abandoner_who_re_enters_is_served_in_new_position():
    """B reneges at 6 and re-enters at 8 with attempt 1; C queued at 3 and D at 9. Service after A (1..101) is
    C, B, D - B is served in its NEW position, never through its stale first entry, and only once."""
    def re_enter(h, item, now):
        if item.name == "B" and item.attempt == 0:
            def back():
                item.attempt += 1
                item.patience_s = math.inf
                h.pool.offer(item)
            h.at(now + 2.0, back)

    h = Harness(operators=1, on_renege=re_enter)
    h.arrive(1, Item("A", service_s=100.0))
    h.arrive(2, Item("B", patience_s=4.0))
    h.arrive(3, Item("C"))
    h.arrive(9, Item("D"))
    h.run()
    assert h.starts() == [(1, "A"), (101, "C"), (111, "B"), (121, "D")], h.log
    assert [e for e in h.log if e[1] == "renege"] == [(6, "renege", "B")], h.log


def test_re_entered_item_can_renege_again_on_its_new_patience():
    """B reneges at 6, re-enters at 8 with patience 20: it reneges again at 28 and is never served."""
    def re_enter(h, item, now):
        if item.attempt == 0:
            def back():
                item.attempt += 1
                item.patience_s = 20.0
                h.pool.offer(item)
            h.at(now + 2.0, back)

    h = Harness(operators=1, on_renege=re_enter)
    h.arrive(1, Item("A", service_s=100.0))
    b = h.arrive(2, Item("B", patience_s=4.0))
    h.arrive(3, Item("C"))
    h.run()
    assert [e for e in h.log if e[1] == "renege"] == [(6, "renege", "B"), (28, "renege", "B")], h.log
    assert h.starts() == [(1, "A"), (101, "C")], h.log
    assert b.state == GONE


def test_renege_of_head_then_later_items_still_served_in_order():
    """Impatient items x1 (expires 5) and x3 (expires 6) leave; x2 and the patient ones keep FIFO order."""
    h = Harness(operators=1)
    h.arrive(1, Item("A", service_s=30.0))
    h.arrive(2, Item("x1", patience_s=3.0))
    h.arrive(3, Item("p1"))
    h.arrive(4, Item("x2", patience_s=50.0))  # served at 31 (wait 27 < 50)
    h.arrive(5, Item("x3", patience_s=1.0))
    h.arrive(6, Item("p2"))
    h.run()
    assert h.starts() == [(1, "A"), (31, "p1"), (41, "x2"), (51, "p2")], h.log
    assert [(t, n) for t, k, n in h.log if k == "renege"] == [(5, "x1"), (6, "x3")], h.log


def test_stale_entries_are_dropped_when_a_class_empties():
    """Lazy abandonment keeps gone items in the deque only while others wait: once every waiting item of a class
    has reneged, the deque holds nothing (memory stays bounded in abandonment-heavy runs)."""
    h = Harness(operators=1)
    h.arrive(0.5, Item("A", service_s=1000.0))
    for i in range(50):
        h.arrive(1 + i, Item(f"x{i}", patience_s=5.0 + i))
    lengths = []
    h.at(30, lambda: lengths.append((h.pool.waiting[1], len(h.pool.lanes[1]))))
    h.at(200, lambda: lengths.append((h.pool.waiting[1], len(h.pool.lanes[1]))))
    h.run(until=300)
    assert lengths[0][0] > 0 and lengths[0][1] >= lengths[0][0], lengths
    assert lengths[1] == (0, 0), f"(waiting, deque length) after all reneged: {lengths[1]}"


# --------------------------------------------------------------------------- staffing
def _probe(h, times):
    out = {}
    for t in times:
        h.at(t, lambda t=t: out.__setitem__(t, (h.pool.on_duty, h.pool.busy, len(h.pool.free),
                                                   h.pool.pending_departures)))
    return out


def test_remove_sends_free_home_now_and_busy_after_current_item():
    """3 operators, 2 busy (1..11, 1..21); remove(2) at 5: the free one leaves at 5, one busy leaves at 11 after
    finishing; E arriving at 12 waits for the last operator (free at 21)."""
    h = Harness(operators=3)
    h.arrive(1, Item("A", service_s=10.0))
    h.arrive(1, Item("B", service_s=20.0))
    h.at(5, lambda: h.pool.remove(2))
    h.arrive(12, Item("E"))
    probes = _probe(h, [4, 6, 12.5, 22])
    h.run()
    # (on_duty, busy, free, pending)
    assert probes == {4: (3, 2, 1, 0), 6: (2, 2, 0, 1), 12.5: (1, 1, 0, 0), 22: (1, 1, 0, 0)}, probes
    assert h.starts() == [(1, "A"), (1, "B"), (21, "E")], h.log


def test_add_cancels_pending_departures():
    """One busy operator (1..11); remove(1) at 3 makes a pending departure; add(1) at 5 cancels it: the operator
    stays (on_duty 1, not 2) and serves F arriving at 12 at once."""
    h = Harness(operators=1)
    h.arrive(1, Item("A"))
    h.at(3, lambda: h.pool.remove(1))
    h.at(5, lambda: h.pool.add(1))
    h.arrive(12, Item("F"))
    probes = _probe(h, [4, 6, 11.5])
    h.run()
    assert probes == {4: (1, 1, 0, 1), 6: (1, 1, 0, 0), 11.5: (1, 0, 1, 0)}, probes
    assert h.starts() == [(1, "A"), (12, "F")], h.log


def test_add_serves_waiting_items_immediately():
    """Items waiting with no operator on duty start the moment operators are added (at 10)."""
    h = Harness(operators=0)
    h.arrive(1, Item("a", cls=2))
    h.arrive(2, Item("b", cls=1))
    h.at(10, lambda: h.pool.add(2))
    h.run()
    assert h.starts() == [(10, "b"), (10, "a")], h.log


def test_end_shift_busy_members_finish_then_leave_others_stay():
    """Shift 2 (1 operator) and shift 1 (2 operators). end_shift(1) at 10: its free member leaves at once, its busy
    member finishes A at 30 and leaves without taking D; shift 2's operator stays and serves C then D."""
    h = Harness(operators=0)
    h.at(0, lambda: h.pool.add(1, shift=2))
    h.at(0, lambda: h.pool.add(2, shift=1))
    h.arrive(1, Item("A", service_s=29.0))   # taken by a shift-1 operator (1..30)
    h.arrive(1, Item("B", service_s=4.0))    # taken by the other shift-1 operator (1..5)
    h.at(10, lambda: h.pool.end_shift(1))
    h.arrive(12, Item("C", service_s=100.0))  # shift 2's operator (12..112)
    h.arrive(15, Item("D"))                   # waits; the shift-1 operator freed at 30 leaves
    probes = _probe(h, [9, 11, 31, 113])
    h.run()
    assert h.starts() == [(1, "A"), (1, "B"), (12, "C"), (112, "D")], h.log
    assert probes == {9: (3, 1, 2, 0), 11: (2, 1, 1, 0), 31: (1, 1, 0, 0), 113: (1, 1, 0, 0)}, probes
    rosters = h.pool.groups[0].rosters
    assert 1 not in rosters and len(rosters[2]) == 1, rosters


def test_end_shift_with_overlapping_next_shift_serves_queue():
    """Handover: shift 2 starts at 20 and shift 1 ends at 20 while its member is busy; the queued item goes to
    the new shift's operator at 20, and the old member leaves at 25 when done."""
    h = Harness(operators=0)
    h.at(0, lambda: h.pool.add(1, shift=1))
    h.arrive(5, Item("A", service_s=20.0))   # 5..25
    h.arrive(6, Item("B"))
    h.at(20, lambda: h.pool.add(1, shift=2))
    h.at(20, lambda: h.pool.end_shift(1))
    probes = _probe(h, [21, 26])
    h.run()
    assert h.starts() == [(5, "A"), (20, "B")], h.log
    assert probes == {21: (2, 2, 0, 0), 26: (1, 1, 0, 0)}, probes


# --------------------------------------------------------------------------- time-weighted areas
def test_flush_areas_equal_hand_integrals():
    """2 operators; A 0.5..10.5, B 0.5..4.5, C(cls1) waits 1..4.5 then 4.5..10.5, D(cls1) waits 2..5 and reneges,
    U(cls0) waits 6..10.5. Areas on [0, 3] and [3, 20] equal the hand-computed integrals."""
    h = Harness(operators=2)
    h.arrive(0.5, Item("A", service_s=10.0))
    h.arrive(0.5, Item("B", service_s=4.0))
    h.arrive(1, Item("C", service_s=6.0))
    h.arrive(2, Item("D", patience_s=3.0))
    h.arrive(6, Item("U", cls=0, service_s=1.0))
    flushes = []
    h.at(3, lambda: flushes.append(h.pool.flush(3.0)))
    h.run(until=20)
    flushes.append(h.pool.flush(20.0))
    assert h.starts() == [(0.5, "A"), (0.5, "B"), (4.5, "C"), (10.5, "U")], h.log
    (busy1, duty1, q1), (busy2, duty2, q2) = flushes
    # [0, 3]: two busy from 0.5; two on duty from 0; class 1 waits: C 1..3 (2) + D 2..3 (1)
    assert (busy1, duty1) == pytest.approx((5.0, 6.0)), f"[0,3] busy, duty = {busy1}, {duty1}"
    assert q1 == pytest.approx([0.0, 3.0, 0.0]), f"[0,3] queue areas {q1}"
    # [3, 20]: busy A 3..10.5 (7.5) + B 3..4.5 (1.5) + C 4.5..10.5 (6) + U 10.5..11.5 (1) = 16; duty 2 x 17
    assert (busy2, duty2) == pytest.approx((16.0, 34.0)), f"[3,20] busy, duty = {busy2}, {duty2}"
    # class 0: U 6..10.5 (4.5); class 1: C 3..4.5 (1.5) + D 3..5 (2)
    assert q2 == pytest.approx([4.5, 3.5, 0.0]), f"[3,20] queue areas {q2}"


def test_flush_duty_area_with_staffing_changes():
    """2 operators from 0; A 0..10, B 0..4 busy; remove(1) at 2 (pending; B's operator leaves at 4); add(3) at 12.
    Duty on [0, 20] = 2x4 + 1x8 + 4x8 = 48; busy = 10 + 4 = 14."""
    h = Harness(operators=2)
    h.arrive(0, Item("A", service_s=10.0))
    h.arrive(0, Item("B", service_s=4.0))
    h.at(2, lambda: h.pool.remove(1))
    h.at(12, lambda: h.pool.add(3))
    h.run(until=20)
    busy, duty, q = h.pool.flush(20.0)
    assert (busy, duty) == pytest.approx((14.0, 48.0)), f"busy, duty = {busy}, {duty}"
    assert q == [0.0, 0.0, 0.0]


def test_flush_resets_areas():
    """Two consecutive flushes at the same time: the second returns zero areas."""
    h = Harness(operators=1)
    h.arrive(1, Item("A", service_s=100.0))
    h.arrive(2, Item("B"))
    h.run(until=10)
    first = h.pool.flush(10.0)
    second = h.pool.flush(10.0)
    assert first == (pytest.approx(9.0), pytest.approx(10.0), pytest.approx([0.0, 8.0, 0.0])), first
    assert second == (0.0, 0.0, [0.0, 0.0, 0.0]), second


def test_state_transitions():
    """An item goes NEW -> WAITING when queued -> IN_SERVICE when taken (the pool sets both)."""
    h = Harness(operators=1)
    a = h.arrive(1, Item("A"))
    b = h.arrive(2, Item("B"))
    states = []
    h.at(3, lambda: states.append((a.state, b.state)))
    h.at(12, lambda: states.append((a.state, b.state)))
    h.run()
    assert states == [(IN_SERVICE, WAITING), (DONE, IN_SERVICE)], states


def test_run_until_processes_what_environment_run_processes():
    """run_until(env, t) = env.run(until=t): the same events in the same order, the clock at t, events due at t
    itself left for later (a process and ticks, some due exactly at t), and a failed process crashes it alike."""
    from sim.core.events import run_until

    def world(log):
        env = simpy.Environment()

        def proc(env, name, step):
            while True:
                yield env.timeout(step)
                log.append((env.now, name))

        env.process(proc(env, "a", 2.5))
        env.process(proc(env, "b", 5.0))
        for i in range(12):
            env.schedule(Tick(lambda ev: log.append((env.now, ev.item)), f"t{i}"), NORMAL, float(i))
        return env

    log_a, log_b = [], []
    env_a, env_b = world(log_a), world(log_b)
    env_a.run(until=10.0)
    run_until(env_b, 10.0)
    assert log_a == log_b and env_a.now == env_b.now == 10.0 and (10.0, "t10") not in log_b
    env_a.run(until=20.0)
    run_until(env_b, 20.0)
    assert log_a == log_b and len(log_b) > 12
    with pytest.raises(ValueError):
        run_until(env_b, 20.0)

    def failing(env):
        yield env.timeout(1.0)
        raise KeyError("boom")

    env = simpy.Environment()
    env.process(failing(env))
    with pytest.raises(KeyError) as info:
        run_until(env, 5.0)
    assert isinstance(info.value.__cause__, KeyError) and env.now == 1.0


def test_short_paths_read_the_engine_states():
    """The pool's short paths (sim.core.shortpaths, imported by the engine) name the engine's waiting state."""
    from sim.core import shortpaths

    assert shortpaths.WAITING == WAITING and shortpaths.INF == math.inf
