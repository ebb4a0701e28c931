"""Follow-up questions: when a question leans on the conversation, and what it is expanded with.

Three hand-made documents and a ``Lexical`` over them; no model.
"""

from __future__ import annotations

import pytest

from retriever.conversation import (ANSWER_WORDS, MIN_OWN_TERMS, already_said, asks_its_own, leans_on_history,
                                    named_by_place, quoted_documents, resolve, said_before, said_last, swap_subject)
from retriever.lexical import Lexical
from retriever.schema import Turn

A = "Korea invested 14.8 billion dollars in Georgia in 2024. The plant makes batteries for electric cars."
B = "The alliance was signed in 1953. China is the largest trading partner of Korea."
C = "Shipbuilding cooperation is the third pillar. Japan also builds ships."
TEXTS = {"a": A, "b": B, "c": C}

FIRST = "How much did Korea invest in Georgia in 2024?"
ANSWER_A = "Korea invested 14.8 billion dollars in Georgia in 2024. [1]"


def user(content: str) -> Turn:
    return Turn(role="user", content=content)


def assistant(content: str) -> Turn:
    return Turn(role="assistant", content=content)


HISTORY = [user(FIRST), assistant(ANSWER_A)]


@pytest.fixture(scope="module")
def lexical() -> Lexical:
    return Lexical(list(TEXTS.values()))


# ------------------------------------------------------------------------------------------- leans on history


@pytest.mark.parametrize("question", [
    "Who wrote it?",  # a pronoun, and one term of its own
    "What did they say about batteries?",  # a pronoun in a question of several terms
    "When was this paper published?",  # "this paper"
    "And China?",  # an opening "And", one term
    "What about Japan?",  # an opening "What about"
    "What about the shipbuilding cooperation with Japan?",  # ... however many words follow
    "Why?",  # no term at all
    "Tariffs?",  # fewer than MIN_OWN_TERMS terms
    "그 논문은 관세에 대해 무엇을 권고하나요?",  # "that paper"
    "그것은 언제 체결되었나요?",  # "it", with its particle
    "이 보고서의 저자는 누구인가요?",  # "this report"
    "Why is that important?",  # "that" stands for what was said
    "What did he estimate that chips would cost?",  # "that" opens a clause, but "he" still points back
    "What's the first one's job title?",  # a name of the last answer, by its place
    "Where does the second author work?",
    "How much money are we talking about, and for which year?",  # what the conversation is about, without a pronoun
    "Where is the figure you mentioned from?",
])
def test_leans_on_history(lexical, question):
    assert leans_on_history(question, lexical, names_a_source=False)


@pytest.mark.parametrize("question", [
    "How much did Korea invest in Georgia in 2024?",
    "When was the alliance with the United States signed?",
    "Korean tariffs?",  # two terms, no pronoun: short but self-contained
    "미국이 상호국방조달 협정을 맺은 나라는 몇 개국인가요?",  # "이" here is the subject particle of 미국
    "한국 정부가 발표한 국정과제는 모두 몇 개인가요?",
    "Which company's founder estimated that making a chip costs more in the US?",  # "that" opens a clause
    "Did the Heritage Foundation argue that Korea should join the G7?",
])
def test_a_self_contained_question_does_not_lean(lexical, question):
    assert not leans_on_history(question, lexical, names_a_source=False)


def test_a_pronoun_leans_even_when_a_source_is_named(lexical):
    # "their" still points back ("And what does the KIEP paper say about it?"); naming a paper says where, not what
    question = "What does the Heritage paper say about their investment?"
    assert leans_on_history(question, lexical, names_a_source=False)
    assert leans_on_history(question, lexical, names_a_source=True)


def test_the_paper_leans_unless_the_question_names_it(lexical):
    question = "What does the paper say about investment in Georgia?"
    assert leans_on_history(question, lexical, names_a_source=False)  # "the paper": which one?
    assert not leans_on_history(question, lexical, names_a_source=True)  # the question also says which


def test_too_few_terms_lean_even_when_a_source_is_named(lexical):
    assert MIN_OWN_TERMS == 2
    assert len(lexical.terms("And China?")) == 1
    assert leans_on_history("And China?", lexical, names_a_source=True)


# ------------------------------------------------------------------------------------------- quoted documents


