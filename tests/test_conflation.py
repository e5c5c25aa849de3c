"""The conflation table: word pairs that must find each other, and pairs that must not.

`tests/data/conflation.yaml` is the specification (written from the
languages, not from the analyser): with ``match: true`` a search for `a`
finds a document in that language containing `b`, and the other way round;
with ``match: false`` a search for `a` does not find it. A row marked ``gap`` is a
known shortfall, with its reason: it must still fail, so that the mark goes
when the analyser improves.
"""

from __future__ import annotations

import pytest
import yaml

from archive.analysis import WORD, query_terms, terms_of

from .conftest import PROJECT

TABLE = yaml.safe_load((PROJECT / "tests" / "data" / "conflation.yaml").read_text("utf-8"))
CHAINS = {"arabic": "ar", "french": "fr", "english": "en"}
ROWS = [(language, row) for language, rows in TABLE.items() for row in rows]


def finds(query: str, document_word: str, chain: str) -> bool:
    """Whether a search for `query` finds a document of `chain`'s language holding the word."""
    wanted = {t for token in WORD.findall(query) for t in query_terms(token)}
    indexed = {t for token in WORD.findall(document_word) for t in terms_of(token, chain)}
    return bool(wanted & indexed)


def meets(row: dict, chain: str) -> bool:
    a, b = str(row["a"]), str(row["b"])
    if row["match"]:
        return finds(a, b, chain) and finds(b, a, chain)
    return not finds(a, b, chain)


def test_the_table_covers_every_class_the_issue_names():
    arabic = [row for language, row in ROWS if language == "arabic"]
    latin = [row for language, row in ROWS if language != "arabic"]
    assert len(arabic) >= 150 and len(latin) >= 50
    classes = {row["class"] for row in arabic}
    assert {
        "proclitic-prep",
        "suffix-pronoun",
        "accusative",
        "broken-plural",
        "overstem",
    } <= classes


@pytest.mark.parametrize(
    ("language", "row"),
    ROWS,
    ids=[f"{language}-{row['class']}-{row['a']}-{row['b']}" for language, row in ROWS],
)
def test_conflation(language, row):
    met = meets(row, CHAINS[language])
    if "gap" in row:
        assert not met, f"the gap is closed; remove its mark: {row['gap']}"
    else:
        assert met, f"{row['a']} / {row['b']} should {'' if row['match'] else 'not '}meet"


def test_known_gaps_are_few():
    gaps = [row for _, row in ROWS if "gap" in row]
    assert len(gaps) <= len(ROWS) // 20
