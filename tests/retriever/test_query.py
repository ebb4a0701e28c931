"""Query analysis: script, numbers, terms, what a question asks about, and the sources it names."""

from __future__ import annotations

import pytest

from retriever.documents import DocumentRecord
from retriever.lexical import Lexical
from retriever.query import Query, is_hangul, missing_numbers, number_match, numbers_in, parse, source_names

CHUNKS = [
    "Korea invested in Georgia.",
    "Korea makes batteries.",
    "The Heritage Foundation studies tariffs.",
]
SOURCES = {"Heritage Foundation": "heritage", "Heritage": "heritage", "KIEP": "kiep"}  # longest first


@pytest.fixture(scope="module")
def lexical():
    return Lexical(CHUNKS)


def query(numbers: list[str]) -> Query:
    return Query(text="", hangul=False, terms=[], numbers=numbers)


def record(doc_id: str, publisher: str | None) -> DocumentRecord:
    return DocumentRecord(doc_id=doc_id, title=doc_id, authors=[], publisher=publisher, date=None, url=None)


# ------------------------------------------------------------------------------------------------------- script


@pytest.mark.parametrize(("text", "expected"), [
    ("헤리티지 보고서의 저자는 누구인가?", True),
    ("Who wrote the KIEP 보고서?", True),  # one Hangul word is enough
    ("ㅎㅎ", True),  # compatibility jamo
    ("Who wrote the KIEP commentary?", False),
    ("日本の投資", False),  # Japanese is not Hangul
    ("", False),
])
def test_is_hangul(text, expected):
    assert is_hangul(text) is expected


# ------------------------------------------------------------------------------------------------------ numbers


def test_numbers_in_drops_thousands_separators():
    assert numbers_in("14,800") == ["14800"]
    assert numbers_in("In 2024 Korea invested $14,800 million, up 3.5% from 2023; 1,234,567 jobs.") == [
        "2024", "14800", "3.5", "2023", "1234567"]


def test_numbers_in_without_numbers():
    assert numbers_in("no figures here") == []


def test_numbers_in_leaves_a_sentence_end_alone():
    assert numbers_in("It rose in 2024. Then 2025, and 30 more.") == ["2024", "2025", "30"]


@pytest.mark.parametrize(("numbers", "text", "share"), [
    (["2024", "14800"], "Investment reached 14,800 in 2023.", 0.5),
    (["2024", "14800"], "In 2024 it reached $14,800.", 1.0),
    (["2024"], "The year 20245 is not 2024's neighbour", 1.0),
    (["2024"], "In 20245 nothing happened.", 0.0),  # whole numbers only, never a substring
    (["2024", "2025", "2030"], "From 2025 to 2030.", 2 / 3),
    ([], "In 2024.", 0.0),  # a question without numbers matches nothing
    (["1"], "Since the first Trump Administration.", 1.0),  # a number up to ten is matched by its word too
    (["2", "10"], "The two papers and ten more.", 1.0),
    (["11"], "Eleven of them.", 0.0),
])
def test_number_match_is_the_share_found(numbers, text, share):
    assert number_match(query(numbers), text) == pytest.approx(share)


@pytest.mark.parametrize(("question", "text", "share"), [
    ("What was it like before 2016?", "Between 2000 and 2015, it averaged $2.6 billion.", 1.0),
    ("What was it like before 2016?", "In 2016 it fell.", 1.0),  # the year itself still matches
    ("What was it like before 2016?", "By 2024 it had surged.", 0.0),
    ("What happened after 2016?", "By 2024 it had surged.", 1.0),
    ("What has changed since 2016?", "Between 2000 and 2015, it averaged $2.6 billion.", 0.0),
    ("What happened in 2016?", "Between 2000 and 2015, it averaged $2.6 billion.", 0.0),
    ("How much was invested before 2016 and in 2024?", "Between 2000 and 2015 ...", 0.5),
    ("What was spent prior to 2016?", "It was 1.2 billion dollars in 2011.", 1.0),
    # a decade is matched by any year in it
    ("What was invested from the early 2000s to the mid-2010s?", "Between 2000 and 2015, it averaged $2.6 billion.",
     1.0),
    ("What was invested in the 2010s?", "By 2024 it had surged.", 0.0),
    ("What was invested in the 1990’s?", "In 1997 it fell.", 1.0),
])
def test_number_match_reads_a_year_asked_before_or_after(lexical, question, text, share):
    assert number_match(parse(question, lexical), text) == pytest.approx(share)


