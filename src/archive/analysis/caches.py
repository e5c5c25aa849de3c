"""The caches of words this process keeps (`Memo`), their sizes, and
`indexing_caches`, which lets them grow while indexing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

#: Entries per generation of every cache of words (`Memo`) in a process that
#: serves searches: the words of the documents it shows recur by frequency,
#: so a few thousand answer most, and each cache kept larger stays in the
#: server's memory (five times this left a 10,000-document server 20% larger
#: after the benchmark's searches).
SERVING_CACHE = 10_000
#: Words remembered per chain by `terms_of` (query words, and name keys
#: while indexing); a server keeps `SERVING_CACHE`.
TERMS_CACHE_LIMIT = 50_000
#: Arabic stems remembered while indexing: each stem is asked for once per
#: spelling, and the spellings themselves are remembered by `terms_of`.
STEM_CACHE_LIMIT = 20_000
#: Arabic word counts remembered while indexing (each is looked up on every
#: new spelling of a word with a clitic).
ZIPF_CACHE_LIMIT = 100_000


class Memo:
    """Values computed once per key and kept while they are used, in bounded memory.

    New values go into `recent`; when it holds `limit` of them it becomes
    `older` (the generation before is dropped), and a value asked for again
    moves from `older` back into `recent`. So the words a corpus uses all
    the time stay when the cache fills, where emptying it would recompute
    them; memory stays under two generations. A hit is one `recent.get`,
    which callers on hot paths do themselves before calling `missing`.

    `limit` is `indexing` while a process indexes (see `indexing_caches`),
    and `serving` (by default `SERVING_CACHE`) otherwise: a rebuild meets its
    whole vocabulary many times, a server only the words of the documents
    it shows.
    """

    __slots__ = ("indexing", "older", "recent", "serving")
    #: Whether this process is indexing (set by `indexing_caches`).
    bulk = False

    def __init__(self, indexing: int, serving: int | None = None):
        self.indexing = indexing
        self.serving = serving
        self.recent: dict = {}
        self.older: dict = {}

    @property
    def limit(self) -> int:
        if Memo.bulk:
            return self.indexing
        return min(self.indexing, SERVING_CACHE if self.serving is None else self.serving)

    def get(self, key, compute, *args):
        found = self.recent.get(key)
        return self.missing(key, compute, *args) if found is None else found

    def missing(self, key, compute, *args):
        """The value of a key not in `recent`: from `older`, or `compute(*args)`."""
        found = self.older.get(key)
        if found is None:
            found = compute(*args)
        if len(self.recent) >= self.limit:
            self.older, self.recent = self.recent, {}
        self.recent[key] = found
        return found

    def clear(self) -> None:
        self.recent, self.older = {}, {}

    def __len__(self) -> int:
        return len(self.recent) + len(self.older)


@contextmanager
def indexing_caches() -> Iterator[None]:
    """Let every `Memo` of this process grow to its indexing size for a while."""
    before, Memo.bulk = Memo.bulk, True
    try:
        yield
    finally:
        Memo.bulk = before


#: (word as written without diacritics, ends in tanween) -> stem: the
#: spellings of a word that differ only in diacritics and tatweel (half the
#: distinct Arabic words of a large corpus) are stemmed once.
_stems = Memo(STEM_CACHE_LIMIT)
#: written Arabic word -> its Zipf frequency (`_zipf`).
_zipfs = Memo(ZIPF_CACHE_LIMIT)

#: Words per generation of the cache per chain of what each word of a
#: document gives (`word_entry`; a few hundred bytes a word): an indexing
#: worker's, and a server's for its snippets. A server analyses every
#: paragraph of each hit it has not shown lately, so it keeps as many: at
#: 10,000 the benchmark's 280 searches with snippets took twice the time.
CACHE_LIMIT = 50_000
_caches: dict[str, Memo] = {}
#: chain -> raw word -> `_entry`, for one-pass indexing.
_pair_caches: dict[str, Memo] = {}
