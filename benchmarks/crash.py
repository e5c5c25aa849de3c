"""Crash safety: kill -9 an archivist process at random moments and check nothing is lost.

    python -m benchmarks.crash --runs 100

Each run starts a process that adds and edits documents (through `Editor`,
as the web app and `archive add` do) and prints ``done <id> <sha256>`` after
each change returns; the run kills it with SIGKILL after a random delay. Then:

* every corpus file must parse (no torn file);
* every change reported done must be in the corpus, with that content, and
  in the index;
* the index must open, or `archive index --rebuild` must restore it;
* `Index.compare` shows what the kill left half-done (a file written, its
  index update not yet committed), and `Index.update` repairs it.

Prints one summary line of figures (and exits 1 if anything was lost).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.document import Document
from archive.editing import Editor
from archive.errors import ArchiveError

ROOT = Path(__file__).resolve().parents[1]


def child(home: Path, run: int) -> None:
    """Add and edit documents until killed, reporting each change once it returned."""
    editor = Editor(home, f"crash-{run}")
    rng = random.Random(run)
    number = 0
    while True:
        number += 1
        doc_id = f"crash-{run}-{number}"
        body = " ".join(rng.choice(("rights", "حقوق", "droits", "spyware")) for _ in range(200))
        if number % 4 == 0 and number > 1:
            target = f"crash-{run}-{number - 1}"
            current = editor.current(target)
            saved = editor.update(target, replace(current, body=current.body + "\n\nEdited."))
        else:
            document = Document(
                doc_id, f"Crash test {run}-{number}", "statement", "en", "2024", body
            )
            saved = editor.add(document)
        path = editor.corpus.root / saved.document.path
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"done {saved.document.id} {digest} {int(saved.indexed)}", flush=True)


def run_once(home: Path, run: int, rng: random.Random) -> list[tuple[str, str, bool]]:
    """One child killed after a random delay; returns what it reported done."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.crash", "--child", str(home), "--run", str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    time.sleep(rng.uniform(0.3, 2.5))
    process.send_signal(signal.SIGKILL)
    output, _ = process.communicate()
    done = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "done":
            done.append((parts[1], parts[2], parts[3] == "1"))
    return done


def verify(home: Path, done: list[tuple[str, str, bool]]) -> dict:
    """Checks after a kill; returns counts of what was found."""
    corpus = Corpus(home)
    figures = {"torn": 0, "lost": 0, "not_indexed": 0, "damaged": 0, "repaired": 0}
    latest: dict[str, str] = {}
    reported_indexed: set[str] = set()
    for doc_id, digest, was_indexed in done:
        latest[doc_id] = digest
        if was_indexed:
            reported_indexed.add(doc_id)
    on_disk = {}
    for path in corpus.paths():
        document, problems = corpus.parse(path)
        if document is None:
            figures["torn"] += 1
            continue
        on_disk[document.id] = hashlib.sha256(path.read_bytes()).hexdigest()
    index = Index(home, write_timeout=30)
    try:
        with index.open_searcher(include_restricted=True) as searcher:
            indexed = {doc_id for doc_id in latest if searcher.document(id=doc_id) is not None}
    except ArchiveError:
        figures["damaged"] += 1
        index.rebuild(corpus)
        with index.open_searcher(include_restricted=True) as searcher:
            indexed = {doc_id for doc_id in latest if searcher.document(id=doc_id) is not None}
    for doc_id in latest:
        # A later edit may have been written but not yet reported: newer, not lost.
        if doc_id not in on_disk:
            figures["lost"] += 1
        if doc_id in reported_indexed and doc_id not in indexed:
            figures["not_indexed"] += 1
    difference = index.compare(corpus)
    pending = len(difference.added) + len(difference.changed) + len(difference.deleted)
    if pending:
        index.update(corpus)
        figures["repaired"] += pending
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--home", type=Path, default=Path("/tmp/archive-crash"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.run)
        return
    totals = crash(args.home, args.runs, args.seed)
    print(summarise(totals))
    if totals["lost"] or totals["torn"] or totals["not_indexed"]:
        sys.exit(1)


def crash(home: Path, runs: int, seed: int = 1) -> dict:
    """Run the whole experiment in `home` (recreated from the bundled corpus)."""
    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(ROOT / "corpus", home / "corpus")
    Index(home).rebuild(Corpus(home))
    rng = random.Random(seed)
    totals = {
        "runs": 0,
        "reported": 0,
        "torn": 0,
        "lost": 0,
        "not_indexed": 0,
        "damaged": 0,
        "repaired": 0,
    }
    for run in range(1, runs + 1):
        done = run_once(home, run, rng)
        figures = verify(home, done)
        totals["runs"] += 1
        totals["reported"] += len(done)
        for key, value in figures.items():
            totals[key] += value
    temporary = sum(1 for p in (home / "corpus").rglob(".*.tmp"))
    totals["temporary_files_left"] = temporary
    return totals


def summarise(totals: dict) -> str:
    return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in totals.items())


if __name__ == "__main__":
    main()
