"""Cleaning: the canonical text is what every citation points into, so its damage repairs are tested one by one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retriever.config import PROJECT_ROOT
from retriever.corpus import load_corpus, load_document
from retriever.documents import CorpusError

CORPUS = PROJECT_ROOT / "corpus"
HERITAGE = "heritage-ib5370-us-korea-economic-partnership"
KIEP = "kiep-2025-korea-us-economic-alliance"


@pytest.fixture(scope="module")
def docs():
    return {d.doc_id: d for d in load_corpus(CORPUS).documents}


def test_metadata_from_sources(docs):
    h, k = docs[HERITAGE], docs[KIEP]
    assert h.authors == ["Anthony B. Kim", "Derrick Morgan"]
    assert h.publisher == "The Heritage Foundation" and h.url == "https://report.heritage.org/ib5370"
    assert k.title == "Challenges and Tasks Ahead for the Korea-US Economic Alliance"
    assert k.date == "2025-09-27" and k.url is None


def test_split_heritage_sentence_comes_out_whole(docs):
    text = docs[HERITAGE].text
    assert "at least 2 percent of their gross domestic product (GDP) on defense." in text
    assert "Washington should make the case for South Korea’s membership" in text
    assert "free trade agreement, commonly known as the KORUS FTA" in text


@pytest.mark.parametrize(
    "furniture",
    ["This paper, in its entirety", "214 Massachusetts Avenue", "Nothing written here is to be construed",
     "#Economy & Trade", "Related Articles", "\\$", "**", "<https://"],
)
def test_no_page_furniture_or_markup(docs, furniture):
    assert all(furniture not in d.text for d in docs.values())


def test_escapes_and_bold_undone(docs):
    assert "more than $20 billion to U.S. projects in 2023." in docs[HERITAGE].text
    assert "- Making renewed and strategic efforts to maximize the utility of the KORUS FTA." in docs[HERITAGE].text


def test_paragraph_breaks_kept(docs):
    text = docs[KIEP].text
    assert "\n\nIncentives work better than penalties." in text
    assert "\n\n\n" not in text


def test_sections_recognised(docs):
    titles = {d: [s.title for s in doc.sections] for d, doc in docs.items()}
    assert titles[KIEP][:4] == ["Key Takeaways", "Introduction", "Rethinking Tariffs and Incentives",
                                "Building an Action Plan Together"]
    assert "Endnotes" in titles[HERITAGE] and "KEY TAKEAWAYS" in titles[HERITAGE]
    assert "The Republic of Korea: America's Capable Partner and Faithful Ally" in titles[HERITAGE]
    kiep = docs[KIEP]
    assert kiep.section_at(kiep.text.index("Incentives work better")) == "Rethinking Tariffs and Incentives"
    assert kiep.section_at(kiep.text.index("[3] DIGITIMES")) == "Endnotes"
    # The "(Heading)" prefix is lifted out of the paragraph it opened.
    assert "(Rethinking Tariffs" not in kiep.text and "\n\nFirst, it is essential to recalibrate" in kiep.text


def test_footnote_markers_separated_and_linked(docs):
    h, k = docs[HERITAGE], docs[KIEP]
    assert not any(ch in h.text for ch in "¹²³⁴⁵⁶⁷⁸")
    assert "Reciprocal Defense Procurement (RDP) Agreement with South Korea" in h.text
    start = h.text.index("South Korea has become the largest investor")
    notes = h.footnotes_in(start, start + 200)
    assert [n.marker for n in notes] == ["2"] and "Financial Times" in notes[0].text
    assert "both countries. This pattern diverged" in k.text  # "[1]" lifted from the prose…
    assert k.text.count("[1]") == 1  # …but the endnote itself keeps its number
    start = k.text.index("Morris Chang")
    assert [n.marker for n in k.footnotes_in(start - 300, start + 120)] == ["2", "3"]
    assert set(h.footnotes) == {str(i) for i in range(1, 9)} and set(k.footnotes) == {str(i) for i in range(1, 6)}


def test_html_and_markdown_documents(tmp_path: Path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><style>p{}</style><script>alert(1)</script></head><body><nav>Menu</nav>"
        "<h1>Trade Notes</h1><h2>Steel Tariffs</h2><p>Tariffs rose to 25 percent.<sup>1</sup> Prices"
        " followed.</p><ul><li>First item</li></ul><footer>Copyright</footer></body></html>"
    )
    doc = load_document(page, {})
    assert doc.doc_id == "page" and doc.title == "Trade Notes"
    assert "alert" not in doc.text and "Menu" not in doc.text and "Copyright" not in doc.text
    assert "Tariffs rose to 25 percent. Prices followed." in doc.text
    assert doc.section_at(doc.text.index("Tariffs rose")) == "Steel Tariffs"
    assert doc.footnote_anchors and doc.footnote_anchors[0][1] == "1"
    md = tmp_path / "notes.md"
    md.write_text("# Title Here\n\n## A Section\n\nSome **bold** text with \\$5 and *emphasis*.\n")
    doc = load_document(md, {})
    assert "Some bold text with $5 and emphasis." in doc.text and doc.sections[-1].title == "A Section"


def test_corpus_errors_are_clear(tmp_path: Path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "missing")
    with pytest.raises(CorpusError, match="no documents"):
        load_corpus(tmp_path)
    (tmp_path / "a.txt").write_text("Hello there.")
    (tmp_path / "sources.json").write_text("{not json")
    with pytest.raises(CorpusError, match="not valid JSON"):
        load_corpus(tmp_path)
    (tmp_path / "sources.json").write_text(json.dumps([{"file": "a.txt", "doc_id": "x"}, {"file": "b.txt", "doc_id": "x"}]))
    (tmp_path / "b.txt").write_text("Another one.")
    with pytest.raises(CorpusError, match="share the doc_id"):
        load_corpus(tmp_path)


def test_unreadable_files_are_skipped_and_the_rest_kept(tmp_path: Path):
    (tmp_path / "good.txt").write_text("Steel Notes\n\nTariffs on steel rose to 25 percent in 2018.\n")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    (tmp_path / "photo.md").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4)
    (tmp_path / "scripts.html").write_text("<html><script>var a = 1;</script><style>p {}</style></html>")
    found = load_corpus(tmp_path)
    assert [d.doc_id for d in found.documents] == ["good"]
    reasons = {s.file: s.reason for s in found.skipped}
    assert set(reasons) == {"empty.txt", "broken.pdf", "photo.md", "scripts.html"}
    assert "empty" in reasons["empty.txt"] and "cannot be read" in reasons["broken.pdf"]
    assert "binary" in reasons["photo.md"] and "no text" in reasons["scripts.html"]


def test_a_corpus_with_no_readable_document_fails_naming_every_file(tmp_path: Path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n")
    with pytest.raises(CorpusError, match="no document .* can be read") as caught:
        load_corpus(tmp_path)
    assert "empty.txt" in str(caught.value) and "broken.pdf" in str(caught.value)
