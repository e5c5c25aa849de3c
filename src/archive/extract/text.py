"""Plain text and Markdown: decoding, front matter."""

from __future__ import annotations

import codecs
import re

from .. import yamlio
from ..i18n import N_
from .common import Extracted, ExtractionError, Limits

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
ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff]")
#: Share of control or undecodable characters above which a "text" is binary junk.
JUNK_SHARE = 0.05


def binary_kind(data: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)


def decode_text(data: bytes, filename: str) -> tuple[str, str]:
    """Text and encoding of a text file: UTF-8 (BOM or not), UTF-16 with BOM, else an 8-bit
    Windows code page (1256 when the bytes read as mostly Arabic letters, else 1252)."""
    kind = binary_kind(data)
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
    arabic = len(ARABIC_LETTER.findall(high.decode("cp1256")))
    return "cp1256" if arabic / len(high) >= 0.5 else "cp1252"


def from_text(data: bytes, filename: str, limits: Limits) -> Extracted:
    text, encoding = decode_text(data, filename)
    return Extracted(text, "txt", encoding)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)


def from_markdown(data: bytes, filename: str, limits: Limits) -> Extracted:
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
