"""The OpenAPI schema a client generator reads, and the body limit it promises, against the real server.

The schema is validated as OpenAPI 3.x, each operation is checked for what a generated client needs (a summary, a
description, a typed success response, typed errors), and the examples are checked against the models they
illustrate.  The 413 is checked where a generator's client would meet it: a chunked body with no Content-Length.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest
from openapi_spec_validator import validate

from retriever.config import Settings
from retriever.schema import Answer
from server.app import AskRequest


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def spec(client) -> dict:
    return client.get("/openapi.json").json()


def test_schema_validates_as_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)  # raises, naming the offending node, on an invalid document


def _resolve(spec: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def test_every_operation_is_described_and_typed(spec):
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    assert {path for path, _, _ in operations} >= {"/api/ask", "/api/documents", "/api/documents/{doc_id}",
                                                   "/healthz", "/metrics"}
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary") and op.get("description"), where
        success = [code for code in op["responses"] if code in ("200", "201")]
        assert len(success) == 1, where
        content = op["responses"][success[0]]["content"]
        schema = next(iter(content.values()))["schema"]
        assert _resolve(spec, schema).get("type") in ("object", "string"), where  # a real type, not "anything"
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")):
                error = response["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/ErrorResponse"}, f"{where} {code}"


def test_examples_are_valid_instances(spec):
    ask = spec["components"]["schemas"]["AskRequest"]["examples"]
    answer = spec["components"]["schemas"]["Answer"]["examples"]
    assert ask and answer
    for example in ask:
        AskRequest.model_validate(example)
    for example in answer:
        Answer.model_validate(example)


def test_ask_request_example_is_answered(client, spec):
    example = spec["components"]["schemas"]["AskRequest"]["examples"][0]
    r = client.post("/api/ask", json=example)
    assert r.status_code == 200 and len(r.json()["passages"]) == example["k"]


def _chunked_post(url: str, path: str, body: bytes, piece: int = 16 * 1024) -> tuple[int, bytes]:
    """POST ``body`` with Transfer-Encoding: chunked and no Content-Length, over a raw socket; (status, raw reply).

    The server may answer and close before it has read every chunk: a write that fails then is expected, and the
    reply is read all the same.
    """
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        head = (f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
        try:
            sock.sendall(head)
            for start in range(0, len(body), piece):
                chunk = body[start:start + piece]
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = b""
        try:
            while data := sock.recv(65536):
                reply += data
        except ConnectionResetError:
            pass
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0
    return status, reply


def test_chunked_oversize_body_gets_the_same_413(client, live_server):
    limit = Settings.from_env().max_body_bytes
    body = b'{"question": "' + b"a" * (limit + 1000) + b'"}'
    announced = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert announced.status_code == 413
    status, reply = _chunked_post(live_server.url, "/api/ask", body)
    assert status == 413, reply[:300]
    detail = reply.split(b"\r\n\r\n", 1)[1]
    assert httpx.Response(413, content=detail).json() == announced.json()  # the same detail either way
    assert "larger than" in announced.json()["detail"]
    ok = client.post("/api/ask", json={"question": "tariffs", "k": 1})  # and the server goes on answering
    assert ok.status_code == 200 and len(ok.json()["passages"]) == 1


def test_chunked_body_within_the_limit_is_answered(live_server):
    status, reply = _chunked_post(live_server.url, "/api/ask", b'{"question": "tariffs", "k": 2}', piece=7)
    assert status == 200, reply[:300]
