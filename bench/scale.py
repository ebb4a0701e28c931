"""How retrieval cost grows with the corpus: FAISS flat vs HNSW, and BM25, at 10k, 100k and 1M chunks.

The project's own corpus is 50 chunks, so the corpora here are synthetic (``bench.synthetic``: two kinds of vectors
that bracket real embeddings, and chunks of the corpus's real sentences).  What is timed is the service's own code,
called, not copied, so the benchmark cannot drift from it:

* **FAISS**: ``retriever.index.make_faiss_index`` (flat = ``IndexFlatIP``; HNSW with ``retriever.tuning``'s M,
  efConstruction and efSearch, read back from the built index into the result), searched one query at a time.
  Recall@10 of HNSW is measured against flat (exact) search on the same queries, at several efSearch values.
* **BM25**: ``retriever.lexical.Lexical``, and each English gold question as ``Searcher.retrieve`` runs it:
  ``Lexical.scores``, then ``retriever.rank.lexical_top`` for ``tuning.CANDIDATES`` chunks.  The vocabulary is the
  corpus's (a few thousand stems), so posting lists are denser than in a real 1M-chunk collection: latency here is
  an upper bound for the same chunk count.

Each corpus size runs in a fresh process (``spawn``), so memory figures are that size's alone.  Sizes whose
projected build time or memory exceed the limits are skipped, and the reason is written to the result instead.

    python -m bench.scale                          # 10k, 100k, 1M; writes bench/results/scale.json and scale.png
    python -m bench.scale --sizes 10000,100000     # skip 1M
    python -m bench.scale --sizes 1e6 --bm25-sizes "" --vectors clustered --max-build-seconds 3600 \
        --out bench/results/scale-1m-hnsw.json --plot bench/results/scale-1m-hnsw.png
                                                   # measure the 1M HNSW build instead of projecting it
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from bench.process import PeakRSS
from bench.results import RESULTS_DIR, environment, publish
from bench.scale_report import encode_floor_ms, plot, print_report
from bench.stats import summarise
from bench.synthetic import DIM, VECTOR_KINDS, corpus_sentences, make_vectors, synthetic_chunks
from retriever import tuning

if TYPE_CHECKING:
    import faiss

    from retriever.lexical import Lexical

T = TypeVar("T")

TOP_K = 10
# efSearch values whose recall and latency are measured; always including the one the service uses.
EF_SEARCH = tuple(sorted({16, 32, 64, 128, 256, tuning.HNSW_EF_SEARCH}))
HNSW_PROBE_SIZE = 10_000  # the small build that large builds are projected from


# ----------------------------------------------------------------------------------------------------- FAISS


def search_one_at_a_time(index: faiss.Index, queries: np.ndarray, k: int = TOP_K) -> tuple[list[float], np.ndarray]:
    """Per-query milliseconds and the ids found, searching one query at a time as the service does."""
    times, ids = [], np.empty((len(queries), k), dtype=np.int64)
    for i in range(len(queries)):
        t = time.perf_counter()
        _, found = index.search(queries[i : i + 1], k)
        times.append((time.perf_counter() - t) * 1000)
        ids[i] = found[0]
    return times, ids


def flat_latencies(index: faiss.Index, queries: np.ndarray, k: int = TOP_K) -> tuple[list[float], list[float]]:
    """Flat search per query with FAISS's default OpenMP threads and with one thread, interleaved query by query.

    With a single query FAISS splits the scan across its threads; on a busy machine one of them is often
    descheduled and the other waits for it a whole scheduler tick.  Interleaving exposes both settings to the same
    background load.
    """
    import faiss

    threads = faiss.omp_get_max_threads()
    default, single = [], []
    try:
        for i in range(len(queries)):
            for n_threads, times in ((threads, default), (1, single)):
                faiss.omp_set_num_threads(n_threads)
                t = time.perf_counter()
                index.search(queries[i : i + 1], k)
                times.append((time.perf_counter() - t) * 1000)
    finally:
        faiss.omp_set_num_threads(threads)
    return default, single


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[f >= 0]) & set(t)) / k for f, t in zip(found, truth)]))


def hnsw_parameters(index: faiss.IndexHNSWFlat) -> dict[str, int]:
    """M, efConstruction and efSearch as the built index has them (``make_faiss_index`` takes them from tuning)."""
    return {"M": int(index.hnsw.nb_neighbors(1)), "ef_construction": int(index.hnsw.efConstruction),
            "ef_search_service": int(index.hnsw.efSearch)}


def hnsw_graph_bytes(index: faiss.IndexHNSWFlat) -> int:
    """Bytes of the HNSW graph itself (neighbour lists, offsets, levels), on top of the stored vectors."""
    h = index.hnsw
    return int(h.neighbors.size() * 4 + h.offsets.size() * 8 + h.levels.size() * 4)


def faiss_size(n: int, n_queries: int, build_hnsw: bool, seed: int = 0, kind: str = "random") -> dict:
    """Flat and (optionally) HNSW at one corpus size: build time, memory, latency, HNSW recall@10 vs flat."""
    import faiss

    from retriever.index import make_faiss_index

    t = time.perf_counter()
    vectors = make_vectors(kind, n, seed)
    queries = make_vectors(kind, n_queries, seed, queries=True)
    out: dict = {"n": n, "vectors": kind, "dim": DIM, "queries": n_queries,
                 "generate_seconds": round(time.perf_counter() - t, 2),
                 "faiss_omp_threads": faiss.omp_get_max_threads()}

    with PeakRSS() as mem:
        t = time.perf_counter()
        flat = make_faiss_index(vectors, "flat")
        build = time.perf_counter() - t
    times, times_1 = flat_latencies(flat, queries)
    _, truth = flat.search(queries, TOP_K)  # exact neighbours, batched
    out["flat"] = {"build_seconds": round(build, 3), "rss_delta_mb": mem.delta_mb,
                   "rss_peak_delta_mb": mem.peak_delta_mb, "index_mb": round(n * DIM * 4 / 2**20, 1),
                   "latency_ms": summarise(times), "latency_1_thread_ms": summarise(times_1)}
    del flat
    if not build_hnsw:
        return out

    with PeakRSS() as mem:
        t = time.perf_counter()
        hnsw = make_faiss_index(vectors, "hnsw")
        build = time.perf_counter() - t
    params = hnsw_parameters(hnsw)
    by_ef = {}
    for ef in EF_SEARCH:
        hnsw.hnsw.efSearch = ef
        times, found = search_one_at_a_time(hnsw, queries)
        by_ef[str(ef)] = {"latency_ms": summarise(times), "recall_at_10": round(recall_at_k(found, truth), 4)}
    served = by_ef[str(params["ef_search_service"])]
    out["hnsw"] = {
        "build_seconds": round(build, 2),
        "rss_delta_mb": mem.delta_mb,
        "rss_peak_delta_mb": mem.peak_delta_mb,
        "index_mb": round((n * DIM * 4 + hnsw_graph_bytes(hnsw)) / 2**20, 1),
        **params,
        "latency_ms": served["latency_ms"],
        "recall_at_10": served["recall_at_10"],
        "by_ef_search": by_ef,
    }
    return out


def hnsw_build_seconds(n: int, seed: int = 0, kind: str = "random") -> float:
    """Seconds to build an HNSW index of ``n`` vectors: the probe that larger builds are projected from."""
    from retriever.index import make_faiss_index

    vectors = make_vectors(kind, n, seed)
    t = time.perf_counter()
    make_faiss_index(vectors, "hnsw")
    return time.perf_counter() - t


def project_hnsw_seconds(n: int, n0: int, seconds0: float) -> float:
    """Project a build from a smaller one, on the safe side.

    In theory an insert costs ~log n, but once the graph outgrows the CPU caches each insert also gets slower:
    measured here, a 1M build cost 11-24x a 100k build (n log n says 12x).  So scale by n^1.2 log n.
    """
    return seconds0 * (n / n0) ** 1.2 * (math.log(n) / math.log(n0))


# ------------------------------------------------------------------------------------------------------ BM25


def served_bm25(lexical: Lexical, question: str) -> tuple[list[int], float, float]:
    """One question's BM25 stage exactly as ``Searcher.retrieve`` runs it: the top chunk ids, and the milliseconds
    of ``Lexical.scores`` and of ``rank.lexical_top`` for ``tuning.CANDIDATES`` chunks."""
    from retriever.rank import lexical_top

    terms = lexical.terms(question)
    t0 = time.perf_counter()
    scores = lexical.scores(terms)
    t1 = time.perf_counter()
    top = lexical_top(scores, tuning.CANDIDATES)
    t2 = time.perf_counter()
    return [r.chunk for r in top], (t1 - t0) * 1000, (t2 - t1) * 1000


def bm25_size(n: int, sentences: list[str], questions: list[str], n_queries: int, seed: int = 0) -> dict:
    """Index ``n`` synthetic chunks with the service's ``Lexical``; time ``n_queries`` questions as it serves them."""
    from retriever.lexical import Lexical

    t = time.perf_counter()
    texts = synthetic_chunks(sentences, n, seed=seed)
    words = sum(len(s.split()) for s in texts[:1000]) / min(n, 1000)
    generate = time.perf_counter() - t
    with PeakRSS() as mem:
        t = time.perf_counter()
        lexical = Lexical(texts)
        build = time.perf_counter() - t
    texts_mb = round(sum(len(s) for s in texts) / 2**20, 1)
    del texts
    scores_ms, top_ms = [], []
    for i in range(n_queries):
        _, scoring, ranking = served_bm25(lexical, questions[i % len(questions)])
        scores_ms.append(scoring)
        top_ms.append(ranking)
    return {
        "n": n,
        "mean_words_per_chunk": round(words, 1),
        "vocabulary": len(lexical.idf),
        "texts_mb": texts_mb,
        "generate_seconds": round(generate, 2),
        "index_seconds": round(build, 2),
        "rss_delta_mb": mem.delta_mb,
        "rss_peak_delta_mb": mem.peak_delta_mb,
        "queries": n_queries,
        "candidates": tuning.CANDIDATES,
        "latency_ms": summarise(a + b for a, b in zip(scores_ms, top_ms)),
        "scores_ms": summarise(scores_ms),
        "lexical_top_ms": summarise(top_ms),
    }


