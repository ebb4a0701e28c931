"""``GET /metrics`` and the access log, against real ``alliance-qa serve`` processes on loopback.

These servers run without ``-q`` (``ServeProcess`` passes it; ``-v`` ahead of it wins), since the access log is an
INFO line that ``-q`` hides.  Each test reads the counters before and after its own requests, so it holds whatever
other requests the module's server has served.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timezone

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.process import ServeProcess, cli_command

ACCESS_LINE = re.compile(r"alliance-qa: (GET|POST|DELETE|PUT) (\S+) (\d{3}) (\d+\.\d) ms(.*)$", re.MULTILINE)
OFF_TOPIC = "What is the best recipe for kimchi pancakes with squid?"
Samples = dict[tuple[str, frozenset], float]


def _server(settings, extra_env: dict[str, str] | None = None) -> ServeProcess:
    log = settings.index_dir.parent / f"server-{uuid.uuid4().hex[:8]}.log"
    return ServeProcess(settings.index_dir, log, corpus_dir=settings.corpus_dir, extra_env=extra_env,
                        command=[*cli_command(), "-v"])


@pytest.fixture(scope="module")
def server(index, settings):
    with _server(settings) as process:
        process.wait_ready(timeout=180)
        yield process


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60, trust_env=False) as c:
        yield c


def scrape(client: httpx.Client) -> Samples:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_stages_and_outcomes_are_counted(client):
    before = scrape(client)
    questions = ["How much did Korea invest in US greenfield projects in 2024?", "Who wrote the Heritage brief?",
                 "What did Morris Chang estimate?"]
    for question in questions:
        assert client.post("/api/ask", json={"question": question, "k": 2}).status_code == 200
    assert client.post("/api/ask", json={"question": ""}).status_code == 422
    assert client.get("/api/documents/no-such-paper").status_code == 404
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ask = {"method": "POST", "route": "/api/ask"}
    assert moved("alliance_qa_requests_total", **ask, status="200") == len(questions)
    assert moved("alliance_qa_requests_total", **ask, status="422") == 1
    # the route template, never the raw path: one series however many ids clients try
    assert moved("alliance_qa_requests_total", method="GET", route="/api/documents/{doc_id}", status="404") == 1
    assert not any("no-such-paper" in str(labels) for _, labels in after)
    assert moved("alliance_qa_request_seconds_count", **ask) == len(questions) + 1
    for stage in ("encode", "bm25", "faiss", "rerank", "read", "total"):
        assert moved("alliance_qa_stage_seconds_count", stage=stage) == len(questions), stage
    assert moved("alliance_qa_stage_seconds_sum", stage="total") > 0
    outcomes = moved("alliance_qa_answers_total", outcome="answered") + \
        moved("alliance_qa_answers_total", outcome="abstained")
    assert outcomes == len(questions)  # a 422 is no answer


def test_an_abstention_is_counted(client):
    before = scrape(client)
    answer = client.post("/api/ask", json={"question": OFF_TOPIC}).json()
    assert answer["abstained"] is True
    after = scrape(client)
    assert value(after, "alliance_qa_answers_total", outcome="abstained") == \
        value(before, "alliance_qa_answers_total", outcome="abstained") + 1
    assert value(after, "alliance_qa_answers_total", outcome="answered") == \
        value(before, "alliance_qa_answers_total", outcome="answered")


def test_index_gauges_match_the_served_index(client):
    documents = client.get("/api/documents").json()["documents"]
    built = datetime.fromisoformat(client.get("/healthz").json()["index_built"])
    samples = scrape(client)
    assert value(samples, "alliance_qa_index_documents") == len(documents)
    assert value(samples, "alliance_qa_index_chunks") == sum(d["chunks"] for d in documents)
    age = value(samples, "alliance_qa_index_age_seconds")
    expected = (datetime.now(timezone.utc) - built).total_seconds()
    assert 0 <= age <= expected + 1 and age > expected - 300  # the build time, read at the scrape (not a timing)


def _access_lines(server: ServeProcess, after: int, count: int) -> list[tuple[str, ...]]:
    """The access-log lines written after character ``after`` of the log, once ``count`` of them are there."""
    deadline = time.monotonic() + 10  # the server writes each line as its response goes out; allow it to land
    while True:
        lines = ACCESS_LINE.findall(server.output()[after:])
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_access_log_has_a_line_per_request_and_no_question(client, server):
    secret = uuid.uuid4().hex
    question = f"What did the KIEP paper say about {secret} semiconductors?"
    start = len(server.output())
    client.post("/api/ask", json={"question": question})
    client.post("/api/ask", json={"question": question, "k": 0})
    client.get(f"/api/documents?token={secret}")
    client.get("/healthz")
    lines = _access_lines(server, start, 4)
    assert [(method, path, status) for method, path, status, _, _ in lines] == [
        ("POST", "/api/ask", "200"), ("POST", "/api/ask", "422"), ("GET", "/api/documents", "200"),
        ("GET", "/healthz", "200"),
    ]
    assert all(extra == "" for *_, extra in lines)  # the milliseconds are in each line (ACCESS_LINE), nothing more
    assert secret not in server.output()  # neither the question nor the query string's value


def test_log_questions_adds_the_question(settings):
    question = f"Which tariffs did the papers discuss, {uuid.uuid4().hex}?"
    with _server(settings, {"ALLIANCE_QA_LOG_QUESTIONS": "1"}) as process:
        process.wait_ready(timeout=180)
        _access_lines(process, 0, 1)  # the readiness probe's own line can land late: let it, then count from there
        start = len(process.output())
        with httpx.Client(base_url=process.url, timeout=60, trust_env=False) as c:
            assert c.post("/api/ask", json={"question": question}).status_code == 200
            c.get("/api/documents")
        lines = _access_lines(process, start, 2)
    assert [(path, status, extra) for _, path, status, _, extra in lines] == [
        ("/api/ask", "200", f" question={question!r}"), ("/api/documents", "200", ""),
    ]
