"""The gold question set (``eval/gold.jsonl``): one JSON object a line, ``id``, ``question``, ``answers`` (none for
a question the papers do not answer), ``kind`` and ``lang``; optionally ``history`` (the conversation the question is
asked after, ``[{"role": "user" | "assistant", "content": ...}]``, oldest first) and ``doc_ids`` (papers that must
all be among the top passages: both for a comparison, the one summarised for a summary).  Unknown fields are
ignored, so the file can grow annotations freely."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from retriever.config import PROJECT_ROOT
from retriever.schema import Turn

DEFAULT_GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"
HEADLINE_LANG = "en"  # the language of the headline figures; other languages are reported beside them
# Kinds asked after a conversation: a follow-up leans on it, a switch must not be misled by it.  Either without its
# history would not be the question it claims to be, so the loader refuses one.
HISTORY_KINDS = ("followup", "switch")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    kind: str
    lang: str
    history: tuple[Turn, ...] = ()
    doc_ids: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        """The papers answer it: it has answer strings, or names the papers an answer draws on (a summary may have
        no single string to match, yet abstaining on it is a false abstention)."""
        return bool(self.answers or self.doc_ids)


def load_gold(path: Path = DEFAULT_GOLD) -> list[Question]:
    """The gold questions, checked: every line a question, ids unique, at least one question."""
    if not path.is_file():
        raise ValueError(f"gold file {path} does not exist")
    questions: list[Question] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            questions.append(question(json.loads(line)))
        except (KeyError, TypeError, ValueError) as exc:  # ValueError covers json.JSONDecodeError
            raise ValueError(f"{path}:{n}: not a gold question ({exc})") from exc
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: question ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    if not questions:
        raise ValueError(f"{path} holds no questions")
    return questions


def question(row: dict) -> Question:
    """One line of the gold file as a question; TypeError or ValueError say what is wrong with it."""
    q = Question(
        id=str(row["id"]),
        question=str(row["question"]),
        answers=tuple(str(a) for a in row.get("answers") or ()),
        kind=str(row.get("kind") or "unknown"),
        lang=str(row.get("lang") or HEADLINE_LANG),
        history=history(row.get("history") or []),
        doc_ids=tuple(list_of(row.get("doc_ids") or [], str, "doc_ids must be a list of strings")),
    )
    if q.kind in HISTORY_KINDS and not q.history:
        raise ValueError(f"a {q.kind} question needs its history")
    return q


def history(turns: list) -> tuple[Turn, ...]:
    """The turns as the service takes them (``retriever.schema.Turn``, which holds the allowed roles)."""
    checked = []
    for n, turn in enumerate(list_of(turns, dict, "history must be a list of objects"), start=1):
        try:
            checked.append(Turn.model_validate(turn))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise ValueError(f"history turn {n}: {where}: {error['msg']}") from None
    return tuple(checked)


def list_of(value: object, item: type, error: str) -> list:
    """``value`` if it is a list of ``item``, else a TypeError: a bare string would pass as a list of its letters."""
    if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
        raise TypeError(error)
    return value
