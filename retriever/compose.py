"""The composed answer: one to three sentences quoted verbatim from the returned passages, and the reason when the
passages hold no answer.

Nothing is written that the papers do not say: every sentence is a span of a document's canonical text, cited by
the rank of the passage it comes from, so a reader checks each word against the source.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping, Sequence

from .answer import Sentence, best_span
from .index import Index
from .lexical import Lexical
from .query import Query
from .reading import BULLET, NOUNS, WORD, Wants, missing_focus, without_possessive
from .schema import AnswerSentence, ComposedAnswer
from .tuning import READING, Reading

# Sections in which a paper states its own gist, and whose opening sentences summarise it.
_KEY_SECTION = re.compile(r"key takeaways?|summary|abstract|highlights|key (points|findings|messages)|overview", re.I)
# Points a paper enumerates in prose: "First, it is essential to ...", "Second, both sides must ..."
_ORDINAL = re.compile(r"^\s*(?:First|Second|Third|Fourth|Fifth|Sixth|Finally|Lastly)(?:ly)?,\s", re.I)

# A sentence whose subject points back ("The latter remains the real generator ...", "This is ..."): read alone, it
# does not say what it is about, and the answer is often what it points to.  "This pattern diverged ..." names its
# subject again and stands alone; "He earned his Ph.D. ..." usually answers about the person the question names.
_STANDS_FOR = re.compile(r"^\W*(the latter|the former|(this|these|that|those|such) (is|are|was|were|has|have|had|"
                         r"will|would|can|could|may|might|must|remains?|means?|makes?|shows?))\b", re.I)

Quoted = tuple[int, Sentence]  # (rank of the passage, 1-based; the sentence)


def choose(passages: Sequence[list[Sentence]], needed_docs: Sequence[str] = (), r: Reading = READING,
           only: Collection[str] | None = None) -> list[Quoted]:
    """The sentences that answer best, at most ``r.max_sentences`` (one more per compared document if needed), from
    the documents ``only`` names when it names any that the passages hold.

    First the best sentence of all, with its neighbour when the highlight would take it too (a passage often names
    its subject in one sentence and gives the answer in the next); then the best sentence of each compared document
    not yet quoted; then, while they score nearly as well, other passages' best sentences and the sentences after
    the best in its own passage (which often gives the answer a few sentences past its best match).  A passage's
    rank counts against its sentences a little: the second stage's order is evidence too; a sentence that answers
    (the asked kind of answer, tied to the focus) counts for it.
    """
    def adjusted(pair: Quoted) -> float:
        return pair[1].score - r.rank_penalty * (pair[0] - 1) + r.answering * pair[1].answers

    ranked = sorted(((rank, s) for rank, sentences in enumerate(passages, 1) for s in sentences
                     if _long(s) or s.answers),  # a byline is short, and may be the answer to "who wrote it?"
                    key=lambda pair: -adjusted(pair))
    if only and any(s.doc_id in only for _, s in ranked):
        ranked = [pair for pair in ranked if pair[1].doc_id in only]
    if not ranked:
        return []
    best_rank, best = ranked[0]
    sentences = passages[best_rank - 1]
    i = sentences.index(best)
    first, last = (best_span([s.score for s in sentences], r.pair_margin) if _best_of_its_passage(sentences, i)
                   else (i, i))
    # "The latter remains ...": the sentence before says what it stands for, and is quoted beyond the count
    antecedent = int(first > 0 and bool(_STANDS_FOR.match(sentences[first].text)))
    chosen: list[Quoted] = []
    for s in sentences[first - antecedent:last + 1]:
        if not _repeats(s, chosen, r.repeat_overlap):
            chosen.append((best_rank, s))
    for doc_id in needed_docs:
        if all(s.doc_id != doc_id for _, s in chosen):
            chosen += [pair for pair in ranked if pair[1].doc_id == doc_id][:1]
    room = max(r.max_sentences, len(chosen) - antecedent) + antecedent
    for pair in ranked:
        if len(chosen) >= room or adjusted(pair) < adjusted(ranked[0]) - r.second_margin:
            break
        # a passage not quoted yet, or a sentence further on in the best one's passage: it often gives the answer a
        # few sentences past the best match, while what comes before the best is context (the pair takes that in)
        if _repeats(pair[1], chosen, r.repeat_overlap):
            continue
        if (all(pair[0] != rank for rank, _ in chosen)
                or pair[0] == best_rank and pair[1].start > best.start and all(pair[1] is not s for _, s in chosen)):
            chosen.append(pair)
    return chosen


def lead(passages: Sequence[list[Sentence]], r: Reading = READING, only: Collection[str] | None = None,
         notes: Index | None = None) -> int:
    """The passage (0-based) that holds the sentence ``choose`` would quote first: it leads the returned passages.

    Reading ranks more finely than the second stage: the passage that answers beats one that is only about the
    question's subject (gold hit@1 0.794 -> 0.819).  For a question about sources (``notes``: the index), the
    passage holding the first endnote the answer quotes leads, since the note is the answer.  0 when there is
    nothing to quote.
    """
    chosen = choose(passages, (), r, only)
    if notes is not None and chosen:
        cited = [rank for rank, s in with_notes(notes, chosen, passages)
                 if notes.documents[s.doc_id].in_endnotes(s.start)]
        chosen = [(cited[0], chosen[0][1])] if cited else chosen
    return chosen[0][0] - 1 if chosen else 0


def under_heading(index: Index, quoted: list[Quoted]) -> list[Quoted]:
    """For "under which heading ..." questions: the title of the section that holds the best sentence, then the
    sentences quoted from that section (the title alone would not show why it answers).

    The title is quoted from the canonical text where the section starts, so it verifies like any other sentence;
    a section whose title the text does not carry (a reader-made "Endnotes") adds nothing.
    """
    if not quoted:
        return quoted
    rank, best = quoted[0]
    doc = index.documents[best.doc_id]
    section = next((s for s in doc.sections if s.char_start <= best.start < s.char_end), None)
    if section is None or not doc.text.startswith(section.title, section.char_start):
        return quoted
    end = section.char_start + len(section.title)
    same = [pair for pair in quoted
            if pair[1].doc_id == best.doc_id and end <= pair[1].start < section.char_end]
    title = Sentence(best.doc_id, section.char_start, end, section.title, best.score, True)
    return [(rank, title)] + same


def with_titles(index: Index, quoted: list[Quoted]) -> list[Quoted]:
    """A point a paper enumerates in prose ("First, it is essential to ...") quoted from the title of the section it
    opens ("Rethinking Tariffs and Incentives"): the title is the point's name, and a reader who asks for the paper's
    main points expects it.  One span from the title to the sentence's end, so it verifies like any other."""
    out = []
    for rank, s in quoted:
        doc = index.documents[s.doc_id]
        section = next((sec for sec in doc.sections if sec.char_start < s.start < sec.char_end), None)
        if (_ORDINAL.match(s.text) and section is not None and doc.text.startswith(section.title, section.char_start)
                and not doc.text[section.char_start + len(section.title):s.start].strip()):
            s = dataclasses.replace(s, start=section.char_start, text=doc.text[section.char_start:s.end])
        out.append((rank, s))
    return out


