"""Words for the character-level language model: reading, vocabulary, split, rows."""

from __future__ import annotations

import pytest

from tapegrad.data import DataError
from tapegrad.data.text import (
    IGNORE,
    Vocabulary,
    encode_words,
    load_names,
    read_words,
    split_words,
)


def test_bundled_names_are_makemores_32033_lower_case_names():
    names = load_names()
    assert len(names) == 32033 and len(set(names)) == 29494
    assert names[:3] == ["emma", "olivia", "ava"]
    assert set("".join(names)) == set("abcdefghijklmnopqrstuvwxyz")


def test_names_split_has_1000_test_and_1000_validation_words():
    s = split_words(load_names(), seed=0)
    assert (len(s.train), len(s.val), len(s.test)) == (30033, 1000, 1000)
    assert sorted(s.train + s.val + s.test) == sorted(load_names())


def test_split_is_deterministic_for_a_seed_and_changes_with_it():
    words = load_names()
    assert split_words(words, seed=0).test == split_words(words, seed=0).test
    assert split_words(words, seed=0).test != split_words(words, seed=1).test


def test_small_file_holds_out_ten_percent_each():
    s = split_words([f"w{i}" for i in range(50)], seed=0)
    assert (len(s.train), len(s.val), len(s.test)) == (40, 5, 5)


def test_fewer_than_three_words_are_refused():
    with pytest.raises(DataError, match="at least 3"):
        split_words(["a", "b"])


def test_vocabulary_is_the_boundary_then_sorted_characters():
    v = Vocabulary.of(["emma", "ava"])
    assert len(v) == 5 and v.chars == "aemv"
    assert v.encode("emma") == [2, 3, 3, 1]
    assert v.decode([0, 2, 3, 3, 1, 0]) == ".emma."
    with pytest.raises(DataError, match="'z'"):
        v.encode("zoe")


def test_rows_predict_each_next_character_and_the_end():
    v = Vocabulary("aem")
    x, y = encode_words(["emma"], v, block=8)
    assert x.tolist() == [[0, 2, 3, 3, 1, 0, 0, 0]]
    assert y.tolist() == [[2, 3, 3, 1, 0, IGNORE, IGNORE, IGNORE]]


def test_words_longer_than_the_block_are_cut_into_rows():
    v = Vocabulary("ab")
    x, y = encode_words(["ababa"], v, block=4)  # 6 predictions: 4 + 2
    assert x.tolist() == [[0, 1, 2, 1], [2, 1, 0, 0]]
    assert y.tolist() == [[1, 2, 1, 2], [1, 0, IGNORE, IGNORE]]
    assert int((y != IGNORE).sum()) == 6


def test_read_words_strips_lines_and_skips_blank_ones(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("anna\n\n  bob \r\ncarl", encoding="utf-8")
    assert read_words(path) == ["anna", "bob", "carl"]


@pytest.mark.parametrize(
    "content, words",
    [(None, "no such file"), (b"", "empty"), (b"\n \n", "empty"), (b"ab\0cd", "binary")],
)
def test_unusable_files_are_refused_naming_the_file(tmp_path, content, words):
    path = tmp_path / "w.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=words) as info:
        read_words(path)
    assert "w.txt" in str(info.value)


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("jos\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_words(path)
