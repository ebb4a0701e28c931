"""The answer object: the same JSON from ``alliance-qa ask --json`` and from ``POST /api/ask``."""

from __future__ import annotations

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


class Answer(BaseModel):
    question: str
    abstained: bool = Field(description="True when the documents do not appear to answer the question")
    confidence: float | None = Field(
        default=None,
        description="0..1 evidence that the top passage answers the question; abstained when below the threshold",
    )
    passages: list[Passage]
    timings_ms: dict[str, float]
