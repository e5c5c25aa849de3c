"""The registry: countries, organisations and people, by id and by name.

Organisations and people come from `corpus/registry/organisations.yaml` and
`people.yaml`. Countries are the ISO 3166-1 alpha-2 codes Babel knows, named
by Babel in Arabic, English and French, plus the demonyms and aliases of
`corpus/registry/countries.yaml`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel import Locale

from . import yamlio
from .analysis import EXACT, terms_of, word_matches
from .document import ID_PATTERN, LANGUAGES
from .errors import Problem

REGISTRY_DIR = "registry"
REGISTRY_FILES = ("countries.yaml", "organisations.yaml", "people.yaml")
ORGANISATION_KINDS = ("ngo", "company", "media", "intergovernmental", "government")
#: Two-letter codes Babel lists that are not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@dataclass(frozen=True)
class Entity:
    """A country, organisation or person, with its names in every language."""

    kind: str  # "country", "organisation" or "person"
    id: str
    names: Mapping[str, str]
    aliases: tuple[str, ...] = ()
    country: str | None = None
    category: str | None = None  # organisations: ngo, company, media, …
    path: str | None = field(default=None, compare=False)

    def label(self, locale: str = "en") -> str:
        return self.names.get(locale) or self.names.get("en") or self.id

    @property
    def all_names(self) -> tuple[str, ...]:
        """Every name and alias, each once, in a stable order."""
        return tuple(dict.fromkeys([*self.names.values(), *self.aliases]))


@cache
def country_names() -> dict[str, dict[str, str]]:
    """ISO code -> {language: Babel's name}, for every country Babel knows."""
    by_language = {lang: Locale.parse(lang).territories for lang in LANGUAGES}
    codes = [
        code
        for code in by_language["en"]
        if len(code) == 2
        and code.isalpha()
        and code not in _NOT_COUNTRIES
        and all(code in names for names in by_language.values())
    ]
    return {code: {lang: by_language[lang][code] for lang in LANGUAGES} for code in sorted(codes)}


class Registry:
    """Entities by kind and id, loaded from a corpus folder."""

    def __init__(
        self,
        organisations: Mapping[str, Entity] | None = None,
        people: Mapping[str, Entity] | None = None,
        country_aliases: Mapping[str, tuple[str, ...]] | None = None,
        problems: list[Problem] | None = None,
    ):
        self.organisations = dict(organisations or {})
        self.people = dict(people or {})
        aliases = country_aliases or {}
        self.countries = {
            code: Entity("country", code, names, tuple(aliases.get(code, ())))
            for code, names in country_names().items()
        }
        self.problems = problems or []
        self._names: NameIndex | None = None
        #: Changes when the registry files do (the index records which it used).
        self.fingerprint = ""

    @property
    def names(self) -> NameIndex:
        """The registry's names, for recognising entities in text and queries."""
        if self._names is None:
            self._names = NameIndex(self)
        return self._names

    @classmethod
    def load(cls, corpus_dir: Path) -> Registry:
        problems: list[Problem] = []
        folder = Path(corpus_dir) / REGISTRY_DIR
        home = Path(corpus_dir).parent
        organisations = _load_entities(
            folder / "organisations.yaml", home, "organisation", problems
        )
        people = _load_entities(folder / "people.yaml", home, "person", problems)
        aliases = _load_country_aliases(folder / "countries.yaml", home, problems)
        registry = cls(organisations, people, aliases, problems)
        digest = hashlib.sha256()
        for name in REGISTRY_FILES:
            path = folder / name
            digest.update(name.encode() + b"\0")
            digest.update(path.read_bytes() if path.is_file() else b"")
        registry.fingerprint = digest.hexdigest()
        return registry

    def by_kind(self, kind: str) -> Mapping[str, Entity]:
        return {
            "country": self.countries,
            "organisation": self.organisations,
            "person": self.people,
        }[kind]

    def get(self, kind: str, entity_id: str) -> Entity | None:
        return self.by_kind(kind).get(entity_id)

    def label(self, kind: str, entity_id: str, locale: str = "en") -> str:
        entity = self.get(kind, entity_id)
        return entity.label(locale) if entity else entity_id


def _read_yaml(path: Path, where: str, problems: list[Problem]):
    if not path.exists():
        return None
    try:
        return yamlio.load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        problems.append(Problem(where, "file", "not UTF-8"))
    except yamlio.Error as exc:
        problems.append(Problem(where, *yamlio.describe(exc)))
    return None


_ENTITY_FIELDS = {
    "organisation": {"id", "name", "acronyms", "variants", "country", "kind"},
    "person": {"id", "name", "variants", "country"},
}


def _string_list(value, where: str, problems: list[Problem], path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(Problem(path, where, "must be a list of names"))
        return ()
    return tuple(v.strip() for v in value)


def _load_entities(path: Path, home: Path, kind: str, problems: list[Problem]) -> dict[str, Entity]:
    where = os.path.relpath(path, home)
    data = _read_yaml(path, where, problems)
    entities: dict[str, Entity] = {}
    if data is None:
        return entities
    if not isinstance(data, list):
        problems.append(Problem(where, "file", f"must be a list of {kind} entries"))
        return entities
    countries = country_names()
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict):
            problems.append(Problem(where, f"entry {number}", "must be a mapping"))
            continue
        entity_id = item.get("id")
        label = f"{entity_id}" if isinstance(entity_id, str) else f"entry {number}"
        for key in sorted(set(item) - _ENTITY_FIELDS[kind], key=str):
            problems.append(Problem(where, f"{label}.{key}", "unknown field"))
        if not isinstance(entity_id, str) or not ID_PATTERN.match(entity_id):
            problems.append(
                Problem(where, f"{label}.id", "must be a lower-case slug (a-z, 0-9, -)")
            )
            continue
        if entity_id in entities:
            problems.append(Problem(where, f"{label}.id", "duplicate id"))
            continue
        names = item.get("name")
        if not isinstance(names, dict):
            problems.append(Problem(where, f"{label}.name", "must give names in ar, en and fr"))
            names = {}
        for lang in LANGUAGES:
            if not isinstance(names.get(lang), str) or not names[lang].strip():
                problems.append(Problem(where, f"{label}.name.{lang}", "missing"))
        for lang in sorted(set(names) - set(LANGUAGES), key=str):
            problems.append(Problem(where, f"{label}.name.{lang}", "unknown language"))
        country = item.get("country")
        if country is not None and country not in countries:
            problems.append(Problem(where, f"{label}.country", f"unknown country code {country!r}"))
            country = None
        category = item.get("kind")
        if category is not None and category not in ORGANISATION_KINDS:
            problems.append(
                Problem(where, f"{label}.kind", f"must be one of {', '.join(ORGANISATION_KINDS)}")
            )
        aliases = _string_list(item.get("acronyms"), f"{label}.acronyms", problems, where)
        aliases += _string_list(item.get("variants"), f"{label}.variants", problems, where)
        entities[entity_id] = Entity(
            kind,
            entity_id,
            {k: v.strip() for k, v in names.items() if k in LANGUAGES and isinstance(v, str)},
            aliases,
            country,
            category,
            where,
        )
    return entities


def _load_country_aliases(
    path: Path, home: Path, problems: list[Problem]
) -> dict[str, tuple[str, ...]]:
    where = os.path.relpath(path, home)
    data = _read_yaml(path, where, problems)
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(Problem(where, "file", "must map country codes to aliases"))
        return {}
    countries = country_names()
    aliases: dict[str, tuple[str, ...]] = {}
    for code, by_language in data.items():
        if code not in countries:
            problems.append(Problem(where, str(code), "unknown country code"))
            continue
        if not isinstance(by_language, dict):
            problems.append(Problem(where, code, "must map ar, en, fr to lists of aliases"))
            continue
        found: list[str] = []
        for lang, names in by_language.items():
            if lang not in LANGUAGES:
                problems.append(Problem(where, f"{code}.{lang}", "unknown language"))
                continue
            found.extend(_string_list(names, f"{code}.{lang}", problems, where))
        aliases[code] = tuple(dict.fromkeys(found))
    return aliases


# --- Names to entities --------------------------------------------------------

#: Longest entity name, in words, that a query is scanned for.
MAX_NAME_WORDS = 8


def name_keys(words: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The exact and the stemmed key of a sequence of words.

    Exact keys compare normalised words (hamza, diacritics and case folded);
    stemmed keys also drop stopwords and light-stem, so that "المصرية" and
    "مصر", or "of"/"for" in an organisation's name, do not matter.
    """
    exact: list[str] = []
    stemmed: list[str] = []
    for word in words:
        for token in word_matches(word):  # "Al-Siddiq" is two words
            exact.extend(terms_of(token.group(), EXACT))
            stemmed.extend(terms_of(token.group(), "en"))
    return tuple(exact), tuple(stemmed)


class NameIndex:
    """Finds entities by any of their names, in any script or spelling."""

    def __init__(self, registry: Registry):
        self.keys: dict[tuple[str, ...], list[Entity]] = {}
        for kind in ("country", "organisation", "person"):
            for entity in registry.by_kind(kind).values():
                names = list(entity.all_names)
                if kind == "person":
                    # A surname alone names a person too: خاشقجي, Raissouni.
                    for name in entity.all_names:
                        words = name.split()
                        if len(words) > 1 and len(words[-1]) >= 4:
                            names.append(words[-1])
                for name in names:
                    words = [m.group() for m in word_matches(name)]
                    exact, stemmed = name_keys(words)
                    self._add(exact, entity)
                    if stemmed and (len(stemmed) > 1 or len(stemmed[0]) > 2):
                        self._add(stemmed, entity)
        # For finding names in running text: the longest name starting with a word.
        self.longest: dict[str, int] = {}
        for key in self.keys:
            self.longest[key[0]] = max(self.longest.get(key[0], 0), len(key))
        # Stems that are one-word names: most words of a text are neither.
        self.single = {key[0] for key in self.keys if len(key) == 1 and len(key[0]) > 2}

    def _add(self, key: tuple[str, ...], entity: Entity) -> None:
        if not key:
            return
        found = self.keys.setdefault(key, [])
        if entity not in found:
            found.append(entity)

    def mentions(self, words: list[tuple[str, str]]) -> dict[str, int]:
        """How often each entity is named in a run of words, as "kind:id" -> count.

        `words` are (exact term, stemmed term) pairs of consecutive words of
        one paragraph; the longest name wins at each place, and a single word
        also matches by its stem (المصرية names مصر)."""
        found: dict[str, int] = {}
        longest, single = self.longest, self.single
        i = 0
        while i < len(words):
            exact, stem = words[i]
            if exact not in longest and stem not in single:
                i += 1
                continue
            matched, length = None, 0
            for size in range(min(self.longest.get(exact, 0), len(words) - i), 0, -1):
                matched = self.keys.get(tuple(w[0] for w in words[i : i + size]))
                if matched:
                    length = size
                    break
            if not matched and len(stem) > 2:
                matched, length = self.keys.get((stem,)), 1
            if matched:
                for entity in matched:
                    key = f"{entity.kind}:{entity.id}"
                    found[key] = found.get(key, 0) + 1
                i += length
            else:
                i += 1
        return found

    def lookup(self, words: list[str]) -> list[Entity]:
        """Entities named exactly by `words` (exact key first, then stemmed)."""
        exact, stemmed = name_keys(words)
        return self.keys.get(exact) or self.keys.get(stemmed) or []

    def find(self, text: str, kind: str | None = None) -> list[Entity]:
        """Entities named by `text`, or whose id or code it is."""
        words = [m.group() for m in word_matches(text)]
        found = self.lookup(words)
        return [e for e in found if kind is None or e.kind == kind]
