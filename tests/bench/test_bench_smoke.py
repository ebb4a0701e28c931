"""Smoke tests of the benchmark code (bench/): it runs and returns well-formed results.

Behaviour only: on a shared machine any time threshold would be flaky, so nothing here asserts a duration.
The real runs are `python -m bench.<name>` (see bench/README.md).
"""

from __future__ import annotations

import sys

import pytest

from retriever.config import PROJECT_ROOT

if str(PROJECT_ROOT) not in sys.path:  # bench/ is not an installed package; `pytest` alone may not see it
    sys.path.insert(0, str(PROJECT_ROOT))

from bench import gold_questions, percentile, summarise  # noqa: E402


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


def test_scale_runs_on_a_tiny_corpus(tmp_path):
    from bench import scale

    result = scale.run([2000], [2000], n_queries=10, log=lambda m: None)
    assert [r["vectors"] for r in result["faiss"]] == list(scale.VECTOR_KINDS)
    for row in result["faiss"]:
        assert row["n"] == 2000 and row["flat"]["latency_ms"]["n"] == 10
        assert 0.0 <= row["hnsw"]["recall_at_10"] <= 1.0
        assert set(row["hnsw"]["by_ef_search"]) == {str(ef) for ef in scale.EF_SEARCH}
    (bm,) = result["bm25"]
    assert bm["n"] == 2000 and bm["vocabulary"] > 100 and bm["latency_ms"]["median"] is not None
    assert 60 <= bm["mean_words_per_chunk"] <= 200
    result["faiss_hnsw_above"] = 50_000
    assert scale.plot(result, tmp_path / "scale.png").stat().st_size > 1000


def test_clustered_vectors_are_unit_length_and_share_topics_with_their_queries():
    from bench.scale import make_vectors

    corpus, queries = make_vectors("clustered", 500, seed=0), make_vectors("clustered", 20, seed=0, queries=True)
    assert corpus.shape == (500, 384) and abs(float((corpus[0] ** 2).sum()) - 1.0) < 1e-4
    assert not (corpus[:20] == queries).all()
    assert float((queries @ corpus.T).max(axis=1).mean()) > 0.5  # a topic neighbour exists for every query


def test_scale_skips_what_would_not_fit():
    from bench import scale

    result = scale.run([1_000_000], [], n_queries=5, max_build_seconds=0.001, max_mem_gb=0.5, log=lambda m: None)
    assert "skipped" in result["faiss"][0]


def test_stages_breaks_down_a_question(engine):
    from bench import stages

    measured = stages.measure(engine, gold_questions(limit=2), warmup=1)
    result = stages.report(measured)
    assert result["questions"] == 2
    assert {"encode", "faiss", "bm25", "rerank", "highlight", "serialize"} <= set(result["stages_ms"])
    assert result["totals_ms"]["bare_encode_floor"]["median"] > 0
    assert result["ratios"]["end_to_end_over_floor"] > 0 and result["ratios"]["pipeline_over_dense"] > 0


def test_load_against_the_live_server(live_server):
    from bench.load import run_load

    questions = [q["question"] for q in gold_questions(limit=6)]
    result = run_load(live_server.url, questions, clients=2, seconds=3, max_requests=50,
                      server_pid=live_server.proc.pid)
    assert result["errors"] == 0, result["error_samples"]
    assert result["requests"] == result["ok"] >= 1
    assert result["throughput_rps"] > 0
    assert result["latency_ms"]["n"] == result["ok"] and result["latency_ms"]["p99"] >= result["latency_ms"]["median"]
    assert result["memory_mb"]["before"] > 0 and result["memory_mb"]["after"] > 0


def test_load_only_targets_loopback():
    from bench.load import run_load

    with pytest.raises(ValueError, match="127.0.0.1"):
        run_load("http://example.com:80", ["q"], clients=1, seconds=1)
