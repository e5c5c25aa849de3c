"""The registry: countries, organisations, people and products, by id and by name.

Organisations, people and products (spyware, surveillance products,
programmes) come from `corpus/registry/organisations.yaml`, `people.yaml`
and `products.yaml`. Countries are the ISO 3166-1 alpha-2 codes Babel knows,
named by Babel in Arabic, English and French, plus the demonyms and aliases
of `corpus/registry/countries.yaml`.

`names.NameIndex` is the one place that finds these names, in documents (for
the index's `mention` field, archivists' proposals and snippets) and in queries.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale

from . import yamlio
from .document import ID_PATTERN, LANGUAGES
from .errors import Problem
from .i18n import LOCALES

if TYPE_CHECKING:
    from .names import NameIndex

REGISTRY_DIR = "registry"
REGISTRY_FILES = ("countries.yaml", "organisations.yaml", "people.yaml", "products.yaml")
ORGANISATION_KINDS = ("ngo", "company", "media", "intergovernmental", "government")
PRODUCT_KINDS = ("spyware", "surveillance", "censorship", "programme")
#: Registry kinds, in the order names are looked for.
KINDS = ("country", "organisation", "person", "product")
#: Two-letter codes Babel lists that are not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@dataclass(frozen=True)
class Entity:
    """A country, organisation, person or product, with its names in every language."""

    kind: str  # one of KINDS
    id: str
    names: Mapping[str, str]
    aliases: tuple[str, ...] = ()
    country: str | None = None
    category: str | None = None  # organisations: ngo, company, …; products: spyware, …
    path: str | None = field(default=None, compare=False)
    acronyms: tuple[str, ...] = ()  # also in `aliases`
    maker: str | None = None  # products: the organisation that makes it

    def label(self, locale: str = "en") -> str:
        return self.names.get(locale) or self.names.get("en") or self.id

    @property
    def all_names(self) -> tuple[str, ...]:
        """Every name and alias, each once, in a stable order."""
        return tuple(dict.fromkeys([*self.names.values(), *self.aliases]))


#: Languages an entity must be named in: those of the interface, where its
#: name is shown. It may be named in the documents' languages too, where its
#: names are found in the text.
REQUIRED_LANGUAGES = LOCALES
NAME_LANGUAGES = tuple(sorted(set(LOCALES) | set(LANGUAGES)))


@cache
def country_names() -> dict[str, dict[str, str]]:
    """ISO code -> {language: Babel's name}, for every country Babel knows."""
    by_language = {}
    for lang in NAME_LANGUAGES:
        try:
            by_language[lang] = Locale.parse(lang).territories
        except (ValueError, LookupError):  # a language Babel has no names in
            continue
    codes = [
        code
        for code in by_language["en"]
        if len(code) == 2
        and code.isalpha()
        and code not in _NOT_COUNTRIES
        and all(code in by_language[lang] for lang in REQUIRED_LANGUAGES)
    ]
    return {
        code: {lang: names[code] for lang, names in by_language.items() if code in names}
        for code in sorted(codes)
    }


def fingerprint(corpus_dir: Path) -> str:
    """A hash of the registry's files as they are (read, not parsed: an
    update compares it with the index's without loading the registry)."""
    digest = hashlib.sha256()
    for name in REGISTRY_FILES:
        path = Path(corpus_dir) / REGISTRY_DIR / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


class Registry:
    """Entities by kind and id, loaded from a corpus folder."""

    def __init__(
        self,
        organisations: Mapping[str, Entity] | None = None,
        people: Mapping[str, Entity] | None = None,
        country_aliases: Mapping[str, tuple[str, ...]] | None = None,
        problems: list[Problem] | None = None,
        products: Mapping[str, Entity] | None = None,
    ):
        self.organisations = dict(organisations or {})
        self.people = dict(people or {})
        self.products = dict(products or {})
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
            from .names import NameIndex  # it reads entities: made from a registry

            self._names = NameIndex(self)
        return self._names

    @classmethod
    def load(cls, corpus_dir: Path) -> Registry:
        """The registry of a corpus folder (its problems in `problems`)."""
        problems: list[Problem] = []
        folder = Path(corpus_dir) / REGISTRY_DIR
        home = Path(corpus_dir).parent
        organisations = _load_entities(
            folder / "organisations.yaml", home, "organisation", problems
        )
        people = _load_entities(folder / "people.yaml", home, "person", problems)
        products = _load_entities(
            folder / "products.yaml", home, "product", problems, makers=set(organisations)
        )
        aliases = _load_country_aliases(folder / "countries.yaml", home, problems)
        registry = cls(organisations, people, aliases, problems, products)
        registry.fingerprint = fingerprint(corpus_dir)
        return registry

    def by_kind(self, kind: str) -> Mapping[str, Entity]:
        return {
            "country": self.countries,
            "organisation": self.organisations,
            "person": self.people,
            "product": self.products,
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
    "product": {"id", "name", "variants", "maker", "kind"},
}
_CATEGORIES = {"organisation": ORGANISATION_KINDS, "product": PRODUCT_KINDS}


def _string_list(value, where: str, problems: list[Problem], path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(Problem(path, where, "must be a list of names"))
        return ()
    return tuple(v.strip() for v in value)


def _load_entities(
    path: Path, home: Path, kind: str, problems: list[Problem], makers: set[str] | None = None
) -> dict[str, Entity]:
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
        for lang in REQUIRED_LANGUAGES:
            if not isinstance(names.get(lang), str) or not names[lang].strip():
                problems.append(Problem(where, f"{label}.name.{lang}", "missing"))
        for lang in sorted(set(names) - set(NAME_LANGUAGES), key=str):
            problems.append(Problem(where, f"{label}.name.{lang}", "unknown language"))
        country = item.get("country")
        if country is not None and country not in countries:
            problems.append(Problem(where, f"{label}.country", f"unknown country code {country!r}"))
            country = None
        category = item.get("kind")
        allowed = _CATEGORIES.get(kind, ())
        if category is not None and category not in allowed:
            problems.append(Problem(where, f"{label}.kind", f"must be one of {', '.join(allowed)}"))
        maker = item.get("maker")
        if maker is not None and (makers is None or maker not in makers):
            problems.append(Problem(where, f"{label}.maker", f"unknown organisation {maker!r}"))
            maker = None
        acronyms = _string_list(item.get("acronyms"), f"{label}.acronyms", problems, where)
        aliases = acronyms + _string_list(
            item.get("variants"), f"{label}.variants", problems, where
        )
        entities[entity_id] = Entity(
            kind,
            entity_id,
            {k: v.strip() for k, v in names.items() if k in NAME_LANGUAGES and isinstance(v, str)},
            aliases,
            country,
            category,
            where,
            acronyms,
            maker,
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
            if lang not in NAME_LANGUAGES:
                problems.append(Problem(where, f"{code}.{lang}", "unknown language"))
                continue
            found.extend(_string_list(names, f"{code}.{lang}", problems, where))
        aliases[code] = tuple(dict.fromkeys(found))
    return aliases
