"""``alliance-qa eval``: figures on a scripted searcher where every number is known, then the real pipeline.

The CI gate is ``test_pipeline_meets_the_floors``: the served pipeline on the full gold set (English answerable
questions) must not fall below eval/floors.json.
"""

from __future__ import annotations

import copy
import json
import math
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from eval import report, runner
from eval.gold import DEFAULT_GOLD, HISTORY_KINDS, Question
from retriever.chunking import Chunk
from retriever.config import PIPELINE, RETRIEVERS, Settings
from retriever.tuning import FEATURES, READING, READING_TERMS, Reading, Weights
from retriever.schema import Answer, AnswerSentence, Citation, ComposedAnswer, Highlight, Passage, Turn
from server.cli import main as cli_main

FLOORS = Path(runner.__file__).with_name("floors.json")
REQUIRED = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "highlight@1", "abstain_recall",
            "false_abstain", "p50_ms", "p95_ms")

# ------------------------------------------------------------------------------------------- a scripted searcher

TEXT = "Alpha one.\n\nAlpha again. Beta two.\n\nGamma three.\n\nDelta four."
TEXT_E = "Epsilon five.\n\nZeta six."
SOURCES = {"d": TEXT, "e": TEXT_E}


def span(part: str, doc: str = "d") -> tuple[int, int]:
    start = SOURCES[doc].index(part)
    return start, start + len(part)


CHUNKS = [
    Chunk(f"{doc}#{i}", doc, "Intro" if i == 0 else None, *span(part, doc), text=part, n_tokens=3)
    for i, (doc, part) in enumerate([("d", "Alpha one."), ("d", "Alpha again. Beta two."), ("d", "Gamma three."),
                                     ("d", "Delta four."), ("e", "Epsilon five."), ("e", "Zeta six.")])
]

GOLD = [
    {"id": "q1", "question": "alpha?", "answers": ["ALPHA"], "kind": "fact", "lang": "en", "extra": "ignored"},
    {"id": "q2", "question": "beta?", "answers": ["beta two"], "kind": "fact", "lang": "en"},
    {"id": "q3", "question": "far?", "answers": [], "kind": "none-far", "lang": "en"},
    {"id": "q4", "question": "near?", "answers": [], "kind": "none-near", "lang": "en"},
    {"id": "q5", "question": "델타?", "answers": ["delta"], "kind": "fact", "lang": "ko"},
]
EARLIER = [{"role": "user", "content": "alpha?"}, {"role": "assistant", "content": "Alpha one. [1]"}]
CONVERSATION_GOLD = [
    {"id": "c1", "question": "and the second?", "answers": ["beta two"], "kind": "followup", "lang": "en",
     "history": EARLIER},
    {"id": "c2", "question": "gamma?", "answers": ["gamma"], "kind": "switch", "lang": "en", "history": EARLIER},
    {"id": "c3", "question": "compare d and e?", "kind": "comparison", "lang": "en", "doc_ids": ["d", "e"]},
    {"id": "c4", "question": "summarise e?", "answers": ["zeta"], "kind": "summary", "lang": "en", "doc_ids": ["e"]},
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
    # asked without their history
    ("and the second?", "bm25"): ([2, 3], False, None),
    ("and the second?", "pipeline"): ([2, 3], False, None),
    ("gamma?", "bm25"): ([2], False, "Gamma three."),
    ("gamma?", "pipeline"): ([2], False, "Gamma three."),
    ("compare d and e?", "bm25"): ([0, 1], False, "Alpha one."),
    ("compare d and e?", "pipeline"): ([0, 4], False, "Alpha one."),
    ("summarise e?", "bm25"): ([0, 1, 2, 3], False, None),
    ("summarise e?", "pipeline"): ([0, 1, 2, 3, 5], False, None),
}
# The pipeline asked with the history: the follow-up gains, the switch of topic is led astray.
HISTORY_SCRIPT = {
    ("and the second?", "pipeline"): ([1, 0], False, "Beta two."),
    ("gamma?", "pipeline"): ([0, 1, 3], False, "Alpha one."),
}
# Composed answers other than the top highlight: (doc, quoted text, cited passage rank); the second cites a passage
# of another paper and the third is not the paper's text.
COMPOSED = {("summarise e?", "pipeline"): [("e", "Zeta six.", 5), ("e", "Zeta six.", 1), ("d", "Zeta 6.", 1)]}


