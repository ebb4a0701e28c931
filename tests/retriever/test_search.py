"""Retrieval over the real index: ranking, fusion, filters, the answer object and its offset invariant."""

from __future__ import annotations

import dataclasses
import math

import pytest

from retriever import rank
from retriever.config import RETRIEVERS, SHOWN_PASSAGES
from retriever.schema import Turn
from retriever.tuning import CONFIDENCE, FEATURES, READING, Weights

KIEP = "kiep-2025-korea-us-economic-alliance"
HERITAGE = "heritage-ib5370-us-korea-economic-partnership"
QUESTIONS = [
    "How much did Korea invest in US greenfield projects in 2024?",
    "What share of GDP does South Korea spend on defense?",
    "Which countries belong to the Three Seas Initiative?",
    "Who wrote the KIEP commentary?",
]


def test_greenfield_question_finds_the_figure(searcher):
    answer = searcher.ask(QUESTIONS[0], k=5)
    top = answer.passages[0]
    assert "$14.8 billion" in top.text and "$14.8 billion" in top.highlight.text
    assert top.citation.doc_id == KIEP and top.citation.section == "Introduction"
    assert top.citation.title == "Challenges and Tasks Ahead for the Korea-US Economic Alliance"
    assert not answer.abstained


@pytest.mark.parametrize("method", RETRIEVERS)
@pytest.mark.parametrize("question", QUESTIONS)
def test_offsets_invariant_for_every_passage(searcher, index, method, question):
    answer = searcher.ask(question, k=8, method=method)
    assert 0 < len(answer.passages) <= 8
    assert [p.rank for p in answer.passages] == list(range(1, len(answer.passages) + 1))
    scores = [p.score for p in answer.passages]
    assert scores == sorted(scores, reverse=True)
    for p in answer.passages:
        text = index.documents[p.citation.doc_id].text
        assert text[p.citation.char_start : p.citation.char_end] == p.text
        h = p.highlight
        assert p.citation.char_start <= h.char_start < h.char_end <= p.citation.char_end
        assert text[h.char_start : h.char_end] == h.text
    assert answer.timings_ms["total"] > 0


@pytest.mark.parametrize("question", QUESTIONS + ["How many countries does the U.S. already have RDP agreements with?"])
def test_the_answer_and_the_passage_that_leads_do_not_depend_on_k(searcher, question):
    # the reading stage reads Reading.depth passages whatever k is, so a client asking for fewer sees the same lead
    few, many = searcher.ask(question, k=2), searcher.ask(question, k=10)
    assert len(few.passages) == 2 and few.passages == many.passages[:2]
    assert few.answer.sentences[0] == many.answer.sentences[0]
    assert all(s.passage <= 2 for s in few.answer.sentences)


def test_footnotes_travel_with_the_passage(searcher):
    answer = searcher.ask("Which Financial Times article reported South Korea as a top US investor?", k=5)
    notes = [f for p in answer.passages for f in p.citation.footnotes]
    assert any("Financial Times" in f.text for f in notes) or any("Financial Times" in p.text for p in answer.passages)
    top_20b = next(p for p in searcher.ask("South Korean companies committed more than $20 billion", k=3).passages
                   if "$20 billion" in p.text)
    assert [f.marker for f in top_20b.citation.footnotes] == ["2"]


@pytest.mark.parametrize("doc_id", [HERITAGE, KIEP])
def test_doc_filter(searcher, doc_id):
    for method in RETRIEVERS:
        for question in ("greenfield investment", "한국의 투자"):
            answer = searcher.ask(question, k=20, doc_ids=[doc_id], method=method)
            found = {p.citation.doc_id for p in answer.passages}
            # The papers hold no Hangul: for a Korean question BM25 honestly finds nothing rather than padding the list
            assert found == (set() if method == "bm25" and question.startswith("한") else {doc_id}), (method, question)


def test_unknown_retriever(searcher):
    with pytest.raises(ValueError, match="unknown retriever"):
        searcher.ask("anything", method="magic")


# ------------------------------------------------------------------------------------- second stage (issue 5)


