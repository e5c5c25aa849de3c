"""From an incoming file to text and proposed metadata.

`extract_text` turns the bytes of a .txt, .md, .html, .pdf or .docx file into
clean text; `propose` reads that text and proposes a `Document` (title,
language, date, type, countries, organisations, people) with flags for what
an archivist must check. Nothing here writes anything: the archivist confirms
first (see `ingest`).

Every refusal is an `ExtractionError` whose message is a translatable
template naming the file. Limits are checked before the expensive work where
the format allows it: the file size first, a PDF's declared page count before
its pages are read, a .docx's unpacked size before it is unzipped, and the
extracted text as it grows, an HTML page's element count before it is parsed.
`extract_isolated` runs `extract_text` in a child process held to a time and
a memory budget, so that a file no limit above foresaw still cannot hold up
or exhaust the server.
"""

from __future__ import annotations

import bisect
import codecs
import datetime as dt
import io
import json
import math
import os
import re
import subprocess  # nosec B404 - runs this Python on an upload
import sys
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cache, lru_cache
from itertools import islice
from pathlib import Path, PurePath

from . import yamlio
from .analysis import EXACT, fold_accents, is_arabic, normalise_arabic, strip_marks, terms_of
from .analysis import word_matches as _word_matches
from .config import DEFAULTS, from_environment
from .corpus import parse_date
from .document import CASE_STATUSES, ID_PATTERN, LANGUAGES, TYPES, Document
from .errors import ArchiveError
from .i18n import N_
from .registry import KINDS, Entity, Registry, name_keys, read_words

#: File kinds accepted, by extension.
FORMATS = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")


@dataclass(frozen=True)
class Limits:
    """Bounds on what an upload may cost."""

    max_bytes: int = 20 * 1024 * 1024  # the file itself
    max_pages: int = 500  # PDF pages
    max_chars: int = 2_000_000  # extracted text
    max_unpacked_bytes: int = 100 * 1024 * 1024  # .docx (a zip) once unpacked
    max_elements: int = 50_000  # HTML elements (tags), counted before parsing
    seconds: float = DEFAULTS["EXTRACT_SECONDS"]  # reading the file, in its own process
    memory_mb: int = DEFAULTS["EXTRACT_MEMORY_MB"]  # that process's address space

    @classmethod
    def from_settings(cls, settings: Mapping | None = None) -> Limits:
        """The limits the settings give; without settings, the defaults as the
        ``ARCHIVE_*`` environment variables change them."""
        if settings is None:
            settings = {**DEFAULTS, **from_environment()}
        return cls(
            max_bytes=settings["UPLOAD_MAX_BYTES"],
            seconds=settings["EXTRACT_SECONDS"],
            memory_mb=settings["EXTRACT_MEMORY_MB"],
        )


class ExtractionError(ArchiveError):
    """A file that cannot be turned into text (too big, scanned, broken, wrong type)."""

    status = 422


@dataclass(frozen=True)
class Extracted:
    text: str  # clean text, paragraphs separated by blank lines
    format: str  # "txt", "md", "html", "pdf", "docx"
    encoding: str | None = None  # for text files: "utf-8", "utf-16", "cp1256", "cp1252"
    pages: int | None = None  # for PDFs
    front_matter: dict = field(default_factory=dict)  # a .md file's own metadata, if any
    title: str | None = None  # the title the file declares (HTML <title>, PDF/Word properties)
    date: str | None = None  # the publication date a web page declares (ISO), if any
    source: str | None = None  # a web page's canonical URL, if it gives one


@dataclass(frozen=True)
class Flag:
    """Something an archivist must check: a field and a translatable message."""

    field: str
    message: str  # a template marked with N_(), formatted with `params`
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RepeatedBlock:
    """A run of text that appears more than once in the same file."""

    text: str
    count: int


@dataclass
class Proposal:
    """Proposed metadata for an incoming file, for the archivist to confirm or edit."""

    document: Document
    original_name: str
    flags: list[Flag] = field(default_factory=list)
    new_organisations: list[str] = field(default_factory=list)  # signatories not in the registry
    repeated_blocks: list[RepeatedBlock] = field(default_factory=list)
    deduplicated_body: str | None = None  # the body with each repeated block kept once


# --- Extraction ---------------------------------------------------------------------------


def extract_text(data: bytes, filename: str, limits: Limits = Limits()) -> Extracted:
    """The clean text of an uploaded file, or an `ExtractionError` saying why not."""
    extension = PurePath(filename).suffix.lower()
    if extension not in FORMATS:
        raise ExtractionError(
            N_("{file}: files of this type cannot be added (accepted: {formats})"),
            file=filename,
            formats=" ".join(FORMATS),
        )
    if not data:
        raise ExtractionError(N_("{file}: the file is empty"), file=filename)
    if len(data) > limits.max_bytes:
        raise ExtractionError(
            N_("{file}: the file is larger than {limit} MB"),
            file=filename,
            limit=round(limits.max_bytes / 1024 / 1024, 1),
        )
    reader = {
        ".txt": _from_text,
        ".md": _from_markdown,
        ".html": _from_html,
        ".htm": _from_html,
        ".pdf": _from_pdf,
        ".docx": _from_docx,
    }[extension]
    extracted = reader(data, filename, limits)
    text = clean_text(extracted.text)
    _check_chars(len(text), filename, limits)
    if not any(c.isalnum() for c in text):
        raise ExtractionError(N_("{file}: no text found in the file"), file=filename)
    return replace(extracted, text=text)


def extract_isolated(data: bytes, filename: str, limits: Limits = Limits()) -> Extracted:
    """`extract_text` in a child process whose address space is limited to
    `limits.memory_mb` and which is killed after `limits.seconds`.

    A refusal in the child is raised here as the same `ExtractionError`; a file
    over either budget gets an `ExtractionError` naming the budget.
    """
    header = json.dumps({"file": filename, "limits": asdict(limits)}).encode("utf-8")
    environment = dict(os.environ)  # the child finds this copy of the archive
    source = str(Path(__file__).resolve().parents[1])
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [source, environment.get("PYTHONPATH")])
    )
    try:
        finished = subprocess.run(  # nosec B603 - this Python, a fixed command
            [sys.executable, "-c", "from archive.extract import _run_child; _run_child()"],
            input=header + b"\n" + data,
            capture_output=True,
            timeout=limits.seconds,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ExtractionError(
            N_("{file}: reading the file takes more than {limit} seconds"),
            file=filename,
            limit=f"{limits.seconds:g}",
        ) from None
    try:
        outcome = json.loads(finished.stdout)
    except ValueError:  # the child died without a word
        raise ExtractionError(
            N_("{file}: the file cannot be read (its reader stopped unexpectedly)"), file=filename
        ) from None
    if "done" in outcome:
        return Extracted(**outcome["done"])
    if "refused" in outcome:
        template, params = outcome["refused"]
        raise ExtractionError(template, **params)
    if "memory" in outcome:
        raise ExtractionError(
            N_("{file}: reading the file needs more than {limit} MB of memory"),
            file=filename,
            limit=limits.memory_mb,
        )
    raise RuntimeError(f"extracting {filename}: {outcome['failed']}")


def _run_child() -> None:
    """The child of `extract_isolated`: limit the address space, read the file from
    stdin (after a line of JSON naming it and its limits), write what happened to
    stdout as JSON."""
    import resource

    header = json.loads(sys.stdin.buffer.readline())
    data = sys.stdin.buffer.read()
    limits = Limits(**header["limits"])
    size = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    try:
        outcome: dict = {"done": asdict(extract_text(data, header["file"], limits))}
    except ArchiveError as error:
        outcome = {"refused": [error.template, error.params]}
    except MemoryError:
        outcome = {"memory": True}
    except Exception as error:  # noqa: BLE001 - a bug, reported by the parent
        outcome = {"failed": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(outcome, ensure_ascii=False, default=str))


def _check_chars(count: int, filename: str, limits: Limits) -> None:
    if count > limits.max_chars:
        raise ExtractionError(
            N_("{file}: the text is longer than {limit} characters"),
            file=filename,
            limit=limits.max_chars,
        )


#: Invisible or control characters removed from every text: NUL and other C0/C1
#: controls (not tab or newline), bidi marks, embeddings, overrides and isolates,
#: the Arabic letter mark, the BOM and the soft hyphen.
_STRAY = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f-\x84\x86-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u061c\ufeff\u00ad]"
)
_BREAKS = str.maketrans({"\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n"})


