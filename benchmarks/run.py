"""The archive's benchmark: indexing, updates, queries, HTTP — next to SQLite FTS5.

    python -m benchmarks.run --n 10000            # generates the corpus if needed
    python -m benchmarks.run --n 100000 --home /tmp/bench100k

Writes (or replaces) the section for N documents in docs/benchmarks.md, with
the machine and the exact command. Query latencies are p50/p95/p99 in
milliseconds over a fixed, deterministic query set per category, run
against the archive's search service and against an SQLite FTS5 database of
the same public documents built in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive.corpus import Corpus
from archive.document import Document
from archive.search import SearchService

from . import web
from .generate import generate

try:
    from archive.backends.whoosh.indexing import Index
except ImportError:  # a tree from before the backend package (benchmarks.compare --old)
    from archive.indexing import Index

ROOT = Path(__file__).resolve().parents[1]
MODES = ("top-10", "top-10 + facets", "date-sorted", "with snippets")
CATEGORIES = ("common", "rare", "2–3 words", "phrase", "Arabic variants", "prefix", "other script")
RUNS = 3  # each query is timed this many times after one warm-up


# --- Measuring processes -----------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def tree_rss(pid: int, kind: str = "VmRSS", source: str = "status") -> int:
    """Resident bytes of a process and all its descendants (`kind`: RssFile for
    the pages of mapped files alone; Pss with `source` smaps_rollup for the
    proportional count, which shares a page between the processes mapping it)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/{source}") as handle:
                for line in handle:
                    if line.startswith(f"{kind}:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
        pending.extend(_children(current))
    return total


def run_measured(command: list[str]) -> tuple[float, int]:
    """(seconds, peak resident bytes of the whole process tree) of a command."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        if process.returncode:
            errors.seek(0)
            raise RuntimeError(errors.read().decode(errors="replace"))
    return elapsed, peak


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    except OSError:
        memory = 0
    return (
        f"{os.cpu_count()} cores ({model}), {memory} GiB RAM, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


# --- Queries ---------------------------------------------------------------------------------


def query_set(corpus: Corpus, seed: int = 5) -> dict[str, list[str]]:
    """A fixed query set per category, drawn from the corpus itself."""
    rng = random.Random(seed)
    documents = []
    paths = list(corpus.paths())
    for path in paths[:: max(1, len(paths) // 300)]:
        document, _ = corpus.parse(path)
        if document is not None and not document.restricted:
            documents.append(document)
    counts: dict[tuple[str, str], int] = {}
    for document in documents:
        for word in re.findall(r"\w+", document.body):
            if len(word) > 3 and not word.isdigit():
                key = (document.language, word.casefold())
                counts[key] = counts.get(key, 0) + 1
    by_language: dict[str, list[str]] = {}
    for (language, word), _ in sorted(counts.items(), key=lambda kv: -kv[1]):
        by_language.setdefault(language, []).append(word)
    queries: dict[str, list[str]] = {}
    common = [w for lang in ("en", "fr", "ar") for w in by_language.get(lang, [])[5:12]]
    queries["common"] = common[:20]
    rare = [w for lang in ("en", "fr", "ar") for w in by_language.get(lang, [])[-400:-393]]
    queries["rare"] = rare[:20]
    middle = {lang: words[30:200] for lang, words in by_language.items()}
    queries["2–3 words"] = [
        " ".join(rng.sample(middle[lang], rng.choice((2, 3))))
        for lang in ("en", "fr", "ar")
        if len(middle.get(lang, ())) >= 3
        for _ in range(7)
    ][:20]
    phrases = []
    for document in documents[:60]:
        words = re.findall(r"\w+", document.body)
        if len(words) > 20:
            start = rng.randrange(len(words) - 3)
            phrases.append('"' + " ".join(words[start : start + 2]) + '"')
    queries["phrase"] = phrases[:20]
    arabic = by_language.get("ar", [])[10:60]
    queries["Arabic variants"] = [_arabic_variant(w, rng) for w in arabic[:20]]
    queries["prefix"] = [
        w[:4] + "*"
        for w in (middle.get("en", [])[:7] + middle.get("fr", [])[:7] + middle.get("ar", [])[:6])
    ]
    queries["other script"] = [
        "مصر",
        "Égypte",
        "Morocco",
        "المغرب",
        "السعودية",
        "Emirati",
        "Tunisie",
        "لبنان",
        "Syria",
        "اليمن",
        "Raissouni",
        "خاشقجي",
        "Access Now",
        "منظمة العفو الدولية",
        "Amnesty",
        "NSO",
        "الإمارات",
        "Bahreïn",
        "العراق",
        "Algérie",
    ]
    return queries


def _arabic_variant(word: str, rng: random.Random) -> str:
    if word.startswith("ا"):
        word = rng.choice("أإآ") + word[1:]
    word = "و" + word if not word.startswith("و") and rng.random() < 0.5 else word
    return word[:2] + "\u064e" + word[2:] if len(word) > 3 else word


def percentiles(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)

    def at(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return at(0.50), at(0.95), at(0.99)


def home_count_seed(doc: str, count: int, seed: int) -> argparse.Namespace:
    """The arguments of a benchmark run on an existing archive: --home, and
    how many rounds (--count) drawn with which --seed."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--count", type=int, default=count)
    parser.add_argument("--seed", type=int, default=seed)
    return parser.parse_args()


