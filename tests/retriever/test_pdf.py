"""PDFs cleaned by rule: furniture by repetition, paragraphs and headings by layout, footnotes, title and byline.

Every PDF here is written by the test with fpdf2, the way a word processor lays out a paper: a running header and a
numbered footer on each page, a title set large, bold headings, a sentence cut by the page break, footnotes in
small print at the foot of a page with superscript markers in the text.  Nothing in the reader knows these papers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retriever.corpus import load_document
from retriever.documents import Document
from retriever.pdf import metadata_authors, metadata_title
from retriever.readers import read_raw

HEADER = "Harbor Policy Review | Working Paper 12"
TITLE = "Port Congestion and Regional Trade"
OPENING = ("Ports along the coast handled record volumes last year, and the queues of ships outside the breakwater "
           "grew longer every month.")
CUT = ("The last sentence of this page goes on past the page break because the writer kept writing about the berth "
       "queues and the cranes that")
CUT_END = "were ordered but never delivered to the terminal operators."
ASIDE = "(Page 2 appendix) This paragraph opens with a remark in parentheses and is ordinary prose about customs forms."
NOTE = "Harbor Authority, Annual Report 2024, table 3."


class _Paper:
    """An fpdf2 document with a header and footer on every page, written paragraph by paragraph."""

    def __init__(self, header: bool = True, title: str | None = TITLE, author: str | None = None) -> None:
        from fpdf import FPDF

        class WithFurniture(FPDF):
            def header(self) -> None:
                if header:
                    self.set_font("Helvetica", "", 8)
                    self.cell(0, 6, HEADER, new_x="LMARGIN", new_y="NEXT")

            def footer(self) -> None:
                if header:
                    self.set_y(-15)
                    self.set_font("Helvetica", "", 8)
                    self.cell(0, 6, f"Do not cite without permission - page {self.page_no()}", align="C")

        self.pdf = WithFurniture()
        if title:
            self.pdf.set_title(title)
        if author:
            self.pdf.set_author(author)
        self.pdf.add_page()

    def para(self, text: str, size: float = 11, style: str = "") -> _Paper:
        self.pdf.set_font("Helvetica", style, size)
        self.pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(3)
        return self

    def marked(self, before: str, marker: str, after: str) -> _Paper:
        """A paragraph with a superscript footnote marker after ``before``."""
        self.pdf.set_font("Helvetica", "", 11)
        self.pdf.write(6, before)
        self.pdf.char_vpos = "SUP"
        self.pdf.write(6, marker)
        self.pdf.char_vpos = "LINE"
        self.pdf.write(6, after)
        self.pdf.ln(9)
        return self

    def footnote(self, text: str) -> _Paper:
        self.pdf.set_y(-40)
        self.pdf.set_font("Helvetica", "", 8)
        self.pdf.multi_cell(0, 4, text, new_x="LMARGIN", new_y="NEXT")
        return self

    def page(self) -> _Paper:
        self.pdf.add_page()
        return self

    def read(self, tmp_path: Path, name: str = "paper.pdf") -> Document:
        path = tmp_path / name
        path.write_bytes(bytes(self.pdf.output()))
        return load_document(path, {})


def body(n: int) -> str:
    return (f"Paragraph {n} says that berth scheduling and crane shortages delay the ships that wait outside the "
            f"harbor, and that the delay costs shippers money. ") * 2


def paper(**kwargs) -> _Paper:
    """Three pages: title, byline, an opening, a heading, prose, a sentence cut by a page break, a footnote."""
    p = _Paper(**kwargs).para(TITLE, 18, "B").para("By Ada Lovelace and Alan Turing").para(OPENING)
    p.para("Causes of Delay", 13, "B")
    for n in range(4):
        p.para(body(n))
    p.marked("Crane orders doubled in the spring", "1", " and the terminals waited for delivery.")
    p.para(CUT).footnote(f"1 {NOTE}").page().para(CUT_END).para(ASIDE)
    p.para("What Ports Can Do", 13, "B").para(body(5)).page().para(body(6))
    return p


@pytest.fixture(scope="module")
def doc(tmp_path_factory) -> Document:
    return paper().read(tmp_path_factory.mktemp("pdf"))


def paragraphs(doc: Document) -> list[str]:
    return doc.text.split("\n\n")


def test_running_header_and_numbered_footer_are_dropped_by_repetition(doc):
    assert HEADER not in doc.text
    assert "Do not cite" not in doc.text
    assert body(6).strip() in paragraphs(doc)  # the last page's prose survives whole


def test_a_sentence_cut_by_the_page_break_is_one_paragraph_again(doc):
    assert f"{CUT} {CUT_END}" in paragraphs(doc)


def test_title_byline_and_opening_are_apart(doc):
    assert doc.title == TITLE
    assert paragraphs(doc)[:3] == [TITLE, "By Ada Lovelace and Alan Turing", OPENING]


def test_bold_headings_open_sections_and_a_parenthesised_aside_does_not(doc):
    titles = [s.title for s in doc.sections]
    assert titles[:2] == ["Causes of Delay", "What Ports Can Do"]
    assert not any("appendix" in t for t in titles)
    assert ASIDE in paragraphs(doc)


def test_footnotes_leave_the_prose_and_their_markers_point_at_them(doc):
    assert NOTE not in doc.text.split("Notes")[0]  # the small print is not inside the body
    assert doc.footnotes == {"1": NOTE}
    sentence = "Crane orders doubled in the spring and the terminals waited for delivery."
    start = doc.text.index(sentence)
    assert [m for p, m in doc.footnote_anchors if start < p <= start + len(sentence)] == ["1"]


def test_title_and_authors_come_from_the_pdf_metadata(tmp_path):
    doc = _Paper(title="Harbors in Transition", author="Ada Lovelace; Alan Turing").para(OPENING).read(tmp_path)
    assert doc.title == "Harbors in Transition"
    assert doc.authors == ["Ada Lovelace", "Alan Turing"]


def test_a_pdf_opening_with_prose_is_titled_by_its_file_not_its_first_paragraph(tmp_path):
    doc = _Paper(header=False, title=None).para(OPENING * 3).read(tmp_path, "harbor-note.pdf")
    assert doc.title == "harbor-note"
    assert doc.text == (OPENING * 3).strip()


def test_prose_that_opens_two_of_three_pages_is_not_furniture(tmp_path):
    line = "Shippers wait."
    p = _Paper(header=False).para(line).para(OPENING).page().para(line).para(CUT_END).page().para(ASIDE)
    assert p.read(tmp_path).text.count(line) == 2


def test_the_catalogue_overrides_what_the_pdf_says_of_itself(tmp_path):
    path = tmp_path / "p.pdf"
    path.write_bytes(bytes(_Paper(author="Ada Lovelace").para(OPENING).pdf.output()))
    doc = load_document(path, {"title": "Catalogued", "authors": ["Grace Hopper"]})
    assert (doc.title, doc.authors) == ("Catalogued", ["Grace Hopper"])
    assert read_raw(path, path.read_bytes()).authors == ("Ada Lovelace",)


@pytest.mark.parametrize("value, title", [
    ("Port Congestion and Regional Trade", "Port Congestion and Regional Trade"),
    ("  Port   Congestion ", "Port Congestion"),
    ("Microsoft Word - draft7.docx", None),
    ("report_final.pdf", None),
    ("Untitled", None),
    ("", None),
    (None, None),
    ("x" * 400, None),
])
def test_metadata_title_is_a_title_or_nothing(value, title):
    assert metadata_title(value) == title


@pytest.mark.parametrize("value, names", [
    ("Ada Lovelace; Alan Turing", ("Ada Lovelace", "Alan Turing")),
    ("Ada Lovelace and Alan Turing", ("Ada Lovelace", "Alan Turing")),
    ("Ada Lovelace, Alan Turing", ("Ada Lovelace", "Alan Turing")),
    ("Lovelace, Ada", ("Lovelace, Ada",)),
    ("", ()),
    (None, ()),
])
def test_metadata_authors_splits_names(value, names):
    assert metadata_authors(value) == names
