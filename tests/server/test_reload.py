"""Hot reload: a running server swaps in a newer index by itself, under load, in every worker, failing no request.

A real server (two workers) over a tiny corpus answers a steady stream of questions from four threads while
`alliance-qa add` builds a new index aside in another process; the checks are what clients and the operator see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import httpx
import pytest

from retriever.config import PROJECT_ROOT, Settings

from conftest import SHIPS, serve_process, tiny_corpus



@pytest.fixture
def tiny(tmp_path) -> Settings:
    return tiny_corpus(tmp_path)


class Load:
    """Questions asked without pause from several threads, each on a fresh connection; every outcome recorded."""

    def __init__(self, url: str, threads: int = 4) -> None:
        self.url, self.outcomes, self.stop = url, [], threading.Event()
        self.threads = [threading.Thread(target=self._ask, daemon=True) for _ in range(threads)]

    def _ask(self) -> None:
        while not self.stop.is_set():
            try:
                r = httpx.post(self.url + "/api/ask", json={"question": "steel tariffs in 2018", "k": 2}, timeout=60)
                self.outcomes.append(r.status_code if r.status_code != 200 or r.json()["passages"] else "empty")
            except httpx.HTTPError as exc:
                self.outcomes.append(repr(exc))

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=90)


def served_id(server) -> str:
    return httpx.get(server.url + "/healthz", timeout=30).json()["index_id"]


def test_a_newer_index_is_served_by_every_worker_without_a_failed_request(tiny, tmp_path):
    server = serve_process(tiny, {"ALLIANCE_QA_MULTILINGUAL_MODEL": "none", "ALLIANCE_QA_RELOAD_SECONDS": "0.5"},
                           workers=2)
    server_cmd_env = {**os.environ, "ALLIANCE_QA_CORPUS_DIR": str(tiny.corpus_dir),
                      "ALLIANCE_QA_INDEX_DIR": str(tiny.index_dir), "ALLIANCE_QA_MULTILINGUAL_MODEL": "none"}
    source = tmp_path / "ships.txt"
    source.write_text(SHIPS)
    try:
        server.wait_ready(timeout=240)
        before = httpx.get(server.url + "/healthz", timeout=30).json()["index_id"]
        with Load(server.url) as load:
            time.sleep(1.0)
            added = subprocess.run([sys.executable, "-m", "server.cli", "-q", "add", str(source)], env=server_cmd_env,
                                   cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
            assert added.returncode == 0, added.stderr[-2000:]
            built_at = time.monotonic()
            while time.monotonic() - built_at < 60 and served_id(server) == before:
                time.sleep(0.2)
            swapped_after = time.monotonic() - built_at
            time.sleep(2.0)  # requests keep coming after the swap
        # Each poll is a new connection, which either worker may accept: all of them see the new index.
        ids = {served_id(server) for _ in range(30)}
        docs = httpx.get(server.url + "/api/documents", timeout=30).json()["documents"]
        answer = httpx.post(server.url + "/api/ask", json={"question": "How many LNG carriers were delivered?"},
                            timeout=30).json()
    finally:
        server.stop()
    assert swapped_after < 10, server.output()[-3000:]
    assert len(ids) == 1 and ids != {before}
    assert {d["doc_id"] for d in docs} == {"steel", "energy", "ships"}
    assert "twelve LNG carriers" in answer["passages"][0]["text"]
    assert len(load.outcomes) >= 20 and set(load.outcomes) == {200}, json.dumps(load.outcomes[-20:])