def clean_text(text: str) -> str:
    """Normalise line ends, drop controls and bidi marks, collapse spaces and blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_BREAKS)
    text = _STRAY.sub("", text)
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- Plain text and Markdown --------------------------------------------------------------

_MAGIC = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP (Word, ODF…)"),
    (b"\xd0\xcf\x11\xe0", "Microsoft Office 97–2003"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7-Zip"),
    (b"\x7fELF", "program"),
)
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff]")
#: Share of control or undecodable characters above which a "text" is binary junk.
JUNK_SHARE = 0.05


def _binary_kind(data: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)


def decode_text(data: bytes, filename: str) -> tuple[str, str]:
    """Text and encoding of a text file: UTF-8 (BOM or not), UTF-16 with BOM, else an 8-bit
    Windows code page (1256 when the bytes read as mostly Arabic letters, else 1252)."""
    kind = _binary_kind(data)
    if kind:
        raise ExtractionError(
            N_("{file}: this is a {kind} file, not a text file"), file=filename, kind=kind
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, encoding = _decode(data, "utf-16", filename), "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        text, encoding = _decode(data[3:], "utf-8", filename), "utf-8"
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            encoding = guess_8bit_encoding(data)
            text = data.decode(encoding, errors="replace")
    sample = text[:200_000]
    junk = sum(1 for c in sample if (c < " " and c not in "\t\n\r\x0c") or c == "\ufffd")
    if sample and junk / len(sample) > JUNK_SHARE:
        raise ExtractionError(
            N_(
                "{file}: this looks like binary data, not text (or a text encoding that is not "
                "supported; save it as UTF-8)"
            ),
            file=filename,
        )
    return text, encoding


def _decode(data: bytes, encoding: str, filename: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ExtractionError(
            N_("{file}: the file says it is {encoding} but is not valid {encoding} (byte {at})"),
            file=filename,
            encoding=encoding.upper(),
            at=exc.start,
        ) from None


def guess_8bit_encoding(data: bytes) -> str:
    """ "cp1256" if the bytes above 127 read as mostly Arabic letters in Windows-1256, else
    "cp1252". (French accented letters sit at the same places in both code pages.)"""
    high = bytes(b for b in data[:1_000_000] if b >= 0x80)
    if not high:
        return "cp1252"
    arabic = len(_ARABIC_LETTER.findall(high.decode("cp1256")))
    return "cp1256" if arabic / len(high) >= 0.5 else "cp1252"


def _from_text(data: bytes, filename: str, limits: Limits) -> Extracted:
    text, encoding = decode_text(data, filename)
    return Extracted(text, "txt", encoding)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)


def _from_markdown(data: bytes, filename: str, limits: Limits) -> Extracted:
    text, encoding = decode_text(data, filename)
    text = text.replace("\r\n", "\n")
    meta: dict = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            meta = yamlio.load(match.group(1) or "") or {}
        except yamlio.Error as exc:
            raise ExtractionError(
                N_("{file}: front matter: {reason}"), file=filename, reason=yamlio.describe(exc)[1]
            ) from None
        if not isinstance(meta, dict):
            raise ExtractionError(
                N_("{file}: front matter: must be a mapping of fields"), file=filename
            )
        text = text[match.end() :]
    return Extracted(text, "md", encoding, front_matter=meta)


# --- HTML ---------------------------------------------------------------------------------

_HTML_TAG = re.compile(
    r"<(?:!doctype\s+html|html|head|body|p|div|article|main|section|h[1-6]|table|ul|ol|br)\b",
    re.I,
)
_ANY_TAG = re.compile(r"<[A-Za-z]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)


def _from_html(data: bytes, filename: str, limits: Limits) -> Extracted:
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
        if _fold(first.strip()) == _fold(title.strip()):
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
    kind = _binary_kind(data)
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


# --- PDF ----------------------------------------------------------------------------------


def _from_pdf(data: bytes, filename: str, limits: Limits) -> Extracted:
    """The text layer of a PDF (pypdf), Arabic in logical order and NFKC-normalised."""
    import pypdf
    from pypdf.errors import LimitReachedError, PyPdfError

    if b"%PDF-" not in data[:1024]:
        raise ExtractionError(N_("{file}: this is not a PDF file"), file=filename)
    # Streams may not unpack to more than the text could reasonably need.
    unpack = min(75_000_000, max(1_000_000, 50 * limits.max_chars))
    stream_limits = {
        name: unpack
        for name in (
            "zlib_maximum_output_length",
            "lzw_maximum_output_length",
            "run_length_maximum_output_length",
            "array_based_stream_maximum_output_length",
            "brotli_maximum_output_length",
        )
    }
    try:
        with pypdf.apply_configuration(**stream_limits):
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise ExtractionError(N_("{file}: the PDF is password-protected"), file=filename)
            _check_pages(_declared_pages(reader), filename, limits)
            title = (reader.metadata or {}).get("/Title")
            pages, total = [], 0
            drawn: dict[tuple, str] = {}  # text by what the page draws
            for number, page in enumerate(reader.pages, 1):
                _check_pages(number, filename, limits)
                key = _drawing(page) or number
                if key not in drawn:
                    drawn[key] = _page_text(page)
                text = drawn[key]
                total += len(text)
                _check_chars(total, filename, limits)
                pages.append(text)
    except ExtractionError:
        raise
    except LimitReachedError:
        raise ExtractionError(
            N_("{file}: part of the PDF unpacks to more than the allowed size"), file=filename
        ) from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise ExtractionError(
            N_("{file}: the PDF cannot be read ({reason})"), file=filename, reason=str(exc)[:200]
        ) from None
    text = unicodedata.normalize("NFKC", "\n\n".join(pages))
    if sum(c.isalpha() for c in text) < 20:
        raise ExtractionError(
            N_("{file}: the PDF has no text layer (scanned?); run it through OCR first"),
            file=filename,
        )
    text = fix_reversed_digits(fix_visual_order(text))
    return Extracted(text, "pdf", pages=len(pages), title=str(title).strip() if title else None)


def _drawing(page) -> tuple | None:
    """What a page's text depends on: its content streams (by object number), its
    resources and its rotation; None when a content stream is not a shared object.

    Pages that share all three have the same text, which is read once: a small file
    can make every page draw one huge content stream.
    """
    from pypdf.generic import IndirectObject

    contents = page.raw_get("/Contents") if "/Contents" in page else None
    if isinstance(contents, IndirectObject) and isinstance(contents.get_object(), list):
        contents = list(contents.get_object())
    parts = contents if isinstance(contents, list) else [contents]
    if not all(isinstance(part, IndirectObject) for part in parts):
        return None
    streams = tuple((part.idnum, part.generation) for part in parts)
    return streams, repr(page.get("/Resources")), page.rotation


def _declared_pages(reader) -> int:
    """The page count the PDF declares, read without walking its page tree."""
    try:
        return int(reader.root_object["/Pages"]["/Count"])
    except (KeyError, TypeError, ValueError):
        return 0


def _check_pages(count: int, filename: str, limits: Limits) -> None:
    if count > limits.max_pages:
        raise ExtractionError(
            N_("{file}: the PDF has more than {limit} pages"), file=filename, limit=limits.max_pages
        )


@dataclass
class _Chunk:
    """A piece of text pypdf shows at one position."""

    text: str
    x: float
    y: float
    size: float


def _page_text(page) -> str:
    """pypdf's text of a page; for a mostly Arabic page, lines rebuilt from positions.

    pypdf puts the letters of each right-to-left run in logical order, but joins the runs
    in the order the PDF draws them, which for Arabic is often not reading order (a
    diacritic drawn apart from its letter drags the end of a word to the end of the
    line). Ordering the runs by position on the line fixes that.
    """
    chunks: list[_Chunk] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]) or 1.0
            chunks.append(_Chunk(text, x, y, abs(size or 10) * scale))

    plain = page.extract_text(visitor_text=visit)
    arabic = len(_ARABIC_LETTER.findall(plain))
    latin = len(re.findall(r"[A-Za-zÀ-ÿ]", plain))
    if chunks and arabic > latin:
        return _rtl_page(chunks)
    return _reflow(plain.split("\n"), set())


_MARKS_ONLY = re.compile(r"^[\u064b-\u065f\u0670\u0610-\u061a\u06d6-\u06ed\s]+$")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def _rtl_page(chunks: list[_Chunk]) -> str:
    """Lines of a right-to-left page from positioned chunks; paragraphs from line gaps."""
    groups: list[list[_Chunk]] = []
    for chunk in sorted(chunks, key=lambda c: -c.y):
        top = groups[-1][0] if groups else None
        if top and top.y - chunk.y <= 0.5 * max(chunk.size, top.size):
            groups[-1].append(chunk)
        else:
            groups.append([chunk])
    texts = [_rtl_line(group) for group in groups]
    # A line's baseline and size are those of its longest run (not of a raised mark).
    lines = [max(group, key=lambda c: len(c.text)) for group in groups]
    gaps = [
        (lines[i - 1].y - lines[i].y) / min(lines[i - 1].size, lines[i].size)
        for i in range(1, len(lines))
    ]
    base = min((g for g in gaps if g > 1), default=0)
    breaks = {i for i, gap in enumerate(gaps) if base and gap > 1.25 * base}
    return _reflow(texts, breaks)


def _rtl_line(chunks: list[_Chunk]) -> str:
    """One right-to-left line: runs right to left, marks on their letters, Latin runs LTR."""
    marks = [c for c in chunks if _MARKS_ONLY.match(c.text)]
    runs = sorted((c for c in chunks if not _MARKS_ONLY.match(c.text)), key=lambda c: -c.x)
    texts = [c.text for c in runs]
    for mark in marks:
        # A mark sits over the left-most letter of the run it belongs to: that run's
        # left edge is the nearest one at or left of the mark.
        hosts = [i for i, c in enumerate(runs) if c.x <= mark.x + 0.5]
        if hosts:
            host = max(hosts, key=lambda i: runs[i].x)
            letters = texts[host].rstrip()
            texts[host] = letters + mark.text.strip() + texts[host][len(letters) :]
    ordered: list[str] = []
    latin_run: list[str] = []
    for text in texts:
        if _LATIN.search(text) and not is_arabic(text):
            latin_run.append(text)
            continue
        ordered.extend(reversed(latin_run))
        latin_run = []
        ordered.append(text)
    ordered.extend(reversed(latin_run))
    line = ""
    for text in ordered:
        if line and _needs_space(line, text):
            line += " "
        line += text
    return line


def _needs_space(left: str, right: str) -> bool:
    """Whether two runs of a right-to-left line, in reading order, need a space between
    them: where the script changes (لمجموعة NSO), around brackets, after a list number."""
    a, b = left[-1], right[0]
    if a.isspace() or b.isspace():
        return False
    if re.fullmatch(r"\s*\d+[.)]", left):
        return True
    if is_arabic(a) and b in "([«“" or a in ")]»”" and is_arabic(b):
        return True
    return is_arabic(a) != is_arabic(b) and a.isalnum() and b.isalnum()


def _reflow(lines: list[str], breaks: set[int]) -> str:
    """Join wrapped lines into paragraphs.

    A line as long as the longest lines of the page is taken to wrap onto the next one;
    a shorter line that ends a sentence ends its paragraph, as does each index in
    `breaks` (a paragraph break before line i+1). Short lines (list items) stay lines.
    """
    lines = [line.strip() for line in lines]
    widest = max((len(line) for line in lines), default=0)
    out = ""
    for i, line in enumerate(lines):
        if not line:
            out += "\n\n"
            continue
        out += line
        if i + 1 == len(lines):
            break
        full = len(line) >= max(0.75 * widest, 45)
        listed = _LIST_MARKER.match(line) or _LIST_MARKER.match(lines[i + 1])
        if i in breaks or (not full and re.search(r"[.!?؟:»”\"]$", line)):
            out += "\n\n"
        elif full and not listed:
            out += " "
        else:
            out += "\n"
    return out


#: A run of text that is written left to right inside Arabic: Latin words, numbers.
_LTR_CHAR = "A-Za-z0-9\u00c0-\u024f\u0660-\u0669\u06f0-\u06f9"
_LTR_RUN = re.compile(rf"[{_LTR_CHAR}](?:[{_LTR_CHAR} .,:/'’%+\-]*[{_LTR_CHAR}])?")
_MIRROR = str.maketrans("()[]{}<>«»", ")(][}{><»«")


def visual_to_logical(line: str) -> str:
    """A right-to-left line stored in visual order (left to right as drawn), in reading order."""
    reversed_line = line[::-1].translate(_MIRROR)
    return _LTR_RUN.sub(lambda m: m.group()[::-1], reversed_line)


def fix_visual_order(text: str) -> str:
    """Reverse Arabic lines if the text is in visual order.

    In reading order many Arabic words start with the article "ال"; in visual order
    they end with "لا" instead, which few words do.
    """
    words = [w for w in re.findall(r"[\u0600-\u06ff]{4,}", text)]
    logical = sum(w.startswith("ال") for w in words)
    visual = sum(w.endswith("لا") for w in words)
    if visual < 3 or visual <= 2 * logical:
        return text
    return "\n".join(
        visual_to_logical(line)
        if len(_ARABIC_LETTER.findall(line)) > len(_LATIN.findall(line))
        else line
        for line in text.split("\n")
    )


_INDIC_RUN = re.compile(r"[\u0660-\u0669](?:[\u0660-\u0669/.\-\u066b\u066c]*[\u0660-\u0669])?")
_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def fix_reversed_digits(text: str) -> str:
    """Put back numbers in Arabic-Indic digits that came out reversed (٦٢ for ٢٦).

    Text extraction may reverse them with the letters around them; years tell: "١٢٠٢"
    is not a likely year, "٢٠٢١" is.
    """

    def likely_year(digits: str) -> bool:
        return 1900 <= int(digits.translate(_INDIC)) <= 2099

    years = re.findall(r"(?<![\u0660-\u0669])[\u0660-\u0669]{4}(?![\u0660-\u0669])", text)
    as_is = sum(likely_year(y) for y in years)
    reversed_ = sum(likely_year(y[::-1]) for y in years)
    if reversed_ <= as_is:
        return text
    return _INDIC_RUN.sub(lambda m: m.group()[::-1], text)


# --- Word (.docx) -------------------------------------------------------------------------


def _from_docx(data: bytes, filename: str, limits: Limits) -> Extracted:
    """Paragraphs and tables of a Word file in document order; a table row per line."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExtractionError(
            N_("{file}: this is an old Word file (.doc); save it as .docx"), file=filename
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ExtractionError(
            N_("{file}: this is not a Word (.docx) file"), file=filename
        ) from None
    if "word/document.xml" not in {m.filename for m in members}:
        raise ExtractionError(N_("{file}: this is not a Word (.docx) file"), file=filename)
    if len(members) > 10_000 or sum(m.file_size for m in members) > limits.max_unpacked_bytes:
        raise ExtractionError(
            N_("{file}: the Word file unpacks to more than {limit} MB"),
            file=filename,
            limit=round(limits.max_unpacked_bytes / 1024 / 1024, 1),
        )
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                blocks.append("\n\n" + _table_text(block) + "\n\n")
            else:
                listed = block.style is not None and block.style.name.lower().startswith("list")
                numbered = block._p.pPr is not None and block._p.pPr.numPr is not None
                blocks.append(block.text + ("\n" if listed or numbered else "\n\n"))
        title = document.core_properties.title
    except Exception as exc:  # noqa: BLE001 - python-docx raises many types on broken files
        raise ExtractionError(
            N_("{file}: the Word file cannot be read ({reason})"),
            file=filename,
            reason=str(exc)[:200],
        ) from None
    return Extracted("".join(blocks), "docx", title=title or None)