def test_maxsim_reads_each_chunks_own_tokens(searcher, index):
    """A chunk's own token vectors match it perfectly and match other chunks less: the offsets line up."""
    import numpy as np

    for c in (0, len(index.chunks) // 2, len(index.chunks) - 1):
        own = index.token_vectors[index.token_offsets[c] : index.token_offsets[c + 1]]
        scores = rank.maxsim(index, own, np.arange(len(index.chunks)))
        assert scores[c] == pytest.approx(1.0, abs=1e-2)
        assert np.argmax(scores) == c and np.sort(scores)[-2] < 0.99


def test_naming_a_source_prefers_that_document(searcher):
    """"The KIEP piece" is a filter on the paper, not words to match: the authors' biography repeats "KIEP"."""
    q = searcher.parse("What does the KIEP piece say about incentives and penalties?", name_sources=True)
    assert q.sources == {KIEP} and "KIEP" not in q.text and "incentives" in q.text
    assert searcher.parse("What is KIEP?", name_sources=True).sources == set()  # nothing would be left to match
    full = searcher.parse("What does the Heritage Foundation's brief propose for energy?", name_sources=True)
    assert full.sources == {HERITAGE} and "Heritage" not in full.text and "Foundation" not in full.text
    answer = searcher.ask("What does the KIEP piece say about incentives and penalties?", k=3)
    assert answer.passages[0].citation.doc_id == KIEP
    assert answer.passages[0].citation.section != "About the authors"


def test_second_stage_follows_its_weights(searcher):
    """With one term alone the second stage ranks as that term does; the default blend lifts a paraphrase's answer."""
    import numpy as np

    question = "What knock-on cascade might result if U.S. tariffs rose to record heights?"
    only_bm25 = searcher.with_weights(Weights(**{**{f: 0.0 for f in FEATURES}, "bm25": 1.0}))
    # (at the depth the pipeline reads, whose deeper passages may merge into the first five)
    bm25_order = [p.citation.char_start for p in searcher.ask(question, k=READING.depth, method="bm25").passages[:5]]
    assert [p.citation.char_start for p in only_bm25.ask(question, k=5).passages] == bm25_order
    only_maxsim = searcher.with_weights(Weights(**{**{f: 0.0 for f in FEATURES}, "maxsim": 1.0}))
    r = only_maxsim.retrieve(question, k=50)
    by_maxsim = rank.maxsim(searcher.index, r.vectors.tokens, np.array([x.chunk for x in r.ranked]))
    assert list(by_maxsim) == sorted(by_maxsim, reverse=True)

    def answer_rank(method: str) -> float:
        passages = searcher.ask(question, k=10, method=method).passages
        return next((p.rank for p in passages if "domino effect" in p.text), math.inf)

    assert answer_rank("pipeline") < answer_rank("bm25") and answer_rank("pipeline") <= answer_rank("dense")


def test_highlight_is_one_or_two_adjacent_sentences(searcher, index):
    for question in QUESTIONS:
        for p in searcher.ask(question, k=5).passages:
            c = p.citation  # a passage is one chunk, or chunks that overlapped, merged
            spans = sorted({(a, b) for d, a, b in index.sentence_spans
                            if d == c.doc_id and c.char_start <= a and b <= c.char_end})
            starts, ends = [a for a, _ in spans], [b for _, b in spans]
            assert p.highlight.char_start in starts and p.highlight.char_end in ends
            assert ends.index(p.highlight.char_end) - starts.index(p.highlight.char_start) in (0, 1)


@pytest.mark.parametrize("question", [
    "What is the boiling point of water at sea level?",
    "Who composed the Moonlight Sonata?",
    "How do I teach a puppy to sit?",
])
def test_off_topic_questions_abstain(searcher, question):
    answer = searcher.ask(question, k=3)
    assert answer.abstained and answer.confidence < 0.5
    assert answer.passages  # the nearest passages still come back, for the reader to judge


@pytest.mark.parametrize("question", ["Which planet has the most moons?", "How do wind turbines generate power?"])
def test_a_question_near_one_sentence_but_about_nothing_the_papers_are_about_abstains(searcher, question):
    from retriever.answer import confidence

    r = searcher.retrieve(question, 3)
    assert r.evidence["topicality"] < CONFIDENCE.topic_floor
    # the top passage's sentence and MaxSim alone would have answered: the documents' topics say otherwise
    assert confidence(r.query, {**r.evidence, "topicality": None}) >= 0.5
    assert searcher.ask(question, k=3).abstained


@pytest.mark.parametrize("question", ["What's the weather like in Seoul in April?",
                                      "Recommend a good K-drama to watch this weekend."])
def test_a_far_off_question_naming_korea_abstains_when_no_sentence_is_about_what_it_asks(searcher, question):
    # naming Seoul or Korea passes the topic floor; no top sentence holds much of "weather" and "April", nor says
    # anything close to it (Reading.stray_focus, stray_meaning)
    r = searcher.retrieve(question, 3)
    assert r.evidence["topicality"] >= CONFIDENCE.topic_floor
    answer = searcher.ask(question, k=3)
    assert answer.abstained and answer.answer is None and answer.passages
    assert answer.reason.startswith("These documents do not discuss")
    # a question of the same shape about what the papers do say is answered
    assert not searcher.ask("What does the Heritage brief say about energy trade with Seoul?", k=3).abstained


def test_a_count_of_something_the_papers_never_count_abstains(searcher):
    # the papers count dollars and times, never jobs; a count of agreements they give is answered
    assert searcher.ask("How many American jobs have Korean greenfield investments created?", k=3).abstained
    assert not searcher.ask("How many RDP agreements does the Pentagon have with other countries?", k=3).abstained
    # a sum beside the companies counts none of them ("South Korean companies committing more than $20 billion")
    assert searcher.ask("How many South Korean companies committed money to US projects in 2023?", k=3).abstained
    assert "12 nations" in searcher.ask("How many nations make up the Three Seas Initiative?", k=3).answer.text


def test_on_topic_questions_do_not_abstain(searcher):
    for question in QUESTIONS:
        answer = searcher.ask(question, k=3)
        assert not answer.abstained and answer.confidence >= 0.5, question
    assert searcher.ask(QUESTIONS[0], method="bm25").confidence is None  # only the served pipeline abstains


def test_korean_question_finds_the_english_passage(searcher):
    answer = searcher.ask("한국은 2024년에 미국 그린필드 프로젝트에 얼마를 투자했나요?", k=3)
    assert any("$14.8 billion" in p.text for p in answer.passages)
    assert not answer.abstained


def test_endnotes_and_biographies_answer_only_questions_about_them(searcher):
    apparatus = {"Endnotes", "About the authors"}
    for question in ("Is Korea a big investor in America?", "What does the Heritage paper argue?"):
        assert searcher.ask(question, k=1).passages[0].citation.section not in apparatus, question
    assert searcher.ask("Which article reported Korea as a top US investor?", k=1).passages[0].citation.section == \
        "Endnotes"
    assert searcher.ask("Where did the KIEP author earn his Ph.D.?", k=1).passages[0].citation.section == \
        "About the authors"


def test_a_figure_for_another_country_is_no_answer(searcher):
    # the papers give Korea's share of US greenfield investment by year; a rare name the question gives (Taiwan)
    # must sit beside the figure, so the same question about Taiwan abstains and says what kind of answer is missing
    korea = searcher.ask("What share of US greenfield investment came from Korea in 2023?")
    taiwan = searcher.ask("What share of US greenfield investment came from Taiwan in 2023?")
    assert not korea.abstained and "percent" in korea.answer.text
    assert taiwan.abstained and taiwan.answer is None and "percentage" in taiwan.reason and taiwan.passages


def test_a_heading_question_quotes_the_section_title(searcher, index):
    a = searcher.ask("Under which section heading does the KIEP commentary argue for moving beyond a binary choice "
                     "between the US and China?")
    first = a.answer.sentences[0]
    doc = index.documents[first.doc_id]
    assert any(s.char_start == first.char_start and s.title == first.text for s in doc.sections)
    assert len(a.answer.sentences) >= 2  # the title, then what the section says


def test_a_source_question_quotes_the_endnote_the_claim_cites(searcher, index):
    a = searcher.ask("Which outlet is cited for the TSMC chip cost estimate?")
    quoted = a.answer.sentences
    doc = index.documents[quoted[0].doc_id]
    notes = set(doc.footnotes.values())
    assert any(s.text in notes for s in quoted)  # a whole endnote, verbatim
    for s in quoted:
        assert doc.text[s.char_start:s.char_end] == s.text



def test_the_endnote_a_source_question_quotes_is_in_a_returned_passage(searcher, index):
    # no retriever brings the endnotes for these words: the note the claim cites joins the passages, and leads
    a = searcher.ask("where is the korea greenfield share stat from", k=5)
    notes = [s for s in a.answer.sentences if index.documents[s.doc_id].in_endnotes(s.char_start)]
    assert notes
    for note in notes:
        holder = a.passages[note.passage - 1].citation
        assert holder.doc_id == note.doc_id and holder.char_start <= note.char_start < holder.char_end


def test_a_follow_up_naming_one_paper_reads_that_paper_only(searcher):
    history = [Turn(role="user", content="What does the Heritage brief propose on AI?")]
    a = searcher.ask("And what does the KIEP paper say about it?", history=history)
    assert {p.citation.doc_id for p in a.passages} == {KIEP}


def test_an_acronym_the_paper_defines_stands_for_its_name_when_reading(searcher):
    # the figure's sentence says "The initiative ...", the one before it "The 3SI ...": only the Heritage brief's
    # own "Three Seas Initiative (3SI)" ties them to the name the question gives
    answer = searcher.ask("How many nations are in the Three Seas Initiative?", k=3)
    assert not answer.abstained and "12 nations" in answer.answer.text


def test_a_question_naming_one_paper_is_answered_from_that_paper(searcher):
    # the other paper's author biographies rank among the passages (they match "wrote"), but are not the answer
    answer = searcher.ask("Who wrote the KIEP commentary?", k=5)
    kiep = next(d for d in searcher.doc_ids if d.startswith("kiep"))
    assert {p.citation.doc_id for p in answer.passages} != {kiep}
    assert {s.doc_id for s in answer.answer.sentences} == {kiep}


@pytest.mark.parametrize(("question", "name", "elsewhere"), [
    ("What does the KIEP commentary say about NATO?", "NATO", True),  # the Heritage brief does mention it
    ("Does the Heritage brief mention Samsung?", "Samsung", False),
    ("What does the KIEP paper say about the Inflation Reduction Act?", "Inflation Reduction Act", False),
    # its words are there ("North America and Europe Team", "Korea"), the name is not
    ("What does the KIEP paper say about North Korea?", "North Korea", False),
])
def test_what_a_paper_says_of_a_name_it_never_mentions_is_not_answered(searcher, question, name, elsewhere):
    # its nearest sentences are about something else (the THAAD dispute, a byline): the reason says it never names it
    answer = searcher.ask(question, k=5)
    assert answer.abstained and answer.answer is None and answer.passages
    assert f"never mentions “{name}”" in answer.reason
    assert ("does." in answer.reason) == elsewhere


def test_a_follow_up_about_a_name_its_conversations_paper_never_mentions_is_not_answered(searcher, index):
    history = [Turn(role="user", content="What does the KIEP commentary argue about tariffs?"),
               Turn(role="assistant", content="In effect, the tariff regime resembles pressing both the accelerator "
                                              "and the brake at the same time: rather than moving the economy "
                                              "forward, it risks damaging the broader system. [1]")]
    answer = searcher.ask("Does it mention NATO?", k=5, history=history)
    assert answer.abstained and answer.reason.startswith(f"“{index.documents[KIEP].title}” never mentions “NATO”")
    # ... while one about a name it does mention is answered from it
    history = [Turn(role="user", content="What does the Heritage brief say about energy?"),
               Turn(role="assistant", content="This will be particularly important with regard to commercial nuclear "
                                              "energy. [1]")]
    answer = searcher.ask("Does it say anything about Japan?", k=5, history=history)
    assert not answer.abstained and "Japan" in answer.answer.text


@pytest.mark.parametrize(("question", "name"), [
    ("What do the papers say about the European Union?", "European Union"),
    ("Does either paper mention North Korea?", "North Korea"),  # setting the papers side by side on it
])
def test_a_name_no_paper_mentions_is_not_answered_when_no_one_paper_is_named(searcher, question, name):
    answer = searcher.ask(question, k=5)
    assert answer.abstained and answer.reason.startswith(f"The documents never mention “{name}”")


@pytest.mark.parametrize("question", [
    "What does the Heritage brief say about Japan?",  # it does mention it
    "What does the Heritage brief say about the 3SI?",  # by the acronym it defines
    "What does the KIEP paper say about Beijing?",  # the capital stands for China, which it names
    "What does the KIEP paper say about South Korean investment?",  # "Korean", as it calls the country
    "What does the KIEP commentary say about the CHIPS Act?",  # it writes "CHIPS and Science Act"
    # a name the paper does not use, beside words it does: the question may call its subject by another name
    "What does the Heritage brief say about the Philadelphia shipyard?",
])
def test_what_a_paper_says_of_a_name_it_mentions_in_some_form_is_answered(searcher, question):
    answer = searcher.ask(question, k=5)
    assert not answer.abstained and answer.answer is not None


def test_recommendations_are_the_points_a_paper_enumerates_each_from_its_passage(searcher):
    # the KIEP commentary lists no bulleted recommendations outside its Key Takeaways: it writes "First, ...",
    # "Second, ...", "Third, ..." in prose, in chunks the retrievers do not all bring for the word "recommend"
    answer = searcher.ask("What does the KIEP commentary recommend?", k=5)
    quoted = [s.text for s in answer.answer.sentences]
    # ... each from the title of the section it opens, which names the point
    titles, points = zip(*(t.split("\n\n") for t in quoted))
    assert titles == ("Rethinking Tariffs and Incentives", "Building an Action Plan Together", "Respecting Ambiguity")
    assert [t.split(",")[0] for t in points] == ["First", "Second", "Third"]
    spans = sorted((p.citation.char_start, p.citation.char_end) for p in answer.passages
                   if p.citation.doc_id == answer.answer.sentences[0].doc_id)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))  # no two overlap


