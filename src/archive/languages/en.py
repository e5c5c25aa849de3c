"""English."""

import re

from . import Language

#: American spellings mapped to the British ones the stemmer then reduces, and
#: irregular plurals the stemmer leaves alone.
VARIANTS = {
    "defense": "defence",
    "defenses": "defences",
    "offense": "offence",
    "offenses": "offences",
    "center": "centre",
    "centers": "centres",
    "labor": "labour",
    "favor": "favour",
    "behavior": "behaviour",
    "honor": "honour",
    "judgment": "judgement",
    "judgments": "judgements",
    "license": "licence",
    "licenses": "licences",
    "program": "programme",
    "programs": "programmes",
    "women": "woman",
    "men": "man",
    "children": "child",
    "people": "person",
}
#: British -ise spellings, written -ize before stemming (the -ize ones stem better).
_ISE = re.compile(r"(?<=\w{3})is(e|es|ed|ing|ation|ations|er|ers)$")


def prepare(word: str, folded: bool) -> str:
    word = VARIANTS.get(word, word)
    if folded:  # criticised, criticized: one spelling before stemming
        word = _ISE.sub(r"iz\1", word)
        if len(word) > 6 and word.endswith("ily"):  # arbitrarily: arbitrary
            word = word[:-3] + "y"
    return word


def finish(stem: str, folded: bool) -> str:
    if stem.endswith("iz") and len(stem) > 4:  # organiz(ation) -> organis(ation)
        stem = stem[:-2] + "is"
    return stem


LANGUAGE = Language(
    code="en",
    script="latin",
    stopwords=(
        "a an and are as at be but by for from if in into is it its no not of on or such "
        "that the their then there these they this to was were will with"
    ),
    snowball="english",
    prepare=prepare,
    finish=finish,
    and_words="AND &",
    or_words="OR |",
    not_words="NOT",
    range_words="TO",
    month_locales=("en",),
    whole_words=" ".join(VARIANTS) + " dying lying tying",
    signatory_headings=(
        r"signed by",
        r"signatories",
        r"signatory organi[sz]ations",
        r"list of signatories",
        r"coalition members",
        r"members of the coalition",
        r"endorsed by",
        r"undersigned(?: organi[sz]ations)?",
        r"the undersigned(?: organi[sz]ations)?",
    ),
    type_cues={
        "letter": [
            (r"\bwe,? the undersigned\b", 4),
            (r"^\W*(?:signatories|signed by|coalition members)\b", 4),
            (r"^\W*dear\b", 3),
            (r"\bjoint (?:ngo )?letter\b", 3),
        ],
        "statement": [(r"\b(?:joint )?statement\b|\bpress release\b", 2)],
        "case": [(r"\b(?:sentenced|arrested|detained|charged|convicted|imprisoned|trial)\b", 1)],
    },
    status_cues={
        "deceased": r"\b(?:killed|died|murdered)\b",
        "released": r"\b(?:released|freed)\b",
        "sentenced": r"\bsentenced",
        "detained": r"\b(?:detained|arrested)",
        "exile": r"\b(?:exile|asylum)\b",
        "targeted": r"\btargeted\b",
    },
    common_words=(
        "the of and to in is that for on with as by are was were this be have has from at "
        "which their its it an or not we they who been will would should these our all also but"
    ),
)
