"""Cleaning rules one at a time, on small synthetic texts (tests/retriever/test_corpus.py runs the real corpus).

Every raw text opens with a title line, which the cleaner keeps as the first block of the canonical text.
"""

from __future__ import annotations

import re

import pytest

from retriever.cleaning import SourceRules, clean
from retriever.documents import AUTHORS_TITLE, ENDNOTES_TITLE, CorpusError

TITLE = "Test Paper"
BODY = len(TITLE) + 2  # where the first block after the title starts in the canonical text


def text_of(*lines: str, rules: SourceRules = SourceRules()) -> str:
    return clean("\n".join((TITLE, *lines)), rules).text


def sections(cleaned) -> list[tuple[str, str]]:
    """Each section's title and the canonical text it spans."""
    return [(s.title, cleaned.text[s.char_start:s.char_end]) for s in cleaned.sections]


# ------------------------------------------------------------------------------------------------ source rules


def test_furniture_compiled_case_insensitively():
    rules = SourceRules.from_entry({"file": "a.txt", "furniture": [r"Copyright Example Institute \d+"]})
    assert len(rules.furniture) == 1 and rules.furniture[0].flags & re.IGNORECASE
    assert rules.is_furniture("COPYRIGHT EXAMPLE INSTITUTE 2025")
    assert rules.is_furniture("copyright example institute 2025")


def test_furniture_matches_whole_lines_only():
    rules = SourceRules.from_entry({"file": "a.txt", "furniture": [r"Related Articles?"]})
    assert rules.is_furniture("Related Article")
    assert not rules.is_furniture("See the Related Articles below.")


def test_entry_without_quirks():
    rules = SourceRules.from_entry({"file": "a.txt"})
    assert rules.furniture == () and rules.parenthesised_headings is False
    assert SourceRules.from_entry({"file": "a.txt", "furniture": None}).furniture == ()


def test_entry_catalogue_fields_normalised():
    rules = SourceRules.from_entry({"file": "a.txt", "title": "\ufeffTest\u00a0Paper ", "series": "Brief\tNo. 1",
                                    "authors": ["Jane Doe"], "parenthesised_headings": True})
    assert (rules.title, rules.series, rules.authors) == ("Test Paper", "Brief No. 1", ("Jane Doe",))
    assert rules.parenthesised_headings is True


def test_invalid_regex_is_a_corpus_error_naming_entry_and_pattern():
    with pytest.raises(CorpusError) as err:
        SourceRules.from_entry({"file": "broken.txt", "furniture": ["ok", "(unclosed"]})
    message = str(err.value)
    assert "sources.json entry 'broken.txt'" in message and "'(unclosed'" in message


@pytest.mark.parametrize("furniture", ["Page footer", ["ok", 3], {"a": "b"}, [["nested"]]])
def test_furniture_must_be_a_list_of_strings(furniture):
    with pytest.raises(CorpusError, match=r"sources.json entry 'broken.txt': 'furniture' must be a list"):
        SourceRules.from_entry({"file": "broken.txt", "furniture": furniture})


@pytest.mark.parametrize("value", ["yes", 1, "false", []])
def test_parenthesised_headings_must_be_a_bool(value):
    with pytest.raises(CorpusError, match=r"sources.json entry 'broken.txt': 'parenthesised_headings' must be"):
        SourceRules.from_entry({"file": "broken.txt", "parenthesised_headings": value})


@pytest.mark.parametrize("authors", ["Jane Doe", ["Jane Doe", 7], {"name": "Jane Doe"}])
def test_authors_must_be_a_list_of_names(authors):
    """A bare string would otherwise become one author per letter, and bylines would go unrecognised."""
    with pytest.raises(CorpusError, match=r"sources.json entry 'broken.txt': 'authors' must be a list of names"):
        SourceRules.from_entry({"file": "broken.txt", "authors": authors})


@pytest.mark.parametrize("field", ["title", "series"])
def test_title_and_series_must_be_strings(field):
    with pytest.raises(CorpusError, match=rf"'{field}' must be a string"):
        SourceRules.from_entry({"file": "broken.txt", field: ["A", "B"]})


# -------------------------------------------------------------------------------------------------- furniture


