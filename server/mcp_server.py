"""The papers as tools for LLM assistants: a Model Context Protocol server (``alliance-qa mcp``).

Three tools and one resource over the same ``Searcher`` the HTTP API uses: ``ask`` returns the very answer object
of ``POST /api/ask`` (as structured content, with a short text rendering for the model to read), validated by the
API's own ``AskRequest``, so both interfaces accept and refuse the same arguments; ``list_documents`` and
``get_passage`` let a model see what is indexed and check a citation against the canonical text, which
``document://{doc_id}`` serves whole.

Over stdio, stdout is the protocol channel: the models load with file descriptor 1 pointed at stderr, so nothing
a library prints while loading can corrupt the stream (the SDK diverts it the same way while it serves).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from retriever.config import MAX_HISTORY_TURNS, MAX_TURN_CHARS
from retriever.schema import Answer, Citation, Turn
from retriever.search import Searcher

from .app import MAX_QUESTION_CHARS, AskRequest, DocumentList, _validation_detail, document_list

log = logging.getLogger("alliance_qa.mcp")

LOOPBACK = "127.0.0.1"  # HTTP is served to this machine only: the tools have no authentication
K_LIMITS = AskRequest.model_json_schema()["properties"]["k"]  # the API's range for k, quoted to the model
# One call's span: a few pages, plenty to check a citation or read around it; the resource serves a whole paper.
MAX_PASSAGE_CHARS = 20_000

INSTRUCTIONS = """\
Answers questions about the U.S.-South Korea economic alliance from a small set of policy papers, quoting them
word for word.  Call `ask` with the user's question; quote its answer with the [n] markers, and cite the passages
it lists.  Every quoted sentence and passage carries the document's doc_id and char_start:char_end offsets into
its canonical text, which `get_passage` (a span) or the resource document://{doc_id} (the whole text) returns, so
any quotation can be checked.  When `ask` abstains, tell the user the papers do not answer, with its reason;
do not answer from elsewhere as if the papers said it."""

ASK = f"""\
Ask the policy papers a question (English or Korean); returns an answer of one to three sentences quoted
verbatim from them, each followed by an [n] marker naming the passage it comes from, and the passages found, each
with its citation (title, authors, publisher, date, section) and char_start:char_end offsets into the document's
canonical text.  When the papers do not answer, `abstained` is true, `answer` is null and `reason` says what
they lack; the nearest passages still follow.  For a follow-up ("Who wrote it?"), pass the earlier turns as
`history` (oldest first, at most {MAX_HISTORY_TURNS} turns of at most {MAX_TURN_CHARS} characters).  `k` is how
many passages to return ({K_LIMITS['minimum']}-{K_LIMITS['maximum']}); `doc_ids` limits the search to some documents
(`list_documents` names them).  The question: at most {MAX_QUESTION_CHARS} characters, not blank."""

LIST_DOCUMENTS = """\
List the documents that `ask` searches: each one's doc_id, title, authors, publisher, date, url, its length in
characters (`chars`) and how many passages it is indexed as (`chunks`); and the corpus files left out because
they cannot be read (`skipped`), with the reason.  Use it to find a doc_id for `ask`'s
`doc_ids`, for `get_passage`, or for the resource document://{doc_id}."""

GET_PASSAGE = f"""\
Return the exact text of a document between two character offsets, char_start (inclusive) and char_end
(exclusive), with its citation (title, authors, publisher, date, url, the section it stands in, and the endnotes
it cites).  Use it to check a quotation against its source (an answer sentence's or a passage's doc_id,
char_start and char_end are such offsets), or to read the text around a passage.  Requires
0 <= char_start < char_end <= the document's `chars`, and at most {MAX_PASSAGE_CHARS} characters per call."""


class PassageText(BaseModel):
    """A span of a document's canonical text, quoted exactly, with the citation to give it."""

    text: str = Field(description="Exactly canonical_text(doc_id)[char_start:char_end]")
    citation: Citation


def _like_http(field: str) -> Any:
    """The description ``POST /api/ask`` gives the field; ``AskRequest`` enforces its limits, with its messages."""
    return Field(description=AskRequest.model_fields[field].description)


