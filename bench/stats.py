"""Percentiles, summaries and ratios of timings.

Plain Python on purpose: every benchmark reports its figures through these, so they must mean the same thing
everywhere (a p95 here is numpy's default linear interpolation), and ``None`` rather than 0 marks "no data", so an
empty stage shows up as a gap instead of as an impossibly fast one.
"""

from __future__ import annotations

from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile, linearly interpolated (numpy's default); None for no values."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def summarise(values: Iterable[float], digits: int = 3) -> dict[str, float | int | None]:
    """n, median, p95, p99, mean, min and max, rounded for a result file."""
    data = [float(v) for v in values]

    def rounded(x: float | None) -> float | None:
        return None if x is None else round(x, digits)

    return {
        "n": len(data),
        "median": rounded(percentile(data, 50)),
        "p95": rounded(percentile(data, 95)),
        "p99": rounded(percentile(data, 99)),
        "mean": rounded(sum(data) / len(data)) if data else None,
        "min": rounded(min(data)) if data else None,
        "max": rounded(max(data)) if data else None,
    }


def ratio(a: float | None, b: float | None, digits: int = 2) -> float | None:
    """``a / b``, or None when either is missing or ``b`` is 0: on a shared machine ratios are what compare."""
    return None if a is None or not b else round(a / b, digits)