def test_quoted_documents_finds_the_document_of_each_sentence():
    content = "Korea invested 14.8 billion dollars in Georgia in 2024. [1] The alliance was signed in 1953. [2]"
    assert quoted_documents(content, TEXTS) == {"a", "b"}


def test_quoted_documents_a_run_of_consecutive_sentences_under_one_marker():
    content = "Korea invested 14.8 billion dollars in Georgia in 2024. The plant makes batteries for electric cars. [1]"
    assert quoted_documents(content, TEXTS) == {"a"}


def test_quoted_documents_marker_inside_the_sentence():
    # the marker is cut out with the space before it; the short remainder (".") is ignored
    assert quoted_documents("Korea invested 14.8 billion dollars in Georgia in 2024 [1].", TEXTS) == {"a"}


def test_quoted_documents_of_an_answer_quoting_nothing():
    assert quoted_documents("The documents do not say how much Japan invested.", TEXTS) == set()
    assert quoted_documents("", TEXTS) == set()


def test_quoted_documents_a_clause_quoted_inside_an_answers_own_words():
    # a client that words its own answer around the quote: the quotation marks bound it, not the sentence's end
    content = 'The brief says that "the plant makes batteries for electric cars" and more. [1]'
    assert quoted_documents(content, TEXTS) == {"a"}
    assert quoted_documents("“The alliance was signed in 1953.” [2]", TEXTS) == {"b"}


def test_quoted_documents_straight_quotes_match_curly_ones():
    texts = {"d": "Korea’s plant makes batteries for cars."}
    assert quoted_documents("Korea's plant makes batteries for cars. [1]", texts) == {"d"}


def test_quoted_documents_ignores_short_parts():
    # "Japan also builds ships." is verbatim in c, but parts of 20 characters or fewer prove nothing
    assert len("Japan also builds ships.") > 20 and len("Japan also builds.") <= 20
    assert quoted_documents("Japan also builds ships. [3]", TEXTS) == {"c"}
    assert quoted_documents("Japan also builds. [3]", {"c": "Japan also builds."}) == set()



# ------------------------------------------------------------------------------------------------ said before

def test_a_quote_copied_with_its_footnote_superscript_is_still_found():
    # the original says "Georgia in 2024.³": the canonical text keeps the note apart, a pasted quote does not
    pasted = "Korea invested 14.8 billion dollars in Georgia in 2024.³ [1]"
    assert quoted_documents(pasted, TEXTS) == {"a"}
    assert already_said("Korea invested 14.8 billion dollars in Georgia in 2024.", said_before([assistant(pasted)]))


def test_said_last_is_the_latest_answer_only():
    history = [user(FIRST), assistant(ANSWER_A), user("And then?"), assistant("Shipbuilding cooperation is the third "
                                                                              "pillar. [1]"), user("Why?")]
    said = said_last(history)
    assert already_said("Shipbuilding cooperation is the third pillar.", said)
    assert not already_said("Korea invested 14.8 billion dollars in Georgia in 2024.", said)
    assert said_last([user(FIRST)]) == "" and said_last(None) == ""


def test_said_before_is_every_assistant_turn_without_markers_or_line_breaks():
    history = [user(FIRST), assistant(ANSWER_A), user("And then?"),
               assistant("The plant makes batteries\nfor electric cars. [2] Shipbuilding cooperation is the third "
                         "pillar. [1]")]
    said = said_before(history)
    assert "[1]" not in said and "[2]" not in said
    assert already_said("The plant makes batteries for electric cars.", said)  # the line break is a space
    assert already_said("Korea invested 14.8 billion dollars in Georgia in 2024.", said)
    assert not already_said("The alliance was signed in 1953.", said)


def test_a_short_run_is_never_taken_as_said():
    said = said_before([assistant("Japan also builds ships. [1]")])
    assert already_said("Japan also builds ships.", said) and not already_said("Japan also", said)


def test_nothing_is_said_without_an_assistant_turn():
    assert said_before([user(FIRST)]) == said_before(None) == ""
    assert not already_said("How much did Korea invest in Georgia in 2024?", said_before([user(FIRST)]))


# ----------------------------------------------------------------------------------------------------- resolve


def test_resolve_without_history_is_the_question_alone(lexical):
    for history in (None, []):
        r = resolve("Who wrote it?", history, lexical, TEXTS, False)
        assert (r.text, r.previous, r.sources, r.follow_up) == ("Who wrote it?", None, frozenset(), False)


