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

from .document import ACCESS_LEVELS, CASE_STATUSES, LANGUAGES, TYPES
from .i18n import N_, gettext, language_name


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
    """A field of a document's description that an archivist sets: a row of
    the archivists' form, perhaps a column of `archive import` and an option
    of `archive add` and `archive import`, a column of search exports, kept
    in the index with each hit."""

    name: str  # the `Document` attribute, the import column and the form field
    label: str  # the form field's label (translated where shown)
    #: The field's name where a message speaks of it, if not its label.
    short: str | None = None
    #: How the form shows and reads it: "text" (one line), "words" (values
    #: separated by spaces or commas), "lines" (one value per line), "choice"
    #: (one of `choices`), "events" (one "date: event" per line) or "body".
    form: str = "text"
    required: bool = False  # the form refuses it empty
    max_length: int | None = None  # the form refuses it longer
    area: bool = False  # shown as several lines
    upper: bool = False  # codes written in capitals (countries)
    option: str | None = None  # CLI option (--title); None: none
    parameter: str | None = None  # the option's Python name, where not `name`
    many: bool = False  # several values: a repeatable option, a column split on spaces
    choices: str | None = None  # a key of `CHOICES`: the values it accepts
    blank: bool = False  # a choice that may be left unset
    help: str = ""  # the option's help
    imported: bool = True  # a column of `archive import --csv`
    exported: bool = False  # a column of search exports
    hit: bool = True  # kept in the index so that a page of hits needs no file reads


#: The values of the fields that take one of a few, in the order offered.
CHOICES = {
    "types": TYPES,
    "languages": LANGUAGES,
    "access": ACCESS_LEVELS,
    "statuses": CASE_STATUSES,
}

DOCUMENT_FIELDS = (
    Field("id", N_("Id"), required=True, max_length=120, exported=True),
    Field(
        "title",
        N_("Title"),
        required=True,
        max_length=500,
        option="title",
        help="Title (default: proposed from the file).",
        exported=True,
    ),
    Field(
        "date",
        N_("Date (YYYY-MM-DD, YYYY-MM or YYYY)"),
        N_("Date"),
        required=True,
        option="date",
        help="Date, YYYY-MM-DD (or YYYY-MM, YYYY).",
        exported=True,
    ),
    Field(
        "type",
        N_("Type"),
        form="choice",
        option="type",
        parameter="doc_type",
        choices="types",
        exported=True,
    ),
    Field(
        "language",
        N_("Language"),
        form="choice",
        option="language",
        choices="languages",
        exported=True,
    ),
    Field(
        "countries",
        N_("Countries (ISO codes)"),
        N_("Countries"),
        form="words",
        upper=True,
        option="country",
        many=True,
        help="Country code (repeatable).",
        exported=True,
    ),
    Field(
        "organisations",
        N_("Organisations (registry ids)"),
        N_("Organisations"),
        form="words",
        area=True,
        option="org",
        many=True,
        help="Organisation id (repeatable).",
        exported=True,
    ),
    Field(
        "people",
        N_("People (registry ids)"),
        N_("People"),
        form="words",
        option="person",
        many=True,
        help="Person id (repeatable).",
        exported=True,
    ),
    Field("source", N_("Source URL"), option="source", help="URL of the original.", hit=False),
    Field(
        "translations",
        N_("Translations (document ids)"),
        N_("Translations"),
        form="words",
        option="translation",
        many=True,
        help="Id of a translation.",
    ),
    # Set with --restricted; "restricted" in an import's column.
    Field("access", N_("Access"), form="choice", choices="access"),
    Field(
        "subject",
        N_("Subject (person id, case summaries)"),
        N_("Subject"),
        imported=False,
        hit=False,
    ),
    Field(
        "status",
        N_("Status (case summaries)"),
        N_("Status"),
        form="choice",
        choices="statuses",
        blank=True,
        imported=False,
        hit=False,
    ),
    Field(
        "charges",
        N_("Charges (one per line)"),
        N_("Charges"),
        form="lines",
        area=True,
        imported=False,
        hit=False,
    ),
    Field("sentence", N_("Sentence"), imported=False, hit=False),
    Field(
        "events",
        N_("Events (one per line: date: event)"),
        N_("Events"),
        form="events",
        area=True,
        imported=False,
        hit=False,
    ),
    Field("body", N_("Text"), form="body", required=True, area=True, imported=False, hit=False),
)
#: The fields of an import's CSV and of the add/import options.
IMPORTED_FIELDS = tuple(f for f in DOCUMENT_FIELDS if f.imported)

#: Labels of coded values, by field: what a person is shown instead of the code.
VALUE_LABELS = {
    "type": {"letter": N_("Letter"), "statement": N_("Statement"), "case": N_("Case summary")},
    "status": {
        "detained": N_("Detained"),
        "sentenced": N_("Sentenced"),
        "released": N_("Released"),
        "exile": N_("In exile"),
        "deceased": N_("Deceased"),
        "targeted": N_("Targeted"),
    },
    "access": {"public": N_("Public"), "restricted": N_("Restricted")},
    # What an archivist's change did, in the audit log and a document's history.
    "action": {
        "add": N_("Added"),
        "edit": N_("Edited"),
        "restrict": N_("Restricted"),
        "unrestrict": N_("Made public"),
        "delete": N_("Deleted"),
        "restore": N_("Restored"),
    },
}


FIELD = {spec.name: spec for spec in DOCUMENT_FIELDS}


def field_name(name: str, locale: str) -> str:
    """A document field's name as a message in `locale` calls it."""
    spec = FIELD.get(name)
    return gettext(spec.short or spec.label, locale) if spec else name


def value_label(field: str, value: str, locale: str) -> str:
    """A coded value of a field (a type, a language, a status, an access level)
    as a person reading `locale` is shown it; an unknown value as it is."""
    if field == "language":
        return language_name(value, locale)
    labels = VALUE_LABELS.get(field, {})
    return gettext(labels[value], locale) if value in labels else value
