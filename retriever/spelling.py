"""A question's slips of the keyboard, corrected to the papers' own words: "what did the heritge paper say about
semiconducter investmnet" -> "what did the heritage paper say about semiconductor investment".

A misspelt word is a term no chunk holds and a focus word no sentence holds: BM25 loses it, and the reading stage
weighs it as the rarest word of the question, so a question with a slip abstains.  A word is taken for a slip only
when neither the papers nor WordNet know it (an English word or a name WordNet lists is as the person meant it:
"atomic", "Taiwan"; a capitalised word inside a question is a name, which the papers need not write), and it is
corrected only to a word of the papers within ``TYPO`` edits that starts with the same letter (slips rarely hit the
first one) and is nearer than any other.  Over the sixteen question sets that is six questions, one summary more
answered and nothing lost; a person typing on a phone makes more slips than the sets' writers did.  A short word
near no word of the papers is no slip but a code typed in lower case ("usd", "krw", "fdi": ``Speller.codes``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

from bm25s.stopwords import STOPWORDS_EN_PLUS

from .tuning import TYPO

_WORD = re.compile(r"(?<![\w’'-])[A-Za-z][a-z]+(?![\w’'-])")  # a plain word: no acronym, hyphen, digit or name run
# WordNet lists only nouns, verbs, adjectives and adverbs: the other words of English are known by this list (with
# bm25s's stopwords), and a word typed without its apostrophe by the word it shortens ("whats", "doesnt", "others")
_CLOSED = frozenset(STOPWORDS_EN_PLUS) | {"else", "whose", "whom", "whoever", "whatever", "whichever", "upon", "via",
                                         "amongst", "whilst", "unto", "yes", "yeah", "nah", "okay", "thanks", "hello",
                                         "per", "versus", "tldr", "imo", "imho", "btw", "fyi", "asap", "eli5", "idk",
                                         "lol", "omg", "pls", "plz", "thx", "ok"}  # (and chat's words)
_WITHOUT_APOSTROPHE = re.compile(r"(s|nt|t|re|ve|ll|d)$")


def distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``; ``limit + 1`` once past it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before, row = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb))
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, row = row, current
    return row[-1]


class Speller:
    """The papers' words (lower-cased), and what counts as a known word."""

    def __init__(self, texts: Iterable[str], known: Callable[[str], bool]) -> None:
        """``known``: is a (lower-case) word one in its own right beyond the papers' words and the closed words
        (WordNet's, say)."""
        self.words = {w.lower() for text in texts for w in re.findall(r"[A-Za-z]+", text)}
        self._by_letter: dict[str, list[str]] = {}
        for word in self.words:
            if len(word) >= TYPO.shortest:
                self._by_letter.setdefault(word[0], []).append(word)
        self._known = known
        self.corrected = functools.lru_cache(maxsize=4096)(self._corrected)

    def knows(self, lower: str) -> bool:
        """Is ``lower`` a word of English, as typed or without its apostrophe ("whats" is "what's")?"""
        shortened = _WITHOUT_APOSTROPHE.sub("", lower)
        return any(w in _CLOSED or w in self.words or self._known(w) for w in {lower, shortened} if w)

    def _corrected(self, word: str, at_start: bool = False) -> str | None:
        """The papers' word ``word`` was meant to be, or None when it is a word in its own right or no single word
        of the papers is near enough."""
        lower = word.lower()
        if len(lower) < TYPO.shortest or self.knows(lower) or (
                word[0].isupper() and not at_start):  # a name, which the papers need not write
            return None
        limit = TYPO.edits if len(lower) < TYPO.long_word else TYPO.long_edits
        # The nearest word, then the one of the typed length ("tarrifs" is "tariffs" before "tariff"); a word that
        # only adds letters to one of the papers' is a word of its own ("meetup" is no slip for "meet")
        near = sorted((distance(lower, other, limit), abs(len(other) - len(lower)), other)
                      for other in self._by_letter.get(lower[0], ()) if not lower.startswith(other))
        near = [n for n in near if n[0] <= limit]
        if not near or len(near) > 1 and near[1][:2] == near[0][:2]:  # none, or two as near: not ours to choose
            return None
        meant = near[0][2]
        return meant.capitalize() if word[0].isupper() else meant

    def codes(self, question: str) -> list[str]:
        """The words of ``question`` typed in lower case, of three to ``TYPO.acronym`` letters, that are no word of
        English nor of the papers, nor a slip for one: acronyms and codes typed as they are said ("usd to krw rate",
        "the next bts tour", "greenfield fdi").  Two letters are too few to tell ("tl;dr", "pc")."""
        return [m.group() for m in _WORD.finditer(question) if m.group().islower()
                and 3 <= len(m.group()) <= TYPO.acronym and not self.knows(m.group()) and not self.corrected(m.group())]

    def correct(self, question: str) -> str:
        """The question with each slip replaced by the papers' word (``corrected``); otherwise as typed."""
        first = re.search(r"[A-Za-z]", question)
        return _WORD.sub(lambda m: self.corrected(m.group(), bool(first) and m.start() == first.start())
                         or m.group(), question)
