"""Faults a running service meets: a damaged or foreign index, a missing document, a build killed halfway, CORS.

Each test runs the real command (`alliance-qa serve` / `alliance-qa index`) in its own process over a tiny corpus,
so builds take seconds; the checks are what an operator sees: the exit code, the message, and what is served.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from retriever.config import PROJECT_ROOT, Settings
from retriever.store import IndexStale, load

from bench.process import free_port
from conftest import ENERGY, copy_of, serve_process, tiny_corpus

CLI = [sys.executable, "-m", "server.cli"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    """A tiny corpus (listed in sources.json) and its index, built once; tests work on copies."""
    return tiny_corpus(tmp_path_factory.mktemp("faults"), [
        {"file": "steel.txt", "doc_id": "steel", "title": "Steel Notes"},
        {"file": "energy.txt", "doc_id": "energy", "title": "Energy Notes"},
    ])


@pytest.fixture
def tiny(built, tmp_path) -> Settings:
    return copy_of(built, tmp_path)


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ALLIANCE_QA_CORPUS_DIR": str(settings.corpus_dir),
        "ALLIANCE_QA_INDEX_DIR": str(settings.index_dir),
        "ALLIANCE_QA_MULTILINGUAL_MODEL": settings.multilingual_model,
        **extra,
    }


def serve_refuses(settings: Settings, **extra: str) -> str:
    """`alliance-qa serve` must exit (not serve) and say why on stderr; returns what it printed."""
    proc = subprocess.run([*CLI, "serve", "--port", str(free_port())], env=env_for(settings, **extra),
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    return proc.stderr


def current(settings: Settings) -> Path:
    return (settings.index_dir / "current").resolve()


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_damaged_index_refuses_to_start_then_rebuilds_when_told(tiny, damage):
    target = current(tiny) / "dense.faiss"
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\x00" * len(data))
    err = serve_refuses(tiny)
    assert "dense.faiss" in err and "damaged" in err and "alliance-qa index --force" in err
    damaged = current(tiny)
    server = serve_process(tiny, {"ALLIANCE_QA_REBUILD_ON_ERROR": "1", "ALLIANCE_QA_MULTILINGUAL_MODEL": "none"})
    try:
        server.wait_ready(timeout=240)
        answer = httpx.post(server.url + "/api/ask", json={"question": "steel tariffs", "k": 1}, timeout=30).json()
        assert "25 percent" in answer["passages"][0]["text"]
    finally:
        server.stop()
    assert current(tiny) != damaged and not damaged.exists()  # a new build replaced the damaged one


def test_index_of_another_model_is_never_served(tiny):
    """A manifest that names another model is stale: rebuilt for this model, not read with the wrong vectors."""
    manifest_path = current(tiny) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["params"]["model"] = manifest["model"]["name"] = "some-other-model"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexStale, match="model changed"):
        load(tiny)
    # The same vectors under a manifest that claims another dimension: refused as damaged, with the way out.
    manifest["params"]["model"] = manifest["model"]["name"] = tiny.model
    manifest["model"]["dim"] = 768
    manifest_path.write_text(json.dumps(manifest))
    err = serve_refuses(tiny)
    assert "does not match its manifest" in err or "sizes differ" in err
    assert "alliance-qa index --force" in err


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "-q", *args], env=env_for(settings), cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=240)


def start(settings: Settings):
    server = serve_process(settings, {"ALLIANCE_QA_MULTILINGUAL_MODEL": "none"})
    server.wait_ready(timeout=240)
    return server


def test_missing_corpus_file_is_named_and_the_old_index_served(tiny):
    """A listed file gone is a corpus mistake: the build refuses, naming it, and a running service keeps the old
    index (which still holds the document) rather than going down."""
    before = current(tiny)
    (tiny.corpus_dir / "energy.txt").unlink()
    built = run_cli(tiny, "index")
    assert built.returncode == 1 and "Traceback" not in built.stderr
    assert "energy.txt" in built.stderr and "sources.json" in built.stderr and "put the file back" in built.stderr
    assert current(tiny) == before and (before / "manifest.json").is_file()
    server = start(tiny)
    try:
        health = httpx.get(server.url + "/healthz", timeout=30).json()
        assert any("energy.txt" in why for why in health["stale"])
        answer = httpx.post(server.url + "/api/ask", json={"question": "natural gas exports", "k": 1}, timeout=30)
        assert "Liquefied natural gas" in answer.json()["passages"][0]["text"]
    finally:
        server.stop()
    assert current(tiny) == before


BAD_FILES = {
    "broken.pdf": (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R", "cannot be read"),
    "empty.txt": (b"", "empty"),
    "photo.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40, "binary"),
}


def test_bad_new_files_are_skipped_and_named_while_the_rest_is_served(tiny):
    for name, (data, _) in BAD_FILES.items():
        (tiny.corpus_dir / name).write_bytes(data)
    (tiny.corpus_dir / "ships.md").write_text("# Ship Notes\n\nKorean yards delivered twelve LNG carriers in 2024.\n")
    server = start(tiny)  # the index is stale (new files): rebuilt from the readable ones
    try:
        health = httpx.get(server.url + "/healthz", timeout=30).json()
        listing = httpx.get(server.url + "/api/documents", timeout=30).json()
        answer = httpx.post(server.url + "/api/ask", json={"question": "LNG carriers delivered", "k": 1},
                            timeout=30).json()
    finally:
        server.stop()
    assert health["stale"] == [] and health["documents"] == 3
    for skipped in (health["skipped"], listing["skipped"]):
        reasons = {s["file"]: s["reason"] for s in skipped}
        assert set(reasons) == set(BAD_FILES)
        assert all(cause in reasons[name] for name, (_, cause) in BAD_FILES.items())
    assert {d["doc_id"] for d in listing["documents"]} == {"steel", "energy", "ships"}
    assert "twelve LNG carriers" in answer["passages"][0]["text"]
    documents = run_cli(tiny, "documents")
    assert documents.returncode == 0
    assert "ships" in documents.stdout and "skipped broken.pdf: " in documents.stdout


def test_index_says_which_files_it_skipped(tiny):
    (tiny.corpus_dir / "broken.pdf").write_bytes(BAD_FILES["broken.pdf"][0])
    built = run_cli(tiny, "index")
    assert built.returncode == 0, built.stderr[-2000:]
    assert "2 documents" in built.stdout and "skipped broken.pdf: the PDF cannot be read" in built.stdout


def test_only_a_corpus_with_no_readable_document_fails_the_build(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, (data, _) in BAD_FILES.items():
        (corpus / name).write_bytes(data)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", multilingual_model="none")
    built = run_cli(settings, "index")
    assert built.returncode == 1 and "Traceback" not in built.stderr
    assert "no document" in built.stderr and all(name in built.stderr for name in BAD_FILES)
    assert not (settings.index_dir / "current").exists()


def test_build_killed_at_any_point_leaves_a_whole_index(tiny):
    """SIGKILL `alliance-qa index --force` at several moments: `current` is always a complete build."""
    first = current(tiny)
    (tiny.corpus_dir / "energy.txt").write_text(ENERGY + "\nHydrogen trade is new.\n")
    for delay in (0.5, 2.0, 4.0, "tmp"):
        proc = subprocess.Popen([*CLI, "-q", "index", "--force"], env=env_for(tiny), cwd=PROJECT_ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + (60 if delay == "tmp" else delay)
        while time.monotonic() < deadline and proc.poll() is None:
            if delay == "tmp" and any(p.name.startswith(".tmp-") for p in tiny.index_dir.iterdir()):
                break  # the build is writing its files
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = current(tiny)
        assert now.is_dir() and (now / "manifest.json").is_file()
        if now == first:
            with pytest.raises(IndexStale):  # the previous build, whole, and known to be out of date
                load(tiny)
        else:  # the kill came after the swap: the new build is whole
            assert "Hydrogen" in load(tiny).documents["energy"].text
    done = subprocess.run([*CLI, "-q", "index", "--force"], env=env_for(tiny), cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]  # leftovers of killed builds do not block the next one
    assert "Hydrogen" in load(tiny).documents["energy"].text
    assert not [p for p in tiny.index_dir.iterdir() if p.name.startswith(".tmp-")]


def test_cors_is_closed_by_default_and_opens_to_configured_origins(tiny):
    server = serve_process(tiny, {"ALLIANCE_QA_CORS_ORIGINS": "http://app.example", "ALLIANCE_QA_MULTILINGUAL_MODEL": "none"})
    try:
        server.wait_ready(timeout=240)
        for origin, allowed in (("http://app.example", True), ("http://evil.example", False)):
            pre = httpx.options(server.url + "/api/ask", timeout=10, headers={
                "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
            got = httpx.post(server.url + "/api/ask", json={"question": "steel", "k": 1}, headers={"Origin": origin},
                             timeout=30)
            assert got.status_code == 200
            for r in (pre, got):
                assert (r.headers.get("access-control-allow-origin") == origin) is allowed, (origin, r.headers)
    finally:
        server.stop()


def test_binds_to_loopback_unless_told():
    assert Settings().host == "127.0.0.1"
    out = subprocess.run([*CLI, "serve", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "127.0.0.1" in out
