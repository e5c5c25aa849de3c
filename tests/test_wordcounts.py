"""The table of Arabic word counts the stemmer and the registry consult."""

from __future__ import annotations

import numpy as np

from archive import wordcounts


def test_every_word_of_the_table_is_found_with_its_own_count():
    table = wordcounts._loaded()
    hashes = np.asarray(table.hashes)
    # Words whose CRC-32s are equal exist: the search must step past them.
    assert (hashes[1:] == hashes[:-1]).any()
    for index in range(table.count):
        word = table.word(index).decode("utf-8")
        assert table.zipf(word) == int(table.values[index]) / table.steps, word


def test_a_word_outside_the_table_counts_zero_and_commoner_words_count_more():
    assert wordcounts.zipf("منظمة") > wordcounts.zipf("منظمه") > 0
    assert wordcounts.zipf("منظمةةةة") == 0
    assert wordcounts.zipf("") == 0
