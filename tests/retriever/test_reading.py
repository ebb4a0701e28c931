"""The reading stage: the kind of answer a question asks for, its focus, and which sentences hold such an answer.

All plain rules over text; the only index is a three-text ``Lexical`` whose IDF weights are worked out by hand.
"""

from __future__ import annotations

import math

import pytest

from retriever.lexical import Lexical
from retriever.reading import (NOUNS, SHAPED, acronyms, alternatives, announces, any_author, asking, capitalised,
                               capitals_in, cites, counted, counts, defines, doer, expansion_asked, focus_share,
                               holds, kind_of, lower_case_words, measured, missing_focus, name_of, name_runs,
                               only_bounded, other_names,
                               only_done_to, openers_in_lower_case, opens_personal, own_focus, parts, proper_cases,
                               spell_out, spelled_out_at, stood_for, titles_a_list_item, truecase, wants,
                               with_aliases, with_metonyms, without_words)

# idf = ln(1 + (n - df + .5) / (df + .5)) with n = 3: "korea" is in two texts, "invest" and "georgia" in one,
# and a word no text holds ("texas") weighs ln(1 + 3.5 / .5) = ln 8.
TEXTS = ["Korea invested in Georgia.", "Korea makes batteries.", "Tariffs rose."]
IDF_KOREA = math.log(1 + 1.5 / 2.5)
IDF_ONE = math.log(1 + 2.5 / 1.5)
IDF_UNKNOWN = math.log(8)


@pytest.fixture(scope="module")
def lexical() -> Lexical:
    return Lexical(TEXTS)


def test_idf_values_these_figures_assume(lexical):
    assert lexical.idf["korea"] == pytest.approx(IDF_KOREA)
    assert lexical.idf["invest"] == lexical.idf["georgia"] == pytest.approx(IDF_ONE)
    assert lexical.max_idf == pytest.approx(IDF_UNKNOWN)


# ------------------------------------------------------------------------------------------------------ kind_of


