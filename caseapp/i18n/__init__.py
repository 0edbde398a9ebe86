"""One gettext catalog for core, documents and UI (ARCHITECTURE §8).

Catalogs live inside the package, in ``caseapp/i18n/locale/<lang>/LC_MESSAGES/caseapp.po``,
so an installed wheel carries them (package data) exactly as a checkout does. They are compiled
in memory on first use, so a checkout runs without a build step and a stale ``.mo`` can never
shadow an edited ``.po``.
"""

from __future__ import annotations

import gettext
import io
import os
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "caseapp"
# UI languages: English, Urdu, Pashto, Dari (Afghan Persian; Babel's locale id is fa_AF).
LANGUAGES: dict[str, str] = {"en": "English", "ur": "اردو", "ps": "پښتو", "fa_AF": "دری"}
RTL_LANGUAGES = frozenset({"ur", "ps", "fa_AF"})

_current = "en"
_cache: dict[str, gettext.NullTranslations] = {}


def translations_dir() -> Path:
    override = os.environ.get("CASEAPP_TRANSLATIONS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "locale"


def _load(lang: str) -> gettext.NullTranslations:
    if lang in _cache:
        return _cache[lang]
    po_path = translations_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    trans: gettext.NullTranslations
    if lang == "en" or not po_path.is_file():
        trans = gettext.NullTranslations()
    else:
        # imported here: English (and the unlock window) needs no catalog compiled
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po_path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        trans = gettext.GNUTranslations(buf)
    _cache[lang] = trans
    return trans


def set_language(lang: str) -> None:
    """Select the language for messages; unknown codes raise ValueError."""
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    _current = lang


def current_language() -> str:
    return _current


def is_rtl(lang: str | None = None) -> bool:
    return (lang or _current) in RTL_LANGUAGES


def gettext_for(lang: str, message: str) -> str:
    return _load(lang).gettext(message)


# Unicode FIRST STRONG ISOLATE / POP DIRECTIONAL ISOLATE: a Latin run (a case number, a
# field name, a path) filled into an Urdu sentence keeps its own direction and does not
# reorder the words around it in a right-to-left terminal.
FSI, PDI = "\u2068", "\u2069"
_isolate_embedded = False


def isolate_embedded_text(on: bool = True) -> None:
    """Wrap every filled-in value in direction isolates while the language is right-to-left
    (the command line turns this on; the desktop lays text out itself)."""
    global _isolate_embedded
    _isolate_embedded = on


def _filled(params: dict[str, object]) -> dict[str, object]:
    if not (_isolate_embedded and _current in RTL_LANGUAGES):
        return params
    return {k: f"{FSI}{v}{PDI}" if isinstance(v, str | int | float) and str(v) else v
            for k, v in params.items()}


def _(message: str, **params: object) -> str:
    """Translate ``message`` into the current language and fill %(name)s placeholders."""
    text = _load(_current).gettext(message)
    return text % _filled(params) if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = _load(_current).ngettext(singular, plural, n)
    return text % _filled({"n": n, **params})


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translated where shown)."""
    return message


# POSIX locale names -> UI language: ur_PK.UTF-8 -> ur, ps_AF -> ps, fa_AF / prs_AF -> fa_AF.
_LOCALE_LANGUAGES = {"ur": "ur", "ps": "ps", "pus": "ps", "fa": "fa_AF", "prs": "fa_AF",
                     "en": "en"}


def language_from_environment(environ: Mapping[str, str]) -> str | None:
    """The UI language the environment asks for, as gettext reads it (LANGUAGE, then LC_ALL,
    LC_MESSAGES, LANG); None when it names none of ours (C, POSIX, de_DE...)."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if not value:
            continue
        for name in value.split(":"):  # LANGUAGE may list several: "ur:en"
            base = name.split(".")[0].split("@")[0]
            if base in LANGUAGES:
                return base
            found = _LOCALE_LANGUAGES.get(base.split("_")[0].lower())
            if found:
                return found
        if var != "LANGUAGE":
            return None  # the first locale variable set decides, as in setlocale
    return None
