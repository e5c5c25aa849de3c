"""Dates written in the text, in Arabic, English or French, Gregorian or Hijri."""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from ..corpus import parse_date
from ..i18n import N_
from ..languages import LANGUAGE_TABLE
from .common import Extracted, Flag, fold, fold_map

# --- Dates --------------------------------------------------------------------------------

#: Babel locales whose month names dates are written with, in every language.
MONTH_LOCALES = tuple(locale for lang in LANGUAGE_TABLE.values() for locale in lang.month_locales)
#: Spellings CLDR lacks.
EXTRA_MONTHS = {
    name: n for lang in LANGUAGE_TABLE.values() for name, n in lang.extra_months.items()
}


@cache
def month_names() -> dict[str, int]:
    """Folded month name -> month number, from Babel's CLDR data plus `EXTRA_MONTHS`."""
    from babel.dates import get_month_names

    names: dict[str, int] = {}
    for locale in MONTH_LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    names[fold(name).rstrip(".")] = number
    for name, number in EXTRA_MONTHS.items():
        names[fold(name)] = number
    return names


@cache
def _date_patterns() -> list[tuple[str, re.Pattern]]:
    months = sorted(month_names(), key=len, reverse=True)
    month = "(?:" + "|".join(re.escape(m).replace(r"\ ", r"\s+") for m in months) + r")\.?"
    second = rf"(?:\s*[/(\-]\s*{month}\s*\)?)?"  # "تموز/يوليو", "juillet (تموز)"
    day = r"(\d{1,2})(?:er|st|nd|rd|th)?"
    year = r"(\d{4})(?!\d)(?:\s*م(?!\w))?"
    return [
        (
            "dmy",
            re.compile(
                rf"(?<![\d\w]){day}\s*(?:de\s+|of\s+|من\s+)?({month}){second}\s*[,،]?"
                rf"\s*{year}"
            ),
        ),
        ("mdy", re.compile(rf"(?<!\w)({month})\s+{day},?\s+{year}")),
        ("iso", re.compile(r"(?<![\d/.-])(\d{4})-(\d{2})-(\d{2})(?![\d/-])")),
        ("ymd", re.compile(r"(?<![\d/.])(\d{4})/(\d{1,2})/(\d{1,2})(?![\d/])")),
        ("numeric", re.compile(r"(?<![\d/.])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?![\d/.])")),
        ("my", re.compile(rf"(?<!\w)({month}){second}\s*[,،]?\s*{year}")),
    ]


DATE_LABEL = re.compile(
    r"^\W*(?:date[ds]?|dated|published(?: on)?|publie le|le|fait a [^,]+,? le|التاريخ|تاريخ|بتاريخ"
    r"|تاريخ النشر)\s*[:：]?\s*"
)


@dataclass(frozen=True)
class DateCandidate:
    """A date found in the text: ISO value, where, and how sure."""

    value: str  # YYYY-MM-DD or YYYY-MM
    position: int
    labelled: bool  # after "Date:", "التاريخ", … or alone on a short line near the top
    ambiguous: bool  # 03/04/2021: day and month could be swapped
    original: str


def find_dates(text: str) -> list[DateCandidate]:
    """Every date in `text`, in order: full dates first where a partial one overlaps."""
    folded, origin = fold_map(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", folded)]
    found: list[DateCandidate] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _date_patterns():
        for match in pattern.finditer(folded):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append(match.span())  # even if impossible: "31 February" is no "February"
            value, ambiguous = _date_value(kind, match)
            if not value:
                continue
            line_number = bisect.bisect_right(line_starts, match.start()) - 1
            line_end = folded.find("\n", match.start())
            line = folded[line_starts[line_number] : line_end if line_end >= 0 else None]
            prefix = folded[line_starts[line_number] : match.start()]
            others = len(line.split()) - len(match.group().split())
            labelled = bool(DATE_LABEL.match(prefix) and len(prefix.split()) <= 6) or (
                line_number < 15 and others <= 3  # a dateline: "Paris, le 1er mars 2020"
            )
            original = text[origin[match.start()] : origin[match.end()]]
            found.append(DateCandidate(value, match.start(), labelled, ambiguous, original))
    return sorted(found, key=lambda c: c.position)


def _date_value(kind: str, match: re.Match) -> tuple[str | None, bool]:
    groups = match.groups()
    ambiguous = False
    if kind == "dmy":
        day, month, year = int(groups[0]), month_names()[_month_key(groups[1])], int(groups[2])
    elif kind == "mdy":
        month, day, year = month_names()[_month_key(groups[0])], int(groups[1]), int(groups[2])
    elif kind in ("iso", "ymd"):
        year, month, day = (int(g) for g in groups)
    elif kind == "numeric":
        first, second, year = int(groups[0]), int(groups[2]), int(groups[3])
        day, month = (second, first) if first <= 12 < second else (first, second)
        ambiguous = first <= 12 and second <= 12 and first != second
    else:
        month, year = month_names()[_month_key(groups[0])], int(groups[1])
        return (f"{year:04d}-{month:02d}" if 1900 <= year <= 2100 else None), False
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None, False
    return (value.isoformat() if 1900 <= year <= 2100 else None), ambiguous


def _month_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().rstrip("."))


def propose_date(meta: dict, extracted: Extracted, title: str, text: str, flags) -> str:
    declared = meta.get("date")
    if declared not in (None, ""):
        value, reason = parse_date(declared)
        if value:
            return value
        flags.append(
            Flag("date", N_("The front matter date is not usable: {reason}"), {"reason": reason})
        )
    candidates = find_dates(title + "\n" + text)
    full = [c for c in candidates if len(c.value) == 10]
    labelled = [c for c in full if c.labelled]
    if labelled:
        chosen = labelled[0]
    elif extracted.date and parse_date(extracted.date)[0]:
        return extracted.date
    elif full or candidates:
        chosen = (full or candidates)[0]
        distinct = sorted({c.value for c in full})
        if len(distinct) > 1:
            flags.append(
                Flag(
                    "date",
                    N_("Several dates appear ({dates}); the first was taken. Check the date."),
                    {"dates": ", ".join(distinct[:5])},
                )
            )
    else:
        flags.append(Flag("date", N_("No date found; enter the date of the document.")))
        return ""
    if chosen.ambiguous:
        flags.append(
            Flag(
                "date",
                N_("{original} could be day/month or month/day; {date} was assumed."),
                {"original": chosen.original, "date": chosen.value},
            )
        )
    return chosen.value