def test_missing_numbers_are_those_no_text_holds(lexical):
    q = parse("What was invested before 2016 and in 2024, and how much in 2030?", lexical)
    texts = ["Between 2000 and 2015 it averaged $2.6 billion.", "By 2024 it had surged."]
    assert missing_numbers(q, texts) == ["2030"]
    assert missing_numbers(q, []) == ["2016", "2024", "2030"]


def test_before_and_after_years(lexical):
    q = parse("How did it change after 2016, and before 2024?", lexical)
    assert (q.numbers, q.before, q.after) == (["2016", "2024"], ("2024",), ("2016",))


# ------------------------------------------------------------------------------------------------------- parse


def test_parse_terms_and_numbers(lexical):
    q = parse("How much did Korea invest in Georgia in 2024?", lexical)
    assert q.terms == ["much", "korea", "invest", "georgia", "2024"]  # stopwords and question words dropped, stemmed
    assert q.numbers == ["2024"]
    assert q.text == "How much did Korea invest in Georgia in 2024?"
    assert not q.hangul and q.sources == frozenset() and q.unknown_names == ()
    assert not q.asks_people and not q.asks_sources


def test_parse_hangul_terms():
    korean = Lexical([*CHUNKS, "한국의 투자는 늘었다."])  # an index with Korean text: Kiwi's content morphemes
    q = parse("2024년 한국의 투자는 얼마인가?", korean)
    assert q.hangul and q.terms == ["2024", "한국", "투자"] and q.numbers == ["2024"]
    q = parse("헤리티지 보고서의 저자는 누구인가?", korean)
    assert q.terms == ["헤리티지", "보고서", "저자"]
    assert q.unknown_names == ()  # Korean words no chunk holds are not names the corpus never uses


def test_parse_hangul_terms_over_english_chunks(lexical):
    q = parse("2024년 한국의 투자는 얼마인가?", lexical)  # no chunk could match a Korean term: whole words stand in
    assert q.hangul and q.terms == ["2024", "년", "한국의", "투자는", "얼마인가"] and q.numbers == ["2024"]


@pytest.mark.parametrize(("question", "people", "sources"), [
    ("Who wrote the brief?", True, False),
    ("What are the authors' positions?", True, False),
    ("Where did Jane Doe earn her PhD?", True, False),
    ("헤리티지 보고서의 저자는 누구인가?", True, False),
    ("Which sources does the paper cite?", False, True),
    ("What data is the figure based on?", False, True),
    ("According to the brief, what rose?", False, False),  # it names where to look, not its sources
    ("According to the endnotes, what rose?", False, True),
    # a person's place in the world, beside a person; not a country's role, nor whether a plan worked
    ("What is his role at the institute?", True, False),
    ("Where does Jane Doe work?", True, False),
    ("What role could Korea play for NATO?", False, False),
    ("Has it worked so far?", False, False),
    # who wrote it, named to say which paper: no question about them
    ("In the Korean author's view, what would Washington gain?", False, False),
    ("What do the authors argue about tariffs?", False, False),
    ("How long would it take, according to the author?", False, False),
    ("Where did Jane Doe earn her doctorate?", True, False),
    ("Where do those investment numbers come from?", False, True),
    ("이 주장의 출처는?", False, True),
])
def test_asks_people_or_sources(lexical, question, people, sources):
    q = parse(question, lexical)
    assert (q.asks_people, q.asks_sources) == (people, sources)


@pytest.mark.parametrize(("question", "named"), [
    ("Derrick Morgan's title?", True),
    ("what does derrick morgan do?", True),  # any case
    ("What did Morgan say?", False),  # a full name only: a surname alone may be anyone's
    ("Who is Derrick Morganson?", False),
])
def test_names_author(lexical, question, named):
    assert parse(question, lexical, author_names=["Derrick Morgan", "Hyok Jung Kim"]).names_author is named


