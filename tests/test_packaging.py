"""The project installs without warnings and ships the page: what a new user sees of ``./run.sh``'s install step.

The wheel is built from a copy of the project (setuptools writes ``build/`` and ``*.egg-info`` beside its input),
with the venv's own setuptools and no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from retriever.config import PROJECT_ROOT

SHIPPED = ("pyproject.toml", "README.md", "retriever", "server", "eval")


def test_the_wheel_builds_without_warnings_and_holds_the_page(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in SHIPPED:
        path = PROJECT_ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "reports"))
        else:
            shutil.copy2(path, src / name)
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w",
         str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr and "would be ignored" not in out.stderr, out.stderr
    (wheel,) = (tmp_path / "dist").glob("alliance_qa-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    static = sorted(p.name for p in (PROJECT_ROOT / "server" / "static").iterdir() if p.is_file())
    assert {f"server/static/{name}" for name in static} <= names
    assert "eval/gold.jsonl" in names and "retriever/search.py" in names
