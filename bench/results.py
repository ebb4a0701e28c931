"""Result files: the conditions a result was measured under, the atomic writer, and the Markdown tables.

On a busy 2-core machine the load average and the OpenMP settings move timings more than most code changes do
(bench/README.md), so a result that does not record them cannot be compared with another one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from retriever.config import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"

# Environment variables that change CPU timings a lot on a shared machine.
TIMING_ENV = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOMP_SPINCOUNT", "TOKENIZERS_PARALLELISM")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def environment() -> dict:
    """What the numbers are measured under: time, machine, load, thread settings, library versions, commit."""
    from retriever.index import library_versions

    info: dict = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": load_average(),
        "env": {k: os.environ[k] for k in TIMING_ENV if k in os.environ},
        "git_commit": git_commit(),
        "libraries": library_versions(),
    }
    if "torch" in sys.modules:  # report on torch and FAISS only if the benchmark loaded them: never load them here
        info["torch_threads"] = sys.modules["torch"].get_num_threads()
    if "faiss" in sys.modules:
        info["faiss_omp_threads"] = sys.modules["faiss"].omp_get_max_threads()
    return info


def git_commit() -> str | None:
    """The short commit, with ``+dirty`` when tracked files differ from it; None outside a git checkout."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5)

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty else "") if head.returncode == 0 else None


def publish(result: dict, benchmark: str, before: dict, started: float, out: Path,
            report: Callable[[dict], None]) -> Path:
    """Finish a run: stamp the result with its name, run time, the environment before and the load average after;
    print its report; write it to ``out``."""
    result.update({
        "benchmark": benchmark,
        "run_seconds": round(time.perf_counter() - started, 1),
        "environment": before,
        "load_average_after": load_average(),
    })
    report(result)
    written = write_result(result, out)
    print(f"wrote {written}", file=sys.stderr)
    return written


def write_result(data: dict, out: Path) -> Path:
    """Write a result atomically: a killed run leaves the previous file, not half a JSON."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return out


def fmt_ms(x: float | None) -> str:
    """Milliseconds with the digits that mean something at that size ("-" for no value)."""
    if x is None:
        return "-"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 1000 else f"{x:.0f}"


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A GitHub-flavoured Markdown table: readable in a terminal and pasteable into bench/README.md."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
