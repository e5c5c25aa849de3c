"""The corpus shipped with the archive: valid, complete, and searchable across scripts."""

from __future__ import annotations

from collections import Counter

import pytest

from archive.corpus import Corpus

from .conftest import PROJECT

COALITION_MEMBERS = {
    "access-now",
    "gchr",
    "masaar",
    "rsf",
    "insm-network",
    "smex",
    "red-line-for-gulf",
    "josa",
    "article-19",
}
CASE_SUBJECTS = {
    "ahmed-mansoor",
    "omar-radi",
    "taoufik-bouachrine",
    "soulaimane-raissouni",
    "hicham-mansouri",
    "hatice-cengiz",
    "alaa-al-siddiq",
    "yahia-assiri",
}


@pytest.fixture(scope="module")
def documents():
    return {d.id: d for d in Corpus(PROJECT).documents()}


def test_the_bundled_corpus_passes_check():
    assert [str(p) for p in Corpus(PROJECT).check()] == []


def test_it_has_enough_documents_and_arabic_ones(documents):
    languages = Counter(d.language for d in documents.values())
    assert len(documents) >= 25
    assert languages["ar"] >= 10


def test_the_coalition_letter_names_its_members_and_signatories(documents):
    letter = documents["mena-surveillance-coalition-letter-2021-en"]
    assert letter.date == "2021-07-26"
    assert COALITION_MEMBERS <= set(letter.organisations)
    registry = Corpus(PROJECT).registry
    ngos = [o for o in letter.organisations if registry.organisations[o].category == "ngo"]
    assert len(ngos) >= 42
    assert {documents[t].language for t in letter.translations} == {"ar", "fr"}


def test_the_eu_letter_lists_its_sixteen_signatories(documents):
    letter = documents["eu-macro-financial-assistance-egypt-letter-en"]
    assert "EG" in letter.countries
    body_list = [line for line in letter.body.splitlines() if line[:3].strip(". ").isdigit()]
    assert len(body_list) >= 16


def test_every_named_person_has_an_english_and_an_arabic_case_summary(documents):
    cases = [d for d in documents.values() if d.type == "case"]
    by_subject = {}
    for case in cases:
        by_subject.setdefault(case.subject, set()).add(case.language)
        assert case.events, case.id
    assert CASE_SUBJECTS <= set(by_subject)
    for subject in CASE_SUBJECTS:
        assert {"en", "ar"} <= by_subject[subject]


@pytest.mark.parametrize("query", ["مصر", "Egypt", "Égypte", "Egyptian", "المصرية"])
def test_egypt_in_any_language_finds_the_same_documents(bundled, query):
    found = {h.id for h in bundled.search(query, page_size=100).hits}
    reference = {h.id for h in bundled.search("Egypt", page_size=100).hits}
    assert "eu-macro-financial-assistance-egypt-letter-ar" in found
    assert "eu-macro-financial-assistance-egypt-letter-en" in found
    assert found == reference
