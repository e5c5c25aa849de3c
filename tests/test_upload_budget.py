"""Hostile uploads: extraction runs once, in a child process held to a time and a
memory budget; shared PDF content is read once; huge HTML is refused before parsing."""

from __future__ import annotations

import zlib

import pytest
from click.testing import CliRunner

from archive import create_app, extract, ingest
from archive.cli import cli
from archive.extract import ExtractionError, Limits, extract_text
from archive.extract import pdf as extract_pdf
from archive.users import Users

from .test_uploads import upload

PASSWORD = "correct horse battery"


def hostile_pdf(pages: int, operations: int, shared: bool = True) -> bytes:
    """A small PDF whose pages draw one content stream (or a copy each, unless
    `shared`) of `operations` empty text operations after one line of words."""
    content = b"BT /F1 12 Tf 72 720 Td (Words shown on every page of this file) Tj ET\n"
    content += b"BT /F1 12 Tf 72 720 Td () Tj ET\n" * operations
    packed = zlib.compress(content, 9)
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)
    streams = 1 if shared else pages
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    kids = " ".join(f"{3 + streams + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        *[stream] * streams,
        *[
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources %s >>" % (3 + (i if not shared else 0), font)
            for i in range(pages)
        ],
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        table,
    )
    return bytes(out)


def paragraphs_page(count: int) -> bytes:
    return ("<html><body>" + "<p>a</p>" * count + "</body></html>").encode()


def corpus_files(home):
    return sorted(p for p in (home / "corpus").rglob("*") if p.is_file())


def staged(home):
    root = home / "instance" / ingest.STAGING_DIR
    return sorted(root.iterdir()) if root.is_dir() else []


@pytest.fixture
def signed_in(indexed_home):
    """A signed-in archivist's client, given the app's settings."""
    apps = []

    def make(**settings):
        Users(indexed_home).add("alice", PASSWORD)
        config = {"TESTING": True, "HOME": str(indexed_home), "SECRET_KEY": "test"}
        app = create_app({**config, "WTF_CSRF_ENABLED": False, **settings})
        apps.append(app)
        client = app.test_client()
        client.post("/en/archivists/login", data={"name": "alice", "password": PASSWORD})
        return client

    yield make
    for app in apps:
        app.extensions["archive"].close()


# --- Shared content and huge pages are cheap --------------------------------------------


def test_a_content_stream_shared_by_every_page_is_read_once(monkeypatch):
    read = []
    page_text = extract_pdf._page_text
    monkeypatch.setattr(extract_pdf, "_page_text", lambda page: read.append(1) or page_text(page))
    extracted = extract_text(hostile_pdf(10, 100), "shared.pdf")
    assert len(read) == 1
    assert extracted.pages == 10
    assert extracted.text.count("Words shown on every page") == 10


def test_pages_with_their_own_content_are_each_read(monkeypatch):
    read = []
    page_text = extract_pdf._page_text
    monkeypatch.setattr(extract_pdf, "_page_text", lambda page: read.append(1) or page_text(page))
    extracted = extract_text(hostile_pdf(3, 100, shared=False), "own.pdf")
    assert len(read) == 3
    assert extracted.text.count("Words shown on every page") == 3


def test_a_page_of_too_many_elements_is_refused_before_parsing():
    with pytest.raises(ExtractionError, match="p.html: the page has more than 1000 HTML elements"):
        extract_text(paragraphs_page(5_000), "p.html", Limits(max_elements=1_000))
    assert "a" in extract_text(paragraphs_page(500), "p.html", Limits(max_elements=1_000)).text


def test_an_8_mb_page_of_paragraphs_is_refused_at_once():
    data = paragraphs_page(1_100_000)  # 8.4 MB: 85 s and 729 MB of parsing before
    with pytest.raises(ExtractionError, match="big.html: the page has more than 50000 HTML"):
        extract_text(data, "big.html", Limits(max_bytes=len(data)))


# --- The budgets, on the web and on the command line ------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"EXTRACT_SECONDS": 1.0}, "hostile.pdf: reading the file takes more than 1 seconds"),
        ({"EXTRACT_MEMORY_MB": 100}, "hostile.pdf: reading the file needs more than 100 MB"),
    ],
)
def test_an_upload_over_budget_is_refused_and_nothing_is_kept(
    signed_in, indexed_home, settings, message
):
    client = signed_in(**settings)
    before = corpus_files(indexed_home)
    response = upload(client, "hostile.pdf", hostile_pdf(1, 100_000))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert corpus_files(indexed_home) == before
    assert staged(indexed_home) == []


def test_the_review_page_reads_the_stored_extraction(signed_in, indexed_home, monkeypatch):
    calls = []

    def counted(function):
        return lambda *args, **kwargs: calls.append(1) or function(*args, **kwargs)

    monkeypatch.setattr(ingest, "extract_isolated", counted(extract.extract_isolated))
    client = signed_in()
    response = upload(client, "note.txt", b"Bloggers were arrested in Tunis in May 2022.\n")
    assert response.status_code == 302
    for _ in range(2):
        page = client.get(response.headers["Location"])
        assert page.status_code == 200
        assert "Bloggers were arrested in Tunis" in page.get_data(as_text=True)
    assert len(calls) == 1


@pytest.mark.parametrize("command", ["add", "import"])
def test_the_command_line_keeps_to_the_budget(indexed_home, tmp_path, command):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "hostile.pdf").write_bytes(hostile_pdf(1, 100_000))
    before = corpus_files(indexed_home)
    target = [str(folder / "hostile.pdf"), "--yes"] if command == "add" else [str(folder)]
    result = CliRunner().invoke(
        cli,
        ["--home", str(indexed_home), command, *target],
        env={"ARCHIVE_EXTRACT_SECONDS": "1"},
    )
    assert result.exit_code == (2 if command == "add" else 1)
    assert "hostile.pdf: reading the file takes more than 1 seconds" in result.output
    assert corpus_files(indexed_home) == before
