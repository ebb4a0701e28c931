"""The torch-free question encoder: the English model exported to ONNX at build time, held to sentence-transformers.

sentence-transformers is the reference: every gold question (and one long enough to be cut at the model's limit)
must come out of ONNX Runtime as it comes out of sentence-transformers, pooled vector and token vectors alike.
The served query path must not import torch at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import tiny_corpus
from retriever import onnx_encoder, store
from retriever.config import PROJECT_ROOT
from retriever.encoders import load_query_encoder, load_token_encoder

GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"
LONG = "Which tariffs on steel, aluminium, cars and chips did the two papers discuss, and why? " * 30


def test_every_gold_question_encodes_as_sentence_transformers_does(index):
    onnx = load_query_encoder(index)
    assert isinstance(onnx, onnx_encoder.OnnxTokenEncoder)
    reference = load_token_encoder(index.model)
    questions = [json.loads(line)["question"] for line in GOLD.read_text().splitlines() if line.strip()]
    for question in [*questions, LONG, "", "?"]:
        (ours,), (our_tokens,) = onnx.encode_with_tokens([question])
        (theirs,), (their_tokens,) = reference.encode_with_tokens([question])
        assert float(ours @ theirs) >= 0.999, question
        assert our_tokens.dtype == their_tokens.dtype == np.float16
        assert our_tokens.shape == their_tokens.shape, question  # the same tokens, the same truncation
        cosines = (our_tokens.astype(np.float32) * their_tokens.astype(np.float32)).sum(axis=1)
        assert cosines.min() >= 0.999, question


def test_the_export_is_checksummed_with_the_build(index):
    files = index.manifest["files"]
    assert set(onnx_encoder.FILES) <= set(files)
    assert index.manifest["query_encoder"] == onnx_encoder.descriptor(fused=True)


def test_the_export_runs_on_onnx_runtimes_fused_kernels(index):
    """The graph is fused (one Attention node a layer), not torch's trace of the attention's matrix products."""
    import onnx

    graph = onnx.load(str(index.path / onnx_encoder.MODEL_FILE)).graph
    ops = [node.op_type for node in graph.node]
    layers = load_token_encoder(index.model).model[0].auto_model.config.num_hidden_layers
    assert ops.count("Attention") == layers
    assert "Softmax" not in ops


QUERY_PATH = """
import sys
from retriever.config import Settings
from retriever.search import Searcher
from retriever.store import open_index

