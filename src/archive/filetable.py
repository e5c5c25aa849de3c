"""The corpus files an index generation holds, and which of them changed.

``index/<generation>/files.sqlite`` is derived, like everything under
``index/``: a row per indexed corpus file with its document id, content hash
and part, and what ``os.stat`` said of the file just before it was read.
`archive index` then stats every file and reads only those whose stat
changed (on 100,000 files the stats take a fraction of a second, where
reading and parsing them all took half a minute), and an archivist's change
finds a document's file by its id with one lookup.

A stat is trusted only for a file left alone for `SETTLED_NS` before it was
read: one written again within the file system's timestamp granularity
could keep the stat it had (git calls such entries "racily clean"). Such a
file is read again next time, and is trusted from then on.

The table is written after the index, under the index's write lock: if a
writer dies between the two, the table is older than the index, and the
files it is wrong about are read again and indexed once more.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

NAME = "files.sqlite"
SETTLED_NS = 2_000_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    hash TEXT NOT NULL,
    part TEXT NOT NULL,
    stat TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_by_id ON files (id);
"""


def signature(stat: os.stat_result) -> str:
    """What says a file changed: size, modification and change times, inode."""
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


class Row(NamedTuple):
    """A file of the table. `FileTable.rows` gives them as plain tuples in
    this order (making 100,000 named ones costs an update 0.2 s)."""

    path: str  # relative to corpus/
    id: str
    hash: str
    part: str
    stat: str = ""  # `stat_now` of the file just before it was read ("": not to be trusted)


STAT = Row._fields.index("stat")


def stat_now(path: str | Path) -> str:
    """A file's `signature`, to be taken just before it is read; "" if it
    changed less than `SETTLED_NS` ago (its stat may not tell a change made
    right after it is read from the file as read)."""
    stat = os.stat(path)
    if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) < SETTLED_NS:
        return ""
    return signature(stat)


class FileTable:
    """The table of one generation folder."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / NAME

    def exists(self) -> bool:
        return self.path.is_file()

    @contextlib.contextmanager
    def _connection(self):
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            yield connection
        finally:
            connection.close()

    def rows(self) -> dict[str, tuple] | None:
        """Every row (a tuple laid out as `Row`) by path; None if the table is
        missing or unreadable."""
        if not self.exists():
            return None
        try:
            with self._connection() as db:
                found = db.execute("SELECT path, id, hash, part, stat FROM files").fetchall()
            return dict(zip(map(itemgetter(0), found), found, strict=True))
        except sqlite3.Error:
            return None

    def find(self, doc_id: str) -> Row | None:
        """The row of a document id (None if the table has none, or no table)."""
        if not self.exists():
            return None
        try:
            with self._connection() as db:
                row = db.execute(
                    "SELECT path, id, hash, part, stat FROM files WHERE id = ? LIMIT 1",
                    (doc_id,),
                ).fetchone()
        except sqlite3.Error:
            return None
        return Row._make(row) if row else None

    def write(self, put: list[Row], remove: list[str] = (), replace_all: bool = False) -> None:
        """Add or replace rows and remove paths, in one transaction
        (`replace_all`: the rows put are the whole table)."""
        with self._connection() as db:
            db.executescript(_SCHEMA)
            db.execute("BEGIN IMMEDIATE")
            try:
                if replace_all:
                    db.execute("DELETE FROM files")
                db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in remove])
                db.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", [tuple(r) for r in put]
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
