"""The server under load while archivists add documents.

    python -m benchmarks.load --documents 100 --clients 4

Serves a copy of the bundled corpus over HTTP from a thread of this process
(the archivist's adds and the server share one index), and runs client
threads that search through `/api/search` without pause, while an archivist
adds documents one by one (through `Editor`, as the web app and `archive add`
do). Counts:

* failed requests (any error or non-200 answer);
* duplicate hits (an id twice in one answer);
* missing hits (a query's total lower than one it already returned: only
  documents are added, so totals can only grow);
* how long each added document took to become searchable (must be < 1 s).

The test suite runs the same experiment with 10 documents.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.document import Document
from archive.editing import Editor

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ["Egypt", "مصر", "Raissouni", "loadprobe", "NSO", "surveillance"]


def load(url: str, home: Path, documents: int, clients: int = 4) -> dict:
    """Search `url` from `clients` threads while `documents` are added to `home`."""
    figures = {"requests": 0, "failed": 0, "duplicates": 0, "missing": 0, "errors": []}
    lock, stop = threading.Lock(), threading.Event()

    def client(number: int) -> None:
        highest: dict[str, int] = {}
        while not stop.is_set():
            query = QUERIES[number % len(QUERIES)]
            number += 1
            try:
                address = f"{url}/api/search?q={urllib.parse.quote(query)}&size=100"
                with urllib.request.urlopen(address, timeout=30) as answer:
                    data = json.load(answer)
                ids = [hit["id"] for hit in data["hits"]]
                with lock:
                    figures["requests"] += 1
                    figures["duplicates"] += len(ids) != len(set(ids))
                    figures["missing"] += data["total"] < highest.get(query, 0)
                highest[query] = max(highest.get(query, 0), data["total"])
            except Exception as error:  # noqa: BLE001 - every failure is counted
                with lock:
                    figures["requests"] += 1
                    figures["failed"] += 1
                    figures["errors"].append(repr(error))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    editor = Editor(home, "load-test")
    delays = []
    try:
        for n in range(documents):
            word = f"loadprobe{n}"
            editor.add(
                Document(
                    f"load-{n}",
                    f"Load test {n}",
                    "statement",
                    "en",
                    "2025",
                    f"A loadprobe {word} document about surveillance in Egypt.",
                    countries=("EG",),
                )
            )
            started = time.monotonic()
            while True:
                address = f"{url}/api/search?q={word}"
                with urllib.request.urlopen(address, timeout=30) as answer:
                    if json.load(answer)["total"] == 1:
                        break
                if time.monotonic() - started > 10:
                    break
            delays.append(time.monotonic() - started)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    figures["documents"] = len(delays)
    figures["slowest_seconds"] = max(delays, default=0.0)
    figures["over_one_second"] = sum(delay >= 1.0 for delay in delays)
    return figures


def summarise(figures: dict) -> str:
    return (
        f"{figures['documents']} documents added while {figures['requests']} searches were "
        f"served: {figures['failed']} failed, {figures['duplicates']} with duplicate hits, "
        f"{figures['missing']} with missing hits; slowest until searchable "
        f"{figures['slowest_seconds'] * 1000:.0f} ms, {figures['over_one_second']} over 1 s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--home", type=Path, default=Path("/tmp/archive-load"))
    args = parser.parse_args()

    from archive import create_app

    from .web import in_thread

    if args.home.exists():
        shutil.rmtree(args.home)
    shutil.copytree(ROOT / "corpus", args.home / "corpus")
    Index(args.home).rebuild(Corpus(args.home))
    app = create_app({"HOME": str(args.home), "SECRET_KEY": "load"})
    with in_thread(app) as base:
        figures = load(base, args.home, args.documents, args.clients)
    print(summarise(figures))
    for error in figures["errors"][:10]:
        print(" ", error)
    if figures["failed"] or figures["duplicates"] or figures["missing"]:
        sys.exit(1)
    if figures["over_one_second"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
