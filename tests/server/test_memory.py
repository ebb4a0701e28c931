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

