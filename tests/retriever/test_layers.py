"""The house's one rule of direction: the library imports nothing above it, and the text pipeline nothing of search.

Read from the source, not by importing it, so a violation fails here even on a path no other test runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from retriever.config import PROJECT_ROOT

LIBRARY = PROJECT_ROOT / "retriever"
ABOVE = ("server", "eval", "bench", "tests")
# The modules that turn files into chunks: the index fingerprints them, so they must not lean on search code.
TEXT_PIPELINE = ("readers", "cleaning", "corpus", "documents", "chunking")
SEARCH = ("search", "rank", "answer", "query", "lexical", "korean", "store", "index", "encoders")


def imports(path: Path) -> set[str]:
    """Top-level names of every module a file imports, relative imports resolved inside retriever/."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x / from .x import y
                base = f"retriever.{node.module}" if node.module else "retriever"
                names |= {base} if node.module else {f"retriever.{alias.name}" for alias in node.names}
            else:
                names.add(node.module or "")
    return names


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.py")), ids=lambda p: p.name)
def test_library_imports_nothing_above_it(path):
    above = {name for name in imports(path) if name.split(".")[0] in ABOVE}
    assert not above, f"{path.name} imports {sorted(above)}: the library must not depend on the layers above it"


@pytest.mark.parametrize("name", TEXT_PIPELINE)
def test_text_pipeline_does_not_import_search(name):
    used = {n.split(".")[1] for n in imports(LIBRARY / f"{name}.py") if n.startswith("retriever.") and "." in n}
    assert not used & set(SEARCH), f"{name}.py imports {sorted(used & set(SEARCH))}"


def test_the_scanner_sees_relative_imports():
    assert "retriever.index" in imports(LIBRARY / "rank.py") and "retriever.tuning" in imports(LIBRARY / "config.py")