@pytest.mark.parametrize("line", ["12", "3", "Page 4", "Page 4 of 10"])
def test_bare_page_numbers_are_always_furniture(line):
    assert SourceRules().is_furniture(line)
    assert text_of("The alliance grew.", line, "Trade rose.") == f"{TITLE}\n\nThe alliance grew.\n\nTrade rose."


@pytest.mark.parametrize("line", ["12 percent of firms invested.", "Page four", "2024: a record year."])
def test_lines_with_more_than_a_number_are_kept(line):
    assert not SourceRules().is_furniture(line)
    assert line in text_of(line)


def test_source_furniture_only_when_declared():
    lines = ("The alliance grew.", "Copyright Example Institute 2025", "Trade rose.")
    assert "Copyright Example Institute 2025" in text_of(*lines)
    rules = SourceRules.from_entry({"file": "a.txt", "furniture": [r"copyright example institute \d+"]})
    assert text_of(*lines, rules=rules) == f"{TITLE}\n\nThe alliance grew.\n\nTrade rose."


def test_a_sentence_split_by_furniture_is_rejoined():
    rules = SourceRules.from_entry({"file": "a.txt", "furniture": [r"Example Institute \| .* \| example\.org"]})
    raw = ["The alliance has agreed to", "Example Institute | 1 Main St | example.org", "12",
           "expand its cooperation in 2024."]
    assert text_of(*raw, rules=rules) == f"{TITLE}\n\nThe alliance has agreed to expand its cooperation in 2024."


def test_rejoin_needs_an_unfinished_sentence_and_a_lower_case_continuation():
    assert text_of("The alliance grew.", "12", "exports rose too.") == (
        f"{TITLE}\n\nThe alliance grew.\n\nexports rose too.")  # the first block ended its sentence
    assert text_of("The alliance has agreed to", "12", "Exports rose.") == (
        f"{TITLE}\n\nThe alliance has agreed to\n\nExports rose.")  # the second opens one


def test_a_split_list_item_is_rejoined():
    assert text_of("- Making renewed efforts to", "7", "maximize the utility of the FTA.") == (
        f"{TITLE}\n\n- Making renewed efforts to maximize the utility of the FTA.")


# ---------------------------------------------------------------------------------------- parenthesised headings


PAREN = ("(Background) The alliance grew in 2024.", "(Outlook)", "It will grow.")


def test_parenthesised_headings_when_declared():
    cleaned = clean("\n".join((TITLE, *PAREN)), SourceRules(parenthesised_headings=True))
    assert cleaned.text == f"{TITLE}\n\nBackground\n\nThe alliance grew in 2024.\n\nOutlook\n\nIt will grow."
    assert sections(cleaned) == [("Background", "Background\n\nThe alliance grew in 2024."),
                                 ("Outlook", "Outlook\n\nIt will grow.")]


def test_parenthesised_headings_not_declared_stay_prose():
    cleaned = clean("\n".join((TITLE, *PAREN)), SourceRules())
    assert cleaned.text.startswith(f"{TITLE}\n\n(Background) The alliance grew in 2024.")
    assert "Background" not in [s.title for s in cleaned.sections]


# ----------------------------------------------------------------------------------------------------- markdown


def test_markdown_escapes_and_bold_undone():
    assert text_of(r"Korea invested more than \$20 billion in **2023** \(a record\).") == (
        f"{TITLE}\n\nKorea invested more than $20 billion in 2023 (a record).")


def test_italics_links_and_autolinks_undone():
    assert text_of("See *this* report, [KIEP](https://kiep.go.kr) and <https://x.org/a> or __that__.") == (
        f"{TITLE}\n\nSee this report, KIEP (https://kiep.go.kr) and https://x.org/a or that.")


def test_a_lone_asterisk_is_kept():
    assert text_of("Prices rose 5 * 2 times.") == f"{TITLE}\n\nPrices rose 5 * 2 times."


def test_markdown_heading_starts_a_section():
    cleaned = clean(f"{TITLE}\n## Key Takeaways ##\nThe alliance grew.", SourceRules())
    assert sections(cleaned) == [("Key Takeaways", "Key Takeaways\n\nThe alliance grew.")]


# ----------------------------------------------------------------------------------------------------- footnotes


