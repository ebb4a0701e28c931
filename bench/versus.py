"""The service at an earlier commit against the working tree: /api/ask latency side by side, in one run.

Issue 10 added a reading stage to ``/api/ask`` (composed answers, follow-ups) and set a target: the median
``/api/ask`` at most 1.5x what it was before, measured side by side in one run.  On this shared 2-core machine
absolute times move 2-10x from one run to the next (bench/README.md), so the two versions are never measured apart:

* the base ref is checked out into a temporary ``git worktree`` (removed at the end, on an error or Ctrl-C too) and
  served by its own code: its ``alliance-qa`` entry point (from its ``pyproject.toml``), run by this venv's python
  from the worktree with ``PYTHONPATH`` on it.  The working tree is served the same way from the project root;
* both serve the same corpus with the same settings (the ``ALLIANCE_QA_*`` variables of this environment), each from
  its own index folder built by its own code (``alliance-qa index``), or from one shared folder when the code that
  builds an index (``INDEX_CODE``) is byte-identical in both;
* both get the same English gold questions as ``{"question": ..., "k": 5}`` (no history, which both versions
  accept), after a few warm-up requests each, for ``--rounds`` rounds.  Each question goes to both servers back to
  back, in alternating order (base then current, then current then base), one keep-alive ``httpx`` client each.
  Only one request is in flight at a time, so the servers never compete with each other for the cores, and a
  drift in the machine's load reaches both alike.

Reported: wall-clock ms per request seen by the client, median / p95 / mean per server and the ratios current/base;
the ratio of medians per round and the median of the paired per-question ratios (how stable the ratio is); and the
median of each stage of ``timings_ms`` as each server reports it.  Nothing here asserts a time.

    python -m bench.versus                                 # base: the commit before issue 10; 40 questions x 3
    python -m bench.versus --base HEAD~3 --questions 10 --rounds 1 --out /tmp/versus
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.process import LOOPBACK, ServeProcess
from bench.results import RESULTS_DIR, environment, fmt_ms, git_commit, publish, table
from bench.stats import percentile, ratio, summarise
from retriever.config import PROJECT_ROOT

# The parent of f7b65ee "Answer object gains answer/reason and /api/ask a validated history (issue 10, first step)":
# the service as it was before issue 10's work ("Count chunks per document once per index ...").
DEFAULT_BASE = "f71f1bf639dd781b4395140a856f8629c6816b7b"
# Issue 10's target: median /api/ask of the working tree at most this many times the base's.  Reported, not asserted.
MEDIAN_RATIO_TARGET = 1.5
NAMES = ("base", "current")
WARMUP = 3  # requests to each server before measuring: the first ones pay for lazy initialisation
# The code that builds an index (what `retriever.store.build` imports): when every one of these files is the same in
# both checkouts, both would build the same index, so one build serves both.  A superset of what the index manifest's
# ``pipeline`` hash covers (retriever.store.pipeline_version).
INDEX_CODE = tuple(f"retriever/{name}.py" for name in (
    "store", "index", "encoders", "chunking", "documents", "corpus", "cleaning", "readers", "config", "tuning"))
REQUEST_TIMEOUT = 120.0


def log(message: str) -> None:
    print(f"[versus] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------- git


def git(*args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def resolve(ref: str) -> str:
    """The full commit hash ``ref`` names; ValueError if it names none."""
    try:
        return git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except RuntimeError:
        raise ValueError(f"--base {ref!r} names no commit of this repository") from None


def index_code_identical(commit: str) -> bool:
    """Whether every file of ``INDEX_CODE`` is byte-identical at ``commit`` and in the working tree."""
    for path in INDEX_CODE:
        at_commit = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=PROJECT_ROOT, capture_output=True)
        here = PROJECT_ROOT / path
        if at_commit.returncode or not here.is_file() or at_commit.stdout != here.read_bytes():
            return False
    return True


@contextlib.contextmanager
def worktree(commit: str, path: Path) -> Iterator[Path]:
    """``commit`` checked out (detached) at ``path`` for the duration of the block; removed afterwards, always."""
    try:
        git("worktree", "add", "--detach", "--quiet", str(path), commit)
        yield path
    finally:
        removed = subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=PROJECT_ROOT,
                                 capture_output=True)
        if removed.returncode:  # half-made, or already gone: drop the folder and git's record of it
            shutil.rmtree(path, ignore_errors=True)
            subprocess.run(["git", "worktree", "prune"], cwd=PROJECT_ROOT, capture_output=True)


# ---------------------------------------------------------------------------------------------------- checkouts


@dataclass(frozen=True)
class Checkout:
    """A version of the service: its source folder and how to run its ``alliance-qa`` with this venv's python."""

    name: str
    root: Path
    command: tuple[str, ...]
    commit: str | None = None  # None: the working tree

    @classmethod
    def of(cls, name: str, root: Path, commit: str | None = None) -> "Checkout":
        """The checkout at ``root``; its entry point is read from ``pyproject.toml`` at ``commit`` (or on disk)."""
        text = git("show", f"{commit}:pyproject.toml") if commit else (root / "pyproject.toml").read_text("utf-8")
        module, _, function = tomllib.loads(text)["project"]["scripts"]["alliance-qa"].partition(":")
        # `python -c` puts the working directory first on sys.path; PYTHONPATH (env) makes sure of it.
        code = f"import sys; from {module} import {function} as main; sys.exit(main())"
        return cls(name, root, (sys.executable, "-c", code), commit)

    def env(self, index_dir: Path, corpus_dir: Path) -> dict[str, str]:
        """What this checkout's commands run with: this environment, the index and corpus, its own code first."""
        path = os.pathsep.join(p for p in (str(self.root), os.environ.get("PYTHONPATH", "")) if p)
        return {**os.environ, "ALLIANCE_QA_INDEX_DIR": str(index_dir), "ALLIANCE_QA_CORPUS_DIR": str(corpus_dir),
                "PYTHONPATH": path}

    def code_location(self) -> Path:
        """Where the packages this checkout's commands import really come from (must be inside ``root``)."""
        probe = "import retriever, server; print(retriever.__file__); print(server.__file__)"
        out = subprocess.run([sys.executable, "-c", probe], cwd=self.root, env=self.env(Path("-"), Path("-")),
                             capture_output=True, text=True, check=True).stdout.split()
        for file in out:
            if not Path(file).resolve().is_relative_to(self.root.resolve()):
                raise RuntimeError(f"the {self.name} server would import {file}, not code from {self.root}")
        return Path(out[0]).resolve().parent.parent

    def build_index(self, index_dir: Path, corpus_dir: Path) -> float:
        """``alliance-qa index`` with this checkout's code (a no-op if the index is up to date); seconds taken.

        Its progress bars and messages go to stderr: stdout is the report.
        """
        t = time.perf_counter()
        subprocess.run([*self.command, "index"], cwd=self.root, env=self.env(index_dir, corpus_dir),
                       stdout=_stderr_fd(), check=True)
        return time.perf_counter() - t


