"""The OpenSearch backend's writing, against a local HTTP server that answers
in the documented shapes (`opensearch_double`), and its failures: an
unreachable cluster, one that answers late, 429s and 5xx. Whatever happens,
the corpus is untouched and readers keep the last whole generation."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path

import pytest

from archive.backends import open_backend
from archive.backends.opensearch import writing
from archive.backends.opensearch.documents import FILLER, paragraphs, source
from archive.backends.opensearch.mapping import index_body
from archive.config import current
from archive.corpus import Corpus
from archive.errors import IndexUnavailable

from . import opensearch_double
from .conftest import DATA

GOLDEN = DATA / "opensearch"


@pytest.fixture
def double():
    url, cluster, server = opensearch_double.serve()
    yield url, cluster
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(writing, "FIRST_PAUSE", 0.01)


def settings(url: str, **more) -> dict:
    return {"SEARCH_BACKEND": "opensearch", "OPENSEARCH_URL": url, **more}


def environment(monkeypatch, url: str, **more) -> None:
    for name, value in settings(url, **more).items():
        monkeypatch.setenv(f"ARCHIVE_{name}", str(value))


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def corpus_bytes(home: Path) -> dict:
    return {p: p.read_bytes() for p in sorted((home / "corpus").rglob("*")) if p.is_file()}


# --- What is sent ------------------------------------------------------------------------------


def test_the_index_body_is_the_golden_one():
    body = index_body(current({"OPENSEARCH_SHARDS": 3, "OPENSEARCH_REPLICAS": 2}), "f00d")
    assert body == json.loads((GOLDEN / "index-body.json").read_text(encoding="utf-8"))


def test_a_document_is_sent_as_the_archives_own_terms(sample_home):
    corpus = Corpus(sample_home)
    path = sample_home / "corpus" / "letter" / "2021" / "spyware-letter-ar.md"
    document = corpus.read(path)
    sent = json.loads(json.dumps(source(document, "c0ffee", corpus.registry.names)))
    golden = json.loads((GOLDEN / "spyware-letter-ar.json").read_text(encoding="utf-8"))
    assert sent == golden
    # Positions survive: each term sits where the embedded engine puts it.
    assert paragraphs({"a": [0, 2], "b": [65536]}) == [f"a {FILLER} a", "b"]


# --- Writing through the double ------------------------------------------------------------------


def test_a_rebuild_fills_new_indices_and_then_moves_both_aliases(double, indexed_home):
    url, cluster = double
    case = indexed_home / "corpus" / "case" / "2021" / "raissouni-case-ar.md"
    case.write_text(
        case.read_text(encoding="utf-8").replace("---\n", "---\naccess: restricted\n", 1),
        encoding="utf-8",
    )
    archive = settings(url, OPENSEARCH_INDEX="hr", OPENSEARCH_SHARDS=2, OPENSEARCH_REPLICAS=0)
    backend = open_backend(indexed_home, settings=archive)
    report = backend.rebuild(Corpus(indexed_home))
    assert len(report.added) == 5 and not report.problems
    assert set(cluster.aliases) == {"hr-public", "hr-restricted"}
    public = cluster.indices[cluster.live("hr-public")]
    assert public["body"]["settings"]["number_of_shards"] == 2
    assert public["body"]["settings"]["number_of_replicas"] == 0
    assert "spyware-letter-ar" in public["docs"]
    # The restricted document is in the restricted index only.
    restricted = cluster.indices[cluster.live("hr-restricted")]["docs"]
    assert list(restricted) == ["raissouni-case-ar"]
    assert "raissouni-case-ar" not in public["docs"]
    # A second rebuild moves both aliases in one request and drops the old indices.
    first = cluster.lives()
    backend.rebuild(Corpus(indexed_home))
    moves = [json.loads(b) for m, p, _, b in cluster.requests if p.startswith("/_aliases")]
    assert len(moves[-1]["actions"]) == 4  # remove and add, for both parts, at once
    assert set(cluster.indices) == set(cluster.lives().values())
    assert not set(first.values()) & set(cluster.indices)
    assert backend.compare(Corpus(indexed_home)).unchanged == 5


def test_credentials_go_with_every_request_and_never_into_messages(double, indexed_home):
    url, cluster = double
    archive = settings(url, OPENSEARCH_USER="archive", OPENSEARCH_PASSWORD="s3cret-pass")
    open_backend(indexed_home, settings=archive).rebuild(Corpus(indexed_home))
    expected = "Basic " + base64.b64encode(b"archive:s3cret-pass").decode()
    assert all(headers.get("authorization") == expected for _, _, headers, _ in cluster.requests)
    # A failure names the cluster without its password, even one given in the URL.
    cluster.fail_next = [500]
    secret = url.replace("http://", "http://archive:s3cret-pass@")
    with pytest.raises(IndexUnavailable) as failure:
        open_backend(indexed_home, settings=settings(secret)).exists()
    assert "s3cret-pass" not in str(failure.value) and "archive@127.0.0.1" in str(failure.value)


def test_an_update_sends_only_what_changed_and_deletes_what_is_gone(double, indexed_home):
    url, cluster = double
    backend = open_backend(indexed_home, settings=settings(url))
    corpus = Corpus(indexed_home)
    backend.rebuild(corpus)
    letter = indexed_home / "corpus" / "letter" / "2021" / "spyware-letter-en.md"
    letter.write_text(letter.read_text(encoding="utf-8") + "\nA new line.\n", encoding="utf-8")
    (indexed_home / "corpus" / "statement" / "2020" / "egypt-detention-statement-en.md").unlink()
    before = len(cluster.requests)
    report = backend.update(corpus)
    assert (report.added, report.changed, report.deleted) == (
        [],
        ["spyware-letter-en"],
        ["egypt-detention-statement-en"],
    )
    bulk = [b for _, p, _, b in cluster.requests[before:] if p.startswith("/_bulk")]
    lines = [json.loads(line) for line in bulk[0].decode().splitlines()]
    actions = [
        (kind, spec["_id"])
        for line in lines
        for kind, spec in line.items()
        if kind in ("index", "delete")
    ]
    assert actions == [("index", "spyware-letter-en"), ("delete", "egypt-detention-statement-en")]
    public = cluster.indices[cluster.live("archive-public")]["docs"]
    assert "egypt-detention-statement-en" not in public
    assert "A new line" not in json.dumps(public)  # sent analysed, not as text
    assert backend.compare(corpus).unchanged == 4


# --- Failures ---------------------------------------------------------------------------


def test_busy_answers_are_sent_again_with_a_pause(double, indexed_home):
    url, cluster = double
    cluster.refuse_items = [429, 429]  # two documents refused once as too busy
    backend = open_backend(indexed_home, settings=settings(url))
    backend.rebuild(Corpus(indexed_home))
    assert backend.compare(Corpus(indexed_home)).unchanged == 5
    letter = indexed_home / "corpus" / "letter" / "2021" / "spyware-letter-en.md"
    letter.write_text(letter.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    cluster.fail_bulk = [503, 429]  # the whole next bulk request, twice
    before = len(cluster.requests)
    assert backend.update(Corpus(indexed_home)).changed == ["spyware-letter-en"]
    assert sum(p.startswith("/_bulk") for _, p, _, _ in cluster.requests[before:]) == 3
    assert backend.compare(Corpus(indexed_home)).unchanged == 5


def test_a_document_the_cluster_refuses_is_reported_and_the_rest_written(double, indexed_home):
    url, cluster = double
    cluster.refuse_items = [400]
    report = open_backend(indexed_home, settings=settings(url)).rebuild(Corpus(indexed_home))
    [problem] = report.problems
    assert problem.field == "index" and problem.path.endswith(".md")
    assert len(cluster.indices[cluster.live("archive-public")]["docs"]) == 4


def test_a_cluster_that_keeps_failing_leaves_readers_on_the_last_generation(
    double, indexed_home, run_cli, monkeypatch
):
    url, cluster = double
    open_backend(indexed_home, settings=settings(url)).rebuild(Corpus(indexed_home))
    live = cluster.lives()
    before = corpus_bytes(indexed_home)
    environment(monkeypatch, url)
    # Every bulk request from now on is refused with 503.
    cluster.fail_next = []
    original = opensearch_double._Handler._bulk

    def unwell(self, body):
        return self._error(503, "unavailable", "the cluster is unwell")

    monkeypatch.setattr(opensearch_double._Handler, "_bulk", unwell)
    result = run_cli("index", "--rebuild", home=indexed_home)
    monkeypatch.setattr(opensearch_double._Handler, "_bulk", original)
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"archive: the OpenSearch cluster at {url} answered 503: the cluster is unwell"
    )
    assert cluster.lives() == live and set(cluster.indices) == set(live.values())
    assert corpus_bytes(indexed_home) == before


@pytest.mark.parametrize("command", [("index",), ("search", "Egypt"), ("index", "--rebuild")])
def test_an_unreachable_cluster_is_one_line_naming_it(command, indexed_home, run_cli, monkeypatch):
    url = closed_port()
    before = corpus_bytes(indexed_home)
    environment(monkeypatch, url, OPENSEARCH_USER="archive", OPENSEARCH_PASSWORD="never-shown")
    result = run_cli(*command, home=indexed_home)
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"archive: cannot reach the OpenSearch cluster at {url}: connection refused"
    )
    assert corpus_bytes(indexed_home) == before


def test_serve_with_an_unreachable_cluster_stops_before_listening(indexed_home, monkeypatch):
    import subprocess
    import sys

    url = closed_port()
    environment(monkeypatch, url)
    archive = Path(sys.executable).with_name("archive")
    done = subprocess.run(
        [str(archive), "--home", str(indexed_home), "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        done.stderr
        == f"archive: cannot reach the OpenSearch cluster at {url}: connection refused\n"
    )


def test_a_cluster_that_answers_late_is_one_line(double, indexed_home, run_cli, monkeypatch):
    url, cluster = double
    cluster.delay = 1.0
    environment(monkeypatch, url, OPENSEARCH_TIMEOUT=0.2)
    result = run_cli("index", home=indexed_home)
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"archive: the OpenSearch cluster at {url} did not answer in time"
    )


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"SEARCH_BACKEND": "elastic"}, "SEARCH_BACKEND: must be one of whoosh, opensearch"),
        ({"SEARCH_BACKEND": "opensearch"}, "OPENSEARCH_URL: set it to the cluster's address"),
        (
            {"SEARCH_BACKEND": "opensearch", "OPENSEARCH_URL": "ftp://x"},
            "OPENSEARCH_URL: must be an http(s) URL",
        ),
    ],
)
def test_a_backend_setting_that_cannot_work_is_named(
    given, message, indexed_home, run_cli, monkeypatch
):
    for name, value in given.items():
        monkeypatch.setenv(f"ARCHIVE_{name}", value)
    result = run_cli("index", home=indexed_home)
    assert result.exit_code == 2
    assert result.output.startswith(f"archive: {message}")
    assert "Traceback" not in result.output


# --- Searching: what is asked and how the answer is read ------------------------------

#: Queries of every kind of plan node, planned by the real planner over the
#: sample's embedded index, and the query DSL each must compile to.
QUERIES = [
    "Egypt",
    "title:spyware",
    "=journalists",
    "Khashoggi",
    "journal*",
    '"freedom of expression"',
    '"five years"~3',
    '"freedom of expression"~4',
    "Pegasus NEAR/5 Morocco",
    "Pegasus NEAR/p journalists",
    "date:2021-07",
    "Egypt AND (spyware OR surveillance) -Morocco",
    "الصحفيين",
]


def planned(service, query: str):
    from archive.planner import Planner
    from archive.query import parse

    view = service.backend.view(True)
    return Planner(view, service.registry, True).plan(parse(query).tree).plan


def test_plans_compile_to_the_golden_query_dsl(service):
    from archive.backends.opensearch.queries import to_dsl

    compiled = {query: to_dsl(planned(service, query)) for query in QUERIES}
    golden = json.loads((GOLDEN / "queries.json").read_text(encoding="utf-8"))
    assert compiled == golden


def test_a_search_body_counts_each_facet_without_its_own_selection(service):
    from archive.backends.opensearch.queries import search_body
    from archive.search import Filters

    body = search_body(
        planned(service, "spyware"),
        True,
        Filters(date_from="2021", date_to="2021-12"),
        {"country": ("EG", "MA"), "type": ("letter",)},
        "date",
        10,
    )
    assert body == json.loads((GOLDEN / "search-body.json").read_text(encoding="utf-8"))
    # The hits are narrowed by every selection; the country facet only by the type.
    kept = body["aggs"]["country"]["filter"]["bool"]["filter"]
    assert kept == [{"terms": {"type": ["letter"]}}]
    assert len(body["post_filter"]["bool"]["filter"]) == 2


def test_an_answer_in_the_documented_shape_is_read():
    from archive.backends.opensearch.queries import read_answer

    answer = json.loads((GOLDEN / "search-answer.json").read_text(encoding="utf-8"))
    total, ranked, counts = read_answer(answer)
    assert total == 2
    assert ranked == [("spyware-letter-en", 3.2), ("spyware-letter-ar", 2.9)]
    assert counts["country"] == {"EG": 2, "MA": 1}
    assert counts["type"] == {"letter": 2}  # buckets of no document are left out


def test_doctor_compares_the_cluster_with_the_corpus_and_repairs_it(
    double, indexed_home, run_cli, monkeypatch
):
    url, cluster = double
    environment(monkeypatch, url)
    assert run_cli("index", home=indexed_home).exit_code == 0  # built: no index yet
    healthy = run_cli("doctor", home=indexed_home)
    assert healthy.exit_code == 0, healthy.output
    assert "The index matches the corpus (5 documents)." in healthy.output
    # A document lost by the cluster, and one changed in the corpus.
    del cluster.indices[cluster.live("archive-public")]["docs"]["spyware-letter-ar"]
    letter = indexed_home / "corpus" / "letter" / "2021" / "spyware-letter-en.md"
    letter.write_text(letter.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    found = run_cli("doctor", home=indexed_home)
    assert found.exit_code == 1
    assert "missing from the index: spyware-letter-ar" in found.output
    assert "out of date in the index: spyware-letter-en" in found.output
    repaired = run_cli("doctor", "--repair", home=indexed_home)
    assert repaired.exit_code == 0, repaired.output
    assert "Repaired: 1 added, 1 changed, 0 deleted, 3 unchanged" in repaired.output
    assert "The index matches the corpus" in run_cli("doctor", home=indexed_home).output
    # An index written with another mapping version is rebuilt by the repair.
    for index in cluster.indices.values():
        index["body"]["mappings"]["_meta"]["archive_mapping"] = 0
    old = run_cli("doctor", home=indexed_home)
    assert "the index was written by an older version of the archive" in old.output
    assert run_cli("doctor", "--repair", home=indexed_home).exit_code == 0
    assert "The index matches the corpus" in run_cli("doctor", home=indexed_home).output
    # So is one whose names came from another registry.
    registry = indexed_home / "corpus" / "registry" / "people.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8") + "- id: new-name\n  name: {en: New Name}\n",
        encoding="utf-8",
    )
    changed = run_cli("doctor", home=indexed_home)
    assert "the registry changed since the index was built" in changed.output


def test_a_rebuild_whose_alias_answer_is_lost_keeps_what_the_aliases_point_at(double, indexed_home):
    url, cluster = double
    backend = open_backend(indexed_home, settings=settings(url))
    backend.rebuild(Corpus(indexed_home))
    cluster.lose_answers = ["/_aliases"]  # carried out, but the answer never comes
    with pytest.raises(IndexUnavailable):
        backend.rebuild(Corpus(indexed_home))
    live = cluster.lives()  # the new generation, whole, and still there
    assert all(live[a] in cluster.indices for a in ("archive-public", "archive-restricted"))
    assert len(cluster.indices[live["archive-public"]]["docs"]) == 5
    assert backend.compare(Corpus(indexed_home)).unchanged == 5


def test_an_alias_left_alone_is_moved_with_the_other(double, indexed_home):
    url, cluster = double
    backend = open_backend(indexed_home, settings=settings(url))
    backend.rebuild(Corpus(indexed_home))
    del cluster.aliases["archive-restricted"]  # by hand, outside the archive
    assert not backend.exists()
    backend.update(Corpus(indexed_home))  # rebuilt, since an alias is missing
    assert set(cluster.lives()) == {"archive-public", "archive-restricted"}  # one index each


def test_a_change_the_cluster_does_not_take_is_not_called_indexed(double, indexed_home):
    from archive.editing import Editor

    url, cluster = double
    open_backend(indexed_home, settings=settings(url)).rebuild(Corpus(indexed_home))
    editor = Editor(indexed_home, "alice", settings(url))
    cluster.refuse_items = [0, 400]  # written to the restricted part, not deleted from the public
    letter = editor.current("spyware-letter-en")
    saved = editor.set_access(letter.id, "restricted")
    assert saved.indexed is False  # the editor says: run 'archive index'
    # A copy left in the public part is found and taken out by the next update.
    public = cluster.indices[cluster.live("archive-public")]["docs"]
    assert "spyware-letter-en" in public
    backend = open_backend(indexed_home, settings=settings(url))
    assert "spyware-letter-en" in backend.compare(Corpus(indexed_home)).changed
    backend.update(Corpus(indexed_home))
    assert "spyware-letter-en" not in public
    restricted = cluster.indices[cluster.live("archive-restricted")]["docs"]
    assert "spyware-letter-en" in restricted


def test_a_public_search_never_names_the_restricted_index(double, indexed_home, monkeypatch):
    from archive.search import SearchService

    url, cluster = double
    environment(monkeypatch, url)
    case = indexed_home / "corpus" / "case" / "2021" / "raissouni-case-ar.md"
    case.write_text(
        case.read_text(encoding="utf-8").replace("---\n", "---\naccess: restricted\n", 1),
        encoding="utf-8",
    )
    with SearchService(indexed_home) as service:
        service.backend.rebuild(Corpus(indexed_home))
        before = len(cluster.requests)
        found = service.search("Raissouni", snippets=False)
        public = [p for _, p, _, _ in cluster.requests[before:]]
        assert public and not any("restricted" in p for p in public)
        assert "raissouni-case-ar" not in [h.id for h in found.hits]
        before = len(cluster.requests)
        archivist = service.search("Raissouni", include_restricted=True, snippets=False)
        asked = [p for _, p, _, _ in cluster.requests[before:] if "_search" in p]
        assert any("archive-public,archive-restricted" in p for p in asked)
        assert "raissouni-case-ar" in [h.id for h in archivist.hits]


def test_eval_compare_never_writes_a_scratch_index_into_the_cluster(
    double, indexed_home, run_cli, monkeypatch
):
    url, cluster = double
    environment(monkeypatch, url)
    result = run_cli("eval", "--compare", "stopwords", home=indexed_home)
    assert result.exit_code == 2
    assert "--compare: analysis choices are compared on the embedded index" in result.output
    assert not any(method == "PUT" for method, _, _, _ in cluster.requests)


def test_an_archivists_change_asks_the_cluster_only_about_its_documents(double, indexed_home):
    from archive.editing import Editor

    url, cluster = double
    open_backend(indexed_home, settings=settings(url)).rebuild(Corpus(indexed_home))
    editor = Editor(indexed_home, "alice", settings(url))
    before = len(cluster.requests)
    editor.delete("egypt-detention-statement-en")
    public = cluster.indices[cluster.live("archive-public")]["docs"]
    assert "egypt-detention-statement-en" not in public and len(public) == 4
    searches = [json.loads(b) for _, p, _, b in cluster.requests[before:] if "/_search" in p]
    assert searches and all("match_all" not in s["query"] for s in searches if "query" in s)
