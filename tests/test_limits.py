"""Exports and distant pages: a few at a time per client, across server processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from archive import create_app

#: Expensive requests and their answer when a slot is free (the sample has
#: five documents: page 11 of the site leads to the last page).
EXPENSIVE = [
    ("/en/search/export.csv?q=rights", 200),
    ("/ar/search/export.json?q=rights", 200),
    ("/en/search?q=rights&page=11", 302),
    ("/api/search?q=rights&page=12", 200),
]
CHEAP = ["/en/search?q=rights", "/api/search?q=rights&page=2", "/en/documents"]


@pytest.fixture
def limited(indexed_home):
    app = create_app(
        {"TESTING": True, "HOME": str(indexed_home), "SECRET_KEY": "t", "EXPENSIVE_PER_CLIENT": 1}
    )
    yield app
    app.extensions["archive"].close()


@pytest.mark.parametrize(("url", "answer"), EXPENSIVE)
def test_an_expensive_request_beyond_the_clients_slots_is_answered_429_at_once(
    limited, url, answer
):
    client = limited.test_client()
    slots = limited.extensions["archive.slots"]
    with slots.held("127.0.0.1") as held:
        assert held
        response = client.get(url)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "5"
        wait = "بعد 5 ثوانٍ" if url.startswith("/ar/") else "try again in 5 seconds"
        assert wait in response.get_data(as_text=True)
        # Another address has its own slots.
        other = client.get(url, environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert other.status_code == answer
    assert client.get(url).status_code == answer  # the slot is free again


@pytest.mark.parametrize("url", CHEAP)
def test_ordinary_requests_never_wait_for_a_slot(limited, url):
    with limited.extensions["archive.slots"].held("127.0.0.1"):
        assert limited.test_client().get(url).status_code in (200, 404)


def test_the_message_is_in_the_readers_language(limited):
    with limited.extensions["archive.slots"].held("127.0.0.1"):
        body = limited.test_client().get("/ar/search/export.json?q=rights").get_data(as_text=True)
    assert "أعد المحاولة بعد 5 ثوانٍ" in body


def test_a_slot_held_by_another_process_counts_and_is_freed_when_it_dies(limited):
    # The limit holds across the processes of `archive serve`.
    folder = limited.extensions["archive.slots"].folder
    holder = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from archive.web.limits import Slots
        with Slots(Path({str(folder)!r}), 1).held("127.0.0.1") as held:
            print(held, flush=True)
            time.sleep(60)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "True"
        assert limited.test_client().get(EXPENSIVE[0][0]).status_code == 429
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    assert limited.test_client().get(EXPENSIVE[0][0]).status_code == 200