class ScriptedSearcher:
    """Answers as SCRIPT says, in the shape of ``Searcher``: what the runner reads of the real one."""

    def __init__(self) -> None:
        documents = {doc: SimpleNamespace(text=text) for doc, text in SOURCES.items()}
        self.index = SimpleNamespace(chunks=CHUNKS, documents=documents)
        self.settings = Settings()
        self.weights = Weights()
        self.reading = READING
        self.asked: list[tuple[str, str, list[Turn] | None]] = []

    def with_weights(self, weights: Weights) -> ScriptedSearcher:
        return replace_attribute(self, weights=weights)

    def with_reading(self, reading: Reading) -> ScriptedSearcher:
        return replace_attribute(self, reading=reading)

    def warm(self) -> None:
        pass

    def ask(self, question: str, k: int = 5, doc_ids: list[str] | None = None, method: str = PIPELINE,
            history: list[Turn] | None = None) -> Answer:
        self.asked.append((question, method, history))
        key = (question, method)
        chunks, abstained, highlight = (history and HISTORY_SCRIPT.get(key)) or SCRIPT.get(key, ([], False, None))
        passages = [self.passage(rank, CHUNKS[c], highlight if rank == 1 else None)
                    for rank, c in enumerate(chunks[:k], start=1)]
        quotes = COMPOSED.get(key) or ([(passages[0].citation.doc_id, highlight, 1)] if highlight else [])
        composed = None
        if quotes and not abstained:
            sentences = [self.quote(doc, text, rank) for doc, text, rank in quotes]
            composed = ComposedAnswer(text=" ".join(f"{s.text} [{s.passage}]" for s in sentences), sentences=sentences)
        return Answer(question=question, answer=composed, abstained=abstained, passages=passages, timings_ms={})

    @staticmethod
    def quote(doc: str, text: str, rank: int) -> AnswerSentence:
        """An answer sentence at ``text``'s span in ``doc`` (at 0 when the paper does not hold it)."""
        start = max(SOURCES[doc].find(text), 0)
        return AnswerSentence(text=text, doc_id=doc, char_start=start, char_end=start + len(text), passage=rank)

    @staticmethod
    def passage(rank: int, chunk: Chunk, highlight: str | None) -> Passage:
        return Passage(
            rank=rank,
            score=1.0 / rank,
            text=chunk.text,
            highlight=Highlight(text=highlight, char_start=span(highlight, chunk.doc_id)[0],
                                char_end=span(highlight, chunk.doc_id)[1]) if highlight else None,
            citation=Citation(doc_id=chunk.doc_id, title=chunk.doc_id.upper(), authors=[], publisher=None, date=None,
                              url=None, section=chunk.section, char_start=chunk.char_start, char_end=chunk.char_end,
                              footnotes=[]),
        )


def replace_attribute(searcher: ScriptedSearcher, **changes) -> ScriptedSearcher:
    """A twin sharing the searcher's record of questions asked, as ``Searcher.with_weights`` shares its index."""
    twin = copy.copy(searcher)
    twin.__dict__.update(changes)
    return twin


def scripted(tmp_path: Path, rows: list[dict], searcher: ScriptedSearcher | None = None) -> dict:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n\n", encoding="utf-8")
    return runner.evaluate(searcher or ScriptedSearcher(), gold, ["bm25", "pipeline"], k=10, progress=False)


@pytest.fixture
def scripted_report(tmp_path) -> dict:
    return scripted(tmp_path, GOLD)


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


def test_answers_and_abstention_by_kind(scripted_report):
    pipe, bm25 = (scripted_report["retrievers"][name] for name in ("pipeline", "bm25"))
    # pipeline: q1's answer quotes "Gamma three.", q2 abstained; bm25: q1 "Alpha one." (hit), q2 "Gamma three."
    assert (pipe["answer@1"], bm25["answer@1"]) == (0.0, 0.5)
    assert pipe["answer_verified"] == 1.0 and bm25["answer_verified"] == 1.0
    assert (pipe["abstain_recall_near"], pipe["abstain_recall_far"]) == (0.0, 1.0)  # q4 answered, q3 abstained
    assert (bm25["abstain_recall_near"], bm25["abstain_recall_far"]) == (0.0, 0.0)
    assert pipe["by_lang"]["ko"]["answer@1"] == 1.0 and pipe["by_lang"]["ko"]["abstain_recall_near"] is None
    for key in runner.HISTORY_KEYS + ("coverage@5",):
        assert pipe[key] is None  # no question to stand on
    kinds = {(r["lang"], r["kind"]): r for r in scripted_report["by_kind"]}
    assert kinds[("en", "fact")]["answer@1"] == 0.0 and kinds[("en", "fact")]["coverage@5"] is None


