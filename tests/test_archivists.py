"""Archivists: accounts, sign-in, protection of every route, CSRF, and the editing workflow."""

from __future__ import annotations

import re

import pytest

from archive.corpus import Corpus
from archive.history import History
from archive.users import FREE_ATTEMPTS, LoginThrottle, Users

from .conftest import PASSWORD, make_app, write_doc

#: Endpoints anyone may open. Everything else must demand a signed-in archivist.
PUBLIC_ENDPOINTS = {"static", "root", "archivists.login"}
#: Public endpoints that take a POST (signing in is how one becomes an archivist).
PUBLIC_POSTS = {"archivists.login"}
PUBLIC_BLUEPRINTS = {"public", "feeds", "api"}


@pytest.fixture
def signed_in(archive_app):
    client = archive_app.test_client()
    response = client.post("/en/archivists/login", data={"name": "alice", "password": PASSWORD})
    assert response.status_code == 302
    return client


# --- Accounts -----------------------------------------------------------------------------


def test_user_commands(run_cli, sample_home):
    result = run_cli("user", "add", "bob", home=sample_home, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    stored = (sample_home / "instance" / "users.json").read_text(encoding="utf-8")
    assert PASSWORD not in stored and "scrypt:" in stored
    assert "bob\tenabled" in run_cli("user", "list", home=sample_home).output
    assert run_cli("user", "disable", "bob", home=sample_home).exit_code == 0
    assert "bob\tdisabled" in run_cli("user", "list", home=sample_home).output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("user", "add", "bob"), "short\nshort\n", "password: use at least 12 characters"),
        (("user", "add", "Bob Smith"), f"{PASSWORD}\n{PASSWORD}\n", "name: use 2–32 lower-case"),
        (("user", "disable", "nobody"), None, "name: no archivist called 'nobody'"),
    ],
)
def test_user_command_errors(run_cli, sample_home, args, stdin, message):
    result = run_cli(*args, home=sample_home, input=stdin)
    assert result.exit_code == 2
    assert message in result.output


def test_passwords_must_be_typed_the_same_twice(run_cli, sample_home):
    result = run_cli("user", "add", "bob", home=sample_home, input=f"{PASSWORD}\nsomething else\n")
    assert result.exit_code != 0
    assert not (sample_home / "instance" / "users.json").exists()


# --- Signing in --------------------------------------------------------------------------


