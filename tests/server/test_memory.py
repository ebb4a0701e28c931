"""The served process's allocator settings (``server/memory.py``); what they save is measured by ``bench.load``."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from retriever.config import PROJECT_ROOT

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
