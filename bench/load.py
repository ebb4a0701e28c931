"""Load test: many clients asking at once, against a real server on loopback, for a bounded time.

For each ``--workers`` value it starts ``alliance-qa serve --workers N`` on 127.0.0.1 over the project's index,
waits until every worker has started, and runs ``--clients`` concurrent clients (httpx, asyncio) that POST the gold
questions round-robin to ``/api/ask`` until ``--seconds`` have passed or ``--max-requests`` were sent.  Requests
still in flight at the deadline are awaited and counted.  Then it stops the server.

Reported per run: throughput (completed requests / wall time), client-side latency p50/p95/p99, the server's own
``timings_ms.total`` (the difference is queueing: 16 clients on 2 cores mostly wait), errors (anything but a 200,
including timeouts; there must be none), and the RSS of the server and its workers before and after, and at its
peak, to catch growth under load.  ``--rounds`` (default 3) repeats the load on the same server: growth in the
first round only is warm-up, growth in every round is a leak.  A few seconds after the last round, each process's
RSS is read again: what an idle worker keeps once it has handed back what the load left (``server/memory.py``).

It only ever talks to 127.0.0.1.

    python -m bench.load                                  # 16 clients x 30 s, workers 1 then 2
    python -m bench.load --clients 4 --seconds 10 --workers 1
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from bench.process import LOOPBACK, PeakRSS, ServeProcess, tree_rss
from bench.results import RESULTS_DIR, environment, fmt_ms, publish, table
from bench.stats import percentile, ratio, summarise
from server.memory import IDLE_TRIM_SECONDS

# After the last round: what a worker holds at rest, once it has handed back what the load left (server/memory.py)
SETTLE_SECONDS = 2 * IDLE_TRIM_SECONDS + 0.5


def _check_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in (LOOPBACK, "localhost"):
        raise ValueError(f"the load test only targets {LOOPBACK}, not {host!r}")


async def _drive(url: str, questions: list[str], clients: int, seconds: float, max_requests: int, k: int,
                 timeout: float) -> tuple[list[dict], float]:
    import httpx

    counter = itertools.count()
    deadline = time.perf_counter() + seconds
    records: list[dict] = []

    async def client(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            n = next(counter)
            if n >= max_requests:
                return
            question = questions[n % len(questions)]
            t = time.perf_counter()
            rec: dict = {"start": t}
            try:
                resp = await http.post(url + "/api/ask", json={"question": question, "k": k})
                rec["status"] = resp.status_code
                if resp.status_code == 200:
                    rec["server_ms"] = resp.json().get("timings_ms", {}).get("total")
                else:
                    rec["error"] = f"HTTP {resp.status_code}: {resp.text[:200]}"
            except httpx.HTTPError as exc:
                rec["status"] = None
                rec["error"] = f"{type(exc).__name__}: {exc}"[:200]
            rec["latency_ms"] = (time.perf_counter() - t) * 1000
            records.append(rec)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    # trust_env=False: no proxy from the environment may stand between the clients and loopback
    async with httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        wall = time.perf_counter() - t0
    return records, wall


def run_load(url: str, questions: list[str], clients: int = 16, seconds: float = 30.0, max_requests: int = 10_000,
             k: int = 5, timeout: float = 120.0, server_pid: int | None = None) -> dict:
    """Drive a running server on loopback and summarise.  ``server_pid`` (optional) enables the memory readings."""
    _check_loopback(url)
    if not questions:
        raise ValueError("no questions to ask")

    def server_mb() -> float | None:
        return tree_rss(server_pid)["total_mb"] if server_pid else None

    with PeakRSS(server_mb, interval=0.5) as memory:
        records, wall = asyncio.run(_drive(url, questions, clients, seconds, max_requests, k, timeout))
    ok = [r for r in records if r.get("status") == 200]
    errors = [r for r in records if r.get("status") != 200]
    return {
        "clients": clients,
        "seconds": seconds,
        "wall_seconds": round(wall, 2),
        "requests": len(records),
        "ok": len(ok),
        "errors": len(errors),
        "error_kinds": dict(Counter(r["error"].split(":")[0] for r in errors)),
        "error_samples": [r["error"] for r in errors[:5]],
        "throughput_rps": round(len(ok) / wall, 3) if wall > 0 else None,
        "latency_ms": summarise(r["latency_ms"] for r in ok),
        "server_total_ms": summarise(r["server_ms"] for r in ok if r.get("server_ms") is not None),
        "memory_mb": {
            "before": memory.start,
            "after": memory.end,
            "peak": memory.peak,
            "growth": memory.delta_mb,
            "processes_after": tree_rss(server_pid)["processes"] if server_pid else None,
        },
    }


def run_with_server(workers: int, questions: list[str], clients: int, seconds: float, max_requests: int, k: int,
                    index_dir: Path, log_dir: Path, rounds: int = 3, ready_timeout: float = 900.0) -> dict:
    """Start ``alliance-qa serve --workers N``, warm every worker up, load it ``rounds`` times, stop it.

    The first round's figures are the headline.  Later rounds hit the same server again: memory that grows in the
    first round and then stays put is warm-up (thread pools, allocator arenas); memory that keeps growing from
    round to round is a leak.
    """
    with ServeProcess(index_dir, log_dir / f"load-server-w{workers}.log", workers=workers) as server:
        ready = server.wait_ready(timeout=ready_timeout, all_workers=True)
        # Each worker's first few requests pay for lazy initialisation; do not count them.
        warm = run_load(server.url, questions, clients=2 * workers, seconds=120.0, max_requests=4 * workers, k=k)
        results = [run_load(server.url, questions, clients=clients, seconds=seconds, max_requests=max_requests, k=k,
                            server_pid=server.proc.pid) for _ in range(max(1, rounds))]
        time.sleep(SETTLE_SECONDS)
        settled = tree_rss(server.proc.pid)["processes"]
    result = results[0]
    result["workers"] = workers
    result["warmup_errors"] = warm["errors"]
    result["ready_seconds"] = round(ready, 1)
    result["rounds"] = [
        {"round": i + 1, "requests": r["requests"], "errors": r["errors"], "throughput_rps": r["throughput_rps"],
         "p50_ms": r["latency_ms"]["median"], "p95_ms": r["latency_ms"]["p95"],
         "rss_before_mb": r["memory_mb"]["before"], "rss_after_mb": r["memory_mb"]["after"],
         "rss_after_by_process_mb": {p["pid"]: p["rss_mb"] for p in r["memory_mb"]["processes_after"] or []}}
        for i, r in enumerate(results)
    ]
    result["errors_all_rounds"] = sum(r["errors"] for r in results)
    result["memory_mb"]["settled_by_process"] = {p["pid"]: p["rss_mb"] for p in settled}
    first, last = results[0]["memory_mb"]["after"], results[-1]["memory_mb"]["after"]
    result["memory_mb"]["growth_after_first_round"] = (
        round(last - first, 1) if len(results) > 1 and first is not None and last is not None else None)
    return result


def compare_workers(runs: list[dict], a: int = 1, b: int = 2) -> dict:
    """``b`` workers against ``a``, as ratios of medians over every round of every run with that worker count.

    Background load on a shared machine drifts during a run; several rounds per configuration, rather than one
    number each, keep a drift from passing for a difference between configurations.
    """
    def rounds(n: int, key: str) -> list[float]:
        return [rd[key] for r in runs if r.get("workers") == n for rd in r.get("rounds", []) if rd[key] is not None]

    if not rounds(a, "throughput_rps") or not rounds(b, "throughput_rps"):
        return {}
    med = {(n, key): percentile(rounds(n, key), 50) for n in (a, b) for key in ("throughput_rps", "p50_ms",
                                                                               "rss_after_mb")}
    return {
        "rounds_per_config": {a: len(rounds(a, "throughput_rps")), b: len(rounds(b, "throughput_rps"))},
        f"median_throughput_rps_{a}": med[(a, "throughput_rps")],
        f"median_throughput_rps_{b}": med[(b, "throughput_rps")],
        f"throughput_{b}_over_{a}": ratio(med[(b, "throughput_rps")], med[(a, "throughput_rps")]),
        f"p50_{b}_over_{a}": ratio(med[(b, "p50_ms")], med[(a, "p50_ms")]),
        f"rss_after_{b}_over_{a}": ratio(med[(b, "rss_after_mb")], med[(a, "rss_after_mb")]),
    }


def print_report(result: dict) -> None:
    runs, comparison = result["runs"], result["comparison"]
    rows = []
    for r in runs:
        m, lat = r["memory_mb"], r["latency_ms"]
        rows.append([r.get("workers", "-"), r["clients"], r["requests"], r["errors"], r["throughput_rps"],
                     fmt_ms(lat["median"]), fmt_ms(lat["p95"]), fmt_ms(lat["p99"]),
                     fmt_ms(r["server_total_ms"]["median"]), m["before"], m["after"], m["growth"],
                     m.get("growth_after_first_round", "-")])
    print(table(["workers", "clients", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms",
                 "server ms (p50)", "RSS before MB", "RSS after MB", "growth MB", "later rounds +MB"], rows))
    for r in runs:
        for rd in r.get("rounds", [])[1:]:
            print(f"  workers={r.get('workers')} round {rd['round']}: {rd['requests']} requests, "
                  f"{rd['errors']} errors, "
                  f"{rd['throughput_rps']} req/s, p50 {fmt_ms(rd['p50_ms'])} ms, RSS after {rd['rss_after_mb']} MB "
                  f"{sorted(rd['rss_after_by_process_mb'].values())}")
        settled = r["memory_mb"].get("settled_by_process")
        if settled:
            print(f"  workers={r.get('workers')} at rest {SETTLE_SECONDS:g} s after the load: RSS by process "
                  f"{sorted(settled.values())} MB")
    if comparison:
        print(f"\n2 workers vs 1 (medians over all rounds): throughput x{comparison['throughput_2_over_1']}, "
              f"p50 x{comparison['p50_2_over_1']}, RSS x{comparison['rss_after_2_over_1']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Load-test a real `alliance-qa serve` on 127.0.0.1: concurrent clients POST gold questions to "
                    "/api/ask for a fixed time; report throughput, latency percentiles, errors and server memory.",
        epilog="Exit status 1 if any request failed (non-200 or timeout).",
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send requests (default 30)")
    parser.add_argument("--workers", default="1,2",
                        help="server worker counts to compare, comma-separated (default 1,2)")
    parser.add_argument("--max-requests", type=int, default=10_000,
                        help="stop a round after this many requests (default 10000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of --seconds against the same server; the first is the headline, the "
                             "others show whether memory keeps growing (default 3)")
    parser.add_argument("-k", type=int, default=5, help="passages per answer (default 5)")
    parser.add_argument("--index-dir", type=Path, default=None, help="index folder (default: the project's)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "load.json", help="result file")
    args = parser.parse_args(argv)

    from eval.gold import load_gold
    from retriever.config import Settings

    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    settings = Settings.from_env(index_dir=args.index_dir)
    questions = [q.question for q in load_gold()]
    before, started = environment(), time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory(prefix="alliance-qa-load-") as logs:
        for n in workers:
            print(f"workers={n}: {args.clients} clients for {args.seconds:g}s ...", file=sys.stderr)
            runs.append(run_with_server(n, questions, args.clients, args.seconds, args.max_requests, args.k,
                                        settings.index_dir, Path(logs), rounds=args.rounds))
    result = {"target": LOOPBACK, "questions": len(questions), "runs": runs, "comparison": compare_workers(runs)}
    publish(result, "load", before, started, args.out, print_report)
    return 1 if any(r["errors_all_rounds"] or r["warmup_errors"] for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
