"""Slips corrected to the papers' words: edit distances by hand, and what is never taken for a slip."""

from __future__ import annotations

import pytest

from retriever.spelling import Speller, distance
from retriever.tuning import TYPO

PAPERS = ["Korea's investment in semiconductor plants grew.", "The Heritage brief on tariffs and tariff rates.",
          "Investments rose; investment fell.", "They meet in Seoul."]
ENGLISH = {"atomic", "plant", "kimchi", "seoul"}  # what WordNet would know, for these tests


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(PAPERS, lambda word: word in ENGLISH)


@pytest.mark.parametrize(("a", "b", "edits"), [
    ("tariff", "tariff", 0),
    ("tarif", "tariff", 1),  # one insert
    ("traiff", "tariff", 1),  # two neighbours swapped
    ("tarrif", "tariff", 2),  # "r" for "i", "i" for "f"
    ("investmnet", "investment", 1),
    ("heritge", "heritage", 1),
    ("korea", "seoul", 3),  # past the limit of 2: reported as 3
])
def test_distance(a, b, edits):
    assert distance(a, b, 2) == min(edits, 3)


def test_a_slip_becomes_the_papers_word(speller):
    assert speller.correct("what did the heritge brief say about semiconducter investmnet") == \
        "what did the heritage brief say about semiconductor investment"
    assert speller.correct("Heritge on tarrifs") == "Heritage on tariffs"  # the first word keeps its capital


def test_long_words_allow_more_edits(speller):
    assert TYPO.long_word <= len("tarrif")
    assert speller.correct("the tarrif") == "the tariff"
    assert speller.correct("the tarrrrif") == "the tarrrrif"  # four edits: no slip of ours


def test_what_is_never_a_slip(speller):
    # words of English, words the papers write, names inside a question, short words, shortened words
    assert speller.correct("Is atomic kimchi in Seoul?") == "Is atomic kimchi in Seoul?"
    assert speller.correct("Did Hyundai and Kia invest?") == "Did Hyundai and Kia invest?"
    assert speller.correct("whats else doesnt they're others") == "whats else doesnt they're others"
    assert speller.correct("when's the meetup") == "when's the meetup"  # "meet" and more is a word of its own


def test_two_words_as_near_are_left_alone():
    # "tap" is one edit from both "tan" and "tar" (and too short anyway); "bolt" from "boat" and "bold"
    two = Speller(["a boat and a bold plan"], lambda word: False)
    assert two.correct("the bolt") == "the bolt"
    assert Speller(["a boat plan"], lambda word: False).correct("the bolt") == "the boat"


def test_a_code_is_a_short_lower_case_word_that_is_no_word(speller):
    # "krw" and "fdi" are no word nor slip: codes; "plant", "kimchi", "tldr" are words (English, chat); "tl" and
    # "dr" are too short to tell; "tarif" is a slip; a capitalised "KRW" is a name already
    assert speller.codes("the krw rate and fdi in plants") == ["krw", "fdi"]
    assert speller.codes("tldr: tl;dr of the kimchi plant tarif") == []
    assert speller.codes("KRW to USD") == []
    assert len("jjigae") > TYPO.acronym and speller.codes("kimchi jjigae") == []  # longer: a word, not a code
