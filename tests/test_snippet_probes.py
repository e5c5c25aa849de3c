"""Snippets read only the paragraphs that may hold the query's terms: a paragraph
whose text shows none of the terms' probes is passed over unanalysed. These
tests prove the probes never pass over a paragraph that holds a term or a
name, so the snippet a reader sees is the one full analysis would choose."""

from __future__ import annotations

import pytest

from archive import yamlio
from archive.analysis import WORD, positional_terms, terms_of
from archive.registry import KINDS
from archive.snippets import MatchTerms, Paragraph, make_snippet

from .conftest import PROJECT

#: Words whose stems are not plain parts of them: broken plurals, ة before a
#: pronoun, irregular English forms, Snowball's rewritten endings, accents.
HARD_WORDS = (
    "سجون محاكم وسجونهم ثورتها جامعتين مدرستنا حكومتها منظمتان دولتان قضيته صحفيًا "
    "للاجئين للبنان والإمارات "
    "بالسعودية مسؤولين مسؤولية رئيسها women people dying children possibilities "
    "journaux heureuse couramment évidemment criticised organisations arbitrarily "
    "Procès sécurité l'État qu'ils defense"
)


def corpus_words(service) -> set[str]:
    words = set(HARD_WORDS.split())
    for doc_id, _ in service.public_documents():
        document = service.document(doc_id)
        words.update(WORD.findall(document.title + "\n" + document.body))
    return words


def test_every_term_of_every_word_is_shown_by_its_probes(bundled):
    """The property the snippets rely on, for each word of the bundled corpus
    and each term it gives in every chain, alone and inside a sentence."""
    missed = []
    for word in sorted(corpus_words(bundled)):
        terms = MatchTerms()
        for chain in ("en", "fr", "ar"):
            terms.stemmed.update(terms_of(word, chain))
        terms.exact.update(terms_of(word, "exact"))
        terms.sequences.update((form,) for form in positional_terms(word))
        for single in _one_by_one(terms):
            for text in (word, f"« {word} », ({word}) x {word}y"):
                if not Paragraph(text).holds(single.probes()):
                    missed.append((word, single))
    assert not missed, missed[:10]


def _one_by_one(terms: MatchTerms):
    for term in terms.stemmed:
        yield MatchTerms(stemmed={term})
    for term in terms.exact:
        yield MatchTerms(exact={term})
    for sequence in terms.sequences:
        yield MatchTerms(sequences={sequence})


def test_every_name_the_registry_finds_is_shown_by_its_probes(bundled):
    """Each name of each entity, in running text with clitics and capitals as
    documents write them, and the spellings found by sound or loosely."""
    names = bundled.registry.names
    variants = ["Ahmad Mansour", "Yahya al-Asiri", "Hisham al-Mansouri", "جوجل", "غوغل", "أمنستي"]
    texts = list(variants)
    for kind in KINDS:
        for entity in bundled.registry.by_kind(kind).values():
            for name in entity.all_names:
                texts += [f"Said {name} today.", f"قال {name} اليوم", f"وقالت و{name} إن"]
    checked = 0
    for text in texts:
        paragraph = Paragraph(text, "ar", names)
        for _, _, keys in paragraph.names:
            for key in keys:
                checked += 1
                probe = Paragraph(text, "ar", names)
                assert probe.holds(MatchTerms(entities={key}).probes(names)), (text, key)
    assert checked > 500


def test_a_paragraph_without_the_query_words_is_never_analysed(bundled):
    bundled._documents.clear()  # documents other tests showed are analysed
    result = bundled.search("Pegasus", page_size=5)
    hit = result.hits[0]
    document, paragraphs = bundled._cached(*_path_and_hash(bundled, hit.id))
    chosen = hit.snippet.paragraph - 1
    assert paragraphs[chosen]._terms is not None
    named = {"pegasus", "بيغاسوس"}
    skipped = [p for p in paragraphs if not named & set(WORD.findall(p.text.casefold()))]
    assert skipped and all(p._terms is None for p in skipped)


def _path_and_hash(service, doc_id: str) -> tuple[str, str]:
    view = service.backend.view()
    stored = view.stored(view.key_of(doc_id))
    return stored["meta"]["path"], stored["hash"]


def _queries() -> list[str]:
    found = []
    for name in ("queries.yaml", "blind.yaml"):
        found += [item["query"] for item in yamlio.load((PROJECT / "eval" / name).read_text())]
    return found


@pytest.mark.parametrize("query", _queries())
def test_snippets_are_those_full_analysis_chooses(bundled, query, monkeypatch):
    """Every judged query: each hit's snippet, passage and highlights alike,
    with paragraphs passed over by their probes and with every one analysed."""
    bundled._documents.clear()
    quick = [hit.snippet for hit in bundled.search(query, page_size=20).hits]
    bundled._documents.clear()
    monkeypatch.setattr(Paragraph, "holds", lambda self, probes: True)
    full = [hit.snippet for hit in bundled.search(query, page_size=20).hits]
    assert quick == full


def test_make_snippet_alone_reads_the_names_of_its_document(bundled):
    document = bundled.document("hatice-cengiz-case-en")
    terms = MatchTerms(entities={"person:jamal-khashoggi"})
    snippet = make_snippet(document, terms, names=bundled.registry.names)
    assert snippet.highlights and "Khashoggi" in snippet.text
