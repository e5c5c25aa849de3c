"""Hostile queries: thousands of generated queries, worst cases included, timed one by one.

    python -m benchmarks.hostile --home /tmp/archive-bench-10000 --count 10000

Runs every query through the search service (as the web pages and the API
do) and reports how many raised an error (must be 0), the slowest queries
and how many took more than a second.
"""

from __future__ import annotations

import random
import string
import time
from pathlib import Path

from archive.search import SearchService

from .run import home_count_seed

WORST = [
    "*",
    "a*",
    "?*",
    "**",
    "a* b* c*",
    " OR ".join(f"{c}*" for c in string.ascii_lowercase),
    "(" * 5000 + "rights" + ")" * 5000,
    "NOT " * 3000 + "rights",
    "NOT AND x",
    "AND OR NOT",
    " ".join(["rights"] * 1000),
    " OR ".join(["rights", "defenders"] * 500),
    '"rights defenders"~99999',
    '"' + "rights " * 500 + '"',
    "abc~5",
    "rights~",
    "\ud800",
    "x" * 100_000,
    "مصر " * 20_000,
    "date:[0000 TO 9999]",
    "date:[* TO *]",
    "country:" * 50,
    "title:" + "(" * 100,
    "NEAR/p " * 100,
    "a NEAR/999999 b",
    "\u200f" * 1000 + "مصر",
    '"' * 1001,
    "[" * 1000,
    "org:" + "x" * 5000,
    "rights NEAR/p *",
    # The most frequent words with short prefixes, NEAR and OR.
    "a NEAR/p the*",
    "the NEAR/3 a*",
    "a NEAR/p the* OR of NEAR/p and* OR in NEAR/p to* OR de NEAR/p la*",
    "في NEAR/p ال*",
    "الحقوق* OR مص*",
]
OPERATORS = ["", "", "", " OR ", " -", " NOT ", " AND ", " NEAR/p ", " NEAR/3 ", " أو ", " OU "]


def generated(count: int, vocabulary: list[str], seed: int = 1) -> list[str]:
    """The worst cases, then random mixtures of words, operators, fields and syntax."""
    rng = random.Random(seed)
    queries = list(WORST)
    pieces = ['"', "(", ")", "*", "~3", "country:", "date:", "title:", "[", "]", "?", "\u200f"]
    while len(queries) < count:
        parts = []
        for _ in range(rng.randint(1, 12)):
            word = rng.choice(vocabulary)
            if rng.random() < 0.2:
                word = word[: rng.randint(1, max(1, len(word)))] + "*"
            if rng.random() < 0.15:
                word = rng.choice(pieces) + word
            parts.append(rng.choice(OPERATORS) + word)
        if rng.random() < 0.05:
            parts.append("".join(rng.choice(string.printable) for _ in range(rng.randint(1, 300))))
        queries.append(" ".join(parts))
    return queries[:count]


def vocabulary_of(service: SearchService, size: int = 2000) -> list[str]:
    """The archive's `size` most frequent words (by how many documents have
    them): the costliest to search, so the hostile mixtures use them."""
    reader = service.backend.view().reader
    found = reader.most_frequent_terms("exact", size)
    return [text.decode("utf-8") if isinstance(text, bytes) else text for _, text in found]


def run(home: Path, count: int, seed: int = 1) -> dict:
    with SearchService(home) as service:
        started = time.perf_counter()
        service.warm()  # as `archive serve` does before its first request
        warm = time.perf_counter() - started
        queries = generated(count, vocabulary_of(service), seed)
        errors, timings = [], []
        for query in queries:
            started = time.perf_counter()
            try:
                service.search(query)
            except Exception as error:  # noqa: BLE001 - every failure is counted
                errors.append((query[:80], repr(error)))
            timings.append((time.perf_counter() - started, query[:80]))
    timings.sort(reverse=True)
    return {
        "queries": len(queries),
        "warm_ms": round(1000 * warm, 1),
        "errors": errors,
        "over_1s": sum(1 for t, _ in timings if t > 1.0),
        "slowest": timings[:5],
        "p99_ms": round(1000 * timings[len(timings) // 100][0], 1),
    }


def main() -> None:
    args = home_count_seed(__doc__, 10_000, 1)
    result = run(args.home, args.count, args.seed)
    print(
        f"{result['queries']} queries, {len(result['errors'])} errors, "
        f"{result['over_1s']} over 1 s, p99 {result['p99_ms']} ms "
        f"(after warming in {result['warm_ms']} ms)"
    )
    for seconds, query in result["slowest"]:
        print(f"  {seconds * 1000:8.1f} ms  {query!r}")
    for query, error in result["errors"][:10]:
        print(f"  error: {query!r}: {error}")


if __name__ == "__main__":
    main()
