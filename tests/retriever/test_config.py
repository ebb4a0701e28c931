"""Settings from ALLIANCE_QA_* variables: each typed like its default, a bad value named, overrides last."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from retriever.config import ENV_PREFIX, INDEX_FIELDS, PROJECT_ROOT, Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No ALLIANCE_QA_* variable of the calling shell leaks into these tests."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    return monkeypatch


def test_defaults_without_variables():
    s = Settings.from_env()
    assert s == Settings()
    assert s.corpus_dir == PROJECT_ROOT / "corpus" and s.index_dir == PROJECT_ROOT / ".index"
    assert s.rebuild_on_error is False and s.cors_origins == () and s.port == 8000


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "Yes", "on"])
def test_bool_true(clean_env, raw):
    clean_env.setenv("ALLIANCE_QA_REBUILD_ON_ERROR", raw)
    assert Settings.from_env().rebuild_on_error is True


@pytest.mark.parametrize("raw", ["0", "false", "False", "NO", "off"])
def test_bool_false(clean_env, raw):
    clean_env.setenv("ALLIANCE_QA_REBUILD_ON_ERROR", raw)
    assert Settings.from_env().rebuild_on_error is False


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "enabled"])
def test_bad_bool_names_the_variable(clean_env, raw):
    # "2" would be a fine int: a bool field must not fall through to the int rule (bool is a subclass of int)
    clean_env.setenv("ALLIANCE_QA_REBUILD_ON_ERROR", raw)
    with pytest.raises(ValueError, match=rf"ALLIANCE_QA_REBUILD_ON_ERROR must be true or false, not '{raw}'"):
        Settings.from_env()


def test_ints(clean_env):
    clean_env.setenv("ALLIANCE_QA_PORT", "9000")
    clean_env.setenv("ALLIANCE_QA_CANDIDATES", "12")
    clean_env.setenv("ALLIANCE_QA_CHUNK_TOKENS", " 256 ")
    s = Settings.from_env()
    assert (s.port, s.candidates, s.chunk_tokens) == (9000, 12, 256)
    assert type(s.port) is int


@pytest.mark.parametrize(("name", "raw"), [("PORT", "9k"), ("CANDIDATES", "1.5"), ("MAX_BODY_BYTES", "64KiB")])
def test_bad_int_names_the_variable(clean_env, name, raw):
    clean_env.setenv(ENV_PREFIX + name, raw)
    with pytest.raises(ValueError, match=rf"ALLIANCE_QA_{name} must be a whole number, not '{raw}'"):
        Settings.from_env()


def test_floats(clean_env):
    clean_env.setenv("ALLIANCE_QA_ABSTAIN_THRESHOLD", "0.35")
    assert Settings.from_env().abstain_threshold == 0.35
    clean_env.setenv("ALLIANCE_QA_ABSTAIN_THRESHOLD", "1")
    s = Settings.from_env()
    assert s.abstain_threshold == 1.0 and type(s.abstain_threshold) is float


def test_bad_float_names_the_variable(clean_env):
    clean_env.setenv("ALLIANCE_QA_ABSTAIN_THRESHOLD", "high")
    with pytest.raises(ValueError, match=r"ALLIANCE_QA_ABSTAIN_THRESHOLD must be a number, not 'high'"):
        Settings.from_env()


def test_tuples_split_on_commas_and_drop_blanks(clean_env):
    clean_env.setenv("ALLIANCE_QA_CORS_ORIGINS", " http://a.example , ,http://b.example:8080,")
    assert Settings.from_env().cors_origins == ("http://a.example", "http://b.example:8080")


def test_single_tuple_value(clean_env):
    clean_env.setenv("ALLIANCE_QA_CORS_ORIGINS", "http://a.example")
    assert Settings.from_env().cors_origins == ("http://a.example",)


def test_strings_as_given(clean_env):
    clean_env.setenv("ALLIANCE_QA_MODEL", "/models/minilm")
    clean_env.setenv("ALLIANCE_QA_MULTILINGUAL_MODEL", "none")
    s = Settings.from_env()
    assert (s.model, s.multilingual_model) == ("/models/minilm", "none")


def test_paths_become_paths_with_home_expanded(clean_env, tmp_path):
    clean_env.setenv("HOME", str(tmp_path))
    clean_env.setenv("ALLIANCE_QA_INDEX_DIR", "~/idx")
    clean_env.setenv("ALLIANCE_QA_CORPUS_DIR", "/srv/corpus")
    s = Settings.from_env()
    assert s.index_dir == tmp_path / "idx" and isinstance(s.index_dir, Path)
    assert s.corpus_dir == Path("/srv/corpus")


def test_empty_variable_means_default(clean_env):
    clean_env.setenv("ALLIANCE_QA_PORT", "")
    clean_env.setenv("ALLIANCE_QA_REBUILD_ON_ERROR", "")
    s = Settings.from_env()
    assert s.port == 8000 and s.rebuild_on_error is False


def test_overrides_beat_env(clean_env):
    clean_env.setenv("ALLIANCE_QA_PORT", "9000")
    clean_env.setenv("ALLIANCE_QA_HOST", "0.0.0.0")
    s = Settings.from_env(port=7000)
    assert s.port == 7000 and s.host == "0.0.0.0"  # the override wins; other variables still apply


def test_none_override_leaves_env(clean_env):
    clean_env.setenv("ALLIANCE_QA_PORT", "9000")
    assert Settings.from_env(port=None).port == 9000  # an unset CLI flag arrives as None


def test_bad_env_fails_even_when_overridden(clean_env):
    clean_env.setenv("ALLIANCE_QA_PORT", "nine")
    with pytest.raises(ValueError, match="ALLIANCE_QA_PORT"):
        Settings.from_env(port=7000)


def test_path_overrides_are_paths_with_home_expanded(clean_env, tmp_path):
    clean_env.setenv("HOME", str(tmp_path))
    clean_env.setenv("ALLIANCE_QA_CORPUS_DIR", "/from/env")
    s = Settings.from_env(corpus_dir="~/mine", index_dir=tmp_path / "index")
    assert s.corpus_dir == tmp_path / "mine" and s.index_dir == tmp_path / "index"


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().port = 1  # type: ignore[misc]


def test_index_params_are_the_index_fields():
    s = Settings(model="m", multilingual_model="none", chunk_tokens=64, chunk_overlap=8, faiss_index="hnsw",
                 faiss_hnsw_above=10, host="0.0.0.0", port=1)
    assert s.index_params() == {"model": "m", "multilingual_model": "none", "chunk_tokens": 64, "chunk_overlap": 8,
                                "faiss_index": "hnsw", "faiss_hnsw_above": 10}
    assert tuple(s.index_params()) == INDEX_FIELDS


def test_serving_settings_do_not_change_index_params():
    base = Settings().index_params()
    assert Settings(host="0.0.0.0", port=1, candidates=5, abstain_threshold=0.9, cors_origins=("x",),
                    max_body_bytes=1, rebuild_on_error=True).index_params() == base
    assert Settings(chunk_tokens=256).index_params() != base


def test_index_params_follow_env(clean_env):
    clean_env.setenv("ALLIANCE_QA_CHUNK_OVERLAP", "16")
    assert Settings.from_env().index_params()["chunk_overlap"] == 16
