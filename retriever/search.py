"""From a question to ranked, cited passages: retrieval, fusion, second-stage scoring, answer sentences, abstention.

Retrievers, each a ranking over chunks (the eval runs them side by side):

* ``bm25``     lexical, bm25s over stemmed words;
* ``dense``    the English sentence-transformers model through FAISS;
* ``hybrid``   reciprocal-rank fusion of the two;
* ``pipeline`` what the service answers with: candidates from both retrievers (and the multilingual model), then a
  second stage that scores each candidate by a weighted sum of its chunk similarity, its best *sentence*
  similarity, its normalised BM25 score and exact matches of the question's numbers.  Questions in a script the
  English model cannot read (Korean) lean on the multilingual encoder instead.

No cross-encoder ships offline, so the second stage reuses vectors computed at index time: scoring a passage by its
best-matching sentence is cheap (one matrix product) and sharper than the chunk vector, which averages everything.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .config import PIPELINE, RETRIEVERS, Settings
from .documents import AUTHORS_TITLE, ENDNOTES_TITLE
from .encoders import load_encoder
from .index import Index
from .schema import Answer, Citation, FootnoteRef, Highlight, Passage

RRF_K = 60
PAIR_MARGIN = 0.3  # a neighbouring sentence this close to the best one joins the highlight

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"(?<!^)(?<![.?!:] )\b(?:[A-Z][a-z]+|[A-Z]{2,})\b")


@dataclass(frozen=True)
class Weights:
    """Second-stage weights over features min-max normalised among the candidates (so scales never matter).

    ``alliance-qa eval --ablate`` shows what each term adds by setting it to zero.
    """

    chunk: float = 0.10  # the English model's chunk vector
    sentence: float = 0.0  # the English model's best sentence vector
    maxsim: float = 0.30  # late interaction: each question token's best match among the chunk's tokens
    bm25: float = 0.20
    # The multilingual model's chunk and best-sentence vectors: they added nothing to English questions in the
    # eval's ablation, so English questions skip that model's encode (~10 ms) altogether.
    ml_chunk: float = 0.0
    ml_sentence: float = 0.0
    numbers: float = 0.10  # share of the question's numbers found verbatim in the chunk (not normalised)
    source: float = 0.15  # the chunk belongs to a document the question names by its publisher ("the KIEP piece")
    # The chunk is the paper's apparatus (endnotes, the authors' biographies) and the question asks neither about
    # sources nor about people: a bibliography entry shares the words of the claim it supports, and a biography
    # the paper's name and topic, but neither answers what the claim says.
    apparatus: float = -0.15

    def without(self, term: str) -> "Weights":
        return dataclasses.replace(self, **{term: 0.0})


# Questions in a script the English model and BM25 cannot read lean on the multilingual model.
FOREIGN_WEIGHTS = Weights(chunk=0.0, maxsim=0.0, bm25=0.05, ml_chunk=0.45, ml_sentence=0.45, source=0.0)
FEATURES = tuple(f.name for f in dataclasses.fields(Weights))
UNSCALED = ("numbers", "source", "apparatus")  # already 0..1 shares or flags
# Words of a question about sources (it may want the endnotes) or about people (the authors' biographies).
_ASKS_PEOPLE = re.compile(r"\b(who|whom|whose|authors?|wrote|written|writers?|biograph\w*|fellows?|careers?|"
                          r"degrees?|ph\.?d|earned|teams?|members?|positions?|posts?|roles?|jobs?|worked|works)\b|"
                          r"누구|저자|필자|직책|경력|학위|박사", re.IGNORECASE)
_ASKS_SOURCES = re.compile(r"\b(cit\w*|sources?|references?|endnotes?|footnotes?|according|reported|reports?|articles?|"
                           r"outlets?|data|published|publications?|accessed|urls?|links?)\b|출처|인용|각주|미주|자료|보도", re.IGNORECASE)


@dataclass(frozen=True)
class QueryText:
    text: str  # what the encoders and BM25 read: the question, minus any name of a source it also filters on
    foreign: bool  # written in a script the English model and BM25 cannot read
    terms: list[str]
    numbers: list[str]
    sources: frozenset[str] = frozenset()  # doc_ids the question names ("the Heritage brief")
    unknown_names: tuple[str, ...] = ()  # capitalised words of the question that the corpus never uses
    asks_sources: bool = False  # it asks what is cited, reported or published (it may want the endnotes)
    asks_people: bool = False  # it asks about a person or the authors (it may want their biographies)


@dataclass
class Ranked:
    chunk: int
    score: float


@dataclass
class Retrieval:
    """One question's way through the retrievers: what the answer object and the eval are built from."""

    query: QueryText
    ranked: list[Ranked] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, float] = field(default_factory=dict)
    qvec: np.ndarray | None = None
    qtokens: np.ndarray | None = None
    ml_vec: np.ndarray | None = None

    def timed(self, stage: str, fn):
        t = time.perf_counter()
        result = fn()
        self.timings[stage] = self.timings.get(stage, 0.0) + (time.perf_counter() - t) * 1000
        return result


