"""Synthetic corpora for the scale benchmark, at any size: vectors that bracket real embeddings, and chunks of real
sentences.

The project's own corpus is 50 chunks; these stand in for 10k to 1M.  ``random`` unit vectors have no structure (the
worst case for a graph index), ``clustered`` ones have topic structure and a low intrinsic dimension like sentence
embeddings (an optimistic case); chunks are the corpus's real sentences drawn at random, so BM25 sees real term
statistics.
"""

from __future__ import annotations

import numpy as np

DIM = 384  # all-MiniLM-L6-v2
CHUNK_WORDS = 100
VECTOR_KINDS = ("random", "clustered")


def random_unit_vectors(n: int, d: int = DIM, seed: int = 0, batch: int = 65_536) -> np.ndarray:
    """``n`` random float32 unit vectors, generated in batches so 1M x 384 never needs a float64 copy."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, d), dtype=np.float32)
    for i in range(0, n, batch):
        block = rng.standard_normal((min(batch, n - i), d), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[i : i + len(block)] = block
    return out


def clustered_unit_vectors(n: int, d: int = DIM, seed: int = 0, sample_seed: int = 1, latent: int = 32,
                           clusters: int = 1000, spread: float = 0.6, noise: float = 0.15,
                           batch: int = 65_536) -> np.ndarray:
    """``n`` unit vectors with topic structure and low intrinsic dimension, like sentence embeddings.

    ``seed`` fixes the structure (topic centres, projection) and ``sample_seed`` the draw, so a corpus and its
    queries share topics without sharing points.
    """
    structure = np.random.default_rng(seed)
    proj = structure.standard_normal((latent, d), dtype=np.float32) / np.float32(np.sqrt(latent))
    centres = structure.standard_normal((clusters, latent), dtype=np.float32)
    rng = np.random.default_rng(sample_seed)
    out = np.empty((n, d), dtype=np.float32)
    for i in range(0, n, batch):
        m = min(batch, n - i)
        z = centres[rng.integers(0, clusters, m)] + np.float32(spread) * rng.standard_normal((m, latent),
                                                                                            dtype=np.float32)
        block = z @ proj + np.float32(noise) * rng.standard_normal((m, d), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[i : i + m] = block
    return out


def make_vectors(kind: str, n: int, seed: int, queries: bool = False) -> np.ndarray:
    """Corpus (or query) vectors of one kind; queries are a different draw from the same distribution."""
    if kind == "random":
        return random_unit_vectors(n, seed=seed + 1_000_003 if queries else seed)
    if kind == "clustered":
        return clustered_unit_vectors(n, seed=seed, sample_seed=seed + (2 if queries else 1))
    raise ValueError(f"unknown vector kind {kind!r}; choose from {', '.join(VECTOR_KINDS)}")


def corpus_sentences(min_words: int = 4) -> list[str]:
    """Sentences of the project's canonical texts, split by the chunker's own sentence splitter."""
    from retriever.chunking import sentence_spans
    from retriever.config import Settings
    from retriever.corpus import load_corpus

    out = []
    for doc in load_corpus(Settings.from_env().corpus_dir).documents:
        for a, b in sentence_spans(doc.text):
            s = " ".join(doc.text[a:b].split())
            if len(s.split()) >= min_words:
                out.append(s)
    return out


def synthetic_chunks(sentences: list[str], n: int, words: int = CHUNK_WORDS, seed: int = 0) -> list[str]:
    """``n`` chunks of about ``words`` words, each a random draw of real sentences (so real term statistics).

    Sentence indices are drawn in large batches: one draw per sentence would dominate the run at 1M chunks.
    """
    rng = np.random.default_rng(seed)
    lengths = np.array([len(s.split()) for s in sentences])
    draws = rng.integers(0, len(sentences), size=n * max(2, 2 * words // max(1, int(lengths.mean()))) + 64)
    chunks, pos = [], 0
    for _ in range(n):
        parts, count = [], 0
        while count < words:
            if pos >= len(draws):
                draws, pos = rng.integers(0, len(sentences), size=len(draws)), 0
            j = draws[pos]
            pos += 1
            parts.append(sentences[j])
            count += lengths[j]
        chunks.append(" ".join(parts))
    return chunks
