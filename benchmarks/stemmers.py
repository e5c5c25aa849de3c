"""The conflation table's Arabic pairs, met by the archive's stemmer and by others.

    python -m benchmarks.stemmers

Each stemmer but Snowball (which normalises on its own) sees the archive's
normalised words, so that only stemming differs, and a pair is met when both
words give the same stem (``match: true``) or different ones
(``match: false``). Compared: the archive's analysis; the same
with its choices off (Larkey's light10, as Lucene has it); the Snowball Arabic
stemmer (PyStemmer, a dependency already); and Tashaphyne's light stemmer
when it is installed (``pip install tashaphyne``; not a dependency).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import Stemmer
import yaml

from archive import analysis

TABLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "conflation.yaml"


def archive_stems(word: str) -> set[str]:
    return {t for token in analysis.WORD.findall(word) for t in analysis.terms_of(token, "ar")}


def normalised(word: str) -> list[str]:
    return [t for token in analysis.WORD.findall(word) for t in analysis.terms_of(token, "exact")]


def stemmers() -> dict:
    snowball = Stemmer.Stemmer("arabic")
    found = {
        "archive": archive_stems,
        # Snowball normalises on its own: it is given the words as written.
        "snowball (PyStemmer)": lambda w: {
            normalised(snowball.stemWord(t.group()))[0] for t in analysis.word_matches(w)
        },
    }
    try:
        from tashaphyne.stemming import ArabicLightStemmer
    except ImportError:
        pass
    else:
        light = ArabicLightStemmer()
        found["tashaphyne"] = lambda w: {light.light_stem(t) for t in normalised(w)}
    return found


def met(stem, row: dict) -> bool:
    same = bool(stem(str(row["a"])) & stem(str(row["b"])))
    return same == row["match"]


def main() -> None:
    rows = yaml.safe_load(TABLE.read_text(encoding="utf-8"))["arabic"]
    results = {}
    for name, stem in stemmers().items():
        results[name] = [met(stem, row) for row in rows]
    analysis.set_choices_off({"clitics", "suffixes", "proper-nouns"})
    try:
        results["light10 (choices off)"] = [met(archive_stems, row) for row in rows]
    finally:
        analysis.set_choices_off(set())
    classes = sorted({row["class"] for row in rows})
    print(f"{'class':<16} {'pairs':>5} " + " ".join(f"{n[:22]:>22}" for n in results))
    for name in [*classes, None]:
        chosen = [i for i, row in enumerate(rows) if name is None or row["class"] == name]
        counts = Counter()
        for stemmer, outcome in results.items():
            counts[stemmer] = sum(outcome[i] for i in chosen)
        label = name or "all"
        print(f"{label:<16} {len(chosen):>5} " + " ".join(f"{counts[n]:>22}" for n in results))


if __name__ == "__main__":
    main()
