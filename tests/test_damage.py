"""Data loss and undetected damage: one id claimed by two writers, damaged
index files, processes outliving their parent, and a missing archive home.

Real corpus files, real indexes in temporary folders, and real `archive`
processes wherever the point is about processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.document import Document
from archive.editing import Editor
from archive.search import SearchService

from .conftest import answers, write_doc
from .test_reliability import _children

ARCHIVE = str(Path(sys.executable).with_name("archive"))
#: Touches every kind of index file of the sample corpus: postings, terms,
#: positions, weights, stored fields and lengths.
QUERY = "journalist OR rights OR spyware OR مصر OR Raissouni"


#: `archive` with a second's pause before each corpus file is written: the
#: moment between seeing an id free and writing its file, made long enough
#: for writers started together to meet in it every time.
SLOW_WRITES = """
import sys, time
from archive.cli import main
from archive.corpus import Corpus
write = Corpus.write
def slow_write(self, *args, **kwargs):
    time.sleep(1.0)
    return write(self, *args, **kwargs)
Corpus.write = slow_write
main(sys.argv[1:])
"""


def start(home: Path, *args: str, slow_writes: bool = False) -> subprocess.Popen:
    """A real `archive` process on `home`."""
    command = [sys.executable, "-c", SLOW_WRITES] if slow_writes else [ARCHIVE]
    return subprocess.Popen(
        [*command, "--home", str(home), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def archive(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ARCHIVE, "--home", str(home), *args], capture_output=True, text=True, timeout=300
    )


def stop(process: subprocess.Popen, children: set[int]) -> None:
    """Kill a process started by a test and its children, if still there."""
    for pid in [*_children(process.pid), *children, process.pid]:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    process.communicate(timeout=30)


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# --- One id, several writers -----------------------------------------------------------


def test_four_writers_claiming_one_id_at_once_write_it_once(indexed_home, tmp_path):
    """`archive add --id race-1` four times at once, two letters and two
    statements: one is written and indexed, the others are refused in one line."""
    processes = []
    for number, kind in enumerate(("statement", "letter", "statement", "letter")):
        path = tmp_path / f"text-{number}.txt"
        path.write_text(
            f"Joint {kind} on surveillance\n\nWe condemn the spyware used against "
            f"journalists. Version {number} of this text.\n",
            encoding="utf-8",
        )
        processes.append(
            start(
                indexed_home,
                "add",
                str(path),
                "--id",
                "race-1",
                "--type",
                kind,
                "--date",
                "2024-01-01",
                "--language",
                "en",
                "--yes",
                slow_writes=True,
            )
        )
    outputs = [p.communicate(timeout=120) for p in processes]
    results = [(p.returncode, *output) for p, output in zip(processes, outputs, strict=True)]
    codes = [code for code, _, _ in results]
    assert sorted(codes) == [0, 2, 2, 2], results
    for code, _, errors in results:
        if code == 2:
            assert errors == "archive: id: 'race-1' is already in the archive\n"
    winner = codes.index(0)
    assert "Indexed race-1" in results[winner][1]
    found = [d for d in Corpus(indexed_home).documents() if d.id == "race-1"]
    assert len(found) == 1
    assert f"Version {winner} of this text." in found[0].body
    with SearchService(indexed_home) as service:
        assert f"Version {winner} " in service.document("race-1").body
    assert archive(indexed_home, "doctor").returncode == 0


def test_an_import_and_an_add_of_one_id_at_once_write_it_once(indexed_home, tmp_path):
    folder = tmp_path / "collection"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Joint letter on spyware\n\nImported version of the text.\n", encoding="utf-8"
    )
    (folder / "rows.csv").write_text(
        "file,id,type,date,language\na.txt,race-2,letter,2024-02-01,en\n", encoding="utf-8"
    )
    added = tmp_path / "b.txt"
    added.write_text("Joint statement on spyware\n\nAdded version of the text.\n", "utf-8")
    importing = start(
        indexed_home, "import", str(folder), "--csv", str(folder / "rows.csv"), slow_writes=True
    )
    adding = start(
        indexed_home,
        *("add", str(added), "--id", "race-2", "--type", "statement"),
        *("--date", "2024-02-01", "--language", "en", "--yes"),
        slow_writes=True,
    )
    imported, _ = importing.communicate(timeout=120)
    _, add_errors = adding.communicate(timeout=120)
    found = [d for d in Corpus(indexed_home).documents() if d.id == "race-2"]
    assert len(found) == 1
    if "Imported version" in found[0].body:
        assert importing.returncode == 0 and adding.returncode == 2
        assert add_errors == "archive: id: 'race-2' is already in the archive\n"
    else:
        assert importing.returncode == 1 and adding.returncode == 0
        assert "row 1: skipped a.txt: id: 'race-2' is already in the archive" in imported
    assert archive(indexed_home, "doctor").returncode == 0


# --- Damaged index files -----------------------------------------------------------------

#: Every kind of file an index part holds, by the end of its name.
KINDS = (
    ".pst",  # postings
    ".trm",  # terms
    ".toc",  # table of contents (segments)
    "._stored.col",  # stored fields
    "._body_len.col",  # field lengths (ranking)
    ".date.col",  # a sortable column
    ".positions",  # the archive's phrase postings
    ".body.weights",  # the archive's weights of a scored field
    ".exact.words",  # the archive's words of a words-only field
    ".arrays.npz",  # the archive's dates and facet values
)


def damage(path: Path, how: str) -> None:
    """Cut a file to half its size, or flip 16 bytes a third of the way in."""
    data = bytearray(path.read_bytes())
    if how == "truncate":
        del data[len(data) // 2 :]
    else:
        start = len(data) // 3
        for at in range(start, min(len(data), start + 16)):
            data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def largest(home: Path, suffix: str, part: str = "public") -> Path:
    """The largest file of the live generation's part whose name ends with `suffix`."""
    folder = Index(home).generation() / part
    return max(folder.glob(f"*{suffix}"), key=lambda p: (p.stat().st_size, p.name))