@pytest.mark.parametrize(("question", "kind"), [
    # "how much" is money when the question names something paid, spent or traded ...
    ("How much did Korea invest in Georgia?", "money"),
    ("How much did the United States spend on shipbuilding?", "money"),
    # measured against a whole, an amount is a share
    ("Relative to the size of its economy, how much does Seoul put into its armed forces?", "percent"),
    ("How much does Korea spend on defense relative to GDP?", "percent"),
    # "official" that qualifies a noun asks for no person; "who" set against a common noun asks for none either
    ("What official label has Washington given Seoul?", "other"),
    ("Which official estimated the cost?", "person"),
    ("Who, rather than the state, drives innovation?", "other"),
    ("Who drives innovation, if not the government?", "other"),
    ("Who, rather than Kim, wrote the commentary?", "person"),  # a name set against a name
    ("Who is the engine of progress, rather than governments?", "other"),
    ("Who does the brief credit as the engine of progress — governments or business?", "other"),  # a choice
    ("Who wrote it, Kim or Morgan?", "agent"),  # a choice between names
    # ... and a plain figure otherwise
    ("How much does the alliance matter to voters?", "number"),
    ("How much more would a chip cost in the US than in Taiwan?", "number"),  # "50% more" answers it, not only "$"
    ("making a chip here costs how much extra", "number"),
    ("us trade deficit with korea last year?", "money"),  # no question word: the quantity it names is asked
    ("korea defense budget", "money"),
    ("Is the trade deficit shrinking?", "yesno"),  # a question word: its own kind
    ("How much would a chip cost to make in the US compared with Taiwan?", "number"),  # the comparison comes later
    ("How much did Korea invest in China in 2016?", "money"),
    ("What did the government's shipbuilding proposal cost?", "money"),
    ("Compare what the two papers recommend.", "summary"),  # a full stop, not a question mark, ends it
    # what it recommends a party do is all it recommends; what it recommends on a subject is not
    ("What does the brief recommend Washington do with Seoul?", "summary"),
    ("What does the brief recommend the United States do?", "summary"),
    ("What does the brief recommend on energy?", "proposal"),  # what it prescribes, about something
    ("List the Heritage brief's recommendations.", "summary"),
    # requests, not questions
    ("Explain the Three Seas Initiative.", "definition"),
    ("What is the name of the South Korean company that invested in Philly Shipyard?", "organisation"),
    ("Which Korean conglomerate leads in AI infrastructure?", "organisation"),
    ("What is the KORUS FTA's tariff on Korean steel?", "number"),
    ("Describe the KORUS FTA", "definition"),
    ("How many times larger is the US market?", "number"),
    ("How large is the Korean navy?", "number"),
    ("How many shipyards does Korea operate?", "number"),
    ("What number of jobs were created?", "number"),
    # a quantity named by its noun, not by "how much": the deficit is a sum of money, the population a count
    ("What was the trade deficit in 2023?", "money"),
    ("What is the population of Korea?", "number"),
    ("What percentage of exports went to China?", "percent"),
    ("What share of US imports comes from Korea?", "percent"),
    ("How much of its GDP does Korea spend on defense?", "percent"),  # a part of a whole
    ("What was Korea's share in 2023?", "percent"),
    ("What should companies and government agencies share?", "other"),  # "share" the verb
    ("What portion of the investment went to Georgia?", "percent"),
    ("When was the alliance signed?", "date"),
    ("In what year was the treaty signed?", "date"),
    ("What year did KORUS take effect?", "date"),
    ("Who wrote the paper?", "agent"),  # who did something: a person, an agency or a country
    ("Who will host the next summit?", "agent"),
    ("And who estimated that rate?", "agent"),
    ("Who is the author of the paper?", "person"),  # who someone is: a person
    ("Who was Korea's president in 2017?", "person"),
    ("Whose proposal was adopted?", "person"),
    ("Which agency oversees export controls?", "organisation"),
    ("Which company builds the ships?", "organisation"),
    ("Which country is the largest investor?", "place"),
    ("Where did Hyundai build its plant?", "place"),
    ("List the measures the paper proposes.", "proposal"),  # a list of what it prescribes
    ("Which sectors does the agreement cover?", "list"),
    ("Why did Korea invest in the United States?", "reason"),
    # "what steps did China take" asks for several things, as "which measures" does
    ("What retaliatory steps did China take against Korea after 2016?", "list"),
    ("What economic reprisals did China take?", "list"),
    ("what did beijing do to punish korea after thaad", "list"),  # what was done in answer to something
    ("how did china punish korea economically", "list"),
    ("What did the author do before KIEP?", "other"),  # a career, not things done in answer to something
    # a purpose is a reason too, and a sentence that says what a thing aims at gives it
    ("What are those agreements meant to accomplish?", "reason"),
    ("What is the purpose of the initiative?", "reason"),
    # a yes/no question that goes on from the last one ("And do they ...?") asks yes or no, not what the last asked
    ("And do they need to be approved by Congress?", "yesno"),
    ("What was the reason for the deficit?", "reason"),
    ("What is MASGA?", "definition"),
    ("What does CHIPS stand for?", "definition"),
    ("Is the alliance stronger today?", "yesno"),
    ("Does the paper mention Japan?", "yesno"),
    ("Summarize the paper.", "summary"),
    ("quick rundown of the kiep piece pls", "summary"),
    ("What are the three tasks the KIEP paper lays out?", "summary"),  # the points it enumerates
    ("What challenges does the KIEP paper identify?", "other"),  # the problems it sees, wherever it says so
    ("What are the steps the brief sets out for energy trade?", "list"),  # steps about one thing
    ("Can I get a recap of what the brief proposes?", "summary"),
    ("What highlights the role of Korea in the brief?", "other"),  # the verb, not the highlights of a paper
    ("What are the main points of the brief?", "summary"),
    ("What does the Heritage brief recommend?", "summary"),  # "recommend" closing the question asks for the gist
    ("What are the chief trade policy recommendations of the brief?", "summary"),
    ("What does the Heritage paper argue?", "summary"),  # what it says as a whole
    ("What driving analogy does the author use for the tariffs?", "image"),
    ("What triggered the split in 2016?", "reason"),
    ("What geopolitical row made the two paths part?", "reason"),
    ("What chain reaction does the Korean analyst fear?", "effect"),
    ("If tariffs climb, what could happen among partner countries?", "effect"),
    ("What effect have those tariffs had so far?", "effect"),
    ("Does it give a concrete example?", "example"),
    ("Besides commercial nuclear plants, what technologies should the partnership cover?", "addition"),  # what else
    ("Besides Korea, which country is named?", "place"),  # a kind of its own still decides
    ("Can you name a specific case in point?", "example"),  # "what X made": what X is, it caused
    ("Who is the chipmaker's founder cited in the KIEP commentary?", "person"),  # cited there, not a source question
    ("Which report is cited in the brief for the chip costs?", "source"),
    ("Which metaphor describes the alliance?", "image"),
    ("What does the paper argue about tariffs?", "other"),
    ("Could you list the proposals in the KIEP commentary?", "summary"),
    ("Which recommendations of the brief concern energy?", "proposal"),  # some of them, about something
    # a clause that sets the scene is not the question
    ("When the brief turns to energy, what fuel does it single out?", "other"),
    ("If tariffs keep rising, how many firms might leave?", "number"),
    ("When, according to the brief, did the treaty take effect?", "date"),
    ("Tell me about shipbuilding.", "other"),
    # a query typed as keywords says its kind by a noun at its start or end
    ("korus ratification date", "date"),
    ("date the rdp deal got signed", "date"),
    ("3SI launch year", "date"),
    ("samsung texas investment amount", "money"),
    ("hanwha shipyard purchase price", "money"),
    ("3SI member count", "number"),
    ("korea greenfield investment 2024", "other"),  # no kind's noun
    ("Which year's figure is the amount?", "date"),  # a question word: read as a question, not as keywords
    ("us-korea defense cooperation", "other"),  # no kind's noun
    # a source: what a claim cites, where it was reported; a count "according to the endnotes" stays a count
    ("Which outlet is cited for the chip cost estimate?", "source"),
    ("Where was his estimate reported?", "source"),
    ("Where do those investment numbers come from?", "source"),  # not a place
    ("What data source does the paper cite for import shares?", "source"),
    ("How many agreements does the U.S. have, according to the endnotes?", "number"),
    # "where" inside a what-question is not a place question
    ("What decides where it lies?", "other"),
    ("And where was it built?", "place"),
    # a pronoun names no subject to define: "What was it like?" asks the last question again
    ("What was it like before 2016?", "other"),
    ("What figures does the other paper give on that?", "number"),  # plural as singular
    ("What is the Three Seas Initiative?", "definition"),
    # "rate" the noun asks for a percentage, the verb does not
    ("What is the tariff rate on Korean cars?", "percent"),
    ("At what rate did investment grow?", "percent"),
    ("how does heritage rate korus against other trade deals", "other"),
    # a contraction, with or without its apostrophe, asks as the words it stands for
    ("whats the total dollar amount of the act", "money"),
    ("What’s the trade deficit?", "money"),
    # what was paid is a sum; what was paid attention to is not
    ("And what did it pay?", "money"),
    ("What did Korea pay for the shipyard?", "money"),
    ("What did they pay attention to?", "other"),
    ("where does kiep get its greenfield fdi numbers from", "source"),
    ("where'd heritage get that stat about korea being the biggest investor", "source"),
    ("What data does KIEP rely on for Korea's share of new FDI in the United States?", "source"),
    ("which statistics is that claim based on", "source"),
    ("where's that 38% greenfield stat from", "source"),
    ("whose numbers back up the claim that Korea invests more in the US?", "source"),
    ("Which bureau's data supports the greenfield share?", "source"),
    ("Where is the investment money from?", "place"),  # no figure, statistic or claim: a place
    ("What does Korea rely on for its security?", "other"),  # relying is no source without data
    ("Where did Korea get the money for its plants?", "place"),  # where money came from is no citation
    # what a paper would have done: a sentence that says what should be done holds it
    ("So what does it suggest instead?", "proposal"),
    ("What does the brief recommend for energy trade?", "proposal"),
    ("What kind of partnership does Seoul want?", "other"),  # a wish, not a prescription
    ("what are they pushing for", "proposal"),
    ("tldr of the heritage paper?", "summary"),
    ("Can you sum up the KIEP commentary?", "summary"),
    # a slice of a whole is a share; a level or height a figure of any unit (a tariff's is a rate), not a sum
    ("how big a slice of the worlds imports did the us take in 2024", "percent"),
    ("If US tariffs climb to roughly what level could the edge over China be upended?", "number"),
    ("How high are US tariffs on Korean goods?", "number"),
    ("how many billions did korea promise to invest", "money"),  # a count of a unit of money is a sum
    # a margin one figure exceeds another by is a figure of any unit ("26.3 percent higher"), not a sum
    ("By how much did the US share of global imports exceed China's in 2024?", "number"),
    ("how much did korean investment in the us surpass china in 2024", "number"),
    # keywords that end on a role, or name one: a person
    ("kiep commentary author?", "person"),
    ("Name, please, of the Heritage brief's lead author.", "person"),
    ("authors and tariffs in the kiep paper", "other"),  # the role is not what it ends on
])
def test_kind_of(question, kind):
    assert kind_of(question) == kind


def test_which_agencys_share_is_an_organisation_not_a_percent():
    # the answer to "which agency's share ..." is the agency; the share only says which agency
    assert kind_of("Which agency's share of funding rose?") == "organisation"
    assert kind_of("What share of funding did the agency get?") == "percent"


def test_summary_is_read_before_every_other_kind():
    # "main points" wins over "what are the" (list) and "why" further on (reason)
    assert kind_of("What are the main points, and why do they matter?") == "summary"


def test_who_with_a_percent_word_asks_for_a_name():
    # the share is what someone estimated, not what is asked for
    assert kind_of("Who estimated the 38 percent share?") == "agent"
    assert kind_of("Who is behind the 38 percent share?") == "person"


def test_when_wins_over_how_much():
    assert kind_of("When did investment reach how much?") == "date"


