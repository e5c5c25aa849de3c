"""What a lawyer or an Arabic reader meets on the bundled corpus: names in every
script, partial names, no false names, analysed phrases, honest highlights and
suggestions. Each test searches the real index of the bundled corpus."""

from __future__ import annotations

import pytest

from archive.analysis import is_arabic
from archive.registry import Registry

from .conftest import PROJECT


def ids(result) -> set[str]:
    return {hit.id for hit in result.hits}


def everything(service, query: str, **options):
    return service.search(query, page_size=100, **options)


def marked(result) -> list[str]:
    """Every highlighted piece of every snippet."""
    return [
        hit.snippet.text[start:end] for hit in result.hits for start, end in hit.snippet.highlights
    ]


# --- Products and programmes, in every script ------------------------------------


def test_a_product_named_in_one_script_finds_documents_in_the_others(bundled):
    latin, arabic = everything(bundled, "Pegasus"), everything(bundled, "بيغاسوس")
    assert ids(latin) == ids(arabic)
    assert any(i.endswith("-ar") for i in ids(latin)) and any(
        i.endswith("-en") for i in ids(arabic)
    )
    assert [(r.kind, r.id) for r in latin.recognised] == [("product", "pegasus")]


def test_not_on_a_product_excludes_it_in_every_script(bundled):
    result = everything(bundled, "Mansoor NOT Pegasus")
    for hit in result.hits:
        text = bundled.document(hit.id).body
        assert "بيغاسوس" not in text and "Pegasus" not in text
    assert everything(bundled, "بيغاسوس -Pegasus").total == 0


def test_the_pegasus_project_names_pegasus(bundled):
    # The Omar Radi files name only «مشروع بيغاسوس» / the Pegasus Project.
    assert "omar-radi-case-ar" in ids(everything(bundled, "Pegasus"))


def test_a_registry_of_products_is_checked(tmp_path):
    folder = tmp_path / "corpus" / "registry"
    folder.mkdir(parents=True)
    (folder / "products.yaml").write_text(
        "- id: pegasus\n  name: {en: Pegasus, ar: بيغاسوس, fr: Pegasus}\n"
        "  maker: nobody\n  kind: toy\n",
        encoding="utf-8",
    )
    problems = {(p.field, p.reason) for p in Registry.load(tmp_path / "corpus").problems}
    assert ("pegasus.maker", "unknown organisation 'nobody'") in problems
    assert any(field == "pegasus.kind" for field, _ in problems)


# --- Partial and variant names ---------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "person"),
    [
        ("Ahmad Mansour", "ahmed-mansoor"),
        ("Yahya al-Asiri", "yahia-assiri"),
        ("Hisham al-Mansouri", "hicham-mansouri"),
        ("Tawfiq Bouachrine", "taoufik-bouachrine"),
        ("Alaa Siddiq", "alaa-al-siddiq"),
        ("Soulaimane Raisuni", "soulaimane-raissouni"),  # fuzzy: one letter off
    ],
)
def test_a_variant_of_a_registered_name_finds_the_person(bundled, query, person):
    result = everything(bundled, query)
    assert [r.id for r in result.recognised] == [person]
    assert f"{person}-case-en" in ids(result) and f"{person}-case-ar" in ids(result)


def test_the_exact_name_outranks_a_near_one(bundled):
    # منصور is Ahmed Mansoor's surname; المنصوري is Hicham Mansouri's.
    assert [r.id for r in everything(bundled, "منصور").recognised] == ["ahmed-mansoor"]
    assert [r.id for r in everything(bundled, "المنصوري").recognised] == ["hicham-mansouri"]


# --- Words that are not names ------------------------------------------------------------


@pytest.mark.parametrize("word", ["un", "مواطن", "لبن", "مسار"])
def test_common_words_are_not_taken_for_names(bundled, word):
    assert everything(bundled, word).recognised == []


