"""``alliance-qa eval``: every retriever on the gold questions, side by side; the figures (``eval.report`` presents them).

Each retriever answers the same questions through ``Searcher.ask`` (what the service runs, so highlights, abstention
and latency are the real ones).  Relevance is decided on passage text: a passage is relevant to a question when it
contains one of the question's answer strings (``eval.metrics.contains_answer``).

The qrels of a question hold every chunk of the index whose text contains an answer, plus any returned passage that
does (the same spans today; the union keeps a passage relevant should the service ever return spans that are not
index chunks).  Judging the whole index, not only what came back, keeps nDCG@10 honest: its ideal ranking puts all
answering chunks first, so a retriever that finds one of three answering chunks does not score a perfect 1.0.
hit@k and MRR@10 do not depend on that choice.

Ranking metrics are over questions with answer strings only; abstention figures use both kinds.  English questions
are the headline; other languages (Korean) are reported as rows of their own, never mixed in.

Beside the ranking, what a reader of the chat gets: whether the composed answer says a gold answer (answer@1) and
quotes its paper verbatim (answer_verified), whether a conversation helps a follow-up and leaves a switch of topic
unharmed (each asked again without its history, side by side), whether a comparison or summary reaches every paper it
needs (coverage@5), and abstention on near-topic and far-off questions apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retriever.config import PIPELINE, PROJECT_ROOT, RETRIEVERS, SHOWN_PASSAGES
from retriever.progress import Progress, Stage
from retriever.tuning import FEATURES, READING_TERMS

if TYPE_CHECKING:
    from retriever.chunking import Chunk
    from retriever.schema import Answer, Turn
    from retriever.search import Searcher

from .gold import DEFAULT_GOLD, HEADLINE_LANG, HISTORY_KINDS, Question, load_gold
from .metrics import (
    CURVE_MEASURES,
    GOLD_MEASURES,
    Qrels,
    answer_hit,
    contains_answer,
    covers,
    latency,
    mean_over,
    passage_id,
    per_query,
    quote_verified,
    rate,
)

DEFAULT_OUT = PROJECT_ROOT / "eval" / "reports" / "latest"
CUTOFF = SHOWN_PASSAGES  # the follow-up, switch and coverage figures read what a reply shows by default
# Abstention recall of each unanswerable kind on its own: near-topic questions are the hard ones.
ABSTAIN_KINDS = {"abstain_recall_near": "none-near", "abstain_recall_far": "none-far"}
HISTORY_KEYS = tuple(key for kind in HISTORY_KINDS
                     for key in (f"{kind}_hit@{CUTOFF}", f"{kind}_hit@{CUTOFF}_no_history"))
# The figures of the summary (``--json``): the ranking table's, in its order, then the answer table's.
RANKING_KEYS = (
    "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "highlight@1",
    "abstain_precision", "abstain_recall", "false_abstain", "p50_ms", "p95_ms",
)
ANSWER_KEYS = ("answer@1", "answer_verified", *HISTORY_KEYS, f"coverage@{CUTOFF}", *ABSTAIN_KINDS)
SUMMARY_KEYS = RANKING_KEYS + ANSWER_KEYS
# The served pipeline with one term switched off (``--ablate``): what each term adds.  ``pipeline-TERM`` switches
# off a second-stage weight, ``pipeline-reading-TERM`` a term of the reading stage.
WEIGHT_ABLATIONS = {f"{PIPELINE}-{term}": term for term in FEATURES}
READING_ABLATIONS = {f"{PIPELINE}-reading-{term}": term for term in READING_TERMS}
ABLATIONS = (*WEIGHT_ABLATIONS, *READING_ABLATIONS)
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
    answer: str | None = None  # the composed answer's text; None when abstained or nothing was composed
    answer_hit: bool = False  # does the composed answer contain a gold answer?
    sentences: int = 0  # sentences of the composed answer ...
    verified: int = 0  # ... and how many quote their paper verbatim, cited to a returned passage of that paper
    covered: bool | None = None  # every doc of the question's doc_ids in the top CUTOFF passages (None: it lists none)
    without_history: Outcome | None = None  # the same question asked without its history (only if it has one)

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
            f"without one term: {', '.join(FEATURES)}; or {PIPELINE}-reading-TERM: {', '.join(READING_TERMS)})"
        )
    return list(dict.fromkeys(names))


def check_doc_ids(questions: Sequence[Question], known: Sequence[str]) -> None:
    """A ValueError for doc_ids the index does not hold: a misspelt id would silently never be covered."""
    unknown = sorted({d for q in questions for d in q.doc_ids} - set(known))
    if unknown:
        raise ValueError(f"gold questions name documents the index does not hold: {', '.join(unknown)}")


def to_outcome(answer: Answer, question: Question, latency_ms: float, texts: Mapping[str, str]) -> Outcome:
    """``texts`` are the canonical texts by doc_id, what the composed answer's quotes are checked against."""
    passages = answer.passages
    top = passages[0] if passages else None
    docs = [p.citation.doc_id for p in passages]
    composed = answer.answer
    sentences = composed.sentences if composed else []
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
        answer=composed.text if composed else None,
        answer_hit=answer_hit(composed.text if composed else None, question.answers),
        sentences=len(sentences),
        verified=sum(quote_verified(s, texts, docs) for s in sentences),
        covered=covers(docs, question.doc_ids, CUTOFF) if question.doc_ids else None,
    )


