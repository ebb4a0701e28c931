"""Raw text to one canonical text: drop page furniture, undo markup, re-join split sentences, find the structure.

Raw inputs carry real-world damage: PDF page furniture that interrupts a sentence, markdown escapes and emphasis,
web-page tags, footnote markers glued to words.  The cleaner works on blocks (one line of a text file, one block
element of an HTML page), drops furniture, repairs the sentences it split, and records the structure (sections,
footnote anchors, endnote texts) as offsets into the final text.

The rules here are generic.  What is peculiar to one source (its page footer, a web page's tag rail, headings
written in parentheses) is declared in that source's entry of ``corpus/sources.json`` and arrives as
``SourceRules``, so a new paper needs a line of data, not a change of code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .documents import AUTHORS_TITLE, ENDNOTES_TITLE, CorpusError, Section

# Furniture of any source: a line that is only a page number.
PAGE_NUMBER = re.compile(r"(Page \d+( of \d+)?|\d+)")
TERMINAL = tuple(".!?:;\"”’)]")  # a line ending in one of these ends its sentence
# A title is one short line: a longer first line, or one that ends a sentence, is prose that opens the text.
TITLE_CHARS = 160

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPERSCRIPT_MARKER = re.compile(f"[{SUPERSCRIPT_DIGITS}]+")
_BRACKET_MARKER = re.compile(r"\[(\d{1,3})\]")
_MARKER = re.compile(rf"{_SUPERSCRIPT_MARKER.pattern}|{_BRACKET_MARKER.pattern}")
_ENDNOTE_BRACKET = re.compile(r"^\[(\d{1,3})\]\s+(.+)$")
_ENDNOTE_NUMBERED = re.compile(r"^(\d{1,3})\.\s+(.+)$")
_PAREN_HEADING = re.compile(r"^\(([A-Z][^()]{1,80})\)\s*(.*)$")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")
_LIST_MARKER = re.compile(r"^(?:[-*•‣◦]|\u2013)\s+")
_ENDNOTE_SECTION = re.compile(r"^(end\s*notes|notes|references|footnotes)$", re.I)
_DATE_LINE = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2},\s+\d{4}$"
)
_SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to",
                "with", "vs", "via", "its", "than"}


@dataclass(frozen=True)
class SourceRules:
    """What the cleaner knows of one source: its catalogue record and the quirks its sources.json entry declares.

    ``furniture``: regular expressions, each matched (case-insensitively) against a whole stripped line that belongs
    to the page, not the prose (a footer, a disclaimer, a web page's tag rail).  ``parenthesised_headings``: a line
    opening with "(Title)" starts a section of that title (a web commentary's layout).
    """

    title: str = ""
    series: str = ""
    authors: tuple[str, ...] = ()
    furniture: tuple[re.Pattern[str], ...] = ()
    parenthesised_headings: bool = False

    @classmethod
    def from_entry(cls, entry: dict) -> "SourceRules":
        """The rules of one sources.json entry; a malformed quirk is a CorpusError that names the entry and the fix."""
        where = f"sources.json entry {entry.get('file')!r}"
        patterns = entry.get("furniture") or []
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise CorpusError(f"{where}: 'furniture' must be a list of regular expressions (strings)")
        compiled = []
        for pattern in patterns:
            try:
                compiled.append(re.compile(pattern, re.I))
            except re.error as exc:
                raise CorpusError(f"{where}: furniture pattern {pattern!r} is not a regular expression ({exc})") from None
        authors = entry.get("authors") or []
        if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
            raise CorpusError(f'{where}: \'authors\' must be a list of names, e.g. ["Jane Doe"]')
        for name in ("title", "series"):
            if not isinstance(entry.get(name) or "", str):
                raise CorpusError(f"{where}: {name!r} must be a string")
        headings = entry.get("parenthesised_headings", False)
        if not isinstance(headings, bool):
            raise CorpusError(f"{where}: 'parenthesised_headings' must be true or false")
        return cls(
            title=_normalise_line(entry.get("title") or ""),
            series=_normalise_line(entry.get("series") or ""),
            authors=tuple(authors),
            furniture=tuple(compiled),
            parenthesised_headings=headings,
        )

    def is_furniture(self, line: str) -> bool:
        return bool(PAGE_NUMBER.fullmatch(line)) or any(p.fullmatch(line) for p in self.furniture)


@dataclass(frozen=True)
class Cleaned:
    text: str
    sections: list[Section]
    footnote_anchors: list[tuple[int, str]]
    footnotes: dict[str, str]
    title: str | None  # the title line the text opens with, for when the catalogue gives none


def clean(raw: str, rules: SourceRules) -> Cleaned:
    """Raw text to the canonical text and its structure."""
    return _assemble(_rejoin(_blocks(raw, rules)))


@dataclass
class _Block:
    text: str
    kind: str  # title | meta | heading | para | item | endnote | bio
    anchors: list[tuple[int, str]] = field(default_factory=list)
    marker: str | None = None  # for endnote definitions
    note: str | None = None  # endnote text without its number


def _normalise_line(line: str) -> str:
    line = unicodedata.normalize("NFC", line)
    line = line.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "").replace("\t", " ")
    return line.strip()


def _unmarkdown(text: str) -> str:
    text = re.sub(r"<((?:https?|mailto):[^>\s]+)>", r"\1", text)  # autolinks
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"\1 (\2)", text)  # [label](url)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!$&%<>|~])", r"\1", text)  # escapes
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])", r"\1", text)  # *italic*
    return re.sub(r"\s+", " ", text).strip()


def _lift_markers(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Remove footnote markers from prose, remembering where each stood (after the words it cites)."""
    anchors: list[tuple[int, str]] = []
    out: list[str] = []
    pos = 0
    for m in _MARKER.finditer(text):
        out.append(text[pos : m.start()])
        marker = m.group(1) if m.group(1) else m.group(0).translate(str.maketrans(SUPERSCRIPT_DIGITS, "0123456789"))
        anchors.append((sum(len(p) for p in out), marker))
        pos = m.end()
        # A marker between two spaces would leave a double space behind.
        if out and out[-1].endswith(" ") and text[pos : pos + 1] == " ":
            pos += 1
    out.append(text[pos:])
    return "".join(out), anchors


def _is_byline(text: str, authors: tuple[str, ...]) -> bool:
    if text.lower().startswith("by ") and len(text) < 120:
        return True
    surnames = [a.split()[-1].lower() for a in authors if a.split()]
    return bool(surnames) and len(text) < 160 and all(s in text.lower() for s in surnames) and not text.endswith(".")


def _looks_like_heading(text: str) -> bool:
    if not 2 <= len(text) <= 100 or text.endswith((".", ",", ";", "!", "?")) or "," in text:
        return False
    if text[0].isdigit() or not text[0].isalpha() and text[0] not in "(\"“":
        return False
    words = re.findall(r"[A-Za-z][A-Za-z'’.\-–]*", text)
    if not words:
        return False
    if text.isupper():
        return True
    significant = [w for w in words if w.lower() not in _SMALL_WORDS]
    capitalised = [w for w in significant if w[0].isupper()]
    return bool(significant) and len(capitalised) / len(significant) >= 0.75


def _blocks(raw: str, rules: SourceRules) -> list[_Block]:
    title, series, authors = rules.title, rules.series, rules.authors
    blocks: list[_Block] = []
    in_endnotes = False
    for raw_line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _normalise_line(raw_line)
        if not line or rules.is_furniture(line):
            continue
        md_heading = _MD_HEADING.match(line)
        if md_heading:
            line = md_heading.group(1)
        is_item = bool(_LIST_MARKER.match(line)) and not md_heading
        line = _unmarkdown(_LIST_MARKER.sub("", line) if is_item else line)
        if not line:
            continue
        paren = _PAREN_HEADING.match(line) if rules.parenthesised_headings else None
        if paren and paren.group(2):  # "(Heading) First sentence…": the heading, then the paragraph it opens
            blocks.append(_Block(paren.group(1).strip(), "heading"))
            line, paren = paren.group(2), None
        elif paren:
            line = paren.group(1).strip()

        endnote = _ENDNOTE_BRACKET.match(line) or (_ENDNOTE_NUMBERED.match(line) if in_endnotes else None)
        if not blocks and not title and _title_like(line):
            title = line
        if endnote:
            blocks.append(_Block(line, "endnote", marker=endnote.group(1), note=endnote.group(2).strip()))
            continue
        folded = _fold(line)
        if title and folded == _fold(title):
            kind = "title"
        elif (series and folded == _fold(series)) or _DATE_LINE.match(line) or _is_byline(line, authors):
            kind = "meta"
        elif any(line.startswith(a + " is ") for a in authors if a):
            kind = "bio"
        elif md_heading or paren or (not is_item and _looks_like_heading(line)):
            kind = "heading"
            in_endnotes = bool(_ENDNOTE_SECTION.match(line))
        else:
            kind = "item" if is_item else "para"
        text, anchors = _lift_markers(line) if kind in ("para", "item", "bio") else (line, [])
        blocks.append(_Block(text, kind, anchors))
    return blocks


def _title_like(line: str) -> bool:
    return len(line) <= TITLE_CHARS and not line.endswith((".", ",", ";", ":"))


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", unicodedata.normalize("NFKD", text).lower())


def _rejoin(blocks: list[_Block]) -> list[_Block]:
    """Re-join a sentence or list item that page furniture (or a page break) split in two."""
    out: list[_Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind in ("para", "item")
            and block.kind == "para"
            and not prev.text.endswith(TERMINAL)
            and block.text[:1].islower()
        ):
            shift = len(prev.text) + 1
            prev.text = f"{prev.text} {block.text}"
            prev.anchors.extend((p + shift, m) for p, m in block.anchors)
        else:
            out.append(block)
    return out


def _assemble(blocks: list[_Block]) -> Cleaned:
    pieces: list[str] = []
    anchors: list[tuple[int, str]] = []
    footnotes: dict[str, str] = {}
    starts: list[tuple[int, str | None]] = []  # (offset, section title) where a section begins
    current: str | None = None
    offset = 0
    for block in blocks:
        text = f"- {block.text}" if block.kind == "item" else block.text
        new_section = current
        if block.kind == "heading":
            new_section = block.text
        elif block.kind == "endnote" and not (current and _ENDNOTE_SECTION.match(current)):
            new_section = ENDNOTES_TITLE
        elif block.kind == "bio":
            new_section = AUTHORS_TITLE
        if new_section != current or (block.kind == "heading"):
            starts.append((offset, new_section))
            current = new_section
        shift = offset + (2 if block.kind == "item" else 0)
        anchors.extend((p + shift, m) for p, m in block.anchors)
        if block.kind == "endnote" and block.marker:
            footnotes.setdefault(block.marker, block.note or "")
        pieces.append(text)
        offset += len(text) + 2
    canonical = "\n\n".join(pieces)
    sections = []
    for i, (start, title) in enumerate(starts):
        end = starts[i + 1][0] - 2 if i + 1 < len(starts) else len(canonical)
        if title:
            sections.append(Section(title=title, char_start=start, char_end=max(start, end)))
    title = blocks[0].text if blocks and blocks[0].kind == "title" else None
    return Cleaned(canonical, sections, anchors, footnotes, title)
