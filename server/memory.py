"""How a served process asks glibc's allocator to hold less memory it no longer uses.

glibc gives each thread that allocates concurrently an arena of its own, up to eight per core, and keeps what an
arena once held for reuse.  A worker answers on up to 40 threads at once, so under 16 concurrent clients its memory
grew from ~285 to ~460 MB and stayed there (``bench.load``), although one question holds a few MB.  Two arenas,
set before those threads start, kept it at ~365 MB for 1-3% of the throughput (two rounds each, 10 s, same run).
A fixed mmap threshold would return large blocks too (~300 MB) but cost 8% of the throughput, so it is not set.
``MALLOC_ARENA_MAX`` in the environment, if set, is the operator's choice and is kept.

What a burst of concurrent questions leaves behind is still held, free, in those arenas: a worker stayed at ~330 MB
after 16 clients had stopped, against ~280 MB before them.  So once the worker is idle again (no question in flight,
checked every ``IDLE_TRIM_SECONDS``) it asks glibc to hand the free pages back (``release_freed_memory``, as a
build does between its stages).  Not after every
question: pages handed back are faulted in again by the next one, and a single user would pay that each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import threading
from collections.abc import Iterator

import anyio

from retriever.encoders import release_freed_memory

log = logging.getLogger("alliance_qa.server")

ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number for the arena limit (glibc malloc.h)
IDLE_TRIM_SECONDS = 1.0


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process; False where the C library is not glibc (nothing to cap)."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:  # the C library is already loaded: look it up in the process, not with find_library (it runs ldconfig)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    ok = bool(mallopt(_M_ARENA_MAX, arenas))
    if ok:
        log.debug("malloc arenas capped at %d", arenas)
    return ok


class Activity:
    """Questions in flight, and whether any finished since the memory was last trimmed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._finished = False

    @contextlib.contextmanager
    def question(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._finished = True

    def settled(self) -> bool:
        """True once after questions were answered and none is in flight now: the moment to trim."""
        with self._lock:
            if self._in_flight or not self._finished:
                return False
            self._finished = False
            return True


async def trim_when_idle(activity: Activity, period: float = IDLE_TRIM_SECONDS) -> None:
    """Run for the life of the app: trim the memory each time the questions of a burst have all been answered."""
    while True:
        await asyncio.sleep(period)
        if activity.settled():
            await anyio.to_thread.run_sync(release_freed_memory)
