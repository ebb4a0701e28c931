"""A PDF to line-per-block text by its layout: paragraphs, headings and footnotes from positions and font sizes.

pypdf's plain ``extract_text`` gives one line per printed line and nothing else: a title runs into its byline and
first paragraph, a heading into the paragraph below it, and the running header and footer of every page sit in the
middle of whatever sentence crosses the page break.  The positions and font sizes of the text tell these apart in
any PDF, with no knowledge of who made it:

- **page furniture** is a line at the top or bottom of a page that other pages repeat, digits aside, at the same
  height;
- **paragraphs** are lines at the body's line spacing; a wider gap, a change of font, or an indented line after a
  finished sentence starts a new one, and a paragraph the page break cut continues on the next page;
- **headings** are short lines set larger than the body, or bold at the body's size; the largest on the first page
  is the title;
- **footnotes** are lines set smaller than the body at the foot of a page that start with their number; they are
  moved to a closing "Notes" section, and small digits glued to a word become ``[n]`` markers.

What comes out is what ``retriever.cleaning`` reads from any format: one block per line, headings as markdown.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field

from .cleaning import TERMINAL, TITLE_CHARS
from .documents import Raw, UnreadableFile

# Furniture: a line among the first or last EDGE_LINES of a page that recurs, digits aside, at the same height (within
# FURNITURE_DRIFT points) on FURNITURE_PAGES pages, or on two if it holds a number: a running header that carries the
# page number and the chapter's name changes with the chapter, and a chapter may be two pages long, while a line of
# prose that happens to open two pages carries no page number.
EDGE_LINES = 2
FURNITURE_DRIFT = 2.0
FURNITURE_PAGES = 3
# Layout, relative to the body's font size and line spacing (chosen so that single- and 1.5-spaced text, with or
# without paragraph spacing, read alike).
PARAGRAPH_GAP = 1.2  # a gap this many times the body's line spacing opens a paragraph
SIZE_STEP = 0.75  # points: a line this much larger than the body is a heading, this much smaller is small print
INDENT = 0.9  # body sizes: a line indented this far after a finished sentence opens a paragraph
SUPERSCRIPT = 0.85  # a run of digits below this share of its line's size is a footnote marker
HEADING_CHARS = 120  # a heading is a short line; a longer one set large is a pull quote or a lead paragraph
# Metadata: a title that names a file or says nothing is not a title.
_PLACEHOLDER_TITLE = re.compile(r"^(untitled|microsoft word\b.*|.*\.(docx?|pdf|tex|indd|rtf|odt))$", re.I)
_FOOTNOTE = re.compile(r"^(\d{1,3})[.)]?\s+(\S.*)$")
_ENCRYPTED = "the PDF is encrypted with a password; save an unencrypted copy"


@dataclass
class _Line:
    page: int
    x: float
    y: float
    size: float
    bold: bool
    text: str


@dataclass
class _Block:
    kind: str  # heading | para | footnote
    lines: list[_Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        out = ""
        for line in self.lines:
            out = _join(out, line.text)
        return out


def read_pdf(data: bytes) -> Raw:
    """Text, title and authors of a PDF; a broken or encrypted one raises ``UnreadableFile`` with the cause."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError
    except ImportError as exc:  # pragma: no cover - pypdf is a declared dependency
        raise UnreadableFile("reading PDF needs the 'pypdf' package") from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile(_ENCRYPTED)
        pages = [_page_lines(page, number) for number, page in enumerate(reader.pages)]
        meta = reader.metadata
        title, author = (meta.title, meta.author) if meta is not None else (None, None)
    except UnreadableFile:
        raise
    except FileNotDecryptedError as exc:
        raise UnreadableFile(_ENCRYPTED) from exc
    except Exception as exc:  # pypdf raises many types for a damaged file; each means the same to the reader
        raise UnreadableFile(f"the PDF cannot be read ({exc or type(exc).__name__}); is it complete?") from exc
    return Raw(text=layout_text(pages), title=metadata_title(title), authors=metadata_authors(author))


