"""The HTTP API and the chat page, served by one FastAPI app.

The index and models load once per process in the lifespan hook (uvicorn accepts no connection before it ends, so
``/healthz`` answering 200 means ready) and are shared read-only by requests.  Endpoints that touch the models are
plain ``def`` functions: FastAPI runs them in its thread pool, so a slow encode never blocks the event loop.

Every error is JSON with a ``detail`` that says what is wrong; a 500 never carries a stack trace.  Every request
is counted for ``GET /metrics`` and logged as one line of the access log (``AccessLog``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, TypeVar

import anyio

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from retriever.config import MAX_HISTORY_TURNS, MAX_TURN_CHARS, SHOWN_PASSAGES, Settings
from retriever.documents import DocumentRecord, Section, Skipped
from retriever.schema import Answer, Turn
from retriever.search import Searcher

from . import admin, memory

log = logging.getLogger("alliance_qa.server")
access_log = logging.getLogger("alliance_qa.access")
T = TypeVar("T")
STATIC = Path(__file__).resolve().parent / "static"
MAX_QUESTION_CHARS = 2000

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


# --------------------------------------------------------------------------------------------------- models


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"question": "How much did Korea invest in US greenfield projects in 2024?", "k": 3},
        {"question": "Who wrote it?", "history": [
            {"role": "user", "content": "What did Morris Chang estimate?"},
            {"role": "assistant", "content": "Morris Chang, the founder of TSMC, once estimated … [1]"}]},
    ]})

    # minLength/maxLength document the limits; the validator enforces them with messages a person can act on.
    question: str = Field(
        description=f"The question: at most {MAX_QUESTION_CHARS} characters, not blank, no NUL",
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS},
    )
    k: int = Field(SHOWN_PASSAGES, ge=1, le=20, description="How many passages to return")
    doc_ids: list[str] | None = Field(None, max_length=100, description="Only search these documents")
    history: list[Turn] | None = Field(
        None, description=f"Earlier turns of the conversation, oldest first: at most {MAX_HISTORY_TURNS} turns of at "
                          f"most {MAX_TURN_CHARS} characters each.  A follow-up question is read with them.")

    @field_validator("history")
    @classmethod
    def _history(cls, value: list[Turn] | None) -> list[Turn] | None:
        if value is None:
            return None
        if len(value) > MAX_HISTORY_TURNS:
            raise ValueError(f"the history has {len(value)} turns; the limit is {MAX_HISTORY_TURNS} (send the latest)")
        for n, turn in enumerate(value):
            if len(turn.content) > MAX_TURN_CHARS:
                raise ValueError(f"history turn {n} is {len(turn.content)} characters long; "
                                 f"the limit is {MAX_TURN_CHARS}")
            if "\x00" in turn.content:
                raise ValueError(f"history turn {n} contains a NUL character")
        return value

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        if len(value) > MAX_QUESTION_CHARS:
            raise ValueError(f"the question is {len(value)} characters long; the limit is {MAX_QUESTION_CHARS}")
        value = value.strip()
        if not value:
            raise ValueError("the question is empty")
        if "\x00" in value:
            raise ValueError("the question contains a NUL character")
        return value


class DocumentInfo(DocumentRecord):
    chars: int = Field(description="Length of the canonical text")
    chunks: int = Field(description="Passages the document is indexed as")


class DocumentList(BaseModel):
    documents: list[DocumentInfo]
    skipped: list[Skipped] = Field(description="Corpus files left out of the index because they cannot be read, "
                                               "each with the reason; empty when every file is searchable")


class Removed(BaseModel):
    doc_id: str
    file: str = Field(description="The file taken out of the corpus folder")


# POST /api/documents reads its form itself (after the token check, so no anonymous upload is parsed): its schema.
UPLOAD_SCHEMA = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "PDF, HTML, Markdown or plain text"},
        **{name: {"type": "string"} for name in admin.FIELDS},
    },
}}}}}


class DocumentDetail(DocumentInfo):
    text: str = Field(description="The canonical text that citation offsets point into")
    sections: list[Section]
    footnotes: dict[str, str]


class FieldError(BaseModel):
    loc: str = Field(description="The field, e.g. question or k")
    msg: str


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body: what is wrong, in words, never an echo of the input or a stack trace."""

    detail: str
    errors: list[FieldError] | None = Field(None, description="Each invalid field (request validation only)")