def test_sign_in_and_out(archive_app):
    client = archive_app.test_client()
    assert client.get("/en/archivists/").status_code == 302
    response = client.post(
        "/en/archivists/login?next=/en/archivists/audit",
        data={"name": "alice", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/en/archivists/audit"
    assert client.get("/en/archivists/").status_code == 200
    client.post("/en/archivists/logout")
    assert client.get("/en/archivists/").status_code == 302


def test_login_never_redirects_elsewhere(archive_app):
    client = archive_app.test_client()
    response = client.post(
        "/en/archivists/login?next=//evil.example/", data={"name": "alice", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/en/archivists/"


def test_wrong_password_is_refused_and_logged(archive_app, caplog):
    client = archive_app.test_client()
    response = client.post("/fr/archivists/login", data={"name": "alice", "password": "wrong"})
    assert response.status_code == 401
    assert "Nom ou mot de passe erroné" in response.get_data(as_text=True)
    assert "failed login for 'alice'" in caplog.text


def test_repeated_failures_are_slowed(archive_app):
    client = archive_app.test_client()
    for _ in range(FREE_ATTEMPTS):
        assert (
            client.post("/en/archivists/login", data={"name": "alice", "password": "x"}).status_code
            == 401
        )
    response = client.post("/en/archivists/login", data={"name": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1


def test_throttle_waits_grow_and_reset(tmp_path):
    now = [1000.0]
    throttle = LoginThrottle(tmp_path / "logins.sqlite", clock=lambda: now[0])
    for _ in range(FREE_ATTEMPTS):
        assert throttle.wait("a", "1.2.3.4") == 0
        throttle.failed("a", "1.2.3.4")
    first = throttle.wait("a", "1.2.3.4")
    throttle.failed("a", "1.2.3.4")
    assert throttle.wait("a", "1.2.3.4") > first > 0
    assert throttle.wait("a", "5.6.7.8") == 0
    now[0] += 10_000
    assert throttle.wait("a", "1.2.3.4") == 0
    throttle.succeeded("a", "1.2.3.4")


def test_a_disabled_account_cannot_sign_in_and_is_signed_out(archive_app, indexed_home):
    client = archive_app.test_client()
    client.post("/en/archivists/login", data={"name": "alice", "password": PASSWORD})
    Users(indexed_home).set_disabled("alice")
    assert client.get("/en/archivists/").status_code == 302
    assert (
        client.post(
            "/en/archivists/login", data={"name": "alice", "password": PASSWORD}
        ).status_code
        == 401
    )


def test_session_cookie_flags(indexed_home):
    Users(indexed_home).add("alice", PASSWORD)
    app = make_app(indexed_home, WTF_CSRF_ENABLED=False)
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        response = client.post(
            "/en/archivists/login", base_url=base, data={"name": "alice", "password": PASSWORD}
        )
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure
    app.extensions["archive"].close()


def test_every_form_needs_its_csrf_token(indexed_home):
    Users(indexed_home).add("alice", PASSWORD)
    app = make_app(indexed_home)
    client = app.test_client()
    page = client.get("/en/archivists/login").get_data(as_text=True)
    token = re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page
    ).group(1)
    assert (
        client.post(
            "/en/archivists/login", data={"name": "alice", "password": PASSWORD}
        ).status_code
        == 400
    )
    response = client.post(
        "/en/archivists/login", data={"name": "alice", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    for path in (
        "/en/archivists/documents/raissouni-case-en/delete",
        "/en/archivists/documents/raissouni-case-en/access",
        "/en/archivists/logout",
    ):
        assert client.post(path, data={"access": "restricted"}).status_code == 400
    assert (indexed_home / "corpus" / "case" / "2021" / "raissouni-case-en.md").exists()
    app.extensions["archive"].close()


def test_every_route_is_public_safe_or_requires_an_archivist(archive_app):
    """Fails when a new route is added without deciding who may use it."""
    client = archive_app.test_client()
    for rule in archive_app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0] if "." in rule.endpoint else ""
        if rule.endpoint in PUBLIC_ENDPOINTS or blueprint in PUBLIC_BLUEPRINTS:
            if rule.endpoint not in PUBLIC_POSTS:
                assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, f"public route {rule} posts"
            continue
        assert blueprint == "archivists", f"{rule.endpoint}: neither public nor an archivist route"
        values = {arg: "x" for arg in rule.arguments}
        values["lang"] = "en"
        path = rule.build(values, append_unknown=False)[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method)
            assert response.status_code == 302, f"{method} {path} answered {response.status_code}"
            assert "/en/archivists/login" in response.headers["Location"]


# --- Editing ----------------------------------------------------------------------------------


def test_edit_keeps_the_previous_version_and_can_restore_it(signed_in, indexed_home):
    form = signed_in.get("/en/archivists/documents/raissouni-case-en/edit").get_data(as_text=True)
    assert "five years in prison" in form
    data = {
        "id": "raissouni-case-en",
        "title": "Soulaimane Raissouni: editor sentenced",
        "type": "case",
        "language": "en",
        "date": "2021-07-09",
        "countries": "MA",
        "organisations": "",
        "people": "soulaimane-raissouni",
        "translations": "raissouni-case-ar",
        "source": "",
        "access": "public",
        "subject": "soulaimane-raissouni",
        "status": "sentenced",
        "charges": "sexual assault",
        "sentence": "five years in prison",
        "events": "2020-05: Arrested.\n2021-07-09: Sentenced.",
        "body": "A quokkaesque new text.",
    }
    response = signed_in.post("/en/archivists/documents/raissouni-case-en/edit", data=data)
    assert response.status_code == 302
    assert "quokkaesque" in signed_in.get("/en/documents/raissouni-case-en").get_data(as_text=True)
    assert "raissouni-case-en" in signed_in.get("/en/search?q=quokkaesque").get_data(as_text=True)
    history = History(Corpus(indexed_home))
    (version,) = history.versions("raissouni-case-en")
    assert version.action == "edit"
    page = signed_in.get("/en/archivists/documents/raissouni-case-en/history").get_data(
        as_text=True
    )
    assert version.name in page
    signed_in.post(f"/en/archivists/documents/raissouni-case-en/history/{version.name}/restore")
    restored = signed_in.get("/en/documents/raissouni-case-en").get_data(as_text=True)
    assert "quokkaesque" not in restored and "marred by violations" in restored
    actions = [e.action for e in history.audit("raissouni-case-en")]
    assert actions == ["restore", "edit"]
    assert all(e.user == "alice" for e in history.audit())


def test_an_invalid_edit_is_refused_and_writes_nothing(signed_in, indexed_home):
    path = indexed_home / "corpus" / "case" / "2021" / "raissouni-case-en.md"
    before = path.read_bytes()
    data = {
        "id": "raissouni-case-en",
        "title": "X",
        "type": "case",
        "language": "en",
        "date": "2021-13-45",
        "body": "text",
        "access": "public",
        "status": "sentenced",
        "subject": "soulaimane-raissouni",
    }
    response = signed_in.post("/en/archivists/documents/raissouni-case-en/edit", data=data)
    assert response.status_code == 400
    assert "date: &#39;2021-13-45&#39; is not a real date" in response.get_data(as_text=True)
    assert path.read_bytes() == before
    assert History(Corpus(indexed_home)).versions("raissouni-case-en") == []


def test_restrict_hides_it_from_the_public_and_unrestrict_brings_it_back(signed_in, archive_app):
    anonymous = archive_app.test_client()
    signed_in.post(
        "/en/archivists/documents/raissouni-case-en/access", data={"access": "restricted"}
    )
    assert anonymous.get("/en/documents/raissouni-case-en").status_code == 404
    assert "raissouni-case-en" not in anonymous.get("/en/search?q=Raissouni").get_data(as_text=True)
    page = signed_in.get("/en/documents/raissouni-case-en").get_data(as_text=True)
    assert "Restricted" in page
    signed_in.post("/en/archivists/documents/raissouni-case-en/access", data={"access": "public"})
    assert anonymous.get("/en/documents/raissouni-case-en").status_code == 200


def test_delete_then_restore_from_the_history(signed_in, archive_app, indexed_home):
    signed_in.post("/en/archivists/documents/raissouni-case-en/delete")
    assert not (indexed_home / "corpus" / "case" / "2021" / "raissouni-case-en.md").exists()
    assert archive_app.test_client().get("/en/documents/raissouni-case-en").status_code == 404
    (version,) = History(Corpus(indexed_home)).versions("raissouni-case-en")
    signed_in.post(f"/en/archivists/documents/raissouni-case-en/history/{version.name}/restore")
    assert archive_app.test_client().get("/en/documents/raissouni-case-en").status_code == 200


def test_audit_log_page(signed_in):
    signed_in.post(
        "/en/archivists/documents/raissouni-case-en/access", data={"access": "restricted"}
    )
    signed_in.post("/en/archivists/documents/raissouni-case-en/access", data={"access": "public"})
    page = signed_in.get("/ar/archivists/audit").get_data(as_text=True)
    assert "alice" in page and "raissouni-case-en" in page
    row = r"<tr><td dir=\"ltr\">[^<]*</td><td><bdi>[^<]*</bdi></td><td>([^<]*)</td>"
    actions = re.findall(row, page)
    assert actions[:2] == ["جُعلت عامة", "مقيَّد الوصول"]  # newest first
    history = signed_in.get("/ar/archivists/documents/raissouni-case-en/history")
    assert "جُعلت عامة" in history.get_data(as_text=True)
    assert "<td>unrestrict</td>" not in history.get_data(as_text=True)


def test_every_server_process_shares_the_failed_logins(tmp_path):
    # Two throttles on one file, as two processes of `archive serve` have.
    first, second = (LoginThrottle(tmp_path / "logins.sqlite") for _ in range(2))
    for _ in range(FREE_ATTEMPTS + 1):
        first.failed("a", "1.2.3.4")
    assert second.wait("a", "1.2.3.4") > 0
    second.succeeded("a", "1.2.3.4")
    assert first.wait("a", "1.2.3.4") == 0


def test_the_throttle_forgets_the_oldest_entries_past_its_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(LoginThrottle, "MAX_ENTRIES", 10)
    now = [0.0]
    throttle = LoginThrottle(tmp_path / "logins.sqlite", clock=lambda: now[0])
    for n in range(11):
        now[0] = float(n)
        for _ in range(FREE_ATTEMPTS + 1):
            throttle.failed(f"user{n}", "1.2.3.4")
    assert throttle.wait("user0", "1.2.3.4") == 0  # forgotten
    assert throttle.wait("user10", "1.2.3.4") > 0


BY_HAND = """---
id: by-hand-statement
title: A statement copied in by hand
type: statement
language: en
date: 2022-02-01
countries: [TN]
---
Copied into the corpus without the index being told.
"""


def test_files_the_index_does_not_hold_as_they_are_can_still_be_edited(signed_in, indexed_home):
    # One copied in by hand, one moved by hand: the index knows neither file.
    write_doc(indexed_home, "statement/2022/by-hand.md", BY_HAND)
    corpus = indexed_home / "corpus"
    (corpus / "letter" / "2021" / "spyware-letter-en.md").rename(corpus / "moved-letter.md")
    for doc_id, text in (("by-hand-statement", "Copied into"), ("spyware-letter-en", "spyware")):
        page = signed_in.get(f"/en/archivists/documents/{doc_id}/edit")
        assert page.status_code == 200 and text in page.get_data(as_text=True)
    assert signed_in.get("/en/archivists/documents/no-such-id/edit").status_code == 404


# --- The description form ---------------------------------------------------------------------


def test_the_edit_form_has_one_field_per_document_field(signed_in):
    from archive.fields import DOCUMENT_FIELDS

    page = signed_in.get("/en/archivists/documents/raissouni-case-en/edit").get_data(as_text=True)
    named = re.findall(r'<(?:input|select|textarea)[^>]* name="([a-z_]+)"', page)
    assert [n for n in named if n != "csrf_token"] == [f.name for f in DOCUMENT_FIELDS]


def test_the_arabic_form_offers_choices_by_their_arabic_labels(signed_in):
    page = signed_in.get("/ar/archivists/documents/raissouni-case-en/edit").get_data(as_text=True)
    options = dict(re.findall(r'<option[^>]*value="([a-z]*)"[^>]*>([^<]*)</option>', page))
    for code in ("letter", "statement", "case", "public", "restricted", "detained", "exile"):
        assert (
            options[code] and options[code] != code and re.search("[\u0600-\u06ff]", options[code])
        )
    assert options["en"] == "الإنجليزية" and options["fr"] == "الفرنسية"
    assert options[""] == ""  # the status may be left unset
