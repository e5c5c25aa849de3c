"""Web security: redirects after sign-in, the sign-in throttle under races, sessions
after sign-out, other archivists' uploads, ids only restricted documents use,
CSV exports, absolute URLs and bidirectional controls in titles and file names."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from archive.backends.whoosh.indexing import Index
from archive.config import from_environment
from archive.corpus import Corpus
from archive.errors import ArchiveError
from archive.search import SearchService
from archive.users import FREE_ATTEMPTS, MAX_WAIT, LoginThrottle, Sessions, Users
from archive.web.feeds import spreadsheet_cell

from .conftest import PASSWORD, make_app, write_doc
from .test_restricted import restricted_home  # noqa: F401 (a fixture)


def sign_in(app, name: str = "alice"):
    client = app.test_client()
    response = client.post("/en/archivists/login", data={"name": name, "password": PASSWORD})
    assert response.status_code == 302
    return client


LETTER = b"A letter about detention in Egypt.\n"


def upload(client, data: bytes, name: str):
    return client.post(
        "/en/archivists/upload",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


# --- Redirect after signing in ----------------------------------------------------------------


def as_a_browser_reads(location: str):
    """A Location as browsers parse it: tabs and newlines dropped, backslashes as slashes."""
    for char in "\t\n\r":
        location = location.replace(char, "")
    return urlsplit(location.strip(" ").replace("\\", "/"))


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "%09//evil.example",
        "%20//evil.example",
        "/%5Cevil.example",
        "%5C%5Cevil.example",
        "///evil.example",
        "/.//evil.example",
        "//evil.example/",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "/en/archivists/%0d%0aSet-Cookie:%20taken=1",
        "/en/%00",
    ],
)
def test_sign_in_stays_on_this_site_whatever_next_says(archive_app, target):
    client = archive_app.test_client()
    response = client.post(
        f"/en/archivists/login?next={target}", data={"name": "alice", "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    seen = as_a_browser_reads(location)
    assert not seen.scheme and not seen.netloc, location
    assert seen.path.startswith("/") and not seen.path.startswith("//"), location
    assert "evil.example" not in seen.netloc + seen.path[:2]
    assert not any(ord(char) < 0x20 for char in location), location


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/en/archivists/audit", "/en/archivists/audit"),
        ("/fr/search?q=%C3%A9gypte%26country=EG", "/fr/search?q=%C3%A9gypte&country=EG"),
        ("/en/archivists/%09audit", "/en/archivists/audit"),
        ("", "/en/archivists/"),
    ],
)
def test_sign_in_returns_to_the_page_asked_for(archive_app, target, expected):
    client = archive_app.test_client()
    response = client.post(
        f"/en/archivists/login?next={target}", data={"name": "alice", "password": PASSWORD}
    )
    assert response.headers["Location"] == expected


# --- The sign-in throttle under simultaneous attempts -------------------------------------------

RACERS = 16


def test_simultaneous_sign_ins_after_the_wait_reach_the_password_check_once(
    archive_app, indexed_home, monkeypatch
):
    now = [1000.0]
    throttle = LoginThrottle(indexed_home / "instance" / "logins.sqlite", clock=lambda: now[0])
    archive_app.extensions["archive.throttle"] = throttle
    for _ in range(FREE_ATTEMPTS):
        throttle.failed("alice", "127.0.0.1")
    now[0] += MAX_WAIT + 1  # the wait is over: one more attempt may be heard
    checked = []
    verify = Users.verify

    def counted(self, name, password):
        checked.append(name)
        return verify(self, name, password)

    monkeypatch.setattr(Users, "verify", counted)
    start = threading.Barrier(RACERS)

    def attempt(_):
        client = archive_app.test_client()
        start.wait()
        response = client.post("/en/archivists/login", data={"name": "alice", "password": "no"})
        return response.status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = sorted(pool.map(attempt, range(RACERS)))
    assert len(checked) == 1
    assert statuses == [401] + [429] * (RACERS - 1)


def test_the_throttle_lets_one_of_many_simultaneous_attempts_through(tmp_path):
    """Each racer has its own connection to the file, as each server process has."""
    path = tmp_path / "logins.sqlite"
    LoginThrottle(path)  # created before the race
    start = threading.Barrier(RACERS)

    def attempt(_):
        throttle = LoginThrottle(path)
        start.wait()
        return throttle.attempt("a", "1.2.3.4")

    with ThreadPoolExecutor(RACERS) as pool:
        waits = list(pool.map(attempt, range(RACERS)))
    assert waits.count(0) == FREE_ATTEMPTS
    assert all(wait > 0 for wait in waits if wait)


def test_a_successful_attempt_clears_the_count(tmp_path):
    throttle = LoginThrottle(tmp_path / "logins.sqlite")
    for _ in range(FREE_ATTEMPTS):
        assert throttle.attempt("a", "1.2.3.4") == 0
    assert throttle.attempt("a", "1.2.3.4") > 0
    throttle.succeeded("a", "1.2.3.4")
    assert throttle.attempt("a", "1.2.3.4") == 0


# --- Signing out ends the session -------------------------------------------------------------


def replay(app, client):
    """A new client holding the session cookie `client` has now."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def test_a_session_cookie_replayed_after_sign_out_is_refused(archive_app):
    client = sign_in(archive_app)
    restricted = "/en/documents/raissouni-case-en"
    client.post("/en/archivists/documents/raissouni-case-en/access", data={"access": "restricted"})
    copy = replay(archive_app, client)
    assert copy.get("/en/archivists/").status_code == 200
    assert copy.get(restricted).status_code == 200
    assert client.post("/en/archivists/logout").status_code == 302
    response = copy.get("/en/archivists/")
    assert response.status_code == 302 and "/archivists/login" in response.headers["Location"]
    assert copy.get(restricted).status_code == 404
    assert "Sign out" not in copy.get("/en/").get_data(as_text=True)


