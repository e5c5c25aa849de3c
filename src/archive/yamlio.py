"""YAML reading and writing with the archive's rules.

YAML 1.1 reads ``NO`` (Norway), ``ON`` and ``yes`` as booleans, and
``2021-02-30`` as a date that crashes the loader. The archive's loader only
knows ``true`` and ``false`` as booleans and leaves dates as text, so country
codes stay strings and bad dates are reported by the corpus checks.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


_DROPPED = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")


class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Quotes what YAML 1.1 would misread (``'NO'``), so other tools agree."""


def load(text: str) -> Any:
    # Loader derives from (C)SafeLoader: no arbitrary objects are built.
    return yaml.load(text, Loader=Loader)  # nosec B506


def dump(data: Any) -> str:
    return yaml.dump(
        data, Dumper=Dumper, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100
    )


Error = yaml.YAMLError


def describe(exc: yaml.YAMLError) -> tuple[str, str]:
    """(where, reason) for a YAML error, e.g. ("line 3", "invalid YAML: …")."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}" if mark else "file"
    return where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}"
