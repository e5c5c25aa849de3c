"""Sending documents to the cluster: bulk requests with retries, and rebuilds
behind aliases.

A bulk request goes out in batches. A batch the cluster refuses as a whole
with 429 (too many requests) or a 5xx, or that does not get through, is sent
again after a pause that doubles each time; within a batch the cluster
answered, the documents refused with 429 or a 5xx are sent again the same
way, and any other refusal is reported as a problem of that file. Writing a
document is idempotent: its id is the index's id, and the content hash goes
with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from opensearchpy import OpenSearch
from opensearchpy import exceptions as cluster

from ...errors import IndexUnavailable, Problem
from ...i18n import N_
from .connection import shown_url, speaking_to

#: Documents per bulk request.
BATCH = 500
#: Times a batch (or its refused documents) is sent again, and the first pause.
RETRIES, FIRST_PAUSE = 5, 1.0


#: Statuses worth sending again: the cluster is busy (429) or unwell (5xx), not
#: the document wrong.
def retryable(status) -> bool:
    return isinstance(status, int) and (status == 429 or status >= 500)


@dataclass(frozen=True)
class Action:
    """One document to write (`source`) to `index`, or to delete from it (`source` None)."""

    index: str
    doc_id: str
    source: dict | None
    path: str  # the corpus file, for problems


class Bulk:
    """Sends `Action`s to one cluster in batches (see the module's docstring)."""

    def __init__(
        self,
        client: OpenSearch,
        url: str,
        batch: int | None = None,
        retries: int | None = None,
        pause: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client, self.url, self.sleep = client, url, sleep
        self.batch = batch or BATCH
        self.retries = RETRIES if retries is None else retries
        self.pause = FIRST_PAUSE if pause is None else pause

    def send(self, actions: Iterable[Action]) -> list[Problem]:
        """Write every action; the problems of documents the cluster refused."""
        problems: list[Problem] = []
        pending: list[Action] = []
        for action in actions:
            pending.append(action)
            if len(pending) >= self.batch:
                problems += self._batch(pending)
                pending = []
        if pending:
            problems += self._batch(pending)
        return problems

    def _batch(self, actions: list[Action]) -> list[Problem]:
        problems: list[Problem] = []
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                answer = self._request(actions)
            except cluster.TransportError as exc:  # connection failures included
                unreachable = isinstance(exc, cluster.ConnectionError)
                if last or not (unreachable or retryable(exc.status_code)):
                    with speaking_to(self.url):
                        raise
                self.sleep(self.pause * 2**attempt)
                continue
            again = []
            for action, item in zip(actions, answer.get("items", ()), strict=False):
                result = next(iter(item.values()))
                status = int(result.get("status", 500))
                if retryable(status):
                    again.append(action)
                elif status >= 300 and not (action.source is None and status == 404):
                    reason = (result.get("error") or {}).get("reason") or f"status {status}"
                    problems.append(Problem(action.path, "index", str(reason)[:200]))
            if not again:
                return problems
            if last:
                raise IndexUnavailable(
                    N_("the OpenSearch cluster at {url} kept refusing {n} documents as too busy"),
                    url=shown_url(self.url),
                    n=len(again),
                )
            actions = again
            self.sleep(self.pause * 2**attempt)
        return problems

    def _request(self, actions: list[Action]) -> dict:
        body: list[dict] = []
        for action in actions:
            if action.source is None:
                body.append({"delete": {"_index": action.index, "_id": action.doc_id}})
            else:
                body.append({"index": {"_index": action.index, "_id": action.doc_id}})
                body.append(action.source)
        return self.client.bulk(body=body)
