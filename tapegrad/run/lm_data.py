"""The data side of a language-model run: its words, batches and losses.

:func:`load_words` gives the split of a run's configuration (the bundled
names or ``--text-file``), :class:`SequenceBatches` the shuffled training
batches, :func:`sequence_loss` the training loss and :func:`mean_loss` the
exact loss in nats per character that ``metrics.json`` reports.
"""

from __future__ import annotations

import tapegrad as tg
import tapegrad.nn.functional as F
from tapegrad.backend import host as np
from tapegrad.data.text import IGNORE, TextSplit, encode_words, load_names, read_words, split_words

__all__ = [
    "EVAL_ROWS",
    "SequenceBatches",
    "load_words",
    "mean_loss",
    "predicted_characters",
    "sequence_loss",
]

EVAL_ROWS = 1024  # rows per forward pass when only evaluating


def load_words(config) -> TextSplit:
    """The train/validation/test words of a run: ``names`` or ``config.text_file``,
    split with ``config.seed``; raises DataError for an unusable file."""
    words = load_names() if config.dataset == "names" else read_words(config.text_file)
    return split_words(words, seed=config.seed)


class SequenceBatches:
    """Mini-batches ``(x, y)`` of rows of :func:`~tapegrad.data.text.encode_words`,
    reshuffled every epoch by a NumPy generator seeded with ``seed``.  Each
    batch is cut after its longest row (the columns past it hold only
    padding), so short words cost less."""

    def __init__(self, x, y, batch_size: int, shuffle: bool = True, seed: int = 0):
        self.x, self.y, self.batch_size, self.shuffle = x, y, batch_size, shuffle
        self.rng = np.random.default_rng(seed)
        self.lengths = (y != IGNORE).sum(axis=1)

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __iter__(self):
        n = len(self.x)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            rows = order[start : start + self.batch_size]
            t = max(int(self.lengths[rows].max()), 1)
            yield tg.tensor(self.x[rows, :t]), tg.tensor(self.y[rows, :t])


def sequence_loss(logits, target):
    """Mean cross-entropy of ``logits (B, T, V)`` against ``target (B, T)``,
    padding positions (``IGNORE``) left out."""
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=IGNORE
    )


def predicted_characters(target) -> int:
    """The positions of ``target (B, T)`` that :func:`sequence_loss` averages
    over (not padding): the weight of a batch in that mean."""
    return int((target != IGNORE).sum().item())


def mean_loss(model, words: list[str], vocab, block: int) -> tuple[float, int]:
    """``(loss, n)``: the mean cross-entropy in nats per character over all
    ``n`` next-token predictions of ``words``, the end token included; the
    model in eval mode, without recording a graph."""
    x, y = encode_words(words, vocab, block)
    model.eval()
    total, count = 0.0, int((y != IGNORE).sum())
    with tg.no_grad():
        for batch in SequenceBatches(x, y, EVAL_ROWS, shuffle=False):
            logits = model(batch[0])
            loss = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]),
                batch[1].reshape(-1),
                ignore_index=IGNORE,
                reduction="sum",
            )
            total += float(loss.item())
    return total / max(count, 1), count
