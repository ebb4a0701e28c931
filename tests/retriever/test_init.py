"""What importing ``retriever`` sets up before NumPy, FAISS or the encoders load: threads that do not spin."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from retriever.config import PROJECT_ROOT

# The served worker's first import, then a product like MaxSim's, then which BLAS pools exist and their sizes.
SERVED = """
import json, os
import server.app
import numpy as np
from threadpoolctl import threadpool_info
q, rows = np.ones((12, 384), np.float32), np.ones((4096, 384), np.float32)
(q @ rows.T).max()
print(json.dumps({"pools": [(p["internal_api"], p["num_threads"]) for p in threadpool_info()],
                  "omp": os.environ.get("OMP_WAIT_POLICY")}))
"""


def served(env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", SERVED], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")}


def test_numpys_blas_runs_on_one_thread_in_a_served_worker():
    result = served(clean_env())
    blas = [threads for api, threads in result["pools"] if api == "openblas"]
    assert blas and all(threads == 1 for threads in blas)
    assert result["omp"] == "PASSIVE"


def test_an_operators_blas_threads_are_kept():
    result = served({**clean_env(), "OPENBLAS_NUM_THREADS": "2"})
    assert 2 in [threads for api, threads in result["pools"] if api == "openblas"]