def test_a_follow_up_is_answered_from_the_paper_the_conversation_is_about(searcher):
    history = [Turn(role="user", content="Who wrote the KIEP commentary?"),
               Turn(role="assistant", content="By Hyok Jung Kim Associate Research Fellow, Korea Institute for "
                                              "International Economic Policy [1]")]
    answer = searcher.ask("Where does he work?", k=5, history=history)
    kiep = next(d for d in searcher.doc_ids if d.startswith("kiep"))
    assert {p.citation.doc_id for p in answer.passages} != {kiep}  # the other paper's passages come back too ...
    assert {s.doc_id for s in answer.answer.sentences} == {kiep}  # ... but "he" is the KIEP author


def test_a_follow_up_reads_on_from_where_the_last_answer_stopped(searcher):
    # "What else?" has no words of its own to match: the sentence after the quoted one (how Washington covered the
    # cost gap) answers it first, and without the continuation prior something unrelated does
    first = searcher.ask("What did Morris Chang estimate about chip costs?")
    history = [Turn(role="user", content="What did Morris Chang estimate about chip costs?"),
               Turn(role="assistant", content=first.answer.text)]
    assert "50% more" in first.answer.text
    assert "CHIPS and Science Act" in searcher.ask("What else?", history=history).answer.sentences[0].text
    alone = searcher.with_reading(READING.without("follows")).ask("What else?", history=history)
    assert "CHIPS and Science Act" not in alone.answer.sentences[0].text


