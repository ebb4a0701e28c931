"""The eval's figures presented: terminal tables, Markdown reports and the plot, for the gold set and for BEIR.

``eval.runner`` and ``eval.beir`` compute a report (a plain dict, what ``report.json`` keeps); everything here only
reads one, so a new table or chart never touches how a figure is computed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from .metrics import CURVE_MEASURES
from .runner import ANSWER_KEYS, CUTOFF, RANKING_KEYS

TABLE_HEADER = (
    "retriever", "hit@1", "hit@3", "hit@5", "hit@10", "MRR@10", "nDCG@10", "HL@1",
    "abst P", "abst R", "false abst", "p50 ms", "p95 ms",
)
# The answer table: what a reader of the chat gets, and abstention by kind beside the false abstentions it costs.
ANSWER_TABLE_KEYS = (*ANSWER_KEYS, "false_abstain")


def summary(report: dict) -> dict:
    """What ``alliance-qa eval --json`` prints: the figures per retriever, without the per-question detail."""
    return {key: report[key] for key in ("pipeline", "questions", "retrievers")}


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
    """The ranking figures: rows are retrievers (headline language first, then each other language)."""
    return retriever_table(report, TABLE_HEADER, RANKING_KEYS)


def answer_table(report: dict) -> str:
    """The answer, conversation, coverage and abstention-by-kind figures, rows as in ``main_table``."""
    return retriever_table(report, ("retriever", *map(column, ANSWER_TABLE_KEYS)), ANSWER_TABLE_KEYS)


def column(key: str) -> str:
    """A summary key as a column heading: "switch_hit@5_no_history" -> "switch hit@5 w/o hist"."""
    return key.replace("_no_history", " w/o hist").replace("abstain_recall_", "abst R ").replace("_", " ")


def retriever_table(report: dict, header: Sequence[str], keys: Sequence[str]) -> str:
    rows = []
    for name, r in report["retrievers"].items():
        rows.append([name, *table_cells(r, keys)])
    for lang in [lang for lang in report["counts"] if lang != report["headline_lang"]]:
        for name, r in report["retrievers"].items():
            rows.append([f"{name} [{lang}]", *table_cells(r["by_lang"][lang], keys)])
    return format_table(header, rows)


def table_cells(figures: dict, keys: Sequence[str]) -> list[str]:
    return [fmt(figures[key], ms=key.endswith("_ms")) for key in keys]


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
        "## Answers, conversations and coverage",
        "",
        answer_table(report),
        "",
        "answer@1 = the composed answer contains an answer string (over questions that have one; an abstention or no "
        "answer is a miss); answer verified = answer sentences that are exactly their paper's canonical text at their "
        "span and cite a returned passage of that paper (1.000 is the only right value). Follow-up and switch "
        f"questions are asked after their conversation and again without it: hit@{CUTOFF} side by side (a follow-up "
        "should gain from its history, a self-contained switch lose nothing). coverage@"
        f"{CUTOFF} = questions that list papers (comparison, summary) with every one among the top {CUTOFF} passages. "
        "abst R near/far = share of near-topic / far-off unanswerable questions abstained on; false abstain = "
        "answerable questions abstained on.",
        "",
        f"## {focus} by kind",
        "",
        format_table(
            ("lang", "kind", "n", "hit@1", "hit@5", "MRR@10", "HL@1", "answer@1", f"cover@{CUTOFF}", "abstained"),
            [
                [r["lang"], r["kind"], str(r["n"]), fmt(r["hit@1"]), fmt(r["hit@5"]), fmt(r["mrr@10"]),
                 fmt(r["highlight@1"]), fmt(r["answer@1"]), fmt(r[f"coverage@{CUTOFF}"]), fmt(r["abstained"])]
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
    lines += [f"## {focus}: failed questions", "", f"Answerable with no answering passage in the top {CUTOFF}, "
              f"listing papers not all among the top {CUTOFF} passages, or unanswerable and not abstained on.", ""]
    failed = [q for q in report["per_question"] if failed_question(q, focus)]
    lines += [failure(q, focus) for q in failed] or ["None."]
    false_abstentions = [q for q in report["per_question"] if q["answerable"] and q["retrievers"][focus]["abstained"]]
    lines += ["", f"## {focus}: false abstentions", ""]
    lines += [f"- **{q['id']}** ({q['kind']}, {q['lang']}) {q['question']}" for q in false_abstentions] or ["None."]
    return "\n".join(lines) + "\n"


def failed_question(row: dict, name: str) -> bool:
    r = row["retrievers"][name]
    if not row["answerable"]:
        return not r["abstained"]
    missed = bool(row["answers"]) and (r["first_rank"] is None or r["first_rank"] > CUTOFF)
    return missed or r["covered"] is False


def failure(row: dict, focus: str) -> str:
    r = row["retrievers"][focus]
    ranks = ", ".join(f"{name} {v['first_rank'] or '–'}" for name, v in row["retrievers"].items())
    expected = " / ".join(f"“{a}”" for a in row["answers"]) or ("–" if row["answerable"] else "(unanswerable)")
    papers = ""
    if row["doc_ids"]:
        listed = ", ".join(f"`{d}`" for d in row["doc_ids"])
        papers = f"; papers {listed} (all in the top {CUTOFF}: {'yes' if r['covered'] else 'no'})"
    conversation = ""
    if row["history"]:
        without = r["first_rank_no_history"] or "–"
        conversation = f"; asked after {len(row['history'])} turns ({focus} without them: {without})"
    top = r["top"]
    came_back = "nothing" if top is None else (
        f"`{top['doc_id']}` § {top['section'] or '–'}: “{' '.join(top['text'].split())}”"
    )
    answer = "none" if r["answer"] is None else f"“{' '.join(r['answer'].split())}”"
    return (
        f"- **{row['id']}** ({row['kind']}, {row['lang']}) {row['question']}\n"
        f"  - expected: {expected}{papers}; first answering rank: {ranks}{conversation}; "
        f"abstained: {'yes' if r['abstained'] else 'no'}\n"
        f"  - top passage: {came_back}\n"
        f"  - answer: {answer}"
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
    """report.json (everything), report.md (for people) and report.png into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    plot(report, out / "report.png")

