"""French."""

from . import Language


def finish(stem: str, folded: bool) -> str:
    if folded:  # unaccented, Snowball leaves some plural and feminine endings
        if len(stem) > 4 and stem.endswith("us"):  # detenus → detenu
            stem = stem[:-1]
        while len(stem) > 4 and stem.endswith("e"):  # condamnee → condamn
            stem = stem[:-1]
    return stem


#: For the type's cues: a heading's start (after "Pays :", if any), what a person a case
#: is about is (one: "des journalistes" are a statement's topic), and the verbs an
#: imperative headline ("Maroc : libérez Omar Radi") opens with.
_HEADING = r"^\W*(?:[^:\n]{1,40}[:–—]\s*)?"
_ROLE = (
    r"(?:journaliste|reporter|redact(?:eur|rice)|blogueu(?:r|se)|militante?|defenseu(?:r|se)|"
    r"avocate?|dissidente?|poete|ecrivaine?|romanciere?|tradu(?:cteur|ctrice)|etudiante?|"
    r"universitaire|professeure?|chercheu(?:r|se)|historien(?:ne)?|economiste|caricaturiste|"
    r"artiste|rappeur|chanteu(?:r|se)|musicien(?:ne)?|act(?:eur|rice)|humoriste|photographe|"
    r"cineaste|medecin|infirmiere?|enseignante?|ingenieure?|entrepreneu(?:r|se)|juge|"
    r"diplomate|imam|syndicaliste|ouvriere?|footballeu(?:r|se)|opposante?|feministe|"
    r"prisonniere?|refugiee?|migrante?|citoyenne?|fiancee?|epouse|mari|veuve|fils|fille|"
    r"frere|soeur|mere|pere)\b"
)
_ORDER = (
    r"(?:liberez|relachez|arretez|cessez|mettez fin|stoppez|stop|levez|abandonnez|abrogez|"
    r"protegez|respectez|annulez|halte|non a)\b"
)


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
    # Where each cue is looked for, and its weight: see `extract.proposal.TYPE_CUES`.
    type_cues={
        "letter": [
            ("title", r"\blettres?\b", 8),
            ("opening", rf"{_HEADING}lettre\b|\b(?:cette|la presente|notre) lettre\b", 8),
            (
                "opening",
                r"^\W*(?:madame|monsieur|mesdames|messieurs|cher|chere|chers|cheres)\b[^\n]{0,60},\s*$",
                8,
            ),
            (
                "text",
                r"\bnous vous (?:ecrivons|adressons)\b|\bnous nous adressons a vous\b|"
                r"\bnous (?:nous permettons de )?vous ecrire\b",
                8,
            ),
            (
                "text",
                r"\bveuillez agreer\b|\bnous vous prions d['’]agreer\b|"
                r"\bsalutations (?:distinguees|respectueuses)\b|"
                r"\bl['’](?:expression|assurance) de (?:notre|nos) (?:plus )?(?:haute|profond|"
                r"respectueu|sincere|meilleur|distingue)|^\W*cordialement\W*$",
                8,
            ),
            (
                "opening",
                r"^\W*(?:a l['’]attention d|objet\s*:|a (?:madame|monsieur|son excellence|s\.e\.)|"
                r"(?:votre|son) excellence)",
                4,
            ),
            (
                "text",
                r"\bvous (?:exhortons|demandons|prions|appelons|invitons|remercions)\b|"
                r"\bvotre (?:gouvernement|excellence|attention|ministere|administration)\b",
                3,
            ),
            ("text", r"\bnous,? (?:les )?(?:organisations |associations |ong )?soussigne", 3),
            (
                "text",
                r"^\W*(?:liste des |les |organisations )?(?:co)?signataires\b|^\W*signee?s? par\b|"
                r"^\W*membres de la coalition\b",
                1,
            ),
        ],
        "statement": [
            ("title", r"\b(?:declaration|communique|prise de position)\b", 8),
            (
                "opening",
                rf"{_HEADING}(?:declaration|communique)\b|"
                r"\b(?:cette|la presente|notre) declaration\b|\b(?:ce|le present) communique\b|"
                r"\bpour (?:diffusion|publication) immediate\b",
                8,
            ),
            ("title opening", rf"^[^:\n]{{2,60}}[:–—]\s*{_ORDER}", 4),
            ("title", r"\b(?:doit|doivent|il faut)\b", 4),
            (
                "text",
                r"\b(?:declare|affirme|souligne|ajoute|estime|explique)(?:nt)?-t?-?(?:il|elle)s?\b|"
                r"[»\"”]\s*,?\s*(?:a|ont) (?:declare|affirme|souligne|ajoute|estime|explique)\b",
                2,
            ),
        ],
        "case": [
            (
                "text",
                r"^\W*(?:chefs? d['’]accusation|accusations?|peine|condamnation|statut|"
                r"situation(?: actuelle)?|date (?:d['’]|de l['’])arrestation|lieu de detention|"
                r"detenue? depuis)\s*:",
                4,
            ),
            ("text", r"^\W*(?:profession|nationalite|age|date de naissance|ne le|nee le)\s*:", 2),
            (
                "title",
                rf"^[^:\n]{{3,50}}:\s*(?!{_ORDER})(?:un |une |le |la |l['’])?"
                rf"(?:[\w'’-]+ ){{0,3}}?{_ROLE}",
                4,
            ),
            (
                "opening",
                r"^[\w'’.-]+(?: [\w'’.-]+){1,3} (?:est|etait) (?:un|une|le|la|l['’]) ?"
                rf"(?:[\w'’-]+ ){{0,4}}?{_ROLE}",
                3,
            ),
            (
                "text",
                r"\b(?:son|sa) (?:cas|arrestation|detention|proces|condamnation|liberation|"
                r"emprisonnement|incarceration|avocate?|famille)\b",
                1,
            ),
            (
                "text",
                r"\b(?:arretee?s?|arrestation|detenue?s?|detention|enlevee?|disparue?|disparition|"
                r"condamn\w*|proces|jugee?|inculpee?|accusations?|poursuivie?|poursuites|verdict|"
                r"acquitt\w*|prison|emprisonn\w*|incarcer\w*|garde a vue|liberee?|exil\w*|asile|"
                r"tuee?|assassin\w*|tortur\w*)\b",
                1,
            ),
        ],
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
