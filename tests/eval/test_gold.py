"""The gold file loader: every line a question, or an error that names the file and the line."""

from __future__ import annotations

import pytest

from eval.gold import DEFAULT_GOLD, load_gold


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_gold(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_gold(bad)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(ValueError, match="holds no questions"):
        load_gold(empty)


def test_repeated_ids_are_refused(tmp_path):
    twice = tmp_path / "twice.jsonl"
    twice.write_text('{"id": "a", "question": "?"}\n{"id": "a", "question": "??"}\n')
    with pytest.raises(ValueError, match="repeat"):
        load_gold(twice)


def test_defaults_and_extra_fields(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": 7, "question": "q?", "note": "ignored"}\n')
    (q,) = load_gold(path)
    assert (q.id, q.kind, q.lang, q.answers, q.answerable) == ("7", "unknown", "en", (), False)


def test_the_project_gold_set_loads():
    questions = load_gold(DEFAULT_GOLD)
    assert len({q.id for q in questions}) == len(questions) > 100
    assert {q.lang for q in questions} >= {"en", "ko"}
