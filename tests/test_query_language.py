"""The query language in all three languages, RTL input, and forgiving parsing."""

from __future__ import annotations

import pytest

from archive import planner as planner_module
from archive.planner import MAX_PREFIX_TERMS
from archive.query import MAX_CLAUSES, MAX_DEPTH, And, Near, Not, Or, Phrase, Prefix, Word, parse

from .conftest import write_doc

# Sample corpus ids, for readability.
LETTER_EN, LETTER_AR = "spyware-letter-en", "spyware-letter-ar"
CASE_EN, CASE_AR = "raissouni-case-en", "raissouni-case-ar"
STATEMENT = "egypt-detention-statement-en"


def found(service, query: str, **kwargs) -> set[str]:
    return {h.id for h in service.search(query, page_size=100, **kwargs).hits}


# --- Parsing -----------------------------------------------------------------------


@pytest.mark.parametrize("word", ["OR", "أو", "او", "OU", "|"])
def test_or_in_every_language(word):
    assert parse(f"a {word} b").tree == Or((Word("a"), Word("b")))


@pytest.mark.parametrize("prefix", ["NOT ", "-", "ليس ", "بدون ", "SAUF "])
def test_not_in_every_language(prefix):
    assert parse(f"a {prefix}b").tree == And((Word("a"), Not(Word("b"))))


@pytest.mark.parametrize("word", ["AND", "ET", "&"])
def test_explicit_and(word):
    assert parse(f"a {word} b").tree == And((Word("a"), Word("b")))


def test_lowercase_or_is_a_word_not_an_operator():
    assert parse("war or peace").tree == And((Word("war"), Word("or"), Word("peace")))


def test_rtl_queries_are_read_in_logical_order():
    # The characters as typed; a right-to-left box only changes how they look.
    assert parse('"حرية الصحافة"~5').tree == Phrase("حرية الصحافة", 5)
    assert parse("المغرب OR مصر").tree == Or((Word("المغرب"), Word("مصر")))
    # Direction marks an RTL keyboard may insert are ignored.
    assert parse("\u200fالمغرب\u200f OR \u200fمصر").tree == Or((Word("المغرب"), Word("مصر")))


def test_arabic_digits_in_proximity():
    assert parse('"حرية الصحافة"~٥').tree == Phrase("حرية الصحافة", 5)


def test_guillemets_quote_a_phrase():
    assert parse("«حرية الصحافة»").tree == Phrase("حرية الصحافة")


def test_near_operators():
    assert parse("a NEAR/p b").tree == Near(Word("a"), Word("b"), paragraph=True)
    assert parse("a near/3 b").tree == Near(Word("a"), Word("b"), paragraph=False, distance=3)


def test_prefix():
    assert parse("organ*").tree == Prefix("organ")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unbalanced quote', "An unbalanced quote mark was ignored."),
        ("(a OR b", "An unclosed ( was closed at the end."),
        ("a OR b)", "An unmatched ) was ignored."),
        ("foo:bar", 'Unknown field "foo:" was searched as words.'),
        ("country:", 'The field "country:" had no value and was ignored.'),
        ("NOT", "NOT needs something to exclude; it was ignored."),
        ("a OR", "OR needs words on both sides; it was ignored."),
        ("a NEAR/p", "NEAR needs words on both sides; it was ignored."),
        ("date:[2020]", "A date range is written [2020 TO 2022]; [2020] was ignored."),
        ("[2020 TO 2021", "An unclosed [ was ignored."),
        (
            "(" * 50 + "a" + ")" * 50,
            f"Brackets nested deeper than {MAX_DEPTH} levels were ignored.",
        ),
        (
            " ".join(f"w{i}" for i in range(100)),
            f"Only the first {MAX_CLAUSES} terms of the query were used.",
        ),
        ("x" * 5000, "The query was cut to its first 1000 characters."),
    ],
)
def test_malformed_queries_never_fail_and_say_what_was_ignored(service, query, message):
    result = service.search(query)
    assert message in result.messages


def test_malformed_queries_still_search_the_plain_words(service):
    assert found(service, '"Raissouni sentenced') == {CASE_EN}
    assert found(service, "Raissouni:sentenced") == {CASE_EN}
    assert found(service, "((Raissouni") == {CASE_EN, CASE_AR}


