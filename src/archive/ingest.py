"""Ingest: from an uploaded file to a reviewed document, writing nothing until confirmed.

`review` extracts the text (in a child process held to the time and memory
budgets, see `extract.extract_isolated`), proposes metadata (see `extract`),
and looks in the archive for duplicates and for documents this one may
translate. The file waits in a staging folder (``instance/uploads/``, outside
the corpus) under a random token, with its extracted text, so that it is read
once; only `Editor.add`, after the archivist confirms, writes to the corpus and
the index.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
import zlib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .analysis import EXACT, terms_of, word_matches
from .document import Document
from .errors import ArchiveError, NotFound
from .extract import Extracted, Limits, Proposal, extract_isolated, propose
from .i18n import N_
from .search import Filters, SearchService

SHINGLE = 5  # words per shingle
NEAR_DUPLICATE = 0.6  # share of the smaller text's shingles found in the other
STAGING_DIR = "uploads"
STAGING_HOURS = 24
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class Duplicate:
    id: str
    title: str
    similarity: float  # 0..1, 1.0 for the same text
    exact: bool


@dataclass(frozen=True)
class Candidate:
    id: str
    title: str
    language: str


@dataclass
class Review:
    """What an archivist confirms or edits before anything is written."""

    token: str
    original_name: str
    extracted: Extracted
    proposal: Proposal
    duplicates: list[Duplicate] = field(default_factory=list)
    translations: list[Candidate] = field(default_factory=list)

    def refuse_exact_duplicate(self) -> None:
        """Raise `ArchiveError` if the archive already has this very text."""
        exact = [d for d in self.duplicates if d.exact]
        if exact:
            raise ArchiveError(
                N_("{file}: already in the archive as {id}"),
                file=self.original_name,
                id=exact[0].id,
            )


def shingles(text: str) -> set[int]:
    """Hashes of every run of SHINGLE normalised words (spelling variants agree)."""
    words = [t for m in word_matches(text) for t in terms_of(m.group(), EXACT)]
    return {
        zlib.crc32(" ".join(words[i : i + SHINGLE]).encode("utf-8"))
        for i in range(max(1, len(words) - SHINGLE + 1))
    }


def similarity(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def find_duplicates(service: SearchService, document: Document) -> list[Duplicate]:
    """Documents of the archive (restricted too) with the same or nearly the same text."""
    mine = shingles(document.body)
    found = []
    for doc_id in service.similar_ids(document, limit=20):
        other = service.document(doc_id, include_restricted=True)
        score = similarity(mine, shingles(other.body))
        if score >= NEAR_DUPLICATE:
            exact = other.body.strip() == document.body.strip() or score >= 0.999
            found.append(Duplicate(other.id, other.title, round(score, 3), exact))
    return sorted(found, key=lambda d: -d.similarity)


def find_translations(service: SearchService, document: Document) -> list[Candidate]:
    """Documents that are likely this one in another language: the same kind of
    document on the same day, naming most of the same organisations (or, where
    neither names any, the same people and countries). At most one per
    language, the one sharing most; none on a date without its day, which many
    documents share."""
    if len(document.date) < len("YYYY-MM-DD"):
        return []
    result = service.search(
        "",
        Filters(date_from=document.date, date_to=document.date, types=(document.type,)),
        page_size=100,
        include_restricted=True,
    )
    mine = set(document.organisations)
    best: dict[str, tuple[int, Candidate]] = {}
    for hit in result.hits:
        if hit.language == document.language:
            continue
        theirs = set(hit.organisations)
        if mine or theirs:
            shared = len(mine & theirs)
            if shared < max(1, len(mine | theirs) / 2):
                continue
        else:
            people = set(document.people) & set(hit.people)
            places = set(document.countries) & set(hit.countries)
            if not people or not places:
                continue
            shared = len(people) + len(places)
        if shared > best.get(hit.language, (0, None))[0]:
            best[hit.language] = (shared, Candidate(hit.id, hit.title, hit.language))
    return [candidate for _, candidate in best.values()]


class Staging:
    """Uploaded files waiting for an archivist's decision."""

    def __init__(self, home: Path):
        self.root = Path(home) / "instance" / STAGING_DIR

    def put(self, data: bytes, name: str, user: str, extracted: Extracted | None = None) -> str:
        """Keep the file (and what was extracted from it) under a new token."""
        self.clean()
        token = secrets.token_urlsafe(24)
        folder = self.root / token
        folder.mkdir(parents=True)
        (folder / "data").write_bytes(data)
        if extracted is not None:
            text = json.dumps(asdict(extracted), ensure_ascii=False, default=str)
            (folder / "extracted.json").write_text(text, encoding="utf-8")
        meta = {"name": name, "user": user, "time": time.time()}
        (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        return token

    def get(self, token: str, user: str) -> tuple[bytes, str]:
        folder = self.root / token
        if not _TOKEN.match(token) or not (folder / "meta.json").exists():
            raise NotFound(N_("this upload is no longer waiting; upload the file again"))
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta["user"] != user:
            raise NotFound(N_("this upload is no longer waiting; upload the file again"))
        return (folder / "data").read_bytes(), meta["name"]

    def extracted(self, token: str) -> Extracted | None:
        """What was extracted from the file when it was staged (check the owner with
        `get` first); None if it was staged without it."""
        path = self.root / token / "extracted.json"
        if not _TOKEN.match(token) or not path.exists():
            return None
        return Extracted(**json.loads(path.read_text(encoding="utf-8")))

    def drop(self, token: str) -> None:
        if _TOKEN.match(token):
            shutil.rmtree(self.root / token, ignore_errors=True)

    def clean(self) -> None:
        """Forget uploads nobody confirmed within STAGING_HOURS."""
        if not self.root.is_dir():
            return
        limit = time.time() - STAGING_HOURS * 3600
        for folder in self.root.iterdir():
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)