def test_signing_out_ends_only_that_session(archive_app):
    laptop, phone = sign_in(archive_app), sign_in(archive_app)
    laptop.post("/en/archivists/logout")
    assert phone.get("/en/archivists/").status_code == 200
    assert laptop.get("/en/archivists/").status_code == 302


def test_a_session_ends_its_hours_after_signing_in(tmp_path):
    now = [0.0]
    sessions = Sessions(tmp_path / "sessions.sqlite", hours=12, clock=lambda: now[0])
    session_id = sessions.start("alice")
    now[0] += 12 * 3600 - 1
    assert sessions.holder(session_id) == "alice"
    now[0] += 2
    assert sessions.holder(session_id) is None


# --- Staged uploads belong to whoever uploaded them ------------------------------------------


def test_another_archivist_cannot_discard_someone_elses_upload(archive_app, indexed_home):
    Users(indexed_home).add("bob", PASSWORD)
    alice, bob = sign_in(archive_app, "alice"), sign_in(archive_app, "bob")
    review = upload(alice, LETTER, "letter.txt").headers["Location"]
    assert bob.get(review).status_code == 404
    assert bob.post(f"{review}/discard").status_code == 404
    assert alice.get(review).status_code == 200
    assert alice.post(f"{review}/discard").status_code == 302
    assert alice.get(review).status_code == 404


# --- CSV exports ----------------------------------------------------------------------------------

#: Titles a spreadsheet would read as formulas (the corpus trims a leading tab or CR).
FORMULAS = ('=HYPERLINK("http://evil.example")', "+1+2", "-2+3", "@SUM(A1)")
BULK = 130  # more hits than one page of the largest size


def statement(doc_id: str, title: str, organisation: str = "gchr") -> str:
    return (
        f"---\nid: {doc_id}\ntitle: {json.dumps(title)}\ntype: statement\nlanguage: en\n"
        f"date: 2022-01-15\ncountries: [EG]\norganisations: [{organisation}]\n---\n"
        "A statement on detention in Egypt.\n"
    )


@pytest.fixture
def bulk_app(sample_home):
    for n in range(BULK):
        title = FORMULAS[n] if n < len(FORMULAS) else f"Statement {n}"
        write_doc(sample_home, f"statement/2022/bulk-{n}.md", statement(f"bulk-{n}", title))
    Index(sample_home).rebuild(Corpus(sample_home))
    app = make_app(sample_home, EXPORT_LIMIT=BULK - 10)
    yield app
    app.extensions["archive"].close()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_cells_never_start_a_formula(bulk_app):
    rows = csv_rows(bulk_app.test_client().get("/en/search/export.csv?q=detention&sort=date"))
    titles = {row[0]: row[1] for row in rows[1:]}
    for n, formula in enumerate(FORMULAS):
        assert titles[f"bulk-{n}"] == "'" + formula
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_a_formula_is_quoted(start):
    assert spreadsheet_cell(f"{start}1+2") == f"'{start}1+2"
    assert spreadsheet_cell(f"a{start}1") == f"a{start}1"


