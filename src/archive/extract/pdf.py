"""PDF (pypdf): page text, right-to-left lines put back in logical order, reversed digits fixed."""

from __future__ import annotations

import io
import math
import re
import unicodedata
from dataclasses import dataclass

from ..analysis import is_arabic
from ..i18n import N_
from .common import LIST_MARKER, Extracted, ExtractionError, Limits, check_chars
from .text import ARABIC_LETTER

# --- PDF ----------------------------------------------------------------------------------


def from_pdf(data: bytes, filename: str, limits: Limits) -> Extracted:
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
                check_chars(total, filename, limits)
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
    arabic = len(ARABIC_LETTER.findall(plain))
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
        listed = LIST_MARKER.match(line) or LIST_MARKER.match(lines[i + 1])
        if i in breaks or (not full and re.search(r"[.!?؟:»”\"]$", line)):
            out += "\n\n"
        elif full and not listed:
            out += " "
        else:
            out += "\n"
    return out


#: ARABIC LETTER MARK, an invisible Arabic letter. Put in front of a visual-order line,
#: it stands for the Arabic text that comes before a number at the line's left edge (the
#: end of the sentence) in reading order, so that the number is read as it would be
#: anywhere else in the line: "رقم 2020-05" and "(أي 100%)", not "05-2020" and "%100".
_ALM = "\u061c"


def visual_to_logical(line: str) -> str:
    """A right-to-left line stored in visual order (left to right as drawn), in reading order.

    The line is laid out again from the right by the Unicode bidirectional algorithm
    (python-bidi): Arabic runs turn round, Latin words and numbers keep their order, and
    brackets and «» are turned to face their text. python-bidi's own Python version is
    the one used: its default (Rust) version leaves brackets facing the wrong way.
    Zero-width characters (ZWNJ, ZWJ, zero-width space, soft hyphen) are dropped.
    """
    from bidi.algorithm import get_display

    return get_display(_ALM + line, base_dir="R").removesuffix(_ALM)


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
        if len(ARABIC_LETTER.findall(line)) > len(_LATIN.findall(line))
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
