"""One client exporting in a loop, another searching: does the second wait?

    python -m benchmarks.exports --home /tmp/archive-bench-10000 --per-client 2
    python -m benchmarks.exports --home /tmp/archive-bench-10000 --per-client 100

Starts `archive serve` with `EXPENSIVE_PER_CLIENT` set, runs `--exporters`
threads that each fetch a CSV export of a costly query again and again,
and meanwhile times `--searches` ordinary API searches. Prints the
searches' p50 and p95 and how the exports were answered (200 or 429).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks import web

EXPORT = "/en/search/export.csv?q=" + urllib.parse.quote("a NEAR/p the*")
WORDS = ("law", "court", "press", "women")


def run(home: Path, per_client: int, exporters: int = 4, searches: int = 40) -> dict:
    os.environ["ARCHIVE_EXPENSIVE_PER_CLIENT"] = str(per_client)
    stop = threading.Event()
    answers: dict[int, int] = {}
    lock = threading.Lock()

    def export(base: str) -> None:
        while not stop.is_set():
            try:
                urllib.request.urlopen(base + EXPORT, timeout=300).read()
                code = 200
            except urllib.error.HTTPError as error:
                code = error.code
                time.sleep(0.2)
            with lock:
                answers[code] = answers.get(code, 0) + 1

    with web.serving(home) as (base, _):
        urllib.request.urlopen(f"{base}/api/search?q=rights").read()  # warm
        threads = [threading.Thread(target=export, args=(base,)) for _ in range(exporters)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        timings = []
        for number in range(searches):
            started = time.perf_counter()
            url = f"{base}/api/search?q=rights+{WORDS[number % len(WORDS)]}"
            urllib.request.urlopen(url).read()
            timings.append(time.perf_counter() - started)
        stop.set()
        for thread in threads:
            thread.join()
    timings.sort()
    return {
        "p50_ms": round(1000 * statistics.median(timings)),
        "p95_ms": round(1000 * timings[int(len(timings) * 0.95)]),
        "exports": dict(sorted(answers.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--per-client", type=int, default=2)
    parser.add_argument("--exporters", type=int, default=4)
    parser.add_argument("--searches", type=int, default=40)
    args = parser.parse_args()
    found = run(args.home, args.per_client, args.exporters, args.searches)
    print(
        f"EXPENSIVE_PER_CLIENT={args.per_client}: the other client's searches "
        f"p50 {found['p50_ms']} ms, p95 {found['p95_ms']} ms; exports answered {found['exports']}"
    )


if __name__ == "__main__":
    main()
