"""Screenshots of the search page in Arabic and English, for docs/screenshots/.

Run with ``make screenshots`` (it needs the test dependencies and Debian's
chromium). Serves the bundled corpus on a free local port with the real WSGI
server and drives chromium through Playwright.
"""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from waitress.server import create_server

from archive import create_app
from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SHOTS = {
    "search-ar.png": "/ar/search?q=%D9%85%D8%B5%D8%B1",
    "search-en.png": "/en/search?q=Egypt",
    "document-ar.png": "/ar/documents/omar-radi-case-ar",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(out: Path = ROOT / "docs" / "screenshots") -> None:
    Index(ROOT).update(Corpus(ROOT))
    port = free_port()
    server = create_server(create_app({"HOME": str(ROOT)}), host="127.0.0.1", port=port)
    threading.Thread(target=server.run, daemon=True).start()
    out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for name, path in SHOTS.items():
                page.goto(f"http://127.0.0.1:{port}{path}")
                page.screenshot(path=str(out / name), full_page=False)
                print(out / name)
            browser.close()
    finally:
        server.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
