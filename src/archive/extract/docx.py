"""Word documents (python-docx): paragraphs and tables in order."""

from __future__ import annotations

import io
import re
import zipfile

from ..i18n import N_
from .common import Extracted, ExtractionError, Limits

# --- Word (.docx) -------------------------------------------------------------------------


def from_docx(data: bytes, filename: str, limits: Limits) -> Extracted:
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
