"""`archive serve` over real sockets: what a client that writes its own
requests meets (curl with an unencoded Arabic query, a proxy with a long URL
or large headers). Under /api/ every answer is JSON, whichever layer gives it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import answers

ARABIC = "مراقبه"


@pytest.fixture(scope="module")
def served(bundled_home):
    from benchmarks.web import free_port

    port = free_port()
    archive = Path(sys.executable).with_name("archive")
    server = subprocess.Popen(
        [str(archive), "--home", str(bundled_home), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not answers(f"http://127.0.0.1:{port}/en/") and time.monotonic() < deadline:
        time.sleep(0.2)
    yield port
    server.terminate()
    server.wait(20)


def raw(port: int, request: bytes) -> tuple[int, dict, bytes]:
    """Send `request` as it is; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def get(port: int, target: bytes, extra: bytes = b"") -> tuple[int, dict, bytes]:
    return raw(
        port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + b"\r\n"
    )


def test_an_unencoded_arabic_query_is_searched(served):
    status, headers, body = get(served, f"/api/search?q={ARABIC}".encode())
    assert status == 200 and headers["Content-Type"] == "application/json"
    answer = json.loads(body)
    assert answer["query"] == ARABIC and answer["total"] > 0


@pytest.mark.parametrize(
    ("target", "extra", "status"),
    [
        (b"/api/search?q=" + b"a" * 6000, b"", 414),
        (b"/api/search?q=a", b"X-Long: " + b"b" * 9000 + b"\r\n", 431),
        (b"/api/search?q=a b", b"", 400),
    ],
    ids=["long-request-line", "large-header", "space-in-target"],
)
def test_a_request_the_server_cannot_read_is_answered_in_json(served, target, extra, status):
    answered, headers, body = get(served, target, extra)
    assert answered == status
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["status"] == status and error["message"]
    assert len(error["message"]) <= 300 and "\n" not in error["message"]
