"""Hostile text in documents, the registry and queries is shown, never run."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from archive import create_app
from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.document import Document, Event

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "<svg onload=alert(3)>",
    "javascript:alert(4)",
    "'\" onmouseover='alert(5)",
    "&lt;script&gt;alert(6)&lt;/script&gt;",
    "\u202e<script>alert(7)</script>\u202c",
    "<iframe src=javascript:alert(8)>",
    "%3Cscript%3Ealert(9)%3C/script%3E",
    '<a href="javascript:alert(10)">x</a>',
    '<math><mi xlink:href="javascript:alert(11)">x</mi></math>',
    "{{7*7}}<script>alert(12)</script>",
]


class _Dangers(HTMLParser):
    """Elements and attributes that would run script, as a browser would parse them."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("img", "iframe", "math", "object", "embed"):
            self.found.append(tag)
        if tag == "svg" and dict(attrs).get("class") != "histogram":  # ours: years, no script
            self.found.append(tag)
        if tag == "script" and dict(attrs).get("src") != "/static/archive.js":
            self.found.append("script")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"{tag} {name}={value}")


def dangers(body: str) -> list[str]:
    parser = _Dangers()
    parser.feed(body)
    return parser.found


JOINED = " ".join(PAYLOADS)


@pytest.fixture(scope="module")
def hostile_home(tmp_path_factory):
    from .conftest import DATA, copy_home

    home = copy_home(DATA / "sample", tmp_path_factory.mktemp("xss"))
    registry = home / "corpus" / "registry" / "organisations.yaml"
    with open(registry, "a", encoding="utf-8") as handle:
        handle.write(
            "- id: hostile-org\n  name: {en: '<script>alert(13)</script>', "
            "ar: '<img src=x onerror=alert(14)>', fr: '<svg onload=alert(15)>'}\n"
        )
    corpus = Corpus(home)
    corpus.write(
        Document(
            id="hostile-case",
            title=f"Case {PAYLOADS[0]} {PAYLOADS[1]}",
            type="case",
            language="en",
            date="2021-07-01",
            body="\n\n".join(f"Paragraph about Egypt {p}" for p in PAYLOADS),
            countries=("EG",),
            organisations=("hostile-org",),
            subject="jamal-khashoggi",
            status="detained",
            charges=tuple(PAYLOADS[:3]),
            sentence=PAYLOADS[2],
            events=(Event("2021-06", PAYLOADS[3] + " " + PAYLOADS[4]),),
        )
    )
    Index(home).rebuild(corpus)
    return home


@pytest.fixture(scope="module")
def client(hostile_home):
    app = create_app({"TESTING": True, "HOME": str(hostile_home), "SECRET_KEY": "test"})
    yield app.test_client()
    app.extensions["archive"].close()


def pages(lang: str) -> list[str]:
    query = urllib.parse.quote(JOINED[:900])
    return [
        f"/{lang}/search?q=Egypt",
        f"/{lang}/search?q={query}",
        f"/{lang}/search?q=Paragraph&org=hostile-org",
        f"/{lang}/documents/hostile-case",
        f"/{lang}/documents/hostile-case/cite?p=1",
        f"/{lang}/organisations/hostile-org",
        f"/{lang}/organisations/",
        f"/{lang}/",
        f"/{lang}/search?country={urllib.parse.quote(PAYLOADS[0])}",
        f"/{lang}/documents/{urllib.parse.quote(PAYLOADS[1])}",
        f"/{lang}/search?from={urllib.parse.quote(PAYLOADS[2])}",
    ]


@pytest.mark.parametrize("lang", ["ar", "en", "fr"])
def test_no_page_carries_a_payload_unescaped(client, lang):
    for path in pages(lang):
        response = client.get(path)
        assert dangers(response.get_data(as_text=True)) == [], path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(
        f"/{lang}/documents/hostile-case"
    ).get_data(as_text=True)


@pytest.mark.parametrize("path", ["/en/feed", "/ar/search/feed?q=Paragraph", "/en/opensearch.xml"])
def test_feeds_are_well_formed_and_carry_text_only(client, path):
    body = client.get(path).get_data(as_text=True)
    root = ET.fromstring(body)
    assert not [
        e for e in root.iter() if e.tag.lower().endswith(("script", "img", "svg", "iframe"))
    ]
    assert "<script" not in body


def test_exports_and_the_api_give_data_not_markup(client):
    csv = client.get("/en/search/export.csv?q=Paragraph")
    assert csv.mimetype == "text/csv"
    for path in (
        "/en/search/export.json?q=Paragraph",
        "/api/search?q=Paragraph",
        "/api/documents/hostile-case",
        f"/api/search?country={urllib.parse.quote(PAYLOADS[0])}",
    ):
        response = client.get(path)
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_javascript_url_cannot_be_a_source(hostile_home):
    corpus = Corpus(hostile_home)
    from archive.corpus import parse_document, render_document

    text = render_document(
        Document("x", "X", "letter", "en", "2021", "Body.", source="javascript:alert(1)")
    )
    document, problems = parse_document(text, "x.md")
    assert "source: must be an http(s) URL" in [f"{p.field}: {p.reason}" for p in problems]
    assert document.source is None
    del corpus


@pytest.mark.browser
def test_no_dialog_fires_in_a_real_browser(browser, hostile_home):
    from benchmarks.web import in_thread

    app = create_app({"HOME": str(hostile_home), "SECRET_KEY": "test"})
    context = browser.new_context()
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        with in_thread(app) as base:
            for lang in ("ar", "en"):
                for path in pages(lang):
                    page.goto(base + path)
                    page.mouse.move(200, 300)
                    page.mouse.move(600, 500)
        assert dialogs == []
    finally:
        context.close()
        app.extensions["archive"].close()
