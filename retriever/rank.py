"""Ranking chunks: first-stage top lists, reciprocal-rank fusion, and the second stage's features and fusion.

The second stage scores the union of the first stages' candidates by a weighted sum (``tuning.Weights``) of
features min-max normalised among them: the chunk's similarity, its late-interaction (MaxSim) score, its BM25 score,
the question's numbers found in it, whether the question names its document, whether it is the paper's apparatus.
No cross-encoder ships offline, so the second stage reuses vectors computed at index time: MaxSim over stored token
vectors is one matrix product, and sharper than the chunk vector, which averages everything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .documents import AUTHORS_TITLE, ENDNOTES_TITLE
from .index import Index
from .query import Query, number_match
from .tuning import RRF_K, UNSCALED, Weights


@dataclass
class Ranked:
    chunk: int
    score: float
    merged: tuple[int, ...] = ()  # weaker chunks overlapping this one, returned as one passage with it (``distinct``)

    def chunks(self) -> tuple[int, ...]:
        return (self.chunk, *self.merged)


@dataclass
class QueryVectors:
    """The question as the encoders see it (``multilingual`` only when the multilingual model was asked)."""

    english: np.ndarray
    tokens: np.ndarray
    multilingual: np.ndarray | None = None
    unnamed: np.ndarray | None = None  # the question without its names (``answer.read_passage``), once asked for


# -------------------------------------------------------------------------------------------------- first stage


def allowed_mask(chunk_docs: np.ndarray, doc_ids: list[str] | None) -> np.ndarray | None:
    """Which chunks (given each one's doc_id) a document filter lets through (None: all)."""
    return np.isin(chunk_docs, doc_ids) if doc_ids else None


def dense_top(index: Index, qvec: np.ndarray, n: int, allowed: np.ndarray | None) -> list[Ranked]:
    """The ``n`` chunks nearest the question vector in FAISS, within the filter."""
    import faiss

    n = min(n, len(index.chunks))
    params = None
    if allowed is not None:
        ids = np.flatnonzero(allowed).astype(np.int64)
        if len(ids) == 0:
            return []
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))
        n = min(n, len(ids))
    scores, idx = index.dense.search(qvec.reshape(1, -1), n, params=params)
    return [Ranked(int(i), float(s)) for i, s in zip(idx[0], scores[0]) if i >= 0]


