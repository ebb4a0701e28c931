"""The gold question set (``eval/gold.jsonl``): one JSON object a line, ``id``, ``question``, ``answers`` (none for
a question the papers do not answer), ``kind`` and ``lang``.  Unknown fields are ignored, so the file can grow
annotations freely."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from retriever.config import PROJECT_ROOT

DEFAULT_GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"
HEADLINE_LANG = "en"  # the language of the headline figures; other languages are reported beside them


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


def load_gold(path: Path = DEFAULT_GOLD) -> list[Question]:
    """The gold questions, checked: every line a question, ids unique, at least one question."""
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