def test_a_sentence_opening_with_he_answers_for_the_person_named_before_it(searcher):
    # the biography names Hyok Jung Kim in its first sentence; "He earned his Ph.D. ..." comes two sentences later
    answer = searcher.ask("Where did Hyok Jung Kim earn his PhD?", k=3)
    assert not answer.abstained and "University of California" in answer.answer.sentences[0].text


def test_a_sentence_naming_its_subject_by_a_pronoun_after_an_opening_phrase_answers_for_it(searcher):
    # "Before joining KIEP, he served as a researcher at ..." follows "He earned his Ph.D. ...": each answers its own
    # question, the first by the name its "he" stands for, neither by the other's words
    before = searcher.ask("Where did Hyok Jung Kim work before he joined KIEP?", k=3).answer.text
    assert "Industrial Economics and Trade" in before and "Davis" not in before
    degree = searcher.ask("Which university gave Hyok Jung Kim his doctorate?", k=3).answer.text
    assert "University of California" in degree and "Industrial Economics" not in degree


def test_a_question_whose_focus_the_papers_hold_only_far_from_its_meaning_is_stray(searcher):
    # "stronger" and "American" are in sentences about the alliance, "soju" and "beer" nowhere: those sentences hold
    # much of its focus by the words, but none is near what it asks (``Reading.stray_holder_meaning``)
    assert searcher.ask("Is soju stronger than American beer?").abstained
    assert not searcher.with_reading(dataclasses.replace(READING, stray_holder_meaning=0.0)).ask(
        "Is soju stronger than American beer?").abstained