def _table_text(table) -> str:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue  # a merged cell is listed once per grid column
            seen.add(id(cell._tc))
            cells.append(re.sub(r"\s+", " ", cell.text).strip())
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


# --- Proposal -----------------------------------------------------------------------------


#: How much of the text is read for the title, language, date and type (the top says it).
CUE_CHARS = 100_000


def propose(extracted: Extracted, original_name: str, registry: Registry) -> Proposal:
    """A proposed `Document` for an extracted file, with what the archivist must check."""
    flags: list[Flag] = []
    body = extracted.text
    blocks, deduplicated = find_repeated_blocks(body)
    for block in blocks:
        flags.append(
            Flag(
                "body",
                N_("A passage of {words} words appears {count} times; keep one copy?"),
                {"words": len(block.text.split()), "count": block.count},
            )
        )
    text = deduplicated or body
    head = text[:CUE_CHARS]
    meta = extracted.front_matter
    title = _propose_title(extracted, original_name, head, flags)
    language = _propose_language(meta, head, flags)
    date = _propose_date(meta, extracted, title, head, flags)
    doc_type = _propose_type(meta, title, head, flags)
    items = signatory_items(text, registry)
    signatories, unknown = match_signatories(items, registry)
    # Where signatories are based ("…, Egypt") is not what the text is about.
    mentions = find_mentions(_without(text, items), registry)
    countries = _propose_countries(meta, mentions, registry, flags)
    organisations = _propose_organisations(meta, signatories, mentions, registry, flags)
    people = _propose_people(meta, mentions, registry, flags)
    subject = status = None
    if doc_type == "case":
        subject = meta.get("subject") if meta.get("subject") in registry.people else None
        subject = subject or (people[0] if people else None)
        status = meta.get("status") if meta.get("status") in CASE_STATUSES else None
        status = status or _guess_status(text)
        if not subject or not status:
            flags.append(Flag("subject", N_("A case needs the person it is about and a status.")))
    declared_id = _meta_str(meta, "id")
    document = Document(
        id=declared_id
        if declared_id and ID_PATTERN.match(declared_id)
        else slug(title, date, language),
        title=title,
        type=doc_type,
        language=language,
        date=date,
        body=body,
        countries=tuple(countries),
        organisations=tuple(organisations),
        people=tuple(people),
        source=_meta_str(meta, "source") or extracted.source,
        access="restricted" if meta.get("access") == "restricted" else "public",
        subject=subject,
        status=status,
        original_name=original_name,
    )
    return Proposal(
        document,
        original_name,
        flags,
        new_organisations=unknown,
        repeated_blocks=blocks,
        deduplicated_body=deduplicated,
    )


