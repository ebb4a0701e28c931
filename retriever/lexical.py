"""BM25 over chunks (bm25s), and the IDF table that the answer-sentence scorer weighs the question's words by.

One tokenisation for both: lower-cased words, English stopwords and question words dropped, Snowball stems; and for
text that holds Hangul, its Korean content morphemes besides (``retriever.korean``), so Korean documents are found
by their words too.  A Korean question over English papers still leans on the multilingual model: its Korean terms
are in no chunk, only its Latin names and figures can match, so there they are its Hangul words unanalysed.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Mapping
from operator import itemgetter

import numpy as np

from . import korean

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# Dotted abbreviations are one word, as their undotted spelling is: "U.S." is "US", "Ph.D." is "PhD".  One paper
# writes "U.S." and the other "US"; split at the dots, neither matched a question that wrote the other.
_DOTTED = re.compile(r"\b(?:[a-z]{1,3}\.)+[a-z]{1,3}\b\.?")
# The reading stage asks for the terms of the same sentences and windows of sentences for every question (about
# 125 texts a question, a fifth of a question's time in the profile); an index's sentences are few enough to keep.
TERMS_CACHE = 4096
# A question's term is in a text that holds a word of the same family: one stem starting with the other, the
# shorter of at least this many letters.  The stemmer leaves "Korean" and "Korea", "congressional" and "Congress",
# "retaliation" and "retaliatory", "competing" and "competition" apart; a sentence that says "Korea's" holds the
# question's "Korean".  Four or six letters gave one gold answer fewer (answer@1 0.852 against 0.858).
KIN = 5
# A name of several words is written in a text when its terms come in order, each at most this many terms after the
# one before: "CHIPS and Science Act" writes "CHIPS Act", while "North America and Europe Team, his research focuses on
# Korea" does not write "North Korea".
NAME_GAP = 2
_QUESTION_WORDS = {"what", "which", "who", "whom", "how", "why", "when", "where", "does", "did"}


class Lexical:
    """A BM25 index over ``texts`` (one per chunk) and their terms' inverse document frequencies."""

    def __init__(self, texts: list[str]) -> None:
        import bm25s
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self._stemmer = Stemmer.Stemmer("english")
        self._stop = set(STOPWORDS_EN) | _QUESTION_WORDS
        # Kiwi is loaded only for an index with Korean text: elsewhere no Korean term can match (``korean.words``).
        self._korean = any(korean.is_hangul(t) for t in texts)
        self._cached_terms = functools.lru_cache(maxsize=TERMS_CACHE)(self._terms)
        self._kin = functools.lru_cache(maxsize=TERMS_CACHE)(self._kin_of)
        corpus = [list(self._terms(t)) for t in texts]  # each chunk once: not worth a place in the cache
        self.bm25 = bm25s.BM25()
        self.bm25.index(corpus, show_progress=False)
        n = len(corpus)
        df: dict[str, int] = {}
        for toks in corpus:
            for tok in set(toks):
                df[tok] = df.get(tok, 0) + 1
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)  # what a term no chunk holds would weigh
        self._vocabulary = sorted(self.idf)  # for looking a root up (``unknown``)

    def terms(self, text: str) -> list[str]:
        """The text's terms in the order it writes them (``_terms``), remembered for the texts asked most lately."""
        return list(self._cached_terms(text))

    def _terms(self, text: str) -> tuple[str, ...]:
        """The text's terms in the order it writes them: English stems, and Korean morphemes where it holds Hangul.

        Text without Hangul never reaches the Korean analyser, which is loaded only for the first text that does, and
        only if the index holds Korean: over English chunks a Korean question's words stay whole (``korean.words``).
        """
        lowered = _DOTTED.sub(lambda m: m.group().replace(".", "") + " " * m.group().count("."), text.lower())
        # The stemmer strips "'s" but not "’s": "Korea’s" in a paper and "Korea's" in a question are one word.
        lowered = lowered.replace("’", "'")
        # An acronym is no stopword: "US" (or "U.S.") is the country, not the pronoun "us".
        caps = len(lowered) == len(text)  # lower() kept every offset (it does but for a few non-Latin letters)
        words = [m for m in _WORD.finditer(lowered) if m.group() not in self._stop
                 or (caps and len(m.group()) > 1 and text[m.start():m.end()].isupper())]
        stems = self._stemmer.stemWords([m.group() for m in words])
        if not korean.is_hangul(text):
            return tuple(stems)
        hangul = korean.morphemes(text) if self._korean else korean.words(text)
        placed = [(m.start(), stem) for m, stem in zip(words, stems)] + hangul
        return tuple(term for _, term in sorted(placed, key=itemgetter(0)))

    def _kin_of(self, text: str) -> tuple[frozenset[str], frozenset[str]]:
        """The text's terms, and the same with every prefix of ``KIN`` letters or more of each (``overlap``)."""
        terms = frozenset(self._cached_terms(text))
        return terms, terms | {t[:n] for t in terms for n in range(KIN, len(t))}

    def writes(self, name: str, text: str) -> bool:
        """Does ``text`` write ``name``: its terms in order, each within ``NAME_GAP`` terms of the one before, a
        word of the same family counting (``KIN``)?  A name without terms (a stopword) is written anywhere."""
        wanted = self.terms(name)
        present, extended = self._kin(text)
        if not all(_held(t, present, extended) for t in wanted):
            return False  # a term it lacks: no need to look for the order (most names asked about are not there)
        if len(wanted) < 2:
            return True
        own = self._cached_terms(text)

        def kin(a: str, b: str) -> bool:
            return a == b or min(len(a), len(b)) >= KIN and (a.startswith(b) or b.startswith(a))

        def from_(i: int, at: int) -> bool:  # the name's terms from ``i`` on, the first at most at ``at`` + NAME_GAP
            if i == len(wanted):
                return True
            return any(kin(wanted[i], own[j]) and from_(i + 1, j + 1)
                       for j in range(at, min(len(own), at + NAME_GAP + 1)))
        head = wanted[0][:KIN]  # a term of the first one's family starts as it does
        starts = [j for j, t in enumerate(own) if t[:KIN] == head]
        return any(kin(wanted[0], own[j]) and from_(1, j + 1) for j in starts)

    def unknown(self, word: str) -> bool:
        """Is this a word (not a stopword) that no indexed chunk holds, by its stem or a word of the same root?

        The root is the stem less its last two letters (four at least): "Chinese" is known by "China",
        "Taiwanese" by "Taiwan", "Congress" by "congressional"; "Civilization" and "Samsung" are not.
        """
        terms = self.terms(word)
        if not terms or terms[0] in self.idf:
            return False
        root = terms[0][:-2]
        if len(root) < 4:  # too short to say: "Kors" is no "Korea"
            return True
        at = bisect.bisect_left(self._vocabulary, root)
        return not (at < len(self._vocabulary) and self._vocabulary[at].startswith(root))

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every chunk, in chunk order (zeros for a question with no terms)."""
        if not terms:
            return np.zeros(self.bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self.bm25.get_scores(terms), dtype=np.float32)

    def overlap(self, query_terms: list[str], text: str,
                alternatives: Mapping[str, frozenset[str]] | None = None) -> float:
        """IDF-weighted share of the question's terms that appear in ``text`` (0..1), or a word of their family
        (``KIN``), or one of the terms ``alternatives`` gives for it (a synonym)."""
        if not query_terms:
            return 0.0
        present, extended = self._kin(text)
        weights = [self.idf.get(t, self.max_idf) for t in query_terms]
        others = alternatives or {}
        return sum(w for t, w in zip(query_terms, weights)
                   if _held(t, present, extended) or not others.get(t, frozenset()).isdisjoint(present)) / sum(weights)

    def novelty(self, query_terms: list[str], text: str) -> float:
        """IDF-weighted share of ``text``'s terms that the question does not use (0..1; 0 for a text of none).

        An answer says something the question does not: a title or a bullet that only restates the question's
        subject ("... the Three Seas Initiative (3SI).") is similar to it without answering it.
        """
        own = set(self.terms(text))
        if not own:
            return 0.0
        asked = set(query_terms)
        weights = {t: self.idf.get(t, self.max_idf) for t in own}
        return sum(w for t, w in weights.items() if t not in asked) / sum(weights.values())


def _held(term: str, present: frozenset[str], extended: frozenset[str]) -> bool:
    """Does a text with these terms (``present``; ``extended`` with their prefixes, ``Lexical._kin``) hold ``term``,
    or a word of its family (``KIN``)?"""
    return term in extended or any(term[:n] in present for n in range(KIN, len(term)))