def test_how_many_people_is_not_answered_by_a_figure_about_no_one(searcher):
    # "the world's most capable militaries ... well above 2 percent" holds "Korea" and "world": no count of people
    assert searcher.ask("How many people speak Korean worldwide?").abstained


@pytest.mark.parametrize(("question", "quoted"), [
    # "belong" is the verb of the noun phrase, "nations" what is counted
    ("how many nations belong to the three seas initiative", "12 nations"),
    # "lead" found "a leading South Korean shipbuilder"; a byline names its authors alike
    ("Who is the lead author of the Heritage brief?", "Anthony B. Kim"),
    # a sum was looked for, and "50% more" is none: it abstained
    ("By how much did Morris Chang reckon US chip production would exceed Taiwan's in cost?", "50% more"),
    # "Looking" was a name the answer had to sit beside, and no sentence has it: it abstained
    ("Looking at the Heritage brief, how many RDP agreements are there?", "28 RDP agreements"),
    # "Navy-related" had "related" to sit beside the answer as a name; the Navy is what it names
    ("Which Navy-related shipyard got Korean investment?", "Philly Shipyard"),
    # a paper's author typed as keywords is its byline's, whatever k: at k=3 a biography answered
    ("kiep commentary author?", "By Hyok Jung Kim"),
])
def test_a_question_is_read_as_it_is_meant(searcher, question, quoted):
    answer = searcher.ask(question, k=3)
    assert not answer.abstained and quoted in answer.answer.text


