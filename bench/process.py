"""A real ``alliance-qa serve`` process on loopback, and the memory readings of processes.

One helper for the benchmarks and the test suite alike: both start the server through the real command line, so
``--workers`` and the build-on-start path are what gets measured and tested.  It only ever binds and talks to
127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from retriever.config import PROJECT_ROOT

LOOPBACK = "127.0.0.1"
LOG_TAIL = 4000  # characters of server output quoted in an error: the traceback, not the whole start-up


def free_port() -> int:
    """A TCP port nothing listens on at the moment, on loopback."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def cli_command() -> list[str]:
    """``alliance-qa`` as installed next to this interpreter (the console script), else ``python -m server.cli``."""
    script = Path(sys.executable).with_name("alliance-qa")
    return [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]


# ---------------------------------------------------------------------------------------------------- memory


def tree_rss(pid: int) -> dict:
    """RSS in MB of a process and all its descendants (uvicorn's workers are children of ``serve``), and of each."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {"total_mb": None, "processes": []}
    per = []
    for p in procs:
        try:
            per.append({"pid": p.pid, "rss_mb": round(p.memory_info().rss / 2**20, 1)})
        except psutil.NoSuchProcess:
            continue
    return {"total_mb": round(sum(p["rss_mb"] for p in per), 1), "processes": per}


def own_rss_mb() -> float:
    """This process's RSS in MB."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


class PeakRSS:
    """Samples a memory reading (MB) in a thread while a block runs: the peak, which a before/after delta misses.

    ``read`` returns None when there is nothing to read (a server that has exited); such samples are skipped.
    """

    def __init__(self, read: Callable[[], float | None] = own_rss_mb, interval: float = 0.05) -> None:
        self.read = read
        self.interval = interval
        self.start: float | None = None
        self.peak: float | None = None
        self.end: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._take(self.read())

    def _take(self, value: float | None) -> None:
        if value is not None:
            self.peak = value if self.peak is None else max(self.peak, value)

    def __enter__(self) -> "PeakRSS":
        self.start = self.read()
        self._take(self.start)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.end = self.read()
        self._take(self.end)

    @property
    def delta_mb(self) -> float | None:
        """What the block kept: end minus start."""
        return None if self.start is None or self.end is None else round(self.end - self.start, 1)

    @property
    def peak_delta_mb(self) -> float | None:
        """What the block needed at its worst: peak minus start."""
        return None if self.start is None or self.peak is None else round(self.peak - self.start, 1)


# ---------------------------------------------------------------------------------------------------- server


class ServeProcess:
    """``alliance-qa serve`` on 127.0.0.1 and a free port, in its own process, its output in ``log_path``.

    ``index_dir`` (and ``corpus_dir``, if given) reach the server as ``ALLIANCE_QA_*`` variables, after the rest of
    this process's environment and before ``extra_env``.  The server runs from the project root with its
    ``alliance-qa``, unless ``command`` and ``cwd`` name another checkout's (``bench.versus``).
    """

    def __init__(self, index_dir: Path, log_path: Path, workers: int = 1, corpus_dir: Path | None = None,
                 extra_env: dict[str, str] | None = None, command: list[str] | None = None,
                 cwd: Path = PROJECT_ROOT) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.workers = workers
        self.log_path = log_path
        env = {**os.environ, "ALLIANCE_QA_INDEX_DIR": str(index_dir)}
        if corpus_dir is not None:
            env["ALLIANCE_QA_CORPUS_DIR"] = str(corpus_dir)
        env.update(extra_env or {})
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "w", encoding="utf-8")
        self._started = time.perf_counter()
        self.proc = subprocess.Popen(
            [*(command or cli_command()), "-q", "serve", "--host", LOOPBACK, "--port", str(self.port),
             "--workers", str(workers)],
            cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 600.0, all_workers: bool = True) -> float:
        """Seconds from launch to the first ``/healthz`` 200.

        With several workers and ``all_workers``, also wait until every worker has answered ``/healthz`` (its
        ``worker`` is the answering process): they share the socket, so the first ready worker already answers while
        the others still load their models.  A server from before ``worker`` (``bench.versus`` serves older commits)
        is counted by the start-up lines its uvicorn logged instead.
        Raises RuntimeError, with the end of the server's output, if the server exits or is not ready in time.
        """
        import httpx

        deadline = time.monotonic() + timeout
        ready_after: float | None = None
        answered: set[int] = set()  # workers seen answering /healthz: one still loading accepts no connection
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.output()[-LOG_TAIL:]}")
            try:  # trust_env=False: no proxy from the environment may stand between us and loopback
                r = httpx.get(self.url + "/healthz", timeout=2, trust_env=False)
                if r.status_code == 200:
                    ready_after = ready_after or time.perf_counter() - self._started
                    answered.add(r.json().get("worker"))
            except httpx.HTTPError:
                pass
            if ready_after is not None and (not all_workers or self._all_started(answered)):
                return ready_after
            time.sleep(0.05 if ready_after else 0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.output()[-LOG_TAIL:]}")

    def _all_started(self, answered: set[int | None]) -> bool:
        if self.workers <= 1:
            return True
        if None in answered:  # an older server's uvicorn logs each worker's start-up instead
            return self.output().count("Application startup complete") >= self.workers
        return len(answered) >= self.workers

    def output(self) -> str:
        """Everything the server has written so far (stdout and stderr)."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def rss(self) -> dict:
        """Memory of the server and its workers (``tree_rss``)."""
        return tree_rss(self.proc.pid)

    def stop(self) -> None:
        """SIGTERM to the server (uvicorn stops its workers), then SIGKILL to any of its processes still left.

        Safe to call twice.
        """
        import psutil

        if self.proc.poll() is None:  # once it has exited and been reaped, its pid may belong to someone else
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
        self._log.close()

    def __enter__(self) -> "ServeProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
