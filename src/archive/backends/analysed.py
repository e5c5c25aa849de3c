"""What every backend indexes for a document, before its engine's own types:
the archive's analysed terms per field, the entities named, the facet tags
and the metadata kept with each hit. Analysis happens here, once, the same for
every backend, so that words match alike whichever engine stores them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from ..analysis import analyse_document
from ..corpus import Corpus
from ..document import Document, searchable_parts
from ..errors import Problem
from ..fields import DOCUMENT_FIELDS, TAG_FACETS
from ..filetable import stat_now

#: A name in the title counts as this many in the body.
TITLE_MENTION_WEIGHT = 3
#: Metadata kept in the index so that a page of hits needs no file reads.
HIT_FIELDS = (*(f.name for f in DOCUMENT_FIELDS if f.hit), "path")


def analysed_fields(document: Document, content_hash: str, names=None) -> dict:
    """A document's fields: ``title``, ``body`` and ``exact`` as term -> count,
    ``analysed`` as term -> positions (paragraph × `analysis.PARAGRAPH_GAP` +
    place), ``mention`` as "kind:id" -> count (`names`: the registry's
    `NameIndex`), each facet's field with its values joined by commas, and
    ``id``, ``path``, ``access``, ``date`` (a date key), ``meta``, ``hash``."""
    sequences: list = []
    title, body, exact, analysed = analyse_document(
        searchable_parts(document), document.language, sequences if names else None
    )
    mentions: dict[str, int] = {}
    for number, sequence in enumerate(sequences):
        weight = TITLE_MENTION_WEIGHT if number == 0 else 1
        for key, count in names.mentions(sequence).items():
            mentions[key] = mentions.get(key, 0) + count * weight
    return {
        "id": document.id,
        "path": document.path or "",
        "title": title,
        "body": body,
        "exact": exact,
        "analysed": analysed,
        "mention": mentions,
        **{f.field: tags for f in TAG_FACETS if (tags := _tags(document, f))},
        "access": document.access,
        "date": document.date_key,
        "meta": {name: getattr(document, name) for name in HIT_FIELDS},
        "hash": content_hash,
    }


def _tags(document: Document, facet) -> str:
    """A facet's values of a document as its field indexes them."""
    values = getattr(document, facet.document)
    return ",".join(values) if facet.multi else values or ""


def hash_bytes(data: bytes) -> str:
    """A corpus file's content hash, as every backend stores it."""
    return hashlib.sha256(data).hexdigest()


def part_of(document: Document) -> str:
    """The part of the index a document belongs to: public or restricted."""
    return "restricted" if document.restricted else "public"


def scan_corpus(corpus: Corpus, paths: Iterable[Path] | None = None):
    """(path, document or None, content hash, problems, stat) for every
    corpus file; the file's stat is taken just before it is read
    (`filetable.stat_now`)."""
    for path in corpus.paths() if paths is None else paths:
        try:
            stat = stat_now(path)
            data = path.read_bytes()
        except OSError as exc:
            yield (
                path,
                None,
                "",
                [Problem(corpus.display(path), "file", exc.strerror or "unreadable")],
                "",
            )
            continue
        document, problems = corpus.parse(path, data)
        yield path, document, hash_bytes(data), problems, stat
