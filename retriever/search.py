"""From a question to ranked, cited passages: the one object the CLI, the server and the eval talk to.

Retrievers, each a ranking over chunks (the eval runs them side by side):

* ``bm25``     lexical, bm25s over stemmed words (``retriever.lexical``);
* ``dense``    the English sentence-transformers model through FAISS;
* ``hybrid``   reciprocal-rank fusion of the two;
* ``pipeline`` what the service answers with: candidates from both retrievers (and the multilingual model's, for a
  question in Hangul or an index with Korean chunks), reranked by the second stage (``retriever.rank``), then
  scored for answerability and highlighted (``retriever.answer``).

``Searcher`` only wires the stages together and times them; each stage is a plain function in its own module.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from . import (answer, catalogue, compose, conversation, informal, korean, query, rank, reading, spelling, spoken,
               synonyms)
from .answer import Sentence
from .config import PIPELINE, RETRIEVERS, SHOWN_PASSAGES, Settings
from .encoders import load_encoder, load_query_encoder
from .index import Index
from .lexical import Lexical
from .query import Query
from .rank import QueryVectors, Ranked
from .reading import Wants, acronyms, capitalised, lower_case_words, proper_cases, with_aliases
from .schema import Answer, Passage, Turn
from .tuning import FOLLOW_UP_OWN_TERMS, FOLLOW_UP_OWN_WEIGHT, HANGUL_WEIGHTS, READING, TYPO, Reading, Weights

T = TypeVar("T")
# Kinds whose answer is never an endnote a claim cites: a heading, summary or definition is the paper's own prose.
# (A source question's answer is one: the note its claim cites joins the passages, and ``compose.with_notes`` quotes
# it after the claim.)
NOT_FROM_NOTES = ("heading", "summary", "definition")
# Kinds that ask for no shape of answer nor show one by their wording: the gate cannot look for their answer, only for
# whether any sentence is about what they ask (``Reading.stray_focus``)
STRAYS = ("other", "definition", "yesno", "list", "proposal")


@dataclass
class Retrieval:
    """One question's way through the retrievers: what the answer object and the eval are built from."""

    query: Query
    wants: Wants
    follow_up: bool = False
    # read as a follow-up although its words do not lean on the conversation, because alone it is about nothing the
    # papers say ("phd where?" after a question about an author): its own words must then hold what it asks (gated)
    leaned: bool = False
    alone: Query | None = None  # a follow-up read on its own, with the conversation's documents: fused with ``query``
    only: list[str] | None = None  # "the other paper": the documents a follow-up is confined to
    needed_docs: tuple[str, ...] = ()  # documents the question compares: each is among the returned passages
    named: frozenset[str] = frozenset()  # documents the question itself names by publisher (not the conversation's)
    # The sentences a summary, or a question about a paper itself or an acronym, is answered with.
    gist: list[tuple[str, int, int]] = field(default_factory=list)
    # When the papers' text does not state what such a question asks: the reason the service abstains (with what
    # the catalogue record gives instead).
    unstated: str | None = None
    # The answer is where a paper states what was asked: on topic whatever the similarities say ("What does GDP
    # stand for?").
    on_record: bool = False
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
                 reading: Reading = READING, encoders: tuple | None = None) -> None:
        self.index = index
        self.settings = settings
        self.weights = weights
        self.reading = reading
        if encoders is None:
            encoders = (load_query_encoder(index),
                        load_encoder(index.multilingual_model) if index.multilingual_model else None)
        self.encoder, self.multilingual_encoder = encoders
        self.lexical = Lexical([c.embed_text() for c in index.chunks])
        self.chunk_docs = np.array([c.doc_id for c in index.chunks])
        # Chunks in Korean: the English model cannot read them, so an English question reaches them through the
        # multilingual model (``rank.on_scale_of``).  An index with none never pays for that model's encode.
        self.korean_chunks = np.array([korean.is_hangul(c.text) for c in index.chunks], dtype=bool)
        self.topic_docs, self.topics = answer.topics(index, self.chunk_docs, self.korean_chunks)
        index.scoring_tokens  # noqa: B018 - made here, so an index swapped in is ready before its first question
        self.doc_ids = sorted(index.documents)
        self.texts = {d.doc_id: d.text for d in index.documents.values()}
        self.aliases = {doc_id: acronyms(text) for doc_id, text in self.texts.items()}
        # each text with the other form of every acronym it defines: the names it writes (``_mentions``)
        self.written = {doc_id: with_aliases(text, self.aliases[doc_id]) for doc_id, text in self.texts.items()}
        self.source_names = query.source_names(index.documents.values(), self.texts)
        self.author_names = sorted({a for d in index.documents.values() for a in d.authors if len(a.split()) > 1})
        self.common_words = lower_case_words(list(self.texts.values()))
        capitals = capitalised(list(self.texts.values()))
        self.cases = proper_cases(capitals, self.common_words)
        self.capitalised = frozenset(capitals)
        # (a word whose stem the papers use is theirs: "recalibrated" for "recalibrate")
        self.speller = spelling.Speller(self.texts.values(), lambda word: synonyms.is_word(word) or all(
            t in self.lexical.idf for t in self.lexical.terms(word)))
        self.sentence_rows = {(d, a): row for row, (d, a, _) in enumerate(index.sentence_spans)}
        starts: dict[str, list[int]] = {}
        for doc_id, start, _ in index.sentence_spans:
            starts.setdefault(doc_id, []).append(start)
        self.sentence_order = {doc_id: np.array(sorted(s)) for doc_id, s in starts.items()}  # ``answer.after_said``

    def with_index(self, index: Index) -> "Searcher":
        """The same settings over another index, keeping the loaded models when it was built with them: what a
        running server swaps in when a newer index appears."""
        same = (index.model, index.multilingual_model) == (self.index.model, self.index.multilingual_model)
        return Searcher(index, self.settings, self.weights, self.reading,
                        (self.encoder, self.multilingual_encoder) if same else None)

    def with_weights(self, weights: Weights) -> "Searcher":
        """The same index and models with other second-stage weights (the eval's ablation)."""
        return self._twin(weights=weights)

    def with_reading(self, reading: Reading) -> "Searcher":
        """The same index and models with other reading-stage settings (the eval's ablation)."""
        return self._twin(reading=reading)

    def _twin(self, **changes: object) -> "Searcher":
        twin = Searcher.__new__(Searcher)
        twin.__dict__.update(self.__dict__, **changes)
        return twin

    def warm(self) -> None:
        """One encode per model at start-up, and WordNet read, so the first real question is not the slow one."""
        self.encoder.encode_with_tokens(["warm-up"])
        if self.multilingual_encoder is not None:
            self.multilingual_encoder.encode_queries(["warm-up"])
        synonyms.wordnet()  # for synonyms and for telling a word from a slip

    def as_written(self, question: str) -> str:
        """The question as the papers would write it: years and figures said in words in digits ("twenty twenty
        four" is 2024), shorthand written out ("in 23" is 2023), slips corrected ("investmnet"), an acronym typed in
        lower case in capitals ("krw"), an author's rank left out ("the lead author"), names in their case ("kiep" ->
        "KIEP") and a word that only opens a clause in lower case ("Looking at ..."), an acronym they never use in
        their words ("FDI" -> "foreign direct investment")."""
        written = self.speller.correct(informal.written_out(spoken.in_digits(question)))
        # An acronym typed in lower case that the papers do not spell out is a name they never mention ("usd to krw
        # rate today"), in capitals as names are read; one they do spell out is read in their words ("fdi").  (A
        # question of more such words than a question has is gibberish, and each costs a look through the papers.)
        codes = set(self.speller.codes(written))
        if len(codes) <= TYPO.codes:
            for code in codes:
                if reading.spell_out(code.upper(), self.texts.values(), self.lexical) == code.upper():
                    written = re.sub(rf"(?<![\w’'-]){code}(?![\w’'-])", code.upper(), written)
        cased = reading.openers_in_lower_case(reading.truecase(reading.any_author(written), self.cases),
                                              self.capitalised, self.speller.knows)
        return reading.spell_out(cased, self.texts.values(), self.lexical)

    def parse(self, question: str, name_sources: bool = False) -> Query:
        """The question as the retrievers read it; with ``name_sources``, a named publisher becomes a preference."""
        return query.parse(question, self.lexical, self.source_names if name_sources else None, self.author_names)

    def understand(self, question: str, history: list[Turn] | None = None, method: str = PIPELINE,
                   leaning: bool = False) -> Retrieval:
        """The question read with the conversation it belongs to: its terms, sources, and the answer it wants; with
        ``leaning``, as a follow-up whatever its words."""
        bare = self.parse(question, name_sources=method == PIPELINE)
        w = reading.wants(question, self.lexical, bare.text)
        resolved = conversation.resolve(question, history, self.lexical, self.texts, bool(bare.sources),
                                        lambda turn: self.parse(turn, name_sources=True).sources, leaning)
        if not resolved.follow_up:
            return Retrieval(query=bare, wants=w, named=bare.sources)
        if resolved.own:  # "the second of them" named: the question asks about that name as if it had said it
            bare = self.parse(resolved.own, name_sources=method == PIPELINE)
            w = reading.wants(resolved.own, self.lexical, bare.text)
        expanded = self.parse(resolved.text, name_sources=method == PIPELINE)
        # The papers it is about: those it names itself, else "the other paper", else those the conversation was on.
        if bare.sources:
            sources = bare.sources
        elif resolved.only:
            sources = resolved.sources
        else:
            sources = expanded.sources | resolved.sources
        q = dataclasses.replace(expanded, sources=sources, numbers=bare.numbers, before=bare.before, after=bare.after,
                                decades=bare.decades, unknown_names=bare.unknown_names, known_names=bare.known_names,
                                names_author=bare.names_author)
        before = reading.wants(resolved.previous, self.lexical) if resolved.previous else w
        # An elliptical follow-up ("And China?") asks what the last question asked; one with a question word of its
        # own keeps its own kind, even "other" ("What significance does it attach to it?" wants no place).  The
        # focus never carries over: "Who wrote it?" asks about the paper, not about the figure the last answer gave.
        inherits = w.kind == "other" and not conversation.asks_its_own(question)
        w = dataclasses.replace(w, kind=before.kind if inherits else w.kind,
                                compare=w.compare or before.compare)
        # Read alone, a follow-up with little subject of its own ("What does the other paper say about it?", "How
        # many of those does the US already have?") finds only what its grammar words and its one or two common ones
        # match: it joins the fusion only when it says much itself.
        alone = dataclasses.replace(bare, sources=sources) if len(set(w.focus_terms)) >= FOLLOW_UP_OWN_TERMS else None
        # "And what does the KIEP paper say about it?" asks about that paper alone, as "the other paper" does.
        only = resolved.only or (len(bare.sources) == 1 and not w.compare)
        return Retrieval(query=q, wants=w, follow_up=True, alone=alone, only=sorted(sources) if only else None,
                         named=bare.sources, leaned=leaning)

    def retrieve(self, question: str, k: int, doc_ids: list[str] | None = None, method: str = PIPELINE,
                 history: list[Turn] | None = None, leaning: bool = False) -> Retrieval:
        """Ranked chunks for one retriever, with stage timings and the evidence the confidence score reads.

        No two returned passages overlap in the text (overlapping chunks merge, ``rank.distinct``), and when the
        question compares documents, each of them is among the first ``k`` (at most ``SHOWN_PASSAGES``: a reply asked
        for ten still shows both papers in its first five).
        """
        if method not in RETRIEVERS:
            raise ValueError(f"unknown retriever {method!r}; choose from {', '.join(RETRIEVERS)}")
        out = self.understand(question, history, method, leaning)
        q, timed = out.query, out.timed
        if out.only:
            doc_ids = [d for d in out.only if not doc_ids or d in doc_ids] or doc_ids
        allowed = rank.allowed_mask(self.chunk_docs, doc_ids)
        n = max(self.settings.candidates, k)

        bm25_all = timed("bm25", lambda: self.lexical.scores(q.terms)) if method != "dense" else None
        if method == "bm25":
            out.ranked = rank.distinct(self.index, rank.lexical_top(bm25_all, n, allowed), k)[:k]
            return out
        out.vectors = timed("encode", lambda: self._encode(q.text))
        dense = timed("faiss", lambda: rank.dense_top(self.index, out.vectors.english, n, allowed))
        if method == "dense":
            out.ranked = rank.distinct(self.index, dense, k)[:k]
            return out
        lexical = timed("bm25", lambda: rank.lexical_top(bm25_all, n, allowed))
        if method == "hybrid":
            out.ranked = rank.distinct(self.index, timed("fusion", lambda: rank.rrf([dense, lexical])), k)[:k]
            return out
        weights = HANGUL_WEIGHTS if q.hangul else self.weights
        foreign = self._foreign(q)
        if self.multilingual_encoder is not None and (weights.multilingual_chunk or weights.multilingual_sentence
                                                      or foreign is not None):
            out.vectors.multilingual = timed("encode_multilingual", lambda: self._encode_multilingual(q.text))

        def second_stage() -> tuple[list[Ranked], dict]:
            cand = rank.candidates(self.index, out.vectors, [dense, lexical], self.settings.candidates, allowed)
            return rank.second_stage(self.index, q, out.vectors, cand, bm25_all, weights, foreign)

        ranked, out.evidence = timed("rerank", second_stage)
        if ranked and not self.korean_chunks[ranked[0].chunk]:  # a Korean top passage: the English model can't judge
            out.evidence["topicality"] = answer.topicality(self.topic_docs, self.topics, out.vectors.english, doc_ids)
        if out.alone is not None:  # historical query expansion: the expanded and the bare question, fused
            alone = self._alone(out, n, allowed, weights)
            # a follow-up that says much itself ("How many countries have those agreements?") needs the earlier
            # turns less: its own reading counts more, so they do not pull it to the last answer's passages
            ranked = rank.rrf([ranked, alone], weights=[1.0, FOLLOW_UP_OWN_WEIGHT])
        ranked = rank.distinct(self.index, ranked, k)
        fields = catalogue.asked(question)
        paper = sorted(q.sources) if len(q.sources) == 1 else doc_ids if doc_ids and len(doc_ids) == 1 else None
        acronym = reading.expansion_asked(question)
        if acronym:  # "What does KIEP stand for?": where a paper spells it out
            ranked = self._expansion_first(ranked, out, acronym, doc_ids, k)
        elif fields and paper:  # "When was the KIEP commentary published?": where its text says so
            ranked = self._catalogue_first(ranked, out, paper[:1], fields, k)
        elif fields and out.wants.compare:  # "Which institutions are behind the two papers?": where each says so
            ranked = self._catalogue_first(ranked, out, rank.compared(self.index, ranked, q.sources), fields, k)
        elif out.wants.kind == "summary":
            ranked = self._gist_first(ranked, out, doc_ids, k)
        if out.wants.compare or len(q.sources) > 1:
            out.needed_docs = rank.compared(self.index, ranked, q.sources)
            ranked = timed("cover", lambda: self._cover(ranked, out, min(k, SHOWN_PASSAGES), allowed))
        out.ranked = ranked[:k]
        return out

    def _alone(self, out: Retrieval, n: int, allowed: np.ndarray | None, weights: Weights) -> list[Ranked]:
        """The second stage's ranking of a follow-up read without the earlier turns' words."""
        q = out.alone
        vectors = out.timed("encode", lambda: self._encode(q.text))
        vectors.multilingual = out.vectors.multilingual
        bm25_all = out.timed("bm25", lambda: self.lexical.scores(q.terms))
        first = [rank.dense_top(self.index, vectors.english, n, allowed), rank.lexical_top(bm25_all, n, allowed)]
        cand = rank.candidates(self.index, vectors, first, self.settings.candidates, allowed)
        return out.timed("rerank", lambda: rank.second_stage(self.index, q, vectors, cand, bm25_all, weights,
                                                             self._foreign(q)))[0]

    def _foreign(self, q: Query) -> np.ndarray | None:
        """The chunks an English question's English-model evidence cannot judge (Korean ones), if there are any."""
        if q.hangul or self.multilingual_encoder is None or not self.korean_chunks.any():
            return None
        return self.korean_chunks

    def _cover(self, ranked: list[Ranked], out: Retrieval, k: int, allowed: np.ndarray | None) -> list[Ranked]:
        """Each compared document among the top ``k``: its best chunk replaces the last of a document with several."""
        extra = []
        for doc_id in out.needed_docs:
            if all(self.index.chunks[r.chunk].doc_id != doc_id for r in ranked):
                mask = self.chunk_docs == doc_id if allowed is None else allowed & (self.chunk_docs == doc_id)
                extra += rank.dense_top(self.index, out.vectors.english, 1, mask)
        return rank.cover(self.index, ranked + extra, out.needed_docs, k)

    def _gist_first(self, ranked: list[Ranked], out: Retrieval, doc_ids: list[str] | None, k: int) -> list[Ranked]:
        """For "summarise" questions, the chunks holding the document's own key sentences come first, fetched from the
        index when the retrievers did not bring them (a list of recommendations shares few words with "recommend")."""
        q = out.query
        targets = sorted(q.sources) or (doc_ids if doc_ids and len(doc_ids) == 1 else None)
        if not targets and out.wants.compare:
            targets = rank.compared(self.index, ranked, q.sources)
        if not targets and ranked:
            targets = [self.index.chunks[ranked[0].chunk].doc_id]
        per_doc = max(1, self.reading.max_sentences // max(1, len(targets or [])))
        out.gist = [(d, a, b) for d in targets or []
                    for a, b in compose.key_sentences(self.index, d, out.wants.recommends, per_doc, q.text)]
        return self._holding_first(ranked, out.gist, k)

    def _catalogue_first(self, ranked: list[Ranked], out: Retrieval, doc_ids: Sequence[str], fields: list[str],
                         k: int) -> list[Ranked]:
        """For a question about the paper itself (or each of the papers it compares), the sentences of its text that
        state the asked catalogue fields (its byline's date, its series line) are its gist; where the text states
        none, ``out.unstated`` says what the catalogue record gives."""
        starts = {doc_id: [a for a in (catalogue.stated_at(self.index.documents[doc_id], f) for f in fields)
                           if a is not None] for doc_id in doc_ids}
        out.gist = sorted({(d, a, b) for d, a, b in self.index.sentence_spans
                           if any(a <= start < b for start in starts.get(d, ()))})
        if not out.gist:
            out.unstated = " ".join(catalogue.unstated(doc, fields, f"“{doc.title}”")
                                    for doc in map(self.index.documents.get, doc_ids))
            return ranked
        out.on_record = True
        return self._holding_first(ranked, out.gist, k)

    def _expansion_first(self, ranked: list[Ranked], out: Retrieval, acronym: str, doc_ids: list[str] | None,
                         k: int) -> list[Ranked]:
        """For "What does X stand for?", the sentence where a paper spells X out ("Korea Institute for International
        Economic Policy (KIEP)") is the answer; where none does, ``out.unstated`` says so."""
        for doc_id in doc_ids or self.doc_ids:
            at = reading.spelled_out_at(self.texts[doc_id], acronym, self.aliases[doc_id].get(acronym))
            if at is not None:
                out.gist = [(d, a, b) for d, a, b in self.index.sentence_spans if d == doc_id and a <= at < b]
                out.on_record = True
                return self._holding_first(ranked, out.gist, k)
        used = any(re.search(rf"\b{re.escape(acronym)}\b", self.texts[d]) for d in doc_ids or self.doc_ids)
        out.unstated = (f"The documents use “{acronym}” but never spell it out." if used
                        else f"The documents never mention “{acronym}”.")
        return ranked

    def _holding_first(self, ranked: list[Ranked], gist: list[tuple[str, int, int]], k: int) -> list[Ranked]:
        """The passages holding ``gist``'s sentences first, their chunks fetched from the index when the retrievers
        did not bring them."""
        spans = self._spans(ranked)
        missing = {c for d, a, _ in gist if not any(doc == d and start <= a < end for doc, start, end in spans)
                   for c in self._chunks_holding(d, a)[:1]}
        if missing:  # first, so that they are among the k (an overlapping passage merges into them)
            floor = min((r.score for r in ranked[:k]), default=0.0)  # ranked by what they hold, not by a score
            ranked = rank.distinct(self.index, [Ranked(c, floor) for c in sorted(missing)] + ranked, k)
            spans = self._spans(ranked)
        holds_gist = {i for d, a, _ in gist for i, (doc, start, end) in enumerate(spans)
                      if doc == d and start <= a < end}
        order = sorted(range(len(ranked)), key=lambda i: i not in holds_gist)  # stable: each group keeps its order
        # they take the top score, as a passage the reading stage leads with does: scores still fall with rank
        top = max((r.score for r in ranked), default=0.0)
        return [dataclasses.replace(ranked[i], score=top) if i in holds_gist else ranked[i] for i in order]

    def _spans(self, ranked: list[Ranked]) -> list[tuple[str, int, int]]:
        """Each passage's document and span in its canonical text."""
        return [(self.index.chunks[r.chunk].doc_id, *rank.span(self.index, r)) for r in ranked]

    def _chunks_holding(self, doc_id: str, offset: int) -> list[int]:
        """The chunks of ``doc_id`` whose span holds ``offset``, in index order."""
        return [c for c, chunk in enumerate(self.index.chunks)
                if chunk.doc_id == doc_id and chunk.char_start <= offset < chunk.char_end]

    def ask(self, question: str, k: int = SHOWN_PASSAGES, doc_ids: list[str] | None = None, method: str = PIPELINE,
            history: list[Turn] | None = None) -> Answer:
        """Cited passages, the answer quoted from them, and whether (and why) the documents do not answer."""
        t0 = time.perf_counter()
        question = question.strip()
        typed, question = question, self.as_written(question)
        # The reading stage reads at least ``Reading.depth`` passages, so the answer and the passage that leads do not
        # depend on how many passages the client asked to see; the first ``k`` of them are returned.
        depth = max(k, self.reading.depth) if method == PIPELINE else k
        r = self.retrieve(question, depth, doc_ids, method, history)
        # A question asked in a conversation that, read alone, is about nothing the papers say is read as leaning on
        # it: a hurried follow-up need not say "it" or "they" ("phd where?")
        if history and not r.follow_up and method == PIPELINE and self._off_topic(r):
            leaning = self.retrieve(question, depth, doc_ids, method, history, leaning=True)
            r = leaning if leaning.follow_up else r
        q, w = r.query, r.wants
        if r.vectors is None:  # bm25 alone never encoded the question, but its answer sentences still need meaning
            r.vectors = r.timed("encode", lambda: self._encode(q.text))
        if q.hangul and r.vectors.multilingual is None and self.multilingual_encoder is not None:
            r.vectors.multilingual = r.timed("encode_multilingual", lambda: self._encode_multilingual(question))

        # A question that names one paper ("Who wrote the KIEP commentary?") is answered from that paper, whatever
        # else its passages brought (the other paper's biographies), and so is a follow-up from the paper its
        # conversation is on ("Where does he work?"); a comparison from each.
        only = r.named if len(r.named) == 1 else q.sources if r.follow_up and len(q.sources) == 1 else None

        def read() -> tuple[list[list[Sentence]], list[Passage]]:
            sentences = [self._read(q, w, r.vectors, hit) for hit in r.ranked]
            if method == PIPELINE and w.kind not in NOT_FROM_NOTES and not (r.gist or r.needed_docs or q.hangul):
                sentences = self._with_cited_notes(r, sentences, only, depth)
            # A follow-up asking for a source ("Which newspaper is cited for that?") asks about what was just quoted:
            # its claim's note answers, so neither what follows it nor something unsaid is preferred.
            moves_on = r.follow_up and w.kind != "source"
            if moves_on and self.reading.follows:
                sentences = answer.after_said(sentences, conversation.said_last(history), self.sentence_order,
                                              self.reading.follows, self.reading.follows_reach, self.index)
            # The reading stage is the pipeline's third: the other retrievers are compared as they rank.  A summary's
            # or a comparison's order is its own, and a Hangul question's reading is too coarse to reorder by
            # (Korean hit@1 0.75 -> 0.60 when it did).
            if method == PIPELINE and self.reading.lead and not (r.gist or r.needed_docs or q.hangul):
                lead = compose.lead(sentences, self.reading, only, self.index if w.kind == "source" else None)
                if lead:  # it takes the top score too: scores still fall with rank
                    r.ranked.insert(0, dataclasses.replace(r.ranked.pop(lead), score=r.ranked[0].score))
                    sentences.insert(0, sentences.pop(lead))
            # What an earlier answer quoted still ranks its passage (the conversation is about it), but is not quoted
            # or highlighted again when something new answers nearly as well.
            if moves_on and self.reading.said:
                sentences = answer.unsaid(sentences, conversation.said_before(history), self.reading.said)
            r.ranked, sentences = r.ranked[:k], sentences[:k]
            return sentences, [answer.passage(self.index, n, hit, answer.highlight(self.index, read_))
                               for n, (hit, read_) in enumerate(zip(r.ranked, sentences), 1)]

        sentences, cited = r.timed("read", read)
        confidence = answer.confidence(q, r.evidence) if method == PIPELINE else None
        off_topic = confidence is not None and self._off_topic(r, confidence)
        # A follow-up's own words are too few to say what it is about ("When was it renegotiated?"): no gate; nor
        # for a question that sets the papers side by side ("Which organisations are the authors of the two papers
        # affiliated with?"), which is about them by its own words.  A compound question is unanswered only when none
        # of its parts is answered.
        checked = method == PIPELINE and self.reading.gate > 0 and not q.hangul and not r.gist
        gated = checked and not w.compare and (r.leaned or not r.follow_up)
        unanswered = gated and all(self._unanswered(part, r, sentences) for part in (
            [reading.wants(p, self.lexical, self.parse(p, name_sources=True).text) for p in reading.parts(question)]
            if w.compound else [w]))
        # ... and one with no shape of answer is about nothing the papers say when no top sentence holds much of its
        # focus or says nearly what it asks
        stray = (gated and w.kind in STRAYS and not r.named and not unanswered
                 and self._stray(question, w, sentences, own_meaning=r.leaned))
        off_topic = off_topic or stray
        # ... and one that asks what a paper (or any) says of a name it never mentions ("What does the KIEP
        # commentary say about NATO?", "What do the papers say about the European Union?") is not answered by the
        # nearest sentences, which are about something else; nor is a follow-up that asks it of the paper its
        # conversation is about ("Does it mention NATO?"), whose own words say what it asks here, nor one that sets
        # the papers side by side on it ("Does either paper mention North Korea?")
        papers = (sorted(r.named) or sorted(q.sources)) if r.follow_up else sorted(r.named)
        looked_in = papers or doc_ids or self.doc_ids
        absent = (self._unmentioned(question, w, looked_in, sentences)
                  if checked and w.kind in STRAYS and not (unanswered or off_topic) else [])
        abstained = off_topic or unanswered or bool(absent) or r.unstated is not None
        composed, why = None, None
        if absent:
            why = compose.unmentioned(absent, [self.index.documents[d].title for d in papers],
                                      [doc.title for doc_id, doc in sorted(self.index.documents.items())
                                       if doc_id not in looked_in and all(self._mentions(doc_id, n) for n in absent)])
        elif abstained:
            missing = query.missing_numbers(q, (p.text for p in cited[:3]))
            # (a question read with a conversation it does not lean on by its words names only its own papers)
            far = off_topic and not missing and not (r.named if r.leaned else q.sources)
            why = r.unstated or compose.reason(q, w, [p.text for p in cited], self.lexical, far, missing, question,
                                               reading.alternatives(w, self.lexical, self.reading.synonyms))
        elif cited:
            def quote() -> list[compose.Quoted]:
                if r.gist:
                    return self._gist(r, sentences)
                chosen = compose.choose(sentences, r.needed_docs, self.reading, None if r.needed_docs else only)
                if w.kind == "heading":
                    return compose.under_heading(self.index, chosen)
                return compose.with_notes(self.index, chosen, sentences) if w.kind == "source" else chosen
            quoted = r.timed("compose", quote)
            composed = compose.text_of(quoted) if quoted else None
        r.timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(
            question=typed,
            answer=composed,
            reason=why,
            abstained=abstained,
            confidence=None if confidence is None else round(confidence, 4),
            passages=cited,
            timings_ms={name: round(ms, 3) for name, ms in r.timings.items()},
        )

    def _stray(self, question: str, w: reading.Wants, sentences: list[list[Sentence]],
               own_meaning: bool = False) -> bool:
        """Does no top sentence hold much of the question's focus, nor say nearly what it asks?

        Nearly in meaning is judged on what the question asks beyond the words the corpus uses everywhere ("Korea",
        "US"): any sentence about the alliance is near "Do US citizens need a visa to visit South Korea?" for those
        words alone.  With ``own_meaning`` (a question read with a conversation it does not lean on by its words),
        the sentences' meaning was judged against the conversation too, and is judged again against the question."""
        top = [s for passage in sentences[: self.reading.gate_passages] for s in passage]
        holders = [s for s in top if s.focus >= self.reading.stray_focus]
        # A question with a focus word the papers never use, whose focus the sentences hold only in words far from
        # what it asks ("the Korean word for friend": "faithful friends" beside "Korea"), holds none of it.
        if holders and not (max(s.meaning for s in holders) < self.reading.stray_holder_meaning
                            and any(self.lexical.unknown(word) for word in w.focus)):
            return False
        near = top if own_meaning else [s for s in top if s.meaning >= self.reading.stray_meaning]
        if not near or not (self.reading.stray_topic_idf or own_meaning):
            return not near
        rest = " ".join(word for word in question.split()
                        if not (terms := self.lexical.terms(word)) or any(
                            self.lexical.idf.get(t, self.lexical.max_idf) >= self.reading.stray_topic_idf
                            for t in terms))
        if not self.lexical.terms(rest) or rest == question and not own_meaning:
            return False
        rows = [self.sentence_rows[(s.doc_id, s.start)] for s in near if (s.doc_id, s.start) in self.sentence_rows]
        return not rows or not bool(
            (self.index.sentence_vectors[rows] @ self._encode(rest).english >= self.reading.stray_meaning).any())

    def _unmentioned(self, question: str, w: reading.Wants, named: Collection[str],
                     sentences: list[list[Sentence]]) -> list[str]:
        """The question's names, as it writes them ("Inflation Reduction Act"), that none of the ``named`` papers
        mentions, when they are what it asks about: at least half its focus, and no top sentence holds much of the
        rest of it.

        A question with more words of its own beside such a name is more likely to call something the paper does
        discuss by another name ("the Philadelphia shipyard" for "Philly Shipyard")."""
        absent = [name for name in reading.name_runs(question, w.names) if self._names(name)
                  and not any(self._mentions(doc_id, name) for doc_id in named)]
        gone = {t for name in absent for t in self.lexical.terms(name)}
        rest = dataclasses.replace(w, focus_terms=tuple(t for t in w.focus_terms if t not in gone))
        if not absent or len(rest.focus_terms) > len(gone):
            return []
        top = [s for passage in sentences[: self.reading.gate_passages] for s in passage]
        if rest.focus_terms and any(reading.focus_share(rest, s.text, self.lexical) >= self.reading.stray_focus
                                    for s in top):
            return []
        return [reading.without_possessive(name) for name in absent]

    @staticmethod
    def _names(phrase: str) -> bool:
        """Is ``phrase`` a name, not one word that describes ("Asian partners", "European allies": WordNet knows it
        as an adjective)?  "North Korea" is a name, and "North" in it no description."""
        words = reading.WORD.findall(phrase)
        return len(words) > 1 or not {"a", "r"} & synonyms.parts_of_speech(reading.without_possessive(words[0]))

    def _mentions(self, doc_id: str, name: str) -> bool:
        """Does the document write ``name`` (``Lexical.writes``: "CHIPS Act" in "CHIPS and Science Act", a word of
        its family), or the other form of an acronym it defines ("3SI"), or the country's other names
        (``reading.other_names``: "Beijing" is China, "South Korean" is Korean)?"""
        words = " ".join(reading.without_possessive(word) for word in reading.WORD.findall(name))
        return any(self.lexical.writes(form, self.written[doc_id]) for form in reading.other_names(words))

    def _off_topic(self, r: Retrieval, confidence: float | None = None) -> bool:
        """Is the question about nothing the papers discuss, by the confidence score (worked out from ``r`` unless
        given; a question about a paper's record is on topic whatever it scores)?"""
        if confidence is None:
            confidence = answer.confidence(r.query, r.evidence)
        return confidence is not None and confidence < self.settings.abstain_threshold and not r.on_record

    def _with_cited_notes(self, r: Retrieval, sentences: list[list[Sentence]], only: Collection[str] | None,
                          depth: int) -> list[list[Sentence]]:
        """The passages read again with the endnotes that the sentence the answer would quote first cites: a claim
        often counts or names what its note spells out ("among the 12 nations ..." -> "The 12 nations are Austria,
        Bulgaria, ..."), and the note's passage joins after the claim's when the retrievers did not bring it."""
        chosen = compose.choose(sentences, (), self.reading, only)[:1]
        if not chosen:
            return sentences
        at, claim = chosen[0]
        doc = self.index.documents[claim.doc_id]
        notes = doc.cited_spans(claim.start, claim.end)
        if not notes:
            return sentences
        old, held = list(r.ranked), self._spans(r.ranked)
        missing = [c for a, _ in notes if not any(d == doc.doc_id and s <= a < e for d, s, e in held)
                   for c in self._chunks_holding(doc.doc_id, a)[:1]]
        if missing:
            score = r.ranked[at - 1].score
            r.ranked = rank.distinct(self.index, r.ranked[:at] + [Ranked(c, score) for c in missing] + r.ranked[at:],
                                     depth)[:depth]
        # the note is read after its claim as the claim is read after the sentence before it
        own = sentences[at - 1]
        before = own[own.index(claim) - 1].text if own.index(claim) else ""
        claims = {a: f"{before} {claim.text}".strip() for a, _ in notes}
        # only the passages that hold a note (or came with one) are read again
        unchanged = {hit.chunks(): read for hit, read in zip(old, sentences)
                     if not any(s.start <= a < s.end for s in read for a in claims)}
        return [unchanged.get(hit.chunks()) or self._read(r.query, r.wants, r.vectors, hit, claims) for hit in r.ranked]

    def _unanswered(self, w: reading.Wants, r: Retrieval, sentences: list[list[Sentence]]) -> bool:
        """Does the question (or this part of it) ask for a kind of answer that no top passage holds about its focus?
        ``sentences`` were read for the whole question; a part of it is read again for its own kind and focus."""
        if not w.shaped:
            return False
        top = r.ranked[: self.reading.gate_passages]
        if w != r.wants:
            sentences = [self._read(r.query, w, r.vectors, hit) for hit in top]
        return not any(s.answers for passage in sentences[: len(top)] for s in passage)

    def _read(self, q: Query, w: reading.Wants, vectors: QueryVectors, hit: Ranked,
              claims: Mapping[int, str] | None = None) -> list[Sentence]:
        """One passage's sentences, scored for answering the question as ``w`` reads it."""
        def unnamed() -> np.ndarray:
            if vectors.unnamed is None:
                vectors.unnamed = self._encode(reading.without_words(q.text, w.names)).english
            return vectors.unnamed

        return answer.read_passage(self.index, self.lexical, q, w, vectors, hit, self.reading, self.common_words,
                                   self.aliases[self.index.chunks[hit.chunk].doc_id], claims, unnamed)

    def _gist(self, r: Retrieval, sentences: list[list[Sentence]]) -> list[compose.Quoted]:
        """A "summarise" question's key sentences, each cited by the returned passage that holds it."""
        found = {(s.doc_id, s.start): (rank, s) for rank, passage in enumerate(sentences, 1) for s in passage}
        return compose.with_titles(self.index, [found[(d, a)] for d, a, _ in r.gist if (d, a) in found])

    def _encode(self, text: str) -> QueryVectors:
        vectors, tokens = self.encoder.encode_with_tokens([text])
        return QueryVectors(english=vectors[0], tokens=tokens[0])

    def _encode_multilingual(self, text: str) -> np.ndarray:
        return self.multilingual_encoder.encode_queries([text])[0]
