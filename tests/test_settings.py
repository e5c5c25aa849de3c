"""Every setting in the README's table has the effect the README says.

Settings exercised at length elsewhere are named here with their tests:
PAGE_SIZE and MAX_PAGE_SIZE (test_web), WRITE_TIMEOUT (test_cli),
EXPORT_LIMIT and BASE_URL (test_security), EXPENSIVE_PER_CLIENT
(test_limits), UPLOAD_MAX_BYTES (test_uploads), EXTRACT_SECONDS and
EXTRACT_MEMORY_MB (test_upload_budget), LANGUAGES (test_web), the backend
and the OpenSearch settings (test_opensearch). The others are shown here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from archive import create_app
from archive.users import Users

from .conftest import PROJECT, make_app

PASSWORD = "correct horse battery staple"
ELSEWHERE = {
    "PAGE_SIZE": "test_web.py",
    "MAX_PAGE_SIZE": "test_web.py",
    "WRITE_TIMEOUT": "test_cli.py",
    "EXPORT_LIMIT": "test_security.py",
    "BASE_URL": "test_security.py",
    "EXPENSIVE_PER_CLIENT": "test_limits.py",
    "UPLOAD_MAX_BYTES": "test_uploads.py",
    "EXTRACT_SECONDS": "test_upload_budget.py",
    "EXTRACT_MEMORY_MB": "test_upload_budget.py",
    "LANGUAGES": "test_web.py",
    **dict.fromkeys(
        (
            "SEARCH_BACKEND",
            "OPENSEARCH_URL",
            "OPENSEARCH_USER",
            "OPENSEARCH_PASSWORD",
            "OPENSEARCH_INDEX",
            "OPENSEARCH_SHARDS",
            "OPENSEARCH_REPLICAS",
            "OPENSEARCH_TIMEOUT",
        ),
        "test_opensearch.py",
    ),
}
HERE = {"HOME", "FEED_SIZE", "HIJRI_DATES", "SECRET_KEY", "SESSION_HOURS"}


def readme_settings() -> list[str]:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z_]+)` \|", table, re.M)


@pytest.mark.parametrize("name", readme_settings())
def test_every_readme_setting_has_a_test_of_its_effect(name):
    if name in HERE:  # a test below, named after the setting
        assert any(name.lower() in test for test in globals() if test.startswith("test_")), name
        return
    assert name in ELSEWHERE, f"{name}: no test shows its effect"
    source = (PROJECT / "tests" / ELSEWHERE[name]).read_text(encoding="utf-8")
    assert name in source


def test_home_from_the_environment(indexed_home, monkeypatch, run_cli):
    monkeypatch.setenv("ARCHIVE_HOME", str(indexed_home))
    monkeypatch.chdir(indexed_home.parent)
    app = create_app({"TESTING": True, "SECRET_KEY": "test"})
    assert app.test_client().get("/en/search?q=Raissouni").status_code == 200
    assert "raissouni" in app.test_client().get("/api/search?q=Raissouni").get_data(as_text=True)
    app.extensions["archive"].close()


def test_feed_size(indexed_home):
    for size in (1, 3):
        app = make_app(indexed_home, FEED_SIZE=size)
        feed = app.test_client().get("/en/feed").get_data(as_text=True)
        assert feed.count("</entry>") == size
        app.extensions["archive"].close()


def test_hijri_dates(indexed_home):
    shown = {}
    for setting in (True, False):
        app = make_app(indexed_home, HIJRI_DATES=setting)
        page = app.test_client().get("/ar/documents/raissouni-case-ar").get_data(as_text=True)
        shown[setting] = 'class="hijri"' in page
        app.extensions["archive"].close()
    assert shown == {True: True, False: False}


def test_a_generated_secret_key_is_kept_for_the_next_start(indexed_home):
    first = create_app({"TESTING": True, "HOME": str(indexed_home)})
    second = create_app({"TESTING": True, "HOME": str(indexed_home)})
    kept = (indexed_home / "instance" / "secret_key").read_bytes()
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] and kept
    for app in (first, second):
        app.extensions["archive"].close()


def test_session_hours(indexed_home):
    Users(indexed_home).add("alice", PASSWORD)
    for hours in (1, 30):
        app = make_app(indexed_home, SESSION_HOURS=hours, WTF_CSRF_ENABLED=False)
        response = app.test_client().post(
            "/en/archivists/login", data={"name": "alice", "password": PASSWORD}
        )
        cookies = response.headers.getlist("Set-Cookie")
        cookie = next(c for c in cookies if c.startswith("session="))
        expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
        lasts = expires - datetime.now(UTC)
        assert timedelta(hours=hours) - timedelta(minutes=5) < lasts <= timedelta(hours=hours)
        app.extensions["archive"].close()
