"""Files to raw text, whatever their format: one line per block, headings as markdown, footnote markers as [n].

What comes out still carries the damage of its source (page furniture, markup, split sentences);
``retriever.cleaning`` repairs it.  Readers only have to keep the blocks apart and in order.
"""

from __future__ import annotations

import codecs
import html.parser
import io
import re
from pathlib import Path

from .cleaning import TERMINAL
from .documents import CorpusError, UnreadableFile

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


# In a text file, control characters other than tab, newline, carriage return and form feed mean binary data.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
BINARY_SHARE = 0.01  # this share of control bytes in the first 64 KB, or any NUL, and a "text" file is binary


def read_raw(path: Path, data: bytes) -> str:
    """Text of a file, whatever its format; HTML and PDF become line-per-block text with markdown headings.

    Raises ``UnreadableFile`` with the cause in words (empty, binary, a broken or encrypted PDF): the corpus skips
    that file and indexes the rest.
    """
    if not data.strip():
        raise UnreadableFile("the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return pdf_text(path, data)
    text = decode_text(data)
    if suffix in (".html", ".htm"):
        return html_to_text(text)
    return text


def decode_text(data: bytes) -> str:
    """Bytes of a text file as text: UTF-8 (or UTF-16 with its byte-order mark), else Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    head = data[:65536]
    if b"\x00" in head or len(_CONTROL.findall(head)) > BINARY_SHARE * len(head):
        raise UnreadableFile("it holds binary data, not text; is it really a text file with the right extension?")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # legacy Windows text; its 5 unused bytes become U+FFFD


def pdf_text(path: Path, data: bytes | None = None) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError
    except ImportError as exc:  # pragma: no cover - pypdf is a declared dependency
        raise CorpusError("reading PDF needs the 'pypdf' package") from exc
    try:
        reader = PdfReader(io.BytesIO(data) if data is not None else str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("the PDF is encrypted with a password; save an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFile:
        raise
    except FileNotDecryptedError as exc:
        raise UnreadableFile("the PDF is encrypted with a password; save an unencrypted copy") from exc
    except Exception as exc:  # pypdf raises many types for a damaged file; each means the same to the reader
        raise UnreadableFile(f"the PDF cannot be read ({exc or type(exc).__name__}); is it complete?") from exc
    # A PDF wraps lines inside paragraphs: join a line to the next unless it ends a sentence.
    lines = [ln.strip() for ln in "\n".join(pages).splitlines()]
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line and not out[-1].endswith(TERMINAL):
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
