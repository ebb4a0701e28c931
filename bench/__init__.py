"""Speed benchmarks and the load test of alliance-qa: one command each, one JSON result each (bench/README.md).

``python -m bench.stages``, ``bench.coldstart``, ``bench.scale`` and ``bench.load`` run them; ``bench.stats``,
``bench.results`` and ``bench.process`` hold what more than one of them needs.  The machine they run on is usually
shared, so nothing here asserts a time: results are medians and ratios measured in the same run, each stamped with
the conditions it was measured under.
"""

import os

# A benchmark must never wait on a model hub: set before any submodule can import transformers.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
