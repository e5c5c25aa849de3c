"""French."""

from . import Language


def finish(stem: str, folded: bool) -> str:
    if folded:  # unaccented, Snowball leaves some plural and feminine endings
        if len(stem) > 4 and stem.endswith("us"):  # detenus → detenu
            stem = stem[:-1]
        while len(stem) > 4 and stem.endswith("e"):  # condamnee → condamn
            stem = stem[:-1]
    return stem


LANGUAGE = Language(
    code="fr",
    script="latin",
    quotes=("«\u00a0", "\u00a0»"),
    stopwords=(
        "au aux avec ce ces cet cette dans de des du elle elles en est et il ils la le les "
        "leur leurs lui ne ni ont où ou par pas pour qui que sa se ses son sont sur un une "
        # Elided articles left on their own (l’ État)
        "l d qu"
    ),
    snowball="french",
    finish=finish,
    elisions="l d j m n s t c qu jusqu lorsqu puisqu quoiqu",
    and_words="ET",
    or_words="OU",
    not_words="SAUF",
    range_words="À A AU",
    month_locales=("fr",),
    extra_months={"sept": 9},
    signatory_headings=(
        r"(?:liste des |les |organisations )?signataires",
        r"signee?s? par",
        r"membres de la coalition",
    ),
    type_cues={
        "letter": [
            (r"\bnous,? (?:les )?(?:organisations )?soussigne", 4),
            (r"^\W*(?:signataires|signe(?:e|es)? par)\b", 4),
            (r"^\W*(?:madame|monsieur|cher|chere)\b", 3),
            (r"\blettre (?:ouverte|conjointe)\b", 3),
        ],
        "statement": [(r"\bdeclaration\b|\bcommunique\b", 2)],
        "case": [(r"\b(?:condamne|arrete|detenu|inculpe|emprisonne|proces)e?s?\b", 1)],
    },
    status_cues={
        "deceased": r"\b(?:tue|assassine|decede)\b",
        "released": r"\blibere\b",
        "sentenced": r"\bcondamne",
        "detained": r"\b(?:detenu|arrete)",
        "exile": r"\bexil\b",
        "targeted": r"\bcible",
    },
    common_words=(
        "le la les des du de et est un une dans pour que qui sur par au aux avec ce cette ces ont "
        "sont été leur leurs nous il elle ils elles pas ne se son sa ses était aussi mais où "
        "très plus entre contre depuis selon"
    ),
)
