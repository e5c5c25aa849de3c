"""The corpus: one Markdown file with YAML front matter per document.

Reads documents (reporting every problem as ``path: field: reason``),
validates the corpus as a whole against the registry, and writes documents
atomically: temporary file, fsync, rename, fsync of the folder. A document
whose write returned is on disk, whatever happens to the process next.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import pickle  # nosec B403: only the archive's own cache under index/ is read
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path

from . import yamlio
from .document import (
    ACCESS_LEVELS,
    CASE_STATUSES,
    DATE_PATTERN,
    FRONT_MATTER_FIELDS,
    ID_PATTERN,
    LANGUAGES,
    TYPES,
    Document,
    Event,
)
from .errors import CorpusError, Problem
from .registry import REGISTRY_DIR, Registry, country_names, fingerprint

CORPUS_DIR = "corpus"
#: Where original files (PDF, Word, HTML …) are kept, named by their content.
ORIGINALS_DIR = "originals"
REQUIRED_FIELDS = ("id", "title", "type", "language", "date")
CASE_FIELDS = ("subject", "status", "charges", "sentence", "events")
_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?)^---[ \t]*$\n?(.*)", re.S | re.M)
LIST_FIELDS = ("countries", "organisations", "people", "translations", "charges")
#: The registry as last loaded, names built (`load_cached`), under the home.
REGISTRY_CACHE = Path("index") / "registry.pickle"
#: Seconds after which a hidden temporary file is taken for an interrupted write.
LEFTOVER_AGE = 600.0


@cache
def _code_key() -> str:
    """A hash of this package's code: a registry pickled by other code is not read."""
    digest = hashlib.sha256()
    pending = [resources.files("archive")]
    while pending:
        folder = pending.pop()
        for child in sorted(folder.iterdir(), key=lambda c: c.name):
            if child.is_dir() and child.name != "__pycache__":
                pending.append(child)
            elif child.name.endswith(".py"):
                digest.update(child.name.encode() + b"\0" + child.read_bytes())
    return digest.hexdigest()


def load_cached(corpus_dir: Path, cache_path: Path) -> Registry:
    """`Registry.load`, with its name index built, kept in `cache_path` for
    the next process: loading the files and building the names of a
    registry of 2,000 entities takes about a second, unpickling it 0.05 s
    (which `archive index` after one edit cannot spare). The copy is used
    only if the registry's files and the package's code are those it was
    made from; it is derived (it lives under index/), written atomically,
    and left unwritten where that is not allowed."""
    key = (fingerprint(corpus_dir), _code_key())
    registry = _read_pickled(cache_path, key)
    if registry is not None:
        return registry
    registry = Registry.load(corpus_dir)
    _ = registry.names
    if not registry.problems:  # a registry with problems is reported every time
        with contextlib.suppress(OSError):
            write_atomic(cache_path, pickle.dumps((key, registry), pickle.HIGHEST_PROTOCOL))
    return registry


def _read_pickled(cache_path: Path, key: tuple) -> Registry | None:
    """The registry kept in `cache_path` under `key`; None if there is none."""
    try:
        with open(cache_path, "rb") as handle:
            found_key, registry = pickle.load(handle)  # nosec B301: the archive's own file
    except Exception:  # missing, unreadable or pickled by other code: loaded again
        return None
    return registry if found_key == key and isinstance(registry, Registry) else None