def is_foreign(question: str) -> bool:
    return bool(_HANGUL.search(question))


class Lexical:
    """BM25 over chunks, plus the IDF table the answer-sentence scorer uses."""

    def __init__(self, texts: list[str]) -> None:
        import bm25s
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self._stemmer = Stemmer.Stemmer("english")
        self._stop = set(STOPWORDS_EN) | {"what", "which", "who", "whom", "how", "why", "when", "where", "does", "did"}
        corpus = [self.terms(t) for t in texts]
        self.bm25 = bm25s.BM25()
        self.bm25.index(corpus, show_progress=False)
        n = len(corpus)
        df: dict[str, int] = {}
        for toks in corpus:
            for tok in set(toks):
                df[tok] = df.get(tok, 0) + 1
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)

    def terms(self, text: str) -> list[str]:
        words = [w for w in _WORD.findall(text.lower()) if w not in self._stop]
        return self._stemmer.stemWords(words)

    def scores(self, terms: list[str]) -> np.ndarray:
        if not terms:
            return np.zeros(self.bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self.bm25.get_scores(terms), dtype=np.float32)

    def unknown_names(self, text: str) -> tuple[str, ...]:
        """Capitalised words (not opening a sentence) whose stem no indexed passage contains."""
        names = _NAME.findall(text)
        return tuple(w for w in names if (t := self.terms(w)) and t[0] not in self.idf)

    def overlap(self, query_terms: list[str], text: str) -> float:
        """IDF-weighted share of the question's terms that appear in ``text`` (0..1)."""
        if not query_terms:
            return 0.0
        present = set(self.terms(text))
        weights = [self.idf.get(t, self.max_idf) for t in query_terms]
        return sum(w for t, w in zip(query_terms, weights) if t in present) / sum(weights)


