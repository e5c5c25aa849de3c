"""Crash safety, repair, concurrency: the guarantees of docs/reliability.md, short versions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.document import Document
from archive.editing import Editor
from archive.search import SearchService
from benchmarks.crash import crash
from benchmarks.hostile import WORST, vocabulary_of
from benchmarks.hostile import run as run_hostile
from benchmarks.load import load

from .conftest import answers, write_doc


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


def test_doctor_removes_what_an_interrupted_write_left_behind(run_cli, indexed_home):
    import os
    import time

    folder = indexed_home / "corpus" / "letter"
    folder.mkdir(parents=True, exist_ok=True)
    old, young = folder / ".abc123.tmp", folder / ".def456.tmp"
    for path in (old, young):
        path.write_bytes(b"---\nid: half")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    result = run_cli("doctor", home=indexed_home)
    assert result.exit_code == 1
    assert "left over from an interrupted write: corpus/letter/.abc123.tmp" in result.output
    assert ".def456.tmp" not in result.output  # may be a write in progress
    repaired = run_cli("doctor", "--repair", home=indexed_home)
    assert "Removed 1 left-over temporary file." in repaired.output
    assert not old.exists() and young.exists()
    assert run_cli("doctor", home=indexed_home).exit_code == 0


def test_doctor_notices_a_changed_registry(run_cli, indexed_home):
    people = indexed_home / "corpus" / "registry" / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = run_cli("doctor", home=indexed_home)
    assert result.exit_code == 1
    assert "the registry changed since the index was built" in result.output
    assert run_cli("doctor", "--repair", home=indexed_home).exit_code == 0
    assert run_cli("doctor", home=indexed_home).exit_code == 0


# Whoosh leaves the damaged table of contents open when it fails to read it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_index_written_in_an_older_format_is_rebuilt(run_cli, indexed_home):
    index = Index(indexed_home)
    (index.generation() / "format").write_text("1\n", encoding="ascii")
    result = run_cli("doctor", home=indexed_home)
    assert result.exit_code == 1
    assert "the index was written by an older version of the archive" in result.output
    before = index.generation()
    assert run_cli("index", home=indexed_home).exit_code == 0
    assert index.generation() != before
    assert run_cli("doctor", home=indexed_home).exit_code == 0


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
    """4 clients search while 10 documents are added: no failure, no duplicate or
    missing hit (how soon each is found: benchmarks.load)."""
    try:
        figures = load(live_server, bundled_home, documents=10, clients=4)
    finally:
        editor = Editor(bundled_home, "load-test")
        for n in range(10):
            try:
                editor.delete(f"load-{n}")
            except Exception:  # noqa: BLE001 - cleanup of a shared fixture
                pass
    assert figures["requests"] > 10
    assert (figures["failed"], figures["duplicates"], figures["missing"]) == (0, 0, 0)
    assert figures["errors"] == []
    assert figures["documents"] == 10


def test_two_writers_at_once_wait_then_both_land(indexed_home):
    results = []

    def add(n: int):
        editor = Editor(indexed_home, f"writer-{n}", {"WRITE_TIMEOUT": 30})
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


def test_hostile_queries_never_fail(bundled_home):
    # The worst cases and generated mixtures of operators, fields and junk,
    # through the same service the pages and the API use.
    result = run_hostile(bundled_home, count=len(WORST) + 300)
    assert result["queries"] == len(WORST) + 300
    assert result["errors"] == []


def test_hostile_queries_are_made_of_the_most_frequent_words(bundled_home):
    # Frequent words are the costliest to combine; the lexicon's first words
    # (numbers, rare spellings) would measure nothing.
    with SearchService(bundled_home) as service:
        words = vocabulary_of(service, size=50)
        reader = service.backend.view().reader
        frequencies = [reader.doc_frequency("exact", w) for w in words]
        documents = reader.doc_count()
    assert {"the", "of", "and"} <= set(words)
    assert min(frequencies) >= documents // 4


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def test_serve_runs_processes_that_share_the_port(bundled_home):
    from benchmarks.web import free_port

    port = free_port()
    archive = Path(sys.executable).with_name("archive")
    command = [str(archive), "--home", str(bundled_home), "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--processes", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}/en/search?q=Egypt"

    def answered() -> bool:
        return answers(url)

    try:
        deadline = time.monotonic() + 60
        while not answered() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert all(answered() for _ in range(6))
        workers = _children(server.pid)
        assert len(workers) == 2
        # The port is taken: a second server says so in one line.
        taken = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert taken.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}" in taken.stderr
        assert "Traceback" not in taken.stderr
        # A worker that dies is replaced, and the server goes on answering.
        dead = workers.pop()
        os.kill(dead, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _children(server.pid)
            if len(now) == 2 and dead not in now:
                break
            time.sleep(0.2)
        assert len(_children(server.pid)) == 2 and dead not in _children(server.pid)
        assert all(answered() for _ in range(6))
        assert server.poll() is None
    finally:
        if server.poll() is None:
            server.terminate()
            server.communicate(timeout=20)


def test_serve_stops_all_its_processes_when_asked(bundled_home):
    from benchmarks.web import free_port

    port = free_port()
    archive = Path(sys.executable).with_name("archive")
    command = [str(archive), "--home", str(bundled_home), "serve", "--port", str(port)]
    server = subprocess.Popen([*command, "--processes", "2"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_children(server.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = _children(server.pid)
    assert len(workers) == 2
    server.terminate()
    assert server.wait(20) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_serve_answers_with_more_than_1024_files_open(bundled_home):
    # A large index keeps many segment files open in every thread's searcher;
    # the server's connections then get descriptors above 1,024. Each worker
    # opens 1,100 files once it has started, as its searchers would.
    from benchmarks.web import free_port

    port = free_port()
    code = (
        "import os, sys; import archive.server as server; from archive.cli import main; "
        "warm = server.warm; "
        "server.warm = lambda worker: (warm(worker), "
        "[os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]); "
        "main(sys.argv[1:])"
    )
    url = f"http://127.0.0.1:{port}/en/search?q=Egypt"
    command = [sys.executable, "-c", code, "--home", str(bundled_home), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--processes", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                assert urllib.request.urlopen(url, timeout=5).status == 200
                break
            except OSError:
                time.sleep(0.2)
        assert server.poll() is None, server.stderr.read()
        assert all(urllib.request.urlopen(url, timeout=5).status == 200 for _ in range(3))
    finally:
        server.terminate()
        server.communicate(timeout=20)
