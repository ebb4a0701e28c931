"""Files to raw text, whatever their format: one line per block, headings as markdown, footnote markers as [n].

What comes out still carries the damage of its source (page furniture, markup, split sentences);
``retriever.cleaning`` repairs it.  Readers only have to keep the blocks apart and in order.
"""

from __future__ import annotations

import codecs
import html.parser
import re
from pathlib import Path

from .documents import Raw, UnreadableFile
from .pdf import read_pdf

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


# In a text file, control characters other than tab, newline, carriage return and form feed mean binary data.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
BINARY_SHARE = 0.01  # this share of control bytes in the first 64 KB, or any NUL, and a "text" file is binary


def read_raw(path: Path, data: bytes) -> Raw:
    """Text of a file, whatever its format; HTML and PDF become line-per-block text with markdown headings.

    Raises ``UnreadableFile`` with the cause in words (empty, binary, a broken or encrypted PDF): the corpus skips
    that file and indexes the rest.
    """
    if not data.strip():
        raise UnreadableFile("the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return read_pdf(data)
    text = decode_text(data)
    return Raw(html_to_text(text) if suffix in (".html", ".htm") else text)


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