def test_shaped_kinds_and_their_nouns():
    assert set(NOUNS) == set(SHAPED)  # every shaped kind has a noun for "the papers give no <noun> for ..."
    assert NOUNS["money"] == "amount" and NOUNS["date"] == "date or year"


# -------------------------------------------------------------------------------------------------------- holds


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("money", "Korea invested $14.8 billion in Georgia.", True),
    ("money", "Exports reached 14,800 million dollars.", True),
    ("money", "Investment rose to 3 trillion won.", True),
    ("money", "Korea pledged 350 billion for the fund.", True),  # "billion" alone is read as a sum
    ("money", "The plant employs 3,000 workers.", False),  # a number, but no currency or magnitude
    ("money", "Tariffs rose 25 percent.", False),
    ("money", "Korea invested heavily in Georgia.", False),
    ("percent", "Exports grew 38.7 percent last year.", True),
    ("percent", "Exports grew 38.7% last year.", True),
    ("percent", "The gap narrowed by 3 percentage points.", True),
    ("percent", "A large percentage of exports went to China.", False),  # the word without a figure
    ("percent", "Exports grew by 38.7 billion.", False),
    ("date", "The alliance was signed in 1953.", True),
    ("date", "The talks ended on November 7.", True),
    ("date", "Trade grew fast in the 1990s.", True),
    ("date", "The talks may end soon.", False),  # "may" in lower case is no month
    ("date", "The talks ended after 25 rounds.", False),
    ("number", "Korea operates 12 shipyards.", True),
    ("number", "Korea operates three shipyards.", True),
    ("number", "Korea has operated shipyards since 1953.", False),  # a year is a date, not a figure
    ("number", "Korea operates many shipyards.", False),
    ("number", "5. Department of Defense, Federal Register, Vol. 89, No. 37, pp. 13699–13700.", False),  # a citation
    ("number", "[2] See https://example.org/2024/02/23/notice-17 (accessed January 9).", False),
    ("number", "6. There are 28 agreements.", True),  # the note's own number aside, it holds a figure
    ("organisation", "The Ministry of Finance said so.", True),
    ("organisation", "KIEP published the report.", True),  # an acronym names an organisation
    ("organisation", "Hyundai Motor Group invested.", True),
    ("organisation", "Samsung invested.", False),  # a bare name with no organisation word cannot be told
    ("organisation", "the report was published.", False),
    ("place", "Korea invested in Georgia.", True),
    ("place", "Georgia received the investment.", False),  # a capital opening the sentence is no name
    ("place", "Investment rose sharply. It fell later.", False),  # nor one opening the next sentence
])
def test_holds_shapes(kind, text, expected):
    assert holds(kind, text) is expected


@pytest.mark.parametrize("kind", ["definition", "yesno", "summary", "other"])
def test_holds_is_true_for_unshaped_kinds(kind):
    # no shape to look for: every sentence may hold a definition
    assert holds(kind, "") is True
    assert holds(kind, "nothing in particular here") is True


def test_holds_a_list():
    # a sentence that names several things answers a question asking for several
    assert holds("list", "China's measures, including bans on group tours, restrictions on flights, and more.")
    assert holds("list", "Sectors such as shipbuilding and nuclear energy.")
    assert holds("list", "It names shipbuilding, nuclear energy, pharmaceuticals, and AI infrastructure.")
    assert not holds("list", "Tensions over the deployment strained relations in 2016.")


@pytest.mark.parametrize(("text", "expected"), [
    ("The share rose, driven largely by targeted support.", True),
    ("Given bipartisan backing, the measures will be hard to roll back.", True),
    ("Trust eroded because of retaliatory measures.", True),
    ("The pattern diverged after 2016, when tensions over the deployment strained relations.", True),  # what set it off
    ("The retaliation was prompted by the deployment.", True),
    ("RDP agreements aim at reducing defense trade barriers.", True),  # a purpose
    ("The trade deficit stood at 10.3 percent in 2025.", False),
])
def test_holds_a_reason(text, expected):
    # a reason has no shape that gates an answer, but a cause or purpose said outright earns the kind's bonus
    assert holds("reason", text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Such a shift risks triggering a domino effect of countries drifting away.", True),
    ("These restrictions have already contributed to rising costs.", True),
    ("A sharp rise could disrupt the balance.", True),
    ("The effective tariff rate stood at 10.3 percent.", False),
])
def test_holds_an_effect(text, expected):
    # what something would bring about: a sentence that says what it risks, threatens or leads to
    assert holds("effect", text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("For instance, Philly Shipyard is getting revitalized.", True),
    ("Critical goods, such as steel and machinery, remain subject to tariffs.", True),
    ("The shipyard is getting revitalized.", False),
])
def test_holds_an_example(text, expected):
    assert holds("example", text) is expected


def test_holds_an_addition():
    assert holds("addition", "This partnership should also include used fuel management.")
    assert not holds("addition", "Commercial nuclear energy matters.")


@pytest.mark.parametrize(("question", "noun"), [
    ("How many American jobs have Korean greenfield investments created so far?", "jobs"),
    ("how many RDP agreements does the pentagon have", "agreements"),
    ("3SI: how many member nations?", "nations"),
    ("How many billions did Korea promise?", None),  # a unit, not what is counted
    # a ratio counts nothing: "9.3 times the level directed to China" answers it without the word "larger"
    ("How many times larger was Korea's investment in the US than in China?", None),
    ("how many items are on the list", None),  # the kind's own word
    ("How many people speak Korean worldwide?", "people"),  # no focus elsewhere, but what is counted here
    ("How many Korean people live in the US?", "people"),
    # the noun phrase ends at its verb, which WordNet knows as no noun: "belong" is not what is counted
    ("how many nations belong to the three seas initiative", "nations"),
    ("how many korean firms invested in the us", "firms"),
    ("How many nuclear reactors has Korea built?", "reactors"),
])
def test_counted_is_what_how_many_counts(question, noun):
    assert counted(question) == noun


@pytest.mark.parametrize(("question", "noun"), [
    ("What tariff rate does the US apply to Korean automobiles?", "automobiles"),
    ("what's the tariff the us slapped on korean cars this year?", "cars"),
    ("What was the effective US tariff rate on Korean consumer goods as of July 2025?", "goods"),
    ("What percentage of Korea's exports go to the US?", "exports"),
    ("What share of the project cost did the cash grant cover?", "cost"),
    # a share of a whole, or of what the question named before, names no new thing
    ("How does Korea's defense budget stack up, as a share of its economy, against the benchmark?", None),
    ("In 2016, Korea's investment in China equalled what fraction of its US equivalent?", None),
    ("What level could average US import duties climb to?", None),  # no "of", "on" or "to" after the figure's noun
])
def test_measured_is_what_a_rate_or_share_is_of(question, noun):
    assert measured(question) == noun


def test_wants_counts_what_a_rate_is_of(lexical):
    # "10.3 percent on Korean industrial supplies" is no rate on cars: a sentence must name them to answer
    assert wants("What tariff rate does the US apply to Korean cars?", lexical).counted == "cars"
    assert wants("Who sets the tariff rate on cars?", lexical).counted is None  # a name, not a figure
    assert not wants("What tariff rate does the US apply to Korean cars?", lexical).how_many


