"""Screenshots of the search page in Arabic and English, for docs/screenshots/.

Run with ``make screenshots`` (it needs the test dependencies and Debian's
chromium). Serves the bundled corpus on a free local port and drives chromium
through Playwright.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from archive import create_app
from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.web import in_thread  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SHOTS = {
    "search-ar.png": "/ar/search?q=%D9%85%D8%B5%D8%B1",
    "search-en.png": "/en/search?q=Egypt",
    "document-ar.png": "/ar/documents/omar-radi-case-ar",
}


def main(out: Path = ROOT / "docs" / "screenshots") -> None:
    Index(ROOT).update(Corpus(ROOT))
    out.mkdir(parents=True, exist_ok=True)
    with in_thread(create_app({"HOME": str(ROOT)})) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, path in SHOTS.items():
            page.goto(base + path)
            page.screenshot(path=str(out / name), full_page=False)
            print(out / name)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
