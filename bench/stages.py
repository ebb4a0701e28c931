"""Where one question's time goes: stage by stage, against the floor of a bare model encode.

Runs the gold questions through ``Searcher.ask`` on the real project index (the one the service opens) and
collects the stage timings the searcher already records (``answer.timings_ms``), plus serialisation
(``answer.model_dump_json()``), which is the last thing the server does before the bytes leave.

Two reference points are measured in the same run, question by question, so background load hits all three
alike and the ratios stay meaningful on a shared machine:

* the **floor**: the English model alone, ``encoder.encode_queries([question])``.  No retrieval over this index can
  answer faster than it understands the question, so the end-to-end median is reported as a multiple of it;
* the **dense-only** retriever (``method="dense"``): issue 5 asks the full pipeline to stay within 3x of it.

The order of the three measurements rotates from question to question so none of them always runs right after
the multilingual model (whose thread pool can still be spinning; see bench/README.md).

    python -m bench.stages                 # all gold questions, writes bench/results/stages.json
    python -m bench.stages --limit 20      # a quick look
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import RESULTS_DIR, environment, fmt_ms, gold_questions, ratio, summarise, table, write_result

# Stage names as Searcher records them, in pipeline order; "serialize" and "other" are added here.
STAGES = ("bm25", "encode", "faiss", "encode_multilingual", "fusion", "rerank", "highlight")
ISSUE5_TARGET = 3.0  # the pipeline's median within this multiple of the dense-only median


def _ms(fn) -> tuple[object, float]:
    t = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t) * 1000


def measure(engine, questions: list[dict], k: int = 5, repeat: int = 1, warmup: int = 3) -> dict:
    """Per-question timings for the pipeline, the dense-only retriever and the bare encode (lists of ms)."""
    for q in questions[:warmup]:  # first calls pay for lazy initialisation inside torch and the tokenizers
        engine.ask(q["question"], k=k)
        engine.ask(q["question"], k=k, method="dense")
        engine.encoder.encode_queries([q["question"]])

    rows: list[dict] = []
    for rep in range(repeat):
        for i, q in enumerate(questions):
            text = q["question"]
            row: dict = {"id": q["id"], "lang": q["lang"]}

            def pipeline() -> None:
                answer, _ = _ms(lambda: engine.ask(text, k=k))
                _, row["serialize"] = _ms(answer.model_dump_json)
                row["pipeline"] = dict(answer.timings_ms)
                row["abstained"] = answer.abstained

            def dense() -> None:
                answer = engine.ask(text, k=k, method="dense")
                row["dense"] = dict(answer.timings_ms)

            def bare() -> None:
                _, row["bare_encode"] = _ms(lambda: engine.encoder.encode_queries([text]))

            steps = [pipeline, dense, bare]
            shift = (i + rep) % 3
            for step in steps[shift:] + steps[:shift]:
                step()
            rows.append(row)
    return {"rows": rows}


def report(measured: dict, target: float = ISSUE5_TARGET) -> dict:
    """Medians and p95s per stage, the floor, and the two ratios (end-to-end / floor, pipeline / dense)."""
    rows = measured["rows"]
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
    by_lang = {}
    for lang in sorted({r["lang"] for r in rows}):
        sel = [r for r in rows if r["lang"] == lang]
        by_lang[lang] = {
            "n": len(sel),
            "end_to_end": summarise(r["pipeline"]["total"] + r["serialize"] for r in sel),
            "dense_total": summarise(r["dense"]["total"] for r in sel),
            "bare_encode_floor": summarise(r["bare_encode"] for r in sel),
        }
    e2e_med = totals["end_to_end"]["median"]
    pipe_med = totals["pipeline_total"]["median"]
    dense_med = totals["dense_total"]["median"]
    floor_med = totals["bare_encode_floor"]["median"]
    enc_med = stages.get("encode", {}).get("median")
    ratios = {
        "end_to_end_over_floor": ratio(e2e_med, floor_med),
        "pipeline_over_dense": ratio(pipe_med, dense_med),
        "dense_over_floor": ratio(dense_med, floor_med),
        # >1 means the same encode is slower inside the pipeline than alone: interference, not work.
        "pipeline_encode_stage_over_floor": ratio(enc_med, floor_med),
        "issue5_target": target,
        "issue5_pipeline_within_target_of_dense": None if pipe_med is None or not dense_med
        else pipe_med <= target * dense_med,
    }
    return {"stages_ms": stages, "totals_ms": totals, "by_language": by_lang, "ratios": ratios,
            "abstained": sum(bool(r.get("abstained")) for r in rows), "questions": len(rows)}


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
          f"pipeline / dense: {r['pipeline_over_dense']}x (target <= {r['issue5_target']}x: "
          f"{'met' if r['issue5_pipeline_within_target_of_dense'] else 'NOT met'})   "
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

    from retriever.config import Settings
    from retriever.index import open_index
    from retriever.search import Searcher

    settings = Settings.from_env(index_dir=args.index_dir)
    t0 = time.perf_counter()
    engine = Searcher(open_index(settings, progress=False), settings)
    engine.warm()
    load_s = time.perf_counter() - t0
    questions = gold_questions(limit=args.limit)
    print(f"{len(questions)} questions x {args.repeat} over {len(engine.index.chunks)} chunks "
          f"(index and models loaded in {load_s:.1f}s)", file=sys.stderr)
    env_before = environment()
    t0 = time.perf_counter()
    measured = measure(engine, questions, k=args.k, repeat=args.repeat)
    result = report(measured)
    result.update({
        "benchmark": "stages",
        "index": {"path": str(engine.index.path), "chunks": len(engine.index.chunks),
                  "faiss_index": engine.index.manifest.get("faiss_index"),
                  "model": engine.index.manifest["model"]["name"],
                  "multilingual": (engine.index.manifest.get("multilingual") or {}).get("name")},
        "k": args.k,
        "repeat": args.repeat,
        "run_seconds": round(time.perf_counter() - t0, 1),
        "environment": env_before,
        "load_average_after": environment()["load_average"],
        "per_question": measured["rows"],
    })
    print_report(result)
    print(f"wrote {write_result(result, args.out)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