def hits(run_cli, home: Path) -> list[str]:
    result = run_cli("search", QUERY, "--json", "--limit", "20", home=home)
    assert result.exit_code == 0, result.output
    return [hit["id"] for hit in json.loads(result.output)["hits"]]


# Whoosh leaves a damaged file open when it fails to read it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.parametrize("how", ["truncate", "flip"])
@pytest.mark.parametrize("kind", KINDS)
def test_damage_to_any_index_file_is_detected_and_repaired(run_cli, indexed_home, kind, how):
    before = hits(run_cli, indexed_home)
    assert len(before) >= 3
    path = largest(indexed_home, kind)
    damage(path, how)
    searched = run_cli("search", QUERY, "--json", home=indexed_home)
    if searched.exit_code:  # the damage met: one line, what to do
        assert searched.exit_code == 2, searched.output
        assert searched.output.startswith("archive: ")
        assert "archive doctor --repair" in searched.output
    found = run_cli("doctor", home=indexed_home)
    assert found.exit_code == 1, found.output
    assert f"damaged index file: index/{path.relative_to(indexed_home / 'index')}" in found.output
    assert "Traceback" not in found.output
    repaired = run_cli("doctor", "--repair", home=indexed_home)
    assert repaired.exit_code == 0, repaired.output
    assert "Rebuilt the index from the corpus: 5 documents." in repaired.output
    after = run_cli("doctor", home=indexed_home)
    assert after.exit_code == 0, after.output
    assert hits(run_cli, indexed_home) == before


def test_a_restricted_part_is_verified_too(run_cli, indexed_home):
    path = indexed_home / "corpus" / "case" / "2021" / "raissouni-case-en.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("---\n", "---\naccess: restricted\n", 1),
        encoding="utf-8",
    )
    assert run_cli("index", home=indexed_home).exit_code == 0
    damage(largest(indexed_home, ".pst", "restricted"), "flip")
    found = run_cli("doctor", home=indexed_home)
    assert found.exit_code == 1
    assert "damaged index file: index/" in found.output and "/restricted/" in found.output
    assert run_cli("doctor", "--repair", home=indexed_home).exit_code == 0
    assert run_cli("doctor", home=indexed_home).exit_code == 0


def test_a_search_meeting_a_truncated_postings_file_says_what_to_run(indexed_home):
    """The issue's case: half the largest .pst made `archive search` exit 70."""
    damage(largest(indexed_home, ".pst"), "truncate")
    result = archive(indexed_home, "search", QUERY)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("archive: the index in ")
    assert result.stderr.rstrip().endswith("run 'archive doctor --repair'")
    assert result.stderr.count("\n") == 1


