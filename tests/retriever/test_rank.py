"""Ranking: first-stage top lists, fusion, and the second stage's features on a hand-made three-chunk index.

Every vector is a 2-dimensional unit vector, so each similarity below is worked out by hand in a comment.
"""

from __future__ import annotations

import numpy as np
import pytest

from retriever import rank
from retriever.chunking import Chunk
from retriever.documents import AUTHORS_TITLE, ENDNOTES_TITLE, Document, Section
from retriever.index import Index
from retriever.query import Query
from retriever.rank import QueryVectors, Ranked, allowed_mask, apparatus, fuse, lexical_top, maxsim, minmax, rrf
from retriever.tuning import FEATURES, HANGUL_WEIGHTS, RRF_K, UNSCALED, Weights

A_TEXT = "Korea invested 14,800 dollars in 2024. It was a record.\n\n[1] Ministry of Finance, 2024 report."
B_TEXT = "Jane Doe is a senior fellow who studies trade."


def chunks_of(r: list[Ranked]) -> list[int]:
    return [x.chunk for x in r]


def q(**kw) -> Query:
    return Query(**{"text": "", "hangul": False, "terms": [], "numbers": [], **kw})


def document(doc_id: str, text: str) -> Document:
    return Document(doc_id=doc_id, title=doc_id, authors=[], publisher=None, date=None, url=None,
                    source_file=f"{doc_id}.txt", sha256="0" * 64, text=text)


def chunk(n: int, doc_id: str, text: str, section: str, whole: str) -> Chunk:
    start = whole.index(text)
    return Chunk(chunk_id=f"{doc_id}#{n}", doc_id=doc_id, section=section, char_start=start,
                 char_end=start + len(text), text=text, n_tokens=len(text.split()))


@pytest.fixture(scope="module")
def index() -> Index:
    """Chunk 0: doc a's prose; chunk 1: doc a's endnote; chunk 2: doc b's author biography."""
    chunks = [
        chunk(0, "a", "Korea invested 14,800 dollars in 2024. It was a record.", "Introduction", A_TEXT),
        chunk(1, "a", "[1] Ministry of Finance, 2024 report.", ENDNOTES_TITLE, A_TEXT),
        chunk(0, "b", B_TEXT, AUTHORS_TITLE, B_TEXT),
    ]
    return Index(
        path=None,
        manifest={},
        documents={"a": document("a", A_TEXT), "b": document("b", B_TEXT)},
        chunks=chunks,
        sentence_spans=[("a", 0, 38), ("a", 39, 55), ("a", 57, 94), ("b", 0, 46)],
        chunk_sentences=[[0, 1], [2], [3]],
        dense=None,
        chunk_vectors=np.array([[1, 0], [0.6, 0.8], [0, 1]], dtype=np.float32),
        sentence_vectors=np.array([[0, 1], [0.6, 0.8], [0, 1], [-0.6, 0.8]], dtype=np.float32),
        multilingual_chunk_vectors=np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32),
        multilingual_sentence_vectors=np.array([[1, 0], [0, 1], [0.8, 0.6], [0.6, 0.8]], dtype=np.float32),
        # chunk 0: two tokens, chunk 1: one token, chunk 2: three tokens (stored as float16, like the real index)
        token_vectors=np.array([[1, 0], [0, 1], [0.6, 0.8], [-1, 0], [0.8, 0.6], [0, -1]], dtype=np.float16),
        token_offsets=np.array([0, 2, 3, 6], dtype=np.int64),
    )


# question tokens (1, 0) and (0.6, 0.8):
#   chunk 0: max(1, 0) = 1,          max(0.6, 0.8) = 0.8            -> mean 0.9
#   chunk 1: 0.6,                    0.36 + 0.64 = 1.0              -> mean 0.8
#   chunk 2: max(-1, 0.8, 0) = 0.8,  max(-0.6, 0.96, -0.8) = 0.96   -> mean 0.88
QTOKENS = np.array([[1, 0], [0.6, 0.8]], dtype=np.float32)


def test_fixture_spans_are_the_sentences(index):
    a = index.documents["a"].text
    assert [a[s:e] for _, s, e in index.sentence_spans[:3]] == [
        "Korea invested 14,800 dollars in 2024.", "It was a record.", "[1] Ministry of Finance, 2024 report."]


# ------------------------------------------------------------------------------------------------ allowed mask


