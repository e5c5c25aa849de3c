"""Metadata proposed for an extracted text: id, title, language, date, type,
status, countries, organisations and people, with flags for what an
archivist must check."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePath

from slugify import slugify

from ..analysis import is_arabic, strip_marks
from ..analysis import word_matches as _word_matches
from ..document import CASE_STATUSES, ID_PATTERN, LANGUAGES, TYPES, Document
from ..i18n import N_
from ..languages import DEFAULT_LATIN, LANGUAGE_TABLE
from ..registry import Registry
from .common import Extracted, Flag, Proposal, fold
from .dates import DATE_LABEL, find_dates, propose_date
from .names import Mention, find_mentions
from .repeats import find_repeated_blocks
from .signatories import match_signatories, signatory_items, without_items

# --- Proposal -----------------------------------------------------------------------------


#: How much of the text is read for the title, language, date and type (the top says it).
CUE_CHARS = 100_000


def propose(extracted: Extracted, original_name: str, registry: Registry) -> Proposal:
    """A proposed `Document` for an extracted file, with what the archivist must check."""
    flags: list[Flag] = []
    body = extracted.text
    blocks, deduplicated = find_repeated_blocks(body)
    for block in blocks:
        flags.append(
            Flag(
                "body",
                N_("A passage of {words} words appears {count} times; keep one copy?"),
                {"words": len(block.text.split()), "count": block.count},
            )
        )
    text = deduplicated or body
    head = text[:CUE_CHARS]
    meta = extracted.front_matter
    title = _propose_title(extracted, original_name, head, flags)
    language = _propose_language(meta, head, flags)
    date = propose_date(meta, extracted, title, head, flags)
    heading = heading_lines(text, title, date)
    if heading and without_top_lines(text, len(heading)):
        body = without_top_lines(body, len(heading))
        deduplicated = deduplicated and without_top_lines(deduplicated, len(heading))
        flags.append(
            Flag(
                "body",
                N_("Left out of the text, as the title and dateline: {lines}"),
                {"lines": " · ".join(line.strip() for line in heading)},
            )
        )
    doc_type = _propose_type(meta, title, head, flags)
    items = signatory_items(text, registry)
    signatories, unknown = match_signatories(items, registry)
    # Where signatories are based ("…, Egypt") is not what the text is about.
    mentions = find_mentions(without_items(text, items), registry)
    countries = _propose_countries(meta, mentions, registry, flags)
    organisations = _propose_organisations(meta, signatories, mentions, registry, flags)
    people = _propose_people(meta, mentions, registry, flags)
    subject = status = None
    if doc_type == "case":
        subject = meta.get("subject") if meta.get("subject") in registry.people else None
        subject = subject or (people[0] if people else None)
        status = meta.get("status") if meta.get("status") in CASE_STATUSES else None
        status = status or _guess_status(text)
        if not subject or not status:
            flags.append(Flag("subject", N_("A case needs the person it is about and a status.")))
    declared_id = _meta_str(meta, "id")
    document = Document(
        id=declared_id
        if declared_id and ID_PATTERN.match(declared_id)
        else slug(title, date, language),
        title=title,
        type=doc_type,
        language=language,
        date=date,
        body=body,
        countries=tuple(countries),
        organisations=tuple(organisations),
        people=tuple(people),
        source=_meta_str(meta, "source") or extracted.source,
        access="restricted" if meta.get("access") == "restricted" else "public",
        subject=subject,
        status=status,
        original_name=original_name,
    )
    return Proposal(
        document,
        original_name,
        flags,
        new_organisations=unknown,
        repeated_blocks=blocks,
        deduplicated_body=deduplicated,
    )


def _meta_str(meta: dict, key: str) -> str | None:
    value = meta.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _meta_list(meta: dict, key: str) -> list[str] | None:
    value = meta.get(key)
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


def slug(title: str, date: str, language: str) -> str:
    """An id from the title, transliterated to ASCII (python-slugify: «بيان مشترك»
    gives byn-mshtrk) and cut at a word within 60 letters; document-<date>-<language>
    for a title with nothing to transliterate."""
    text = slugify(title, max_length=60, word_boundary=True)
    return text or "-".join(p for p in ("document", date, language) if p)


# --- Heading ------------------------------------------------------------------------------

#: A dateline: the date, and a place of at most this many words ("Beirut, 26 July 2021").
DATELINE_WORDS = 4


def heading_lines(text: str, title: str, date: str) -> list[str]:
    """The lines at the top of the text that the title and the date were read
    from (the title as a line of its own, a dateline): in the body they would
    repeat the description and shift every paragraph number a citation uses."""
    found: list[str] = []
    seen_title = seen_date = False
    for line in text.lstrip().split("\n")[:6]:
        stripped = line.strip()
        if not stripped:
            found.append(line)
            continue
        if not seen_title and title and fold(stripped.lstrip("#").strip()) == fold(title):
            seen_title = True
        elif not seen_date and date and _is_dateline(stripped, date):
            seen_date = True
        else:
            break
        found.append(line)
    while found and not found[-1].strip():
        found.pop()
    return found


def _is_dateline(line: str, date: str) -> bool:
    dates = [d for d in find_dates(line) if d.value == date]
    if not dates or len(line) > 120:
        return False
    rest = line
    for found in dates:
        rest = rest.replace(found.original, " ")
    return len(re.findall(r"[^\W\d_]+", rest)) <= DATELINE_WORDS


def without_top_lines(text: str, count: int) -> str:
    """`text` without its first `count` lines (after leading blank lines), and
    the blank lines that then lead it."""
    return "\n".join(text.lstrip().split("\n")[count:]).lstrip()


# --- Title --------------------------------------------------------------------------------

_GENERIC_TITLE = re.compile(
    r"^(untitled|sans titre|document\d*|microsoft word|page \d+|\W*|بدون عنوان)$", re.I
)


def _propose_title(extracted: Extracted, original_name: str, text: str, flags) -> str:
    title = _meta_str(extracted.front_matter, "title")
    if title:
        return title
    declared = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", extracted.title or "").strip()
    stem = PurePath(original_name).stem
    if (
        3 <= len(declared) <= 300
        and not _GENERIC_TITLE.match(declared)
        and not re.search(r"\.(docx?|pdf|html?|txt|md)$", declared, re.I)
        and declared.casefold() != stem.casefold()
    ):
        return declared
    for line in text.split("\n")[:15]:
        line = line.strip().lstrip("#").strip()
        words = line.split()
        if 2 <= len(words) <= 30 and len(line) <= 300 and not DATE_LABEL.match(fold(line)):
            return line
    flags.append(Flag("title", N_("No title found; the file name was used.")))
    return stem


# --- Language -----------------------------------------------------------------------------

#: Per language, its function words, and its elided forms (l', qu') a word may start with.
_COMMON = {code: frozenset(lang.common_words.split()) for code, lang in LANGUAGE_TABLE.items()}
_ELIDED = {
    code: re.compile(rf"^(?:{'|'.join(lang.elisions.split())})['’]\w", re.I)
    for code, lang in LANGUAGE_TABLE.items()
    if lang.elisions
}
#: Share of the words above which a second language is worth a flag.
MIXED_SHARE = 0.2


def language_shares(text: str) -> dict[str, float]:
    """Share of the words in each language.

    A word counts for its script (Arabic or Latin); a script's words are split
    between its languages in the proportion of each one's function words among
    them (all to the first, English for Latin, where none are found).
    """
    words = {"arabic": 0, "latin": 0}
    hits = dict.fromkeys(LANGUAGE_TABLE, 0)
    for match in _word_matches(text):
        word = match.group()
        script = "arabic" if is_arabic(word) else "latin" if any(c.isalpha() for c in word) else ""
        if not script:
            continue
        words[script] += 1
        lower = word.casefold()
        for code, lang in LANGUAGE_TABLE.items():
            if lang.script == script:
                elided = code in _ELIDED and _ELIDED[code].match(lower) is not None
                hits[code] += lower in _COMMON[code] or elided
    total = sum(words.values())
    shares = dict.fromkeys(LANGUAGE_TABLE, 0.0)
    if not total:
        return shares
    for script, count in words.items():
        codes = [c for c, lang in LANGUAGE_TABLE.items() if lang.script == script]
        if script == "latin" and DEFAULT_LATIN in codes:
            codes.remove(DEFAULT_LATIN)
            codes.insert(0, DEFAULT_LATIN)
        found = sum(hits[c] for c in codes)
        for code in codes:
            if found:
                shares[code] = count * hits[code] / found / total
            elif code == codes[0]:
                shares[code] = count / total
    return shares


def _propose_language(meta: dict, text: str, flags) -> str:
    shares = language_shares(text)
    ranked = sorted(shares, key=lambda lang: -shares[lang])
    declared = meta.get("language")
    language = declared if declared in LANGUAGES else ranked[0]
    others = [lang for lang in ranked if lang != language and shares[lang] > MIXED_SHARE]
    if others:
        flags.append(
            Flag(
                "language",
                N_("The text mixes languages: {shares}. Check the language, or split the file."),
                {
                    "shares": tuple(
                        (lang, round(shares[lang] * 100))
                        for lang in ranked
                        if round(shares[lang] * 100)
                    )
                },
            )
        )
    return language


# --- Type ---------------------------------------------------------------------------------

#: Language -> type -> its cues: (where it is looked for, regular expression on folded text,
#: weight). Where: "title", "opening" (the first lines under the title, where a salutation or
#: "this statement" stands) or "text" (the title and all the text), or several of them. The
#: weights: 8 names the type (in a title or a heading, a salutation, a closing formula); 4 is
#: strong (case fields, an imperative headline); 2 and 3 are moderate ("we, the undersigned"
#: opens joint statements too); 1 is weak (a list of signatories; a case's events, which
#: letters and statements tell too).
TYPE_CUES: dict[str, dict[str, list[tuple[tuple[str, ...], re.Pattern, int]]]] = {
    code: {
        doc_type: [
            (tuple(where.split()), re.compile(pattern, re.M), weight)
            for where, pattern, weight in lang.type_cues.get(doc_type, ())
        ]
        for doc_type in TYPES
    }
    for code, lang in LANGUAGE_TABLE.items()
}
#: The opening: the first lines under the title, up to this many lines or characters.
OPENING_LINES, OPENING_CHARS = 8, 600
#: A type is proposed without a flag when its score is at least this, and the runner-up's
#: at most this share of it.
SURE_SCORE, SURE_SHARE = 4, 0.5


def _opening(title: str, text: str) -> str:
    """The first lines of the text, a first line that repeats the title left out."""
    lines = [line for line in text.split("\n") if line.strip()][: OPENING_LINES + 1]
    if lines and fold(lines[0]).strip(" #") in fold(title):
        lines = lines[1:]
    opening: list[str] = []
    for line in lines[:OPENING_LINES]:
        opening.append(line)
        if sum(map(len, opening)) >= OPENING_CHARS:
            break
    return "\n".join(opening)


def type_scores(title: str, text: str) -> dict[str, int]:
    """A score per document type: the weights of its cues found (each cue counts once), in
    the language whose cues give it the most (so that "prison" is not counted twice)."""
    sections = {
        "title": fold(title),
        "opening": fold(_opening(title, text)),
        "text": fold(title + "\n" + text),
    }
    scores = dict.fromkeys(TYPES, 0)
    for cues in TYPE_CUES.values():
        for doc_type in TYPES:
            score = sum(
                weight
                for where, pattern, weight in cues[doc_type]
                if any(pattern.search(sections[section]) for section in where)
            )
            scores[doc_type] = max(scores[doc_type], score)
    return scores


def _propose_type(meta: dict, title: str, text: str, flags) -> str:
    if meta.get("type") in TYPES:
        return meta["type"]
    scores = type_scores(title, text)
    # A tie goes to statement, the type assumed when nothing says otherwise.
    best, second = sorted(TYPES, key=lambda t: (-scores[t], t != "statement"))[:2]
    if scores[best] == 0:
        flags.append(Flag("type", N_("No cue for the type; statement was assumed.")))
        return "statement"
    if scores[best] < SURE_SCORE or scores[second] > SURE_SHARE * scores[best]:
        flags.append(
            Flag("type", N_("Unsure of the type ({type} assumed); check it."), {"type": best})
        )
    return best


#: (case status, regular expression on folded text), in every language; the first found wins.
_STATUS_CUES = tuple(
    (status, "|".join(c for lang in LANGUAGE_TABLE.values() if (c := lang.status_cues.get(status))))
    for status in ("deceased", "released", "sentenced", "detained", "exile", "targeted")
)


def _guess_status(text: str) -> str | None:
    folded = fold(text)
    return next((status for status, cue in _STATUS_CUES if re.search(cue, folded)), None)


def _ranked(mentions: list[Mention], kind: str) -> list[str]:
    """Ids of one kind, most mentioned first (first mention breaks ties)."""
    counts = Counter(m.entity.id for m in mentions if m.entity.kind == kind)
    first = {}
    for m in mentions:
        first.setdefault(m.entity.id, m.position)
    return sorted(counts, key=lambda e: (-counts[e], first[e]))


def _checked_ids(meta: dict, key: str, known, flags, field_name: str) -> list[str] | None:
    declared = _meta_list(meta, key)
    if declared is None:
        return None
    unknown = [v for v in declared if v not in known]
    if unknown:
        flags.append(
            Flag(
                field_name,
                N_("The front matter names unknown ids: {ids}"),
                {"ids": ", ".join(unknown)},
            )
        )
    return [v for v in declared if v in known]


#: Arabic "عمان" alone (with a conjunction or preposition) is Oman or Amman.
_OMAN_OR_AMMAN = re.compile(r"^(?:و|ب|ل|ف|وب|ول)?عمان$")


def _propose_countries(meta: dict, mentions: list[Mention], registry: Registry, flags) -> list:
    declared = _checked_ids(meta, "countries", registry.countries, flags, "countries")
    if declared is not None:
        return declared
    bare = [
        m
        for m in mentions
        if m.entity.id == "OM" and len(m.words) == 1 and _OMAN_OR_AMMAN.match(fold(m.words[0]))
    ]
    # Written with its marks, the word says which it is: عمّان (a shadda on the
    # meem) is the city, عُمان (a damma on the ain) the country.
    amman = [m for m in bare if "م\u0651" in m.words[0]]
    mentions = [m for m in mentions if m not in amman]
    ambiguous = [m for m in bare if m not in amman and "ع\u064f" not in m.words[0]]
    if ambiguous:
        flags.append(
            Flag(
                "countries",
                N_("{word} may mean Oman or the city of Amman (Jordan); check the countries."),
                {"word": strip_marks(ambiguous[0].words[0])},
            )
        )
    return _ranked(mentions, "country")


def _propose_organisations(meta, signatories, mentions, registry: Registry, flags) -> list:
    declared = _checked_ids(meta, "organisations", registry.organisations, flags, "organisations")
    if declared is not None:
        return declared
    return list(dict.fromkeys([*signatories, *_ranked(mentions, "organisation")]))


def _propose_people(meta, mentions, registry: Registry, flags) -> list:
    declared = _checked_ids(meta, "people", registry.people, flags, "people")
    if declared is not None:
        return declared
    return _ranked(mentions, "person")
