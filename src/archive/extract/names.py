"""The names of the registry in a text, found as the index finds them."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis import is_arabic
from ..names import name_keys, read_words
from ..registry import KINDS, Entity, Registry

# --- Names of the registry in the text ----------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """An entity named in the text: by which words, where."""

    entity: Entity
    words: tuple[str, ...]
    position: int  # word index


def scan_names(text: str, registry: Registry, kinds=KINDS):
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
    for start, _end, words, entities in scan_names(
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
