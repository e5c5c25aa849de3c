"""The signatories of a joint letter: the list under its heading, matched
with the registry's organisations."""

from __future__ import annotations

import re
from functools import lru_cache

from ..analysis import EXACT, is_arabic, terms_of
from ..analysis import word_matches as _word_matches
from ..languages import LANGUAGE_TABLE
from ..registry import Entity, Registry
from .common import LIST_MARKER, fold, fold_map
from .names import scan_names

# --- Signatories --------------------------------------------------------------------------

#: Headings of signatory lists, folded (lower case, no accents, Arabic normalised).
#: Headings over a list of signatories (regular expressions on folded text), in every language.
SIGNATORY_HEADINGS = tuple(h for lang in LANGUAGE_TABLE.values() for h in lang.signatory_headings)
_HEADING = re.compile(
    r"(?:^|(?<=[.!?؛]\s)|(?<=[.!?؛]))[^\w(]*(?:" + "|".join(SIGNATORY_HEADINGS) + r")(?!\w)"
    r"(?:\s*\(\d+\))?\s*(?P<colon>[:：\-–])?\s*",
)


_LIST_END = re.compile(
    r"^(?:follow us|share|latest|read more|related|subscribe|newsletter|suivez|partager|"
    r"abonnez|تابعونا|شارك|للاشتراك|اقرا ايضا)",
)
#: Column headings of signatory tables.
_NOT_A_NAME = frozenset(
    fold(w)
    for w in "organisation organization organisations name country nom pays signature no no. "
    "n° # number المنظمة الاسم البلد الدولة الرقم رقم".split()
)
#: Longest list item taken for a name, in words.
MAX_NAME_LENGTH = 15
#: Least token_sort_ratio for a fuzzy match of a signatory to the registry.
FUZZY_THRESHOLD = 90


def find_signatories(text: str, registry: Registry) -> tuple[list[str], list[str]]:
    """Registry ids of the signatories listed in `text`, and the names it does not know."""
    return match_signatories(signatory_items(text, registry), registry)


def match_signatories(items: list[str], registry: Registry) -> tuple[list[str], list[str]]:
    """Registry ids of the listed names (each once, in order), and the names unknown."""
    ids: list[str] = []
    unknown: list[str] = []
    for item in items:
        entity = match_organisation(item, registry)
        if entity:
            ids.append(entity.id)
        elif _plausible_name(item):
            unknown.append(item)
    return list(dict.fromkeys(ids)), list(dict.fromkeys(unknown))


def without_items(text: str, items: list[str]) -> str:
    """`text` without the listed names (the last occurrence of each: lists come last)."""
    for item in items:
        start = text.rfind(item)
        if start < 0:
            continue
        end = start + len(item)
        line_start, line_end = text.rfind("\n", 0, start) + 1, text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        if " | " in text[line_start:line_end]:  # a table row: its other cells go too
            start, end = line_start, line_end
        text = text[:start] + "\n" + text[end:]
    return text


def signatory_items(text: str, registry: Registry) -> list[str]:
    """The names listed under signatory headings.

    Lists follow a heading ("Signed by:", "Signatories", "Coalition Members:",
    "الموقعون", "Signataires"…): numbered, bulleted or one name per line, or run
    together on one line, where the names the registry knows show where to cut.
    """
    lines = text.split("\n")
    items: list[str] = []
    i = 0
    while i < len(lines):
        rest = _heading_rest(lines[i], registry)
        i += 1
        if rest is None:
            continue
        if rest:
            items.extend(_inline_items(rest, registry))
            continue
        count, gap, spaced = 0, False, False
        while i < len(lines):
            line = lines[i].strip()
            if not line:
                gap = count > 0  # a blank line since the last name
            elif _heading_rest(line, registry) is not None or _ends_list(line):
                break
            elif count >= 2 and gap and not spaced:
                break  # names one per line end at a blank line; one per paragraph do not
            else:
                spaced = gap if count == 1 else spaced
                items.append(_table_item(LIST_MARKER.sub("", line), registry))
                count, gap = count + 1, False
            i += 1
    return [item for item in items if item]


def _heading_rest(line: str, registry: Registry) -> str | None:
    """What follows a signatory heading on `line` ("" if nothing), None without a heading.

    A heading starts its line or a sentence, and ends the line, has a colon, or is
    followed by a name the registry knows (a list run together with the text).
    """
    if not _HEADING.search(fold(line)):
        return None
    folded, origin = fold_map(line)
    for match in _HEADING.finditer(folded):
        rest = line[origin[match.end()] :].strip()
        if not rest or (match.start() == 0 and match.group("colon")):
            return rest
        first = next(scan_names(rest, registry, ("organisation",)), None)
        if first is not None and first[0] == 0:
            return rest
    return None


