"""Archivists add real files through the web: review, save, find at once; hostile files refused."""

from __future__ import annotations

import gc
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from archive import create_app
from archive.users import Users

from .conftest import DATA
from .test_extract import _docx

PASSWORD = "correct horse battery"
FILES = DATA / "files"


@pytest.fixture
def archivist(indexed_home):
    Users(indexed_home).add("alice", PASSWORD)
    app = create_app(
        {
            "TESTING": True,
            "HOME": str(indexed_home),
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            "UPLOAD_MAX_BYTES": 2_000_000,
        }
    )
    client = app.test_client()
    client.post("/en/archivists/login", data={"name": "alice", "password": PASSWORD})
    yield client
    app.extensions["archive"].close()


def corpus_files(home: Path) -> list[Path]:
    return sorted(p for p in (home / "corpus").rglob("*") if p.is_file())


def upload(client, name: str, data: bytes):
    return client.post(
        "/en/archivists/upload",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


class _Form(HTMLParser):
    """The fields of each form of a page, with the values it proposes."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.fields: dict[str, str] = {}
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.fields = {}
            self.forms.append(self.fields)
        elif tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "file"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]
            self.fields.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def review_form(page: str) -> dict:
    """The largest form of the page: the review form."""
    parser = _Form()
    parser.feed(page)
    fields = max(parser.forms, key=len)
    if fields.get("body", "").startswith("\n"):
        fields["body"] = fields["body"][1:]
    return fields


@pytest.mark.parametrize(
    ("name", "data", "word", "changes"),
    [
        ("بيان-عمّان.pdf", (FILES / "arabic-statement.pdf").read_bytes(), "الموقعة", {}),
        ("letter.html", (FILES / "ngo-joint-letter.html").read_bytes(), "undersigned", {}),
        ("letter.docx", _docx(), "Minister", {"type": "letter", "date": "2020-03-03"}),
        ("note.md", (FILES / "utf8-bom-letter.md").read_bytes(), "signataires", {}),
        ("statement.txt", (FILES / "arabic-cp1256.txt").read_bytes(), "عمان", {}),
    ],
)
def test_upload_review_save_and_find_at_once(archivist, indexed_home, name, data, word, changes):
    before = corpus_files(indexed_home)
    response = upload(archivist, name, data)
    assert response.status_code == 302, response.get_data(as_text=True)[-400:]
    assert corpus_files(indexed_home) == before  # nothing written before confirming
    page = archivist.get(response.headers["Location"]).get_data(as_text=True)
    assert "Review before saving" in page
    form = review_form(page)
    form.update(changes)
    if form.get("type") == "case":
        form.update(
            subject=form.get("subject") or "jamal-khashoggi",
            status=form.get("status") or "detained",
        )
    form["id"] = f"uploaded-{len(name)}-{len(data)}"
    saved = archivist.post(response.headers["Location"], data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[-1500:]
    found = archivist.get(f"/en/search?q={word}").get_data(as_text=True)
    assert form["id"] in found  # searchable at once (how fast: benchmarks.edits)
    document = next(p for p in corpus_files(indexed_home) if p.name == f"{form['id']}.md")
    text = document.read_text(encoding="utf-8")
    assert "original_file: originals/" in text
    assert f"original_name: {name}" in text  # the original name, Arabic included, kept as metadata
    originals = list((indexed_home / "corpus" / "originals").iterdir())
    assert [p.read_bytes() for p in originals] == [data]
    assert not any(name in str(p) for p in originals)


def test_a_repeated_block_is_kept_once_when_asked(archivist, indexed_home):
    data = (FILES / "repeated-joint-letter.txt").read_bytes()
    location = upload(archivist, "page.txt", data).headers["Location"]
    page = archivist.get(location).get_data(as_text=True)
    assert "appears 2 times" in page
    form = review_form(page)
    form.update(id="repeated", keep_one_copy="y", type="letter")
    kept_all = dict(form, id="repeated-all")
    kept_all.pop("keep_one_copy")
    assert archivist.post(location, data=form).status_code == 302
    location = upload(archivist, "page.txt", data).headers["Location"]
    assert archivist.post(location, data=kept_all).status_code == 302
    text = (
        (indexed_home / "corpus" / "letter")
        .rglob("repeated.md")
        .__next__()
        .read_text(encoding="utf-8")
    )
    first = "Many of them have been held for more than two years"
    assert text.count(first) == 1
    every = next((indexed_home / "corpus" / "letter").rglob("repeated-all.md")).read_text("utf-8")
    assert every.count(first) == 2


def test_an_existing_text_is_reported_as_a_duplicate(archivist, indexed_home):
    existing = (indexed_home / "corpus" / "case" / "2021" / "raissouni-case-en.md").read_bytes()
    location = upload(
        archivist, "again.md", existing.replace(b"id: raissouni-case-en", b"id: copy")
    ).headers["Location"]
    page = archivist.get(location).get_data(as_text=True)
    assert "The archive already has this text" in page and "raissouni-case-en" in page


def test_discarding_an_upload_writes_nothing(archivist, indexed_home):
    before = corpus_files(indexed_home)
    location = upload(
        archivist, "letter.html", (FILES / "ngo-joint-letter.html").read_bytes()
    ).headers["Location"]
    archivist.post(location + "/discard")
    assert corpus_files(indexed_home) == before
    assert archivist.get(location).status_code == 404


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * 150_000_000)
    return out.getvalue()


# Werkzeug's test client spools a large request body to a temporary file that
# it never closes when the app answers 413 before reading it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("big.txt", b"x" * 3_000_000, 413, ""),
        ("empty.txt", b"", 400, "the file is empty"),
        ("fake.pdf", b"this is not a pdf", 422, "not a PDF file"),
        ("scan.pdf", (FILES / "scanned-letter.pdf").read_bytes(), 422, "no text layer"),
        ("bomb.docx", _zip_bomb(), 422, "unpacks to more than"),
        ("junk.txt", bytes(range(256)) * 50, 422, "binary data"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, 422, "cannot be added"),
        ("../../../etc/passwd.txt", b"root:x:0:0", None, ""),
    ],
)
def test_hostile_uploads_get_a_clear_error_and_nothing_is_written(
    archivist, indexed_home, name, data, status, message
):
    before = corpus_files(indexed_home)
    response = upload(archivist, name, data)
    if status is None:  # a traversal name is only ever a label
        assert response.status_code == 302
        page = archivist.get(response.headers["Location"]).get_data(as_text=True)
        assert "passwd" in page
    else:
        assert response.status_code == status
        assert message in response.get_data(as_text=True)
    assert corpus_files(indexed_home) == before
    assert not list(indexed_home.parent.rglob("passwd*"))
    gc.collect()  # the spooled body's warning, if any, is raised here, not in a later test


def test_import_a_folder_and_a_csv_with_a_report(run_cli, indexed_home, tmp_path):
    folder = tmp_path / "collection"
    folder.mkdir()
    (folder / "a.html").write_bytes((FILES / "ngo-joint-letter.html").read_bytes())
    (folder / "b.txt").write_bytes((FILES / "french-cp1252.txt").read_bytes())
    (folder / "broken.pdf").write_bytes(b"not a pdf")
    result = run_cli("import", str(folder), "--as", "bob", home=indexed_home)
    assert result.exit_code == 1
    assert re.search(r"row 1: added \S+ from a.html", result.output)
    assert re.search(r"row 3: skipped broken.pdf: .*not a PDF file", result.output)
    assert "2 added, 1 skipped" in result.output
    again = run_cli("import", str(folder), home=indexed_home)
    assert "already in the archive as" in again.output

    csv_file = tmp_path / "rows.csv"
    (folder / "c.txt").write_text(
        "Statement on Tunisia\n\nBloggers were arrested in Tunis.\n", encoding="utf-8"
    )
    csv_file.write_text(
        "file,id,type,language,date,countries\n"
        "c.txt,tunisia-bloggers,statement,en,2022-05-02,TN\n"
        "../outside.txt,outside,statement,en,2022,TN\n",
        encoding="utf-8",
    )
    result = run_cli("import", str(folder), "--csv", str(csv_file), home=indexed_home)
    assert "row 1: added tunisia-bloggers from c.txt" in result.output
    assert "row 2: skipped ../outside.txt" in result.output
    shown = run_cli("show", "tunisia-bloggers", "--json", home=indexed_home).output
    assert '"countries": [\n    "TN"' in shown and '"date": "2022-05-02"' in shown


def test_arabic_titles_give_readable_ids_that_are_never_reused(archivist, indexed_home):
    text = "بيان مشترك حول المراقبة\n\nتدعو المنظمات إلى وقف بيع برامج التجسس.\n".encode()
    ids = []
    for number in range(3):
        location = upload(archivist, f"bayan-{number}.txt", text + b"x" * number).headers[
            "Location"
        ]
        form = review_form(archivist.get(location).get_data(as_text=True))
        ids.append(form["id"])
        form["date"] = "2021-07-26"
        assert archivist.post(location, data=form).status_code == 302
    assert ids == ["byn-mshtrk-hwl-lmrqb", "byn-mshtrk-hwl-lmrqb-2", "byn-mshtrk-hwl-lmrqb-3"]
    for doc_id in ids:
        assert archivist.get(f"/ar/documents/{doc_id}").status_code == 200


FRENCH_LETTER = """---
title: Lettre de la coalition sur la vente de logiciels espions
language: fr
date: 2021-07-26
organisations: [access-now, gchr, nso-group]
---
Les organisations signataires demandent l'arrêt de la vente de logiciels espions.
"""


def proposed_translations(archivist, name: str, text: str) -> list[str]:
    location = upload(archivist, name, text.encode()).headers["Location"]
    return review_form(archivist.get(location).get_data(as_text=True))["translations"].split()


def test_a_translation_is_proposed_only_on_evidence(archivist):
    # The French version of the sample's coalition letter: same day, same signatories.
    found = proposed_translations(archivist, "lettre.md", FRENCH_LETTER)
    assert sorted(found) == ["spyware-letter-ar", "spyware-letter-en"]
    # The same day, but none of the same organisations: not a translation.
    other = FRENCH_LETTER.replace("[access-now, gchr, nso-group]", "[]")
    assert proposed_translations(archivist, "autre.md", other) == []
    # Only the year in common tells nothing.
    vague = FRENCH_LETTER.replace("date: 2021-07-26", "date: 2021")
    assert proposed_translations(archivist, "vague.md", vague) == []
    # A statement of that day is not a translation of a letter.
    statement = FRENCH_LETTER.replace("language: fr", "language: fr\ntype: statement")
    assert proposed_translations(archivist, "declaration.md", statement) == []
