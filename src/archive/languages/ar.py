"""Arabic, stemmed by the archive's own stemmer (`analysis.stem_arabic`)."""

from . import Language

LANGUAGE = Language(
    code="ar",
    script="arabic",
    quotes=("«", "»"),
    comma="، ",
    stopwords=(
        "في من على إلى عن أن إن أو ثم قد لا ما لم لن هذا هذه ذلك تلك التي الذي الذين "
        "كان كانت مع بين عند كل هو هي هم أنه أنها به بها له لها فيه فيها منه منها"
    ),
    or_words="أو او",
    not_words="ليس بدون",
    range_words="إلى الى",
    # CLDR's Arabic months, and the Maghreb's and the Levant's names for them.
    month_locales=("ar", "ar_DZ", "ar_TN", "ar_MA", "ar_LB", "ar_SY", "ar_IQ", "ar_JO", "ar_MR"),
    extra_months={"يونيه": 6, "يوليه": 7, "اغسطس": 8, "ابريل": 4, "اكتوبر": 10},
    # Cues are read in folded text: ة is ه, hamzas are gone.
    signatory_headings=(
        r"(?:المنظمات|الجهات|المؤسسات|قائمه) ?الموقع(?:ون|ين|ه)(?: ادناه)?",
        r"الموقع(?:ون|ين)(?: ادناه)?",
        r"اعضاء التحالف",
    ),
    type_cues={
        "letter": [
            (r"(?<!\w)(?:المنظمات |الجهات )?الموقع(?:ون|ين|ه)(?!\w)", 4),
            (r"^\W*(?:السيد|السيده|حضره)\b", 3),
            (r"رساله (?:مشترك|مفتوح)", 3),
        ],
        "statement": [(r"(?<!\w)(?:ال|و|ب|بال)?(?:بيان|تصريح)(?!\w)", 2)],
        "case": [
            (r"(?<!\w)(?:و|ف)?(?:حكم|اعتقل|اعتقال|احتجز|احتجاز|محاكمه|سجن)(?:ت|ه|ها)?(?!\w)", 1)
        ],
    },
    status_cues={
        "deceased": r"(?<!\w)(?:اغتيال|مقتل|وفاه)",
        "released": r"(?<!\w)(?:افرج|الافراج)",
        "sentenced": r"(?<!\w)حكم",
        "detained": r"(?<!\w)(?:اعتقل|احتجز)",
        "exile": r"(?<!\w)(?:المنفي|لجوء)",
        "targeted": r"(?<!\w)استهدف",
    },
)