def with_notes(index: Index, quoted: list[Quoted], passages: Sequence[list[Sentence]]) -> list[Quoted]:
    """For "which source is cited ..." questions: each quoted claim followed by the endnote it cites.

    The note is quoted from the canonical text like any sentence, and cited by the returned passage that holds it
    or else by the claim's own (whose citation lists it among its footnotes).  The first claim's own note comes
    right after it, before any note quoted for itself: it is the one ``lead`` puts first.
    """
    out: list[Quoted] = []

    def add(rank: int, s: Sentence) -> None:
        if not any(_overlaps(q, s.doc_id, (s.start, s.end)) for _, q in out):
            out.append((rank, s))

    for rank, s in quoted:
        doc = index.documents[s.doc_id]
        # a sentence of an endnote stands for the whole note (its authors, title and outlet): "[3] DIGITIMES …" too
        whole = next((span for span in (doc.note_span(m) for m in doc.footnotes)
                      if span and s.start < span[1] and span[0] < s.end), None)
        if whole:
            add(rank, Sentence(s.doc_id, *whole, doc.text[whole[0]:whole[1]], s.score, True))
            continue
        add(rank, s)
        for span in doc.cited_spans(s.start, s.end):
            holder = next((n for n, sentences in enumerate(passages, 1)
                           if any(_overlaps(x, s.doc_id, span) for x in sentences)), rank)
            add(holder, Sentence(s.doc_id, span[0], span[1], doc.text[span[0]:span[1]], s.score, True))
    return out


def _overlaps(s: Sentence, doc_id: str, span: tuple[int, int]) -> bool:
    return s.doc_id == doc_id and s.start < span[1] and span[0] < s.end


def _best_of_its_passage(sentences: list[Sentence], i: int) -> bool:
    """Is the best sentence of its passage ``i`` (so the passage's own highlight span applies)?"""
    return max(range(len(sentences)), key=lambda j: sentences[j].score) == i