def test_a_terse_question_about_an_author_is_on_topic(searcher):
    # "title?" and a name are too little for the topic signals; an author's full name says it is about the papers
    answer = searcher.ask("Derrick Morgan's title?")
    assert not answer.abstained and "Executive Vice President" in answer.answer.text


def test_a_compound_question_abstains_only_when_no_part_is_answered(searcher):
    # the papers name no buyer and no price; they do name the shipyard and the Korean proposal
    assert searcher.ask("Which South Korean company bought Philly Shipyard, and how much did it pay?").abstained
    both = searcher.ask("Which US shipyard does the Heritage brief highlight, and what Korean proposal does the KIEP "
                        "piece mention?")
    assert not both.abstained and "Philly Shipyard" in both.answer.text


def test_a_question_setting_the_papers_side_by_side_is_not_gated(searcher):
    # "affiliated" is in no biography, but a question about both papers' authors is about the papers by its words
    answer = searcher.ask("Which organisations are the authors of the two papers affiliated with?")
    assert not answer.abstained and "Heritage Foundation" in answer.answer.text
    assert len({s.doc_id for s in answer.answer.sentences}) == 2  # each paper quoted


def test_a_question_in_chat_speak_is_read_as_written_out(searcher):
    # "in 24" is 2024: read as the number 24, "24 percent in 2023" answered it
    answer = searcher.ask("how much did korea put into us greenfield in 24", k=5)
    assert not answer.abstained and "14.8 billion" in answer.answer.text
    assert answer.question == "how much did korea put into us greenfield in 24"  # the question as typed


def test_a_year_said_aloud_is_read_in_digits(searcher):
    # a dictated question: "twenty twenty four" is the year 2024, not the words "twenty" and "four" (before, the
    # 2000-2015 average answered it)
    said = "how much did korean companies invest in greenfield projects in the us in twenty twenty four"
    assert searcher.as_written(said).endswith("in the us in 2024")
    answer = searcher.ask(said, k=3)
    assert not answer.abstained and "$14.8 billion" in answer.answer.text
    assert answer.question == said  # the question as asked


def test_an_acronym_typed_in_lower_case_is_read_as_a_name(searcher):
    # one the papers never spell out is a name they never mention; one they do is left to be read in their words
    assert searcher.as_written("eur to krw rate today") == "EUR to KRW rate today"
    assert searcher.ask("eur to krw rate today", k=3).abstained
    assert "greenfield fdi" in searcher.as_written("korea's greenfield fdi in the us in 2024")


def test_a_question_about_nothing_the_papers_say_alone_is_read_with_its_conversation(searcher):
    history = [Turn(role="user", content="What did China do after the THAAD deployment?"),
               Turn(role="assistant", content="China’s retaliatory economic measures, including bans on group "
                                              "tours [1]")]
    question = "group tours banned how long"
    assert searcher.ask(question, k=5).abstained  # alone: off topic
    answer = searcher.ask(question, k=5, history=history)
    assert not answer.abstained and "bans on group tours" in answer.answer.text
    # ... but a far-off question stays far off: read with the conversation, its own words are still about nothing
    # the papers say, whatever the conversation's words bring near
    far = searcher.ask("How do I make a vegetable lasagna?", k=5, history=history)
    assert far.abstained and "do not discuss" in far.reason


def test_a_question_near_the_papers_only_by_naming_korea_and_the_us_is_off_topic(searcher):
    # every sentence about the alliance is near it in meaning for "US" and "Korea" alone
    far = searcher.ask("Is it safe for US tourists to travel to Korea?", k=5)
    assert far.abstained and "do not discuss" in far.reason
    assert not searcher.ask("Is South Korea a reliable ally of the United States?", k=5).abstained


