"""Indexing speed and memory: how fast a corpus is encoded, how long one paper takes to add to a large corpus, and
how much memory a large build needs.

Three measurements, each in a fresh process (``spawn``) so its memory is its own.  What is timed is the service's own
code, called, not copied (``retriever.index.make_index``, ``retriever.store.build`` and ``retriever.store.add``):

* **rate**: a full build of ``--rate-chunks`` chunks with both encoders, models loaded beforehand.  Chunks per second
  of the whole build, and each encoder's texts per second for the chunks and for the sentences, on the same texts.
* **add**: ``alliance-qa add`` of one ``--paper-pages``-page paper (about 500 words a page) to an indexed corpus of
  ``--papers`` papers the size of the project's own, timed from a cold process as a user waits for it (models
  loaded, every file read and chunked, the paper encoded, FAISS and BM25 built, the index written).  The large
  corpus's vectors are stand-ins of the real shapes (see below): ``add`` reuses every vector of an unchanged text,
  so they are read and carried but never computed, and encoding 500 papers for real would take hours here.
* **memory**: peak RSS of a full ``store.build`` of ``--memory-chunks`` chunks with both real encoders, writing
  included (~7 minutes for 10,000).  It used stand-in vectors until 2026-12-06, on the belief that the encoders'
  working memory does not grow with the corpus; it does (glibc keeps freed heap, oneDNN keeps kernels for every
  batch shape it meets): a real build peaked at 2.76 GB where the stand-ins said 1.66.  It timed ``make_index``
  alone until the token vectors went to their file as encoded; it times the whole build since.

Stand-in vectors come from ``StandIn``: the real model's name, dimension, tokenizer and length limit (so chunking is
the real one and the token vectors have the real counts), with random unit vectors for output.

The synthetic papers are the project's real sentences, each made unique (a vector is reused by its text, so repeated
sentences would flatter the rate), in paragraphs of a few sentences under a title line.

    python -m bench.indexing                      # all three; writes bench/results/indexing.json
    python -m bench.indexing --rate-chunks 60 --papers 50 --memory-chunks 2000   # a quick look
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.process import PeakRSS
from bench.results import RESULTS_DIR, environment, publish, table
from bench.scale import isolated
from bench.synthetic import corpus_sentences, random_unit_vectors

WORDS_PER_PAGE = 500
PAPER_WORDS = 2_000  # the project's two papers hold about 1,500 and 2,400 words
PARAGRAPH_SENTENCES = 4
# Targets of issue 11 on two cores, printed beside the figures.
TARGET_CHUNKS_PER_SECOND = 25.0
TARGET_ADD_SECONDS = 30.0
TARGET_PEAK_MB = 1536.0


# ------------------------------------------------------------------------------------------- synthetic papers

def unique_sentences(sentences: list[str], seed: int):
    """Endless real sentences, each made unique by a numbered clause so that no vector can be reused."""
    rng = np.random.default_rng(seed)
    n = 0
    while True:
        for i in rng.permutation(len(sentences)):
            n += 1
            s = sentences[i].rstrip(".!?")
            yield f"{s}, as noted in case {seed}-{n}."


def paper_text(title: str, words: int, source) -> str:
    """A title line and paragraphs of real sentences, ``words`` words in all."""
    paragraphs, count = [], 0
    while count < words:
        para = [next(source) for _ in range(PARAGRAPH_SENTENCES)]
        count += sum(len(s.split()) for s in para)
        paragraphs.append(" ".join(para))
    return "\n\n".join([title, *paragraphs]) + "\n"


def write_papers(folder: Path, count: int, words: int, seed: int, prefix: str = "paper") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    source = unique_sentences(corpus_sentences(), seed)
    paths = []
    for i in range(count):
        path = folder / f"{prefix}-{seed}-{i:04d}.txt"
        path.write_text(paper_text(f"Synthetic Paper {seed} Number {i}", words, source), encoding="utf-8")
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------------- stand-in vectors

class StandIn:
    """A real encoder's name, dimension, tokenizer and length limit, with random unit vectors for output."""

    def __init__(self, real, seed: int = 0) -> None:
        self.real = real
        self.name, self.dim = real.name, real.dim
        self.max_tokens = getattr(real, "max_tokens", None)
        self._seed = seed

    def version(self) -> str:
        return self.real.version()

    def fits(self, text: str) -> bool:
        return self.real.fits(text)

    def _vectors(self, n: int) -> np.ndarray:
        self._seed += 1
        return random_unit_vectors(n, self.dim, seed=self._seed)

    def encode_passages(self, texts: list[str], *args, **kwargs) -> np.ndarray:
        return self._vectors(len(texts))

    def encode_with_tokens(self, texts: list[str], *args, **kwargs) -> tuple[np.ndarray, list[np.ndarray]]:
        tokens = [self._vectors(max(self.real.token_count(t) - 2, 1)).astype(np.float16) for t in texts]
        return self._vectors(len(texts)), tokens


