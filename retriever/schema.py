"""The answer object: the same JSON from ``alliance-qa ask --json`` and from ``POST /api/ask``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
    # The shape for readers of the OpenAPI schema: one real answer, shortened.  No null in it: FastAPI leaves nulls
    # out of the examples it publishes, and a required nullable field left out would make the example invalid.
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "question": "What does the Heritage brief say of the KORUS FTA?",
        "answer": {"text": "The KORUS FTA is much more than an economic treaty that has significantly reduced both "
                           "tariff and non-tariff barriers between the two economies across the Pacific. [1]",
                   "sentences": [{"text": "The KORUS FTA is much more than an economic treaty that has significantly "
                                          "reduced both tariff and non-tariff barriers between the two economies "
                                          "across the Pacific.",
                                  "doc_id": "heritage-ib5370-us-korea-economic-partnership",
                                  "char_start": 4101, "char_end": 4264, "passage": 1}]},
        "abstained": False, "confidence": 0.9991,
        "passages": [{"rank": 1, "score": 0.75, "text": "- Making renewed and strategic efforts to maximize the "
                      "utility of the KORUS FTA. … across the Pacific.",
                      "highlight": {"text": "The KORUS FTA is much more than an economic treaty … across the Pacific.",
                                    "char_start": 4101, "char_end": 4264},
                      "citation": {"doc_id": "heritage-ib5370-us-korea-economic-partnership",
                                   "title": "An Agenda for the U.S.–South Korea Strategic Economic Partnership in "
                                            "2025 and Beyond",
                                   "authors": ["Anthony B. Kim", "Derrick Morgan"],
                                   "publisher": "The Heritage Foundation", "date": "2025-01",
                                   "url": "https://report.heritage.org/ib5370",
                                   "series": "Heritage Foundation Issue Brief No. 5370",
                                   "section": "The U.S.–ROK Alliance: Fulfilling Its Promise and How More Can Be "
                                              "Accomplished",
                                   "char_start": 3657, "char_end": 4264, "footnotes": []}}],
        "timings_ms": {"bm25": 0.4, "encode": 26.1, "faiss": 4.6, "rerank": 33.2, "read": 0.8, "compose": 0.1,
                       "total": 66.6},
    }]})

    question: str
    answer: ComposedAnswer | None = Field(
        default=None, description="One to three sentences quoted verbatim from the passages; null when abstained")
    reason: str | None = Field(default=None, description="When abstained: what the documents lack, in words")
    abstained: bool = Field(description="True when the documents do not appear to answer the question")
    confidence: float | None = Field(
        default=None,
        description="0..1 evidence that the top passage answers the question; abstained when below the threshold",
    )
    passages: list[Passage] = Field(description="The passages found, best first; `rank` is the [n] that cites one")
    timings_ms: dict[str, float] = Field(description="Milliseconds each pipeline stage took, and the total")
