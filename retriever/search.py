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

import math
import re
import time
from dataclasses import dataclass, field

import numpy as np

from .config import Settings
from .encoders import load_encoder
from .index import Index
from .schema import Answer, Citation, FootnoteRef, Highlight, Passage

RETRIEVERS = ("bm25", "dense", "hybrid", "pipeline")
PIPELINE = "pipeline"
RRF_K = 60

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Weights:
    """Second-stage weights (see the eval report for what each term adds)."""

    chunk: float = 0.30
    sentence: float = 0.40
    bm25: float = 0.20
    multilingual: float = 0.10
    numbers: float = 0.10


@dataclass(frozen=True)
class QueryText:
    text: str
    foreign: bool  # written in a script the English model and BM25 cannot read
    terms: list[str]
    numbers: list[str]


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

    def warm(self) -> None:
        """One encode per model at start-up, so the first real question is not the slow one."""
        self.encoder.encode_queries(["warm-up"])
        if self.ml_encoder is not None:
            self.ml_encoder.encode_queries(["warm-up"])

    # ---------------------------------------------------------------------------------------------- retrievers

    def parse(self, question: str) -> QueryText:
        return QueryText(
            text=question,
            foreign=is_foreign(question),
            terms=self.lexical.terms(question),
            numbers=[n.replace(",", "") for n in _NUMBER.findall(question)],
        )

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
        order = np.argsort(-scores, kind="stable")[:n]
        return [Ranked(int(i), float(scores[i])) for i in order if scores[i] > 0]

    def retrieve(self, question: str, k: int, doc_ids: list[str] | None = None, method: str = PIPELINE) -> Retrieval:
        """Ranked chunks for one retriever, with stage timings and the evidence the abstention step reads."""
        if method not in RETRIEVERS:
            raise ValueError(f"unknown retriever {method!r}; choose from {', '.join(RETRIEVERS)}")
        out = Retrieval(query=self.parse(question))
        allowed = self._allowed(doc_ids)
        n = max(self.settings.candidates, k)
        timed = out.timed

        bm25_all = timed("bm25", lambda: self.lexical.scores(out.query.terms)) if method != "dense" else None
        if method == "bm25":
            out.ranked = self._lexical_top(bm25_all, k, allowed)
            return out
        out.qvec = timed("encode", lambda: self.encoder.encode_queries([question])[0])
        dense = timed("faiss", lambda: self._dense_top(out.qvec, n, allowed))
        if method == "dense":
            out.ranked = dense[:k]
            return out
        lexical = timed("bm25", lambda: self._lexical_top(bm25_all, n, allowed))
        if method == "hybrid":
            out.ranked = timed("fusion", lambda: rrf([dense, lexical]))[:k]
            return out
        if self.ml_encoder is not None:
            out.ml_vec = timed("encode_multilingual", lambda: self.ml_encoder.encode_queries([question])[0])
        ranked, out.evidence = timed(
            "rerank", lambda: self._second_stage(out.query, out.qvec, out.ml_vec, bm25_all, dense, lexical, allowed)
        )
        out.ranked = ranked[:k]
        return out

    def _second_stage(self, q, qvec, ml_vec, bm25_all, dense, lexical, allowed) -> tuple[list[Ranked], dict]:
        ix, w = self.index, self.weights
        cands = {r.chunk for r in dense} | {r.chunk for r in lexical}
        if ml_vec is not None and ix.ml_chunk_vectors is not None:
            ml_scores = ix.ml_chunk_vectors @ ml_vec
            cands |= set(np.argsort(-ml_scores)[: self.settings.candidates].tolist())
        cand = np.array(sorted(c for c in cands if allowed is None or allowed[c]), dtype=np.int64)
        if len(cand) == 0:
            return [], {"top_sentence": 0.0, "coverage": 0.0}
        chunk_sim = ix.chunk_vectors[cand] @ qvec
        sent_sim = np.array([float((ix.sentence_vectors[ix.chunk_sentences[c]] @ qvec).max()) for c in cand])
        bm = bm25_all[cand]
        bm_norm = bm / bm.max() if bm.max() > 0 else np.zeros_like(bm)
        if ml_vec is not None and ix.ml_chunk_vectors is not None:
            ml_chunk = ix.ml_chunk_vectors[cand] @ ml_vec
            ml_sent = np.array([float((ix.ml_sentence_vectors[ix.chunk_sentences[c]] @ ml_vec).max()) for c in cand])
        else:
            ml_chunk = ml_sent = np.zeros(len(cand))
        nums = np.array([self._number_match(q, ix.chunks[c].text) for c in cand])
        if q.foreign:  # the English model and BM25 see only stray Latin words: trust the multilingual model
            score = 0.45 * ml_chunk + 0.45 * ml_sent + 0.05 * bm_norm + w.numbers * nums
        else:
            score = (
                w.chunk * chunk_sim + w.sentence * sent_sim + w.bm25 * bm_norm
                + w.multilingual * ml_chunk + w.numbers * nums
            )
        order = np.argsort(-score, kind="stable")
        ranked = [Ranked(int(cand[i]), float(score[i])) for i in order]
        top = order[0]
        evidence = {
            "top_sentence": float(ml_sent[top] if q.foreign else sent_sim[top]),
            "top_chunk": float(ml_chunk[top] if q.foreign else chunk_sim[top]),
            "coverage": self.lexical.overlap(q.terms, ix.chunks[int(cand[top])].text),
            "margin": float(score[order[0]] - score[order[1]]) if len(order) > 1 else 1.0,
        }
        return ranked, evidence

    @staticmethod
    def _number_match(q: QueryText, text: str) -> float:
        if not q.numbers:
            return 0.0
        found = {n.replace(",", "") for n in _NUMBER.findall(text)}
        return sum(n in found for n in q.numbers) / len(q.numbers)

    # ------------------------------------------------------------------------------------------ answer object

    def answerable(self, q: QueryText, evidence: dict) -> float:
        """A 0..1 answerability score from the second stage's evidence; below the threshold the service abstains."""
        if not evidence:
            return 1.0
        s = evidence["top_sentence"]
        cov = evidence["coverage"] if not q.foreign else 0.5
        z = 12.0 * (s - 0.42) + 3.0 * (cov - 0.4)
        return 1.0 / (1.0 + math.exp(-z))

    def highlight(self, q: QueryText, qvec: np.ndarray | None, ml_vec: np.ndarray | None, chunk: int) -> Highlight | None:
        """The sentence of a passage that best answers the question, by meaning and by the question's words."""
        ix = self.index
        rows = ix.chunk_sentences[chunk]
        if not rows:
            return None
        if q.foreign and ml_vec is not None and ix.ml_sentence_vectors is not None:
            sims = ix.ml_sentence_vectors[rows] @ ml_vec
        elif qvec is not None:
            sims = ix.sentence_vectors[rows] @ qvec
        else:
            sims = np.zeros(len(rows))
        best, best_score = None, -np.inf
        for row, sim in zip(rows, sims):
            doc_id, a, b = ix.sentence_spans[row]
            text = ix.documents[doc_id].text[a:b]
            words = len(text.split())
            score = float(sim) + 0.3 * self.lexical.overlap(q.terms, text) + 0.25 * self._number_match(q, text)
            if words < 5:  # a heading or a stray fragment is never the answer sentence
                score -= 1.0
            if score > best_score:
                best, best_score = (doc_id, a, b), score
        doc_id, a, b = best
        return Highlight(text=ix.documents[doc_id].text[a:b], char_start=a, char_end=b)

    def ask(self, question: str, k: int = 5, doc_ids: list[str] | None = None, method: str = PIPELINE) -> Answer:
        t0 = time.perf_counter()
        question = question.strip()
        r = self.retrieve(question, k, doc_ids, method)
        if r.qvec is None:  # bm25 alone never encoded the question, but its answer sentences still need meaning
            r.qvec = r.timed("encode", lambda: self.encoder.encode_queries([question])[0])
        if r.query.foreign and r.ml_vec is None and self.ml_encoder is not None:
            r.ml_vec = r.timed("encode_multilingual", lambda: self.ml_encoder.encode_queries([question])[0])
        passages = r.timed("highlight", lambda: [self._passage(r, rank, hit) for rank, hit in enumerate(r.ranked, 1)])
        abstained = method == PIPELINE and self.answerable(r.query, r.evidence) < self.settings.abstain_threshold
        r.timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(
            question=question,
            abstained=abstained,
            passages=passages,
            timings_ms={name: round(ms, 3) for name, ms in r.timings.items()},
        )

    def _passage(self, r: "Retrieval", rank: int, hit: Ranked) -> Passage:
        c = self.index.chunks[hit.chunk]
        doc = self.index.documents[c.doc_id]
        return Passage(
            rank=rank,
            score=round(hit.score, 6),
            text=c.text,
            highlight=self.highlight(r.query, r.qvec, r.ml_vec, hit.chunk),
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


def rrf(rankings: list[list[Ranked]], k: int = RRF_K) -> list[Ranked]:
    """Reciprocal-rank fusion: robust to the very different score scales of BM25 and cosine similarity."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, r in enumerate(ranking, start=1):
            fused[r.chunk] = fused.get(r.chunk, 0.0) + 1.0 / (k + rank)
    return [Ranked(c, s) for c, s in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))]