def _meta_str(meta: dict, key: str) -> str | None:
    value = meta.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _meta_list(meta: dict, key: str) -> list[str] | None:
    value = meta.get(key)
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


def _fold(text: str) -> str:
    """Text for matching cues: case, accents, Arabic spelling variants and digits folded."""
    return normalise_arabic(fold_accents(unicodedata.normalize("NFKC", text).casefold()))


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    return _fold(char)


def _fold_map(text: str) -> tuple[str, list[int]]:
    """`text` folded character by character, and the offset in `text` of each folded
    character (plus one past the end), to cut the original where the folded text matched."""
    folded = _fold(text)
    if len(folded) == len(text):  # nothing dropped or expanded: offsets agree
        return folded, list(range(len(text) + 1))
    parts: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        folded = _fold_char(char)
        parts.append(folded)
        origin.extend([i] * len(folded))
    origin.append(len(text))
    return "".join(parts), origin


def slug(title: str, date: str, language: str) -> str:
    """An id from the title's ASCII words, or document-<date>-<language> without any."""
    words = re.findall(r"[a-z0-9]+", fold_accents(title.casefold()))
    text = ""
    for word in words:
        if len(text) + len(word) > 60:
            break
        text = f"{text}-{word}" if text else word
    return text or "-".join(p for p in ("document", date, language) if p)


# --- Title --------------------------------------------------------------------------------

_GENERIC_TITLE = re.compile(
    r"^(untitled|sans titre|document\d*|microsoft word|page \d+|\W*|بدون عنوان)$", re.I
)


