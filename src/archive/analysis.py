"""Text analysis: the one place where words become index terms.

Three chains, used the same way at index time and at query time:

* the **stemmed** chain feeds ranked word search. Arabic-script tokens are
  normalised (NFKC, diacritics and tatweel removed, alef/yeh/teh marbuta and
  Persian letters folded, Eastern digits made ASCII) and stemmed (clitics
  judged by word counts, proper nouns kept whole, pronoun, plural and other
  endings, broken plurals: see `stem_arabic`), whatever the document's
  language. Latin-script tokens are lower-cased, elided (l', d', qu'…),
  filtered against English and French stopwords, folded to unaccented
  letters and stemmed with Snowball in the document's language (English for
  Latin words inside Arabic documents);
* the **exact** chain feeds prefixes, exact (=word) matches and spelling
  suggestions: the same normalisation, no stemming and no stopwords;
* the **analysed** chain feeds phrases and proximity: each word's stem in
  the English and Arabic chain (the exact form for a stopword), numbered by
  position and paragraph.

They run through `ArchiveAnalyzer`, a Whoosh analyzer that reuses one token
object and caches each distinct word's terms, so indexing does a dictionary
lookup per token rather than a chain of filters. `CHOICES` lists the
analysis decisions that `archive eval --compare` measures.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache

import Stemmer
from babel import Locale
from pyarabic import araby, propernouns

from . import wordcounts
from .languages import DEFAULT_LATIN, LANGUAGE_TABLE, LATIN, joined

# --- Choices -------------------------------------------------------------------

#: Analysis choices that `archive eval --compare NAME` measures by turning one
#: off (docs/search.md gives each one's measured effect).
CHOICES = {
    "clitics": "Arabic clitics و ف ب ل ك removed where the rest is a commoner word",
    "proper-nouns": "Arabic country and personal names kept whole by the stemmer",
    "suffixes": "Arabic accusative, pronoun and teh marbuta endings reduced",
    "stopwords": "Arabic stop list normalised like the tokens it filters",
    "fold-first": "Latin accents folded before stemming",
}
_off: set[str] = set()


def choice(name: str) -> bool:
    return name not in _off


def set_choices_off(names: set[str]) -> None:
    """Turn analysis choices off (for comparing them); clears every cache."""
    unknown = set(names) - set(CHOICES)
    if unknown:
        raise ValueError(f"unknown analysis choice: {', '.join(sorted(unknown))}")
    _off.clear()
    _off.update(names)
    _caches.clear()
    _pair_caches.clear()
    _stems.clear()


# --- Characters ---------------------------------------------------------------

#: Arabic combining marks: pyarabic's harakat, tanween, shadda and sukun, then
#: honorifics, the rarer marks, the dagger alef and Quranic annotation signs.
ARABIC_MARKS = "".join(araby.TASHKEEL) + (
    "\u0610-\u061a\u0653-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
)
TATWEEL = araby.TATWEEL
#: Invisible characters that may sit inside a word: zero-width (non-)joiners,
#: bidi marks, embeddings and isolates, the Arabic letter mark and the BOM.
INVISIBLES = "\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff\u00ad"

_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")

#: A word: letters and digits (not super/subscript digits or fractions, which
#: mark footnotes), with combining marks, tatweel and invisibles kept inside,
#: and apostrophes between letters (l'homme, Khashoggi's).
_WORD_CHAR = (
    r"[^\W_\u00b2\u00b3\u00b9\u00bc-\u00be\u2070-\u209f]"
    rf"|[\u0300-\u036f{ARABIC_MARKS}{TATWEEL}{INVISIBLES}]"
)
WORD = re.compile(rf"(?:{_WORD_CHAR})+(?:['’](?:{_WORD_CHAR})+)*")


def _table(pairs: dict[str, str], delete: str) -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(k): v for k, v in pairs.items()}
    for chunk in re.findall(r".-.|.", delete, flags=re.S):
        if len(chunk) == 3:
            for code in range(ord(chunk[0]), ord(chunk[2]) + 1):
                table[code] = None
        else:
            table[ord(chunk)] = None
    return table


_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {
    chr(0x06F0 + i): str(i) for i in range(10)
}

#: Arabic normalisation as one `str.translate` table. ى becomes ي (not ا, as
#: pyarabic's normalize_alef would do).
ARABIC_TABLE = _table(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ی": "ي",
        "ک": "ك",
    }
    | _DIGITS,
    ARABIC_MARKS + TATWEEL + INVISIBLES,
)

LATIN_TABLE = _table({"’": "'", "œ": "oe", "æ": "ae"} | _DIGITS, INVISIBLES)

# --- Arabic -------------------------------------------------------------------

#: Clitic letters that may stand before a word: the conjunctions و and ف, and
#: the prepositions ب, ل and ك.
CLITICS = "وفبلك"
#: The article, alone or after clitics (ل + ال is written لل).
ARTICLES = ("وبال", "وكال", "فبال", "فكال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال")
#: Attached pronouns, longest first (ه is handled with teh marbuta, which
#: normalisation also turns into ه).
PRONOUNS = ("هما", "هم", "هن", "ها", "نا")
#: Sound plural and dual endings, with the letters each must leave.
NUMBER_SUFFIXES = (("ات", 3), ("ون", 3), ("ين", 3), ("ان", 4))

_MARKS_TABLE = _table({}, ARABIC_MARKS + TATWEEL + INVISIBLES)


def _any_of(table: dict[int, str | None]) -> re.Pattern:
    """A pattern that finds a character `table` changes: a search is several
    times faster than `str.translate` on a word that needs no change."""
    return re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(table)) + "]")


_MARKED = _any_of(_MARKS_TABLE)


def strip_marks(word: str) -> str:
    """A word as written, minus diacritics, tatweel and invisible characters (for display)."""
    return word.translate(_MARKS_TABLE) if _MARKED.search(word) else word


def is_arabic(token: str) -> bool:
    return not token.isascii() and _ARABIC_LETTER.search(token) is not None


#: Places Babel names only in longer phrases (الأراضي الفلسطينية), and cities
#: that end like a plural or dual.
_PLACE_NAMES = "فلسطين بريطانيا أمريكا أميركا طهران عمّان أصفهان تطوان وهران"
#: Tens, which end like a plural but are not one (عشرين is not عشر).
_NUMBER_WORDS = (
    "عشرون عشرين ثلاثون ثلاثين أربعون أربعين خمسون خمسين ستون ستين سبعون سبعين "
    "ثمانون ثمانين تسعون تسعين"
)


#: Broken plurals of the words human-rights documents use most, each with its
#: singular (a light stemmer cannot see that سجون is the plural of سجن).
BROKEN_PLURALS = """
سجون:سجن محاكم:محكمة قضايا:قضية حقوق:حق تقارير:تقرير أحكام:حكم
سجناء:سجين صحف:صحيفة أطفال:طفل مدن:مدينة قوانين:قانون برامج:برنامج
وسائل:وسيلة أجهزة:جهاز هواتف:هاتف شهود:شاهد جرائم:جريمة بلدان:بلد
أنظمة:نظام أسر:أسرة تهم:تهمة أدوات:أداة خبراء:خبير وزراء:وزير
رؤساء:رئيس زعماء:زعيم أعضاء:عضو أفراد:فرد أشخاص:شخص مواقع:موقع
رسائل:رسالة أسلحة:سلاح مراكز:مركز مصادر:مصدر وثائق:وثيقة قيود:قيد
شروط:شرط أسباب:سبب أشهر:شهر أيام:يوم أعوام:عام أسابيع:أسبوع شعوب:شعب
أحزاب:حزب مجالس:مجلس لجان:لجنة قضاة:قاض أقارب:قريب أبناء:ابن
نساء:امرأة رجال:رجل ضحايا:ضحية شهداء:شهيد معتقلات:معتقل سلطات:سلطة
عملاء:عميل وكلاء:وكيل قروض:قرض ديون:دين أنشطة:نشاط أحداث:حدث أهداف:هدف
أساليب:أسلوب أنواع:نوع أطراف:طرف أمور:أمر أوضاع:وضع مبالغ:مبلغ
عمليات:عملية شبكات:شبكة أصوات:صوت آراء:رأي أفكار:فكرة أخبار:خبر
مقالات:مقالة كتب:كتاب دول:دولة أعمال:عمل أموال:مال أسواق:سوق
شركاء:شريك حلفاء:حليف أعداء:عدو أمراء:أمير ملوك:ملك جيوش:جيش قوات:قوة
أسماء:اسم أصدقاء:صديق زملاء:زميل موظفين:موظف مساجين:سجين معارضين:معارض
نشطاء:ناشط مدونين:مدون محامين:محام أطباء:طبيب فقراء:فقير عمال:عامل
طلاب:طالب طلبة:طالب أساتذة:أستاذ علماء:عالم شباب:شاب مواثيق:ميثاق
اتفاقيات:اتفاقية معاهدات:معاهدة دساتير:دستور مبادئ:مبدأ معايير:معيار
إجراءات:إجراء تدابير:تدبير ظروف:ظرف حدود:حد
"""


@cache
def _broken_plurals() -> dict[str, str]:
    """Normalised broken plural -> normalised singular."""
    found = {}
    for pair in BROKEN_PLURALS.split():
        plural, singular = pair.split(":")
        found.setdefault(normalise_arabic(plural), (normalise_arabic(singular), singular))
    return found


@cache
def _protected() -> dict[str, str]:
    """Proper nouns the stemmer keeps whole, normalised, each mapped to its
    form without the article: Babel's Arabic names of countries and
    territories (لبنان is not لبن + ان, عمان not عم + ان) and pyarabic's
    one-word personal names that end like a plural or dual (سليمان, عدنان)."""
    names = (
        set(Locale.parse("ar").territories.values())
        | set(_PLACE_NAMES.split())
        | set(_NUMBER_WORDS.split())
    )
    for line in (propernouns.TEXT + propernouns.TEXT1 + propernouns.TEXT2).splitlines():
        parts = line.split()
        # Only names that look like a plural or dual: سليمان, عدنان, ياسين.
        if len(parts) == 2 and parts[1] == "nom" and parts[0].endswith(("ان", "ين", "ون")):
            names.add(parts[0])
    protected = {}
    for name in names:
        if " " in name:
            continue
        word = normalise_arabic(strip_marks(name))
        bare = word[2:] if name.startswith("ال") and len(word) > 4 else word
        protected[word] = protected["ال" + bare] = bare
        protected.setdefault(bare, bare)
    return protected


def _zipf(word: str) -> float:
    """How common a written Arabic word is (wordfreq's Zipf scale, 0 = unknown)."""
    return _zipfs.get(word, wordcounts.zipf, word)


#: How much commoner (on wordfreq's Zipf scale) the shorter reading of a word
#: must be for an affix to be removed on the word counts' say-so: فيصل is not
#: ف + يصل (+0.29), لحقوق is ل + حقوق (+0.46).
MARGIN = 0.35


def _commoner(shorter: str, whole: str) -> bool:
    return _zipf(shorter) > _zipf(whole) + MARGIN


def clitic_length(written: str) -> int:
    """How many leading letters of a written word (diacritics removed, hamza
    kept) are clitics: و or ف, then ب, ل or ك.

    Letters are clitics only where the rest is a clearly commoner word than
    the whole (ببرنامج is ب + برنامج; برنامج is not ب + رنامج; وزارة is not
    و + زارة), judged by wordfreq's counts of written Arabic. A word that
    neither form is known as loses a leading و or ف alone.
    """
    best, best_zipf = 0, 0.0
    for length in (1, 2):
        head = written[:length]
        if len(written) - length < 3 or not _clitic_head(head):
            continue
        if written[length - 1 : length + 1] == "لل":  # ل + ال: the article rule's
            continue
        rest = written[length:]
        if _commoner(rest, written) and _zipf(rest) > best_zipf:
            best, best_zipf = length, _zipf(rest)
    if not best and written[0] in "وف" and len(written) > 3:
        if not _zipf(written[1:]) and not _zipf(written):
            return 1
    return best


def _clitic_head(head: str) -> bool:
    if len(head) == 1:
        return head in CLITICS
    return head[0] in "وف" and head[1] in "بلك"


def normalise_arabic(token: str) -> str:
    """Normalise an Arabic-script token (expects NFKC input).

    >>> normalise_arabic("أَحْمَـــد")
    'احمد'
    """
    return token.translate(ARABIC_TABLE)


#: Frequent function words, normalised exactly as the tokens they filter are
#: (so على, written with ى, stops the token علي it becomes).
ARABIC_STOPWORDS = frozenset(normalise_arabic(w) for w in joined("stopwords", "arabic"))


#: The stop list as it was before it was normalised (for `archive eval --compare`).
_UNNORMALISED_STOPWORDS = frozenset(
    word.replace("ي", "ى") if word in ("علي", "الي") else word for word in ARABIC_STOPWORDS
)


#: Entries per generation of every cache of words (`Memo`) in a process that
#: serves searches: the words of the documents it shows recur by frequency,
#: so a few thousand answer most, and each cache kept larger stays in the
#: server's memory (five times this left a 10,000-document server 20% larger
#: after the benchmark's searches).
SERVING_CACHE = 10_000
#: Words remembered per chain by `terms_of` (query words, and name keys
#: while indexing); a server keeps `SERVING_CACHE`.
TERMS_CACHE_LIMIT = 50_000
#: Arabic stems remembered while indexing: each stem is asked for once per
#: spelling, and the spellings themselves are remembered by `terms_of`.
STEM_CACHE_LIMIT = 20_000
#: Arabic word counts remembered while indexing (each is looked up on every
#: new spelling of a word with a clitic).
ZIPF_CACHE_LIMIT = 100_000


class Memo:
    """Values computed once per key and kept while they are used, in bounded memory.

    New values go into `recent`; when it holds `limit` of them it becomes
    `older` (the generation before is dropped), and a value asked for again
    moves from `older` back into `recent`. So the words a corpus uses all
    the time stay when the cache fills, where emptying it would recompute
    them; memory stays under two generations. A hit is one `recent.get`,
    which callers on hot paths do themselves before calling `missing`.

    `limit` is `indexing` while a process indexes (see `indexing_caches`),
    and `serving` (by default `SERVING_CACHE`) otherwise: a rebuild meets its
    whole vocabulary many times, a server only the words of the documents
    it shows.
    """

    __slots__ = ("indexing", "older", "recent", "serving")
    #: Whether this process is indexing (set by `indexing_caches`).
    bulk = False

    def __init__(self, indexing: int, serving: int | None = None):
        self.indexing = indexing
        self.serving = serving
        self.recent: dict = {}
        self.older: dict = {}

    @property
    def limit(self) -> int:
        if Memo.bulk:
            return self.indexing
        return min(self.indexing, SERVING_CACHE if self.serving is None else self.serving)

    def get(self, key, compute, *args):
        found = self.recent.get(key)
        return self.missing(key, compute, *args) if found is None else found

    def missing(self, key, compute, *args):
        """The value of a key not in `recent`: from `older`, or `compute(*args)`."""
        found = self.older.get(key)
        if found is None:
            found = compute(*args)
        if len(self.recent) >= self.limit:
            self.older, self.recent = self.recent, {}
        self.recent[key] = found
        return found

    def clear(self) -> None:
        self.recent, self.older = {}, {}

    def __len__(self) -> int:
        return len(self.recent) + len(self.older)


@contextmanager
def indexing_caches() -> Iterator[None]:
    """Let every `Memo` of this process grow to its indexing size for a while."""
    before, Memo.bulk = Memo.bulk, True
    try:
        yield
    finally:
        Memo.bulk = before


#: (word as written without diacritics, ends in tanween) -> stem: the
#: spellings of a word that differ only in diacritics and tatweel (half the
#: distinct Arabic words of a large corpus) are stemmed once.
_stems = Memo(STEM_CACHE_LIMIT)
#: written Arabic word -> its Zipf frequency (`_zipf`).
_zipfs = Memo(ZIPF_CACHE_LIMIT)


def stem_arabic(word: str, written: str | None = None) -> str:
    """`_stem_arabic`, remembered by the word as written without diacritics."""
    if written is None:
        return _stem_arabic(word)
    plain, tanween = strip_marks(written), araby.FATHATAN in written[-2:]
    key = (plain, tanween)
    return _stems.get(key, _stem_arabic, word, plain, tanween)


def _stem_arabic(word: str, plain: str | None = None, tanween: bool = False) -> str:
    """Stem a normalised Arabic word; `plain` is the same word before
    normalisation, diacritics removed (with hamza and teh marbuta), for
    judging its affixes, and `tanween` whether it was written with a final
    tanween fath.

    Proper nouns stay whole. Clitics go where the rest is a commoner word
    (`clitic_length`), then the article. Then, each leaving at least three
    letters: an accusative ا, an attached pronoun (restoring the teh marbuta
    before it: قضيته → قضية), a plural or dual ending, and a final ة, ية or
    nisba ي.

    >>> stem_arabic("والمنظمات")
    'منظم'
    """
    protected = _protected() if choice("proper-nouns") else {}
    if word in protected:
        return protected[word]
    # The plain form has one letter per letter of `word`.
    if plain is not None and len(plain) != len(word):
        plain = None
    if plain is not None and choice("clitics"):
        length = clitic_length(plain)
    else:  # light10: و alone
        length = 1 if len(word) > 3 and word[0] == "و" else 0
    if length:
        word, plain = word[length:], plain and plain[length:]
        if word in protected:
            return protected[word]
    for article in ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            if word[1:] in protected:  # للبنان: ل + لبنان
                return protected[word[1:]]
            cut = len(article)
            if plain and not article.endswith("لل") and plain[cut - 2 : cut] != "ال":
                break  # إلكتروني, ألمانيا: a hamza is no article
            if article.endswith("لل") and plain and _commoner(plain[cut - 1 :], plain[cut:]):
                cut -= 1  # للاجئين: ل + ال + لاجئين, one ل written
            word, plain = word[cut:], plain and plain[cut:]
            break
    if word in protected:
        return protected[word]
    if not choice("suffixes"):
        return _light10_suffixes(word)

    def strip(n: int, keep: int = 3) -> bool:
        nonlocal word, plain
        if len(word) - n < keep:
            return False
        word, plain = word[:-n], plain and plain[:-n]
        return True

    if word.endswith("ا") and len(word) >= 4:  # accusative: حكمًا, صحفيا (not قضايا)
        if (
            tanween
            or (len(word) >= 5 and word.endswith("يا") and word[-3] != "ا")
            or (plain and _commoner(plain[:-1], plain))
        ):
            strip(1)
    pronoun = any(word.endswith(ending) and strip(len(ending)) for ending in PRONOUNS)
    nisba = False  # a ي taken for "my" may be a nisba: حقوقي is not حق
    if not pronoun and plain and word.endswith(("كم", "كن", "ي")):
        # Rarer pronouns, only where the word without them is clearly commoner:
        # حكومتكم, حريتي; not محاكم.
        ending = 1 if word.endswith("ي") else 2
        bare = plain[:-ending]
        if bare.endswith("ت") and len(bare) >= 4:
            bare = bare[:-1] + "ة"
        if len(bare) >= 3 and _commoner(bare, plain):
            pronoun = strip(ending)
            nisba = ending == 1
    if not pronoun and word.endswith("ته") and len(word) >= 5:  # قضيته: ة, then ه
        pronoun = strip(1)
    if word in protected:  # فلسطيني → فلسطين
        return protected[word]
    singular = None if nisba else _broken_plurals().get(word)
    if singular is not None:  # سجون → سجن, then the singular's own ending
        word, plain = singular[0], singular[1] if plain is not None else None
    if pronoun and word.endswith("ت") and not word.endswith("ات") and len(word) >= 4:
        word, plain = word[:-1] + "ه", plain and plain[:-1] + "ة"  # حكومت(ها) → حكومة
    for suffix, keep in NUMBER_SUFFIXES:
        if word.endswith(suffix) and strip(len(suffix), keep):
            if word.endswith("ت") and not word.endswith("ات") and len(word) >= 4:
                word, plain = word[:-1] + "ه", plain and plain[:-1] + "ة"  # منظمتان
            break
    lexical = word in _LEXICAL_TEH_MARBUTA or (plain and plain in _LEXICAL_WITH_TEH_MARBUTA)
    if not lexical:  # مدرسة is not مدرس
        any(word.endswith(suffix) and strip(len(suffix)) for suffix in ("يه", "ه"))
    if word.endswith("ي"):
        strip(1)
    return protected.get(word, word)


#: Words whose teh marbuta makes another word, not a feminine (مدرسة school,
#: مدرس teacher): they keep it, however it is written…
_LEXICAL_TEH_MARBUTA = frozenset(
    normalise_arabic(word) for word in "مدرسة جامعة طائرة رقابة دولة ثورة".split()
)
#: …or only when written with ة, where a pronoun ه is as likely (عمله: his work).
_LEXICAL_WITH_TEH_MARBUTA = frozenset("مكتبة عملة شرطة مؤسسة".split())


def _light10_suffixes(word: str) -> str:
    """Larkey's light10 suffixes (ية and ة read يه and ه once normalised)."""
    for suffix in ("ها", "ان", "ات", "ون", "ين", "يه", "يه", "ه", "ه", "ي"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


# --- Latin --------------------------------------------------------------------

#: Articles and pronouns elided before a vowel, in every language (l', qu').
ELISIONS = joined("elisions")

_STEMMER_LANGUAGES = {code: lang.snowball for code, lang in LANGUAGE_TABLE.items() if lang.snowball}
_local = threading.local()


def _stemmer(language: str) -> Stemmer.Stemmer:
    # PyStemmer objects must not be shared between threads.
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        stemmers[language] = Stemmer.Stemmer(_STEMMER_LANGUAGES[language])
    return stemmers[language]


def fold_accents(word: str) -> str:
    """>>> fold_accents("égypte")
    'egypte'
    """
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def normalise_latin(token: str) -> str:
    """Lower-case, clean and elide a Latin-script token (expects NFKC input)."""
    word = token.translate(LATIN_TABLE).casefold()
    head, apostrophe, tail = word.partition("'")
    if apostrophe and head in ELISIONS:
        word = tail
    return word


def stem_latin(word: str, language: str) -> str:
    """Fold the accents of a normalised Latin word, then stem it in `language`
    (a Latin-script language of `languages`, with its own rules before and
    after Snowball). Folding first, as Lucene's French analysis does, lets
    "procès" and "proces" reach the same stem.

    >>> stem_latin("procès", "fr") == stem_latin("proces", "fr")
    True
    """
    first = choice("fold-first")
    if first:
        word = fold_accents(word)
    rules = LANGUAGE_TABLE[language]
    stem = rules.finish(_stemmer(language).stemWord(rules.prepare(word, first)), first)
    return stem if first else fold_accents(stem)


#: English and French stopwords, normalised and folded exactly as the tokens
#: they filter are. One list for all Latin text, so that a word dropped from a
#: document is also dropped from every query.
STOPWORDS = frozenset(fold_accents(normalise_latin(w)) for w in joined("stopwords", "latin"))

# --- Words to terms -----------------------------------------------------------

EXACT = "exact"
#: Words per generation of the cache per chain of what each word of a
#: document gives (`word_entry`; a few hundred bytes a word): an indexing
#: worker's, and a server's for its snippets. A server analyses every
#: paragraph of each hit it has not shown lately, so it keeps as many: at
#: 10,000 the benchmark's 280 searches with snippets took twice the time.
CACHE_LIMIT = 50_000
_caches: dict[str, Memo] = {}
#: chain -> raw word -> `_entry`, for one-pass indexing.
_pair_caches: dict[str, Memo] = {}


def _words(token: str) -> list[str]:
    """NFKC can turn one token into several (ligatures like ﷺ); split again."""
    if token.isascii():
        return [token]
    normal = unicodedata.normalize("NFKC", token)
    return [token] if normal == token else WORD.findall(normal)


def _compute_pair(token: str, chain: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(exact terms, stemmed terms) of one raw token; the stemmed ones in
    `chain` (``en``, ``fr`` or ``ar``), none if `chain` is None.

    Stopwords give no stemmed term. ``ar`` means a document in Arabic: its
    Latin words are stemmed as English.
    """
    exact, stemmed = [], []
    for word in _words(token):
        if is_arabic(word):
            written = word
            word = normalise_arabic(word)
            if not word:  # marks alone
                continue
            exact.append(word)
            if chain is None or word in (
                ARABIC_STOPWORDS if choice("stopwords") else _UNNORMALISED_STOPWORDS
            ):
                continue
            word = stem_arabic(word, written)
        else:
            word = normalise_latin(word)
            folded = fold_accents(word)
            if folded:
                exact.append(folded)
            if chain is None or folded in STOPWORDS:
                continue
            word = stem_latin(word, chain if chain in LATIN else DEFAULT_LATIN)
        if word:
            stemmed.append(word)
    return tuple(exact), tuple(stemmed)


def _compute_terms(token: str, chain: str) -> tuple[str, ...]:
    """The terms one raw token gives in `chain`: ``exact``, ``en``, ``fr`` or ``ar``."""
    if chain == EXACT:
        return _compute_pair(token, None)[0]
    return _compute_pair(token, chain)[1]


def terms_of(token: str, chain: str) -> tuple[str, ...]:
    """Cached `_compute_terms`."""
    cache = _caches.get(chain)
    if cache is None:
        cache = _caches[chain] = Memo(TERMS_CACHE_LIMIT)
    return cache.get(token, _compute_terms, token, chain)


def word_matches(text: str) -> Iterator[re.Match]:
    """Raw word matches in `text`, with their character offsets."""
    return WORD.finditer(text)


def query_terms(word: str) -> tuple[str, ...]:
    """The stemmed-field terms a query word may match, across languages.

    A Latin word is stemmed as English and as French, because a query does
    not say which language the documents it wants are in.
    """
    found: list[str] = []
    for token in WORD.findall(word):  # "Al-Siddiq" is two words
        for chain in LATIN:
            for term in terms_of(token, chain):
                if term not in found:
                    found.append(term)
    return tuple(found)


#: The positional field and chain for phrases and proximity: each word's
#: analysed form (normalised, clitics removed, stemmed with the English and
#: Arabic chain, whatever the document's language), or for a stopword its
#: exact form, numbered by position. So "حرية الصحافة" finds «وحرية الصحافة»
#: and journalist finds journalists, as in Lucene and Elasticsearch.
ANALYSED = "analysed"
#: Written before a word (=journalists), it asks for that exact word.
LITERAL = "="


def positional_terms(token: str) -> tuple[str, ...]:
    """The analysed-field terms of one raw word, one per exact term: its
    analysed form, or the exact form of a stopword."""
    exact = terms_of(token, EXACT)
    analysed = terms_of(token, "en")
    return analysed if len(analysed) == len(exact) else exact


def phrase_terms(text: str) -> tuple[list[str], list[str | None]]:
    """The analysed-field terms of a phrase, one per position, and per position
    the exact term a word written with `LITERAL` in front must be (else None)."""
    found: list[str] = []
    literal: list[str | None] = []
    for chunk in text.split():
        for match in word_matches(chunk):
            terms = positional_terms(match.group())
            found.extend(terms)
            exact = terms_of(match.group(), EXACT) if chunk.startswith(LITERAL) else ()
            literal.extend(exact if len(exact) == len(terms) else [None] * len(terms))
    return found, literal


def phrase_in(text: str, terms: list[str], literal: list[str | None]) -> bool:
    """Whether `text` holds the phrase: its analysed terms one after another,
    each literal word as written (what the index cannot say: exact words have
    no positions)."""
    words = [
        (form, exact)
        for match in word_matches(text)
        for form, exact in zip(
            positional_terms(match.group()), terms_of(match.group(), EXACT), strict=False
        )
    ]
    size = len(terms)
    for i in range(len(words) - size + 1):
        if all(
            words[i + k][0] == terms[k] and literal[k] in (None, words[i + k][1])
            for k in range(size)
        ):
            return True
    return False


# --- Probes -------------------------------------------------------------------
#
# Choosing a snippet asks which paragraphs of a hit hold the query's terms.
# Analysing every word of every paragraph to find out is most of the cost of
# a search whose hits were not shown before. A term leaves a trace in the
# text of any word it comes from: the word's folded text contains one of the
# term's `probes`. So a paragraph whose folded text (`probe_text`) contains
# none of a query's probes holds none of its terms, and is never analysed.


@cache
def _fold_table() -> dict[int, str | None]:
    """Normalisation of any character as a word's terms see it (Arabic and
    Latin tables) and the combining marks `fold_accents` drops."""
    table = dict(LATIN_TABLE) | dict(ARABIC_TABLE)
    for code in range(0x300, 0x110000):
        if unicodedata.combining(chr(code)):
            table[code] = None
    return table


def probe_text(text: str) -> str:
    """`text` as probes are looked for in it: NFKC, normalised, case and accents
    folded, character by character (so a word's folded form is part of the
    folded text around it)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).translate(_fold_table()))


