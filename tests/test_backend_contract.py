"""The contract every search backend keeps, written once against the protocol
of `archive.backends` and run against each backend: the embedded Whoosh
index with its vectorised engine, and with Whoosh's own matchers (the
reference). A backend that passes answers the search service exactly as the
embedded one does: plans, filters and facet counts, sorting, stored fields,
the lexicon, suggestions, similar documents, and restricted isolation.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archive import plan
from archive.analysis import EXACT, phrase_terms, positional_terms, query_terms
from archive.backends import open_backend
from archive.corpus import Corpus
from archive.document import searchable_parts
from archive.search import Filters

from .conftest import DATA, copy_home, write_doc

SECRET = """---
id: closed-hearing
title: Closed hearing of a witness
type: case
language: en
date: 2022-02-02
countries: [EG]
access: restricted
---
The witness named a zyxwvut informant in the closed hearing.
"""

LITERAL = """---
id: defenders-note
title: Note on defenders
type: statement
language: en
date: 2019-05-01
countries: [MA]
---
Human rights defender groups met.

A defender of human rights spoke.
"""

BACKENDS = {"whoosh": False, "whoosh-reference": True, "opensearch": False}
#: A real OpenSearch cluster to run the contract against (none can run on the
#: machines this project's CI uses): see docs/scaling.md for one command.
CLUSTER = os.environ.get("ARCHIVE_OPENSEARCH_URL")


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, tmp_path: Path):
    settings = {"SEARCH_BACKEND": "whoosh"}
    if request.param == "opensearch":
        if not CLUSTER:
            pytest.skip("no OpenSearch cluster: set ARCHIVE_OPENSEARCH_URL to run this against one")
        prefix = f"contract-{os.getpid()}-{tmp_path.name}".lower()
        settings = {"SEARCH_BACKEND": "opensearch", "OPENSEARCH_INDEX": prefix}
    home = copy_home(DATA / "sample", tmp_path / "home")
    write_doc(home, "case/2022/closed-hearing.md", SECRET)
    write_doc(home, "statement/2019/defenders-note.md", LITERAL)
    corpus = Corpus(home)

    def texts(stored: dict) -> list[str]:
        return searchable_parts(corpus.read(corpus.root / stored["meta"]["path"]))

    found = open_backend(home, texts, reference=BACKENDS[request.param], settings=settings)
    found.rebuild(corpus)
    found.corpus = corpus
    yield found
    if request.param == "opensearch":  # leave the cluster as it was
        found.client.indices.delete(index=f"{settings['OPENSEARCH_INDEX']}-*")
    found.close()


def ids(view, node, searching=True, filters=None, sort="relevance", limit=100) -> list[str]:
    filters = filters or Filters()
    _, ranked, _ = view.search(node, searching, filters, filters.selected(), sort, limit, False)
    return [view.stored(key)["meta"]["id"] for key, _ in ranked]


def words(text: str) -> plan.Words:
    return plan.Words(query_terms(text))


def phrase(text: str, slop: int = 0) -> plan.Phrase:
    terms, literal = phrase_terms(text)
    return plan.Phrase(tuple(terms), slop, tuple(literal) if any(literal) else ())


PUBLIC = {
    "egypt-detention-statement-en",
    "spyware-letter-en",
    "spyware-letter-ar",
    "raissouni-case-en",
    "raissouni-case-ar",
    "defenders-note",
}


def test_no_plan_finds_every_visible_document_and_not_searching_finds_none(backend):
    view = backend.view()
    assert set(ids(view, None)) == PUBLIC
    assert ids(view, None, searching=False) == []
    assert view.document_count() == len(PUBLIC)
    assert {doc_id for _, doc_id in view.dated_ids()} == PUBLIC


def test_words_terms_and_tags(backend):
    view = backend.view()
    assert ids(view, words("detain")) == ["egypt-detention-statement-en"]
    assert set(ids(view, plan.Term("lang", "ar"))) == {"spyware-letter-ar", "raissouni-case-ar"}
    assert set(ids(view, plan.Term("type", "case"))) == {"raissouni-case-en", "raissouni-case-ar"}
    assert ids(view, plan.Term(EXACT, "detain")) == ["egypt-detention-statement-en"]
    assert ids(view, plan.TitleWords(query_terms("coalition"))) == ["spyware-letter-en"]
    assert ids(view, plan.Nothing()) == []


def test_an_entity_is_found_by_its_tag_and_by_its_names_in_the_text(backend):
    view = backend.view()
    found = set(ids(view, plan.Entity("country", "EG")))
    assert {"egypt-detention-statement-en", "spyware-letter-en"} <= found
    assert "defenders-note" not in found


def test_phrases_match_analysed_positions_and_literal_words_as_written(backend):
    view = backend.view()
    both = {"egypt-detention-statement-en", "defenders-note"}
    # analysed: "defender" meets "defenders"
    assert set(ids(view, phrase("human rights defenders"))) == both
    assert set(ids(view, phrase("rights defender"))) == both
    assert ids(view, phrase("defenders human")) == []
    assert "defenders-note" in ids(view, phrase("defender human", slop=3))
    # =defender must be that word, in place
    assert ids(view, phrase("rights =defender")) == ["defenders-note"]
    assert ids(view, phrase("rights =defenders")) == ["egypt-detention-statement-en"]


def test_prefix_forms_come_from_the_lexicon(backend):
    view = backend.view()
    found = view.prefix_words(EXACT, "detai", 10)
    assert found and all(w.startswith("detai") for w in found)
    assert view.prefix_words(EXACT, "d", 2) is None  # more words than the limit
    forms = tuple(sorted({f for w in found for f in positional_terms(w)}))
    assert "egypt-detention-statement-en" in ids(view, plan.Forms(forms))


def test_proximity_and_same_paragraph(backend):
    view = backend.view()
    near = plan.Near(phrase("defender"), phrase("spoke"), distance=5)
    assert ids(view, near) == ["defenders-note"]
    apart = plan.Near(phrase("groups"), phrase("spoke"), distance=1, paragraph=True)
    assert ids(view, apart) == []
    together = plan.Near(phrase("groups"), phrase("met"), distance=1, paragraph=True)
    assert ids(view, together) == ["defenders-note"]


def test_boolean_plans(backend):
    view = backend.view()
    egypt, morocco = words("egypt"), words("morocco")
    both = set(ids(view, plan.AllOf((egypt, morocco))))
    either = set(ids(view, plan.AnyOf((egypt, morocco))))
    only_egypt = set(ids(view, plan.Without(egypt, morocco)))
    assert both and both < either
    assert only_egypt == set(ids(view, egypt)) - set(ids(view, morocco))
    assert set(ids(view, plan.Without(None, egypt))) == PUBLIC - set(ids(view, egypt))


def test_dates_filters_and_sorting(backend):
    view = backend.view()
    assert ids(view, plan.DateRange(20200101, 20201231)) == ["egypt-detention-statement-en"]
    newest = ids(view, None, sort="date")
    oldest = ids(view, None, sort="date-asc")
    assert newest[-1] == oldest[0] == "defenders-note"
    assert ids(view, None, filters=Filters(languages=("ar",)), sort="date") == [
        "spyware-letter-ar",
        "raissouni-case-ar",
    ]
    assert ids(view, None, filters=Filters(date_from="2021-07-10")) != []
    assert "defenders-note" not in ids(view, None, filters=Filters(date_from="2020"))
    assert len(ids(view, None, limit=2)) == 2


def test_a_facet_counts_with_the_other_selections_but_not_its_own(backend):
    view = backend.view()
    filters = Filters(languages=("ar",))
    total, _, counts = view.search(None, True, filters, filters.selected(), "relevance", 10, True)
    assert total == 2
    assert counts["language"] == {"en": 4, "ar": 2}  # its own selection does not narrow it
    assert counts["type"] == {"letter": 1, "case": 1}
    assert counts["year"] == {"2021": 2}


def test_stored_fields_and_keys(backend):
    view = backend.view()
    key = view.key_of("spyware-letter-en")
    stored = view.stored(key)
    assert stored["meta"]["id"] == "spyware-letter-en"
    assert stored["meta"]["path"].endswith("spyware-letter-en.md")
    assert stored["hash"]
    assert view.key_of("no-such-document") is None
    assert view.first_holding(EXACT, "pegasus")["meta"]["id"] == "spyware-letter-en"
    assert view.first_holding(EXACT, "zzzz") is None


def test_the_lexicon_and_suggestions(backend):
    view = backend.view()
    assert view.frequency(EXACT, "egypt") >= 2
    assert view.frequency(EXACT, "zzzz") == 0
    assert view.closest("detension") == "detention"
    assert view.closest("zzzzzz") is None


def test_similar_documents(backend):
    view = backend.view()
    document = backend.corpus.read(backend.corpus.root / "case/2021/raissouni-case-en.md")
    scores = view.similar(document, 10)
    assert "raissouni-case-ar" in scores
    assert len(view.similar(document, 1)) == 1


def test_restricted_documents_never_reach_a_public_view(backend):
    public, everything = backend.view(), backend.view(include_restricted=True)
    assert "closed-hearing" not in ids(public, None)
    assert ids(public, words("zyxwvut")) == []
    assert public.frequency(EXACT, "zyxwvut") == 0
    assert public.prefix_words(EXACT, "zyxw", 10) == []
    assert public.closest("zyxwvvt") is None
    assert public.key_of("closed-hearing") is None
    assert public.first_holding(EXACT, "zyxwvut") is None
    assert ids(everything, words("zyxwvut")) == ["closed-hearing"]
    assert everything.closest("zyxwvvt") == "zyxwvut"
    assert [m["id"] for m in backend.restricted()] == ["closed-hearing"]


def test_a_changed_corpus_reaches_the_next_view(backend):
    before = backend.state()
    note = "statement/2019/defenders-note.md"
    path = write_doc(backend.corpus.home, note, LITERAL + "Qwertyx.\n")
    backend.update(backend.corpus)
    assert backend.state() != before
    assert ids(backend.view(), words("qwertyx")) == ["defenders-note"]
    path.unlink()
    backend.remove([note])
    assert ids(backend.view(), words("qwertyx")) == []
    assert backend.exists() and backend.damage() is None