def use_stand_ins() -> None:
    """Make every build in this process use stand-in vectors (the bench's own process only)."""
    from retriever import encoders

    real_load = getattr(encoders.load_encoder, "real", encoders.load_encoder)  # twice is as once

    def stand_in(name: str) -> StandIn:
        return StandIn(real_load(name))

    stand_in.real = real_load  # type: ignore[attr-defined]
    encoders.load_encoder = encoders.load_token_encoder = stand_in  # type: ignore[assignment]


def _settings(root: Path):
    from retriever.config import Settings

    return Settings.from_env(corpus_dir=root / "corpus", index_dir=root / "index")


# ------------------------------------------------------------------------------------------------ measurements

def measure_rate(root: str, chunks: int, seed: int) -> dict:
    """A full build of about ``chunks`` chunks with both real encoders; each encoder timed on the same texts."""
    from retriever.corpus import load_corpus
    from retriever.encoders import bfloat16_autocast, load_encoder, load_token_encoder
    from retriever.index import make_index

    settings = _settings(Path(root))
    write_papers(settings.corpus_dir, _papers_for(chunks), PAPER_WORDS, seed)
    t = time.perf_counter()
    english, multilingual = load_token_encoder(settings.model), load_encoder(settings.multilingual_model)
    load_seconds = time.perf_counter() - t
    docs = load_corpus(settings.corpus_dir).documents
    with PeakRSS() as mem:
        t = time.perf_counter()
        index = make_index(docs, settings)
        build_seconds = time.perf_counter() - t
    chunk_texts = [c.embed_text() for c in index.chunks]
    sentence_texts = [index.documents[d].text[a:b] for d, a, b in index.sentence_spans]
    stages = {}
    for name, encode, texts in (
        ("english_chunks", english.encode_with_tokens, chunk_texts),
        ("english_sentences", english.encode_passages, sentence_texts),
        ("multilingual_chunks", multilingual.encode_passages, chunk_texts),
        ("multilingual_sentences", multilingual.encode_passages, sentence_texts),
    ):
        t = time.perf_counter()
        with bfloat16_autocast():  # as the build encodes
            encode(texts)
        seconds = time.perf_counter() - t
        stages[name] = {"texts": len(texts), "seconds": round(seconds, 2), "per_second": round(len(texts) / seconds, 1)}
    return {
        "documents": len(docs),
        "chunks": len(index.chunks),
        "sentences": len(index.sentence_spans),
        "model_load_seconds": round(load_seconds, 2),
        "build_seconds": round(build_seconds, 2),
        "chunks_per_second": round(len(index.chunks) / build_seconds, 2),
        "peak_rss_mb": mem.peak,
        "stages": stages,
    }


def build_large(root: str, papers: int, seed: int) -> dict:
    """The indexed corpus of ``papers`` papers, with stand-in vectors (models loaded for their tokenizers)."""
    from retriever import store

    use_stand_ins()
    settings = _settings(Path(root))
    write_papers(settings.corpus_dir, papers, PAPER_WORDS, seed)
    t = time.perf_counter()
    path = store.build(settings, progress=False)
    return {"papers": papers, "seconds": round(time.perf_counter() - t, 1),
            "chunks": _manifest(path)["counts"]["chunks"], "index_mb": round(_size_mb(path), 1)}


def measure_add(root: str, pages: int, seed: int) -> dict:
    """``store.add`` of one ``pages``-page paper, from a cold process, with the real encoders."""
    from retriever import store

    settings = _settings(Path(root))
    paper = write_papers(Path(root) / "incoming", 1, pages * WORDS_PER_PAGE, seed + 1, prefix="new")[0]
    with PeakRSS() as mem:
        t = time.perf_counter()
        doc, path = store.add(settings, paper, {"title": "A New Long Paper"}, progress=False)
        seconds = time.perf_counter() - t
    manifest = _manifest(path)
    return {
        "pages": pages,
        "seconds": round(seconds, 2),
        "encoded": manifest.get("encoded"),
        "counts": manifest.get("counts"),
        "paper_chunks": manifest.get("documents", {}).get(doc.doc_id, {}).get("chunks"),
        "peak_rss_mb": mem.peak,
    }