def test_allowed_mask():
    docs = np.array(["a", "b", "a", "c"])
    assert allowed_mask(docs, ["a"]).tolist() == [True, False, True, False]
    assert allowed_mask(docs, ["a", "c"]).tolist() == [True, False, True, True]
    assert allowed_mask(docs, ["z"]).tolist() == [False] * 4
    assert allowed_mask(docs, None) is None


# ------------------------------------------------------------------------------------------------- lexical top


SCORES = np.array([0.5, 2.0, 0.0, 2.0, 1.0], dtype=np.float32)


def test_lexical_top_best_first_ties_by_chunk_order():
    top = lexical_top(SCORES, 3)
    assert chunks_of(top) == [1, 3, 4]
    assert [r.score for r in top] == [2.0, 2.0, 1.0]


def test_lexical_top_drops_zero_scores():
    assert chunks_of(lexical_top(SCORES, 5)) == [1, 3, 4, 0]
    assert chunks_of(lexical_top(SCORES, 50)) == [1, 3, 4, 0]  # n beyond the chunks is fine
    assert lexical_top(np.zeros(4, dtype=np.float32), 3) == []


def test_lexical_top_drops_negative_scores():
    assert chunks_of(lexical_top(np.array([-1.0, 0.5, -0.2], dtype=np.float32), 3)) == [1]


def test_lexical_top_filter():
    allowed = np.array([True, False, True, True, True])
    assert chunks_of(lexical_top(SCORES, 2, allowed)) == [3, 4]
    assert chunks_of(lexical_top(SCORES, 5, allowed)) == [3, 4, 0]
    assert lexical_top(SCORES, 3, np.zeros(5, dtype=bool)) == []


def test_lexical_top_one():
    assert chunks_of(lexical_top(SCORES, 1)) == [1]


def test_lexical_top_ties_at_the_cut_go_to_the_earlier_chunk():
    assert chunks_of(lexical_top(np.array([1.0, 1.0, 2.0, 2.0], dtype=np.float32), 1)) == [2]
    assert chunks_of(lexical_top(np.array([3.0, 1.0, 1.0, 1.0, 1.0, 0.0], dtype=np.float32), 3)) == [0, 1, 2]


# --------------------------------------------------------------------------------------------------------- rrf


def test_rrf_hand_computed():
    fused = rrf([[Ranked(1, 9.0), Ranked(2, 8.0), Ranked(3, 7.0)], [Ranked(3, 0.9), Ranked(1, 0.1)]], k=1)
    # chunk 1: 1/2 + 1/3 = 5/6;  chunk 3: 1/4 + 1/2 = 3/4;  chunk 2: 1/3 (the incoming scores play no part)
    assert chunks_of(fused) == [1, 3, 2]
    assert [r.score for r in fused] == pytest.approx([5 / 6, 3 / 4, 1 / 3])


def test_rrf_weighted_hand_computed():
    # the second ranking counts twice: chunk 3: 1/4 + 2 * 1/2 = 5/4;  chunk 1: 1/2 + 2 * 1/3 = 7/6;  chunk 2: 1/3
    fused = rrf([[Ranked(1, 9.0), Ranked(2, 8.0), Ranked(3, 7.0)], [Ranked(3, 0.9), Ranked(1, 0.1)]], k=1,
                weights=[1.0, 2.0])
    assert chunks_of(fused) == [3, 1, 2]
    assert [r.score for r in fused] == pytest.approx([5 / 4, 7 / 6, 1 / 3])
    with pytest.raises(ValueError):  # one weight per ranking
        rrf([[Ranked(1, 1.0)], [Ranked(2, 1.0)]], weights=[1.0])


def test_rrf_default_k():
    assert RRF_K == 60
    fused = rrf([[Ranked(7, 1.0), Ranked(4, 1.0)]])
    assert [r.score for r in fused] == pytest.approx([1 / 61, 1 / 62])


def test_rrf_ties_by_chunk():
    assert chunks_of(rrf([[Ranked(5, 1.0)], [Ranked(2, 1.0)]])) == [2, 5]


def test_rrf_of_nothing():
    assert rrf([]) == [] and rrf([[], []]) == []


# ----------------------------------------------------------------------------------------------- minmax, fuse


def test_minmax():
    assert minmax(np.array([2.0, 4.0, 6.0])).tolist() == [0.0, 0.5, 1.0]
    assert minmax(np.array([-1.0, 3.0])).tolist() == [0.0, 1.0]


def test_minmax_constant_is_zeros():
    out = minmax(np.array([3.0, 3.0, 3.0], dtype=np.float32))
    assert out.tolist() == [0.0, 0.0, 0.0] and out.dtype == np.float64
    assert minmax(np.array([7.0])).tolist() == [0.0]


