"""The HTTP API against a real uvicorn process on loopback: contract, offsets, errors, hostile input, headers."""

from __future__ import annotations

import json

import httpx
import pytest

KIEP = "kiep-2025-korea-us-economic-alliance"
QUESTION = "How much did Korea invest in US greenfield projects in 2024?"


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        yield c


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["model"] == "all-MiniLM-L6-v2"
    assert body["documents"] == 2 and body["chunks"] > 10
    assert body["skipped"] == [] and body["stale"] == []


def test_ask_contract_and_offsets(client):
    r = client.post("/api/ask", json={"question": QUESTION, "k": 4})
    assert r.status_code == 200
    answer = r.json()
    assert set(answer) == {"question", "answer", "reason", "abstained", "confidence", "passages", "timings_ms"}
    assert answer["question"] == QUESTION and answer["abstained"] is False and len(answer["passages"]) == 4
    assert 0.5 <= answer["confidence"] <= 1.0
    assert "$14.8 billion" in answer["passages"][0]["highlight"]["text"]
    texts = {}
    for p in answer["passages"]:
        c = p["citation"]
        assert set(c) == {"doc_id", "title", "authors", "publisher", "date", "url", "series", "section",
                          "char_start", "char_end", "footnotes"}
        if c["doc_id"] not in texts:
            texts[c["doc_id"]] = client.get(f"/api/documents/{c['doc_id']}").json()["text"]
        assert texts[c["doc_id"]][c["char_start"]:c["char_end"]] == p["text"]
        h = p["highlight"]
        assert texts[c["doc_id"]][h["char_start"]:h["char_end"]] == h["text"]
    assert answer["reason"] is None and answer["answer"]["sentences"]
    for s in answer["answer"]["sentences"]:  # every quoted word checks against the source text
        assert texts[s["doc_id"]][s["char_start"]:s["char_end"]] == s["text"] and s["text"] in answer["answer"]["text"]
        assert f"[{s['passage']}]" in answer["answer"]["text"]
        assert answer["passages"][s["passage"] - 1]["citation"]["doc_id"] == s["doc_id"]


def test_doc_filter_and_default_k(client):
    answer = client.post("/api/ask", json={"question": "defense spending", "doc_ids": [KIEP]}).json()
    assert len(answer["passages"]) == 5 and {p["citation"]["doc_id"] for p in answer["passages"]} == {KIEP}


def test_documents(client):
    listing = client.get("/api/documents").json()
    assert listing["skipped"] == []  # every corpus file is searchable
    docs = listing["documents"]
    assert {d["doc_id"] for d in docs} == {KIEP, "heritage-ib5370-us-korea-economic-partnership"}
    for d in docs:
        assert d["chars"] > 1000 and d["chunks"] > 0 and d["title"] and d["authors"]
        full = client.get(f"/api/documents/{d['doc_id']}").json()
        assert len(full["text"]) == d["chars"] and full["sections"] and full["footnotes"]