def measure_memory(root: str, chunks: int, seed: int) -> dict:
    """Peak RSS of ``store.build`` of about ``chunks`` chunks with both real encoders, as a user runs it (reading,
    chunking, encoding, exporting the question encoder, writing), models loaded beforehand."""
    from retriever import store
    from retriever.encoders import load_encoder, load_token_encoder

    settings = _settings(Path(root))
    write_papers(settings.corpus_dir, _papers_for(chunks), PAPER_WORDS, seed)
    load_token_encoder(settings.model), load_encoder(settings.multilingual_model)
    with PeakRSS() as mem:
        t = time.perf_counter()
        path = store.build(settings, progress=False)
        seconds = time.perf_counter() - t
    counts = _manifest(path)["counts"]
    return {"chunks": counts["chunks"], "sentences": counts["sentences"], "start_rss_mb": mem.start,
            "peak_rss_mb": mem.peak, "token_vectors_mb": round((path / "token_vectors.npy").stat().st_size / 2**20, 1),
            "chunks_per_second": round(counts["chunks"] / seconds, 2)}


def _papers_for(chunks: int) -> int:
    """Papers of PAPER_WORDS words for about ``chunks`` chunks: ~62 new words per 128-token chunk (32 overlap), as
    measured (500 papers gave 16,095 chunks)."""
    return max(1, round(chunks * 62 / PAPER_WORDS))


def _manifest(path: Path) -> dict:
    import json

    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


# ------------------------------------------------------------------------------------------------------ running

def run(rate_chunks: int, papers: int, pages: int, memory_chunks: int, seed: int, skip: set[str],
        log=print) -> dict:
    result: dict = {}
    work = Path(tempfile.mkdtemp(prefix="alliance-qa-indexing-"))
    try:
        if "rate" not in skip:
            log(f"rate: a full build of ~{rate_chunks} chunks with both encoders")
            result["rate"] = isolated(measure_rate, str(work / "rate"), rate_chunks, seed)
        if "add" not in skip:
            log(f"add: indexing {papers} papers with stand-in vectors")
            result["large_corpus"] = isolated(build_large, str(work / "add"), papers, seed)
            log(f"add: one {pages}-page paper, real encoders, cold process")
            result["add"] = isolated(measure_add, str(work / "add"), pages, seed)
        if "memory" not in skip:
            log(f"memory: a full build of ~{memory_chunks} chunks")
            result["memory"] = isolated(measure_memory, str(work / "memory"), memory_chunks, seed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def report(result: dict) -> None:
    rows = []
    if "rate" in result:
        r = result["rate"]
        rows.append(["full build, both encoders", f"{r['chunks_per_second']} chunks/s ({r['chunks']} chunks, "
                     f"{r['sentences']} sentences, {r['build_seconds']} s)", f">= {TARGET_CHUNKS_PER_SECOND} chunks/s"])
        for name, s in r["stages"].items():
            rows.append([f"  {name.replace('_', ' ')}", f"{s['per_second']} texts/s ({s['texts']} in {s['seconds']} s)",
                         ""])
        rows.append(["  peak memory of that build", f"{r['peak_rss_mb']:.0f} MB", ""])
    if "add" in result:
        a, base = result["add"], result["large_corpus"]
        rows.append([f"add one {a['pages']}-page paper ({a['paper_chunks']} chunks) to {base['papers']} papers "
                     f"({base['chunks']} chunks)", f"{a['seconds']} s, encoded {a['encoded']}, peak "
                     f"{a['peak_rss_mb']:.0f} MB", f"<= {TARGET_ADD_SECONDS:.0f} s"])
    if "memory" in result:
        m = result["memory"]
        rows.append([f"peak memory, full build of {m['chunks']} chunks, real encoders", f"{m['peak_rss_mb']:.0f} MB "
                     f"(models {m['start_rss_mb']:.0f} MB; token vectors {m['token_vectors_mb']} MB; "
                     f"{m['chunks_per_second']} chunks/s)", f"<= {TARGET_PEAK_MB:.0f} MB"])
    print(table(["measure", "figure", "target"], rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.indexing",
        description="Indexing speed and memory: chunks per second with both encoders, adding one long paper to a "
                    "large indexed corpus, peak memory of a large build.  Writes a JSON result and prints a table.",
    )
    parser.add_argument("--rate-chunks", type=int, default=200, help="chunks in the timed full build (default 200)")
    parser.add_argument("--papers", type=int, default=500, help="papers in the indexed corpus (default 500)")
    parser.add_argument("--paper-pages", type=int, default=30, help="pages of the added paper (default 30)")
    parser.add_argument("--memory-chunks", type=int, default=10_000, help="chunks in the memory build (default 10000)")
    parser.add_argument("--skip", default="", help="comma-separated: rate, add, memory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "indexing.json", help="result file")
    args = parser.parse_args(argv)
    before, started = environment(), time.perf_counter()
    result = run(args.rate_chunks, args.papers, args.paper_pages, args.memory_chunks, args.seed,
                 {s.strip() for s in args.skip.split(",") if s.strip()},
                 log=lambda m: print(m, file=sys.stderr, flush=True))
    publish(result, "indexing", before, started, args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
