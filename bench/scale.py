"""How retrieval cost grows with the corpus: FAISS flat vs HNSW, and BM25, at 10k, 100k and 1M chunks.

The project's own corpus is 50 chunks, so every number here is on synthetic data, chosen to be honest about what
it can and cannot say:

* **FAISS**: random unit vectors of dimension 384 (all-MiniLM-L6-v2's), built with the service's own
  ``retriever.index.make_faiss_index`` (flat = ``IndexFlatIP``; HNSW = M 32, efConstruction 80, efSearch 64).
  Random vectors have no cluster structure, which is the worst case for a graph index: HNSW's build time and
  recall here are pessimistic compared with real embeddings, while flat search costs the same on any data.
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


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[f >= 0]) & set(t)) / k for f, t in zip(found, truth)]))


def hnsw_graph_bytes(index) -> int:
    """Bytes of the HNSW graph itself (neighbour lists, offsets, levels), on top of the stored vectors."""
    h = index.hnsw
    return int(h.neighbors.size() * 4 + h.offsets.size() * 8 + h.levels.size() * 4)


def faiss_size(n: int, n_queries: int, build_hnsw: bool, seed: int = 0) -> dict:
    """Flat and (optionally) HNSW at one corpus size: build time, memory, latency, HNSW recall@10 vs flat."""
    import faiss

    from retriever.index import make_faiss_index

    t = time.perf_counter()
    vectors = random_unit_vectors(n, seed=seed)
    queries = random_unit_vectors(n_queries, seed=seed + 1_000_003)
    out: dict = {"n": n, "dim": DIM, "queries": n_queries, "generate_seconds": round(time.perf_counter() - t, 2),
                 "faiss_omp_threads": faiss.omp_get_max_threads()}

    with PeakRSS() as mem:
        t = time.perf_counter()
        flat = make_faiss_index(vectors, "flat")
        build = time.perf_counter() - t
    times, _ = _search_latencies(flat, queries)
    _, truth = flat.search(queries, TOP_K)  # exact neighbours, batched
    out["flat"] = {"build_seconds": round(build, 3), "rss_delta_mb": mem.delta_mb, "rss_peak_delta_mb":
                   mem.peak_delta_mb, "index_mb": round(n * DIM * 4 / 2**20, 1), "latency_ms": summarise(times)}
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


def hnsw_build_probe(n: int = 10_000, seed: int = 0) -> float:
    """Seconds to build a small HNSW index: the basis for projecting a large build before starting it."""
    from retriever.index import make_faiss_index

    vectors = random_unit_vectors(n, seed=seed)
    t = time.perf_counter()
    make_faiss_index(vectors, "hnsw")
    return time.perf_counter() - t


def project_hnsw_seconds(n: int, n0: int, seconds0: float) -> float:
    """HNSW inserts cost ~log(n) each: scale a measured build by n log n."""
    return seconds0 * (n / n0) * (math.log(n) / math.log(n0))


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


def run(sizes: list[int], bm25_sizes: list[int], n_queries: int = 200, max_build_seconds: float = 360.0,
        bm25_max_seconds: float = 300.0, max_mem_gb: float = 6.0, seed: int = 0, log=print) -> dict:
    """All sizes, smallest first, each in its own process; skip what the previous size says would not fit."""
    faiss_rows, bm25_rows = [], []
    last_hnsw: tuple[int, float] | None = None
    for n in sorted(sizes):
        vector_gb = n * DIM * 4 / 2**30
        if 2.2 * vector_gb > max_mem_gb:  # the vectors, the flat copy, the HNSW copy and its graph
            faiss_rows.append({"n": n, "skipped": f"needs ~{2.2 * vector_gb:.1f} GB, over --max-mem-gb {max_mem_gb}"})
            continue
        if last_hnsw is None and n > 20_000:
            last_hnsw = (10_000, isolated("hnsw_build_probe", 10_000, seed))
            log(f"hnsw probe: 10000 vectors built in {last_hnsw[1]:.1f}s")
        projected = project_hnsw_seconds(n, *last_hnsw) if last_hnsw else 0.0
        build_hnsw = projected <= max_build_seconds
        log(f"faiss n={n}: flat" + (" + hnsw" if build_hnsw else f" (hnsw skipped: projected {projected:.0f}s)"))
        row = isolated("faiss_size", n, n_queries, build_hnsw, seed)
        if build_hnsw:
            last_hnsw = (n, row["hnsw"]["build_seconds"])
        else:
            row["hnsw"] = {"skipped": f"projected build {projected:.0f}s (n log n from the {last_hnsw[0]}-vector "
                                      f"build) exceeds --max-build-seconds {max_build_seconds:.0f}",
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
            rows.append({"n": r["n"], "flat_ms": flat["latency_ms"]["median"], "hnsw_ms": hnsw["latency_ms"]["median"],
                         "flat_over_hnsw": round(flat["latency_ms"]["median"] / hnsw["latency_ms"]["median"], 2),
                         "hnsw_recall_at_10": hnsw["recall_at_10"], "hnsw_build_seconds": hnsw["build_seconds"]})
    return {"by_size": rows}


def encode_floor_ms() -> float | None:
    """The bare query-encode median from bench/results/stages.json, if it has been run: a line on the plot."""
    try:
        return json.loads((RESULTS_DIR / "stages.json").read_text())["totals_ms"]["bare_encode_floor"]["median"]
    except (OSError, KeyError, ValueError):
        return None


def plot(result: dict, path: Path) -> Path:
    """Median query latency and build time against corpus size, log-log, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def series(rows, key):
        pts = [(r["n"], r[key]) for r in rows if key in r and "latency_ms" in r[key]]
        return pts

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    faiss_rows = [r for r in result["faiss"] if "skipped" not in r]
    bm25_rows = [r for r in result["bm25"] if "skipped" not in r]
    lines = [
        ("FAISS flat (exact)", [(r["n"], r["flat"]["latency_ms"]["median"]) for r in faiss_rows],
         [(r["n"], max(r["flat"]["build_seconds"], 1e-3)) for r in faiss_rows], "o-"),
        (f"FAISS HNSW (efSearch {SERVICE_EF})",
         [(n, h["latency_ms"]["median"]) for n, h in series(faiss_rows, "hnsw")],
         [(n, h["build_seconds"]) for n, h in series(faiss_rows, "hnsw")], "s-"),
        ("BM25 (scores + top-30, as served)", [(r["n"], r["latency_ms"]["median"]) for r in bm25_rows],
         [(r["n"], r["index_seconds"]) for r in bm25_rows], "^-"),
    ]
    for label, lat, build, style in lines:
        if lat:
            ax1.plot(*zip(*lat), style, label=label)
        if build:
            ax2.plot(*zip(*build), style, label=label)
    floor = result.get("encode_floor_ms")
    if floor:
        ax1.axhline(floor, color="grey", linestyle=":", label=f"query encode floor ({floor:.0f} ms, stages.json)")
    threshold = result.get("faiss_hnsw_above")
    for ax in (ax1, ax2):
        if threshold:
            ax.axvline(threshold, color="red", linestyle="--", linewidth=0.8, label=f"auto threshold ({threshold:,})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("corpus size (chunks)")
        ax.grid(True, which="both", alpha=0.3)
    ax1.set_ylabel("median query latency (ms, one query at a time)")
    ax1.set_title("Query latency")
    ax2.set_ylabel("build / index time (s)")
    ax2.set_title("Build time")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.suptitle("alliance-qa retrieval vs corpus size (synthetic corpora; 384-d random vectors, resampled text)",
                 fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def print_report(result: dict) -> None:
    rows = []
    for r in result["faiss"]:
        if "skipped" in r:
            rows.append([f"{r['n']:,}", "skipped", "", "", "", "", "", ""])
            continue
        f, h = r["flat"], r.get("hnsw", {})
        hs = "latency_ms" in h
        rows.append([f"{r['n']:,}", f"{f['build_seconds']:.2f}", f["index_mb"], fmt_ms(f["latency_ms"]["median"]),
                     h["build_seconds"] if hs else "skipped", h["index_mb"] if hs else "-",
                     fmt_ms(h["latency_ms"]["median"]) if hs else "-", h["recall_at_10"] if hs else "-"])
    print(table(["vectors", "flat build s", "flat MB", "flat p50 ms", "HNSW build s", "HNSW MB", "HNSW p50 ms",
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
    parser.add_argument("--queries", type=int, default=200, help="queries per measurement (default 200)")
    parser.add_argument("--max-build-seconds", type=float, default=360.0,
                        help="skip an HNSW build projected to take longer (default 360)")
    parser.add_argument("--bm25-max-seconds", type=float, default=300.0,
                        help="skip a BM25 size projected to take longer to index (default 300)")
    parser.add_argument("--max-mem-gb", type=float, default=6.0, help="skip sizes projected to need more (default 6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "scale.json", help="result file")
    parser.add_argument("--plot", type=Path, default=RESULTS_DIR / "scale.png", help="plot file")
    args = parser.parse_args(argv)

    from retriever.config import Settings

    env = environment()
    t0 = time.perf_counter()
    result = run(args.sizes, args.bm25_sizes if args.bm25_sizes is not None else args.sizes, args.queries,
                 args.max_build_seconds, args.bm25_max_seconds, args.max_mem_gb, args.seed,
                 log=lambda m: print(m, file=sys.stderr, flush=True))
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
