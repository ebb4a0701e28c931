"""Relevance judgements and hand-built runs through ir-measures, where the right figure is known by hand.

Several evaluation frameworks have shipped a wrong MRR; these pin what ours feeds pytrec_eval and what comes back.
"""

from __future__ import annotations

import math

import ir_measures
import pytest
from ir_measures import RR

from eval.metrics import (
    BEIR_MEASURES,
    GOLD_MEASURES,
    answer_hit,
    contains_answer,
    covers,
    latency,
    mean_over,
    normalise,
    passage_id,
    per_query,
    quote_verified,
    rate,
    run_from_rankings,
)
from retriever.schema import AnswerSentence


def scores(ranking: list[str], relevant: dict[str, int], measures=GOLD_MEASURES) -> dict[str, float]:
    return per_query({"q": ranking}, {"q": relevant}, measures)["q"]


# ------------------------------------------------------------------------------------------------ answer matching


def test_matching_ignores_case_quotes_and_white_space():
    text = "South Korea is a \u201cMajor  non-NATO\nally,\u201d designated by the U.S. It\u2019s 28 RDP agreements."
    assert contains_answer(text, ['"major non-nato ally,"'])
    assert contains_answer(text, ["it's 28"])
    assert contains_answer(text, ["nothing here", "RDP AGREEMENTS"])
    assert not contains_answer(text, ["29 RDP"])
    assert normalise(" A\u2018b\u2019  c\t\n") == "a'b' c"


def test_no_answer_never_matches():
    assert not contains_answer("any text at all", [])
    assert not contains_answer("any text at all", ["", "   "])


def test_a_composed_answer_hits_like_a_passage_and_no_answer_misses():
    assert answer_hit("It is a \u201cMajor non-NATO ally\u201d [1]", ['"major non-nato ally"'])
    assert not answer_hit("It is an ally [1]", ["major non-NATO ally"])
    assert not answer_hit(None, ["anything"])  # abstained, or nothing composed
    assert not answer_hit("", ["anything"])


# ------------------------------------------------------------------------------------------- answer sentences

SOURCES = {"kiep": "Korea invested. It rose to $14.8 billion.", "heritage": "The treaty dates from 1953."}


def sentence(doc_id: str, text: str, passage: int, start: int | None = None) -> AnswerSentence:
    """A sentence quoting ``text`` at its true span in ``SOURCES[doc_id]`` unless ``start`` moves it."""
    start = SOURCES[doc_id].find(text) if start is None else start
    return AnswerSentence(text=text, doc_id=doc_id, char_start=start, char_end=start + len(text), passage=passage)


def test_a_quote_verifies_at_its_span_cited_to_a_passage_of_its_paper():
    docs = ["heritage", "kiep"]  # the returned passages' papers, rank 1 first
    assert quote_verified(sentence("kiep", "It rose to $14.8 billion.", 2), SOURCES, docs)
    assert quote_verified(sentence("heritage", "The treaty dates from 1953.", 1), SOURCES, docs)


def test_a_quote_fails_off_its_span_or_its_paper():
    docs = ["heritage", "kiep"]
    assert not quote_verified(sentence("kiep", "It rose to $14.8 billion.", 1), SOURCES, docs)  # [1] is heritage
    assert not quote_verified(sentence("kiep", "It rose to $14.8 billion.", 3), SOURCES, docs)  # no passage 3
    assert not quote_verified(sentence("kiep", "It rose to $14.8 billion.", 0), SOURCES, docs)  # ranks start at 1
    assert not quote_verified(sentence("kiep", "It rose to $14.8 billion.", 2, start=1), SOURCES, docs)  # shifted
    assert not quote_verified(sentence("kiep", "It rose to 14.8 billion.", 2, start=16), SOURCES, docs)  # reworded
    missing = AnswerSentence(text="x", doc_id="nowhere", char_start=0, char_end=1, passage=1)
    assert not quote_verified(missing, SOURCES, ["nowhere"])  # a paper the index does not hold
    empty = AnswerSentence(text="", doc_id="kiep", char_start=3, char_end=3, passage=2)
    assert not quote_verified(empty, SOURCES, docs)  # an empty quote says nothing


def test_coverage_needs_every_listed_paper_within_the_depth():
    docs = ["kiep", "kiep", "kiep", "kiep", "heritage", "other"]
    assert covers(docs, ["kiep", "heritage"], 5)
    assert not covers(docs, ["kiep", "heritage"], 4)  # the better paper four times over compares nothing
    assert covers(docs, ["kiep"], 1)
    assert not covers(docs, ["other"], 5) and covers(docs, ["other"], 10)
    assert not covers([], ["kiep"], 5)


def test_passage_ids_are_spans():
    assert passage_id("kiep", 10, 250) == "kiep:10-250"


# --------------------------------------------------------------------------------------------------- runs and ranks


def test_run_scores_strictly_decrease_with_rank_and_keep_the_first_of_a_repeat():
    run = run_from_rankings({"q": ["c", "a", "b", "a"]})["q"]
    assert list(run) == ["c", "a", "b"]
    assert run["c"] > run["a"] > run["b"]
    assert run["a"] == pytest.approx(0.5)