def test_an_empty_query_lists_everything(service):
    result = service.search("")
    assert result.total == 5 and result.messages == []


def test_deep_brackets_are_flattened(service):
    assert found(service, "(" * 400 + "Raissouni" + ")" * 400) == {CASE_EN, CASE_AR}


def test_thousands_of_brackets_and_nots_do_not_crash(service):
    result = service.search("(" * 5000 + "Raissouni" + ")" * 5000)
    assert result.total == 0
    assert "Nothing searchable was left in the query." in result.messages
    assert found(service, "NOT " * 200 + "Raissouni") == {CASE_EN, CASE_AR}
    assert found(service, "NOT " * 201 + "Raissouni") == {LETTER_EN, LETTER_AR, STATEMENT}


def test_a_query_of_only_stopwords_finds_nothing_and_says_so(service):
    result = service.search("the of and")
    assert result.total == 0
    assert result.messages == ["Nothing searchable was left in the query."]


# --- Operators against the index ----------------------------------------------------


@pytest.mark.parametrize("operator", ["OR", "أو", "OU"])
def test_or_widens(service, operator):
    assert found(service, f"Raissouni {operator} detain") == {CASE_EN, CASE_AR, STATEMENT}


@pytest.mark.parametrize("operator", ["NOT ", "-", "ليس ", "بدون ", "SAUF "])
def test_not_excludes(service, operator):
    # The Arabic letter writes Pegasus in Arabic script only: it stays.
    assert found(service, f"Egypt {operator}Pegasus") == {STATEMENT, LETTER_AR}


def test_excluding_a_name_excludes_it_in_every_script(service):
    assert found(service, "Egypt -Khashoggi") == {STATEMENT}


def test_a_query_of_only_exclusions_excludes_from_everything(service):
    assert found(service, "-Raissouni") == {LETTER_EN, LETTER_AR, STATEMENT}


def test_parentheses_group(service):
    assert found(service, "(Raissouni OR Pegasus) lang:en") == {CASE_EN, LETTER_EN}


def test_exact_phrase_uses_the_unstemmed_words(service):
    assert found(service, '"five years in prison"') == {CASE_EN}
    assert found(service, '"years five"') == set()
    # The stemmed words alone match, the phrase in another order does not.
    assert CASE_EN in found(service, "years five")


def test_arabic_phrase_is_normalised(service):
    assert found(service, '"الريسوني"') == {CASE_AR}
    assert found(service, '"بوقف بيع"') == {LETTER_AR}
    assert found(service, '"بوقف بيع"~3') == {LETTER_AR}


def test_proximity_allows_words_between_and_any_order(service):
    assert found(service, '"surveillance governments"') == set()
    assert found(service, '"surveillance governments"~4') == {LETTER_EN}
    assert found(service, '"governments surveillance"~4') == {LETTER_EN}
    assert found(service, '"surveillance governments"~1') == set()


def test_near_p_finds_words_in_the_same_paragraph_only(service):
    # "Pegasus" and "Morocco" share paragraph 2; "Pegasus" and "Khashoggi" do not.
    assert found(service, "Pegasus NEAR/p Morocco") == {LETTER_EN}
    assert found(service, "Pegasus NEAR/p Khashoggi") == set()
    assert LETTER_EN in found(service, "Pegasus Khashoggi")


def test_prefixes_inside_near_share_a_small_budget(service, monkeypatch):
    # Positions are checked document by document there, so the expansions of
    # all prefixes in NEAR operands are bounded together.
    assert found(service, "Pega* NEAR/p Moro*") == {LETTER_EN}
    monkeypatch.setattr(planner_module, "MAX_NEAR_PREFIX_TERMS", 1)
    result = service.search("Pega* NEAR/p Moro*")
    assert "NEAR works between words, phrases and prefixes; it was read as AND." in result.messages


def test_prefix_search(service):
    assert found(service, "surveil*") == {LETTER_EN}
    assert found(service, "الريسو*") == {CASE_AR}


