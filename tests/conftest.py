"""Shared fixtures: archive homes with real corpora and real Whoosh indexes in temp folders."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import create_app
from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.search import SearchService
from archive.users import Users

DATA = Path(__file__).parent / "data"
PROJECT = Path(__file__).resolve().parents[1]


def copy_home(source: Path, target: Path) -> Path:
    shutil.copytree(source / "corpus", target / "corpus")
    return target


@pytest.fixture
def sample_home(tmp_path: Path) -> Path:
    """A copy of tests/data/sample: five documents (two Arabic) and a small registry."""
    return copy_home(DATA / "sample", tmp_path / "home")


@pytest.fixture
def indexed_home(sample_home: Path) -> Path:
    Index(sample_home).rebuild(Corpus(sample_home))
    return sample_home


@pytest.fixture
def service(indexed_home: Path):
    with SearchService(indexed_home) as service:
        yield service


@pytest.fixture(scope="session")
def bundled_home(tmp_path_factory) -> Path:
    """The bundled corpus, indexed once for the whole session (read-only use)."""
    home = copy_home(PROJECT, tmp_path_factory.mktemp("bundled"))
    Index(home).rebuild(Corpus(home))
    return home


@pytest.fixture(scope="session")
def bundled(bundled_home: Path):
    with SearchService(bundled_home) as service:
        yield service


@pytest.fixture
def run_cli():
    """Run the `archive` command in-process; returns click's Result."""
    from archive.cli import cli

    runner = CliRunner()

    def run(*args: str, home: Path | None = None, input: str | None = None):
        options = ["--home", str(home)] if home else []
        return runner.invoke(cli, [*options, *args], input=input, catch_exceptions=True)

    return run


def write_doc(home: Path, relpath: str, text: str) -> Path:
    path = home / "corpus" / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def app(indexed_home: Path):
    from archive import create_app

    app = create_app({"TESTING": True, "HOME": str(indexed_home), "SECRET_KEY": "test"})
    yield app
    app.extensions["archive"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(bundled_home: Path):
    """The real app served over HTTP from a thread on a free port, bundled corpus."""
    from archive import create_app
    from benchmarks.web import in_thread

    app = create_app({"HOME": str(bundled_home), "SECRET_KEY": "test"})
    with in_thread(app) as base:
        yield base
    app.extensions["archive"].close()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (browser downloads are not used)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def answers(url: str) -> bool:
    """Whether a server answers `url` with 200 (False while it is down)."""
    try:
        return urllib.request.urlopen(url, timeout=5).status == 200
    except OSError:
        return False


#: The password of the archivists the tests sign in as.
PASSWORD = "correct horse battery"


def make_app(home, **config):
    settings = {"TESTING": True, "HOME": str(home), "SECRET_KEY": "test", **config}
    return create_app(settings)


@pytest.fixture
def archive_app(indexed_home):
    """The app with an archivist "alice" (CSRF off, for posting forms directly)."""
    Users(indexed_home).add("alice", PASSWORD)
    app = make_app(indexed_home, WTF_CSRF_ENABLED=False)
    yield app
    app.extensions["archive"].close()


def run_with_changed_package(tmp_path: Path, change, script: str) -> dict:
    """What `script` prints last (one JSON object), run in a fresh Python on a
    copy of the package (its templates, static files and catalogues beside it,
    as in a source tree) after `change(package folder)`, with a copy of the
    sample corpus as the archive home (the script's first argument)."""
    import json
    import subprocess
    import sys

    package = tmp_path / "src" / "archive"
    shutil.copytree(PROJECT / "src" / "archive", package)
    change(package)
    for folder in ("templates", "static", "translations"):
        if (PROJECT / folder).is_dir():
            shutil.copytree(PROJECT / folder, tmp_path / folder)
    home = copy_home(DATA / "sample", tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-c", script, str(home)],
        env={"PYTHONPATH": str(tmp_path / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])