def _stderr_fd() -> int:
    """This process's stderr as a file descriptor for a child's output (fd 2 when ``sys.stderr`` has none)."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
        return 2


# ---------------------------------------------------------------------------------------------------- measuring


def english_questions(n: int) -> list[str]:
    """The first ``n`` English gold questions asked without a conversation."""
    from eval.gold import load_gold

    return [q.question for q in load_gold() if q.lang == "en" and not q.history][:n]


def orders(questions: int, rounds: int) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """(round, question, servers in the order asked): base first, then current first, alternating throughout."""
    step = 0
    for r in range(rounds):
        for q in range(questions):
            yield r, q, NAMES if step % 2 == 0 else NAMES[::-1]
            step += 1


@dataclass
class Record:
    round: int
    question: int
    server: str
    position: int  # 0: asked first of the pair, 1: second
    ms: float
    status: int | None
    timings_ms: dict = field(default_factory=dict)
    error: str | None = None


def measure(urls: dict[str, str], questions: list[str], rounds: int, k: int = 5, warmup: int = WARMUP) -> list[Record]:
    """Ask every question of every round of both servers (``urls``: name -> base URL), interleaved; one record each.

    Warm-up requests (the first ``warmup`` questions, to each server) are not recorded.
    """
    import httpx

    for url in urls.values():
        if not url.startswith(f"http://{LOOPBACK}:"):
            raise ValueError(f"versus only talks to {LOOPBACK}, not {url}")
    # trust_env=False: no proxy from the environment may stand between the client and loopback
    clients = {name: httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT, trust_env=False)
               for name, url in urls.items()}
    try:
        def ask(name: str, question: str) -> tuple[float, int | None, dict, str | None]:
            t = time.perf_counter()
            try:
                resp = clients[name].post("/api/ask", json={"question": question, "k": k})
                ms = (time.perf_counter() - t) * 1000
            except httpx.HTTPError as exc:
                return (time.perf_counter() - t) * 1000, None, {}, f"{type(exc).__name__}: {exc}"[:200]
            if resp.status_code != 200:
                return ms, resp.status_code, {}, f"HTTP {resp.status_code}: {resp.text[:200]}"
            return ms, 200, resp.json().get("timings_ms") or {}, None

        for _, q, order in orders(min(warmup, len(questions)), 1):
            for name in order:
                ask(name, questions[q])
        records: list[Record] = []
        for r, q, order in orders(len(questions), rounds):
            for position, name in enumerate(order):
                ms, status, timings, error = ask(name, questions[q])
                records.append(Record(r, q, name, position, ms, status, timings, error))
            if q == len(questions) - 1:
                done = [x for x in records if x.round == r and x.status == 200]
                log(f"round {r + 1}/{rounds}: median base "
                    + " ms, current ".join(fmt_ms(percentile([x.ms for x in done if x.server == n], 50))
                                            for n in NAMES) + " ms")
        return records
    finally:
        for client in clients.values():
            client.close()


def summarise_records(records: list[Record], rounds: int) -> dict:
    """Latency per server, the ratios current/base, per round and paired, order effects and stage medians."""
    ok = [r for r in records if r.status == 200]

    def ms(server: str, **where: object) -> list[float]:
        return [r.ms for r in ok if r.server == server and all(getattr(r, k) == v for k, v in where.items())]

    latency = {name: summarise(ms(name)) for name in NAMES}
    base_of = {(r.round, r.question): r.ms for r in ok if r.server == "base"}
    paired = [r.ms / base_of[(r.round, r.question)] for r in ok
              if r.server == "current" and (r.round, r.question) in base_of]
    per_round = []
    for i in range(rounds):
        b, c = percentile(ms("base", round=i), 50), percentile(ms("current", round=i), 50)
        per_round.append({"round": i + 1, "base_median_ms": None if b is None else round(b, 3),
                          "current_median_ms": None if c is None else round(c, 3), "median_ratio": ratio(c, b)})
    stages: dict[str, dict[str, dict]] = {}
    for name in NAMES:
        keys = sorted({key for r in ok if r.server == name for key in r.timings_ms})
        stages[name] = {key: summarise(r.timings_ms[key] for r in ok if r.server == name and key in r.timings_ms)
                        for key in keys}
    errors = [r for r in records if r.status != 200]
    return {
        "requests": len(records),
        "errors": len(errors),
        "error_samples": [f"{r.server}: {r.error}" for r in errors[:5]],
        "latency_ms": latency,
        "ratios": {
            "median": ratio(latency["current"]["median"], latency["base"]["median"]),
            "p95": ratio(latency["current"]["p95"], latency["base"]["p95"]),
            "mean": ratio(latency["current"]["mean"], latency["base"]["mean"]),
            "paired_median": None if not paired else round(percentile(paired, 50), 2),
        },
        "per_round": per_round,
        "order_effect_median_ms": {name: {"asked_first": summarise(ms(name, position=0))["median"],
                                          "asked_second": summarise(ms(name, position=1))["median"]}
                                   for name in NAMES},
        "stages_ms": stages,
        "requests_ms": [[r.round, r.question, r.server, round(r.ms, 3), r.status] for r in records],
    }


# ---------------------------------------------------------------------------------------------------- the run


def run(base_ref: str, n_questions: int, rounds: int, k: int = 5, index_dir: Path | None = None,
        corpus_dir: Path | None = None, ready_timeout: float = 900.0) -> dict:
    """Check the base out, build the indexes, start both servers, measure, stop everything; the result."""
    from retriever.config import Settings

    if n_questions < 1 or rounds < 1:
        raise ValueError("--questions and --rounds must be at least 1")
    commit = resolve(base_ref)
    corpus_dir = (corpus_dir or Settings.from_env().corpus_dir).resolve()
    questions = english_questions(n_questions)
    shared = index_code_identical(commit)
    result: dict = {
        "target": LOOPBACK,
        "base": {"ref": base_ref, "commit": commit, "subject": git("log", "-1", "--format=%s", commit)},
        "current": {"commit": git_commit()},
        "corpus_dir": str(corpus_dir),
        "questions": len(questions),
        "rounds": rounds,
        "k": k,
        "warmup_per_server": min(WARMUP, len(questions)),
        "index_shared": shared,
        "median_ratio_target": MEDIAN_RATIO_TARGET,
    }
    with tempfile.TemporaryDirectory(prefix="alliance-qa-versus-") as tmp_name:
        tmp = Path(tmp_name)
        log(f"checking out {base_ref} ({commit[:10]}) into a temporary worktree")
        with worktree(commit, tmp / "base") as base_root:
            checkouts = {"base": Checkout.of("base", base_root, commit),
                         "current": Checkout.of("current", PROJECT_ROOT)}
            current_index = (index_dir or tmp / "index-current").resolve()
            index_dirs = {"current": current_index, "base": current_index if shared else tmp / "index-base"}
            for name in ("current", "base"):  # the current first: the base may share its index
                result[name]["code"] = str(checkouts[name].code_location())
                if name == "base" and shared:
                    log("the index-building code is identical in both: the base serves the current's index")
                    result[name]["index_build_seconds"] = None
                    continue
                log(f"index for {name} ({index_dirs[name]}), built by its own code if missing or stale; "
                    "1-2 min on 2 cores")
                seconds = checkouts[name].build_index(index_dirs[name], corpus_dir)
                result[name]["index_build_seconds"] = round(seconds, 1)
                log(f"index for {name}: {seconds:.0f} s")
            log("starting both servers")
            with contextlib.ExitStack() as stack:
                servers = {name: stack.enter_context(ServeProcess(
                    index_dirs[name], tmp / f"{name}-server.log", corpus_dir=corpus_dir,
                    extra_env={"PYTHONPATH": checkouts[name].env(index_dirs[name], corpus_dir)["PYTHONPATH"]},
                    command=checkouts[name].command, cwd=checkouts[name].root)) for name in NAMES}
                for name, server in servers.items():
                    result[name]["ready_seconds"] = round(server.wait_ready(timeout=ready_timeout), 1)
                    log(f"{name} server ready at {server.url} after {result[name]['ready_seconds']} s")
                log(f"{len(questions)} questions x {rounds} rounds, each to both servers, interleaved")
                records = measure({name: s.url for name, s in servers.items()}, questions, rounds, k)
                for name, server in servers.items():
                    result[name]["rss_mb"] = server.rss()["total_mb"]
    result.update(summarise_records(records, rounds))
    median_ratio = result["ratios"]["median"]
    result["median_within_target"] = None if median_ratio is None else median_ratio <= MEDIAN_RATIO_TARGET
    return result


# ---------------------------------------------------------------------------------------------------- report


def markdown(result: dict) -> str:
    """The report: one Markdown text for the terminal and for ``versus.md``."""
    base, current, lat, ratios = result["base"], result["current"], result["latency_ms"], result["ratios"]

    def x(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}x"

    commits = {"base": base["commit"][:10], "current": current["commit"] or "-"}
    rows = [[name, commits[name], lat[name]["n"],
             fmt_ms(lat[name]["median"]), fmt_ms(lat[name]["p95"]), fmt_ms(lat[name]["mean"])] for name in NAMES]
    rows.append(["**current / base**", "", "", f"**{x(ratios['median'])}**", x(ratios["p95"]), x(ratios["mean"])])
    env = result.get("environment", {})
    named = "" if base["commit"].startswith(base["ref"]) else f"{base['ref']}: "
    lines = [
        f"versus: base `{base['commit'][:10]}` ({named}{base['subject']}) against the working tree "
        f"`{current['commit']}`",
        "",
        f"{result['questions']} English gold questions x {result['rounds']} rounds, k={result['k']}, each question "
        f"to both servers back to back in alternating order; wall-clock ms per request seen by the client. "
        f"Load average {env.get('load_average', '-')} before, {result.get('load_average_after', '-')} after; "
        f"run {result.get('run_seconds', '-')} s.",
        "",
        table(["server", "commit", "requests", "median ms", "p95 ms", "mean ms"], rows),
        "",
        "Ratio of medians per round: " + ", ".join(x(r["median_ratio"]) for r in result["per_round"])
        + f"; median of the paired per-question ratios: {x(ratios['paired_median'])}.",
        f"Issue 10's target, median ratio <= {result['median_ratio_target']}: "
        + {True: "within", False: "**over**", None: "no data"}[result["median_within_target"]]
        + " (reported, not asserted).",
    ]
    if result["errors"]:
        lines.append(f"**{result['errors']} requests were not answered 200**: {result['error_samples']}")
    stages = result["stages_ms"]
    names = list(stages["current"]) + [s for s in stages["base"] if s not in stages["current"]]
    names = [s for s in names if s != "total"] + (["total"] if "total" in names else [])

    def med(server: str, stage: str) -> str:
        return fmt_ms(stages[server][stage]["median"]) if stage in stages[server] else "-"

    lines += ["", "Stages as each server times them (`timings_ms`), median ms:", "",
              table(["stage", "base", "current"], [[s, med("base", s), med("current", s)] for s in names])]
    return "\n".join(lines) + "\n"


def print_and_write(result: dict, md_path: Path) -> None:
    text = markdown(result)
    print(text)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = md_path.with_name(md_path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, md_path)
    print(f"wrote {md_path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.versus",
        description="Measure /api/ask of the service at an earlier commit (--base) and of the working tree side by "
                    "side, in the same run: two real servers on 127.0.0.1 (the base from a temporary git worktree, "
                    "with its own code and its own index), the same corpus and settings, the same English gold "
                    "questions sent to both back to back in alternating order. On a shared machine absolute times "
                    "drift several-fold between runs, so only a comparison measured together, interleaved, means "
                    "anything. Reports median, p95 and mean ms per server, the ratios current/base (issue 10's "
                    f"target: median ratio <= {MEDIAN_RATIO_TARGET}), and each server's stage medians.",
        epilog="Writes versus.json and versus.md to --out. Exit status 1 if any request was not answered 200.",
    )
    parser.add_argument("--base", default=DEFAULT_BASE,
                        help=f"git ref to compare against (default {DEFAULT_BASE[:10]}, the commit before issue 10)")
    parser.add_argument("--questions", type=int, default=40, help="first N English gold questions (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="times each question is asked of each (default 3)")
    parser.add_argument("-k", type=int, default=5, help="passages per answer (default 5)")
    parser.add_argument("--index-dir", type=Path, default=None,
                        help="an index folder for the working tree's server (built there if missing or stale), "
                             "shared with the base when the index-building code is identical "
                             "(default: a temporary folder, built during the run)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for versus.json and versus.md "
                                                                      "(default bench/results)")
    args = parser.parse_args(argv)

    # A SIGTERM must unwind like Ctrl-C does, so the servers stop and the worktree goes.
    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        before, started = environment(), time.perf_counter()
        try:
            result = run(args.base, args.questions, args.rounds, args.k, index_dir=args.index_dir)
        except ValueError as exc:
            parser.error(str(exc))
        publish(result, "versus", before, started, args.out / "versus.json",
                lambda r: print_and_write(r, args.out / "versus.md"))
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