def ask_all(
    searcher: Searcher, questions: Sequence[Question], retrievers: Sequence[str], k: int, progress: bool
) -> Results:
    """Ask every question of every retriever, timing each ``ask`` (wall clock, what a caller waits).

    A question with a history is asked with it, then once more without it (its outcome's ``without_history``, whose
    time the percentiles leave out: they are of the questions as the gold set asks them).  Retrievers take turns
    question by question, so a slow spell of a shared machine hits them alike; one untimed warm-up question per
    retriever keeps first-call costs (model and library warm-up) out of the percentiles.
    """
    searcher.warm()
    ask = {name: asker(searcher, name) for name in retrievers}
    texts = {doc_id: doc.text for doc_id, doc in searcher.index.documents.items()}
    for name in retrievers:
        ask[name](questions[0].question, k, None)
    results: Results = {name: {} for name in retrievers}
    asks = sum(1 + bool(q.history) for q in questions) * len(retrievers)
    # One bar on a terminal, plain lines in a log (``retriever.progress``), as an index build reports.
    with Progress(progress) as report:
        report.plan([Stage("asking", asks, asks, "questions")])
        report.stage("asking")
        for q in questions:
            for name in retrievers:
                results[name][q.id] = outcome = timed(ask[name], q, k, list(q.history) or None, texts)
                if q.history:
                    outcome.without_history = timed(ask[name], q, k, None, texts)
                report.advance(1 + bool(q.history))
    return results


def timed(ask: Callable[[str, int, list[Turn] | None], Answer], q: Question, k: int, history: list[Turn] | None,
          texts: Mapping[str, str]) -> Outcome:
    """One ``ask`` of ``q`` with ``history``, timed and reduced to its outcome."""
    t0 = time.perf_counter()
    answer = ask(q.question, k, history)
    return to_outcome(answer, q, (time.perf_counter() - t0) * 1000, texts)


def asker(searcher: Searcher, name: str) -> Callable[[str, int, list[Turn] | None], Answer]:
    """``question, k, history -> Answer`` for a retriever name, an ablation of the pipeline included."""
    if name in ABLATIONS:
        twin = ablated(searcher, name)
        return lambda question, k, history: twin.ask(question, k=k, method=PIPELINE, history=history)
    return lambda question, k, history: searcher.ask(question, k=k, method=name, history=history)


def ablated(searcher: Searcher, name: str) -> Searcher:
    """The served pipeline's searcher with the term an ablation row names switched off."""
    if name in WEIGHT_ABLATIONS:
        return searcher.with_weights(searcher.weights.without(WEIGHT_ABLATIONS[name]))
    return searcher.with_reading(searcher.reading.without(READING_ABLATIONS[name]))


def served(searcher: Searcher, name: str) -> float:
    """The served value of the term an ablation row switches off: at 0 the row would only repeat the pipeline."""
    if name in WEIGHT_ABLATIONS:
        return getattr(searcher.weights, WEIGHT_ABLATIONS[name])
    return getattr(searcher.reading, READING_ABLATIONS[name])


# ------------------------------------------------------------------------------------------------------ figures


def judgements(questions: Sequence[Question], results: Results, chunks: Sequence[Chunk]) -> Qrels:
    """Binary qrels keyed on passage spans: every answering chunk of the index, plus any answering passage returned
    (with or without the question's history)."""
    qrels: Qrels = {}
    for q in questions:
        if not q.answers:
            continue
        rel = {passage_id(c.doc_id, c.char_start, c.char_end): 1 for c in chunks if contains_answer(c.text, q.answers)}
        for outcomes in results.values():
            for o in filter(None, (outcomes[q.id], outcomes[q.id].without_history)):
                rel.update({pid: 1 for pid, hit in zip(o.passage_ids, o.relevant) if hit})
        qrels[q.id] = rel
    return qrels


def summarise(questions: Sequence[Question], outcomes: dict[str, Outcome], qrels: Qrels) -> dict:
    """Every figure of one retriever over a set of questions (None where a figure has no question to stand on).

    Ranking and highlight figures are over questions with answer strings; a false abstention is one on any
    answerable question, those that only name their papers (``doc_ids``) included.
    """
    judged = [q.id for q in questions if q.answers]
    answerable = [q.id for q in questions if q.answerable]
    unanswerable = [q.id for q in questions if not q.answerable]
    measures = {**GOLD_MEASURES, **CURVE_MEASURES}
    scores = per_query({qid: outcomes[qid].passage_ids for qid in judged}, qrels, measures)
    means = mean_over(scores, judged, measures)
    abstained_unanswerable = sum(outcomes[q].abstained for q in unanswerable)
    figures = {name: means[name] for name in GOLD_MEASURES}
    figures.update(
        {
            "highlight@1": rate(sum(outcomes[q].highlight_hit for q in judged), len(judged)),
            "abstain_precision": rate(abstained_unanswerable, sum(outcomes[q.id].abstained for q in questions)),
            "abstain_recall": rate(abstained_unanswerable, len(unanswerable)),
            "false_abstain": rate(sum(outcomes[q].abstained for q in answerable), len(answerable)),
            **latency([outcomes[q.id].latency_ms for q in questions]),
            "hit_curve": [means[name] for name in CURVE_MEASURES],
            **answer_figures(questions, outcomes),
            **history_figures(questions, outcomes, qrels),
            f"coverage@{CUTOFF}": coverage(questions, outcomes),
            **abstention_by_kind(questions, outcomes),
        }
    )
    return figures


