"""Writing the chunks' token vectors as they are encoded (``index._chunk_tokens``), on a hand-made encoder.

The encoder gives each text as many token rows as it has words, each row filled with the text's number, so where
every row landed can be read off the mapped file.
"""

from __future__ import annotations

import numpy as np

from retriever import index
from retriever.progress import Progress


class Words:
    name, dim, max_tokens = "words", 2, 8

    def __init__(self, numbers: dict[str, int]) -> None:
        self.numbers, self.batches = numbers, []

    def encode_with_tokens(self, texts, report=None):
        self.batches.append(list(texts))
        rows = [np.full((len(t.split()), self.dim), self.numbers[t], dtype=np.float16) for t in texts]
        return np.array([[self.numbers[t], 0] for t in texts], dtype=np.float32), rows


def test_rows_go_to_the_file_in_chunk_order_in_batches_and_a_repeated_chunk_copies_its_rows(monkeypatch, tmp_path):
    monkeypatch.setattr(index, "TOKEN_BATCH", 2)
    texts = ["a b", "c", "a b", "d e f", "g"]
    encoder = Words({"a b": 1, "c": 2, "d e f": 3, "g": 4})
    new = list(dict.fromkeys(texts))
    path = tmp_path / "token_vectors.npy"
    pooled, joined, offsets = index._chunk_tokens(encoder, texts, new, index._Reusable(None),
                                                  Progress(enabled=False), path)
    assert encoder.batches == [["a b", "c"], ["d e f", "g"]]  # each new text encoded once, in batches
    assert [int(v[0]) for v in pooled] == [1, 2, 3, 4]
    assert offsets.tolist() == [0, 2, 3, 5, 8, 9]
    assert joined[:, 0].tolist() == [1, 1, 2, 1, 1, 3, 3, 3, 4]
    assert isinstance(joined, np.memmap) and not joined.flags.writeable  # mapped from the file, not held
    stored = np.load(path)  # the file is a whole .npy, its header rewritten with the final count
    assert stored.shape == (9, 2) and stored.dtype == np.float16 and stored[:, 0].tolist() == joined[:, 0].tolist()


def test_a_header_written_for_no_rows_has_the_room_of_any_count():
    assert len(index._npy_header(0, 384)) == len(index._npy_header(10**18, 384)) == 128


def test_rows_of_an_unchanged_chunk_come_from_the_previous_index():
    class Previous:
        def __init__(self) -> None:
            self.index = object()
            self.chunk_rows = {"old text": 0}

        def chunk_tokens(self, text):
            return np.full((3, 2), 9, dtype=np.float16)

    encoder = Words({"new": 5})
    pooled, joined, offsets = index._chunk_tokens(encoder, ["old text", "new"], ["new"], Previous(),
                                                  Progress(enabled=False), None)  # an unnamed temporary file
    assert encoder.batches == [["new"]]
    assert offsets.tolist() == [0, 3, 4] and joined[:, 0].tolist() == [9, 9, 9, 5]
