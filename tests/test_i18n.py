"""Message catalogues: complete in Arabic and French, with Arabic plurals right."""

from __future__ import annotations

import shutil

import pytest
from babel.messages.pofile import read_po

from archive.i18n import (
    ARABIC_PLURAL_FORMS,
    LOCALES,
    TRANSLATIONS_DIR,
    load_catalogue,
    ngettext,
    text_direction,
)


def catalogue(locale: str):
    with open(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


@pytest.mark.parametrize("locale", ["ar", "fr"])
def test_every_message_is_translated(locale):
    untranslated = []
    for message in catalogue(locale):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or "fuzzy" in message.flags:
            untranslated.append(message.id)
    assert untranslated == []


def test_english_catalogue_lists_the_same_messages():
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue("en") if m.id}
    assert ids == {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue("ar") if m.id}


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "لا توجد وثائق"),
        (1, "وثيقة واحدة"),
        (2, "وثيقتان"),
        (3, "3 وثائق"),
        (10, "10 وثائق"),
        (11, "11 وثيقةً"),  # 11–99: the accusative singular, form 4
        (99, "99 وثيقةً"),
        (100, "100 وثيقة"),  # 100–102: the genitive singular, form 5
        (102, "102 وثيقة"),
        (103, "103 وثائق"),
    ],
)
def test_arabic_plural_forms(n, expected):
    assert ngettext("{n} document", "{n} documents", n, "ar") == expected


def test_the_arabic_catalogue_has_the_standard_plural_header():
    assert catalogue("ar").plural_forms.replace(" ", "") == ARABIC_PLURAL_FORMS.replace(" ", "")


def test_a_catalogue_with_babels_swapped_arabic_header_is_refused(tmp_path):
    folder = tmp_path / "ar" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    source = TRANSLATIONS_DIR / "ar" / "LC_MESSAGES" / "messages.po"
    text = source.read_text(encoding="utf-8").replace(
        "n%100>=11 ? 4 : 5", "n%100>=0 && n%100<=2 ? 4 : 5"
    )
    (folder / "messages.po").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="messages.po: Plural-Forms must be"):
        load_catalogue(folder / "messages.po")
    shutil.rmtree(tmp_path / "ar")


@pytest.mark.parametrize(("locale", "direction"), [("ar", "rtl"), ("en", "ltr"), ("fr", "ltr")])
def test_text_direction_comes_from_babel(locale, direction):
    assert locale in LOCALES
    assert text_direction(locale) == direction
