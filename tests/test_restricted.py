"""Restricted documents do not exist for anyone but signed-in archivists.

The restricted case below shares words, countries, organisations and a person
with public documents, and also has a word, a country, an organisation and a
person of its own. Every public endpoint is checked for each of them.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import unquote_plus

import pytest

from archive import create_app
from archive.backends import open_backend
from archive.backends.whoosh import merging
from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.search import SearchService
from archive.users import Users

from .conftest import write_doc

SECRET_ID = "protected-witness-case"
SECRET_WORD = "zorglubovich"
SECRET = f"""---
id: {SECRET_ID}
title: Protected witness in the Egypt spyware case
type: case
language: en
date: 2021-07-30
countries: [EG, MA, SY]
organisations: [gchr, nso-group, hidden-helpers]
people: [jamal-khashoggi, hidden-witness]
subject: hidden-witness
status: detained
access: restricted
---
The witness {SECRET_WORD} told journalists in Egypt how spyware sold by NSO Group was used.

The organisations call for the witness to be protected.
"""
ANONYMOUS_PAGES = (
    "/{lang}/",
    "/{lang}/search",
    "/{lang}/search?q=Egypt",
    "/{lang}/search?q=spyware+journalists",
    f"/{{lang}}/search?q={SECRET_WORD}",
    "/{lang}/search?q=zorglu*",
    "/{lang}/search?q=witness",
    "/{lang}/search?q=Zorglubovic",
    "/{lang}/search?country=SY",
    "/{lang}/search?org=hidden-helpers",
    "/{lang}/search?person=hidden-witness",
    "/{lang}/search?q=person:hidden-witness",
    "/{lang}/search?q=Hidden+Witness",
    "/{lang}/search?year=2021&month=2021-07",
    "/{lang}/countries/",
    "/{lang}/organisations/",
    "/{lang}/people/",
    "/{lang}/countries/EG",
    "/{lang}/organisations/gchr",
    "/{lang}/people/jamal-khashoggi",
    "/{lang}/documents/spyware-letter-en",
    "/{lang}/documents/spyware-letter-ar",
    "/{lang}/feed",
    "/{lang}/search/feed?q=Egypt",
    "/{lang}/search/export.csv?q=Egypt",
    "/{lang}/search/export.json?q=Egypt",
    "/{lang}/opensearch.xml",
    "/api/search?q=Egypt",
    f"/api/search?q={SECRET_WORD}",
    "/api/search?q=witness&country=EG",
    "/api/documents/spyware-letter-en",
    "/api/documents/spyware-letter-en/similar",
    "/sitemap.xml",
    "/robots.txt",
)
#: What must never appear in a public answer.
SECRETS = (
    SECRET_ID,
    SECRET_WORD,
    "Protected witness",
    "hidden-helpers",
    "Hidden Helpers",
    "hidden-witness",
    "Hidden Witness",
    "Syria",
    "SY",
)


@pytest.fixture
def restricted_home(indexed_home):
    registry = indexed_home / "corpus" / "registry"
    with open(registry / "organisations.yaml", "a", encoding="utf-8") as handle:
        handle.write(
            "- id: hidden-helpers\n  name: {en: Hidden Helpers, ar: المساعدون, fr: Aides}\n"
        )
    with open(registry / "people.yaml", "a", encoding="utf-8") as handle:
        handle.write("- id: hidden-witness\n  name: {en: Hidden Witness, ar: الشاهد, fr: Témoin}\n")
    write_doc(indexed_home, f"case/2021/{SECRET_ID}.md", SECRET)
    Index(indexed_home).update(Corpus(indexed_home))
    return indexed_home


@pytest.fixture
def public_only_home(sample_home):
    """The same archive without the restricted document, for comparison."""
    Index(sample_home).rebuild(Corpus(sample_home))
    return sample_home


#: A real OpenSearch cluster to run the leak tests against too (none can run
#: where this project's CI runs): see docs/scaling.md.
CLUSTER = os.environ.get("ARCHIVE_OPENSEARCH_URL")


@pytest.fixture(params=["whoosh", "opensearch"])
def leak_home(request, restricted_home, monkeypatch):
    """The archive with a restricted document on each backend: the embedded
    index, and an OpenSearch cluster when ARCHIVE_OPENSEARCH_URL names one."""
    monkeypatch.setenv("ARCHIVE_SEARCH_BACKEND", request.param)
    if request.param == "whoosh":
        yield restricted_home
        return
    if not CLUSTER:
        pytest.skip("no OpenSearch cluster: set ARCHIVE_OPENSEARCH_URL to run this against one")
    prefix = f"leaks-{os.getpid()}-{restricted_home.parent.name}".lower()
    monkeypatch.setenv("ARCHIVE_OPENSEARCH_INDEX", prefix)
    backend = open_backend(restricted_home)
    backend.rebuild(Corpus(restricted_home))
    yield restricted_home
    backend.client.indices.delete(index=f"{prefix}-*")
    backend.close()


@pytest.fixture
def anonymous(leak_home):
    app = create_app({"TESTING": True, "HOME": str(leak_home), "SECRET_KEY": "test"})
    yield app.test_client()
    app.extensions["archive"].close()


def leaks(body: str, asked: str = "") -> list[str]:
    """Secrets in an answer, except what the reader typed into the URL themselves."""
    asked = unquote_plus(asked).casefold()
    if "=sy" in asked or "/sy" in asked:
        asked += " syria"  # the country's name is what was asked for
    found = [s for s in SECRETS if s != "SY" and s in body and s.casefold() not in asked]
    if re.search(r"\bSY\b", body) and "sy" not in asked:
        found.append("SY")
    return found


@pytest.mark.parametrize("lang", ["ar", "en", "fr"])
@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_no_public_endpoint_mentions_the_restricted_document(anonymous, path, lang):
    url = path.format(lang=lang)
    response = anonymous.get(url)
    # An id only the restricted case uses answers as an unknown id does (400).
    assert response.status_code in (200, 400, 404), response.status_code
    assert leaks(response.get_data(as_text=True), url) == []


@pytest.mark.parametrize(
    "path",
    [
        f"/en/documents/{SECRET_ID}",
        f"/ar/documents/{SECRET_ID}/cite?p=1",
        f"/api/documents/{SECRET_ID}",
        f"/api/documents/{SECRET_ID}/similar",
        "/en/people/hidden-witness",
        "/en/organisations/hidden-helpers",
        "/en/countries/SY",
    ],
)
def test_the_restricted_document_and_its_own_entities_are_not_found_not_forbidden(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 404
    assert leaks(response.get_data(as_text=True), path) == []


def test_counts_totals_and_scores_are_those_of_an_archive_without_it(
    restricted_home, public_only_home
):
    with SearchService(restricted_home) as with_secret, SearchService(public_only_home) as without:
        for query in ("", "Egypt", "spyware journalists", "witness", "NSO", "protected"):
            a = with_secret.search(query, page_size=100).to_json()
            b = without.search(query, page_size=100).to_json()
            assert a == b, query


def test_suggestions_prefixes_and_similar_documents_ignore_it(leak_home):
    with SearchService(leak_home) as service:
        assert service.search("Zorglubovic").suggestion is None
        assert service.search("zorglu*").total == 0
        for doc_id in ("spyware-letter-en", "spyware-letter-ar", "egypt-detention-statement-en"):
            assert SECRET_ID not in [h.id for h in service.similar(doc_id)]
        assert not service.backend.view().frequency("exact", SECRET_WORD)
    if os.environ["ARCHIVE_SEARCH_BACKEND"] == "whoosh":  # nor in its word list
        with Index(leak_home).open("public").searcher() as searcher:
            assert SECRET_WORD.encode() not in set(searcher.reader().lexicon("exact"))


def test_archivists_see_it_marked_as_restricted(leak_home):
    Users(leak_home).add("alice", "correct horse battery")
    app = create_app(
        {
            "TESTING": True,
            "HOME": str(leak_home),
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = app.test_client()
    client.post("/en/archivists/login", data={"name": "alice", "password": "correct horse battery"})
    page = client.get(f"/en/search?q={SECRET_WORD}").get_data(as_text=True)
    assert SECRET_ID in page and "Restricted" in page
    document = client.get(f"/en/documents/{SECRET_ID}")
    assert document.status_code == 200 and document.headers["Cache-Control"] == "no-store"
    # The public machine interfaces stay public even for a signed-in archivist.
    assert SECRET_ID not in client.get("/api/search?q=witness").get_data(as_text=True)
    assert SECRET_ID not in client.get("/en/feed").get_data(as_text=True)
    assert SECRET_ID not in client.get("/sitemap.xml").get_data(as_text=True)
    app.extensions["archive"].close()


SCORE = re.compile(r'(?<="score":) ?[0-9.e-]+')


def _public_answers(home) -> tuple[dict[str, str], dict[str, list[float]]]:
    """Every public page's answer in Arabic and English (scores left out),
    and the scores each gives."""
    app = create_app({"TESTING": True, "HOME": str(home), "SECRET_KEY": "test"})
    client = app.test_client()
    try:
        extra = ("/{lang}/search?q=unconditio*", "/{lang}/search?q=unconditionaly")
        pages = (*ANONYMOUS_PAGES, *extra)
        urls = [path.format(lang=lang) for path in pages for lang in ("ar", "en")]
        answers = {url: client.get(url).get_data(as_text=True) for url in dict.fromkeys(urls)}
    finally:
        app.extensions["archive"].close()
    # Whoosh keeps field lengths in one lossy byte, and a merged segment's
    # totals are taken from those bytes: scores are compared to 1%.
    scores = {url: [float(x) for x in SCORE.findall(text)] for url, text in answers.items()}
    return {url: SCORE.sub("", text) for url, text in answers.items()}, scores


@pytest.mark.parametrize("merge_below", [100, 1], ids=["small-segment", "large-segment"])
def test_restricting_a_public_document_answers_at_once_as_if_it_had_never_been_public(
    restricted_home, monkeypatch, merge_below
):
    # A small segment is rewritten without the document; a large one keeps
    # it marked deleted, and searches must not tell the difference.
    monkeypatch.setattr(merging, "MERGE_BELOW", merge_below)
    path = restricted_home / "corpus" / "statement" / "2020" / "egypt-detention-statement-en.md"
    text = path.read_text(encoding="utf-8")
    assert "unconditional" in text
    path.write_text(
        text.replace("countries: [EG]", "countries: [EG]\naccess: restricted"), encoding="utf-8"
    )
    Index(restricted_home).update(Corpus(restricted_home))
    app = create_app({"TESTING": True, "HOME": str(restricted_home), "SECRET_KEY": "test"})
    client = app.test_client()
    assert client.get("/en/documents/egypt-detention-statement-en").status_code == 404
    assert json.loads(client.get("/api/search?q=detain").data)["total"] == 0
    app.extensions["archive"].close()
    # Every public answer (pages, prefixes, suggestions, counts and scores) is
    # the one the same archive gives when rebuilt with the document restricted.
    updated, updated_scores = _public_answers(restricted_home)
    Index(restricted_home).rebuild(Corpus(restricted_home))
    rebuilt, rebuilt_scores = _public_answers(restricted_home)
    assert [url for url in updated if updated[url] != rebuilt[url]] == []
    for url, scores in updated_scores.items():
        assert scores == pytest.approx(rebuilt_scores[url], rel=0.01), url
