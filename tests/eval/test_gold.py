"""The gold file loader: every line a question, or an error that names the file and the line."""

from __future__ import annotations

import json

import pytest

from eval.gold import DEFAULT_GOLD, HISTORY_KINDS, load_gold
from eval.metrics import normalise
from retriever.config import PROJECT_ROOT
from retriever.corpus import load_corpus
from retriever.schema import Turn


def gold_file(tmp_path, *rows: dict):
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


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
    assert (q.history, q.doc_ids) == ((), ())


def test_history_and_doc_ids(tmp_path):
    history = [{"role": "user", "content": "How much did Korea invest?"}, {"role": "assistant", "content": "$14.8bn"}]
    path = gold_file(
        tmp_path,
        {"id": "f", "question": "And in 2015?", "answers": ["2.6"], "kind": "followup", "history": history},
        {"id": "c", "question": "Compare them.", "kind": "comparison", "doc_ids": ["kiep", "heritage"]},
    )
    followup, comparison = load_gold(path)
    assert followup.history == (Turn(role="user", content="How much did Korea invest?"),
                                Turn(role="assistant", content="$14.8bn"))
    assert followup.doc_ids == () and comparison.history == ()
    assert comparison.doc_ids == ("kiep", "heritage")
    assert comparison.answerable  # no answer string, but the papers answer it: abstaining would be wrong


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({"history": [{"role": "system", "content": "x"}]}, "history turn 1: role: Input should be 'user' or"),
        ({"history": [{"role": "user", "content": "x"}, {"role": "assistant"}]}, "history turn 2: content"),
        ({"history": "user: x"}, "history must be a list of objects"),
        ({"history": [["user", "x"]]}, "history must be a list of objects"),
        ({"doc_ids": "kiep"}, "doc_ids must be a list of strings"),
        ({"doc_ids": [1]}, "doc_ids must be a list of strings"),
    ],
)
def test_a_bad_history_or_doc_ids_names_the_line(tmp_path, field, message):
    path = gold_file(tmp_path, {"id": "ok", "question": "?"}, {"id": "bad", "question": "?", **field})
    with pytest.raises(ValueError, match=r"gold\.jsonl:2: not a gold question") as info:
        load_gold(path)
    assert message in str(info.value)


@pytest.mark.parametrize("kind", HISTORY_KINDS)
def test_a_conversation_kind_needs_its_history(tmp_path, kind):
    with pytest.raises(ValueError, match=f"gold.jsonl:1: .*a {kind} question needs its history"):
        load_gold(gold_file(tmp_path, {"id": "f", "question": "And then?", "answers": ["x"], "kind": kind}))


def test_the_project_gold_set_loads():
    questions = load_gold(DEFAULT_GOLD)
    assert len({q.id for q in questions}) == len(questions) > 100
    assert {q.lang for q in questions} >= {"en", "ko"}


@pytest.mark.parametrize("name", ["gold.jsonl", "heldout.jsonl", "heldout2.jsonl", "heldout3.jsonl",
                                  "heldout4.jsonl", "heldout5.jsonl", "heldout6.jsonl", "heldout7.jsonl",
                                  "heldout8.jsonl", "heldout9.jsonl", "heldout10.jsonl", "heldout11.jsonl",
                                  "heldout12.jsonl", "heldout13.jsonl", "heldout14.jsonl",
                                  "heldout15.jsonl", "heldout16.jsonl", "heldout17.jsonl"])
def test_every_answer_of_the_projects_question_sets_is_in_a_paper(name):
    # an answer typed with a slip would count as a miss however well the service answered
    papers = [normalise(doc.text) for doc in load_corpus(PROJECT_ROOT / "corpus").documents]
    questions = load_gold(PROJECT_ROOT / "eval" / name)
    missing = [(q.id, a) for q in questions if q.lang == "en" for a in q.answers
               if not any(normalise(a) in paper for paper in papers)]
    assert not missing
