"""Passages from ranked chunks: overlapping chunks merged (``distinct``, ``span``), compared documents chosen
(``compared``) and kept among the first k (``cover``).

Only the chunks' documents and offsets matter here, so the index holds four documents of plain filler text and
chunks placed by hand at the offsets drawn below.
"""

from __future__ import annotations

import numpy as np
import pytest

from retriever.chunking import Chunk
from retriever.documents import Document
from retriever.index import Index
from retriever.rank import Ranked, compared, cover, distinct, span

#   chunk  doc  offsets    overlaps (same document, start < other's end and other's start < end)
LAYOUT = [
    ("a", 0, 100),  # 0
    ("a", 80, 180),  # 1   0, 4, 7, 8
    ("b", 0, 100),  # 2   nothing: the same offsets as 0, in another document
    ("b", 300, 400),  # 3
    ("a", 150, 250),  # 4   1, 8
    ("a", 300, 400),  # 5   6
    ("a", 380, 480),  # 6   5
    ("a", 100, 150),  # 7   1 only: it touches 0 and 4 at their edges
    ("a", 90, 160),  # 8   0, 1, 4, 7
    ("c", 0, 100),  # 9
    ("d", 0, 100),  # 10
    ("c", 200, 300),  # 11
]
TEXT = "word " * 200  # 1000 characters


def document(doc_id: str) -> Document:
    return Document(doc_id=doc_id, title=doc_id, authors=[], publisher=None, date=None, url=None,
                    source_file=f"{doc_id}.txt", sha256="0" * 64, text=TEXT)


