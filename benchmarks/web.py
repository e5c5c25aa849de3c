"""Latency and throughput of the search page and /api/search over HTTP.

    python -m benchmarks.web [--home DIR] [--clients 4] [--requests 400]

Starts `archive serve` in its own process, warms it up, then has N client
processes request a fixed mix of searches and reports p50/p95/p99 latency and
requests per second for each endpoint.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from queue import Empty

#: A fixed mix: words, names in the other script, phrases, fields, facets.
QUERIES = [
    "Egypt",
    "مصر",
    "Égypte",
    "surveillance",
    "المراقبة",
    "Raisouni",
    "خاشقجي",
    "NSO",
    '"freedom of expression"',
    "journalists Morocco",
    "Pegasus OR spyware",
    "type:case",
    "country:MA sentenced",
    "date:2021 Pegasus",
    "الصحفيين",
    "organ*",
    "Khashoggi -Cengiz",
]
FACETED = ["&country=EG", "&lang=ar", "&type=case&year=2021", ""]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def paths(kind: str) -> list[str]:
    found = []
    for n, query in enumerate(QUERIES):
        q = urllib.parse.quote(query)
        extra = FACETED[n % len(FACETED)]
        if kind == "page":
            found.append(f"/{('en', 'ar', 'fr')[n % 3]}/search?q={q}{extra}")
        else:
            found.append(f"/api/search?q={q}{extra}")
    return found


def _client(base: str, urls: list[str], count: int, offset: int, out) -> None:
    """Time `count` requests; report the timings, or the first failure as text."""
    timings = []
    for n in range(count):
        url = base + urls[(n + offset) % len(urls)]
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
        except OSError as exc:  # HTTPError included
            out.put(f"{url}: {exc}")
            return
        timings.append(time.perf_counter() - started)
    out.put(timings)


def _collect(queue, workers) -> list[float]:
    """Every client's timings; a failed or vanished client stops the measurement."""
    reports = []
    while len(reports) < len(workers):
        try:
            reports.append(queue.get(timeout=1))
        except Empty:
            if not any(worker.is_alive() for worker in workers) and queue.empty():
                raise RuntimeError("an HTTP client stopped without reporting") from None
    for report in reports:
        if isinstance(report, str):
            raise RuntimeError(report)
    return [t for report in reports for t in report]


def measure(base: str, urls: list[str], clients: int, requests: int) -> dict:
    """Latency percentiles (ms) and throughput for `requests` spread over `clients`."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    per_client = max(1, requests // clients)
    workers = [
        multiprocessing.Process(target=_client, args=(base, urls, per_client, i * 7, queue))
        for i in range(clients)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    try:
        timings = _collect(queue, workers)
    except RuntimeError:
        for worker in workers:
            worker.terminate()
        raise
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    timings.sort()

    def pct(p: float) -> float:
        return round(1000 * timings[min(len(timings) - 1, int(p * len(timings)))], 1)

    return {
        "requests": len(timings),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(1000 * statistics.fmean(timings), 1),
        "rps": round(len(timings) / elapsed, 1),
    }


def start_server(home: Path, port: int, errors) -> subprocess.Popen:
    """`archive serve` on `port`; its messages go to the file `errors` (a pipe
    nobody reads while it runs could fill and stall the server)."""
    archive = Path(sys.executable).with_name("archive")
    server = subprocess.Popen(
        [str(archive), "--home", str(home), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=errors,
        env={**os.environ},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/en/", timeout=5).read()
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(_tail(errors)) from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def _tail(errors, size: int = 4000) -> str:
    errors.flush()
    errors.seek(0)
    return errors.read().decode(errors="replace")[-size:] or "the server stopped"


@contextlib.contextmanager
def serving(home: Path):
    """A running `archive serve` on a free port: yields (base URL, its process).

    A measurement that fails because the server went says why it went.
    """
    port = free_port()
    with tempfile.TemporaryFile() as errors:
        server = start_server(home, port, errors)
        try:
            yield f"http://127.0.0.1:{port}", server
        except (RuntimeError, OSError) as exc:
            if server.poll() is not None:
                raise RuntimeError(f"{exc}\n{_tail(errors)}") from None
            raise
        finally:
            server.terminate()
            server.wait(10)


@contextlib.contextmanager
def in_thread(app, threads: bool = True):
    """`app` served from a thread of this process on a free port: yields its base URL.

    For tests and benchmarks that also drive the archive from this process;
    `archive serve` (gunicorn, separate processes) is what `serving` measures.
    """
    import threading

    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, threaded=threads, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def run(home: Path, clients: int, requests: int) -> dict:
    results = {}
    with serving(home) as (base, _):
        for kind in ("page", "api"):
            urls = paths(kind)
            measure(base, urls, 1, len(urls))  # warm-up: caches, first searchers
            results[kind] = {
                "1 client": measure(base, urls, 1, requests // 2),
                f"{clients} clients": measure(base, urls, clients, requests),
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path.cwd())
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    for kind, rows in run(args.home, args.clients, args.requests).items():
        for label, row in rows.items():
            print(f"{kind:5} {label:10} " + "  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
