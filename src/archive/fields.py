"""The facets and the fields an archivist sets, declared once: every layer
reads these tables.

A facet is a property of documents that a search counts and filters by. The
index schema and its columns (`backends.whoosh.schema`), facet counting,
`search.Filters`, URL parameters (`web.params`), query fields
(`query.FIELD_ALIASES`), the CLI's options and titles and the facet titles
of the pages all come from `FACET_TABLE`. Adding a facet read from a
`Document` attribute is one row here (and its title in the catalogues).
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import N_


@dataclass(frozen=True)
class Facet:
    name: str  # in results, the JSON API and the templates
    title: str  # shown above its values (translated where shown)
    parameter: str  # URL parameter and query field (country:EG)
    option: str  # CLI option of `archive search` (--country)
    attribute: str  # `search.Filters` attribute holding the selection
    document: str | None  # `Document` attribute of its values; None: from the date
    field: str | None  # indexed field of its values; None: from the date
    multi: bool = False  # several values per document
    entity: str | None = None  # registry kind of its values
    #: Other names of its query field (Arabic, French, long forms).
    aliases: tuple[str, ...] = ()
    help: str = ""  # the CLI option's help


FACET_TABLE = (
    Facet(
        "country",
        N_("Country"),
        "country",
        "country",
        "countries",
        "countries",
        "country",
        multi=True,
        entity="country",
        aliases=("pays", "بلد", "البلد", "دولة", "الدولة"),
        help="Country code (repeatable).",
    ),
    Facet(
        "organisation",
        N_("Organisation"),
        "org",
        "org",
        "organisations",
        "organisations",
        "org",
        multi=True,
        entity="organisation",
        aliases=("organisation", "organization", "organisme", "منظمة", "المنظمة", "جهة"),
        help="Organisation id (repeatable).",
    ),
    Facet(
        "person",
        N_("Person"),
        "person",
        "person",
        "people",
        "people",
        "person",
        multi=True,
        entity="person",
        aliases=("personne", "شخص", "الشخص"),
        help="Person id (repeatable).",
    ),
    Facet("year", N_("Year"), "year", "year", "years", None, None, help="Year (repeatable)."),
    Facet(
        "type",
        N_("Type"),
        "type",
        "type",
        "types",
        "type",
        "type",
        aliases=("نوع", "النوع"),
        help="letter, statement or case (repeatable).",
    ),
    Facet(
        "language",
        N_("Language"),
        "lang",
        "language",
        "languages",
        "language",
        "lang",
        aliases=("language", "langue", "لغة", "اللغة"),
        help="ar, en or fr (repeatable).",
    ),
    Facet("month", N_("Month"), "month", "month", "months", None, None, help="Month (YYYY-MM)."),
)
#: Facet name -> its `Facet`.
FACET = {facet.name: facet for facet in FACET_TABLE}
#: Facets counted on every search, in display order ("month" is counted and
#: shown too once a single year is selected).
FACETS = tuple(facet.name for facet in FACET_TABLE if facet.name != "month")
#: Facets whose values are registry ids, by registry kind.
ENTITY_FACETS = {facet.entity: facet for facet in FACET_TABLE if facet.entity}
#: Facets whose values are indexed from a document attribute.
TAG_FACETS = tuple(facet for facet in FACET_TABLE if facet.field)


@dataclass(frozen=True)
class Field:
    """A field of a document's description that an archivist sets: a column of
    `archive import`, perhaps an option of `archive add` and `archive import`,
    a column of search exports, kept in the index with each hit."""

    name: str  # the `Document` attribute and the import column
    option: str | None = None  # CLI option (--title); None: none
    parameter: str | None = None  # the option's Python name, where not `name`
    many: bool = False  # several values: a repeatable option, a column split on spaces
    choices: str | None = None  # "types" or "languages": the values the option accepts
    help: str = ""  # the option's help
    exported: bool = False  # a column of search exports
    hit: bool = True  # kept in the index so that a page of hits needs no file reads


DOCUMENT_FIELDS = (
    Field("id", exported=True),
    Field("title", "title", help="Title (default: proposed from the file).", exported=True),
    Field("date", "date", help="Date, YYYY-MM-DD (or YYYY-MM, YYYY).", exported=True),
    Field("type", "type", "doc_type", choices="types", exported=True),
    Field("language", "language", choices="languages", exported=True),
    Field("countries", "country", many=True, help="Country code (repeatable).", exported=True),
    Field("organisations", "org", many=True, help="Organisation id (repeatable).", exported=True),
    Field("people", "person", many=True, help="Person id (repeatable).", exported=True),
    Field("source", "source", help="URL of the original.", hit=False),
    Field("translations", "translation", many=True, help="Id of a translation."),
    # Set with --restricted; "restricted" in an import's column.
    Field("access"),
)
