"""Archivist accounts: names and password hashes in ``instance/users.json``.

Passwords are hashed with werkzeug.security (scrypt); the file is written
atomically and never holds a password. Failed logins are counted per name
and address: after a few, each further attempt must wait longer (the answer
says how long), and every failure is logged.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
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


class LoginThrottle:
    """Counts failed logins per (name, address) and says how long to wait."""

    def __init__(self, clock=time.monotonic):
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def wait(self, name: str, address: str) -> int:
        """Seconds before another attempt for this name from this address is heard."""
        with self._lock:
            count, last = self._failures.get((name, address), (0, 0.0))
        if count < FREE_ATTEMPTS:
            return 0
        delay = min(MAX_WAIT, 2 ** (count - FREE_ATTEMPTS + 1))
        return max(0, int(last + delay - self._clock() + 0.999))

    def failed(self, name: str, address: str) -> None:
        with self._lock:
            count, _ = self._failures.get((name, address), (0, 0.0))
            self._failures[(name, address)] = (count + 1, self._clock())
            if len(self._failures) > 10_000:  # forget the oldest entries
                for key in sorted(self._failures, key=lambda k: self._failures[k][1])[:5_000]:
                    del self._failures[key]
        log.warning("failed login for %r from %s (%d in a row)", name, address, count + 1)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop((name, address), None)
