"""``alliance-qa eval``: every retriever on the gold questions, side by side; the figures (``eval.report`` presents them).

Each retriever answers the same questions through ``Searcher.ask`` (what the service runs, so highlights, abstention
and latency are the real ones).  Relevance is decided on passage text: a passage is relevant to a question when it
contains one of the question's answer strings (``eval.metrics.contains_answer``).

The qrels of a question hold every chunk of the index whose text contains an answer, plus any returned passage that
does (the same spans today; the union keeps a passage relevant should the service ever return spans that are not
index chunks).  Judging the whole index, not only what came back, keeps nDCG@10 honest: its ideal ranking puts all
answering chunks first, so a retriever that finds one of three answering chunks does not score a perfect 1.0.
hit@k and MRR@10 do not depend on that choice.

Ranking metrics are over answerable questions only; abstention figures use both kinds.  English questions are the
headline; other languages (Korean) are reported as rows of their own, never mixed in.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retriever.config import PIPELINE, PROJECT_ROOT, RETRIEVERS
from retriever.tuning import FEATURES

if TYPE_CHECKING:
    from retriever.chunking import Chunk
    from retriever.schema import Answer
    from retriever.search import Searcher

from .gold import DEFAULT_GOLD, HEADLINE_LANG, Question, load_gold
from .metrics import (
    CURVE_MEASURES,
    GOLD_MEASURES,
    Qrels,
    contains_answer,
    latency,
    mean_over,
    passage_id,
    per_query,
    rate,
)

DEFAULT_OUT = PROJECT_ROOT / "eval" / "reports" / "latest"
# The figures of the summary (``--json``), in table order; abstain_precision and by_lang are the optional extras.
SUMMARY_KEYS = (
    "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "highlight@1",
    "abstain_precision", "abstain_recall", "false_abstain", "p50_ms", "p95_ms",
)
# The served pipeline with one second-stage term switched off (``--ablate``): what each term adds.
ABLATIONS = tuple(f"{PIPELINE}-{term}" for term in FEATURES)
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))  # abstention thresholds swept for the trade-off
SNIPPET = 200


@dataclass
class Outcome:
    """One retriever's answer to one question, reduced to what the metrics and the reports read."""

    passage_ids: list[str]
    relevant: list[bool]  # per passage, in rank order: does its text contain an answer?
    highlight_hit: bool  # does the top passage's highlight contain an answer?
    abstained: bool
    confidence: float | None
    latency_ms: float
    top: dict | None  # doc_id, section and the first characters of the top passage

    @property
    def first_rank(self) -> int | None:
        return next((rank for rank, rel in enumerate(self.relevant, start=1) if rel), None)


Results = dict[str, dict[str, Outcome]]  # retriever -> question id -> outcome


# ------------------------------------------------------------------------------------------------------- running


def check_retrievers(names: Sequence[str]) -> list[str]:
    """The retriever names, each once, in order; a ValueError that lists the choices for an unknown one."""
    names = list(names)
    unknown = [n for n in names if n not in RETRIEVERS + ABLATIONS]
    if unknown or not names:
        given = ", ".join(unknown) or "(none given)"
        raise ValueError(
            f"unknown retriever(s) {given}; choose from {', '.join(RETRIEVERS)} (or {PIPELINE}-TERM, the pipeline "
            f"without one term: {', '.join(FEATURES)})"
        )
    return list(dict.fromkeys(names))


def to_outcome(answer: Answer, question: Question, latency_ms: float) -> Outcome:
    passages = answer.passages
    top = passages[0] if passages else None
    return Outcome(
        passage_ids=[passage_id(p.citation.doc_id, p.citation.char_start, p.citation.char_end) for p in passages],
        relevant=[contains_answer(p.text, question.answers) for p in passages],
        highlight_hit=bool(top and top.highlight and contains_answer(top.highlight.text, question.answers)),
        abstained=answer.abstained,
        confidence=answer.confidence,
        latency_ms=latency_ms,
        top=None if top is None else {
            "doc_id": top.citation.doc_id,
            "section": top.citation.section,
            "text": top.text[:SNIPPET],
        },
    )


