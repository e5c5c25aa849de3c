"""The facet table (`archive.fields`) is the one place facets are declared:
every layer that names a facet reads it, so a facet in the table is known to
the index, the filters, the query language, the URLs, the CLI and the pages
in every interface language."""

from __future__ import annotations

import dataclasses

from archive.backends.whoosh.schema import COLUMN_FIELDS, build_schema
from archive.cli import cli
from archive.document import Document
from archive.fields import FACET_TABLE, FACETS
from archive.i18n import gettext, translations
from archive.query import FIELD_ALIASES
from archive.search import Filters
from archive.web.params import FACET_PARAMS


def test_every_facet_is_wired_through_every_layer():
    filters = {f.name for f in dataclasses.fields(Filters)}
    documents = {f.name for f in dataclasses.fields(Document)}
    schema = build_schema()
    options = {o for p in cli.commands["search"].params for o in getattr(p, "opts", ())}
    catalogues = {locale: translations(locale) for locale in ("ar", "fr")}
    for facet in FACET_TABLE:
        assert facet.attribute in filters, facet.name
        assert FACET_PARAMS[facet.name] == facet.parameter
        assert f"--{facet.option}" in options, facet.name
        if facet.field:
            assert facet.document in documents, facet.name
            assert facet.field in schema.names(), facet.name
            assert COLUMN_FIELDS[facet.name] == facet.field
        if facet.aliases:
            assert FIELD_ALIASES[facet.parameter][0] == facet.parameter
        for locale in ("ar", "fr"):  # translated (French may say it as English does)
            assert facet.title in catalogues[locale]._catalog, (facet.name, locale)
        assert gettext(facet.title, "ar") != facet.title


def test_a_selection_of_every_facet_reaches_the_search(service):
    everything = service.search("")
    for facet in FACET_TABLE:
        shown = everything.facets.get(facet.name) or []
        if not shown:
            continue
        value = shown[0].value
        narrowed = service.search("", Filters(**{facet.attribute: (value,)}))
        assert 0 < narrowed.total <= everything.total, facet.name
        assert all(v.selected == (v.value == value) for v in narrowed.facets[facet.name])
    assert set(everything.facets) == set(FACETS)


def test_a_query_field_of_every_facet_finds_what_its_filter_finds(service):
    for facet, value in (("country", "MA"), ("type", "case"), ("language", "ar")):
        parameter = next(f.parameter for f in FACET_TABLE if f.name == facet)
        attribute = next(f.attribute for f in FACET_TABLE if f.name == facet)
        by_query = {h.id for h in service.search(f"{parameter}:{value}").hits}
        by_filter = {h.id for h in service.search("", Filters(**{attribute: (value,)})).hits}
        assert by_query == by_filter and by_query, facet


def test_every_document_field_reaches_imports_options_exports_and_hits(client):
    from archive.backends.analysed import HIT_FIELDS
    from archive.cli import IMPORT_COLUMNS
    from archive.fields import DOCUMENT_FIELDS

    documents = {f.name for f in dataclasses.fields(Document)}
    add = {o for p in cli.commands["add"].params for o in getattr(p, "opts", ())}
    header = client.get("/en/search/export.csv?q=Raissouni").get_data(as_text=True)
    columns = header.lstrip("\ufeff").splitlines()[0].split(",")
    for field in DOCUMENT_FIELDS:
        assert field.name in documents
        assert (field.name in IMPORT_COLUMNS) == field.imported, field.name
        if field.option:
            assert f"--{field.option}" in add, field.name
        assert (field.name in columns) == field.exported, field.name
        assert (field.name in HIT_FIELDS) == field.hit, field.name
    assert columns[-1] == "url"


def test_an_import_with_a_column_that_is_not_imported_is_refused(run_cli, sample_home, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a.txt").write_text("A statement on detained journalists.\n", encoding="utf-8")
    rows = folder / "rows.csv"
    rows.write_text("file,title,body\na.txt,A statement,Another text\n", encoding="utf-8")
    result = run_cli("import", str(folder), "--csv", str(rows), home=sample_home)
    assert result.exit_code == 2
    assert "rows.csv: columns must be file, id, title" in result.output
    assert "body" not in result.output.split("columns must be")[1]
    assert "Traceback" not in result.output


NEW_FACET = (
    '    Facet("status", N_("Status"), "status", "status", "statuses", "status", "status"),\n'
)

FACET_CHECKS = """
import json, sys
from pathlib import Path
from click.testing import CliRunner
from archive import create_app
from archive.backends.whoosh.indexing import Index
from archive.cli import cli
from archive.corpus import Corpus

home = Path(sys.argv[1])
Index(home).rebuild(Corpus(home))
cli_run = CliRunner().invoke(
    cli, ["--home", str(home), "search", "--status", "sentenced", "--json"]
)
client = create_app({"HOME": str(home), "TESTING": True}).test_client()
api = client.get("/api/search?status=sentenced").get_json()
page = client.get("/en/search?q=Raissouni").get_data(as_text=True)
print(json.dumps({
    "cli": sorted(h["id"] for h in json.loads(cli_run.output)["hits"]),
    "api": sorted(h["id"] for h in api["hits"]),
    "api_facet": api["facets"].get("status"),
    "page": "Status" in page and "status=sentenced" in page,
}))
"""


def test_a_facet_is_a_row_of_the_table(tmp_path):
    """Declared in a copy of the package, a facet of the case status reaches
    the index, `archive search`, the JSON API and the search page."""
    from .conftest import run_with_changed_package

    def add_facet(package):
        table = package / "fields.py"
        text = table.read_text(encoding="utf-8")
        month = '    Facet("month", N_("Month")'
        table.write_text(text.replace(month, NEW_FACET + month, 1), encoding="utf-8")

    found = run_with_changed_package(tmp_path, add_facet, FACET_CHECKS)
    cases = ["raissouni-case-ar", "raissouni-case-en"]
    assert found["cli"] == cases
    assert found["api"] == cases
    assert found["api_facet"] and found["api_facet"][0]["value"] == "sentenced"
    assert found["page"]