def test_resolve_a_self_contained_question_ignores_the_history(lexical):
    question = "When was the alliance with the United States signed?"
    r = resolve(question, HISTORY, lexical, TEXTS, False)
    assert (r.text, r.previous, r.sources, r.follow_up) == (question, None, frozenset(), False)


def test_resolve_leaning_reads_any_question_as_a_follow_up(lexical):
    # the searcher's call, when the question read alone is about nothing the papers say; without history, none
    question = "When was the alliance with the United States signed?"
    r = resolve(question, HISTORY, lexical, TEXTS, False, leaning=True)
    assert r.follow_up and r.text == f"{question} {FIRST}" and r.sources == {"a"}
    assert not resolve(question, [], lexical, TEXTS, False, leaning=True).follow_up


def test_resolve_a_follow_up_joins_the_last_user_turn_and_its_answers_document(lexical):
    r = resolve("Who wrote it?", HISTORY, lexical, TEXTS, False)
    assert r.follow_up
    assert r.text == f"Who wrote it? {FIRST}"
    assert r.previous == FIRST
    assert r.sources == {"a"}  # the last answer quoted document a


AUTHORS = [user("Who wrote the brief?"), assistant("It was written by Anthony B. Kim and Derrick Morgan. [1]")]


@pytest.mark.parametrize(("question", "own"), [
    ("And what position does the second of them hold?", "And what position does Derrick Morgan hold?"),
    ("Where does the latter work?", "Where does Derrick Morgan work?"),
    ("What about the first one?", "What about Anthony B. Kim?"),
    ("Who is the third author?", None),  # the answer gave two names
    ("What does the second Trump Administration want?", None),  # "second" of no names
])
def test_named_by_place_is_the_name_at_that_place_in_the_last_answer(question, own):
    assert named_by_place(question, AUTHORS) == own


def test_named_by_place_counts_people_not_the_publisher_named_before_them():
    history = [user("who wrote the heritage paper"),
               assistant("The Heritage Foundation paper was written by Anthony B. Kim and Derrick Morgan.")]
    assert named_by_place("what's the second one's job", history) == "what's Derrick Morgan's job"


def test_resolve_a_follow_up_pointing_at_a_name_by_its_place_asks_about_that_name(lexical):
    r = resolve("And what position does the second of them hold?", AUTHORS, lexical, TEXTS, False)
    assert r.follow_up and r.own == "And what position does Derrick Morgan hold?"
    assert r.text.startswith(r.own)
    assert resolve("Who wrote it?", HISTORY, lexical, TEXTS, False).own is None


def test_resolve_a_chain_of_follow_ups_reaches_back_to_the_topic(lexical):
    history = [*HISTORY, user("And China?"), assistant("China is the largest trading partner of Korea. [2]")]
    r = resolve("What about Japan?", history, lexical, TEXTS, False)
    # "And China?" is itself a follow-up, so the turn before it joins too, most recent first
    assert r.text == f"What about Japan? And China? {FIRST}"
    assert r.previous == "And China?"
    assert r.sources == {"b"}  # the last answer's document, not the first one's


def test_resolve_stops_at_the_first_self_contained_turn(lexical):
    history = [user("Why did Korea build ships?"), *HISTORY]
    r = resolve("And China?", history, lexical, TEXTS, False)
    assert r.text == f"And China? {FIRST}"  # FIRST stands alone: the earlier turn does not join


def test_resolve_sources_from_the_last_assistant_turn_that_quoted(lexical):
    history = [*HISTORY, user("And Japan?"), assistant("The documents do not say.")]
    r = resolve("What about China?", history, lexical, TEXTS, False)
    # the last answer quoted nothing: the one before it did
    assert r.sources == {"a"}
    assert r.text == f"What about China? And Japan? {FIRST}"


def test_resolve_no_sources_when_no_answer_quoted(lexical):
    r = resolve("And in 2023?", [user(FIRST), assistant("The documents do not say.")], lexical, TEXTS, False)
    assert r.follow_up and r.sources == frozenset()


def test_resolve_the_other_paper_is_every_other_document(lexical):
    r = resolve("What about the other paper?", HISTORY, lexical, TEXTS, False)
    assert r.follow_up and r.only  # the search is confined to them
    assert r.sources == {"b", "c"}  # the last answer quoted a


