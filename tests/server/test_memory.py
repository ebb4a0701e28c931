"""The served process's allocator settings (``server/memory.py``); what they save is measured by ``bench.load``."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys

import pytest

from retriever.config import PROJECT_ROOT
from server import memory

SCRIPT = "from server import memory; print(memory.limit_arenas())"


def run(env: dict[str, str]) -> str:
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arena limit is glibc's")
def test_the_arenas_are_capped_on_glibc():
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert run(env) == "True"


def test_an_operators_malloc_arena_max_is_kept():
    assert run({**os.environ, "MALLOC_ARENA_MAX": "4"}) == "False"


def test_activity_settles_once_when_the_last_question_in_flight_is_answered():
    activity = memory.Activity()
    assert not activity.settled()  # nothing answered yet: nothing to hand back
    with activity.question():
        with activity.question():
            pass
        assert not activity.settled()  # one still in flight
    assert activity.settled()
    assert not activity.settled()  # once per burst, not at every tick


def test_the_idle_trimmer_takes_the_settled_moment():
    activity = memory.Activity()
    with activity.question():
        pass

    async def briefly() -> None:
        task = asyncio.create_task(memory.trim_when_idle(activity, period=0.01))
        await asyncio.sleep(0.2)
        task.cancel()

    asyncio.run(briefly())
    assert not activity.settled()


TRIM = """
from server import memory
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024
held = [bytes(4000) for _ in range(25_000)]  # ~100 MB in blocks below glibc's mmap threshold
keep = held[::50]  # a few survivors scattered through the heap: it cannot shrink from its top alone
del held
before = rss()
print(memory.trim(), before - rss())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_trim_hands_freed_memory_back_to_the_os():
    out = subprocess.run([sys.executable, "-c", TRIM], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    trimmed, handed_back_mb = out.stdout.split()
    assert trimmed == "True"
    assert int(handed_back_mb) >= 50