#: The cell of `time_archive` for searches whose hits the service has not shown.
FIRST_SNIPPETS = ("with snippets, first run", "every category")


def time_archive(home: Path, queries: dict[str, list[str]]) -> dict[tuple[str, str], tuple]:
    """p50/p95/p99 per mode and category: each query timed `RUNS` times after a
    warm-up; and first (`FIRST_SNIPPETS`), each query once with snippets before
    any other run, as a reader meets a new query (its hits' paragraphs are
    analysed then)."""
    results = {}
    with SearchService(home) as service:
        service.search("warm up")
        times = []
        for items in queries.values():
            for query in items:
                started = time.perf_counter()
                service.search(query, facets=False, snippets=True)
                times.append(time.perf_counter() - started)
        results[FIRST_SNIPPETS] = percentiles(times)
        for mode in MODES:
            kwargs = {
                "top-10": {"facets": False, "snippets": False},
                "top-10 + facets": {"facets": True, "snippets": False},
                "date-sorted": {"facets": False, "snippets": False, "sort": "date"},
                "with snippets": {"facets": False, "snippets": True},
            }[mode]
            for category, items in queries.items():
                times = []
                for query in items:
                    service.search(query, **kwargs)
                    for _ in range(RUNS):
                        started = time.perf_counter()
                        service.search(query, **kwargs)
                        times.append(time.perf_counter() - started)
                results[(mode, category)] = percentiles(times)
    return results


# --- SQLite FTS5, the reference ------------------------------------------------------------


