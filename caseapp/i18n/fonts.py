"""The bundled fonts (``caseapp/resources/fonts``, SIL OFL 1.1) and which one each language is
set in: Urdu in Nastaliq, Pashto and Dari in Naskh, English in Noto Sans. The desktop and the
documents both register these files with Qt, so every machine renders the same glyphs."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"

# Family names as the font files declare them (what Qt's font database reports).
SANS = "Noto Sans"
NASTALIQ = "Noto Nastaliq Urdu"
NASKH = "Noto Naskh Arabic"

_FAMILY_BY_LANGUAGE = {"en": SANS, "ur": NASTALIQ, "ps": NASKH, "fa_AF": NASKH}


def font_files() -> list[Path]:
    """Every bundled font file, in a stable order."""
    return sorted(FONT_DIR.glob("*.ttf"))


def qt_font_files() -> list[Path]:
    """The files to register with Qt's font database. Not the Nastaliq bold file: it declares
    weight 400 like the regular one, so Qt would take it for all Urdu, and the glyphs that
    HarfBuzz shapes from the regular file (``caseapp.i18n.nastaliq``) would be drawn from the
    bold one — heavier strokes in every PDF made after the desktop had registered it. Urdu is
    set in the regular weight only."""
    return [path for path in font_files() if path.name != "NotoNastaliqUrdu-Bold.ttf"]


def family_for(lang: str) -> str:
    """The family a text in ``lang`` is set in; Latin runs fall back to Noto Sans."""
    return _FAMILY_BY_LANGUAGE.get(lang, SANS)


def fallback_families(lang: str) -> list[str]:
    """The family for ``lang`` first, then the others, so mixed-script text always has glyphs."""
    first = family_for(lang)
    return [first, *(f for f in (SANS, NASTALIQ, NASKH) if f != first)]
