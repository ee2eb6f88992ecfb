"""Sampling words from a trained character-level language model.

Each word starts with the boundary token (and an optional prefix); then,
until the model emits the boundary token again or the word reaches
``max_len`` characters, the next character is drawn from
``softmax(logits / temperature)`` over the ``top_k`` most likely tokens.
All words are drawn together, one batched forward pass per character.
"""

from __future__ import annotations

import tapegrad as tg
import tapegrad.nn.functional as F
from tapegrad import backend as B

__all__ = ["draw", "format_samples", "next_token_probs", "sample_words"]


def next_token_probs(logits, temperature: float = 1.0, top_k: int | None = None):
    """``softmax(logits / temperature)`` per row of ``logits (n, V)``, with every
    token outside the row's ``top_k`` largest logits given probability 0."""
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = tg.topk(logits, top_k, dim=-1).values[:, -1:]  # (n, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return F.softmax(logits, dim=-1)


def draw(probs, generator=None):
    """One token index per row of ``probs (n, V)`` (rows summing to 1), as a host array."""
    multinomial = getattr(tg, "multinomial", None)
    if multinomial is not None:
        return multinomial(probs, 1, generator=generator).numpy(force=True)[:, 0]
    p = probs.numpy(force=True).astype("float64")
    u = B.rng(generator).random((p.shape[0], 1))
    picked = (p.cumsum(axis=1) < u * p.sum(axis=1, keepdims=True)).sum(axis=1)
    return B.host.minimum(picked, p.shape[1] - 1)


def sample_words(
    model,
    vocab,
    block: int,
    n: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    prefix: str = "",
    max_len: int = 32,
    generator=None,
) -> list[str]:
    """``n`` words drawn from ``model`` (its eval mode, no graph), each
    beginning with ``prefix``; a word stops at the boundary token or at
    ``max_len`` characters.  The model sees at most the last ``block`` tokens."""
    model.eval()
    start = [0, *vocab.encode(prefix)]
    tokens = B.host.array([start] * n, dtype="int64")  # (n, t)
    done = B.host.zeros(n, dtype=bool)
    with tg.no_grad():
        while not done.all() and tokens.shape[1] - 1 < max_len:
            context = tg.tensor(tokens[:, -block:])
            probs = next_token_probs(model(context)[:, -1, :], temperature, top_k)
            nxt = B.host.where(done, 0, draw(probs, generator))
            tokens = B.host.concatenate([tokens, nxt[:, None]], axis=1)
            done |= nxt == 0
    words = []
    for row in tokens[:, 1:]:
        end = list(row).index(0) if 0 in row else len(row)
        words.append(vocab.decode(row[:end]))
    return words


def format_samples(words: list[str], known: set[str], title: str = "") -> str:
    """The words one a line, ``(in training set)`` after those in ``known``, and a
    last line counting the new ones."""
    lines = [f"{title}:"] if title else []
    for w in words:
        lines.append(f"  {w}" + ("   (in training set)" if w in known else ""))
    new = sum(w not in known for w in words)
    lines.append(f"{new} of {len(words)} not in the training set")
    return "\n".join(lines)
