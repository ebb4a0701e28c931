"""Smoke tests of the benchmark code (bench/): it runs, returns well-formed results, and measures the service's own
code rather than a copy of it.

Behaviour only: on a shared machine any time threshold would be flaky, so nothing here asserts a duration.
The real runs are `python -m bench.<name>` (see bench/README.md).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from retriever import tuning
from retriever.config import PROJECT_ROOT

if str(PROJECT_ROOT) not in sys.path:  # bench/ is not an installed package; `pytest` alone may not see it
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.stats import percentile, summarise  # noqa: E402
from eval.gold import load_gold  # noqa: E402


def test_summary_statistics_are_the_usual_ones():
    s = summarise([1, 2, 3, 4, 100])
    assert s["n"] == 5 and s["median"] == 3 and s["min"] == 1 and s["max"] == 100
    assert 4 < s["p95"] <= 100
    assert percentile([], 50) is None and summarise([])["median"] is None


def test_help_path_imports_no_torch():
    from bench.coldstart import help_imports

    imported = help_imports()
    assert set(imported) >= {"torch", "faiss", "sentence_transformers"}
    assert imported["torch"] is False


def test_scale_bm25_times_the_services_own_top_n():
    from bench.scale import served_bm25
    from retriever.lexical import Lexical
    from retriever.rank import lexical_top

    # More matching chunks than the service keeps, with ties, so the top-n cut and its tie order both matter.
    texts = [f"steel tariffs {'steel ' * (i % 7)}shipbuilding report number {i}" for i in range(3 * tuning.CANDIDATES)]
    lexical = Lexical(texts)
    question = "How high were the steel tariffs?"
    scores = lexical.scores(lexical.terms(question))

    ids, _, _ = served_bm25(lexical, question)
    assert ids == [r.chunk for r in lexical_top(scores, tuning.CANDIDATES)]
    assert len(ids) == tuning.CANDIDATES
    # The n best scores, as a full sort would keep (which chunks of a tie straddling the cut is argpartition's pick).
    assert np.array_equal(scores[ids], np.sort(scores)[::-1][: tuning.CANDIDATES])


def test_scale_hnsw_is_the_services_hnsw():
    from bench.scale import EF_SEARCH, faiss_size

    hnsw = faiss_size(300, 5, build_hnsw=True, kind="clustered")["hnsw"]
    assert (hnsw["M"], hnsw["ef_construction"], hnsw["ef_search_service"]) == (
        tuning.HNSW_M, tuning.HNSW_EF_CONSTRUCTION, tuning.HNSW_EF_SEARCH)
    assert tuning.HNSW_EF_SEARCH in EF_SEARCH
    assert hnsw["recall_at_10"] == hnsw["by_ef_search"][str(tuning.HNSW_EF_SEARCH)]["recall_at_10"]


def test_scale_runs_on_a_tiny_corpus(tmp_path):
    from bench import scale
    from bench.scale_report import plot
    from bench.synthetic import VECTOR_KINDS

    result = scale.run([2000], [2000], n_queries=10, log=lambda m: None)
    assert [r["vectors"] for r in result["faiss"]] == list(VECTOR_KINDS)
    for row in result["faiss"]:
        assert row["n"] == 2000 and row["flat"]["latency_ms"]["n"] == 10
        assert 0.0 <= row["hnsw"]["recall_at_10"] <= 1.0
        assert set(row["hnsw"]["by_ef_search"]) == {str(ef) for ef in scale.EF_SEARCH}
    (bm,) = result["bm25"]
    assert bm["n"] == 2000 and bm["vocabulary"] > 100 and bm["candidates"] == tuning.CANDIDATES
    assert bm["latency_ms"]["n"] == bm["scores_ms"]["n"] == bm["lexical_top_ms"]["n"] == 10
    assert 60 <= bm["mean_words_per_chunk"] <= 200
    result["faiss_hnsw_above"] = 50_000
    assert plot(result, tmp_path / "scale.png").stat().st_size > 1000


def test_clustered_vectors_are_unit_length_and_share_topics_with_their_queries():
    from bench.synthetic import make_vectors

    corpus, queries = make_vectors("clustered", 500, seed=0), make_vectors("clustered", 20, seed=0, queries=True)
    assert corpus.shape == (500, 384) and abs(float((corpus[0] ** 2).sum()) - 1.0) < 1e-4
    assert not (corpus[:20] == queries).all()
    assert float((queries @ corpus.T).max(axis=1).mean()) > 0.5  # a topic neighbour exists for every query


def test_scale_skips_what_would_not_fit():
    from bench import scale

    result = scale.run([1_000_000], [], n_queries=5, max_build_seconds=0.001, max_mem_gb=0.5, log=lambda m: None)
    assert "skipped" in result["faiss"][0]


def test_stages_breaks_down_a_question(searcher):
    from bench import stages

    result = stages.report(stages.measure(searcher, load_gold()[:2], warmup=1))
    assert result["questions"] == 2
    assert {"encode", "faiss", "bm25", "rerank", "read", "compose", "serialize"} <= set(result["stages_ms"])
    assert result["totals_ms"]["bare_encode_floor"]["median"] > 0
    assert result["ratios"]["end_to_end_over_floor"] > 0 and result["ratios"]["pipeline_over_dense"] > 0
    assert isinstance(result["ratios"]["pipeline_within_target_of_dense"], bool)


def test_load_against_the_live_server(live_server):
    from bench.load import run_load

    questions = [q.question for q in load_gold()[:6]]
    result = run_load(live_server.url, questions, clients=2, seconds=3, max_requests=50,
                      server_pid=live_server.proc.pid)
    assert result["errors"] == 0, result["error_samples"]
    assert result["requests"] == result["ok"] >= 1
    assert result["throughput_rps"] > 0
    assert result["latency_ms"]["n"] == result["ok"] and result["latency_ms"]["p99"] >= result["latency_ms"]["median"]
    memory = result["memory_mb"]
    assert memory["before"] > 0 and memory["after"] > 0 and memory["peak"] >= memory["before"]


def test_load_only_targets_loopback():
    from bench.load import run_load

    with pytest.raises(ValueError, match="127.0.0.1"):
        run_load("http://example.com:80", ["q"], clients=1, seconds=1)


def test_indexing_papers_are_unique_real_sentences_of_the_asked_length(tmp_path):
    """The indexing benchmark must not be flattered by vectors reused for repeated text."""
    from bench.indexing import paper_text, unique_sentences, write_papers

    source = unique_sentences(["Tariffs rose.", "Ships were built in Busan."], seed=3)
    drawn = [next(source) for _ in range(50)]
    assert len(set(drawn)) == 50
    assert all(s.endswith(".") and ("Tariffs rose" in s or "Ships were built" in s) for s in drawn)
    text = paper_text("A Title", 120, source)
    assert text.startswith("A Title\n\n") and len(text.split()) >= 120
    first, second = write_papers(tmp_path, 2, 200, seed=0)
    assert first.read_text() != second.read_text()


def test_serving_runs_on_tiny_settings_and_serves_without_torch(index, settings, tmp_path):
    import json

    from bench import serving

    out = tmp_path / "serving.json"
    rc = serving.main(["--questions", "3", "--runs", "1", "--seconds", "2", "--rounds", "1", "--clients", "2",
                       "--index-dir", str(settings.index_dir), "--out", str(out)])
    result = json.loads(out.read_text())
    assert rc == 0 and result["benchmark"] == "serving"
    assert result["index"]["query_encoder"] == "OnnxTokenEncoder"
    side = result["side_by_side"]
    assert side["http_errors"] == 0 and side["min_cosine_onnx_vs_torch"] > 0.99
    assert result["threads"]["torch"] >= 1  # read from the torch reference's own process
    assert {"torch_encode", "onnx_encode", "pipeline", "http", "server_total"} <= set(side["ms"])
    assert all(side["ms"][name]["n"] == 3 for name in serving.STEPS)
    assert result["torch"] == {"in_fresh_ask_process": False, "mapped_in_served_processes": False,
                               "served_path_imports_torch": False}
    assert result["cold_start"]["serve_ready_seconds"]["n"] == result["cold_start"]["ask_wall_seconds"]["n"] == 1
    assert len(result["rss_mb"]["per_worker"]["two_workers_after_load"]) == 2
    assert len(result["rss_mb"]["per_worker"]["two_workers_at_rest_after_load"]) == 2
    assert result["load"]["errors"] == 0 and result["load"]["comparison"]["throughput_2_over_1"] > 0
    assert set(result["targets"]) == {"onnx_speedup", "http_over_torch_encode", "serve_ready_s", "ask_wall_s",
                                      "rss_per_worker_mb", "throughput_2_over_1", "no_torch_when_serving"}
    assert all(isinstance(t["met"], bool) for t in result["targets"].values())