@pytest.fixture
def conversation(tmp_path) -> tuple[dict, ScriptedSearcher]:
    searcher = ScriptedSearcher()
    return scripted(tmp_path, CONVERSATION_GOLD, searcher), searcher


def test_conversations_coverage_and_answers(conversation):
    report_, _ = conversation
    pipe, bm25 = (report_["retrievers"][name] for name in ("pipeline", "bm25"))
    # c1 (follow-up): rank 1 with its history, no answer without; c2 (switch): lost with it, rank 1 without
    assert (pipe["followup_hit@5"], pipe["followup_hit@5_no_history"]) == (1.0, 0.0)
    assert (pipe["switch_hit@5"], pipe["switch_hit@5_no_history"]) == (0.0, 1.0)
    assert (bm25["followup_hit@5"], bm25["followup_hit@5_no_history"]) == (0.0, 0.0)
    assert (bm25["switch_hit@5"], bm25["switch_hit@5_no_history"]) == (1.0, 1.0)
    # c3 needs d and e: pipeline [d, e], bm25 [d, d]; c4 needs e: pipeline has it at rank 5, bm25 not in its four
    assert (pipe["coverage@5"], bm25["coverage@5"]) == (1.0, 0.0)
    # headline ranking over c1, c2, c4 (c3 has no answer string): ranks 1, -, 5
    assert pipe["hit@1"] == pytest.approx(1 / 3) and pipe["hit@5"] == pytest.approx(2 / 3)
    assert pipe["mrr@10"] == pytest.approx((1 + 0.2) / 3)
    # answers: c1 "Beta two." hits, c2 "Alpha one." misses, c4 quotes "Zeta six." three times
    assert pipe["answer@1"] == pytest.approx(2 / 3) and bm25["answer@1"] == pytest.approx(1 / 3)
    # c1, c2, c3 one good sentence each; of c4's three, one cites another paper's passage and one is not the text
    assert pipe["answer_verified"] == pytest.approx(4 / 6) and bm25["answer_verified"] == 1.0
    # c3 names its papers without an answer string: answerable, so not abstaining is right
    assert report_["counts"]["en"] == {"answerable": 4, "unanswerable": 0}
    assert pipe["false_abstain"] == 0.0 and pipe["abstain_recall"] is None


def test_history_is_passed_and_withheld(conversation):
    report_, searcher = conversation
    turns = [Turn(**turn) for turn in EARLIER]
    asked = [history for question, method, history in searcher.asked if (question, method) == ("gamma?", "pipeline")]
    assert asked == [turns, None]  # with its history, then once more without it
    rows = {r["id"]: r for r in report_["per_question"]}
    assert rows["c2"]["history"] == EARLIER and rows["c3"]["history"] == []
    switch = rows["c2"]["retrievers"]["pipeline"]
    assert (switch["first_rank"], switch["first_rank_no_history"]) == (None, 1)
    assert rows["c1"]["retrievers"]["pipeline"]["answer"] == "Beta two. [1]"
    assert rows["c3"]["retrievers"]["pipeline"]["covered"] is True
    assert rows["c3"]["retrievers"]["bm25"]["covered"] is False
    assert rows["c4"]["retrievers"]["pipeline"]["sentences_verified"] == [1, 3]
    assert rows["c1"]["retrievers"]["pipeline"]["covered"] is None
    assert rows["c3"]["retrievers"]["pipeline"]["first_rank_no_history"] is None


def test_conversation_report(conversation, tmp_path):
    report_, _ = conversation
    md = report.markdown(report_)
    table = md.split("## Answers, conversations and coverage")[1].split("##")[0]
    assert "followup hit@5 w/o hist" in table and "abst R near" in table and "coverage@5" in table
    failed = md.split("failed questions")[1].split("false abstentions")[0]
    assert "**c2**" in failed and "asked after 2 turns (pipeline without them: 1)" in failed
    assert "**c1**" not in failed and "**c3**" not in failed and "**c4**" not in failed
    assert "answer: “Alpha one. [1]”" in failed
    summary = report.summary(report_)
    assert set(runner.SUMMARY_KEYS) <= set(summary["retrievers"]["pipeline"])