def test_a_year_the_question_gives_is_no_date_that_answers_it(searcher):
    # "the next G7 summit in 2025" says which summit, not when in 2025 it takes place
    assert searcher.ask("When will the G7 summit in 2025 take place?").abstained
    # ... while a date beside the year it gives still answers: the month of the speech
    speech = searcher.ask("In what month of 2017 did Trump address South Korea's National Assembly?")
    assert not speech.abstained and "November" in speech.answer.text


def test_a_figure_of_what_another_did_is_no_answer(searcher):
    # the papers give Korea's investment in the US, never the US's in Korea
    assert searcher.ask("How much did the US invest in Korea in 2024?").abstained
    # "the largest investor in the United States ... to U.S. projects in 2023": the US receives, whatever the sentence
    # before it says of the U.S.
    assert searcher.ask("How much did the US invest in Korea in 2023?").abstained
    forward = searcher.ask("How much did Korea invest in the US in 2024?")
    assert not forward.abstained and "14.8 billion" in forward.answer.text


@pytest.mark.parametrize(("question", "answer_text"), [
    # the second stage ranks the key takeaways first (they share the words); the passage that gives the figure leads
    ("On what date did Donald Trump address South Korea's National Assembly, as cited at the start of the Heritage "
     "brief?", "November 7, 2017"),
    ("Before becoming a provider of protection to other nations, what role had Seoul played in matters of defense?",
     "security consumer"),
])
def test_the_passage_that_answers_leads(searcher, question, answer_text):
    answer = searcher.ask(question, k=5)
    assert not answer.abstained and answer.answer.sentences[0].passage == 1
    first = answer.passages[0]
    assert first.citation.char_start <= answer.answer.sentences[0].char_start < first.citation.char_end
    assert answer_text in first.text
    bm25 = searcher.ask(question, k=5, method="bm25")  # a retriever alone is compared as it ranks
    assert [p.score for p in bm25.passages] == sorted((p.score for p in bm25.passages), reverse=True)


def test_a_question_about_the_paper_itself_quotes_where_its_text_says_so(searcher):
    answer = searcher.ask("When was the KIEP commentary published, and under which series label?", k=5)
    assert not answer.abstained
    assert [s.text for s in answer.answer.sentences] == ["ROK-US Trade", "September 27, 2025"]
    assert all(s.passage == 1 for s in answer.answer.sentences)


def test_a_question_about_both_papers_themselves_quotes_where_each_says_so(searcher):
    answer = searcher.ask("Which institutions are behind the two papers?", k=5)
    assert not answer.abstained
    assert len({s.doc_id for s in answer.answer.sentences}) == 2
    assert "Heritage Foundation" in answer.answer.text and "Korea Institute for International" in answer.answer.text


def test_who_wrote_a_paper_is_its_byline_and_the_byline_leads(searcher):
    answer = searcher.ask("Who are the authors of the Heritage piece on the partnership?", k=5)
    assert not answer.abstained
    assert [s.text for s in answer.answer.sentences] == ["Anthony B. Kim and Derrick Morgan"]
    assert "Anthony B. Kim and Derrick Morgan" in answer.passages[0].text


def test_a_name_question_is_not_answered_by_its_own_words_however_typed(searcher):
    # the brief names the shipyard and "a leading South Korean company", never which company
    assert searcher.ask("which company took over philly shipyard?", k=5).abstained
    # ... while the noun asked for may be part of the name that answers
    answer = searcher.ask("What US shipyard is being revitalised by a Korean investor?", k=5)
    assert not answer.abstained and "Philly Shipyard" in answer.answer.text


def test_the_endnote_of_the_claim_the_answer_quotes_joins_the_passages_after_it(searcher, index):
    # the claim counts "the 12 nations"; its note names them, and no retriever brings the note for this wording
    answer = searcher.ask("Which nations belong to the Three Seas Initiative?", k=5)
    first = answer.answer.sentences[0]
    assert "12 nations" in first.text and first.passage == 1
    assert "Bulgaria" in answer.passages[1].text
    assert index.documents[answer.passages[1].citation.doc_id].in_endnotes(answer.passages[1].citation.char_start + 5)
    scores = [p.score for p in answer.passages]
    assert scores == sorted(scores, reverse=True)


