"""The command line, end to end in a subprocess over the session's real index."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from retriever.config import PROJECT_ROOT


def run(settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "ALLIANCE_QA_INDEX_DIR": str(settings.index_dir)}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )


def test_help_is_helpful_and_light():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, server.cli as c; c.build_parser().format_help(); "
                               "print('torch' in sys.modules, 'faiss' in sys.modules)"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    )
    assert out.stdout.split() == ["False", "False"]
    help_text = subprocess.run([sys.executable, "-m", "server.cli", "--help"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=True).stdout
    for word in ("ask", "index", "serve", "eval", "eval-beir", "examples:"):
        assert word in help_text


def test_ask_json_end_to_end(settings, index):
    out = run(settings, "ask", "How much did Korea invest in US greenfield projects in 2024?", "--json", "-k", "3")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    top = answer["passages"][0]
    assert "$14.8 billion" in top["text"] and len(answer["passages"]) == 3
    assert set(top["citation"]) >= {"doc_id", "title", "authors", "section", "char_start", "char_end", "footnotes"}
    assert index.documents[top["citation"]["doc_id"]].text[top["citation"]["char_start"]:top["citation"]["char_end"]] \
        == top["text"]


def test_ask_readable_output(settings, index):
    out = run(settings, "-q", "ask", "How much did Korea invest in US greenfield projects in 2024?", "-k", "2")
    assert out.returncode == 0, out.stderr
    assert "[1] Challenges and Tasks Ahead for the Korea-US Economic Alliance — Introduction" in out.stdout
    assert "» By 2024, Korea’s greenfield investments in the US has surged to $14.8 billion" in out.stdout
    assert "chars " in out.stdout


def test_bad_arguments_are_explained(settings, index):
    out = run(settings, "ask", "tariffs", "--doc", "nope")
    assert out.returncode == 2 and "unknown doc_id nope" in out.stderr
    out = run(settings, "ask", "tariffs", "-k", "50")
    assert out.returncode == 2 and "k must be between 1 and 20" in out.stderr
    out = run(settings, "index")
    assert out.returncode == 0 and "index is up to date" in out.stdout