def test_unknown_doc_ids_are_refused(tmp_path):
    rows = [{"id": "c", "question": "compare?", "doc_ids": ["d", "nowhere"]}]
    with pytest.raises(ValueError, match="does not hold: nowhere"):
        scripted(tmp_path, rows)


def test_ablation_rows_switch_off_weights_and_reading_terms(tmp_path):
    searcher = ScriptedSearcher()
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(GOLD[0]) + "\n")
    got = runner.evaluate(searcher, gold, ["pipeline"], ablate=True)
    served_weights = [term for term in FEATURES if getattr(Weights(), term)]
    assert list(got["retrievers"]) == ["pipeline", *(f"pipeline-{t}" for t in served_weights),
                                       *(f"pipeline-reading-{t}" for t in READING_TERMS)]
    assert runner.ablated(searcher, "pipeline-reading-gate").reading == READING.without("gate")
    assert runner.ablated(searcher, "pipeline-maxsim").weights == Weights().without("maxsim")
    assert runner.ablated(searcher, "pipeline-maxsim").reading == READING


# ------------------------------------------------------------------------- figures from hand-made outcomes


def outcome(passage_ids: tuple[str, ...] = (), abstained: bool = False, **extra) -> runner.Outcome:
    return runner.Outcome(list(passage_ids), [], False, abstained, None, 1.0, None, **extra)


def test_abstention_by_kind_and_coverage_by_hand():
    qs = [Question("n1", "?", (), "none-near", "en"), Question("n2", "?", (), "none-near", "en"),
          Question("f1", "?", (), "none-far", "en"), Question("a", "?", ("x",), "fact", "en"),
          Question("c", "?", (), "comparison", "en", doc_ids=("d", "e")),
          Question("s", "?", ("x",), "summary", "en", doc_ids=("e",))]
    outcomes = {"n1": outcome(abstained=True), "n2": outcome(), "f1": outcome(abstained=True), "a": outcome(),
                "c": outcome(covered=False), "s": outcome(covered=True)}
    assert runner.abstention_by_kind(qs, outcomes) == {"abstain_recall_near": 0.5, "abstain_recall_far": 1.0}
    assert runner.abstention_by_kind(qs[3:], outcomes) == {"abstain_recall_near": None, "abstain_recall_far": None}
    assert runner.coverage(qs, outcomes) == 0.5
    assert runner.coverage(qs[:4], outcomes) is None


def test_answer_figures_by_hand():
    qs = [Question("a", "?", ("x",), "fact", "en"), Question("b", "?", ("y",), "fact", "en"),
          Question("u", "?", (), "none-near", "en")]
    outcomes = {"a": outcome(answer="x [1]", answer_hit=True, sentences=2, verified=1),
                "b": outcome(abstained=True),  # no answer: a miss, and no sentence to verify
                "u": outcome(answer="z [1]", sentences=1, verified=1)}
    assert runner.answer_figures(qs, outcomes) == {"answer@1": 0.5, "answer_verified": pytest.approx(2 / 3)}
    assert runner.answer_figures(qs[2:], outcomes) == {"answer@1": None, "answer_verified": 1.0}