def build_fts(home: Path, path: Path) -> tuple[float, int]:
    """An FTS5 database of the public documents; returns (seconds, documents)."""
    if path.exists():
        path.unlink()
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE docs(id INTEGER PRIMARY KEY, doc TEXT, date INTEGER, type TEXT, lang TEXT);
        CREATE TABLE doc_country(id INTEGER, value TEXT);
        CREATE TABLE doc_org(id INTEGER, value TEXT);
        CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize="unicode61 remove_diacritics 2");
        """
    )
    corpus = Corpus(home)
    started = time.perf_counter()
    count = 0
    for path_ in corpus.paths():
        document, _ = corpus.parse(path_)
        if document is None or document.restricted:
            continue
        count += 1
        db.execute(
            "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
            (count, document.id, document.date_key, document.type, document.language),
        )
        db.executemany(
            "INSERT INTO doc_country VALUES (?, ?)", [(count, c) for c in document.countries]
        )
        db.executemany(
            "INSERT INTO doc_org VALUES (?, ?)", [(count, o) for o in document.organisations]
        )
        db.execute(
            "INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)",
            (count, document.title, document.body),
        )
    db.executescript("CREATE INDEX c ON doc_country(id); CREATE INDEX o ON doc_org(id);")
    db.commit()
    db.close()
    return time.perf_counter() - started, count


def fts_query(query: str) -> str:
    """The same query in FTS5 syntax: words AND-ed, phrases and prefixes kept."""
    if query.startswith('"'):
        return query
    parts = []
    for word in query.split():
        if word.endswith("*"):
            parts.append('"' + word[:-1].replace('"', "") + '"*')
        else:
            parts.append('"' + word.replace('"', "") + '"')
    return " ".join(parts)


FTS_SQL = {
    "top-10": ["SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 10"],
    "top-10 + facets": [
        "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 10",
        "SELECT count(*) FROM fts WHERE fts MATCH ?",
        "SELECT c.value, count(*) FROM doc_country c JOIN (SELECT rowid FROM fts WHERE fts MATCH ?) m"
        " ON c.id = m.rowid GROUP BY c.value",
        "SELECT o.value, count(*) FROM doc_org o JOIN (SELECT rowid FROM fts WHERE fts MATCH ?) m"
        " ON o.id = m.rowid GROUP BY o.value",
        "SELECT d.date / 10000, count(*) FROM docs d JOIN (SELECT rowid FROM fts WHERE fts MATCH ?) m"
        " ON d.id = m.rowid GROUP BY d.date / 10000",
        "SELECT d.type, count(*) FROM docs d JOIN (SELECT rowid FROM fts WHERE fts MATCH ?) m"
        " ON d.id = m.rowid GROUP BY d.type",
        "SELECT d.lang, count(*) FROM docs d JOIN (SELECT rowid FROM fts WHERE fts MATCH ?) m"
        " ON d.id = m.rowid GROUP BY d.lang",
    ],
    "date-sorted": [
        "SELECT m.rowid FROM (SELECT rowid FROM fts WHERE fts MATCH ?) m JOIN docs d"
        " ON d.id = m.rowid ORDER BY d.date DESC LIMIT 10"
    ],
    "with snippets": [
        "SELECT snippet(fts, 1, '[', ']', '…', 30) FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 10"
    ],
}


def time_fts(path: Path, queries: dict[str, list[str]]) -> dict[tuple[str, str], tuple]:
    db = sqlite3.connect(path)
    results = {}
    for mode in MODES:
        for category, items in queries.items():
            times = []
            for query in items:
                text = fts_query(query)

                def run(text=text, statements=FTS_SQL[mode]):
                    for sql in statements:
                        db.execute(sql, (text,)).fetchall()

                run()
                for _ in range(RUNS):
                    started = time.perf_counter()
                    run()
                    times.append(time.perf_counter() - started)
            results[(mode, category)] = percentiles(times)
    db.close()
    return results


def hit_counts(home: Path, fts_path: Path, queries: dict[str, list[str]]) -> dict[str, tuple]:
    """The median number of documents a category's queries find, (ours, FTS5's):
    the two do not find the same documents (FTS5 neither stems nor folds
    Arabic spellings, nor knows a name's other scripts), so their times are
    for different amounts of work."""
    db = sqlite3.connect(fts_path)
    found = {}
    with SearchService(home) as service:
        for category, items in queries.items():
            ours = [service.search(q, facets=False, snippets=False).total for q in items]
            theirs = [
                db.execute(
                    "SELECT count(*) FROM fts WHERE fts MATCH ?", (fts_query(q),)
                ).fetchone()[0]
                for q in items
            ]
            found[category] = (statistics.median(ours), statistics.median(theirs))
    db.close()
    return found


# --- Updates and the server ---------------------------------------------------------------------


def time_updates(home: Path) -> dict[int, float]:
    """Seconds from writing N new documents to finding the last one in search."""
    corpus = Corpus(home)
    results = {}
    with SearchService(home) as service:
        service.search("warm up")
        for batch in (1, 100):
            marker = f"zqx{batch}marker{int(time.time())}"
            started = time.perf_counter()
            documents = [
                corpus.write(
                    Document(
                        f"update-{batch}-{n}-{marker}",
                        f"Update {n}",
                        "statement",
                        "en",
                        "2026-01-01",
                        f"An update {marker} number {n}.",
                    )
                )
                for n in range(batch)
            ]
            Index(home).add(corpus, documents)
            while not service.search(marker, facets=False, snippets=False).total:
                time.sleep(0.01)
            results[batch] = time.perf_counter() - started
            for document in documents:
                (corpus.root / document.path).unlink()
        Index(home).update(corpus)
    return results


def time_open(home: Path) -> float:
    """Seconds for a fresh process to open the index and answer a first search."""
    code = (
        f"import time; from archive.search import SearchService; s = SearchService({str(home)!r}); "
        "t = time.perf_counter(); s.search('rights'); print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def server_memory(home: Path, queries: dict[str, list[str]]) -> tuple[int, int, int, int, int]:
    """Resident bytes of `archive serve` after a few searches, then after every
    query of the set on the search page and the API: (first, then, of which
    pages of mapped index files, proportional count, searches)."""
    with web.serving(home) as (base, server):
        for query in ("rights", "مصر", "Egypt"):
            web.urllib.request.urlopen(f"{base}/en/search?q={web.urllib.parse.quote(query)}").read()
        first = tree_rss(server.pid)
        searches = 0
        for items in queries.values():
            for query in items:
                for path in ("en/search", "api/search"):
                    quoted = web.urllib.parse.quote(query)
                    web.urllib.request.urlopen(f"{base}/{path}?q={quoted}").read()
                    searches += 1
        then, mapped = tree_rss(server.pid), tree_rss(server.pid, "RssFile")
        return first, then, mapped, tree_rss(server.pid, "Pss", "smaps_rollup"), searches


def memory_rows(home: Path, queries: dict[str, list[str]], row) -> None:
    first, then, mapped, proportional, searches = server_memory(home, queries)
    row("server resident memory, index open, after 3 searches", f"{first / 2**20:.0f} MiB")
    row(
        f"server resident memory after {searches} searches of every category",
        f"{then / 2**20:.0f} MiB, of which {mapped / 2**20:.0f} MiB pages of the index files; "
        f"{proportional / 2**20:.0f} MiB counting a page shared by the processes once",
    )


# --- Report ---------------------------------------------------------------------------------------


def report(
    n: int, command: str, facts: dict, ours: dict, fts: dict, http: dict | None, hits: dict
) -> str:
    lines = [f"## {n:,} documents", "", f"Measured with `{command}` on {facts['machine']}.", ""]
    lines += ["| measure | value |", "| --- | --- |"]
    for name, value in facts["rows"]:
        lines.append(f"| {name} | {value} |")
    lines += [
        "",
        "Query latency in ms (p50 / p95 / p99), and the ratio of our p95 to FTS5's p95:",
        "",
    ]
    for mode in MODES:
        lines += [
            f"**{mode}**",
            "",
            "| category | archive | SQLite FTS5 | p95 ratio |",
            "| --- | --- | --- | --- |",
        ]
        for category in CATEGORIES:
            a, b = ours[(mode, category)], fts[(mode, category)]
            ratio = a[1] / b[1] if b[1] else float("inf")
            lines.append(
                f"| {category} | {a[0]} / {a[1]} / {a[2]} | {b[0]} / {b[1]} / {b[2]} | {ratio:.2f} |"
            )
        lines.append("")
    first = ours[FIRST_SNIPPETS]
    lines += [
        "With snippets, each query's first run (its hits' paragraphs analysed then; "
        f"p50 / p95 / p99): {first[0]} / {first[1]} / {first[2]} ms.",
        "",
    ]
    lines += [
        "Documents found (median of a category's queries): the two engines do not do the",
        "same work, for FTS5 neither stems nor folds Arabic spellings nor knows names in",
        "other scripts:",
        "",
        "| category | archive | SQLite FTS5 |",
        "| --- | --- | --- |",
    ]
    for category in CATEGORIES:
        lines.append(f"| {category} | {hits[category][0]:,.0f} | {hits[category][1]:,.0f} |")
    lines.append("")
    if http:
        lines += [
            f"Over HTTP (`archive serve`, gunicorn, {os.cpu_count() or 1} workers × 8 threads), "
            "4 client processes:",
            "",
            "| endpoint | clients | p50 | p95 | p99 | requests/s |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for kind, rows in http.items():
            for label, row in rows.items():
                lines.append(
                    f"| {kind} | {label} | {row['p50_ms']} | {row['p95_ms']} | "
                    f"{row['p99_ms']} | {row['rps']} |"
                )
        lines.append("")
    return "\n".join(lines)


def write_section(path: Path, n: int, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    heading = f"## {n:,} documents"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home", type=Path, help="Archive home (default /tmp/archive-bench-N).")
    parser.add_argument("--words", choices=("wordfreq", "bundled"), default="wordfreq")
    parser.add_argument(
        "--single",
        action="store_true",
        help="Also time a one-process rebuild (slow on large corpora).",
    )
    parser.add_argument("--no-http", action="store_true", help="Skip the HTTP measurements.")
    parser.add_argument(
        "--memory",
        action="store_true",
        help="Only measure the server's memory on the existing index (printed, nothing written).",
    )
    parser.add_argument(
        "--no-rebuild",
        action="store_true",
        help="Measure the existing index (rebuild figures are left out).",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    home = args.home or Path(f"/tmp/archive-bench-{args.n}")
    corpus = Corpus(home)
    if sum(1 for _ in corpus.paths()) != args.n:
        print(f"generating {args.n} documents in {home}", flush=True)
        generate(home, args.n, args.seed, args.words)
    archive = str(Path(sys.executable).with_name("archive"))
    rows = []

    def row(name: str, value: str) -> None:
        rows.append((name, value))
        print(f"{name}: {value}", flush=True)  # kept if a later step fails

    if args.memory:
        memory_rows(home, query_set(corpus), row)
        return
    if args.no_rebuild:
        args.single = False
    if args.single:
        seconds, peak = run_measured(
            [archive, "--home", str(home), "index", "--rebuild", "--processes", "1"]
        )
        row(
            "rebuild, 1 process",
            f"{seconds:.0f} s, {args.n / seconds:.0f} documents/s, peak {peak / 2**20:.0f} MiB",
        )
    cores = os.cpu_count() or 1
    if not args.no_rebuild:
        command = [archive, "--home", str(home), "index", "--rebuild", "--processes", str(cores)]
        seconds, peak = run_measured(command)
        rebuilt = (
            f"{seconds:.0f} s, {args.n / seconds:.0f} documents/s, peak {peak / 2**20:.0f} MiB"
        )
        row(f"rebuild, {cores} processes", rebuilt)
    row("index size", f"{folder_size(Index(home).generation()) / 2**20:.0f} MiB")
    fts_path = home / "fts5.sqlite"
    fts_seconds, fts_count = build_fts(home, fts_path)
    row(
        "SQLite FTS5 build (public documents)",
        f"{fts_seconds:.0f} s, {fts_count / fts_seconds:.0f} documents/s",
    )
    updates = time_updates(home)
    row("add 1 document → searchable", f"{updates[1]:.2f} s")
    row("add 100 documents → searchable", f"{updates[100]:.2f} s")
    row("searcher open + first search, fresh process", f"{time_open(home):.2f} s")
    http = None
    queries = query_set(corpus)
    if not args.no_http:
        memory_rows(home, queries, row)
        http = web.run(home, 4, 400)
    ours = time_archive(home, queries)
    fts = time_fts(fts_path, queries)
    hits = hit_counts(home, fts_path, queries)
    command = "python -m benchmarks.run " + " ".join(sys.argv[1:])
    facts = {"machine": machine(), "rows": rows}
    section = report(args.n, command, facts, ours, fts, http, hits)
    write_section(args.out, args.n, section)
    print(section)


if __name__ == "__main__":
    main()
