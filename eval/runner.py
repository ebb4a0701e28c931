"""``alliance-qa eval``: every retriever on the gold questions, side by side, with reports for people and for CI.

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

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retriever.config import PROJECT_ROOT
from retriever.search import FEATURES, PIPELINE, RETRIEVERS

if TYPE_CHECKING:
    from retriever.chunking import Chunk
    from retriever.schema import Answer
    from retriever.search import Searcher

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

DEFAULT_GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"
DEFAULT_OUT = PROJECT_ROOT / "eval" / "reports" / "latest"
HEADLINE_LANG = "en"
# The figures of the summary (``--json``), in table order; abstain_precision and by_lang are the optional extras.
SUMMARY_KEYS = (
    "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "highlight@1",
    "abstain_precision", "abstain_recall", "false_abstain", "p50_ms", "p95_ms",
)
TABLE_HEADER = (
    "retriever", "hit@1", "hit@3", "hit@5", "hit@10", "MRR@10", "nDCG@10", "HL@1",
    "abst P", "abst R", "false abst", "p50 ms", "p95 ms",
)
# The served pipeline with one second-stage term switched off (``--ablate``): what each term adds.
ABLATIONS = tuple(f"{PIPELINE}-{term}" for term in FEATURES)
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))  # abstention thresholds swept for the trade-off
FAIL_CUTOFF = 5  # an answerable question with no answering passage in the top 5 is listed as failed
SNIPPET = 200


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    kind: str
    lang: str

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


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


def load_gold(path: Path) -> list[Question]:
    """The gold questions; unknown fields are ignored so the gold file can grow annotations freely."""
    if not path.is_file():
        raise ValueError(f"gold file {path} does not exist")
    questions: list[Question] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                Question(
                    id=str(row["id"]),
                    question=str(row["question"]),
                    answers=tuple(str(a) for a in row.get("answers") or ()),
                    kind=str(row.get("kind") or "unknown"),
                    lang=str(row.get("lang") or HEADLINE_LANG),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a gold question ({exc})") from exc
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: question ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    if not questions:
        raise ValueError(f"{path} holds no questions")
    return questions


def parse_retrievers(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
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
    engine: Searcher, questions: Sequence[Question], retrievers: Sequence[str], k: int, progress: bool
) -> Results:
    """Ask every question of every retriever, timing each ``ask`` (wall clock, what a caller waits).

    Retrievers take turns question by question, so a slow spell of a shared machine hits them alike; one untimed
    warm-up question per retriever keeps first-call costs (model and library warm-up) out of the percentiles.
    """
    from tqdm import tqdm

    engine.warm()
    ask = {name: asker(engine, name) for name in retrievers}
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


def asker(engine: Searcher, name: str) -> Callable[[str, int], Answer]:
    """``question, k -> Answer`` for a retriever name, an ablation of the pipeline included."""
    if name in ABLATIONS:
        twin = engine.with_weights(engine.weights.without(name.removeprefix(PIPELINE + "-")))
        return lambda question, k: twin.ask(question, k=k, method=PIPELINE)
    return lambda question, k: engine.ask(question, k=k, method=name)


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


# ------------------------------------------------------------------------------------------------------ reports


def fmt(value: float | None, ms: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if ms else f"{value:.3f}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown pipe table padded to line up in a terminal too."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (str(c).rjust(w) if num else str(c).ljust(w) for c, w, num in zip(cells, widths, numeric))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 1) + (":" if num else "-") for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(header), rule, *map(line, rows)])


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return cell == "–"
    return True


def main_table(report: dict) -> str:
    """Rows are retrievers (headline language first, then each other language), columns the metrics."""
    rows = []
    for name, r in report["retrievers"].items():
        rows.append([name, *table_cells(r)])
    for lang in [lang for lang in report["counts"] if lang != report["headline_lang"]]:
        for name, r in report["retrievers"].items():
            rows.append([f"{name} [{lang}]", *table_cells(r["by_lang"][lang])])
    return format_table(TABLE_HEADER, rows)


def table_cells(figures: dict) -> list[str]:
    return [fmt(figures[key], ms=key.endswith("_ms")) for key in SUMMARY_KEYS]


def counts_line(report: dict) -> str:
    parts = [f"{lang}: {c['answerable']} answerable, {c['unanswerable']} unanswerable" for lang, c in
             report["counts"].items()]
    return f"{report['questions']} questions ({'; '.join(parts)}), k={report['k']}"


def markdown(report: dict) -> str:
    focus = report["focus"]
    lines = [
        "# Retrieval eval",
        "",
        f"Gold: `{report['gold']}` — {counts_line(report)}.",
        "",
        main_table(report),
        "",
        "A passage is relevant when its text contains an answer string (case, quotes and white space normalised). "
        "hit@k, MRR@10 and nDCG@10 (binary; ideal = every chunk of the index that contains an answer) come from "
        "ir-measures over answerable questions; HL@1 = the top passage's highlight contains an answer; abst P/R = "
        "abstention precision/recall on unanswerable questions; false abst = answerable questions abstained on; "
        "latency = wall time of `Searcher.ask`.",
        "",
        f"## {focus} by kind",
        "",
        format_table(
            ("lang", "kind", "n", "hit@1", "hit@5", "MRR@10", "HL@1", "abstained"),
            [
                [r["lang"], r["kind"], str(r["n"]), fmt(r["hit@1"]), fmt(r["hit@5"]), fmt(r["mrr@10"]),
                 fmt(r["highlight@1"]), fmt(r["abstained"])]
                for r in report["by_kind"]
            ],
        ),
        "",
    ]
    curve = [r for r in report["abstention_curve"] if r["abstain_recall"] is not None]
    if curve:
        lines += [
            f"## {focus}: abstention trade-off [{report['headline_lang']}]",
            "",
            "Had the service abstained below each confidence threshold (it serves "
            f"{report.get('threshold', '–')}; plotted in report.png):",
            "",
            format_table(
                ("threshold", "abst P", "abst R", "false abst"),
                [[f"{r['threshold']:.2f}", fmt(r["abstain_precision"]), fmt(r["abstain_recall"]),
                  fmt(r["false_abstain"])] for r in curve],
            ),
            "",
        ]
    lines += [f"## {focus}: failed questions", "", f"Answerable with no answering passage in the top {FAIL_CUTOFF}, "
              "or unanswerable and not abstained on.", ""]
    failed = [q for q in report["per_question"] if failed_question(q, focus)]
    lines += [failure(q, focus) for q in failed] or ["None."]
    false_abstentions = [q for q in report["per_question"] if q["answers"] and q["retrievers"][focus]["abstained"]]
    lines += ["", f"## {focus}: false abstentions", ""]
    lines += [f"- **{q['id']}** ({q['kind']}, {q['lang']}) {q['question']}" for q in false_abstentions] or ["None."]
    return "\n".join(lines) + "\n"


def failed_question(row: dict, name: str) -> bool:
    r = row["retrievers"][name]
    if row["answers"]:
        return r["first_rank"] is None or r["first_rank"] > FAIL_CUTOFF
    return not r["abstained"]


def failure(row: dict, focus: str) -> str:
    r = row["retrievers"][focus]
    ranks = ", ".join(f"{name} {v['first_rank'] or '–'}" for name, v in row["retrievers"].items())
    expected = " / ".join(f"“{a}”" for a in row["answers"]) or "(unanswerable)"
    top = r["top"]
    came_back = "nothing" if top is None else (
        f"`{top['doc_id']}` § {top['section'] or '–'}: “{' '.join(top['text'].split())}”"
    )
    return (
        f"- **{row['id']}** ({row['kind']}, {row['lang']}) {row['question']}\n"
        f"  - expected: {expected}; first answering rank: {ranks}; abstained: {'yes' if r['abstained'] else 'no'}\n"
        f"  - top passage: {came_back}"
    )


def plot(report: dict, path: Path) -> None:
    """Two panels: hit@k curves (headline language, plus the served retriever in other languages) and latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    headline = report["headline_lang"]
    names = list(report["retrievers"])
    fig, (curves, bars, trade) = plt.subplots(1, 3, figsize=(19, 5.5))
    ks = list(range(1, len(CURVE_MEASURES) + 1))
    for name in names:
        curves.plot(ks, report["hit_curves"][name][headline], marker="o", label=f"{name} [{headline}]")
    for lang in [lang for lang in report["counts"] if lang != headline]:
        curve = report["hit_curves"][report["focus"]][lang]
        if any(v is not None for v in curve):
            curves.plot(ks, curve, linestyle="--", marker="x", label=f"{report['focus']} [{lang}]")
    curves.set(title="hit@k on answerable questions", xlabel="k (passages returned)",
               ylabel="share of questions answered in top k", xticks=ks, ylim=(0, 1.02))
    curves.grid(alpha=0.3)
    curves.legend(loc="lower right")

    x = range(len(names))
    p50 = [report["retrievers"][n]["p50_ms"] or 0 for n in names]
    p95 = [report["retrievers"][n]["p95_ms"] or 0 for n in names]
    bars.bar_label(bars.bar([i - 0.2 for i in x], p50, width=0.4, label="median"), fmt="%.0f")
    bars.bar_label(bars.bar([i + 0.2 for i in x], p95, width=0.4, label="p95"), fmt="%.0f")
    bars.set_xticks(list(x), names, rotation=30, ha="right")
    bars.set(title=f"query latency [{headline}] (Searcher.ask wall time)", xlabel="retriever", ylabel="ms")
    bars.grid(axis="y", alpha=0.3)
    bars.legend()
    curve = report["abstention_curve"]
    ts = [r["threshold"] for r in curve]
    for key, label in (("abstain_recall", "unanswerable abstained (recall)"),
                       ("abstain_precision", "abstentions that were right (precision)"),
                       ("false_abstain", "answerable abstained (false abstention)")):
        trade.plot(ts, [r[key] if r[key] is not None else float("nan") for r in curve], marker=".", label=label)
    if report.get("threshold") is not None:
        trade.axvline(report["threshold"], color="grey", linestyle=":", label=f"served threshold {report['threshold']}")
    trade.set(title=f"abstention trade-off, {report['focus']} [{headline}]", xlabel="confidence threshold",
              ylabel="share", ylim=(-0.02, 1.02))
    trade.grid(alpha=0.3)
    trade.legend(loc="center right", fontsize="small")
    fig.suptitle(f"alliance-qa retrieval eval — {counts_line(report)}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    plot(report, out / "report.png")


# ---------------------------------------------------------------------------------------------------------- CLI


def evaluate(engine: Searcher, gold: Path, retrievers: Sequence[str], k: int, progress: bool) -> dict:
    """Run the gold set and return the full report (the CI floor test calls this without the CLI)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    questions = load_gold(gold)
    results = ask_all(engine, questions, retrievers, k, progress)
    report = build_report(questions, results, engine.index.chunks, gold, k)
    settings = getattr(engine, "settings", None)
    report["threshold"] = getattr(settings, "abstain_threshold", None)
    return report


def main(args: argparse.Namespace, engine: Searcher) -> int:
    """``alliance-qa eval``: the table on stdout (one JSON object with ``--json``), the reports in ``--out``."""
    gold = args.gold or DEFAULT_GOLD
    out = args.out or DEFAULT_OUT
    retrievers = parse_retrievers(args.retrievers)
    if args.ablate:
        retrievers += [name for name in ABLATIONS if getattr(engine.weights, name.split("-", 1)[1]) and name not in
                       retrievers]
    report = evaluate(engine, gold, retrievers, args.k, progress=not args.quiet)
    write_reports(report, out)
    if args.json:
        summary = {key: report[key] for key in ("pipeline", "questions", "retrievers")}
        print(json.dumps(summary))
    else:
        print(counts_line(report))
        print(main_table(report))
    print(f"reports written to {out}", file=sys.stderr)
    return 0