def _errors(*codes: int) -> dict[int | str, dict]:
    reasons = {400: "The body cannot be read", 401: "No admin token was sent", 403: "Uploads are off, or the token is wrong",
               404: "No such document or page", 409: "A document of that name or doc_id exists (or it is the last)",
               413: "The body is too large", 415: "Not a PDF, HTML, Markdown or text file",
               422: "The request is invalid (the detail says which field and why)", 503: "The index is still loading"}
    return {code: {"model": ErrorResponse, "description": reasons[code]} for code in codes}


class Health(BaseModel):
    status: str
    model: str
    multilingual_model: str | None
    documents: int
    chunks: int
    index_built: str | None
    uploads: bool = Field(description="Whether documents can be added over HTTP (an admin token is set)")
    index_id: str | None = Field(description="The build being served (it changes when a newer index is swapped in)")
    skipped: list[Skipped] = Field(description="Corpus files left out of the index, and why")
    stale: list[str] = Field(description="Why the served index no longer matches the corpus (it could not be "
                                         "rebuilt: `alliance-qa index` says what to fix); empty when it matches")
    worker: int = Field(description="The process id of the worker that answered: under --workers N each worker "
                                    "has its own, and its own /metrics")


# ------------------------------------------------------------------------------------------------ middleware


class BodyLimit:
    """Refuse request bodies over the limit with 413, whether or not the client announced their length.

    An upload (``POST /api/documents``) has its own, larger limit: the file's, plus room for the form around it.
    """

    FORM_ROOM = 64 * 1024

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope.get("method") == "POST" and scope.get("path") == "/api/documents"
        limit = self.upload_limit + self.FORM_ROOM if upload else self.limit
        what = f"the file is larger than {self.upload_limit} bytes" if upload else \
            f"the request body is larger than {self.limit} bytes"
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _send_json(send, 413, what)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(what)
            return message

        await self.app(scope, limited, send)


class _TooLarge(HTTPException):
    """A body that outgrew the limit while it was read (a chunked body announces no length).

    An HTTPException because FastAPI turns any other exception from reading a route's body into its 400 "error
    parsing the body", and re-raises only HTTPExceptions: so the app's own handler answers it as the 413 it is,
    with the detail a body that announced its length gets.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(413, detail)


async def _send_json(send: Send, status: int, detail: str) -> None:
    import json

    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """CSP (no inline script anywhere), nosniff and no referrer on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


# ---------------------------------------------------------------------------------------------- observability

# Seconds, from a tenth of a millisecond (a FAISS search over this corpus) to ten seconds (a cold multilingual
# encode on a busy machine): one scale for requests and stages, so their histograms compare bucket by bucket.
SECONDS_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Methods the API knows; any other a client invents is counted as "other", so no client can grow the label set.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
# Where the ask route leaves the question for the access log, when ``log_questions`` allows it.
QUESTION_SCOPE_KEY = "alliance_qa.question"


