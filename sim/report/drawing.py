"""Drawing a report's sections on two processors: the page's figures are most of a short run's time.

A short run spends most of its time after the simulation: importing matplotlib and drawing a dozen
figures.  Where the process may use more than one processor, :func:`draw_sections` imports what the
drawing needs (matplotlib), then forks once: the child inherits the imported modules, and the two
processes take the sections one at a time, each the next not yet taken (a ticket of one byte read from
a shared pipe: a read of a pipe is atomic, so no section is taken twice), until none is left - the
work is shared by what it costs, not by count.  The child sends what it drew back pickled through a
pipe and exits; the parent puts everything in page order.  Nothing is done twice: the import before
the fork, each figure in one process.
Drawing is deterministic, so the sections - the PNG bytes included - are the same as drawn in one
process; a test holds them equal.

The fork is taken only where it is safe and useful: ``os.fork`` exists, the process may run on at
least two processors and one of them is free (nothing else runs at that moment: :func:`busy`), no other thread
runs (forking a threaded process can copy a held lock), and there are at least two sections.  A
child that fails in any way (killed, an exception, a result that cannot be read) costs nothing but
time: the parent draws its sections itself.  An interrupt (Ctrl-C) in the parent kills and reaps
the child.

**A child forked before the run.**  Importing matplotlib costs about a third of a second, spent
before the fork.  A command that will draw calls :func:`start_early` before it simulates: a child
is forked then and makes those imports while this process simulates, then waits.
:func:`draw_sections` hands it the items to draw, pickled (a few hundred kilobytes for a week's
run), and the child draws them as above (forking once more where a processor is free) while this
process does the work that needs no drawing (``local``: the workbook); then it reads the drawings
back.  Items that cannot be pickled (a section registered as a lambda) leave the early child
unused: it is stopped, and the drawing goes as above.  The payload carries its length, so the child
never waits for the end of a pipe another process may hold open, and it exits when its parent has
gone; :func:`stop_early` (the command's ``finally``) reaps a child that was not used.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
import threading
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar

T = TypeVar("T")
S = TypeVar("S")


def processors() -> int:
    """The processors this process may run on (its affinity where the system tells it, else the count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def other_threads() -> bool:
    """True while another Python thread runs in this process (a fork would copy the locks it holds)."""
    return threading.active_count() > 1


def busy(loadavg: str = "/proc/loadavg") -> float:
    """Other work on the machine now: the processes (threads) running or ready to run besides this one, from
    ``/proc/loadavg`` on Linux; elsewhere the one-minute load average less this process (0 where the system
    does not say).  The count of this moment, not a minute's average, which would hold this command's own
    previous runs against it."""
    try:
        with open(loadavg, encoding="ascii") as fh:
            return max(0.0, float(fh.read().split()[3].split("/")[0]) - 1.0)
    except (OSError, IndexError, ValueError):
        try:
            return max(0.0, os.getloadavg()[0] - 1.0)
        except (AttributeError, OSError):  # pragma: no cover - not Unix
            return 0.0


#: Set in a child forked before the run: the processors were judged when the run started, and what runs now
#: beside the child (the run writing the workbook) is this command's own work.
_JUDGED = False


def can_fork(tasks: int) -> bool:
    """True where drawing ``tasks`` sections in a forked child is safe and useful (see the module docstring):
    a second processor that is free (this process keeps one busy; on a machine busy with other work the
    child would only wait for a processor)."""
    n = processors()
    free = _JUDGED or busy() <= n - 2 + 0.5
    return tasks >= 2 and hasattr(os, "fork") and n >= 2 and free and not other_threads()


def _read_all(fd: int) -> bytes:
    chunks: List[bytes] = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _claimed(tickets: int) -> Iterator[int]:
    """The positions this process takes from the ticket pipe ``tickets``, one at a time, until it is empty."""
    while True:
        ticket = os.read(tickets, 1)
        if not ticket:
            return
        yield ticket[0]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _exit(status: int) -> None:
    """Leave a forked child: what it printed flushed, no atexit handlers, no flushing of the parent's buffers."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed stream must not keep the child alive
            pass
    os._exit(status)


def _child(items: Sequence[T], draw: Callable[[T], S], tickets: int, fd: int) -> None:
    """In the forked child: draw the items it takes from ``tickets``, write them pickled to ``fd``, and exit."""
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _write_all(fd, pickle.dumps([(i, draw(items[i])) for i in _claimed(tickets)],
                                    protocol=pickle.HIGHEST_PROTOCOL))
        status = 0
    finally:
        _exit(status)


@dataclass
class EarlyChild:
    """A child forked before the run (:func:`start_early`): its pid, and this process's ends of its two pipes."""

    pid: int
    payload: int  # written here: the length (8 bytes) and the pickled (items, draw, their positions)
    result: int  # read here: the drawings, pickled


_EARLY: Optional[EarlyChild] = None


def start_early(prepare: Callable[[], object]) -> None:
    """Fork the drawing child now, where :func:`can_fork`: it runs ``prepare`` (the imports the drawing needs)
    while this process simulates, then waits for :func:`draw_sections` (module docstring)."""
    global _EARLY
    stop_early()
    if not can_fork(2):
        return
    for stream in (sys.stdout, sys.stderr):  # the child must not print again what this process buffered
        stream.flush()
    payload_r, payload_w = os.pipe()
    result_r, result_w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which exits without reporting coverage
        os.close(payload_w)
        os.close(result_r)
        _early_child(prepare, parent, payload_r, result_w)
    os.close(payload_r)
    os.close(result_w)
    _EARLY = EarlyChild(pid, payload_w, result_r)


def _read_exactly(fd: int, n: int, parent: int) -> Optional[bytes]:
    """``n`` bytes from ``fd``, or None when the pipe ends first or the process ``parent`` has gone."""
    chunks: List[bytes] = []
    while n > 0:
        if not select.select([fd], [], [], 1.0)[0]:
            if os.getppid() != parent:
                return None
            continue
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _early_child(prepare: Callable[[], object], parent: int, payload: int,
                 result: int) -> None:  # pragma: no cover - runs in the child
    global _JUDGED
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _JUDGED = True
        prepare()
        head = _read_exactly(payload, 8, parent)
        body = _read_exactly(payload, struct.unpack("<Q", head)[0], parent) if head else None
        if body is not None:  # else not needed: the run failed, or its items could not be pickled
            items, draw, positions = pickle.loads(body)
            _write_all(result, pickle.dumps(list(zip(positions, draw_sections(items, draw))),
                                            protocol=pickle.HIGHEST_PROTOCOL))
        status = 0
    finally:
        _exit(status)


def stop_early() -> None:
    """Stop and reap the early child if :func:`draw_sections` did not use it (the run failed or drew nothing)."""
    global _EARLY
    early, _EARLY = _EARLY, None
    if early is not None:
        os.close(early.payload)
        os.close(early.result)
        _kill(early.pid)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # pragma: no cover - already gone
        pass
    os.waitpid(pid, 0)


def _collect(pid: int, result: int, items: Sequence[T], draw: Callable[[T], S], here: Iterable[int]) -> List[S]:
    """Draw the positions ``here`` in this process, then read the child's ``(position, drawing)`` pairs from the
    pipe ``result`` and reap it; draw here what it did not return (it died, or its result cannot be read).  An
    interrupt kills and reaps the child.  Returns every drawing in the order of ``items``."""
    got: List[Optional[Tuple[bool, S]]] = [None] * len(items)
    reaped = False
    try:
        for i in here:
            got[i] = (True, draw(items[i]))
        data = _read_all(result)
        _, status = os.waitpid(pid, 0)
        reaped = True
        if os.waitstatus_to_exitcode(status) == 0:
            try:
                for i, value in pickle.loads(data):
                    got[i] = (True, value)
            except Exception:  # noqa: BLE001 - the child's result cannot be read: its part is drawn here
                pass
    finally:
        os.close(result)
        if not reaped:
            _kill(pid)
    return [g[1] if g is not None else draw(items[i]) for i, g in enumerate(got)]


def _send(fd: int, data: bytes) -> None:
    """Write ``data`` to the early child and close the pipe (a child that died: nothing to do)."""
    try:
        _write_all(fd, data)
    except OSError:
        pass
    finally:
        os.close(fd)


def _with_early(early: EarlyChild, items: Sequence[T], draw: Callable[[T], S], order: Sequence[int],
                local: Sequence[int]) -> Optional[List[S]]:
    """:func:`draw_sections` with the early child: it draws all but ``local``, which are done here meanwhile.
    None (the child stopped) when the items cannot be pickled."""
    here = set(local)
    remote = [i for i in order if i not in here]
    try:
        body = pickle.dumps(([items[i] for i in remote], draw, remote), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a lambda among the items: drawn as without the early child
        os.close(early.payload)
        os.close(early.result)
        _kill(early.pid)
        return None
    writer = threading.Thread(target=_send, args=(early.payload, struct.pack("<Q", len(body)) + body), daemon=True)
    writer.start()  # the child reads it once its imports are done; the local work goes on meanwhile
    try:
        return _collect(early.pid, early.result, items, draw, local)
    finally:
        writer.join()


def draw_sections(items: Sequence[T], draw: Callable[[T], S], prepare: Optional[Callable[[], object]] = None,
                  order: Optional[Sequence[int]] = None, local: Sequence[int] = ()) -> List[S]:
    """``[draw(x) for x in items]``, shared with a forked child where :func:`can_fork`.

    Parameters
    ----------
    items : sequence
        What to draw, in page order (``(key, builder)`` pairs for the report's sections); at most 255.
    draw : callable
        Draws one item; must not raise (a section builder catches its own faults) and must return a
        picklable value.
    prepare : callable, optional
        Called once before the fork (the imports the drawing needs), so that the child inherits its work.
    order : sequence of int, optional
        The order in which the positions are taken (default: page order); the costly first shares best.
    local : sequence of int
        Positions that need nothing of ``prepare`` (the workbook): with an early child (:func:`start_early`)
        they are done in this process while the child draws the others.

    Returns
    -------
    list
        ``draw(x)`` for every item, in the order of ``items``, whichever process drew it.
    """
    global _EARLY
    early, _EARLY = _EARLY, None
    if early is not None:
        done = _with_early(early, items, draw, list(order if order is not None else range(len(items))), local)
        if done is not None:
            return done
    if not can_fork(len(items)) or len(items) > 255:
        return [draw(x) for x in items]
    if prepare is not None:
        prepare()
    tickets_r, tickets_w = os.pipe()
    os.write(tickets_w, bytes(order if order is not None else range(len(items))))  # < 4 KiB: never blocks
    os.close(tickets_w)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which exits without reporting coverage
        os.close(read_fd)
        _child(items, draw, tickets_r, write_fd)
    os.close(write_fd)
    try:
        return _collect(pid, read_fd, items, draw, _claimed(tickets_r))
    finally:
        os.close(tickets_r)
