"""Names of the registry's entities, found in documents and in queries.

`NameIndex` reads a run of words (`read_words`) and finds the entities they
name by any of their names, in any script or spelling: exact and stemmed
keys, acronyms, the sound of a transliterated name, loose spellings of an
Arabic loanword, and (in queries) a fuzzy match on a person's whole name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import wordcounts
from .analysis import (
    EXACT,
    Memo,
    clitic_length,
    is_arabic,
    strip_marks,
    terms_of,
    word_entries,
    word_entry,
    word_matches,
)
from .registry import KINDS, Entity, Registry

# --- Names to entities --------------------------------------------------------

#: Longest entity name, in words, that a query is scanned for.
MAX_NAME_WORDS = 8
#: Zipf frequency (wordfreq) from which a one-word Arabic name of an
#: organisation or product is an ordinary word first (مسار, مواطن).
COMMON_ARABIC_WORD = 4.0
#: How close (RapidFuzz's ratio, 0–100) a query of two words or more must
#: come to a person's whole name, written the way names are compared.
FUZZY_NAME_SCORE = 88

#: A word as names are read: (exact term, stemmed term, the word as written).
NameWord = tuple[str, str, str]


def name_keys(words: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The exact and the stemmed key of a sequence of words.

    Exact keys compare normalised words (hamza, diacritics and case folded);
    stemmed keys also drop stopwords and stem, so that "المصرية" and
    "مصر", or "of"/"for" in an organisation's name, do not matter.
    """
    exact: list[str] = []
    stemmed: list[str] = []
    for word in words:
        for token in word_matches(word):  # "Al-Siddiq" is two words
            exact.extend(terms_of(token.group(), EXACT))
            stemmed.extend(terms_of(token.group(), "en"))
    return tuple(exact), tuple(stemmed)


def read_words(text: str) -> list[tuple[re.Match, NameWord]]:
    """The words of `text` as `NameIndex` reads them, each with its match (for
    its place in the text); words with no exact term (marks alone) are left out."""
    memo, chain = word_entries("en")  # a word's name reading is the same in every chain
    found = []
    for match in word_matches(text):
        named = word_entry(match.group(), memo, chain)[3]
        if named:
            found.append((match, named))
    return found


def name_words(text: str) -> list[NameWord]:
    """The words of `text` as `NameIndex` reads them."""
    return [word for _, word in read_words(text)]


_LATIN_SOUNDS = [
    (re.compile(p), r)
    for p, r in (
        (r"ou|oo|u", "u"),  # Mansour, Mansoor, Mansur
        (r"ee|ie|iy|y|i", "i"),  # Yahya, Yahia
        (r"e", "a"),  # Ahmed, Ahmad
        (r"sch|ch|sh", "s"),  # Hicham, Hisham
        (r"q|ck|c", "k"),  # Tawfiq, Taoufik
        (r"dh|th", "t"),
        (r"w", "u"),
        (r"(.)\1+", r"\1"),  # Assiri, Asiri; Waddah, Wadah
        (r"h$", ""),
    )
]
_ARTICLES = frozenset({"al", "el", "el-", "al-"})
#: Words whose name keys each process remembers: indexing asks for the key
#: of every capitalised or long Arabic word, and words recur by frequency,
#: so a few thousand answer most; more would grow with the vocabulary.
NAME_KEY_CACHE = 8192
#: Words of documents whose part in names a `NameIndex` remembers: a
#: rebuild worker meets most of its vocabulary many times (fewer made the
#: 10,000-document rebuild 15% slower).
WORDS_REMEMBERED = 50_000
_NO_NAME: tuple[int, list] = (0, [])


@lru_cache(maxsize=NAME_KEY_CACHE)
def latin_sound(word: str) -> str:
    """How a transliterated Arabic name sounds, so that its spellings meet:
    Ahmad/Ahmed, Yahya/Yahia, Hisham/Hicham, Mansour/Mansoor, Assiri/Asiri.

    >>> latin_sound("Hicham") == latin_sound("Hisham")
    True
    """
    word = word.casefold()
    for pattern, replacement in _LATIN_SOUNDS:
        word = pattern.sub(replacement, word)
    return word


def latin_sounds(words: list[str]) -> tuple[str, ...]:
    """The sound key of a Latin-script name: the articles al-/el- do not count."""
    return tuple(latin_sound(w) for w in words if w.casefold() not in _ARTICLES)


_ARABIC_LOOSE = str.maketrans({"غ": "ج", "ق": "ج", "ك": "ج", "گ": "ج", "ة": "ه"})