def test_wants_how_many(lexical):
    w = wants("How many Korean companies have invested?", lexical)
    assert w.counted == "companies" and w.how_many


@pytest.mark.parametrize(("noun", "text", "expected"), [
    ("nations", "The 12 nations are Austria, Bulgaria and Croatia.", True),
    ("companies", "More than 150 Korean companies invested.", True),  # up to three words between
    ("companies", "twelve of the big Korean member companies", False),  # four
    ("companies", "Korean companies committed more than $20 billion.", False),  # a sum counts no companies
    ("companies", "Korean companies took 38 percent of it.", False),  # nor does a share
    ("companies", "In 2023 companies invested.", False),  # nor a year
    ("companies", "Companies invested; 12 nations joined.", False),  # a count of something else
])
def test_counts(lexical, noun, text, expected):
    assert counts(noun, text, lexical) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("It is time to design a coordinated incentive policy and recalibrate tariffs.", True),
    ("Washington should work with Seoul to build ships.", True),
    ("- Encouraging the practical participation of South Korea in the initiative.", True),  # an item of the list
    ("The tariff structure does not appear to be the most effective way.", False),  # a judgement, no prescription
])
def test_holds_a_proposal(text, expected):
    assert holds("proposal", text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("In effect, the regime resembles pressing the accelerator and the brake at once.", True),
    ("Like the bond with Britain, the alliance ties America to a continent.", True),
    ("It works like a tax on its own factories.", True),
    ("Allies like the Republic of Korea invest heavily.", False),  # "like" as "such as" likens nothing
    ("Tariffs rose to 10.3 percent.", False),
])
def test_holds_an_image(text, expected):
    # a figure of speech has no shape that gates, but a sentence that likens one thing to another earns the bonus
    assert holds("image", text) is expected


COMMON = lower_case_words(["the economic alliance of the two countries", "a byline and a date"])


def test_lower_case_words():
    assert lower_case_words(["The Economic alliance", "economic ties, 2024"]) == {"alliance", "ties", "economic"}
    assert {"the", "economic", "alliance"} <= COMMON


@pytest.mark.parametrize(("text", "expected"), [
    ("The paper was written by Hyok Jung Kim.", True),  # never written in lower case: a name
    ("Morris Chang founded the company.", True),
    ("The firm was founded by Anthony B. Kim.", True),  # a middle initial
    ("President Lee met the delegation.", True),  # a title before a capitalised word
    ("The Heritage Foundation published it.", True),  # "who" is often answered by an organisation
    ("The Economic Alliance was formed.", False),  # every word of it is also written in lower case
    ("the plan was approved by parliament.", False),
])
def test_holds_person_given_the_common_words(text, expected):
    assert holds("person", text, COMMON) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("The summit will be hosted by Canada in 2025.", True),  # a country does things too
    ("The rate was estimated by the US Census.", True),
    ("The paper was written by Hyok Jung Kim.", True),
    ("the summit will be held next year.", False),
])
def test_holds_agent_takes_any_name(text, expected):
    assert holds("agent", text, COMMON) is expected
    assert holds("person", text, COMMON) is (expected and "Kim" in text)  # a person's shape alone


def test_holds_person_without_common_words_takes_any_capitalised_pair():
    # without the corpus's lower-case words "The Economic Alliance" looks like a three-word name
    assert holds("person", "The Economic Alliance was formed.") is True
    assert holds("person", "The Economic Alliance was formed.", COMMON) is False


# -------------------------------------------------------------------------------------------------------- wants


@pytest.mark.parametrize(("question", "focus"), [
    ("How much did Korea invest in the early 2000s?", ("Korea", "invest", "early")),
    ("How much did Korea invest in the mid-2010s?", ("Korea", "invest")),
    ("How much did Korea invest, roughly, in plants in 2024 and in the 2010’s?", ("Korea", "invest", "plants", "2024")),
    # nor a year asked from one side: ``number_match`` holds "before 2016" by "Between 2000 and 2015"
    ("What was it like before 2016, or after 2020, in Georgia?", ("Georgia",)),
    # nor is a preposition or the kind's own noun any of it
    ("How much money did firms pledge toward projects, unlike others?", ("firms", "pledge", "projects", "others")),
    ("where'd he get his phd", ("phd",)),  # nor a contracted question word
    ("whats the time difference between new york and seoul", ("time", "new", "york", "seoul")),
])
def test_wants_focus_holds_no_decade_hedge_side_of_a_year_or_preposition(lexical, question, focus):
    assert wants(question, lexical).focus == focus


def test_wants_focus_drops_question_and_kind_words_and_keeps_the_subject_in_order(lexical):
    w = wants("How much did Korea invest in Georgia in 2024?", lexical)
    # "How", "did", "in" carry no index term; "much" is the kind's own word
    assert w.kind == "money"
    assert w.focus == ("Korea", "invest", "Georgia", "2024")
    assert w.focus_terms == ("korea", "invest", "georgia", "2024")  # stemmed, for overlap
    assert w.compare is False and w.shaped


@pytest.mark.parametrize(("question", "asked"), [
    ("I'm writing a memo on tariffs — what rate does KIEP give?", "what rate does KIEP give?"),
    ("For my essay on investment: how much did Korea invest in 2024?", "how much did Korea invest in 2024?"),
    ("Prepping a briefing. When was KORUS signed?", "When was KORUS signed?"),
    ("Quick one for a story - who wrote the brief?", "who wrote the brief?"),
    ("3SI: how many member nations?", "how many member nations?"),
    # a clause that asks itself is no preamble: a compound question keeps both
    ("How do the papers differ — what does Heritage push?", "How do the papers differ — what does Heritage push?"),
    # nor is a hyphen within a word, a comma, or a clause not followed by one that asks
    ("What is the US-Korea trade deficit?", "What is the US-Korea trade deficit?"),
    ("In 2016, how much did Korea invest in China?", "In 2016, how much did Korea invest in China?"),
    ("Tariffs: a threat to the alliance?", "Tariffs: a threat to the alliance?"),
])
def test_asking_is_the_clause_that_asks(question, asked):
    assert asking(question) == asked


@pytest.mark.parametrize(("question", "own"), [
    # a clause about the asker says what they are doing, not what the answer is about
    ("I'm writing a memo on tariffs — what rate does KIEP give?", "what rate does KIEP give?"),
    ("For our strategy team: how much did Korea invest in 2024?", "how much did Korea invest in 2024?"),
    # ... unless the clause that asks points back at it
    ("I'm curious about KORUS: when was it signed?", "I'm curious about KORUS: when was it signed?"),
    # a topic before a colon is what the answer is about
    ("3SI: how many member nations?", "3SI: how many member nations?"),
    # who the asker is, or what they ask for, is about the asker too
    ("Shipyard buyer here - which shipyard got Korean investment?", "which shipyard got Korean investment?"),
    ("Quick check: in what year was the treaty signed?", "in what year was the treaty signed?"),
    ("Need a name fast: who founded TSMC?", "who founded TSMC?"),
    # ... and so is a clause before a comma that speaks of the asker; a comma alone ends no other clause
    ("Colleagues have asked me, and I now ask you, in what year was the treaty signed?",
     "in what year was the treaty signed?"),
    ("In 2016, how much did Korea invest in China?", "In 2016, how much did Korea invest in China?"),
])
def test_own_focus_leaves_out_a_clause_about_the_asker(question, own):
    assert own_focus(question) == own