def test_resolve_the_other_paper_even_with_words_of_its_own(lexical):
    r = resolve("What does the other paper say about shipbuilding cooperation?", HISTORY, lexical, TEXTS, False)
    assert r.follow_up and r.only and r.sources == {"b", "c"}


def test_resolve_the_other_paper_than_the_one_the_last_question_named(lexical):
    # the answer between them quotes nothing verbatim (a client's own wording): the paper the question named counts
    history = [user("What does paper A say about Georgia?"), assistant("It says Korea invested there.")]
    named = {"What does paper A say about Georgia?": {"a"}}
    r = resolve("Does the other paper give a figure?", history, lexical, TEXTS, False,
                lambda turn: named.get(turn, set()))
    assert r.follow_up and r.only and r.sources == {"b", "c"}
    assert not resolve("Does the other paper give a figure?", history, lexical, TEXTS, False).only  # nothing to go by


def test_resolve_a_paper_the_follow_up_names_is_not_confined(lexical):
    r = resolve("And what does the KIEP paper say about it?", HISTORY, lexical, TEXTS, True)
    assert r.follow_up and not r.only  # "it" still points back; the searcher keeps the paper the question names


def test_resolve_the_other_one_without_a_user_turn(lexical):
    r = resolve("And the other one?", [assistant("The alliance was signed in 1953. [1]")], lexical, TEXTS, False)
    assert (r.text, r.previous, r.sources, r.follow_up) == ("And the other one? The alliance was signed in 1953.", None,
                                                            frozenset({"a", "c"}), True)  # no user turn to inherit from


def test_resolve_the_other_paper_is_looked_for_with_the_opening_words_of_the_answer_it_points_at(lexical):
    # "it" is what the last answer said: its first ANSWER_WORDS words join the earlier question, without the marker
    long_answer = f"{A} [1]"  # 17 words
    r = resolve("How does the other paper talk about it?", [user(FIRST), assistant(long_answer)], lexical, TEXTS, False)
    opening = " ".join(long_answer.split()[:ANSWER_WORDS])
    assert r.text == f"How does the other paper talk about it? {FIRST} {opening}" and r.only
    # a follow-up on the same paper is read with the user turns alone: the answer's sentences are there to be found
    assert "14.8" not in resolve("Why?", HISTORY, lexical, TEXTS, False).text.replace(FIRST, "")


def test_resolve_a_question_naming_its_source_is_not_a_follow_up(lexical):
    question = "What does the paper say about investment in Georgia?"
    assert resolve(question, HISTORY, lexical, TEXTS, True).follow_up is False
    assert resolve(question, HISTORY, lexical, TEXTS, False).follow_up is True


@pytest.mark.parametrize(("question", "earlier", "swapped"), [
    ("And Anthony B. Kim's?", "What is Derrick Morgan's position?", "What is Anthony B. Kim's position?"),
    ("What about Japan?", "What role does Taiwan play in the energy architecture?",
     "What role does Japan play in the energy architecture?"),
    ("And Poland's?", "What is Hungary's role?", "What is Poland's role?"),
    ("And Seoul?", "What is Washington's position?", "What is Seoul's position?"),  # the possessive follows the old
    # not such a fragment: a question word of its own, no name, or two names to choose from
    ("And who wrote it?", "What is Derrick Morgan's position?", None),
    ("And the other author?", "What is Derrick Morgan's role?", None),
    ("And in China?", "How has Korean investment in the US changed?", None),
])
def test_swap_subject(question, earlier, swapped):
    assert swap_subject(question, earlier) == swapped


def test_resolve_a_fragment_that_swaps_the_subject_reads_the_earlier_question_about_the_new_name(lexical):
    history = [user("What is Derrick Morgan's position?"), assistant("Derrick Morgan is Executive Vice President.")]
    r = resolve("And Anthony B. Kim's?", history, lexical, TEXTS, False)
    assert r.follow_up and r.text == "And Anthony B. Kim's? What is Anthony B. Kim's position?"


@pytest.mark.parametrize(("question", "own"), [
    ("What significance does it attach to that initiative?", True),
    ("What effect have those tariffs had so far?", True),
    ("And who wrote it?", True),
    ("And China?", False),
    ("What about Japan?", False),
    ("And what about in 2023?", False),
    ("How about the other paper?", False),
    ("What was it like before 2016?", False),
])
def test_asks_its_own(question, own):
    assert asks_its_own(question) is own