def answer_figures(questions: Sequence[Question], outcomes: dict[str, Outcome]) -> dict[str, float | None]:
    """answer@1: questions with answer strings whose composed answer contains one (no answer is a miss);
    answer_verified: of every sentence the composed answers returned, those that quote their paper verbatim."""
    judged = [outcomes[q.id] for q in questions if q.answers]
    every = [outcomes[q.id] for q in questions]
    return {
        "answer@1": rate(sum(o.answer_hit for o in judged), len(judged)),
        "answer_verified": rate(sum(o.verified for o in every), sum(o.sentences for o in every)),
    }


def history_figures(questions: Sequence[Question], outcomes: dict[str, Outcome], qrels: Qrels) -> dict:
    """hit@CUTOFF of each history kind asked with its history and again without, side by side: a follow-up should
    gain from the conversation, a self-contained switch of topic lose nothing to it."""
    figures = {}
    for kind in HISTORY_KINDS:
        qids = [q.id for q in questions if q.kind == kind and q.answers]
        figures[f"{kind}_hit@{CUTOFF}"] = hit_at_cutoff({qid: outcomes[qid] for qid in qids}, qrels)
        figures[f"{kind}_hit@{CUTOFF}_no_history"] = hit_at_cutoff(
            {qid: outcomes[qid].without_history for qid in qids}, qrels)
    return figures


def hit_at_cutoff(asked: dict[str, Outcome], qrels: Qrels) -> float | None:
    """ir-measures' hit@CUTOFF over exactly these outcomes (question id -> outcome); None over none."""
    name = f"hit@{CUTOFF}"
    scores = per_query({qid: o.passage_ids for qid, o in asked.items()}, qrels, {name: CURVE_MEASURES[name]})
    return mean_over(scores, list(asked), [name])[name]


def coverage(questions: Sequence[Question], outcomes: dict[str, Outcome]) -> float | None:
    """coverage@CUTOFF: of the questions that list papers (``doc_ids``), those with every one in the top passages."""
    listed = [outcomes[q.id].covered for q in questions if q.doc_ids]
    return rate(sum(map(bool, listed)), len(listed))


def abstention_by_kind(questions: Sequence[Question], outcomes: dict[str, Outcome]) -> dict[str, float | None]:
    """Abstention recall of each unanswerable kind apart: far-off questions are easy to refuse, and one overall
    recall would hide misses on near-topic ones behind them."""
    figures = {}
    for key, kind in ABSTAIN_KINDS.items():
        of_kind = [outcomes[q.id] for q in questions if q.kind == kind]
        figures[key] = rate(sum(o.abstained for o in of_kind), len(of_kind))
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
        "cutoff": CUTOFF,
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
                "answerable": q.answerable,
                "doc_ids": list(q.doc_ids),
                "history": [turn.model_dump() for turn in q.history],
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
        "first_rank_no_history": o.without_history.first_rank if o.without_history else None,
        "abstained": o.abstained,
        "confidence": o.confidence,
        "highlight_hit": o.highlight_hit,
        "answer": o.answer,
        "answer_hit": o.answer_hit,
        "sentences_verified": [o.verified, o.sentences],
        "covered": o.covered,
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
                    "answer@1": f["answer@1"],
                    f"coverage@{CUTOFF}": f[f"coverage@{CUTOFF}"],
                    "abstained": rate(sum(outcomes[q.id].abstained for q in qs), len(qs)),
                }
            )
    return rows


# --------------------------------------------------------------------------------------------------- entry point


def evaluate(searcher: Searcher, gold: Path | None = None, retrievers: Sequence[str] = RETRIEVERS, k: int = 10,
             ablate: bool = False, progress: bool = False) -> dict:
    """Run the gold set through each retriever and return the full report (``eval.report`` presents it).

    ``ablate`` adds a ``pipeline-TERM`` row for each second-stage term with a non-zero weight and a
    ``pipeline-reading-TERM`` row for each non-zero reading term: the served pipeline with that term switched off.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    names = check_retrievers(retrievers)
    if ablate:
        names += [name for name in ABLATIONS if served(searcher, name) and name not in names]
    gold = gold or DEFAULT_GOLD
    questions = load_gold(gold)
    check_doc_ids(questions, list(searcher.index.documents))
    results = ask_all(searcher, questions, names, k, progress)
    report = build_report(questions, results, searcher.index.chunks, gold, k)
    report["threshold"] = searcher.settings.abstain_threshold
    return report
