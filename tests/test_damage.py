"""Data loss and undetected damage: one id claimed by two writers, damaged
index files, processes outliving their parent, and a missing archive home.

Real corpus files, real indexes in temporary folders, and real `archive`
processes wherever the point is about processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.corpus import Corpus
from archive.search import SearchService

from .test_reliability import _children

ARCHIVE = str(Path(sys.executable).with_name("archive"))


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
