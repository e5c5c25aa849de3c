"""Settings: one table with each setting's name, default and help.

Settings are read, in order of precedence, from the test config or instance
config given to the app, then from environment variables of the same name
prefixed with ``ARCHIVE_``, then from the defaults below.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: The orders a search can be sorted in (the search service's, and the choices
#: the command line offers without importing it).
SORTS = ("relevance", "date", "date-asc")


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


SETTINGS = (
    Setting("HOME", ".", "Folder holding corpus/ and index/ (env ARCHIVE_HOME, CLI --home)."),
    Setting(
        "LANGUAGES",
        ("ar", "en", "fr"),
        "Interface languages, in the order offered; English is the fallback if listed, "
        "else the first.",
    ),
    Setting("PAGE_SIZE", 10, "Results per page."),
    Setting("MAX_PAGE_SIZE", 100, "Largest page size a client may ask for."),
    Setting("WRITE_TIMEOUT", 10.0, "Seconds a writer waits for the index lock before giving up."),
    Setting("EXPORT_LIMIT", 1000, "Most documents a CSV or JSON export of a search contains."),
    Setting(
        "EXPENSIVE_PER_CLIENT",
        2,
        "Exports and distant pages of results one client address may have running at once.",
    ),
    Setting("FEED_SIZE", 20, "Entries in an Atom feed."),
    Setting("HIJRI_DATES", True, "Show the Hijri date beside the Gregorian one on document pages."),
    Setting(
        "SECRET_KEY", None, "Signs session cookies; generated into instance/secret_key if unset."
    ),
    Setting("UPLOAD_MAX_BYTES", 20 * 1024 * 1024, "Largest file an archivist may upload."),
    Setting(
        "EXTRACT_SECONDS",
        60.0,
        "Seconds the reading of one added file may take before it is refused.",
    ),
    Setting(
        "EXTRACT_MEMORY_MB",
        1024,
        "Megabytes of memory (address space) the reading of one added file may use.",
    ),
    Setting("SESSION_HOURS", 12, "Hours an archivist stays signed in, counted from signing in."),
    Setting(
        "SEARCH_BACKEND",
        "whoosh",
        "The search engine: whoosh (embedded, in index/) or opensearch (a cluster).",
    ),
    Setting("OPENSEARCH_URL", None, "The OpenSearch cluster's address (https://host:9200)."),
    Setting("OPENSEARCH_USER", None, "User name for the cluster (from the environment)."),
    Setting("OPENSEARCH_PASSWORD", None, "Its password (from the environment)."),
    Setting("OPENSEARCH_INDEX", "archive", "Prefix of this archive's indices and aliases."),
    Setting("OPENSEARCH_SHARDS", 1, "Primary shards of each index a rebuild creates."),
    Setting("OPENSEARCH_REPLICAS", 1, "Replicas of each shard."),
    Setting("OPENSEARCH_TIMEOUT", 10.0, "Seconds to wait for the cluster's answer."),
    Setting(
        "BASE_URL",
        None,
        "The archive's public address (https://host), used in absolute URLs instead of "
        "the request's Host header.",
    ),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}


def home_from_env(home: str | os.PathLike | None = None) -> Path:
    """The archive home: an explicit value, else ARCHIVE_HOME, else the current folder."""
    value = home or os.environ.get("ARCHIVE_HOME") or DEFAULTS["HOME"]
    return Path(value).resolve()


def current(overrides: Mapping | None = None) -> dict:
    """Every setting: the defaults, then ``ARCHIVE_*`` environment variables,
    then `overrides` (an app's config)."""
    return {**DEFAULTS, **from_environment(), **(overrides or {})}


def from_environment(environ: dict | None = None) -> dict:
    """Settings given as ``ARCHIVE_<NAME>`` environment variables, typed like their defaults."""
    environ = os.environ if environ is None else environ
    found: dict = {}
    for setting in SETTINGS:
        raw = environ.get(f"ARCHIVE_{setting.name}")
        if raw is None:
            continue
        default = setting.default
        if isinstance(default, bool):
            value: object = raw.strip().lower() in ("1", "true", "yes", "on")
        elif isinstance(default, int):
            value = int(raw)
        elif isinstance(default, float):
            value = float(raw)
        elif isinstance(default, tuple):
            value = tuple(v.strip() for v in raw.split(",") if v.strip())
        else:
            value = raw
        found[setting.name] = value
    return found
