"""From ranked chunks to the answer: the answerability score, the answer sentence, the cited passage.

The confidence values are sigmoids of hand-computed z; the highlight runs over a hand-made one-document index
whose sentence vectors are 2-dimensional unit vectors.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from retriever.answer import (Sentence, after_said, best_span, confidence, highlight, passage, read_passage,
                              sentence_scores, topicality, topics, unsaid)
from retriever.chunking import Chunk
from retriever.documents import ENDNOTES_TITLE, Document, Footnote, Section
from retriever.index import Index
from retriever.lexical import Lexical
from retriever.query import Query, parse
from retriever.rank import QueryVectors, Ranked
from retriever.reading import wants
from retriever.tuning import CONFIDENCE, HIGHLIGHT, READING, Confidence
from retriever.tuning import Highlight as HighlightTuning


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def q(**kw) -> Query:
    return Query(**{"text": "", "hangul": False, "terms": [], "numbers": [], **kw})


def evidence(sentence: float, maxsim: float, numbers: float | None = None,
             topic: float | None = None) -> dict[str, float | None]:
    return {"top_sentence": sentence, "top_maxsim": maxsim, "numbers_found": numbers, "topicality": topic}


# ------------------------------------------------------------------------------------------------- confidence


def test_tuning_values_these_figures_assume():
    c = CONFIDENCE
    assert (c.slope, c.sentence_floor, c.maxsim_floor, c.named_source_z) == (25.0, 0.21, 0.28, 2.0)
    assert c.topic_floor == 0.08
    assert (c.missing_number_penalty, c.unknown_names_penalty, c.unknown_names_min) == (15.0, 15.0, 2)
    assert c.personal_penalty == 15.0
    assert (c.hangul_slope, c.hangul_sentence_floor) == (30.0, 0.76)


def test_no_evidence_no_confidence():
    assert confidence(q(), {}) is None
    assert confidence(q(hangul=True), {}) is None


@pytest.mark.parametrize(("sentence", "maxsim", "z"), [
    (0.25, 0.40, 1.0),  # min(25 * (.25 - .21), 25 * (.40 - .28)) = min(1.0, 3.0)
    (0.30, 0.30, 0.5),  # min(2.25, 0.5): MaxSim is the one that says "off topic"
    (0.21, 0.50, 0.0),  # at the sentence floor: 0.5, the abstention threshold
    (0.10, 0.50, -2.75),  # 25 * (.10 - .21)
])
def test_english_sigmoid_of_the_lower_term(sentence, maxsim, z):
    assert confidence(q(), evidence(sentence, maxsim)) == pytest.approx(sigmoid(z))


def test_english_hand_computed_values():
    assert confidence(q(), evidence(0.25, 0.40)) == pytest.approx(0.7310585786)
    assert confidence(q(), evidence(0.30, 0.30)) == pytest.approx(0.6224593312)


@pytest.mark.parametrize(("topic", "z"), [
    (None, 1.0),  # no document to judge by: the two similarities alone
    (0.50, 1.0),  # 25 * (.50 - .08) = 10.5, above the sentence's 1.0
    (0.12, 1.0),  # 25 * .04 = 1.0: a tie
    (0.02, -1.5),  # 25 * (.02 - .08): near one sentence, about nothing the documents are about
])
def test_topicality_is_a_third_floor(topic, z):
    assert confidence(q(), evidence(0.25, 0.40, topic=topic)) == pytest.approx(sigmoid(z))


def test_a_named_source_outweighs_topicality():
    assert confidence(q(sources=frozenset({"a"})), evidence(0.25, 0.40, topic=0.0)) == pytest.approx(sigmoid(2.0))


def test_missing_number_penalty():
    assert confidence(q(numbers=["2030"]), evidence(0.25, 0.40, numbers=0.0)) == pytest.approx(sigmoid(1.0 - 15.0))
    assert confidence(q(numbers=["2030"]), evidence(0.25, 0.40, numbers=0.0)) < 1e-6


def test_a_number_found_in_part_is_not_missing():
    assert confidence(q(numbers=["2024", "2030"]), evidence(0.25, 0.40, numbers=0.5)) == pytest.approx(sigmoid(1.0))


def test_unknown_names_penalty_from_two_names_or_one_alone():
    # one unknown name beside a known one is a detail the papers may leave out; alone, it is another subject
    assert confidence(q(unknown_names=("Biden",), known_names=1), evidence(0.25, 0.40)) == pytest.approx(
        sigmoid(1.0))
    assert confidence(q(unknown_names=("Biden",)), evidence(0.25, 0.40)) == pytest.approx(sigmoid(-14.0))
    assert confidence(q(unknown_names=("Biden", "Trump"), known_names=1), evidence(0.25, 0.40)) == pytest.approx(
        sigmoid(-14.0))
    assert confidence(q(unknown_names=("Biden", "Trump", "IRA")), evidence(0.25, 0.40)) == pytest.approx(
        sigmoid(-14.0))


def test_a_request_for_personal_advice_is_off_topic_unless_it_names_a_paper():
    # z = min(25 * (.25 - .21), 25 * (.40 - .28)) = 1.0; "How do I ...?" takes 15 off it
    assert confidence(q(personal=True), evidence(0.25, 0.40)) == pytest.approx(sigmoid(-14.0))
    assert confidence(q(personal=True, sources=frozenset({"a"})), evidence(0.25, 0.40)) == pytest.approx(
        sigmoid(2.0))  # "How do I cite the Heritage brief?" is about a paper (the named-source floor)
    # a sentence that says nearly what it asks (a user's own manual): no penalty; z = min(25 * .49, 25 * .42) = 10.5
    assert confidence(q(personal=True), evidence(0.70, 0.70)) == pytest.approx(sigmoid(10.5))


def test_penalties_add_up():
    question = q(numbers=["2030"], unknown_names=("Biden", "Trump"))
    assert confidence(question, evidence(0.25, 0.40, numbers=0.0)) == pytest.approx(sigmoid(1.0 - 30.0))


def test_named_source_floor():
    # z = min(25 * (.10 - .21), 25 * (.10 - .28)) = -4.5, raised to 2 because the question names a paper
    assert confidence(q(sources=frozenset({"a"})), evidence(0.10, 0.10)) == pytest.approx(0.8807970780)
    assert confidence(q(), evidence(0.10, 0.10)) == pytest.approx(sigmoid(-4.5))


def test_named_source_never_lowers():
    # z = min(7.25, 5.5) = 5.5 already above the floor of 2
    assert confidence(q(sources=frozenset({"a"})), evidence(0.50, 0.50)) == pytest.approx(sigmoid(5.5))


def test_named_source_still_pays_for_a_missing_number():
    question = q(sources=frozenset({"a"}), numbers=["2030"])
    assert confidence(question, evidence(0.10, 0.10, numbers=0.0)) == pytest.approx(sigmoid(2.0 - 15.0))


@pytest.mark.parametrize(("sentence", "z"), [
    (0.80, 1.2),  # 30 * (.80 - .76)
    (0.76, 0.0),
    (0.70, -1.8),
])
def test_hangul_branch(sentence, z):
    # MaxSim is not comparable for Hangul: a MaxSim of 0 changes nothing
    assert confidence(q(hangul=True), evidence(sentence, 0.0)) == pytest.approx(sigmoid(z))


def test_hangul_hand_computed_value():
    assert confidence(q(hangul=True), evidence(0.80, 0.0)) == pytest.approx(0.7685247835)


def test_hangul_ignores_the_english_floor():
    # .50 is far above the English floors but far below the Hangul one: 30 * (.50 - .76) = -7.8
    assert confidence(q(hangul=True), evidence(0.50, 0.90)) == pytest.approx(sigmoid(-7.8))
    assert confidence(q(), evidence(0.50, 0.90)) == pytest.approx(sigmoid(min(25 * 0.29, 25 * 0.62)))


def test_custom_confidence_tuning():
    c = Confidence(slope=10.0, sentence_floor=0.2, maxsim_floor=0.1, missing_number_penalty=1.0)
    # min(10 * .1, 10 * .2) - 1
    assert confidence(q(numbers=["1"]), evidence(0.3, 0.3, numbers=0.0), c) == pytest.approx(sigmoid(0.0))


# ------------------------------------------------------------------------------------------------------ topics


def test_topics_are_normalised_mean_chunk_vectors_of_documents_in_the_english_models_script():
    index = dataclasses.make_dataclass("Vectors", ["chunk_vectors"])(np.array(
        [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [1.0, 0.0]], dtype=np.float32))
    docs = np.array(["a", "a", "b", "k"])
    doc_ids, centroids = topics(index, docs, foreign=np.array([False, False, False, True]))
    assert doc_ids == ["a", "b"]  # "k" is Korean: the English model cannot say what it is about
    assert centroids == pytest.approx(np.array([[math.sqrt(0.5), math.sqrt(0.5)], [0.6, 0.8]]))
    qvec = np.array([1.0, 0.0], dtype=np.float32)
    assert topicality(doc_ids, centroids, qvec) == pytest.approx(math.sqrt(0.5))  # the nearer of .707 and .6
    assert topicality(doc_ids, centroids, qvec, allowed=["b"]) == pytest.approx(0.6)
    assert topicality(doc_ids, centroids, qvec, allowed=["k"]) is None


# ---------------------------------------------------------------------------------------------------- best span


def test_best_span_single_best():
    assert best_span([0.1, 0.9, 0.2, 0.3]) == (1, 1)  # neighbours .1 and .2 are more than .3 below .9
    assert best_span([0.4]) == (0, 0)


def test_best_span_pair_within_margin():
    assert HIGHLIGHT.pair_margin == 0.3
    assert best_span([0.1, 0.9, 0.7, 0.2]) == (1, 2)  # .7 >= .9 - .3
    assert best_span([0.7, 0.9, 0.1]) == (0, 1)  # the pair may open with the neighbour before


def test_best_span_pair_outside_margin():
    assert best_span([0.1, 0.9, 0.5, 0.2]) == (1, 1)  # .5 < .6
    assert best_span([0.1, 0.9, 0.5, 0.2], margin=0.45) == (1, 2)


def test_best_span_better_neighbour_wins():
    assert best_span([0.8, 0.9, 0.7]) == (0, 1)  # .8 + .9 > .9 + .7
    assert best_span([0.7, 0.9, 0.8]) == (1, 2)


def test_best_span_only_neighbours():
    # sentence 3 is close to the best score but not next to it
    assert best_span([0.1, 0.9, 0.1, 0.85]) == (1, 1)


def test_best_span_at_the_edges():
    assert best_span([1.0, 0.2], margin=0.9) == (0, 1)
    assert best_span([0.2, 0.5, 1.0], margin=0.6) == (1, 2)


# ------------------------------------------------------------------------------------------------ sentence scores

CHUNKS = ["Korea invested in Georgia.", "Korea makes batteries.", "Tariffs rose."]
# idf = ln(1 + (n - df + .5) / (df + .5)), n = 3; a term no chunk holds weighs ln(1 + 3.5 / .5) = ln 8
IDF_KOREA = math.log(1 + 1.5 / 2.5)  # df 2
IDF_ONE = math.log(1 + 2.5 / 1.5)  # df 1: invest, georgia
IDF_2024 = math.log(8)
TOTAL = IDF_KOREA + 2 * IDF_ONE + IDF_2024


@pytest.fixture(scope="module")
def lexical():
    return Lexical(CHUNKS)


@pytest.fixture(scope="module")
def question(lexical):
    question = parse("Did Korea invest in Georgia in 2024?", lexical)
    assert question.terms == ["korea", "invest", "georgia", "2024"] and question.numbers == ["2024"]
    return question


def test_novelty_is_the_idf_share_of_words_the_question_does_not_use(lexical, question):
    assert lexical.novelty(question.terms, "Korea invested in Georgia.") == 0.0  # it only says the question back
    # "make" and "batteri" are new (df 1 each), "korea" is the question's (df 2)
    assert lexical.novelty(question.terms, "Korea makes batteries.") == pytest.approx(
        2 * IDF_ONE / (IDF_KOREA + 2 * IDF_ONE))
    assert lexical.novelty(question.terms, "Semiconductors.") == 1.0  # a word no chunk holds is all new
    assert lexical.novelty(question.terms, "The of and.") == 0.0  # stopwords only: nothing said


def test_sentence_scores_overlap_and_numbers(lexical, question):
    texts = [
        "Korea invested 14,800 dollars in Georgia in 2024.",  # every term, the number
        "Korea makes batteries for cars.",  # "korea" only; five words, so no penalty
        "Nothing here matches the question at all.",
    ]
    scores = sentence_scores(texts, np.array([0.5, 0.4, 0.3]), question, lexical)
    assert scores == pytest.approx([
        0.5 + 0.3 * 1.0 + 0.25 * 1.0,
        0.4 + 0.3 * IDF_KOREA / TOTAL,
        0.3,
    ])


def test_short_fragment_penalty(lexical, question):
    texts = ["Georgia in 2024.", "Korea makes batteries today.", "Korea makes batteries for cars."]
    scores = sentence_scores(texts, np.array([0.9, 0.9, 0.9]), question, lexical)
    assert scores == pytest.approx([
        0.9 + 0.3 * (IDF_ONE + IDF_2024) / TOTAL + 0.25 - 1.0,  # three words: a heading or stray fragment
        0.9 + 0.3 * IDF_KOREA / TOTAL - 1.0,  # four words
        0.9 + 0.3 * IDF_KOREA / TOTAL,  # five words
    ])


def test_sentence_scores_with_other_tuning(lexical, question):
    h = HighlightTuning(overlap=0.0, numbers=1.0, short_words=2, short_penalty=0.5)
    scores = sentence_scores(["In 2024.", "Korea makes batteries."], np.array([0.1, 0.2]), question, lexical, h)
    assert scores == pytest.approx([0.1 + 1.0, 0.2])  # "In 2024." has two words: not short with short_words=2


def test_sentence_scores_question_without_terms_in_the_sentence(lexical):
    hangul = parse("한국은 조지아에 투자했나?", lexical)  # its Korean terms are in no English sentence
    scores = sentence_scores(["Korea invested in Georgia heavily."], np.array([0.42]), hangul, lexical)
    assert scores == pytest.approx([0.42])


# ------------------------------------------------------------------------------------------------- highlight

S0 = "Korea and the United States deepened their economic ties."
S1 = "Korean firms invested 14,800 million dollars in Georgia in 2024."
S2 = "Tariffs rose."
NOTE = "[1] Ministry of Finance, annual investment report, 2024."
TEXT = f"{S0} {S1} {S2}\n\n{NOTE}"


def span(sentence: str) -> tuple[str, int, int]:
    start = TEXT.index(sentence)
    return ("a", start, start + len(sentence))


@pytest.fixture(scope="module")
def index() -> Index:
    body_end = TEXT.index(S2) + len(S2)
    note_start = TEXT.index(NOTE)
    doc = Document(doc_id="a", title="A Paper", authors=["Jane Doe"], publisher="Example Institute", date="2025-01",
                   url=None, source_file="a.txt", sha256="0" * 64, text=TEXT,
                   footnote_anchors=[(TEXT.index(S1) + len(S1), "1")],
                   footnotes={"1": "Ministry of Finance, annual investment report, 2024."})
    chunks = [
        Chunk(chunk_id="a#0", doc_id="a", section="Introduction", char_start=0, char_end=body_end,
              text=TEXT[:body_end], n_tokens=30),
        Chunk(chunk_id="a#1", doc_id="a", section=ENDNOTES_TITLE, char_start=note_start, char_end=len(TEXT),
              text=NOTE, n_tokens=12),
    ]
    return Index(
        path=None, manifest={}, documents={"a": doc}, chunks=chunks,
        sentence_spans=[span(S0), span(S1), span(S2), span(NOTE)],
        chunk_sentences=[[0, 1, 2], [3]],
        dense=None,
        chunk_vectors=np.array([[1, 0], [0, 1]], dtype=np.float32),
        sentence_vectors=np.array([[0, 1], [0.6, 0.8], [1, 0], [0, 1]], dtype=np.float32),
        multilingual_chunk_vectors=np.array([[1, 0], [0, 1]], dtype=np.float32),
        multilingual_sentence_vectors=np.array([[1, 0], [0.8, 0.6], [0, 1], [0, 1]], dtype=np.float32),
        token_vectors=np.array([[1, 0], [0, 1]], dtype=np.float16),
        token_offsets=np.array([0, 1, 2], dtype=np.int64),
    )


@pytest.fixture(scope="module")
def index_lexical(index):
    return Lexical([c.embed_text() for c in index.chunks])


ENGLISH = QueryVectors(english=np.array([1, 0], dtype=np.float32), tokens=np.array([[1, 0]], dtype=np.float32))
SIMILARITY_ONLY = READING.without("kind").without("focus")  # the highlight's own rules, as hand-computed below


def mark(index: Index, lexical: Lexical, question: Query, vectors: QueryVectors, chunk: int, r=SIMILARITY_ONLY):
    sentences = read_passage(index, lexical, question, wants(question.text, lexical), vectors, Ranked(chunk, 0.0), r)
    return highlight(index, sentences)


def test_highlight_english_picks_the_answering_sentence(index, index_lexical):
    question = parse("How much did Korean firms invest in Georgia in 2024?", index_lexical)
    # similarities to (1, 0): S0 0, S1 .6, S2 1.0; but S2 is a two-word fragment (1.0 - 1 = 0), S0 shares no term
    # and S1 gains its terms and its number (.6 + .3 * overlap + .25): S1 alone, its neighbours far below
    marked = mark(index, index_lexical, question, ENGLISH, 0)
    assert marked.text == S1
    assert TEXT[marked.char_start:marked.char_end] == S1 and marked.char_start == len(S0) + 1


def test_highlight_hangul_uses_multilingual_sentences_and_pairs(index, index_lexical):
    question = parse("한국 기업은 조지아에 얼마를 투자했나?", index_lexical)
    vectors = dataclasses.replace(ENGLISH, multilingual=np.array([1, 0], dtype=np.float32))
    # multilingual similarities: S0 1.0, S1 .8, S2 0 - 1 (short); no terms, no numbers: S1 within .3 of S0
    marked = mark(index, index_lexical, question, vectors, 0)
    assert marked.text == f"{S0} {S1}"
    assert (marked.char_start, marked.char_end) == (0, len(S0) + 1 + len(S1))


def test_highlight_hangul_without_multilingual_vector_falls_back_to_english(index, index_lexical):
    question = parse("한국 기업은 조지아에 얼마를 투자했나?", index_lexical)
    # English similarities: S0 0, S1 .6, S2 1.0 - 1 = 0: S1 alone
    assert mark(index, index_lexical, question, ENGLISH, 0).text == S1


def test_highlight_of_a_one_sentence_chunk(index, index_lexical):
    marked = mark(index, index_lexical, q(), ENGLISH, 1)
    assert (marked.text, marked.char_start, marked.char_end) == (NOTE, TEXT.index(NOTE), len(TEXT))


def test_highlight_without_sentences(index, index_lexical):
    empty = dataclasses.replace(index, chunk_sentences=[[], [3]])
    assert mark(empty, index_lexical, q(), ENGLISH, 0) is None


LIST_TITLE = "- Encouraging Korean investment in Georgia."
ANNOUNCING = "Washington should encourage Korean investment in Georgia by:"
UNDER_IT = "Korean firms invested 14,800 million dollars in Georgia in 2024."


def list_index(title: str) -> Index:
    """A document holding a list's title (a bullet's, or a sentence ending in a colon) and the statement under it."""
    text = f"{title}\n{UNDER_IT}"
    doc = Document(doc_id="b", title="B Paper", authors=["Jane Doe"], publisher="Example Institute", date="2025-01",
                   url=None, source_file="b.txt", sha256="0" * 64, text=text)
    under = text.index(UNDER_IT)
    return Index(
        path=None, manifest={}, documents={"b": doc},
        chunks=[Chunk(chunk_id="b#0", doc_id="b", section=None, char_start=0, char_end=len(text), text=text,
                      n_tokens=20)],
        sentence_spans=[("b", 0, len(title)), ("b", under, under + len(UNDER_IT))],
        chunk_sentences=[[0, 1]],
        dense=None,
        chunk_vectors=np.array([[1, 0]], dtype=np.float32),
        sentence_vectors=np.array([[1, 0], [0.6, 0.8]], dtype=np.float32),
        multilingual_chunk_vectors=None,
        multilingual_sentence_vectors=None,
        token_vectors=np.array([[1, 0]], dtype=np.float16),
        token_offsets=np.array([0, 1], dtype=np.int64),
    )


@pytest.mark.parametrize(("title", "question", "loss"), [
    (LIST_TITLE, "What did Korean firms do in Georgia?", READING.list_title),
    (LIST_TITLE, "What does the paper recommend for Georgia?", 0.0),  # a recommendation's title is what it recommends
    (ANNOUNCING, "What did Korean firms do in Georgia?", READING.list_title),  # a colon announces, whatever is asked
    (ANNOUNCING, "What does the paper recommend for Georgia?", READING.list_title),
])
def test_a_list_items_title_loses_list_title_unless_recommendations_are_asked(title, question, loss):
    listed = list_index(title)
    lexical = Lexical([c.embed_text() for c in listed.chunks])
    query, w = parse(question, lexical), wants(question, lexical)

    def scores(r):
        return [s.score for s in read_passage(listed, lexical, query, w, ENGLISH, Ranked(0, 0.0), r)]

    (title_off, under_off), (title_on, under_on) = scores(READING.without("list_title")), scores(READING)
    assert title_off - title_on == pytest.approx(loss)
    assert under_on == pytest.approx(under_off)


# --------------------------------------------------------------------------------------------------- passage


def test_passage_cites_the_canonical_text(index):
    marked = mark(index, Lexical([c.text for c in index.chunks]), q(), ENGLISH, 0)
    p = passage(index, 2, Ranked(0, 0.123456789), marked)
    assert (p.rank, p.score, p.highlight) == (2, 0.123457, marked)
    c = p.citation
    assert TEXT[c.char_start:c.char_end] == p.text == f"{S0} {S1} {S2}"
    assert (c.doc_id, c.title, c.authors, c.publisher, c.date, c.url, c.section) == (
        "a", "A Paper", ["Jane Doe"], "Example Institute", "2025-01", None, "Introduction")
    assert c.footnotes == [Footnote(marker="1", text="Ministry of Finance, annual investment report, 2024.")]


def test_passage_without_markers_has_no_footnotes(index):
    p = passage(index, 1, Ranked(1, 0.5), None)
    assert p.text == NOTE and p.citation.section == ENDNOTES_TITLE
    assert p.citation.footnotes == [] and p.highlight is None


# ---------------------------------------------------------------------------------------- endnotes hold no answer


@pytest.fixture(scope="module")
def index_with_notes(index) -> Index:
    """The same paper, its note under the endnotes heading (as the cleaner marks a paper's apparatus)."""
    notes = Section(title=ENDNOTES_TITLE, char_start=TEXT.index(NOTE), char_end=len(TEXT))
    doc = index.documents["a"].model_copy(update={"sections": [notes]})
    return dataclasses.replace(index, documents={"a": doc})


def test_an_endnote_holds_no_year_for_a_question_about_the_claim(index_with_notes, index_lexical):
    # "2024" in the note dates the report it cites: it is no answer to when the firms invested
    question = parse("In what year did the ministry of finance invest?", index_lexical)
    (note,) = read_passage(index_with_notes, index_lexical, question, wants(question.text, index_lexical), ENGLISH,
                           Ranked(1, 0.0))
    assert not note.answers


def test_an_endnotes_own_prose_holds_its_figures():
    # a note that explains rather than cites: its figure answers like the body's
    body = "Korean firms invested in Georgia."
    note = "[1] There are 28 battery plants in Georgia, all built since 2016."
    text = f"{body}\n\n{note}"
    start = text.index(note)
    doc = Document(doc_id="c", title="C Paper", authors=["Jane Doe"], publisher="Example Institute", date="2025-01",
                   url=None, source_file="c.txt", sha256="0" * 64, text=text,
                   sections=[Section(title=ENDNOTES_TITLE, char_start=start, char_end=len(text))])
    notes = Index(
        path=None, manifest={}, documents={"c": doc},
        chunks=[Chunk(chunk_id="c#0", doc_id="c", section=None, char_start=0, char_end=len(body), text=body,
                      n_tokens=8),
                Chunk(chunk_id="c#1", doc_id="c", section=ENDNOTES_TITLE, char_start=start, char_end=len(text),
                      text=note, n_tokens=16)],
        sentence_spans=[("c", 0, len(body)), ("c", start, len(text))], chunk_sentences=[[0], [1]], dense=None,
        chunk_vectors=np.array([[1, 0], [0, 1]], dtype=np.float32),
        sentence_vectors=np.array([[1, 0], [0, 1]], dtype=np.float32),
        multilingual_chunk_vectors=None, multilingual_sentence_vectors=None,
        token_vectors=np.array([[1, 0], [0, 1]], dtype=np.float16), token_offsets=np.array([0, 1, 2], dtype=np.int64),
    )
    lexical = Lexical([c.embed_text() for c in notes.chunks])
    question = parse("How many battery plants are there in Georgia?", lexical)
    (read,) = read_passage(notes, lexical, question, wants(question.text, lexical), ENGLISH, Ranked(1, 0.0))
    assert read.answers


def test_an_endnote_holds_the_year_for_a_question_about_the_source(index_with_notes, index_lexical):
    question = parse("In what year is the annual investment report of the ministry of finance from?", index_lexical)
    assert question.asks_sources
    (note,) = read_passage(index_with_notes, index_lexical, question, wants(question.text, index_lexical), ENGLISH,
                           Ranked(1, 0.0))
    assert note.answers


def test_cited_spans_are_where_the_notes_a_span_cites_stand(index):
    doc = index.documents["a"]
    s1, s2 = span(S1), span(S2)
    note = "Ministry of Finance, annual investment report, 2024."
    assert doc.cited_spans(s1[1], s1[2]) == [(TEXT.index(note), TEXT.index(note) + len(note))]
    assert doc.cited_spans(s2[1], s2[2]) == []  # it cites nothing


def test_a_name_the_question_gives_answers_nothing_spelled_out_either(index, index_lexical):
    # "Ministry" makes the note hold an organisation, but it is the MOF the question asks about, not who leads it
    question = parse("Who leads the MOF?", index_lexical)
    w = wants(question.text, index_lexical)
    (acronym_unknown,) = read_passage(index, index_lexical, question, w, ENGLISH, Ranked(1, 0.0))
    (spelled_out,) = read_passage(index, index_lexical, question, w, ENGLISH, Ranked(1, 0.0),
                                  aliases={"MOF": "Ministry of Finance"})
    assert acronym_unknown.answers is False  # without the alias, the note holds nothing of the focus "MOF"
    assert spelled_out.answers is False
    other = read_passage(index, index_lexical, parse("Who leads the MOD?", index_lexical),
                         wants("Who leads the MOD?", index_lexical), ENGLISH, Ranked(1, 0.0),
                         aliases={"MOD": "Finance"})
    assert other[0].answers is True  # "Ministry" is left: a ministry holds the answer about "Finance"


def test_a_name_with_a_digit_first_is_a_name_too(index, index_lexical):
    # "3SI" is the question's name: the number word of its spelled-out form is no figure ("Three Seas Initiative")
    question = parse("How many nations are in the 3SI?", index_lexical)
    w = wants(question.text, index_lexical)
    text_sentences = read_passage(index, index_lexical, question, w, ENGLISH, Ranked(0, 0.0),
                                  aliases={"3SI": "Three Seas Initiative"})
    assert w.kind == "number" and "3SI" in w.focus
    assert all(not s.answers for s in text_sentences)  # the fixture's sentences hold no count of nations


def test_after_said_lifts_the_sentences_just_after_the_latest_answer_by_distance():
    # document a's sentences start at 0, 41, 80, 120, 160; the answer quoted the one at 41.  With reach 2 the next
    # gains the whole bonus, the one after half of it, the rest (and the sentence itself, and before it) nothing.
    order = {"a": np.array([0, 41, 80, 120, 160]), "b": np.array([0])}
    texts = ["Before it came a sentence of words.", "Korea invested 14.8 billion in Georgia.",
             "The plant makes batteries for cars now.", "It opened in the spring of that year.",
             "Far later the paper turns to tariffs."]
    a = [Sentence("a", start, start + 30, text, 0.5, False) for start, text in zip(order["a"], texts)]
    b = Sentence("b", 0, 30, "Korea invested 14.8 billion in Ohio.", 0.5, False)
    out = after_said([a[:3], a[3:], [b]], "Korea invested 14.8 billion in Georgia.", order, bonus=0.4, reach=2)
    assert [s.score for p in out for s in p] == pytest.approx([0.5, 0.5, 0.9, 0.7, 0.5, 0.5])
    assert after_said([a], "", order, 0.4, 2) == [a]  # nothing said yet


def test_after_said_lifts_the_endnote_the_quoted_sentence_cites(index):
    # S1 cites note 1: after an answer quoting S1, the note is the next thing to read, however far it stands
    order = {"a": np.array([TEXT.index(x) for x in (S0, S1, S2, NOTE)])}
    sentences = [[Sentence(*span(x), x, 0.5, False) for x in (S0, S1, S2)], [Sentence(*span(NOTE), NOTE, 0.5, False)]]
    out = after_said(sentences, S1, order, bonus=0.4, reach=1, index=index)
    assert [s.score for p in out for s in p] == pytest.approx([0.5, 0.5, 0.9, 0.9])  # S2 follows it; the note too
    alone = after_said(sentences, S1, order, bonus=0.4, reach=1)  # without the index, only what follows in the text
    assert [s.score for p in alone for s in p] == pytest.approx([0.5, 0.5, 0.9, 0.5])


def test_unsaid_docks_only_the_sentences_an_earlier_answer_quoted():
    said_one = Sentence("a", 0, 40, "Korea invested 14.8 billion in Georgia.", 0.9, True)
    new_one = Sentence("a", 41, 80, "The plant makes batteries for cars now.", 0.7, True)
    other = Sentence("b", 0, 30, "The alliance was signed in 1953.", 0.5, False)
    out = unsaid([[said_one, new_one], [other]], "Korea invested 14.8 billion in Georgia.", 0.5)
    assert out == [[dataclasses.replace(said_one, score=0.9 - 0.5, answers=False), new_one], [other]]