def test_history_figures_by_hand():
    qs = [Question("f1", "?", ("x",), "followup", "en"), Question("f2", "?", ("x",), "followup", "en"),
          Question("s1", "?", ("x",), "switch", "en"), Question("a", "?", ("x",), "fact", "en")]
    qrels = {"f1": {"p1": 1}, "f2": {"p2": 1}, "s1": {"p3": 1}, "a": {"p4": 1}}
    others = ("o1", "o2", "o3", "o4", "o5")
    outcomes = {
        "f1": outcome(("o1", "p1"), without_history=outcome(("o1",))),
        "f2": outcome(others[:4] + ("p2",), without_history=outcome(("p2",))),  # rank 5 counts
        "s1": outcome(others + ("p3",), without_history=outcome(("p3",))),  # rank 6 does not
        "a": outcome(("p4",)),
    }
    assert runner.history_figures(qs, outcomes, qrels) == {
        "followup_hit@5": 1.0, "followup_hit@5_no_history": 0.5, "switch_hit@5": 0.0, "switch_hit@5_no_history": 1.0,
    }
    assert set(runner.history_figures(qs[3:], outcomes, qrels).values()) == {None}


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
    """CI gate: the served pipeline on the English questions stays on the right side of every floor (a "min" figure
    must not fall below it, a "max" figure such as false abstention must not rise above it)."""
    floors = json.loads(FLOORS.read_text())
    report = runner.evaluate(searcher, DEFAULT_GOLD, [PIPELINE], k=10, progress=False)
    figures = report["retrievers"][PIPELINE]
    print(json.dumps({k: figures[k] for k in (*floors["min"], *floors["max"])}))
    for name, floor in floors["min"].items():
        assert figures[name] >= floor, f"{name} {figures[name]:.3f} fell below its floor {floor}"
    for name, ceiling in floors["max"].items():
        assert figures[name] <= ceiling, f"{name} {figures[name]:.3f} rose above its ceiling {ceiling}"


def small_gold(path: Path) -> list[dict]:
    """Two questions of each (language, answerable) group of the real gold set, and the first of each conversation
    kind and the first that lists papers, where the gold set has them."""
    rows = [json.loads(line) for line in DEFAULT_GOLD.read_text(encoding="utf-8").splitlines() if line]
    picked, seen = [], Counter()
    for row in rows:
        wanted = {(row["lang"], bool(row.get("answers"))): 2}  # group -> how many of it to pick
        if row.get("history"):
            wanted[row["kind"]] = 1
        if row.get("doc_ids"):
            wanted["doc_ids"] = 1
        if any(seen[group] < n for group, n in wanted.items()):
            seen.update(wanted.keys())
            picked.append(row)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in picked), encoding="utf-8")
    return picked


def test_cli_json_summary_and_reports(searcher, settings, tmp_path, capsys):
    gold, out = tmp_path / "gold.jsonl", tmp_path / "reports"
    picked = small_gold(gold)
    code = cli_main(["--index-dir", str(settings.index_dir), "--corpus-dir", str(settings.corpus_dir), "-q",
                     "eval", "--gold", str(gold), "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)  # stdout is exactly one JSON object
    assert summary["pipeline"] == "pipeline" and summary["questions"] == len(picked)
    assert list(summary["retrievers"]) == list(RETRIEVERS)
    for name, figures in summary["retrievers"].items():
        for key in REQUIRED:
            assert isinstance(figures[key], float), (name, key, figures[key])
        assert set(REQUIRED) <= set(figures["by_lang"]["ko"])
        assert all(0.0 <= figures[k] <= 1.0 for k in REQUIRED if not k.endswith("_ms"))
    for name in ("bm25", "dense", "hybrid"):
        assert summary["retrievers"][name]["abstain_recall"] == 0.0  # only the pipeline abstains
    pipe = summary["retrievers"][PIPELINE]
    assert set(runner.ANSWER_KEYS) <= set(pipe)
    assert pipe["answer_verified"] == 1.0  # every answer sentence is its paper's text, cited to its passage
    assert isinstance(pipe["answer@1"], float) and isinstance(pipe["abstain_recall_far"], float)
    for kind in HISTORY_KINDS:  # asked with and without the history, when the gold set has one of the kind
        has = any(row.get("kind") == kind and row.get("answers") for row in picked)
        assert isinstance(pipe[f"{kind}_hit@5"], float) == isinstance(pipe[f"{kind}_hit@5_no_history"], float) == has
    assert isinstance(pipe["coverage@5"], float) == any(row.get("doc_ids") for row in picked)
    assert {p.name for p in out.iterdir()} >= {"report.json", "report.md", "report.png"}
    report = json.loads((out / "report.json").read_text())
    assert len(report["per_question"]) == len(picked)


def test_cli_prints_one_table(searcher, settings, tmp_path, capsys):
    gold, out = tmp_path / "gold.jsonl", tmp_path / "reports"
    small_gold(gold)
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
    assert runner.check_retrievers(["pipeline-reading-gate"]) == ["pipeline-reading-gate"]
    with pytest.raises(ValueError, match="pipeline-TERM.*pipeline-reading-TERM: kind, focus, novelty, answering, "
                                         "list_title, said, follows, gate"):
        runner.check_retrievers(["pipeline-magic"])
