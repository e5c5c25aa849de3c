"""Search plans: what a query asks of the index, in terms no engine owns.

The planner (`archive.planner`) turns a parsed query into these nodes; a
backend (`archive.backends`) turns them into its engine's queries. Terms are
the archive's own analysed terms (`archive.analysis`), so every backend
matches exactly what the embedded one does. Fields are named as the index
schema names them: ``title`` and ``body`` (stemmed words), ``exact``,
``analysed`` (positions), ``mention`` (names found in the text) and the tag
fields ``country``, ``org``, ``person``, ``type`` and ``lang``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    """A plain word: any of its stemmed terms, in the title or the body (scored)."""

    terms: tuple[str, ...]


@dataclass(frozen=True)
class TitleWords:
    """A word of a `title:` condition: any of its stemmed terms in the title."""

    terms: tuple[str, ...]


@dataclass(frozen=True)
class Term:
    """One term of one field: an exact word, a tag, a type or a language."""

    field: str
    text: str


@dataclass(frozen=True)
class Forms:
    """Any of a prefix's analysed forms (positions field), scored as one term."""

    terms: tuple[str, ...]


@dataclass(frozen=True)
class Entity:
    """Documents tagged with an entity or naming it in the text ("kind:id")."""

    kind: str
    id: str


@dataclass(frozen=True)
class Phrase:
    """Analysed terms one after another, or within `slop` words in any order.
    `literal` gives, per position, the exact word a =word must be (else None);
    such words have no positions, so a backend checks them in the text."""

    terms: tuple[str, ...]
    slop: int = 0
    literal: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class Near:
    """Two operands (`Phrase`, `Forms` or `AnyOf` of them) within `distance`
    words in any order, or in the same paragraph."""

    left: object
    right: object
    distance: int = 0
    paragraph: bool = False


@dataclass(frozen=True)
class DateRange:
    """Documents dated between two inclusive date keys (YYYYMMDD)."""

    low: int
    high: int


@dataclass(frozen=True)
class AllOf:
    parts: tuple


@dataclass(frozen=True)
class AnyOf:
    parts: tuple


@dataclass(frozen=True)
class Without:
    """Documents of `positive` (None: every document) that `negative` does not find."""

    positive: object
    negative: object


@dataclass(frozen=True)
class Nothing:
    """Matches no document (a prefix no word starts with)."""


def any_of(parts: list):
    """The parts or-ed (None parts dropped); None if there are none."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))


def all_of(parts: list):
    """The parts and-ed (None parts dropped); None if there are none."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))
