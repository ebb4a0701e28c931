"""Shared fixtures: one real index over the real corpus, and a real server process on loopback.

Everything is real (model, FAISS index, HTTP): the index is built once per test session into a temporary folder and
shared, so the suite pays for embedding once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # a hidden download must fail loudly
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from retriever.config import PROJECT_ROOT, Settings  # noqa: E402

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    """Settings for the session's index: the real corpus, a private index folder."""
    return Settings.from_env(index_dir=tmp_path_factory.mktemp("index"), corpus_dir=PROJECT_ROOT / "corpus")


@pytest.fixture(scope="session")
def index(settings):
    from retriever.index import open_index

    return open_index(settings, progress=False)


@pytest.fixture(scope="session")
def engine(index, settings):
    from retriever.search import Searcher

    searcher = Searcher(index, settings)
    searcher.warm()
    return searcher


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``alliance-qa``'s app in its own uvicorn process on 127.0.0.1."""

    def __init__(self, settings: Settings, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "ALLIANCE_QA_INDEX_DIR": str(settings.index_dir),
            "ALLIANCE_QA_CORPUS_DIR": str(settings.corpus_dir),
            **(extra_env or {}),
        }
        self.log = open(settings.index_dir.parent / f"server-{self.port}.log", "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "server.app:app_factory", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def live_server(index, settings):
    """A real server on loopback over the session's (already built) index."""
    server = LiveServer(settings)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