def _propose_title(extracted: Extracted, original_name: str, text: str, flags) -> str:
    title = _meta_str(extracted.front_matter, "title")
    if title:
        return title
    declared = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", extracted.title or "").strip()
    stem = PurePath(original_name).stem
    if (
        3 <= len(declared) <= 300
        and not _GENERIC_TITLE.match(declared)
        and not re.search(r"\.(docx?|pdf|html?|txt|md)$", declared, re.I)
        and declared.casefold() != stem.casefold()
    ):
        return declared
    for line in text.split("\n")[:15]:
        line = line.strip().lstrip("#").strip()
        words = line.split()
        if 2 <= len(words) <= 30 and len(line) <= 300 and not _DATE_LABEL.match(_fold(line)):
            return line
    flags.append(Flag("title", N_("No title found; the file name was used.")))
    return stem


# --- Language -----------------------------------------------------------------------------

ENGLISH_WORDS = frozenset(
    "the of and to in is that for on with as by are was were this be have has from at which "
    "their its it an or not we they who been will would should these our all also but".split()
)
FRENCH_WORDS = frozenset(
    "le la les des du de et est un une dans pour que qui sur par au aux avec ce cette ces ont "
    "sont été leur leurs nous il elle ils elles pas ne se son sa ses était aussi mais où "
    "très plus entre contre depuis selon".split()
)
_FRENCH_ELISION = re.compile(r"^(l|d|qu|n|s|c|j)['’]\w", re.I)
#: Share of the words above which a second language is worth a flag.
MIXED_SHARE = 0.2


def language_shares(text: str) -> dict[str, float]:
    """Share of the words in Arabic, English and French.

    Arabic-script words count as Arabic; Latin-script words are split between English
    and French in the proportion of each language's function words among them.
    """
    arabic = latin = english = french = 0
    for match in _word_matches(text):
        word = match.group()
        if is_arabic(word):
            arabic += 1
        elif any(c.isalpha() for c in word):
            latin += 1
            lower = word.casefold()
            english += lower in ENGLISH_WORDS
            french += lower in FRENCH_WORDS or bool(_FRENCH_ELISION.match(lower))
    total = arabic + latin
    if not total:
        return {"ar": 0.0, "en": 0.0, "fr": 0.0}
    hits = english + french
    en_words = latin * english / hits if hits else latin
    fr_words = latin * french / hits if hits else 0
    return {"ar": arabic / total, "en": en_words / total, "fr": fr_words / total}


def _propose_language(meta: dict, text: str, flags) -> str:
    shares = language_shares(text)
    ranked = sorted(shares, key=lambda lang: -shares[lang])
    declared = meta.get("language")
    language = declared if declared in LANGUAGES else ranked[0]
    others = [lang for lang in ranked if lang != language and shares[lang] > MIXED_SHARE]
    if others:
        flags.append(
            Flag(
                "language",
                N_("The text mixes languages: {shares}. Check the language, or split the file."),
                {"shares": ", ".join(f"{lang} {round(shares[lang] * 100)}%" for lang in ranked)},
            )
        )
    return language


# --- Dates --------------------------------------------------------------------------------

#: Locales whose CLDR month names are recognised: Egyptian/Gulf (ar), Maghreb (ar_DZ,
#: ar_TN), Moroccan (ar_MA), Levant and Iraq (ar_LB, ar_SY, ar_IQ, ar_JO), Mauritania.
MONTH_LOCALES = (
    "en",
    "fr",
    "ar",
    "ar_DZ",
    "ar_TN",
    "ar_MA",
    "ar_LB",
    "ar_SY",
    "ar_IQ",
    "ar_JO",
    "ar_MR",
)
#: Spellings CLDR lacks.
EXTRA_MONTHS = {"يونيه": 6, "يوليه": 7, "اغسطس": 8, "sept": 9, "ابريل": 4, "اكتوبر": 10}


@cache
def month_names() -> dict[str, int]:
    """Folded month name -> month number, from Babel's CLDR data plus `EXTRA_MONTHS`."""
    from babel.dates import get_month_names

    names: dict[str, int] = {}
    for locale in MONTH_LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    names[_fold(name).rstrip(".")] = number
    for name, number in EXTRA_MONTHS.items():
        names[_fold(name)] = number
    return names


@cache
def _date_patterns() -> list[tuple[str, re.Pattern]]:
    months = sorted(month_names(), key=len, reverse=True)
    month = "(?:" + "|".join(re.escape(m).replace(r"\ ", r"\s+") for m in months) + r")\.?"
    second = rf"(?:\s*[/(\-]\s*{month}\s*\)?)?"  # "تموز/يوليو", "juillet (تموز)"
    day = r"(\d{1,2})(?:er|st|nd|rd|th)?"
    year = r"(\d{4})(?!\d)(?:\s*م(?!\w))?"
    return [
        (
            "dmy",
            re.compile(
                rf"(?<![\d\w]){day}\s*(?:de\s+|of\s+|من\s+)?({month}){second}\s*[,،]?"
                rf"\s*{year}"
            ),
        ),
        ("mdy", re.compile(rf"(?<!\w)({month})\s+{day},?\s+{year}")),
        ("iso", re.compile(r"(?<![\d/.-])(\d{4})-(\d{2})-(\d{2})(?![\d/-])")),
        ("ymd", re.compile(r"(?<![\d/.])(\d{4})/(\d{1,2})/(\d{1,2})(?![\d/])")),
        ("numeric", re.compile(r"(?<![\d/.])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?![\d/.])")),
        ("my", re.compile(rf"(?<!\w)({month}){second}\s*[,،]?\s*{year}")),
    ]


_DATE_LABEL = re.compile(
    r"^\W*(?:date[ds]?|dated|published(?: on)?|publie le|le|fait a [^,]+,? le|التاريخ|تاريخ|بتاريخ"
    r"|تاريخ النشر)\s*[:：]?\s*"
)


@dataclass(frozen=True)
class DateCandidate:
    """A date found in the text: ISO value, where, and how sure."""

    value: str  # YYYY-MM-DD or YYYY-MM
    position: int
    labelled: bool  # after "Date:", "التاريخ", … or alone on a short line near the top
    ambiguous: bool  # 03/04/2021: day and month could be swapped
    original: str


def find_dates(text: str) -> list[DateCandidate]:
    """Every date in `text`, in order: full dates first where a partial one overlaps."""
    folded, origin = _fold_map(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", folded)]
    found: list[DateCandidate] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _date_patterns():
        for match in pattern.finditer(folded):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append(match.span())  # even if impossible: "31 February" is no "February"
            value, ambiguous = _date_value(kind, match)
            if not value:
                continue
            line_number = bisect.bisect_right(line_starts, match.start()) - 1
            line_end = folded.find("\n", match.start())
            line = folded[line_starts[line_number] : line_end if line_end >= 0 else None]
            prefix = folded[line_starts[line_number] : match.start()]
            others = len(line.split()) - len(match.group().split())
            labelled = bool(_DATE_LABEL.match(prefix) and len(prefix.split()) <= 6) or (
                line_number < 15 and others <= 3  # a dateline: "Paris, le 1er mars 2020"
            )
            original = text[origin[match.start()] : origin[match.end()]]
            found.append(DateCandidate(value, match.start(), labelled, ambiguous, original))
    return sorted(found, key=lambda c: c.position)


def _date_value(kind: str, match: re.Match) -> tuple[str | None, bool]:
    groups = match.groups()
    ambiguous = False
    if kind == "dmy":
        day, month, year = int(groups[0]), month_names()[_month_key(groups[1])], int(groups[2])
    elif kind == "mdy":
        month, day, year = month_names()[_month_key(groups[0])], int(groups[1]), int(groups[2])
    elif kind in ("iso", "ymd"):
        year, month, day = (int(g) for g in groups)
    elif kind == "numeric":
        first, second, year = int(groups[0]), int(groups[2]), int(groups[3])
        day, month = (second, first) if first <= 12 < second else (first, second)
        ambiguous = first <= 12 and second <= 12 and first != second
    else:
        month, year = month_names()[_month_key(groups[0])], int(groups[1])
        return (f"{year:04d}-{month:02d}" if 1900 <= year <= 2100 else None), False
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None, False
    return (value.isoformat() if 1900 <= year <= 2100 else None), ambiguous


def _month_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().rstrip("."))