def _ends_list(line: str) -> bool:
    words = line.split()
    return (
        len(words) > MAX_NAME_LENGTH
        or line.endswith(":")
        or bool(_LIST_END.match(fold(line)))
        or (line.endswith(".") and len(words) > 8)
    )


def _inline_items(rest: str, registry: Registry) -> list[str]:
    """Names on the heading's own line: one, separated by commas, or run together."""
    parts = [p.strip() for p in re.split(r"[,;،؛]", rest) if p.strip()]
    if all(len(p.split()) <= MAX_NAME_LENGTH for p in parts):
        merged: list[str] = []
        for part in parts:  # "El Nadim Center, Egypt" is one name
            if merged and registry.names.find(part, "country"):
                merged[-1] += ", " + part
            else:
                merged.append(part)
        return merged
    return split_run_together(rest, registry)


def split_run_together(text: str, registry: Registry) -> list[str]:
    """Cut a run of names with no separators at the names the registry knows.

    An acronym in brackets after a name stays with it; unknown stretches are cut after a
    closing bracket; a long unknown stretch means the list has ended.
    """
    items: list[str] = []
    cursor = 0
    for _start, _end, words, _entities in scan_names(text, registry, ("organisation",)):
        begin, end = words[0].start(), words[-1].end()
        gap = text[cursor:begin].strip()
        if len(gap.split()) > 12:
            return items
        items.extend(p.strip() for p in re.split(r"(?<=\))", gap) if p.strip())
        bracket = re.match(r"\s*\([^()]{1,40}\)", text[end:])
        end += bracket.end() if bracket else 0
        items.append(text[begin:end].strip())
        cursor = end
    tail = text[cursor:].strip()
    if tail and len(tail.split()) <= 12:
        items.extend(p.strip() for p in re.split(r"(?<=\))", tail) if p.strip())
    return items


def _table_item(line: str, registry: Registry) -> str:
    """A table row ("1 | Access Now | Lebanon"): the cell that names an organisation."""
    if " | " not in line:
        return line.strip(" .;,،")
    cells = [c.strip() for c in line.split(" | ") if c.strip() and not c.strip().isdigit()]
    if any(fold(c) in _NOT_A_NAME for c in cells):
        return ""  # the heading row
    for cell in cells:
        if match_organisation(cell, registry):
            return cell
    return cells[0] if cells else ""


def _plausible_name(item: str) -> bool:
    words = item.split()
    return (
        0 < len(words) <= MAX_NAME_LENGTH
        and len(item) <= 150
        and fold(item) not in _NOT_A_NAME
        and (any(w[:1].isupper() for w in words) or is_arabic(item))
    )


def match_organisation(name: str, registry: Registry) -> Entity | None:
    """The registry organisation `name` means: by exact name, acronym or variant (with and
    without what is in brackets, or a trailing country), else by a close spelling."""
    name = name.strip(" .;,،")
    bare = re.sub(r"\s*\([^()]*\)", "", name).strip()
    tries = [name, bare, re.sub(r"\s*[,–-]\s*[^,–-]+$", "", bare).strip()]
    tries += re.findall(r"\(([^()]+)\)", name)
    for candidate in tries:
        if candidate:
            found = registry.names.find(candidate, "organisation")
            if found:
                return found[0]
    return _fuzzy_organisation(bare or name, registry)


def _normalised_name(name: str) -> str:
    return " ".join(t for m in _word_matches(name) for t in terms_of(m.group(), EXACT))


@lru_cache(maxsize=8)
def _fuzzy_choices(registry: Registry) -> tuple[list[str], list[Entity]]:
    names, entities = [], []
    for entity in registry.organisations.values():
        for name in entity.all_names:
            if not name.isupper():
                names.append(_normalised_name(name))
                entities.append(entity)
    return names, entities


def _fuzzy_organisation(name: str, registry: Registry) -> Entity | None:
    from rapidfuzz import fuzz, process

    query = _normalised_name(name)
    if len(query) < 6:
        return None
    names, entities = _fuzzy_choices(registry)
    best = process.extractOne(
        query, names, scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_THRESHOLD
    )
    return entities[best[2]] if best else None