@lru_cache(maxsize=NAME_KEY_CACHE)
def arabic_loose(stem: str) -> str:
    """A loanword written in Arabic letters, as its spellings meet: /g/ as غ, ج
    or ك, long vowels written or not (غوغل, جوجل, كوكل; أمنستي, أمنيستي)."""
    folded = stem.translate(_ARABIC_LOOSE)
    letters = folded[:1] + "".join(c for c in folded[1:] if c not in "اوي")
    return re.sub(r"(.)\1+", r"\1", letters)


#: Letters `probe_text` may show for a letter of a loose key: the letters it
#: folds, hamza carriers without their hamza, and ت for a final ة.
_LOOSE_LETTERS = {"ج": "غقكگج", "ئ": "ئي", "ؤ": "ؤو", "ه": "هةت"}


def loose_pattern(loose: str) -> str:
    """A regular expression found in the `probe_text` of any word whose stem's
    `arabic_loose` form is `loose`: its letters in order, each one or more
    times, with long vowels between them."""
    parts = []
    for letter in loose:
        letters = "[" + re.escape(_LOOSE_LETTERS.get(letter, letter)) + "]"
        parts.append(f"{letters}(?:[اوي]*{letters})*")
    return "[اوي]*".join(parts)


@lru_cache(maxsize=NAME_KEY_CACHE)
def _common_arabic(written: str) -> bool:
    """Whether an Arabic word, with or without its clitics, is a common word."""
    bare = written[clitic_length(written) :]
    return max(wordcounts.zipf(w) for w in (written, bare)) >= COMMON_ARABIC_WORD


def _acronym(name: str) -> bool:
    letters = re.sub(r"[\W_]", "", name)
    return 2 <= len(letters) <= 12 and letters.isupper() and letters.isascii()


def _upper(raw: str) -> bool:
    return re.sub(r"^\w['’]", "", raw).isupper()  # l'ONU