def _propose_date(meta: dict, extracted: Extracted, title: str, text: str, flags) -> str:
    declared = meta.get("date")
    if declared not in (None, ""):
        value, reason = parse_date(declared)
        if value:
            return value
        flags.append(
            Flag("date", N_("The front matter date is not usable: {reason}"), {"reason": reason})
        )
    candidates = find_dates(title + "\n" + text)
    full = [c for c in candidates if len(c.value) == 10]
    labelled = [c for c in full if c.labelled]
    if labelled:
        chosen = labelled[0]
    elif extracted.date and parse_date(extracted.date)[0]:
        return extracted.date
    elif full or candidates:
        chosen = (full or candidates)[0]
        distinct = sorted({c.value for c in full})
        if len(distinct) > 1:
            flags.append(
                Flag(
                    "date",
                    N_("Several dates appear ({dates}); the first was taken. Check the date."),
                    {"dates": ", ".join(distinct[:5])},
                )
            )
    else:
        flags.append(Flag("date", N_("No date found; enter the date of the document.")))
        return ""
    if chosen.ambiguous:
        flags.append(
            Flag(
                "date",
                N_("{original} could be day/month or month/day; {date} was assumed."),
                {"original": chosen.original, "date": chosen.value},
            )
        )
    return chosen.value


# --- Type ---------------------------------------------------------------------------------

#: Cues per type, on folded text (lower case, no accents, Arabic letters normalised), and
#: their weight: a signature list says "letter" louder than one "arrested" says "case".
TYPE_CUES: dict[str, list[tuple[str, int]]] = {
    "letter": [
        (r"\bwe,? the undersigned\b|\bnous,? (?:les )?(?:organisations )?soussigne", 4),
        (r"^\W*(?:signatories|signed by|signataires|signe(?:e|es)? par|coalition members)\b", 4),
        (r"(?<!\w)(?:المنظمات |الجهات )?الموقع(?:ون|ين|ه)(?!\w)", 4),
        (r"^\W*(?:dear|madame|monsieur|cher|chere|السيد|السيده|حضره)\b", 3),
        (r"\bjoint (?:ngo )?letter\b|\blettre (?:ouverte|conjointe)\b|رساله (?:مشترك|مفتوح)", 3),
    ],
    "statement": [
        (r"\b(?:joint )?statement\b|\bpress release\b|\bdeclaration\b|\bcommunique\b", 2),
        (r"(?<!\w)(?:ال|و|ب|بال)?(?:بيان|تصريح)(?!\w)", 2),
    ],
    "case": [
        (r"\b(?:sentenced|arrested|detained|charged|convicted|imprisoned|trial)\b", 1),
        (r"\b(?:condamne|arrete|detenu|inculpe|emprisonne|proces)e?s?\b", 1),
        (r"(?<!\w)(?:و|ف)?(?:حكم|اعتقل|اعتقال|احتجز|احتجاز|محاكمه|سجن)(?:ت|ه|ها)?(?!\w)", 1),
    ],
}


def type_scores(title: str, text: str) -> dict[str, int]:
    """A score per document type from the cues found (each cue counted up to three times)."""
    folded = _fold(title + "\n" + text)
    scores = dict.fromkeys(TYPES, 0)
    for doc_type, cues in TYPE_CUES.items():
        for pattern, weight in cues:
            count = len(re.findall(pattern, folded, re.M))
            scores[doc_type] += weight * min(count, 3)
    if re.search(TYPE_CUES["statement"][0][0] + "|" + TYPE_CUES["statement"][1][0], _fold(title)):
        scores["statement"] += 4  # "Statement" in the title
    return scores


def _propose_type(meta: dict, title: str, text: str, flags) -> str:
    if meta.get("type") in TYPES:
        return meta["type"]
    scores = type_scores(title, text)
    ranked = sorted(TYPES, key=lambda t: -scores[t])
    best, second = ranked[0], ranked[1]
    if scores[best] == 0:
        flags.append(Flag("type", N_("No cue for the type; statement was assumed.")))
        return "statement"
    if scores[second] >= 0.75 * scores[best] or scores[best] < 3:
        flags.append(
            Flag("type", N_("Unsure of the type ({type} assumed); check it."), {"type": best})
        )
    return best


_STATUS_CUES = (
    ("deceased", r"\b(?:killed|died|murdered|tue|assassine|decede)\b|(?<!\w)(?:اغتيال|مقتل|وفاه)"),
    ("released", r"\b(?:released|libere|freed)\b|(?<!\w)(?:افرج|الافراج)"),
    ("sentenced", r"\b(?:sentenced|condamne)|(?<!\w)حكم"),
    ("detained", r"\b(?:detained|arrested|detenu|arrete)|(?<!\w)(?:اعتقل|احتجز)"),
    ("exile", r"\b(?:exile|asylum|exil)\b|(?<!\w)(?:المنفي|لجوء)"),
    ("targeted", r"\btargeted\b|\bcible|(?<!\w)استهدف"),
)


def _guess_status(text: str) -> str | None:
    folded = _fold(text)
    return next((status for status, cue in _STATUS_CUES if re.search(cue, folded)), None)


# --- Names of the registry in the text ----------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """An entity named in the text: by which words, where."""

    entity: Entity
    words: tuple[str, ...]
    position: int  # word index


def _scan(text: str, registry: Registry, kinds=KINDS):
    """Registry names in `text`, longest first, left to right, as the index finds
    them (`NameIndex.scan`): (start, end, word matches, entities of `kinds`)."""
    read = read_words(text)
    for i, length, entities in registry.names.scan([word for _, word in read]):
        found = [e for e in entities if e.kind in kinds]
        if found:
            yield i, i + length, [match for match, _ in read[i : i + length]], found


def find_mentions(text: str, registry: Registry) -> list[Mention]:
    """Countries, organisations and people named in `text`, found as the index finds
    them (acronyms in capitals, no common words taken for names), less a surname
    shared by several people or known only as part of a longer name in Arabic."""
    found: list[Mention] = []
    for start, _end, words, entities in _scan(
        text, registry, ("country", "organisation", "person")
    ):
        raw = [m.group() for m in words]
        for entity in entities:
            if entity.kind == "person" and len(raw) == 1:
                explicit = any(
                    name_keys([raw[0]])[0] == name_keys([name])[0] for name in entity.all_names
                )
                if not explicit and (len(entities) > 1 or is_arabic(raw[0])):
                    continue
            found.append(Mention(entity, tuple(raw), start))
    return found