def lexical_top(scores: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[Ranked]:
    """The ``n`` best-scoring chunks with a score above zero, best first, ties to the earlier chunk.

    A partition finds the n-th best score, then only the chunks at least that good are sorted: a full sort cost
    89 of 93 ms at 1M chunks (bench.scale).  Chunks tied with the n-th are all kept for the sort, so which of them
    makes the cut does not depend on the partition's order.
    """
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    keep = scores > 0
    if n < len(scores):
        keep &= scores >= -np.partition(-scores, n - 1)[n - 1]
    top = np.flatnonzero(keep)
    order = top[np.lexsort((top, -scores[top]))][:n]
    return [Ranked(int(i), float(scores[i])) for i in order]


def distinct(index: Index, ranked: list[Ranked], k: int) -> list[Ranked]:
    """The ranking with no two of its first ``k`` passages overlapping in the text.

    Chunks share sentences at their edges, and a reader should never be shown the same sentence twice.  A weaker
    chunk that overlaps one of the first ``k`` joins it as one longer passage rather than being dropped, since the
    answer may sit in its part that does not overlap; below the first ``k``, overlapping chunks are dropped.
    """
    kept: list[Ranked] = []
    spans: list[tuple[str, int, int]] = []  # each kept passage's document and span, kept beside it
    rest: list[Ranked] = []
    for r in ranked:
        c = index.chunks[r.chunk]
        hits = [i for i, (doc, a, b) in enumerate(spans) if doc == c.doc_id and c.char_start < b and a < c.char_end]
        if not hits:
            if len(kept) < k:
                kept.append(r)
                spans.append((c.doc_id, c.char_start, c.char_end))
            else:
                rest.append(r)
        elif len(kept) < k:  # one passage of every kept passage it touches, the best of them first
            first = kept[hits[0]]
            absorbed = [c for i in hits[1:] for c in kept[i].chunks()]
            kept[hits[0]] = Ranked(first.chunk, first.score, (*first.merged, *absorbed, r.chunk))
            spans[hits[0]] = (c.doc_id, *span(index, kept[hits[0]]))
            for i in reversed(hits[1:]):
                del kept[i], spans[i]
    below: list[Ranked] = []
    for r in rest:  # below the first k, a chunk overlapping anything kept so far goes
        c = index.chunks[r.chunk]
        if not any(doc == c.doc_id and c.char_start < b and a < c.char_end for doc, a, b in spans):
            below.append(r)
            spans.append((c.doc_id, c.char_start, c.char_end))
    return kept + below


def span(index: Index, r: Ranked) -> tuple[int, int]:
    """Where a (possibly merged) passage starts and ends in its document's canonical text."""
    chunks = [index.chunks[c] for c in r.chunks()]
    return min(c.char_start for c in chunks), max(c.char_end for c in chunks)


def compared(index: Index, ranked: list[Ranked], named: frozenset[str], n: int = 2) -> tuple[str, ...]:
    """The documents a comparison is between: those the question names, filled up to ``n`` with the best-ranked."""
    if len(named) >= n:
        return tuple(sorted(named))
    return tuple(dict.fromkeys([*sorted(named), *(index.chunks[r.chunk].doc_id for r in ranked)]))[:n]


def cover(index: Index, ranked: list[Ranked], docs: tuple[str, ...], k: int) -> list[Ranked]:
    """The ranking with each of ``docs`` among its first ``k``: a missing document's best chunk takes the place of the
    lowest-ranked chunk of a document that has more than one there."""
    top, rest = list(ranked[:k]), list(ranked[k:])
    for doc_id in docs:
        doc_of = [index.chunks[r.chunk].doc_id for r in top]
        if doc_id in doc_of:
            continue
        best = next((r for r in rest if index.chunks[r.chunk].doc_id == doc_id), None)
        spare = next((i for i in reversed(range(len(top))) if doc_of.count(doc_of[i]) > 1), None)
        if best is None:
            continue
        if spare is None and len(top) >= k:
            continue
        rest.remove(best)
        if spare is None:
            top.append(best)
        else:
            rest.insert(0, top.pop(spare))
            top.append(best)
    return top + rest


def rrf(rankings: list[list[Ranked]], k: int = RRF_K, weights: list[float] | None = None) -> list[Ranked]:
    """Reciprocal-rank fusion: robust to the very different score scales of BM25 and cosine similarity.  Each
    ranking's 1 / (k + rank) is multiplied by its weight (1 each unless ``weights`` says otherwise)."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, r in enumerate(ranking, start=1):
            fused[r.chunk] = fused.get(r.chunk, 0.0) + weight / (k + rank)
    return [Ranked(c, s) for c, s in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))]


# ------------------------------------------------------------------------------------------------- second stage


def candidates(index: Index, vectors: QueryVectors, first_stage: list[list[Ranked]], n: int,
               allowed: np.ndarray | None) -> np.ndarray:
    """The union of every first-stage retriever's top chunks (and the multilingual model's top ``n``), in order."""
    cands = {r.chunk for ranking in first_stage for r in ranking}
    if vectors.multilingual is not None and index.multilingual_chunk_vectors is not None:
        scores = index.multilingual_chunk_vectors @ vectors.multilingual
        cands |= set(np.argsort(-scores)[:n].tolist())
    return np.array(sorted(c for c in cands if allowed is None or allowed[c]), dtype=np.int64)


# MaxSim's products without a per-question copy of the candidates' token rows where that can be helped.  Gathering
# the rows of 49 candidates (~115 tokens each) copied ~9 MB a question; under 16 concurrent clients those copies
# held ~50 MB more of a worker's memory (bench.load), and the copy cost more than a product over every chunk's rows
# (2.4 against 1.7 ms for 50 chunks).  So when the candidates hold most of the rows (a small corpus, where the two
# first stages' top 30 are most of it) one product covers every chunk; otherwise the rows are gathered in blocks of
# at most ``MAXSIM_BLOCK_ROWS`` (~3 MB), not all at once.  (A view per candidate copies nothing but holds the GIL
# between the products: 12% less throughput under load.)
MAXSIM_ALL_ROWS_SHARE = 0.6  # gathering a row costs ~1.5x its share of a product over all rows (0.43 vs 0.29 µs)
MAXSIM_BLOCK_ROWS = 2048


def maxsim(index: Index, qtokens: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """ColBERT-style late interaction: the mean over question tokens of each one's best match in the chunk."""
    q = qtokens.astype(np.float32)
    offsets, tokens = index.token_offsets, index.scoring_tokens
    lengths = offsets[cand + 1] - offsets[cand]
    if lengths.sum() >= MAXSIM_ALL_ROWS_SHARE * len(tokens):
        return np.maximum.reduceat(q @ tokens.T, offsets[:-1], axis=1)[:, cand].mean(axis=0)
    ends = np.cumsum(lengths)
    out = [np.zeros(0, dtype=np.float32)]
    first = 0
    while first < len(cand):
        # the candidates from ``first`` whose rows fit in one block (always at least one)
        last = max(first + 1, int(np.searchsorted(ends, ends[first] - lengths[first] + MAXSIM_BLOCK_ROWS, "right")))
        block, sizes = cand[first:last], lengths[first:last]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        # each candidate's token rows, in order: its first row plus 0, 1, ... up to its length
        rows = np.repeat(offsets[block] - starts, sizes) + np.arange(int(sizes.sum()))
        out.append(np.maximum.reduceat(q @ tokens[rows].T, starts, axis=1).mean(axis=0))
        first = last
    return np.concatenate(out)


