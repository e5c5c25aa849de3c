"""Reading a file of any accepted format, in this process or in a child held to a budget."""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404 - runs this Python on an upload
import sys
from dataclasses import asdict, replace
from pathlib import Path, PurePath

from ..errors import ArchiveError
from ..i18n import N_
from .common import (
    DEFAULT_LIMITS,
    FORMATS,
    Extracted,
    ExtractionError,
    Limits,
    check_chars,
    clean_text,
)
from .docx import from_docx
from .html import from_html
from .pdf import from_pdf
from .text import from_markdown, from_text

# --- Extraction ---------------------------------------------------------------------------


def extract_text(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> Extracted:
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
        ".txt": from_text,
        ".md": from_markdown,
        ".html": from_html,
        ".htm": from_html,
        ".pdf": from_pdf,
        ".docx": from_docx,
    }[extension]
    extracted = reader(data, filename, limits)
    text = clean_text(extracted.text)
    check_chars(len(text), filename, limits)
    if not any(c.isalnum() for c in text):
        raise ExtractionError(N_("{file}: no text found in the file"), file=filename)
    return replace(extracted, text=text)


def extract_isolated(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> Extracted:
    """`extract_text` in a child process whose address space is limited to
    `limits.memory_mb` and which is killed after `limits.seconds`.

    A refusal in the child is raised here as the same `ExtractionError`; a file
    over either budget gets an `ExtractionError` naming the budget.
    """
    header = json.dumps({"file": filename, "limits": asdict(limits)}).encode("utf-8")
    environment = dict(os.environ)  # the child finds this copy of the archive
    source = str(Path(__file__).resolve().parents[2])
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [source, environment.get("PYTHONPATH")])
    )
    try:
        finished = subprocess.run(  # nosec B603 - this Python, a fixed command
            [sys.executable, "-c", "from archive.extract.reading import _run_child; _run_child()"],
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