class NameIndex:
    """Finds entities by any of their names, in any script or spelling.

    Keys are looked up in order, and the first that names anything wins, so
    an exact name outranks a near one (منصور is Ahmed Mansoor, المنصوري is
    Hicham Mansouri, though both stem to منصور):

    1. acronyms, matched in capitals only in documents (UN, not French « un »),
       and in queries too when they have two letters;
    2. exact names and aliases (normalised words);
    3. stemmed names (المصرية names Egypt), and a person's surname alone;
    4. the sound of a transliterated person's name (Ahmad Mansour, Yahya
       al-Asiri) and loose spellings of Arabic loanwords (جوجل, غوغل);
    5. in queries only, a fuzzy match of two or more words on a person's
       whole name.

    In documents a one-word Latin name of an organisation, person or product
    must start with a capital, and a one-word Arabic name of an organisation
    or product must not be a common word (مسار, مواطن); in queries such words
    are not taken for names either.
    """

    def __init__(self, registry: Registry):
        self.acronyms: dict[tuple[str, ...], list[Entity]] = {}
        self.exact: dict[tuple[str, ...], list[Entity]] = {}
        self.stemmed: dict[tuple[str, ...], list[Entity]] = {}
        self.sounds: dict[tuple[str, ...], list[Entity]] = {}
        self.loose: dict[str, list[Entity]] = {}
        self.people: list[tuple[str, Entity]] = []  # (sound of a whole name, person)
        for kind in KINDS:
            for entity in registry.by_kind(kind).values():
                self._add_entity(entity)
        # For finding names in running text: the longest key starting with a word.
        self.starts: dict[str, int] = {}
        for table in (self.acronyms, self.exact, self.stemmed):
            for key in table:
                self.starts[key[0]] = max(self.starts.get(key[0], 0), len(key))
        self.sound_starts: dict[str, int] = {}
        for key in self.sounds:
            self.sound_starts[key[0]] = max(self.sound_starts.get(key[0], 0), len(key))
        # The second words of names of several words: a word no such word
        # follows starts no long name there.
        self.seconds = {
            key[1] for t in (self.acronyms, self.exact, self.stemmed) for key in t if len(key) > 1
        }
        self.second_sounds = {key[1] for key in self.sounds if len(key) > 1}
        self._document_words = Memo(WORDS_REMEMBERED)
        self._keys_of = None  # for `name_keys_of`, made when first asked

    def name_keys_of(self, key: str) -> tuple[set, set, bool, set[str]] | None:
        """How `scan` can find the entity `key` ("kind:id"): (its exact keys, its
        stemmed keys, whether by the sound of a name, the `loose_pattern`s of
        its loose Arabic spellings); None for an unknown entity."""
        if self._keys_of is None:
            found: dict[str, tuple[set, set, bool, set[str]]] = {}

            def entry(e: Entity):
                entity = f"{e.kind}:{e.id}"
                if entity not in found:
                    found[entity] = (set(), set(), entity in sounds, set())
                return found[entity]

            sounds = {f"{e.kind}:{e.id}" for named in self.sounds.values() for e in named}
            for table, which in [(self.acronyms, 0), (self.exact, 0), (self.stemmed, 1)]:
                for name, entities in table.items():
                    for e in entities:
                        entry(e)[which].add(name)
            for loose, entities in self.loose.items():
                for e in entities:
                    entry(e)[3].add(loose_pattern(loose))
            self._keys_of = found
        return self._keys_of.get(key)

    def _add_entity(self, entity: Entity) -> None:
        acronyms = {n for n in entity.all_names if n in entity.acronyms or _acronym(n)}
        for name in entity.all_names:
            words = [m.group() for m in word_matches(name)]
            exact, stemmed = name_keys(words)
            if name in acronyms:
                _add(self.acronyms, exact, entity)
                continue
            _add(self.exact, exact, entity)
            if stemmed and (len(stemmed) > 1 or len(stemmed[0]) > 2):
                _add(self.stemmed, stemmed, entity)
            if entity.kind == "person" and len(words) > 1:
                # A surname alone names a person too: خاشقجي, Raissouni.
                if len(words[-1]) >= 4:
                    surname = name_keys(words[-1:])
                    _add(self.exact, surname[0], entity)
                    _add(self.stemmed, surname[1], entity)
                if not any(is_arabic(w) for w in words):
                    sounds = latin_sounds(words)
                    _add(self.sounds, sounds, entity)
                    if len(sounds[-1]) >= 4:
                        _add(self.sounds, sounds[-1:], entity)
                    self.people.append((" ".join(sounds), entity))
            if entity.kind != "country" and all(is_arabic(w) for w in words):
                if len(stemmed) == 1 or (len(words) == 2 and entity.kind == "product"):
                    loose = arabic_loose("".join(stemmed))
                    if len(loose) >= 3:
                        self.loose.setdefault(loose, [])
                        if entity not in self.loose[loose]:
                            self.loose[loose].append(entity)

    # -- finding names ------------------------------------------------------

    def match(self, words: list[NameWord], query: bool = False) -> tuple[int, list[Entity]]:
        """The longest name at the start of `words`: (its length in words, the
        entities it names), or (0, [])."""
        for size in range(min(self._longest(words[0], query), len(words)), 0, -1):
            found = self._keys(words[:size], query)
            if found:
                return size, found
        return 0, []

    def _longest(self, first: NameWord, query: bool) -> int:
        """The most words a name starting with `first` can have."""
        longest = max(self.starts.get(first[0], 0), self.starts.get(first[1], 0), 1)
        if self.sound_starts and not is_arabic(first[2]):
            longest = max(longest, self.sound_starts.get(latin_sound(first[2]), 0))
        if not query and not is_arabic(first[2]) and not first[2][:1].isupper():
            longest = min(longest, 1)  # names start with a capital; demonyms may not
        return min(longest, MAX_NAME_WORDS)

    def _keys(self, span: list[NameWord], query: bool) -> list[Entity]:
        raws = [w[2] for w in span]
        exact = tuple(w[0] for w in span)
        found = self.acronyms.get(exact)
        if found and (all(_upper(r) for r in raws) or (query and len("".join(exact)) > 2)):
            return list(found)
        found = self._allowed(self.exact.get(exact), raws, query)
        if found:
            return found
        if len(span) == 1 and is_arabic(raws[0]):  # والمنصوري: المنصوري, not المنصور
            written = strip_marks(raws[0])
            bare = written[clitic_length(written) :]
            if bare != written:
                found = self._allowed(self.exact.get(name_keys([bare])[0]), raws, query)
                if found:
                    return found
        if span[0][1] and span[-1][1]:  # no stopwords at the ends
            stemmed = tuple(w[1] for w in span if w[1])
            found = self._allowed(self.stemmed.get(stemmed), raws, query)
            if found:
                return found
        if not any(is_arabic(r) for r in raws):
            return self._allowed(self.sounds.get(latin_sounds(raws)), raws, query)
        if len(span) == 1 and span[0][1] and not _common_arabic(raws[0]):
            return self._allowed(self.loose.get(arabic_loose(span[0][1])), raws, query)
        return []

    def _allowed(self, found, raws: list[str], query: bool) -> list[Entity]:
        if not found or len(raws) > 1:
            return list(found or ())
        raw = raws[0]
        kept = []
        arabic = is_arabic(raw)
        for entity in found:
            if entity.kind in ("organisation", "product") and arabic:
                # مسار, ومواطن: words before they are names; in a query, a common
                # word that is the entity's own name (الجزيرة) is taken as named.
                if _common_arabic(strip_marks(raw)) and not (query and self._named(entity, raw)):
                    continue
            elif entity.kind != "country" and not arabic and not query and not raw[:1].isupper():
                continue  # "predator", "masaar"
            kept.append(entity)
        return kept

    def _named(self, entity: Entity, raw: str) -> bool:
        """Whether `raw` is one of the entity's own names (not a variant)."""
        key = name_keys([raw])[0]
        return any(name_keys([name])[0] == key for name in entity.names.values())

    def scan(self, words: list[NameWord]):
        """The names in a run of words, longest first, left to right:
        (first word's index, length in words, entities)."""
        i, memo = 0, self._document_words
        while i < len(words):
            known = memo.recent.get(words[i])
            if known is None:
                known = memo.missing(words[i], self._document_word, words[i])
            longest, alone = known
            if longest < 2:  # most words: nothing, or a name of one word
                if alone:
                    yield i, 1, alone
                i += 1
                continue
            length, found = 0, []
            if not self._may_follow(words, i + 1):
                longest = 1
            for size in range(min(longest, len(words) - i), 1, -1):
                found = self._keys(words[i : i + size], False)
                if found:
                    length = size
                    break
            if not length and alone:
                length, found = 1, alone
            if length:
                if length > 1 and any(e.kind == "product" for e in found):
                    found = self._inner_products(words[i : i + length], found)
                yield i, length, found
                i += length
            else:
                i += 1

    def _may_follow(self, words: list[NameWord], i: int) -> bool:
        """Whether the word at `i` can be the second word of a name."""
        if i >= len(words):
            return False
        exact, stem, raw = words[i]
        if exact in self.seconds or stem in self.seconds:
            return True
        return (
            bool(self.second_sounds)
            and not is_arabic(raw)
            and latin_sound(raw) in self.second_sounds
        )

    def _document_word(self, word: NameWord) -> tuple[int, list[Entity]]:
        """(the most words a name starting with `word` can have in a document,
        what the word names alone); `scan` remembers it: most words of a
        text are frequent ones, and most start no name."""
        exact, stem, _ = word
        if exact not in self.starts and stem not in self.starts and not self._maybe_loose(word):
            return _NO_NAME
        return (self._longest(word, False), self._keys([word], False))

    def _maybe_loose(self, word: NameWord) -> bool:
        exact, stem, raw = word
        if is_arabic(raw):
            return len(stem) > 3 and arabic_loose(stem) in self.loose
        return raw[:1].isupper() and latin_sound(raw) in self.sound_starts

    def mentions(self, words: list[NameWord]) -> dict[str, int]:
        """How often each entity is named in a run of words, as "kind:id" -> count."""
        found: dict[str, int] = {}
        for _, _, entities in self.scan(words):
            for entity in entities:
                key = f"{entity.kind}:{entity.id}"
                found[key] = found.get(key, 0) + 1
        return found

    def _inner_products(self, span: list[NameWord], entities: list[Entity]) -> list[Entity]:
        """A product's name inside a longer one names it too: «مشروع بيغاسوس»
        (the Pegasus Project) names Pegasus."""
        named = list(entities)
        for inner in range(len(span)):
            for size in range(len(span) - inner, 0, -1):
                if size == len(span):
                    continue
                more = self._keys(span[inner : inner + size], False)
                named += [e for e in more if e.kind == "product" and e not in named]
        return named

    def lookup(self, words: list[str]) -> list[Entity]:
        """Entities that the query words name, all of them together (best key first)."""
        read = [w for text in words for w in name_words(text)]
        if not read:
            return []
        length, found = self.match(read, query=True)
        if found and length == len(read):
            return found
        if len(read) >= 2 and not any(is_arabic(w[2]) for w in read):
            return self._fuzzy_person([w[2] for w in read])
        return []

    def _fuzzy_person(self, raws: list[str]) -> list[Entity]:
        from rapidfuzz import fuzz, process

        wanted = " ".join(latin_sounds(raws))
        best = process.extractOne(
            wanted, [n for n, _ in self.people], scorer=fuzz.ratio, score_cutoff=FUZZY_NAME_SCORE
        )
        return [self.people[best[2]][1]] if best else []

    def find(self, text: str, kind: str | None = None) -> list[Entity]:
        """Entities named by `text`, or whose id or code it is."""
        words = [m.group() for m in word_matches(text)]
        found = self.lookup(words)
        return [e for e in found if kind is None or e.kind == kind]


def _add(table: dict, key: tuple, entity: Entity) -> None:
    if not key:
        return
    found = table.setdefault(key, [])
    if entity not in found:
        found.append(entity)
