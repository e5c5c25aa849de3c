"""The corpus: reading, validating (`archive check`) and writing documents."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archive.corpus import REGISTRY_CACHE, Corpus, parse_document, render_document, write_atomic
from archive.document import Document, Event

from .conftest import write_doc

GOOD = """---
id: good-doc
title: A good document
type: statement
language: en
date: 2021-07-26
countries: [EG]
---
Body text.
"""


def problems_of(home: Path) -> list[str]:
    return [str(p) for p in Corpus(home).check()]


def test_the_sample_corpus_is_clean(sample_home):
    assert problems_of(sample_home) == []


def test_a_document_round_trips_through_its_file():
    document = Document(
        id="case-x",
        title="Case: X",
        type="case",
        language="ar",
        date="2021-07",
        body="الفقرة الأولى.\n\nالفقرة الثانية.",
        countries=("MA", "NO"),
        people=("someone",),
        subject="someone",
        status="sentenced",
        charges=("espionage",),
        events=(Event("2020-06", "Arrested."),),
        access="restricted",
    )
    parsed, problems = parse_document(render_document(document), "x.md")
    assert problems == []
    assert parsed == document
    assert parsed.paragraphs() == ["الفقرة الأولى.", "الفقرة الثانية."]


def test_norway_stays_a_country_code_not_a_boolean():
    parsed, problems = parse_document(GOOD.replace("[EG]", "[NO, EG]"), "x.md")
    assert problems == []
    assert parsed.countries == ("NO", "EG")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("title: A good document\n", ""), "title: missing"),
        (("type: statement", "type: memo"), "type: 'memo' is not one of letter, statement, case"),
        (("language: en", "language: de"), "language: 'de' is not one of ar, en, fr"),
        (("date: 2021-07-26", "date: 2021-13-01"), "date: '2021-13-01' is not a real date"),
        (("date: 2021-07-26", "date: 26/07/2021"), "date: '26/07/2021' is not an ISO date"),
        (("date: 2021-07-26", "date: 2021-02-30"), "date: '2021-02-30' is not a real date"),
        (("countries: [EG]", "countries: [EG, XX]"), "countries: unknown country code 'XX'"),
        (("countries: [EG]", "countries: [EG]\nsignatories: [a]"), "signatories: unknown field"),
        (
            ("countries: [EG]", "countries: [EG]\norganisations: [nobody]"),
            "organisations: 'nobody' is not in the registry",
        ),
        (
            ("countries: [EG]", "countries: [EG]\npeople: [nobody]"),
            "people: 'nobody' is not in the registry",
        ),
        (("countries: [EG]", "countries: [EG]\nsource: ftp://x"), "source: must be an http(s) URL"),
        (
            ("countries: [EG]", "countries: [EG]\naccess: secret"),
            "access: 'secret' is not one of public, restricted",
        ),
        (
            ("countries: [EG]", "countries: [EG]\nsentence: 5 years"),
            "sentence: only case summaries have this field",
        ),
        (("id: good-doc", "id: Good Doc"), "id: must be a lower-case slug"),
        (("Body text.\n", ""), "body: empty"),
        (("---\nid", "id"), "front matter: missing"),
        (("countries: [EG]\n---", "countries: [EG"), "front matter: not closed"),
        (("countries: [EG]", "countries: [EG"), "front matter: invalid YAML"),
        (("type: statement", "type: case"), "subject: missing (required for case summaries)"),
    ],
)
def test_check_reports_each_problem_as_path_field_reason(sample_home, edit, expected):
    old, new = edit
    assert old in GOOD
    write_doc(sample_home, "statement/2021/good-doc.md", GOOD.replace(old, new))
    problems = problems_of(sample_home)
    assert any(p.startswith("corpus/statement/2021/good-doc.md: " + expected) for p in problems), (
        problems
    )


def test_check_reports_duplicate_ids(sample_home):
    write_doc(sample_home, "statement/2021/one.md", GOOD)
    write_doc(sample_home, "statement/2021/two.md", GOOD)
    assert (
        "corpus/statement/2021/two.md: id: duplicate id, also in corpus/statement/2021/one.md"
        in problems_of(sample_home)
    )


def test_check_reports_translations_that_do_not_point_back(sample_home):
    write_doc(
        sample_home,
        "statement/2021/good-doc.md",
        GOOD.replace("countries: [EG]", "countries: [EG]\ntranslations: [raissouni-case-ar]"),
    )
    write_doc(
        sample_home,
        "statement/2021/other.md",
        GOOD.replace("good-doc", "other").replace("countries: [EG]", "translations: [missing-doc]"),
    )
    problems = problems_of(sample_home)
    assert (
        "corpus/statement/2021/good-doc.md: translations: 'raissouni-case-ar' does not list it back"
        in problems
    )
    assert (
        "corpus/statement/2021/other.md: translations: unknown document 'missing-doc'" in problems
    )


def test_check_reports_a_file_that_is_not_utf8(sample_home):
    path = sample_home / "corpus" / "statement" / "2021" / "latin1.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(GOOD.replace("good", "caf\xe9").encode("latin-1"))
    assert any(
        p.startswith("corpus/statement/2021/latin1.md: file: not UTF-8")
        for p in problems_of(sample_home)
    )


def test_check_reports_registry_problems(sample_home):
    registry = sample_home / "corpus" / "registry"
    (registry / "people.yaml").write_text(
        "- id: a-person\n  name: {en: A Person, ar: شخص}\n  country: XX\n"
        "- id: a-person\n  name: {en: B, ar: ب, fr: B}\n",
        encoding="utf-8",
    )
    (registry / "countries.yaml").write_text("QQ:\n  en: [Nowhere]\n", encoding="utf-8")
    problems = problems_of(sample_home)
    assert "corpus/registry/people.yaml: a-person.name.fr: missing" in problems
    assert "corpus/registry/people.yaml: a-person.country: unknown country code 'XX'" in problems
    assert "corpus/registry/people.yaml: a-person.id: duplicate id" in problems
    assert "corpus/registry/countries.yaml: QQ: unknown country code" in problems


def test_registry_and_hidden_files_are_not_documents(sample_home):
    (sample_home / "corpus" / "registry" / "notes.md").write_text(
        "not a document", encoding="utf-8"
    )
    (sample_home / "corpus" / ".draft.md").write_text("not a document", encoding="utf-8")
    names = [p.name for p in Corpus(sample_home).paths()]
    assert "notes.md" not in names and ".draft.md" not in names
    assert len(names) == 5


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a" / "doc.md"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["doc.md"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "doc.md"
    write_atomic(target, b"old")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["doc.md"]


def test_new_documents_go_to_type_year_id(sample_home):
    corpus = Corpus(sample_home)
    document = corpus.write(Document("new-doc", "New", "letter", "fr", "2019-05-02", "Texte."))
    assert document.path == "letter/2019/new-doc.md"
    assert corpus.read(corpus.root / document.path) == document


def test_the_registry_kept_under_index_is_used_only_while_it_is_current(sample_home):
    assert Corpus(sample_home).registry.people  # loaded, and kept for the next process
    cache = sample_home / REGISTRY_CACHE
    assert cache.is_file()
    people = sample_home / "corpus" / "registry" / "people.yaml"
    with open(people, "a", encoding="utf-8") as handle:
        handle.write("- id: new-person\n  name: {en: New Person, ar: شخص جديد, fr: Nouvelle}\n")
    assert "new-person" in Corpus(sample_home).registry.people
    cache.write_bytes(b"not a pickle")
    assert "new-person" in Corpus(sample_home).registry.people