RAW = {
    "chunk": np.array([0.2, 0.4, 0.6]),  # min-max -> 0, 0.5, 1
    "bm25": np.array([10.0, 0.0, 5.0]),  # min-max -> 1, 0, 0.5
    "numbers": np.array([0.5, 0.5, 1.0]),  # a share: kept (min-max would make it 0, 0, 1)
    "source": np.array([1.0, 0.0, 0.0]),
    "apparatus": np.array([0.0, 1.0, 0.0]),
}


def test_fuse_hand_computed():
    # weights chunk .10, bm25 .20, numbers .10, source .15, apparatus -.15
    # 0: .10*0   + .20*1   + .10*.5 + .15*1 = .40
    # 1: .10*.5  + .20*0   + .10*.5 - .15   = -.05
    # 2: .10*1   + .20*.5  + .10*1          = .30
    assert fuse(RAW, Weights()).tolist() == pytest.approx([0.40, -0.05, 0.30])


def test_fuse_without_a_term():
    # bm25 off: .40 - .20, -.05 - 0, .30 - .10
    assert fuse(RAW, Weights().without("bm25")).tolist() == pytest.approx([0.20, -0.05, 0.20])


def test_fuse_unscaled_terms_are_not_normalised():
    only = {name: 1.0 for name in FEATURES}
    for name in UNSCALED:
        assert fuse({name: np.array([0.5, 0.5, 0.5])}, Weights(**only)).tolist() == [0.5, 0.5, 0.5]
    for name in set(FEATURES) - set(UNSCALED):  # a similarity or BM25 score means something only among the others
        assert fuse({name: np.array([0.5, 0.5, 0.5])}, Weights(**only)).tolist() == [0.0, 0.0, 0.0]


def test_fuse_one_candidate_keeps_only_unscaled_terms():
    raw = {name: np.array([0.7]) for name in ("chunk", "maxsim", "numbers", "source")}
    # chunk and maxsim min-max to 0 for a lone candidate; numbers .10*.7 + source .15*.7
    assert fuse(raw, Weights()).tolist() == pytest.approx([0.07 + 0.105])


# -------------------------------------------------------------------------------------------------- apparatus


@pytest.mark.parametrize(("section", "asks", "expected"), [
    (ENDNOTES_TITLE, {}, 1.0),
    (ENDNOTES_TITLE, {"asks_sources": True}, 0.0),
    (ENDNOTES_TITLE, {"asks_people": True}, 1.0),
    (AUTHORS_TITLE, {}, 1.0),
    (AUTHORS_TITLE, {"asks_people": True}, 0.0),
    (AUTHORS_TITLE, {"asks_sources": True}, 1.0),
    ("Introduction", {}, 0.0),
    (None, {}, 0.0),
])
def test_apparatus(section, asks, expected):
    assert apparatus(q(**asks), section) == expected


@pytest.mark.parametrize(("asks", "expected"), [
    ({}, 1.0),  # a title and byline share the paper's topic words, and answer no question about the topic
    ({"asks_people": True}, 0.0),  # "Who wrote it?"
    ({"asks_paper": True}, 0.0),  # "What is the paper's title?"
    ({"asks_sources": True}, 1.0),
])
def test_apparatus_of_the_front_matter(asks, expected):
    assert apparatus(q(**asks), None, front=True) == expected


# ----------------------------------------------------------------------------------------------------- maxsim


def test_maxsim_mean_of_each_question_tokens_best_match(index):
    assert maxsim(index, QTOKENS, np.array([0, 1, 2])).tolist() == pytest.approx([0.9, 0.8, 0.88], abs=1e-3)


def test_maxsim_follows_candidate_order(index):
    assert maxsim(index, QTOKENS, np.array([2, 0])).tolist() == pytest.approx([0.88, 0.9], abs=1e-3)
    assert maxsim(index, QTOKENS, np.array([1])).tolist() == pytest.approx([0.8], abs=1e-3)


@pytest.mark.parametrize(("share", "block"), [(0.0, 2048), (2.0, 2048), (2.0, 1)], ids=["all-rows", "one-block",
                                                                                       "a-block-each"])
def test_maxsim_every_way_of_multiplying_gives_the_same(index, monkeypatch, share, block):
    # one product over every chunk's rows, the candidates' rows gathered at once, and one candidate per block
    monkeypatch.setattr(rank, "MAXSIM_ALL_ROWS_SHARE", share)
    monkeypatch.setattr(rank, "MAXSIM_BLOCK_ROWS", block)
    assert maxsim(index, QTOKENS, np.array([2, 0])).tolist() == pytest.approx([0.88, 0.9], abs=1e-3)
    assert maxsim(index, QTOKENS, np.array([0, 1, 2])).tolist() == pytest.approx([0.9, 0.8, 0.88], abs=1e-3)


