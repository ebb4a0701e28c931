"""The ``alliance-qa`` command line: the one place that wires the library, the server and the eval together.

Nothing imports this module (the console script calls ``main``), so the layers below it never depend on it.
Heavy libraries (torch, faiss, sentence-transformers) are imported inside the commands that need them, so
``alliance-qa --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from pathlib import Path

log = logging.getLogger("alliance_qa")

DESCRIPTION = """\
Ask questions about the U.S.–South Korea economic alliance papers and get cited passages back.

The index is built on first use (and rebuilt whenever the corpus or the settings change).
Settings come from ALLIANCE_QA_* environment variables (see retriever/config.py); the flags below override them.
Calibrated numbers (second-stage weights, abstention floors) are in retriever/tuning.py.
"""

EXAMPLES = """\
examples:
  alliance-qa ask "How much did Korea invest in US greenfield projects in 2024?"
  alliance-qa ask "Who wrote the Heritage brief?" -k 3 --json
  alliance-qa serve --port 8000
  alliance-qa eval --retrievers bm25,dense,hybrid,pipeline --ablate
  alliance-qa eval-beir ../shared/beir/scifact
"""


def _settings(args: argparse.Namespace, **extra: object):
    from retriever.config import Settings

    return Settings.from_env(corpus_dir=args.corpus_dir, index_dir=args.index_dir, **extra)


def _searcher(args: argparse.Namespace):
    from retriever.search import Searcher
    from retriever.store import open_index

    settings = _settings(args)
    return Searcher(open_index(settings, progress=not args.quiet), settings)


def cmd_index(args: argparse.Namespace) -> int:
    from retriever.store import IndexProblem, build, load

    settings = _settings(args)
    if not args.force:
        try:
            index = load(settings)
            print(f"index is up to date: {index.path} ({_counts(index.manifest)}); use --force to rebuild")
            return 0
        except IndexProblem as exc:
            log.info("%s; building", exc)
    path = build(settings, progress=not args.quiet)
    manifest = json.loads((path / "manifest.json").read_text())
    print(f"built {path} in {manifest['build_seconds']}s ({_counts(manifest)})")
    return 0


def _counts(manifest: dict) -> str:
    c = manifest.get("counts", {})
    return f"{c.get('documents')} documents, {c.get('chunks')} chunks, model {manifest.get('model', {}).get('name')}"


def cmd_ask(args: argparse.Namespace) -> int:
    question = " ".join(args.question).strip()
    if not question:
        print("error: the question is empty", file=sys.stderr)
        return 2
    searcher = _searcher(args)
    unknown = [d for d in args.doc or [] if d not in searcher.index.documents]
    if unknown:
        print(f"error: unknown doc_id {', '.join(unknown)}; known: {', '.join(searcher.doc_ids)}", file=sys.stderr)
        return 2
    answer = searcher.ask(question, k=args.k, doc_ids=args.doc, method=args.retriever)
    if args.json:
        print(answer.model_dump_json(indent=2))
    else:
        print(format_answer(answer))
    return 0


def format_answer(answer) -> str:
    width = 100
    lines = [f"Q: {answer.question}", ""]
    if answer.abstained:
        lines += ["The documents do not appear to answer this question. The nearest passages:", ""]
    for p in answer.passages:
        c = p.citation
        lines.append(f"[{p.rank}] {c.title}" + (f" — {c.section}" if c.section else "") + f"  (score {p.score:.3f})")
        meta = " · ".join(x for x in [", ".join(c.authors), c.publisher, c.date] if x)
        lines.append(f"    {meta} · {c.doc_id} chars {c.char_start}–{c.char_end}")
        if p.highlight:
            lines += textwrap.wrap(f"» {p.highlight.text}", width, initial_indent="    ", subsequent_indent="      ")
        lines += textwrap.wrap(p.text.replace("\n\n", " ¶ "), width, initial_indent="    ", subsequent_indent="    ")
        for f in c.footnotes:
            lines += textwrap.wrap(f"[{f.marker}] {f.text}", width, initial_indent="    note ", subsequent_indent="         ")
        lines.append("")
    lines.append(f"({answer.timings_ms.get('total', 0):.0f} ms)")
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import serve

    settings = _settings(args, host=args.host, port=args.port)
    return serve(settings, workers=args.workers, progress=not args.quiet)


def cmd_eval(args: argparse.Namespace) -> int:
    from eval import report
    from eval.runner import DEFAULT_OUT, evaluate

    result = evaluate(_searcher(args), gold=args.gold, retrievers=_names(args.retrievers), k=args.k,
                      ablate=args.ablate, progress=not args.quiet)
    out = args.out or DEFAULT_OUT
    report.write_reports(result, out)
    text = f"{report.counts_line(result)}\n{report.main_table(result)}"
    return _publish(report.summary(result) if args.json else text, out)


def cmd_eval_beir(args: argparse.Namespace) -> int:
    from eval import beir, report

    result = beir.evaluate(args.dataset, _settings(args), split=args.split, retrievers=_names(args.retrievers),
                           limit_docs=args.limit_docs, progress=not args.quiet)
    out = args.out or beir.default_out(args.dataset)
    report.write_beir_reports(result, out)
    text = f"{report.beir_heading(result)}\n{report.beir_table(result)}"
    return _publish(report.beir_summary(result) if args.json else text, out)


def _publish(summary: dict | str, out: Path) -> int:
    """Stdout gets the table, or exactly one JSON object (``--json``); where the reports went goes to stderr."""
    print(json.dumps(summary) if isinstance(summary, dict) else summary)
    print(f"reports written to {out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from retriever.config import PIPELINE, RETRIEVERS

    parser = argparse.ArgumentParser(
        prog="alliance-qa",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--corpus-dir", type=Path, help="folder of documents (default: corpus/ of the project)")
    parser.add_argument("--index-dir", type=Path, help="where the index lives (default: .index/ of the project)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or info logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="build the index (only if missing or stale, unless --force)")
    p.add_argument("--force", action="store_true", help="rebuild even if the index is up to date")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ask", help="ask a question and print cited passages")
    p.add_argument("question", nargs="+", help="the question (quote it, or pass several words)")
    p.add_argument("-k", type=_k, default=5, help="number of passages, 1-20 (default 5)")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help="only search this document (repeatable)")
    p.add_argument("--json", action="store_true", help="print the answer object as JSON")
    p.add_argument("--retriever", choices=RETRIEVERS, default=PIPELINE, help="retriever to use (default pipeline)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="start the HTTP API and chat page (builds the index if needed)")
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="evaluate retrievers on the gold question set")
    p.add_argument("--gold", type=Path, default=None, help="gold file (default eval/gold.jsonl)")
    p.add_argument("--retrievers", default=",".join(RETRIEVERS), help="comma-separated retrievers to compare")
    p.add_argument("-k", type=int, default=10, help="passages per question (default 10)")
    p.add_argument("--out", type=Path, default=None, help="report folder (default eval/reports/latest)")
    p.add_argument("--ablate", action="store_true",
                   help="also run the pipeline without each second-stage term (pipeline-maxsim, ...)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("eval-beir", help="evaluate retrievers on a BEIR-format dataset (e.g. SciFact)")
    p.add_argument("dataset", type=Path, help="folder with corpus.jsonl, queries.jsonl and qrels/")
    p.add_argument("--split", default="test", help="qrels split to score (default test)")
    p.add_argument("--retrievers", default=",".join(RETRIEVERS), help="comma-separated retrievers to compare")
    p.add_argument("--limit-docs", type=int, default=None, help="index only the first N documents (smoke tests)")
    p.add_argument("--out", type=Path, default=None, help="report folder (default eval/reports/beir-<name>)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=cmd_eval_beir)
    return parser


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _k(value: str) -> int:
    k = int(value)
    if not 1 <= k <= 20:
        raise argparse.ArgumentTypeError("k must be between 1 and 20")
    return k


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="alliance-qa: %(message)s", stream=sys.stderr)
    for noisy in ("faiss", "sentence_transformers", "bm25s", "httpx", "transformers"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    from retriever.documents import CorpusError
    from retriever.store import IndexProblem

    try:
        return args.func(args)
    except (IndexProblem, CorpusError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
