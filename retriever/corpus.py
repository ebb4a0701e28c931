"""The corpus folder: which files are documents, what ``sources.json`` says of them, and their checksums.

``load_corpus`` is the one way in.  A file that cannot be read (empty, binary, a broken or encrypted PDF, no text
left after cleaning) is skipped with a warning that names it and the cause, and the rest is indexed: one bad file
never takes the service down.  What would make the whole corpus wrong (a listed file missing, two documents with
one id, a malformed ``sources.json``, no readable document at all) is refused with an error that says what to do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .cleaning import SourceRules, clean
from .documents import CorpusError, Document, DocumentExists, Skipped, UnreadableFile
from .readers import SUPPORTED_SUFFIXES, read_raw

SOURCES_FILE = "sources.json"
log = logging.getLogger("alliance_qa.corpus")


@dataclass
class Corpus:
    """The documents read from the corpus folder, and the files left out with the reason for each."""

    documents: list[Document]
    skipped: list[Skipped] = field(default_factory=list)


def corpus_files(corpus_dir: Path) -> list[Path]:
    files = _document_paths(corpus_dir)
    if not files:
        raise CorpusError(f"corpus folder {corpus_dir} holds no documents ({', '.join(SUPPORTED_SUFFIXES)})")
    return files


def _document_paths(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; set ALLIANCE_QA_CORPUS_DIR or create it")
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def corpus_checksums(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every input file and of sources.json: the manifest compares these to spot a changed corpus."""
    paths = corpus_files(corpus_dir)
    sources = corpus_dir / SOURCES_FILE
    if sources.exists():
        paths.append(sources)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def load_sources(corpus_dir: Path) -> dict[str, dict]:
    """``sources.json`` by file name: each entry's catalogue record and cleaning quirks (empty if there is none)."""
    path = corpus_dir / SOURCES_FILE
    if not path.exists():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "file" in e for e in entries):
        raise CorpusError(f"{path} must be a JSON list of objects, each with a 'file' key")
    return {e["file"]: e for e in entries}


def load_corpus(corpus_dir: Path) -> Corpus:
    sources = load_sources(corpus_dir)
    files = corpus_files(corpus_dir)
    missing = sorted(set(sources) - {p.name for p in files})
    if missing:  # a document that was meant to be here is gone: refuse rather than quietly answer without it
        raise CorpusError(
            f"{corpus_dir / SOURCES_FILE} lists {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not in {corpus_dir}: put the file back, or remove its entry from {SOURCES_FILE} to drop the document"
        )
    docs, skipped = [], []
    for path in files:
        try:
            docs.append(load_document(path, sources.get(path.name, {})))
        except UnreadableFile as exc:
            log.warning("skipping %s: %s", path.name, exc)
            skipped.append(Skipped(file=path.name, reason=str(exc)))
    if not docs:
        raise CorpusError(f"no document in {corpus_dir} can be read: "
                          + "; ".join(f"{s.file}: {s.reason}" for s in skipped))
    ids = [d.doc_id for d in docs]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise CorpusError(f"two documents share the doc_id {sorted(dupes)}; give them distinct ids in {SOURCES_FILE}")
    return Corpus(docs, skipped)


def load_document(path: Path, entry: dict) -> Document:
    """One file as a Document, with ``entry`` (its sources.json entry, or {}) for its record and quirks.

    Raises ``UnreadableFile`` when the file holds no document."""
    raw_bytes = path.read_bytes()
    raw = read_raw(path, raw_bytes)
    # What the file says of itself (a PDF's title and authors) stands where sources.json is silent.
    record = {"title": raw.title, "authors": list(raw.authors)} | {k: v for k, v in entry.items() if v}
    cleaned = clean(raw.text, SourceRules.from_entry({"file": path.name, **record}))
    if not cleaned.text.strip():
        raise UnreadableFile("no text is left after cleaning (a scanned PDF without a text layer, or only markup?)")
    return Document(
        doc_id=entry.get("doc_id") or slugify(path.stem),
        title=record["title"] or cleaned.title or path.stem,
        authors=list(record["authors"] or []),
        publisher=entry.get("publisher") or entry.get("affiliation"),
        date=entry.get("date"),
        url=entry.get("url"),
        series=entry.get("series"),
        source_file=path.name,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        text=cleaned.text,
        sections=cleaned.sections,
        footnote_anchors=cleaned.footnote_anchors,
        footnotes=cleaned.footnotes,
    )


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "document"