def test_an_export_is_one_pass_over_the_hits(bulk_app, monkeypatch):
    service = bulk_app.extensions["archive"]
    calls = []
    search = service.search

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return search(*args, **kwargs)

    monkeypatch.setattr(service, "search", counted)
    client = bulk_app.test_client()
    for path in ("/en/search/export.csv?q=detention", "/en/search/export.json?q=detention"):
        calls.clear()
        response = client.get(path)
        assert response.status_code == 200
        assert len(calls) == 1, path
    assert len(csv_rows(client.get("/en/search/export.csv?q=detention"))) == 1 + BULK - 10


# --- Ids that only restricted documents use ------------------------------------------------------

#: Ids used only by the restricted case of tests/test_restricted.py, and ids nothing uses.
HIDDEN = {"person": "hidden-witness", "org": "hidden-helpers", "country": "SY"}
UNKNOWN = {"person": "nobody-known", "org": "no-such-org", "country": "XX"}
VISIBLE = {"person": "jamal-khashoggi", "org": "gchr", "country": "EG"}
FILTERED_PAGES = (
    "/en/search?{param}={value}",
    "/ar/search?q=Egypt&{param}={value}",
    "/fr/search?{param}={visible}&{param}={value}",
    "/en/search/feed?{param}={value}",
    "/en/search/export.csv?{param}={value}",
    "/en/search/export.json?{param}={value}",
    "/en/people/jamal-khashoggi?{param}={value}",
    "/en/countries/EG?{param}={value}&{param}=also-unknown",
    "/api/search?{param}={value}",
)


@pytest.fixture
def restricted_app(restricted_home):  # noqa: F811 (the fixture imported above)
    Users(restricted_home).add("alice", PASSWORD)
    app = make_app(restricted_home, WTF_CSRF_ENABLED=False)
    yield app
    app.extensions["archive"].close()


def answer(client, page: str, param: str, value: str) -> tuple[int, str]:
    response = client.get(page.format(param=param, value=value, visible=VISIBLE[param]))
    return response.status_code, response.get_data(as_text=True).replace(value, "VALUE")


@pytest.mark.parametrize("page", FILTERED_PAGES)
@pytest.mark.parametrize("param", sorted(HIDDEN))
def test_an_id_only_restricted_documents_use_answers_as_an_unknown_id(restricted_app, page, param):
    client = restricted_app.test_client()
    hidden = answer(client, page, param, HIDDEN[param])
    assert hidden == answer(client, page, param, UNKNOWN[param])
    assert hidden[0] == 400


def test_archivists_may_filter_on_ids_of_restricted_documents(restricted_app):
    client = sign_in(restricted_app)
    for param, value in HIDDEN.items():
        response = client.get(f"/en/search?{param}={value}")
        assert response.status_code == 200
        assert "protected-witness-case" in response.get_data(as_text=True)
        # The API shows public documents only, to everyone.
        assert client.get(f"/api/search?{param}={value}").status_code == 400


# --- Absolute URLs --------------------------------------------------------------------------------

BASE = "https://archive.example.org"
ABSOLUTE_PAGES = (
    "/sitemap.xml",
    "/robots.txt",
    "/en/opensearch.xml",
    "/en/feed",
    "/ar/search/feed?q=Egypt",
    "/en/search/export.csv?q=Egypt",
    "/en/documents/spyware-letter-en",
    "/fr/documents/spyware-letter-en/cite?p=2",
)


@pytest.mark.parametrize("path", ABSOLUTE_PAGES)
def test_absolute_urls_use_the_configured_base_url_not_the_host_header(indexed_home, path):
    app = make_app(indexed_home, BASE_URL=BASE + "/")
    response = app.test_client().get(path, base_url="http://evil.example")
    app.extensions["archive"].close()
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "evil.example" not in body
    assert f"{BASE}/" in body and f"{BASE}//" not in body


@pytest.mark.parametrize("path", ABSOLUTE_PAGES)
def test_without_a_base_url_absolute_urls_follow_the_request(client, path):
    body = client.get(path, base_url="http://archive.test").get_data(as_text=True)
    assert "http://archive.test/" in body


