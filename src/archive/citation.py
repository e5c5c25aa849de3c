"""Citations of a document or one of its paragraphs: plain text, BibTeX and CSL-JSON.

Also what plain-text outputs of titles and file names share: they lose their
bidirectional controls, which nothing there could isolate.
"""

from __future__ import annotations

import re

from .document import Document
from .fields import value_label
from .i18n import format_iso_date, gettext, language_name
from .languages import conventions

_BIBTEX_SPECIAL = re.compile(r"([\\{}%&#$_^~])")
#: Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates
#: (U+2066–U+2069), and the marks U+200E, U+200F and U+061C.
_BIDI_CONTROLS = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def without_bidi_controls(text: str) -> str:
    r"""`text` without bidirectional controls: in a plain-text title or file name an
    unclosed override (U+202E) would reverse what follows it, so that
    "invoice\u202egpj.exe" reads as "invoiceexe.jpg".

    >>> without_bidi_controls("invoice\u202egpj.exe")
    'invoicegpj.exe'
    """
    return text.translate(_BIDI_CONTROLS)  # escaped markup stays markup


def _type_label(document: Document, locale: str) -> str:
    return value_label("type", document.type, locale)


def plain(
    document: Document, url: str, site: str, locale: str, paragraph: int | None = None
) -> str:
    """One line to paste into a brief: title, kind, date, where, paragraph,
    quoted and separated as text in `locale` is (Arabic: «…»، …)."""
    language = conventions(locale)
    opening, closing = language.quotes
    parts = [
        f"{opening}{without_bidi_controls(document.title)}{closing}",
        _type_label(document, locale),
        format_iso_date(document.date, locale),
    ]
    if paragraph:
        parts.append(gettext("paragraph {number}", locale, number=paragraph))
    parts += [site, url]
    return language.comma.join(parts)


def _note(document: Document, paragraph: int | None) -> str:
    """The kind of document and the paragraph cited, in the document's language."""
    language = document.language
    note = _type_label(document, language)
    if paragraph:
        comma = conventions(language).comma
        note += comma + gettext("paragraph {number}", language, number=paragraph)
    return note


def _bibtex_text(value: str) -> str:
    def escape(match: re.Match) -> str:
        char = match.group(1)
        if char == "\\":
            return r"\textbackslash{}"
        if char in "^~":
            return rf"\{char}{{}}"
        return "\\" + char

    return _BIBTEX_SPECIAL.sub(escape, value)


def bibtex(
    document: Document, url: str, site: str, locale: str, paragraph: int | None = None
) -> str:
    year, _, rest = document.date.partition("-")
    fields = [
        ("title", "{" + _bibtex_text(without_bidi_controls(document.title)) + "}"),
        ("year", year),
    ]
    if rest[:2].isdigit() and int(rest[:2]):
        fields.append(("month", _MONTHS[int(rest[:2]) - 1]))
    note = _note(document, paragraph)
    fields += [
        ("note", _bibtex_text(note)),
        ("publisher", _bibtex_text(site)),
        ("language", language_name(document.language, "en").lower()),
        ("url", url),
    ]
    body = ",\n".join(
        f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}"
        for name, value in fields
    )
    key = document.id + (f"-p{paragraph}" if paragraph else "")
    return f"@misc{{{key},\n{body}\n}}"


def csl_json(document: Document, url: str, site: str, paragraph: int | None = None) -> dict:
    date_parts = [int(p) for p in document.date.split("-") if int(p)]
    item = {
        "id": document.id + (f"-p{paragraph}" if paragraph else ""),
        "type": "document",
        "genre": _type_label(document, document.language),
        "note": _note(document, paragraph),
        "title": without_bidi_controls(document.title),
        "issued": {"date-parts": [date_parts]},
        "language": document.language,
        "publisher": site,
        "URL": url,
    }
    if paragraph:
        item["locator"] = str(paragraph)
        item["label"] = "paragraph"
    return item