def test_a_question_about_the_paper_itself_says_what_the_catalogue_gives_when_the_text_does_not(searcher):
    answer = searcher.ask("When was the Heritage brief published?", k=5)
    assert answer.abstained and answer.answer is None and answer.passages
    assert "does not state its date" in answer.reason and "January 2025" in answer.reason


def test_what_an_acronym_stands_for_is_where_a_paper_spells_it_out(searcher):
    answer = searcher.ask("What does KIEP stand for?", k=5)
    assert not answer.abstained
    assert "Korea Institute for International Economic Policy (KIEP)" in answer.answer.sentences[0].text
    unspelled = searcher.ask("What does the acronym THAAD stand for?", k=5)  # KIEP names it, never spells it out
    assert unspelled.abstained and unspelled.answer is None and "never spell it out" in unspelled.reason


def test_capitals_in_a_question_stand_for_their_countries_in_the_papers(searcher):
    # the papers say "South Korea" and "the United States"; the question says "Seoul" and "Washington"
    answer = searcher.ask("To which European nation's tie with Washington does the Heritage brief liken the bond "
                          "with Seoul?", k=5)
    assert not answer.abstained and "Great Britain" in answer.answer.text


def test_a_question_typed_in_lower_case_reads_as_capitalised(searcher):
    answer = searcher.ask("who wrote the kiep commentary", k=5)
    assert answer.question == "who wrote the kiep commentary"  # the question as the user typed it
    assert not answer.abstained and "Hyok Jung Kim" in answer.answer.text
    assert {s.doc_id for s in answer.answer.sentences} == {next(d for d in searcher.doc_ids if d.startswith("kiep"))}


def test_a_follow_up_does_not_quote_again_what_the_last_answer_said(searcher):
    # the sentence that answered the first question matches the follow-up expanded with it best of all; the person
    # has read it, so the answer quotes something new (with ``Reading.said`` off, it comes back first)
    first = "How much more does it cost to make a chip in the US than in Taiwan?"
    said = searcher.ask(first).answer
    history = [Turn(role="user", content=first), Turn(role="assistant", content=said.text)]
    follow = searcher.ask("How did Washington make up for that difference?", history=history)
    assert not follow.abstained and follow.answer.sentences
    assert not [s.text for s in follow.answer.sentences if s.text in said.text]


@pytest.mark.parametrize("k", [5, 10, 20])
def test_a_comparison_shows_both_papers_among_the_passages_shown_by_default(searcher, k):
    answer = searcher.ask("Compare the two papers on China’s role.", k=k)
    assert {p.citation.doc_id for p in answer.passages[:SHOWN_PASSAGES]} == {KIEP, HERITAGE}


def test_a_follow_up_with_little_of_its_own_is_read_with_the_conversation_only(searcher):
    # read alone, "How many of them exist so far?" matches any count; with the conversation, the agreements
    history = [Turn(role="user", content="What are Reciprocal Defense Procurement agreements?"),
               Turn(role="assistant", content="They are trade agreements for direct government procurement. [1]")]
    answer = searcher.ask("How many of them exist so far?", k=5, history=history)
    assert any("28 RDP agreements" in p.text for p in answer.passages)


@pytest.mark.parametrize(("question", "said"), [
    ("In the global atomic energy trade, who are the rivals?", "Russia and China"),  # atomic: nuclear
    ("What level might typical US import duties reach?", "20 percent"),  # duties: tariff
])
def test_a_focus_word_in_other_words_ties_the_answer_by_its_synonym(searcher, question, said):
    # the papers write "nuclear" and "tariff"; without WordNet's synonyms the question's own word is missing beside
    # every figure or name, and the service abstains
    answer = searcher.ask(question, k=3)
    assert not answer.abstained and said in answer.answer.text
    plain = searcher.with_reading(dataclasses.replace(READING, synonyms=0)).ask(question, k=3)
    assert plain.abstained and plain.answer is None


def test_a_synonym_does_not_answer_what_the_papers_do_not_give(searcher):
    # "atomic" is "nuclear", but no sentence counts the reactors Korea has built
    assert searcher.ask("How many atomic reactors has Korea built abroad?", k=3).abstained


def test_a_slip_of_the_keyboard_is_read_as_the_papers_word(searcher):
    typed = "how much greenfeild investmnet did korea make in the us in 2024"
    assert "how much greenfield investment did" in searcher.as_written(typed)
    answer = searcher.ask(typed, k=3)
    assert not answer.abstained and "$14.8 billion" in answer.answer.text
