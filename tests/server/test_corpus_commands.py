"""`alliance-qa add`, `remove`, `documents` and `index` over a tiny corpus, each in its own process.

What an operator sees: the exit code, the message, what the corpus folder and ``sources.json`` hold afterwards,
how much the index had to encode (the manifest counts it), and how a build reports its progress.  A refused command
leaves the corpus byte for byte as it was.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SHIPS, copy_of, tiny_corpus
from retriever.config import PROJECT_ROOT, Settings
from retriever.store import load

# "alliance-qa: [ 42%] encoding chunks (all-MiniLM-L6-v2) 32/50 texts, ETA 0:41": the percentage and the stage
PROGRESS_LINE = re.compile(r"alliance-qa: \[ *(\d+)%\] (.*?)(?: \d+(?:/\d+)? \w+)?(?:, ETA [\d:]+)?")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    return tiny_corpus(tmp_path_factory.mktemp("commands"), [{"file": "steel.txt", "doc_id": "steel", "title": "Steel"}])


@pytest.fixture
def tiny(built, tmp_path) -> Settings:
    return copy_of(built, tmp_path)


def cli(settings: Settings, *args: str, quiet: bool = True, **env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ALLIANCE_QA_CORPUS_DIR": str(settings.corpus_dir),
           "ALLIANCE_QA_INDEX_DIR": str(settings.index_dir), "ALLIANCE_QA_MULTILINGUAL_MODEL": "none", **env}
    command = [sys.executable, "-m", "server.cli", *(["-q"] if quiet else []), *args]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_add_copies_records_and_indexes_that_document_only(tiny, tmp_path):
    source = tmp_path / "Ship Notes.txt"
    source.write_text(SHIPS)
    done = cli(tiny, "add", str(source), "--title", "Ship Notes 2024", "--authors", "Jane Doe, Kim Min-ji",
               "--publisher", "Harbour Institute", "--date", "2025-01-31", "--url", "https://example.org/ships")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "added ship-notes" in done.stdout
    assert not PROGRESS_LINE.search(done.stderr)  # -q: the build reports no progress
    assert (tiny.corpus_dir / "Ship Notes.txt").read_text() == SHIPS
    entry = json.loads((tiny.corpus_dir / "sources.json").read_text())[-1]
    assert entry == {"file": "Ship Notes.txt", "doc_id": "ship-notes", "title": "Ship Notes 2024",
                     "authors": ["Jane Doe", "Kim Min-ji"], "publisher": "Harbour Institute", "date": "2025-01-31",
                     "url": "https://example.org/ships"}
    index = load(tiny)
    assert index.manifest["encoded"]["chunks"] == index.chunk_counts["ship-notes"] == 1
    assert index.documents["ship-notes"].authors == ["Jane Doe", "Kim Min-ji"]
    listed = json.loads(cli(tiny, "documents", "--json").stdout)
    assert {d["doc_id"] for d in listed["documents"]} == {"steel", "energy", "ship-notes"}


@pytest.mark.parametrize("name, data, words", [
    ("empty.txt", b"", "empty.txt cannot be added: the file is empty"),
    ("broken.pdf", b"%PDF-1.7\n1 0 obj", "broken.pdf cannot be added: the PDF cannot be read"),
    ("steel.txt", SHIPS.encode(), "steel.txt is already in"),  # a file of that name is in the corpus
    ("notes.docx", b"PK\x03\x04", "the corpus reads .txt"),
])
def test_add_refuses_with_the_reason_and_changes_nothing(tiny, tmp_path, name, data, words):
    source = tmp_path / "incoming" / name
    source.parent.mkdir()
    source.write_bytes(data)
    before, index_before = snapshot(tiny.corpus_dir), (tiny.index_dir / "current").resolve()
    done = cli(tiny, "add", str(source))
    assert done.returncode == 1 and words in done.stderr and "Traceback" not in done.stderr
    assert snapshot(tiny.corpus_dir) == before and (tiny.index_dir / "current").resolve() == index_before


def test_add_refuses_a_doc_id_that_is_taken(tiny, tmp_path):
    source = tmp_path / "other.txt"
    source.write_text(SHIPS)
    before = snapshot(tiny.corpus_dir)
    done = cli(tiny, "add", str(source), "--doc-id", "energy")
    assert done.returncode == 1 and "'energy' is taken by energy.txt" in done.stderr
    assert snapshot(tiny.corpus_dir) == before


def test_remove_takes_the_file_and_its_entry_and_encodes_nothing(tiny):
    done = cli(tiny, "remove", "steel")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "removed steel (steel.txt)" in done.stdout
    assert not (tiny.corpus_dir / "steel.txt").exists()
    assert json.loads((tiny.corpus_dir / "sources.json").read_text()) == []
    index = load(tiny)
    assert set(index.documents) == {"energy"} and index.manifest["encoded"] == {"chunks": 0, "sentences": 0}


def test_remove_refuses_an_unknown_or_the_last_document(tiny):
    unknown = cli(tiny, "remove", "nope")
    assert unknown.returncode == 1 and "no document with doc_id 'nope'" in unknown.stderr
    assert "energy" in unknown.stderr and "steel" in unknown.stderr  # it lists the known ones
    assert cli(tiny, "remove", "steel").returncode == 0
    before = snapshot(tiny.corpus_dir)
    last = cli(tiny, "remove", "energy")
    assert last.returncode == 1 and "only document" in last.stderr
    assert snapshot(tiny.corpus_dir) == before


def test_index_reports_one_progress_in_plain_lines_when_not_on_a_terminal(tiny):
    """Stderr piped, as into a log file: a line as each stage starts, percentages that only grow, and 100% at the end,
    with no carriage return to garble the file.  (The model loader's own bar is switched off here: not ours.)"""
    done = cli(tiny, "index", "--force", quiet=False, HF_HUB_DISABLE_PROGRESS_BARS="1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "\r" not in done.stderr
    lines = [m.groups() for m in map(PROGRESS_LINE.fullmatch, done.stderr.splitlines()) if m]
    percents = [int(p) for p, _ in lines]
    stages = [stage for i, (_, stage) in enumerate(lines) if i == 0 or stage != lines[i - 1][1]]
    assert percents == sorted(percents) and percents[-1] == 100, done.stderr
    assert stages[:-1] == ["reading", "loading models", "chunking", f"encoding chunks ({tiny.model})",
                           f"encoding sentences ({tiny.model})", "writing"], done.stderr
    assert stages[-1].startswith("done in ")