# Whoosh leaves a damaged file open when it fails to read it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_pages_meeting_a_damaged_file_say_what_to_run_not_500(client, indexed_home):
    damage(largest(indexed_home, ".pst"), "truncate")
    page = client.get("/en/search", query_string={"q": QUERY})
    assert page.status_code == 503
    assert "archive doctor --repair" in page.get_data(as_text=True)
    answer = client.get("/api/search", query_string={"q": QUERY})
    assert answer.status_code == 503
    assert "archive doctor --repair" in answer.get_json()["error"]["message"]


def test_an_index_that_meets_an_unrelated_bug_still_reports_it(run_cli, indexed_home, monkeypatch):
    """A failure with every file intact is a bug, not damage: exit 70 as before."""

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(SearchService, "search", broken)
    result = run_cli("search", "x", home=indexed_home)
    assert result.exit_code == 70
    assert "internal error: RuntimeError: a bug" in result.output


def test_checksums_follow_every_change(run_cli, indexed_home):
    """Adds, edits and deletions commit new files; doctor still verifies them all."""
    write_doc(
        indexed_home,
        "letter/2022/new.md",
        "---\nid: new-one\ntitle: New\ntype: letter\nlanguage: en\ndate: 2022\n---\nText.\n",
    )
    assert run_cli("index", home=indexed_home).exit_code == 0
    path = indexed_home / "corpus" / "letter" / "2022" / "new.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMore text.\n", encoding="utf-8")
    assert run_cli("index", home=indexed_home).exit_code == 0
    assert run_cli("doctor", home=indexed_home).exit_code == 0
    path.unlink()
    assert run_cli("index", home=indexed_home).exit_code == 0
    assert run_cli("doctor", home=indexed_home).exit_code == 0
    damage(largest(indexed_home, ".trm"), "flip")
    assert run_cli("doctor", home=indexed_home).exit_code == 1


def test_searches_while_documents_are_added_leave_the_checksums_true(indexed_home):
    """A searcher opening a segment just committed finds its arrays there
    already, and never writes its own copy over the one whose checksum was taken."""
    editor = Editor(indexed_home, "tester")
    done, errors = threading.Event(), []

    def search() -> None:
        with SearchService(indexed_home) as service:
            while not done.is_set():
                try:
                    service.search("rights")
                except Exception as exc:  # every failure is a finding
                    errors.append(exc)

    searcher = threading.Thread(target=search)
    searcher.start()
    try:
        for number in range(6):
            body = "Rights of journalists and spyware. " * 40
            editor.add(
                Document(f"added-{number}", f"Added {number}", "statement", "en", "2024", body)
            )
    finally:
        done.set()
        searcher.join(60)
    assert errors == []
    assert Index(indexed_home).verify() == []


def test_archive_index_rebuilds_a_truncated_index(run_cli, indexed_home):
    """A cut file shows in its size, which `archive index` checks (a stat per file)."""
    damage(largest(indexed_home, ".pst"), "truncate")
    before = Index(indexed_home).generation()
    result = run_cli("index", home=indexed_home)
    assert result.exit_code == 0, result.output
    assert Index(indexed_home).generation() != before
    assert run_cli("doctor", home=indexed_home).exit_code == 0


# --- Processes that outlive their parent -------------------------------------------------


def _write_letters(home: Path, count: int) -> list[Path]:
    return [
        write_doc(
            home,
            f"letter/2023/bulk-{number}.md",
            f"---\nid: bulk-{number}\ntitle: Letter {number}\ntype: letter\nlanguage: en\n"
            f"date: 2023\n---\nA letter about surveillance, number {number}, and spyware.\n",
        )
        for number in range(count)
    ]


def _pool_workers(pid: int) -> set[int]:
    """The worker processes a process's pool spawned."""
    found = set()
    for child in _children(pid):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(child)
    return found


