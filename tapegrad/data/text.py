"""Words for a character-level language model: reading, vocabulary, split, sequences.

An example is one word (one line of a text file; the bundled data set is
``names.txt``, 32,033 first names, see ``files/README.md``).  As in
Karpathy's makemore, the vocabulary is the characters of the words plus one
boundary token, index 0, shown as ``.``: a word ``emma`` is the sequence
``. e m m a .``, and a model predicts each token from the ones before it.

* :func:`read_words` / :func:`load_names`: the words of a file (one a line).
* :class:`Vocabulary`: characters <-> token indices.
* :func:`split_words`: a seeded shuffle, then 1,000 test words (10% of a
  small file), as many validation words, the rest for training.
* :func:`encode_words`: the words as padded ``(inputs, targets)`` rows of
  ``block`` tokens for training, targets ``IGNORE`` past a word's end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tapegrad.backend import host as np
from tapegrad.data.errors import DataError

__all__ = [
    "BOUNDARY",
    "IGNORE",
    "NAMES_FILE",
    "TextSplit",
    "Vocabulary",
    "encode_words",
    "load_names",
    "read_words",
    "split_words",
]

NAMES_FILE = Path(__file__).resolve().parent / "files" / "names.txt"
BOUNDARY = "."  # how the boundary token (index 0) is shown
IGNORE = -1  # target of padding positions: cross_entropy(..., ignore_index=IGNORE)
HELD_OUT = 1000  # test words (and validation words) of a large file
HELD_OUT_FRACTION = 0.1  # ... and of a small one: 10% each


def read_words(path: str | os.PathLike) -> list[str]:
    """The lines of a UTF-8 text file, stripped of surrounding white space,
    blank lines left out.  Raises :class:`DataError` naming the file when it
    is missing, a folder, not UTF-8 text (a NUL byte or bad encoding) or has
    no words."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"--text-file {path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"--text-file {path}: is a folder, expected a text file") from None
    except OSError as exc:
        raise DataError(f"--text-file {path}: cannot be read ({exc.strerror})") from None
    if b"\0" in raw:
        raise DataError(f"--text-file {path}: a binary file (NUL bytes); expected UTF-8 text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"--text-file {path}: not UTF-8 text (byte {exc.start}); expected one item a line"
        ) from None
    words = [line.strip() for line in text.splitlines()]
    words = [w for w in words if w]
    if not words:
        raise DataError(f"--text-file {path}: empty; expected one item (a word, a name) a line")
    return words


def load_names() -> list[str]:
    """The 32,033 names of the bundled ``names.txt``, in file order."""
    return read_words(NAMES_FILE)


class Vocabulary:
    """Token 0 is the word boundary; tokens 1..V-1 are ``chars`` in sorted order."""

    def __init__(self, chars: str):
        self.chars = "".join(sorted(set(chars)))
        self.index = {c: i + 1 for i, c in enumerate(self.chars)}

    @classmethod
    def of(cls, words: list[str]) -> Vocabulary:
        """The vocabulary of every character that occurs in ``words``."""
        return cls("".join(set("".join(words))))

    def __len__(self) -> int:
        return len(self.chars) + 1

    def encode(self, word: str) -> list[int]:
        """Token indices of ``word``'s characters (no boundary tokens); a
        character outside the vocabulary raises ``DataError``."""
        try:
            return [self.index[c] for c in word]
        except KeyError as exc:
            raise DataError(
                f"character {exc.args[0]!r} is not in the vocabulary {self.chars!r}"
            ) from None

    def decode(self, tokens) -> str:
        """The characters of ``tokens``; the boundary token shows as ``.``."""
        return "".join(BOUNDARY if t == 0 else self.chars[t - 1] for t in tokens)


@dataclass(frozen=True)
class TextSplit:
    """Words for training, validation and test, and their vocabulary."""

    train: list[str]
    val: list[str]
    test: list[str]
    vocab: Vocabulary


def held_out_size(n: int) -> int:
    """Test (and validation) words for ``n`` words: 1,000, or 10% (at least 1)."""
    return max(1, min(HELD_OUT, int(n * HELD_OUT_FRACTION)))


def split_words(words: list[str], seed: int = 0) -> TextSplit:
    """Shuffle ``words`` with ``numpy.random.default_rng(seed)``; the first
    :func:`held_out_size` are the test set, the next as many the validation
    set, the rest the training set.  The vocabulary comes from all words, so
    every test word can be scored.  Fewer than 3 words raise ``DataError``."""
    if len(words) < 3:
        raise DataError(f"need at least 3 words (train, validation, test), got {len(words)}")
    order = np.random.default_rng(seed).permutation(len(words))
    shuffled = [words[i] for i in order]
    k = held_out_size(len(words))
    return TextSplit(shuffled[2 * k :], shuffled[k : 2 * k], shuffled[:k], Vocabulary.of(words))


def encode_words(words: list[str], vocab: Vocabulary, block: int):
    """``(x, y)``: int64 arrays of shape (rows, block) for next-token training.

    A word ``w`` is the token sequence ``0, w_1, ..., w_n, 0``; its inputs are
    all but the last token, its targets all but the first, so ``y[r, t]`` is
    the token after ``x[r, t]``.  Rows are padded with 0 (inputs) and
    :data:`IGNORE` (targets).  A word of ``block`` characters or more is cut
    into several rows of ``block`` predictions each (a later row's first
    predictions then see less of the word).
    """
    rows_x, rows_y = [], []
    for word in words:
        tokens = [0, *vocab.encode(word), 0]
        for start in range(0, len(tokens) - 1, block):
            rows_x.append(tokens[start : start + block])
            rows_y.append(tokens[start + 1 : start + block + 1])
    x = np.zeros((len(rows_x), block), dtype=np.int64)
    y = np.full((len(rows_y), block), IGNORE, dtype=np.int64)
    for r, (xs, ys) in enumerate(zip(rows_x, rows_y)):
        x[r, : len(xs)] = xs
        y[r, : len(ys)] = ys
    return x, y
