"""Speed benchmarks and the load test of alliance-qa (issue #6), plus the helpers they share.

Each benchmark is one command (``python -m bench.stages``, ``bench.coldstart``, ``bench.scale``, ``bench.load``)
and writes a JSON file under ``bench/results/``.  The machine they run on is usually shared, so nothing here
asserts a time: every result is a median (with p95) or a ratio of two medians measured in the same run, and every
result file records the conditions it was measured under (load average, thread settings, versions), because on
a busy 2-core box those conditions move the numbers more than most code changes do.

This module holds only what at least two benchmarks need: percentiles, the environment snapshot, the result
writer, the gold questions, and a real ``alliance-qa serve`` process on loopback with its memory.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"
LOOPBACK = "127.0.0.1"

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a benchmark must never wait on a model hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Environment variables that change CPU timings a lot on a shared machine (see bench/README.md).
_TIMING_ENV = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOMP_SPINCOUNT", "TOKENIZERS_PARALLELISM")


# ------------------------------------------------------------------------------------------------ statistics


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default); None for no values, so empty stages stay visible."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def summarise(values: Iterable[float], digits: int = 3) -> dict[str, float | int | None]:
    """n, median, p95, p99, mean, min and max of a list of milliseconds (or any unit), rounded for the JSON."""
    data = [float(v) for v in values]

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, digits)

    return {
        "n": len(data),
        "median": r(percentile(data, 50)),
        "p95": r(percentile(data, 95)),
        "p99": r(percentile(data, 99)),
        "mean": r(sum(data) / len(data)) if data else None,
        "min": r(min(data)) if data else None,
        "max": r(max(data)) if data else None,
    }


def ratio(a: float | None, b: float | None, digits: int = 2) -> float | None:
    return None if a is None or not b else round(a / b, digits)


# ----------------------------------------------------------------------------------------------- environment


def environment() -> dict:
    """What the numbers were measured under: a result without its load average cannot be compared to another."""
    info: dict = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "env": {k: os.environ[k] for k in _TIMING_ENV if k in os.environ},
        "git_commit": _git_commit(),
    }
    if "torch" in sys.modules:  # never import torch just to report on it
        info["torch_threads"] = sys.modules["torch"].get_num_threads()
    if "faiss" in sys.modules:
        info["faiss_omp_threads"] = sys.modules["faiss"].omp_get_max_threads()
    try:
        from retriever.index import library_versions

        info["libraries"] = library_versions()
    except Exception:  # pragma: no cover - the benchmark still runs without the version list
        pass
    return info


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def write_result(data: dict, out: Path) -> Path:
    """Write a result atomically (a killed run leaves the previous file, not half a JSON)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return out


def gold_questions(path: Path = GOLD, limit: int | None = None) -> list[dict]:
    """The gold set's questions (``id``, ``question``, ``lang``): real questions, English and Korean."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [{"id": r.get("id"), "question": r["question"], "lang": r.get("lang", "en")} for r in rows]
    return rows[:limit] if limit else rows


def fmt_ms(x: float | None) -> str:
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


# ---------------------------------------------------------------------------------------------------- memory


def rss_bytes(pid: int | None = None) -> int:
    import psutil

    return psutil.Process(pid or os.getpid()).memory_info().rss


def tree_rss(pid: int) -> dict:
    """RSS of a process and all its descendants (uvicorn workers are children of the ``serve`` process)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return {"total_mb": None, "processes": []}
    per = []
    for p in procs:
        try:
            per.append({"pid": p.pid, "rss_mb": round(p.memory_info().rss / 2**20, 1)})
        except psutil.NoSuchProcess:
            continue
    return {"total_mb": round(sum(p["rss_mb"] for p in per), 1), "processes": per}


class PeakRSS:
    """Samples this process's RSS in a thread: the peak of a build, which the before/after delta misses."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.start = self.peak = self.end = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> "PeakRSS":
        self.start = self.peak = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.end = rss_bytes()
        self.peak = max(self.peak, self.end)

    @property
    def delta_mb(self) -> float:
        return round((self.end - self.start) / 2**20, 1)

    @property
    def peak_delta_mb(self) -> float:
        return round((self.peak - self.start) / 2**20, 1)


# ---------------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def cli_command() -> list[str]:
    """``alliance-qa`` as installed next to this interpreter (the console script), else ``python -m retriever.cli``."""
    script = Path(sys.executable).with_name("alliance-qa")
    return [str(script)] if script.exists() else [sys.executable, "-m", "retriever.cli"]


class ServeProcess:
    """``alliance-qa serve`` on 127.0.0.1 and a free port, in its own process, with its output in a log file.

    Like ``tests.conftest.LiveServer`` but through the real command line (so ``--workers`` and the build-on-start
    path are what gets measured).  It only ever binds and talks to loopback.
    """

    def __init__(self, index_dir: Path, log_path: Path, workers: int = 1, corpus_dir: Path | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        from retriever.config import Settings

        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.workers = workers
        corpus_dir = corpus_dir or Settings.from_env().corpus_dir
        env = {
            **os.environ,
            "ALLIANCE_QA_INDEX_DIR": str(index_dir),
            "ALLIANCE_QA_CORPUS_DIR": str(corpus_dir),
            **(extra_env or {}),
        }
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self.log = open(log_path, "w+", encoding="utf-8")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cli_command() + ["-q", "serve", "--host", LOOPBACK, "--port", str(self.port), "--workers", str(workers)],
            cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 600.0, all_workers: bool = True) -> float:
        """Seconds from launch to the first ``/healthz`` 200 (and, with several workers, until every worker logged
        its start-up: the socket is shared, so one ready worker already answers while the others still load)."""
        import httpx

        deadline = time.monotonic() + timeout
        ready_at = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.output()[-4000:]}")
            if ready_at is None:
                try:
                    if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                        ready_at = time.perf_counter() - self.started
                except httpx.HTTPError:
                    pass
            if ready_at is not None and (
                not all_workers or self.workers <= 1
                or self.output().count("Application startup complete") >= self.workers
            ):
                return ready_at
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.output()[-4000:]}")

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def rss(self) -> dict:
        return tree_rss(self.proc.pid)

    def stop(self) -> None:
        """SIGTERM to the server (uvicorn stops its workers), then SIGKILL to any of its own processes left."""
        import psutil

        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        for child in children:
            try:
                child.wait(5)
            except psutil.TimeoutExpired:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        self.log.close()

    def __enter__(self) -> "ServeProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