def test_rebuild_workers_die_with_their_parent_and_repair_clears_what_it_left(
    run_cli, indexed_home
):
    """kill -9 of `archive index --rebuild`: its workers go too (they used to
    hang for good on a pipe write), and `doctor --repair` removes the
    unfinished generation without touching the live one."""
    letters = _write_letters(indexed_home, 6000)  # a few seconds of work for each worker
    live = Index(indexed_home).generation()
    before = set((indexed_home / "index").iterdir())
    rebuild = start(indexed_home, "index", "--rebuild", "--processes", "2")
    workers: set[int] = set()
    try:
        assert wait_until(lambda: len(_pool_workers(rebuild.pid)) == 2, 60)
        workers = _pool_workers(rebuild.pid)
        time.sleep(1.5)  # the workers are indexing their share
        assert all(alive(pid) for pid in workers)
        rebuild.kill()
        rebuild.wait(30)
        assert wait_until(lambda: not any(alive(pid) for pid in workers), 10), workers
    finally:
        stop(rebuild, workers)
    for path in letters:  # only there to keep the workers busy
        path.unlink()
    unfinished = set((indexed_home / "index").iterdir()) - before
    assert unfinished and all(folder.is_dir() for folder in unfinished)
    found = run_cli("doctor", home=indexed_home)
    assert found.exit_code == 1
    for folder in unfinished:
        assert f"left over from an interrupted write: index/{folder.name}" in found.output
    repaired = run_cli("doctor", "--repair", home=indexed_home)
    assert repaired.exit_code == 0, repaired.output
    assert not any(folder.exists() for folder in unfinished)
    assert Index(indexed_home).generation() == live
    assert all(folder.exists() for folder in before)
    assert run_cli("doctor", home=indexed_home).exit_code == 0
    assert run_cli("search", "Raissouni", home=indexed_home).exit_code == 0


def test_repair_removes_temporary_files_of_killed_index_writers(run_cli, indexed_home):
    part = Index(indexed_home).generation() / "public"
    leftovers = [
        part / ".MAIN_abc.positions.tmp",
        part / ".MAIN_abc.positions.ids",
        part / ".runs-x1y2" / "body.0" / "docs",
        part / "MAIN.tmp" / "postings.run",
        indexed_home / "index" / ".CURRENT.a1b2.tmp",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    found = run_cli("doctor", home=indexed_home)
    assert found.exit_code == 1
    assert "left over from an interrupted write: index/" in found.output
    repaired = run_cli("doctor", "--repair", home=indexed_home)
    assert repaired.exit_code == 0, repaired.output
    assert "Removed 5 left-over temporary files." in repaired.output
    assert not any(path.exists() for path in leftovers)
    assert not (part / ".runs-x1y2").exists() and not (part / "MAIN.tmp").exists()
    assert (indexed_home / "index" / ".write.lock").exists()
    assert run_cli("doctor", home=indexed_home).exit_code == 0


def test_server_processes_die_with_their_parent(indexed_home):
    """kill -9 of `archive serve`: its workers no longer keep the port."""
    from benchmarks.web import free_port

    port = free_port()
    server = start(indexed_home, "serve", "--port", str(port), "--processes", "2")
    url = f"http://127.0.0.1:{port}/en/search?q=Egypt"

    def answered() -> bool:
        return answers(url)

    workers: set[int] = set()
    try:
        assert wait_until(answered, 60)
        workers = _children(server.pid)
        assert len(workers) == 2
        server.kill()
        server.wait(30)
        assert wait_until(lambda: not any(alive(pid) for pid in workers), 10)
        assert not answered()
    finally:
        stop(server, workers)


# --- A missing archive home -------------------------------------------------------------------


def test_serve_on_a_missing_home_fails_in_one_line_and_creates_nothing(tmp_path):
    home = tmp_path / "nonexistent"
    server = start(home, "serve", "--port", "0", "--processes", "1")
    try:
        _, errors = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        stop(server, set())
        pytest.fail("archive serve served a missing home")
    assert server.returncode == 2
    assert errors == f"archive: no corpus folder at {home / 'corpus'}\n"
    assert not home.exists()


def test_doctor_on_a_missing_home_gives_the_same_message(run_cli, tmp_path):
    home = tmp_path / "nonexistent"
    result = run_cli("doctor", home=home)
    assert result.exit_code == 2
    assert result.output == f"archive: no corpus folder at {home / 'corpus'}\n"
    assert not home.exists()
