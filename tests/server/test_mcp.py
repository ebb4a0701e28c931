"""The MCP server (``alliance-qa mcp``), driven by the SDK's own client: in process, and as a real subprocess over
stdio started through the command line.  Both share the session's index; the subprocess loads the models once for
the whole module.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio.from_thread
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult

from retriever.config import PROJECT_ROOT
from retriever.schema import Answer
from retriever.search import Searcher
from retriever.store import open_index
from server.mcp_server import MAX_PASSAGE_CHARS, create_server

from conftest import tiny_corpus

ANSWERABLE = "How much did Korea invest in US greenfield projects in 2024?"
OFF_TOPIC = "How do I make a vegetable lasagna?"


@dataclass
class Session:
    """One connected client, called from synchronous tests through a portal onto its event loop."""

    client: Client
    portal: anyio.from_thread.BlockingPortal
    received: list[Any]  # everything the server sent outside a response (a line of stdout that is not JSON-RPC too)

    def call(self, tool: str, **arguments: Any) -> CallToolResult:
        return self.portal.call(self.client.call_tool, tool, arguments)

    def read(self, uri: str) -> str:
        result = self.portal.call(self.client.read_resource, uri)
        return result.contents[0].text

    def tools(self) -> dict[str, Any]:
        return {t.name: t for t in self.portal.call(self.client.list_tools).tools}


@pytest.fixture(scope="module")
def portal() -> Iterator[anyio.from_thread.BlockingPortal]:
    with anyio.from_thread.start_blocking_portal() as portal:
        yield portal


@contextmanager
def _connect(portal: anyio.from_thread.BlockingPortal, server: Any) -> Iterator[Session]:
    received: list[Any] = []

    async def note(message: Any) -> None:
        received.append(message)

    with portal.wrap_async_context_manager(Client(server, message_handler=note)) as client:
        yield Session(client, portal, received)


@pytest.fixture(scope="module")
def in_process(searcher, portal) -> Iterator[Session]:
    with _connect(portal, create_server(searcher)) as session:
        yield session


@pytest.fixture(scope="module")
def over_stdio(index, settings, portal) -> Iterator[Session]:
    """``alliance-qa -q mcp`` as an assistant starts it: a subprocess speaking MCP on its stdin and stdout."""
    env = {**os.environ, "ALLIANCE_QA_INDEX_DIR": str(settings.index_dir),
           "ALLIANCE_QA_CORPUS_DIR": str(settings.corpus_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "server.cli", "-q", "mcp"], env=env,
                                   cwd=PROJECT_ROOT)
    with _connect(portal, params) as session:
        yield session


@pytest.fixture(params=["in-process", "stdio"])
def mcp(request) -> Session:
    return request.getfixturevalue("in_process" if request.param == "in-process" else "over_stdio")


def _error(result: CallToolResult) -> str:
    assert result.is_error, result
    return result.content[0].text


def test_lists_the_three_tools_with_descriptions(mcp):
    tools = mcp.tools()
    assert set(tools) == {"ask", "list_documents", "get_passage"}
    for tool in tools.values():
        assert len(tool.description) > 100
    assert "verbatim" in tools["ask"].description and "char_start" in tools["get_passage"].description
    assert set(tools["ask"].input_schema["properties"]) == {"question", "k", "doc_ids", "history"}
    assert tools["ask"].input_schema["required"] == ["question"]


def test_an_answer_quotes_the_papers_at_its_offsets(mcp, index):
    result = mcp.call("ask", question=ANSWERABLE, k=3)
    assert not result.is_error
    answer = Answer.model_validate(result.structured_content)
    assert not answer.abstained and answer.answer is not None and answer.passages
    assert "14.8 billion" in answer.answer.text
    for sentence in answer.answer.sentences:  # each run of sentences from one passage ends with its marker
        after = answer.answer.text.split(sentence.text, 1)[1]
        assert re.match(r"( [^\[]+)? \[(\d+)\]", after).group(2) == str(sentence.passage)
        quoted = mcp.call("get_passage", doc_id=sentence.doc_id, char_start=sentence.char_start,
                          char_end=sentence.char_end)
        assert quoted.structured_content["text"] == sentence.text
        assert index.documents[sentence.doc_id].text[sentence.char_start:sentence.char_end] == sentence.text
    for passage in answer.passages:
        c = passage.citation
        assert index.documents[c.doc_id].text[c.char_start:c.char_end] == passage.text
    text = result.content[0].text  # what the model reads: the quoted answer, then where each cited passage stands
    assert answer.answer.text in text
    cited = answer.passages[answer.answer.sentences[0].passage - 1].citation
    assert f"{cited.doc_id} chars {cited.char_start}-{cited.char_end}" in text and cited.title in text


def test_an_off_topic_question_abstains_with_a_reason(mcp):
    result = mcp.call("ask", question=OFF_TOPIC)
    assert not result.is_error
    answer = Answer.model_validate(result.structured_content)
    assert answer.abstained and answer.answer is None and answer.reason
    assert "do not answer" in result.content[0].text and answer.reason in result.content[0].text


def test_a_follow_up_is_read_with_the_history(mcp):
    # "Who wrote it?" after an answer quoted from one paper is answered from that paper
    first = Answer.model_validate(mcp.call("ask", question=ANSWERABLE).structured_content)
    quoted = {s.doc_id for s in first.answer.sentences}
    history = [{"role": "user", "content": ANSWERABLE}, {"role": "assistant", "content": first.answer.text}]
    follow = Answer.model_validate(mcp.call("ask", question="Who wrote it?", history=history).structured_content)
    assert follow.answer is not None and {s.doc_id for s in follow.answer.sentences} == quoted
    alone = Answer.model_validate(mcp.call("ask", question="Who wrote it?").structured_content)
    assert alone.passages != follow.passages  # without the conversation it is another question


def test_get_passage_returns_the_exact_text_and_its_citation(mcp, index):
    doc = index.documents[sorted(index.documents)[0]]
    start = doc.sections[1].char_start if len(doc.sections) > 1 else 0
    result = mcp.call("get_passage", doc_id=doc.doc_id, char_start=start, char_end=start + 300)
    assert not result.is_error
    assert result.structured_content["text"] == doc.text[start:start + 300]
    citation = result.structured_content["citation"]
    assert (citation["doc_id"], citation["title"], citation["authors"]) == (doc.doc_id, doc.title, doc.authors)
    assert (citation["char_start"], citation["char_end"]) == (start, start + 300)
    assert citation["section"] == doc.section_at(start)


def test_list_documents_lists_both_papers(mcp, index):
    result = mcp.call("list_documents")
    assert not result.is_error
    docs = {d["doc_id"]: d for d in result.structured_content["documents"]}
    assert set(docs) == set(index.documents) and len(docs) == 2
    for doc_id, info in docs.items():
        doc = index.documents[doc_id]
        assert (info["title"], info["authors"], info["date"]) == (doc.title, doc.authors, doc.date)
        assert info["chunks"] == index.chunk_counts[doc_id] > 0 and info["chars"] == len(doc.text)


def test_the_resource_is_the_canonical_text(mcp, index):
    doc_id = sorted(index.documents)[-1]
    assert mcp.read(f"document://{doc_id}") == index.documents[doc_id].text
    with pytest.raises(MCPError, match="unknown doc_id 'no-such-paper'; known: "):
        mcp.read("document://no-such-paper")
    assert mcp.read(f"document://{doc_id}") == index.documents[doc_id].text


@pytest.mark.parametrize(("tool", "arguments", "message"), [
    ("ask", {"question": "   "}, "question: the question is empty"),
    ("ask", {"question": "What\x00 is it?"}, "question: the question contains a NUL character"),
    ("ask", {"question": "x" * 2001}, "the question is 2001 characters long; the limit is 2000"),
    ("ask", {"question": ANSWERABLE, "k": 0}, "k: Input should be greater than or equal to 1"),
    ("ask", {"question": ANSWERABLE, "k": 21}, "k: Input should be less than or equal to 20"),
    ("ask", {"question": ANSWERABLE, "doc_ids": ["no-such-paper"]}, "unknown doc_ids no-such-paper; known: "),
    ("ask", {"question": "Who?", "history": [{"role": "robot", "content": "hi"}]}, "'user' or 'assistant'"),
    ("ask", {"question": "Who?", "history": [{"role": "user", "content": "hi"}] * 21},
     "the history has 21 turns; the limit is 20"),
    ("get_passage", {"doc_id": "no-such-paper", "char_start": 0, "char_end": 10}, "unknown doc_id 'no-such-paper'"),
    ("get_passage", {"doc_id": "DOC", "char_start": 0, "char_end": 10**7}, "0 <= char_start < char_end <= "),
    ("get_passage", {"doc_id": "DOC", "char_start": 50, "char_end": 50}, "0 <= char_start < char_end <= "),
    ("get_passage", {"doc_id": "DOC", "char_start": -1, "char_end": 5}, "0 <= char_start < char_end <= "),
])
def test_a_bad_argument_is_an_error_that_says_why_and_the_server_goes_on(mcp, index, tool, arguments, message):
    doc_id = sorted(index.documents)[0]
    arguments = {k: doc_id if v == "DOC" else v for k, v in arguments.items()}
    text = _error(mcp.call(tool, **arguments))
    assert message in text
    if "known: " in message:
        assert all(d in text for d in index.documents)
    if tool == "get_passage" and "<=" in message:
        assert f"<= {len(index.documents[doc_id].text)}" in text
    assert "Traceback" not in text
    after = mcp.call("ask", question=ANSWERABLE, k=1)
    assert not after.is_error and after.structured_content["passages"]


def test_stdout_carries_nothing_but_the_protocol(over_stdio):
    over_stdio.call("list_documents")
    assert not [m for m in over_stdio.received if isinstance(m, Exception)]


def test_a_span_over_the_limit_is_refused_and_the_limit_itself_is_served(tmp_path, portal):
    # Both papers are shorter than the limit: a corpus with a longer document (English model only, built in seconds)
    settings = tiny_corpus(tmp_path, build=False)
    (settings.corpus_dir / "long.txt").write_text("Long Notes\n\n" + " ".join(
        f"In year {1900 + n} the port of Busan shipped {n * 7} tonnes of steel plate." for n in range(320)))
    searcher = Searcher(open_index(settings, progress=False), settings)
    text = searcher.index.documents["long"].text
    assert len(text) > MAX_PASSAGE_CHARS
    with _connect(portal, create_server(searcher)) as session:
        refused = _error(session.call("get_passage", doc_id="long", char_start=0, char_end=MAX_PASSAGE_CHARS + 1))
        assert f"is {MAX_PASSAGE_CHARS + 1} characters; at most {MAX_PASSAGE_CHARS} per call" in refused
        assert "document://long" in refused
        served = session.call("get_passage", doc_id="long", char_start=1, char_end=MAX_PASSAGE_CHARS + 1)
        assert served.structured_content["text"] == text[1:MAX_PASSAGE_CHARS + 1]
