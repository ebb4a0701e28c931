"""Corpus loading and cleaning into one canonical text per document.

The canonical text is the contract with the reader: every citation's ``[char_start, char_end)`` points into it, and
``GET /api/documents/{id}`` serves it.  Cleaning therefore happens once, here, and everything downstream (chunks,
highlights, the document view) only ever slices this text.

Raw inputs carry real-world damage: PDF page furniture that interrupts a sentence, markdown escapes and emphasis,
web-page tags, footnote markers glued to words.  The cleaner works on blocks (one line of a text file, one block
element of an HTML page), drops furniture, repairs the sentences it split, and records the structure (sections,
footnote anchors, endnote texts) as offsets into the final text.
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")

# Page furniture: lines that belong to the page, not the prose.  One pattern a kind, matched on a whole stripped line.
FURNITURE = [
    re.compile(r"This paper, in its entirety, can be found at .*", re.I),  # Heritage PDF footer
    re.compile(r"The Heritage Foundation \| .*\| heritage\.org", re.I),  # Heritage PDF footer address
    re.compile(r"Nothing written here is to be construed as necessarily reflecting the views of .*", re.I),
    re.compile(r"[•·]\s*#\S.*"),  # web page topic tags ("• #Economy & Trade")
    re.compile(r"Related Articles?.*", re.I),  # web page "Related Articles" rail
    re.compile(r"(Page \d+( of \d+)?|\d+)"),  # bare page numbers
]

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPERSCRIPT_MARKER = re.compile(f"[{SUPERSCRIPT_DIGITS}]+")
_BRACKET_MARKER = re.compile(r"\[(\d{1,3})\]")
_ENDNOTE_BRACKET = re.compile(r"^\[(\d{1,3})\]\s+(.+)$")
_ENDNOTE_NUMBERED = re.compile(r"^(\d{1,3})\.\s+(.+)$")
_PAREN_HEADING = re.compile(r"^\(([A-Z][^()]{1,80})\)\s*(.*)$")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")
_LIST_MARKER = re.compile(r"^(?:[-*•‣◦]|\u2013)\s+")
_ENDNOTE_SECTION = re.compile(r"^(end\s*notes|notes|references|footnotes)$", re.I)
_DATE_LINE = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2},\s+\d{4}$"
)
_TERMINAL = tuple(".!?:;\"”’)]")
ENDNOTES_TITLE = "Endnotes"
AUTHORS_TITLE = "About the authors"


@dataclass(frozen=True)
class Footnote:
    marker: str
    text: str


@dataclass(frozen=True)
class Section:
    title: str
    char_start: int
    char_end: int


@dataclass
class Document:
    doc_id: str
    title: str
    authors: list[str]
    publisher: str | None
    date: str | None
    url: str | None
    series: str | None
    source_file: str
    sha256: str
    text: str
    sections: list[Section] = field(default_factory=list)
    # (offset in text, marker): where a footnote marker stood before it was lifted out of the prose.
    footnote_anchors: list[tuple[int, str]] = field(default_factory=list)
    footnotes: dict[str, str] = field(default_factory=dict)

    def section_at(self, offset: int) -> str | None:
        for section in self.sections:
            if section.char_start <= offset < section.char_end:
                return section.title
        return None

    def footnotes_in(self, start: int, end: int) -> list[Footnote]:
        """Endnotes cited by markers that stood inside ``(start, end]`` (a marker follows the words it cites)."""
        seen: list[str] = []
        for pos, marker in self.footnote_anchors:
            if start < pos <= end and marker not in seen:
                seen.append(marker)
        return [Footnote(m, self.footnotes.get(m, "")) for m in seen]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Document":
        data = dict(data)
        data["sections"] = [Section(**s) for s in data.get("sections", [])]
        data["footnote_anchors"] = [(int(p), str(m)) for p, m in data.get("footnote_anchors", [])]
        return cls(**data)


class CorpusError(Exception):
    """The corpus folder cannot be read as documents (missing folder, bad sources.json, unreadable file)."""


# ----------------------------------------------------------------------------------------------------- loading


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; set ALLIANCE_QA_CORPUS_DIR or create it")
    files = sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
    if not files:
        raise CorpusError(f"corpus folder {corpus_dir} holds no documents ({', '.join(SUPPORTED_SUFFIXES)})")
    return files


def corpus_checksums(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every input file and of sources.json: the manifest compares these to spot a changed corpus."""
    paths = corpus_files(corpus_dir)
    sources = corpus_dir / "sources.json"
    if sources.exists():
        paths.append(sources)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def load_sources(corpus_dir: Path) -> dict[str, dict]:
    path = corpus_dir / "sources.json"
    if not path.exists():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "file" in e for e in entries):
        raise CorpusError(f"{path} must be a JSON list of objects, each with a 'file' key")
    return {e["file"]: e for e in entries}


def load_corpus(corpus_dir: Path) -> list[Document]:
    sources = load_sources(corpus_dir)
    files = corpus_files(corpus_dir)
    missing = sorted(set(sources) - {p.name for p in files})
    if missing:  # a document that was meant to be here is gone: refuse rather than quietly answer without it
        raise CorpusError(
            f"{corpus_dir / 'sources.json'} lists {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not in {corpus_dir}: put the file back, or remove its entry from sources.json to drop the document"
        )
    docs = [load_document(path, sources.get(path.name, {})) for path in files]
    ids = [d.doc_id for d in docs]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise CorpusError(f"two documents share the doc_id {sorted(dupes)}; give them distinct ids in sources.json")
    return docs