def test_the_french_article_un_does_not_name_the_united_nations(bundled):
    french = [i for i in ids(everything(bundled, "org:united-nations")) if i.endswith("-fr")]
    for doc_id in french:
        text = bundled.document(doc_id).body
        assert "ONU" in text or "Nations unies" in text or "Nations Unies" in text


def test_stopword_lookalike_names_find_nothing(bundled):
    # على (on) is written علي once normalised: it is stopped, so the name Ali is not
    # matched by every Arabic document.
    assert everything(bundled, "علي").total == 0


# --- Phrases and proximity on analysed words -----------------------------------------------


def test_a_phrase_matches_through_clitics(bundled):
    result = everything(bundled, '"حرية الصحافة"')
    assert result.total >= 1
    assert any("وحرية الصحافة" in piece for piece in marked(result))


def test_proximity_matches_inflected_words(bundled):
    assert everything(bundled, "surveillance NEAR/3 journalist").total >= 1
    assert everything(bundled, '"journalist surveillance"~3').total >= 1


def test_a_literal_word_keeps_exact_matching(bundled):
    # The corpus says "Moroccan journalist" in some files, "Moroccan journalists" in one.
    analysed = everything(bundled, '"Moroccan journalists"')
    literal = everything(bundled, '"Moroccan =journalists"')
    assert ids(literal) < ids(analysed)
    for hit in literal.hits:
        document = bundled.document(hit.id)
        assert "Moroccan journalists" in document.title + document.body
    assert everything(bundled, "=journalists").total < everything(bundled, "journalists").total


# --- Highlights --------------------------------------------------------------------------------


def test_a_country_highlights_whole_names_only(bundled):
    pieces = marked(everything(bundled, "الإمارات"))
    assert pieces
    assert not {p.casefold() for p in pieces} & {"a", "the", "united", "العربية"}


def test_an_acronym_does_not_highlight_the_words_of_its_arabic_spelling(bundled):
    pieces = marked(everything(bundled, "NSO"))
    assert pieces and not {"أن", "أو", "إن"} & set(pieces)


def test_stopwords_are_never_highlighted(bundled):
    for query in ("freedom of expression", "the spyware", "في المغرب", "la surveillance"):
        pieces = {p.casefold() for p in marked(everything(bundled, query))}
        assert not pieces & {"of", "the", "في", "la"}, query


def test_arabic_snippets_highlight_arabic_words(bundled):
    pieces = marked(everything(bundled, "صحفيين"))
    assert pieces and all(is_arabic(p) for p in pieces)


# --- Suggestions ----------------------------------------------------------------------------------


def test_suggestions_fix_typos(bundled):
    assert everything(bundled, "survelance").suggestion == "surveillance"
    assert everything(bundled, "journalistes marocian").suggestion == "journalistes marocain"


@pytest.mark.parametrize("query", ["الاحتجاز التعسفي", "arbitrary detention"])
def test_suggestions_never_change_the_meaning(bundled, query):
    suggestion = everything(bundled, query).suggestion
    assert suggestion is None or suggestion.split()[0][:4] == query.split()[0][:4]
    if suggestion:
        assert everything(bundled, suggestion).total > 0


def test_registry_files_include_products():
    registry = Registry.load(PROJECT / "corpus")
    assert registry.problems == []
    assert registry.products["pegasus"].maker == "nso-group"


# --- Names through clitics and loanword spellings ------------------------------------------


@pytest.mark.parametrize(
    ("query", "entity"),
    [
        ("والمغرب", "MA"),
        ("لإسرائيل", "IL"),
        ("بالسعودية", "SA"),
        ("بيجاسوس", "pegasus"),  # /g/ written ج
        ("ولبيغاسوس", "pegasus"),
    ],
)
def test_arabic_names_are_seen_through_clitics_and_spellings(bundled, query, entity):
    assert [r.id for r in everything(bundled, query).recognised] == [entity]
