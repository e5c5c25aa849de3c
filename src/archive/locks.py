"""The archive's writer lock: one writer at a time, across processes."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import IndexUnavailable
from .i18n import N_


@contextlib.contextmanager
def writer_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold the lock file at `path`, waiting up to `timeout` seconds; then an
    `IndexUnavailable` saying another process is writing. Closing the file
    (at the end, or when the process dies) lets go of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held for the block
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexUnavailable(
                        N_(
                            "the index is being written by another process; waited "
                            "{seconds} s for {path}, try again later"
                        ),
                        seconds=f"{timeout:g}",
                        path=str(path),
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        handle.close()
