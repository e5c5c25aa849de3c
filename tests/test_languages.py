"""Adding a document language is adding one module to `archive.languages`.

The test copies the package, adds Spanish as one file, and checks in a fresh
process that Spanish documents are accepted, stemmed and stop-listed as
Spanish, that its query words work, that extraction recognises its text and
its month names, and that the registry still asks names only in the
interface's languages.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from archive.analysis import STOPWORDS, terms_of
from archive.document import LANGUAGES
from archive.languages import LANGUAGE_TABLE, LATIN
from archive.query import NOT_WORDS, OR_WORDS

from .conftest import run_with_changed_package

SPANISH = """
from . import Language

LANGUAGE = Language(
    code="es",
    script="latin",
    stopwords="el la los las de del y en que un una por con para se al lo",
    snowball="spanish",
    or_words="O",
    not_words="SALVO",
    month_locales=("es",),
    common_words="el la los las de del y en que un una por con para se al lo su sus como pero",
)
"""

CHECKS = '''
import json, shutil, sys
from pathlib import Path
from archive.backends.whoosh.indexing import Index
from archive.corpus import Corpus
from archive.extract import extract_text, find_dates, propose
from archive.search import Filters, SearchService

home = Path(sys.argv[1])
(home / "corpus/statement/2021").mkdir(parents=True, exist_ok=True)
(home / "corpus/statement/2021/derechos-es.md").write_text("""---
id: derechos-es
title: Defensores de derechos detenidos
type: statement
language: es
date: 2021-03-05
countries: [EG]
---
Los defensores de los derechos humanos fueron detenidos en Egipto.
""", encoding="utf-8")
report = Index(home).rebuild(Corpus(home))
text = "Los periodistas fueron detenidos el 5 marzo 2021 por su trabajo en la prensa."
with SearchService(home) as service:
    found = {
        "problems": [str(p) for p in report.problems],
        "stem": [h.id for h in service.search("derecho").hits],
        "stopword": service.search("los").total,
        "or": [h.id for h in service.search("detenidos O zzzz").hits],
        "not": [h.id for h in service.search("detenidos SALVO defensores").hits],
        "filter": [h.id for h in service.search("", Filters(languages=("es",))).hits],
        "country": "derechos-es" in {h.id for h in service.search("Egipto").hits},
        "language": propose(extract_text(text.encode(), "nota.txt"), "nota.txt",
                            service.registry).document.language,
        "dates": [d.value for d in find_dates(text)],
    }
print(json.dumps(found))
'''


def test_the_three_languages_come_from_their_modules():
    assert LANGUAGES == tuple(LANGUAGE_TABLE) == ("ar", "en", "fr")
    assert LATIN == ("en", "fr")
    assert {"the", "les", "qu"} <= STOPWORDS
    assert {"OR", "OU", "أو"} <= OR_WORDS and {"NOT", "SAUF", "ليس"} <= NOT_WORDS
    assert terms_of("journaux", "fr") != terms_of("journaux", "en")


def test_a_language_is_one_more_module(tmp_path: Path):
    def add_spanish(package):
        spanish = textwrap.dedent(SPANISH)
        (package / "languages" / "es.py").write_text(spanish, encoding="utf-8")

    found = run_with_changed_package(tmp_path, add_spanish, CHECKS)
    assert found["problems"] == []
    assert found["stem"] == ["derechos-es"]  # derecho and derechos share a Spanish stem
    assert found["stopword"] == 0  # los is a Spanish stopword
    assert found["or"] == ["derechos-es"]
    assert found["not"] == []
    assert found["filter"] == ["derechos-es"]
    assert found["country"]  # Egipto: Babel's Spanish name of Egypt
    assert found["language"] == "es"
    assert "2021-03-05" in found["dates"]
