"""The index follows the corpus: incremental updates, rebuilds, locking, restricted separation."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from archive import filetable
from archive.analysis import EXACT
from archive.backends.whoosh import engine, merging
from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.errors import IndexUnavailable
from archive.filetable import FileTable, Row
from archive.search import SearchService

from .conftest import write_doc

NEW = """---
id: new-statement
title: Statement on blogger arrests
type: statement
language: en
date: 2022-01-10
countries: [TN]
---
Three bloggers were arrested for a zanzibarian post.
"""

SECRET = """---
id: protected-case
title: Protected witness case in Egypt
type: case
language: en
date: 2021-08-01
countries: [EG]
organisations: [gchr]
subject: jamal-khashoggi
status: detained
access: restricted
---
The witness quuxwitness spoke to journalists in Egypt about spyware.
"""


def ids(service, query: str, **kwargs) -> set[str]:
    """Ids found by a search; `service` may be a home folder (a service is opened and closed)."""
    if not isinstance(service, SearchService):
        with SearchService(service) as opened:
            return ids(opened, query, **kwargs)
    return {h.id for h in service.search(query, page_size=100, **kwargs).hits}


def update(home):
    return Index(home).update(Corpus(home))


def test_update_builds_a_missing_index(sample_home):
    report = update(sample_home)
    assert len(report.added) == 5
    assert ids(sample_home, "Raissouni") >= {"raissouni-case-en", "raissouni-case-ar"}


def test_update_follows_added_changed_and_deleted_files(indexed_home, service):
    assert ids(service, "zanzibarian") == set()

    path = write_doc(indexed_home, "statement/2022/new-statement.md", NEW)
    report = update(indexed_home)
    assert (report.added, report.changed, report.deleted, report.unchanged) == (
        ["new-statement"],
        [],
        [],
        5,
    )
    assert ids(service, "zanzibarian") == {"new-statement"}

    path.write_text(NEW.replace("zanzibarian", "quokkaesque"), encoding="utf-8")
    report = update(indexed_home)
    assert report.changed == ["new-statement"]
    assert ids(service, "zanzibarian") == set()
    assert ids(service, "quokkaesque") == {"new-statement"}

    path.unlink()
    report = update(indexed_home)
    assert report.deleted == ["new-statement"]
    assert ids(service, "quokkaesque") == set()
    assert update(indexed_home).unchanged == 5


def test_a_broken_file_is_reported_and_left_out(indexed_home):
    write_doc(
        indexed_home, "statement/2022/broken.md", NEW.replace("type: statement", "type: memo")
    )
    report = update(indexed_home)
    assert report.added == []
    assert any("broken.md: type:" in str(p) for p in report.problems)


def test_rebuild_gives_the_same_index_as_incremental_updates(indexed_home, service):
    write_doc(indexed_home, "statement/2022/new-statement.md", NEW)
    (indexed_home / "corpus" / "statement" / "2020" / "egypt-detention-statement-en.md").unlink()
    raissouni = indexed_home / "corpus" / "case" / "2021" / "raissouni-case-en.md"
    raissouni.write_text(
        raissouni.read_text(encoding="utf-8") + "\nAppeal pending.\n", encoding="utf-8"
    )
    update(indexed_home)
    index = Index(indexed_home)
    incremental = index.indexed()
    queries = ("", "Egypt", "appeal", "مصر", "five years")
    before = [service.search(q, page_size=100).to_json() for q in queries]

    index.rebuild(Corpus(indexed_home))
    assert index.indexed() == incremental
    after = [service.search(q, page_size=100).to_json() for q in queries]
    # Whoosh stores field lengths in one lossy byte per document, so merged
    # segments can shift BM25's average length slightly: scores agree to 1%.
    for old, new in zip(before, after, strict=True):
        assert [h.pop("score") for h in new["hits"]] == pytest.approx(
            [h.pop("score") for h in old["hits"]], rel=0.01
        )
        assert new == old


def test_rebuild_swaps_generations_and_keeps_only_the_previous_one(indexed_home):
    index = Index(indexed_home)
    first = index.generation()
    index.rebuild(Corpus(indexed_home))
    second = index.generation()
    index.rebuild(Corpus(indexed_home))
    third = index.generation()
    assert len({first, second, third}) == 3
    assert not first.exists() and second.exists() and third.exists()


def test_a_failed_rebuild_leaves_the_live_index_alone(indexed_home, monkeypatch):
    index = Index(indexed_home)
    live = index.generation()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("archive.backends.whoosh.building.build_segments", explode)
    with pytest.raises(RuntimeError):
        index.rebuild(Corpus(indexed_home))
    assert index.generation() == live
    assert [p.name for p in index.root.iterdir() if p.name.startswith("g")] == [live.name]
    assert ids(indexed_home, "Raissouni")


def test_missing_index_is_a_clear_error(sample_home):
    with pytest.raises(IndexUnavailable, match="no index in .*run 'archive index'"):
        ids(sample_home, "x")


def test_restricted_documents_stay_out_of_the_public_index(indexed_home, service):
    write_doc(indexed_home, "case/2021/protected-case.md", SECRET)
    update(indexed_home)
    assert ids(service, "quuxwitness") == set()
    assert ids(service, "quuxwitness", include_restricted=True) == {"protected-case"}
    with Index(indexed_home).open("public").searcher() as searcher:
        assert b"quuxwitness" not in set(searcher.reader().lexicon("exact"))


def test_making_a_document_restricted_takes_its_words_out_of_public_searches_at_once(
    indexed_home,
):
    path = write_doc(
        indexed_home, "case/2021/protected-case.md", SECRET.replace("access: restricted\n", "")
    )
    update(indexed_home)
    assert ids(indexed_home, "quux*") == {"protected-case"}

    path.write_text(SECRET, encoding="utf-8")
    update(indexed_home)
    with SearchService(indexed_home) as service:
        found = service.search("quux*")
        assert (found.total, found.messages) == (0, [])
        # The word is no longer one of the public part's words: not a prefix
        # expansion, not a spelling suggestion.
        with service.backend.index.open_searcher() as searcher:
            assert engine.prefix_words(searcher.reader(), EXACT, "quux", 10) == []
        assert service.search("quuxwitnes").suggestion is None
        assert ids(service, "quux*", include_restricted=True) == {"protected-case"}
        edited = service.search("journalists spyware Egypt", page_size=100).to_json()
    # Scores are those of the same archive rebuilt: the document that left
    # weighs on no public statistic either.
    Index(indexed_home).rebuild(Corpus(indexed_home))
    with SearchService(indexed_home) as service:
        rebuilt = service.search("journalists spyware Egypt", page_size=100).to_json()
    assert [h.pop("score") for h in edited["hits"]] == pytest.approx(
        [h.pop("score") for h in rebuilt["hits"]], rel=0.01
    )
    assert edited == rebuilt


def _hold_lock(home, ready, release):
    with Index(home).write_lock():
        ready.set()
        release.wait(10)


def test_a_second_writer_waits_then_gives_a_clear_message(indexed_home):
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(indexed_home, ready, release))
    holder.start()
    try:
        assert ready.wait(20)
        started = time.monotonic()
        with pytest.raises(IndexUnavailable, match="being written by another process"):
            Index(indexed_home, write_timeout=0.5).update(Corpus(indexed_home))
        assert time.monotonic() - started >= 0.4  # it waited for the lock first
    finally:
        release.set()
        holder.join(10)
    assert update(indexed_home).unchanged == 5


def test_a_killed_writer_leaves_no_stale_lock(indexed_home):
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(indexed_home, ready, release))
    holder.start()
    assert ready.wait(20)
    holder.kill()
    holder.join(10)
    assert Index(indexed_home, write_timeout=1).update(Corpus(indexed_home)).unchanged == 5


def test_a_running_service_sees_new_documents_without_restarting(indexed_home, service):
    assert ids(service, "zanzibarian") == set()
    write_doc(indexed_home, "statement/2022/new-statement.md", NEW)
    corpus = Corpus(indexed_home)
    document = corpus.read(indexed_home / "corpus/statement/2022/new-statement.md")
    Index(indexed_home).add(corpus, [document])
    assert ids(service, "zanzibarian") == {"new-statement"}


MENTIONS = """---
id: untagged-letter
title: Letter on a spyware vendor
type: letter
language: fr
date: 2023-03-01
---
La société Zorbatech a vendu des outils de surveillance aux autorités égyptiennes du Caire.
"""


def test_names_in_the_text_are_found_in_any_script_without_tags(sample_home):
    write_doc(sample_home, "letter/2023/untagged-letter.md", MENTIONS)
    update(sample_home)
    # Not tagged EG, but "égyptiennes" names Egypt: found by its Arabic and English names.
    assert "untagged-letter" in ids(sample_home, "مصر")
    assert "untagged-letter" in ids(sample_home, "Egypt")


def test_a_registry_change_reindexes_the_names_found_in_the_text(sample_home):
    write_doc(sample_home, "letter/2023/untagged-letter.md", MENTIONS)
    update(sample_home)
    assert "untagged-letter" not in ids(sample_home, "زوربا")
    registry = sample_home / "corpus" / "registry" / "organisations.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8")
        + "- id: zorbatech\n"
        + "  name: {en: Zorbatech, ar: زوربا تك, fr: Zorbatech}\n"
        + "  acronyms: [زوربا]\n"
        + "  kind: company\n",
        encoding="utf-8",
    )
    update(sample_home)
    # The Arabic acronym now names the company the French letter mentions.
    assert "untagged-letter" in ids(sample_home, "زوربا")


def test_a_searcher_opened_before_a_commit_can_still_read_what_it_opened(indexed_home):
    index = Index(indexed_home)
    with SearchService(indexed_home) as service:
        before = service.backend.view().searcher
        # An edit merges the segment away while the searcher has read nothing yet.
        path = indexed_home / "corpus" / "case" / "2021" / "raissouni-case-en.md"
        path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        index.update(Corpus(indexed_home))
        ids = {before.stored_fields(n)["meta"]["id"] for n in range(before.doc_count_all())}
        assert "raissouni-case-en" in ids
        assert service.search("Raissouni").total == 2


def test_files_of_a_deleted_document_leave_the_disk_at_once(indexed_home):
    public = Index(indexed_home).generation() / "public"
    words_before = b"".join(p.read_bytes() for p in public.glob("*.trm"))
    assert b"quuxwitness" not in words_before
    write_doc(
        indexed_home, "statement/2022/new-statement.md", NEW.replace("zanzibarian", "quuxwitness")
    )
    update(indexed_home)
    assert b"quuxwitness" in b"".join(p.read_bytes() for p in public.glob("*.trm"))
    (indexed_home / "corpus" / "statement" / "2022" / "new-statement.md").unlink()
    update(indexed_home)
    assert b"quuxwitness" not in b"".join(p.read_bytes() for p in public.glob("*.trm"))


RAISSOUNI = ("case", "2021", "raissouni-case-en.md")


def _same_size_edit(path, old: str, new: str) -> None:
    """Change a word for another of the same length, keeping the file's
    modification time: size and mtime say nothing changed."""
    assert len(old) == len(new)
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def test_an_update_finds_an_edit_that_keeps_size_and_modification_time(indexed_home):
    path = indexed_home.joinpath("corpus", *RAISSOUNI)
    # Changed right after it was indexed (within the timestamp granularity),
    # and again once the index had long trusted it.
    _same_size_edit(path, "newspaper", "zqxwvutsr")
    assert update(indexed_home).changed == ["raissouni-case-en"]
    assert ids(indexed_home, "zqxwvutsr") == {"raissouni-case-en"}
    table = FileTable(Index(indexed_home).generation())
    row = Row._make(table.rows()[os.path.join(*RAISSOUNI)])
    table.write([row._replace(stat=filetable.signature(path.stat()))])  # trusted as it is
    _same_size_edit(path, "zqxwvutsr", "pqrstuvwx")
    assert update(indexed_home).changed == ["raissouni-case-en"]
    assert ids(indexed_home, "pqrstuvwx") == {"raissouni-case-en"}
    assert update(indexed_home).unchanged == 5


def test_an_index_without_a_file_table_or_with_an_old_one_is_brought_up_to_date(indexed_home):
    index = Index(indexed_home)
    table = FileTable(index.generation())
    old = table.path.read_bytes()
    # A writer that died between its commit and the table: the table is older.
    write_doc(indexed_home, "statement/2022/new-statement.md", NEW)
    assert update(indexed_home).added == ["new-statement"]
    table.path.write_bytes(old)
    indexed_home.joinpath("corpus", *RAISSOUNI).unlink()
    report = update(indexed_home)
    assert report.deleted == ["raissouni-case-en"]
    assert ids(indexed_home, "zanzibarian") == {"new-statement"}
    assert ids(indexed_home, "Raissouni") == {"raissouni-case-ar"}
    # An index written before file tables: its stored documents say what it holds.
    table.path.unlink()
    indexed_home.joinpath("corpus", "statement", "2022", "new-statement.md").unlink()
    assert update(indexed_home).deleted == ["new-statement"]
    assert table.exists() and len(table.rows()) == 4
    assert update(indexed_home).unchanged == 4
    assert index.indexed().keys() == table.rows().keys()


def test_the_doctors_comparison_reads_every_file_whatever_the_table_says(indexed_home):
    path = indexed_home.joinpath("corpus", *RAISSOUNI)
    path.write_text(path.read_text(encoding="utf-8") + "\nQuokkaesque.\n", encoding="utf-8")
    # A table that wrongly trusts the file as it is now (its hash is the old one).
    table = FileTable(Index(indexed_home).generation())
    row = Row._make(table.rows()[os.path.join(*RAISSOUNI)])
    table.write([row._replace(stat=filetable.signature(path.stat()))])
    assert update(indexed_home).unchanged == 5
    index = Index(indexed_home)
    assert index.compare(Corpus(indexed_home)).changed == ["raissouni-case-en"]
    assert index.update(Corpus(indexed_home), thorough=True).changed == ["raissouni-case-en"]
    assert ids(indexed_home, "quokkaesque") == {"raissouni-case-en"}
    assert Row._make(table.rows()[os.path.join(*RAISSOUNI)]).hash != row.hash


def _segment_ids(home) -> set[str]:
    with Index(home).open("public").reader() as reader:
        return {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}


def test_a_change_leaves_a_large_segment_as_it_is(indexed_home, monkeypatch):
    # Rewriting a rebuild's segment costs minutes on a large archive: an
    # edit and a deletion only mark its documents deleted.
    monkeypatch.setattr(merging, "MERGE_BELOW", 5)  # the rebuild's 5-document segment is large
    large = _segment_ids(indexed_home)
    path = indexed_home.joinpath("corpus", *RAISSOUNI)
    path.write_text(path.read_text(encoding="utf-8") + "\nQuokkaesque.\n", encoding="utf-8")
    update(indexed_home)
    indexed_home.joinpath("corpus", "letter", "2021", "spyware-letter-en.md").unlink()
    update(indexed_home)
    assert large < _segment_ids(indexed_home)
    assert ids(indexed_home, "quokkaesque") == {"raissouni-case-en"}
    assert "spyware-letter-en" not in ids(indexed_home, "spyware")


def test_many_small_changes_are_merged_and_every_document_stays_found(indexed_home):
    corpus = Corpus(indexed_home)
    index = Index(indexed_home)
    stale = indexed_home.joinpath("corpus", "statement", "2022", "new-3.md")
    for number in range(merging.MERGE_FACTOR + 2):
        text = NEW.replace("new-statement", f"new-statement-{number}").replace(
            "zanzibarian", f"zanzibarian{number}x"
        )
        path = write_doc(indexed_home, f"statement/2022/new-{number}.md", text)
        index.add(corpus, [corpus.read(path)])
        if number == 5:  # changed on disk, not yet indexed: no merge may take it as it is
            stale.write_text(stale.read_text(encoding="utf-8") + "\nLater.\n", encoding="utf-8")
    assert ids(indexed_home, "zanzibarian3x") == {"new-statement-3"}
    assert ids(indexed_home, "later") == set()
    assert update(indexed_home).changed == ["new-statement-3"]
    # Thirteen changes, one segment each, merged ten at a time.
    assert len(_segment_ids(indexed_home)) <= 4
    with SearchService(indexed_home) as service:
        for number in range(merging.MERGE_FACTOR + 2):
            assert ids(service, f"zanzibarian{number}x") == {f"new-statement-{number}"}
        assert ids(service, "later") == {"new-statement-3"}
        assert service.search("").total == 5 + merging.MERGE_FACTOR + 2


def test_an_index_written_before_the_backend_had_its_own_package_still_opens(
    sample_home, monkeypatch
):
    """Its tables of contents name the field types and analyzer where they
    were (archive.schema, archive.analysis); those names still find them."""
    from archive.backends.whoosh.analyzer import ArchiveAnalyzer
    from archive.backends.whoosh.schema import AnalysedText, VarintPositions

    with monkeypatch.context() as old_layout:  # pickled under their old modules
        old_layout.setattr(AnalysedText, "__module__", "archive.schema")
        old_layout.setattr(VarintPositions, "__module__", "archive.schema")
        old_layout.setattr(ArchiveAnalyzer, "__module__", "archive.analysis")
        Index(sample_home).rebuild(Corpus(sample_home))
    tocs = list((sample_home / "index").rglob("*.toc"))
    assert tocs
    for toc in tocs:
        data = toc.read_bytes()
        assert b"archive.schema\nAnalysedText" in data
        assert b"archive.analysis\nArchiveAnalyzer" in data
        assert b"archive.backends" not in data
    with SearchService(sample_home) as service:
        assert service.search("Raissouni").total == 2
        assert service.search('"human rights defenders"').total == 1
