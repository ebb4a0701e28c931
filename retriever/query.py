"""What a question asks, read before any retrieval: its terms and numbers, its script, the sources it names.

Everything here is a plain function of the question (and of the corpus's vocabulary and publishers), so it is unit
tested on its own; the retrievers and the second stage only read the resulting ``Query``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from . import catalogue
from .documents import DocumentRecord
from .korean import is_hangul
from .lexical import Lexical
from .reading import AFTER_YEAR, BEFORE_YEAR, METONYMS, NUMBER_WORDS, YEARS, capitals_in

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(YEARS)
_SPELLED_WORDS = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
# A decade ("the 2000s", "the mid-2010s"): any year of it in a text matches, as "Between 2000 and 2015" does.
_DECADE = re.compile(r"\b((?:1[89]|20)\d0)['’]?s\b")
# A capitalised word or an acronym that does not open a sentence: a name, unless the corpus uses it.
_NAME = re.compile(r"(?<!^)(?<![.?!:] )\b(?:[A-Z][a-z]+|[A-Z]{2,})\b(?!\.[A-Za-z])")
# Words of a question about sources (it may want the endnotes) or about people (the authors' biographies).
_ASKS_PEOPLE = re.compile(r"\b(who|whom|whose|authors?|wrote|written|writers?|biograph\w*|fellows?|"
                          r"careers?|degrees?|ph\.?d|doctorate|studied|graduated)\b|누구|저자|필자|직책|경력|학위|박사",
                          re.IGNORECASE)
# Words of a person's place in the world ask about people only beside one: "What is his role?", "Where does Kim
# work?", "the first author's post"; "What role could Korea play?" and "Has it worked?" do not.
_PERSON_ROLE = re.compile(r"\b(teams?|members?|positions?|posts?|roles?|jobs?|titles?|worked|works?|working)\b",
                          re.IGNORECASE)
_A_PERSON = re.compile(r"\b(he|him|his|she|her|they|their|them|authors?|writers?|researchers?|"
                       r"(?-i:[A-Z][a-z]+ (?:[A-Z]\. )?[A-Z][a-z]+))\b", re.IGNORECASE)
# "According to the American authors, ...", "in the Korean author's view", "what do the authors argue": a paper named
# by who wrote it, not a question about them.
_ATTRIBUTION = re.compile(
    r"(,\s*)?\b(according to|in) (the |its |their )?([\w’'-]+ ){0,3}(authors?|writers?|researchers?|analysts?)(['’]s?)?"
    r"( view| eyes| opinion| account)?|\b(the|its|their) ([\w’'-]+ ){0,3}(authors?|writers?|researchers?|analysts?) "
    r"(argue|say|think|fear|use|describe|see|reckon|credit|claim|suggest|propose|recommend|believe|warn|worry|"
    r"expect|call|want|urge|point|note|write|envision|consider|view|flag|cite|mention|stress)\w*\b", re.IGNORECASE)
# A request for the asker's own instructions or advice: "How do I ...?", "Should I ...?", "Where can I ...?", and for
# the everyday help no policy paper gives: how to say a thing, a word in a language, a recipe, when to visit.  (Not
# "how do you ...?" nor "the best way to ...": "how do you fix the uncertainty investors face" asks what a paper says.)
_PERSONAL = re.compile(r"^\W*(how (do|can|should|could|would) i|where (can|do|should|could) i|what should i|"
                       r"(can|should|could|may) i)\b|\bhow (do|would|can) (you|i|we) say\b|"
                       r"\b(korean|english) (word|phrase)s? for\b|\brecipes?\b|"
                       r"\bbest (time|months?|season) (of (the )?year )?to (visit|go|travel|see)\b", re.IGNORECASE)
_ASKS_SOURCES = re.compile(r"\b(cit\w*|sources?|references?|endnotes?|footnotes?|reported|reports?|articles?|"
                           r"outlets?|data|published|publications?|accessed|urls?|links?|(come|comes|came) from)\b|"
                           r"출처|인용|각주|미주|자료|보도",
                           re.IGNORECASE)
# Words of an organisation's name that organisations share, so they cannot pick out one publisher.
_ORGANISATION_WORDS = {
    "the", "of", "for", "and", "institute", "foundation", "center", "centre", "council", "university", "international",
    "economic", "economics", "policy", "studies", "research", "national", "association", "society", "press",
    "institution", "school", "group", "office", "department",
}


@dataclass(frozen=True)
class Query:
    text: str  # what the encoders and BM25 read: the question, minus any name of a source it also filters on
    hangul: bool  # written in Hangul, which the English model cannot read
    terms: list[str]
    numbers: list[str]
    sources: frozenset[str] = frozenset()  # doc_ids the question names by publisher ("the Heritage brief")
    unknown_names: tuple[str, ...] = ()  # capitalised words of the question that the corpus never uses
    known_names: int = 0  # ... and how many it does use
    before: tuple[str, ...] = ()  # years the question asks about the time before ("before 2016", "prior to 2016")
    after: tuple[str, ...] = ()  # ... and after ("after 2016", "since 2016")
    decades: tuple[str, ...] = ()  # years that open a decade the question names ("2010" for "the mid-2010s")
    asks_sources: bool = False  # it asks what is cited, reported or published (it may want the endnotes)
    asks_people: bool = False  # it asks about a person or the authors (it may want their biographies)
    asks_paper: bool = False  # it asks for the paper's own record: its title, date, series or publisher
    names_author: bool = False  # it names an author of one of the documents by full name ("Derrick Morgan's title?")
    # it asks for the asker's own instructions or advice ("How do I say thank you in Korean?", "Should I invest ...")
    personal: bool = False


def numbers_in(text: str) -> list[str]:
    """The numbers of a text as written, thousands separators dropped ("14,800" -> "14800")."""
    return [n.replace(",", "") for n in _NUMBER.findall(text)]


def number_match(q: Query, text: str) -> float:
    """Share of the question's numbers (years, figures) that appear verbatim in ``text``; a year asked "before" or
    "after" is also matched by any year of the text on that side of it ("Between 2000 and 2015, ..." is before
    2016), and a decade by any year in it.  A number up to ten is matched by its word too ("Trump 1" by "the first
    Trump Administration", "2 papers" by "two")."""
    if not q.numbers:
        return 0.0
    found = set(numbers_in(text)) | {NUMBER_WORDS[w.lower()] for w in _SPELLED_WORDS.findall(text)}
    years = [int(n) for n in found if _YEAR.fullmatch(n)]

    def matched(n: str) -> bool:
        return n in found or (n in q.before and any(y < int(n) for y in years)) or (
            n in q.after and any(y > int(n) for y in years)) or (
            n in q.decades and any(int(n) <= y < int(n) + 10 for y in years))

    return sum(map(matched, q.numbers)) / len(q.numbers)


def missing_numbers(q: Query, texts: Iterable[str]) -> list[str]:
    """The question's numbers that none of ``texts`` holds, as ``number_match`` reads them ("before 2016" is held by
    2015): what an abstention's reason says the papers do not give."""
    texts = list(texts)
    return [n for n in q.numbers if not any(number_match(replace(q, numbers=[n]), t) for t in texts)]


def parse(question: str, lexical: Lexical, source_names: dict[str, str] | None = None,
          author_names: Collection[str] = ()) -> Query:
    """The question as the retrievers read it.

    With ``source_names`` (from ``source_names``), a publisher's name that picks out one document ("the X piece")
    becomes a preference for that document and leaves the text: otherwise the name drags in whichever passage
    repeats it most (the authors' biographies), not the one that answers.  It stays when too little would be left.
    ``author_names`` (the documents' authors' full names) mark a question about an author as about the papers.
    """
    sources, text = frozenset(), question
    # Any case: "who wrote the kiep commentary" names the KIEP paper as surely as its capitals would.
    named = {name: doc for name, doc in (source_names or {}).items()
             if re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE)}
    if named:
        stripped = " ".join(re.sub(rf"\b({'|'.join(map(re.escape, named))})(['’]s)?\b", " ", text,
                                   flags=re.IGNORECASE).split())
        if len(lexical.terms(stripped)) >= 2:
            sources, text = frozenset(named.values()), stripped
    # ... and so does who wrote it ("in the Korean author's view"): the authors' biographies share those words
    unattributed = " ".join(_ATTRIBUTION.sub(" ", text).split())
    if unattributed != text and len(lexical.terms(unattributed)) >= 2:
        text = unattributed
    # a capital the corpus never names stands for its country, which it does name ("Beijing" is China)
    names = _NAME.findall(question)
    unknown = tuple(w for w in names if not capitals_in((w,)) and lexical.unknown(w))
    # ... and the lexical retriever looks for the country's words too ("pentagon" -> "Department of Defense")
    stands_for = [t for capital in capitals_in(tuple(re.findall(r"[\w’'.-]+", text))) if lexical.unknown(capital)
                  for t in lexical.terms(" ".join(METONYMS[capital]))]
    return Query(
        text=text,
        hangul=is_hangul(question),
        terms=lexical.terms(text) + stands_for,
        numbers=numbers_in(question),
        before=tuple(m.group(1) for m in BEFORE_YEAR.finditer(question)),
        after=tuple(m.group(1) for m in AFTER_YEAR.finditer(question)),
        decades=tuple(m.group(1) for m in _DECADE.finditer(question)),
        sources=sources,
        unknown_names=unknown,
        known_names=len(names) - len(unknown),
        asks_sources=bool(_ASKS_SOURCES.search(question)),
        asks_people=asks_people(question),
        asks_paper=bool(catalogue.asked(question)),
        names_author=any(re.search(rf"\b{re.escape(name)}\b", question, re.IGNORECASE) for name in author_names),
        personal=bool(_PERSONAL.search(question)),
    )


