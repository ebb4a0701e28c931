"""Questions about a paper itself: who wrote it, when it was published, by whom, in which series, under what title.

Similarity cannot answer them: "When was the KIEP commentary published?" shares no word with the byline
"September 27, 2025".  The paper's catalogue record (``corpus/sources.json``) knows the value; the answer quotes
the place in the paper's own text that states it, so it verifies like any other sentence.  Where the text never
states it (a PDF's date lives only in its metadata), the service says what the catalogue record gives instead of
claiming the papers are silent.
"""

from __future__ import annotations

import re
from datetime import date as Date

from .documents import Document
from .reading import KEYWORD_PERSON

_I = re.IGNORECASE
# The record's fields, and the wording that asks for each about a paper named in the question.
_ASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\b(when|what (date|year|month)|which (date|year|month)|in what year)\b[^?]*\b(publish\w*|"
                        r"releas\w*|issued|writt\w*|dated|come out|came out|appear\w*)|\b(publication|release) date\b|"
                        r"\bdate of (publication|release)\b|\bhow (old|recent)\b", _I)),
    ("publisher", re.compile(r"\b(who|(which|what)( \w+){1,2}) (published|publishes|issued|issues|released)\b|"
                             r"\bpublisher\b|\bwho(['’]s| is| are) behind\b|\b(which|what) (\w+ )?(institutions?|"
                             r"institutes?|organi[sz]ations?|think[- ]?tanks?|bod(y|ies))( \w+)? (behind|produced|"
                             r"put out)\b|"
                             # "which think tanks are the two papers from", "where's the kiep piece from"
                             r"\b(which|what|where)( [\w-]+){0,2}( is|['’]s| are| was| were| do| does| did) (the|these|"
                             r"those|this|that|both|its)( two| 2)?( \w+)? (papers?|briefs?|reports?|commentar(y|ies)|"
                             r"pieces?|articles?|documents?)( come| coming)? from\b", _I)),
    ("series", re.compile(r"\b(which|what) series\b|\bseries (label|name|title|number)\b|\bpart of (a|which|what) "
                          r"series\b|\b(brief|paper|report|commentary|piece|article)['’]s (\w+ )?(number|no\.)|"
                          r"\b(report|issue|brief|paper|publication) (number|no\.) of (the|this|that|its)\b|"
                          r"\bwhat is (the|its) (issue |report )?(brief |paper )?number\b", _I)),
    ("authors", re.compile(r"\bwho (wrote|authored|penned)\b|\bwho(['’]s| is| are| were| was) (the )?"
                           r"(authors?|writers?)\b|\b(written|authored) by whom\b|"
                           r"\bby whom (was|is) (it|the \w+|this \w+) written\b|"
                           # ... and typed as keywords: "kiep commentary author?", "Name of the brief's author."
                           + KEYWORD_PERSON.pattern, _I)),
    ("title", re.compile(r"\btitle of (the|this|that|its|their)\b|\bwhat is (the|this|that) \w+ (called|titled)\b|"
                         r"\b(what|which) title\b|\bwhat is (it|its title) called\b", _I)),
)


# "Which report is cited, and who wrote it?" asks for the authors of what a paper cites, not of the paper
_CITED = re.compile(r"\b(cit(e|es|ed|ing)|sources?|stud(y|ies)|(end|foot)?notes?)\b", _I)


def asked(question: str) -> list[str]:
    """The catalogue fields a question asks for ("When was it published, and in which series?": date, series)."""
    return [name for name, pattern in _ASKS if pattern.search(question)
            and not (name == "authors" and _CITED.search(question))]


def date_forms(value: str) -> list[str]:
    """How a text may write a catalogue date: "2025-09-27" as "September 27, 2025", "27 September 2025" ...;
    "2025-01" as "January 2025"."""
    parts = value.split("-")
    try:
        day = Date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return [value]
    month = day.strftime("%B")
    if len(parts) == 2:
        return [value, f"{month} {day.year}"]
    if len(parts) == 1:
        return [value]
    return [value, f"{month} {day.day}, {day.year}", f"{day.day} {month} {day.year}",
            f"{month[:3]}. {day.day}, {day.year}", f"{month[:3]} {day.day}, {day.year}"]


def value_of(doc: Document, field: str) -> str | None:
    """The record's value for a field, as a person reads it."""
    value = getattr(doc, field, None)
    if not value:
        return None
    if isinstance(value, (list, tuple)):  # the authors
        return " and ".join(value)
    if field == "date":
        forms = date_forms(str(value))
        return forms[1] if len(forms) > 1 else forms[0]
    return str(value)


def stated_at(doc: Document, field: str) -> int | None:
    """Where the paper's own text first states the field's value (None: it does not)."""
    value = getattr(doc, field, None)
    if not value:
        return None
    forms = date_forms(str(value)) if field == "date" else list(value) if isinstance(value, (list, tuple)) else [
        str(value)]
    found = [m.start() for form in forms for m in [re.search(re.escape(form), doc.text, _I)] if m]
    return min(found) if found else None


def unstated(doc: Document, fields: list[str], name: str) -> str:
    """The reason given when the text states none of the fields: what the catalogue record says instead."""
    known = [f"the {f} {value_of(doc, f)}" for f in fields if value_of(doc, f)]
    what = " and ".join(fields)
    if not known:
        return f"Neither the text of {name} nor its catalogue record gives its {what}."
    return f"The text of {name} does not state its {what}; its catalogue record gives {' and '.join(known)}."