def test_wants_reads_kind_and_focus_after_a_preamble(lexical):
    w = wants("I'm drafting a memo for my boss — when did Korea invest in Georgia?", lexical)
    assert (w.kind, w.focus) == ("date", ("Korea", "invest", "Georgia"))


def test_wants_focus_of_a_quantity_noun(lexical):
    w = wants("What was the trade deficit in 2023?", lexical)
    assert (w.kind, w.focus) == ("money", ("trade", "deficit", "2023"))


def test_wants_focus_drops_the_percent_word(lexical):
    w = wants("What percentage of exports went to China?", lexical)
    assert (w.kind, w.focus, w.focus_terms) == ("percent", ("exports", "China"), ("export", "china"))


@pytest.mark.parametrize("question", [
    "Besides commercial nuclear plants, what nuclear technologies should the partnership cover?",
    "Other than commercial nuclear plants, what nuclear technologies should the partnership cover?",
    "What nuclear technologies, in addition to commercial plants, should the partnership cover?",
])
def test_wants_focus_drops_what_the_answer_is_not(lexical, question):
    w = wants(question, lexical)
    assert "nuclear" in w.focus and "technologies" in w.focus and "partnership" in w.focus
    assert "commercial" not in w.focus and "plants" not in w.focus


def test_wants_focus_drops_what_the_figure_is_a_share_of(lexical):
    # "relative to the size of its economy" says the answer is a share; the armed forces are what it is of
    w = wants("Relative to the size of its economy, how much does Seoul put into its armed forces?", lexical)
    assert (w.kind, w.focus) == ("percent", ("Seoul", "armed", "forces"))


def test_wants_names_what_a_figure_is_measured_against(lexical):
    w = wants("How does Korea's military budget compare against the benchmark some European allies miss?", lexical)
    assert w.measured_against == ("benchmark", "European", "allies", "miss")
    assert wants("How much did Korea invest in 2016?", lexical).measured_against == ()


def test_wants_knows_when_a_figure_is_asked_for_exactly(lexical):
    assert wants("What exact percentage of its GDP does Korea spend on defense?", lexical).exact
    assert not wants("What percentage of its GDP does Korea spend on defense?", lexical).exact
    assert not wants("What exactly does the brief propose?", lexical).exact  # no figure asked for


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("percent", "Korea spends well above 2 percent of its GDP on defense.", True),
    ("money", "Investment amounted to more than $2.3 billion that year.", True),
    ("money", "Investment amounted to roughly $2.3 billion that year.", False),  # an approximation gives a value
    ("percent", "The rate stood at 10.3 percent, above the 2 percent of 2020.", False),  # one figure said outright
    ("percent", "Korea spends 2.6 percent of its GDP on defense.", False),
    ("money", "Nothing is said of the cost.", False),  # no figure at all is for holds() to judge
])
def test_only_bounded(kind, text, expected):
    assert only_bounded(kind, text) is expected


def test_wants_focus_drops_pronouns_and_grammar_verbs(lexical):
    assert wants("When did they sign it?", lexical).focus == ("sign",)
    assert wants("What's Korea's share?", lexical).focus == ("Korea's",)  # "what's" is "what"
    assert wants("ok thanks, and when did Korea invest?", lexical).focus == ("Korea", "invest")  # a chat's fillers
    # "wrote" and "paper" say where to look and what shape the answer has: nothing is left
    w = wants("Who wrote the paper?", lexical)
    assert (w.kind, w.focus, w.focus_terms) == ("agent", (), ())


def test_wants_focus_text_overrides_where_the_focus_is_read(lexical):
    question = "How much did the Heritage brief say Korea invested?"
    assert wants(question, lexical).focus == ("Heritage", "Korea", "invested")
    # the question without the paper's name: the kind still comes from the question itself
    w = wants(question, lexical, focus_text="How much did the brief say Korea invested?")
    assert (w.kind, w.focus, w.focus_terms) == ("money", ("Korea", "invested"), ("korea", "invest"))


@pytest.mark.parametrize(("question", "compare"), [
    ("How do both papers describe the alliance?", True),
    ("How do the papers differ on tariffs?", True),
    ("Compare the two reports on shipbuilding.", True),
    ("What do the two briefs have in common?", True),
    ("What does the paper say about tariffs?", False),
    ("How much did Korea invest in Georgia?", False),
    # a comparing word about what the papers discuss compares no papers: it must not pull in the other paper
    ("Do those agreements need approval from Congress?", False),
    ("What did Korea invest each year in both the US and China?", False),
    ("How does South Korea's defense spending compare with NATO members?", False),
    ("How do they differ?", True),  # "they": the papers of the conversation
    ("How do the Heritage brief and the KIEP commentary differ on China?", True),  # each paper named
    ("Which paper sounds more optimistic about the alliance?", True),
    ("Do the authors agree on tariffs?", True),
])
def test_wants_compare(lexical, question, compare):
    assert wants(question, lexical).compare is compare


@pytest.mark.parametrize(("question", "recommends"), [
    ("What does the paper recommend?", True),
    ("What policy proposals does it make?", True),
    ("Summarize the paper.", False),
    ("What does the Heritage brief recommend on energy?", True),
    ("What should Washington do about the G7?", True),
    ("What does the brief want to turn the Group of 7 into?", True),
    ("Which policies does KIEP urge?", True),
    ("Summarize the Heritage agenda.", True),  # an agenda is what it proposes
    ("Summarize the tasks the commentary lays out.", True),  # tasks, steps, priorities: what it sets out to do
    ("헤리티지 재단은 무엇을 제안하나요?", True),
    ("What does the Three Seas Initiative support?", False),
    ("Which seas give the initiative its name?", False),
])
def test_wants_recommends(lexical, question, recommends):
    assert wants(question, lexical).recommends is recommends


@pytest.mark.parametrize(("text", "title"), [
    ("- Encouraging the practical participation of South Korea in the Three Seas Initiative (3SI).", True),
    ("• Scaling up energy trade between the U.S. and South Korea.", True),
    ("- Korea's investment relationship with the US has grown significantly.", False),  # a statement, not a title
    ("Encouraging investment is what the paper asks for.", False),  # no bullet: a sentence
    ("- 38 percent in 2022", False),
])
def test_titles_a_list_item(text, title):
    assert titles_a_list_item(text) is title


def test_wants_of_an_unshaped_kind(lexical):
    w = wants("Why did Korea invest in Georgia?", lexical)
    assert (w.kind, w.focus, w.shaped) == ("reason", ("Korea", "invest", "Georgia"), False)


# ------------------------------------------------------------------------------------------ focus share, missing


FOCUS_TOTAL = IDF_KOREA + 2 * IDF_ONE  # Korea, invest, Georgia


