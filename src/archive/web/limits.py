"""Expensive requests (exports, distant pages of results): a few at a time per client.

One client asking for many exports at once would otherwise hold every
thread of every server process and starve everyone else. Each client (its
address, hashed into one of `BUCKETS` buckets) has `EXPENSIVE_PER_CLIENT`
slots; a slot is a lock on a small file in ``instance/slots/``, so the
limit holds across all the processes of ``archive serve``, and a process
that dies lets go of its slots. A request that finds no free slot is
answered 429 with ``Retry-After`` at once, never queued.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from flask import current_app, g, request

from ..errors import ArchiveError
from ..i18n import N_

#: Clients are spread over this many buckets: a bounded number of slot files.
BUCKETS = 1024
#: Pages of results beyond this one are expensive (each skips the ones before).
DEEP_PAGE = 10
#: Seconds a client is asked to wait when all its slots are taken.
RETRY_AFTER = 5


class TooBusy(ArchiveError):
    status = 429


class Slots:
    """The slot files of an archive's server: `per_client` slots per bucket."""

    def __init__(self, folder: Path, per_client: int):
        self.folder, self.per_client = folder, per_client

    @contextlib.contextmanager
    def held(self, client: str) -> Iterator[bool]:
        """Hold a free slot of `client` for the block: True, or False when none is free."""
        bucket = int.from_bytes(hashlib.sha256(client.encode()).digest()[:4], "big") % BUCKETS
        self.folder.mkdir(parents=True, exist_ok=True)
        for number in range(self.per_client):
            handle = open(self.folder / f"{bucket}.{number}", "ab")  # noqa: SIM115 - held below
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield True
            finally:
                handle.close()  # closing the file lets go of its lock
            return
        yield False


def init_app(app) -> None:
    folder = Path(app.config["HOME"]) / "instance" / "slots"
    app.extensions["archive.slots"] = Slots(folder, max(1, int(app.config["EXPENSIVE_PER_CLIENT"])))

    @app.after_request
    def retry_after(response):
        if response.status_code == 429 and g.get("retry_after"):
            response.headers["Retry-After"] = str(g.retry_after)
        return response


def deep_page() -> bool:
    """Whether the request asks for a page of results beyond `DEEP_PAGE`."""
    try:
        return int(request.args.get("page", "1")) > DEEP_PAGE
    except ValueError:
        return False  # the view refuses it with its own message


def expensive(when: Callable[[], bool] | None = None):
    """Decorate a view whose requests (or those for which `when()` holds) are
    expensive: each needs one of its client's slots."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if when is not None and not when():
                return view(*args, **kwargs)
            slots: Slots = current_app.extensions["archive.slots"]
            with slots.held(request.remote_addr or "?") as held:
                if not held:
                    g.retry_after = RETRY_AFTER
                    raise TooBusy(
                        N_(
                            "Too many exports or distant pages at once from your address; "
                            "try again in {seconds} seconds."
                        ),
                        seconds=RETRY_AFTER,
                    )
                return view(*args, **kwargs)

        return wrapped

    return decorate
