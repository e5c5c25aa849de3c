"""Saved HTML pages: their main text (trafilatura), or a fallback that drops
navigation and boilerplate."""

from __future__ import annotations

import codecs
import re
from itertools import islice

from ..i18n import N_
from .common import Extracted, ExtractionError, Limits, fold
from .text import binary_kind, decode_text

# --- HTML ---------------------------------------------------------------------------------

_HTML_TAG = re.compile(
    r"<(?:!doctype\s+html|html|head|body|p|div|article|main|section|h[1-6]|table|ul|ol|br)\b",
    re.I,
)
_ANY_TAG = re.compile(r"<[A-Za-z]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)


def from_html(data: bytes, filename: str, limits: Limits) -> Extracted:
    """The main text of a saved web page (trafilatura), lists and tables kept line by line."""
    import trafilatura

    html, encoding = _decode_html(data, filename)
    if not _HTML_TAG.search(html[:200_000]):
        raise ExtractionError(N_("{file}: this is not an HTML page"), file=filename)
    # Parsing costs time and memory by the element: about 10 s and 250 MB per 100,000.
    if next(islice(_ANY_TAG.finditer(html), limits.max_elements, None), None):
        raise ExtractionError(
            N_("{file}: the page has more than {limit} HTML elements"),
            file=filename,
            limit=limits.max_elements,
        )
    found = trafilatura.bare_extraction(
        html,
        include_comments=False,
        include_tables=True,
        include_formatting=True,
        favor_recall=True,
        with_metadata=True,
        prune_xpath=_PRUNE,
    )
    text = _markdown_to_text(found.text or "") if found else ""
    fallback = _html_fallback(html)
    if len(text.split()) < 0.3 * len(fallback.split()) and len(text.split()) < 50:
        text = fallback  # trafilatura kept almost nothing: better too much than nothing
    title = (found.title if found else None) or _html_title(html)
    if title:
        first, _, rest = text.lstrip().partition("\n")
        if fold(first.strip()) == fold(title.strip()):
            text = rest
    return Extracted(
        text,
        "html",
        encoding,
        title=title,
        date=(found.date if found else None) or None,
        source=(found.url if found else None) or None,
    )


def _decode_html(data: bytes, filename: str) -> tuple[str, str]:
    kind = binary_kind(data)
    if kind:
        raise ExtractionError(
            N_("{file}: this is a {kind} file, not an HTML page"), file=filename, kind=kind
        )
    declared = _META_CHARSET.search(data[:4096])
    if declared and not data.startswith(
        (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        name = declared.group(1).decode("ascii").lower()
        try:
            if codecs.lookup(name).name not in ("utf-8", "utf-16"):
                return data.decode(name, errors="replace"), codecs.lookup(name).name
        except LookupError:
            pass
    return decode_text(data, filename)


def _markdown_to_text(text: str) -> str:
    """trafilatura's Markdown-ish output as plain text: no heading marks, emphasis or table
    borders; list items and table rows stay one per line."""
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"^\s{0,3}#{1,6}\s+", "", line)
        line = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", line)
        if re.match(r"^\s*\|.*\|\s*$", line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            line = " | ".join(c for c in cells if c)
            if not re.search(r"\w", line):
                continue  # a |---|---| separator
        lines.append(line)
    return "\n".join(lines)


_BOILERPLATE_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside")
_BOILERPLATE_CLASS = re.compile(r"cookie|consent|banner|newsletter|subscribe|menu|share|social")
#: What trafilatura must drop even when it favours recall (it keeps menus on short pages).
_PRUNE = ["//nav", "//footer", "//aside", "//form"] + [
    f"//*[contains(@class, '{word}') or contains(@id, '{word}')]"
    for word in ("cookie", "consent", "newsletter", "subscribe", "social", "share")
]


def _html_fallback(html: str) -> str:
    """Block-by-block text of the page's body without obvious boilerplate (lxml)."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except Exception:  # noqa: BLE001 - lxml raises several types for broken markup
        return ""
    for element in list(root.iter(*_BOILERPLATE_TAGS, "form")):
        element.drop_tree()
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.getparent() is None:
            continue
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        if _BOILERPLATE_CLASS.search(marker.lower()):
            element.drop_tree()
    for element in root.iter("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br"):
        element.tail = "\n" + (element.tail or "")
    for element in root.iter("td", "th"):
        element.tail = " | " + (element.tail or "")
    body = root.find("body")
    text = (body if body is not None else root).text_content()
    return "\n".join(line.strip(" |") for line in text.split("\n"))


def _html_title(html: str) -> str | None:
    match = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else None