class Searcher:
    """Holds the loaded index and models; ``ask`` is safe to call from many threads at once."""

    def __init__(self, index: Index, settings: Settings, weights: Weights = Weights()) -> None:
        self.index = index
        self.settings = settings
        self.weights = weights
        self.encoder = load_encoder(index.manifest["model"]["name"])
        ml = index.manifest.get("multilingual")
        self.ml_encoder = load_encoder(ml["name"]) if ml else None
        self.lexical = Lexical([c.embed_text() for c in index.chunks])
        self.chunk_doc = np.array([c.doc_id for c in index.chunks])
        self.doc_ids = sorted(index.documents)
        self.source_names = source_names(index.documents)

    def with_weights(self, weights: Weights) -> "Searcher":
        """The same index and models with other second-stage weights (the eval's ablation)."""
        twin = Searcher.__new__(Searcher)
        twin.__dict__.update(self.__dict__, weights=weights)
        return twin

    def warm(self) -> None:
        """One encode per model at start-up, so the first real question is not the slow one."""
        self.encoder.encode_with_tokens(["warm-up"])
        if self.ml_encoder is not None:
            self.ml_encoder.encode_queries(["warm-up"])

    # ---------------------------------------------------------------------------------------------- retrievers

    def parse(self, question: str, strip_sources: bool = False) -> QueryText:
        """The question as the retrievers read it.

        With ``strip_sources``, a publisher's name that picks out one document ("the KIEP piece") becomes a
        preference for that document and leaves the text: otherwise the name drags in whichever passage repeats it
        most (the authors' biographies), not the one that answers.
        """
        sources, text = frozenset(), question
        if strip_sources:
            named = {name: doc for name, doc in self.source_names.items() if re.search(rf"\b{re.escape(name)}\b", text)}
            stripped = " ".join(re.sub(rf"\b({'|'.join(map(re.escape, named))})(['’]s)?\b", " ", text).split())
            if named and len(self.lexical.terms(stripped)) >= 2:
                sources, text = frozenset(named.values()), stripped
        return QueryText(
            text=text,
            foreign=is_foreign(question),
            terms=self.lexical.terms(text),
            numbers=[n.replace(",", "") for n in _NUMBER.findall(question)],
            sources=sources,
            unknown_names=self.lexical.unknown_names(question),
            asks_sources=bool(_ASKS_SOURCES.search(question)),
            asks_people=bool(_ASKS_PEOPLE.search(question)),
        )

    @staticmethod
    def _apparatus(q: QueryText, section: str | None) -> float:
        if section == ENDNOTES_TITLE:
            return float(not q.asks_sources)
        if section == AUTHORS_TITLE:
            return float(not q.asks_people)
        return 0.0

    def _allowed(self, doc_ids: list[str] | None) -> np.ndarray | None:
        return None if not doc_ids else np.isin(self.chunk_doc, doc_ids)

    def _dense_top(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None) -> list[Ranked]:
        import faiss

        n = min(n, len(self.index.chunks))
        params = None
        if allowed is not None:
            ids = np.flatnonzero(allowed).astype(np.int64)
            if len(ids) == 0:
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))
            n = min(n, len(ids))
        scores, idx = self.index.dense.search(qvec.reshape(1, -1), n, params=params)
        return [Ranked(int(i), float(s)) for i, s in zip(idx[0], scores[0]) if i >= 0]

    def _lexical_top(self, scores: np.ndarray, n: int, allowed: np.ndarray | None) -> list[Ranked]:
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        order = top[np.lexsort((top, -scores[top]))]
        return [Ranked(int(i), float(scores[i])) for i in order if scores[i] > 0]

    def retrieve(self, question: str, k: int, doc_ids: list[str] | None = None, method: str = PIPELINE) -> Retrieval:
        """Ranked chunks for one retriever, with stage timings and the evidence the abstention step reads."""
        if method not in RETRIEVERS:
            raise ValueError(f"unknown retriever {method!r}; choose from {', '.join(RETRIEVERS)}")
        out = Retrieval(query=self.parse(question, strip_sources=method == PIPELINE))
        q = out.query
        allowed = self._allowed(doc_ids)
        n = max(self.settings.candidates, k)
        timed = out.timed

        bm25_all = timed("bm25", lambda: self.lexical.scores(q.terms)) if method != "dense" else None
        if method == "bm25":
            out.ranked = self._lexical_top(bm25_all, k, allowed)
            return out
        qvecs, qtokens = timed("encode", lambda: self.encoder.encode_with_tokens([q.text]))
        out.qvec, out.qtokens = qvecs[0], qtokens[0]
        dense = timed("faiss", lambda: self._dense_top(out.qvec, n, allowed))
        if method == "dense":
            out.ranked = dense[:k]
            return out
        lexical = timed("bm25", lambda: self._lexical_top(bm25_all, n, allowed))
        if method == "hybrid":
            out.ranked = timed("fusion", lambda: rrf([dense, lexical]))[:k]
            return out
        w = FOREIGN_WEIGHTS if q.foreign else self.weights
        if self.ml_encoder is not None and (w.ml_chunk or w.ml_sentence):
            out.ml_vec = timed("encode_multilingual", lambda: self.ml_encoder.encode_queries([q.text])[0])
        ranked, out.evidence = timed("rerank", lambda: self._second_stage(out, bm25_all, dense, lexical, allowed))
        out.ranked = ranked[:k]
        return out

    def candidates(self, r: Retrieval, dense: list[Ranked], lexical: list[Ranked], allowed) -> np.ndarray:
        """The union of every first-stage retriever's top chunks (the multilingual model's too)."""
        ix = self.index
        cands = {x.chunk for x in dense} | {x.chunk for x in lexical}
        if r.ml_vec is not None and ix.ml_chunk_vectors is not None:
            ml_scores = ix.ml_chunk_vectors @ r.ml_vec
            cands |= set(np.argsort(-ml_scores)[: self.settings.candidates].tolist())
        return np.array(sorted(c for c in cands if allowed is None or allowed[c]), dtype=np.int64)

    def features(self, r: Retrieval, cand: np.ndarray, bm25_all: np.ndarray) -> dict[str, np.ndarray]:
        """Raw second-stage evidence for each candidate chunk: similarities, BM25, matched numbers, named source."""
        ix, q = self.index, r.query
        zeros = np.zeros(len(cand))

        def best_sentence(vectors: np.ndarray, qvec: np.ndarray) -> np.ndarray:
            return np.array([float((vectors[ix.chunk_sentences[c]] @ qvec).max()) for c in cand])

        ml = r.ml_vec is not None and ix.ml_chunk_vectors is not None
        return {
            "chunk": ix.chunk_vectors[cand] @ r.qvec,
            "sentence": best_sentence(ix.sentence_vectors, r.qvec),
            "maxsim": self._maxsim(r.qtokens, cand),
            "bm25": bm25_all[cand],
            "ml_chunk": ix.ml_chunk_vectors[cand] @ r.ml_vec if ml else zeros,
            "ml_sentence": best_sentence(ix.ml_sentence_vectors, r.ml_vec) if ml else zeros,
            "numbers": np.array([number_match(q, ix.chunks[c].text) for c in cand]),
            "source": np.array([float(ix.chunks[c].doc_id in q.sources) for c in cand]),
            "apparatus": np.array([self._apparatus(q, ix.chunks[c].section) for c in cand]),
        }

    def _maxsim(self, qtokens: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """ColBERT-style late interaction: the mean over question tokens of each one's best match in the chunk."""
        offsets = self.index.token_offsets
        rows = np.concatenate([np.arange(offsets[c], offsets[c + 1]) for c in cand])
        sims = qtokens.astype(np.float32) @ self.index.token_vectors[rows].astype(np.float32).T
        starts = np.concatenate([[0], np.cumsum(offsets[cand + 1] - offsets[cand])[:-1]])
        return np.maximum.reduceat(sims, starts, axis=1).mean(axis=0)

    def _second_stage(self, r: Retrieval, bm25_all, dense, lexical, allowed) -> tuple[list[Ranked], dict]:
        cand = self.candidates(r, dense, lexical, allowed)
        if len(cand) == 0:
            return [], {}
        raw = self.features(r, cand, bm25_all)
        w = FOREIGN_WEIGHTS if r.query.foreign else self.weights
        score = sum(getattr(w, name) * (v if name in UNSCALED else minmax(v)) for name, v in raw.items())
        order = np.argsort(-score, kind="stable")
        top = order[0]
        sentence = "ml_sentence" if r.query.foreign else "sentence"
        evidence = {
            "top_sentence": float(raw[sentence][top]),
            "top_maxsim": float(raw["maxsim"][top]),
            # None when the question has no number; else the best share of its numbers found in one top passage
            "numbers_found": float(raw["numbers"][order[:3]].max()) if r.query.numbers else None,
        }
        return [Ranked(int(cand[i]), float(score[i])) for i in order], evidence

    # ------------------------------------------------------------------------------------------ answer object

    def confidence(self, q: QueryText, evidence: dict) -> float | None:
        """A 0..1 answerability score from the top passages' evidence; below 0.5 the service abstains.

        Either of two similarities can say "off topic": the top passage's best sentence (MiniLM) and its MaxSim
        (does any of its tokens match each of the question's).  Two more signs lower it whatever the similarity:
        a year or figure the question names that none of the top three passages contains (the papers give other
        years' figures, not this one), and two or more names the corpus never uses (it is not about them).
        A question that names a paper's publisher is about the papers, however vague the rest of it is.
        For Korean only the multilingual model's best sentence is comparable, and it separates far less well, so
        the bar is low.  The constants sit just under the lowest values of the gold set's answerable questions,
        trading towards answering (a false abstention costs more than a missed one); ``alliance-qa eval``
        reports the precision/recall of every threshold.
        """
        if not evidence:
            return None
        if q.foreign:
            z = 30.0 * (evidence["top_sentence"] - 0.76)
        else:
            z = min(25.0 * (evidence["top_sentence"] - 0.21), 25.0 * (evidence["top_maxsim"] - 0.28))
            if q.sources:  # it names a paper's publisher ("Who wrote the KIEP piece?"): on topic by definition
                z = max(z, 2.0)
            z -= 15.0 * (evidence["numbers_found"] == 0.0)
            z -= 15.0 * (len(q.unknown_names) >= 2)
        return 1.0 / (1.0 + math.exp(-z))

    def highlight(self, r: Retrieval, chunk: int) -> Highlight | None:
        """The sentence of a passage that best answers the question, by meaning and by the question's words.

        When a neighbour scores nearly as well (within ``PAIR_MARGIN``), both are returned: a passage often names
        its topic in one sentence and gives the answer in the next, and the gold set's highlight accuracy rose
        from 0.81 to 0.90 (on top passages that contain an answer) with the pair.
        """
        ix, q = self.index, r.query
        rows = ix.chunk_sentences[chunk]
        if not rows:
            return None
        if q.foreign and r.ml_vec is not None and ix.ml_sentence_vectors is not None:
            sims = ix.ml_sentence_vectors[rows] @ r.ml_vec
        else:
            sims = ix.sentence_vectors[rows] @ r.qvec
        spans = [ix.sentence_spans[row] for row in rows]
        doc = ix.documents[spans[0][0]]
        scores = []
        for (_, a, b), sim in zip(spans, sims):
            text = doc.text[a:b]
            score = float(sim) + 0.3 * self.lexical.overlap(q.terms, text) + 0.25 * number_match(q, text)
            if len(text.split()) < 5:  # a heading or a stray fragment is never the answer sentence
                score -= 1.0
            scores.append(score)
        best = int(np.argmax(scores))
        first = last = best
        pairs = [(i, i + 1) for i in (best - 1, best) if 0 <= i and i + 1 < len(rows)]
        close = [(i, j) for i, j in pairs if min(scores[i], scores[j]) >= scores[best] - PAIR_MARGIN]
        if close:
            first, last = max(close, key=lambda p: scores[p[0]] + scores[p[1]])
        a, b = spans[first][1], spans[last][2]
        return Highlight(text=doc.text[a:b], char_start=a, char_end=b)

    def ask(self, question: str, k: int = 5, doc_ids: list[str] | None = None, method: str = PIPELINE) -> Answer:
        t0 = time.perf_counter()
        question = question.strip()
        r = self.retrieve(question, k, doc_ids, method)
        if r.qvec is None:  # bm25 alone never encoded the question, but its answer sentences still need meaning
            qvecs, _ = r.timed("encode", lambda: self.encoder.encode_with_tokens([r.query.text]))
            r.qvec = qvecs[0]
        if r.query.foreign and r.ml_vec is None and self.ml_encoder is not None:
            r.ml_vec = r.timed("encode_multilingual", lambda: self.ml_encoder.encode_queries([question])[0])
        passages = r.timed("highlight", lambda: [self._passage(r, rank, hit) for rank, hit in enumerate(r.ranked, 1)])
        confidence = self.confidence(r.query, r.evidence) if method == PIPELINE else None
        r.timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(
            question=question,
            abstained=confidence is not None and confidence < self.settings.abstain_threshold,
            confidence=None if confidence is None else round(confidence, 4),
            passages=passages,
            timings_ms={name: round(ms, 3) for name, ms in r.timings.items()},
        )

    def _passage(self, r: Retrieval, rank: int, hit: Ranked) -> Passage:
        c = self.index.chunks[hit.chunk]
        doc = self.index.documents[c.doc_id]
        return Passage(
            rank=rank,
            score=round(hit.score, 6),
            text=c.text,
            highlight=self.highlight(r, hit.chunk),
            citation=Citation(
                doc_id=doc.doc_id,
                title=doc.title,
                authors=doc.authors,
                publisher=doc.publisher,
                date=doc.date,
                url=doc.url,
                section=c.section,
                char_start=c.char_start,
                char_end=c.char_end,
                footnotes=[FootnoteRef(marker=f.marker, text=f.text) for f in doc.footnotes_in(c.char_start, c.char_end)],
            ),
        )


def minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x, dtype=np.float64)