def test_focus_share_is_idf_weighted(lexical):
    w = wants("How much did Korea invest in Georgia?", lexical)
    assert focus_share(w, "Korea and Georgia saw investment.", lexical) == pytest.approx(1.0)
    assert focus_share(w, "Korea invested $5 billion.", lexical) == pytest.approx((IDF_KOREA + IDF_ONE) / FOCUS_TOTAL)
    assert focus_share(w, "Nothing to see.", lexical) == 0.0


def test_focus_share_a_rare_word_counts_more(lexical):
    w = wants("How much did Korea invest in Georgia?", lexical)
    georgia = focus_share(w, "Georgia got $5 billion.", lexical)
    korea = focus_share(w, "Korea got $5 billion.", lexical)
    # "georgia" is in one of three texts, "korea" in two
    assert georgia == pytest.approx(IDF_ONE / FOCUS_TOTAL)
    assert korea == pytest.approx(IDF_KOREA / FOCUS_TOTAL)
    assert georgia > korea


def test_focus_share_an_unknown_word_weighs_the_most(lexical):
    w = wants("How much did Korea invest in Texas?", lexical)
    # "texas" is in no text: it weighs ln 8, more than any indexed word
    assert focus_share(w, "Korea invested.", lexical) == pytest.approx(
        (IDF_KOREA + IDF_ONE) / (IDF_KOREA + IDF_ONE + IDF_UNKNOWN))


def test_focus_share_without_focus_is_one(lexical):
    w = wants("Who wrote it?", lexical)
    assert w.focus_terms == ()
    assert focus_share(w, "anything at all", lexical) == 1.0


def test_missing_focus_lists_the_words_no_text_uses(lexical):
    w = wants("How much did Korea invest in Georgia?", lexical)
    assert missing_focus(w, ["Korea invests."], lexical) == ["Georgia"]  # "invests" and "invest" share a stem
    assert missing_focus(w, ["Korea invests.", "Georgia waits."], lexical) == []  # any of the texts will do
    assert missing_focus(w, [], lexical) == ["Korea", "invest", "Georgia"]  # as written, in order


def test_missing_focus_of_the_trade_deficit(lexical):
    w = wants("What was the trade deficit in 2023?", lexical)
    assert missing_focus(w, ["The trade balance in 2023 was negative."], lexical) == ["deficit"]


# ------------------------------------------------------------------------------- headings, names the question gives


@pytest.mark.parametrize("question", [
    "Under which section heading does the commentary argue for a roadmap?",
    "What is the heading of the section on tariffs?",
])
def test_kind_of_a_heading_question(question):
    # the answer is a section title, whatever else the question asks about
    assert kind_of(question) == "heading"


@pytest.mark.parametrize("question, kind", [
    ("Which South Korean company acquired the shipyard?", "organisation"),  # capitalised words between
    ("Which U.S. shipyard is being revitalized?", "organisation"),
    ("To which European nation does it liken the bond?", "place"),
    ("What should firms and officials safeguard?", "other"),  # "firms" is the subject, not what is asked for
])
def test_kind_of_a_wh_noun_after_names(question, kind):
    assert kind_of(question) == kind


def test_without_words_blanks_the_question_names():
    text = "Philly Shipyard is getting revitalized by Hanwha Ocean."
    assert "Philly" not in without_words(text, ("Philly", "Shipyard")) and "Hanwha Ocean" in without_words(
        text, ("Philly", "Shipyard"))
    assert without_words(text, ()) == text


def test_a_name_the_question_gives_is_no_answer():
    # "Which company acquired Philly Shipyard?": the question's own name leaves no organisation to answer with
    text = "It is notable that Philly Shipyard is getting revitalized."
    assert holds("organisation", text)
    assert not holds("organisation", without_words(text, ("Philly", "Shipyard")))


def test_where_to_look_is_not_the_focus(lexical):
    """"Under which section heading does it argue ..." is about what the section says, not about sections."""
    w = wants("Under which section heading does the paper argue for moving beyond a binary choice?", lexical)
    assert w.kind == "heading"
    assert w.focus == ("moving", "binary", "choice")



# ------------------------------------------------------------------------------------------------------ acronyms


def test_acronyms_are_the_initials_of_the_words_before_them():
    text = ("Korea should join the Three Seas Initiative (3SI) and sign a Reciprocal Defense Procurement (RDP) "
            "agreement with the North Atlantic Treaty Organization (NATO) and the Group of 7 (G7) in mind.")
    assert acronyms(text) == {"3SI": "Three Seas Initiative", "RDP": "Reciprocal Defense Procurement",
                              "NATO": "North Atlantic Treaty Organization", "G7": "Group of 7"}


@pytest.mark.parametrize("text", [
    "Exports rose sharply (see Table 2).",  # no initials match
    "A note on sources (US).",  # "on sources" are not "United States"
    "The alliance (2025) endures.",  # a year
])
def test_a_parenthesis_that_is_no_acronym_defines_nothing(text):
    assert acronyms(text) == {}


def test_with_aliases_adds_the_other_form_of_what_a_text_uses():
    aliases = {"3SI": "Three Seas Initiative", "RDP": "Reciprocal Defense Procurement"}
    assert with_aliases("The 3SI is notable.", aliases) == "The 3SI is notable. Three Seas Initiative"
    assert with_aliases("Join the three seas initiative.", aliases) == "Join the three seas initiative. 3SI"
    assert with_aliases("RDPs are trade pacts.", aliases) == "RDPs are trade pacts."  # "RDPs" is another word
    assert with_aliases("Nothing here.", aliases) == "Nothing here."


# ---------------------------------------------------------------------------------------------------- definitions


@pytest.mark.parametrize(("text", "says_what_it_is"), [
    ("The Three Seas Initiative was launched to promote connectivity.", True),
    ("The 3SI is one of the most notable initiatives.", True),  # through the acronym the paper defines
    ("RDP agreements, also known as trade agreements, cut barriers.", False),  # not the question's subject
    ("- Encouraging the participation of Korea in the Three Seas Initiative.", False),  # mentions it, says nothing
    ("Korea is a reliable ally of the Three Seas Initiative countries.", False),  # the subject comes after "is a"
])
def test_defines_needs_the_subject_before_what_it_is(text, says_what_it_is):
    lexical = Lexical(["The Three Seas Initiative joins twelve nations.", "Korea signed agreements."])
    w = wants("What is the Three Seas Initiative?", lexical)
    assert w.kind == "definition"
    assert defines(w, text, lexical, {"3SI": "Three Seas Initiative"}) is says_what_it_is


@pytest.mark.parametrize(("text", "names", "stands_for"), [
    ("He earned his Ph.D. in Economics.", ["Hyok", "Kim"], ["Hyok", "Kim"]),
    ("Its share reached 38 percent.", ["KIEP"], ["KIEP"]),
    ("“They remained faithful friends.”", ["Korea"], ["Korea"]),
    ("Hyok Jung Kim is a fellow.", ["Hyok"], []),
    ("The heads of state met.", ["Korea"], []),  # "he" inside a word
    ("Before joining KIEP, he served as a researcher.", ["Kim"], ["Kim"]),  # the subject after an opening phrase
    ("In his speech, President Trump said so.", ["Trump"], []),  # the name is in this very sentence
    ("Before joining KIEP, he served as a researcher.", ["Kim", "PhD"], ["Kim"]),  # "he" is no degree
])
def test_stood_for_is_the_names_an_opening_pronoun_stands_for(text, names, stands_for):
    assert stood_for(text, names) == stands_for