def test_footnote_markers_lifted_with_anchors_after_the_words_they_cite():
    cleaned = clean(f"{TITLE}\nKorea invested heavily.¹ Tariffs rose[2] sharply.", SourceRules())
    assert cleaned.text == f"{TITLE}\n\nKorea invested heavily. Tariffs rose sharply."
    # "Korea invested heavily." is 23 characters, "Korea invested heavily. Tariffs rose" 36
    assert cleaned.footnote_anchors == [(BODY + 23, "1"), (BODY + 36, "2")]
    assert [cleaned.text[:pos][-8:] for pos, _ in cleaned.footnote_anchors] == ["heavily.", "ffs rose"]


def test_multi_digit_superscripts_and_spaced_markers():
    cleaned = clean(f"{TITLE}\nKorea ¹² invested.", SourceRules())
    assert cleaned.text == f"{TITLE}\n\nKorea invested."  # no double space where the marker stood
    assert cleaned.footnote_anchors == [(BODY + 6, "12")]


def test_anchors_shift_with_a_rejoined_sentence():
    cleaned = clean(f"{TITLE}\nThe alliance has agreed to[1]\n12\nexpand its cooperation in 2024.²", SourceRules())
    assert cleaned.text == f"{TITLE}\n\nThe alliance has agreed to expand its cooperation in 2024."
    first = BODY + len("The alliance has agreed to")
    assert cleaned.footnote_anchors == [(first, "1"), (len(cleaned.text), "2")]


def test_markers_in_headings_are_not_lifted():
    cleaned = clean(f"{TITLE}\n## Notes on [1] Trade\nThe alliance grew.", SourceRules())
    assert cleaned.footnote_anchors == []


def test_endnotes_collected_under_their_heading():
    raw = f"{TITLE}\nKorea invested heavily.¹\nNotes\n1. Ministry of Finance, report, 2024.\n[2] Another source."
    cleaned = clean(raw, SourceRules())
    assert cleaned.footnotes == {"1": "Ministry of Finance, report, 2024.", "2": "Another source."}
    assert cleaned.footnote_anchors == [(BODY + 23, "1")]
    assert sections(cleaned) == [("Notes", "Notes\n\n1. Ministry of Finance, report, 2024.\n\n[2] Another source.")]


def test_numbered_lines_are_endnotes_only_in_an_endnotes_section():
    raw = f"{TITLE}\n1. First, the alliance must grow.\nKorea grew.[3]\n[3] Bank of Korea, 2024."
    cleaned = clean(raw, SourceRules())
    assert cleaned.footnotes == {"3": "Bank of Korea, 2024."}  # "1. First..." is prose
    # a bracketed endnote outside any notes heading opens the Endnotes section
    assert sections(cleaned) == [(ENDNOTES_TITLE, "[3] Bank of Korea, 2024.")]


def test_a_repeated_endnote_keeps_its_first_text():
    cleaned = clean(f"{TITLE}\nEndnotes\n[1] First text.\n[1] Second text.", SourceRules())
    assert cleaned.footnotes == {"1": "First text."}


# --------------------------------------------------------------------------------------------- title and people


def test_first_line_is_the_title_when_the_catalogue_gives_none():
    assert clean(f"{TITLE}\nThe alliance grew.", SourceRules()).title == TITLE
    assert clean("", SourceRules()).title is None


def test_a_first_line_of_prose_is_not_a_title():
    opening = "Ports in the region handled record volumes last year, and congestion followed. " * 3
    cleaned = clean(f"{opening.strip()}\nThe alliance grew.", SourceRules())
    assert cleaned.title is None
    assert clean("The alliance grew in 2024.\nMore.", SourceRules()).title is None


def test_author_biography_opens_the_authors_section():
    rules = SourceRules.from_entry({"file": "a.txt", "title": TITLE, "authors": ["Jane Doe"]})
    cleaned = clean(f"{TITLE}\nThe alliance grew.\nJane Doe is a senior fellow at the Institute.", rules)
    assert sections(cleaned) == [(AUTHORS_TITLE, "Jane Doe is a senior fellow at the Institute.")]


def test_line_endings_and_blank_lines_do_not_matter():
    assert clean(f"{TITLE}\r\n\r\nThe alliance grew.\r\n\u00a0\r\nTrade rose.", SourceRules()).text == (
        f"{TITLE}\n\nThe alliance grew.\n\nTrade rose.")
