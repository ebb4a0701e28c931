"""``alliance-qa eval``: figures on a scripted searcher where every number is known, then the real pipeline.

The CI gate is ``test_pipeline_meets_the_floors``: the served pipeline on the full gold set (English answerable
questions) must not fall below eval/floors.json.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval import report, runner
from eval.gold import DEFAULT_GOLD, Question
from retriever.chunking import Chunk
from retriever.config import PIPELINE, RETRIEVERS, Settings
from retriever.schema import Answer, Citation, Highlight, Passage
from server.cli import main as cli_main

FLOORS = Path(runner.__file__).with_name("floors.json")
REQUIRED = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "highlight@1", "abstain_recall",
            "false_abstain", "p50_ms", "p95_ms")

# ------------------------------------------------------------------------------------------- a scripted searcher

TEXT = "Alpha one.\n\nAlpha again. Beta two.\n\nGamma three.\n\nDelta four."


def span(part: str) -> tuple[int, int]:
    start = TEXT.index(part)
    return start, start + len(part)


CHUNKS = [
    Chunk(f"d#{i}", "d", "Intro" if i == 0 else None, *span(part), text=part, n_tokens=3)
    for i, part in enumerate(["Alpha one.", "Alpha again. Beta two.", "Gamma three.", "Delta four."])
]

GOLD = [
    {"id": "q1", "question": "alpha?", "answers": ["ALPHA"], "kind": "fact", "lang": "en", "extra": "ignored"},
    {"id": "q2", "question": "beta?", "answers": ["beta two"], "kind": "fact", "lang": "en"},
    {"id": "q3", "question": "far?", "answers": [], "kind": "none-far", "lang": "en"},
    {"id": "q4", "question": "near?", "answers": [], "kind": "none-near", "lang": "en"},
    {"id": "q5", "question": "델타?", "answers": ["delta"], "kind": "fact", "lang": "ko"},
]

# (question, retriever) -> (chunk numbers in rank order, abstained, highlight of the top passage)
SCRIPT = {
    ("alpha?", "bm25"): ([0, 2, 3], False, "Alpha one."),
    ("alpha?", "pipeline"): ([2, 1, 0], False, "Gamma three."),
    ("beta?", "bm25"): ([2, 3], False, "Gamma three."),
    ("beta?", "pipeline"): ([1, 0], True, "Beta two."),
    ("far?", "bm25"): ([3], False, None),
    ("far?", "pipeline"): ([3], True, None),
    ("near?", "bm25"): ([2], False, None),
    ("near?", "pipeline"): ([2], False, None),
    ("델타?", "bm25"): ([0], False, None),
    ("델타?", "pipeline"): ([3], False, "Delta four."),
}


class ScriptedSearcher:
    """Answers as SCRIPT says, in the shape of ``Searcher``: what the runner reads of the real one."""

    def __init__(self) -> None:
        self.index = type("Index", (), {"chunks": CHUNKS})()
        self.settings = Settings()

    def warm(self) -> None:
        pass

    def ask(self, question: str, k: int = 5, method: str = PIPELINE) -> Answer:
        chunks, abstained, highlight = SCRIPT.get((question, method), ([], False, None))
        passages = [
            Passage(
                rank=rank,
                score=1.0 / rank,
                text=CHUNKS[c].text,
                highlight=Highlight(text=highlight, char_start=0, char_end=len(highlight))
                if highlight and rank == 1 else None,
                citation=Citation(doc_id="d", title="D", authors=[], publisher=None, date=None, url=None,
                                  section=CHUNKS[c].section, char_start=CHUNKS[c].char_start,
                                  char_end=CHUNKS[c].char_end, footnotes=[]),
            )
            for rank, c in enumerate(chunks[:k], start=1)
        ]
        return Answer(question=question, abstained=abstained, passages=passages, timings_ms={})


@pytest.fixture
def scripted_report(tmp_path) -> dict:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in GOLD) + "\n\n", encoding="utf-8")
    return runner.evaluate(ScriptedSearcher(), gold, ["bm25", "pipeline"], k=10, progress=False)


def test_figures_on_a_scripted_searcher(scripted_report):
    pipe = scripted_report["retrievers"]["pipeline"]
    # q1: first answer at rank 2; q2: at rank 1 (but abstained)
    assert pipe["hit@1"] == pytest.approx(0.5)
    assert pipe["hit@3"] == pytest.approx(1.0)
    assert pipe["mrr@10"] == pytest.approx(0.75)
    assert pipe["highlight@1"] == pytest.approx(0.5)
    assert pipe["abstain_recall"] == pytest.approx(0.5)  # q3 of q3, q4
    assert pipe["abstain_precision"] == pytest.approx(0.5)  # q3 of q2, q3
    assert pipe["false_abstain"] == pytest.approx(0.5)  # q2 of q1, q2

    bm25 = scripted_report["retrievers"]["bm25"]
    assert bm25["hit@1"] == pytest.approx(0.5) and bm25["mrr@10"] == pytest.approx(0.5)
    # q1 has two answering chunks (0 and 1) and bm25 found only one, at rank 1: nDCG is not 1.
    assert bm25["ndcg@10"] == pytest.approx(0.5 * 1 / (1 + 1 / math.log2(3)))
    assert bm25["abstain_recall"] == 0.0 and bm25["false_abstain"] == 0.0
    assert bm25["abstain_precision"] is None  # never abstained: precision is undefined, not 0

    ko = pipe["by_lang"]["ko"]
    assert ko["hit@1"] == 1.0 and ko["highlight@1"] == 1.0 and ko["abstain_recall"] is None
    assert scripted_report["retrievers"]["bm25"]["by_lang"]["ko"]["hit@10"] == 0.0


def test_rows_per_question(scripted_report):
    rows = {r["id"]: r for r in scripted_report["per_question"]}
    assert rows["q1"]["retrievers"]["pipeline"]["first_rank"] == 2
    assert rows["q2"]["retrievers"]["bm25"]["first_rank"] is None
    assert rows["q2"]["retrievers"]["pipeline"]["abstained"] is True
    assert rows["q1"]["retrievers"]["bm25"]["top"] == {"doc_id": "d", "section": "Intro", "text": "Alpha one."}
    assert rows["q5"]["lang"] == "ko" and rows["q3"]["kind"] == "none-far"
    assert set(rows["q4"]["retrievers"]["pipeline"]) >= {"first_rank", "abstained", "latency_ms", "top"}


def test_hit_curve_and_kinds(scripted_report):
    curve = scripted_report["hit_curves"]["pipeline"]["en"]
    assert curve[:3] == [pytest.approx(0.5), pytest.approx(1.0), pytest.approx(1.0)] and len(curve) == 10
    kinds = {(r["lang"], r["kind"]): r for r in scripted_report["by_kind"]}
    assert kinds[("en", "none-far")]["abstained"] == 1.0 and kinds[("en", "none-far")]["hit@1"] is None
    assert kinds[("en", "fact")]["n"] == 2


def test_reports_are_written(scripted_report, tmp_path):
    out = tmp_path / "out"
    report.write_reports(scripted_report, out)
    assert json.loads((out / "report.json").read_text())["per_question"][0]["id"] == "q1"
    md = (out / "report.md").read_text()
    assert "| retriever" in md and "| pipeline [ko]" in md and "## pipeline by kind" in md
    failed = md.split("failed questions")[1].split("false abstentions")[0]
    assert "**q4**" in failed and "**q1**" not in failed  # not abstained on an unanswerable question
    assert "Gamma three." in failed  # what came back
    assert "**q2**" in md.split("false abstentions")[1]
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_retriever_names_are_checked():
    with pytest.raises(ValueError, match="unknown retriever"):
        runner.check_retrievers(["bm25", "splade"])
    with pytest.raises(ValueError, match="none given"):
        runner.check_retrievers([])
    assert runner.check_retrievers(["pipeline", "bm25", "pipeline"]) == ["pipeline", "bm25"]


# --------------------------------------------------------------------------------------------- the real pipeline


def test_pipeline_meets_the_floors(searcher):
    """CI gate: hit@5 and MRR@10 of the served pipeline on English answerable questions stay above the floors."""
    floors = json.loads(FLOORS.read_text())
    report = runner.evaluate(searcher, DEFAULT_GOLD, [PIPELINE], k=10, progress=False)
    figures = report["retrievers"][PIPELINE]
    print(json.dumps({k: figures[k] for k in ("hit@5", "mrr@10", "ndcg@10", "abstain_recall", "false_abstain")}))
    for name, floor in floors.items():
        assert figures[name] >= floor, f"{name} {figures[name]:.3f} fell below its floor {floor}"


def small_gold(path: Path) -> Path:
    """Two questions of each (language, answerable) group of the real gold set."""
    rows = [json.loads(line) for line in DEFAULT_GOLD.read_text(encoding="utf-8").splitlines() if line]
    picked, seen = [], {}
    for row in rows:
        group = (row["lang"], bool(row["answers"]))
        if seen.get(group, 0) < 2:
            seen[group] = seen.get(group, 0) + 1
            picked.append(row)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in picked), encoding="utf-8")
    return path


def test_cli_json_summary_and_reports(searcher, settings, tmp_path, capsys):
    gold, out = small_gold(tmp_path / "gold.jsonl"), tmp_path / "reports"
    code = cli_main(["--index-dir", str(settings.index_dir), "--corpus-dir", str(settings.corpus_dir), "-q",
                     "eval", "--gold", str(gold), "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)  # stdout is exactly one JSON object
    assert summary["pipeline"] == "pipeline" and summary["questions"] == 8
    assert list(summary["retrievers"]) == list(RETRIEVERS)
    for name, figures in summary["retrievers"].items():
        for key in REQUIRED:
            assert isinstance(figures[key], float), (name, key, figures[key])
        assert set(REQUIRED) <= set(figures["by_lang"]["ko"])
        assert all(0.0 <= figures[k] <= 1.0 for k in REQUIRED if not k.endswith("_ms"))
    for name in ("bm25", "dense", "hybrid"):
        assert summary["retrievers"][name]["abstain_recall"] == 0.0  # only the pipeline abstains
    assert {p.name for p in out.iterdir()} >= {"report.json", "report.md", "report.png"}
    report = json.loads((out / "report.json").read_text())
    assert len(report["per_question"]) == 8


def test_cli_prints_one_table(searcher, settings, tmp_path, capsys):
    gold, out = small_gold(tmp_path / "gold.jsonl"), tmp_path / "reports"
    code = cli_main(["--index-dir", str(settings.index_dir), "--corpus-dir", str(settings.corpus_dir), "-q",
                     "eval", "--gold", str(gold), "--out", str(out), "--retrievers", "bm25,pipeline", "-k", "5"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.splitlines()
    assert lines[1].startswith("| retriever") and "MRR@10" in lines[1] and "p95 ms" in lines[1]
    assert [line.split("|")[1].strip() for line in lines[3:]] == ["bm25", "pipeline", "bm25 [ko]", "pipeline [ko]"]


def test_cli_rejects_an_unknown_retriever(searcher, settings, tmp_path, capsys):
    code = cli_main(["--index-dir", str(settings.index_dir), "--corpus-dir", str(settings.corpus_dir), "-q",
                     "eval", "--retrievers", "bm25,splade", "--out", str(tmp_path)])
    assert code == 1
    assert "unknown retriever" in capsys.readouterr().err


def test_abstention_curve_sweeps_thresholds():
    qs = [Question("a", "?", ("x",), "fact", "en"), Question("u1", "?", (), "none-far", "en"),
          Question("u2", "?", (), "none-near", "en")]
    outcomes = {qid: runner.Outcome([], [], False, False, conf, 1.0, None)
                for qid, conf in (("a", 0.9), ("u1", 0.1), ("u2", 0.6))}
    curve = {row["threshold"]: row for row in runner.abstention_curve(qs, outcomes)}
    assert curve[0.5] == {"threshold": 0.5, "abstain_precision": 1.0, "abstain_recall": 0.5, "false_abstain": 0.0}
    assert curve[0.95]["abstain_precision"] == pytest.approx(2 / 3) and curve[0.95]["false_abstain"] == 1.0
    assert curve[0.05]["abstain_precision"] is None  # nothing abstained: precision undefined, not 0


def test_ablation_names_are_retrievers():
    assert runner.check_retrievers(["pipeline", "pipeline-maxsim"]) == ["pipeline", "pipeline-maxsim"]
    with pytest.raises(ValueError, match="pipeline-TERM"):
        runner.check_retrievers(["pipeline-magic"])
