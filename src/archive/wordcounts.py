"""How common written Arabic words are: wordfreq's counts, read from a table.

`data/arabic-words.bin` (made by `scripts/arabic_words.py` from wordfreq
3.1.1, whose data is CC BY-SA 4.0) lists the written Arabic words down to
Zipf 2.0, sorted, with their Zipf frequency. It is memory-mapped, so every
process of a server shares its pages, and a word is found by binary search.
"""

from __future__ import annotations

import mmap
import struct
import threading
from functools import lru_cache
from importlib import resources

import numpy as np

MAGIC = b"ARZIPF1\0"
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
        start = _HEADER.size
        self.offsets = np.frombuffer(self.map, dtype="<u4", count=count + 1, offset=start)
        start += 4 * (count + 1)
        self.values = np.frombuffer(self.map, dtype="u1", count=count, offset=start)
        self.blob = start + count
        self.count = count
        # Each word's first 8 bytes as one big-endian number, zero-padded:
        # sorted as the words are, so a word is found by one `searchsorted`
        # and a comparison or two, not twenty slices of the table.
        # Built a byte at a time: no temporary array larger than the keys.
        data = np.frombuffer(self.map, dtype="u1", offset=self.blob)
        starts, ends = self.offsets[:-1].astype(np.int64), self.offsets[1:].astype(np.int64)
        self.keys = np.zeros(count, dtype=np.uint64)
        for byte in range(8):
            where = starts + byte
            found = np.where(where < ends, data[np.minimum(where, len(data) - 1)], 0)
            self.keys = (self.keys << np.uint64(8)) | found.astype(np.uint64)

    def word(self, index: int) -> bytes:
        return self.map[
            self.blob + int(self.offsets[index]) : self.blob + int(self.offsets[index + 1])
        ]

    def zipf(self, word: str) -> float:
        wanted = word.encode("utf-8")
        key = np.uint64(int.from_bytes(wanted[:8].ljust(8, b"\0"), "big"))
        low = int(np.searchsorted(self.keys, key, "left"))
        high = int(np.searchsorted(self.keys, key, "right"))
        # Words sharing their first 8 bytes (four Arabic letters) can number
        # hundreds: bisect among them rather than read each.
        while low < high:
            middle = (low + high) // 2
            found = self.word(middle)
            if found == wanted:
                return int(self.values[middle]) / self.steps
            if found < wanted:
                low = middle + 1
            else:
                high = middle
        return 0.0


def _loaded() -> _Table:
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = _Table()
    return _table


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """wordfreq's Zipf frequency of a written Arabic word (diacritics removed,
    hamza and teh marbuta as written); 0 for a word rarer than Zipf 2.

    >>> zipf("منظمة") > zipf("منظمه")
    True
    """
    return _loaded().zipf(word)
