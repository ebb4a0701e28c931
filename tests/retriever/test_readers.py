"""Files to raw text, and the files that hold no document: each is refused with its cause in words.

The PDFs are written here with fpdf2 (whole, truncated, encrypted), so each case is a real file of that kind.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from retriever.documents import UnreadableFile
from retriever.readers import decode_text, read_raw

TEXT = "Tariffs on steel rose to 25 percent in 2018. Shipbuilders in Busan paid more for plate."


def pdf_bytes(text: str = TEXT, user_password: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    if user_password is not None:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def read(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return read_raw(path, data).text


def test_a_whole_pdf_reads(tmp_path):
    assert "25 percent" in read(tmp_path, "whole.pdf", pdf_bytes())


def test_a_pdf_with_an_empty_user_password_reads(tmp_path):
    """Encrypted only against editing (no password to open it): readable, as any PDF viewer finds it."""
    assert "25 percent" in read(tmp_path, "owner-only.pdf", pdf_bytes(user_password=""))


@pytest.mark.parametrize("name, data, cause", [
    ("empty.txt", b"", "empty"),
    ("blank.md", b" \n\t\n", "empty"),
    ("empty.pdf", b"", "empty"),
    ("truncated.pdf", pdf_bytes()[:400], "cannot be read"),
    ("not-a-pdf.pdf", b"%PDF-1.7\nthis is no PDF at all\n", "cannot be read"),
    ("locked.pdf", pdf_bytes(user_password="secret"), "encrypted"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20, "binary"),
    ("archive.html", b"PK\x03\x04" + bytes(200) + b"<p>text</p>", "binary"),
])
def test_a_file_that_holds_no_document_names_its_cause(tmp_path, name, data, cause):
    with pytest.raises(UnreadableFile, match=cause):
        read(tmp_path, name, data)


def test_text_encodings():
    assert decode_text("Seoul’s “alliance”".encode("utf-8")) == "Seoul’s “alliance”"
    assert decode_text(codecs.BOM_UTF8 + b"alliance") == "alliance"
    assert decode_text("Seoul’s alliance".encode("utf-16")) == "Seoul’s alliance"  # with its byte-order mark
    assert decode_text("Seoul’s alliance".encode("cp1252")) == "Seoul’s alliance"  # legacy Windows text


def test_a_few_control_characters_are_still_text():
    """A form feed between pages, a stray escape in a page of prose: text with a blemish, not binary."""
    page = (TEXT + " ") * 4
    data = (page + "\x0c" + page + "\x1b" + page).encode()
    assert decode_text(data) == data.decode()
