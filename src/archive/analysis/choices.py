"""The analysis choices `archive eval --compare` measures, and which are turned off."""

from __future__ import annotations

from .caches import _caches, _pair_caches, _stems

#: Analysis choices that `archive eval --compare NAME` measures by turning one
#: off (docs/search.md gives each one's measured effect).
CHOICES = {
    "clitics": "Arabic clitics و ف ب ل ك removed where the rest is a commoner word",
    "proper-nouns": "Arabic country and personal names kept whole by the stemmer",
    "suffixes": "Arabic accusative, pronoun and teh marbuta endings reduced",
    "stopwords": "Arabic stop list normalised like the tokens it filters",
    "fold-first": "Latin accents folded before stemming",
}
_off: set[str] = set()


def choice(name: str) -> bool:
    return name not in _off


def set_choices_off(names: set[str]) -> None:
    """Turn analysis choices off (for comparing them); clears every cache."""
    unknown = set(names) - set(CHOICES)
    if unknown:
        raise ValueError(f"unknown analysis choice: {', '.join(sorted(unknown))}")
    _off.clear()
    _off.update(names)
    _caches.clear()
    _pair_caches.clear()
    _stems.clear()
