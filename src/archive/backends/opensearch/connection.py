"""The client for the cluster, and its failures as one-line errors naming it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit, urlunsplit

from opensearchpy import OpenSearch
from opensearchpy import exceptions as cluster

from ...errors import ArchiveError, IndexUnavailable
from ...i18n import N_


def shown_url(url: str) -> str:
    """The cluster's address as messages show it: without any password in it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def make_client(settings: Mapping) -> OpenSearch:
    """A client for `OPENSEARCH_URL` with the credentials of the environment.

    The client itself never retries: `writing` retries bulk requests with a
    backoff, and a search that fails is reported at once."""
    url = settings.get("OPENSEARCH_URL")
    if not url:
        raise ArchiveError(
            N_("OPENSEARCH_URL: set it to the cluster's address to use SEARCH_BACKEND=opensearch")
        )
    if urlsplit(url).scheme not in ("http", "https"):
        raise ArchiveError(
            N_("OPENSEARCH_URL: must be an http(s) URL, not {url}"), url=shown_url(url)
        )
    user, password = settings.get("OPENSEARCH_USER"), settings.get("OPENSEARCH_PASSWORD")
    return OpenSearch(
        hosts=[url],
        http_auth=(user, password or "") if user else None,
        timeout=float(settings["OPENSEARCH_TIMEOUT"]),
        max_retries=0,
        retry_on_timeout=False,
    )


@contextlib.contextmanager
def speaking_to(url: str) -> Iterator[None]:
    """Turn what the cluster or the network does wrong into an `IndexUnavailable`
    naming the cluster: one line, exit status 2, HTTP 503."""
    where = shown_url(url)
    try:
        yield
    except cluster.ConnectionTimeout:
        raise IndexUnavailable(
            N_("the OpenSearch cluster at {url} did not answer in time"), url=where
        ) from None
    except cluster.ConnectionError as exc:
        raise IndexUnavailable(
            N_("cannot reach the OpenSearch cluster at {url}: {reason}"),
            url=where,
            reason=_reason(exc),
        ) from None
    except cluster.TransportError as exc:
        raise IndexUnavailable(
            N_("the OpenSearch cluster at {url} answered {status}: {reason}"),
            url=where,
            status=exc.status_code,
            reason=_reason(exc),
        ) from None
    except cluster.OpenSearchException as exc:  # a scroll cut short, an unreadable answer
        raise IndexUnavailable(
            N_("the OpenSearch cluster at {url} gave an answer the archive cannot use: {reason}"),
            url=where,
            reason=" ".join(str(exc).split())[:200],
        ) from None


def _reason(exc: Exception) -> str:
    """The cause of a failure in a few words, on one line."""
    info = getattr(exc, "info", None)
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            return str(error.get("reason") or error.get("type") or error)[:200]
        if error:
            return str(error)[:200]
    cause = exc
    while getattr(cause, "__cause__", None) is not None or getattr(cause, "__context__", None):
        cause = cause.__cause__ or cause.__context__
    text = str(getattr(exc, "error", None) or cause or exc)
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    return " ".join(text.split())[:200]