# ---------------------------------------------------------------------------------------------------------- BEIR


def beir_summary(report: dict) -> dict:
    """What ``alliance-qa eval-beir --json`` prints: everything but the per-query figures."""
    return {k: v for k, v in report.items() if k != "per_query"}


def beir_table(report: dict) -> str:
    rows = [
        [name, fmt(r["ndcg@10"]), fmt(r["recall@100"]), fmt(r["p50_ms"], ms=True), fmt(r["p95_ms"], ms=True)]
        for name, r in report["retrievers"].items()
    ]
    rows += [[f"published: {p['system']}", fmt(p["ndcg@10"]), fmt(p["recall@100"]), "–", "–"]
             for p in report["published"]]
    return format_table(("system", "nDCG@10", "R@100", "p50 ms", "p95 ms"), rows)


def beir_heading(report: dict) -> str:
    limited = f" (first {report['limit_docs']} documents only)" if report["limit_docs"] else ""
    return (f"BEIR {report['dataset']}, split {report['split']}: {report['questions']} queries, "
            f"{report['documents']} documents in {report['chunks']} chunks{limited}")


def beir_markdown(report: dict) -> str:
    return "\n".join([
        f"# {beir_heading(report)}",
        "",
        beir_table(report),
        "",
        "nDCG@10 (graded judgements as given) and Recall@100 from ir-measures; a document scores as its best chunk. "
        f"Latency is the wall time of `Searcher.retrieve` for {report['chunk_depth']} chunks (no highlight). The pipeline's "
        "weights are the service's, not tuned on this collection. Published figures are for the test split "
        "(shared/beir/README.md).",
        "",
    ])


def write_beir_reports(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(beir_markdown(report), encoding="utf-8")
