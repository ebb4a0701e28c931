"""The ``alliance-qa`` command line: the one place that wires the library, the server and the eval together.

Nothing imports this module (the console script calls ``main``), so the layers below it never depend on it.
Heavy libraries (torch, faiss, sentence-transformers) are imported inside the commands that need them, so
``alliance-qa --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import sys
import textwrap
from pathlib import Path

from retriever.config import MAX_HISTORY_TURNS, MAX_TURN_CHARS, SHOWN_PASSAGES  # plain Python: --help stays instant
from retriever.tuning import CORES_PER_WORKER

log = logging.getLogger("alliance_qa")

DESCRIPTION = """\
Ask questions about the U.S.–South Korea economic alliance papers: the answer is quoted from them, with the
passages it came from cited.  `ask` answers one question; `chat` keeps a conversation, so follow-ups work.

The index is built on first use (and rebuilt whenever the corpus or the settings change).
Settings come from ALLIANCE_QA_* environment variables (see retriever/config.py); the flags below override them.
Calibrated numbers (second-stage weights, abstention floors) are in retriever/tuning.py.
"""

EXAMPLES = """\
examples:
  alliance-qa ask "How much did Korea invest in US greenfield projects in 2024?"
  alliance-qa ask "Who wrote the Heritage brief?" -k 3 --json
  alliance-qa add paper.pdf --title "A Paper" --authors "Jane Doe, Kim Min-ji" --date 2025-10-01
  alliance-qa remove a-paper
  alliance-qa documents
  alliance-qa chat
  printf 'What does the KIEP paper propose?\\nWho wrote it?\\n' | alliance-qa -q chat
  alliance-qa serve --port 8000
  alliance-qa eval --retrievers bm25,dense,hybrid,pipeline --ablate
  alliance-qa eval-beir ../shared/beir/scifact
