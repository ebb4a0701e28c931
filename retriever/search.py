"""From a question to ranked, cited passages: the one object the CLI, the server and the eval talk to.

Retrievers, each a ranking over chunks (the eval runs them side by side):

* ``bm25``     lexical, bm25s over stemmed words (``retriever.lexical``);
* ``dense``    the English sentence-transformers model through FAISS;
* ``hybrid``   reciprocal-rank fusion of the two;
* ``pipeline`` what the service answers with: candidates from both retrievers (and, for Hangul, the multilingual
  model), reranked by the second stage (``retriever.rank``), then scored for answerability and highlighted
  (``retriever.answer``).

``Searcher`` only wires the stages together and times them; each stage is a plain function in its own module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from . import answer, query, rank
from .config import PIPELINE, RETRIEVERS, Settings
from .encoders import load_encoder, load_token_encoder
from .index import Index
from .lexical import Lexical
from .query import Query
from .rank import QueryVectors, Ranked
from .schema import Answer, AnswerSentence, ComposedAnswer, Passage, Turn
from .tuning import HANGUL_WEIGHTS, READING, Reading, Weights

T = TypeVar("T")


@dataclass
class Retrieval:
    """One question's way through the retrievers: what the answer object and the eval are built from."""

    query: Query
    vectors: QueryVectors | None = None
    ranked: list[Ranked] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, float | None] = field(default_factory=dict)

    def timed(self, stage: str, fn: Callable[[], T]) -> T:
        t = time.perf_counter()
        result = fn()
        self.timings[stage] = self.timings.get(stage, 0.0) + (time.perf_counter() - t) * 1000
        return result


class Searcher:
    """Holds the loaded index and models; ``ask`` is safe to call from many threads at once."""

    def __init__(self, index: Index, settings: Settings, weights: Weights = Weights(),
                 reading: Reading = READING) -> None:
        self.index = index
        self.settings = settings
        self.weights = weights
        self.reading = reading
        self.encoder = load_token_encoder(index.model)
        self.multilingual_encoder = load_encoder(index.multilingual_model) if index.multilingual_model else None
        self.lexical = Lexical([c.embed_text() for c in index.chunks])
        self.chunk_docs = np.array([c.doc_id for c in index.chunks])
        self.doc_ids = sorted(index.documents)
        self.source_names = query.source_names(index.documents.values(),
                                                {d.doc_id: d.text for d in index.documents.values()})

    def with_weights(self, weights: Weights) -> "Searcher":
        """The same index and models with other second-stage weights (the eval's ablation)."""
        twin = Searcher.__new__(Searcher)
        twin.__dict__.update(self.__dict__, weights=weights)
        return twin

    def with_reading(self, reading: Reading) -> "Searcher":
        """The same index and models with other reading-stage settings (the eval's ablation)."""
        twin = Searcher.__new__(Searcher)
        twin.__dict__.update(self.__dict__, reading=reading)
        return twin

    def warm(self) -> None:
        """One encode per model at start-up, so the first real question is not the slow one."""
        self.encoder.encode_with_tokens(["warm-up"])
        if self.multilingual_encoder is not None:
            self.multilingual_encoder.encode_queries(["warm-up"])

    def parse(self, question: str, name_sources: bool = False) -> Query:
        """The question as the retrievers read it; with ``name_sources``, a named publisher becomes a preference."""
        return query.parse(question, self.lexical, self.source_names if name_sources else None)

    def retrieve(self, question: str, k: int, doc_ids: list[str] | None = None, method: str = PIPELINE) -> Retrieval:
        """Ranked chunks for one retriever, with stage timings and the evidence the confidence score reads."""
        if method not in RETRIEVERS:
            raise ValueError(f"unknown retriever {method!r}; choose from {', '.join(RETRIEVERS)}")
        out = Retrieval(query=self.parse(question, name_sources=method == PIPELINE))
        q, timed = out.query, out.timed
        allowed = rank.allowed_mask(self.chunk_docs, doc_ids)
        n = max(self.settings.candidates, k)

        bm25_all = timed("bm25", lambda: self.lexical.scores(q.terms)) if method != "dense" else None
        if method == "bm25":
            out.ranked = rank.lexical_top(bm25_all, k, allowed)
            return out
        out.vectors = timed("encode", lambda: self._encode(q.text))
        dense = timed("faiss", lambda: rank.dense_top(self.index, out.vectors.english, n, allowed))
        if method == "dense":
            out.ranked = dense[:k]
            return out
        lexical = timed("bm25", lambda: rank.lexical_top(bm25_all, n, allowed))
        if method == "hybrid":
            out.ranked = timed("fusion", lambda: rank.rrf([dense, lexical]))[:k]
            return out
        weights = HANGUL_WEIGHTS if q.hangul else self.weights
        if self.multilingual_encoder is not None and (weights.multilingual_chunk or weights.multilingual_sentence):
            out.vectors.multilingual = timed("encode_multilingual", lambda: self._encode_multilingual(q.text))

        def second_stage() -> tuple[list[Ranked], dict]:
            cand = rank.candidates(self.index, out.vectors, [dense, lexical], self.settings.candidates, allowed)
            return rank.second_stage(self.index, q, out.vectors, cand, bm25_all, weights)

        ranked, out.evidence = timed("rerank", second_stage)
        out.ranked = ranked[:k]
        return out

    def ask(self, question: str, k: int = 5, doc_ids: list[str] | None = None, method: str = PIPELINE,
            history: list[Turn] | None = None) -> Answer:
        t0 = time.perf_counter()
        question = question.strip()
        r = self.retrieve(question, k, doc_ids, method)
        if r.vectors is None:  # bm25 alone never encoded the question, but its answer sentences still need meaning
            r.vectors = r.timed("encode", lambda: self._encode(r.query.text))
        if r.query.hangul and r.vectors.multilingual is None and self.multilingual_encoder is not None:
            r.vectors.multilingual = r.timed("encode_multilingual", lambda: self._encode_multilingual(question))

        def cite(position: int, hit: Ranked) -> Passage:
            marked = answer.highlight(self.index, self.lexical, r.query, r.vectors, hit.chunk)
            return answer.passage(self.index, position, hit, marked)

        cited = r.timed("highlight", lambda: [cite(n, hit) for n, hit in enumerate(r.ranked, 1)])
        confidence = answer.confidence(r.query, r.evidence) if method == PIPELINE else None
        abstained = confidence is not None and confidence < self.settings.abstain_threshold
        composed = None
        if not abstained and cited and cited[0].highlight is not None:
            h = cited[0].highlight
            composed = ComposedAnswer(text=f"{h.text} [1]", sentences=[AnswerSentence(
                text=h.text, doc_id=cited[0].citation.doc_id, char_start=h.char_start, char_end=h.char_end, passage=1)])
        r.timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(
            question=question,
            answer=composed,
            reason="The closest passages are too far from the question to answer it." if abstained else None,
            abstained=abstained,
            confidence=None if confidence is None else round(confidence, 4),
            passages=cited,
            timings_ms={name: round(ms, 3) for name, ms in r.timings.items()},
        )

    def _encode(self, text: str) -> QueryVectors:
        vectors, tokens = self.encoder.encode_with_tokens([text])
        return QueryVectors(english=vectors[0], tokens=tokens[0])

    def _encode_multilingual(self, text: str) -> np.ndarray:
        return self.multilingual_encoder.encode_queries([text])[0]
