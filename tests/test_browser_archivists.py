"""An Arabic-speaking archivist in a real browser: an upload with a Latin file
name and signatories not in the registry, reviewed and saved in Arabic. Values
take the page's direction (right to left) whatever their first letter."""

from __future__ import annotations

import pytest

from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.users import Users

from .conftest import DATA, PROJECT, copy_home, make_app


def _screenshots_script():
    """scripts/screenshots.py, which walks the same path to take its pictures."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "screenshots", PROJECT / "scripts" / "screenshots.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shots = _screenshots_script()

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def archivist_site(tmp_path_factory):
    from benchmarks.web import in_thread

    home = copy_home(DATA / "sample", tmp_path_factory.mktemp("archivist-site"))
    Index(home).rebuild(Corpus(home))
    Users(home).add(shots.ARCHIVIST, shots.PASSWORD)
    app = make_app(home)
    with in_thread(app) as base:
        yield base, home
    app.extensions["archive"].close()


def right_aligned(page, value: str, container: str) -> bool:
    """Whether `value` (in a <bdi> inside `container`) ends at the right edge of
    the block that holds it, as text in a right-to-left page does."""
    value = page.locator(f"{container} bdi", has_text=value).first
    held = value.bounding_box()
    block = value.locator("xpath=..").bounding_box()
    return abs((held["x"] + held["width"]) - (block["x"] + block["width"])) < 2


def test_an_arabic_upload_with_latin_values_reads_right_to_left(page, archivist_site, tmp_path):
    base, _ = archivist_site
    shots.upload_for_review(page, base, tmp_path)

    # The review page: signatories not in the registry sit on the right.
    signatories = "main li ul"
    assert page.locator(signatories).evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert right_aligned(page, "Digital Rights Watch Amman", signatories)

    shots.save_review(page)
    # Its Arabic title reads right to left (a <bdi> inside a dir="auto" heading
    # hid the title from it, and the heading took the left).
    assert page.locator("h1").evaluate("e => getComputedStyle(e).direction") == "rtl"
    # The document page: the original file's Latin name sits on the right too.
    metadata = "dl.metadata"
    assert page.locator(metadata).evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert right_aligned(page, shots.UPLOAD_NAME, metadata)
