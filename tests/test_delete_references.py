"""Deleting a document leaves no document naming it.

A document's translations are other documents' ids, listed both ways
(`archive check` wants each link listed back). Deleting one of them must
take its id out of every document that lists it, in the corpus files and in
the index, as one change: if a file cannot be written, nothing changes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.document import Document
from archive.editing import Editor
from archive.history import History
from archive.search import SearchService
from archive.users import Users

from .conftest import PASSWORD, make_app, write_doc

EN = "spyware-letter-en"
AR = "spyware-letter-ar"
FR = "spyware-letter-fr"
EN_FILE = Path("corpus/letter/2021/spyware-letter-en.md")
AR_FILE = Path("corpus/letter/2021/spyware-letter-ar.md")
FR_FILE = Path("corpus/letter/2021/spyware-letter-fr.md")

FRENCH = f"""---
id: {FR}
title: Lettre de la coalition sur la vente de logiciels espions
type: letter
language: fr
date: 2021-07-26
countries: [EG, MA]
translations: [{EN}, {AR}]
---
Les organisations signataires demandent l'arrêt de la vente de logiciels espions.
"""


def translations_in_file(home: Path, relative: Path) -> tuple[str, ...]:
    corpus = Corpus(home)
    return corpus.read(home / relative).translations


def indexed_translations(home: Path, doc_id: str) -> list[str]:
    """The translations the index stores with a document."""
    with SearchService(home) as service:
        view = service.backend.view(include_restricted=True)
        return list(view.stored(view.key_of(doc_id))["meta"]["translations"])


def assert_in_line(home: Path) -> None:
    """`archive check` finds nothing, and the index holds the corpus as it is."""
    corpus = Corpus(home)
    assert [str(p) for p in corpus.check()] == []
    report = Index(home).compare(corpus)
    assert (report.added, report.changed, report.deleted) == ([], [], [])


def a_letter(doc_id: str, language: str, translations: tuple[str, ...]) -> Document:
    return Document(
        doc_id,
        f"Letter {doc_id}",
        "letter",
        language,
        "2021-08-01",
        "The undersigned ask for the release of detained journalists.",
        translations=translations,
    )


@pytest.fixture
def three_languages(indexed_home: Path) -> Path:
    """The sample with a French version of the spyware letter, listed by all three."""
    write_doc(indexed_home, "letter/2021/spyware-letter-fr.md", FRENCH)
    for relative, other in ((EN_FILE, AR), (AR_FILE, EN)):
        path = indexed_home / relative
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                f"translations: [{other}]", f"translations: [{other}, {FR}]"
            ),
            encoding="utf-8",
        )
    Index(indexed_home).update(Corpus(indexed_home))
    assert_in_line(indexed_home)
    return indexed_home


# --- Through the Editor ------------------------------------------------------------------------


def test_deleting_a_document_takes_it_out_of_its_translations(indexed_home):
    assert AR in translations_in_file(indexed_home, EN_FILE)
    Editor(indexed_home, "alice").delete(AR)

    assert not (indexed_home / AR_FILE).exists()
    assert translations_in_file(indexed_home, EN_FILE) == ()
    assert AR not in (indexed_home / EN_FILE).read_text(encoding="utf-8")
    assert indexed_translations(indexed_home, EN) == []
    assert_in_line(indexed_home)

    history = History(Corpus(indexed_home))
    audit = [(e.action, e.id, e.user) for e in history.audit()]
    assert ("delete", AR, "alice") in audit and ("edit", EN, "alice") in audit
    (kept,) = history.versions(EN)  # the version that still named it
    assert AR in history.read(EN, kept.name).decode("utf-8")


def test_after_a_delete_its_translations_can_be_edited_and_linked_again(indexed_home, run_cli):
    editor = Editor(indexed_home, "alice")
    editor.delete(AR)

    english = editor.current(EN)
    saved = editor.update(EN, replace(english, title="Coalition letter on spyware (edited)"))
    assert saved.indexed
    added = editor.add(a_letter("spyware-letter-new", "fr", (EN,)))
    assert added.indexed
    assert translations_in_file(indexed_home, EN_FILE) == ("spyware-letter-new",)
    assert indexed_translations(indexed_home, EN) == ["spyware-letter-new"]
    assert_in_line(indexed_home)
    result = run_cli("check", home=indexed_home)
    assert result.exit_code == 0, result.output


def test_every_document_listing_it_loses_it_and_keeps_the_others(three_languages):
    home = three_languages
    Editor(home, "alice").delete(AR)
    assert translations_in_file(home, EN_FILE) == (FR,)
    assert translations_in_file(home, FR_FILE) == (EN,)
    assert indexed_translations(home, EN) == [FR]
    assert indexed_translations(home, FR) == [EN]
    assert_in_line(home)


def test_a_document_without_translations_is_deleted_as_before(indexed_home):
    before = {p: p.read_bytes() for p in (indexed_home / "corpus").rglob("*.md")}
    Editor(indexed_home, "alice").delete("egypt-detention-statement-en")
    after = {p: p.read_bytes() for p in (indexed_home / "corpus").rglob("*.md")}
    gone = indexed_home / "corpus/statement/2020/egypt-detention-statement-en.md"
    assert set(before) - set(after) == {gone}
    assert all(after[p] == before[p] for p in after if ".history" not in p.parts)
    assert_in_line(indexed_home)


def test_an_id_left_behind_by_an_earlier_delete_goes_too(indexed_home):
    """A file still naming a document deleted before deletes took ids out
    (`archive check` reports it) loses that id as well."""
    path = indexed_home / EN_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"[{AR}]", f"[{AR}, long-gone-letter]"), encoding="utf-8")
    Index(indexed_home).update(Corpus(indexed_home))
    assert "unknown document 'long-gone-letter'" in str(Corpus(indexed_home).check())
    Editor(indexed_home, "alice").delete(AR)
    assert translations_in_file(indexed_home, EN_FILE) == ()
    assert_in_line(indexed_home)


# --- Failures: all or nothing ------------------------------------------------------------------


def snapshot(home: Path) -> dict[Path, bytes]:
    """Every document file (history and audit log aside)."""
    return {
        p: p.read_bytes()
        for p in (home / "corpus").rglob("*.md")
        if ".history" not in p.relative_to(home).parts
    }


def test_a_failed_write_of_a_listing_document_changes_nothing(three_languages, monkeypatch):
    home = three_languages
    before = snapshot(home)
    editor = Editor(home, "alice")
    real_write = editor.corpus.write
    written = []

    def second_write_fails(document, path=None):
        if written:
            raise OSError(28, "No space left on device")
        written.append(document.id)
        return real_write(document, path)

    monkeypatch.setattr(editor.corpus, "write", second_write_fails)
    with pytest.raises(OSError):
        editor.delete(AR)
    assert written  # one listing document had been written, and was put back
    assert snapshot(home) == before
    assert "delete" not in [e.action for e in History(Corpus(home)).audit()]
    assert indexed_translations(home, EN) == [AR, FR]
    assert_in_line(home)
    assert list((home / "corpus").rglob(".*.tmp")) == []


def test_a_failed_removal_of_the_file_changes_nothing(indexed_home, monkeypatch):
    before = snapshot(indexed_home)
    real_unlink = Path.unlink

    def refuse(path, *args, **kwargs):
        if path.name == f"{AR}.md":
            raise PermissionError(13, "Permission denied")
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(PermissionError):
        Editor(indexed_home, "alice").delete(AR)
    monkeypatch.undo()
    assert snapshot(indexed_home) == before
    assert History(Corpus(indexed_home)).audit() == []
    assert_in_line(indexed_home)


# --- Restoring ----------------------------------------------------------------------------------


def test_restoring_a_deleted_document_links_it_back(indexed_home):
    editor = Editor(indexed_home, "alice")
    editor.delete(AR)
    (version,) = editor.history.versions(AR)
    saved = editor.restore(AR, version.name)
    assert saved.document.translations == (EN,)
    assert translations_in_file(indexed_home, EN_FILE) == (AR,)
    assert indexed_translations(indexed_home, EN) == [AR]
    assert_in_line(indexed_home)


def test_restoring_a_version_that_names_a_deleted_document_leaves_it_out(indexed_home):
    editor = Editor(indexed_home, "alice")
    editor.delete(AR)
    (version,) = editor.history.versions(EN)  # kept before the delete took AR out
    saved = editor.restore(EN, version.name)
    assert saved.document.translations == ()
    assert translations_in_file(indexed_home, EN_FILE) == ()
    assert_in_line(indexed_home)


# --- Through the archivists' pages -------------------------------------------------------------


@pytest.fixture
def signed_in(indexed_home):
    Users(indexed_home).add("alice", PASSWORD)
    app = make_app(indexed_home, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    response = client.post("/en/archivists/login", data={"name": "alice", "password": PASSWORD})
    assert response.status_code == 302
    yield client
    app.extensions["archive"].close()


def test_deleting_on_the_web_then_editing_a_former_translation(signed_in, indexed_home, run_cli):
    response = signed_in.post(f"/en/archivists/documents/{AR}/delete")
    assert response.status_code == 302
    assert translations_in_file(indexed_home, EN_FILE) == ()

    form = signed_in.get(f"/en/archivists/documents/{EN}/edit").get_data(as_text=True)
    assert AR not in form
    english = Corpus(indexed_home).read(indexed_home / EN_FILE)
    data = {
        "id": EN,
        "title": "Coalition letter on spyware, edited",
        "type": "letter",
        "language": "en",
        "date": english.date,
        "countries": " ".join(english.countries),
        "organisations": "\n".join(english.organisations),
        "people": "\n".join(english.people),
        "translations": "",
        "source": "",
        "access": "public",
        "status": "",
        "body": english.body,
    }
    response = signed_in.post(f"/en/archivists/documents/{EN}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = signed_in.get(f"/en/documents/{EN}").get_data(as_text=True)
    assert "spyware, edited" in page and AR not in page
    assert_in_line(indexed_home)
    result = run_cli("check", home=indexed_home)
    assert result.exit_code == 0, result.output


# --- Taking a translation out in an edit --------------------------------------------------------


def test_an_edit_that_drops_a_translation_unlinks_it_both_ways(three_languages):
    home = three_languages
    editor = Editor(home, "alice")
    english = editor.current(EN)
    editor.update(EN, replace(english, translations=(AR,)))

    assert translations_in_file(home, EN_FILE) == (AR,)
    assert EN not in translations_in_file(home, FR_FILE)
    assert translations_in_file(home, FR_FILE) == (AR,)
    assert set(translations_in_file(home, AR_FILE)) == {EN, FR}
    assert indexed_translations(home, FR) == [AR]
    assert_in_line(home)
    # A later edit of the French letter does not bring the link back.
    french = editor.current(FR)
    editor.update(FR, replace(french, title="Lettre (modifiée)"))
    assert translations_in_file(home, EN_FILE) == (AR,)
    assert_in_line(home)
