"""Serving the archive over HTTP: waitress, in one process or several sharing a port.

`archive serve` brings the index in line with the corpus, makes the app,
then calls `listen` and `serve`. Several processes accept on one socket (one
interpreter lock each); nothing of the index is open before they fork.
"""

from __future__ import annotations

import contextlib
import os
import socket

from .backends.whoosh.building import die_with_parent
from .errors import ArchiveError
from .i18n import N_


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port`, or an `ArchiveError` saying why not."""
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
    return listener


def serve(app, listener: socket.socket, threads: int, processes: int) -> None:
    """Serve `app` on `listener` until stopped, with `threads` per process."""
    raise_open_files_limit()
    if processes == 1:
        serve_process(app, listener, threads)
    else:
        serve_processes(app, listener, threads, processes)


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


def serve_process(app, listener, threads: int) -> None:
    import waitress

    # The first search would otherwise pay for reading the registry and the
    # index's arrays (most of a second on a large archive).
    app.extensions["archive"].warm()
    # Each thread's searcher holds a few files of every segment open, so a
    # large index takes the connections' descriptors past 1,024, where
    # select() fails and poll() does not.
    waitress.serve(
        app, sockets=[listener], threads=threads, ident="archive", asyncore_use_poll=True
    )


def serve_processes(app, listener, threads: int, processes: int) -> None:
    """Several processes accepting on one socket: one interpreter lock each.

    Nothing of the index is open before the processes fork (each opens its
    own searchers); writers share the index's file lock and failed logins are
    counted in one shared file. If one process dies, the others are stopped
    and the command fails, for the service manager to start it again.
    """
    import signal
    import traceback

    children = set()
    parent = os.getpid()
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # a child serves until it is stopped, or its parent dies
            status = 1
            try:
                die_with_parent(parent)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                serve_process(app, listener, threads)
                status = 0
            except BaseException:
                traceback.print_exc()  # os._exit below would swallow it
                raise
            finally:
                os._exit(status)
        children.add(pid)
    stopping = False

    def stop(*_) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed = False
    while children:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:
            failed = True
            stop()
    if failed:
        raise ArchiveError(N_("a server process stopped unexpectedly; the others were stopped too"))
