"""A local HTTP server that answers the part of OpenSearch's REST API the
archive's writing uses, in the shapes OpenSearch documents: create and delete
an index, `_bulk`, `_refresh`, `_aliases` and `_alias`, `_mapping`, `_count`,
`_stats/indexing`, `_search` with a scroll, and `/`. It keeps what it is sent
and can be told to fail: answer a status for the next requests, refuse some
documents of a bulk request, or answer late. No package these machines reach
ships an OpenSearch server; this is the archive's tests' stand-in for one,
with the real client speaking real HTTP to it.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}


class Cluster:
    """What the double holds, and the failures it has been told to give."""

    def __init__(self):
        self.indices: dict[str, dict] = {}  # name -> {"body": ..., "docs": {id: source}}
        self.aliases: dict[str, list[str]] = {}  # alias -> its indices
        self.operations: dict[str, int] = {}  # index -> documents written to it, ever
        #: method, path, headers (lower-case names), body
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.fail_next: list[int] = []  # statuses for the next requests, in order
        self.fail_bulk: list[int] = []  # statuses for the next bulk requests, in order
        self.refuse_items: list[int] = []  # statuses for the next bulk items (0: take it)
        self.delay = 0.0
        self.lose_answers: list[str] = []  # paths whose request is carried out, answer lost
        self.scrolls: dict[str, list] = {}
        self.lock = threading.Lock()

    def resolve(self, name: str) -> list[str]:
        found = []
        for part in name.split(","):
            if part in self.indices:
                found.append(part)
            elif part in self.aliases:
                found.extend(self.aliases[part])
        return found

    def live(self, alias: str) -> str:
        """The one index an alias points at."""
        (index,) = self.aliases[alias]
        return index

    def lives(self) -> dict[str, str]:
        """Alias -> its one index, for every alias."""
        return {alias: self.live(alias) for alias in self.aliases}


class _Handler(BaseHTTPRequestHandler):
    cluster: Cluster

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, kind: str, reason: str) -> None:
        self._answer(status, {"error": {"type": kind, "reason": reason}, "status": status})

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        cluster = self.cluster
        with cluster.lock:
            headers = {name.lower(): value for name, value in self.headers.items()}
            cluster.requests.append((method, self.path, headers, body))
            failure = cluster.fail_next.pop(0) if cluster.fail_next else None
            if self.path.startswith("/_bulk") and cluster.fail_bulk and not failure:
                failure = cluster.fail_bulk.pop(0)
        if cluster.delay:
            time.sleep(cluster.delay)
        if failure:
            return self._error(failure, "test_failure", f"told to answer {failure}")
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        with cluster.lock:
            lost = any(self.path.startswith(p) for p in cluster.lose_answers)
            if lost:
                kept = [p for p in cluster.lose_answers if not self.path.startswith(p)]
                cluster.lose_answers = kept
                self._route_quietly(method, parts, query, body)
                return self._error(504, "gateway_timeout", "the answer was lost on the way")
            return self._route(method, parts, query, body)

    def _route_quietly(self, method, parts, query, body) -> None:
        """Carry a request out without answering it."""
        answer, self._answer = self._answer, lambda status, data: None
        try:
            self._route(method, parts, query, body)
        finally:
            self._answer = answer

    def _route(self, method, parts, query, body) -> None:
        cluster = self.cluster
        if not parts:
            return self._answer(
                200, {"version": {"number": "2.19.0", "distribution": "opensearch"}}
            )
        if parts == ["_bulk"]:
            return self._bulk(body)
        if parts == ["_aliases"]:
            for action in json.loads(body)["actions"]:
                ((kind, spec),) = action.items()
                held = cluster.aliases.setdefault(spec["alias"], [])
                if kind == "add" and spec["index"] not in held:
                    held.append(spec["index"])
                elif kind == "remove" and spec["index"] in held:
                    held.remove(spec["index"])
                if not held:
                    del cluster.aliases[spec["alias"]]
            return self._answer(200, {"acknowledged": True})
        if parts[0] == "_alias":
            names = parts[1].split(",")
            found = {}
            for name in names:
                for index in cluster.aliases.get(name, ()):
                    found.setdefault(index, {"aliases": {}})["aliases"][name] = {}
            missing = [name for name in names if name not in cluster.aliases]
            if missing:  # as OpenSearch: 404, with what was found all the same
                return self._answer(
                    404, {**found, "error": f"alias [{','.join(missing)}] missing", "status": 404}
                )
            return self._answer(200, found)
        if parts[:2] == ["_search", "scroll"]:
            if method == "DELETE":
                return self._answer(200, {"succeeded": True})
            scroll = json.loads(body)["scroll_id"]
            hits = cluster.scrolls.pop(scroll, [])
            return self._answer(
                200, {"_scroll_id": scroll, "_shards": SHARDS, "hits": {"hits": hits}}
            )
        name = parts[0]
        if len(parts) == 1 and method == "PUT":
            if name in cluster.indices:
                return self._error(400, "resource_already_exists_exception", name)
            cluster.indices[name] = {"body": json.loads(body), "docs": {}}
            return self._answer(200, {"acknowledged": True, "index": name})
        if len(parts) == 1 and method == "DELETE":
            for index in name.split(","):
                cluster.indices.pop(index, None)
            return self._answer(200, {"acknowledged": True})
        indices = cluster.resolve(name)
        if not indices:
            return self._error(404, "index_not_found_exception", f"no such index [{name}]")
        action = parts[1] if len(parts) > 1 else ""
        if action == "_refresh":
            return self._answer(200, {"_shards": {"total": 1, "successful": 1, "failed": 0}})
        if action == "_mapping":
            return self._answer(
                200, {i: {"mappings": cluster.indices[i]["body"]["mappings"]} for i in indices}
            )
        if action == "_count":
            query = (json.loads(body) if body else {}).get("query")
            docs = [d for i in indices for d in cluster.indices[i]["docs"].values()]
            return self._answer(200, {"count": sum(_holds(d, query) for d in docs)})
        if action == "_stats":
            return self._answer(200, {"indices": {i: self._stats(i) for i in indices}})
        if action == "_search":
            # A term or terms query is matched; any other matches every document:
            # the double checks what is asked of whom, not how the cluster ranks.
            query = (json.loads(body) if body else {}).get("query")
            hits = [
                {"_index": i, "_id": doc_id, "_score": 1.0, "_source": source}
                for i in indices
                for doc_id, source in cluster.indices[i]["docs"].items()
                if _holds(source, query)
            ]
            scroll = f"scroll-{len(cluster.requests)}"
            cluster.scrolls[scroll] = []
            total = {"value": len(hits), "relation": "eq"}
            return self._answer(
                200,
                {"_scroll_id": scroll, "_shards": SHARDS, "hits": {"total": total, "hits": hits}},
            )
        return self._error(400, "unsupported", f"{method} {self.path}")

    def _stats(self, index: str) -> dict:
        total = self.cluster.operations.get(index, 0)
        return {"primaries": {"indexing": {"index_total": total}}}

    def _bulk(self, body: bytes) -> None:
        cluster = self.cluster
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        items, errors, n = [], False, 0
        while n < len(lines):
            ((kind, spec),) = lines[n].items()
            n += 1
            source = None
            if kind == "index":
                source = lines[n]
                n += 1
            refused = cluster.refuse_items.pop(0) if cluster.refuse_items else None
            targets = cluster.resolve(spec["_index"])
            if refused:
                errors = True
                result = {"status": refused, "error": {"type": "refused", "reason": "told to"}}
            elif not targets:
                errors = True
                result = {"status": 404, "error": {"type": "index_not_found_exception"}}
            elif kind == "index":
                cluster.indices[targets[0]]["docs"][spec["_id"]] = source
                cluster.operations[targets[0]] = cluster.operations.get(targets[0], 0) + 1
                result = {"status": 201, "result": "created"}
            else:
                gone = cluster.indices[targets[0]]["docs"].pop(spec["_id"], None)
                result = {"status": 200 if gone else 404, "result": "deleted"}
            items.append({kind: {"_index": spec["_index"], "_id": spec["_id"], **result}})
        return self._answer(200, {"took": 1, "errors": errors, "items": items})

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_HEAD(self):
        self._handle("HEAD")


def _holds(document: dict, query: dict | None) -> bool:
    """Whether a document matches a `term` or `terms` query (fields split as the
    archive's analyzer splits them); any other query matches."""
    if not query or not ({"term", "terms"} & query.keys()):
        return True
    kind = "term" if "term" in query else "terms"
    ((field, wanted),) = query[kind].items()
    wanted = wanted["value"] if isinstance(wanted, dict) else wanted
    wanted = set(wanted) if kind == "terms" else {wanted}
    held = document.get(field, "")
    words = held.split() if isinstance(held, str) else [w for v in held for w in v.split()]
    return bool(wanted & set(words))


def serve() -> tuple[str, Cluster, ThreadingHTTPServer]:
    """Start a double on a free port: (its URL, its state, the server to shut down)."""
    cluster = Cluster()
    handler = type("Handler", (_Handler,), {"cluster": cluster})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", cluster, server