def test_a_prefix_that_expands_too_far_gives_a_message(indexed_home, service):
    words = " ".join(f"zq{n:05d}" for n in range(MAX_PREFIX_TERMS + 10))
    write_doc(
        indexed_home,
        "letter/2021/many.md",
        f"---\nid: many\ntitle: Many\ntype: letter\nlanguage: en\ndate: 2021\n---\n{words}\n",
    )
    from archive.backends.whoosh.indexing import Index
    from archive.corpus import Corpus

    Index(indexed_home).update(Corpus(indexed_home))
    result = service.search("zq*")
    assert result.total == 0
    assert 'Too many words start with "zq"; add letters to search by prefix.' in result.messages
    assert service.search("zq0000*").total == 1
    assert '"z*" is too short to search by prefix; add letters.' in service.search("z*").messages


def test_the_prefixes_of_one_query_share_one_budget(indexed_home, service, monkeypatch):
    words = " ".join(f"zq{n:05d}" for n in range(20))
    write_doc(
        indexed_home,
        "letter/2021/twenty.md",
        f"---\nid: twenty\ntitle: Twenty\ntype: letter\nlanguage: en\ndate: 2021\n---\n{words}\n",
    )
    from archive.backends.whoosh.indexing import Index
    from archive.corpus import Corpus

    Index(indexed_home).update(Corpus(indexed_home))
    monkeypatch.setattr(planner_module, "MAX_PREFIX_TERMS", 15)
    # Each prefix expands to 10 words: one fits, the second would make 20.
    assert service.search("zq0000*").total == 1
    result = service.search("zq0000* OR zq0001*")
    assert (
        'With the other prefixes of this query, "zq0001*" matches too many words; '
        "add letters to search by prefix." in result.messages
    )
    assert result.total == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("title:Raissouni", {CASE_EN}),
        ("عنوان:الريسوني", {CASE_AR}),
        ("titre:Raissouni", {CASE_EN}),
        ("country:EG", {LETTER_EN, LETTER_AR, STATEMENT}),
        ("country:Egypt", {LETTER_EN, LETTER_AR, STATEMENT}),
        ("بلد:مصر", {LETTER_EN, LETTER_AR, STATEMENT}),
        ("pays:Égypte", {LETTER_EN, LETTER_AR, STATEMENT}),
        ("org:NSO", {LETTER_EN, LETTER_AR}),
        ("منظمة:nso-group", {LETTER_EN, LETTER_AR}),
        ("organisation:GCHR", {LETTER_EN, LETTER_AR, STATEMENT}),
        ("person:Raisouni", {CASE_EN, CASE_AR}),
        ("شخص:خاشقجي", {LETTER_EN, LETTER_AR}),
        ("type:case", {CASE_EN, CASE_AR}),
        ("نوع:بيان", {STATEMENT}),
        ("type:lettre", {LETTER_EN, LETTER_AR}),
        ("lang:ar", {LETTER_AR, CASE_AR}),
        ("lang:arabe", {LETTER_AR, CASE_AR}),
        ("لغة:العربية", {LETTER_AR, CASE_AR}),
        ("langue:anglais type:statement", {STATEMENT}),
    ],
)
def test_fields_and_their_aliases(service, query, expected):
    assert found(service, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("date:2020", {STATEMENT}),
        ("date:2021-07", {LETTER_EN, LETTER_AR, CASE_EN, CASE_AR}),
        ("date:2021-07-09", {CASE_EN, CASE_AR}),
        ("date:[2020 TO 2021-07-09]", {STATEMENT, CASE_EN, CASE_AR}),
        ("date:[2021-07-10 TO *]", {LETTER_EN, LETTER_AR}),
        ("تاريخ:[2020 إلى 2020]", {STATEMENT}),
        ("Egypt date:2021", {LETTER_EN, LETTER_AR}),
    ],
)
def test_dates(service, query, expected):
    assert found(service, query) == expected


def test_unknown_field_values_are_ignored_with_a_message(service):
    result = service.search("Raissouni country:Atlantis")
    assert 'No country is called "Atlantis"; that condition was ignored.' in result.messages
    assert result.total == 2
    assert 'Unknown document type "memo" was ignored.' in service.search("type:memo").messages
    assert any("is not a date" in m for m in service.search("date:yesterday").messages)


def test_messages_come_in_the_readers_language(service):
    assert (
        "Un guillemet sans correspondance a été ignoré."
        in service.search('"x', locale="fr").messages
    )
    assert "تُجوهلت علامة اقتباس غير مغلقة." in service.search('"x', locale="ar").messages


