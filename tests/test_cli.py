"""The `archive` command: JSON shape, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import write_doc


def test_search_json_has_the_documented_shape(run_cli, indexed_home):
    result = run_cli("search", "مصر", "--json", home=indexed_home)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"total", "hits", "facets"} <= set(data)
    assert data["total"] == len(data["hits"]) == 3
    for hit in data["hits"]:
        assert {
            "id",
            "title",
            "date",
            "type",
            "language",
            "countries",
            "organisations",
            "score",
            "snippet",
        } <= set(hit)
    assert set(data["facets"]) == {"country", "organisation", "person", "year", "type", "language"}
    for values in data["facets"].values():
        for value in values:
            assert set(value) == {"value", "label", "count", "selected"}


def test_search_labels_follow_the_locale(run_cli, indexed_home):
    result = run_cli("--locale", "ar", "search", "Egypt", "--json", home=indexed_home)
    labels = {v["value"]: v["label"] for v in json.loads(result.output)["facets"]["country"]}
    assert labels["EG"] == "مصر"


def test_search_filters_from_the_command_line(run_cli, indexed_home):
    result = run_cli(
        "search", "", "--country", "MA", "--language", "ar", "--json", home=indexed_home
    )
    data = json.loads(result.output)
    assert sorted(h["id"] for h in data["hits"]) == ["raissouni-case-ar", "spyware-letter-ar"]


def test_search_prints_readable_results(run_cli, indexed_home):
    result = run_cli("search", "Pegasus", home=indexed_home)
    assert result.exit_code == 0
    assert "spyware-letter-en" in result.output
    assert "[Pegasus]" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "x", "--country", "XX"), "archive: country: unknown value 'XX'"),
        (("search", "x", "--org", "nobody"), "archive: org: unknown value 'nobody'"),
        (("search", "x", "--from", "yesterday"), "archive: from: 'yesterday' is not a date"),
        (("show", "no-such-doc"), "archive: no document with id 'no-such-doc'"),
    ],
)
def test_bad_input_gives_one_line_and_exit_code_2(run_cli, indexed_home, args, message):
    result = run_cli(*args, home=indexed_home)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_a_missing_index_gives_one_line_and_exit_code_2(run_cli, sample_home):
    result = run_cli("search", "Egypt", home=sample_home)
    assert result.exit_code == 2
    assert result.output.startswith("archive: no index in ")
    assert "run 'archive index'" in result.output


def test_index_then_search_then_show(run_cli, sample_home):
    result = run_cli("index", home=sample_home)
    assert result.exit_code == 0
    assert "5 added" in result.output
    assert run_cli("index", home=sample_home).output.startswith(
        "0 added, 0 changed, 0 deleted, 5 unchanged"
    )
    shown = run_cli("show", "raissouni-case-en", "--json", home=sample_home)
    assert json.loads(shown.output)["paragraphs"][0].startswith("Soulaimane Raissouni")


def test_check_passes_on_a_clean_corpus_and_fails_with_exit_1(run_cli, sample_home):
    result = run_cli("check", home=sample_home)
    assert result.exit_code == 0
    assert "5 documents checked, no problems." in result.output
    write_doc(
        sample_home,
        "letter/2021/bad.md",
        "---\nid: bad\ntitle: Bad\ntype: memo\nlanguage: en\ndate: 2021\n---\nText.\n",
    )
    result = run_cli("check", home=sample_home)
    assert result.exit_code == 1
    assert (
        "corpus/letter/2021/bad.md: type: 'memo' is not one of letter, statement, case"
        in result.output
    )


def test_add_writes_the_corpus_file_then_indexes_it(run_cli, indexed_home, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text(
        "Arrest of a blogger in Tunis\n\nA blogger was detained over a satirical post.\n",
        encoding="utf-8",
    )
    result = run_cli(
        "add",
        str(note),
        "--type",
        "statement",
        "--language",
        "en",
        "--date",
        "2022-03-01",
        "--country",
        "TN",
        "--yes",
        home=indexed_home,
    )
    assert result.exit_code == 0, result.output
    path = indexed_home / "corpus" / "statement" / "2022" / "arrest-of-a-blogger-in-tunis.md"
    assert path.exists()
    assert "title: Arrest of a blogger in Tunis" in path.read_text(encoding="utf-8")
    data = json.loads(run_cli("search", "satirical", "--json", home=indexed_home).output)
    assert [h["id"] for h in data["hits"]] == ["arrest-of-a-blogger-in-tunis"]
    again = run_cli(
        "add",
        str(note),
        "--type",
        "statement",
        "--language",
        "en",
        "--date",
        "2022-03-01",
        "--yes",
        home=indexed_home,
    )
    assert again.exit_code == 2
    assert "note.txt: already in the archive as arrest-of-a-blogger-in-tunis" in again.output
    original = path.read_text(encoding="utf-8").split("original_file: ")[1].split()[0]
    assert (indexed_home / "corpus" / original).read_bytes() == note.read_bytes()


def test_add_asks_before_saving(run_cli, indexed_home, tmp_path):
    note = tmp_path / "تقرير.txt"
    note.write_text("Statement on Tunisia\n\nA statement about Tunisia.\n", encoding="utf-8")
    args = ["add", str(note), "--type", "statement", "--language", "en", "--date", "2022-03-01"]
    declined = run_cli(*args, home=indexed_home, input="n\n")
    assert "Save it to the archive?" in declined.output and "Not saved" in declined.output
    assert not (indexed_home / "corpus" / "statement" / "2022").exists()
    accepted = run_cli(*args, home=indexed_home, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    saved = indexed_home / "corpus" / "statement" / "2022" / "statement-on-tunisia.md"
    text = saved.read_text(encoding="utf-8")
    assert "original_name: تقرير.txt" in text  # the Arabic file name is kept as metadata
    assert "originals/" in text and "تقرير" not in text.split("original_file:")[1]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--country", "XX"), "countries: unknown country code 'XX'"),
        (("--org", "nobody"), "organisations: 'nobody' is not in the registry"),
        (("--date", "soon"), "date: 'soon' is not an ISO date"),
    ],
)
def test_add_refuses_bad_metadata_and_writes_nothing(
    run_cli, indexed_home, tmp_path, extra, message
):
    note = tmp_path / "note.md"
    note.write_text("A title\n\nSome text.\n", encoding="utf-8")
    before = sorted((indexed_home / "corpus").rglob("*"))
    args = [
        "add",
        str(note),
        "--type",
        "letter",
        "--language",
        "en",
        "--date",
        "2022-01-01",
        "--yes",
        *extra,
    ]
    result = run_cli(*args, home=indexed_home)
    assert result.exit_code == 2
    assert message in result.output
    assert sorted((indexed_home / "corpus").rglob("*")) == before


def test_the_installed_command_never_shows_a_traceback(tmp_path):
    """A real process: argument errors, missing folders and bugs all end in one line."""
    archive = [sys.executable, "-m", "archive.cli"]
    result = subprocess.run(
        [*archive, "--home", str(tmp_path), "search", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("archive: no index in")
    assert "Traceback" not in result.stderr


def test_messages_follow_the_locale(run_cli, sample_home, indexed_home):
    assert (
        "5 documents vérifiés, aucun problème."
        in run_cli("--locale", "fr", "check", home=sample_home).output
    )
    result = run_cli("--locale", "ar", "search", "x", "--country", "XX", home=indexed_home)
    assert result.output.startswith("archive: country: قيمة غير معروفة 'XX'")


def test_searching_an_empty_archive_finds_nothing_without_failing(run_cli, tmp_path):
    home = tmp_path / "empty"
    (home / "corpus").mkdir(parents=True)
    assert run_cli("index", home=home).exit_code == 0
    result = run_cli("search", "survelance", "--json", home=home)
    assert result.exit_code == 0, result.output
    assert '"total": 0' in result.output


def test_the_command_line_waits_for_the_index_as_long_as_archive_write_timeout_says(
    indexed_home, run_cli, monkeypatch
):
    import time

    from archive.backends.whoosh.indexing import Index

    monkeypatch.setenv("ARCHIVE_WRITE_TIMEOUT", "0.3")
    with Index(indexed_home, write_timeout=0.3).write_lock():
        started = time.monotonic()
        result = run_cli("index", home=indexed_home)
        waited = time.monotonic() - started
    assert result.exit_code != 0
    assert "being written by another process" in result.output
    assert waited < 5  # the default is 10 s
