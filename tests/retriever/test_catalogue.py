"""Questions about a paper itself: which catalogue fields a question asks for, and where the text states them."""

from __future__ import annotations

import pytest

from retriever.catalogue import asked, date_forms, stated_at, unstated, value_of
from retriever.documents import Document

TEXT = "Trade Notes\nWhy Ports Matter\nBy Jane Doe\nMarch 4, 2024\n\nPorts move most goods."


def paper(**record) -> Document:
    fields = {"doc_id": "p", "title": "Why Ports Matter", "authors": ["Jane Doe"], "publisher": "Example Institute",
              "date": "2024-03-04", "url": None, "series": "Trade Notes", **record}
    return Document(**fields, source_file="p.txt", sha256="0" * 64, text=TEXT)


@pytest.mark.parametrize(("question", "fields"), [
    ("When was the KIEP commentary published?", ["date"]),
    ("When did the Heritage brief come out?", ["date"]),
    ("What is the publication date of the brief?", ["date"]),
    ("When was the commentary published, and under which series label?", ["date", "series"]),
    ("Who published the brief?", ["publisher"]),
    ("Who wrote the brief?", ["authors"]),
    ("who are the authors of the heritage piece", ["authors"]),
    # typed as keywords, or asking the name
    ("kiep commentary author?", ["authors"]),
    ("Name, please, of the Heritage brief's author.", ["authors"]),
    ("Which Heritage Special Report is cited, and who wrote it?", []),  # the authors of what a paper cites
    ("Who are the authors of the study cited for that?", []),
    ("Who is the publisher of the KIEP commentary?", ["publisher"]),
    ("Which think tank published the brief?", ["publisher"]),
    ("Which institutions are behind the two papers?", ["publisher"]),
    ("who's behind the kiep piece", ["publisher"]),
    ("what think tanks put out these papers", ["publisher"]),
    ("which think tank is the kiep paper from", ["publisher"]),
    ("Where do these two papers come from?", ["publisher"]),
    ("Which countries does the brief say investment comes from?", []),  # not where the paper is from
    ("Which institutions does the brief say are behind the sanctions?", []),  # not the paper's own
    ("What is the title of the KIEP paper?", ["title"]),
    ("What series is the brief part of?", ["series"]),
    ("What is the Heritage brief's report number?", ["series"]),  # a paper's number is its place in a series
    ("What is the issue brief number?", ["series"]),
    ("What is the report number of the KIEP commentary?", ["series"]),
    ("Which Special Report number does the brief cite?", []),  # the number of a paper it cites, not its own
    # about the papers' subject, not about the papers
    ("When was the Mutual Defense Treaty signed?", []),
    ("When did Korea's investment in China fall?", []),
    ("Which organisations are the authors of the two papers affiliated with?", []),  # where they work, not who
    ("Under which section heading does it discuss tariffs?", []),
])
def test_asked(question, fields):
    assert asked(question) == fields


def test_date_forms():
    assert date_forms("2025-09-27")[:3] == ["2025-09-27", "September 27, 2025", "27 September 2025"]
    assert date_forms("2025-01") == ["2025-01", "January 2025"]
    assert date_forms("2025") == ["2025"]
    assert date_forms("soon") == ["soon"]  # not a date: looked for as written


def test_stated_at_finds_the_value_as_the_text_writes_it():
    doc = paper()
    assert stated_at(doc, "date") == TEXT.index("March 4, 2024")
    assert stated_at(doc, "series") == 0
    assert stated_at(doc, "title") == TEXT.index("Why Ports Matter")
    assert stated_at(doc, "authors") == TEXT.index("Jane Doe")
    assert value_of(paper(authors=["Jane Doe", "Jim Roe"]), "authors") == "Jane Doe and Jim Roe"
    assert stated_at(doc, "publisher") is None  # the record knows it, the text never says it
    assert stated_at(paper(date=None), "date") is None


def test_unstated_says_what_the_record_gives():
    assert unstated(paper(), ["publisher"], "“Why Ports Matter”") == (
        "The text of “Why Ports Matter” does not state its publisher; its catalogue record gives the publisher "
        "Example Institute.")
    assert value_of(paper(date="2024-03"), "date") == "March 2024"
    assert unstated(paper(publisher=None), ["publisher"], "it") == (
        "Neither the text of it nor its catalogue record gives its publisher.")