@pytest.mark.parametrize(("text", "personal"), [
    ("He earned his Ph.D. in Economics.", True),
    ("Before joining KIEP, she served as a researcher.", True),
    ("Its share reached 38 percent.", False),  # a thing's, not a person's
    ("Hyok Jung Kim is a fellow.", False),
])
def test_opens_personal_is_a_sentence_about_a_person_named_before_it(text, personal):
    assert opens_personal(text) is personal


@pytest.mark.parametrize(("text", "citation"), [
    ("2. Amanda Chu, “South Korea Emerges as a Top US Investor,” Financial Times, September 18, 2024.", True),
    ("U.S. Bureau of Economic Analysis, data on new investment (accessed September 26, 2025).", True),
    ("Federal Register, Vol. 89, No. 37 (February 23, 2024), pp. 13699–13700.", True),
    ("See https://www.heritage.org/defense for the report.", True),
    ("[1] Ministry of Finance, annual investment report, 2024.", True),  # its parts, and no verb
    ("There are 28 RDP agreements with the following countries: Australia, Austria, Belgium.", False),  # a note's prose
    ("The 12 nations are Austria, Bulgaria, Croatia, and Slovenia.", False),
])
def test_cites(text, citation):
    assert cites(text) is citation


@pytest.mark.parametrize(("question", "acronym"), [
    ("What does KIEP stand for?", "KIEP"),
    ("What does the acronym THAAD stand for?", "THAAD"),
    ("What is KIEP's full name?", "KIEP"),
    ("What is the full name of the RDP?", "RDP"),
    ("What is 3SI short for?", "3SI"),
    ("What does CSP mean?", "CSP"),
    ("What does the brief mean?", None),  # not an acronym
    ("What does Heritage say?", None),
    ("What does the US want?", None),
])
def test_expansion_asked(question, acronym):
    assert expansion_asked(question) == acronym


def test_spelled_out_at():
    text = "He works at the Korea Institute for International Economic Policy (KIEP). The KIEP says so."
    assert spelled_out_at(text, "KIEP") == text.index("Korea Institute")  # initials that skip a word
    assert spelled_out_at(text, "KIEP", "Korea Institute for International Economic Policy") == text.index("Korea")
    assert spelled_out_at("Deploying THAAD strained ties.", "THAAD") is None
    gdp = "their gross domestic product (GDP) on defense"
    assert spelled_out_at(gdp, "GDP", "gross domestic product") == gdp.index("gross")
    assert spelled_out_at(gdp, "GDP") is None  # lower-case words need the name ``acronyms`` found


def test_capitals_in_a_question_and_the_countries_they_stand_for():
    assert capitals_in(("Seoul's", "importance", "Washington's", "position")) == ("Seoul", "Washington")
    assert capitals_in(("Korea", "tariffs")) == ()
    text = "South Korea is an indispensable anchor of America in the Indo-Pacific region."
    assert with_metonyms(text, ("Seoul", "Washington")) == text + " Seoul Washington"
    assert with_metonyms(text, ("Beijing",)) == text  # it does not name China
    assert with_metonyms("Korean firms invested.", ("Seoul",)) == "Korean firms invested."  # "Korean" is no "Korea"
    assert with_metonyms("Seoul agreed with Korea.", ("Seoul",)) == "Seoul agreed with Korea."  # said already
    # the names one country goes by: "America" in a question is the "US" of a text, and the other way round
    assert capitals_in(("Korea", "America", "US")) == ("America", "US")
    assert with_metonyms("The US invested.", ("America",)) == "The US invested. America"
    assert with_metonyms("America invested.", ("US",)) == "America invested. US"
    # a country's adjective that its name does not begin ("Korean" holds "Korea" already), and a name typed in lower
    # case ("pentagon")
    assert capitals_in(("firms", "American", "projects", "pentagon", "Korean")) == ("American", "Pentagon")
    assert with_metonyms("Firms put $20 billion into U.S. projects.", ("American",)).endswith(" American")
    assert with_metonyms("The Department of Defense has 28.", ("Pentagon",)).endswith(" Pentagon")


def test_other_names_write_a_countrys_name_as_it_is_otherwise_named():
    assert other_names("South Korean leader") == ["South Korean leader", "Korean leader"]
    assert other_names("Seoul") == ["Seoul", "Korea", "ROK"]
    assert other_names("North Korea") == ["North Korea"]  # no other name for it
    assert other_names("Seoulite") == ["Seoulite"]  # whole words only


def test_name_runs_are_the_questions_names_next_to_each_other_or_joined_by_a_small_word():
    question = "What does the KIEP paper say about the Inflation Reduction Act and the Department of Defense?"
    names = {"KIEP", "Inflation", "Reduction", "Act", "Department", "Defense"}
    assert name_runs(question, names) == ["KIEP", "Inflation Reduction Act", "Department of Defense"]
    # "and" joins two names as often as it stands in one; two words between are no join
    assert name_runs("CHIPS and Science Act", {"CHIPS", "Science", "Act"}) == ["CHIPS", "Science Act"]
    assert name_runs("KORUS against other American deals", {"KORUS", "American"}) == ["KORUS", "American"]
    assert name_runs("What is it?", set()) == []


def test_truecase_a_question_typed_in_lower_case():
    texts = ["The Korea Institute (KIEP) says Korea invests. How More Can Be Done.", "korea-seoul.html is a file."]
    cases = proper_cases(capitalised(texts), lower_case_words(texts))
    assert cases["kiep"] == "KIEP" and cases["institute"] == "Institute"
    assert "korea" not in cases  # written in lower case somewhere
    assert "how" not in cases and "more" not in cases  # a title's capitals name nothing
    assert truecase("who runs the kiep institute?", cases) == "who runs the KIEP Institute?"
    assert truecase("Who runs the kiep institute?", cases) == "Who runs the kiep institute?"  # typed with capitals


def test_wants_focus_drops_a_requests_own_words(lexical):
    assert wants("I want to know who founded TSMC.", lexical).focus == ("founded", "TSMC")
    assert wants("Please tell me what Korea invested.", lexical).focus == ("Korea", "invested")
    assert wants("I'd like to know who founded TSMC.", lexical).focus == ("founded", "TSMC")


@pytest.mark.parametrize(("question", "name"), [
    ("How much did China invest in the US in 2024?", "China"),
    ("How much did the US invest in Korea?", "US"),
    ("How much did South Korean companies commit to U.S. projects?", "South Korean"),
    ("How much of the world's imports did China take?", "China"),
    ("What share of US investment came from Korea?", None),  # no name does it: nothing to check
])
def test_doer(question, name):
    assert doer(question) == name