def test_the_base_url_is_read_from_the_environment():
    found = from_environment({"ARCHIVE_BASE_URL": BASE})
    assert found == {"BASE_URL": BASE}


@pytest.mark.parametrize("value", ["archive.example.org", "ftp://archive.example.org", "https://"])
def test_a_base_url_that_is_not_an_address_is_refused_at_start(indexed_home, value):
    with pytest.raises(ArchiveError, match="BASE_URL: must be an address"):
        make_app(indexed_home, BASE_URL=value)


# --- Bidirectional controls in titles and file names --------------------------------------------

#: Every bidirectional control: embeddings and overrides, isolates, marks.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
TRICK_ID = "bidi-trick-letter"
TRICK_TITLE = "Invoice \u202egpj.exe\u2066 and \u200fthe rest"
TRICK_FILE = "scan\u202efdp.exe"


def controls(text: str) -> list[str]:
    return [f"U+{ord(char):04X}" for char in text if char in BIDI]


def outside_isolation(page: str) -> str:
    """An HTML page without what browsers isolate: <bdi> elements, elements with
    a dir attribute (HTML's rendering rules isolate them too) and form fields."""
    isolated = (
        r"<bdi\b[^>]*>.*?</bdi>|<textarea\b[^>]*>.*?</textarea>|<input\b[^>]*>"
        r'|<(\w+)\b[^>]*\sdir="(?:auto|ltr|rtl)"[^>]*>[^<]*</\1>'
    )
    return re.sub(isolated, "", page, flags=re.S)


@pytest.fixture
def bidi_app(sample_home):
    text = statement(TRICK_ID, TRICK_TITLE).replace(
        "---\nA statement", f"original_name: {json.dumps(TRICK_FILE)}\n---\nA statement"
    )
    write_doc(sample_home, f"letter/2022/{TRICK_ID}.md", text)
    Index(sample_home).rebuild(Corpus(sample_home))
    Users(sample_home).add("alice", PASSWORD)
    app = make_app(sample_home, WTF_CSRF_ENABLED=False)
    yield app
    app.extensions["archive"].close()


def test_the_trick_document_is_found(bidi_app):
    page = bidi_app.test_client().get(f"/en/documents/{TRICK_ID}").get_data(as_text=True)
    assert "gpj.exe" in page and controls(page)


@pytest.mark.parametrize(
    "path",
    [
        f"/en/documents/{TRICK_ID}",
        f"/ar/documents/{TRICK_ID}/cite?p=1",
        "/en/search?q=invoice",
        "/fr/",
        "/en/search?q=%E2%80%AEdetention",
        "/en/archivists/",
    ],
)
def test_html_pages_isolate_or_strip_bidi_controls(bidi_app, path):
    page = sign_in(bidi_app).get(path).get_data(as_text=True)
    assert controls(outside_isolation(page)) == []
    assert controls(re.search(r"<title>(.*?)</title>", page, flags=re.S).group(1)) == []


@pytest.mark.parametrize(
    "path", ["/en/search/feed?q=invoice", "/en/feed", "/en/search/export.csv?q=invoice"]
)
def test_feeds_and_csv_exports_strip_bidi_controls(bidi_app, path):
    body = bidi_app.test_client().get(path).get_data(as_text=True)
    assert "gpj.exe" in body
    assert controls(body) == []


def test_citations_strip_bidi_controls(bidi_app):
    from archive import citation

    with SearchService(bidi_app.config["HOME"]) as service:
        document = service.document(TRICK_ID)
    url, site = "https://archive.example.org/en/documents/x", "Archive"
    assert controls(citation.plain(document, url, site, "en", 1)) == []
    assert controls(citation.bibtex(document, url, site, "en")) == []
    assert controls(json.dumps(citation.csl_json(document, url, site), ensure_ascii=False)) == []
    assert "Invoice gpj.exe and the rest" in citation.plain(document, url, site, "en")


def test_an_uploaded_file_name_loses_its_bidi_controls(bidi_app):
    client = sign_in(bidi_app)
    response = upload(client, LETTER, "note\u202etxt.exe.txt")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "notetxt.exe.txt" in page
    assert controls(page) == []
    refused = upload(client, b"", "empty\u202etxt.exe.txt").get_data(as_text=True)
    assert "emptytxt.exe.txt" in refused
    assert controls(refused) == []