def probes_of(term: str, stemmed: bool = True) -> tuple[str, ...]:
    """Strings one of which the `probe_text` of any word giving `term` contains.

    An exact term (``stemmed=False``) is its own probe. A stem leaves its
    start: an Arabic stem all but a final ه (ة restored before a pronoun:
    حكومتها → حكومة), a Latin stem all but its last three letters (Snowball
    rewrites a word's ending: possibility → possibl, journaux → journal);
    and the words the stemmer maps whole (broken plurals, irregular English
    forms) are probes of their stems.
    """
    if not stemmed or len(term) <= 2:
        found = [term]
    elif is_arabic(term):
        found = [term[:-1] if term.endswith("ه") else term]
    else:
        found = [term[: max(2, len(term) - 3)]]
    found.extend(_whole_word_probes().get(term, ()))
    return tuple(probe_text(p) for p in found)


#: Letters a word may have before the stem of its term: clitics and the article.
_STEM_PREFIX = "[وفبلك]{0,3}(?:ال)?"
#: A letter of a word, as `WORD` reads them (marks are gone from folded text).
_LETTER = r"[^\W_\u00b2\u00b3\u00b9\u00bc-\u00be\u2070-\u209f]"


@lru_cache(maxsize=4096)
def probe_at_word_start(probe: str) -> re.Pattern:
    """Where a short probe may stand in a `probe_text`: at the start of a word,
    after the clitics and article an Arabic word may have (a stem or an
    exact word begins there; a stem's remainder ends with suffixes)."""
    prefix = _STEM_PREFIX if is_arabic(probe) else ""
    return re.compile(f"(?<!{_LETTER}){prefix}{re.escape(probe)}")


