"""How retrieval cost grows with the corpus: FAISS flat vs HNSW, and BM25, at 10k, 100k and 1M chunks.

The project's own corpus is 50 chunks, so every number here is on synthetic data, chosen to be honest about what
it can and cannot say:

* **FAISS**: unit vectors of dimension 384 (all-MiniLM-L6-v2's), indexed with the service's own
  ``retriever.index.make_faiss_index`` (flat = ``IndexFlatIP``; HNSW = M 32, efConstruction 80, efSearch 64).
  Two kinds of vectors bracket real embeddings.  ``random`` (isotropic Gaussian, normalised) has no structure at
  all: every point's neighbours are almost equidistant, the worst case for a graph index, so HNSW's build time and
  recall there are a pessimistic bound.  ``clustered`` draws points around 1,000 topic centres in a 32-dimensional
  latent space projected to 384 dimensions, plus noise (random pairs have cosine ~0, a query's nearest neighbour
  ~0.8, as with sentence embeddings): an optimistic bound.  Flat search costs the same on either.
  Recall@10 of HNSW is measured against flat (exact) search on the same queries, at several efSearch values.
* **BM25**: real sentences from the project's canonical texts, recombined at random into ~100-word chunks and
  indexed with ``retriever.search.Lexical`` (the service's class, same tokenisation and stemming), queried with
  the English gold questions.  The vocabulary is the corpus's (a few thousand stems), so posting lists are denser
  than in a real 1M-chunk collection: latency here is an upper bound for the same chunk count.

Each corpus size runs in a fresh process (``spawn``), so memory figures are that size's alone and a large size
cannot leave fragments behind for the next.  Sizes whose projected build time or memory exceed the limits are
skipped, and the reason is written to the result instead of a number.

    python -m bench.scale                          # 10k, 100k, 1M; writes bench/results/scale.json and scale.png
    python -m bench.scale --sizes 10000,100000     # skip 1M
    python -m bench.scale --sizes 1e6 --bm25-sizes "" --vectors clustered --max-build-seconds 3600 \
        --out bench/results/scale-1m-hnsw.json --plot bench/results/scale-1m-hnsw.png
                                                   # measure the 1M HNSW build instead of projecting it
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

from bench import (RESULTS_DIR, PeakRSS, environment, fmt_ms, gold_questions, summarise, table,
                   write_result)

DIM = 384  # all-MiniLM-L6-v2
TOP_K = 10
CANDIDATES = 30  # Settings.candidates: what the pipeline takes from BM25
EF_SEARCH = (16, 32, 64, 128, 256)
SERVICE_EF = 64  # make_faiss_index's efSearch
CHUNK_WORDS = 100
VECTOR_KINDS = ("random", "clustered")


# ------------------------------------------------------------------------------------------------------ data


def random_unit_vectors(n: int, d: int = DIM, seed: int = 0, batch: int = 65_536) -> np.ndarray:
    """``n`` random float32 unit vectors, generated in batches so 1M x 384 never needs a float64 copy."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, d), dtype=np.float32)
    for i in range(0, n, batch):
        block = rng.standard_normal((min(batch, n - i), d), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[i : i + len(block)] = block
    return out


def clustered_unit_vectors(n: int, d: int = DIM, seed: int = 0, sample_seed: int = 1, latent: int = 32,
                           clusters: int = 1000, spread: float = 0.6, noise: float = 0.15,
                           batch: int = 65_536) -> np.ndarray:
    """``n`` unit vectors with topic structure and low intrinsic dimension, like sentence embeddings.

    ``seed`` fixes the structure (topic centres, projection) and ``sample_seed`` the draw, so a corpus and its
    queries share topics without sharing points.
    """
    structure = np.random.default_rng(seed)
    proj = structure.standard_normal((latent, d), dtype=np.float32) / np.float32(np.sqrt(latent))
    centres = structure.standard_normal((clusters, latent), dtype=np.float32)
    rng = np.random.default_rng(sample_seed)
    out = np.empty((n, d), dtype=np.float32)
    for i in range(0, n, batch):
        m = min(batch, n - i)
        z = centres[rng.integers(0, clusters, m)] + np.float32(spread) * rng.standard_normal((m, latent),
                                                                                            dtype=np.float32)
        block = z @ proj + np.float32(noise) * rng.standard_normal((m, d), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[i : i + m] = block
    return out


def make_vectors(kind: str, n: int, seed: int, queries: bool = False) -> np.ndarray:
    """Corpus (or query) vectors of one kind; queries are a different draw from the same distribution."""
    if kind == "random":
        return random_unit_vectors(n, seed=seed + 1_000_003 if queries else seed)
    if kind == "clustered":
        return clustered_unit_vectors(n, seed=seed, sample_seed=seed + (2 if queries else 1))
    raise ValueError(f"unknown vector kind {kind!r}; choose from {', '.join(VECTOR_KINDS)}")


def corpus_sentences(corpus_dir: Path | None = None, min_words: int = 4) -> list[str]:
    """Sentences of the project's canonical texts, split by the chunker's own sentence splitter."""
    from retriever.chunking import sentence_spans
    from retriever.config import Settings
    from retriever.documents import load_corpus

    corpus_dir = corpus_dir or Settings.from_env().corpus_dir
    out = []
    for doc in load_corpus(corpus_dir):
        for a, b in sentence_spans(doc.text):
            s = " ".join(doc.text[a:b].split())
            if len(s.split()) >= min_words:
                out.append(s)
    return out


def synthetic_chunks(sentences: list[str], n: int, words: int = CHUNK_WORDS, seed: int = 0) -> list[str]:
    """``n`` chunks of about ``words`` words, each a random draw of real sentences (so real term statistics)."""
    rng = np.random.default_rng(seed)
    lengths = np.array([len(s.split()) for s in sentences])
    draws = rng.integers(0, len(sentences), size=n * max(2, 2 * words // max(1, int(lengths.mean()))) + 64)
    chunks, pos = [], 0
    for _ in range(n):
        parts, count = [], 0
        while count < words:
            if pos >= len(draws):
                draws, pos = rng.integers(0, len(sentences), size=len(draws)), 0
            j = draws[pos]
            pos += 1
            parts.append(sentences[j])
            count += lengths[j]
        chunks.append(" ".join(parts))
    return chunks


# ----------------------------------------------------------------------------------------------------- FAISS


def _search_latencies(index, queries: np.ndarray, k: int = TOP_K) -> tuple[list[float], np.ndarray]:
    """One query at a time, as the service searches; returns per-query ms and the ids found."""
    times, ids = [], np.empty((len(queries), k), dtype=np.int64)
    for i in range(len(queries)):
        t = time.perf_counter()
        _, found = index.search(queries[i : i + 1], k)
        times.append((time.perf_counter() - t) * 1000)
        ids[i] = found[0]
    return times, ids


def _flat_latencies(index, queries: np.ndarray, k: int = TOP_K) -> tuple[list[float], list[float]]:
    """Flat search one query at a time with FAISS's default OpenMP threads and with one thread, interleaved.

    With a single query FAISS splits the scan across its OpenMP threads; on a busy machine one of them is often
    descheduled and the other waits for it a whole scheduler tick.  Alternating the two settings query by query
    exposes both to the same background load.
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


def hnsw_graph_bytes(index) -> int:
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
    times, times_1 = _flat_latencies(flat, queries)
    _, truth = flat.search(queries, TOP_K)  # exact neighbours, batched
    out["flat"] = {"build_seconds": round(build, 3), "rss_delta_mb": mem.delta_mb, "rss_peak_delta_mb":
                   mem.peak_delta_mb, "index_mb": round(n * DIM * 4 / 2**20, 1), "latency_ms": summarise(times),
                   "latency_1_thread_ms": summarise(times_1)}
    del flat

    if not build_hnsw:
        return out
    with PeakRSS() as mem:
        t = time.perf_counter()
        hnsw = make_faiss_index(vectors, "hnsw")
        build = time.perf_counter() - t
    by_ef = {}
    for ef in EF_SEARCH:
        hnsw.hnsw.efSearch = ef
        times, found = _search_latencies(hnsw, queries)
        by_ef[str(ef)] = {"latency_ms": summarise(times), "recall_at_10": round(recall_at_k(found, truth), 4)}
    hnsw.hnsw.efSearch = SERVICE_EF
    out["hnsw"] = {
        "build_seconds": round(build, 2),
        "rss_delta_mb": mem.delta_mb,
        "rss_peak_delta_mb": mem.peak_delta_mb,
        "index_mb": round((n * DIM * 4 + hnsw_graph_bytes(hnsw)) / 2**20, 1),
        "M": 32,
        "ef_construction": hnsw.hnsw.efConstruction,
        "ef_search_service": SERVICE_EF,
        "latency_ms": by_ef[str(SERVICE_EF)]["latency_ms"],
        "recall_at_10": by_ef[str(SERVICE_EF)]["recall_at_10"],
        "by_ef_search": by_ef,
    }
    return out


def hnsw_build_probe(n: int = 10_000, seed: int = 0, kind: str = "random") -> float:
    """Seconds to build a small HNSW index: the basis for projecting a large build before starting it."""
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


def bm25_size(n: int, sentences: list[str], questions: list[str], n_queries: int, seed: int = 0) -> dict:
    """Index ``n`` synthetic chunks with the service's Lexical class; time queries as ``Searcher`` runs them."""
    from retriever.search import Lexical

    t = time.perf_counter()
    texts = synthetic_chunks(sentences, n, seed=seed)
    words = sum(len(s.split()) for s in texts[:1000]) / min(n, 1000)
    gen = time.perf_counter() - t
    with PeakRSS() as mem:
        t = time.perf_counter()
        lex = Lexical(texts)
        build = time.perf_counter() - t
    texts_mb = round(sum(len(s) for s in texts) / 2**20, 1)
    del texts
    score_ms, argsort_ms, partition_ms = [], [], []
    for i in range(n_queries):
        terms = lex.terms(questions[i % len(questions)])
        t = time.perf_counter()
        scores = lex.scores(terms)
        score_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        np.argsort(-scores, kind="stable")[:CANDIDATES]  # Searcher._lexical_top's way
        argsort_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        top = np.argpartition(-scores, CANDIDATES)[:CANDIDATES] if len(scores) > CANDIDATES else np.arange(n)
        top[np.argsort(-scores[top], kind="stable")]
        partition_ms.append((time.perf_counter() - t) * 1000)
    served = [a + b for a, b in zip(score_ms, argsort_ms)]
    return {
        "n": n,
        "mean_words_per_chunk": round(words, 1),
        "vocabulary": len(lex.idf),
        "texts_mb": texts_mb,
        "generate_seconds": round(gen, 2),
        "index_seconds": round(build, 2),
        "rss_delta_mb": mem.delta_mb,
        "rss_peak_delta_mb": mem.peak_delta_mb,
        "queries": n_queries,
        "latency_ms": summarise(served),
        "scores_ms": summarise(score_ms),
        "top_argsort_ms": summarise(argsort_ms),
        "top_argpartition_ms": summarise(partition_ms),
    }


# --------------------------------------------------------------------------------------------------- running


def _child(conn, fn_name: str, args: tuple) -> None:
    try:
        conn.send(("ok", globals()[fn_name](*args)))
    except BaseException as exc:  # report, do not hang the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def isolated(fn_name: str, *args: object) -> dict:
    """Run one of this module's functions in a fresh ``spawn`` process and return its result.

    A fresh process per corpus size gives each size its own memory baseline, and never forks a process whose
    OpenMP pool (FAISS, torch) is already running, which is not fork-safe.
    """
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn_name, args))
    proc.start()
    child.close()
    try:
        status, value = parent.recv()
    except EOFError:
        status, value = "error", "the worker process died (out of memory?)"
    proc.join()
    if status != "ok":
        raise RuntimeError(f"{fn_name}{args[:1]} failed: {value}")
    return value


def run(sizes: list[int], bm25_sizes: list[int], n_queries: int = 200, max_build_seconds: float = 300.0,
        bm25_max_seconds: float = 300.0, max_mem_gb: float = 6.0, seed: int = 0,
        vectors: tuple[str, ...] = VECTOR_KINDS, log=print) -> dict:
    """All sizes, smallest first, each in its own process; skip what the previous size says would not fit."""
    faiss_rows, bm25_rows = [], []
    for kind in vectors:
        last_hnsw: tuple[int, float] | None = None
        for n in sorted(sizes):
            vector_gb = n * DIM * 4 / 2**30
            if 3.2 * vector_gb > max_mem_gb:  # the vectors, the flat copy, the HNSW copy and its graph
                faiss_rows.append({"n": n, "vectors": kind,
                                   "skipped": f"needs ~{3.2 * vector_gb:.1f} GB, over --max-mem-gb {max_mem_gb}"})
                continue
            if last_hnsw is None and n > 20_000:
                last_hnsw = (10_000, isolated("hnsw_build_probe", 10_000, seed, kind))
                log(f"hnsw probe ({kind}): 10000 vectors built in {last_hnsw[1]:.1f}s")
            projected = project_hnsw_seconds(n, *last_hnsw) if last_hnsw else 0.0
            build_hnsw = projected <= max_build_seconds
            log(f"faiss {kind} n={n}: flat"
                + (" + hnsw" if build_hnsw else f" (hnsw skipped: projected {projected:.0f}s)"))
            row = isolated("faiss_size", n, n_queries, build_hnsw, seed, kind)
            if build_hnsw:
                last_hnsw = (n, row["hnsw"]["build_seconds"])
            else:
                row["hnsw"] = {"skipped": f"projected build {projected:.0f}s (n^1.2 log n from the "
                                          f"{last_hnsw[0]}-vector build) exceeds --max-build-seconds "
                                          f"{max_build_seconds:.0f}",
                               "projected_build_seconds": round(projected)}
            faiss_rows.append(row)

    sentences = corpus_sentences()
    questions = [q["question"] for q in gold_questions() if q["lang"] == "en"]
    last: dict | None = None
    for n in sorted(bm25_sizes):
        if last is not None:
            grow = n / last["n"]
            t_proj = (last["index_seconds"] + last["generate_seconds"]) * grow
            mem_proj = (last["rss_peak_delta_mb"] + last["texts_mb"]) * grow / 1024
            if t_proj > bm25_max_seconds or mem_proj > max_mem_gb:
                bm25_rows.append({"n": n, "skipped": f"projected from {last['n']}: ~{t_proj:.0f}s to build and "
                                  f"~{mem_proj:.1f} GB peak (limits {bm25_max_seconds:.0f}s, {max_mem_gb} GB)",
                                  "projected_seconds": round(t_proj), "projected_peak_gb": round(mem_proj, 1)})
                continue
        log(f"bm25 n={n}")
        last = isolated("bm25_size", n, sentences, questions, n_queries, seed)
        bm25_rows.append(last)
    return {"faiss": faiss_rows, "bm25": bm25_rows, "corpus_sentences": len(sentences)}


def crossover(faiss_rows: list[dict]) -> dict:
    """Where HNSW starts to pay: flat's and HNSW's median latency per size, and their ratio."""
    rows = []
    for r in faiss_rows:
        flat, hnsw = r.get("flat"), r.get("hnsw", {})
        if flat and "latency_ms" in hnsw:
            rows.append({"n": r["n"], "vectors": r["vectors"], "flat_ms": flat["latency_ms"]["median"],
                         "hnsw_ms": hnsw["latency_ms"]["median"],
                         "flat_over_hnsw": round(flat["latency_ms"]["median"] / hnsw["latency_ms"]["median"], 2),
                         "hnsw_recall_at_10": hnsw["recall_at_10"], "hnsw_build_seconds": hnsw["build_seconds"]})
    return {"by_size": rows}


def merge_hnsw(result: dict, other: dict, source: str) -> int:
    """Fill HNSW results this run skipped with ones measured by another run (e.g. a long 1M build done once)."""
    merged = 0
    for theirs in other.get("faiss", []):
        if "latency_ms" not in theirs.get("hnsw", {}):
            continue
        for ours in result["faiss"]:
            if (ours.get("vectors"), ours["n"]) == (theirs.get("vectors"), theirs["n"]) and \
                    "latency_ms" not in ours.get("hnsw", {}):
                ours["hnsw"] = {**theirs["hnsw"], "measured_in": source}
                merged += 1
    return merged


def encode_floor_ms() -> float | None:
    """The bare query-encode median from bench/results/stages.json, if it has been run: a line on the plot."""
    try:
        return json.loads((RESULTS_DIR / "stages.json").read_text())["totals_ms"]["bare_encode_floor"]["median"]
    except (OSError, KeyError, ValueError):
        return None


def plot(result: dict, path: Path) -> Path:
    """Median query latency, build time and HNSW recall against corpus size, log-log, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(16, 4.8))
    faiss_rows = [r for r in result["faiss"] if "skipped" not in r]
    bm25_rows = [r for r in result["bm25"] if "skipped" not in r]
    kinds = list(dict.fromkeys(r["vectors"] for r in faiss_rows))
    flat_rows = [r for r in faiss_rows if r["vectors"] == kinds[0]] if kinds else []
    lines = [("FAISS flat (exact)", [(r["n"], r["flat"]["latency_ms"]["median"]) for r in flat_rows],
              [(r["n"], max(r["flat"]["build_seconds"], 1e-3)) for r in flat_rows], "o-", "tab:blue"),
             ("FAISS flat, 1 OpenMP thread", [(r["n"], r["flat"]["latency_1_thread_ms"]["median"])
                                              for r in flat_rows if "latency_1_thread_ms" in r["flat"]], [], "o:",
              "tab:cyan")]
    for kind, style, color in zip(kinds, ("s-", "D--"), ("tab:orange", "tab:green")):
        hn = [r for r in faiss_rows if r["vectors"] == kind and "latency_ms" in r.get("hnsw", {})]
        label = f"FAISS HNSW, {kind} vectors (efSearch {SERVICE_EF})"
        lines.append((label, [(r["n"], r["hnsw"]["latency_ms"]["median"]) for r in hn],
                      [(r["n"], r["hnsw"]["build_seconds"]) for r in hn], style, color))
        if hn:
            ax3.plot([r["n"] for r in hn], [r["hnsw"]["recall_at_10"] for r in hn], style, color=color, label=label)
    lines.append(("BM25 (scores + top-30, as served)", [(r["n"], r["latency_ms"]["median"]) for r in bm25_rows],
                  [(r["n"], r["index_seconds"]) for r in bm25_rows], "^-", "tab:red"))
    for label, lat, build, style, color in lines:
        if lat:
            ax1.plot(*zip(*lat), style, color=color, label=label)
        if build:
            ax2.plot(*zip(*build), style, color=color, label=label)
    floor = result.get("encode_floor_ms")
    if floor:
        ax1.axhline(floor, color="grey", linestyle=":", label=f"query encode floor ({floor:.0f} ms, stages.json)")
    threshold = result.get("faiss_hnsw_above")
    for ax in (ax1, ax2, ax3):
        if threshold:
            ax.axvline(threshold, color="red", linestyle="--", linewidth=0.8, label=f"auto threshold ({threshold:,})")
        ax.set_xscale("log")
        ax.set_xlabel("corpus size (chunks)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    ax1.set_yscale("log")
    ax2.set_yscale("log")
    ax1.set_ylabel("median query latency (ms, one query at a time)")
    ax1.set_title("Query latency")
    ax2.set_ylabel("build / index time (s)")
    ax2.set_title("Build time")
    ax3.set_ylabel(f"HNSW recall@10 vs exact (efSearch {SERVICE_EF})")
    ax3.set_ylim(0, 1.05)
    ax3.set_title("HNSW recall")
    fig.suptitle("alliance-qa retrieval vs corpus size (synthetic corpora: 384-d vectors, resampled corpus text)",
                 fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def print_report(result: dict) -> None:
    rows = []
    for r in result["faiss"]:
        if "skipped" in r:
            rows.append([r["vectors"], f"{r['n']:,}", "skipped", "", "", "", "", "", "", ""])
            continue
        f, h = r["flat"], r.get("hnsw", {})
        hs = "latency_ms" in h
        rows.append([r["vectors"], f"{r['n']:,}", f"{f['build_seconds']:.2f}", f["index_mb"],
                     fmt_ms(f["latency_ms"]["median"]),
                     fmt_ms(f.get("latency_1_thread_ms", {}).get("median")),
                     h["build_seconds"] if hs else "skipped", h["index_mb"] if hs else "-",
                     fmt_ms(h["latency_ms"]["median"]) if hs else "-", h["recall_at_10"] if hs else "-"])
    print(table(["vectors", "n", "flat build s", "flat MB", "flat p50 ms", "flat 1-thread p50 ms", "HNSW build s",
                 "HNSW MB", "HNSW p50 ms",
                 "HNSW recall@10"], rows))
    print()
    rows = []
    for r in result["bm25"]:
        if "skipped" in r:
            rows.append([f"{r['n']:,}", "skipped", "", "", "", "", ""])
            continue
        rows.append([f"{r['n']:,}", r["index_seconds"], r["rss_peak_delta_mb"], r["rss_delta_mb"],
                     fmt_ms(r["scores_ms"]["median"]), fmt_ms(r["top_argsort_ms"]["median"]),
                     fmt_ms(r["latency_ms"]["median"])])
    print(table(["chunks", "BM25 index s", "peak +MB", "kept +MB", "scores p50 ms", "argsort p50 ms",
                 "served p50 ms"], rows))
    for r in result["faiss"] + result["bm25"]:
        for reason in (r.get("skipped"), r.get("hnsw", {}).get("skipped") if isinstance(r.get("hnsw"), dict) else None):
            if reason:
                print(f"  n={r['n']:,}: skipped: {reason}")


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
    parser.add_argument("--merge", type=Path, action="append", default=[], metavar="JSON",
                        help="take HNSW results this run skips from an earlier result file (repeatable), e.g. "
                             "bench/results/scale-1m-hnsw.json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "scale.json", help="result file")
    parser.add_argument("--plot", type=Path, default=RESULTS_DIR / "scale.png", help="plot file")
    args = parser.parse_args(argv)

    from retriever.config import Settings

    env = environment()
    t0 = time.perf_counter()
    result = run(args.sizes, args.bm25_sizes if args.bm25_sizes is not None else args.sizes, args.queries,
                 args.max_build_seconds, args.bm25_max_seconds, args.max_mem_gb, args.seed,
                 vectors=tuple(v.strip() for v in args.vectors.split(",") if v.strip()),
                 log=lambda m: print(m, file=sys.stderr, flush=True))
    for path in args.merge:
        if path.exists():
            n = merge_hnsw(result, json.loads(path.read_text(encoding="utf-8")), str(path))
            print(f"merged {n} HNSW result(s) from {path}", file=sys.stderr)
        else:
            print(f"--merge: {path} does not exist; nothing merged", file=sys.stderr)
    result.update({
        "benchmark": "scale",
        "run_seconds": round(time.perf_counter() - t0, 1),
        "crossover": crossover(result["faiss"]),
        "faiss_hnsw_above": Settings.from_env().faiss_hnsw_above,
        "encode_floor_ms": encode_floor_ms(),
        "environment": env,
        "load_average_after": environment()["load_average"],
    })
    print_report(result)
    print(f"wrote {write_result(result, args.out)} and {plot(result, args.plot)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