def metadata_title(value: object) -> str | None:
    """The document-information title, if it is one: not empty, not a file name, not "Untitled", not a paragraph."""
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    if len(text) < 3 or len(text) > TITLE_CHARS or _PLACEHOLDER_TITLE.match(text):
        return None
    return text


def metadata_authors(value: object) -> tuple[str, ...]:
    """The document-information author field as names: "A; B", "A and B", "A & B" (a comma only between names)."""
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    if not text or len(text) > TITLE_CHARS:
        return ()
    parts = re.split(r"\s*(?:;|\band\b|&)\s*", text)
    if len(parts) == 1 and "," in text:
        commas = [p.strip() for p in text.split(",")]
        parts = commas if all(len(p.split()) >= 2 for p in commas) else parts  # "Kim, Anthony" is one name
    return tuple(p.strip() for p in parts if p.strip())


# ------------------------------------------------------------------------------------------------------ layout

def _page_lines(page, number: int) -> list[_Line]:
    """The printed lines of a page, top to bottom as the content stream gives them, with position and size."""
    lines: list[_Line] = []

    def visit(text: str, cm: list[float], tm: list[float], font: dict | None, size: float) -> None:
        if not text.strip():
            return
        # The text matrix in page space (tm × cm): its translation is the position, its vertical scale the size.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[2] * cm[1] + tm[3] * cm[3]) or 1.0
        name = str((font or {}).get("/BaseFont", "")).lower()
        fragment = _Line(number, x, y, round(size * scale, 1), any(w in name for w in ("bold", "black", "heavy")),
                         re.sub(r"\s+", " ", text))
        current = lines[-1] if lines else None
        if current is not None and abs(fragment.y - current.y) <= 0.5 * current.size:
            _extend(current, fragment)
        else:
            fragment.text = fragment.text.lstrip()
            lines.append(fragment)

    page.extract_text(visitor_text=visit)
    for line in lines:
        line.text = line.text.strip()
    return [line for line in lines if line.text]


def _extend(line: _Line, fragment: _Line) -> None:
    """Add a fragment printed on the same line; small digits right after a word are a footnote marker."""
    if fragment.text.strip().isdigit() and fragment.size < SUPERSCRIPT * line.size and line.text[-1:].strip():
        line.text += f"[{fragment.text.strip()}]"
        return
    if len(fragment.text.strip()) > len(line.text.strip()):  # the line takes the size of most of its text
        line.size, line.bold = fragment.size, fragment.bold
    line.text += fragment.text


def layout_text(pages: list[list[_Line]]) -> str:
    """Lines of every page to line-per-block text: furniture out, paragraphs joined, headings marked, notes last."""
    furniture = _furniture(pages)
    lines = [line for page in pages for line in page if id(line) not in furniture]
    if not lines:
        return ""
    body = _body_size(lines)
    blocks = _blocks(lines, body, _line_spacing(lines, body))
    title_size = max((b.lines[0].size for b in blocks if b.kind == "heading" and b.lines[0].page == 0), default=None)
    out: list[str] = []
    notes: list[str] = []
    for block in blocks:
        if block.kind == "footnote":
            notes.append(block.text)
        elif block.kind == "heading":
            level = "#" if block.lines[0].size == title_size and block.lines[0].page == 0 else "##"
            out.append(f"{level} {block.text}")
        else:
            out.append(block.text)
    if notes:
        out.append("## Notes")
        out.extend(_FOOTNOTE.sub(r"[\1] \2", note) for note in notes)
    return "\n".join(out)