def key_sentences(index: Index, doc_id: str, recommendations: bool, n: int,
                  question: str = "") -> list[tuple[int, int]]:
    """A document's own gist, as (start, end) spans: the opening sentences of its key-takeaways (or summary) section,
    or, asked for recommendations, the first sentences of its bulleted points outside that section (else the points
    it enumerates in prose: "First, ...", "Second, ...").

    A ``question`` that names sections of the document ("the gist of its introduction and conclusion") gets the
    opening sentences of those instead, shared out among them.
    """
    doc = index.documents[doc_id]
    spans = sorted({(a, b) for d, a, b in index.sentence_spans if d == doc_id})
    key = [s for s in doc.sections if _KEY_SECTION.search(s.title or "")]

    def in_key(a: int) -> bool:
        return any(s.char_start <= a < s.char_end for s in key)

    def long(a: int, b: int) -> bool:
        return len(doc.text[a:b].split()) >= 5

    named = [s for s in doc.sections if names_section(question, s.title)]
    if named:
        each = max(1, n // len(named))
        return [span for s in named for span in [(a, b) for a, b in spans if s.char_start <= a < s.char_end
                                                  and long(a, b)][:each]]

    bullets = [(a, b) for a, b in spans if _starts_line(doc.text, a) and BULLET.match(doc.text[a:b]) and long(a, b)]
    if recommendations:
        outside = [span for span in bullets if not in_key(span[0])] or [
            (a, b) for a, b in spans if _ORDINAL.match(doc.text[a:b]) and not in_key(a) and long(a, b)]
        if outside:
            return outside[:n]
    opening = [(a, b) for a, b in spans if in_key(a) and long(a, b)]
    return (opening or bullets or [span for span in spans if long(*span)])[:n]


def names_section(question: str, title: str | None) -> bool:
    """Does the question name this section by its title ("its conclusion" for "Conclusion", "the key takeaways")?  A
    title of fewer than two letters, or one the question only holds inside a longer word, is no name."""
    words = (title or "").split()
    if not words or len("".join(words)) < 2:
        return False
    pattern = r"\s+".join(re.escape(w) for w in words)
    return bool(re.search(rf"(?<!\w){pattern}s?(?!\w)", question, re.IGNORECASE))


def text_of(quoted: Sequence[Quoted]) -> ComposedAnswer:
    """The chosen sentences in reading order (by document as first cited, then by place in it), each run of
    sentences from one passage followed by its marker."""
    first_seen: dict[str, int] = {}
    for rank, s in sorted(quoted, key=lambda pair: pair[0]):
        first_seen.setdefault(s.doc_id, rank)
    ordered = sorted(quoted, key=lambda pair: (first_seen[pair[1].doc_id], pair[1].start))
    parts: list[str] = []
    for n, (rank, s) in enumerate(ordered):
        parts.append(s.text)
        if n + 1 == len(ordered) or ordered[n + 1][0] != rank:
            parts[-1] += f" [{rank}]"
    return ComposedAnswer(
        text=" ".join(parts),
        sentences=[AnswerSentence(text=s.text, doc_id=s.doc_id, char_start=s.start, char_end=s.end, passage=rank)
                   for rank, s in ordered],
    )


def reason(q: Query, w: Wants, passage_texts: list[str], lexical: Lexical, off_topic: bool,
           missing_numbers: Sequence[str], question: str,
           alternatives: Mapping[str, frozenset[str]] | None = None) -> str:
    """What the papers lack, in words, from the question's focus and what the nearest passages hold.

    Both sides are the question's own phrases (``phrases``): "The documents discuss US-Korea trade but give no
    amount for “US-Korea trade deficit in 2023”" reads where a list of loose words ("US-Korea and trade ...
    “deficit”") does not.  A focus word whose synonym the passages hold (``alternatives``) is one they discuss.
    """
    absent = [word for word in missing_focus(w, passage_texts, lexical, alternatives) if word not in missing_numbers]
    present = [word for word in w.focus if word not in absent and not word.isdigit()]
    if off_topic and q.personal and not absent:
        return ("These documents give no instructions or advice for this; the nearest passages below are only loosely "
                "related.")
    if off_topic:
        subject = _either(phrases(question, absent or w.focus, w.focus)) if absent or w.focus else "this question"
        return f"These documents do not discuss {subject}; the nearest passages below are only loosely related."
    discussed = phrases(question, present, w.focus)
    # (a phrase cut off after a possessive names its owner: "Korea's" of "Korea's inflation peak" discusses Korea)
    about = _phrase([without_possessive(p) for p in discussed]) if present else "related topics"
    # What the answer would be of: the question's phrases that hold a word (or number) the passages lack, with the
    # focus words beside it ("US-Korea trade deficit in 2023"), or its whole focus when the passages hold every word
    # and only the answer is missing; none when that says again what the passages discuss ("... for it").
    lacking = set(absent) | set(missing_numbers)
    focus = list(w.focus) + list(missing_numbers)
    wanted = phrases(question, focus, focus, lacking) or phrases(question, focus, focus)
    if wanted == discussed:
        wanted = []
    if missing_numbers:  # a year or figure the passages never name: that, and any word they lack beside it
        return f"The documents discuss {about} but give nothing for {_quoted(phrases(question, list(lacking), focus))}."
    noun = NOUNS.get(w.kind, "answer")
    if w.exact and not absent and w.focus:  # "What exact percentage ...?" over "well above 2 percent"
        return f"The documents discuss {about} but give no exact {noun}, only a bound."
    if not w.focus:
        return f"The documents give no {noun} that answers this question."
    return f"The documents discuss {about} but give no {noun} for {_quoted(wanted) if wanted else 'it'}."


def unmentioned(names: list[str], papers: list[str], elsewhere: list[str]) -> str:
    """Why a question about what ``papers`` (their titles; none: the documents) say of ``names`` is not answered:
    they never mention them; and which other documents do (``elsewhere``), where the person may look instead."""
    out = (f"{_quoted(papers)} never {'mentions' if len(papers) == 1 else 'mention'}" if papers
           else "The documents never mention") + f" {_quoted(names)}"
    if elsewhere:
        out += f"; {_quoted(elsewhere)} {'does' if len(elsewhere) == 1 else 'do'}"
    return out + ". The nearest passages below are about something else."


# A phrase runs on across at most ``PHRASE_GAP`` words in a row that are not its own ("share of US investment",
# "troops are stationed in Korea"), but not across a focus word it leaves out ("company bought Philly Shipyard" is no
# phrase of what the passages discuss when they lack "bought"), nor across these ("funding did the CHIPS Act
# provide" is none, nor "atomic reactors has Korea")
PHRASE_GAP = 2
PHRASE_BREAKS = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "do", "does", "did",
                           "can", "could", "will", "would", "should", "may", "might", "must", "has", "have", "had",
                           "i", "you", "we", "they", "he", "she", "it", "me", "my", "our"})


