"""``alliance-qa eval-beir``: the project's retrievers on a public BEIR collection (SciFact), beside published figures.

The gold set is small and written by us; a BEIR collection checks the same code (cleaned documents, the chunker, the
encoders, BM25, fusion and the second stage) against numbers others have published.  Only what BEIR needs differs:

* documents are built straight from ``corpus.jsonl`` (title, blank line, abstract; white space collapsed) — the
  records are already plain text, so the corpus cleaner has nothing to repair;
* chunks are as large as the embedding model takes (``chunk_tokens=256``, no overlap; the chunker still splits a
  text longer than the model's 256 word pieces), since SciFact judges whole abstracts, and a document scores as its
  best chunk;
* no multilingual encoder (the collection is English) and ``Searcher.retrieve`` rather than ``ask`` (no highlight);
* nDCG@10 with the graded judgements as given and Recall@100, from ir-measures.

Nothing here tunes the pipeline: its weights are the service's.  Should any be tuned on BEIR, tune on ``--split
train`` and report ``test``.  Embedding SciFact takes minutes on two cores, so the built index is cached under
``eval/reports/beir-cache/`` keyed by the corpus, the document limit and every setting that shapes the index.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retriever import store
from retriever.chunking import Chunk
from retriever.config import PIPELINE, PROJECT_ROOT, RETRIEVERS, Settings
from retriever.documents import Document
from retriever.index import Index, make_index
from retriever.progress import Progress, Stage
from retriever.rank import Ranked
from retriever.search import Searcher

from .metrics import BEIR_MEASURES, Qrels, latency, mean_over, per_query
from .runner import check_retrievers

log = logging.getLogger("alliance_qa.eval")

CACHE_DIR = PROJECT_ROOT / "eval" / "reports" / "beir-cache"
CACHE_FORMAT = 3  # 3: written by retriever.store.save (documents and checksums included)
DOC_DEPTH = 100  # documents scored per query (Recall@100)
# Chunks asked for per query: an abstract is often two chunks, so 100 chunks would hold fewer than 100 documents
# and understate Recall@100.
CHUNK_DEPTH = 2 * DOC_DEPTH
# Published test-split figures, from shared/beir/README.md.
PUBLISHED = {
    "scifact": [
        {"system": "BM25 (BEIR paper)", "ndcg@10": 0.665, "recall@100": None},
        {"system": "BM25 flat (Anserini)", "ndcg@10": 0.679, "recall@100": 0.925},
        {"system": "all-MiniLM-L6-v2 (MTEB)", "ndcg@10": 0.645, "recall@100": None},
    ]
}
_SPACE = re.compile(r"\s+")


# ------------------------------------------------------------------------------------------------------ loading


def read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise ValueError(f"{path} does not exist; a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def to_document(record: dict) -> Document | None:
    """A BEIR record as a project Document: its title, a paragraph break, its text (None if both are empty)."""
    title = _SPACE.sub(" ", str(record.get("title") or "")).strip()
    body = _SPACE.sub(" ", str(record.get("text") or "")).strip()
    text = "\n\n".join(part for part in (title, body) if part)
    if not text:
        return None
    return Document(
        doc_id=str(record["_id"]),
        title=title or str(record["_id"]),
        authors=[],
        publisher=None,
        date=None,
        url=None,
        series=None,
        source_file="corpus.jsonl",
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=text,
    )


def read_qrels(path: Path) -> Qrels:
    """``query-id corpus-id score`` lines after a header, as graded judgements."""
    if not path.is_file():
        raise ValueError(f"no judgements for this split: {path} does not exist")
    qrels: Qrels = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) != 3:
            raise ValueError(f"{path}:{n}: expected 'query-id corpus-id score', got {line!r}")
        qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


def load_beir(folder: Path, split: str, limit_docs: int | None = None) -> tuple[list[Document], dict[str, str], Qrels]:
    """Documents, the queries to score and their judgements.

    The queries are those judged in ``split``.  With ``limit_docs`` only the first N documents are kept, judgements
    are cut to them and a query left with no relevant document is dropped: a quick check, not comparable to
    published figures.
    """
    records = read_jsonl(folder / "corpus.jsonl")
    if limit_docs is not None:
        records = records[:limit_docs]
    docs = [d for d in map(to_document, records) if d is not None]
    ids = [d.doc_id for d in docs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{folder / 'corpus.jsonl'} repeats document ids")
    known = set(ids)
    texts = {str(q["_id"]): str(q["text"]) for q in read_jsonl(folder / "queries.jsonl")}
    qrels = {
        qid: judged
        for qid, rels in read_qrels(folder / "qrels" / f"{split}.tsv").items()
        if qid in texts and (judged := {d: s for d, s in rels.items() if d in known})
        and any(s > 0 for s in judged.values())
    }
    if not qrels:
        raise ValueError(f"no query of split {split!r} has a relevant document among the indexed ones")
    return docs, {qid: texts[qid] for qid in qrels}, qrels


# -------------------------------------------------------------------------------------------------------- index


def beir_settings(settings: Settings) -> Settings:
    """The project's settings with BEIR's differences: English only, one chunk per abstract where it fits."""
    return dataclasses.replace(settings, multilingual_model="none", chunk_tokens=256, chunk_overlap=0)


def cache_key(corpus: Path, limit_docs: int | None, settings: Settings) -> str:
    h = hashlib.sha256()
    h.update(hashlib.sha256(corpus.read_bytes()).digest())
    h.update(json.dumps([CACHE_FORMAT, limit_docs, settings.index_params(), store.pipeline_version()]).encode())
    return h.hexdigest()[:16]


def cached_index(docs: list[Document], settings: Settings, key: str, progress: bool) -> Index:
    """The index of ``docs``, from the cache when a checksummed copy is there, else built and cached."""
    folder = CACHE_DIR / key
    if (folder / "manifest.json").is_file():
        try:
            index = store.read(folder)
            log.info("using the cached index in %s", folder)
            return index
        except store.IndexCorrupt as exc:
            log.warning("%s; indexing again", exc)
    log.info("indexing %d documents (cached in %s for the next run)", len(docs), folder)
    with Progress(progress) as report:
        index = make_index(docs, settings, report)
        report.stage("writing")
        store.save(index, folder)
    return index


# -------------------------------------------------------------------------------------------------------- runs


def rank_documents(ranked: Sequence[Ranked], chunks: Sequence[Chunk], depth: int = DOC_DEPTH) -> list[str]:
    """Chunks to documents: a document scores as its best chunk; the top ``depth`` documents, best first."""
    best: dict[str, float] = {}
    for r in ranked:
        doc = chunks[r.chunk].doc_id
        best[doc] = max(best.get(doc, -np.inf), r.score)
    order = sorted(best, key=lambda d: -best[d])  # stable: equal scores keep the retriever's order
    return order[:depth]


def run_queries(searcher: Searcher, queries: dict[str, str], retrievers: Sequence[str], progress: bool):
    """Ranked document ids and wall times per retriever and query."""
    rankings: dict[str, dict[str, list[str]]] = {name: {} for name in retrievers}
    times: dict[str, list[float]] = {name: [] for name in retrievers}
    searcher.warm()
    with Progress(progress) as report:
        report.plan([Stage("asking", len(queries) * len(retrievers), len(queries) * len(retrievers), "queries")])
        report.stage("asking")
        for qid, text in queries.items():
            for name in retrievers:
                t0 = time.perf_counter()
                r = searcher.retrieve(text, k=CHUNK_DEPTH, method=name)
                times[name].append((time.perf_counter() - t0) * 1000)
                rankings[name][qid] = rank_documents(r.ranked, searcher.index.chunks)
                report.advance()
    return rankings, times


def build_report(dataset: Path, split: str, docs: list[Document], index: Index, qrels: Qrels,
                 rankings: dict[str, dict[str, list[str]]], times: dict[str, list[float]],
                 limit_docs: int | None) -> dict:
    qids = list(qrels)
    scores = {name: per_query(runs, qrels, BEIR_MEASURES) for name, runs in rankings.items()}
    published = PUBLISHED.get(dataset.name.lower(), []) if split == "test" and limit_docs is None else []
    return {
        "pipeline": PIPELINE,
        "questions": len(qids),
        "retrievers": {
            name: {**mean_over(scores[name], qids, BEIR_MEASURES), **latency(times[name])} for name in rankings
        },
        "dataset": dataset.name,
        "split": split,
        "documents": len(docs),
        "chunks": len(index.chunks),
        "limit_docs": limit_docs,
        "chunk_depth": CHUNK_DEPTH,
        "published": published,
        "per_query": {
            qid: {name: {m: scores[name].get(qid, {}).get(m, 0.0) for m in BEIR_MEASURES} for name in rankings}
            for qid in qids
        },
    }


# --------------------------------------------------------------------------------------------------- entry point


def default_out(dataset: Path) -> Path:
    return PROJECT_ROOT / "eval" / "reports" / f"beir-{dataset.name}"


def evaluate(dataset: Path, settings: Settings, split: str = "test", retrievers: Sequence[str] = RETRIEVERS,
             limit_docs: int | None = None, progress: bool = False) -> dict:
    """Index a BEIR folder (cached), run every retriever on the split's judged queries, return the report."""
    if not dataset.is_dir():
        raise ValueError(f"{dataset} is not a folder; give the folder holding corpus.jsonl, queries.jsonl and qrels/")
    if limit_docs is not None and limit_docs < 1:
        raise ValueError("--limit-docs must be at least 1")
    names = check_retrievers(retrievers)
    docs, queries, qrels = load_beir(dataset, split, limit_docs)
    bsettings = beir_settings(settings)
    index = cached_index(docs, bsettings, cache_key(dataset / "corpus.jsonl", limit_docs, bsettings), progress)
    rankings, times = run_queries(Searcher(index, bsettings), queries, names, progress)
    return build_report(dataset, split, docs, index, qrels, rankings, times, limit_docs)
