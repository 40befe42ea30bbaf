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
least two processors, no other Python thread runs (forking a threaded process can copy a held lock),
and there are at least two sections.  A child that fails in any way (killed, an exception, a result
that cannot be read) costs nothing but time: the parent draws its sections itself.  An interrupt
(Ctrl-C) in the parent kills and reaps the child.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, TypeVar

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


def can_fork(tasks: int) -> bool:
    """True where drawing ``tasks`` sections in a forked child is safe and useful (see the module docstring)."""
    return tasks >= 2 and hasattr(os, "fork") and processors() >= 2 and not other_threads()


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


def _child(items: Sequence[T], draw: Callable[[T], S], tickets: int, fd: int) -> None:
    """In the forked child: draw the items it takes from ``tickets``, write them pickled to ``fd``, and exit."""
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        data = pickle.dumps([(i, draw(items[i])) for i in _claimed(tickets)], protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        status = 0
    finally:
        for stream in (sys.stdout, sys.stderr):  # what the child printed; os._exit does not flush
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed stream must not keep the child alive
                pass
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffers twice


def draw_sections(items: Sequence[T], draw: Callable[[T], S], prepare: Optional[Callable[[], object]] = None,
                  order: Optional[Sequence[int]] = None) -> List[S]:
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

    Returns
    -------
    list
        ``draw(x)`` for every item, in the order of ``items``, whichever process drew it.
    """
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
    got: List[Optional[Tuple[bool, S]]] = [None] * len(items)
    reaped = False
    try:
        for i in _claimed(tickets_r):
            got[i] = (True, draw(items[i]))
        data = _read_all(read_fd)
        _, status = os.waitpid(pid, 0)
        reaped = True
        if os.waitstatus_to_exitcode(status) == 0:
            try:
                for i, value in pickle.loads(data):
                    got[i] = (True, value)
            except Exception:  # noqa: BLE001 - the child's result cannot be read: its part is drawn here
                pass
    finally:
        os.close(read_fd)
        os.close(tickets_r)
        if not reaped:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return [g[1] if g is not None else draw(items[i]) for i, g in enumerate(got)]
