"""A deterministic synthetic corpus for benchmarks: N documents in a real archive home.

    python -m benchmarks.generate --n 10000 --seed 1 --out /tmp/bench-10k

About 40% Arabic (with diacritics, tatweel, hamza and prefix variants so that
normalisation matters), 45% English and 15% French; words drawn with their
real frequencies (Zipf-like, from the `wordfreq` package, `bench` extra);
300–1,500 words in paragraphs; dates 2010–2026; 1–3 countries and 1–8
organisations from the bundled registry plus generated ones; 3% restricted.
The result is a real ``corpus/`` (with its registry) that `archive index` reads.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from archive import yamlio
from archive.corpus import Corpus
from archive.document import Document

ROOT = Path(__file__).resolve().parents[1]
VOCABULARY = 20_000
LANGUAGE_SHARES = (("ar", 0.40), ("en", 0.45), ("fr", 0.15))
COUNTRIES = (
    "EG",
    "MA",
    "AE",
    "SA",
    "BH",
    "QA",
    "DZ",
    "TN",
    "LB",
    "SY",
    "IQ",
    "JO",
    "YE",
    "OM",
    "KW",
    "LY",
    "SD",
    "PS",
    "TR",
    "IL",
    "IR",
    "FR",
    "GB",
    "US",
    "DE",
)
GENERATED_ORGANISATIONS = 2_000
RESTRICTED_SHARE = 0.03
HARAKAT = "\u064e\u064f\u0650\u0651\u0652\u064b"
#: Per-word chances of each Arabic spelling variant.
ARABIC_VARIANTS = {"diacritics": 0.06, "tatweel": 0.02, "hamza": 0.05, "prefix": 0.10}
ARABIC_PREFIXES = ("و", "ال", "وال", "بال", "لل")


@dataclass
class Vocabulary:
    words: list[str]
    cumulative: list[float]

    @classmethod
    def load(cls, language: str) -> Vocabulary:
        """Real word frequencies from the `wordfreq` package (the `bench` extra)."""
        import wordfreq

        words = [w for w in wordfreq.top_n_list(language, VOCABULARY) if w.isalpha()]
        weights = [wordfreq.word_frequency(w, language) for w in words]
        return cls(words, list(itertools.accumulate(weights)))

    @classmethod
    def from_corpus(cls, language: str) -> Vocabulary:
        """Word frequencies of the bundled corpus: small, but needs no extra package."""
        counts: dict[str, int] = {}
        for document in Corpus(ROOT).documents():
            if document.language == language:
                for word in document.body.split():
                    word = word.strip(".,;:()«»\"'“”")
                    if word.isalpha():
                        counts[word] = counts.get(word, 0) + 1
        words = sorted(counts, key=lambda w: -counts[w])
        return cls(words, list(itertools.accumulate(counts[w] for w in words)))

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=k)


def arabic_variant(word: str, rng: random.Random) -> str:
    """The same word as writers vary it: harakat, tatweel, hamza on alef, a prefix."""
    if rng.random() < ARABIC_VARIANTS["prefix"] and not word.startswith("ال"):
        word = rng.choice(ARABIC_PREFIXES) + word
    if rng.random() < ARABIC_VARIANTS["hamza"] and word.startswith("ا"):
        word = rng.choice("أإآ") + word[1:]
    if rng.random() < ARABIC_VARIANTS["diacritics"]:
        word = "".join(c + (rng.choice(HARAKAT) if rng.random() < 0.5 else "") for c in word)
    if rng.random() < ARABIC_VARIANTS["tatweel"] and len(word) > 2:
        middle = len(word) // 2
        word = word[:middle] + "\u0640" * rng.randint(1, 3) + word[middle:]
    return word


def generated_organisations(rng: random.Random) -> list[dict]:
    kinds = [
        ("Centre for {} Rights", "مركز {} للحقوق", "Centre pour les droits {}"),
        ("{} Observatory", "مرصد {}", "Observatoire {}"),
        ("{} Defenders Network", "شبكة المدافعين {}", "Réseau des défenseurs {}"),
    ]
    found = []
    for number in range(1, GENERATED_ORGANISATIONS + 1):
        en, ar, fr = kinds[number % len(kinds)]
        tag = f"{number:04d}"
        found.append(
            {
                "id": f"generated-org-{tag}",
                "name": {
                    "en": en.format(f"Civic {tag}"),
                    "ar": ar.format(tag),
                    "fr": fr.format(f"civiques {tag}"),
                },
                "acronyms": [f"GO{tag}"],
                "country": rng.choice(COUNTRIES),
                "kind": "ngo",
            }
        )
    return found


def write_registry(home: Path, rng: random.Random) -> tuple[list[str], list[str]]:
    """Bundled registry plus generated organisations; returns (organisation ids, people ids)."""
    source = ROOT / "corpus" / "registry"
    target = home / "corpus" / "registry"
    target.mkdir(parents=True)
    for name in ("people.yaml", "countries.yaml"):
        shutil.copy(source / name, target / name)
    bundled = yamlio.load((source / "organisations.yaml").read_text(encoding="utf-8"))
    organisations = bundled + generated_organisations(rng)
    (target / "organisations.yaml").write_text(yamlio.dump(organisations), encoding="utf-8")
    people = yamlio.load((source / "people.yaml").read_text(encoding="utf-8"))
    return [o["id"] for o in organisations], [p["id"] for p in people]


def generate(home: Path, n: int, seed: int = 1, words: str = "wordfreq") -> None:
    """Write `n` documents into `home`/corpus; `words` is "wordfreq" or "bundled"."""
    rng = random.Random(seed)
    if (home / "corpus").exists():
        shutil.rmtree(home / "corpus")
    organisations, people = write_registry(home, rng)
    corpus = Corpus(home)
    registry = corpus.registry
    load = Vocabulary.load if words == "wordfreq" else Vocabulary.from_corpus
    vocabularies = {lang: load(lang) for lang, _ in LANGUAGE_SHARES}
    languages = [lang for lang, _ in LANGUAGE_SHARES]
    shares = list(itertools.accumulate(share for _, share in LANGUAGE_SHARES))
    for number in range(n):
        language = languages[bisect.bisect(shares, rng.random() * shares[-1])]
        document = make_document(
            number, language, vocabularies[language], rng, registry, organisations, people
        )
        corpus.write(document)


def make_document(number, language, vocabulary, rng, registry, organisations, people) -> Document:
    countries = tuple(rng.sample(COUNTRIES, rng.randint(1, 3)))
    orgs = tuple(
        rng.sample(organisations[:60], rng.randint(0, 2))
        + rng.sample(organisations[60:], rng.randint(1, 6))
    )[:8]
    words = vocabulary.sample(rng, rng.randint(300, 1500))
    if language == "ar":
        words = [arabic_variant(w, rng) for w in words]
    # Name the entities in the text now and then, as real documents do.
    for code in countries:
        words.insert(rng.randrange(len(words)), registry.countries[code].label(language))
    for org in orgs[:2]:
        words.insert(rng.randrange(len(words)), registry.organisations[org].label(language))
    paragraphs, start = [], 0
    while start < len(words):
        size = rng.randint(40, 120)
        paragraphs.append(" ".join(words[start : start + size]) + ".")
        start += size
    title = " ".join(vocabulary.sample(rng, rng.randint(6, 12))).capitalize()
    kind = rng.choices(("letter", "statement", "case"), weights=(4, 4, 2))[0]
    case = {}
    if kind == "case":
        subject = rng.choice(people)
        case = {
            "subject": subject,
            "status": rng.choice(("detained", "sentenced", "exile")),
            "people": (subject,),
        }
    year = rng.randint(2010, 2026)
    date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return Document(
        id=f"bench-{number:06d}",
        title=title,
        type=kind,
        language=language,
        date=date,
        body="\n\n".join(paragraphs),
        countries=countries,
        organisations=orgs,
        access="restricted" if rng.random() < RESTRICTED_SHARE else "public",
        **case,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="Archive home to create.")
    parser.add_argument(
        "--words",
        choices=("wordfreq", "bundled"),
        default="wordfreq",
        help="Word frequencies: the wordfreq package, or the bundled corpus.",
    )
    args = parser.parse_args()
    generate(args.out, args.n, args.seed, args.words)
    print(f"{args.n} documents in {args.out / 'corpus'}")


if __name__ == "__main__":
    main()