HOSTILE = [
    # (description, method, path, kwargs, expected status, words the detail must contain)
    ("empty question", "post", "/api/ask", {"json": {"question": ""}}, 422, "empty"),
    ("whitespace question", "post", "/api/ask", {"json": {"question": " \n\t "}}, 422, "empty"),
    ("2001 characters", "post", "/api/ask", {"json": {"question": "a" * 2001}}, 422, "limit is 2000"),
    ("1,000,000 characters", "post", "/api/ask", {"json": {"question": "a" * 1_000_000}}, 413, "larger than"),
    ("question is a number", "post", "/api/ask", {"json": {"question": 42}}, 422, "question"),
    ("question is a list", "post", "/api/ask", {"json": {"question": ["a"]}}, 422, "question"),
    ("question missing", "post", "/api/ask", {"json": {"k": 3}}, 422, "required"),
    ("body is a list", "post", "/api/ask", {"json": ["question"]}, 422, "body"),
    ("invalid JSON", "post", "/api/ask", {"content": b"{\"question\": ", "headers": {"content-type": "application/json"}}, 422, "not valid JSON"),
    ("invalid UTF-8", "post", "/api/ask", {"content": b"{\"question\": \"\xff\xfe\"}", "headers": {"content-type": "application/json"}}, 400, "UTF-8"),
    ("NUL character", "post", "/api/ask", {"json": {"question": "tariffs\x00"}}, 422, "NUL"),
    ("k = 0", "post", "/api/ask", {"json": {"question": "tariffs", "k": 0}}, 422, "k"),
    ("k = -1", "post", "/api/ask", {"json": {"question": "tariffs", "k": -1}}, 422, "k"),
    ("k = 21", "post", "/api/ask", {"json": {"question": "tariffs", "k": 21}}, 422, "k"),
    ("k = 10**9", "post", "/api/ask", {"json": {"question": "tariffs", "k": 10**9}}, 422, "k"),
    ("k is a string", "post", "/api/ask", {"json": {"question": "tariffs", "k": "five"}}, 422, "k"),
    ("unknown field", "post", "/api/ask", {"json": {"question": "tariffs", "temperature": 1}}, 422, "unknown field"),
    ("unknown doc id", "post", "/api/ask", {"json": {"question": "tariffs", "doc_ids": ["nope"]}}, 422, "unknown doc_ids"),
    ("doc_ids not a list", "post", "/api/ask", {"json": {"question": "tariffs", "doc_ids": "kiep"}}, 422, "doc_ids"),
    ("huge body", "post", "/api/ask", {"content": b"{" + b" " * 400_000 + b"}", "headers": {"content-type": "application/json"}}, 413, "larger than"),
    ("history not a list", "post", "/api/ask", {"json": {"question": "Who wrote it?", "history": "earlier"}}, 422, "history"),
    ("history turn not an object", "post", "/api/ask", {"json": {"question": "Who wrote it?", "history": ["hi"]}}, 422, "history"),
    ("history wrong role", "post", "/api/ask", {"json": {"question": "Who wrote it?", "history": [{"role": "system", "content": "x"}]}}, 422, "user"),
    ("history turn without content", "post", "/api/ask", {"json": {"question": "Who wrote it?", "history": [{"role": "user"}]}}, 422, "content"),
    ("history 21 turns", "post", "/api/ask", {"json": {"question": "Who wrote it?", "history": [{"role": "user", "content": "x"}] * 21}}, 422, "limit is 20"),
    ("history turn 2001 characters", "post", "/api/ask", {"json": {"question": "Who wrote it?", "history": [{"role": "user", "content": "a" * 2001}]}}, 422, "limit is 2000"),
    ("history NUL", "post", "/api/ask", {"json": {"question": "Who wrote it?", "history": [{"role": "user", "content": "a\x00"}]}}, 422, "NUL"),
    ("form encoding", "post", "/api/ask", {"data": {"question": "tariffs"}}, 422, "body"),
    ("GET on ask", "get", "/api/ask", {}, 405, "GET is not allowed on /api/ask; use POST"),
    ("unknown document", "get", "/api/documents/nope", {}, 404, "no document"),
    # Encoded slashes are decoded before routing, so these never reach a handler: 404 "no such page".
    ("dot-dot path", "get", "/api/documents/..%2F..%2Fetc%2Fpasswd", {}, 404, "no such page"),
    ("encoded slash", "get", "/api/documents/kiep%2F..%2Fsources.json", {}, 404, "no such page"),
    ("dot-dot id", "get", "/api/documents/..", {}, 404, "no "),
    ("traversal in static", "get", "/static/..%2F..%2Fapp.py", {}, 404, ""),
    ("unknown page", "get", "/nope", {}, 404, "no such page"),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_requests_get_clear_4xx(client, case):
    _, method, path, kwargs, status, words = case
    r = client.request(method.upper(), path, **kwargs)
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    assert words.lower() in json.dumps(detail).lower()
    assert "Traceback" not in r.text and len(r.content) < 5000  # no stack trace, no echo of a huge input
    ok = client.post("/api/ask", json={"question": "tariffs", "k": 1})  # and the server answers afterwards
    assert ok.status_code == 200 and len(ok.json()["passages"]) == 1


def test_security_headers_and_closed_cors(client):
    for path in ("/", "/documents/" + KIEP, "/api/documents", "/docs"):
        r = client.get(path, headers={"Origin": "http://evil.example"})
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "access-control-allow-origin" not in r.headers
    pre = client.options("/api/ask", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_openapi_and_docs_are_offline(client):
    spec = client.get("/openapi.json").json()
    assert "/api/ask" in spec["paths"] and "/healthz" in spec["paths"]
    page = client.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in page and "http" not in page.replace("http-equiv", "")
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200


def test_largest_valid_history_is_accepted(client):
    # 20 turns of 2000 Hangul characters, sent as \uXXXX escapes: within the body limit, answered
    history = [{"role": "user" if n % 2 == 0 else "assistant", "content": "한" * 2000} for n in range(20)]
    body = json.dumps({"question": "Who wrote it?", "history": history}).encode()  # ensure_ascii: 6 bytes a char
    r = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text[:300]


def test_follow_up_reads_the_conversation(client):
    # "Who wrote it?" after an answer quoted from the KIEP paper: the passages come from that paper
    first = client.post("/api/ask", json={"question": QUESTION}).json()
    assert first["answer"]["sentences"][0]["doc_id"] == KIEP
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["answer"]["text"]}]
    follow = client.post("/api/ask", json={"question": "Who wrote it?", "history": history}).json()
    assert follow["answer"] and {s["doc_id"] for s in follow["answer"]["sentences"]} == {KIEP}
    alone = client.post("/api/ask", json={"question": "Who wrote it?"}).json()
    assert alone["passages"] != follow["passages"]  # without the conversation it is another question