def test_maxsim_single_question_token(index):
    # (0, 1): chunk 0 max(0, 1) = 1; chunk 1 0.8; chunk 2 max(0, 0.6, -1) = 0.6
    assert maxsim(index, np.array([[0, 1]], dtype=np.float32), np.array([0, 1, 2])).tolist() == pytest.approx(
        [1.0, 0.8, 0.6], abs=1e-3)


# --------------------------------------------------------------------------------------- candidates, features


def test_candidates_union_in_chunk_order(index):
    vectors = QueryVectors(english=np.array([1, 0], dtype=np.float32), tokens=QTOKENS)
    cand = rank.candidates(index, vectors, [[Ranked(2, 1.0), Ranked(0, 0.5)], [Ranked(0, 3.0)]], 1, None)
    assert cand.tolist() == [0, 2] and cand.dtype == np.int64


def test_candidates_filter(index):
    vectors = QueryVectors(english=np.array([1, 0], dtype=np.float32), tokens=QTOKENS)
    assert rank.candidates(index, vectors, [[Ranked(2, 1.0), Ranked(0, 0.5)]], 1,
                           np.array([True, True, False])).tolist() == [0]


def test_candidates_add_the_multilingual_top_n(index):
    # multilingual chunk similarities to (0, 1): 0, 1, 0.8 -> top 1 is chunk 1, top 2 adds chunk 2
    vectors = QueryVectors(english=np.array([1, 0], dtype=np.float32), tokens=QTOKENS,
                           multilingual=np.array([0, 1], dtype=np.float32))
    assert rank.candidates(index, vectors, [[Ranked(0, 1.0)]], 1, None).tolist() == [0, 1]
    assert rank.candidates(index, vectors, [[]], 2, None).tolist() == [1, 2]


QUESTION = q(numbers=["2024", "14800"], sources=frozenset({"b"}))
VECTORS = QueryVectors(english=np.array([0.6, 0.8], dtype=np.float32), tokens=QTOKENS)
BM25 = np.array([3.0, 1.0, 0.0], dtype=np.float32)


def test_features_hand_computed(index):
    raw = rank.features(index, QUESTION, VECTORS, np.array([0, 1, 2]), BM25)
    assert set(raw) == set(FEATURES)  # one array per weight, so fuse can weigh each
    # chunk vectors . (0.6, 0.8): (1, 0) -> .6, (0.6, 0.8) -> 1, (0, 1) -> .8
    assert raw["chunk"].tolist() == pytest.approx([0.6, 1.0, 0.8])
    # best sentence: chunk 0 max((0,1)->.8, (.6,.8)->1) = 1; chunk 1 (0,1) -> .8; chunk 2 (-.6,.8) -> .28
    assert raw["sentence"].tolist() == pytest.approx([1.0, 0.8, 0.28])
    assert raw["maxsim"].tolist() == pytest.approx([0.9, 0.8, 0.88], abs=1e-3)
    assert raw["bm25"].tolist() == [3.0, 1.0, 0.0]
    assert raw["multilingual_chunk"].tolist() == [0, 0, 0]  # no multilingual question vector
    assert raw["multilingual_sentence"].tolist() == [0, 0, 0]
    assert raw["numbers"].tolist() == [1.0, 0.5, 0.0]  # "14,800" counts as 14800; the endnote has 2024 only
    assert raw["source"].tolist() == [0.0, 0.0, 1.0]
    assert raw["apparatus"].tolist() == [0.0, 1.0, 1.0]


def test_features_multilingual(index):
    vectors = QueryVectors(english=VECTORS.english, tokens=QTOKENS, multilingual=np.array([0, 1], dtype=np.float32))
    raw = rank.features(index, QUESTION, vectors, np.array([2, 0]), BM25)
    assert raw["multilingual_chunk"].tolist() == pytest.approx([0.8, 0.0])
    # chunk 2's sentence (0.6, 0.8) -> .8; chunk 0's sentences (1, 0) -> 0 and (0, 1) -> 1
    assert raw["multilingual_sentence"].tolist() == pytest.approx([0.8, 1.0])
    assert raw["bm25"].tolist() == [0.0, 3.0]


