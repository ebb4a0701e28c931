"""The English model's question encoder without PyTorch: the same network exported to ONNX when the index is built.

Importing torch and sentence-transformers costs a served process about 1.3 s and some 300 MB, and their encode of
one question ~7 ms, where ONNX Runtime over the same weights takes a third of that.  So a build (which has the
model loaded anyway) exports the transformer to ``query_encoder.onnx`` beside the vectors, with the model's own
fast tokenizer (``tokenizer.json``); they are checksummed in the manifest like every other file.  At query time
this module reads them with ``onnxruntime`` and ``tokenizers`` only, and pools exactly as sentence-transformers
does: the mean of the token vectors under the attention mask, L2-normalised.  sentence-transformers stays the
reference: the tests hold every gold question's vector to cosine 0.999 of its own.

The export is traced with the model's plain ("eager") attention and then fused by ONNX Runtime's transformer
optimizer into its own Attention, SkipLayerNormalization and embedding kernels: the graph torch writes for its fused
("sdpa") attention is one ONNX Runtime cannot recognise.  Fused, a question encodes in 5.9 ms against 7.1 for the
traced graph and 17.5 for sentence-transformers (medians over the 259 gold questions, the three taking turns in one
run), at cosine 1.0000 to the traced graph.

The graph starts after the word-embedding lookup: the table (30,522 x 384 floats for MiniLM, 47 MB, half the model)
is stored beside it as ``word_embeddings.npy`` and memory-mapped, and a question's rows are picked from it in NumPy.
Inside the graph, ONNX Runtime held the whole table in each worker's own memory; mapped, a worker holds only the pages
of the words it has seen, shared with the other workers through the page cache (after the 259 gold questions ONNX
Runtime's share of a worker is 81 MB against 104, at the same speed and cosine 1.0000).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np

from .encoders import normalise

log = logging.getLogger("alliance_qa.index")

MODEL_FILE = "query_encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
EMBEDDINGS_FILE = "word_embeddings.npy"
FILES = (MODEL_FILE, TOKENIZER_FILE, EMBEDDINGS_FILE)  # what an export writes
# What every export had: a build of exporter 1 or 2 has no embeddings file, its graph looks the words up itself
NEEDED = (MODEL_FILE, TOKENIZER_FILE)
OPSET = 17  # what torch's TorchScript exporter writes reliably for BERT-style models
# How the export is made; a build re-exports rather than link a previous build's export made otherwise.
# 1: torch's graph as traced; 2: traced with eager attention and fused by ONNX Runtime's transformer optimizer;
# 3: and the word embeddings in a file of their own, looked up in NumPy.
EXPORTER = 3
FUSED_AGREEMENT = 0.9999  # the fused graph's token vectors against the traced graph's, else the traced one is kept
# Two threads a question: the fused encode took 5.5-6.0 ms on two against 7.2-7.5 on one (medians over the 259 gold
# questions, beside the torch encode), which is what a person asking waits for; under 16 concurrent clients one
# thread and two gave the same throughput (bench.load, 74 and 75 req/s), now that idle threads sleep.
THREADS = 2
_INPUTS = ("inputs_embeds", "attention_mask", "token_type_ids")


def descriptor(fused: bool) -> dict:
    """What the manifest records of an export (``query_encoder``): the runtime, and how the graph was made."""
    return {"runtime": "onnxruntime", "opset": OPSET, "exporter": EXPORTER, "fused": fused}


def export(model, folder: Path) -> dict | None:
    """Write ``model``'s (a loaded ``SentenceTransformer``) transformer and tokenizer into ``folder``; return the
    export's ``descriptor``.

    None, with a warning, when the model cannot be exported (an architecture the exporter does not know, no fast
    tokenizer): questions are then encoded by sentence-transformers, as before, only slower.
    """
    import torch

    transformer = model[0]
    bert = transformer.auto_model.eval()
    attention = bert.config._attn_implementation

    class LastHiddenState(torch.nn.Module):
        """The token vectors alone: pooling and normalising are done in NumPy, as cheaply as in torch."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds, attention_mask, token_type_ids):  # noqa: ANN001 - traced, not called
            return self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    try:
        tokenizer = transformer.tokenizer
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("the model has no fast tokenizer (tokenizer.json)")
        sample = tokenizer(["a question"], return_tensors="pt", return_token_type_ids=True)
        table = bert.get_input_embeddings().weight.detach().float().numpy()
        sample["inputs_embeds"] = torch.from_numpy(table[sample["input_ids"].numpy()])
        axes = {"batch": 0, "tokens": 1}
        # The tracer warns of branches it fixes at trace time (padding of a key-value cache, causal masks): an encoder
        # has neither, and the tests hold the export to sentence-transformers' vectors, so the warnings only alarm.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if attention != "eager":  # the plain attention traces to the pattern the optimizer fuses
                bert.set_attn_implementation("eager")
            torch.onnx.export(
                LastHiddenState(), tuple(sample[name] for name in _INPUTS), str(folder / MODEL_FILE),
                input_names=list(_INPUTS), output_names=["token_embeddings"],
                dynamic_axes={name: {v: k for k, v in axes.items()} for name in (*_INPUTS, "token_embeddings")},
                opset_version=OPSET, dynamo=False,
            )
        tokenizer.backend_tokenizer.save(str(folder / TOKENIZER_FILE))
        np.save(folder / EMBEDDINGS_FILE, table)
    except Exception as exc:  # noqa: BLE001 - any failure leaves the slower path, never a failed build
        for name in FILES:
            (folder / name).unlink(missing_ok=True)
        log.warning("questions will be encoded with sentence-transformers: the model could not be exported to "
                    "ONNX (%s)", exc)
        return None
    finally:
        if bert.config._attn_implementation != attention:
            bert.set_attn_implementation(attention)
    return descriptor(_fuse(folder / MODEL_FILE, bert.config, table))


