"""Adding and removing documents over HTTP, against a real server over a tiny corpus.

Every status the API promises is produced by a real request; after each refusal the corpus folder is byte for byte
what it was and the same index is served.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest


from conftest import serve_process, tiny_corpus

TOKEN = "s3cret-token-for-tests"
SHIPS = "# Ship Notes\n\nKorean yards delivered twelve LNG carriers in 2024. Most went to Qatar and America.\n"
LIMIT = 200_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = tiny_corpus(tmp_path_factory.mktemp("upload"))
    corpus = settings.corpus_dir
    server = serve_process(settings, {"ALLIANCE_QA_MULTILINGUAL_MODEL": "none", "ALLIANCE_QA_ADMIN_TOKEN": TOKEN,
                                      "ALLIANCE_QA_MAX_UPLOAD_BYTES": str(LIMIT)})
    try:
        server.wait_ready(timeout=240)
        server.corpus_dir = corpus
        yield server
    finally:
        server.stop()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def served(server) -> str:
    return httpx.get(server.url + "/healthz", timeout=30).json()["index_id"]


def upload(server, name: str, data: bytes, token: str | None = TOKEN, **fields: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(server.url + "/api/documents", files={"file": (name, data)}, data=fields, headers=headers,
                      timeout=120)


REFUSED = [
    # (what, name, bytes, token, fields, status, words in the detail)
    ("no token", "a.txt", b"Some text here.", None, {}, 401, "Authorization: Bearer"),
    ("wrong token", "a.txt", b"Some text here.", "guess", {}, 403, "token is wrong"),
    ("binary", "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, TOKEN, {}, 415, "binary"),
    ("zip named .pdf", "paper.pdf", b"PK\x03\x04" + bytes(300), TOKEN, {}, 415, "neither PDF"),
    ("empty", "empty.txt", b"", TOKEN, {}, 422, "empty"),
    ("broken PDF", "broken.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", TOKEN, {}, 422, "cannot be read"),
    ("only markup", "page.html", b"<html><script>var a;</script></html>", TOKEN, {}, 422, "no text"),
    ("name taken", "steel.txt", b"Plain words about tariffs.", TOKEN, {}, 409, "steel.txt is already in"),
    ("slug taken", "steel.md", SHIPS.encode(), TOKEN, {}, 409, "'steel' is taken by steel.txt"),
    ("doc_id taken", "other.txt", SHIPS.encode(), TOKEN, {"doc_id": "energy"}, 409, "taken by energy.txt"),
    ("too large", "big.txt", b"Korea and the alliance. " * (LIMIT // 20), TOKEN, {}, 413, f"larger than {LIMIT}"),
    ("field too long", "a.txt", b"Some text here.", TOKEN, {"title": "t" * 1001}, 422, "'title'"),
]


@pytest.mark.parametrize("what, name, data, token, fields, status, words", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_upload_says_why_and_changes_nothing(server, what, name, data, token, fields, status, words):
    before, index_before = snapshot(server.corpus_dir), served(server)
    r = upload(server, name, data, token, **fields)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"
    assert snapshot(server.corpus_dir) == before and served(server) == index_before


def test_not_a_form_is_refused(server):
    r = httpx.post(server.url + "/api/documents", json={"file": "x"}, headers={"authorization": f"Bearer {TOKEN}"},
                   timeout=30)
    assert r.status_code == 415 and "multipart/form-data" in r.json()["detail"]


def test_an_oversized_upload_without_a_length_gets_413(server):
    """Sent chunked, the body announces no length: it is counted as it arrives."""
    def chunks():
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'
        for _ in range(LIMIT // 1000 + 100):
            yield b"Korea and the alliance, " * 40
        yield b"\r\n--b--\r\n"

    before = snapshot(server.corpus_dir)
    r = httpx.post(server.url + "/api/documents", content=chunks(), timeout=60,
                   headers={"authorization": f"Bearer {TOKEN}", "content-type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and f"larger than {LIMIT}" in r.json()["detail"]
    assert snapshot(server.corpus_dir) == before


def test_a_malformed_form_is_a_400(server):
    r = httpx.post(server.url + "/api/documents", content=b"no boundary here", timeout=30,
                   headers={"authorization": f"Bearer {TOKEN}", "content-type": "multipart/form-data; boundary=b"})
    assert r.status_code in (400, 422) and r.json()["detail"]


def test_upload_then_ask_then_remove(server):
    assert httpx.get(server.url + "/healthz", timeout=30).json()["uploads"] is True
    before = served(server)
    r = upload(server, "Ship Notes.md", SHIPS.encode(), title="Ship Notes 2024", authors="Jane Doe, Kim Min-ji",
               publisher="Harbour Institute", date="2025-01-31", url="https://example.org/ships")
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["doc_id"] == "ship-notes" and r.headers["location"] == "/api/documents/ship-notes"
    assert record["authors"] == ["Jane Doe", "Kim Min-ji"] and record["chunks"] == 1
    assert served(server) != before  # searchable at once
    answer = httpx.post(server.url + "/api/ask", json={"question": "How many LNG carriers were delivered?"},
                        timeout=30).json()
    assert "twelve LNG carriers" in answer["passages"][0]["text"]
    entry = json.loads((server.corpus_dir / "sources.json").read_text())[-1]
    assert entry["file"] == "Ship-Notes.md" and entry["title"] == "Ship Notes 2024"

    for token, status in ((None, 401), ("guess", 403)):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        assert httpx.delete(server.url + "/api/documents/ship-notes", headers=headers, timeout=30).status_code == status
    auth = {"authorization": f"Bearer {TOKEN}"}
    assert httpx.delete(server.url + "/api/documents/nope", headers=auth, timeout=30).status_code == 404
    gone = httpx.delete(server.url + "/api/documents/ship-notes", headers=auth, timeout=120)
    assert gone.status_code == 200 and gone.json() == {"doc_id": "ship-notes", "file": "Ship-Notes.md"}
    docs = httpx.get(server.url + "/api/documents", timeout=30).json()["documents"]
    assert {d["doc_id"] for d in docs} == {"steel", "energy"}
    assert not (server.corpus_dir / "Ship-Notes.md").exists()


def test_uploads_are_off_without_a_token(live_server):
    r = httpx.post(live_server.url + "/api/documents", files={"file": ("a.txt", b"Some text.")}, timeout=30)
    assert r.status_code == 403 and "disabled" in r.json()["detail"] and "ALLIANCE_QA_ADMIN_TOKEN" in r.json()["detail"]
    d = httpx.delete(live_server.url + "/api/documents/anything", timeout=30)
    assert d.status_code == 403 and "disabled" in d.json()["detail"]
    assert httpx.get(live_server.url + "/healthz", timeout=30).json()["uploads"] is False