@cache
def _whole_word_probes() -> dict[str, tuple[str, ...]]:
    """Stem -> the words mapped to it whole, which its start may not be part of."""
    found: dict[str, set[str]] = {}
    pairs = [pair.split(":") for pair in BROKEN_PLURALS.split()]
    latin = sorted(joined("whole_words"))
    for word, other in [*pairs, *((w, w) for w in latin)]:
        for chain in LANGUAGE_TABLE:
            for source in {word, other}:
                for stem in _compute_pair(source, chain)[1]:
                    found.setdefault(stem, set()).update(_compute_pair(word, None)[0])
    return {stem: tuple(sorted(words)) for stem, words in found.items()}


def name_word(raw: str, exact: tuple[str, ...], stemmed: tuple[str, ...]):
    """How the registry reads a word: (first exact term, first stemmed term,
    the word as written). An Arabic word loses its diacritics, so that its
    spellings with and without them are one word to the name scan."""
    if is_arabic(raw):
        plain = strip_marks(raw)
        raw = raw if plain == raw else plain  # one string kept, not two equal ones
    return (exact[0], stemmed[0] if stemmed else "", raw)


def _entry(raw: str, chain: str, memo: Memo) -> tuple:
    """What indexing needs of one raw word in a document of `chain`: (exact
    terms, stemmed terms, analysed forms, `name_word` or None).

    A word written with diacritics gives what it gives without them (and a
    final tanween fath, which the stemmer reads): its spellings share one
    entry in `memo`, computed once.
    """
    if not raw.isascii():
        plain = strip_marks(raw)
        if plain != raw and is_arabic(plain) and unicodedata.is_normalized("NFKC", raw):
            key = plain + araby.FATHATAN if araby.FATHATAN in raw[-2:] else plain
            return memo.get(key, _entry_of, key, chain)
    return _entry_of(raw, chain)


