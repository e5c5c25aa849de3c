"""Blocks of text a page repeats (a second copy of a letter inside the same page)."""

from __future__ import annotations

import re
from collections import Counter

from ..analysis import EXACT, terms_of
from ..analysis import word_matches as _word_matches
from .common import RepeatedBlock, clean_text

# --- Repeated blocks ----------------------------------------------------------------------

#: Fewest words a repeated passage must have to be reported.
MIN_REPEAT_WORDS = 50
_HASH_BASE = 1_000_003
_HASH_MOD = (1 << 61) - 1


def find_repeated_blocks(
    text: str, min_words: int = MIN_REPEAT_WORDS
) -> tuple[list[RepeatedBlock], str | None]:
    """Passages of at least `min_words` words found more than once, and the text with
    each kept once (None when nothing repeats).

    Every window of `min_words` words is hashed (a rolling hash); a window seen before
    starts a copy, which is extended word by word as long as it matches the original.
    """
    words = list(_word_matches(text))
    ids: dict[str, int] = {}
    seq = [ids.setdefault(" ".join(terms_of(w.group(), EXACT)), len(ids)) for w in words]
    n, k = len(seq), min_words
    if n < 2 * k:
        return [], None
    power = pow(_HASH_BASE, k - 1, _HASH_MOD)
    hashes, h = [], 0
    for i, value in enumerate(seq):
        if i >= k:
            h = (h - (seq[i - k] + 1) * power) % _HASH_MOD
        h = (h * _HASH_BASE + value + 1) % _HASH_MOD
        if i >= k - 1:
            hashes.append(h)
    first: dict[int, int] = {}
    copies: list[tuple[int, int, int]] = []  # (original start, copy start, length)
    lengths: dict[int, int] = {}  # original start -> length of the passage copied
    i = 0
    while i + k <= n:
        j = first.get(hashes[i])
        if j is not None and j + k <= i and seq[j : j + k] == seq[i : i + k]:
            m, most = k, min(i - j, lengths.get(j, n))
            while i + m < n and m < most and seq[j + m] == seq[i + m]:
                m += 1
            lengths.setdefault(j, m)
            copies.append((j, i, m))
            i += m
            continue
        first.setdefault(hashes[i], i)
        i += 1
    if not copies:
        return [], None
    counts: Counter = Counter()
    originals: dict[tuple, tuple[int, int]] = {}
    for j, _i, m in copies:
        key = tuple(seq[j : j + m])
        counts[key] += 1
        originals.setdefault(key, (j, m))
    blocks = [
        RepeatedBlock(text[slice(*_span(text, words, j, m))], counts[key] + 1)
        for key, (j, m) in originals.items()
    ]
    kept = text
    for _j, i, m in sorted(copies, key=lambda c: -c[1]):
        start, end = _span(text, words, i, m)
        kept = kept[:start] + kept[end:]
    return blocks, clean_text(kept)


def _span(text: str, words: list[re.Match], start: int, length: int) -> tuple[int, int]:
    """Character span of `length` words from word `start`, with the brackets and
    punctuation attached to its ends."""
    begin, end = words[start].start(), words[start + length - 1].end()
    while begin > 0 and text[begin - 1] in "([«“\"'":
        begin -= 1
    while end < len(text) and not text[end].isspace() and not text[end].isalnum():
        end += 1
    return begin, end
