"""How common written Arabic words are: wordfreq's counts, read from a table.

`data/arabic-words.bin` (made by `scripts/arabic_words.py` from wordfreq
3.1.1, whose data is CC BY-SA 4.0) lists the written Arabic words down to
Zipf 2.0, sorted, with their Zipf frequency and their CRC-32s in order. It is
memory-mapped, so every process of a server shares its pages, and a word is
found by its CRC-32.
"""

from __future__ import annotations

import mmap
import struct
import threading
from importlib import resources
from zlib import crc32

import numpy as np

MAGIC = b"ARZIPF2\0"
_HEADER = struct.Struct("<8sII")
_lock = threading.Lock()
_table = None


class _Table:
    def __init__(self):
        with resources.files("archive").joinpath("data/arabic-words.bin").open("rb") as file:
            self.map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        magic, count, self.steps = _HEADER.unpack_from(self.map, 0)
        if magic != MAGIC:
            raise ValueError("data/arabic-words.bin: not a table of word counts")

        def array(dtype: str, size: int) -> np.ndarray:
            nonlocal start
            found = np.frombuffer(self.map, dtype=dtype, count=size, offset=start)
            start += found.nbytes
            return found

        start = _HEADER.size
        self.offsets = array("<u4", count + 1)
        # The words' CRC-32s in order, and the number of the word each is
        # of: a word is found by one `searchsorted` and a comparison.
        self.hashes = array("<u4", count)
        self.order = array("<u4", count)
        self.values = array("u1", count)
        self.blob = start
        self.count = count

    def word(self, index: int) -> bytes:
        return self.map[
            self.blob + int(self.offsets[index]) : self.blob + int(self.offsets[index + 1])
        ]

    def zipf(self, word: str) -> float:
        wanted = word.encode("utf-8")
        digest = crc32(wanted)
        hashes = self.hashes
        at = int(hashes.searchsorted(np.uint32(digest)))
        while at < self.count and hashes[at] == digest:
            index = int(self.order[at])
            if self.word(index) == wanted:
                return int(self.values[index]) / self.steps
            at += 1
        return 0.0


def _loaded() -> _Table:
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = _Table()
    return _table


def zipf(word: str) -> float:
    """wordfreq's Zipf frequency of a written Arabic word (diacritics removed,
    hamza and teh marbuta as written); 0 for a word rarer than Zipf 2.

    >>> zipf("منظمة") > zipf("منظمه")
    True
    """
    return _loaded().zipf(word)