@pytest.mark.parametrize(("name", "text", "only"), [
    ("China", "Korea's investments in the US reached $14.8 billion, 9.3 times the level directed to China.", True),
    ("China", "China invested $2 billion in the US.", False),
    ("China", "The US took 14 percent of imports, more than China’s share of 11 percent.", False),  # its own share
    ("China", "Investment grew, with China committing $3 billion to projects.", False),  # "with X doing": X does it
    ("Korea", "Investment in Korea grew.", True),
    ("Korea", "Tariffs rose.", False),  # not there at all: nothing says it is someone else's doing
    # by its other names: the US is the "United States" and "U.S." of a text
    ("US", "Korea became the largest investor in the United States, with $20 billion to U.S. projects.", True),
    ("US", "The United States invested $1 billion.", False),
])
def test_only_done_to(name, text, only):
    assert only_done_to(name, text) is only


@pytest.mark.parametrize(("text", "announcing"), [
    ("Washington should work with Seoul to notch up the partnership by:", True),
    ("The recommendations are as follows: \n", True),
    ("Washington should work with Seoul: the partnership matters.", False),
    ("South Korea is a Major non-NATO ally.", False),
])
def test_announces(text, announcing):
    assert announces(text) is announcing


@pytest.mark.parametrize(("question", "expected"), [
    ("Which shipyard does the brief highlight, and what proposal does the commentary mention?",
     ["Which shipyard does the brief highlight", "what proposal does the commentary mention?"]),
    ("Who wrote it and when?", ["Who wrote it", "when?"]),
    ("Who wrote it? When?", ["Who wrote it?", "When?"]),
    ("What did Korea and Japan invest?", ["What did Korea and Japan invest?"]),  # one question about two things
])
def test_parts_of_a_compound_question(lexical, question, expected):
    assert parts(question) == expected
    assert wants(question, lexical).compound is (len(expected) > 1)


def test_every_kind_shown_by_wording_has_its_wording():
    # a kind in TESTED without wording would score every sentence as holding it
    from retriever.reading import _WORDING, TESTED
    assert set(TESTED) == set(_WORDING)


SPELLED = ["Data on new foreign direct investment in the United States.", "The Institute for Economic Policy and GDP.",
           "The Free Trade Agreement (FTA) and the first trump administration.", "Energy supply and security."]


@pytest.mark.parametrize(("question", "expected"), [
    ("How big was Korea's FDI in China?", "How big was Korea's foreign direct investment in China?"),
    ("What did the IEP say?", "What did the Institute for Economic Policy say?"),  # as written, "for" skipped
    ("What is the GDP?", "What is the GDP?"),  # the corpus writes it: left as it is
    ("Who signed the FTA?", "Who signed the FTA?"),  # two spellings ("first trump administration"), and it is known
    ("Is ESS cheap?", "Is Energy supply and security cheap?"),
    ("Is FTAS cheap?", "Is FTAS cheap?"),  # "and" is no letter's word: "Free Trade Agreement (FTA) and ..." is none
    ("Which SKX firms?", "Which SKX firms?"),  # no spelling at all
    ("What about EU trade?", "What about EU trade?"),  # two letters: too few
])
def test_spell_out_puts_an_acronym_the_corpus_never_writes_in_its_words(question, expected):
    assert spell_out(question, SPELLED, Lexical(SPELLED)) == expected


# ------------------------------------------------------------------------------------------------- synonyms


@pytest.fixture(scope="module")
def papers() -> Lexical:
    # every word in one of three texts: idf ln(1 + 2.5 / 1.5) = ln(8/3); a word in none weighs ln 8
    return Lexical(["US tariff rates rose.", "Korea invested in Seoul.", "Nuclear plants export."])


def test_alternatives_are_synonyms_the_papers_use(papers):
    w = wants("What level could US import duties reach?", papers)
    assert w.focus_terms == ("us", "import", "duti", "reach")
    # "duty" is a tariff in WordNet; "import" and "reach" have no synonym the texts use
    assert alternatives(w, papers, 3) == {"duti": frozenset({"tariff"})}
    assert alternatives(w, papers, 0) == {}
    atomic = wants("Who sells atomic power stations?", papers)
    assert alternatives(atomic, papers, 3) == {"atom": frozenset({"nuclear"})}


def test_a_name_has_no_alternatives(papers):
    # "Seoul" is a capital in WordNet, but the question names the city
    assert alternatives(wants("How much did Seoul invest?", papers), papers, 3) == {}


def test_focus_share_counts_a_synonym_for_its_word(papers):
    w = wants("What level could US import duties reach?", papers)
    known, unknown = math.log(8 / 3), math.log(8)
    total = known + 3 * unknown  # "us" in one text; "import", "duti", "reach" in none
    assert focus_share(w, "US tariff rates rose.", papers) == pytest.approx(known / total)
    assert focus_share(w, "US tariff rates rose.", papers, alternatives(w, papers, 3)) == pytest.approx(
        (known + unknown) / total)  # "duties" weighs as much as ever: its synonym stands in for it


def test_missing_focus_with_a_synonym_present(papers):
    w = wants("What level could US import duties reach?", papers)
    assert missing_focus(w, ["US tariff rates rose."], papers) == ["import", "duties", "reach"]
    assert missing_focus(w, ["US tariff rates rose."], papers, alternatives(w, papers, 3)) == ["import", "reach"]


def test_any_author_leaves_out_a_rank_but_not_an_ordinal():
    assert any_author("Who is the lead author of the Heritage brief?") == "Who is the author of the Heritage brief?"
    assert any_author("its co-authors") == "its authors"
    # "the first author" after a byline is its first name: the conversation resolves it
    assert any_author("what does the first author do") == "what does the first author do"
    assert any_author("Which industries does the US want to lead?") == "Which industries does the US want to lead?"


def test_a_word_capitalised_only_by_where_it_opens_is_written_in_lower_case():
    english = {"looking", "quick", "check", "mutual"}.__contains__
    names = capitalised(["They signed the Mutual Defense Treaty; Korea and Heritage agree. Looking ahead, all is "
                         "well."])
    assert "mutual" in names and "korea" in names and "looking" not in names  # a sentence's first word is no name
    assert openers_in_lower_case("Looking at Heritage, how many?", names, english) == "looking at Heritage, how many?"
    assert openers_in_lower_case("Quick check: when was it?", names, english) == "quick check: when was it?"
    # a name the papers capitalise, a word no dictionary knows, a closed word, a word inside a clause: as typed
    assert openers_in_lower_case("Mutual Defense Treaty: when?", names, english) == "Mutual Defense Treaty: when?"
    assert openers_in_lower_case("Korea's share? Samsung's?", names, english) == "Korea's share? Samsung's?"
    assert openers_in_lower_case("What is it, Quick?", names, english) == "What is it, Quick?"


@pytest.mark.parametrize(("word", "name"), [
    ("Navy-related", "Navy"), ("Korea-based", "Korea"), ("China-focused", "China"),
    ("Korean-made", "Korean-made"), ("US-Korea", "US-Korea"), ("non-NATO", "non-NATO"), ("3SI", "3SI"),
])
def test_name_of_leaves_out_a_tail_that_only_says_about(word, name):
    assert name_of(word) == name