class Corpus:
    """The corpus folder of an archive home."""

    def __init__(self, home: Path, registry: Registry | None = None):
        """`registry`: one loaded already (by a server), used while the
        registry's files are still those it was loaded from."""
        self.home = Path(home)
        self.root = self.home / CORPUS_DIR
        current = registry is not None and registry.fingerprint == fingerprint(self.root)
        self._registry: Registry | None = registry if current else None

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = load_cached(self.root, self.home / REGISTRY_CACHE)
        return self._registry

    def display(self, path: Path) -> str:
        """A path as messages show it: relative to the archive home."""
        return os.path.relpath(path, self.home)

    def paths(self) -> Iterator[Path]:
        """Every document file, in a stable order (hidden files and the registry skipped)."""
        for path, _ in self.files():
            yield Path(path)

    def files(self) -> Iterator[tuple[str, str]]:
        """(path, path relative to corpus/) of every document file, as `paths`
        orders them; as strings, made without `os.path.relpath` (which costs
        more than the stat of a file, on a walk of 100,000)."""
        if not self.root.is_dir():
            return
        root = str(self.root)
        for dirpath, dirnames, filenames in os.walk(root):
            at_root = dirpath == root
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".") and not (at_root and d in (REGISTRY_DIR, ORIGINALS_DIR))
            )
            folder = "" if at_root else os.path.relpath(dirpath, root) + os.sep
            prefix = dirpath + os.sep
            for name in sorted(filenames):
                if name.endswith(".md") and not name.startswith("."):
                    yield prefix + name, folder + name

    def leftovers(self, older_than: float = LEFTOVER_AGE) -> list[Path]:
        """Temporary files of writes that were interrupted (`write_atomic`'s
        hidden ``.*.tmp``), older than `older_than` seconds: never documents,
        but clutter. A write in progress is far younger."""
        if not self.root.is_dir():
            return []
        found = []
        now = time.time()
        for dirpath, _, filenames in os.walk(self.root):
            for name in filenames:
                path = Path(dirpath) / name
                if name.startswith(".") and name.endswith(".tmp"):
                    with contextlib.suppress(OSError):
                        if now - path.stat().st_mtime > older_than:
                            found.append(path)
        return sorted(found)

    def read(self, path: Path) -> Document:
        """Read one document; raises `CorpusError` on the first fatal problem."""
        document, problems = self.parse(path)
        if document is None:
            raise CorpusError(problems[0])
        return document

    def parse(self, path: Path, data: bytes | None = None) -> tuple[Document | None, list[Problem]]:
        """Read one document (from `data` if given) and every problem found in it."""
        where = self.display(path)
        try:
            text = (Path(path).read_bytes() if data is None else data).decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, [Problem(where, "file", f"not UTF-8 (byte {exc.start})")]
        except OSError as exc:
            return None, [Problem(where, "file", exc.strerror or "cannot be read")]
        document, problems = parse_document(text, where)
        if document is not None:
            document = replace(document, path=os.path.relpath(path, self.root))
        return document, problems

    def documents(self) -> Iterator[Document]:
        """Every readable document (unreadable ones are `check`'s business)."""
        for path in self.paths():
            document, _ = self.parse(path)
            if document is not None:
                yield document

    def path_for(self, document: Document) -> Path:
        """Where a new document goes: ``corpus/<type>/<year>/<id>.md``."""
        return self.root / document.type / document.date[:4] / f"{document.id}.md"

    def write(self, document: Document, path: Path | None = None) -> Document:
        """Write a document atomically and return it with its path set."""
        path = Path(path) if path else self.path_for(document)
        write_atomic(path, render_document(document).encode("utf-8"))
        return replace(document, path=os.path.relpath(path, self.root))

    def check(self) -> list[Problem]:
        """Every problem in the registry and the documents, in file order."""
        registry = self.registry
        problems = list(registry.problems)
        documents: list[Document] = []
        first_path: dict[str, str] = {}
        for path in self.paths():
            document, found = self.parse(path)
            problems.extend(found)
            if document is None:
                continue
            where = self.display(path)
            if document.id in first_path:
                problems.append(
                    Problem(where, "id", f"duplicate id, also in {first_path[document.id]}")
                )
                continue
            first_path[document.id] = where
            problems.extend(check_references(document, where, registry, self.root))
            documents.append(document)
        problems.extend(self._check_translations(documents))
        return problems

    def _check_translations(self, documents: list[Document]) -> list[Problem]:
        by_id = {d.id: d for d in documents}
        problems = []
        for document in documents:
            where = self.display(self.root / document.path)
            for other_id in document.translations:
                other = by_id.get(other_id)
                if other_id == document.id:
                    problems.append(Problem(where, "translations", "lists the document itself"))
                elif other is None:
                    problems.append(
                        Problem(where, "translations", f"unknown document {other_id!r}")
                    )
                elif document.id not in other.translations:
                    problems.append(
                        Problem(where, "translations", f"{other_id!r} does not list it back")
                    )
                elif other.language == document.language:
                    problems.append(
                        Problem(where, "translations", f"{other_id!r} is in the same language")
                    )
        return problems


