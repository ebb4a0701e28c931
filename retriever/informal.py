"""Chat-speak written out as the papers write it: "how much did korean cos pledge in 23" -> "how much did korean
companies pledge in 2023".

A question typed on a phone shortens words the papers spell in full ("yr", "govt", "b4") and years to two digits.
Every later stage matches the papers' words: an abbreviation is a focus word no sentence holds (so the gate abstains)
and a term no index knows.  The table is the common English texting and note-taking shorthand, not words of any
question set; an entry must read one way only (not "sec": second or secretary; "cos": companies or because; "mil":
million or military), and a single letter counts only typed in lower case ("U.S.", "R&D" are no shorthand).
"""

from __future__ import annotations

import re

from .reading import DIGIT_WORDS

_SHORTHAND: dict[str, str] = {
    "yr": "year", "yrs": "years", "yr's": "year's", "b4": "before", "avg": "average", "approx": "approximately",
    "govt": "government", "gov't": "government", "govts": "governments", "prez": "president", "pres": "president",
    "pts": "points", "recs": "recommendations", "abt": "about", "bc": "because", "cuz": "because", "coz": "because",
    "b/c": "because", "w/": "with", "w": "with", "w/o": "without", "u": "you", "ur": "your", "r": "are", "n": "and",
    "pct": "percent", "bn": "billion", "mln": "million", "tho": "though", "thru": "through", "intl": "international",
    "int'l": "international", "natl": "national", "nat'l": "national", "dept": "department", "mfg": "manufacturing",
    "corp": "corporation", "biz": "business", "info": "information",
    "ppl": "people", "pls": "please", "plz": "please", "thx": "thanks", "diff": "difference", "stats": "statistics",
    "admin": "administration", "amt": "amount", "qtr": "quarter",
    "stateside": "in the US", "ppt": "percentage point", "ppts": "percentage points", "kinda": "kind of",
    "sorta": "sort of", "wanna": "want to", "gonna": "going to", "gotta": "got to", "lotta": "lot of",
}
_WORD = re.compile(r"(?<![\w'’/&.-])(" + "|".join(sorted(map(re.escape, _SHORTHAND), key=len, reverse=True))
                   + r")(?![\w'’/&-]|\.\w)", re.IGNORECASE)
# A year in two digits: "in '23", "since 2016 and '24"; bare, only after "in", "since" ... at the end of a clause ("in
# 23?", not "in 23 countries", nor "from 10 to 20 percent")
_APOSTROPHE_YEAR = re.compile(r"(?<![\w'’])['’](\d\d)\b")
_BARE_YEAR = re.compile(r"\b(in|since|by|during|before|after|until)\s+(\d\d)(?=\s*(?:[?!.,;]|$))", re.IGNORECASE)
_BARE_DOLLAR = re.compile(r"(?<![\w$])\$(?![\s]*[\d])")  # "$" that is no figure: "china factory $" is money
# "the 2 papers": a small count of documents in digits, as the papers' comparisons are asked in words
_COUNT_OF = re.compile(r"\b([2-9])(?=\s+(papers|docs|documents|reports|briefs|pieces|articles|sources)\b)",
                       re.IGNORECASE)


def _century(two: str) -> str:
    """'23 is 2023 and '98 is 1998: the papers' years run from the 1950s to now."""
    return ("19" if int(two) >= 50 else "20") + two


def written_out(question: str) -> str:
    """The question with its shorthand written out; a question with none comes back as it was."""
    text = _WORD.sub(lambda m: m.group(1) if len(m.group(1)) == 1 and m.group(1).isupper()
                     else _SHORTHAND[m.group(1).lower()], question)
    text = _APOSTROPHE_YEAR.sub(lambda m: _century(m.group(1)), text)
    text = _BARE_YEAR.sub(lambda m: f"{m.group(1)} {_century(m.group(2))}", text)
    text = _BARE_DOLLAR.sub("money", text)
    return _COUNT_OF.sub(lambda m: DIGIT_WORDS[m.group(1)], text)