def number_match(q: QueryText, text: str) -> float:
    """Share of the question's numbers (years, figures) that appear verbatim in ``text``."""
    if not q.numbers:
        return 0.0
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    return sum(n in found for n in q.numbers) / len(q.numbers)


# Words of an organisation's name too common to pick out one publisher.
_GENERIC_NAME_WORDS = {
    "the", "of", "for", "and", "institute", "foundation", "center", "centre", "council", "university", "international",
    "economic", "economics", "policy", "studies", "research", "korea", "korean", "united", "states", "national",
    "american", "association", "society", "press", "institution", "school", "group", "office", "department",
}


def source_names(documents: dict) -> dict[str, str]:
    """Names of one document's publisher and no other's, mapped to that doc_id, longest first.

    The publisher's full name ("Korea Institute for International Economic Policy", "Heritage Foundation") and
    its distinctive words ("KIEP", "Heritage"), so "the Heritage Foundation's brief" loses the whole name.
    """
    names: dict[str, set[str]] = {}
    for doc in documents.values():
        publisher = doc.publisher or ""
        full = re.sub(r"\s*\(.*?\)", "", publisher).strip()
        words = {
            w for w in re.findall(r"[A-Z][A-Za-z&-]+", publisher)
            if w.lower() not in _GENERIC_NAME_WORDS and (w.isupper() or len(w) > 3)
        }
        names[doc.doc_id] = words | ({full, full.removeprefix("The ")} if words and full else set())
    counts = Counter(w for words in names.values() for w in words)
    unique = [(w, doc_id) for doc_id, words in names.items() for w in words if counts[w] == 1]
    return dict(sorted(unique, key=lambda pair: -len(pair[0])))


def rrf(rankings: list[list[Ranked]], k: int = RRF_K) -> list[Ranked]:
    """Reciprocal-rank fusion: robust to the very different score scales of BM25 and cosine similarity."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, r in enumerate(ranking, start=1):
            fused[r.chunk] = fused.get(r.chunk, 0.0) + 1.0 / (k + rank)
    return [Ranked(c, s) for c, s in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))]