def test_relevant_at_rank_two():
    s = scores(["x", "rel", "y", "z"], {"rel": 1})
    assert s["mrr@10"] == pytest.approx(0.5)
    assert s["hit@1"] == 0.0
    assert s["hit@3"] == 1.0 and s["hit@5"] == 1.0 and s["hit@10"] == 1.0
    assert s["ndcg@10"] == pytest.approx(1 / math.log2(3))


def test_relevant_at_rank_one():
    s = scores(["rel", "x"], {"rel": 1})
    assert s == {name: pytest.approx(1.0) for name in GOLD_MEASURES}


def test_relevant_beyond_the_cutoff_counts_for_nothing():
    s = scores([f"d{i}" for i in range(1, 11)] + ["rel"], {"rel": 1})
    assert s["mrr@10"] == 0.0 and s["hit@10"] == 0.0 and s["ndcg@10"] == 0.0


def test_pytrec_eval_alone_would_ignore_the_rr_cutoff():
    """Why RR@10 is not asked of the pytrec_eval provider directly: it scores rank 11 as 1/11."""
    run = run_from_rankings({"q": [f"d{i}" for i in range(1, 11)] + ["rel"]})
    direct = ir_measures.pytrec_eval.calc_aggregate([RR @ 10], {"q": {"rel": 1}}, run)
    assert direct[RR @ 10] == pytest.approx(1 / 11)
    assert not ir_measures.pytrec_eval.supports(RR @ 10)


def test_relevant_at_rank_four_is_a_hit_at_five_not_three():
    s = scores(["a", "b", "c", "rel"], {"rel": 1})
    assert (s["hit@3"], s["hit@5"]) == (0.0, 1.0)
    assert s["mrr@10"] == pytest.approx(0.25)


def test_no_relevant_passage_scores_zero():
    s = scores(["a", "b", "c"], {"other": 1})
    assert s == {name: 0.0 for name in GOLD_MEASURES}


def test_the_given_order_is_kept_where_pytrec_eval_would_reorder_ties():
    """pytrec_eval sorts by score, breaking ties by document id (descending): equal scores lose the ranking."""
    tied = ir_measures.pytrec_eval.calc_aggregate([RR], {"q": {"z": 1}}, {"q": {"a": 1.0, "z": 1.0}})
    assert tied[RR] == 1.0  # "z" was passed second but is scored as first
    assert scores(["a", "z"], {"z": 1})["mrr@10"] == pytest.approx(0.5)
    assert scores(["z", "a"], {"z": 1})["mrr@10"] == pytest.approx(1.0)


def test_ndcg_ideal_counts_relevant_passages_that_were_not_retrieved():
    """One of three answering chunks at rank 1 is not a perfect ranking."""
    s = scores(["a", "x", "y"], {"a": 1, "b": 1, "c": 1})
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert s["ndcg@10"] == pytest.approx(1 / ideal)
    assert s["mrr@10"] == 1.0


def test_graded_ndcg_and_recall_for_beir():
    s = scores(["b", "x", "a"], {"a": 2, "b": 1, "c": 1}, BEIR_MEASURES)
    dcg = 1 + 2 / math.log2(4)  # trec_eval's gain is the grade itself
    ideal = 2 + 1 / math.log2(3) + 1 / math.log2(4)
    assert s["ndcg@10"] == pytest.approx(dcg / ideal)
    assert s["recall@100"] == pytest.approx(2 / 3)


def test_a_zero_grade_is_not_relevant():
    s = scores(["a", "b"], {"a": 0, "b": 1})
    assert s["mrr@10"] == pytest.approx(0.5)


# ----------------------------------------------------------------------------------------------------------- means


def test_a_query_that_returned_nothing_or_has_no_judgement_counts_zero_in_the_mean():
    rankings = {"hit": ["a"], "empty": [], "unjudged": ["a"]}
    qrels = {"hit": {"a": 1}, "empty": {"a": 1}}
    values = per_query(rankings, qrels, GOLD_MEASURES)
    assert values["unjudged"]["mrr@10"] == 0.0  # kept by the placeholder judgement
    means = mean_over(values, list(rankings), GOLD_MEASURES)
    assert means["mrr@10"] == pytest.approx(1 / 3)
    assert means["hit@1"] == pytest.approx(1 / 3)


def test_mean_over_no_query_is_undefined():
    assert mean_over({}, [], ["hit@1"]) == {"hit@1": None}
    assert per_query({}, {}, GOLD_MEASURES) == {}


def test_rates_and_latency():
    assert rate(1, 4) == 0.25
    assert rate(0, 0) is None
    lat = latency([float(ms) for ms in range(1, 101)])
    assert lat["p50_ms"] == pytest.approx(50.5)
    assert lat["p95_ms"] == pytest.approx(95.05)
    assert latency([]) == {"p50_ms": None, "p95_ms": None}
