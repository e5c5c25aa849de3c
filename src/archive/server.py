"""Serving the archive over HTTP: gunicorn, with threaded workers sharing one port.

`archive serve` brings the index in line with the corpus, makes the app,
then calls `listen` and `serve`. Gunicorn's arbiter forks the worker
processes (one interpreter lock each), replaces one that dies, and stops them
all on SIGTERM or SIGINT; nothing of the index is open before they fork.
"""

from __future__ import annotations

import contextlib
import json
import socket
from http import HTTPStatus

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine, ParseException
from gunicorn.workers.gthread import ThreadWorker

from .errors import ArchiveError
from .i18n import N_


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port`, or an `ArchiveError` saying why not.

    The socket is bound here, not by gunicorn, so that a taken port is one
    line at once rather than five retries a second apart.
    """
    family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listener = socket.socket(family, kind)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as exc:
        listener.close()
        raise ArchiveError(
            N_("cannot listen on {host}:{port}: {reason}"),
            host=host,
            port=port,
            reason=exc.strerror or str(exc),
        ) from None
    listener.listen(1024)
    listener.set_inheritable(True)
    return listener


def serve(app, listener: socket.socket, threads: int, processes: int) -> None:
    """Serve `app` on `listener` until stopped: `processes` gunicorn workers
    of `threads` threads each."""
    raise_open_files_limit()

    class Server(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": [f"fd://{listener.fileno()}"],
                "worker_class": JSONErrorWorker,
                "workers": processes,
                "threads": threads,
                # The app is made once, in the arbiter: its secret key and
                # settings are the same in every worker.
                "preload_app": True,
                "post_worker_init": warm,
                # A request that runs long (a large export) is not a hung worker.
                "timeout": 120,
                "graceful_timeout": 10,
                "loglevel": "warning",
                "accesslog": None,
                "proc_name": "archive",
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    Server().run()


class JSONErrorWorker(ThreadWorker):
    """gunicorn's threaded worker, answering a request it cannot read (a
    malformed or overlong request line, too many or too large headers) with
    a JSON error in the API's shape rather than an HTML page: such a request
    never reaches the app, which answers every other error under /api/."""

    def handle_error(self, req, client, addr, exc):
        if not isinstance(exc, ParseException):
            return super().handle_error(req, client, addr, exc)
        status = getattr(exc, "code", 400)
        if isinstance(exc, LimitRequestLine):
            status = 414
        elif isinstance(exc, LimitRequestHeaders):
            status = 431
        reason = HTTPStatus(status).phrase
        self.log.warning("Invalid request from %s: %s", (addr or ("?",))[0], exc)
        message = f"{reason.lower()}: {exc}"[:300]
        body = json.dumps({"error": {"status": status, "message": message}}).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            util.write_nonblock(client, head.encode("latin-1") + body)
        return None


def warm(worker) -> None:
    """Read the registry and the index's arrays before the first request, which
    would otherwise pay for them (most of a second on a large archive)."""
    worker.wsgi.extensions["archive"].warm()


def raise_open_files_limit() -> None:
    """Allow as many open files as the system lets this process have.

    Every thread's searcher keeps a few files of each segment open; the usual
    default soft limit (1,024) is short for an index of many segments.
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
