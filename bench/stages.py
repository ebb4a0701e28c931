"""Where one question's time goes: stage by stage, against the floor of a bare model encode.

Runs the gold questions through ``Searcher.ask`` on the real project index (the one the service opens) and
collects the stage timings the searcher already records (``answer.timings_ms``), plus serialisation
(``answer.model_dump_json()``), which is the last thing the server does before the bytes leave.

Two reference points are measured in the same run, question by question, so background load hits all three
alike and the ratios stay meaningful on a shared machine:

* the **floor**: the English model alone, ``encoder.encode_queries([question])``.  No retrieval over this index can
  answer faster than it understands the question, so the end-to-end median is reported as a multiple of it;
* the **dense-only** retriever (``method="dense"``): the latency budget of the second stage is the full pipeline
  within ``PIPELINE_OVER_DENSE_TARGET`` (3x) of it.

The order of the three measurements rotates from question to question so none of them always runs right after
the multilingual model (whose thread pool can still be spinning; see bench/README.md).

    python -m bench.stages                 # all gold questions, writes bench/results/stages.json
    python -m bench.stages --limit 20      # a quick look
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bench.results import RESULTS_DIR, environment, fmt_ms, publish, table
from bench.stats import ratio, summarise

if TYPE_CHECKING:
    from eval.gold import Question
    from retriever.search import Searcher

# Stage names as the pipeline records them, in order; "serialize" and "other" are added here.
STAGES = ("bm25", "encode", "faiss", "encode_multilingual", "rerank", "cover", "read", "compose")
PIPELINE_OVER_DENSE_TARGET = 3.0  # the pipeline's median should stay within this multiple of dense-only's


def _ms(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def measure(searcher: Searcher, questions: list[Question], k: int = 5, repeat: int = 1,
            warmup: int = 3) -> list[dict]:
    """One row per question and pass: the pipeline's stage timings and serialisation, the dense-only retriever's
    timings and the bare encode, in ms."""
    for q in questions[:warmup]:  # first calls pay for lazy initialisation inside torch and the tokenizers
        searcher.ask(q.question, k=k)
        searcher.ask(q.question, k=k, method="dense")
        searcher.encoder.encode_queries([q.question])

    rows: list[dict] = []
    for rep in range(repeat):
        for i, q in enumerate(questions):
            text = q.question
            row: dict = {"id": q.id, "lang": q.lang}

            def pipeline() -> None:
                answer = searcher.ask(text, k=k)
                row["serialize"] = _ms(answer.model_dump_json)
                row["pipeline"] = dict(answer.timings_ms)

            def dense() -> None:
                row["dense"] = dict(searcher.ask(text, k=k, method="dense").timings_ms)

            def bare() -> None:
                row["bare_encode"] = _ms(lambda: searcher.encoder.encode_queries([text]))

            steps = [pipeline, dense, bare]
            shift = (i + rep) % 3
            for step in steps[shift:] + steps[:shift]:
                step()
            rows.append(row)
    return rows


def report(rows: list[dict], target: float = PIPELINE_OVER_DENSE_TARGET) -> dict:
    """Medians and p95s per stage, the floor, and the two ratios (end-to-end / floor, pipeline / dense)."""
    stages: dict[str, dict] = {}
    for name in STAGES:
        values = [r["pipeline"][name] for r in rows if name in r["pipeline"]]
        if values:
            stages[name] = summarise(values)
    stages["serialize"] = summarise(r["serialize"] for r in rows)
    # Whatever ask() does outside the named stages: parsing, the abstention score, building the Answer object.
    other = [r["pipeline"]["total"] - sum(r["pipeline"].get(s, 0.0) for s in STAGES) for r in rows]
    stages["other"] = summarise(other)
    pipeline_total = [r["pipeline"]["total"] for r in rows]
    end_to_end = [r["pipeline"]["total"] + r["serialize"] for r in rows]
    dense_total = [r["dense"]["total"] for r in rows]
    bare = [r["bare_encode"] for r in rows]
    mean_e2e = sum(end_to_end) / len(end_to_end)
    for name, s in stages.items():  # medians of stages do not add up; shares of the mean do
        s["share_of_mean_e2e"] = round(s["mean"] * s["n"] / len(rows) / mean_e2e, 4) if s["mean"] else 0.0

    totals = {
        "pipeline_total": summarise(pipeline_total),
        "end_to_end": summarise(end_to_end),
        "dense_total": summarise(dense_total),
        "bare_encode_floor": summarise(bare),
    }
    e2e_med = totals["end_to_end"]["median"]
    pipe_med = totals["pipeline_total"]["median"]
    dense_med = totals["dense_total"]["median"]
    floor_med = totals["bare_encode_floor"]["median"]
    enc_med = stages.get("encode", {}).get("median")
    ratios = {
        "end_to_end_over_floor": ratio(e2e_med, floor_med),
        "pipeline_over_dense": ratio(pipe_med, dense_med),
        # >1 means the same encode is slower inside the pipeline than alone: interference, not work.
        "pipeline_encode_stage_over_floor": ratio(enc_med, floor_med),
        "pipeline_over_dense_target": target,
        "pipeline_within_target_of_dense": None if pipe_med is None or not dense_med
        else pipe_med <= target * dense_med,
    }
    return {"stages_ms": stages, "totals_ms": totals, "ratios": ratios, "questions": len(rows),
            "languages": dict(Counter(r["lang"] for r in rows))}


def print_report(result: dict) -> None:
    s, t, r = result["stages_ms"], result["totals_ms"], result["ratios"]
    rows = [[name, fmt_ms(v["median"]), fmt_ms(v["p95"]), fmt_ms(v["mean"]), f"{100 * v['share_of_mean_e2e']:.1f}%"]
            for name, v in s.items()]
    print(table(["stage", "median ms", "p95 ms", "mean ms", "share of time"], rows))
    print()
    rows = [[name, fmt_ms(v["median"]), fmt_ms(v["p95"])] for name, v in t.items()]
    print(table(["measure", "median ms", "p95 ms"], rows))
    print()
    print(f"end-to-end / bare encode floor: {r['end_to_end_over_floor']}x   "
          f"pipeline / dense: {r['pipeline_over_dense']}x (target <= {r['pipeline_over_dense_target']}x: "
          f"{'met' if r['pipeline_within_target_of_dense'] else 'NOT met'})   "
          f"encode stage / floor: {r['pipeline_encode_stage_over_floor']}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stages",
        description="Break the time of one question into its stages on the real project index, with the bare "
                    "model's encode time as the floor and the dense-only retriever as the reference.",
        epilog="Timings are noisy on a shared machine: compare the ratios, which are measured in the same run.",
    )
    parser.add_argument("--limit", type=int, default=None, help="use only the first N gold questions (default all)")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the questions (default 1)")
    parser.add_argument("-k", type=int, default=5, help="passages per answer, as the API's default (default 5)")
    parser.add_argument("--index-dir", type=Path, default=None, help="index folder (default: the project's)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "stages.json", help="result file")
    args = parser.parse_args(argv)

    from eval.gold import load_gold
    from retriever.config import Settings
    from retriever.search import Searcher
    from retriever.store import open_index

    settings = Settings.from_env(index_dir=args.index_dir)
    t0 = time.perf_counter()
    searcher = Searcher(open_index(settings, progress=False), settings)
    searcher.warm()
    load_s = time.perf_counter() - t0
    questions = load_gold()[: args.limit]
    index = searcher.index
    print(f"{len(questions)} questions x {args.repeat} over {len(index.chunks)} chunks "
          f"(index and models loaded in {load_s:.1f}s)", file=sys.stderr)
    before, started = environment(), time.perf_counter()
    rows = measure(searcher, questions, k=args.k, repeat=args.repeat)
    result = report(rows)
    result.update({
        "index": {"path": str(index.path), "chunks": len(index.chunks),
                  "faiss_index": index.manifest.get("faiss_index"),
                  "model": index.model, "multilingual": index.multilingual_model},
        "k": args.k,
        "repeat": args.repeat,
        "per_question": rows,
    })
    publish(result, "stages", before, started, args.out, print_report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
