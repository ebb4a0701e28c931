"""The index on disk: write it, check it, read it, and never serve a stale or half-written one.

Layout of ``index_dir``::

    current -> build-<id>      symlink, swapped atomically once a build is complete
    build-<id>/manifest.json   what built this index (models, parameters, corpus and code checksums, versions, files)
    build-<id>/documents.json  canonical texts, metadata, sections, endnotes
    build-<id>/chunks.json     chunk spans and their sentences
    build-<id>/dense.faiss     chunk vectors (English model), and the same as chunk_vectors.npy
    build-<id>/sentences.npy   sentence vectors (English model), for answer sentences and sentence-level scoring
    build-<id>/token_vectors.npy, token_offsets.npy   every chunk's token vectors, for late interaction
    build-<id>/multilingual.npy, multilingual_sentences.npy   the same from the multilingual model, if enabled
    build-<id>/query_encoder.onnx, tokenizer.json, word_embeddings.npy   the English model's question encoder, for
                                                                          ONNX Runtime (no torch)

``save`` writes into a temporary folder and only then renames it into place, and a build only then moves
``current``: a crash or a kill leaves the previous index in place.  ``read`` re-checks every file against the
checksums in the manifest, so a truncated or edited file is reported (with the command that rebuilds it) rather
than served with wrong offsets.  ``save`` and ``read`` are the whole public format: the BEIR eval caches its
index through them too.
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
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from . import chunking, cleaning, corpus, documents, encoders, onnx_encoder, pdf, readers
from .chunking import Chunk
from .config import Settings
from .documents import CorpusError, Document
from .index import Index, make_index
from .progress import Progress

log = logging.getLogger("alliance_qa.index")

FORMAT_VERSION = 3  # 2: token vectors for late interaction; 3: the question encoder exported to ONNX beside them
REBUILD_HINT = "rebuild it with `alliance-qa index --force` (or set ALLIANCE_QA_REBUILD_ON_ERROR=1)"
# The code that turns files into chunks: a change to any of it makes every stored index stale.
_TEXT_PIPELINE = (readers, pdf, cleaning, corpus, documents, chunking)


class IndexProblem(Exception):
    """Base for every reason an index cannot be served as it is."""


class IndexMissing(IndexProblem):
    pass


class IndexStale(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


# ------------------------------------------------------------------------------------------------ fingerprints


def pipeline_version() -> str:
    """Hash of the code that turns files into chunks: changing the cleaner or the chunker makes the index stale."""
    h = hashlib.sha256()
    for module in _TEXT_PIPELINE:
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:16]


def expected_fingerprint(settings: Settings) -> dict:
    return {
        "format": FORMAT_VERSION,
        "params": settings.index_params(),
        "corpus": corpus.corpus_checksums(settings.corpus_dir),
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


# ------------------------------------------------------------------------------------------------ save and read


def save(index: Index, folder: Path, manifest: dict | None = None, files: dict[str, Path] | None = None) -> Path:
    """Write ``index`` as ``folder``, atomically: a temporary sibling first, renamed into place once complete.

    ``manifest`` (default: the index's own) is stored with the sha256 of every file, which ``read`` checks.
    ``files`` are files the build carries already written (the token vectors, written as they were encoded; the
    exported question encoder), by name, in place of any array of that name: hard-linked when they can be (the
    previous build's export, unchanged, costs no copy), else copied.
    """
    import faiss

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".tmp-{folder.name}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _write_json(tmp / "documents.json", [d.to_dict() for d in index.documents.values()])
        _write_json(tmp / "chunks.json", {
            "chunks": [asdict(c) for c in index.chunks],
            "sentences": index.sentence_spans,
            "chunk_sentences": index.chunk_sentences,
        })
        faiss.write_index(index.dense, str(tmp / "dense.faiss"))
        arrays = {
            "chunk_vectors.npy": index.chunk_vectors,
            "sentences.npy": index.sentence_vectors,
            "token_vectors.npy": index.token_vectors,
            "token_offsets.npy": index.token_offsets,
            "multilingual.npy": index.multilingual_chunk_vectors,
            "multilingual_sentences.npy": index.multilingual_sentence_vectors,
        }
        for name, array in arrays.items():
            if array is not None and name not in (files or {}):
                np.save(tmp / name, array)
        for name, source in (files or {}).items():
            try:
                os.link(source, tmp / name)
            except OSError:  # another file system, or links refused: a copy does the same
                shutil.copyfile(source, tmp / name)
        files = {p.name: _sha256(p) for p in sorted(tmp.iterdir())}
        _write_json(tmp / "manifest.json", {**(manifest or index.manifest), "files": files})
        _fsync_dir(tmp)
        shutil.rmtree(folder, ignore_errors=True)
        os.rename(tmp, folder)
        _fsync_dir(folder.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def read(folder: Path) -> Index:
    """Read what ``save`` wrote, every file checked against its checksum; IndexCorrupt says what is wrong."""
    manifest = _verified_manifest(folder)
    return _read_verified(folder, manifest)


def _verified_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or "files" not in manifest:
            raise ValueError("manifest has no file list")
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"the index manifest in {folder} is unreadable ({exc}); {REBUILD_HINT}") from exc
    for name, digest in manifest["files"].items():
        f = folder / name
        if not f.exists():
            raise IndexCorrupt(f"index file {name} is missing from {folder}; {REBUILD_HINT}")
        if _sha256(f) != digest:
            raise IndexCorrupt(f"index file {name} in {folder} is damaged (checksum mismatch); {REBUILD_HINT}")
    return manifest


def _read_verified(folder: Path, manifest: dict) -> Index:
    import faiss

    try:
        docs = [Document.from_dict(d) for d in json.loads((folder / "documents.json").read_text("utf-8"))]
        data = json.loads((folder / "chunks.json").read_text("utf-8"))
        chunks = [Chunk(**{**c, "sentences": [tuple(s) for s in c["sentences"]]}) for c in data["chunks"]]
        multilingual = manifest.get("multilingual")
        index = Index(
            path=folder,
            manifest=manifest,
            documents={d.doc_id: d for d in docs},
            chunks=chunks,
            sentence_spans=[tuple(s) for s in data["sentences"]],
            chunk_sentences=data["chunk_sentences"],
            dense=faiss.read_index(str(folder / "dense.faiss")),
            chunk_vectors=np.load(folder / "chunk_vectors.npy"),
            sentence_vectors=np.load(folder / "sentences.npy"),
            multilingual_chunk_vectors=np.load(folder / "multilingual.npy") if multilingual else None,
            multilingual_sentence_vectors=np.load(folder / "multilingual_sentences.npy") if multilingual else None,
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
    except Exception as exc:  # any parse failure of a checksummed file means the build itself was bad
        raise IndexCorrupt(f"the index in {folder} cannot be read ({exc}); {REBUILD_HINT}") from exc
    _check_offsets(index)
    return index


def _check_offsets(index: Index) -> None:
    """The invariant every citation relies on, checked once at load: a chunk is exactly its span of the text."""
    for c in index.chunks:
        doc = index.documents.get(c.doc_id)
        if doc is None or doc.text[c.char_start : c.char_end] != c.text:
            raise IndexCorrupt(f"chunk {c.chunk_id} does not match its document text; {REBUILD_HINT}")


# ------------------------------------------------------------------------------------- the service's index_dir


def build(settings: Settings, progress: bool = True, full: bool = False, previous: Index | None = None) -> Path:
    """Build the index from the corpus and swap it in atomically.  Returns the new build folder.

    Text the current index already embedded keeps its vectors (``make_index``), so a change to one document encodes
    that document only; ``full`` encodes everything again.  ``previous`` is the current index when the caller has
    it loaded already (read from disk otherwise).
    """
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with _lock(settings.index_dir):
        return _build(settings, progress, full, previous)


def add(settings: Settings, source: Path, entry: dict, progress: bool = True) -> tuple[Document, Path]:
    """Copy ``source`` into the corpus with its catalogue ``entry`` and index it (that document alone is encoded).

    One builder at a time changes the corpus: the whole edit runs under the build lock, and if the file is refused
    or the index cannot be built, the corpus goes back to what it was, byte for byte.
    """
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with _lock(settings.index_dir), _restored_on_error(settings.corpus_dir, source.name):
        doc = corpus.add_document(settings.corpus_dir, source, entry)
        return doc, _build(settings, progress)


def remove(settings: Settings, doc_id: str, progress: bool = True) -> tuple[str, Path]:
    """Take a document out of the corpus and the index (nothing is encoded); returns its file name."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    name = corpus.document_files(settings.corpus_dir).get(doc_id)
    with _lock(settings.index_dir), _restored_on_error(settings.corpus_dir, name):
        removed = corpus.remove_document(settings.corpus_dir, doc_id)
        return removed, _build(settings, progress)


@contextlib.contextmanager
def _restored_on_error(corpus_dir: Path, name: str | None):
    saved = {path: path.read_bytes() if path.exists() else None
             for path in [corpus_dir / corpus.SOURCES_FILE] + ([corpus_dir / name] if name else [])}
    try:
        yield
    except BaseException:
        for path, data in saved.items():
            if data is None:
                path.unlink(missing_ok=True)
            elif not path.exists() or path.read_bytes() != data:
                part = path.with_name(f".{path.name}.part")
                part.write_bytes(data)
                os.replace(part, path)
        raise


def _build(settings: Settings, progress: bool, full: bool = False, previous: Index | None = None) -> Path:
    """``build`` with the lock already held; ``progress`` reports every stage, as one bar or as log lines."""
    t0 = time.perf_counter()
    with Progress(progress) as report:
        report.stage("reading")
        found = corpus.load_corpus(settings.corpus_dir)
        previous = None if full else previous or _previous(settings.index_dir)
        with tempfile.TemporaryDirectory(dir=settings.index_dir, prefix=".scratch-") as scratch:
            tokens = Path(scratch) / "token_vectors.npy"  # written as encoded, linked into the build by ``save``
            index = make_index(found.documents, settings, report, found.skipped, previous, tokens)
            export, query_encoder = _same_export(previous, index)
            del previous  # its arrays can go before the new ones are written
            report.stage("writing")
            files = {"token_vectors.npy": tokens}
            if export is None:  # no previous export of this model to link: export it (a stand-in encoder cannot)
                exporter = getattr(encoders.load_token_encoder(settings.model), "export_onnx", None)
                query_encoder = exporter(Path(scratch)) if exporter is not None else None
                if query_encoder is not None:
                    export = {name: Path(scratch) / name for name in onnx_encoder.FILES}
            now = dt.datetime.now(dt.timezone.utc)
            manifest = {
                **expected_fingerprint(settings),
                "created": now.isoformat(timespec="seconds"),
                **index.manifest,
                "query_encoder": query_encoder,
                "build_seconds": round(time.perf_counter() - t0, 2),
            }
            final = save(index, settings.index_dir / f"build-{now.strftime('%Y%m%dT%H%M%S%f')}", manifest,
                         files | (export or {}))
        link_tmp = settings.index_dir / f".current-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link_tmp.unlink()
        link_tmp.symlink_to(final.name)
        os.replace(link_tmp, settings.index_dir / "current")
        _fsync_dir(settings.index_dir)
        _remove_old_builds(settings.index_dir, keep=final.name)
    log.info("index built in %.1fs at %s", time.perf_counter() - t0, final)
    if index.skipped:
        log.warning("%d file(s) left out of the index: %s", len(index.skipped),
                    "; ".join(f"{s.file}: {s.reason}" for s in index.skipped))
    return final


def _same_export(previous: Index | None, index: Index) -> tuple[dict[str, Path] | None, dict | None]:
    """The previous build's exported question encoder and its manifest record, when it was exported from the very
    model this build uses, the way this version exports (an older export is made again, so that it gains what the
    exporter has learnt since); (None, None) otherwise."""
    if previous is None or not onnx_encoder.has_export(previous.path, previous.manifest):
        return None, None
    record = previous.manifest.get("query_encoder") or {}
    if previous.manifest.get("model") != index.manifest.get("model") or record.get("exporter") != onnx_encoder.EXPORTER:
        return None, None
    return {name: previous.path / name for name in onnx_encoder.FILES}, record


def _previous(index_dir: Path) -> Index | None:
    """The current index, if there is one whole and of this format, to take unchanged vectors from."""
    try:
        return _read_current(index_dir)
    except IndexMissing:  # a first build: nothing to say beyond what the build itself reports
        return None
    except IndexProblem as exc:
        log.info("encoding every document: %s", exc)
        return None


def _read_current(index_dir: Path) -> Index:
    """The build ``current`` points at, verified and read, whatever corpus it was built from."""
    folder = current(index_dir)
    manifest = _verified_manifest(folder)
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexStale(f"index format {manifest.get('format')} is not {FORMAT_VERSION}")
    return _read_verified(folder, manifest)


def current(index_dir: Path) -> Path:
    """The folder ``current`` points at; IndexMissing when there is none."""
    link = index_dir / "current"
    if not link.exists():
        raise IndexMissing(f"no index in {index_dir}; build it with `alliance-qa index`")
    return link.resolve()


def load(settings: Settings) -> Index:
    """Load and verify the stored index; raise an IndexProblem that says what is wrong and what to do."""
    folder = current(settings.index_dir)
    manifest = _verified_manifest(folder)
    reasons = staleness(manifest, settings)
    if reasons:
        raise IndexStale("the index is out of date: " + "; ".join(reasons))
    return _read_verified(folder, manifest)


def newer(settings: Settings, served: Path | None) -> Index | None:
    """The index ``current`` points at, if it is not the ``served`` one: verified, and built with these settings.

    What a running server reloads.  The corpus is not compared (the server may already serve a stale index because
    the corpus cannot be rebuilt); the models and chunking are, so vectors are never read with the wrong model.
    """
    folder = current(settings.index_dir)
    if folder == served:
        return None
    manifest = _verified_manifest(folder)
    if manifest.get("format") != FORMAT_VERSION or manifest.get("params") != settings.index_params():
        raise IndexStale(f"the index at {folder} was built with other settings; this server keeps its own")
    return _read_verified(folder, manifest)


def open_index(settings: Settings, build_if_needed: bool = True, progress: bool = True) -> Index:
    """Load the index, building it when there is none or it is stale; a corrupt one is rebuilt only if configured.

    When a stale index cannot be rebuilt (the corpus now has a problem: a listed file gone, no readable document),
    the old index is served, with the reasons in ``Index.stale``: a corpus mistake never takes a working service
    down.  ``alliance-qa index`` still fails with the error, so the operator learns what to fix.
    """
    old: Index | None = None
    try:
        return load(settings)
    except IndexMissing:
        if not build_if_needed:
            raise
        # The exception's text tells a user to run `alliance-qa index`; here that is what happens, so say only that.
        log.info("no index in %s yet; building it now", settings.index_dir)
    except IndexStale as exc:
        if not build_if_needed:
            raise IndexStale(f"{exc}; rebuild it with `alliance-qa index`") from None
        log.warning("%s; rebuilding", exc)
        with contextlib.suppress(IndexProblem):  # an index of an older format is rebuilt, never served
            old = _read_current(settings.index_dir)
            old.stale = [str(exc)]
    except IndexCorrupt as exc:
        if not settings.rebuild_on_error:
            raise
        log.warning("%s; rebuilding because rebuild_on_error is set", exc)
    try:
        build(settings, progress=progress, previous=old)
    except CorpusError as exc:
        if old is None:
            raise
        log.error("the index cannot be rebuilt (%s); serving the previous one, built %s, until the corpus is fixed",
                  exc, old.built)
        old.stale.append(f"the rebuild failed: {exc}")
        return old
    return load(settings)


def _remove_old_builds(index_dir: Path, keep: str) -> None:
    for p in index_dir.iterdir():
        if p.name != keep and p.name.startswith(("build-", ".tmp-", ".scratch-")) and p.is_dir():
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