def apparatus(q: Query, section: str | None, front: bool = False) -> float:
    """1 when a chunk is endnotes the question does not ask about, biographies of people it does not ask about, or
    the front matter (title and byline) of a paper whose authors and record it does not ask about."""
    if section == ENDNOTES_TITLE:
        return float(not q.asks_sources)
    if section == AUTHORS_TITLE:
        return float(not q.asks_people)
    if front:
        return float(not (q.asks_people or q.asks_paper))
    return 0.0


def features(index: Index, q: Query, vectors: QueryVectors, cand: np.ndarray, bm25_all: np.ndarray,
             foreign: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Raw second-stage evidence for each candidate chunk, one array per term of ``tuning.Weights``.

    ``foreign`` marks the chunks (over the whole index) the English model cannot read for this question: Korean
    chunks for a question in English.  Their English-model evidence is meaningless, so the multilingual model's
    stands in for it (``on_scale_of``).
    """
    zeros = np.zeros(len(cand))

    def best_sentence(sentence_vectors: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        return np.array([float((sentence_vectors[index.chunk_sentences[c]] @ qvec).max()) for c in cand])

    multilingual = vectors.multilingual is not None and index.multilingual_chunk_vectors is not None
    raw = {
        "chunk": index.chunk_vectors[cand] @ vectors.english,
        "sentence": best_sentence(index.sentence_vectors, vectors.english),
        "maxsim": maxsim(index, vectors.tokens, cand),
        "bm25": bm25_all[cand],
        "multilingual_chunk": index.multilingual_chunk_vectors[cand] @ vectors.multilingual if multilingual else zeros,
        "multilingual_sentence": (best_sentence(index.multilingual_sentence_vectors, vectors.multilingual)
                                  if multilingual else zeros),
        "numbers": np.array([number_match(q, index.chunks[c].text) for c in cand]),
        "source": np.array([float(index.chunks[c].doc_id in q.sources) for c in cand]),
        "apparatus": np.array([apparatus(q, ch.section, index.documents[ch.doc_id].in_front_matter(ch.char_start))
                               for ch in (index.chunks[c] for c in cand)]),
    }
    if multilingual and foreign is not None and foreign[cand].any():
        other = foreign[cand]
        raw["chunk"] = on_scale_of(raw["chunk"], raw["multilingual_chunk"], other)
        raw["maxsim"] = on_scale_of(raw["maxsim"], raw["multilingual_chunk"], other)
        raw["sentence"] = on_scale_of(raw["sentence"], raw["multilingual_sentence"], other)
    return raw


def on_scale_of(native: np.ndarray, multilingual: np.ndarray, foreign: np.ndarray) -> np.ndarray:
    """``native`` scores, with the ``foreign`` candidates' multilingual scores put in place on the native scale.

    The two models' similarities live on different scales (MiniLM's cosines spread wider and lower than
    multilingual-e5's), so a foreign score is mapped by matching the mean and spread of both models' scores over the
    candidates both can read; the map keeps the multilingual model's order.  A mapped score is kept within the
    native scores' range, so the min-max normalisation sees the same range and the native candidates compare as they
    would without foreign ones (on the bilingual fixture, unclipped scores cost en->en a hit@1 for one en->ko).  With
    fewer than two native candidates (a corpus in the other language only) every candidate takes its multilingual
    score, which compares alike.
    """
    both = ~foreign
    if both.sum() < 2 or float(multilingual[both].std()) == 0.0:
        return multilingual.astype(np.float64)
    z = (multilingual[foreign] - multilingual[both].mean()) / multilingual[both].std()
    out = native.astype(np.float64)
    out[foreign] = np.clip(native[both].mean() + z * native[both].std(), native[both].min(), native[both].max())
    return out


def minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x, dtype=np.float64)


def fuse(raw: dict[str, np.ndarray], weights: Weights) -> np.ndarray:
    """The weighted sum of the features, each min-max normalised among the candidates unless it is a share or flag."""
    return sum(getattr(weights, name) * (v if name in UNSCALED else minmax(v)) for name, v in raw.items())


def second_stage(index: Index, q: Query, vectors: QueryVectors, cand: np.ndarray, bm25_all: np.ndarray,
                 weights: Weights, foreign: np.ndarray | None = None) -> tuple[list[Ranked], dict[str, float | None]]:
    """Candidates reranked, and the evidence about the top ones that the confidence score reads."""
    if len(cand) == 0:
        return [], {}
    raw = features(index, q, vectors, cand, bm25_all, foreign)
    score = fuse(raw, weights)
    order = np.argsort(-score, kind="stable")
    top = order[0]
    sentence = "multilingual_sentence" if q.hangul else "sentence"
    evidence = {
        "top_sentence": float(raw[sentence][top]),
        "top_maxsim": float(raw["maxsim"][top]),
        # None when the question has no number; else the best share of its numbers found in one top passage
        "numbers_found": float(raw["numbers"][order[:3]].max()) if q.numbers else None,
    }
    return [Ranked(int(cand[i]), float(score[i])) for i in order], evidence
