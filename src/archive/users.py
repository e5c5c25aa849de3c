"""Archivist accounts: names and password hashes in ``instance/users.json``.

Passwords are hashed with werkzeug.security (scrypt); the file is written
atomically and never holds a password. Failed logins are counted per name
and address, in ``instance/logins.sqlite`` shared by every server process:
after a few, each further attempt must wait longer (the answer says how
long), and every failure is logged. Signed-in sessions are kept in
``instance/sessions.sqlite``, so that signing out ends them on the server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from .corpus import write_atomic
from .errors import ArchiveError
from .i18n import N_

log = logging.getLogger("archive.users")

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD_LENGTH = 12
#: Failed attempts allowed before waiting starts, and the longest wait (seconds).
FREE_ATTEMPTS = 3
MAX_WAIT = 300


@dataclass(frozen=True)
class User:
    name: str
    created: str
    disabled: bool = False


class Users:
    """The accounts of one archive home."""

    def __init__(self, home: Path):
        self.path = Path(home) / "instance" / "users.json"
        self._lock = threading.Lock()

    def _load(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def _save(self, data: dict) -> None:
        write_atomic(self.path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))
        self.path.chmod(0o600)

    def list(self) -> list[User]:
        return [
            User(name, entry["created"], entry.get("disabled", False))
            for name, entry in sorted(self._load().items())
        ]

    def add(self, name: str, password: str) -> User:
        if not NAME_PATTERN.match(name):
            raise ArchiveError(
                N_("name: use 2–32 lower-case letters, digits, '.', '_' or '-' ({name!r})"),
                name=name,
            )
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ArchiveError(N_("password: use at least {n} characters"), n=MIN_PASSWORD_LENGTH)
        with self._lock:
            data = self._load()
            if name in data:
                raise ArchiveError(N_("name: an archivist called {name!r} exists"), name=name)
            created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            data[name] = {"hash": generate_password_hash(password), "created": created}
            self._save(data)
        return User(name, created)

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        with self._lock:
            data = self._load()
            if name not in data:
                raise ArchiveError(N_("name: no archivist called {name!r}"), name=name)
            data[name]["disabled"] = disabled
            self._save(data)

    def get(self, name: str) -> User | None:
        entry = self._load().get(name)
        if entry is None:
            return None
        return User(name, entry["created"], entry.get("disabled", False))

    def verify(self, name: str, password: str) -> User | None:
        """The user if the password is right and the account enabled, else None."""
        entry = self._load().get(name)
        if entry is None:
            # Spend the same time as a real check, so names cannot be probed.
            check_password_hash(_dummy_hash(), password)
            return None
        if not check_password_hash(entry["hash"], password) or entry.get("disabled"):
            return None
        return User(name, entry["created"], False)


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not a password of anyone")


@contextlib.contextmanager
def _transaction(path: Path):
    """A connection to a SQLite file inside one transaction, taken at once: one
    writer at a time, across threads and processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()


class LoginThrottle:
    """Counts failed logins per (name, address) and says how long to wait.

    The counts are kept in SQLite (``instance/logins.sqlite``), so that every
    process of a server shares them: more processes give no more attempts.
    Signing in uses `attempt`, which counts an attempt before the password is
    checked, in the transaction that decided it may be heard.
    """

    #: Entries kept; past this many the older half is forgotten.
    MAX_ENTRIES = 10_000

    def __init__(self, path: Path, clock=time.time):
        self.path = Path(path)
        self._clock = clock
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS failures (name TEXT, address TEXT, "
                "count INTEGER, last REAL, PRIMARY KEY (name, address))"
            )

    def _connect(self):
        return _transaction(self.path)

    def wait(self, name: str, address: str) -> int:
        """Seconds before another attempt for this name from this address is heard."""
        with self._connect() as db:
            return self._wait(db, name, address)

    def attempt(self, name: str, address: str) -> int:
        """Seconds to wait, as `wait` says; when it says 0, this attempt is heard and
        counted as failed at once, until `succeeded` clears the count.

        Reading and counting are one transaction, so of many simultaneous
        attempts (threads or processes) no more reach the password check
        than the count allows.
        """
        with self._connect() as db:
            wait = self._wait(db, name, address)
            if not wait:
                self._count(db, name, address)
        return wait

    def failed(self, name: str, address: str, counted: bool = False) -> None:
        """Log a failed attempt, and count it unless `attempt` already has."""
        with self._connect() as db:
            if counted:
                (count,) = db.execute(
                    "SELECT count FROM failures WHERE name = ? AND address = ?", (name, address)
                ).fetchone() or (1,)
            else:
                count = self._count(db, name, address)
        log.warning("failed login for %r from %s (%d in a row)", name, address, count)

    def _wait(self, db, name: str, address: str) -> int:
        row = db.execute(
            "SELECT count, last FROM failures WHERE name = ? AND address = ?", (name, address)
        ).fetchone()
        count, last = row or (0, 0.0)
        if count < FREE_ATTEMPTS:
            return 0
        delay = min(MAX_WAIT, 2 ** (count - FREE_ATTEMPTS + 1))
        return max(0, int(last + delay - self._clock() + 0.999))

    def _count(self, db, name: str, address: str) -> int:
        """One more failure for (name, address); returns how many in a row."""
        db.execute(
            "INSERT INTO failures VALUES (?, ?, 1, ?) ON CONFLICT (name, address) "
            "DO UPDATE SET count = count + 1, last = excluded.last",
            (name, address, self._clock()),
        )
        (count,) = db.execute(
            "SELECT count FROM failures WHERE name = ? AND address = ?", (name, address)
        ).fetchone()
        (entries,) = db.execute("SELECT COUNT(*) FROM failures").fetchone()
        if entries > self.MAX_ENTRIES:
            db.execute(
                "DELETE FROM failures WHERE rowid IN "
                "(SELECT rowid FROM failures ORDER BY last LIMIT ?)",
                (entries // 2,),
            )
        return count

    def succeeded(self, name: str, address: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM failures WHERE name = ? AND address = ?", (name, address))


class Sessions:
    """Signed-in sessions, kept on the server (``instance/sessions.sqlite``).

    A session cookie carries the id of a session here. Signing out deletes it,
    so a copy of the cookie kept after signing out opens nothing; a session
    also ends `hours` after signing in, however busy it is.
    """

    def __init__(self, path: Path, hours: float, clock=time.time):
        self.path = Path(path)
        self.seconds = hours * 3600
        self._clock = clock
        with _transaction(self.path) as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, name TEXT, ends REAL)"
            )

    def start(self, name: str) -> str:
        """A new session for the archivist `name`; returns its id."""
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        with _transaction(self.path) as db:
            db.execute("DELETE FROM sessions WHERE ends < ?", (now,))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?)", (session_id, name, now + self.seconds)
            )
        return session_id

    def holder(self, session_id: str) -> str | None:
        """The name of the archivist whose live session this is, or None."""
        with _transaction(self.path) as db:
            row = db.execute(
                "SELECT name FROM sessions WHERE id = ? AND ends >= ?", (session_id, self._clock())
            ).fetchone()
        return row[0] if row else None

    def end(self, session_id: str) -> None:
        with _transaction(self.path) as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
