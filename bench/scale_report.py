"""The scale benchmark's report: its two tables and its plot of latency, build time and recall against size."""

from __future__ import annotations

import json
from pathlib import Path

from bench.results import RESULTS_DIR, fmt_ms, table
from retriever import tuning



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
    flat_rows = [r for r in faiss_rows if r["vectors"] == kinds[0]] if kinds else []  # flat costs the same on any
    lines = [("FAISS flat (exact)", [(r["n"], r["flat"]["latency_ms"]["median"]) for r in flat_rows],
              [(r["n"], max(r["flat"]["build_seconds"], 1e-3)) for r in flat_rows], "o-", "tab:blue"),
             ("FAISS flat, 1 OpenMP thread", [(r["n"], r["flat"]["latency_1_thread_ms"]["median"]) for r in flat_rows],
              [], "o:", "tab:cyan")]
    for kind, style, color in zip(kinds, ("s-", "D--"), ("tab:orange", "tab:green")):
        hnsw = [r for r in faiss_rows if r["vectors"] == kind and "latency_ms" in r.get("hnsw", {})]
        label = f"FAISS HNSW, {kind} vectors (efSearch {tuning.HNSW_EF_SEARCH})"
        lines.append((label, [(r["n"], r["hnsw"]["latency_ms"]["median"]) for r in hnsw],
                      [(r["n"], r["hnsw"]["build_seconds"]) for r in hnsw], style, color))
        if hnsw:
            ax3.plot([r["n"] for r in hnsw], [r["hnsw"]["recall_at_10"] for r in hnsw], style, color=color,
                     label=label)
    lines.append((f"BM25 (scores + top-{tuning.CANDIDATES}, as served)",
                  [(r["n"], r["latency_ms"]["median"]) for r in bm25_rows],
                  [(r["n"], r["index_seconds"]) for r in bm25_rows], "^-", "tab:red"))
    for label, latency, build, style, color in lines:
        if latency:
            ax1.plot(*zip(*latency), style, color=color, label=label)
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
    ax3.set_ylabel(f"HNSW recall@10 vs exact (efSearch {tuning.HNSW_EF_SEARCH})")
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
        f, h = r["flat"], r["hnsw"]
        built = "latency_ms" in h
        rows.append([r["vectors"], f"{r['n']:,}", f"{f['build_seconds']:.2f}", f["index_mb"],
                     fmt_ms(f["latency_ms"]["median"]), fmt_ms(f["latency_1_thread_ms"]["median"]),
                     h["build_seconds"] if built else "skipped", h["index_mb"] if built else "-",
                     fmt_ms(h["latency_ms"]["median"]) if built else "-", h["recall_at_10"] if built else "-"])
    print(table(["vectors", "n", "flat build s", "flat MB", "flat p50 ms", "flat 1-thread p50 ms", "HNSW build s",
                 "HNSW MB", "HNSW p50 ms", "HNSW recall@10"], rows))
    print()
    rows = []
    for r in result["bm25"]:
        if "skipped" in r:
            rows.append([f"{r['n']:,}", "skipped", "", "", "", "", ""])
            continue
        rows.append([f"{r['n']:,}", r["index_seconds"], r["rss_peak_delta_mb"], r["rss_delta_mb"],
                     fmt_ms(r["scores_ms"]["median"]), fmt_ms(r["lexical_top_ms"]["median"]),
                     fmt_ms(r["latency_ms"]["median"])])
    print(table(["chunks", "BM25 index s", "peak +MB", "kept +MB", "scores p50 ms",
                 f"top-{tuning.CANDIDATES} p50 ms", "served p50 ms"], rows))
    for r in result["faiss"] + result["bm25"]:
        for reason in (r.get("skipped"), r.get("hnsw", {}).get("skipped")):
            if reason:
                print(f"  n={r['n']:,}: skipped: {reason}")