def parse_document(text: str, where: str) -> tuple[Document | None, list[Problem]]:
    """Parse a corpus file's text into a `Document` and the problems found.

    The document is None when a required field is missing or unusable.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if not re.match(r"---[ \t]*\n", text):
        return None, [Problem(where, "front matter", "missing (the file must start with ---)")]
    match = _FRONT_MATTER.match(text)
    if not match:
        return None, [Problem(where, "front matter", "not closed by a --- line")]
    head, body = match.groups()
    try:
        meta = yamlio.load(head)
    except yamlio.Error as exc:
        return None, [Problem(where, "front matter", yamlio.describe(exc)[1])]
    except UnicodeError:  # text that is not valid Unicode (a lone surrogate)
        return None, [Problem(where, "front matter", "invalid characters")]
    if not isinstance(meta, dict):
        return None, [Problem(where, "front matter", "must be a mapping of fields")]
    return _document_from_meta(meta, body.strip(), where)


def _document_from_meta(meta: dict, body: str, where: str) -> tuple[Document | None, list[Problem]]:
    problems: list[Problem] = []

    def problem(field: str, reason: str) -> None:
        problems.append(Problem(where, field, reason))

    for key in meta:
        if key not in FRONT_MATTER_FIELDS:
            problem(str(key), "unknown field")
    values: dict = {}
    for key in REQUIRED_FIELDS:
        if meta.get(key) in (None, ""):
            problem(key, "missing")
    for key in ("id", "title", "source", "subject", "sentence", "original_name", "original_file"):
        value = meta.get(key)
        if value is not None and not isinstance(value, str):
            value = str(value) if isinstance(value, int | float) and key != "id" else None
            if value is None:
                problem(key, "must be text")
        if value is not None:
            values[key] = value.strip()
    if "id" in values and not ID_PATTERN.match(values["id"]):
        problem("id", "must be a lower-case slug (a-z, 0-9, -)")
        del values["id"]
    for key, allowed in (
        ("type", TYPES),
        ("language", LANGUAGES),
        ("access", ACCESS_LEVELS),
        ("status", CASE_STATUSES),
    ):
        value = meta.get(key)
        if value is None:
            continue
        if value in allowed:
            values[key] = value
        else:
            problem(key, f"{value!r} is not one of {', '.join(allowed)}")
    if meta.get("date") not in (None, ""):
        date, reason = parse_date(meta["date"])
        if date:
            values["date"] = date
        else:
            problem("date", reason)
    for key in LIST_FIELDS:
        value = meta.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problem(key, "must be a list of text values")
            continue
        values[key] = tuple(dict.fromkeys(v.strip() for v in value))
    if "original_file" in values and not re.fullmatch(
        rf"{ORIGINALS_DIR}/[0-9a-f]{{32}}(\.[a-z0-9]{{1,5}})?", values["original_file"]
    ):
        problem("original_file", f"must be a file under {ORIGINALS_DIR}/ named by its content")
        del values["original_file"]
    if "source" in values and not values["source"].startswith(("http://", "https://")):
        problem("source", "must be an http(s) URL")
        del values["source"]
    if meta.get("events") is not None:
        values["events"] = _events(meta["events"], problem)
    if values.get("type") == "case":
        for key in ("subject", "status"):
            if key not in values and meta.get(key) is None:
                problem(key, "missing (required for case summaries)")
    elif "type" in values:
        for key in CASE_FIELDS:
            if meta.get(key) not in (None, "", []):
                problem(key, "only case summaries have this field")
    if not body:
        problem("body", "empty")
    if any(key not in values for key in REQUIRED_FIELDS):
        return None, problems
    return Document(body=body, **values), problems


def _events(value, problem) -> tuple[Event, ...]:
    if not isinstance(value, list):
        problem("events", "must be a list of {date, event}")
        return ()
    events = []
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict) or set(item) != {"date", "event"}:
            problem(f"events[{number}]", "must have exactly a date and an event")
            continue
        date, reason = parse_date(item["date"])
        if not date:
            problem(f"events[{number}].date", reason)
            continue
        if not isinstance(item["event"], str) or not item["event"].strip():
            problem(f"events[{number}].event", "must be text")
            continue
        events.append(Event(date, item["event"].strip()))
    return tuple(events)


def parse_date(value) -> tuple[str | None, str]:
    """An ISO date (YYYY, YYYY-MM or YYYY-MM-DD) from YAML, or None and why not."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat(), ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None, "must be an ISO date (YYYY-MM-DD, YYYY-MM or YYYY)"
    value = value.strip()
    match = DATE_PATTERN.match(value)
    if not match:
        return None, f"{value!r} is not an ISO date (YYYY-MM-DD, YYYY-MM or YYYY)"
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError as exc:
        return None, f"{value!r} is not a real date ({exc})"
    return value, ""


def check_references(
    document: Document, where: str, registry: Registry, root: Path | None = None
) -> list[Problem]:
    """Problems with the ids and codes a document points at (and its original file,
    when the corpus folder `root` is given)."""
    problems = []
    countries = country_names()
    for code in document.countries:
        if code not in countries:
            problems.append(Problem(where, "countries", f"unknown country code {code!r}"))
    for key, entities in (("organisations", registry.organisations), ("people", registry.people)):
        for entity_id in getattr(document, key):
            if entity_id not in entities:
                problems.append(Problem(where, key, f"{entity_id!r} is not in the registry"))
    if root is not None and document.original_file and not (root / document.original_file).exists():
        problems.append(Problem(where, "original_file", "no such file in the corpus"))
    if document.subject and document.subject not in registry.people:
        problems.append(Problem(where, "subject", f"{document.subject!r} is not in the registry"))
    return problems


def render_document(document: Document) -> str:
    """The corpus file text for a document: front matter, blank line, body."""
    meta: dict = {}
    for key in FRONT_MATTER_FIELDS:
        value = getattr(document, key)
        if key == "access" and value == "public":
            continue
        if value in (None, "", ()):
            continue
        if key == "events":
            value = [{"date": e.date, "event": e.event} for e in value]
        elif isinstance(value, tuple):
            value = list(value)
        meta[key] = value
    return f"---\n{yamlio.dump(meta)}---\n\n{document.body.strip()}\n"


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that the file is either old or new, never torn."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
