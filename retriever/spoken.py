"""Numbers said aloud, written in digits as the papers write them: "how much did korea invest in twenty twenty
four" -> "how much did korea invest in 2024"; "fourteen point eight billion" -> "14.8 billion"; "thirty eight per
cent" -> "38 percent".

A question dictated to a phone or a voice assistant arrives with its years and figures in words.  Every later stage
matches the papers' digits: a year in words is no year (a 2022 figure answers a question about 2024), and a figure in
words is a focus word no sentence holds.  A year is two numbers said one after the other, as English says them
("nineteen fifty three", "twenty oh eight"), or a number of thousands ("two thousand and seventeen").  A single word
up to ten stays a word unless a percent or a scale follows it ("two papers", "one of them" are no figures; later
stages match "two" to "2" themselves), and "million", "billion" and "trillion" stay words, as the papers write them
("$14.8 billion").
"""

from __future__ import annotations

import re

_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_VALUE = {word: n for n, word in enumerate(_UNITS)} | {word: 20 + 10 * i for i, word in enumerate(_TENS)}
_DECADES = {word[:-1] + "ies": 20 + 10 * i for i, word in enumerate(_TENS)}  # "fifties" -> 50
_SCALES = ("million", "billion", "trillion")  # kept as words: "$14.8 billion"

_UNIT = "|".join(_UNITS)
_NONZERO = "|".join(_UNITS[1:10])  # what follows a ten: "thirty eight"
_DIGIT = "|".join(_UNITS[:10])  # a decimal's digits: "point eight"
_TEEN = "|".join(_UNITS[10:])
_TEN = "|".join(_TENS)
# a number below a hundred: "thirty eight", "thirty-eight", "eleven"
_BELOW_100 = rf"(?:(?:{_TEN})(?:[\s-]+(?:{_NONZERO}))?|{_UNIT})"
# ... below a thousand: "two hundred (and) five"
_BELOW_1000 = rf"(?:{_BELOW_100}\s+hundred(?:\s+(?:and\s+)?{_BELOW_100})?|{_BELOW_100})"
# ... below a million: "two thousand (and) seventeen"
_CARDINAL = rf"(?:{_BELOW_1000}\s+thousand(?:\s+(?:and\s+)?{_BELOW_1000})?|{_BELOW_1000})"
_W = r"(?<![\w-])"  # not inside a word
_E = r"(?![\w-])"
# A year said in two halves: "nineteen fifty three", "twenty twenty-four", "twenty oh eight", "nineteen hundred"; a
# decade: "the nineteen fifties"
_CENTURY = r"(?:eighteen|nineteen|twenty)"
_YEAR = re.compile(
    rf"{_W}(?P<century>{_CENTURY})[\s-]+(?:(?P<oh>oh|o)[\s-]+(?P<single>{_UNIT})|(?P<decade>{'|'.join(_DECADES)})|"
    rf"(?P<hundred>hundred)|(?P<rest>(?:{_TEN})(?:[\s-]+(?:{_NONZERO}))?|{_TEEN})){_E}", re.IGNORECASE)
# A figure: a cardinal, perhaps with a decimal part said digit by digit ("fourteen point eight", "two point five")
_FIGURE = re.compile(rf"{_W}(?P<whole>{_CARDINAL})(?:\s+point(?P<decimals>(?:\s+(?:{_DIGIT}))+))?"
                     rf"{_E}(?P<after>\s+(?:percent|per\s*cent|percentage|{'|'.join(_SCALES)})\b)?", re.IGNORECASE)
_PER_CENT = re.compile(r"\bper\s+cent\b", re.IGNORECASE)


def cardinal(words: str) -> int:
    """The value of a cardinal said in words below a million: "two thousand and seventeen" -> 2017."""
    total, current = 0, 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word == "and":
            continue
        if word == "hundred":
            current *= 100
        elif word == "thousand":
            total, current = total + current * 1000, 0
        else:
            current += _VALUE[word]
    return total + current


def _year(m: re.Match[str]) -> str:
    century = _VALUE[m["century"].lower()] * 100
    if m["single"]:
        return str(century + _VALUE[m["single"].lower()])
    if m["decade"]:
        return f"{century + _DECADES[m['decade'].lower()]}s"
    if m["hundred"]:
        return str(century)
    return str(century + cardinal(m["rest"]))


def _figure(m: re.Match[str]) -> str:
    words, after = m["whole"], m["after"] or ""
    value = cardinal(words)
    if not (m["decimals"] or after or re.search(r"[\s-]", words.strip()) or value > 10):
        return m[0]  # "two papers", "one of them": a word, not a figure
    digits = str(value) + ("." + "".join(str(_VALUE[d.lower()]) for d in m["decimals"].split())
                           if m["decimals"] else "")
    return digits + after


def in_digits(question: str) -> str:
    """The question with the years and figures it says in words written in digits; one with none comes back as it
    was."""
    text = _PER_CENT.sub("percent", question)
    text = _YEAR.sub(_year, text)
    return _FIGURE.sub(_figure, text)