def ask_all(
    searcher: Searcher, questions: Sequence[Question], retrievers: Sequence[str], k: int, progress: bool
) -> Results:
    """Ask every question of every retriever, timing each ``ask`` (wall clock, what a caller waits).

    Retrievers take turns question by question, so a slow spell of a shared machine hits them alike; one untimed
    warm-up question per retriever keeps first-call costs (model and library warm-up) out of the percentiles.
    """
    from tqdm import tqdm

    searcher.warm()
    ask = {name: asker(searcher, name) for name in retrievers}
    for name in retrievers:
        ask[name](questions[0].question, k)
    results: Results = {name: {} for name in retrievers}
    with tqdm(total=len(questions) * len(retrievers), desc="eval", unit="query", disable=not progress,
              file=sys.stderr) as bar:
        for q in questions:
            for name in retrievers:
                t0 = time.perf_counter()
                answer = ask[name](q.question, k)
                results[name][q.id] = to_outcome(answer, q, (time.perf_counter() - t0) * 1000)
                bar.update()
    return results


def asker(searcher: Searcher, name: str) -> Callable[[str, int], Answer]:
    """``question, k -> Answer`` for a retriever name, an ablation of the pipeline included."""
    if name in ABLATIONS:
        twin = searcher.with_weights(searcher.weights.without(name.removeprefix(PIPELINE + "-")))
        return lambda question, k: twin.ask(question, k=k, method=PIPELINE)
    return lambda question, k: searcher.ask(question, k=k, method=name)


# ------------------------------------------------------------------------------------------------------ figures


def judgements(questions: Sequence[Question], results: Results, chunks: Sequence[Chunk]) -> Qrels:
    """Binary qrels keyed on passage spans: every answering chunk of the index, plus any answering passage returned."""
    qrels: Qrels = {}
    for q in questions:
        if not q.answerable:
            continue
        rel = {passage_id(c.doc_id, c.char_start, c.char_end): 1 for c in chunks if contains_answer(c.text, q.answers)}
        for outcomes in results.values():
            o = outcomes[q.id]
            rel.update({pid: 1 for pid, hit in zip(o.passage_ids, o.relevant) if hit})
        qrels[q.id] = rel
    return qrels


def summarise(questions: Sequence[Question], outcomes: dict[str, Outcome], qrels: Qrels) -> dict:
    """Every figure of one retriever over a set of questions (None where a figure has no question to stand on)."""
    answerable = [q.id for q in questions if q.answerable]
    unanswerable = [q.id for q in questions if not q.answerable]
    measures = {**GOLD_MEASURES, **CURVE_MEASURES}
    scores = per_query({qid: outcomes[qid].passage_ids for qid in answerable}, qrels, measures)
    means = mean_over(scores, answerable, measures)
    abstained_unanswerable = sum(outcomes[q].abstained for q in unanswerable)
    figures = {name: means[name] for name in GOLD_MEASURES}
    figures.update(
        {
            "highlight@1": rate(sum(outcomes[q].highlight_hit for q in answerable), len(answerable)),
            "abstain_precision": rate(abstained_unanswerable, sum(outcomes[q.id].abstained for q in questions)),
            "abstain_recall": rate(abstained_unanswerable, len(unanswerable)),
            "false_abstain": rate(sum(outcomes[q].abstained for q in answerable), len(answerable)),
            **latency([outcomes[q.id].latency_ms for q in questions]),
            "hit_curve": [means[name] for name in CURVE_MEASURES],
        }
    )
    return figures


def languages(questions: Sequence[Question]) -> list[str]:
    """The headline language first, then the others in the order they appear."""
    return sorted(dict.fromkeys(q.lang for q in questions), key=lambda lang: lang != HEADLINE_LANG)


