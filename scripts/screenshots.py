"""Screenshots for docs/screenshots/: the search page in Arabic and English, an
Arabic document page, and an Arabic-speaking archivist's review of an upload
with a Latin file name and the document page it makes.

Run with ``make screenshots`` (it needs the test dependencies and Debian's
chromium). Serves the bundled corpus on a free local port (the archivist's
pages from a copy of it, with a temporary account) and drives chromium
through Playwright. `tests/test_browser_archivists.py` walks the same path.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from archive import create_app
from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.users import Users

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.web import in_thread  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SHOTS = {
    "search-ar.png": "/ar/search?q=%D9%85%D8%B5%D8%B1",
    "search-en.png": "/en/search?q=Egypt",
    "document-ar.png": "/ar/documents/omar-radi-case-ar",
}


#: An Arabic statement saved under a Latin file name, signed by organisations
#: the registry does not know.
UPLOAD_NAME = "amman-statement.txt"
UPLOAD_TEXT = """بيان مشترك بشأن مراقبة الصحفيين

عمّان، 26 تموز 2021

تدعو المنظمات الموقعة أدناه إلى وقف استخدام برامج التجسس ضد الصحفيين.

المنظمات الموقعة:

Digital Rights Watch Amman
Press Freedom Collective
"""
ARCHIVIST, PASSWORD = "archivist", "screenshots only, not kept"


def upload_for_review(page, base: str, folder: Path, password: str = PASSWORD) -> None:
    """Sign in to the Arabic pages, upload `UPLOAD_TEXT` as `UPLOAD_NAME`, and
    stop on the review page."""
    page.goto(f"{base}/ar/archivists/login")
    page.fill("input[name=name]", ARCHIVIST)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()
    upload = folder / UPLOAD_NAME
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    page.goto(f"{base}/ar/archivists/")
    page.set_input_files("input[type=file]", str(upload))
    with page.expect_navigation(url=lambda url: "/ar/archivists/review/" in url):
        page.locator("form[enctype] button[type=submit]").first.click()


def save_review(page) -> None:
    """Save the reviewed upload and stop on its document page."""
    with page.expect_navigation(url=lambda url: "/ar/documents/" in url):
        page.locator("form.form button[type=submit]").first.click()


def archivist_shots(browser, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="archive-shots-") as folder:
        home = Path(folder)
        shutil.copytree(ROOT / "corpus", home / "corpus")
        Index(home).rebuild(Corpus(home))
        Users(home).add(ARCHIVIST, PASSWORD)
        app = create_app({"HOME": str(home)})
        with in_thread(app) as base:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            upload_for_review(page, base, home)
            page.screenshot(path=str(out / "review-ar.png"), full_page=True)
            save_review(page)
            page.screenshot(path=str(out / "document-latin-values-ar.png"), full_page=False)
            print(out / "review-ar.png", out / "document-latin-values-ar.png")
        app.extensions["archive"].close()


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
        archivist_shots(browser, out)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