# --- Cross-script names --------------------------------------------------------------


@pytest.mark.parametrize("query", ["مصر", "Egypt", "Égypte", "Egyptian", "المصرية", "égyptienne"])
def test_egypt_in_every_script_finds_tagged_and_mentioning_documents(service, query):
    result = service.search(query)
    assert {h.id for h in result.hits} == {LETTER_EN, LETTER_AR, STATEMENT}
    assert [(r.kind, r.id) for r in result.recognised] == [("country", "EG")]


def test_recognised_entities_are_labelled_in_the_readers_language(service):
    assert service.search("Egypt", locale="ar").recognised[0].label == "مصر"
    assert service.search("مصر", locale="fr").recognised[0].label == "Égypte"


@pytest.mark.parametrize("query", ["Raisouni", "Raissouni", "الريسوني", "Souleimane Raissouni"])
def test_people_match_across_scripts_and_spellings(service, query):
    assert found(service, query) == {CASE_EN, CASE_AR}


def test_an_arabic_name_finds_english_documents(service):
    assert found(service, "خاشقجي") == {LETTER_EN, LETTER_AR}


def test_an_acronym_finds_the_arabic_name(service):
    result = service.search("NSO")
    assert found(service, "NSO") == {LETTER_EN, LETTER_AR}
    assert result.recognised[0].id == "nso-group"


def test_literal_search_skips_the_names(service):
    assert found(service, "Egyptian") == {LETTER_EN, LETTER_AR, STATEMENT}
    literal = service.search("Egyptian", literal=True)
    assert {h.id for h in literal.hits} == {STATEMENT}
    assert literal.recognised == []


# --- Suggestions, similar documents, paragraphs ------------------------------------------


def test_did_you_mean_in_english_and_arabic(service):
    assert service.search("Pegasos").suggestion == "Pegasus"
    assert service.search("بيغاسوص").suggestion == "بيغاسوس"
    assert service.search("Pegasus").suggestion is None


def test_suggestions_keep_the_rest_of_the_query(service):
    assert service.search("spyware Pegasos lang:en").suggestion == "spyware Pegasus lang:en"


def test_suggestions_never_come_from_restricted_documents(indexed_home, service):
    write_doc(
        indexed_home,
        "case/2021/hidden.md",
        "---\nid: hidden\ntitle: Hidden\ntype: case\n"
        "language: en\ndate: 2021\nsubject: jamal-khashoggi\nstatus: detained\n"
        "access: restricted\n---\nThe informant Zorglubovich met them.\n",
    )
    from archive.backends.whoosh.indexing import Index
    from archive.corpus import Corpus

    Index(indexed_home).update(Corpus(indexed_home))
    assert service.search("Zorglubovic").suggestion is None
    assert service.search("Zorglubovic", include_restricted=True).suggestion == "Zorglubovich"


def test_similar_documents_cross_languages_through_shared_people(service):
    similar = [h.id for h in service.similar(CASE_EN, locale="en")]
    assert CASE_AR not in similar  # its own translation is listed with it, not as similar
    # The letters share no word with the case but name the same country.
    assert set(similar) <= {LETTER_EN, LETTER_AR, STATEMENT}
    assert similar[0] == LETTER_EN


def test_similar_documents_prefer_the_readers_language(service):
    assert [h.id for h in service.similar(STATEMENT, locale="ar")][0] == LETTER_AR


def test_hits_say_which_paragraph_matched(service):
    hit = service.search("Khashoggi killing").hits[0]
    assert hit.id == LETTER_EN and hit.snippet.paragraph == 3


@pytest.mark.parametrize(
    "query", ["0\ud800*", "\udfff", '"rights \ud800"', "rights NEAR/3 \ud800*", "title:\udc80x*"]
)
def test_a_lone_surrogate_anywhere_in_a_query_matches_nothing_and_never_fails(service, query):
    # A broken URL or form can carry half a UTF-16 pair, which has no UTF-8 form.
    result = service.search(query)
    assert result.total == 0 or "rights" in query
    assert "\ufffd" in parse(query).text and not any(
        0xD800 <= ord(c) <= 0xDFFF for c in parse(query).text
    )