def _fuse(path: Path, config, table: np.ndarray) -> bool:  # noqa: ANN001 - a transformers PretrainedConfig
    """Replace the traced graph at ``path`` with ONNX Runtime's fused one, if the optimizer fused its attention and
    the fused graph gives the same token vectors; False (the traced graph stays) otherwise, e.g. for an architecture
    whose attention the optimizer does not know."""
    try:
        from onnxruntime.transformers import optimizer

        fused = optimizer.optimize_model(str(path), model_type="bert",
                                         num_heads=getattr(config, "num_attention_heads", 0),
                                         hidden_size=getattr(config, "hidden_size", 0))
        if not fused.get_fused_operator_statistics().get("Attention"):
            log.info("the question encoder's attention was not fused; its traced graph is kept")
            return False
        candidate = path.with_name(f".fused-{path.name}")
        fused.save_model_to_file(str(candidate))
        agreement = _agreement(path, candidate, table)
        if agreement < FUSED_AGREEMENT:
            candidate.unlink()
            log.warning("the fused question encoder disagreed with the traced one (cosine %.5f); the traced graph "
                        "is kept", agreement)
            return False
        candidate.replace(path)
        return True
    except Exception as exc:  # noqa: BLE001 - the traced graph is whole and right; fusing only makes it faster
        log.warning("the question encoder was not fused (%s); its traced graph is kept", exc)
        return False


def _agreement(traced: Path, fused: Path, table: np.ndarray) -> float:
    """The lowest cosine between the two graphs' token vectors, over a few inputs of different lengths."""
    import onnxruntime

    sessions = [onnxruntime.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in (traced, fused)]
    rng = np.random.default_rng(0)
    lowest = 1.0
    for length in (3, 17, 64):
        ids = rng.integers(1, len(table), size=(1, length), dtype=np.int64)
        feed = {"inputs_embeds": table[ids], "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        a, b = (normalise(s.run(None, feed)[0][0]) for s in sessions)
        lowest = min(lowest, float((a * b).sum(axis=1).min()))
    return lowest


class OnnxTokenEncoder:
    """The English model's question side (``encode_with_tokens``), read from a build folder; no torch."""

    def __init__(self, folder: Path, name: str, dim: int, max_tokens: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.name, self.dim, self.max_tokens = name, dim, max_tokens
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)  # as sentence-transformers cuts at max_seq_length
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = 1
        # Run buffers from the C allocator, not ONNX Runtime's arena: the arena keeps what 16 concurrent questions
        # once needed (~12 MB), where freed buffers go back to the OS when the served worker trims (server/memory.py).
        # Same throughput under load (bench.load).
        options.enable_cpu_mem_arena = False
        # Idle pool threads sleep rather than spin: spinning, they take the cores from the numpy stages that follow
        # every encode (MaxSim, reading).  Measured on 100 gold questions, Searcher.ask median 17 -> 13 ms, the
        # encode itself 9 -> 6.5 ms (the spinning threads of one question also slowed the next).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(folder / MODEL_FILE), options,
                                                    providers=["CPUExecutionProvider"])
        # An export of exporter 3 takes the words' vectors, one before that their ids
        self.embeddings = (np.load(folder / EMBEDDINGS_FILE, mmap_mode="r")
                           if "inputs_embeds" in {i.name for i in self.session.get_inputs()} else None)

    def encode_with_tokens(self, texts: list[str], report: object = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Pooled vectors and token vectors, as ``SentenceTransformerEncoder.encode_with_tokens`` gives them.

        One text per run: questions come one at a time, and unpadded inputs need no masking of padding.
        """
        pooled, tokens = [], []
        for text in texts:
            enc = self.tokenizer.encode(text)
            ids = np.array([enc.ids], dtype=np.int64)
            feed = {"attention_mask": np.array([enc.attention_mask], dtype=np.int64),
                    "token_type_ids": np.array([enc.type_ids], dtype=np.int64)}
            if self.embeddings is None:
                feed["input_ids"] = ids
            else:
                feed["inputs_embeds"] = self.embeddings[ids]
            rows = self.session.run(None, feed)[0][0]
            pooled.append(rows.mean(axis=0))
            own = rows[1: max(len(enc.ids) - 1, 2)]  # without [CLS] and [SEP], as the stored chunk tokens are
            tokens.append(normalise(own).astype(np.float16))
        return (normalise(np.stack(pooled)) if pooled else np.zeros((0, self.dim), np.float32)), tokens

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode_with_tokens(texts)[0]


def has_export(folder: Path | None, manifest: dict) -> bool:
    """Does this build carry the exported question encoder (checksummed, so ``read`` has verified it)?"""
    return folder is not None and set(NEEDED) <= set(manifest.get("files", {}))