def build_report(
    questions: Sequence[Question], results: Results, chunks: Sequence[Chunk], gold: Path, k: int
) -> dict:
    """The summary (what ``--json`` prints) followed by everything report.json keeps."""
    qrels = judgements(questions, results, chunks)
    langs = languages(questions)
    by_lang = {lang: [q for q in questions if q.lang == lang] for lang in langs}
    figures = {
        name: {lang: summarise(qs, results[name], qrels) for lang, qs in by_lang.items()} for name in results
    }
    headline = langs[0]
    summary = {
        "pipeline": PIPELINE,
        "questions": len(questions),
        "retrievers": {
            name: {
                **{key: f[headline][key] for key in SUMMARY_KEYS},
                "by_lang": {lang: {key: f[lang][key] for key in SUMMARY_KEYS} for lang in langs if lang != headline},
            }
            for name, f in figures.items()
        },
    }
    focus = PIPELINE if PIPELINE in results else next(iter(results))
    return {
        **summary,
        "headline_lang": headline,
        "gold": str(gold),
        "k": k,
        "focus": focus,
        "counts": {
            lang: {"answerable": sum(q.answerable for q in qs), "unanswerable": sum(not q.answerable for q in qs)}
            for lang, qs in by_lang.items()
        },
        "hit_curves": {name: {lang: f[lang]["hit_curve"] for lang in langs} for name, f in figures.items()},
        "by_kind": by_kind(questions, results[focus], qrels),
        "abstention_curve": abstention_curve([q for q in questions if q.lang == headline], results[focus]),
        "per_question": [
            {
                "id": q.id,
                "kind": q.kind,
                "lang": q.lang,
                "question": q.question,
                "answers": list(q.answers),
                "retrievers": {name: question_row(outcomes[q.id]) for name, outcomes in results.items()},
            }
            for q in questions
        ],
    }


def abstention_curve(questions: Sequence[Question], outcomes: dict[str, Outcome]) -> list[dict]:
    """Abstention precision/recall and false abstentions had the service abstained below each threshold."""
    scored = [(q, outcomes[q.id].confidence) for q in questions if outcomes[q.id].confidence is not None]
    rows = []
    for t in THRESHOLDS:
        abstain = {q.id for q, c in scored if c < t}
        unanswerable = [q for q, _ in scored if not q.answerable]
        answerable = [q for q, _ in scored if q.answerable]
        rows.append({
            "threshold": t,
            "abstain_precision": rate(sum(q.id in abstain for q in unanswerable), len(abstain)),
            "abstain_recall": rate(sum(q.id in abstain for q in unanswerable), len(unanswerable)),
            "false_abstain": rate(sum(q.id in abstain for q in answerable), len(answerable)),
        })
    return rows


def question_row(o: Outcome) -> dict:
    return {
        "first_rank": o.first_rank,
        "abstained": o.abstained,
        "confidence": o.confidence,
        "highlight_hit": o.highlight_hit,
        "latency_ms": round(o.latency_ms, 2),
        "top": o.top,
    }


def by_kind(questions: Sequence[Question], outcomes: dict[str, Outcome], qrels: Qrels) -> list[dict]:
    """One row per (language, kind): where the served retriever wins and where it fails."""
    rows = []
    for lang in languages(questions):
        kinds = dict.fromkeys(q.kind for q in questions if q.lang == lang)
        for kind in kinds:
            qs = [q for q in questions if q.lang == lang and q.kind == kind]
            f = summarise(qs, outcomes, qrels)
            rows.append(
                {
                    "lang": lang,
                    "kind": kind,
                    "n": len(qs),
                    "answerable": qs[0].answerable,
                    "hit@1": f["hit@1"],
                    "hit@5": f["hit@5"],
                    "mrr@10": f["mrr@10"],
                    "highlight@1": f["highlight@1"],
                    "abstained": rate(sum(outcomes[q.id].abstained for q in qs), len(qs)),
                }
            )
    return rows




# --------------------------------------------------------------------------------------------------- entry point


def evaluate(searcher: Searcher, gold: Path | None = None, retrievers: Sequence[str] = RETRIEVERS, k: int = 10,
             ablate: bool = False, progress: bool = False) -> dict:
    """Run the gold set through each retriever and return the full report (``eval.report`` presents it).

    ``ablate`` adds a ``pipeline-TERM`` row for each second-stage term with a non-zero weight: the served pipeline
    with that term switched off.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    names = check_retrievers(retrievers)
    if ablate:
        names += [name for name in ABLATIONS
                  if getattr(searcher.weights, name.removeprefix(PIPELINE + "-")) and name not in names]
    gold = gold or DEFAULT_GOLD
    questions = load_gold(gold)
    results = ask_all(searcher, questions, names, k, progress)
    report = build_report(questions, results, searcher.index.chunks, gold, k)
    report["threshold"] = searcher.settings.abstain_threshold
    return report
