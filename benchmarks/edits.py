"""Archivists' changes on a large archive: from a change to seeing it in search.

    python -m benchmarks.edits --home /tmp/bench100k            # 20 of each change
    python -m benchmarks.edits --home /tmp/bench100k --count 50

The archive at `--home` must have its index built (`archive index`). Each
round takes a document at random (seeded) from the corpus and, through the
archivists' `Editor` as the web pages use it (a new one per change, the
search service kept open as a server keeps it), times:

* **edit**: its text gets a new word; until a public search finds the word;
* **restrict**: until a public search no longer finds it, nor a prefix of it;
* **unrestrict**: until a public search finds it again;
* **delete**: until a public search no longer finds it;
* **`archive index` after an edit**: the file is changed on disk, and the
  command runs in a new process (process start included).

Every file it changes is put back as it was and the index brought up to
date at the end. Prints p50, p95 and the maximum of each, in seconds.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.editing import Editor
from archive.search import SearchService

from .run import home_count_seed, percentiles

WAIT = 30.0  # seconds before a change that never shows is reported as such


def _until(found, expected: bool) -> None:
    """Poll `found()` until it gives `expected` (or fail after `WAIT` seconds)."""
    deadline = time.perf_counter() + WAIT
    while found() != expected:
        if time.perf_counter() > deadline:
            raise SystemExit(f"a change did not show in search within {WAIT:.0f} s")
        time.sleep(0.005)


def _public_hits(service: SearchService, word: str) -> bool:
    return bool(service.search(word, facets=False, snippets=False).total)


def _changes(service, home: Path, document, marker: str, timings: dict) -> None:
    """Edit, restrict, unrestrict and delete one document, each timed until
    a public search sees it."""

    def timed(name, change, expected):
        started = time.perf_counter()
        change(Editor(home, "benchmark", registry=service.registry))
        _until(lambda: _public_hits(service, marker), expected)
        timings[name].append(time.perf_counter() - started)
        print(f"{name}: {timings[name][-1]:.3f} s", flush=True)

    edited = replace(document, body=f"{document.body}\n\nAdded {marker}.")
    timed("edit", lambda editor: editor.update(document.id, edited), True)
    timed("restrict", lambda editor: editor.set_access(document.id, "restricted"), False)
    timed("unrestrict", lambda editor: editor.set_access(document.id, "public"), True)
    timed("delete", lambda editor: editor.delete(document.id), False)


def run(home: Path, count: int, seed: int) -> dict[str, list[float]]:
    corpus = Corpus(home)
    paths = sorted(corpus.paths())
    chosen = random.Random(seed).sample(paths, min(count, len(paths)))
    backup = Path(tempfile.mkdtemp(prefix="edits-backup-"))
    saved = {path: backup / f"{n}.md" for n, path in enumerate(chosen)}
    for path, copy in saved.items():
        shutil.copy2(path, copy)
    history = corpus.root / ".history"
    had_history = history.exists()
    timings: dict[str, list[float]] = {
        "edit": [],
        "restrict": [],
        "unrestrict": [],
        "delete": [],
        "archive index after an edit": [],
    }
    archive = str(Path(sys.executable).with_name("archive"))
    try:
        with SearchService(home) as service:
            _public_hits(service, "warm up")
            for number, path in enumerate(chosen):
                document, _ = corpus.parse(path)
                if document is None or document.restricted:
                    continue
                # Deleting it edits the documents it names as translations:
                # they are put back at the end too.
                for other in document.translations:
                    relative = Index(home).file_of(other)
                    partner = corpus.root / relative if relative else None
                    if partner is not None and partner not in saved:
                        saved[partner] = backup / f"{len(saved)}.md"
                        shutil.copy2(partner, saved[partner])
                marker = f"zqedit{number}x{int(time.time())}"
                _changes(service, home, document, marker, timings)
                # The same file edited on disk, then `archive index` in a new process.
                shutil.copy2(saved[path], path)
                text = path.read_text(encoding="utf-8")
                path.write_text(f"{text.rstrip()}\n\nOn disk {marker}b.\n", encoding="utf-8")
                started = time.perf_counter()
                subprocess.run(
                    [archive, "--home", str(home), "index"], check=True, capture_output=True
                )
                seconds = time.perf_counter() - started
                timings["archive index after an edit"].append(seconds)
                print(f"archive index after an edit: {seconds:.3f} s", flush=True)
                if not _public_hits(service, f"{marker}b"):
                    raise SystemExit("'archive index' did not index the edited file")
    finally:
        for path, copy in saved.items():
            shutil.copy2(copy, path)
        shutil.rmtree(backup, ignore_errors=True)
        if not had_history:
            shutil.rmtree(history, ignore_errors=True)
        Index(home).update(corpus)
    return timings


def main() -> None:
    args = home_count_seed(__doc__, 20, 3)
    timings = run(args.home, args.count, args.seed)
    print(f"\n{args.count} documents of {args.home}; seconds p50 / p95 / max")
    for name, values in timings.items():
        if values:
            p50, p95, _ = percentiles(values)  # milliseconds
            print(f"{name}: {p50 / 1000:.2f} / {p95 / 1000:.2f} / {max(values):.2f}")


if __name__ == "__main__":
    main()