def test_second_stage_hand_computed(index):
    # min-max: chunk (.6, 1, .8) -> (0, 1, .5); maxsim (.9, .8, .88) -> (1, 0, .8); bm25 (3, 1, 0) -> (1, 1/3, 0)
    # 0: .10*0  + .30*1  + .20*1   + .10*1           = .60
    # 1: .10*1  + .30*0  + .20/3   + .10*.5 - .15    = .0667
    # 2: .10*.5 + .30*.8 + .20*0   + .15    - .15    = .29
    ranked, evidence = rank.second_stage(index, QUESTION, VECTORS, np.array([0, 1, 2]), BM25, Weights())
    assert chunks_of(ranked) == [0, 2, 1]
    assert [r.score for r in ranked] == pytest.approx([0.60, 0.29, 0.20 / 3], abs=2e-3)
    assert evidence["top_sentence"] == pytest.approx(1.0)
    assert evidence["top_maxsim"] == pytest.approx(0.9, abs=1e-3)
    assert evidence["numbers_found"] == 1.0


def test_second_stage_evidence_without_numbers_and_for_hangul(index):
    vectors = QueryVectors(english=VECTORS.english, tokens=QTOKENS, multilingual=np.array([0, 1], dtype=np.float32))
    ranked, evidence = rank.second_stage(index, q(hangul=True), vectors, np.array([0, 1, 2]), BM25, HANGUL_WEIGHTS)
    # min-max: multilingual chunk (0, 1, .8) -> (0, 1, .8); multilingual sentence (1, .6, .8) -> (1, 0, .5);
    # bm25 (3, 1, 0) -> (1, 1/3, 0); weights .45, .45, .05, apparatus -.15 (no numbers, no source)
    # 0: .45*0  + .45*1  + .05*1           = .50
    # 1: .45*1  + .45*0  + .05/3   - .15   = .3167
    # 2: .45*.8 + .45*.5 + .05*0   - .15   = .435
    assert chunks_of(ranked) == [0, 2, 1]
    assert [r.score for r in ranked] == pytest.approx([0.50, 0.435, 0.30 + 0.05 / 3], abs=1e-6)
    assert evidence["top_sentence"] == pytest.approx(1.0)  # the multilingual sentence, for Hangul
    assert evidence["top_maxsim"] == pytest.approx(0.9, abs=1e-3)
    assert evidence["numbers_found"] is None  # the question has no number


def test_second_stage_without_candidates(index):
    assert rank.second_stage(index, QUESTION, VECTORS, np.array([], dtype=np.int64), BM25, Weights()) == ([], {})


def test_on_scale_of_maps_foreign_scores_by_mean_and_spread_of_the_native_ones():
    native = np.array([0.2, 0.4, 0.6, 0.0])
    multilingual = np.array([0.80, 0.82, 0.84, 0.83])
    foreign = np.array([False, False, False, True])
    # native mean 0.4, sd 0.1633; multilingual mean 0.82, sd 0.01633: 0.83 is +0.6124 sd, so 0.4 + 0.6124 * 0.1633
    out = rank.on_scale_of(native, multilingual, foreign)
    assert out[:3].tolist() == [0.2, 0.4, 0.6]
    assert out[3] == pytest.approx(0.5)


def test_on_scale_of_keeps_foreign_scores_within_the_native_range():
    native = np.array([0.2, 0.4, 0.6, 0.0, 0.0])
    multilingual = np.array([0.80, 0.82, 0.84, 0.99, 0.10])
    out = rank.on_scale_of(native, multilingual, np.array([False, False, False, True, True]))
    assert out[3:].tolist() == [0.6, 0.2]  # so min-max normalisation sees the native range, as without them


def test_on_scale_of_with_no_native_pair_takes_the_multilingual_scores():
    multilingual = np.array([0.8, 0.7])
    assert rank.on_scale_of(np.array([0.1, 0.0]), multilingual, np.array([False, True])).tolist() == [0.8, 0.7]


def test_front_matter_is_what_comes_before_a_documents_first_section():
    def doc(sections: list[Section]) -> Document:
        return Document(doc_id="d", title="D", authors=["Jane Doe"], publisher="P", date="2025-01", url=None,
                        source_file="d.txt", sha256="0" * 64, text="Title\n\nBy Jane Doe\n\nIntro\n\nText.",
                        sections=sections)
    sectioned = doc([Section(title="Intro", char_start=20, char_end=33)])
    assert sectioned.in_front_matter(0) and sectioned.in_front_matter(19) and not sectioned.in_front_matter(20)
    assert not doc([]).in_front_matter(0)  # a text without sections has no front matter to tell apart
