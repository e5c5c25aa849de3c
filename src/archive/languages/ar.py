"""Arabic, stemmed by the archive's own stemmer (`analysis.stem_arabic`)."""

from . import Language

LANGUAGE = Language(
    code="ar",
    script="arabic",
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
)