@pytest.fixture(scope="module")
def index() -> Index:
    chunks = [Chunk(chunk_id=f"{d}#{n}", doc_id=d, section=None, char_start=a, char_end=b, text=TEXT[a:b],
                    n_tokens=(b - a) // 5) for n, (d, a, b) in enumerate(LAYOUT)]
    n = len(chunks)
    return Index(path=None, manifest={}, documents={d: document(d) for d in "abcd"}, chunks=chunks,
                 sentence_spans=[], chunk_sentences=[[] for _ in chunks], dense=None,
                 chunk_vectors=np.zeros((n, 2), dtype=np.float32), sentence_vectors=np.zeros((0, 2), dtype=np.float32),
                 multilingual_chunk_vectors=None, multilingual_sentence_vectors=None,
                 token_vectors=np.zeros((0, 2), dtype=np.float16), token_offsets=np.zeros(n + 1, dtype=np.int64))


def ranking(*chunks: int) -> list[Ranked]:
    """Chunks best first, scores falling by .1 from 1."""
    return [Ranked(c, round(1.0 - 0.1 * i, 1)) for i, c in enumerate(chunks)]


def passages(ranked: list[Ranked]) -> list[tuple[int, ...]]:
    return [r.chunks() for r in ranked]


# --------------------------------------------------------------------------------------------------- Ranked, span


def test_ranked_chunks_are_the_chunk_then_the_merged():
    assert Ranked(3, 0.5).chunks() == (3,)
    assert Ranked(3, 0.5, (7, 1)).chunks() == (3, 7, 1)


def test_span_of_one_chunk_and_of_merged_chunks(index):
    assert span(index, Ranked(1, 0.0)) == (80, 180)
    assert span(index, Ranked(1, 0.0, (0, 4))) == (0, 250)  # from the first start to the last end


# ------------------------------------------------------------------------------------------------------- distinct


def test_distinct_overlapping_chunks_of_one_document_merge_into_the_better(index):
    out = distinct(index, ranking(0, 1, 2), k=3)
    # chunk 1 (80-180) overlaps chunk 0 (0-100): one passage, led by chunk 0 with its score
    assert out == [Ranked(0, 1.0, (1,)), Ranked(2, 0.8)]
    assert span(index, out[0]) == (0, 180)


def test_distinct_the_better_chunk_leads_whatever_its_offsets(index):
    assert distinct(index, ranking(1, 0), k=2) == [Ranked(1, 1.0, (0,))]


def test_distinct_chunks_of_different_documents_never_merge(index):
    # chunks 0 and 2 have the same offsets, in documents a and b
    assert distinct(index, ranking(0, 2), k=2) == ranking(0, 2)


def test_distinct_chunks_touching_at_an_edge_do_not_overlap(index):
    # 0-100, 100-150, 150-250: each ends where the next starts
    assert passages(distinct(index, ranking(0, 7, 4), k=3)) == [(0,), (7,), (4,)]


def test_distinct_an_overlapping_chunk_below_k_is_dropped(index):
    # chunk 1 comes when the first k = 2 passages are already kept: it is dropped, not merged
    assert passages(distinct(index, ranking(0, 2, 1), k=2)) == [(0,), (2,)]
    # a chunk below k that overlaps nothing stays, after the first k
    assert passages(distinct(index, ranking(0, 2, 1, 5), k=2)) == [(0,), (2,), (5,)]


def test_distinct_a_chunk_touching_two_kept_passages_merges_them(index):
    out = distinct(index, ranking(0, 4, 8), k=3)
    # chunk 8 (90-160) overlaps 0 (0-100) and 4 (150-250): one passage, the best first, then what it absorbed
    assert out == [Ranked(0, 1.0, (4, 8))]
    assert span(index, out[0]) == (0, 250)


def test_distinct_a_merged_passage_is_compared_by_its_whole_span(index):
    # chunk 4 (150-250) misses chunk 0 (0-100) but overlaps chunk 1, already merged into it
    assert passages(distinct(index, ranking(0, 1, 4), k=3)) == [(0, 1, 4)]


def test_distinct_a_merge_leaves_room_in_the_first_k(index):
    # chunk 1 joins chunk 0 rather than taking a place, so chunk 9 is still among the first k = 2 passages
    out = distinct(index, ranking(0, 1, 9, 5), k=2)
    assert passages(out) == [(0, 1), (9,), (5,)]


def test_distinct_keeps_the_order_and_scores_of_the_kept(index):
    out = distinct(index, ranking(5, 0, 6, 2, 1), k=5)
    assert out == [Ranked(5, 1.0, (6,)), Ranked(0, 0.9, (1,)), Ranked(2, 0.7)]


def test_distinct_of_nothing(index):
    assert distinct(index, [], k=5) == []


# ------------------------------------------------------------------------------------------------------- compared


def test_compared_named_sources_win(index):
    # the question names b and c: they are compared whatever the ranking says, in a stable order
    assert compared(index, ranking(0, 1, 2), frozenset({"c", "b"})) == ("b", "c")
    assert compared(index, ranking(0), frozenset({"d", "c", "b"})) == ("b", "c", "d")


def test_compared_else_the_two_best_ranked_documents(index):
    # a, a, b, c: the first two distinct documents
    assert compared(index, ranking(0, 1, 2, 9), frozenset()) == ("a", "b")
    assert compared(index, ranking(9, 0, 1, 2), frozenset()) == ("c", "a")
    assert compared(index, ranking(0, 1, 2, 9), frozenset(), n=3) == ("a", "b", "c")


def test_compared_with_fewer_documents_than_asked(index):
    assert compared(index, ranking(0, 1), frozenset()) == ("a",)
    assert compared(index, [], frozenset()) == ()


# ---------------------------------------------------------------------------------------------------------- cover


def test_cover_a_missing_documents_best_chunk_replaces_the_last_of_a_document_with_several(index):
    ranked = ranking(0, 1, 2, 9, 11)
    out = cover(index, ranked, ("a", "c"), k=3)
    # top 3: a, a, b; c is missing: its best chunk (9) takes the place of a's lower chunk (1), which goes first
    # among the rest
    assert [r.chunk for r in out] == [0, 2, 9, 1, 11]
    assert sorted(out, key=lambda r: r.chunk) == sorted(ranked, key=lambda r: r.chunk)  # nothing lost, scores kept


def test_cover_nothing_changes_when_every_document_is_present(index):
    ranked = ranking(0, 2, 9, 1)
    assert cover(index, ranked, ("a", "b", "c"), k=3) == ranked
    assert cover(index, ranked, (), k=3) == ranked


def test_cover_nothing_changes_without_a_chunk_of_the_missing_document(index):
    ranked = ranking(0, 1, 2)
    assert cover(index, ranked, ("a", "d"), k=3) == ranked


def test_cover_nothing_changes_when_no_document_has_a_spare_chunk(index):
    # a, b, c once each in the top 3: none can give its place to d
    ranked = ranking(0, 2, 9, 10)
    assert cover(index, ranked, ("d",), k=3) == ranked


def test_cover_two_missing_documents(index):
    # top 3 all a; b takes the place of a's last (5), then c that of a's last remaining with a twin (1)
    out = cover(index, ranking(0, 1, 5, 2, 9), ("b", "c"), k=3)
    assert [r.chunk for r in out] == [0, 2, 9, 1, 5]
