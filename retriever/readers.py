"""Files to raw text, whatever their format: one line per block, headings as markdown, footnote markers as [n].

What comes out still carries the damage of its source (page furniture, markup, split sentences);
``retriever.cleaning`` repairs it.  Readers only have to keep the blocks apart and in order.
"""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

from .cleaning import TERMINAL
from .documents import CorpusError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


def read_raw(path: Path, data: bytes) -> str:
    """Text of a file, whatever its format; HTML and PDF become line-per-block text with markdown headings."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return pdf_text(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if suffix in (".html", ".htm"):
        return html_to_text(text)
    return text


def pdf_text(path: Path) -> str:
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