class Metrics:
    """The service's Prometheus metrics, in a registry of the app's own (several apps in one process never collide).

    Requests are labelled by route template (``/api/documents/{doc_id}``, never the raw path; ``unmatched`` for a
    path no route knows), so the label set is bounded whatever clients send.  The index gauges are read from the
    index being served at each scrape, so they follow a hot reload.

    Under ``--workers N`` every worker process has its own registry and counts only the requests it served, and a
    scrape of ``/metrics`` reaches whichever worker the kernel hands the connection to: successive scrapes may come
    from different workers, so counters are per worker, not per service.  Monitor with ``--workers 1`` (or one
    single-worker server per port, each scraped on its own).  Prometheus' multiprocess mode would sum the workers,
    but it needs an environment variable set before the library is imported and a folder of memory-mapped files
    that must be wiped at each start and is shared by every registry in the process, which is more machinery than
    this service wants.
    """

    def __init__(self, served: Callable[[], Searcher | None]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("alliance_qa_requests", "HTTP requests by method, route template and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("alliance_qa_request_seconds", "Whole-request latency by method and route template",
                                 ["method", "route"], buckets=SECONDS_BUCKETS, registry=self.registry)
        self.stages = Histogram("alliance_qa_stage_seconds", "Time of each pipeline stage of POST /api/ask "
                                "(Answer.timings_ms: encode, bm25, faiss, rerank, read, compose, total, ...)",
                                ["stage"], buckets=SECONDS_BUCKETS, registry=self.registry)
        self.answers = Counter("alliance_qa_answers", "Questions answered and abstained on (their ratio is the "
                               "abstention rate)", ["outcome"], registry=self.registry)
        for outcome in ("answered", "abstained"):  # both series exist from the start, so a rate never divides by none
            self.answers.labels(outcome)

        def read(value: Callable[[Searcher], float]) -> Callable[[], float]:
            return lambda: value(searcher) if (searcher := served()) is not None else float("nan")

        Gauge("alliance_qa_index_documents", "Documents in the index being served",
              registry=self.registry).set_function(read(lambda s: len(s.index.documents)))
        Gauge("alliance_qa_index_chunks", "Chunks (passages) in the index being served",
              registry=self.registry).set_function(read(lambda s: len(s.index.chunks)))
        Gauge("alliance_qa_index_age_seconds", "Seconds since the index being served was built",
              registry=self.registry).set_function(read(_index_age))

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request (any route, any status)."""
        method = method if method in METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def answer(self, answer: Answer) -> None:
        """Count one answered (or abstained-on) question and its stage timings."""
        self.answers.labels("abstained" if answer.abstained else "answered").inc()
        for stage, ms in answer.timings_ms.items():
            self.stages.labels(stage).observe(ms / 1000)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _index_age(searcher: Searcher) -> float:
    """Seconds since the served index was built; NaN for an index made in memory, which records no build time."""
    built = searcher.index.built
    if built is None:
        return float("nan")
    return (datetime.now(timezone.utc) - datetime.fromisoformat(built)).total_seconds()


def _route_template(scope: Scope) -> str:
    """The route that handled the request, as written in the app (a mount as ``/static/{path}``)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched"
    return f"{path}/{{path}}" if isinstance(route, Mount) else path


class AccessLog:
    """One line per request (logger ``alliance_qa.access``, at INFO) and the request metrics.

    The outermost layer, so its status and latency are what the client got, 413s and 500s included.  The line is
    the method, the path as sent (still percent-encoded, so no control character reaches the log; no query string),
    the status and the milliseconds; the question of ``POST /api/ask`` only with ``log_questions``, and never a body.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what ServerErrorMiddleware answers when the app raises before it responds

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.request(scope["method"], _route_template(scope), status, seconds)
            raw = scope.get("raw_path") or scope["path"].encode()
            path = raw.partition(b"?")[0].decode("latin-1")[:300]
            question = scope.get(QUESTION_SCOPE_KEY)
            access_log.info("%s %s %d %.1f ms%s", scope["method"][:16], path, status, seconds * 1000,
                            f" question={question!r}" if question is not None else "")


# ------------------------------------------------------------------------------------------------------- app


def get_searcher(request: Request) -> Searcher:
    searcher = getattr(request.app.state, "searcher", None)
    if searcher is None:
        raise HTTPException(503, "the index is still loading; try again in a moment")
    return searcher


SearcherDep = Annotated[Searcher, Depends(get_searcher)]


async def _watch(app: FastAPI, settings: Settings) -> None:
    """Swap in a newer index when one appears, without a restart and without failing a request.

    The new index is loaded and verified in a worker thread while requests go on with the old one; the swap is one
    attribute assignment, and a request holds the searcher it started with (``get_searcher``), so requests in flight
    finish on the old index and the next ones use the new.  Every worker process runs its own watcher.  A build that
    cannot be read (damaged, other models, removed by a newer build meanwhile) is logged once and not read again.
    """
    from retriever.store import IndexProblem, newer

    refused: Path | None = None
    while True:
        await asyncio.sleep(settings.reload_seconds)
        served: Searcher = app.state.searcher
        target = (settings.index_dir / "current").resolve()
        if target in (served.index.path, refused):  # the usual tick: one symlink read, no file hashed
            continue

        def load() -> Searcher | None:
            index = newer(settings, served.index.path)
            if index is None:
                return None
            fresh = served.with_index(index)
            fresh.warm()
            return fresh

        try:
            fresh = await anyio.to_thread.run_sync(load)
        except (IndexProblem, OSError) as exc:
            refused = target
            log.warning("a newer index was not loaded (%s); still serving %s", exc, served.index.path)
            continue
        if fresh is not None:
            app.state.searcher = fresh
            log.info("now serving %s: %d documents, %d chunks (was %d documents)", fresh.index.path,
                     len(fresh.index.documents), len(fresh.index.chunks), len(served.index.documents))


def _validation_detail(exc: RequestValidationError | ValidationError) -> tuple[str, list[dict]]:
    """Readable errors without echoing the input back (a 1 MB question must not come back in the error); the MCP
    server's ``ask`` reads its ``AskRequest`` errors through this too."""
    errors = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            loc, msg = "body", "the body is not valid JSON"
        elif err.get("type") == "extra_forbidden":
            msg = "unknown field"
        elif err.get("type") == "missing":
            msg = "this field is required"
        errors.append({"loc": loc, "msg": msg})
    return "; ".join(f"{e['loc']}: {e['msg']}" for e in errors) or "invalid request", errors


def create_app(settings: Settings | None = None, searcher: Searcher | None = None) -> FastAPI:
    """Build the app.  Without a searcher, the lifespan opens the index (building it if needed) and warms the models."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if searcher is None:
            import anyio

            from retriever.store import open_index

            def load() -> Searcher:
                import faiss

                # Requests already run in parallel; one question's search split over OpenMP threads was 1.3-13x
                # slower than on one thread here (bench/README.md, scale).
                faiss.omp_set_num_threads(1)
                loaded = Searcher(open_index(settings), settings)
                loaded.warm()
                return loaded

            app.state.searcher = await anyio.to_thread.run_sync(load)
        else:
            app.state.searcher = searcher
        idx = app.state.searcher.index
        log.info("ready: %d documents, %d chunks", len(idx.documents), len(idx.chunks))
        for skipped in idx.skipped:
            log.warning("not searchable: %s (%s)", skipped.file, skipped.reason)
        watcher = asyncio.create_task(_watch(app, settings)) if settings.reload_seconds > 0 and idx.path else None
        trimmer = asyncio.create_task(memory.trim_when_idle(activity))
        yield
        trimmer.cancel()
        if watcher is not None:
            watcher.cancel()

    app = FastAPI(
        title="alliance-qa",
        summary="Cited answers from the U.S.–South Korea economic alliance papers",
        version="0.1.0",
        lifespan=lifespan,
        responses=_errors(413, 503),
        docs_url=None,
        redoc_url=None,
    )
    metrics = Metrics(lambda: getattr(app.state, "searcher", None))
    activity = memory.Activity()  # questions in flight: the idle worker hands back what a burst left (memory.py)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail, errors = _validation_detail(exc)
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such page: {request.url.path}"
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "the body could not be read: send UTF-8 encoded JSON"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # Starlette's Allow names one route's methods; a path may have several routes
            allowed = sorted({method for route in request.app.routes if isinstance(route, APIRoute)
                              and route.path_regex.match(request.url.path) for method in route.methods})
            headers = {k: v for k, v in headers.items() if k.lower() != "allow"} | {"allow": ", ".join(allowed)}
            detail = f"{request.method} is not allowed on {request.url.path}; use {' or '.join(allowed)}"
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500)

    @app.post("/api/ask", response_model=Answer, summary="Ask a question; get cited passages",
              responses=_errors(400, 422))
    def ask(body: AskRequest, request: Request, searcher: SearcherDep) -> Answer:
        """The passages that best answer the question, each with its citation, and an answer of one to three
        sentences quoted verbatim from them with [n] markers; or, when the documents do not answer, `abstained`
        true with the `reason` and the nearest passages.  A follow-up question is read with `history`."""
        if body.doc_ids:
            unknown = sorted(set(body.doc_ids) - set(searcher.index.documents))
            if unknown:
                raise HTTPException(422, f"unknown doc_ids {unknown}; known: {searcher.doc_ids}")
        if settings.log_questions:
            request.scope[QUESTION_SCOPE_KEY] = body.question
        with activity.question():
            answer = searcher.ask(body.question, k=body.k, doc_ids=body.doc_ids, history=body.history)
        metrics.answer(answer)
        return answer

    @app.get("/api/documents", response_model=DocumentList, summary="List the documents, and the files left out")
    def documents(searcher: SearcherDep) -> DocumentList:
        """Every indexed document's catalogue record with its size, and the corpus files that could not be read."""
        return document_list(searcher)

    @app.get("/api/documents/{doc_id}", response_model=DocumentDetail, summary="One document with its text",
             responses=_errors(404, 422))
    def document(doc_id: str, searcher: SearcherDep) -> DocumentDetail:
        """The document's record and its canonical text: every citation's `char_start:char_end` points into it."""
        if doc_id not in searcher.index.documents:
            raise HTTPException(404, f"no document with doc_id {doc_id[:200]!r}; GET /api/documents lists them")
        doc = searcher.index.documents[doc_id]
        return DocumentDetail(
            **_info(searcher, doc_id).model_dump(), text=doc.text, sections=doc.sections, footnotes=doc.footnotes
        )

    @app.post("/api/documents", response_model=DocumentInfo, status_code=201,
              summary="Add a document (needs the admin token); 201 once it is searchable",
              responses=_errors(400, 401, 403, 409, 413, 415, 422), openapi_extra=UPLOAD_SCHEMA)
    async def add_document(request: Request, response: Response) -> DocumentInfo:
        """Upload a file as multipart/form-data (the file in the part `file`, catalogue fields beside it), with
        `Authorization: Bearer TOKEN`.  The corpus and the index stay as they were on any error."""
        admin.check_token(settings, request.headers.get("authorization"))
        name, data, entry = await admin.read_upload(request, settings)

        def add() -> str:
            from retriever import store

            with tempfile.TemporaryDirectory(prefix="upload-") as folder:
                path = Path(folder) / name
                path.write_bytes(data)
                doc, _ = store.add(settings, path, entry, progress=False)
            _swap_in_newest(request.app, settings)
            return doc.doc_id

        doc_id = await anyio.to_thread.run_sync(_corpus_errors(add))
        response.headers["location"] = f"/api/documents/{doc_id}"
        return _info(request.app.state.searcher, doc_id)

    @app.delete("/api/documents/{doc_id}", response_model=Removed, summary="Remove a document (needs the admin token)",
                responses=_errors(401, 403, 404, 409, 422))
    async def remove_document(doc_id: str, request: Request) -> Removed:
        """Take the document's file out of the corpus and the index, with `Authorization: Bearer TOKEN`."""
        admin.check_token(settings, request.headers.get("authorization"))

        def remove() -> Removed:
            from retriever import corpus, store

            if doc_id not in corpus.document_files(settings.corpus_dir):
                raise HTTPException(404, f"no document with doc_id {doc_id[:200]!r}; GET /api/documents lists them")
            removed, _ = store.remove(settings, doc_id, progress=False)
            _swap_in_newest(request.app, settings)
            return Removed(doc_id=doc_id, file=removed)

        return await anyio.to_thread.run_sync(_corpus_errors(remove))

    @app.get("/healthz", response_model=Health, summary="200 once the index is loaded and the models warm")
    def healthz(searcher: SearcherDep) -> Health:
        """What is served: the models, the index's size, build and id, the files left out and why a stale index is
        still served."""
        index = searcher.index
        return Health(
            status="ok",
            model=index.model,
            multilingual_model=index.multilingual_model,
            documents=len(index.documents),
            chunks=len(index.chunks),
            index_built=index.built,
            index_id=index.path.name if index.path else None,
            uploads=bool(settings.admin_token),
            skipped=index.skipped,
            stale=index.stale,
            worker=os.getpid(),
        )

    # response_class=Response: the 200 is text (documented here), while the errors stay documented as JSON.
    @app.get("/metrics", response_class=Response, summary="Prometheus metrics of this worker process",
             responses={200: {"description": "The Prometheus text exposition format",
                              "content": {"text/plain": {"schema": {"type": "string"}}}}})
    def prometheus_metrics() -> Response:
        """Requests by route template and status, request and pipeline-stage latency histograms, answered and
        abstained counts, and the served index's size and age.  Under `--workers N` each worker counts only the
        requests it served, and a scrape reaches one of them."""
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    def chat_page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/documents/{doc_id}", include_in_schema=False)
    def document_page(doc_id: str) -> FileResponse:
        return FileResponse(STATIC / "document.html")

    @app.get("/docs", include_in_schema=False)
    def docs_page() -> FileResponse:
        return FileResponse(STATIC / "docs.html")

    _mount_swagger(app)  # before /static, which would otherwise answer /static/swagger/* with 404
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes)
    app.add_middleware(AccessLog, metrics=metrics)  # last added is outermost: it sees the 413s too
    return app


