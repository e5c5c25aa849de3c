"""The web archive through Flask's test client: every route, parameter and error."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from .conftest import make_app

ATOM = "{http://www.w3.org/2005/Atom}"
LETTER_EN, LETTER_AR = "spyware-letter-en", "spyware-letter-ar"
CASE_EN, CASE_AR = "raissouni-case-en", "raissouni-case-ar"
STATEMENT = "egypt-detention-statement-en"


def text(response) -> str:
    return response.get_data(as_text=True)


def result_ids(response) -> list[str]:
    return re.findall(r'class="hit-title".*?/documents/([a-z0-9-]+)', text(response), flags=re.S)


# --- Languages and direction ---


def test_root_redirects_by_accept_language(client):
    response = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/fr/")


def test_root_prefers_the_saved_choice(client):
    client.get("/ar/")
    response = client.get("/", headers={"Accept-Language": "fr"})
    assert response.headers["Location"].endswith("/ar/")


@pytest.mark.parametrize(("lang", "direction"), [("ar", "rtl"), ("en", "ltr"), ("fr", "ltr")])
def test_pages_declare_language_and_direction(client, lang, direction):
    page = text(client.get(f"/{lang}/search?q=Egypt"))
    assert f'<html lang="{lang}" dir="{direction}">' in page


def test_arabic_pages_have_no_english_interface_text(client):
    page = text(client.get("/ar/search?q=Raissouni"))
    for english in (
        "Search the archive",
        "Filters",
        "Sort by",
        "Relevance",
        "Country",
        "Export CSV",
    ):
        assert english not in page
    assert "ابحث في الأرشيف" in page and "المرشّحات" in page


def test_language_switch_keeps_the_query_and_filters(client):
    page = text(client.get("/en/search?q=Egypt&lang=ar&country=EG"))
    links = re.findall(r'<a href="([^"]+)" hreflang="fr" lang="fr"', page)
    assert links == ["/fr/search?q=Egypt&amp;lang=ar&amp;country=EG"]
    assert (
        '<link rel="alternate" hreflang="ar" href="/ar/search?q=Egypt&amp;lang=ar&amp;country=EG">'
        in page
    )


def test_unknown_language_prefix_is_a_404_page(client):
    response = client.get("/de/search")
    assert response.status_code == 404
    assert "This page does not exist." in text(response)


@pytest.mark.parametrize(("lang", "label"), [("ar", "مصر"), ("en", "Egypt"), ("fr", "Égypte")])
def test_egypt_in_three_languages_shows_the_same_documents_with_local_facets(client, lang, label):
    expected = None
    for query in ("مصر", "Egypt", "Égypte"):
        response = client.get(f"/{lang}/search", query_string={"q": query})
        ids = sorted(result_ids(response))
        expected = expected or ids
        assert ids == expected == sorted([LETTER_EN, LETTER_AR, STATEMENT])
        assert f'<bdi class="facet-label">{label}</bdi>' in text(response)


def test_dates_and_numbers_are_localised_with_latin_digits(client):
    page = text(client.get("/ar/documents/raissouni-case-ar"))
    assert "9 يوليو 2021" in page
    assert "هـ" in page  # the Hijri date beside it
    assert "9 July 2021" in text(client.get("/en/documents/raissouni-case-en"))
    assert "9 juillet 2021" in text(client.get("/fr/documents/raissouni-case-en"))


def test_arabic_result_counts_use_arabic_plurals(client):
    assert "3 وثائق" in text(client.get("/ar/search?q=Egypt"))
    assert "وثيقتان" in text(client.get("/ar/search?q=Raissouni"))


# --- Search page ---


def test_search_page_keeps_the_query_in_the_box(client):
    page = text(client.get("/en/search?q=%22five+years%22"))
    assert 'value="&#34;five years&#34;"' in page or 'value="&quot;five years&quot;"' in page


def test_a_page_past_the_last_one_leads_to_the_last_one(client):
    from urllib.parse import parse_qs, urlsplit

    first = client.get("/en/search?q=Egypt&size=2")
    pages = int(json.loads(client.get("/api/search?q=Egypt&size=2").data)["pages"])
    assert pages > 1 and first.status_code == 200
    past = client.get("/ar/search?q=Egypt&size=2&page=99")
    assert past.status_code == 302
    target = urlsplit(past.headers["Location"])
    assert target.path == "/ar/search"
    args = parse_qs(target.query)
    assert args["q"] == ["Egypt"] and args["size"] == ["2"]
    last = client.get(past.headers["Location"])
    assert last.status_code == 200 and result_ids(last)
    assert 'rel="next"' not in text(last)
    # The API and the CLI keep the page asked for, and say where the last one is.
    answer = json.loads(client.get("/api/search?q=Egypt&size=2&page=99&locale=fr").data)
    assert answer["hits"] == [] and answer["page"] == 99
    assert answer["messages"] == [f"La page 99 est au-delà de la dernière ({pages})."]


def test_snippets_mark_the_matched_words(client):
    page = text(client.get("/en/search?q=Pegasus"))
    assert "<mark>Pegasus</mark>" in page


def test_facet_links_toggle_values_and_chips_remove_them(client):
    page = text(client.get("/en/search?q=&country=EG"))
    assert result_ids(client.get("/en/search?country=EG"))
    chip = re.search(r'<a class="chip" href="([^"]+)">', page).group(1)
    assert "country=EG" not in chip
    morocco = re.search(r'href="([^"]*country=MA[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "country=EG" in morocco and "country=MA" in morocco


def test_every_filter_parameter(client):
    assert sorted(result_ids(client.get("/en/search?lang=ar"))) == sorted([LETTER_AR, CASE_AR])
    assert result_ids(client.get("/en/search?type=statement")) == [STATEMENT]
    assert sorted(result_ids(client.get("/en/search?org=nso-group"))) == sorted(
        [LETTER_EN, LETTER_AR]
    )
    assert sorted(result_ids(client.get("/en/search?person=soulaimane-raissouni"))) == sorted(
        [CASE_EN, CASE_AR]
    )
    assert result_ids(client.get("/en/search?year=2020")) == [STATEMENT]
    assert len(result_ids(client.get("/en/search?year=2021&month=2021-07"))) == 4
    assert result_ids(client.get("/en/search?to=2020-12-31")) == [STATEMENT]
    assert len(result_ids(client.get("/en/search?from=2021-07-10"))) == 2
    assert result_ids(client.get("/en/search?sort=date-asc"))[0] == STATEMENT
    assert result_ids(client.get("/en/search?sort=date"))[-1] == STATEMENT


def test_pagination_links(client):
    page = text(client.get("/en/search?size=2&page=2"))
    assert len(result_ids(client.get("/en/search?size=2&page=2"))) == 2
    assert 'aria-current="page" href="/en/search?page=2&amp;size=2"' in page
    assert 'rel="next"' in page and 'rel="prev"' in page


def test_page_sizes_come_from_the_apps_settings_and_the_environment(indexed_home, monkeypatch):
    """PAGE_SIZE and MAX_PAGE_SIZE, as the README lists them, change what
    the search page and the API give."""
    small = make_app(indexed_home, PAGE_SIZE=2, MAX_PAGE_SIZE=3)
    with small.extensions["archive"]:
        client = small.test_client()
        assert len(result_ids(client.get("/en/search"))) == 2
        assert len(result_ids(client.get("/en/search?size=3"))) == 3
        refused = client.get("/api/search?size=4")
        assert refused.status_code == 400
        assert "page size: must be between 1 and 3" in refused.get_json()["error"]["message"]
    monkeypatch.setenv("ARCHIVE_PAGE_SIZE", "4")
    from_environment = make_app(indexed_home)
    with from_environment.extensions["archive"]:
        assert len(result_ids(from_environment.test_client().get("/en/search"))) == 4


def test_the_recognised_entity_notice_links_to_a_literal_search(client):
    page = text(client.get("/en/search?q=Egyptian"))
    assert "was searched as Egypt" in page
    literal = re.search(r'<a href="([^"]+literal=1[^"]*)">', page).group(1).replace("&amp;", "&")
    assert result_ids(client.get(literal)) == [STATEMENT]


def test_did_you_mean(client):
    page = text(client.get("/en/search?q=Pegasos"))
    assert "Did you mean:" in page and 'dir="auto">Pegasus</a>' in page


def test_messages_about_ignored_parts_of_the_query(client):
    assert "An unbalanced quote mark was ignored." in text(client.get("/en/search?q=%22Raissouni"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("country=XX", "country: unknown value"),
        ("org=nobody", "org: unknown value"),
        ("type=memo", "type: unknown value"),
        ("lang=de", "lang: unknown value"),
        ("from=yesterday", "from: &#39;yesterday&#39; is not a date"),
        ("sort=random", "sort: must be one of"),
        ("page=0", "page: must be 1 or more"),
        ("page=abc", "page: must be a whole number"),
        ("size=1000", "page size: must be between 1 and 100"),
    ],
)
def test_bad_parameters_give_a_400_page_in_the_readers_language(client, query, message):
    response = client.get(f"/en/search?{query}")
    assert response.status_code == 400
    assert message in text(response)
    assert client.get(f"/fr/search?{query}").status_code == 400


# --- Documents and citations ---


def test_document_page(client):
    page = text(client.get("/en/documents/raissouni-case-en"))
    assert 'id="p1"' in page and 'id="p2"' in page
    assert "/en/documents/raissouni-case-en/cite?p=2" in page
    assert '/en/documents/raissouni-case-ar" hreflang="ar"' in page  # its translation
    assert "Sentenced" in page and "five years in prison" in page
    assert "@misc{raissouni-case-en" in page
    assert "Similar documents" in page


def test_missing_document_is_a_friendly_404(client):
    response = client.get("/ar/documents/no-such-document")
    assert response.status_code == 404
    assert "لا توجد وثيقة بالمعرّف" in text(response)


def test_citing_a_paragraph(client):
    page = text(client.get("/en/documents/raissouni-case-en/cite?p=2"))
    assert "paragraph 2" in page
    assert "http://localhost/en/documents/raissouni-case-en#p2" in page
    assert "He was sentenced to five years" in page
    csl = json.loads(
        re.search(r'<pre id="citation-csl"[^>]*>(.*?)</pre>', page, re.S)
        .group(1)
        .replace("&#34;", '"')
        .replace("&quot;", '"')
    )
    assert csl["locator"] == "2" and csl["issued"] == {"date-parts": [[2021, 7, 9]]}
    assert client.get("/en/documents/raissouni-case-en/cite?p=99").status_code == 404


def _block(page: str, block: str) -> str:
    found = re.search(rf'<pre id="citation-{block}"[^>]*>(.*?)</pre>', page, re.S).group(1)
    return html.unescape(found)


def test_citations_follow_the_conventions_of_the_readers_language(client):
    arabic = text(client.get("/ar/documents/raissouni-case-ar/cite?p=2"))
    plain = _block(arabic, "text")
    assert plain.startswith("«") and "»، " in plain
    assert "الفقرة 2، " in plain and ", " not in plain.split("http")[0]
    french = _block(text(client.get("/fr/documents/raissouni-case-en/cite?p=2")), "text")
    assert french.startswith("«\u00a0") and "\u00a0», " in french and "paragraphe 2" in french
    english = _block(text(client.get("/en/documents/raissouni-case-en/cite")), "text")
    assert english.startswith("“") and "”, " in english


def test_bibtex_and_csl_notes_are_in_the_documents_language(client):
    page = text(client.get("/en/documents/raissouni-case-ar/cite?p=2"))
    note = re.search(r"note = \{(.*)\}", _block(page, "bibtex")).group(1)
    assert note == "ملخص قضية، الفقرة 2"
    csl = json.loads(_block(page, "csl"))
    assert csl["note"] == note and csl["genre"] == "ملخص قضية"
    english = json.loads(_block(text(client.get("/ar/documents/raissouni-case-en/cite")), "csl"))
    assert english["genre"] == english["note"] == "Case summary"


# --- Browsing ---


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/en/countries/EG", {LETTER_EN, LETTER_AR, STATEMENT}),
        ("/en/organisations/nso-group", {LETTER_EN, LETTER_AR}),
        ("/ar/people/soulaimane-raissouni", {CASE_EN, CASE_AR}),
    ],
)
def test_entity_pages_list_their_documents(client, path, expected):
    assert set(result_ids(client.get(path))) == expected


def test_entity_pages_keep_facets_and_narrow(client):
    response = client.get("/en/countries/EG?lang=ar")
    assert result_ids(response) == [LETTER_AR]


def test_entity_lists_and_unknown_entities(client):
    page = text(client.get("/fr/countries/"))
    assert "Égypte" in page and "/fr/countries/EG" in page
    assert client.get("/en/countries/XX").status_code == 404


def test_home_page_shows_recent_documents_and_the_facet_overview(client):
    page = text(client.get("/en/"))
    assert result_ids(client.get("/en/"))[:2] == [LETTER_AR, LETTER_EN]
    assert "/en/search?country=MA" in page


# --- Feeds, exports, OpenSearch, sitemap ---


def test_atom_feed_of_new_documents(client):
    response = client.get("/en/feed")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    ids = [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]
    assert ids[0].endswith("/en/documents/spyware-letter-ar")
    assert len(ids) == 5


def test_atom_feed_of_a_search(client):
    feed = ET.fromstring(client.get("/fr/search/feed?q=Raissouni").data)
    assert {e.find(f"{ATOM}id").text.rsplit("/", 1)[1] for e in feed.findall(f"{ATOM}entry")} == {
        CASE_EN,
        CASE_AR,
    }
    assert "Raissouni" in feed.find(f"{ATOM}title").text


def test_csv_export_has_a_bom_and_every_hit(client):
    response = client.get("/en/search/export.csv?q=Egypt")
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert {row["id"] for row in rows} == {LETTER_EN, LETTER_AR, STATEMENT}
    arabic = next(row for row in rows if row["id"] == LETTER_AR)
    assert arabic["title"].startswith("رسالة التحالف")


def test_csv_export_reads_without_the_registry_in_the_pages_language(client):
    response = client.get("/ar/search/export.csv?q=Egypt")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    statement = next(row for row in rows if row["id"] == STATEMENT)
    assert statement["type"] == "statement" and statement["type_label"] == "بيان"
    assert statement["language"] == "en" and statement["language_label"] == "الإنجليزية"
    assert "EG" in statement["countries"].split()
    assert "مصر" in statement["countries_label"].split("; ")
    codes = statement["organisations"].split()
    labels = statement["organisations_label"].split("; ")
    assert len(codes) == len(labels) and codes and not set(codes) & set(labels)
    assert "Egypt" in statement["snippet"] and statement["snippet_paragraph"].isdigit()
    english = client.get("/en/search/export.csv?q=Egypt").get_data(as_text=True)
    assert ",Statement," in english and ",Egypt" in english


def test_json_export(client):
    data = json.loads(client.get("/en/search/export.json?type=case").data)
    assert {h["id"] for h in data["hits"]} == {CASE_EN, CASE_AR}
    french = json.loads(client.get("/fr/search/export.json?q=Egypt").data)
    statement = next(h for h in french["hits"] if h["id"] == STATEMENT)
    assert statement["type"] == "statement" and statement["labels"]["type"] == "Déclaration"
    assert "Égypte" in statement["labels"]["countries"]
    assert statement["snippet"]["paragraph"] and "Egypt" in statement["snippet"]["text"]


def test_opensearch_description(client):
    xml = client.get("/ar/opensearch.xml")
    assert xml.mimetype == "application/opensearchdescription+xml"
    assert "/ar/search?q={searchTerms}" in text(xml)
    assert '/ar/opensearch.xml"' in text(client.get("/ar/"))


def test_sitemap_and_robots(client):
    sitemap = text(client.get("/sitemap.xml"))
    assert sitemap.count("<url>") == 5 * 3
    assert "http://localhost/ar/documents/raissouni-case-ar" in sitemap
    assert "Sitemap: http://localhost/sitemap.xml" in text(client.get("/robots.txt"))


# --- JSON API ---


def test_api_search_is_the_cli_json(client, run_cli, indexed_home):
    api = client.get("/api/search?q=%D9%85%D8%B5%D8%B1&country=EG&locale=ar").get_json()
    cli = json.loads(
        run_cli(
            "search", "مصر", "--country", "EG", "--json", "--locale", "ar", home=indexed_home
        ).output
    )
    assert api == cli


def test_api_document_and_similar(client):
    data = client.get("/api/documents/raissouni-case-en").get_json()
    assert data["id"] == CASE_EN and data["paragraphs"][0].startswith("Soulaimane")
    assert data["translations"][0]["id"] == CASE_AR
    similar = client.get("/api/documents/raissouni-case-en/similar").get_json()
    assert similar and CASE_AR not in [h["id"] for h in similar]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/search?country=XX", 400, "country: unknown value 'XX'"),
        ("/api/search?locale=de", 400, "locale: must be one of ar, en, fr"),
        ("/api/search?page=x", 400, "page: must be a whole number"),
        ("/api/documents/nope", 404, "no document with id 'nope'"),
        ("/api/nothing-here", 404, "This page does not exist."),
    ],
)
def test_api_errors_are_json(client, path, status, message):
    response = client.get(path)
    assert response.status_code == status
    assert response.get_json() == {"error": {"status": status, "message": message}}


# --- Safety ---


def test_security_headers_on_every_response(client):
    for path in ("/en/", "/api/search", "/en/documents/nope", "/sitemap.xml"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"


def test_queries_are_escaped_everywhere(client):
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    for path in ("/en/search", "/en/search/feed", "/ar/search"):
        page = text(client.get(path, query_string={"q": payload}))
        assert "<script>alert" not in page and "<img src=x" not in page


def test_pages_carry_no_inline_script_or_style(client):
    for path in ("/en/", "/ar/search?q=Egypt", "/en/documents/raissouni-case-en"):
        page = text(client.get(path))
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)
        assert " style=" not in page and "<style" not in page


def test_an_unexpected_error_is_a_friendly_500(app, client, monkeypatch):
    from archive.search import SearchService

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(SearchService, "search", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/fr/search?q=x")
    assert response.status_code == 500
    assert "Une erreur s'est produite de notre côté" in html.unescape(text(response))
    assert "boom" not in text(response) and "Traceback" not in text(response)


def test_a_document_added_while_serving_is_found_at_once(app, client, indexed_home):
    from archive.backends.whoosh.indexing import Index
    from archive.corpus import Corpus
    from archive.document import Document

    assert result_ids(client.get("/en/search?q=quokkaesque")) == []
    corpus = Corpus(indexed_home)
    added = corpus.write(
        Document("new-one", "New", "statement", "en", "2022", "A quokkaesque text.")
    )
    Index(indexed_home).add(corpus, [added])
    assert result_ids(client.get("/en/search?q=quokkaesque")) == ["new-one"]


def test_the_languages_setting_chooses_the_interface_languages(indexed_home):
    """An archive run in English and French only: no Arabic pages, switcher
    entry or sitemap link, and a reader asking for Arabic gets English."""
    app = make_app(indexed_home, LANGUAGES=("en", "fr"))
    with app.extensions["archive"]:
        client = app.test_client()
        assert client.get("/ar/").status_code == 404
        page = text(client.get("/fr/"))
        assert 'href="/en/' in page and 'href="/ar/' not in page
        assert "/ar/" not in text(client.get("/sitemap.xml"))
        root = app.test_client().get("/", headers={"Accept-Language": "ar"})  # no saved choice
        assert root.headers["Location"].endswith("/en/")
        assert client.get("/api/search?locale=ar").status_code == 400


def test_a_language_with_no_catalogue_is_refused_by_name(indexed_home):
    from archive.errors import ArchiveError

    with pytest.raises(ArchiveError) as refused:
        make_app(indexed_home, LANGUAGES=("en", "de"))
    assert refused.value.render("en") == "LANGUAGES: de has no catalogue (there are: ar, en, fr)"