# --------------------------------------------------------------------------------------------------- running


def _child(conn: Connection, fn: Callable[..., object], args: tuple) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:  # report, do not leave the parent waiting
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def isolated(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` in a fresh ``spawn`` process.

    A fresh process per corpus size gives each size its own memory baseline, and never forks a process whose
    OpenMP pool (FAISS) is already running, which is not fork-safe.
    """
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    child.close()
    try:
        status, value = parent.recv()
    except EOFError:
        status, value = "error", "the worker process died (out of memory?)"
    proc.join()
    if status != "ok":
        raise RuntimeError(f"{fn.__name__}{args[:1]} failed: {value}")
    return value


def run(sizes: list[int], bm25_sizes: list[int], n_queries: int = 200, max_build_seconds: float = 300.0,
        bm25_max_seconds: float = 300.0, max_mem_gb: float = 6.0, seed: int = 0,
        vectors: tuple[str, ...] = VECTOR_KINDS, log: Callable[[str], None] = print) -> dict:
    """All sizes, smallest first, each in its own process; skip what the previous size says would not fit."""
    from eval.gold import load_gold

    faiss_rows = [row for kind in vectors
                  for row in measure_faiss(kind, sizes, n_queries, max_build_seconds, max_mem_gb, seed, log)]
    sentences = corpus_sentences()
    questions = [q.question for q in load_gold() if q.lang == "en"]
    bm25_rows = measure_bm25(bm25_sizes, sentences, questions, n_queries, bm25_max_seconds, max_mem_gb, seed, log)
    return {"faiss": faiss_rows, "bm25": bm25_rows, "corpus_sentences": len(sentences)}


def measure_faiss(kind: str, sizes: list[int], n_queries: int, max_build_seconds: float, max_mem_gb: float, seed: int,
                  log: Callable[[str], None]) -> list[dict]:
    """``faiss_size`` for each size; HNSW only where a build projected from the last one fits the time limit."""
    rows = []
    last_hnsw: tuple[int, float] | None = None  # (size, build seconds) of the latest HNSW build
    for n in sorted(sizes):
        vector_gb = n * DIM * 4 / 2**30
        if 3.2 * vector_gb > max_mem_gb:  # the vectors, the flat copy, the HNSW copy and its graph
            rows.append({"n": n, "vectors": kind,
                         "skipped": f"needs ~{3.2 * vector_gb:.1f} GB, over --max-mem-gb {max_mem_gb}"})
            continue
        if last_hnsw is None and n > 2 * HNSW_PROBE_SIZE:
            last_hnsw = (HNSW_PROBE_SIZE, isolated(hnsw_build_seconds, HNSW_PROBE_SIZE, seed, kind))
            log(f"hnsw probe ({kind}): {HNSW_PROBE_SIZE} vectors built in {last_hnsw[1]:.1f}s")
        projected = project_hnsw_seconds(n, *last_hnsw) if last_hnsw else 0.0
        build_hnsw = projected <= max_build_seconds
        log(f"faiss {kind} n={n}: flat" + (" + hnsw" if build_hnsw else f" (hnsw skipped: projected {projected:.0f}s)"))
        row = isolated(faiss_size, n, n_queries, build_hnsw, seed, kind)
        if build_hnsw:
            last_hnsw = (n, row["hnsw"]["build_seconds"])
        else:
            row["hnsw"] = {"skipped": f"projected build {projected:.0f}s (n^1.2 log n from the {last_hnsw[0]}-vector "
                                      f"build) exceeds --max-build-seconds {max_build_seconds:.0f}",
                           "projected_build_seconds": round(projected)}
        rows.append(row)
    return rows


def measure_bm25(sizes: list[int], sentences: list[str], questions: list[str], n_queries: int, max_seconds: float,
                 max_mem_gb: float, seed: int, log: Callable[[str], None]) -> list[dict]:
    """``bm25_size`` for each size, unless its build time or memory, projected linearly from the last, is too much."""
    rows: list[dict] = []
    last: dict | None = None
    for n in sorted(sizes):
        if last is not None:
            grow = n / last["n"]
            seconds = (last["index_seconds"] + last["generate_seconds"]) * grow
            peak_gb = (last["rss_peak_delta_mb"] + last["texts_mb"]) * grow / 1024
            if seconds > max_seconds or peak_gb > max_mem_gb:
                rows.append({"n": n, "skipped": f"projected from {last['n']}: ~{seconds:.0f}s to build and "
                             f"~{peak_gb:.1f} GB peak (limits {max_seconds:.0f}s, {max_mem_gb} GB)",
                             "projected_seconds": round(seconds), "projected_peak_gb": round(peak_gb, 1)})
                continue
        log(f"bm25 n={n}")
        last = isolated(bm25_size, n, sentences, questions, n_queries, seed)
        rows.append(last)
    return rows


def _sizes(text: str) -> list[int]:
    return [int(float(s)) for s in text.replace("_", "").split(",") if s.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description="FAISS flat vs HNSW and BM25 on synthetic corpora of growing size: build time, memory, median "
                    "query latency, HNSW recall@10; a log-log plot of latency against size.",
        epilog="Sizes accept 10000 or 1e4.  A size whose projected build time or memory is over the limits is "
               "skipped and the reason recorded (1M HNSW on 2 busy cores usually is).",
    )
    parser.add_argument("--sizes", type=_sizes, default=[10_000, 100_000, 1_000_000],
                        help="FAISS corpus sizes (default 10000,100000,1000000)")
    parser.add_argument("--bm25-sizes", type=_sizes, default=None,
                        help="BM25 corpus sizes (default: the same as --sizes)")
    parser.add_argument("--vectors", default=",".join(VECTOR_KINDS),
                        help="FAISS vector kinds, comma-separated: random (worst case for HNSW), clustered "
                             "(embedding-like) (default both)")
    parser.add_argument("--queries", type=int, default=200, help="queries per measurement (default 200)")
    parser.add_argument("--max-build-seconds", type=float, default=300.0,
                        help="skip an HNSW build projected to take longer (default 300: the 1M build takes ~7.5 min "
                             "on 2 shared cores, which would push the run past 15 minutes)")
    parser.add_argument("--bm25-max-seconds", type=float, default=300.0,
                        help="skip a BM25 size projected to take longer to index (default 300)")
    parser.add_argument("--max-mem-gb", type=float, default=6.0, help="skip sizes projected to need more (default 6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "scale.json", help="result file")
    parser.add_argument("--plot", type=Path, default=RESULTS_DIR / "scale.png", help="plot file")
    args = parser.parse_args(argv)

    from retriever.config import Settings

    before, started = environment(), time.perf_counter()
    result = run(args.sizes, args.bm25_sizes if args.bm25_sizes is not None else args.sizes, args.queries,
                 args.max_build_seconds, args.bm25_max_seconds, args.max_mem_gb, args.seed,
                 vectors=tuple(v.strip() for v in args.vectors.split(",") if v.strip()),
                 log=lambda m: print(m, file=sys.stderr, flush=True))
    result.update({"faiss_hnsw_above": Settings.from_env().faiss_hnsw_above, "encode_floor_ms": encode_floor_ms()})
    publish(result, "scale", before, started, args.out, print_report)
    print(f"wrote {plot(result, args.plot)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
