"""``alliance-qa eval-beir``: the BEIR loader, document scoring, the index cache, and a small SciFact slice end to end.

The full SciFact benchmark is not a test (it embeds 5,000 abstracts); run ``alliance-qa eval-beir
../shared/beir/scifact`` for it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from eval import beir
from eval.metrics import BEIR_MEASURES, mean_over, per_query
from retriever.chunking import Chunk
from retriever.config import PROJECT_ROOT, RETRIEVERS
from retriever.rank import Ranked
from server.cli import main as cli_main

SCIFACT = PROJECT_ROOT.parent / "shared" / "beir" / "scifact"

CORPUS = [
    {"_id": "d1", "title": "Aspirin and heart attacks", "text": "Daily aspirin reduces the risk of myocardial\n"
     "infarction in adults with coronary disease."},
    {"_id": "d2", "title": "Vitamin D and bone density", "text": "Vitamin D supplements increase bone mineral "
     "density in elderly women."},
    {"_id": "d3", "title": "Sleep and memory", "text": "Sleep deprivation impairs memory consolidation in students."},
    {"_id": "d4", "title": "", "text": "Coffee consumption is associated with lower rates of liver cirrhosis."},
    {"_id": "d5", "title": "", "text": "  "},
]
QUERIES = {
    "q1": "Aspirin lowers the risk of heart attack.",
    "q2": "Vitamin D improves bone density in older women.",
    "q3": "Lack of sleep harms memory.",
    "q9": "Coffee protects the liver.",
}


@pytest.fixture
def tiny(tmp_path) -> Path:
    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in CORPUS))
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": t, "metadata": {}}) + "\n" for q, t in QUERIES.items())
    )
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq3\td3\t1\nq3\td4\t0\nq4\td99\t1\n"
    )
    (folder / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq9\td4\t1\n")
    return folder


def test_loader(tiny):
    docs, queries, qrels = beir.load_beir(tiny, "test")
    assert [d.doc_id for d in docs] == ["d1", "d2", "d3", "d4"]  # d5 has no text
    assert docs[0].text == "Aspirin and heart attacks\n\nDaily aspirin reduces the risk of myocardial infarction in " \
                           "adults with coronary disease."
    assert docs[3].text.startswith("Coffee") and docs[3].title == "d4" and docs[0].sections == []
    assert queries == {q: QUERIES[q] for q in ("q1", "q2", "q3")}  # q4 judges an unknown document only
    assert qrels == {"q1": {"d1": 1}, "q2": {"d2": 2}, "q3": {"d3": 1, "d4": 0}}
    assert list(beir.load_beir(tiny, "train")[1]) == ["q9"]


def test_loader_limit_keeps_only_queries_with_a_relevant_document_in_the_slice(tiny):
    docs, queries, qrels = beir.load_beir(tiny, "test", limit_docs=2)
    assert [d.doc_id for d in docs] == ["d1", "d2"]
    assert list(queries) == ["q1", "q2"] and qrels == {"q1": {"d1": 1}, "q2": {"d2": 2}}
    with pytest.raises(ValueError, match="no judgements"):
        beir.load_beir(tiny, "dev")


def test_a_document_scores_as_its_best_chunk():
    chunks = [Chunk(f"c{i}", doc, None, 0, 1, "x", 1) for i, doc in enumerate(["a", "b", "a", "c"])]
    ranked = [Ranked(2, 0.9), Ranked(1, 0.8), Ranked(0, 0.5), Ranked(3, 0.8)]
    assert beir.rank_documents(ranked, chunks) == ["a", "b", "c"]  # tie b/c keeps the retriever's order
    assert beir.rank_documents(ranked, chunks, depth=2) == ["a", "b"]


def run_cli(args: list[str], capsys) -> dict:
    code = cli_main(["-q", "eval-beir", *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)  # stdout is exactly one JSON object


def check_shape(summary: dict) -> None:
    assert summary["pipeline"] == "pipeline"
    assert list(summary["retrievers"]) == list(RETRIEVERS)
    for figures in summary["retrievers"].values():
        for name in BEIR_MEASURES:
            assert isinstance(figures[name], float) and 0.0 <= figures[name] <= 1.0


def test_tiny_collection_end_to_end_and_from_the_cache(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(beir, "CACHE_DIR", tmp_path / "cache")
    first = run_cli([str(tiny), "--out", str(tmp_path / "out")], capsys)
    check_shape(first)
    assert first["questions"] == 3 and first["documents"] == 4 and first["published"] == []
    assert first["retrievers"]["bm25"]["ndcg@10"] == pytest.approx(1.0)
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"report.json", "report.md"}
    assert "| bm25" in (tmp_path / "out" / "report.md").read_text()

    def no_build(*args, **kwargs):
        raise AssertionError("the cached index should have been used")

    monkeypatch.setattr(beir, "make_index", no_build)
    again = run_cli([str(tiny), "--out", str(tmp_path / "out")], capsys)
    for name, figures in again["retrievers"].items():
        assert {m: figures[m] for m in BEIR_MEASURES} == {m: first["retrievers"][name][m] for m in BEIR_MEASURES}


@pytest.mark.skipif(not SCIFACT.is_dir(), reason=f"SciFact is not at {SCIFACT}")
def test_scifact_slice(tmp_path, capsys):
    """The first 200 abstracts and the test claims judged on them; the index is cached in eval/reports/beir-cache."""
    summary = run_cli([str(SCIFACT), "--limit-docs", "200", "--out", str(tmp_path)], capsys)
    check_shape(summary)
    docs, queries, qrels = beir.load_beir(SCIFACT, "test", limit_docs=200)
    assert summary["documents"] == 200 and summary["questions"] == len(queries) > 0
    assert summary["published"] == []  # a slice is not comparable to published figures

    ids = [d.doc_id for d in docs]
    rng = random.Random(0)
    shuffled = {q: rng.sample(ids, beir.DOC_DEPTH) for q in queries}
    chance = mean_over(per_query(shuffled, qrels, BEIR_MEASURES), list(queries), BEIR_MEASURES)
    assert summary["retrievers"]["bm25"]["ndcg@10"] > chance["ndcg@10"] + 0.3
    assert summary["retrievers"]["pipeline"]["ndcg@10"] > chance["ndcg@10"] + 0.3
