"""From ranked chunks to what a reader gets: the answerability score, the answering sentence, cited passages.

The numbers these rules weigh by live in ``retriever.tuning`` (``CONFIDENCE``, ``HIGHLIGHT``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from . import korean, reading
from .conversation import already_said
from .index import Index
from .lexical import Lexical
from .query import Query, number_match
from .rank import QueryVectors, Ranked, span
from .reading import Wants
from .schema import Citation, Highlight, Passage
from .tuning import CONFIDENCE, HIGHLIGHT, READING, Confidence, Reading
from .tuning import Highlight as HighlightTuning


def confidence(q: Query, evidence: dict[str, float | None], c: Confidence = CONFIDENCE) -> float | None:
    """A 0..1 answerability score from the top passages' evidence (None without evidence); low means abstain.

    Any of three similarities can say "off topic": the top passage's best sentence (MiniLM), its MaxSim (does any
    of its tokens match each of the question's), and the question's topicality (``topicality``: is it about what
    some document as a whole is about, not only near one of its sentences).  Two more signs lower it whatever the
    similarity: a year or figure the question names that none of the top three passages contains (the papers give
    other years' figures, not this one), and names the corpus never uses (``unfamiliar``: it is not about them).
    A question that names a paper's publisher or author is about the papers, however vague the rest of it is.  For
    Hangul only the multilingual model's best sentence is comparable, and it separates far less well, so it has a
    floor and slope of its own.
    """
    if not evidence:
        return None
    if q.hangul:
        z = c.hangul_slope * (evidence["top_sentence"] - c.hangul_sentence_floor)
    else:
        z = min(c.slope * (evidence["top_sentence"] - c.sentence_floor),
                c.slope * (evidence["top_maxsim"] - c.maxsim_floor))
        if evidence.get("topicality") is not None:
            z = min(z, c.slope * (evidence["topicality"] - c.topic_floor))
        if q.sources or q.names_author:  # "Who wrote the X piece?", "Derrick Morgan's title?": on topic by definition
            z = max(z, c.named_source_z)
        z -= c.missing_number_penalty * (evidence["numbers_found"] == 0.0)
        z -= c.unknown_names_penalty * unfamiliar(q, c)
        # ... unless a sentence says nearly what it asks (a manual a user added may well tell how to do a thing)
        z -= c.personal_penalty * (q.personal and not (q.sources or q.names_author or q.asks_paper)
                                   and evidence["top_sentence"] < READING.meaning_tie)
    return 1.0 / (1.0 + math.exp(-z))


def unfamiliar(q: Query, c: Confidence = CONFIDENCE) -> bool:
    """Is the question about names the corpus never mentions: several of them ("the Trump White House"), or one
    and no name it does ("How do I form an alliance in the game Civilization?")?  One unknown beside known ones is
    a detail the papers may leave out ("What did Morris Chang say about chips in Arizona?"), not another subject."""
    return len(q.unknown_names) >= c.unknown_names_min or (len(q.unknown_names) == 1 and not q.known_names)


def topics(index: Index, chunk_docs: np.ndarray, foreign: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Each document's topic as the English model sees it: the normalised mean of its chunk vectors.

    Documents mostly in another script (Korean) are left out: the English model cannot say what they are about.
    """
    ids, of_chunk = np.unique(chunk_docs, return_inverse=True)
    sums = np.zeros((len(ids), index.chunk_vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, of_chunk, index.chunk_vectors)  # a sum points where the mean does
    english = np.bincount(of_chunk, weights=foreign.astype(np.float64), minlength=len(ids)) < (
        0.5 * np.bincount(of_chunk, minlength=len(ids)))
    norms = np.linalg.norm(sums[english], axis=1, keepdims=True)
    return ids[english].tolist(), (sums[english] / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def topicality(doc_ids: list[str], centroids: np.ndarray, qvec: np.ndarray,
               allowed: list[str] | None = None) -> float | None:
    """How near the question is to the topic of the document it is most about (None: no document to judge by).

    A far-off question can share a phrase with one sentence ("form an alliance", "the capital of ...") and so pass
    the sentence and MaxSim floors, but it is about nothing the documents as a whole are about.  Measured against
    each document's own centroid, not the corpus's, so adding papers on other subjects does not dilute it.
    """
    rows = [i for i, d in enumerate(doc_ids) if not allowed or d in allowed]
    return float((centroids[rows] @ qvec).max()) if rows else None


def sentence_scores(texts: list[str], similarities: np.ndarray, q: Query, lexical: Lexical,
                    h: HighlightTuning = HIGHLIGHT) -> list[float]:
    """How well each sentence of a passage answers: meaning, plus the question's words and numbers it holds."""
    scores = []
    for text, sim in zip(texts, similarities):
        score = float(sim) + h.overlap * lexical.overlap(q.terms, text) + h.numbers * number_match(q, text)
        if len(text.split()) < h.short_words:  # a heading or a stray fragment is never the answer sentence
            score -= h.short_penalty
        scores.append(score)
    return scores


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage as the reading stage sees it."""

    doc_id: str
    start: int
    end: int
    text: str
    score: float  # how well it answers: meaning, words, numbers, and the kind of answer it holds about the focus
    answers: bool  # it holds an answer of the kind asked for, beside enough of the focus
    focus: float = 0.0  # the share of the question's focus it holds (with the sentence before it), synonyms counted
    meaning: float = 0.0  # the English model's cosine between it and the question


def unsaid(passages: list[list[Sentence]], said: str, penalty: float) -> list[list[Sentence]]:
    """The passages' sentences with those an earlier answer quoted (``said``) scoring ``penalty`` less, and no
    longer counted as answering: a follow-up asks for something the person has not read yet."""
    return [[dataclasses.replace(s, score=s.score - penalty, answers=False) if already_said(s.text, said) else s
             for s in sentences] for sentences in passages]


def after_said(passages: list[list[Sentence]], said: str, order: Mapping[str, np.ndarray], bonus: float,
               reach: int, index: Index | None = None) -> list[list[Sentence]]:
    """The passages' sentences with those that come just after what the latest answer quoted (``said``) scoring up to
    ``bonus`` more: ``bonus`` for the next sentence of its document, less by a share for each further one, nothing
    beyond ``reach``.

    In a conversation about a text, the next answer is most often a little further on from the last one (QuAC and
    CoQA, field notes): "Why?" or "What decides that?" after a quoted claim asks what the paper says next.  Similarity
    alone cannot see that, since the follow-up's own words are few.  ``order`` holds each document's sentence starts,
    sorted, so that sentences of different passages are placed in one sequence.
    """
    if not said or reach <= 0:
        return passages

    def place(s: Sentence) -> int:
        return int(np.searchsorted(order[s.doc_id], s.start))

    said_here = [s for sentences in passages for s in sentences if already_said(s.text, said)]
    quoted = {(s.doc_id, place(s)) for s in said_here}
    # ... and the endnotes the quoted sentences cite come next too: "Do those need Congress to sign off?" after a
    # claim about RDP agreements is answered by the note that claim points to, not by the sentence after it
    notes = [] if index is None else [
        (s.doc_id, span) for s in said_here for span in index.documents[s.doc_id].cited_spans(s.start, s.end)]

    def lift(s: Sentence) -> float:
        if any(doc_id == s.doc_id and s.start < b and a < s.end for doc_id, (a, b) in notes):
            return bonus
        gaps = [place(s) - at for doc_id, at in quoted if doc_id == s.doc_id and 0 < place(s) - at <= reach]
        return bonus * (reach + 1 - min(gaps)) / reach if gaps else 0.0
    return [[dataclasses.replace(s, score=s.score + lift(s)) for s in sentences] for sentences in passages]


def read_passage(index: Index, lexical: Lexical, q: Query, w: Wants, vectors: QueryVectors, hit: Ranked,
                 r: Reading = READING, common: frozenset[str] = frozenset(),
                 aliases: dict[str, str] | None = None, claims: Mapping[int, str] | None = None,
                 unnamed: Callable[[], np.ndarray] | None = None) -> list[Sentence]:
    """Every sentence of a passage (one chunk, or several merged), scored for answering the question.

    The focus is looked for in the sentence and the one before it: a passage often names its subject in one
    sentence ("In that year, ...") and gives the figure in the next; a sentence opening with "He", "Its" ... also
    holds the question's names its passage gave before it.  ``aliases`` are the acronyms the passage's document
    defines (``reading.acronyms``): "the 3SI" holds the focus "Three Seas Initiative".  ``claims`` are the endnotes
    (by where their text starts) that the sentence the answer would quote first cites, with it (and the sentence
    before it): a note is read after its claim rather than after the note before it, so it holds the claim's focus
    ("the 12 nations" of a claim are named in its note).  ``unnamed`` gives the question's vector without its names,
    asked for only when a sentence names one of them by a pronoun.
    """
    rows = sorted({row for c in hit.chunks() for row in index.chunk_sentences[c]},
                  key=lambda row: index.sentence_spans[row][1])
    if not rows:
        return []
    spans = [index.sentence_spans[row] for row in rows]
    doc = index.documents[spans[0][0]]
    texts = [doc.text[a:b] for _, a, b in spans]
    # The multilingual model judges meaning across languages: a question in Hangul, or a passage in it.
    crossing = q.hangul or any(korean.is_hangul(t) for t in texts)
    if crossing and vectors.multilingual is not None and index.multilingual_sentence_vectors is not None:
        sims = index.multilingual_sentence_vectors[rows] @ vectors.multilingual
    else:
        sims = index.sentence_vectors[rows] @ vectors.english
    names = w.names  # the question's own names answer nothing
    name_terms = {word: set(lexical.terms(word)) for word in names}
    # The names each sentence's opening pronoun stands for: those the sentences before it said ("He earned ...")
    carried, said = [], set()
    for text in texts:
        carried.append(" ".join(reading.stood_for(text, [word for word, terms in name_terms.items() if terms & said])))
        said.update(lexical.terms(text) if name_terms else ())
    # ... and such a sentence's meaning lacks the person's name: it is judged against the question without its names
    # too, or "Hyok Jung Kim is a fellow at KIEP" is nearer "Where did Hyok Jung Kim earn his doctorate?" than "He
    # earned his Ph.D. in Economics from the University of California, Davis" is.  (Only for "he" or "she": a passage
    # often goes on about a country or an agreement as "it", and a second encode costs as much as the reading.)
    personal = [bool(held) and reading.opens_personal(text) for text, held in zip(texts, carried)]
    if unnamed is not None and any(personal) and not crossing:
        sims = np.maximum(sims, np.where(personal, index.sentence_vectors[rows] @ unnamed(), -1.0))
    scores = sentence_scores(texts, sims, q, lexical)
    headings = {s.char_start for s in doc.sections}
    # ... nor do they spelled out: "North Atlantic Treaty Organization" is no answer to "Who leads NATO?"
    spelled = names + tuple(word for name in names for word in (aliases or {}).get(name, "").split())
    # ... nor, for a name, any word of its focus, however it was typed: "which company bought philly shipyard" is not
    # answered by "Philly Shipyard" (but "Which American shipyard is being revived?" is: the asked noun is the name's)
    if w.kind in reading.NAMES:
        spelled += tuple(word for word in w.focus if word.lower() != (w.noun or "").lower())
    # ... nor, for a date, a year it gives: "When will the G7 summit in 2025 take place?" is not answered by "the next
    # G7 summit in 2025"
    if w.kind == "date":
        spelled += tuple(number for number in q.numbers if re.fullmatch(reading.YEARS, number))
    # A rare name the question gives must be there too: Korea's share in 2022 is not Japan's.
    # (... unless it names what the figure is set against: "the benchmark some European allies miss"; and only the
    # name of a word that joins one to a word in lower case: "Navy-related" names the Navy, not "related")
    rare_names = [t for word in names if word not in w.measured_against for t in lexical.terms(reading.name_of(word))
                  if lexical.idf.get(t, lexical.max_idf) >= r.rare_idf]
    capitals = reading.capitals_in(w.focus)  # "Seoul" in a question is Korea in the papers
    # A focus word's synonyms tie a figure or name to it ("import duties" and "tariff rates"), and count as holding
    # the focus for the stray gate, but do not score: the sentence in the question's own words still ranks first.
    # (Scoring by them too moved the answer of ten questions of fifteen sets off a right sentence for eleven it moved
    # onto one.)
    others = reading.alternatives(w, lexical, r.synonyms)
    # A recommendation's title answers what is recommended (and is a heading); anything else is said under it.
    titled = w.kind not in ("heading", "summary") and not w.recommends
    out = []
    for i, (text, score) in enumerate(zip(texts, scores)):
        claim = next((c for at, c in (claims or {}).items() if spans[i][1] <= at < spans[i][2]), None)
        window = reading.with_metonyms(reading.with_aliases(
            f"{claim} {text}" if claim else " ".join(texts[max(0, i - 1):i + 2 if w.kind == "heading" else i + 1]),
            aliases or {}), capitals)
        if w.kind == "heading":  # a heading answers by what its section says: read it with the sentence after it
            holds = spans[i][1] in headings
        elif w.kind == "source":  # a claim that cites an endnote, or the endnote itself
            holds = bool(doc.footnotes_in(spans[i][1], spans[i][2])) or doc.in_endnotes(spans[i][1])
        elif w.kind == "definition":  # says what the subject is ("The initiative was launched to ...")
            holds = reading.defines(w, text, lexical, aliases)
        elif doc.in_endnotes(spans[i][1]) and not (q.asks_sources or q.asks_people) and reading.cites(text):
            holds = False  # a citation's date, outlet and authors are not the figures of the claim it supports
        else:
            holds = (w.shaped or w.kind in reading.TESTED) and reading.holds(
                w.kind, reading.without_words(text, spelled), common)
            if holds and w.exact:  # "What exact percentage ...?" is not answered by "well above 2 percent"
                holds = not reading.only_bounded(w.kind, text)
        focus = reading.focus_share(w, window, lexical)
        reworded_focus = reading.focus_share(w, window, lexical, others) if others else focus
        if carried[i]:  # "He earned ...": the names it stands for count as said
            window += " " + carried[i]
            # ... by this sentence, not by the one before it with them: after "He earned his Ph.D. ...", "Before
            # joining KIEP, he served ..." does not say where he got his PhD
            focus = max(focus, reading.focus_share(w, f"{text} {carried[i]}", lexical))
            reworded_focus = max(reworded_focus, reading.focus_share(w, f"{text} {carried[i]}", lexical, others))
        score += r.kind * holds + r.focus * focus + r.novelty * lexical.novelty(q.terms, text)
        if titled and reading.titles_a_list_item(text) or reading.announces(text):  # names, does not say
            score -= r.list_title
        long_enough = len(text.split()) >= HIGHLIGHT.short_words
        if not long_enough and holds and w.kind in ("person", "agent", "organisation", "heading"):
            score += HIGHLIGHT.short_penalty  # a byline is short, and it is the answer to "who wrote it?"
            long_enough = True
        # The answer is "of" the focus when the sentence (with the one before) holds enough of it, or says what the
        # question asks in other words (the English model finds them close: "the Taiwanese chipmaker's founder" for
        # "the founder of TSMC"), and every year or figure the question names: a 2024 figure does not answer a
        # question about 2023.
        tie = r.name_focus_tie if w.kind in reading.NAMES else r.focus_tie
        reworded = not crossing and float(sims[i]) >= r.meaning_tie
        tied = ((reworded_focus >= tie or reworded) and number_match(q, window) == (1.0 if q.numbers else 0.0)
                and all(lexical.overlap([t], window) for t in rare_names)
                and (not w.counted or (reading.counts(w.counted, window, lexical) if w.how_many
                                       else lexical.overlap(lexical.terms(w.counted), window) > 0))
                # (whose doing a figure is, the sentence itself says: the one before may name the name otherwise)
                and not (w.doer and reading.only_done_to(w.doer, text)))
        # A reason (an image, an effect) is what such a question asks for: a sentence that restates its subject
        # without one ("This commentary began with 2016 when ... diverged.") does not answer "What triggered the split
        # in 2016?"
        out.append(Sentence(doc.doc_id, spans[i][1], spans[i][2], text, score,
                            long_enough and (holds or not (w.shaped or w.kind in reading.TESTED)) and tied,
                            reworded_focus, float(sims[i])))
    return out


def best_span(scores: list[float], margin: float = HIGHLIGHT.pair_margin) -> tuple[int, int]:
    """First and last sentence of the highlight: the best sentence, and its better neighbour if within ``margin``.

    A passage often names its topic in one sentence and gives the answer in the next; the gold set's highlight
    accuracy rose from 0.81 to 0.90 (on top passages that contain an answer) with the pair.
    """
    best = int(np.argmax(scores))
    pairs = [(i, i + 1) for i in (best - 1, best) if 0 <= i and i + 1 < len(scores)]
    close = [(i, j) for i, j in pairs if min(scores[i], scores[j]) >= scores[best] - margin]
    return max(close, key=lambda p: scores[p[0]] + scores[p[1]]) if close else (best, best)


def highlight(index: Index, sentences: list[Sentence]) -> Highlight | None:
    """The sentence (or pair) of a passage that best answers the question."""
    if not sentences:
        return None
    first, last = best_span([s.score for s in sentences])
    a, b = sentences[first].start, sentences[last].end
    return Highlight(text=index.documents[sentences[0].doc_id].text[a:b], char_start=a, char_end=b)


def passage(index: Index, position: int, hit: Ranked, marked: Highlight | None) -> Passage:
    """A ranked chunk (or merged chunks) as the reader gets it: its text, its highlight, a citation to check."""
    c = index.chunks[hit.chunk]
    doc = index.documents[c.doc_id]
    start, end = span(index, hit)
    return Passage(
        rank=position,
        score=round(hit.score, 6),
        text=doc.text[start:end],
        highlight=marked,
        citation=Citation(
            **doc.record(),
            section=c.section,
            char_start=start,
            char_end=end,
            footnotes=doc.footnotes_in(start, end),
        ),
    )
