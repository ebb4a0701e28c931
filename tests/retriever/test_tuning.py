"""The calibrated numbers: ablation switches exactly one term off, the term list is the weights' fields, Hangul
questions lean on the multilingual model, and the settings an operator may override default to these values."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from retriever import tuning
from retriever.config import PROJECT_ROOT, Settings
from retriever.tuning import FEATURES, HANGUL_WEIGHTS, UNSCALED, Weights

ENGLISH_TERMS = ("chunk", "sentence", "maxsim", "bm25")
MULTILINGUAL_TERMS = ("multilingual_chunk", "multilingual_sentence")


def as_dict(w: Weights) -> dict[str, float]:
    return dataclasses.asdict(w)


@pytest.mark.parametrize("term", FEATURES)
def test_without_zeroes_exactly_that_term(term):
    base = Weights()
    off = base.without(term)
    assert getattr(off, term) == 0.0
    # every other term is exactly as it was
    assert {n: v for n, v in as_dict(off).items() if n != term} == {n: v for n, v in as_dict(base).items() if n != term}


def test_without_keeps_the_other_weights_of_a_non_default_set():
    off = HANGUL_WEIGHTS.without("multilingual_chunk")
    assert off.multilingual_chunk == 0.0
    assert off.multilingual_sentence == 0.45 and off.bm25 == 0.05 and off.apparatus == -0.15
    assert HANGUL_WEIGHTS.multilingual_chunk == 0.45  # a new object; the original is untouched


def test_without_switches_off_a_negative_term():
    assert Weights().apparatus == -0.15
    assert Weights().without("apparatus").apparatus == 0.0


@pytest.mark.parametrize("term", ["bm", "BM25", "without", "numbers_found", ""])
def test_without_rejects_unknown_terms(term):
    with pytest.raises(ValueError) as err:
        Weights().without(term)
    assert repr(term) in str(err.value) and "maxsim" in str(err.value)  # names the term and lists the choices


def test_weights_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Weights().bm25 = 1.0  # type: ignore[misc]


def test_features_are_the_weights_fields_in_order():
    assert FEATURES == ("chunk", "sentence", "maxsim", "bm25", "multilingual_chunk", "multilingual_sentence",
                        "numbers", "source", "apparatus")
    assert Weights(**dict.fromkeys(FEATURES, 1.0)) == Weights(*[1.0] * len(FEATURES))


def test_unscaled_terms_are_features():
    assert set(UNSCALED) <= set(FEATURES)
    assert set(UNSCALED) == {"numbers", "source", "apparatus"}


def test_hangul_weights_lean_on_the_multilingual_model():
    hangul = sum(getattr(HANGUL_WEIGHTS, t) for t in MULTILINGUAL_TERMS)
    english = sum(getattr(HANGUL_WEIGHTS, t) for t in ENGLISH_TERMS)
    assert hangul == pytest.approx(0.90)
    assert english == pytest.approx(0.05)  # BM25 alone (Korean words match Korean documents only)
    assert HANGUL_WEIGHTS.chunk == HANGUL_WEIGHTS.maxsim == 0.0
    assert HANGUL_WEIGHTS.source == 0.0  # publisher names are matched in Latin script only


def test_english_weights_skip_the_multilingual_model():
    w = Weights()
    assert all(getattr(w, t) == 0.0 for t in MULTILINGUAL_TERMS)
    assert sum(getattr(w, t) for t in ENGLISH_TERMS) == pytest.approx(0.60)


def test_confidence_floors_are_similarities():
    c = tuning.CONFIDENCE
    assert 0 < c.sentence_floor < 1 and 0 < c.maxsim_floor < 1 and 0 < c.hangul_sentence_floor < 1
    assert c.unknown_names_min == 2


def test_settings_defaults_come_from_tuning(monkeypatch):
    for name in ("ALLIANCE_QA_CANDIDATES", "ALLIANCE_QA_ABSTAIN_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert defaults["candidates"] == tuning.CANDIDATES == 30
    assert defaults["abstain_threshold"] == tuning.ABSTAIN_THRESHOLD == 0.5
    s = Settings.from_env()
    assert (s.candidates, s.abstain_threshold) == (tuning.CANDIDATES, tuning.ABSTAIN_THRESHOLD)


def test_tuning_and_config_load_without_numpy():
    """``alliance-qa --help`` reads config (and so tuning): neither may pull in numpy."""
    code = "import sys, retriever.config, retriever.tuning; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
