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

import argparse
import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retriever.chunking import Chunk
from retriever.config import PROJECT_ROOT, Settings
from retriever.documents import Document
from retriever.index import Index, make_index, pipeline_version, read_parts, write_parts
from retriever.search import PIPELINE, Ranked, Searcher

from .metrics import BEIR_MEASURES, Qrels, latency, mean_over, per_query
from .runner import fmt, format_table, parse_retrievers

log = logging.getLogger("alliance_qa.eval")

CACHE_DIR = PROJECT_ROOT / "eval" / "reports" / "beir-cache"
CACHE_FORMAT = 2
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
    h.update(json.dumps([CACHE_FORMAT, limit_docs, settings.index_params(), pipeline_version()]).encode())
    return h.hexdigest()[:16]


def save_index(index: Index, folder: Path) -> None:
    """Write what ``load_cached`` reads, into a temporary folder first, so a killed run leaves no half cache."""
    tmp = folder.with_name(f".{folder.name}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write_parts(index, tmp)
    (tmp / "manifest.json").write_text(json.dumps(index.manifest), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.rename(tmp, folder)


def load_cached(folder: Path, docs: list[Document]) -> Index:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return read_parts(folder, manifest, {d.doc_id: d for d in docs})


def cached_index(docs: list[Document], settings: Settings, key: str, progress: bool) -> Index:
    folder = CACHE_DIR / key
    if (folder / "manifest.json").is_file():
        log.info("using the cached index in %s", folder)
        return load_cached(folder, docs)
    log.info("indexing %d documents (cached in %s for the next run)", len(docs), folder)
    index = make_index(docs, settings, progress=progress)
    save_index(index, folder)
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


def run_queries(engine: Searcher, queries: dict[str, str], retrievers: Sequence[str], progress: bool):
    """Ranked document ids and wall times per retriever and query."""
    from tqdm import tqdm

    rankings: dict[str, dict[str, list[str]]] = {name: {} for name in retrievers}
    times: dict[str, list[float]] = {name: [] for name in retrievers}
    engine.warm()
    with tqdm(total=len(queries) * len(retrievers), desc="beir", unit="query", disable=not progress,
              file=sys.stderr) as bar:
        for qid, text in queries.items():
            for name in retrievers:
                t0 = time.perf_counter()
                r = engine.retrieve(text, k=CHUNK_DEPTH, method=name)
                times[name].append((time.perf_counter() - t0) * 1000)
                rankings[name][qid] = rank_documents(r.ranked, engine.index.chunks)
                bar.update()
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
        "published": published,
        "per_query": {
            qid: {name: {m: scores[name].get(qid, {}).get(m, 0.0) for m in BEIR_MEASURES} for name in rankings}
            for qid in qids
        },
    }


def table(report: dict) -> str:
    rows = [
        [name, fmt(r["ndcg@10"]), fmt(r["recall@100"]), fmt(r["p50_ms"], ms=True), fmt(r["p95_ms"], ms=True)]
        for name, r in report["retrievers"].items()
    ]
    rows += [[f"published: {p['system']}", fmt(p["ndcg@10"]), fmt(p["recall@100"]), "–", "–"]
             for p in report["published"]]
    return format_table(("system", "nDCG@10", "R@100", "p50 ms", "p95 ms"), rows)


def heading(report: dict) -> str:
    limited = f" (first {report['limit_docs']} documents only)" if report["limit_docs"] else ""
    return (f"BEIR {report['dataset']}, split {report['split']}: {report['questions']} queries, "
            f"{report['documents']} documents in {report['chunks']} chunks{limited}")


def markdown(report: dict) -> str:
    return "\n".join([
        f"# {heading(report)}",
        "",
        table(report),
        "",
        "nDCG@10 (graded judgements as given) and Recall@100 from ir-measures; a document scores as its best chunk. "
        f"Latency is the wall time of `Searcher.retrieve` for {CHUNK_DEPTH} chunks (no highlight). The pipeline's "
        "weights are the service's, not tuned on this collection. Published figures are for the test split "
        "(shared/beir/README.md).",
        "",
    ])


def main(args: argparse.Namespace, settings: Settings) -> int:
    """``alliance-qa eval-beir DIR``: the table on stdout (or one JSON object with ``--json``), reports in --out."""
    dataset: Path = args.dataset
    if not dataset.is_dir():
        raise ValueError(f"{dataset} is not a folder; give the folder holding corpus.jsonl, queries.jsonl and qrels/")
    if args.limit_docs is not None and args.limit_docs < 1:
        raise ValueError("--limit-docs must be at least 1")
    retrievers = parse_retrievers(args.retrievers)
    out = args.out or PROJECT_ROOT / "eval" / "reports" / f"beir-{dataset.name}"
    docs, queries, qrels = load_beir(dataset, args.split, args.limit_docs)
    bsettings = beir_settings(settings)
    key = cache_key(dataset / "corpus.jsonl", args.limit_docs, bsettings)
    index = cached_index(docs, bsettings, key, progress=not args.quiet)
    engine = Searcher(index, bsettings)
    rankings, times = run_queries(engine, queries, retrievers, progress=not args.quiet)
    report = build_report(dataset, args.split, docs, index, qrels, rankings, times, args.limit_docs)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    if args.json:
        print(json.dumps({k: v for k, v in report.items() if k != "per_query"}))
    else:
        print(heading(report))
        print(table(report))
    print(f"reports written to {out}", file=sys.stderr)
    return 0