def _key(text: str) -> str:
    """A line with its numbers blanked: "Page 3 of 9" and "Page 4 of 9" are the same furniture."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.lower())).strip()


def _furniture(pages: list[list[_Line]]) -> set[int]:
    """The lines (by id) at a page's top or bottom that other pages repeat at the same height: the page's own."""
    seen: dict[str, list[_Line]] = {}
    for page in pages:
        ordered = sorted(page, key=lambda line: -line.y)
        for line in {id(x): x for x in ordered[:EDGE_LINES] + ordered[-EDGE_LINES:]}.values():
            seen.setdefault(_key(line.text), []).append(line)
    furniture = set()
    for key, twins in seen.items():
        needed = 2 if "#" in key else min(FURNITURE_PAGES, len(pages))
        for line in twins:
            if len({o.page for o in twins if abs(o.y - line.y) <= FURNITURE_DRIFT}) >= max(needed, 2):
                furniture.add(id(line))
    return furniture


def _body_size(lines: list[_Line]) -> float:
    """The font size most of the text is set in."""
    weight: Counter[float] = Counter()
    for line in lines:
        weight[line.size] += len(line.text)
    return weight.most_common(1)[0][0]


def _line_spacing(lines: list[_Line], body: float) -> float:
    """The usual distance between two body lines of one paragraph (1.2 × the size if no two lines are adjacent)."""
    gaps = [round(a.y - b.y, 1) for a, b in zip(lines, lines[1:])
            if a.page == b.page and a.size == b.size == body and 0 < a.y - b.y < 3 * body]
    return Counter(gaps).most_common(1)[0][0] if gaps else 1.2 * body


def _kind(line: _Line, body: float) -> str:
    text = line.text
    if line.size <= body - SIZE_STEP and _FOOTNOTE.match(text):
        return "footnote"
    short = len(text) <= HEADING_CHARS and not text.endswith((".", ",", ";"))
    if short and (line.size >= body + SIZE_STEP or (line.bold and abs(line.size - body) < SIZE_STEP)):
        return "heading"
    return "para"


def _blocks(lines: list[_Line], body: float, spacing: float) -> list[_Block]:
    blocks: list[_Block] = []
    left = min((line.x for line in lines if line.size == body), default=0.0)
    for line in lines:
        kind = _kind(line, body)
        if blocks and _continues(blocks[-1], line, kind, body, spacing, left):
            blocks[-1].lines.append(line)
            continue
        if blocks and line.page != blocks[-1].lines[-1].page and kind == "para":
            # A paragraph the page break cut goes on, whatever lies between (its page's footnotes).
            cut = next((b for b in reversed(blocks) if b.kind != "footnote"), None)
            if cut is not None and cut.kind == "para" and not cut.text.endswith(TERMINAL):
                cut.lines.append(line)
                continue
        blocks.append(_Block(kind, [line]))
    for block in blocks:  # a run of bold lines is a bold paragraph, not a heading
        if block.kind == "heading" and len(block.text) > HEADING_CHARS:
            block.kind = "para"
    return blocks


def _continues(block: _Block, line: _Line, kind: str, body: float, spacing: float, left: float) -> bool:
    """Is ``line`` the next line of ``block`` (same page, same kind and font, at the paragraph's line spacing)?"""
    prev = block.lines[-1]
    if line.page != prev.page:
        return False
    if block.kind == "footnote":  # small print goes on until the next numbered note
        return line.size <= body - SIZE_STEP and kind != "footnote"
    if kind != block.kind or line.bold != prev.bold or abs(line.size - prev.size) >= SIZE_STEP:
        return False
    if prev.y - line.y > PARAGRAPH_GAP * spacing:
        return False
    return not (kind == "para" and line.x - left >= INDENT * body and prev.text.endswith(TERMINAL))


def _join(text: str, line: str) -> str:
    """Two printed lines of one paragraph as one: a word the line break hyphenated is made whole again."""
    if not text:
        return line
    if text.endswith("-") and line[:1].islower() and text[-2:-1].isalpha():
        return text[:-1] + line
    return f"{text} {line}"
