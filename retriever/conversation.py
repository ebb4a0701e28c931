"""Follow-up questions: reading "Who wrote it?" with the conversation it belongs to.

Without a language model to rewrite the question, two cheap signals recover most of what a rewrite would
(field notes: TREC CAsT, historical query expansion): the words of the earlier user turns, most recent first, and
the document the previous answer was quoted from.  Both are used only when the question leans on the conversation
(a pronoun, "the paper", an opening "And ..." or "What about ...", or almost no words of its own): a self-contained
question is read alone, so a new topic is never dragged back toward the old one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from .lexical import Lexical
from .reading import names_organisation
from .schema import Turn

_I = re.IGNORECASE
# Korean demonstratives stand as words of their own: "그것은", "이것이", "그들" (it, this, they) whatever particle
# follows, and "그", "이", "저" (that, this) only before a space, as in "그 논문".  Inside a word "이" is most often the
# subject particle ("미국이"), which leans on nothing.  A question may point at the conversation without a pronoun:
# "How much money are we talking about?", "the figure you mentioned".
_LEANS = re.compile(r"\b(it|its|they|them|their|theirs|this|that|these|those|he|him|his|she|her|there|then|such|"
                    r"same|former|latter)\b|^\s*(and|also|but|so|or|what about|how about|what else)\b|"
                    r"\b(are|were) we talking about\b|\byou (just )?(said|mentioned|quoted|cited)\b|"
                    r"(?<![\uac00-\ud7a3])(그것|이것|저것|그들|거기|저자는|(그|이|저)(?=\s))", _I)
# "the paper" leans on the conversation only when the question does not say which paper
_DOCUMENT = re.compile(r"\b(the|this|that) (paper|brief|report|commentary|article|piece|document|study|author|"
                       r"authors)\b|그 (보고서|논문)", _I)
_OTHER_DOC = re.compile(r"\b(the )?other (paper|brief|report|commentary|article|piece|document|one)\b|다른 (보고서|논문)",
                        _I)
# "that" after a verb of saying or thinking, or in "so that", opens a clause and points back at nothing: "Which
# company's founder estimated that making a chip costs more ...?" is a new question.
_CLAUSE_THAT = re.compile(r"\b(say|says|said|estimat\w*|not(e|es|ed)|argu\w*|believ\w*|claim\w*|show\w*|found|finds?|"
                          r"suggest\w*|means?|meant|stat(e|es|ed)|warn\w*|think\w*|thought|expect\w*|hop(e|es|ed)|"
                          r"predict\w*|conclud\w*|so|such|now|given|assum\w*|report\w*|insist\w*|know\w*|"
                          r"knew)\s+that\b", _I)
# An elliptical follow-up that swaps the subject: "And Anthony B. Kim's?", "What about Japan?" after a question
# about one other name.  Its name runs (capitalised words, a possessive kept) and the question words it lacks.
_FRAGMENT = re.compile(r"^\s*(and|or|but|also|what about|how about)\b", _I)
# "What about ...", "How about ...", "What was it like ...": a question word that carries no kind of answer of its own
_ELLIPSIS = re.compile(r"^\s*((what|how) about|what (is|was|are|were) (it|that|this|they|those) like)\b", _I)
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", _I)
_NAME_RUN = re.compile(r"\b[A-Z][\w.’'-]*(?:\s+(?:[A-Z][\w.’'-]*|of|for|and|the))*(?<![\s.])(?:['’]s)?")
# "the second of them", "the latter", "the first author": one of the names the last answer gave, by its place
_ORDINAL = re.compile(r"\b(?P<place>first|second|third|last)( one| of (them|those|these|the two|the three)| (author|"
                      r"person|name|writer)s?)\b|\bthe (?P<either>former|latter)\b", _I)
_ORDINAL_PLACE = {"first": 0, "former": 0, "second": 1, "third": 2, "last": -1, "latter": -1}
_PERSON_NAME = re.compile(r"\b[A-Z][a-z]+(?: [A-Z]\.)?(?: [A-Z][a-z]+)+\b")
# ... but "The Heritage Foundation" in "The Heritage Foundation paper was written by A and B" is no one's name
_NO_PERSON = re.compile(r"^(The|A|An|This|That|Its|Their)\b")
_MARKER = re.compile(r"\s*\[\d+\]")
_SUPERSCRIPTS = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_SENTENCE_END = re.compile(r"(?<=[.!?”\"])\s+")
# Where a quote may begin or end in an answer: at a sentence's end, or at a quotation mark (an answer that words its
# own way around a quoted clause: 'It says that "the current tariff structure does not ..."').
_PIECES = re.compile(_SENTENCE_END.pattern + r"|[“”\"]")
# A typed answer has straight quotes and apostrophes where the papers have curly ones.
_STRAIGHT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
MIN_OWN_TERMS = 2  # a question with fewer index terms of its own cannot stand alone ("And China?")
# "How does the other paper talk about it?" is expanded with the opening words of the answer "it" points at: enough
# for its subject, which a sentence names early, without the rest of a long quote drowning the earlier question.
ANSWER_WORDS = 15
MIN_SAID_CHARS = 20  # as in ``quoted_documents``: shorter runs (a heading, "Conclusion") are not taken as quotes


@dataclass(frozen=True)
class Resolved:
    """The question as retrieval reads it, given the conversation."""

    text: str  # the question, followed by the earlier user turns it leans on
    previous: str | None  # the user turn it leans on most (its kind of answer is inherited if the question has none)
    sources: frozenset[str]  # documents the conversation was about (the previous answer's, or the other one)
    follow_up: bool
    only: bool = False  # it asks about "the other paper": search those documents alone
    # the question with the name it points at by its place in the last answer ("What position does the second of
    # them hold?" -> "What position does Derrick Morgan hold?": ``named_by_place``); None when it points at none
    own: str | None = None


def leans_on_history(question: str, lexical: Lexical, names_a_source: bool) -> bool:
    """Does the question need the conversation to be understood?"""
    if (len(lexical.terms(question)) < MIN_OWN_TERMS or _OTHER_DOC.search(question) or _ORDINAL.search(question)
            or _LEANS.search(_CLAUSE_THAT.sub(" ", question))):
        return True
    return bool(_DOCUMENT.search(question)) and not names_a_source


def quoted_documents(content: str, texts: Mapping[str, str]) -> set[str]:
    """The documents an earlier answer quoted: those holding one of its sentences verbatim."""
    # a quoted clause may open with a capital where the paper's sentence goes on in lower case, or the other way
    parts = [_collapsed(p).casefold() for p in _PIECES.split(_MARKER.sub("", content))
             if len(p.strip()) > MIN_SAID_CHARS]
    return {doc_id for doc_id, text in texts.items() if any(p in _searchable(text) for p in parts)}


@functools.lru_cache(maxsize=1024)
def _searchable(text: str) -> str:
    """A document's text as quotes are looked for in it (a quote joins its lines with spaces), worked out once per
    text rather than for every assistant turn of every follow-up."""
    return _collapsed(text).casefold()


def resolve(question: str, history: Sequence[Turn] | None, lexical: Lexical, texts: Mapping[str, str],
            names_a_source: bool, named: Callable[[str], Collection[str]] | None = None,
            leaning: bool = False) -> Resolved:
    """Expand a follow-up with the user turns it leans on, most recent first, and the documents they were about.

    The last user turn always joins; one more joins while the turn just added was itself a follow-up (so a chain of
    "And China?" questions keeps its topic).  The documents are those the last answer quoted, or, when the
    question asks about "the other paper", every other one.  ``named`` gives the documents a question names (by
    publisher or author): "the other paper" after "What does the Heritage paper say ...?" is another than that one,
    even when the answer between them quotes nothing this service can find (a client's own wording).  With
    ``leaning``, the question is taken to lean on the conversation whatever its words (``Searcher.ask`` decides so
    from the evidence: read alone, it is about nothing the papers say).
    """
    turns = list(history or [])
    if not turns or not (leaning or leans_on_history(question, lexical, names_a_source)):
        return Resolved(question, None, frozenset(), False)
    users = [t.content for t in turns if t.role == "user"]
    expansion: list[str] = []
    for earlier in reversed(users):
        expansion.append(earlier)
        if not leans_on_history(earlier, lexical, False):
            break
    quoted: set[str] = set()
    answered = ""  # the last answer that quoted a document
    for turn in reversed(turns):
        if turn.role == "assistant":
            quoted = quoted_documents(turn.content, texts)
            if quoted:
                answered = " ".join(_collapsed(_MARKER.sub("", turn.content)).split()[:ANSWER_WORDS])
                break
    asks_other = bool(_OTHER_DOC.search(question))
    if asks_other and not quoted and named is not None:
        quoted = set(named(expansion[0]))
    other = bool(asks_other and quoted and set(texts) - quoted)
    if other:
        quoted = set(texts) - quoted
    swapped = swap_subject(question, expansion[0]) if len(expansion) == 1 else None  # a self-contained one
    if swapped:  # the earlier question about the new name: its old name would only pull the old answer back
        expansion = [swapped]
    previous = expansion[0] if expansion else None
    if other:  # "How does the other paper talk about it?": "it" is what that answer said, its words the topic to look
        # for in the other papers (which cannot hold the answer's own sentences)
        expansion.append(answered)
    own = named_by_place(question, turns)
    return Resolved(" ".join([own or question, *expansion]), previous, frozenset(quoted), True, only=other, own=own)


def named_by_place(question: str, history: Sequence[Turn]) -> str | None:
    """The question with the name it points at by its place among those the last answer gave: "What position does
    the second of them hold?" after "It was written by Anthony B. Kim and Derrick Morgan." asks "What position does
    Derrick Morgan hold?".  None when it points at none, or the answer gave fewer names than the place needs."""
    m = _ORDINAL.search(question)
    answers = [t.content for t in history if t.role == "assistant"]
    if not m or not answers:
        return None
    said = _PERSON_NAME.findall(_MARKER.sub("", answers[-1]))
    names = list(dict.fromkeys(name for name in said if not (_NO_PERSON.search(name) or names_organisation(name))))
    place = _ORDINAL_PLACE[(m.group("place") or m.group("either")).lower()]
    if len(names) < 2 or place >= len(names):
        return None
    start = m.start() - 4 if question[max(0, m.start() - 4):m.start()].lower() == "the " else m.start()
    return question[:start] + names[place] + question[m.end():]


def said_before(history: Sequence[Turn] | None) -> str:
    """What earlier answers of the conversation said, markers dropped and spaces collapsed: a sentence found in it
    (``already_said``) has been read."""
    return " ".join(_collapsed(_MARKER.sub("", t.content)) for t in history or () if t.role == "assistant")


def said_last(history: Sequence[Turn] | None) -> str:
    """What the conversation's latest answer said, as ``said_before`` gives it: where a follow-up's answer is looked
    for next to (``answer.after_said``)."""
    return said_before([t for t in history or () if t.role == "assistant"][-1:])


def already_said(sentence: str, said: str) -> bool:
    """Did an earlier answer quote ``sentence``?  Only a sentence of some length counts: a heading's few words may
    stand anywhere."""
    text = _collapsed(sentence)
    return len(text) > MIN_SAID_CHARS and text in said


def _collapsed(text: str) -> str:
    """Runs of whitespace as one space (a quote joins a paper's lines with spaces), straight quotes and apostrophes,
    and no superscript footnote numbers: the canonical text keeps them apart, but a sentence copied from the original
    ("Agreement⁵") has them."""
    return " ".join(_SUPERSCRIPTS.sub("", text).translate(_STRAIGHT).split())


def swap_subject(question: str, earlier: str) -> str | None:
    """"And Anthony B. Kim's?" after "What is Derrick Morgan's position?" asks "What is Anthony B. Kim's position?":
    the earlier question with its one name replaced by the fragment's one name.  None unless the question is such a
    fragment (no question word of its own) and each of the two names exactly one thing."""
    rest = _FRAGMENT.sub("", question)
    if _WH.search(rest):
        return None
    new = _NAME_RUN.findall(rest)
    old = [m for m in _NAME_RUN.finditer(earlier) if m.start() > 0]  # a question's first word is capitalised anyway
    if len(new) != 1 or len(old) != 1:
        return None
    name = new[0]
    if old[0].group().endswith(("'s", "’s")) and not name.endswith(("'s", "’s")):
        name += "'s"
    elif name.endswith(("'s", "’s")) and not old[0].group().endswith(("'s", "’s")):
        name = name[:-2]
    return earlier[:old[0].start()] + name + earlier[old[0].end():]


def asks_its_own(question: str) -> bool:
    """Does a follow-up say what it asks for ("What significance does it attach to it?"), or is it elliptical
    ("And China?", "What about in 2023?") and so asks what the question before it asked?

    A question word of its own (not "what about") sets its own kind of answer: "What effect have those tariffs
    had?" after "How high are the tariffs?" wants the effect, not another figure.
    """
    rest = _FRAGMENT.sub("", question)
    return bool(_WH.search(rest)) and not _ELLIPSIS.match(rest)
