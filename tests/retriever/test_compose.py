"""The composed answer: which sentences it quotes, in what order with which markers, a paper's own gist, and the
reason given when the papers hold no answer.

Sentences are hand-made ``answer.Sentence`` values whose scores are chosen to sit either side of the margins of
``R`` below; the gist runs over a hand-made one-document ``Index``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from retriever.answer import Sentence
from retriever.compose import (choose, key_sentences, lead, names_section, phrases, reason, text_of, under_heading,
                               unmentioned, with_notes, with_titles)
from retriever.documents import Document, Section
from retriever.index import Index
from retriever.lexical import Lexical
from retriever.query import parse
from retriever.reading import Wants, wants
from retriever.schema import AnswerSentence
from retriever.tuning import Reading

# The margins the scores below are set against, fixed here so the hand-computed choices do not follow the tuning.
R = Reading(pair_margin=0.3, second_margin=0.15, rank_penalty=0.05, max_sentences=3, repeat_overlap=0.6)
OTHER = Wants(kind="other", focus=(), focus_terms=(), compare=False)


def sentence(doc_id: str, start: int, score: float, words: int = 6, answers: bool | None = None) -> Sentence:
    """A sentence as ``read_passage`` makes it: a fragment under five words answers only if it is a byline."""
    text = " ".join(f"{doc_id}{start}w{i}" for i in range(words)) + "."
    return Sentence(doc_id, start, start + len(text), text, score, words >= 5 if answers is None else answers)


def picked(quoted) -> list[tuple[int, str, int]]:
    return [(rank, s.doc_id, s.start) for rank, s in quoted]


# ------------------------------------------------------------------------------------------------------ text_of


def test_text_of_one_sentence():
    s = sentence("a", 40, 0.9)
    composed = text_of([(1, s)])
    assert composed.text == f"{s.text} [1]"
    assert composed.sentences == [AnswerSentence(text=s.text, doc_id="a", char_start=40, char_end=s.end, passage=1)]


def test_text_of_reading_order_and_one_marker_per_run():
    a1, a2, b = sentence("a", 10, 0.5), sentence("a", 60, 0.9), sentence("b", 0, 0.8)
    # chosen best first; read document a (first cited by passage 1) before b (passage 2), a's sentences by position,
    # and the run of two sentences from passage 1 carries one marker
    composed = text_of([(2, b), (1, a2), (1, a1)])
    assert composed.text == f"{a1.text} {a2.text} [1] {b.text} [2]"
    assert [(x.doc_id, x.char_start, x.passage) for x in composed.sentences] == [
        ("a", 10, 1), ("a", 60, 1), ("b", 0, 2)]


def test_text_of_documents_in_order_of_their_first_cited_passage():
    # document b holds passage 1, so it is read first even though document a is listed first and sorts first
    a, b = sentence("a", 0, 0.9), sentence("b", 500, 0.8)
    assert text_of([(2, a), (1, b)]).text == f"{b.text} [1] {a.text} [2]"


def test_text_of_passages_of_one_document_interleave_by_position():
    # passages 1 and 3 are both from a: the sentences go by place in a, each change of passage closes a run
    a0, a50, a120, b40 = sentence("a", 0, 0.9), sentence("a", 50, 0.8), sentence("a", 120, 0.7), sentence("b", 40, 0.6)
    composed = text_of([(1, a0), (3, a50), (1, a120), (2, b40)])
    assert composed.text == f"{a0.text} [1] {a50.text} [3] {a120.text} [1] {b40.text} [2]"
    assert [x.passage for x in composed.sentences] == [1, 3, 1, 2]


def test_text_of_carries_the_offsets_through():
    s = Sentence("doc-7", 1234, 1290, "Korea invested 14.8 billion dollars in Georgia.", 0.4, False)
    (out,) = text_of([(4, s)]).sentences
    assert (out.text, out.doc_id, out.char_start, out.char_end, out.passage) == (s.text, "doc-7", 1234, 1290, 4)


# ------------------------------------------------------------------------------------------------------- choose


def test_choose_best_sentence_alone_when_nothing_is_close():
    # .3 is more than .3 below .9 (no pair); passage 2's .5 - .05 is more than .15 below .9 (no second)
    passages = [[sentence("a", 0, 0.3), sentence("a", 20, 0.9)], [sentence("b", 0, 0.5)]]
    assert picked(choose(passages, r=R)) == [(1, "a", 20)]


def test_choose_the_sentence_before_joins_within_the_pair_margin():
    # .7 >= .9 - .3: it often names the subject the best sentence gives the figure of
    passages = [[sentence("a", 0, 0.7), sentence("a", 20, 0.9), sentence("a", 40, 0.2)]]
    assert picked(choose(passages, r=R)) == [(1, "a", 0), (1, "a", 20)]


def test_choose_the_sentence_before_stays_out_beyond_the_pair_margin():
    passages = [[sentence("a", 0, 0.5), sentence("a", 20, 0.9)]]  # .5 < .6
    assert picked(choose(passages, r=R)) == [(1, "a", 20)]
    wide = dataclasses.replace(R, pair_margin=0.45)
    assert picked(choose(passages, r=wide)) == [(1, "a", 0), (1, "a", 20)]


def test_choose_the_better_neighbour_makes_the_pair():
    # the highlight's rule: of the sentences either side, the pair with the higher sum (.9 + .8 > .9 + .7)
    passages = [[sentence("a", 0, 0.7), sentence("a", 20, 0.9), sentence("a", 40, 0.8)]]
    assert picked(choose(passages, r=R)) == [(1, "a", 20), (1, "a", 40)]


def said(start: int, text: str, score: float) -> Sentence:
    return Sentence("a", start, start + len(text), text, score, True)


@pytest.mark.parametrize("opening", ["The latter remains", "The former was", "This is", "Those were"])
def test_choose_a_pronoun_led_best_sentence_brings_the_one_it_stands_for(opening):
    # .2 is far outside the pair margin, but "The latter ..." says nothing alone; it is quoted beyond the count
    passages = [[said(0, "None of these suggests governments beat the private sector.", 0.2),
                 said(60, f"{opening} the real generator of innovation.", 0.9)],
                [sentence("b", 0, 0.88)], [sentence("c", 0, 0.87)]]
    assert picked(choose(passages, r=R)) == [(1, "a", 0), (1, "a", 60), (2, "b", 0), (3, "c", 0)]


@pytest.mark.parametrize("opening", ["This pattern diverged", "These measures", "Its share rose", "He earned"])
def test_choose_a_sentence_that_names_its_subject_again_stands_alone(opening):
    passages = [[said(0, "Between 2000 and 2015 the figures were level.", 0.2),
                 said(60, f"{opening} after 2016 for good reasons.", 0.9)]]
    assert picked(choose(passages, r=R)) == [(1, "a", 60)]


def test_choose_a_second_passage_joins_when_nearly_as_good():
    # passage 2: .84 - .05 = .79 >= .9 - .15
    passages = [[sentence("a", 0, 0.9)], [sentence("b", 0, 0.84)], [sentence("c", 0, 0.5)]]
    assert picked(choose(passages, r=R)) == [(1, "a", 0), (2, "b", 0)]


def test_choose_the_rank_penalty_breaks_near_ties_towards_the_top_passage():
    # .84 - .05 = .79 < .80: passage 1 first;  .86 - .05 = .81 > .80: passage 2 first
    assert picked(choose([[sentence("a", 0, 0.8)], [sentence("b", 0, 0.84)]], r=R))[0] == (1, "a", 0)
    assert picked(choose([[sentence("a", 0, 0.8)], [sentence("b", 0, 0.86)]], r=R))[0] == (2, "b", 0)


STANDFIRST = "Today, the alliance, reinforced by deepening investment ties, stands at another turning point."
AGAIN = "Today, the alliance, backed by these deepening ties, stands at another turning point."  # Jaccard 11/15


def test_choose_does_not_quote_a_sentence_twice_in_other_words():
    # the pair would take both (.85 is within .3 of .9), and passage 2 is nearly as good: each only says it again
    passages = [[said(0, STANDFIRST, 0.85), said(120, AGAIN, 0.9)], [Sentence("b", 0, len(AGAIN), AGAIN, 0.88, True)]]
    assert picked(choose(passages, r=R)) == [(1, "a", 0)]
    # below the overlap they are different sentences
    assert len(choose(passages, r=dataclasses.replace(R, repeat_overlap=0.8))) == 2


def test_choose_one_sentence_per_further_passage():
    # both of passage 2's sentences are close, but only its best joins (and it is not the best's neighbour)
    passages = [[sentence("a", 0, 0.9)], [sentence("b", 0, 0.88), sentence("b", 500, 0.87)]]
    assert picked(choose(passages, r=R)) == [(1, "a", 0), (2, "b", 0)]


def test_choose_further_sentences_after_the_best_in_its_own_passage():
    # adjusted: a100 .90, a300 .86, b0 .83, a0 .88: a300 is no neighbour of a100 (a200 is between) but comes after
    # it and joins on its score; a0, before the best, does not (what precedes is context, the pair's to take)
    passages = [[sentence("a", 0, 0.88), sentence("a", 50, 0.1), sentence("a", 100, 0.9), sentence("a", 200, 0.1),
                 sentence("a", 300, 0.86)], [sentence("b", 0, 0.88)]]
    assert picked(choose(passages, r=R)) == [(1, "a", 100), (1, "a", 300), (2, "b", 0)]


def test_choose_at_most_max_sentences():
    # adjusted scores .90, .89, .88, .87, .86: all within .15 of the best, three kept, best adjusted first
    passages = [[sentence(d, 0, 0.9 + 0.04 * i)] for i, d in enumerate("abcde")]
    assert picked(choose(passages, r=R)) == [(1, "a", 0), (2, "b", 0), (3, "c", 0)]
    assert picked(choose(passages, r=dataclasses.replace(R, max_sentences=1))) == [(1, "a", 0)]


def test_choose_a_needed_document_gets_its_best_sentence_however_far_below():
    passages = [[sentence("a", 0, 0.9)], [sentence("a", 300, 0.85)], [sentence("b", 0, 0.1), sentence("b", 40, 0.2)]]
    chosen = picked(choose(passages, needed_docs=("a", "b"), r=R))
    # b's best (.2) is far below the margin, but a comparison needs it; a's second passage (.80) still fits
    assert chosen == [(1, "a", 0), (3, "b", 40), (2, "a", 300)]


def test_choose_needed_documents_may_exceed_max_sentences():
    passages = [[sentence("a", 0, 0.9)], *[[sentence(d, 0, 0.1)] for d in "bcde"]]
    chosen = picked(choose(passages, needed_docs=tuple("bcde"), r=R))
    assert chosen == [(1, "a", 0), (2, "b", 0), (3, "c", 0), (4, "d", 0), (5, "e", 0)]


def test_choose_prefers_a_sentence_that_answers_by_the_answering_bonus():
    # .9 does not answer (it repeats the question's names), .8 does: .8 + .2 > .9; .6 + .2 < .9
    passages = [[sentence("a", 0, 0.9, answers=False), sentence("a", 100, 0.8, answers=True)]]
    assert picked(choose(passages, r=R))[0] == (1, "a", 100)
    passages = [[sentence("a", 0, 0.9, answers=False), sentence("a", 100, 0.6, answers=True)]]
    assert picked(choose(passages, r=R))[0] == (1, "a", 0)
    assert picked(choose([[sentence("a", 0, 0.9, answers=False), sentence("a", 100, 0.8, answers=True)]],
                         r=dataclasses.replace(R, answering=0.0)))[0] == (1, "a", 0)


def test_choose_only_from_the_document_the_question_names():
    # "Who wrote the b paper?": a's sentence scores higher, but the question names b
    passages = [[sentence("a", 0, 0.9)], [sentence("b", 0, 0.6), sentence("b", 40, 0.58)]]
    assert picked(choose(passages, r=R, only={"b"})) == [(2, "b", 0), (2, "b", 40)]
    # a named document the passages do not hold leaves the choice as it was
    assert picked(choose(passages, r=R, only={"c"})) == picked(choose(passages, r=R))


def test_choose_never_quotes_a_short_fragment_as_the_best():
    # a fragment of fewer than five words is a heading, however high it scores
    passages = [[sentence("a", 0, 2.0, words=3)], [sentence("b", 0, 0.5)]]
    assert picked(choose(passages, r=R)) == [(2, "b", 0)]


def test_choose_quotes_a_short_byline_that_answers():
    # read_passage marks a short sentence holding a name as answering a "who" question: it may be quoted
    passages = [[sentence("a", 0, 1.3, words=3, answers=True)], [sentence("b", 0, 0.5)]]
    assert picked(choose(passages, r=R))[0] == (1, "a", 0)


def test_lead_is_the_passage_of_the_first_quoted_sentence():
    # passage 2's .95 - .05 = .90 beats passage 1's .85: it leads; passage 1 leads a near tie by the rank penalty
    assert lead([[sentence("a", 0, 0.85)], [sentence("b", 0, 0.95)]], r=R) == 1
    assert lead([[sentence("a", 0, 0.85)], [sentence("b", 0, 0.88)]], r=R) == 0
    assert lead([[sentence("a", 0, 0.85)], [sentence("b", 0, 0.95)]], r=R, only={"a"}) == 0
    assert lead([[], []], r=R) == 0


def test_choose_of_nothing():
    assert choose([], r=R) == []
    assert choose([[], []], r=R) == []
    assert choose([[sentence("a", 0, 0.9, words=2)]], r=R) == []


# ------------------------------------------------------------------------------------------------ key sentences

GIST = [
    "The alliance has grown into an economic partnership.",
    "Korean firms now invest more in America than ever.",
    "Shipbuilding is the next field of cooperation.",
    "Both governments should act on it soon.",
]
BODY = ["The paper reviews seventy years of the alliance.", "It ends with proposals."]
BULLETS = ["- Expand joint naval shipbuilding programs quickly.", "- Ease visa rules for Korean engineers.",
           "- Act now."]
LINES = ["Key Takeaways", " ".join(GIST), "Introduction", " ".join(BODY), *BULLETS]
TEXT = "\n".join(LINES) + "\n"


def spans_of(text: str, sentences: list[str]) -> list[tuple[int, int]]:
    out = []
    for s in sentences:
        start = text.index(s)
        out.append((start, start + len(s)))
    return out


def gist_index(text: str, sections: list[Section], extra: tuple[str, ...] = ()) -> Index:
    sentences = ["Key Takeaways", *GIST, "Introduction", *BODY, *BULLETS, *extra]
    spans = [("a", a, b) for a, b in spans_of(text, [s for s in sentences if s in text])]
    doc = Document(doc_id="a", title="A", authors=[], publisher=None, date=None, url=None, source_file="a.txt",
                   sha256="0" * 64, text=text, sections=sections)
    return Index(path=None, manifest={}, documents={"a": doc}, chunks=[], sentence_spans=spans, chunk_sentences=[],
                 dense=None, chunk_vectors=np.zeros((0, 2), dtype=np.float32),
                 sentence_vectors=np.zeros((len(spans), 2), dtype=np.float32), multilingual_chunk_vectors=None,
                 multilingual_sentence_vectors=None, token_vectors=np.zeros((0, 2), dtype=np.float16),
                 token_offsets=np.zeros(1, dtype=np.int64))


INTRO = TEXT.index("Introduction")
SECTIONS = [Section(title="Key Takeaways", char_start=0, char_end=INTRO),
            Section(title="Introduction", char_start=INTRO, char_end=len(TEXT))]


@pytest.fixture(scope="module")
def gist() -> Index:
    return gist_index(TEXT, SECTIONS)


def texts(index: Index, spans: list[tuple[int, int]]) -> list[str]:
    return [index.documents["a"].text[a:b] for a, b in spans]


def test_key_sentences_open_the_key_takeaways_section(gist):
    # the heading "Key Takeaways" is in the section but has two words: not a sentence of the gist
    assert texts(gist, key_sentences(gist, "a", recommendations=False, n=3)) == GIST[:3]
    assert texts(gist, key_sentences(gist, "a", recommendations=False, n=10)) == GIST


def test_key_sentences_for_recommendations_are_the_bullets_outside_the_section(gist):
    # "- Act now." has three words, too few to quote
    assert texts(gist, key_sentences(gist, "a", recommendations=True, n=3)) == BULLETS[:2]
    assert texts(gist, key_sentences(gist, "a", recommendations=True, n=1)) == BULLETS[:1]


def test_key_sentences_for_recommendations_without_bullets_are_the_opening():
    text = "\n".join(LINES[:4]) + "\n"
    index = gist_index(text, [Section(title="Key Takeaways", char_start=0, char_end=text.index("Introduction"))])
    assert texts(index, key_sentences(index, "a", recommendations=True, n=2)) == GIST[:2]


def test_key_sentences_for_recommendations_without_bullets_are_the_points_enumerated_in_prose():
    points = ("First, both sides should ease visa rules for engineers.", "Second, they must co-develop a roadmap.",
              "Finally, it is essential to respect ambiguity.")
    text = "\n".join([*LINES[:4], " ".join(points), "First, a short one."]) + "\n"
    index = gist_index(text, [Section(title="Key Takeaways", char_start=0, char_end=text.index("Introduction"))],
                       extra=(*points, "First, a short one."))
    assert texts(index, key_sentences(index, "a", recommendations=True, n=5)) == list(points)  # four words: too few


def test_key_sentences_without_a_key_section_are_the_bullets_then_any_long_sentence():
    index = gist_index(TEXT, [Section(title="Introduction", char_start=0, char_end=len(TEXT))])
    assert texts(index, key_sentences(index, "a", recommendations=False, n=2)) == BULLETS[:2]
    no_bullets = "\n".join(LINES[:4]) + "\n"
    index = gist_index(no_bullets, [])
    assert texts(index, key_sentences(index, "a", recommendations=False, n=2)) == GIST[:2]


@pytest.mark.parametrize("title", ["Executive Summary", "Abstract", "Highlights", "Key Findings", "Overview"])
def test_key_sentences_other_gist_sections(title):
    index = gist_index(TEXT, [Section(title=title, char_start=0, char_end=INTRO)])
    assert texts(index, key_sentences(index, "a", recommendations=False, n=1)) == GIST[:1]


def test_key_sentences_of_the_sections_a_question_names(gist):
    # "its introduction" names the Introduction: its opening sentences, not the key takeaways; the three-word
    # "- Act now." is too short to quote
    asked = "Give me the gist of its introduction."
    assert texts(gist, key_sentences(gist, "a", False, n=2, question=asked)) == BODY[:1] + BULLETS[:1]
    both = "Summarize the key takeaways and the introduction."  # shared out: one sentence of each
    assert texts(gist, key_sentences(gist, "a", False, n=2, question=both)) == GIST[:1] + BODY[:1]


@pytest.mark.parametrize(("question", "title", "named"), [
    ("What are the main points of its conclusion?", "Conclusion", True),
    ("Summarize the conclusions.", "Conclusion", True),  # a plural names it too
    ("Summarize its key takeaways.", "Key Takeaways", True),
    ("Summarize the paper's argument.", "Conclusion", False),
    ("Summarize the introductory remarks.", "Introduction", False),  # inside a longer word
    ("Summarize it.", "", False),
    ("Summarize part A.", "A", False),  # a one-letter title is no name
])
def test_names_section(question, title, named):
    assert names_section(question, title) is named


# ------------------------------------------------------------------------------------------------------- reason

A = "Korea invested 14.8 billion dollars in Georgia in 2024."


@pytest.fixture(scope="module")
def lexical() -> Lexical:
    return Lexical([A, "The trade balance in 2023 was negative.", "Tariffs rose."])


def why(question: str, passages: list[str], lexical: Lexical, off_topic: bool = False,
        missing: tuple[str, ...] = ()) -> str:
    return reason(parse(question, lexical), wants(question, lexical), passages, lexical, off_topic, list(missing),
                  question)


def test_reason_off_topic_names_what_the_papers_do_not_discuss(lexical):
    # no focus word is in the passages: all of them are what is missing
    assert why("How many submarines does Norway build?", ["Tariffs rose."], lexical, off_topic=True) == (
        "These documents do not discuss “submarines” or “Norway build”; the nearest passages below are only loosely "
        "related.")


def test_reason_off_topic_names_only_the_absent_words(lexical):
    assert why("What was the trade deficit in 2023?", ["The trade balance in 2023 was negative."], lexical,
               off_topic=True) == (
        "These documents do not discuss “deficit”; the nearest passages below are only loosely related.")


def test_reason_near_topic_says_which_kind_of_answer_is_missing(lexical):
    # the passages speak of trade in 2023 but give no deficit: a money question lacks an amount, of the question's
    # phrase that holds the missing word
    assert why("What was the trade deficit in 2023?", ["The trade balance in 2023 was negative."], lexical) == (
        "The documents discuss trade but give no amount for “trade deficit in 2023”.")


def test_reason_near_topic_with_every_word_present_says_it_once(lexical):
    assert why("When did Korea invest in Georgia?", ["Korea invested in Georgia."], lexical) == (
        "The documents discuss Korea invest in Georgia but give no date or year for it.")


def test_reason_names_the_owner_of_a_possessive_the_passages_discuss(lexical):
    # "Korea's" is all the passages hold of "Korea's trade deficit": they discuss Korea
    assert why("What was Korea's deficit?", [A], lexical) == (
        "The documents discuss Korea but give no amount for “Korea's deficit”.")


def test_reason_for_a_request_for_instructions(lexical):
    assert why("How do I say thank you in Korean?", ["Korean firms invested in Georgia."], lexical, off_topic=True) == (
        "These documents give no instructions or advice for this; the nearest passages below are only loosely "
        "related.")


def test_reason_when_the_papers_give_only_a_bound(lexical):
    passages = ["Korea invests over 2 percent of its budget."]
    assert why("What exact percentage of its budget does Korea invest?", passages, lexical) == (
        "The documents discuss budget and Korea invest but give no exact percentage, only a bound.")


def test_reason_near_topic_with_no_focus_word_present(lexical):
    assert why("How many submarines does Norway build?", ["Tariffs rose."], lexical) == (
        "The documents discuss related topics but give no figure for “submarines” and “Norway build”.")


def test_reason_missing_number(lexical):
    # 2023 is nowhere in the top passages (it is in a later one, so no focus word is absent)
    passages = [A, "Exports to Georgia in 2023 were small."]
    assert why("How much did Korea invest in Georgia in 2023?", passages, lexical, missing=("2023",)) == (
        "The documents discuss Korea invest in Georgia but give nothing for “2023”.")


def test_reason_missing_numbers_are_joined(lexical):
    passages = [A, "Exports to Georgia in 2022 and 2023 were small."]
    assert why("How much did Korea invest in Georgia in 2022 and 2023?", passages, lexical,
               missing=("2022", "2023")) == (
        "The documents discuss Korea invest in Georgia but give nothing for “2022 and 2023”.")


FOCUS = ("South", "Korean", "company", "bought", "Philly", "Shipyard")


@pytest.mark.parametrize("words, needed, expected", [
    # the question's words as it writes them, the small words between them kept
    (FOCUS, (), ["South Korean company bought Philly Shipyard"]),
    # a focus word left out ends a phrase: what the passages discuss is two things, not a clause
    (("South", "Korean", "company", "Philly", "Shipyard"), (), ["South Korean company", "Philly Shipyard"]),
    # only the phrases holding a needed word
    (FOCUS, ("bought",), ["South Korean company bought Philly Shipyard"]),
    (("South", "Korean", "company", "Philly", "Shipyard"), ("Philly",), ["Philly Shipyard"]),
    ((), (), []),
])
def test_phrases_of_the_focus(words, needed, expected):
    assert phrases("Which South Korean company bought Philly Shipyard?", words, FOCUS, needed) == expected


def test_phrases_run_on_across_a_few_small_words_only():
    question = "How many American troops are stationed in South Korea?"
    focus = ("American", "troops", "stationed", "South", "Korea")
    assert phrases(question, focus, focus) == ["American troops are stationed in South Korea"]
    # "did" (like "how", "does", a pronoun) is no part of a phrase: "funding did the CHIPS Act provide" is two
    focus = ("funding", "CHIPS", "Act", "provide")
    assert phrases("How much funding did the CHIPS Act provide?", focus, focus) == ["funding", "CHIPS Act provide"]
    focus = ("atomic", "reactors", "Korea", "built")  # nor is "has": "atomic reactors has Korea built" is two
    assert phrases("How many atomic reactors has Korea built?", focus, focus) == ["atomic reactors", "Korea built"]
    # nor are three words in a row that are not its own
    assert phrases("Korea and then again the US", ("Korea", "US"), ("Korea", "US")) == ["Korea", "US"]


def test_phrases_keep_a_word_the_question_does_not_write():
    # a follow-up read as the name it points at: "What position does the second of them hold?" -> "Derrick Morgan"
    focus = ("position", "Derrick", "Morgan")
    assert phrases("What position does the second of them hold?", focus, focus) == ["position", "Derrick", "Morgan"]


def test_phrases_end_at_punctuation():
    assert phrases("In 2016, Korea invested", ("2016", "Korea"), ("2016", "Korea")) == ["2016", "Korea"]


def test_phrases_keep_an_abbreviations_last_full_stop():
    focus = ("U.S", "troops", "Korea")
    assert phrases("How many U.S. troops are in Korea?", focus, focus) == ["U.S. troops are in Korea"]
    assert phrases("Is it the U.S.?", ("U.S",), ("U.S",)) == ["U.S."]
    assert phrases("It is Korea.", ("Korea",), ("Korea",)) == ["Korea"]  # a sentence's own full stop is not kept


def test_unmentioned_names_the_paper_what_it_never_mentions_and_where_to_look_instead():
    assert unmentioned(["NATO"], ["Tasks Ahead"], ["An Agenda"]) == (
        "“Tasks Ahead” never mentions “NATO”; “An Agenda” does. The nearest passages below are about something "
        "else.")
    assert unmentioned(["Hanwha", "Texas"], ["Tasks Ahead", "An Agenda"], []) == (
        "“Tasks Ahead” and “An Agenda” never mention “Hanwha” and “Texas”. The nearest passages below are "
        "about something else.")
    assert unmentioned(["Mars"], ["Tasks Ahead"], ["An Agenda", "Third"]).startswith(
        "“Tasks Ahead” never mentions “Mars”; “An Agenda” and “Third” do.")
    # no paper named: none of the documents mentions it
    assert unmentioned(["Mars"], [], []).startswith("The documents never mention “Mars”.")


# ---------------------------------------------------------------------------------- headings and endnotes quoted

NOTED = ("Respecting Ambiguity\n"
         "It is essential to move beyond a binary choice. Chips cost half as much again to make there.\n"
         "Endnotes\n"
         "1. Amanda Chu, “Chips abroad,” Financial Times, May 2, 2024. Accessed June 1.\n")
CLAIM = "Chips cost half as much again to make there."
NOTE = "Amanda Chu, “Chips abroad,” Financial Times, May 2, 2024. Accessed June 1."


@pytest.fixture(scope="module")
def noted() -> Index:
    endnotes = NOTED.index("Endnotes")
    doc = Document(doc_id="a", title="A", authors=[], publisher=None, date=None, url=None, source_file="a.txt",
                   sha256="0" * 64, text=NOTED,
                   sections=[Section(title="Respecting Ambiguity", char_start=0, char_end=endnotes),
                             Section(title="Endnotes", char_start=endnotes, char_end=len(NOTED))],
                   footnote_anchors=[(NOTED.index(CLAIM) + len(CLAIM), "1")], footnotes={"1": NOTE})
    index = gist_index(NOTED, [])
    index.documents["a"] = doc
    return index


def span_sentence(text: str, part: str, score: float = 1.0) -> Sentence:
    start = text.index(part)
    return Sentence("a", start, start + len(part), part, score, True)


def test_under_heading_quotes_the_section_title_then_its_sentences(noted):
    best = span_sentence(NOTED, "It is essential to move beyond a binary choice.")
    quoted = under_heading(noted, [(1, best)])
    assert [(rank, s.text) for rank, s in quoted] == [(1, "Respecting Ambiguity"), (1, best.text)]
    title = quoted[0][1]
    assert NOTED[title.start:title.end] == "Respecting Ambiguity"


def test_under_heading_without_a_title_in_the_text_changes_nothing(noted):
    """The "Endnotes" section here starts with its title, so move it: a title the text does not carry is no quote."""
    doc = noted.documents["a"]
    shifted = doc.model_copy(update={"sections": [Section(title="Made-up Title", char_start=0, char_end=len(NOTED))]})
    index = dataclasses.replace(noted, documents={"a": shifted})
    best = span_sentence(NOTED, CLAIM)
    assert under_heading(index, [(1, best)]) == [(1, best)]


TITLED = "Rethinking Tariffs\n\nFirst, it is essential to recalibrate tariffs. Tariffs hurt.\nRespecting Ambiguity\n" \
         "Korea must stay calm. Second, it is essential to move beyond a binary choice.\n"


def test_with_titles_quotes_an_enumerated_point_from_the_title_of_the_section_it_opens():
    second = TITLED.index("Respecting")
    index = gist_index(TITLED, [])
    index.documents["a"] = index.documents["a"].model_copy(update={"sections": [
        Section(title="Rethinking Tariffs", char_start=0, char_end=second),
        Section(title="Respecting Ambiguity", char_start=second, char_end=len(TITLED))]})
    first = span_sentence(TITLED, "First, it is essential to recalibrate tariffs.")
    (rank, s), = with_titles(index, [(2, first)])
    assert (rank, s.text, s.start, s.end) == (2, TITLED[:first.end], 0, first.end)
    # not the section's first sentence, or not an enumerated point: quoted as it was
    later = span_sentence(TITLED, "Second, it is essential to move beyond a binary choice.")
    plain = span_sentence(TITLED, "Tariffs hurt.")
    assert with_titles(index, [(1, later), (1, plain)]) == [(1, later), (1, plain)]


def test_with_notes_follows_a_claim_with_the_endnote_it_cites(noted):
    claim = span_sentence(NOTED, CLAIM)
    quoted = with_notes(noted, [(1, claim)], [[claim]])
    assert [(rank, s.text) for rank, s in quoted] == [(1, CLAIM), (1, NOTE)]
    note = quoted[1][1]
    assert NOTED[note.start:note.end] == NOTE


def test_with_notes_the_first_claims_note_comes_before_a_note_quoted_for_itself():
    # the claim is quoted first and cites note 2; note 1 was quoted for its own words: note 2 leads "which source"
    text = ("Body\nImports rose to a record share of the world market.\nEndnotes\n"
            "1. U.S. Bureau of Economic Analysis, investment data.\n2. K-stat, world trade figures.\n")
    claim = "Imports rose to a record share of the world market."
    notes = {"1": "U.S. Bureau of Economic Analysis, investment data.", "2": "K-stat, world trade figures."}
    doc = Document(doc_id="a", title="A", authors=[], publisher=None, date=None, url=None, source_file="a.txt",
                   sha256="0" * 64, text=text, sections=[Section(title="Endnotes", char_start=text.index("Endnotes"),
                                                                 char_end=len(text))],
                   footnote_anchors=[(text.index(claim) + len(claim), "2")], footnotes=notes)
    index = gist_index(text, [])
    index.documents["a"] = doc
    said, other = span_sentence(text, claim, score=1.2), span_sentence(text, notes["1"])
    quoted = with_notes(index, [(2, said), (1, other)], [[other], [said]])
    assert [s.text for _, s in quoted] == [claim, notes["2"], notes["1"]]
    assert lead([[other], [said]], r=R, notes=index) == 1  # the claim's passage holds no note 2: it cites it


def test_with_notes_cites_the_passage_that_holds_the_note(noted):
    claim = span_sentence(NOTED, CLAIM)
    in_notes = span_sentence(NOTED, "Accessed June 1.")
    quoted = with_notes(noted, [(1, claim)], [[claim], [in_notes]])
    assert [rank for rank, _ in quoted] == [1, 2]


def test_with_notes_a_sentence_of_a_note_stands_for_the_whole_note(noted):
    part = span_sentence(NOTED, "Accessed June 1.")
    quoted = with_notes(noted, [(2, part)], [[], [part]])
    assert [(rank, s.text) for rank, s in quoted] == [(2, NOTE)]


def test_with_notes_a_claim_citing_nothing_stays_alone(noted):
    plain = span_sentence(NOTED, "It is essential to move beyond a binary choice.")
    assert with_notes(noted, [(1, plain)], [[plain]]) == [(1, plain)]


def test_lead_for_a_question_about_sources_is_the_passage_holding_the_note(noted):
    claim = span_sentence(NOTED, CLAIM, score=0.9)
    in_notes = span_sentence(NOTED, "Accessed June 1.", score=0.2)
    passages = [[claim], [in_notes]]
    assert lead(passages, r=R) == 0  # the claim is quoted first ...
    assert lead(passages, r=R, notes=noted) == 1  # ... but the endnote it cites answers "which source"
    assert lead([[claim], []], r=R, notes=noted) == 0  # the note in no passage: the claim's passage cites it


def test_with_notes_a_sentence_that_opens_with_the_notes_number_stands_for_the_whole_note(noted):
    # the sentence splitter may keep "1. " with the note's first sentence: the quote is still the whole note
    numbered = span_sentence(NOTED, "1. Amanda Chu, “Chips abroad,” Financial Times, May 2, 2024.")
    quoted = with_notes(noted, [(2, numbered)], [[], [numbered]])
    assert [(rank, s.text) for rank, s in quoted] == [(2, NOTE)]
