"""Chunking: sentence-aligned spans of the canonical text, within the token budget of tiktoken and the model."""

from __future__ import annotations

import pytest

from retriever.chunking import chunk_document, count_tokens, encoding, sentence_spans
from retriever.config import PROJECT_ROOT
from retriever.corpus import load_corpus


@pytest.fixture(scope="module")
def docs():
    return load_corpus(PROJECT_ROOT / "corpus").documents


def test_tiktoken_loads_offline_with_cl100k_ranks():
    enc = encoding()
    assert enc.n_vocab >= 100_256
    assert enc.encode("hello world") == [15339, 1917]  # the published cl100k_base ids


def test_sentence_splitting_respects_abbreviations():
    text = "Anthony B. Kim works at the U.S. Department of Defense. He met Dr. Lee.\n\n1. “A note,” p. 3. Next one."
    got = [text[a:b] for a, b in sentence_spans(text)]
    assert got == ["Anthony B. Kim works at the U.S. Department of Defense.", "He met Dr. Lee.",
                   "1. “A note,” p. 3.", "Next one."]


def test_korean_sentences_end_at_their_full_stops():
    text = "제주 감귤은 겨울에 수확한다. 농가는 12월에 가장 바쁘다. Exports rose."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "제주 감귤은 겨울에 수확한다.", "농가는 12월에 가장 바쁘다.", "Exports rose."]


def test_chunks_are_exact_spans_on_sentence_edges(index):
    for c in index.chunks:
        doc = index.documents[c.doc_id]
        assert doc.text[c.char_start : c.char_end] == c.text
        edges = {a for a, _ in sentence_spans(doc.text)} | {b for _, b in sentence_spans(doc.text)}
        assert c.char_start in edges and c.char_end in edges
        assert doc.section_at(c.char_start) == c.section  # never crosses a section


def test_token_limits(index, settings):
    from retriever.encoders import load_encoder

    model = load_encoder(settings.model)
    for c in index.chunks:
        multi = len(c.sentences) > 1
        assert not multi or c.n_tokens <= settings.chunk_tokens, c.chunk_id
        assert model.token_count(c.embed_text()) <= model.max_tokens, c.chunk_id


def test_overlap_and_coverage(docs):
    doc = docs[0]
    chunks = chunk_document(doc, target_tokens=64, overlap_tokens=16)
    assert all(b.char_start < b.char_end for b in chunks)
    covered = {i for c in chunks for i in range(c.char_start, c.char_end)}
    words = {i for a, b in sentence_spans(doc.text) for i in range(a, b) if not doc.text[i].isspace()}
    assert words <= covered  # no word of any sentence is dropped
    assert any(a.char_end > b.char_start for a, b in zip(chunks, chunks[1:]) if a.section == b.section)


def test_long_sentence_is_split_not_truncated(docs):
    doc = docs[0]
    chunks = chunk_document(doc, target_tokens=16, overlap_tokens=0)
    assert all(count_tokens(c.text) <= 16 for c in chunks if len(c.text.split()) > 1)  # one URL can exceed it
    assert all(doc.text[c.char_start : c.char_end] == c.text for c in chunks)


def test_model_limit_is_enforced(docs):
    doc = docs[0]
    chunks = chunk_document(doc, target_tokens=200, overlap_tokens=0, fits=lambda t: len(t) < 400)
    assert all(len(c.embed_text()) < 400 for c in chunks)
    assert all(doc.text[c.char_start : c.char_end] == c.text for c in chunks)


def test_bad_parameters(docs):
    with pytest.raises(ValueError, match="chunk_overlap"):
        chunk_document(docs[0], target_tokens=64, overlap_tokens=64)


def test_opening_chunk_carries_the_catalogue_record(docs):
    for doc in docs:
        first, *rest = chunk_document(doc, 128, 32)
        assert first.char_start == 0 and f"Published: {doc.date}." in first.preamble
        assert all(a in first.embed_text() for a in doc.authors) and first.preamble not in first.text
        assert all(c.preamble == "" and c.embed_text().endswith(c.text) for c in rest)