def _entry_of(raw: str, chain: str) -> tuple:
    exact, stemmed = _compute_pair(raw, chain)
    # The analysed forms are the English chain's (the ar chain stems Latin
    # words as English too); a stopword keeps its exact form. Names are read
    # with the English chain's stems too, as the registry's keys are made.
    latin = chain in LATIN and chain != DEFAULT_LATIN  # its own Latin stems
    english = _compute_pair(raw, DEFAULT_LATIN)[1] if latin else stemmed
    forms = english if len(english) == len(exact) else exact
    return exact, stemmed, forms, name_word(raw, exact, english) if exact else None


def word_entries(language: str) -> tuple[Memo, str]:
    """(the cache of `word_entry` values for a document language, its chain).
    Callers on hot paths look a word up in the cache's `recent` themselves."""
    chain = language if language in LANGUAGE_TABLE else DEFAULT_LATIN
    memo = _pair_caches.get(chain)
    if memo is None:
        memo = _pair_caches[chain] = Memo(CACHE_LIMIT, CACHE_LIMIT)
    return memo, chain


def word_entry(raw: str, memo: Memo, chain: str) -> tuple:
    """What one raw word of a document gives, from `word_entries`: (exact terms,
    stemmed terms, analysed forms, `name_word` or None)."""
    found = memo.recent.get(raw)
    return memo.missing(raw, _entry, raw, chain, memo) if found is None else found


