"""Crash safety, repair, concurrency: the guarantees of docs/reliability.md, short versions."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request

import pytest

from archive.corpus import Corpus
from archive.document import Document
from archive.editing import Editor
from archive.indexing import Index
from archive.search import SearchService
from benchmarks.crash import crash

from .conftest import write_doc


def test_kill_9_at_random_moments_loses_nothing(tmp_path):
    totals = crash(tmp_path / "crash", runs=4, seed=3)
    assert totals["reported"] > 0
    assert (totals["lost"], totals["torn"], totals["not_indexed"]) == (0, 0, 0)


def test_doctor_reports_and_repairs_differences(run_cli, indexed_home):
    result = run_cli("doctor", home=indexed_home)
    assert result.exit_code == 0
    assert "The index matches the corpus (5 documents)." in result.output
    (indexed_home / "corpus" / "statement" / "2020" / "egypt-detention-statement-en.md").unlink()
    write_doc(
        indexed_home,
        "letter/2022/new.md",
        "---\nid: new-one\ntitle: New\ntype: letter\nlanguage: en\ndate: 2022\n---\nText.\n",
    )
    path = indexed_home / "corpus" / "case" / "2021" / "raissouni-case-en.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    result = run_cli("doctor", home=indexed_home)
    assert result.exit_code == 1
    assert "missing from the index: new-one" in result.output
    assert "out of date in the index: raissouni-case-en" in result.output
    assert "in the index but not in the corpus: egypt-detention-statement-en" in result.output
    assert run_cli("doctor", "--repair", home=indexed_home).exit_code == 0
    assert "The index matches the corpus" in run_cli("doctor", home=indexed_home).output


# Whoosh leaves the damaged table of contents open when it fails to read it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_doctor_detects_a_damaged_index_and_rebuilds_it(run_cli, indexed_home):
    generation = Index(indexed_home).generation()
    for toc in (generation / "public").glob("_MAIN_*.toc"):
        toc.write_bytes(b"garbage")
    result = run_cli("doctor", home=indexed_home)
    assert result.exit_code == 1
    assert "cannot be opened" in result.output and "archive index --rebuild" in result.output
    repaired = run_cli("doctor", "--repair", home=indexed_home)
    assert "Rebuilt the index from the corpus: 5 documents." in repaired.output
    assert run_cli("search", "Raissouni", "--json", home=indexed_home).exit_code == 0


def test_a_table_of_contents_vanishing_while_opening_is_retried(indexed_home, monkeypatch):
    real = Index._open_searcher
    calls = []

    def flaky(self, include_restricted):
        calls.append(1)
        if len(calls) == 1:
            raise FileNotFoundError("_MAIN_3.toc")
        return real(self, include_restricted)

    monkeypatch.setattr(Index, "_open_searcher", flaky)
    with SearchService(indexed_home) as service:
        assert service.search("Raissouni").total == 2
    assert len(calls) == 2


def test_the_server_under_load_while_archivists_add_documents(live_server, bundled_home):
    """4 clients search while 10 documents are added: no error, no duplicate, each found at once."""
    errors, duplicates, stop = [], [], threading.Event()

    def client(number: int):
        queries = ["Egypt", "مصر", "Raissouni", "reliability", "NSO"]
        while not stop.is_set():
            query = urllib.parse.quote(queries[number % len(queries)])
            try:
                with urllib.request.urlopen(
                    f"{live_server}/api/search?q={query}&size=100"
                ) as answer:
                    ids = [h["id"] for h in json.load(answer)["hits"]]
                if len(ids) != len(set(ids)):
                    duplicates.append(ids)
            except Exception as error:  # noqa: BLE001 - every failure is counted
                errors.append(repr(error))
            number += 1

    workers = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    editor = Editor(bundled_home, "load-test")
    delays = []
    try:
        for n in range(10):
            word = f"reliabilityprobe{n}"
            editor.add(
                Document(
                    f"load-{n}",
                    f"Load test {n}",
                    "statement",
                    "en",
                    "2025",
                    f"A reliability {word} document.",
                )
            )
            started = time.monotonic()
            while True:
                with urllib.request.urlopen(f"{live_server}/api/search?q={word}") as answer:
                    if json.load(answer)["total"] == 1:
                        break
                assert time.monotonic() - started < 1.0, f"{word} not searchable within 1 s"
            delays.append(time.monotonic() - started)
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)
        for n in range(10):
            try:
                editor.delete(f"load-{n}")
            except Exception:  # noqa: BLE001 - cleanup of a shared fixture
                pass
    assert errors == [] and duplicates == []
    assert max(delays) < 1.0


def test_two_writers_at_once_wait_then_both_land(indexed_home):
    results = []

    def add(n: int):
        editor = Editor(indexed_home, f"writer-{n}", write_timeout=30)
        for k in range(10):
            editor.add(
                Document(f"writer-{n}-{k}", f"Writer {n} {k}", "letter", "en", "2023", "Text.")
            )
        results.append(n)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(results) == [0, 1]
    with SearchService(indexed_home) as service:
        assert service.search("", page_size=100).total == 5 + 20
    assert Index(indexed_home).compare(Corpus(indexed_home)).added == []


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_messages_for_a_locked_index_are_clear(indexed_home, locale):
    from archive.errors import IndexUnavailable

    index = Index(indexed_home, write_timeout=0.2)
    with index.write_lock():
        with pytest.raises(IndexUnavailable) as caught:
            Index(indexed_home, write_timeout=0.2).update(Corpus(indexed_home))
    assert caught.value.render(locale)
