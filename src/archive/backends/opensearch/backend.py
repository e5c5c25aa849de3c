"""`OpenSearchBackend`: the archive's index in an OpenSearch cluster.

Writing: rebuilds into a new generation behind the aliases, updates by
content hash, archivists' changes made searchable at once, and a comparison
with the corpus for `archive doctor`. Reading: `OpenSearchView` runs plans
compiled to query DSL (`queries`), with facets as aggregations.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from opensearchpy import exceptions as cluster
from opensearchpy import helpers

from ... import config
from ...analysis import EXACT
from ...corpus import Corpus
from ...document import Document
from ...errors import IndexUnavailable
from ...i18n import N_
from ...locks import writer_lock
from ...registry import fingerprint as registry_fingerprint
from .. import IndexReport
from ..analysed import hash_bytes, part_of, scan_corpus
from . import queries
from .connection import make_client, shown_url, speaking_to
from .documents import source
from .mapping import MAPPING_VERSION, PARTS, alias, index_body, index_name
from .writing import Action, Bulk

#: The lock file of this archive's writers (the cluster has no index/ folder here).
LOCK = Path("instance") / "opensearch.lock"
#: The part `indexed` gives an id held in both (a write cut short).
BOTH = "both"


def _all(live: Mapping[str, list[str]]) -> list[str]:
    return [index for indices in live.values() for index in indices]


def _parts(known: tuple | None) -> tuple[str, ...]:
    """The parts an indexed document is held in."""
    if known is None:
        return ()
    return PARTS if known[2] == BOTH else (known[2],)


def _refused(problems: list, url: str) -> None:
    """An archivist's change the cluster did not take in full is not indexed:
    the caller says so, and `archive index` sends it again."""
    if problems:
        raise IndexUnavailable(
            N_("the OpenSearch cluster at {url} refused {path}: {reason}"),
            url=shown_url(url),
            path=problems[0].path,
            reason=problems[0].reason,
        )


class OpenSearchBackend:
    """The index of an archive home in the cluster at `OPENSEARCH_URL`."""

    def __init__(self, home, texts=None, settings: Mapping | None = None, **_):
        self.home = Path(home)
        self.settings = config.current(settings)
        self.url = self.settings["OPENSEARCH_URL"] or ""
        self.client = make_client(self.settings)
        self.texts = texts

    # --- State ------------------------------------------------------------------------

    def _live(self) -> dict[str, list[str]]:
        """Part -> the indices its alias points at (none: no index yet; more
        than one only if something other than the archive moved it)."""
        live: dict[str, list[str]] = {part: [] for part in PARTS}
        for part in PARTS:
            with speaking_to(self.url):
                try:
                    found = self.client.indices.get_alias(name=alias(self.settings, part))
                except cluster.NotFoundError:
                    continue
            live[part] = sorted(found)
        return live

    def exists(self) -> bool:
        return all(self._live().values())

    def state(self, include_restricted: bool = False) -> tuple:
        parts = PARTS if include_restricted else ("public",)
        with speaking_to(self.url):
            stats = self.client.indices.stats(
                index=",".join(alias(self.settings, p) for p in parts), metric="indexing"
            )
        return tuple(
            (name, info["primaries"]["indexing"]["index_total"])
            for name, info in sorted(stats.get("indices", {}).items())
        )

    def damage(self):
        return None  # the cluster checks its own files

    def verify(self) -> list:
        return []

    def leftovers(self) -> list[Path]:
        return []  # a rebuild that fails deletes the indices it made

    def _written(self, live: dict[str, list[str]]) -> set[tuple]:
        """(mapping version, registry fingerprint) the live indices were written with."""
        with speaking_to(self.url):
            found = self.client.indices.get_mapping(index=",".join(_all(live)))
        return {
            (meta.get("archive_mapping"), meta.get("registry"))
            for meta in (info["mappings"].get("_meta", {}) for info in found.values())
        }

    def _outdated(self, live: dict[str, list[str]], corpus: Corpus) -> bool:
        """Whether the live indices were written with another mapping, or with
        names from another registry (its people, organisations and aliases)."""
        return self._written(live) != {(MAPPING_VERSION, registry_fingerprint(corpus.root))}

    # --- Writing ----------------------------------------------------------------------

    def write_lock(self):
        return writer_lock(self.home / LOCK, float(self.settings["WRITE_TIMEOUT"]))

    def _bulk(self) -> Bulk:
        return Bulk(self.client, self.url)

    def rebuild(self, corpus: Corpus) -> IndexReport:
        """Write a new generation from the corpus alone, then move both aliases to
        it in one request; readers see the old generation until then."""
        with self.write_lock():
            return self._rebuild(corpus)

    def _rebuild(self, corpus: Corpus) -> IndexReport:
        old = self._live()
        generation = time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(3)
        new = {part: index_name(self.settings, part, generation) for part in PARTS}
        body = index_body(self.settings, registry_fingerprint(corpus.root))
        report = IndexReport()
        try:
            with speaking_to(self.url):
                for index in new.values():
                    self.client.indices.create(index=index, body=body)
            actions = self._scan(corpus, new, report)
            report.problems += self._bulk().send(actions)
            with speaking_to(self.url):
                self.client.indices.refresh(index=",".join(new.values()))
                self.client.indices.update_aliases(body={"actions": self._moves(old, new)})
        except BaseException:
            # The aliases may have moved after all (an answer lost on the way):
            # only the new indices no alias points at are deleted.
            with contextlib.suppress(IndexUnavailable):
                self._delete_indices(set(new.values()) - set(_all(self._live())))
            raise
        self._delete_indices(_all(old))
        return report

    def _moves(self, old: dict[str, list[str]], new: dict[str, str]) -> list[dict]:
        moves: list[dict] = []
        for part in PARTS:
            name = alias(self.settings, part)
            moves += [{"remove": {"index": index, "alias": name}} for index in old[part]]
            moves.append({"add": {"index": new[part], "alias": name}})
        return moves

    def _delete_indices(self, indices: Iterable[str]) -> None:
        """Delete indices no alias needs any more (failures are left for doctor)."""
        names = ",".join(indices)
        if not names:
            return
        try:
            self.client.indices.delete(index=names, ignore_unavailable=True)
        except cluster.TransportError:
            pass

    def _scan(self, corpus: Corpus, indices: Mapping[str, str], report: IndexReport):
        """Index actions for every document of the corpus, counted in `report`."""
        seen: set[str] = set()
        names = corpus.registry.names
        for _, document, digest, problems, _ in scan_corpus(corpus):
            report.problems.extend(problems)
            if document is None or document.id in seen:
                continue
            seen.add(document.id)
            report.added.append(document.id)
            yield Action(
                indices[part_of(document)],
                document.id,
                source(document, digest, names),
                document.path or "",
            )

    def indexed(self, field: str | None = None, values: Iterable[str] = ()) -> dict:
        """id -> (corpus path, content hash, part) of every indexed document, or
        of those whose `field` ("id", "path") is one of `values`; the part is
        BOTH for an id held in both parts (a write that was cut short)."""
        query = {"terms": {field: sorted(values)}} if field else {"match_all": {}}
        found: dict[str, tuple[str, str, str]] = {}
        for part in PARTS:
            with speaking_to(self.url):
                for hit in helpers.scan(
                    self.client,
                    index=alias(self.settings, part),
                    query={"query": query, "_source": ["path", "hash"]},
                ):
                    held = (hit["_source"]["path"], hit["_source"]["hash"], part)
                    if hit["_id"] in found:
                        held = (*held[:2], BOTH)
                    found[hit["_id"]] = held
        return found

    def compare(self, corpus: Corpus) -> IndexReport:
        """What `update` would do: added = missing from the cluster, changed =
        stale, deleted = in the cluster but no longer in the corpus."""
        live = self._live()
        if not all(live.values()):
            raise IndexUnavailable(
                N_("no index in the OpenSearch cluster at {url}: run 'archive index'"),
                url=shown_url(self.url),
            )
        return self._differences(corpus, live)[0]

    def _differences(self, corpus: Corpus, live) -> tuple[IndexReport, dict, list]:
        """The comparison, what the cluster holds, and the (document, hash) pairs
        to send: one pass over the corpus and one over the cluster."""
        written = self._written(live)
        report = IndexReport(
            format_changed={version for version, _ in written} != {MAPPING_VERSION},
            registry_changed={names for _, names in written} != {registry_fingerprint(corpus.root)},
        )
        indexed = self.indexed()
        seen, stale = set(), []
        for _, document, digest, problems, _ in scan_corpus(corpus):
            report.problems.extend(problems)
            if document is None or document.id in seen:
                continue
            seen.add(document.id)
            known = indexed.get(document.id)
            if known == (document.path, digest, part_of(document)):
                report.unchanged += 1
                continue
            (report.added if known is None else report.changed).append(document.id)
            stale.append((document, digest))
        report.deleted = sorted(set(indexed) - seen)
        return report, indexed, stale

    def update(self, corpus: Corpus, thorough: bool = False) -> IndexReport:
        """Bring the cluster in line with the corpus (builds it if missing)."""
        with self.write_lock():
            live = self._live()
            if not all(live.values()) or self._outdated(live, corpus):
                return self._rebuild(corpus)
            report, indexed, stale = self._differences(corpus, live)
            report.problems += self._write(stale, indexed, report.deleted, corpus)
            return report

    def add(self, corpus: Corpus, documents: Iterable[Document]) -> None:
        """Index documents just written to the corpus; searchable when this returns."""
        with self.write_lock():
            if not self.exists():
                self._rebuild(corpus)
                return
            pairs = [(d, hash_bytes((corpus.root / d.path).read_bytes())) for d in documents]
            held = self.indexed("id", [d.id for d, _ in pairs])
            _refused(self._write(pairs, held, [], corpus), self.url)

    def remove(self, paths: Iterable[str]) -> None:
        """Drop the documents of these corpus files; gone from searches when this returns."""
        paths = set(paths)
        with self.write_lock():
            if not self.exists():
                return
            held = self.indexed("path", paths)
            _refused(self._write([], held, list(held), None), self.url)

    def _write(self, documents, indexed, deleted, corpus) -> list:
        """Index `documents` ((document, hash) pairs) in their part, take each out
        of the other part, delete the ids `deleted`, and refresh."""
        names = corpus.registry.names if corpus is not None else None
        actions: list[Action] = []
        for document, digest in documents:
            part = part_of(document)
            actions.append(
                Action(
                    alias(self.settings, part),
                    document.id,
                    source(document, digest, names),
                    document.path or "",
                )
            )
            known = indexed.get(document.id)
            for other in _parts(known):
                if other != part:  # restricted or made public: out of the other part
                    actions.append(Action(alias(self.settings, other), document.id, None, ""))
        for doc_id in deleted:
            known = indexed.get(doc_id)
            for held in _parts(known):
                actions.append(Action(alias(self.settings, held), doc_id, None, known[0]))
        problems = self._bulk().send(actions)
        with speaking_to(self.url):
            self.client.indices.refresh(index=",".join(alias(self.settings, p) for p in PARTS))
        return problems

    # --- Reading ----------------------------------------------------------------------

    def file_of(self, doc_id: str) -> str | None:
        known = self.indexed("id", [doc_id]).get(doc_id)
        return known[0] if known else None

    def unindexed(self, corpus: Corpus) -> Iterator[Path]:
        """Corpus files whose content the cluster does not hold."""
        held = {(path, digest) for path, digest, _ in self.indexed().values()}
        for path, document, digest, _, _ in scan_corpus(corpus):
            if document is None or (document.path, digest) not in held:
                yield Path(path)

    def restricted(self) -> list[dict]:
        with speaking_to(self.url):
            return [
                hit["_source"]["meta"]
                for hit in helpers.scan(
                    self.client,
                    index=alias(self.settings, "restricted"),
                    query={"query": {"match_all": {}}, "_source": ["meta"]},
                )
            ]

    def view(self, include_restricted: bool = False) -> OpenSearchView:
        parts = PARTS if include_restricted else ("public",)
        return OpenSearchView(self, ",".join(alias(self.settings, p) for p in parts))

    def close(self) -> None:
        self.client.close()


class OpenSearchView:
    """The documents one search may see: the public alias, or both (see
    `archive.backends.IndexView`). Keys are document ids. The stored fields of
    the hits of a search come with its answer and are kept for `stored`."""

    def __init__(self, backend: OpenSearchBackend, indices: str):
        self.client, self.url, self.indices = backend.client, backend.url, indices
        self._stored: dict[str, dict] = {}

    def _search(self, body: dict) -> dict:
        with speaking_to(self.url):
            return self.client.search(index=self.indices, body=body)

    def _keep(self, answer: dict) -> list[dict]:
        hits = answer["hits"]["hits"]
        for hit in hits:
            if hit.get("_source"):
                self._stored[hit["_id"]] = hit["_source"]
        return hits

    def frequency(self, field: str, text: str) -> int:
        with speaking_to(self.url):
            found = self.client.count(index=self.indices, body={"query": {"term": {field: text}}})
        return int(found["count"])

    def prefix_words(self, field: str, prefix: str, limit: int) -> list[str] | None:
        if field != EXACT:
            raise ValueError(f"prefixes are listed from {EXACT} only, not {field}")
        body = {
            "size": 0,
            "aggs": {
                "words": {
                    "terms": {
                        "field": "exact_terms",
                        "include": re.escape(prefix) + ".*",
                        "size": limit + 1,
                    }
                }
            },
        }
        buckets = self._search(body)["aggregations"]["words"]["buckets"]
        return None if len(buckets) > limit else sorted(b["key"] for b in buckets)

    def search(self, node, searching, filters, selected, sort, limit, facets=True):
        body = queries.search_body(node, searching, filters, selected, sort, limit, facets)
        answer = self._search(body)
        self._keep(answer)
        return queries.read_answer(answer)

    def stored(self, key) -> dict:
        found = self._stored.get(key)
        if found is None:
            self.key_of(key)
            found = self._stored[key]
        return found

    def key_of(self, doc_id: str):
        body = {"size": 1, "query": {"term": {"id": doc_id}}, "_source": ["meta", "hash"]}
        hits = self._keep(self._search(body))
        return doc_id if any(hit["_id"] == doc_id for hit in hits) else None

    def dated_ids(self) -> list[tuple[int, str]]:
        with speaking_to(self.url):
            return [
                (hit["_source"]["date"], hit["_id"])
                for hit in helpers.scan(
                    self.client,
                    index=self.indices,
                    query={"query": {"match_all": {}}, "_source": ["date"]},
                )
            ]

    def document_count(self) -> int:
        with speaking_to(self.url):
            return int(self.client.count(index=self.indices)["count"])

    def closest(self, word: str) -> str | None:
        body = {
            "size": 0,
            "suggest": {
                "word": {
                    "text": word,
                    "term": {"field": EXACT, "suggest_mode": "missing", "size": 1},
                }
            },
        }
        for entry in self._search(body).get("suggest", {}).get("word", []):
            for option in entry.get("options", []):
                return option["text"]
        return None

    def first_holding(self, field: str, text: str) -> dict | None:
        body = {"size": 1, "query": {"term": {field: text}}, "_source": ["meta", "hash"]}
        hits = self._keep(self._search(body))
        return hits[0]["_source"] if hits else None

    def similar(self, document: Document, limit: int) -> dict[str, float]:
        """Documents sharing the most distinctive analysed words (`more_like_this`
        on the archive's own terms), scored 0..1."""
        words = source(document, "")["body"]
        if not words:
            return {}
        body = {
            "size": limit,
            "_source": ["meta", "hash"],
            "query": {
                "bool": {
                    "must": [
                        {
                            "more_like_this": {
                                "fields": ["title", "body"],
                                "like": words,
                                "min_term_freq": 1,
                                "min_doc_freq": 1,
                                "max_query_terms": 25,
                            }
                        }
                    ],
                    "must_not": [{"term": {"id": document.id}}],
                }
            },
        }
        hits = self._keep(self._search(body))
        best = max((float(h["_score"]) for h in hits), default=0.0) or 1.0
        return {h["_id"]: float(h["_score"]) / best for h in hits}