def _ranked(mentions: list[Mention], kind: str) -> list[str]:
    """Ids of one kind, most mentioned first (first mention breaks ties)."""
    counts = Counter(m.entity.id for m in mentions if m.entity.kind == kind)
    first = {}
    for m in mentions:
        first.setdefault(m.entity.id, m.position)
    return sorted(counts, key=lambda e: (-counts[e], first[e]))


def _checked_ids(meta: dict, key: str, known, flags, field_name: str) -> list[str] | None:
    declared = _meta_list(meta, key)
    if declared is None:
        return None
    unknown = [v for v in declared if v not in known]
    if unknown:
        flags.append(
            Flag(
                field_name,
                N_("The front matter names unknown ids: {ids}"),
                {"ids": ", ".join(unknown)},
            )
        )
    return [v for v in declared if v in known]


#: Arabic "عمان" alone (with a conjunction or preposition) is Oman or Amman.
_OMAN_OR_AMMAN = re.compile(r"^(?:و|ب|ل|ف|وب|ول)?عمان$")


def _propose_countries(meta: dict, mentions: list[Mention], registry: Registry, flags) -> list:
    declared = _checked_ids(meta, "countries", registry.countries, flags, "countries")
    if declared is not None:
        return declared
    ambiguous = [
        m
        for m in mentions
        if m.entity.id == "OM" and len(m.words) == 1 and _OMAN_OR_AMMAN.match(_fold(m.words[0]))
    ]
    if ambiguous:
        flags.append(
            Flag(
                "countries",
                N_("{word} may mean Oman or the city of Amman (Jordan); check the countries."),
                {"word": strip_marks(ambiguous[0].words[0])},
            )
        )
    return _ranked(mentions, "country")


def _propose_organisations(meta, signatories, mentions, registry: Registry, flags) -> list:
    declared = _checked_ids(meta, "organisations", registry.organisations, flags, "organisations")
    if declared is not None:
        return declared
    return list(dict.fromkeys([*signatories, *_ranked(mentions, "organisation")]))


def _propose_people(meta, mentions, registry: Registry, flags) -> list:
    declared = _checked_ids(meta, "people", registry.people, flags, "people")
    if declared is not None:
        return declared
    return _ranked(mentions, "person")


# --- Signatories --------------------------------------------------------------------------

#: Headings of signatory lists, folded (lower case, no accents, Arabic normalised).
SIGNATORY_HEADINGS = (
    r"signed by",
    r"signatories",
    r"signatory organi[sz]ations",
    r"list of signatories",
    r"coalition members",
    r"members of the coalition",
    r"endorsed by",
    r"undersigned(?: organi[sz]ations)?",
    r"the undersigned(?: organi[sz]ations)?",
    r"(?:liste des |les |organisations )?signataires",
    r"signee?s? par",
    r"membres de la coalition",
    r"(?:المنظمات|الجهات|المؤسسات|قائمه) ?الموقع(?:ون|ين|ه)(?: ادناه)?",
    r"الموقع(?:ون|ين)(?: ادناه)?",
    r"اعضاء التحالف",
)
_HEADING = re.compile(
    r"(?:^|(?<=[.!?؛]\s)|(?<=[.!?؛]))[^\w(]*(?:" + "|".join(SIGNATORY_HEADINGS) + r")(?!\w)"
    r"(?:\s*\(\d+\))?\s*(?P<colon>[:：\-–])?\s*",
)
_LIST_MARKER = re.compile(r"^\s*(?:\(?\d{1,3}[.)\-–]|[-•*–·▪●◦]|\(\d{1,3}\))\s*")
_LIST_END = re.compile(
    r"^(?:follow us|share|latest|read more|related|subscribe|newsletter|suivez|partager|"
    r"abonnez|تابعونا|شارك|للاشتراك|اقرا ايضا)",
)
#: Column headings of signatory tables.
_NOT_A_NAME = frozenset(
    _fold(w)
    for w in "organisation organization organisations name country nom pays signature no no. "
    "n° # number المنظمة الاسم البلد الدولة الرقم رقم".split()
)
#: Longest list item taken for a name, in words.
MAX_NAME_LENGTH = 15
#: Least token_sort_ratio for a fuzzy match of a signatory to the registry.
FUZZY_THRESHOLD = 90


def find_signatories(text: str, registry: Registry) -> tuple[list[str], list[str]]:
    """Registry ids of the signatories listed in `text`, and the names it does not know."""
    return match_signatories(signatory_items(text, registry), registry)


def match_signatories(items: list[str], registry: Registry) -> tuple[list[str], list[str]]:
    """Registry ids of the listed names (each once, in order), and the names unknown."""
    ids: list[str] = []
    unknown: list[str] = []
    for item in items:
        entity = match_organisation(item, registry)
        if entity:
            ids.append(entity.id)
        elif _plausible_name(item):
            unknown.append(item)
    return list(dict.fromkeys(ids)), list(dict.fromkeys(unknown))


def _without(text: str, items: list[str]) -> str:
    """`text` without the listed names (the last occurrence of each: lists come last)."""
    for item in items:
        start = text.rfind(item)
        if start < 0:
            continue
        end = start + len(item)
        line_start, line_end = text.rfind("\n", 0, start) + 1, text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        if " | " in text[line_start:line_end]:  # a table row: its other cells go too
            start, end = line_start, line_end
        text = text[:start] + "\n" + text[end:]
    return text


def signatory_items(text: str, registry: Registry) -> list[str]:
    """The names listed under signatory headings.

    Lists follow a heading ("Signed by:", "Signatories", "Coalition Members:",
    "الموقعون", "Signataires"…): numbered, bulleted or one name per line, or run
    together on one line, where the names the registry knows show where to cut.
    """
    lines = text.split("\n")
    items: list[str] = []
    i = 0
    while i < len(lines):
        rest = _heading_rest(lines[i], registry)
        i += 1
        if rest is None:
            continue
        if rest:
            items.extend(_inline_items(rest, registry))
            continue
        count, gap, spaced = 0, False, False
        while i < len(lines):
            line = lines[i].strip()
            if not line:
                gap = count > 0  # a blank line since the last name
            elif _heading_rest(line, registry) is not None or _ends_list(line):
                break
            elif count >= 2 and gap and not spaced:
                break  # names one per line end at a blank line; one per paragraph do not
            else:
                spaced = gap if count == 1 else spaced
                items.append(_table_item(_LIST_MARKER.sub("", line), registry))
                count, gap = count + 1, False
            i += 1
    return [item for item in items if item]


def _heading_rest(line: str, registry: Registry) -> str | None:
    """What follows a signatory heading on `line` ("" if nothing), None without a heading.

    A heading starts its line or a sentence, and ends the line, has a colon, or is
    followed by a name the registry knows (a list run together with the text).
    """
    if not _HEADING.search(_fold(line)):
        return None
    folded, origin = _fold_map(line)
    for match in _HEADING.finditer(folded):
        rest = line[origin[match.end()] :].strip()
        if not rest or (match.start() == 0 and match.group("colon")):
            return rest
        first = next(_scan(rest, registry, ("organisation",)), None)
        if first is not None and first[0] == 0:
            return rest
    return None


