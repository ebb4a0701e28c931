"""How a served process asks glibc's allocator to hold less memory it no longer uses.

glibc gives each thread that allocates concurrently an arena of its own, up to eight per core, and keeps what an
arena once held for reuse.  A worker answers on up to 40 threads at once, so under 16 concurrent clients its memory
grew from ~285 to ~460 MB and stayed there (``bench.load``), although one question holds a few MB.  Two arenas,
set before those threads start, kept it at ~365 MB for 1-3% of the throughput (two rounds each, 10 s, same run).
A fixed mmap threshold would return large blocks too (~300 MB) but cost 8% of the throughput, so it is not set.
``MALLOC_ARENA_MAX`` in the environment, if set, is the operator's choice and is kept.
"""

from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger("alliance_qa.server")

ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number for the arena limit (glibc malloc.h)


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