def asks_people(question: str) -> bool:
    """Does the question ask about a person (the authors, someone it names), so that biographies may answer it?"""
    own = _ATTRIBUTION.sub(" ", question)
    return bool(_ASKS_PEOPLE.search(own) or _PERSON_ROLE.search(own) and _A_PERSON.search(own))


def source_names(records: Iterable[DocumentRecord], texts: dict[str, str]) -> dict[str, str]:
    """Names of one document's publisher and no other's, mapped to that doc_id, longest first.

    The publisher's full name ("Korea Institute for International Economic Policy", "The Heritage Foundation") and
    its distinctive words ("KIEP", "Heritage"), so "the Heritage Foundation's brief" loses the whole name.  A word
    is distinctive when it is no common word of organisations' names, names one publisher only, and occurs in the
    text of at most one document (``texts``, by doc_id): a place or a subject that several papers write about
    ("Korea") is the topic of a question, not a choice of paper.  With one document there is nothing to choose.
    """
    records = list(records)
    if len(records) < 2:
        return {}
    names: dict[str, set[str]] = {}
    for doc in records:
        publisher = doc.publisher or ""
        full = re.sub(r"\s*\(.*?\)", "", publisher).strip()
        words = {
            w for w in re.findall(r"[A-Z][A-Za-z&-]+", publisher)
            if w.lower() not in _ORGANISATION_WORDS and (w.isupper() or len(w) > 3)
            and _documents_using(w, texts) <= 1
        }
        names[doc.doc_id] = words | ({full, full.removeprefix("The ")} if words and full else set())
    counts = Counter(w for words in names.values() for w in words)
    unique = [(w, doc_id) for doc_id, words in names.items() for w in words if counts[w] == 1]
    return dict(sorted(unique, key=lambda pair: -len(pair[0])))


def _documents_using(word: str, texts: dict[str, str]) -> int:
    pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
    return sum(bool(pattern.search(text)) for text in texts.values())