def load_document(path: Path, meta: dict) -> Document:
    raw_bytes = path.read_bytes()
    raw = read_raw(path, raw_bytes)
    doc_id = meta.get("doc_id") or slugify(path.stem)
    text, sections, anchors, footnotes, first_line = clean(raw, meta)
    return Document(
        doc_id=doc_id,
        title=meta.get("title") or first_line or path.stem,
        authors=list(meta.get("authors") or []),
        publisher=meta.get("publisher") or meta.get("affiliation"),
        date=meta.get("date"),
        url=meta.get("url"),
        series=meta.get("series"),
        source_file=path.name,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        text=text,
        sections=sections,
        footnote_anchors=anchors,
        footnotes=footnotes,
    )


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "document"


def read_raw(path: Path, data: bytes) -> str:
    """Text of a file, whatever its format; HTML and PDF become line-per-block text with markdown headings."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _pdf_text(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if suffix in (".html", ".htm"):
        return html_to_text(text)
    return text


def _pdf_text(path: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - pypdf is a declared dependency
        raise CorpusError("reading PDF needs the 'pypdf' package") from exc
    try:
        pages = [page.extract_text() or "" for page in PdfReader(str(path)).pages]
    except Exception as exc:
        raise CorpusError(f"cannot read PDF {path.name}: {exc}") from exc
    # A PDF wraps lines inside paragraphs: join a line to the next unless it ends a sentence.
    lines = [ln.strip() for ln in "\n".join(pages).splitlines()]
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line and not out[-1].endswith(_TERMINAL):
            out[-1] = out[-1][:-1] + line if out[-1].endswith("-") and line[:1].islower() else out[-1] + " " + line
        else:
            out.append(line)
    return "\n".join(out)


class _HTMLText(html.parser.HTMLParser):
    """HTML to one line per block element; headings as markdown, footnote <sup> as [n]."""

    SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "svg"}
    BLOCK = {"p", "div", "section", "article", "br", "tr", "blockquote", "pre", "table", "ul", "ol", "dd", "dt"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.in_sup = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self.skip_depth += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n" + "#" * int(tag[1]) + " ")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "sup":
            self.in_sup = True

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in self.BLOCK or re.fullmatch(r"h[1-6]", tag) or tag == "li":
            self.parts.append("\n")
        elif tag == "sup":
            self.in_sup = False

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.in_sup and data.strip().isdigit():
            self.parts.append(f"[{data.strip()}]")
        else:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    return "\n".join(line.strip() for line in "".join(parser.parts).splitlines())


# ---------------------------------------------------------------------------------------------------- cleaning


@dataclass
class _Block:
    text: str
    kind: str  # title | meta | heading | para | item | endnote | bio
    anchors: list[tuple[int, str]] = field(default_factory=list)
    marker: str | None = None  # for endnote definitions
    note: str | None = None  # endnote text without its number


def clean(raw: str, meta: dict) -> tuple[str, list[Section], list[tuple[int, str]], dict[str, str], str | None]:
    """Raw text to (canonical text, sections, footnote anchors, endnotes, first line)."""
    blocks = _blocks(raw, meta)
    blocks = _rejoin(blocks)
    return _assemble(blocks, meta)


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
    pattern = re.compile(rf"{_SUPERSCRIPT_MARKER.pattern}|{_BRACKET_MARKER.pattern}")
    for m in pattern.finditer(text):
        out.append(text[pos : m.start()])
        marker = m.group(1) if m.group(1) else m.group(0).translate(str.maketrans(SUPERSCRIPT_DIGITS, "0123456789"))
        anchors.append((sum(len(p) for p in out), marker))
        pos = m.end()
        # A marker between two spaces would leave a double space behind.
        if out and out[-1].endswith(" ") and text[pos : pos + 1] == " ":
            pos += 1
    out.append(text[pos:])
    return "".join(out), anchors


def _is_byline(text: str, authors: list[str]) -> bool:
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


_SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to",
                "with", "vs", "via", "its", "than"}


def _blocks(raw: str, meta: dict) -> list[_Block]:
    title = _normalise_line(meta.get("title") or "")
    series = _normalise_line(meta.get("series") or "")
    authors = list(meta.get("authors") or [])
    blocks: list[_Block] = []
    in_endnotes = False
    for raw_line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _normalise_line(raw_line)
        if not line or any(p.fullmatch(line) for p in FURNITURE):
            continue
        md_heading = _MD_HEADING.match(line)
        if md_heading:
            line = md_heading.group(1)
        is_item = bool(_LIST_MARKER.match(line)) and not md_heading
        line = _unmarkdown(_LIST_MARKER.sub("", line) if is_item else line)
        if not line:
            continue
        paren = _PAREN_HEADING.match(line)
        if paren and paren.group(2):  # "(Heading) First sentence…": the heading, then the paragraph it opens
            blocks.append(_Block(paren.group(1).strip(), "heading"))
            line, paren = paren.group(2), None
        elif paren:
            line = paren.group(1).strip()

        endnote = _ENDNOTE_BRACKET.match(line) or (_ENDNOTE_NUMBERED.match(line) if in_endnotes else None)
        if not blocks and not title:
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
            and not prev.text.endswith(_TERMINAL)
            and block.text[:1].islower()
        ):
            shift = len(prev.text) + 1
            prev.text = f"{prev.text} {block.text}"
            prev.anchors.extend((p + shift, m) for p, m in block.anchors)
        else:
            out.append(block)
    return out


def _assemble(
    blocks: list[_Block], meta: dict
) -> tuple[str, list[Section], list[tuple[int, str]], dict[str, str], str | None]:
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
            sections.append(Section(title, start, max(start, end)))
    first_line = blocks[0].text if blocks else None
    return canonical, sections, anchors, footnotes, first_line