def _mount_swagger(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-bundle package, so /docs works with no CDN."""
    import swagger_ui_bundle

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")


def _swap_in_newest(app: FastAPI, settings: Settings) -> None:
    """Serve the index just built at once (the watcher would in a moment; the uploader should not wait for it)."""
    from retriever.store import newer

    served: Searcher = app.state.searcher
    index = newer(settings, served.index.path)
    if index is not None:
        app.state.searcher = served.with_index(index)


def _corpus_errors(fn: Callable[[], T]) -> Callable[[], T]:
    """The corpus's refusals as HTTP statuses: a taken name or id 409, a file that holds no document 422."""
    from retriever.documents import CorpusError, DocumentExists, UnreadableFile

    def run() -> T:
        try:
            return fn()
        except DocumentExists as exc:
            raise HTTPException(409, str(exc)) from None
        except UnreadableFile as exc:
            raise HTTPException(422, f"the file cannot be read as a document: {exc}") from None
        except CorpusError as exc:
            raise HTTPException(409, str(exc)) from None

    return run


def document_list(searcher: Searcher) -> DocumentList:
    """What is indexed and what was left out: ``GET /api/documents`` and the MCP server's ``list_documents``."""
    return DocumentList(documents=[_info(searcher, doc_id) for doc_id in searcher.doc_ids],
                        skipped=searcher.index.skipped)


def _info(searcher: Searcher, doc_id: str) -> DocumentInfo:
    doc = searcher.index.documents[doc_id]
    return DocumentInfo(**doc.record(), chars=len(doc.text), chunks=searcher.index.chunk_counts[doc_id])


_WORKER_LOG_LEVEL = "_ALLIANCE_QA_WORKER_LOG_LEVEL"  # serve() tells worker processes how much to log


def app_factory() -> FastAPI:
    """For uvicorn's ``--factory`` (one per worker process): settings come from ALLIANCE_QA_* variables.

    A worker of ``--workers N`` is a fresh interpreter: it logs at the level the command line chose, in its format.
    """
    level = os.environ.get(_WORKER_LOG_LEVEL)
    if level and not logging.getLogger().handlers:
        logging.basicConfig(level=level, format=f"alliance-qa[{os.getpid()}]: %(message)s")
    memory.limit_arenas()  # before the request threads start, so they share two arenas (server/memory.py)
    return create_app(Settings.from_env())


def serve(settings: Settings, workers: int = 1, progress: bool = True) -> int:
    """Build the index if needed (once, here, not in every worker), then run uvicorn."""
    import uvicorn

    from retriever.store import open_index

    open_index(settings, progress=progress)
    # Workers are fresh processes: hand them the resolved settings through the environment.
    os.environ["ALLIANCE_QA_CORPUS_DIR"] = str(settings.corpus_dir)
    os.environ["ALLIANCE_QA_INDEX_DIR"] = str(settings.index_dir)
    os.environ[_WORKER_LOG_LEVEL] = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    log.info("serving on http://%s:%d (%d worker%s)", settings.host, settings.port, workers, "s" * (workers > 1))
    uvicorn.run(
        "server.app:app_factory", factory=True, host=settings.host, port=settings.port, workers=workers,
        # uvicorn's own start-up lines at the level the command line chose: -q hides them like every other info line.
        log_level=logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower(), access_log=False,
        timeout_graceful_shutdown=5,
    )
    return 0
