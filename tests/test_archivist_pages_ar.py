"""Arabic archivist pages speak Arabic: every word of the interface is
translated, and values (ids, names, file names, document text) are marked
as such (isolated, or in their own language)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from .test_archivists import signed_in  # noqa: F401 - a fixture


class InterfaceText(HTMLParser):
    """The page's own words: text outside values (<bdi>, form fields, code,
    elements in another language or with a direction of their own)."""

    VALUES = {"script", "style", "textarea", "bdi", "code", "pre", "title"}
    EMPTY = {"input", "br", "meta", "link", "img", "hr"}

    def __init__(self):
        super().__init__()
        self.open: list[tuple[str, bool]] = []
        self.latin: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.EMPTY:
            return
        given = dict(attrs)
        value = (
            tag in self.VALUES
            or given.get("lang", "ar") != "ar"
            or given.get("dir") in ("ltr", "auto")
        )
        self.open.append((tag, value))

    def handle_endtag(self, tag):
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not any(value for _, value in self.open) and re.search("[A-Za-z]{2,}", data):
            self.latin.append(data.strip())


#: Names that Arabic text writes in Latin letters: formats, standards and the
#: date pattern a field asks for.
TECHNICAL = re.compile(r"\b(?:PDF|Word|Markdown|JSON|UTC|ISO|YYYY|MM|DD|pdf|docx|html|md|txt)\b")


def latin_words(page: str) -> list[str]:
    parser = InterfaceText()
    parser.feed(page)
    return [text for text in parser.latin if re.search("[A-Za-z]{2,}", TECHNICAL.sub("", text))]


def test_every_arabic_archivist_page_is_in_arabic(signed_in):  # noqa: F811
    doc = "raissouni-case-en"
    signed_in.post(f"/en/archivists/documents/{doc}/access", data={"access": "restricted"})
    signed_in.post(f"/en/archivists/documents/{doc}/access", data={"access": "public"})
    upload = signed_in.post(
        "/ar/archivists/upload",
        data={"file": (io.BytesIO("بيان حول المراقبة\n\nنص البيان.\n".encode()), "note.txt")},
        content_type="multipart/form-data",
    )
    history = signed_in.get(f"/ar/archivists/documents/{doc}/history").get_data(as_text=True)
    version = re.search(rf'/ar/archivists/documents/{doc}/history/([^"/]+)"', history).group(1)
    pages = [
        "/ar/archivists/",
        "/ar/archivists/audit",
        f"/ar/archivists/documents/{doc}/edit",
        f"/ar/archivists/documents/{doc}/history",
        f"/ar/archivists/documents/{doc}/history/{version}",
        f"/ar/documents/{doc}",
        upload.headers["Location"],
    ]
    found = {path: latin_words(signed_in.get(path).get_data(as_text=True)) for path in pages}
    assert {path: words for path, words in found.items() if words} == {}