# ------------------------------------------------------------------------------------- adding and removing files

CATALOGUE_FIELDS = ("doc_id", "title", "authors", "publisher", "date", "url", "series")


def add_document(corpus_dir: Path, source: Path, entry: dict) -> Document:
    """Copy ``source`` into the corpus and record ``entry`` (catalogue fields) for it in ``sources.json``.

    The file is read first, as the index will read it: one that holds no document, whose name or doc_id is taken,
    or of a type the corpus does not read is refused with the reason, and nothing in the corpus changes.  The copy
    and ``sources.json`` are each written whole (a temporary file, then a rename).
    """
    if not source.is_file():
        raise CorpusError(f"{source} is not a file")
    if source.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise CorpusError(f"{source.name}: the corpus reads {', '.join(SUPPORTED_SUFFIXES)} files")
    target = corpus_dir / source.name
    if target.exists():
        raise DocumentExists(f"{source.name} is already in {corpus_dir}; rename the file, or remove that document first "
                          "(`alliance-qa remove DOC_ID`)")
    entry = {key: value for key, value in entry.items() if key in CATALOGUE_FIELDS and value}
    try:
        doc = load_document(source, entry)
    except UnreadableFile as exc:
        raise UnreadableFile(f"{source.name} cannot be added: {exc}") from None
    taken = document_files(corpus_dir)
    if doc.doc_id in taken:
        raise DocumentExists(f"the doc_id {doc.doc_id!r} is taken by {taken[doc.doc_id]}; give this one another "
                             "doc_id")
    entries = list(load_sources(corpus_dir).values())
    part = corpus_dir / f".{source.name}.part"  # no document suffix: never read as one
    shutil.copyfile(source, part)
    os.replace(part, target)
    try:
        write_sources(corpus_dir, entries + [{"file": source.name, **entry, "doc_id": doc.doc_id}])
    except BaseException:
        target.unlink()
        raise
    return doc


def remove_document(corpus_dir: Path, doc_id: str) -> str:
    """Take a document out of the corpus (its file and its ``sources.json`` entry); returns the file's name.

    The entry goes first: a crash between the two leaves an unlisted file (indexed again with the defaults), never
    a listed file that is missing (which stops the build).
    """
    files = document_files(corpus_dir)
    if doc_id not in files:
        raise CorpusError(f"no document with doc_id {doc_id!r} in {corpus_dir}; known: {', '.join(sorted(files))}")
    if len(files) == 1:
        raise CorpusError(f"{doc_id!r} is the only document; add another before removing it (the service needs one)")
    name = files[doc_id]
    entries = [e for e in load_sources(corpus_dir).values() if e["file"] != name]
    write_sources(corpus_dir, entries)
    (corpus_dir / name).unlink()
    return name


def document_files(corpus_dir: Path) -> dict[str, str]:
    """doc_id -> file name for every document file, without reading the files (the ids ``load_document`` gives)."""
    sources = load_sources(corpus_dir)
    return {sources.get(p.name, {}).get("doc_id") or slugify(p.stem): p.name for p in _document_paths(corpus_dir)}


def write_sources(corpus_dir: Path, entries: list[dict]) -> None:
    """``sources.json`` written whole: a temporary file, flushed, then renamed over the old one."""
    path = corpus_dir / SOURCES_FILE
    part = corpus_dir / f".{SOURCES_FILE}.part"
    with open(part, "w", encoding="utf-8") as fh:
        json.dump(entries, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(part, path)

