"""``python -m eval.bilingual``: retrieval across Korean and English, on a small corpus written for it.

``tests/fixtures/bilingual`` holds a Korean document (Jeju's tangerine farming) and an English one (honeybees in
winter), neither on the papers' topic, and questions in both languages about each: four directions, named by the
question's language and then the document's (``en-ko`` is an English question that a Korean document answers).
The gold set cannot measure this: its documents are all English.

A question hits at k when one of the top k passages contains one of its answers (``eval.metrics.contains_answer``,
as in ``alliance-qa eval``): passages, not documents, so finding the right paragraph of the right document is
what counts.  ``doc@1`` is looser: the top passage is from the document that answers.  Each retriever answers
through ``Searcher.ask``, as the service does; ``bm25`` shows what the lexical retriever finds alone.  With
``--papers`` the two alliance papers join the corpus as distractors.

The index is built in a temporary folder with the default models: about 30 s on two cores, 45 s with the papers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from retriever.config import PIPELINE, PROJECT_ROOT, Settings
from retriever.corpus import SOURCES_FILE

from .gold import Question, load_gold
from .metrics import contains_answer

if TYPE_CHECKING:
    from retriever.search import Searcher

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "bilingual"
PAPERS = PROJECT_ROOT / "corpus"
DIRECTIONS = ("ko-ko", "en-ko", "ko-en", "en-en")
METHODS = ("bm25", PIPELINE)
CUTOFFS = (1, 3)


def load_questions(path: Path = FIXTURE / "questions.jsonl") -> list[Question]:
    """The questions, in the gold file's format and checked by its loader: ``kind`` is the direction, and
    ``doc_ids`` names the one document that answers each."""
    return load_gold(path)


def corpus(root: Path, papers: bool = False) -> Path:
    """The fixture's documents (and with ``papers``, the alliance papers) in one corpus folder under ``root``."""
    folder = root / "corpus"
    shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns("*.jsonl"))
    if papers:
        entries = json.loads((PAPERS / SOURCES_FILE).read_text(encoding="utf-8"))
        for entry in entries:
            shutil.copy(PAPERS / entry["file"], folder / entry["file"])
        entries += json.loads((folder / SOURCES_FILE).read_text(encoding="utf-8"))
        (folder / SOURCES_FILE).write_text(json.dumps(entries, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder


def measure(searcher: "Searcher", questions: Sequence[Question], method: str) -> dict[str, dict[str, float]]:
    """hit@1, hit@3 and doc@1 of one retriever, by direction (and ``all``)."""
    hits: dict[str, list[dict[str, bool]]] = {}
    for q in questions:
        passages = searcher.ask(q.question, k=max(CUTOFFS), method=method).passages
        row = {f"hit@{k}": any(contains_answer(p.text, q.answers) for p in passages[:k]) for k in CUTOFFS}
        row["doc@1"] = bool(passages) and passages[0].citation.doc_id in q.doc_ids
        for key in (q.kind, "all"):
            hits.setdefault(key, []).append(row)
    return {key: {m: sum(r[m] for r in rows) / len(rows) for m in rows[0]} for key, rows in hits.items()}


def report(figures: dict[str, dict[str, dict[str, float]]], counts: dict[str, int]) -> str:
    measures = [*(f"hit@{k}" for k in CUTOFFS), "doc@1"]
    lines = [f"{'retriever':<10} {'direction':<9} {'n':>3} " + " ".join(f"{m:>6}" for m in measures)]
    for method, by_direction in figures.items():
        for direction in (*DIRECTIONS, "all"):
            cells = " ".join(f"{by_direction[direction][m]:>6.2f}" for m in measures)
            lines.append(f"{method:<10} {direction:<9} {counts[direction]:>3} {cells}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bilingual", description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", action="store_true", help="add the alliance papers to the corpus as distractors")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)

    from retriever.search import Searcher
    from retriever.store import open_index

    questions = load_questions()
    counts = {d: sum(q.kind == d for q in questions) for d in DIRECTIONS} | {"all": len(questions)}
    with tempfile.TemporaryDirectory(prefix="alliance-qa-bilingual-") as tmp:
        settings = Settings(corpus_dir=corpus(Path(tmp), args.papers), index_dir=Path(tmp) / "index")
        searcher = Searcher(open_index(settings, progress=False), settings)
        figures = {method: measure(searcher, questions, method) for method in METHODS}
    print(json.dumps(figures, indent=2) if args.json else report(figures, counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
