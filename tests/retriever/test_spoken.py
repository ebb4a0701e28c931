"""Numbers said aloud written in digits: years in two halves or in thousands, figures with decimals and percents; a
small count in words stays a word."""

from __future__ import annotations

import pytest

from retriever.spoken import cardinal, in_digits


@pytest.mark.parametrize(("said", "written"), [
    # years, as English says them
    ("how much did korea invest in twenty twenty four", "how much did korea invest in 2024"),
    ("when was the treaty signed nineteen fifty three", "when was the treaty signed 1953"),
    ("Twenty Twenty-Two", "2022"),
    ("after the twenty oh eight crisis", "after the 2008 crisis"),
    ("in twenty ten", "in 2010"),
    ("since the nineteen fifties", "since the 1950s"),
    ("two thousand and seventeen speech", "2017 speech"),
    # figures: compound, decimal, percent, before a scale word the papers write as a word
    ("fourteen point eight billion dollars", "14.8 billion dollars"),
    ("thirty eight per cent", "38 percent"),
    ("thirty-eight percent", "38 percent"),
    ("one hundred and twenty three", "123"),
    ("eleven countries", "11 countries"),
    ("two point five", "2.5"),
    # a word up to ten is a figure only before a percent or a scale
    ("two percent of gdp", "2 percent of gdp"),
    ("ten percent", "10 percent"),
    ("the two papers", "the two papers"),
    ("one of them", "one of them"),
    ("top ten", "top ten"),
    # no number, or one in digits already: as it was
    ("someone often asks about the tenth item", "someone often asks about the tenth item"),
    ("the twenty-first century", "the twenty-first century"),
    ("In 2024 the US", "In 2024 the US"),
])
def test_in_digits(said: str, written: str) -> None:
    assert in_digits(said) == written


@pytest.mark.parametrize(("words", "value"), [
    ("seven", 7), ("seventeen", 17), ("forty two", 42), ("forty-two", 42), ("three hundred", 300),
    ("three hundred and six", 306), ("two thousand", 2000), ("twelve thousand five hundred", 12500),
])
def test_cardinal(words: str, value: int) -> None:
    assert cardinal(words) == value
