"""Helpers of ``retriever/encoders.py`` that every encoder and the served worker share."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from retriever.config import PROJECT_ROOT


TRIM = """
from retriever.encoders import release_freed_memory
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024
held = [bytes(4000) for _ in range(25_000)]  # ~100 MB in blocks below glibc's mmap threshold
keep = held[::50]  # a few survivors scattered through the heap: it cannot shrink from its top alone
del held
before = rss()
print(release_freed_memory(), before - rss())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_trim_hands_freed_memory_back_to_the_os():
    out = subprocess.run([sys.executable, "-c", TRIM], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    trimmed, handed_back_mb = out.stdout.split()
    assert trimmed == "True"
    assert int(handed_back_mb) >= 50
