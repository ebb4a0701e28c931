"""Shared fixtures: one real index over the real corpus, and a real server process on loopback.

Everything is real (model, FAISS index, HTTP): the index is built once per test session into a temporary folder and
shared, so the suite pays for embedding once.  Servers are started through the real command line with the same
helper the benchmarks use (``bench.process.ServeProcess``).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # a hidden download must fail loudly
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from bench.process import ServeProcess  # noqa: E402
from retriever.config import PROJECT_ROOT, Settings  # noqa: E402

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    """Settings for the session's index: the real corpus, a private index folder."""
    return Settings.from_env(index_dir=tmp_path_factory.mktemp("index"), corpus_dir=PROJECT_ROOT / "corpus")


@pytest.fixture(scope="session")
def index(settings):
    from retriever.store import open_index

    return open_index(settings, progress=False)


@pytest.fixture(scope="session")
def searcher(index, settings):
    from retriever.search import Searcher

    searcher = Searcher(index, settings)
    searcher.warm()
    return searcher


def serve_process(settings: Settings, extra_env: dict[str, str] | None = None, workers: int = 1) -> ServeProcess:
    """``alliance-qa serve`` over ``settings``' corpus and index, on 127.0.0.1 (the benchmarks' own helper)."""
    log = settings.index_dir.parent / f"server-{uuid.uuid4().hex[:8]}.log"
    return ServeProcess(settings.index_dir, log, workers=workers, corpus_dir=settings.corpus_dir, extra_env=extra_env)


@pytest.fixture(scope="session")
def live_server(index, settings):
    """A real server on loopback over the session's (already built) index."""
    server = serve_process(settings)
    try:
        server.wait_ready(timeout=180)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# Tiny corpora for the tests of builds, the corpus commands, reload and upload: built in seconds (English model only).
STEEL = "Steel Notes\n\nTariffs on steel rose to 25 percent in 2018. Shipbuilders in Busan paid more for plate.\n"
ENERGY = "Energy Notes\n\nLiquefied natural gas exports to Korea doubled. Nuclear cooperation grew as well.\n"
SHIPS = "Ship Notes\n\nKorean yards delivered twelve LNG carriers in 2024. Most went to Qatar and America.\n"


def tiny_corpus(root: Path, sources: list[dict] | None = None, build: bool = True) -> Settings:
    """STEEL and ENERGY as steel.txt and energy.txt under ``root`` (with ``sources`` as sources.json), indexed."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "steel.txt").write_text(STEEL)
    (corpus / "energy.txt").write_text(ENERGY)
    if sources is not None:
        (corpus / "sources.json").write_text(json.dumps(sources))
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", multilingual_model="none")
    if build:
        from retriever.store import open_index

        open_index(settings, progress=False)
    return settings


def copy_of(settings: Settings, root: Path) -> Settings:
    """The corpus and index of ``settings`` copied under ``root``: a test may change them freely."""
    shutil.copytree(settings.corpus_dir, root / "corpus")
    shutil.copytree(settings.index_dir, root / "index", symlinks=True)
    return replace(settings, corpus_dir=root / "corpus", index_dir=root / "index")