def apply(found: Review, options: dict) -> Document:
    """The proposed document with the archivist's choices applied.

    `options` uses the command line's names: id, title, doc_type, language,
    date, countries, organisations, people, source, translations, restricted,
    keep_repeats. Empty values leave the proposal alone.
    """
    document = found.proposal.document
    if found.proposal.deduplicated_body and not options.get("keep_repeats"):
        document = replace(document, body=found.proposal.deduplicated_body)
    changes: dict = {}
    simple = (
        ("id", "id"),
        ("title", "title"),
        ("doc_type", "type"),
        ("language", "language"),
        ("date", "date"),
        ("source", "source"),
    )
    for option, field_name in simple:
        if options.get(option):
            changes[field_name] = options[option]
    for name in ("countries", "organisations", "people", "translations"):
        if options.get(name):
            changes[name] = tuple(options[name])
    if "translations" not in changes and found.translations:
        changes["translations"] = tuple(c.id for c in found.translations)
    if options.get("restricted"):
        changes["access"] = "restricted"
    document = replace(document, **changes)
    if document.type != "case":  # proposed case details do not belong to a letter
        document = replace(
            document, subject=None, status=None, charges=(), sentence=None, events=()
        )
    return document


def _with_free_id(service: SearchService, document: Document) -> Document:
    """The document with its proposed id, or the first of id-2, id-3… that no
    document of the archive has: the index's, and files just written beside
    where this one would go (an import indexes once at the end)."""
    corpus = service.corpus
    candidate, number = document.id, 1
    while service.backend.file_of(candidate) is not None or (
        corpus.path_for(replace(document, id=candidate)).exists()
    ):
        number += 1
        candidate = f"{document.id}-{number}"
    return replace(document, id=candidate)


def review(
    service: SearchService,
    data: bytes,
    name: str,
    limits: Limits,
    token: str = "",  # nosec B107
    extracted: Extracted | None = None,
) -> Review:
    """Extract (unless `extracted` is given) and propose; look for duplicates and
    translations. Writes nothing."""
    if not data:
        raise ArchiveError(N_("{file}: the file is empty"), file=name)
    if extracted is None:
        extracted = extract_isolated(data, name, limits)
    proposal = propose(extracted, name, service.registry)
    if proposal.document.id != extracted.front_matter.get("id"):  # proposed, not declared
        proposal = replace(proposal, document=_with_free_id(service, proposal.document))
    duplicates = find_duplicates(service, proposal.document) if service.backend.exists() else []
    translations = find_translations(service, proposal.document) if service.backend.exists() else []
    return Review(token, name, extracted, proposal, duplicates, translations)
