"""Arabic: clitics, the article, endings and broken plurals (`stem_arabic`), proper
nouns kept whole, normalisation and the stop list."""

from __future__ import annotations

from functools import cache

from babel import Locale
from pyarabic import araby, propernouns

from .. import wordcounts
from ..languages import joined
from .caches import _stems, _zipfs
from .characters import ARABIC_TABLE, strip_marks
from .choices import choice

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
