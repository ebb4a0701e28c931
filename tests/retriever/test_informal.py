"""Chat-speak written out: the shorthand table, two-digit years, a bare "$" and a count of papers in digits."""

from __future__ import annotations

import pytest

from retriever.informal import written_out


@pytest.mark.parametrize(("typed", "written"), [
    ("where'd he work b4 kiep", "where'd he work before kiep"),
    ("kiep says avg us tariff levels are near what", "kiep says average us tariff levels are near what"),
    ("n the yr after?", "and the year after?"),
    ("Govt support thru 2030?", "government support through 2030?"),  # typed capitalised, written as the table has it
    ("chips made stateside", "chips made in the US"),
    ("what kinda projects", "what kind of projects"),
    ("trade w korea", "trade with korea"),
    ("W. Va. firms", "W. Va. firms"),
    # two-digit years where nothing is counted after them
    ("how much did korean firms pledge in 23", "how much did korean firms pledge in 2023"),
    ("what did korea invest in '16 vs '24", "what did korea invest in 2016 vs 2024"),
    ("since 53?", "since 1953?"),
    ("share in 23 countries", "share in 23 countries"),  # a count, not a year
    ("did it rise from 10 to 20?", "did it rise from 10 to 20?"),  # figures, not years
    # a dollar sign with no figure is money; one with a figure stays
    ("korea's china factory $ was what", "korea's china factory money was what"),
    ("how much is $14.8 billion", "how much is $14.8 billion"),
    ("how do the 2 papers differ", "how do the two papers differ"),
    # no shorthand: as it was
    ("What is the U.S. share of R&D?", "What is the U.S. share of R&D?"),  # capital single letters are no shorthand
    ("A u-turn on tariffs", "A u-turn on tariffs"),  # inside a hyphenated word
    ("How much did Korea invest in 2023?", "How much did Korea invest in 2023?"),
])
def test_written_out(typed, written):
    assert written_out(typed) == written
