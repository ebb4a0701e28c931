"""Answer matching and ranking metrics shared by the gold-set eval and the BEIR benchmark.

Ranking metrics (Success@k, RR@k, nDCG@k, R@k) come from ``ir-measures``, never from code written here: several IR
frameworks have shipped a wrong MRR, and trec_eval's definitions are the reference the published figures use.  They
go through ir-measures' default pipeline, which gives each measure to a provider that supports it: pytrec_eval for
Success, nDCG and R, its MS MARCO provider for RR@10.  pytrec_eval has no cutoff for RR; asked directly for RR@10 it
silently scores a first relevant passage at rank 11 as 1/11 (tests/eval/test_metrics.py pins this).

What this module adds is what those providers cannot know:

* whether a passage answers a question (``contains_answer``): the gold set has answer strings, not chunk ids, so
  relevance is decided on the passage *text* and survives any change of chunking;
* the order of a run.  pytrec_eval re-sorts each query's documents by score (ties by document id), not by the order
  it is given, so ``run_from_rankings`` scores the document at rank r as 1/r, strictly decreasing;
* whether a composed answer holds up: it says a gold answer (``answer_hit``), each sentence is quoted verbatim from
  its paper and cited to a returned passage of it (``quote_verified``), and the passages reach every paper a
  comparison or summary needs (``covers``);
* which queries a mean is over.  pytrec_eval silently leaves out a query that has no judgements or returned nothing;
  a mean over what it reports would skip exactly the failures, so ``mean_over`` averages over the full list of
  query ids and counts a missing query as 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import ir_measures
import numpy as np
from ir_measures import R, RR, Success, nDCG

if TYPE_CHECKING:
    from retriever.schema import AnswerSentence

# The names the reports use, each bound to its ir-measures measure.
GOLD_MEASURES = {
    "hit@1": Success @ 1,
    "hit@3": Success @ 3,
    "hit@5": Success @ 5,
    "hit@10": Success @ 10,
    "mrr@10": RR @ 10,
    "ndcg@10": nDCG @ 10,
}
CURVE_MEASURES = {f"hit@{k}": Success @ k for k in range(1, 11)}
BEIR_MEASURES = {"ndcg@10": nDCG @ 10, "recall@100": R @ 100}

# A query that has no relevant document still needs one judgement, or pytrec_eval leaves it out of its output.
_PLACEHOLDER = "__no-relevant-document__"

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_SPACE = re.compile(r"\s+")

Qrels = dict[str, dict[str, int]]
PerQuery = dict[str, dict[str, float]]


def normalise(text: str) -> str:
    """Text as answers are matched: curly quotes made straight, white space collapsed, case folded.

    The corpus has typographic quotes and re-flowed PDF lines where the gold answers were typed plainly.
    """
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip().casefold()


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """Does ``text`` contain any of the answer strings (after ``normalise``)?  An empty answer never matches."""
    haystack = normalise(text)
    return any(needle and needle in haystack for needle in map(normalise, answers))


def answer_hit(text: str | None, answers: Iterable[str]) -> bool:
    """Does a composed answer contain a gold answer?  No answer (abstained, or nothing composed) is a miss."""
    return text is not None and contains_answer(text, answers)


def quote_verified(sentence: AnswerSentence, texts: Mapping[str, str], passage_docs: Sequence[str]) -> bool:
    """Is an answer sentence what it claims: exactly ``texts[doc_id][char_start:char_end]``, and its ``[n]`` marker
    (``passage``, a 1-based rank) a returned passage of that same paper?  Checked, not trusted: a quote that drifted
    from the canonical text, or a marker that points at another paper, misleads a reader who follows it."""
    source = texts.get(sentence.doc_id)
    cited = passage_docs[sentence.passage - 1] if 1 <= sentence.passage <= len(passage_docs) else None
    return (source is not None and 0 <= sentence.char_start < sentence.char_end <= len(source)
            and source[sentence.char_start:sentence.char_end] == sentence.text and cited == sentence.doc_id)


def covers(passage_docs: Sequence[str], doc_ids: Iterable[str], depth: int) -> bool:
    """Is each of ``doc_ids`` the paper of one of the first ``depth`` passages?  A comparison answered from one
    paper twice over has compared nothing."""
    return set(doc_ids) <= set(passage_docs[:depth])


def passage_id(doc_id: str, char_start: int, char_end: int) -> str:
    """A passage's id in runs and qrels: its span of the canonical text, the same whatever the chunk numbering."""
    return f"{doc_id}:{char_start}-{char_end}"


def run_from_rankings(rankings: dict[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """Ranked ids per query to an ir-measures run, scored 1/rank so pytrec_eval keeps the given order.

    A repeated id keeps its first (best) rank.
    """
    run: dict[str, dict[str, float]] = {}
    for qid, ids in rankings.items():
        scores: dict[str, float] = {}
        for rank, doc in enumerate(ids, start=1):
            scores.setdefault(doc, 1.0 / rank)
        run[qid] = scores
    return run


def per_query(rankings: dict[str, Sequence[str]], qrels: Qrels, measures: dict[str, object]) -> PerQuery:
    """ir-measures' value of each measure for each query, keyed by our measure names.

    Queries without any judgement get a placeholder one, so a query whose answer no passage contains still scores
    0 instead of vanishing.  A query that returned nothing is absent here and counts 0 in ``mean_over``.
    """
    if not rankings:
        return {}
    names = {measure: name for name, measure in measures.items()}
    judged = {qid: dict(qrels.get(qid) or {_PLACEHOLDER: 0}) for qid in rankings}
    out: PerQuery = {qid: {} for qid in rankings}
    run = run_from_rankings(rankings)
    for metric in ir_measures.iter_calc(list(measures.values()), judged, run):
        out[metric.query_id][names[metric.measure]] = float(metric.value)
    return out


def mean_over(values: PerQuery, qids: Sequence[str], names: Iterable[str]) -> dict[str, float | None]:
    """Mean of each measure over exactly ``qids`` (a query with no value counts 0); None when there are no queries."""
    return {
        name: (sum(values.get(q, {}).get(name, 0.0) for q in qids) / len(qids) if qids else None) for name in names
    }


def rate(hits: int, total: int) -> float | None:
    """A share, or None where it is undefined (0 of 0): e.g. abstention precision of a retriever that never abstains."""
    return hits / total if total else None


def latency(ms: Sequence[float]) -> dict[str, float | None]:
    """Median and 95th percentile (linear interpolation) of per-query wall times."""
    if not ms:
        return {"p50_ms": None, "p95_ms": None}
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95))}