settings = Settings.from_env()
searcher = Searcher(open_index(settings, build_if_needed=False), settings)
english = searcher.ask("How much did Korea invest in US greenfield projects in 2024?", k=3)
korean = searcher.ask("헤리티지 보고서의 저자는 누구인가?", k=3)
heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules)
print(type(searcher.encoder).__name__, heavy, bool(english.answer), len(korean.passages))
"""


def test_serving_a_question_imports_no_torch(settings, index):
    env = {**os.environ, "ALLIANCE_QA_INDEX_DIR": str(settings.index_dir),
           "ALLIANCE_QA_CORPUS_DIR": str(settings.corpus_dir)}
    out = subprocess.run([sys.executable, "-c", QUERY_PATH], cwd=PROJECT_ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["OnnxTokenEncoder", "[]", "True", "3"], out.stdout + out.stderr


def test_an_index_of_the_previous_format_is_rebuilt_with_the_export(tmp_path):
    """An index built before the export existed (format 2, no ONNX files) is stale, and rebuilt by itself."""
    settings = tiny_corpus(tmp_path)
    folder = store.current(settings.index_dir)
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in onnx_encoder.FILES:
        (folder / name).unlink()
        del manifest["files"][name]
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format": 2, "query_encoder": None}))
    with pytest.raises(store.IndexStale, match="index format 2 is not"):
        store.load(settings)
    index = store.open_index(settings, progress=False)
    assert index.path != folder and onnx_encoder.has_export(index.path, index.manifest)


def test_the_words_are_looked_up_in_the_mapped_table_beside_the_graph(index):
    onnx = load_query_encoder(index)
    assert isinstance(onnx.embeddings, np.memmap)  # pages of the words asked, not the whole table, in memory
    assert [i.name for i in onnx.session.get_inputs()][0] == "inputs_embeds"
    table = load_token_encoder(index.model).model[0].auto_model.get_input_embeddings().weight.detach().numpy()
    assert np.array_equal(onnx.embeddings, table)


def test_an_export_made_by_an_older_exporter_is_made_again_by_the_next_build(tmp_path):
    settings = tiny_corpus(tmp_path)
    folder = store.current(settings.index_dir)
    manifest = json.loads((folder / "manifest.json").read_text())
    older = {**manifest["query_encoder"], "exporter": onnx_encoder.EXPORTER - 1}
    (folder / "manifest.json").write_text(json.dumps({**manifest, "query_encoder": older}))
    (settings.corpus_dir / "ships.txt").write_text("Ship Notes\n\nKorean yards delivered twelve carriers in 2024.\n")
    later = store.open_index(settings, progress=False)
    assert later.path != folder
    assert later.manifest["query_encoder"] == onnx_encoder.descriptor(fused=True)


def test_a_later_build_links_the_unchanged_export_instead_of_exporting_again(tmp_path, monkeypatch):
    settings = tiny_corpus(tmp_path)
    first = store.current(settings.index_dir)
    digest = json.loads((first / "manifest.json").read_text())["files"][onnx_encoder.MODEL_FILE]

    def refuse(*args, **kwargs):
        raise AssertionError("the unchanged model was exported again")

    monkeypatch.setattr(onnx_encoder, "export", refuse)
    (settings.corpus_dir / "ships.txt").write_text("Ship Notes\n\nKorean yards delivered twelve carriers in 2024.\n")
    later = store.open_index(settings, progress=False)
    assert later.path != first and later.manifest["files"][onnx_encoder.MODEL_FILE] == digest


def test_a_graph_the_optimizer_cannot_fuse_is_kept_as_traced(tmp_path):
    """An architecture whose attention ONNX Runtime's optimizer does not know keeps its traced graph, unharmed."""
    import onnx
    from onnx import TensorProto, helper

    weight = helper.make_tensor("w", TensorProto.FLOAT, (4, 4), np.eye(4, dtype=np.float32).ravel().tolist())
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "plain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 4))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, 4))], initializer=[weight])
    path = tmp_path / onnx_encoder.MODEL_FILE
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", onnx_encoder.OPSET)]), str(path))
    before = path.read_bytes()

    class Config:
        num_attention_heads, hidden_size = 1, 4

    assert onnx_encoder._fuse(path, Config(), np.eye(4, dtype=np.float32)) is False
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [onnx_encoder.MODEL_FILE]


def test_an_export_that_looks_the_words_up_itself_still_serves(index, tmp_path):
    """A build of exporter 1 or 2 has a graph taking the words' ids and no table beside it: it is read as it is."""
    import shutil

    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(index.path / onnx_encoder.MODEL_FILE))
    graph = model.graph
    table = np.load(index.path / onnx_encoder.EMBEDDINGS_FILE)
    graph.initializer.append(numpy_helper.from_array(table, "word_table"))
    graph.node.insert(0, helper.make_node("Gather", ["word_table", "input_ids"], ["inputs_embeds"]))
    (embeds,) = [i for i in graph.input if i.name == "inputs_embeds"]
    graph.input.remove(embeds)
    graph.input.insert(0, helper.make_tensor_value_info("input_ids", onnx.TensorProto.INT64, ["batch", "tokens"]))
    onnx.save(model, str(tmp_path / onnx_encoder.MODEL_FILE))
    shutil.copy(index.path / onnx_encoder.TOKENIZER_FILE, tmp_path)

    older = onnx_encoder.OnnxTokenEncoder(tmp_path, index.model, table.shape[1], 256)
    assert older.embeddings is None
    question = "How much did Korean firms invest in the United States?"
    (theirs,), _ = older.encode_with_tokens([question])
    (ours,), _ = load_query_encoder(index).encode_with_tokens([question])
    assert float(ours @ theirs) >= 0.9999
