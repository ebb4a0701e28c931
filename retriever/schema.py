"""The answer object: the same JSON from ``alliance-qa ask --json`` and from ``POST /api/ask``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .documents import DocumentRecord, Footnote


class Highlight(BaseModel):
    text: str
    char_start: int
    char_end: int


class Citation(DocumentRecord):
    """The passage's document (its catalogue record) and where in its canonical text the passage stands."""

    section: str | None
    char_start: int = Field(description="Start of the passage in the document's canonical text")
    char_end: int = Field(description="End (exclusive) of the passage in the document's canonical text")
    footnotes: list[Footnote]


class Passage(BaseModel):
    rank: int
    score: float
    text: str = Field(description="Exactly canonical_text(doc_id)[char_start:char_end]")
    highlight: Highlight | None = Field(description="The sentence of the passage that best answers the question")
    citation: Citation


class Turn(BaseModel):
    """One earlier turn of a conversation, oldest first: what a follow-up question may lean on."""

    role: Literal["user", "assistant"]
    content: str


class AnswerSentence(BaseModel):
    text: str = Field(description="Exactly canonical_text(doc_id)[char_start:char_end]")
    doc_id: str
    char_start: int
    char_end: int
    passage: int = Field(description="Rank of the returned passage the sentence is quoted from (its [n] marker)")


class ComposedAnswer(BaseModel):
    text: str = Field(description="The sentences joined, each followed by the [n] marker of its passage")
    sentences: list[AnswerSentence]


class Answer(BaseModel):
    question: str
    answer: ComposedAnswer | None = Field(
        default=None, description="One to three sentences quoted verbatim from the passages; null when abstained")
    reason: str | None = Field(default=None, description="When abstained: what the documents lack, in words")
    abstained: bool = Field(description="True when the documents do not appear to answer the question")
    confidence: float | None = Field(
        default=None,
        description="0..1 evidence that the top passage answers the question; abstained when below the threshold",
    )
    passages: list[Passage]
    timings_ms: dict[str, float]
