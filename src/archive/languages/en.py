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


#: For the type's cues: a heading's start (after "Country:", if any), what a person a
#: case is about is (one: "journalists" are a statement's topic), and the verbs an
#: imperative headline ("Jordan: Stop using spyware") opens with.
_HEADING = r"^\W*(?:[^:\n]{1,40}[:–—]\s*)?"
_ROLE = (
    r"(?:journalist|reporter|editor|blogger|activist|defender|lawyer|dissident|poet|writer|"
    r"novelist|translator|satirist|student|academic|professor|researcher|scholar|historian|"
    r"economist|cartoonist|artist|rapper|singer|musician|actor|actress|comedian|photographer|"
    r"filmmaker|doctor|physician|nurse|teacher|engineer|developer|businessman|businesswoman|"
    r"entrepreneur|judge|diplomat|cleric|preacher|unionist|worker|footballer|athlete|"
    r"politician|critic|feminist|protester|prisoner|refugee|migrant|citizen|"
    r"fiancee?|wife|husband|widow|son|daughter|brother|sister|mother|father)\b"
)
_ORDER = (
    r"(?:stop|end|release|free|halt|drop|lift|quash|overturn|repeal|protect|investigate|cease|"
    r"ban|reverse|respect|allow|let|reinstate|restore|uphold|abolish|ensure|don['’]t|do not|"
    r"no to|hands off)\b"
)


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
    # Where each cue is looked for, and its weight: see `extract.proposal.TYPE_CUES`.
    type_cues={
        "letter": [
            ("title", r"\bletters?\b", 8),
            ("opening", rf"{_HEADING}(?:joint |open |public |ngo )*letter\b", 8),
            ("opening", r"\b(?:this|our|the present) (?:joint |open |public |ngo )*letter\b", 8),
            ("opening", r"^\W*dear\b", 8),
            ("text", r"\bwe (?:are )?writ(?:e|ing)\b", 8),
            (
                "text",
                r"^\W*(?:yours (?:sincerely|faithfully|truly|respectfully)|sincerely(?: yours)?|"
                r"respectfully(?: yours)?|(?:kind|best|warm)(?:est)? regards|"
                r"with (?:our )?(?:highest |kind |best |warm )?regards)\W*$|"
                r"\bplease accept\b[^.\n]{0,40}\b(?:assurances?|consideration|regards)\b",
                8,
            ),
            (
                "opening",
                r"^\W*(?:to:?\s+(?:h\.?e\.?|his|her|mr|ms|mrs|dr|minister|president|members|"
                r"the (?:hon|minister|president|prime|members|chair|special|secretary))\b|"
                r"(?:your )?(?:excellency|excellencies|majesty|highness)\b|subject\s*:|re\s*:)",
                4,
            ),
            (
                "text",
                r"\b(?:urge|ask|call on|request|implore|invite|encourage|thank) you\b|"
                r"\byour (?:government|excellency|excellencies|office|administration|attention|"
                r"leadership|ministry|mandate)\b",
                3,
            ),
            (
                "text",
                r"\bwe,? the undersigned\b|\bthe undersigned (?:organi[sz]ations|groups)\b",
                3,
            ),
            (
                "text",
                r"^\W*(?:signatories|signed by|signatory organi[sz]ations|list of signatories|"
                r"co-?signed by|endorsed by|coalition members|members of the coalition)\b",
                1,
            ),
        ],
        "statement": [
            (
                "title",
                r"\b(?:statement|communique|(?:press|media|news|for immediate) release)\b",
                8,
            ),
            (
                "opening",
                rf"{_HEADING}(?:joint |public |ngo |press )*statement\b|"
                r"\bthis (?:joint |public |press )?statement\b|"
                r"\b(?:for immediate|press|media|news) release\b",
                8,
            ),
            ("title opening", rf"^[^:\n]{{2,60}}[:–—]\s*{_ORDER}", 4),
            ("title", r"\b(?:must|should)\b", 4),
            ("text", r"[\"”],?\s*(?:said|says|added|stated)\b", 2),
        ],
        "case": [
            (
                "text",
                r"^\W*(?:charges?|sentence|(?:current |case )?status|date of (?:arrest|detention)|"
                r"place of detention|detained since|arrested on|held at)\s*:",
                4,
            ),
            ("text", r"^\W*(?:profession|occupation|nationality|age|date of birth|born)\s*:", 2),
            (
                "title",
                rf"^[^:\n]{{3,50}}:\s*(?!{_ORDER})(?:an? |the )?(?:[\w'’-]+ ){{0,3}}?{_ROLE}",
                4,
            ),
            (
                "opening",
                r"^[\w'’.-]+(?: [\w'’.-]+){1,3} (?:is|was) (?:an?|the) "
                rf"(?:[\w'’-]+ ){{0,4}}?{_ROLE}",
                3,
            ),
            (
                "text",
                r"\b(?:his|her) (?:own )?(?:case|arrest|detention|trial|sentence|conviction|"
                r"release|imprisonment|lawyer|family)\b",
                1,
            ),
            (
                "text",
                r"\b(?:arrest(?:ed)?|detain(?:ed)?|detention|abduct(?:ed|ion)|disappeared|sentenc(?:e|ed)|"
                r"convict(?:ed|ion)|trial|tried|charge[sd]?|prosecut(?:ed|ion)|verdict|acquitted|"
                r"prison|imprison(?:ed|ment)|jail(?:ed)?|exiled?|asylum|killed|murder(?:ed)?|"
                r"tortured?)\b",
                1,
            ),
        ],
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