def create_server(searcher: Searcher, log_level: str = "INFO") -> MCPServer:
    """The MCP server over a loaded searcher: the tools and the resource, registered on a fresh ``MCPServer``."""
    mcp = MCPServer("alliance-qa", instructions=INSTRUCTIONS, log_level=log_level)
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                open_world_hint=False)

    def unknown(doc_id: str) -> str:
        return f"unknown doc_id {doc_id[:200]!r}; known: {', '.join(searcher.doc_ids)}"

    @mcp.tool(description=ASK, annotations=read_only)
    def ask(question: Annotated[str, _like_http("question")],
            k: Annotated[int, _like_http("k")] = AskRequest.model_fields["k"].default,
            doc_ids: Annotated[list[str] | None, _like_http("doc_ids")] = None,
            history: Annotated[list[Turn] | None, _like_http("history")] = None) -> Annotated[CallToolResult, Answer]:
        try:  # the HTTP API's own checks, so both refuse the same arguments with the same words
            body = AskRequest(question=question, k=k, doc_ids=doc_ids, history=history)
        except ValidationError as exc:
            raise ToolError(_validation_detail(exc)[0]) from None
        missing = sorted(set(body.doc_ids or []) - set(searcher.index.documents))
        if missing:
            raise ToolError(f"unknown doc_ids {', '.join(missing)}; known: {', '.join(searcher.doc_ids)}")
        answer = searcher.ask(body.question, k=body.k, doc_ids=body.doc_ids, history=body.history)
        return CallToolResult(content=[TextContent(type="text", text=render(answer))],
                              structured_content=answer.model_dump(mode="json"))

    @mcp.tool(description=LIST_DOCUMENTS, annotations=read_only)
    def list_documents() -> DocumentList:  # what GET /api/documents returns
        return document_list(searcher)

    @mcp.tool(description=GET_PASSAGE, annotations=read_only)
    def get_passage(doc_id: Annotated[str, Field(description="The document's doc_id (`list_documents`)")],
                    char_start: Annotated[int, Field(description="Offset where the span starts (inclusive)")],
                    char_end: Annotated[int, Field(description="Offset where the span ends (exclusive)")],
                    ) -> PassageText:
        if doc_id not in searcher.index.documents:
            raise ToolError(unknown(doc_id))
        doc = searcher.index.documents[doc_id]
        size = len(doc.text)
        if not 0 <= char_start < char_end <= size:
            raise ToolError(f"no span {char_start}:{char_end} in {doc_id}: it has {size} characters, so "
                            f"0 <= char_start < char_end <= {size}")
        if char_end - char_start > MAX_PASSAGE_CHARS:
            raise ToolError(f"the span {char_start}:{char_end} is {char_end - char_start} characters; at most "
                            f"{MAX_PASSAGE_CHARS} per call (the resource document://{doc_id} has the whole text)")
        citation = Citation(**doc.record(), section=doc.section_at(char_start), char_start=char_start,
                            char_end=char_end, footnotes=doc.footnotes_in(char_start, char_end))
        return PassageText(text=doc.text[char_start:char_end], citation=citation)

    @mcp.resource("document://{doc_id}", name="document", mime_type="text/plain",
                  description="A document's canonical text, whole: the text every citation's char_start:char_end "
                              "offsets point into (`list_documents` names the doc_ids)")
    def document_text(doc_id: str) -> str:
        if doc_id not in searcher.index.documents:
            raise ResourceNotFoundError(unknown(doc_id))
        return searcher.index.documents[doc_id].text

    return mcp


def render(answer: Answer) -> str:
    """The answer as the model reads it: the quoted answer (or plainly that there is none, and why), then the
    passages with where each stands, so it can cite them and check them with ``get_passage``."""
    if answer.abstained:
        lines = [f"The documents do not answer this. {answer.reason or ''}".rstrip(), "",
                 "Nearest passages (not an answer):"]
        shown = answer.passages
    elif answer.answer is not None:
        lines = ["Answer, quoted verbatim from the documents ([n] is the passage each sentence comes from):",
                 answer.answer.text, "", "Cited passages:"]
        cited = {s.passage for s in answer.answer.sentences}
        shown = [p for p in answer.passages if p.rank in cited]
    else:
        lines = ["No sentence of the passages found could be quoted as the answer. The passages:"]
        shown = answer.passages
    for p in shown:
        c = p.citation
        lines.append(f"[{p.rank}] {c.title}" + (f", section “{c.section}”" if c.section else "")
                     + f" — {c.doc_id} chars {c.char_start}-{c.char_end}")
    return "\n".join(lines)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr meanwhile: a print from any library (Python or C) cannot reach stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def serve(load: Callable[[], Searcher], http_port: int | None = None) -> int:
    """Load and warm the searcher, then serve MCP: over stdio, or over streamable HTTP on 127.0.0.1:``http_port``
    at ``/mcp``."""
    with _stdout_to_stderr():
        searcher = load()
        searcher.warm()  # so the first question is not the one that waits for the models
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    mcp = create_server(searcher, log_level=level)
    idx = searcher.index
    if http_port is None:
        log.info("MCP over stdio: %d documents, %d chunks", len(idx.documents), len(idx.chunks))
        mcp.run()
    else:
        import uvicorn

        log.info("MCP on http://%s:%d/mcp: %d documents, %d chunks", LOOPBACK, http_port, len(idx.documents),
                 len(idx.chunks))
        # uvicorn run here rather than by mcp.run: its access log would go to stdout, one line per MCP message.
        uvicorn.run(mcp.streamable_http_app(host=LOOPBACK), host=LOOPBACK, port=http_port, log_level=level.lower(),
                    access_log=False)
    return 0
