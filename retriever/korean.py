"""Korean words for the lexical retriever: the content morphemes of Hangul text, as Kiwi analyses them.

Korean glues particles and endings to its words ("감귤은", "감귤을", "감귤의" are one noun), so splitting on spaces
would give BM25 a different term for every case of a word; a morphological analyser recovers the word itself.  Kiwi
(``kiwipiepy``, its model files shipped in ``kiwipiepy-model``) reads nothing from the network.  Loading it costs
about 1.5 s and 300 MB, so it is loaded on the first text that holds Hangul: an English corpus asked English
questions never pays for it.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
# Kiwi's tags (Sejong tag set) of the morphemes that say what a text is about: common and proper nouns (NNG, NNP),
# verb and adjective stems (VV, VA: "기르" of "길렀다"), roots (XR: "따뜻" of "따뜻한") and Chinese characters (SH).
# Left out: particles and endings (J*, E*), affixes (XP*, XS*), auxiliaries and the copula (VX, VCP, VCN), adverbs
# and determiners (MAG, MAJ, MM), pronouns (NP: "무엇", "어디"), bound nouns after a figure or a verb (NNB: "년",
# "개", "것", "수") and numerals written in Hangul (NR, most often the question word "몇").  Latin words and digits
# (SL, SN) are left to the English tokenisation: "CHIPS" in a Korean question and in an English paper is one term.
CONTENT_TAGS = frozenset({"NNG", "NNP", "VV", "VA", "XR", "SH"})
# Content-tagged morphemes that say nothing of a topic, as English stopwords and question words do not: light verbs
# ("하", "되", "있", "없", "같"), verbs that serve as postpositions ("위하", "대하", "통하": for, about, through),
# "like this / that / what" ("이렇", "그렇", "저렇", "어떻") and "how much" ("얼마").
STOP = frozenset({"하", "되", "있", "없", "같", "위하", "대하", "통하", "이렇", "그렇", "저렇", "어떻", "얼마"})

_LOCK = threading.Lock()


def is_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text))


def morphemes(text: str) -> list[tuple[int, str]]:
    """The content morphemes of ``text``, each with the offset it starts at (only its Hangul and Chinese parts).

    Irregular stems carry a suffix on their tag ("VV-I", "VA-R"): the tag before it decides.
    """
    tokens = _kiwi().tokenize(text)
    return [(t.start, t.form) for t in tokens if t.tag.partition("-")[0] in CONTENT_TAGS and t.form not in STOP]


_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]+")


def words(text: str) -> list[tuple[int, str]]:
    """The Hangul words of ``text`` as written, each with its offset: the terms of a Korean question over an index
    that holds no Korean.

    No chunk can match them there, analysed or not, but they still count in the question's share of terms a
    sentence holds (``Lexical.overlap``): without them a Latin name in a Korean question ("CHIPS") would be all of
    it, and the Korean figures fell (hit@1 0.75 -> 0.70).  Whole words stand in for Kiwi's morphemes with the same
    figures, and a worker serving English papers never loads Kiwi's 300 MB.
    """
    return [(m.start(), m.group()) for m in _HANGUL_WORD.finditer(text)]


def _kiwi() -> "Kiwi":
    with _LOCK:  # two first Korean questions at once would each load a copy
        return _load()


@functools.lru_cache(maxsize=1)
def _load() -> "Kiwi":
    from kiwipiepy import Kiwi

    # The multi-word dictionary is left out: it makes a whole name one term ("데릭 모건"), so neither name alone
    # matches it, and it costs 3 s and 180 MB more at load.  One text at a time is analysed in the calling thread,
    # so a pool of more workers would only idle.
    return Kiwi(num_workers=1, load_multi_dict=False)