def phrases(question: str, words: Sequence[str], focus: Sequence[str], needed: Collection[str] = ()) -> list[str]:
    """The stretches of ``question`` made of ``words`` and the few words between them, as it writes them ("South
    Korean company", "Philly Shipyard"), in its order; with ``needed``, only those that hold one of them.

    A stretch ends at punctuation ("In 2016, Korea" is two) and at a word of ``focus`` not among ``words``."""
    own, others = set(words), set(focus) - set(words)
    found = list(WORD.finditer(question))
    out: list[str] = []
    i = 0
    while i < len(found):
        if found[i].group() not in own:
            i += 1
            continue
        last, j = i, i + 1
        while (j < len(found) and j - last - 1 <= PHRASE_GAP and _joined(question, found[j - 1], found[j])
               and found[j].group() not in others and found[j].group().lower() not in PHRASE_BREAKS):
            if found[j].group() in own:
                last = j
            j += 1
        if not needed or any(m.group() in needed for m in found[i:last + 1]):
            end = found[last].end()
            # an abbreviation keeps its last full stop, which ends no sentence here: "U.S.", not "U.S"
            end += "." in found[last].group() and question[end:end + 1] == "."
            out.append(question[found[i].start():end])
        i = last + 1
    # a word the question does not write stands alone: a follow-up's focus read from the name it points at ("the
    # second of them" -> "Derrick Morgan")
    written = {m.group() for m in found}
    return out + [word for word in dict.fromkeys(words) if word not in written and (not needed or word in needed)]


def _joined(question: str, before: re.Match[str], after: re.Match[str]) -> bool:
    gap = question[before.end():after.start()]
    if "." in before.group() and gap.startswith("."):  # "U.S. troops": an abbreviation's full stop ends nothing
        gap = gap[1:]
    return not gap.strip()


def _quoted(parts: list[str]) -> str:
    return _phrase([f"“{p}”" for p in parts])


def _either(parts: list[str]) -> str:
    return " or ".join(f"“{p}”" for p in parts)


def _phrase(words: list[str]) -> str:
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]


def _repeats(s: Sentence, chosen: Sequence[Quoted], overlap: float) -> bool:
    """Does ``s`` say again what a quoted sentence says (nearly the same words, or the very sentence)?"""
    words = set(re.findall(r"\w+", s.text.casefold()))
    for _, other in chosen:
        theirs = set(re.findall(r"\w+", other.text.casefold()))
        if other is s or words and len(words & theirs) / len(words | theirs) >= overlap:
            return True
    return False


def _long(s: Sentence) -> bool:
    return len(s.text.split()) >= 5


def _starts_line(text: str, a: int) -> bool:
    return a == 0 or text[a - 1] == "\n"
