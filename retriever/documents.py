"""The document model: a catalogue record and one canonical text per document.

The canonical text is the contract with the reader: every citation's ``[char_start, char_end)`` points into it, and
``GET /api/documents/{id}`` serves it.  It is made once (``retriever.corpus`` reads and cleans the files), and
everything downstream (chunks, highlights, the document view) only ever slices it.

``DocumentRecord`` is declared once, here: the document, the citation of a passage and the API's document list all
extend it, so a new catalogue field reaches every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

# Section titles the cleaner gives the paper's apparatus; the second stage and the confidence score read them.
ENDNOTES_TITLE = "Endnotes"
AUTHORS_TITLE = "About the authors"


class CorpusError(Exception):
    """The corpus folder cannot be read as documents (missing folder, bad sources.json, unreadable file)."""


class DocumentExists(CorpusError):
    """A document to add has the file name or doc_id of one already in the corpus."""


class UnreadableFile(CorpusError):
    """One file that cannot be read as a document: it is skipped, and the rest of the corpus is indexed."""


@dataclass(frozen=True)
class Raw:
    """A file as its reader gives it: text still to be cleaned, and what the file says of itself.

    ``title`` and ``authors`` come from the file's own record (a PDF's document information); ``sources.json``
    overrides them, and without either the cleaner takes the title from the first line.
    """

    text: str
    title: str | None = None
    authors: tuple[str, ...] = ()


class Skipped(BaseModel):
    """A corpus file left out of the index, and why (``/healthz``, ``GET /api/documents``, ``alliance-qa documents``)."""

    file: str
    reason: str


class DocumentRecord(BaseModel):
    """What a library catalogue says of a document (from ``corpus/sources.json``, or from the file itself)."""

    doc_id: str
    title: str
    authors: list[str]
    publisher: str | None
    date: str | None
    url: str | None
    series: str | None = None


class Section(BaseModel):
    title: str
    char_start: int
    char_end: int


class Footnote(BaseModel):
    marker: str
    text: str


class Document(DocumentRecord):
    source_file: str
    sha256: str = Field(description="sha256 of the file the text was read from")
    text: str = Field(description="The canonical text that citation offsets point into")
    sections: list[Section] = Field(default_factory=list)
    # (offset in text, marker): where a footnote marker stood before it was lifted out of the prose.
    footnote_anchors: list[tuple[int, str]] = Field(default_factory=list)
    footnotes: dict[str, str] = Field(default_factory=dict)

    def record(self) -> dict[str, object]:
        """The catalogue fields alone, to build a citation or an API record from."""
        return {name: getattr(self, name) for name in DocumentRecord.model_fields}

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
        return [Footnote(marker=m, text=self.footnotes.get(m, "")) for m in seen]

    def note_span(self, marker: str) -> tuple[int, int] | None:
        """Where the endnote a marker points to stands in the text, so it can be quoted and checked like prose."""
        note = self.footnotes.get(marker)
        at = self.text.rfind(note) if note else -1  # the notes close the document
        return (at, at + len(note)) if at >= 0 else None

    def cited_spans(self, start: int, end: int) -> list[tuple[int, int]]:
        """Where the endnotes cited inside ``(start, end]`` stand in the text (those the text holds)."""
        return [span for note in self.footnotes_in(start, end) if (span := self.note_span(note.marker))]

    def in_front_matter(self, position: int) -> bool:
        """Before the first section: the title and byline (of a document that has sections at all)."""
        return bool(self.sections) and position < self.sections[0].char_start

    def in_endnotes(self, position: int) -> bool:
        return any(s.title == ENDNOTES_TITLE and s.char_start <= position < s.char_end for s in self.sections)

    def to_dict(self) -> dict:
        return self.model_dump()

    @classmethod
    def from_dict(cls, data: dict) -> "Document":
        return cls.model_validate(data)
