"""Arbitrary input never crashes: property-based tests (hypothesis)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.analysis import EXACT, terms_of
from archive.backends.whoosh.analyzer import ArchiveAnalyzer, LanguageText
from archive.corpus import parse_date, parse_document
from archive.extract import Extracted, ExtractionError, extract_text, find_dates, propose
from archive.query import Phrase, Prefix, Word, parse
from archive.registry import Registry

from .conftest import PROJECT

#: Every code point, lone surrogates, bidi marks and combining marks included.
ANY_CHAR = st.characters(codec=None, categories=None)
NASTY = st.sampled_from(
    [
        "\u200f",
        "\u202e",
        "\u0651",
        "\u0640",
        "\x00",
        "\ud800",
        "ﷺ",
        '"',
        "(",
        ")",
        "*",
        ":",
        "~",
        "-",
        "OR",
        "NOT",
        "NEAR/p",
        "[",
        "]",
        "أو",
        "ليس",
    ]
)
TEXT = st.lists(
    st.one_of(ANY_CHAR, NASTY, st.sampled_from(["Egypt", "مصر", "country:", "date:"])), max_size=80
).map("".join)
# CI tries 150 examples per property; the long run sets HYPOTHESIS_EXAMPLES (docs/reliability.md).
QUICK = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def registry():
    return Registry.load(PROJECT / "corpus")


@QUICK
@given(TEXT)
def test_the_parser_keeps_only_what_was_typed(text):
    """Every word, phrase and prefix of the tree is made of the query's own
    characters, in their order (operators' marks may be dropped, nothing added)."""
    parsed = parse(text)
    for leaf in _leaves(parsed.tree):
        if isinstance(leaf, Word | Phrase | Prefix):
            rest = iter(parsed.text)
            assert all(char in rest for char in leaf.text), (leaf, parsed.text)
    assert all(isinstance(m.template, str) for m in parsed.messages)


def _leaves(node):
    if node is None:
        return
    children = getattr(node, "nodes", None)
    if children is not None:
        for child in children:
            yield from _leaves(child)
    elif hasattr(node, "node"):
        yield from _leaves(node.node)
    elif hasattr(node, "left"):
        yield from _leaves(node.left)
        yield from _leaves(node.right)
    else:
        yield node


@QUICK
@given(text=TEXT)
def test_searching_anything_gives_a_consistent_page(service, text):
    result = service.search(text, page_size=3)
    assert len(result.hits) == min(result.total, 3)
    assert len({hit.id for hit in result.hits}) == len(result.hits)
    assert result.to_json()["total"] == result.total


@QUICK
@given(TEXT, st.sampled_from(["en", "fr", "ar"]))
def test_analysis_never_fails_and_leaves_no_marks(text, language):
    for token in ArchiveAnalyzer("stemmed")(LanguageText(text, language), chars=True):
        assert token.text and "\u0640" not in token.text and "\u0651" not in token.text
        token.text.encode("utf-8")  # a term Whoosh can store
    for token in ArchiveAnalyzer(EXACT)(text, positions=True):
        assert token.pos >= 0
    for word in text.split():
        terms_of(word, EXACT)


@QUICK
@given(TEXT)
def test_every_date_found_is_a_date_written_in_the_text(text):
    for found in find_dates(text):
        assert parse_date(found.value)[0] is not None, found
        assert found.original in text


@QUICK
@given(TEXT)
def test_proposing_metadata_never_fails(registry, text):
    proposal = propose(Extracted(text=text, format="txt"), "file.txt", registry)
    assert proposal.document.language in ("ar", "en", "fr")


@QUICK
@given(st.binary(max_size=400), st.sampled_from(["a.txt", "a.md", "a.html", "a.pdf", "a.docx"]))
def test_extraction_of_any_bytes_gives_text_or_a_clear_error(data, name):
    try:
        extracted = extract_text(data, name)
    except ExtractionError as error:
        assert error.message.startswith(name)
    else:
        assert "\x00" not in extracted.text


@QUICK
@given(TEXT)
def test_reading_any_corpus_file_never_fails(text):
    for candidate in (text, f"---\n{text}\n---\nbody", f"---\nid: x\ntitle: {text}\n---\n{text}"):
        document, problems = parse_document(candidate, "x.md")
        assert document is not None or problems