@pytest.mark.parametrize(("question", "personal"), [
    ("How do I say thank you in Korean?", True),
    ("Should I invest in index funds?", True),
    ("where can i buy cheap flights to Seoul?", True),
    ("How can Korea and the US deepen their ties?", False),  # a question about the papers' subject
    ("How do investors see the alliance?", False),
    # everyday help no policy paper gives
    ("What is the Korean word for friend?", True),
    ("how would you say alliance in Korean", True),
    ("Can you give me a simple kimchi jjigae recipe?", True),
    ("When's the best time of year to visit Seoul?", True),
    # ... but a question put impersonally asks what a paper says
    ("how do you fix the uncertainty investors face", False),
    ("What is the best way to attract investment?", False),
])
def test_personal(lexical, question, personal):
    assert parse(question, lexical).personal is personal


def test_who_wrote_it_named_to_say_which_paper_leaves_the_text(lexical):
    # the biographies share the words "Korean" and "author"; the answer is about Washington and payments
    q = parse("What would Washington gain from one-sided payments, in the Korean author's view?", lexical)
    assert q.text.split() == "What would Washington gain from one-sided payments ?".split()
    assert parse("Who is the author?", lexical).text == "Who is the author?"


def test_asks_neither(lexical):
    q = parse("How much did Korea invest in 2024?", lexical)
    assert not q.asks_people and not q.asks_sources


def test_asks_whole_words_only(lexical):
    # "whoever" is not "who", "resourceful" not "source"
    q = parse("Is the resourceful whoever plan viable?", lexical)
    assert not q.asks_people and not q.asks_sources


def test_unknown_names_are_capitalised_words_the_corpus_never_uses(lexical):
    q = parse("What did Biden and Trump say about IRA subsidies for Korea?", lexical)
    assert q.unknown_names == ("Biden", "Trump", "IRA")  # "Korea" is in the corpus; "What" opens the question
    assert q.known_names == 1


def test_a_name_of_a_known_root_or_a_capital_is_known(lexical):
    # "Korean" and "Koreans" share the root of "Korea"; a capital stands for its country
    q = parse("Did Koreans and Tokyo both invest in Georgia's Heritage?", lexical)
    assert q.unknown_names == () and q.known_names == 4
    # four letters of a root at least: "Kor" is no root of "Korea"
    assert parse("Did Kors invest?", lexical).unknown_names == ("Kors",)
    # ... and so does a possessive of one, and the Capitol for the Congress that sits in it
    assert parse("Do the Pentagon's pacts need a vote on Capitol Hill?", lexical).unknown_names == ("Hill",)


def test_a_capital_the_corpus_never_names_is_looked_for_by_its_country(lexical):
    # "Seoul" is in no chunk: the lexical retriever also looks for "Korea" ("ROK" is in none either); "Georgia" is
    # named, and a capital the corpus names is looked for as itself
    assert parse("Did seoul invest?", lexical).terms == ["seoul", "invest", "korea", "rok"]
    assert parse("Did Georgia invest?", lexical).terms == ["georgia", "invest"]
    named = Lexical([*CHUNKS, "Seoul signed."])
    assert parse("Did Seoul invest?", named).terms == ["seoul", "invest"]


def test_a_dotted_abbreviation_is_no_name(lexical):
    assert parse("Where did he earn his Ph.D. in Georgia?", lexical).unknown_names == ()


def test_unknown_names_skip_sentence_openers(lexical):
    assert parse("Biden said what about Korea?", lexical).unknown_names == ()
    assert parse("Is it true? Obama said so.", lexical).unknown_names == ()


def test_unknown_names_match_by_stem(lexical):
    # "Batteries" and "Tariffs" are capitalised but the corpus holds their stems
    assert parse("Are Batteries or Tariffs the story?", lexical).unknown_names == ()


def test_named_publisher_becomes_a_source(lexical):
    q = parse("What did the Heritage Foundation say about tariffs?", lexical, SOURCES)
    assert q.sources == frozenset({"heritage"})
    assert q.text == "What did the say about tariffs?"  # the longest name goes whole, not "Heritage" alone
    assert q.terms == ["say", "about", "tariff"]


def test_a_publisher_named_in_lower_case_is_named_all_the_same(lexical):
    q = parse("what did the heritage foundation say about tariffs", lexical, SOURCES)
    assert q.sources == frozenset({"heritage"}) and q.text == "what did the say about tariffs"


def test_possessive_goes_with_the_name(lexical):
    q = parse("Who wrote the Heritage Foundation’s brief on tariffs?", lexical, SOURCES)
    assert q.text == "Who wrote the brief on tariffs?" and q.sources == frozenset({"heritage"})
    assert q.asks_people


