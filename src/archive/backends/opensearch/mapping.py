"""The cluster's indices: their names, aliases and mapping.

Each part of the archive (public, restricted) is an index of its own, never
one index with a filter: a public search names only the public alias. A
rebuild writes a new generation of both indices and then moves the aliases in
one request, so a reader sees the old generation or the new one, whole.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...analysis import PARAGRAPH_GAP
from ...fields import TAG_FACETS

#: The two parts, each an alias over one index of the live generation.
PARTS = ("public", "restricted")
#: Changes when the mapping or what is sent changes; an index of another
#: version is rebuilt (`archive doctor` reports it).
MAPPING_VERSION = 1
#: The analyzer of every text field: the archive sends terms it has analysed
#: itself, separated by spaces, so the cluster only splits them.
TERMS = "archive_terms"


def alias(settings: Mapping, part: str) -> str:
    """The alias searches and writes use for a part."""
    return f"{settings['OPENSEARCH_INDEX']}-{part}"


def index_name(settings: Mapping, part: str, generation: str) -> str:
    """The concrete index of a part in one generation."""
    return f"{alias(settings, part)}-{generation}"


def index_body(settings: Mapping, registry: str = "") -> dict:
    """The body of the request that creates one index (both parts alike);
    `registry` is the fingerprint of the registry whose names it holds."""
    text = {"type": "text", "analyzer": TERMS}
    keyword = {"type": "keyword"}
    return {
        "settings": {
            "number_of_shards": int(settings["OPENSEARCH_SHARDS"]),
            "number_of_replicas": int(settings["OPENSEARCH_REPLICAS"]),
            "analysis": {"analyzer": {TERMS: {"type": "custom", "tokenizer": "whitespace"}}},
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"archive_mapping": MAPPING_VERSION, "registry": registry},
            "properties": {
                "id": keyword,
                "path": keyword,
                "hash": keyword,
                "access": keyword,
                "date": {"type": "integer"},
                "title": text,
                "body": text,
                "exact": text,
                "mention": text,
                # One array element per paragraph (the title first), a paragraph
                # gap apart: phrases never run across two, and positions within
                # one are the embedded engine's.
                "analysed": {
                    **text,
                    "index_options": "positions",
                    "position_increment_gap": PARAGRAPH_GAP,
                },
                **{facet.field: keyword for facet in TAG_FACETS},
                # The facets read from the date, and the distinct exact words
                # (prefixes and spelling suggestions list them).
                "year": keyword,
                "month": keyword,
                "exact_terms": keyword,
                "meta": {"type": "object", "enabled": False},
            },
        },
    }
