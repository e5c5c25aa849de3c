"""Write src/archive/data/arabic-words.bin: how common each written Arabic word is.

    pip install wordfreq==3.1.1 && python scripts/arabic_words.py

The analyser decides whether a leading و ف ب ل ك is a clitic, or a final ه a
pronoun, by comparing how common written words are. wordfreq knows, but its
Arabic list takes about 100 MB of memory in every process that loads it; the
words down to Zipf 2.0 (about 200,000), in a sorted table that
`archive.wordcounts` memory-maps, take a few MB shared by all processes.
Beside the words, the table holds their CRC-32s in order and where each word
is, so that a word is found with one search (`write_table`).
The data is wordfreq's (CC BY-SA 4.0; see docs/search.md).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import wordfreq

OUT = Path(__file__).resolve().parents[1] / "src" / "archive" / "data" / "arabic-words.bin"
MAGIC = b"ARZIPF2\0"
#: Words rarer than this are left out (read as unknown, Zipf 0).
FLOOR = 2.0
#: Zipf values are kept in steps of 1/STEPS.
STEPS = 20


def main() -> None:
    words = {}
    for word in wordfreq.top_n_list("ar", 10**7):
        zipf = wordfreq.zipf_frequency(word, "ar")
        if zipf < FLOOR:
            break  # the list is in order of frequency
        words[word.encode("utf-8")] = zipf
    ordered = sorted(words)
    write_table(ordered, [round(words[w] * STEPS) for w in ordered])
    print(f"{OUT}: {len(ordered)} words, {OUT.stat().st_size / 1e6:.1f} MB")


def write_table(ordered: list[bytes], values: list[int]) -> None:
    """Write the words (sorted UTF-8) and their Zipf values (in steps of
    1/STEPS): header, word offsets, the words' CRC-32s sorted, the word
    number of each of those, the values, then the words end to end."""
    offsets = np.zeros(len(ordered) + 1, dtype="<u4")
    offsets[1:] = np.cumsum([len(w) for w in ordered])
    hashes = np.array([zlib.crc32(w) for w in ordered], dtype="<u4")
    order = np.argsort(hashes, kind="stable").astype("<u4")
    with OUT.open("wb") as out:
        out.write(MAGIC + struct.pack("<II", len(ordered), STEPS))
        out.write(offsets.tobytes())
        out.write(hashes[order].tobytes())
        out.write(order.tobytes())
        out.write(np.array(values, dtype="u1").tobytes())
        out.write(b"".join(ordered))


if __name__ == "__main__":
    main()