"""


def workers_for(cores: int) -> int:
    """``serve``'s default worker count on ``cores`` usable cores: one per ``CORES_PER_WORKER``, at least one."""
    return max(1, cores // CORES_PER_WORKER)


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _settings(args: argparse.Namespace, **extra: object):
    from retriever.config import Settings

    return Settings.from_env(corpus_dir=args.corpus_dir, index_dir=args.index_dir, **extra)


def _searcher(args: argparse.Namespace):
    from retriever.search import Searcher
    from retriever.store import open_index

    settings = _settings(args)
    return Searcher(open_index(settings, progress=not args.quiet), settings)


def cmd_index(args: argparse.Namespace) -> int:
    from retriever.store import IndexMissing, IndexProblem, build, load

    settings = _settings(args)
    if not args.force:
        try:
            index = load(settings)
            print(f"index is up to date: {index.path} ({_counts(index.manifest)}); use --force to rebuild")
            return 0
        except IndexMissing:
            log.info("no index in %s yet; building it", settings.index_dir)
        except IndexProblem as exc:
            log.info("%s; rebuilding", exc)
    path = build(settings, progress=not args.quiet, full=args.force)
    manifest = json.loads((path / "manifest.json").read_text())
    print(f"built {path} in {manifest['build_seconds']}s ({_counts(manifest)}; {_encoded(manifest)})")
    for skipped in manifest.get("skipped", []):
        print(f"skipped {skipped['file']}: {skipped['reason']}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Copy a file into the corpus with its catalogue record, then index it (that document alone is encoded)."""
    from retriever import store

    entry = {"doc_id": args.doc_id, "title": args.title, "authors": _names(args.authors or ""),
             "publisher": args.publisher, "date": args.date, "url": args.url}
    doc, path = store.add(_settings(args), args.path, entry, progress=not args.quiet)
    manifest = json.loads((path / "manifest.json").read_text())
    print(f"added {doc.doc_id} ({manifest['documents'][doc.doc_id]['chunks']} chunks; {_encoded(manifest)}); "
          "a running server serves it within seconds")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Take a document out of the corpus and the index (nothing is encoded)."""
    from retriever import store

    removed, path = store.remove(_settings(args), args.doc_id, progress=not args.quiet)
    print(f"removed {args.doc_id} ({removed}); {_counts(json.loads((path / 'manifest.json').read_text()))}")
    return 0


def cmd_documents(args: argparse.Namespace) -> int:
    """The documents in the index and the files left out of it: read from the index, no model loaded."""
    from retriever.store import load

    index = load(_settings(args))
    rows = [{"doc_id": d.doc_id, "chunks": index.chunk_counts[d.doc_id], "chars": len(d.text), "title": d.title,
             "file": d.source_file} for d in sorted(index.documents.values(), key=lambda d: d.doc_id)]
    if args.json:
        print(json.dumps({"documents": rows, "skipped": [s.model_dump() for s in index.skipped]}, ensure_ascii=False))
        return 0
    width = max(len(r["doc_id"]) for r in rows)
    print(f"{'DOC_ID':<{width}}  {'CHUNKS':>6}  {'CHARS':>7}  TITLE")
    for r in rows:
        print(f"{r['doc_id']:<{width}}  {r['chunks']:>6}  {r['chars']:>7}  {r['title'][:80]}")
    for skipped in index.skipped:
        print(f"skipped {skipped.file}: {skipped.reason}")
    return 0


def _encoded(manifest: dict) -> str:
    encoded, counts = manifest.get("encoded", {}), manifest.get("counts", {})
    what = f"encoded {encoded.get('chunks')} chunks and {encoded.get('sentences')} sentences"
    return what + (", the rest unchanged" if encoded.get("chunks") != counts.get("chunks") else "")


def _counts(manifest: dict) -> str:
    c = manifest.get("counts", {})
    return f"{c.get('documents')} documents, {c.get('chunks')} chunks, model {manifest.get('model', {}).get('name')}"


def cmd_ask(args: argparse.Namespace) -> int:
    question = " ".join(args.question).strip()
    if not question:
        print("error: the question is empty", file=sys.stderr)
        return 2
    searcher = _searcher(args)
    if not _known_docs(searcher, args.doc):
        return 2
    answer = searcher.ask(question, k=args.k, doc_ids=args.doc, method=args.retriever)
    if args.json:
        print(answer.model_dump_json(indent=2))
    else:
        print(format_answer(answer))
    return 0


def _known_docs(searcher, doc_ids: list[str] | None) -> bool:
    unknown = [d for d in doc_ids or [] if d not in searcher.index.documents]
    if unknown:
        print(f"error: unknown doc_id {', '.join(unknown)}; known: {', '.join(searcher.doc_ids)}", file=sys.stderr)
    return not unknown


def _width() -> int:
    """The terminal's width (``COLUMNS`` wins; 100 when not a terminal), kept between 40 and 100 for reading."""
    return max(40, min(100, shutil.get_terminal_size((101, 24)).columns - 1))


MARKER = re.compile(r" (\[\d+\])")
GLUED_MARKER = re.compile("\u00a0" + r"(\[\d+\])")


def _wrap_answer(text: str, width: int) -> list[str]:
    """Wrap the composed answer without leaving a "[n]" marker alone at the start of a line."""
    glued = MARKER.sub("\u00a0\\1", text)  # textwrap breaks only at ASCII whitespace, never at a no-break space
    return [GLUED_MARKER.sub(r" \1", line) for line in textwrap.wrap(glued, width)]


def format_answer(answer, heading: str | None = "Q", width: int | None = None) -> str:
    """The answer as a person reads it: the quoted answer with its [n] markers (or why there is none), then the
    passages numbered so that each [n] points at one, each with its citation.

    ``heading`` labels the echoed question ("Q" gives "Q: ..."); None leaves the question out.
    """
    width = width or _width()
    lines = [f"{heading}: {answer.question}", ""] if heading else []
    if answer.abstained:
        lines += _wrap_answer(f"Not in these documents: {answer.reason}" if answer.reason
                              else "Not in these documents.", width)
        lines += [""]
        if answer.passages:
            lines += ["Closest passages (not an answer):", ""]
    elif answer.answer is not None:
        lines += _wrap_answer(answer.answer.text, width) + [""]
        if answer.passages:
            lines += ["Sources:", ""]
    elif answer.passages:
        lines += ["No sentence of the passages could be quoted as the answer. The passages found:", ""]
    else:
        lines += ["Nothing was found.", ""]
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


# ----------------------------------------------------------------------------------------------------- chat


CHAT_DESCRIPTION = f"""\
Ask questions one after another at a prompt.  Each question is asked with the conversation so far
(the last {MAX_HISTORY_TURNS} turns), so a follow-up such as "Who wrote it?" can lean on the earlier ones.  The index
loads once.  Questions may also be piped in, one a line; blank lines are skipped.

commands at the prompt:
  /new    forget the conversation and start over
  /help   list the commands
  /quit   leave (so do Ctrl-D and Ctrl-C)
"""

CHAT_EXAMPLES = """\
examples:
  alliance-qa chat
  alliance-qa chat -k 5 --doc heritage-ib5370-us-korea-economic-partnership
  printf 'What does the KIEP paper propose?\\nWho wrote it?\\n' | alliance-qa -q chat
  alliance-qa -q chat --json < questions.txt > answers.jsonl
"""

CHAT_HELP = """\
Type a question and press Enter; a follow-up ("Who wrote it?") is read with the conversation so far.
  /new    forget the conversation and start over
  /help   this text
  /quit   leave (so do Ctrl-D and Ctrl-C)"""


def reply_text(answer) -> str:
    """What the assistant said, as the next question's history remembers it: the quoted answer, or why there is none."""
    if answer.answer is not None:
        return answer.answer.text
    return answer.reason or ("Not in these documents." if answer.abstained else "No answer could be quoted.")


class Conversation:
    """The turns a chat keeps, oldest first: at most the last ``MAX_HISTORY_TURNS``, each cut to ``MAX_TURN_CHARS``."""

    def __init__(self) -> None:
        self.turns: list = []  # retriever.schema.Turn, imported when the first one is added
        self.asked = 0  # questions since the last /new (the turns are capped; this is not)

    def add(self, question: str, answer) -> None:
        from retriever.schema import Turn

        self.turns += [Turn(role="user", content=question[:MAX_TURN_CHARS]),
                       Turn(role="assistant", content=reply_text(answer)[:MAX_TURN_CHARS])]
        del self.turns[:-MAX_HISTORY_TURNS]
        self.asked += 1

    def reset(self) -> None:
        self.turns, self.asked = [], 0


def _read_lines(interactive: bool, prompt):
    """Lines typed at a prompt (with line editing) or piped in; ends at EOF."""
    if interactive:
        try:
            import readline  # noqa: F401  (arrow keys and recall for input())
        except ImportError:
            pass
    while True:
        if interactive:
            try:
                yield input(prompt())
            except EOFError:
                print(file=sys.stderr)
                return
        else:
            line = sys.stdin.readline()
            if not line:
                return
            yield line


def cmd_chat(args: argparse.Namespace) -> int:
    searcher = _searcher(args)
    if not _known_docs(searcher, args.doc):
        return 2
    interactive = sys.stdin.isatty()
    notes = sys.stderr if args.json else sys.stdout  # --json keeps stdout to one JSON object per line
    conversation = Conversation()
    if interactive:
        docs = args.doc or searcher.doc_ids
        print(f"Asking {len(docs)} document{'s' * (len(docs) != 1)}: {', '.join(docs)}.  /help lists the commands.",
              file=notes)
    try:
        for line in _read_lines(interactive, lambda: f"Q{conversation.asked + 1}> "):
            text = line.strip()
            if not text:
                continue
            command = text.lower()
            if command in ("/quit", "/exit", "/q"):
                break
            if command == "/new":
                conversation.reset()
                print("(new conversation)\n", file=notes, flush=True)
                continue
            if command in ("/help", "/?"):
                print(CHAT_HELP + "\n", file=notes, flush=True)
                continue
            if text.startswith("/") and " " not in text:
                print(f"unknown command {text}; /help lists the commands", file=sys.stderr, flush=True)
                continue
            log.debug("asking with %d earlier turns", len(conversation.turns))
            try:
                answer = searcher.ask(text, k=args.k, doc_ids=args.doc, method=args.retriever,
                                      history=list(conversation.turns))
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr, flush=True)
                continue
            number = conversation.asked + 1
            conversation.add(text, answer)
            if args.json:
                print(answer.model_dump_json(), flush=True)
            else:
                print(format_answer(answer, heading=None if interactive else f"Q{number}") + "\n", flush=True)
    except KeyboardInterrupt:
        print(file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import serve

    settings = _settings(args, host=args.host, port=args.port)
    workers = args.workers if args.workers is not None else workers_for(usable_cores())
    return serve(settings, workers=workers, progress=not args.quiet)


def cmd_mcp(args: argparse.Namespace) -> int:
    """Serve the papers to LLM assistants over the Model Context Protocol (stdio, or HTTP on loopback)."""
    if args.http is not None and not 1 <= args.http <= 65535:
        print(f"error: --http {args.http} is not a port number (1-65535)", file=sys.stderr)
        return 2
    from .mcp_server import serve

    return serve(lambda: _searcher(args), http_port=args.http)


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
    p.add_argument("--force", action="store_true",
                   help="rebuild even if the index is up to date, encoding every document again")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("add", help="copy a document into the corpus with its catalogue record, and index it",
                       description="Copy PATH (.txt, .md, .html or .pdf) into the corpus folder, record its catalogue "
                                   "fields in sources.json, and update the index (only this document is encoded). A "
                                   "file that cannot be read, or whose name or doc_id is taken, is refused and "
                                   "nothing changes.")
    p.add_argument("path", type=Path, help="the file to add")
    p.add_argument("--doc-id", help="its id in citations and URLs (default: from the file name)")
    p.add_argument("--title", help="default: the document's first line")
    p.add_argument("--authors", help="comma-separated names")
    p.add_argument("--publisher")
    p.add_argument("--date", help="publication date, e.g. 2025-09-27")
    p.add_argument("--url", help="where the original is published")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("remove", help="take a document out of the corpus and the index")
    p.add_argument("doc_id", help="the document's id (`alliance-qa documents` lists them)")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("documents", help="list the indexed documents, and the files left out of the index and why")
    p.add_argument("--json", action="store_true", help="print {documents, skipped} as JSON")
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("ask", help="ask one question: a quoted answer with [n] markers, then the cited passages")
    p.add_argument("question", nargs="+", help="the question (quote it, or pass several words)")
    p.add_argument("-k", type=_k, default=SHOWN_PASSAGES, help=f"number of passages, 1-20 (default {SHOWN_PASSAGES})")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help="only search this document (repeatable)")
    p.add_argument("--json", action="store_true", help="print the answer object as JSON")
    p.add_argument("--retriever", choices=RETRIEVERS, default=PIPELINE, help="retriever to use (default pipeline)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="a conversation: follow-up questions are read with the earlier turns",
                       description=CHAT_DESCRIPTION, epilog=CHAT_EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-k", type=_k, default=3, help="number of passages per answer, 1-20 (default 3)")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help="only search this document (repeatable)")
    p.add_argument("--json", action="store_true", help="print each answer object as one line of JSON")
    p.add_argument("--retriever", choices=RETRIEVERS, default=PIPELINE, help="retriever to use (default pipeline)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", help="start the HTTP API and chat page (builds the index if needed)")
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000)")
    p.add_argument("--workers", type=_positive, default=None,
                   help=f"worker processes (default one per {CORES_PER_WORKER} usable cores, at least one: "
                        f"{workers_for(usable_cores())} here)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("mcp", help="serve the papers to LLM assistants as MCP tools (ask, list_documents, get_passage)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="""\
A Model Context Protocol server for LLM assistants: the tools `ask` (the answer object of POST /api/ask, quoted
with [n] citations), `list_documents` and `get_passage` (a span of the canonical text, to check a citation), and
the resource document://{doc_id} (a document's canonical text).  It speaks MCP over stdin/stdout, for an assistant
that starts it as a subprocess (stdout carries the protocol alone; logs go to stderr); with --http PORT it serves
streamable HTTP at http://127.0.0.1:PORT/mcp instead.  The models load (and the index is built, if there is none)
before the first request is read.""",
                       epilog="""\
client configuration (e.g. claude_desktop_config.json):
  {"mcpServers": {"alliance-qa": {"command": "/path/to/alliance-qa/.venv/bin/alliance-qa", "args": ["-q", "mcp"]}}}
examples:
  alliance-qa -q mcp
  alliance-qa mcp --http 8765""")
    p.add_argument("--http", type=int, metavar="PORT",
                   help="serve streamable HTTP on 127.0.0.1:PORT (path /mcp) instead of stdio")
    p.set_defaults(func=cmd_mcp)

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


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number is needed, not {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("at least 1 worker is needed")
    return n


def _k(value: str) -> int:
    k = int(value)
    if not 1 <= k <= 20:
        raise argparse.ArgumentTypeError("k must be between 1 and 20")
    return k


class _QuietLibraries(logging.Filter):
    NOISY = ("faiss", "sentence_transformers", "bm25s", "httpx", "transformers")

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level or record.name.split(".")[0] not in self.NOISY


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    # huggingface_hub reads this when first imported (below, inside the command): its "Loading weights" bar is noise
    # under -q, and in a log its carriage-return updates garble the lines.
    if args.quiet or not sys.stderr.isatty():
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    root, quiet = logging.getLogger(), max(level, logging.WARNING)
    theirs = list(root.handlers)  # a caller's own handlers (pytest's, when main runs in-process) stay as they are
    logging.basicConfig(level=level, format="alliance-qa: %(message)s", stream=sys.stderr)
    for noisy in _QuietLibraries.NOISY:
        logging.getLogger(noisy).setLevel(quiet)
    for handler in root.handlers:  # and a filter on our handler: bm25s sets its logger to DEBUG when imported later
        if handler not in theirs:
            handler.addFilter(_QuietLibraries(quiet))
    from retriever.documents import CorpusError
    from retriever.store import IndexProblem

    try:
        return args.func(args)
    except (IndexProblem, CorpusError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`alliance-qa ask ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit-time flush cannot fail again
        return 141


if __name__ == "__main__":
    sys.exit(main())
