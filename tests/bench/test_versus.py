"""``bench.versus``: two real servers, the base from a temporary git worktree, measured side by side.

Behaviour only, like the other bench smoke tests: the report's shape, never a time.  The real run is
``python -m bench.versus`` (bench/README.md).
"""

from __future__ import annotations

import json
import subprocess

from retriever.config import PROJECT_ROOT


def test_requests_alternate_which_server_goes_first():
    from bench.versus import NAMES, orders

    asked = list(orders(questions=3, rounds=2))
    assert [(r, q) for r, q, _ in asked] == [(r, q) for r in range(2) for q in range(3)]
    assert [order for _, _, order in asked] == [NAMES, NAMES[::-1]] * 3


def test_versus_against_head(tmp_path, settings, index):
    """A real run against the committed HEAD: a worktree, two servers, the report written and the worktree gone.

    The session's index (built by the working tree's code) serves the current server, and the base too when the
    index-building code is unchanged since HEAD; otherwise the base builds its own.
    """
    from bench import versus

    out = tmp_path / "out"
    assert versus.main(["--base", "HEAD", "--questions", "2", "--rounds", "1", "--out", str(out),
                        "--index-dir", str(settings.index_dir)]) == 0

    result = json.loads((out / "versus.json").read_text(encoding="utf-8"))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout
    assert result["benchmark"] == "versus" and result["base"]["commit"] == head.strip()
    assert result["errors"] == 0 and result["requests"] == 4
    for name in ("base", "current"):
        assert result["latency_ms"][name]["n"] == 2 and result["latency_ms"][name]["median"] > 0
        assert result["stages_ms"][name]["total"]["median"] > 0
    assert result["ratios"]["median"] > 0 and result["ratios"]["p95"] > 0
    assert isinstance(result["median_within_target"], bool)
    # Each server ran its own checkout's code: the base from the (now removed) worktree, the current from here.
    assert result["current"]["code"] == str(PROJECT_ROOT)
    assert result["base"]["code"] != str(PROJECT_ROOT)
    assert [r[2] for r in result["requests_ms"]] == ["base", "current", "current", "base"]
    assert "environment" in result and "load_average_after" in result

    report = (out / "versus.md").read_text(encoding="utf-8")
    assert "current / base" in report and "median ms" in report
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout
    assert result["base"]["code"] not in worktrees