def test_comparison_covers_both_papers_without_overlap(client):
    answer = client.post("/api/ask", json={"question": "How do the two papers differ on tariffs?"}).json()
    docs = {p["citation"]["doc_id"] for p in answer["passages"]}
    assert len(docs) == 2 and {s["doc_id"] for s in answer["answer"]["sentences"]} == docs
    spans = sorted((p["citation"]["doc_id"], p["citation"]["char_start"], p["citation"]["char_end"])
                   for p in answer["passages"])
    for (d1, _, e1), (d2, s2, _) in zip(spans, spans[1:]):
        assert d1 != d2 or e1 <= s2  # no two passages share text


def test_near_topic_question_abstains_with_a_reason(client):
    # the papers give investment figures by year, none for a trade deficit
    answer = client.post("/api/ask", json={"question": "What was the US-Korea trade deficit in 2023?"}).json()
    assert answer["abstained"] is True and answer["answer"] is None
    assert "deficit" in answer["reason"] and answer["passages"]  # it says what is missing, and shows the nearest


@pytest.mark.parametrize("method, path, allowed", [
    ("put", "/api/documents", "GET, POST"),
    ("put", f"/api/documents/{KIEP}", "DELETE, GET"),
    ("get", "/api/ask", "POST"),
])
def test_a_405_names_every_method_of_its_path(client, method, path, allowed):
    r = client.request(method.upper(), path)
    assert r.status_code == 405 and r.headers["allow"] == allowed


def test_a_quiet_server_says_nothing_while_it_answers(live_server, client):
    """``-q serve`` (how the tests start it): no progress bar, library log or access line, whatever it serves."""
    assert client.post("/api/ask", json={"question": QUESTION, "k": 2}).status_code == 200
    assert client.post("/api/ask", json={"question": ""}).status_code == 422
    assert client.get("/api/documents").status_code == 200
    assert live_server.output() == ""