def analyse_document(parts: list[str], language: str, sequences: list | None = None):
    """All index terms of a document in one pass over its words.

    `parts` are the title, then each paragraph. Returns (title stemmed term ->
    frequency, body stemmed term -> frequency, exact term -> 1, analysed term
    -> positions), the terms `ArchiveAnalyzer` gives each field,
    but each word is tokenised once for all four fields. If `sequences` is a
    list, it receives, per part, the `name_word` of each word in order (for
    finding names in the text).
    """
    memo, chain = word_entries(language)
    title: dict[str, int] = {}
    body: dict[str, int] = {}
    exact: dict[str, int] = {}
    analysed: dict[str, list[int]] = {}
    recent = memo.recent
    pos = -1
    for number, part in enumerate(parts):
        words = WORD.findall(part)
        if words and number:  # a new paragraph: positions move to the next bucket
            pos = (pos // PARAGRAPH_GAP + 1) * PARAGRAPH_GAP - 1
        sequence = [] if sequences is not None else None
        for raw in words:  # positions word by word
            entry = recent.get(raw)
            if entry is None:
                entry = memo.missing(raw, _entry, raw, chain, memo)
                recent = memo.recent  # a new generation may have begun
            if sequence is not None and entry[3]:
                sequence.append(entry[3])
            for form in entry[2]:
                pos += 1
                found = analysed.get(form)
                if found is None:
                    analysed[form] = [pos]
                else:
                    found.append(pos)
        stemmed = title if number == 0 else body
        for raw, count in Counter(words).items():  # frequencies once per distinct word
            entry = recent.get(raw)
            if entry is None:
                entry = memo.missing(raw, _entry, raw, chain, memo)
                recent = memo.recent
            for term in entry[0]:  # the field keeps no frequencies
                exact[term] = 1
            for term in entry[1]:
                stemmed[term] = stemmed.get(term, 0) + count
        if sequence is not None:
            sequences.append(sequence)
    return title, body, exact, analysed


#: Paragraph breaks in analysed-field text move positions to the next multiple of
#: this, so `position // PARAGRAPH_GAP` is the paragraph number (0 = title) and
#: no phrase can match across two paragraphs.
PARAGRAPH_GAP = 1 << 16
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")


def __getattr__(name: str):
    """`ArchiveAnalyzer` and `LanguageText` live with the Whoosh backend; the
    tables of contents of indexes written before it moved there name them
    here, so they are found here too (without importing Whoosh otherwise)."""
    if name in ("ArchiveAnalyzer", "LanguageText"):
        from .backends.whoosh import analyzer

        return getattr(analyzer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
