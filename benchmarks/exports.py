"""One client exporting in a loop, another searching: does the second wait?

    python -m benchmarks.exports --home /tmp/archive-bench-10000 --per-client 2
    python -m benchmarks.exports --home /tmp/archive-bench-10000 --per-client 100
    python -m benchmarks.exports --home /tmp/archive-bench-10000 --alone

`--alone` times single exports (CSV and JSON, the best of 3) with nothing
else running, through the Flask test client.

Starts `archive serve` with `EXPENSIVE_PER_CLIENT` set, runs `--exporters`
threads that each fetch a CSV export of a costly query again and again,
and meanwhile times `--searches` ordinary API searches. Prints the
searches' p50 and p95 and how the exports were answered (200 or 429).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
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


ALONE = (
    "/ar/search/export.csv?q=" + urllib.parse.quote("الصحفيين"),
    "/en/search/export.csv?q=surveillance",
    "/en/search/export.json?q=surveillance",
)


def alone(home: Path) -> None:
    from archive import create_app

    app = create_app({"HOME": str(home), "SECRET_KEY": "bench", "TESTING": True})
    client = app.test_client()
    client.get("/en/search?q=warm")
    for url in ALONE:
        seconds = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(url)
            seconds.append(time.perf_counter() - started)
        text = response.get_data(as_text=True)
        if ".csv" in url:
            rows = len(list(csv.reader(io.StringIO(text)))) - 1
        else:
            rows = len(json.loads(text)["hits"])
        print(f"{urllib.parse.unquote(url)}: {min(seconds):.2f} s, {rows} rows")
    app.extensions["archive"].close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--per-client", type=int, default=2)
    parser.add_argument("--exporters", type=int, default=4)
    parser.add_argument("--searches", type=int, default=40)
    parser.add_argument("--alone", action="store_true", help="Time single exports.")
    args = parser.parse_args()
    if args.alone:
        alone(args.home)
        return
    found = run(args.home, args.per_client, args.exporters, args.searches)
    print(
        f"EXPENSIVE_PER_CLIENT={args.per_client}: the other client's searches "
        f"p50 {found['p50_ms']} ms, p95 {found['p95_ms']} ms; exports answered {found['exports']}"
    )


if __name__ == "__main__":
    main()