def test_name_stays_when_fewer_than_two_terms_remain(lexical):
    for question in ("What is KIEP?", "KIEP tariffs?"):
        q = parse(question, lexical, SOURCES)
        assert q.sources == frozenset() and q.text == question
        assert "kiep" in q.terms


def test_name_goes_when_exactly_two_terms_remain(lexical):
    q = parse("KIEP tariffs batteries", lexical, SOURCES)
    assert q.sources == frozenset({"kiep"}) and q.text == "tariffs batteries" and q.terms == ["tariff", "batteri"]


def test_name_goes_from_a_korean_question_with_words_of_its_own():
    q = parse("KIEP 필자는 관세 체계를 어떻게 표현했나요?", Lexical([*CHUNKS, "관세 체계"]), SOURCES)
    assert q.sources == frozenset({"kiep"}) and q.text == "필자는 관세 체계를 어떻게 표현했나요?"
    assert q.terms == ["필자", "관세", "체계", "표현"]


def test_two_publishers_named(lexical):
    q = parse("Do KIEP and Heritage agree on tariffs for batteries?", lexical, SOURCES)
    assert q.sources == frozenset({"kiep", "heritage"})
    assert q.text == "Do and agree on tariffs for batteries?"


def test_name_must_be_a_whole_word(lexical):
    q = parse("Heritages tariffs batteries", lexical, SOURCES)
    assert q.sources == frozenset() and q.text == "Heritages tariffs batteries"


def test_numbers_come_from_the_whole_question(lexical):
    q = parse("What did KIEP say about tariffs in 2024?", lexical, SOURCES)
    assert q.sources == frozenset({"kiep"}) and q.numbers == ["2024"]


def test_without_source_names_nothing_is_stripped(lexical):
    q = parse("What did the Heritage Foundation say about tariffs?", lexical)
    assert q.sources == frozenset() and "heritag" in q.terms


# ------------------------------------------------------------------------------------------------ source names

KIEP_PUBLISHER = "Korea Institute for International Economic Policy (KIEP)"
RECORDS = [record("kiep", KIEP_PUBLISHER), record("heritage", "The Heritage Foundation")]


def test_source_names_full_names_and_distinctive_words_longest_first():
    texts = {"kiep": "Korea and the US. KIEP says.", "heritage": "Korea and America. Heritage says."}
    names = source_names(RECORDS, texts)
    assert list(names.items()) == [
        ("Korea Institute for International Economic Policy", "kiep"),  # the parenthesis dropped
        ("The Heritage Foundation", "heritage"),
        ("Heritage Foundation", "heritage"),
        ("Heritage", "heritage"),
        ("KIEP", "kiep"),
    ]
    # "Korea" is in both texts (a topic, not a choice of paper); Institute, Foundation... are organisation words


def test_a_word_in_two_documents_texts_is_no_source_name():
    texts = {"kiep": "Korea. Heritage matters.", "heritage": "Korea. Heritage says."}
    names = source_names(RECORDS, texts)
    assert names == {"Korea Institute for International Economic Policy": "kiep", "KIEP": "kiep"}
    # with no distinctive word left, the Heritage Foundation's full name is dropped too


def test_case_does_not_hide_a_word_in_another_text():
    texts = {"kiep": "the heritage of the alliance", "heritage": "Heritage says."}
    assert "Heritage" not in source_names(RECORDS, texts)


def test_one_document_names_nothing():
    assert source_names(RECORDS[:1], {"kiep": "KIEP"}) == {}
    assert source_names([], {}) == {}


def test_two_documents_of_one_publisher_cannot_be_told_apart():
    records = [record("a", "The Heritage Foundation"), record("b", "The Heritage Foundation")]
    assert source_names(records, {"a": "", "b": ""}) == {}


def test_a_document_without_publisher_names_nothing():
    records = [record("a", None), record("b", "The Heritage Foundation")]
    assert set(source_names(records, {"a": "", "b": ""}).values()) == {"b"}


def test_short_capitalised_words_are_not_names():
    # "Asia" (4 letters) is a name; "Ada" (3 letters, not an acronym) is too short to pick out a publisher
    records = [record("a", "Ada Asia Group"), record("b", "The Heritage Foundation")]
    names = source_names(records, {"a": "", "b": ""})
    assert "Asia" in names and "Ada" not in names and "Group" not in names
