"""Languages: message catalogues, locale-aware labels and text direction.

The catalogues are the ``.po`` files of the ``translations/`` folder
(`resources.folder`); they are read and compiled in memory on first use, so
that nothing is written into an installed package. The Arabic catalogue's
``Plural-Forms`` header is the standard GNU one: Babel generates one whose
forms 4 and 5 are swapped (100–102 would take the 11–99 form), so
`load_catalogue` refuses a catalogue that carries it.
"""

from __future__ import annotations

import contextlib
import io
import re
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from markupsafe import Markup, escape

from .resources import folder

TRANSLATIONS_DIR = folder("translations")
LOCALES = ("ar", "en", "fr")
DOMAIN = "messages"

#: The standard Arabic plural rule: 0, 1, 2, 3–10, 11–99, and 100–102 & co.
ARABIC_PLURAL_FORMS = (
    "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"
)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def load_catalogue(po_path: Path) -> Translations:
    """A ``.po`` file compiled in memory; ValueError naming the file if its
    Arabic plural header is not the standard one."""
    with open(po_path, "rb") as handle:
        catalogue = read_po(handle, locale=po_path.parent.parent.name)
    if catalogue.locale and catalogue.locale.language == "ar":
        expected = ARABIC_PLURAL_FORMS.replace(" ", "")
        if catalogue.plural_forms.replace(" ", "") != expected:
            raise ValueError(f"{po_path}: Plural-Forms must be {ARABIC_PLURAL_FORMS}")
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def catalogue_paths(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    return sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def update_catalogues(directory: Path = TRANSLATIONS_DIR) -> None:
    """Extract the messages of the code and templates and merge them into every catalogue.

    New catalogues are created; the Arabic one gets the standard plural header.
    """
    from babel.messages.frontend import CommandLineInterface

    def pybabel(*args: str) -> None:
        CommandLineInterface().run(["pybabel", "-q", *args])

    template = directory / f"{DOMAIN}.pot"
    with contextlib.chdir(directory.parent):
        pybabel(
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "lazy_gettext",
            "--sort-by-file",
            "--project",
            "archive",
            "--version",
            "1",
            "-o",
            str(template),
            ".",
        )
    for locale in LOCALES:
        po_path = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        command = "update" if po_path.exists() else "init"
        extra = ["--ignore-obsolete"] if command == "update" else []
        pybabel(command, "-i", str(template), "-d", str(directory), "-l", locale, *extra)
        if locale == "ar":
            text = po_path.read_text(encoding="utf-8")
            header = f'"Plural-Forms: {ARABIC_PLURAL_FORMS}\\\\n"\n'
            text = re.sub(r'"Plural-Forms: .*?\\n"\n', header, text, count=1, flags=re.S)
            po_path.write_text(text, encoding="utf-8")


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue for a locale (none: the msgids, which are English)."""
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    return load_catalogue(path) if path.exists() else NullTranslations()


def gettext(message: str, locale: str = "en", **params) -> str:
    text = translations(locale).gettext(message)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, locale: str = "en", **params) -> str:
    text = translations(locale).ngettext(singular, plural, n)
    return text.format(n=n, **params)


def text_direction(locale: str) -> str:
    return Locale.parse(locale).text_direction


def language_name(code: str, locale: str = "en") -> str:
    """A language's name in `locale`, from Babel's CLDR data ("ar" -> "Arabic")."""
    return Locale.parse(locale).languages.get(code, code)


# --- Dates ----------------------------------------------------------------------------


@cache
def format_iso_date(value: str, locale: str = "en") -> str:
    """A (possibly partial) ISO date in the reader's language, with Latin digits."""
    import datetime as dt

    from babel.dates import format_date, format_skeleton

    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3 and parts[1] and parts[2]:
        return format_date(dt.date(*parts), "long", locale=locale)
    if len(parts) >= 2 and parts[1]:
        return format_skeleton("yMMMM", dt.date(parts[0], parts[1], 1), locale=locale)
    return str(parts[0])


@cache
def hijri_date(value: str, locale: str = "en") -> str | None:
    """The Hijri date of a full ISO date ("16 Dhu al-Hijjah 1442"), None for partial dates."""
    from hijridate import Gregorian

    parts = value.split("-")
    if len(parts) != 3:
        return None
    try:
        hijri = Gregorian(*(int(p) for p in parts)).to_hijri()
    except (OverflowError, ValueError):
        return None
    month = hijri.month_name("ar" if locale == "ar" else "en")
    suffix = "هـ" if locale == "ar" else "AH"
    return f"{hijri.day} {month} {hijri.year} {suffix}"


# --- The web application ---------------------------------------------------------------


def init_app(app) -> None:
    """Flask-Babel with the language taken from the URL prefix (/ar/, /en/, /fr/)."""
    from flask import abort, g, request
    from flask_babel import Babel

    from .errors import ArchiveError

    languages = tuple(app.config.get("LANGUAGES") or LOCALES)
    unknown = [code for code in languages if code not in LOCALES]
    if unknown:
        raise ArchiveError(
            N_("LANGUAGES: {codes} has no catalogue (there are: {choices})"),
            codes=", ".join(unknown),
            choices=", ".join(LOCALES),
        )
    app.config["LANGUAGES"] = languages
    for locale in languages:  # a broken catalogue stops the app at once
        translations(locale)
    app.config["BABEL_DEFAULT_LOCALE"] = fallback_language(languages)

    def select_locale() -> str:
        return g.get("lang") or select_locale_from_headers(request)

    Babel(app, locale_selector=select_locale, configure_jinja=False)

    @app.url_value_preprocessor
    def pull_language(endpoint, values):
        if values and "lang" in values:
            g.lang = values.pop("lang")
            if g.lang not in languages:
                g.lang = select_locale_from_headers(request)
                abort(404)

    @app.url_defaults
    def add_language(endpoint, values):
        if "lang" not in values and app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.get("lang") or fallback_language(languages)

    @app.context_processor
    def language_context():
        lang = g.get("lang") or select_locale()
        return {
            "lang": lang,
            "direction": text_direction(lang),
            "interface_languages": [(code, Locale.parse(code).display_name) for code in languages],
        }

    app.jinja_env.globals.update(
        _=template_gettext, gettext=template_gettext, ngettext=template_ngettext
    )
    app.jinja_env.filters["iso_date"] = lambda value: format_iso_date(value, get_locale_code())
    app.jinja_env.filters["hijri"] = lambda value: hijri_date(value, get_locale_code())
    app.jinja_env.filters["language_name"] = lambda code: language_name(code, get_locale_code())
    app.jinja_env.filters["number"] = lambda n: format_number(n, get_locale_code())
    app.jinja_env.filters["isolate"] = isolate


@lru_cache(maxsize=4096)
def format_number(n: int, locale: str) -> str:
    """A count in the reader's locale, with Latin digits (Babel)."""
    return format_decimal(n, locale=locale)


def get_locale_code() -> str:
    from flask import g

    return g.get("lang") or fallback_language(interface_languages())


def interface_languages() -> tuple[str, ...]:
    """The app's interface languages (the `LANGUAGES` setting), in the order shown."""
    from flask import current_app

    return current_app.config["LANGUAGES"]


def fallback_language(languages: tuple[str, ...]) -> str:
    """The language of a reader whose browser asks for none of `languages`:
    English when it is one of them, else the first."""
    return "en" if "en" in languages else languages[0]


def template_gettext(message: str, **params) -> Markup:
    """Templates' _(): the page's catalogue, with {brace} parameters like the
    code's. The text and each parameter are escaped, unless a parameter is
    markup already (a value isolated with the `isolate` filter)."""
    text = escape(translations(get_locale_code()).gettext(message))  # markup, escaped
    return text.format(**params) if params else text


def template_ngettext(singular: str, plural: str, n: int, **params) -> Markup:
    text = escape(translations(get_locale_code()).ngettext(singular, plural, n))
    return text.format(n=format_number(n, get_locale_code()), **params)


def isolate(value) -> Markup:
    """A value inside <bdi>: its direction is its own, and it leaves the
    direction of the words around it alone (a Latin name in Arabic text)."""
    return Markup("<bdi>{}</bdi>").format(value)


def select_locale_from_headers(request) -> str:
    """The interface language a browser asks for: saved choice, then Accept-Language."""
    languages = interface_languages()
    saved = request.cookies.get("lang")
    if saved in languages:
        return saved
    return request.accept_languages.best_match(languages) or fallback_language(languages)