def _ends_list(line: str) -> bool:
    words = line.split()
    return (
        len(words) > MAX_NAME_LENGTH
        or line.endswith(":")
        or bool(_LIST_END.match(_fold(line)))
        or (line.endswith(".") and len(words) > 8)
    )


def _inline_items(rest: str, registry: Registry) -> list[str]:
    """Names on the heading's own line: one, separated by commas, or run together."""
    parts = [p.strip() for p in re.split(r"[,;،؛]", rest) if p.strip()]
    if all(len(p.split()) <= MAX_NAME_LENGTH for p in parts):
        merged: list[str] = []
        for part in parts:  # "El Nadim Center, Egypt" is one name
            if merged and registry.names.find(part, "country"):
                merged[-1] += ", " + part
            else:
                merged.append(part)
        return merged
    return split_run_together(rest, registry)


def split_run_together(text: str, registry: Registry) -> list[str]:
    """Cut a run of names with no separators at the names the registry knows.

    An acronym in brackets after a name stays with it; unknown stretches are cut after a
    closing bracket; a long unknown stretch means the list has ended.
    """
    items: list[str] = []
    cursor = 0
    for _start, _end, words, _entities in _scan(text, registry, ("organisation",)):
        begin, end = words[0].start(), words[-1].end()
        gap = text[cursor:begin].strip()
        if len(gap.split()) > 12:
            return items
        items.extend(p.strip() for p in re.split(r"(?<=\))", gap) if p.strip())
        bracket = re.match(r"\s*\([^()]{1,40}\)", text[end:])
        end += bracket.end() if bracket else 0
        items.append(text[begin:end].strip())
        cursor = end
    tail = text[cursor:].strip()
    if tail and len(tail.split()) <= 12:
        items.extend(p.strip() for p in re.split(r"(?<=\))", tail) if p.strip())
    return items


def _table_item(line: str, registry: Registry) -> str:
    """A table row ("1 | Access Now | Lebanon"): the cell that names an organisation."""
    if " | " not in line:
        return line.strip(" .;,،")
    cells = [c.strip() for c in line.split(" | ") if c.strip() and not c.strip().isdigit()]
    if any(_fold(c) in _NOT_A_NAME for c in cells):
        return ""  # the heading row
    for cell in cells:
        if match_organisation(cell, registry):
            return cell
    return cells[0] if cells else ""


def _plausible_name(item: str) -> bool:
    words = item.split()
    return (
        0 < len(words) <= MAX_NAME_LENGTH
        and len(item) <= 150
        and _fold(item) not in _NOT_A_NAME
        and (any(w[:1].isupper() for w in words) or is_arabic(item))
    )


def match_organisation(name: str, registry: Registry) -> Entity | None:
    """The registry organisation `name` means: by exact name, acronym or variant (with and
    without what is in brackets, or a trailing country), else by a close spelling."""
    name = name.strip(" .;,،")
    bare = re.sub(r"\s*\([^()]*\)", "", name).strip()
    tries = [name, bare, re.sub(r"\s*[,–-]\s*[^,–-]+$", "", bare).strip()]
    tries += re.findall(r"\(([^()]+)\)", name)
    for candidate in tries:
        if candidate:
            found = registry.names.find(candidate, "organisation")
            if found:
                return found[0]
    return _fuzzy_organisation(bare or name, registry)


def _normalised_name(name: str) -> str:
    return " ".join(t for m in _word_matches(name) for t in terms_of(m.group(), EXACT))


@lru_cache(maxsize=8)
def _fuzzy_choices(registry: Registry) -> tuple[list[str], list[Entity]]:
    names, entities = [], []
    for entity in registry.organisations.values():
        for name in entity.all_names:
            if not name.isupper():
                names.append(_normalised_name(name))
                entities.append(entity)
    return names, entities


def _fuzzy_organisation(name: str, registry: Registry) -> Entity | None:
    from rapidfuzz import fuzz, process

    query = _normalised_name(name)
    if len(query) < 6:
        return None
    names, entities = _fuzzy_choices(registry)
    best = process.extractOne(
        query, names, scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_THRESHOLD
    )
    return entities[best[2]] if best else None


# --- Repeated blocks ----------------------------------------------------------------------

#: Fewest words a repeated passage must have to be reported.
MIN_REPEAT_WORDS = 50
_HASH_BASE = 1_000_003
_HASH_MOD = (1 << 61) - 1


def find_repeated_blocks(
    text: str, min_words: int = MIN_REPEAT_WORDS
) -> tuple[list[RepeatedBlock], str | None]:
    """Passages of at least `min_words` words found more than once, and the text with
    each kept once (None when nothing repeats).

    Every window of `min_words` words is hashed (a rolling hash); a window seen before
    starts a copy, which is extended word by word as long as it matches the original.
    """
    words = list(_word_matches(text))
    ids: dict[str, int] = {}
    seq = [ids.setdefault(" ".join(terms_of(w.group(), EXACT)), len(ids)) for w in words]
    n, k = len(seq), min_words
    if n < 2 * k:
        return [], None
    power = pow(_HASH_BASE, k - 1, _HASH_MOD)
    hashes, h = [], 0
    for i, value in enumerate(seq):
        if i >= k:
            h = (h - (seq[i - k] + 1) * power) % _HASH_MOD
        h = (h * _HASH_BASE + value + 1) % _HASH_MOD
        if i >= k - 1:
            hashes.append(h)
    first: dict[int, int] = {}
    copies: list[tuple[int, int, int]] = []  # (original start, copy start, length)
    lengths: dict[int, int] = {}  # original start -> length of the passage copied
    i = 0
    while i + k <= n:
        j = first.get(hashes[i])
        if j is not None and j + k <= i and seq[j : j + k] == seq[i : i + k]:
            m, most = k, min(i - j, lengths.get(j, n))
            while i + m < n and m < most and seq[j + m] == seq[i + m]:
                m += 1
            lengths.setdefault(j, m)
            copies.append((j, i, m))
            i += m
            continue
        first.setdefault(hashes[i], i)
        i += 1
    if not copies:
        return [], None
    counts: Counter = Counter()
    originals: dict[tuple, tuple[int, int]] = {}
    for j, _i, m in copies:
        key = tuple(seq[j : j + m])
        counts[key] += 1
        originals.setdefault(key, (j, m))
    blocks = [
        RepeatedBlock(text[slice(*_span(text, words, j, m))], counts[key] + 1)
        for key, (j, m) in originals.items()
    ]
    kept = text
    for _j, i, m in sorted(copies, key=lambda c: -c[1]):
        start, end = _span(text, words, i, m)
        kept = kept[:start] + kept[end:]
    return blocks, clean_text(kept)


def _span(text: str, words: list[re.Match], start: int, length: int) -> tuple[int, int]:
    """Character span of `length` words from word `start`, with the brackets and
    punctuation attached to its ends."""
    begin, end = words[start].start(), words[start + length - 1].end()
    while begin > 0 and text[begin - 1] in "([«“\"'":
        begin -= 1
    while end < len(text) and not text[end].isspace() and not text[end].isalnum():
        end += 1
    return begin, end
