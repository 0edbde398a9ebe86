"""The interface language applied to Qt: the catalogs' language, the layout direction (the
whole layout mirrors for Urdu, Pashto and Dari) and the bundled font of the script, with a
size that leaves Nastaliq's tall letters room."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication

from caseapp.i18n import LANGUAGES, is_rtl, set_language
from caseapp.i18n.fonts import NASKH, SANS, fallback_families, qt_font_files

_registered = False
# Arabic-script text needs a larger size than Latin text to be as legible at the same point size.
_POINT_SIZE = {"ur": 11, "ps": 11, "fa_AF": 11, "en": 10}
# Nastaliq letters reach past their advance on the right (where a right-to-left word starts)
# and above the line: widgets that clip to their text box need room on both sides.
_NASTALIQ_ROOM = """
QLineEdit, QComboBox, QSpinBox, QDateEdit { padding: 1px 8px; }
QTabBar::tab { padding: 4px 14px; }
QToolButton, QPushButton { padding: 3px 12px; }
QListView::item, QTableView::item { padding: 2px 8px; }
QLabel { padding: 0px 4px; }
"""
_QT_LOCALE = {"en": "en_GB", "ur": "ur_PK", "ps": "ps_AF", "fa_AF": "fa_AF"}


def register_fonts() -> None:
    global _registered
    if not _registered:
        for path in qt_font_files():
            QFontDatabase.addApplicationFont(str(path))
        _registered = True


# Qt (6.11 and 6.12 alike) misplaces Noto Nastaliq Urdu's cursive joins in widgets: words run
# into each other and spaces vanish ("علی ملک" drawn as one blot). The documents draw Nastaliq
# with HarfBuzz themselves (caseapp/documents/nastaliq.py); until the desktop does too, Urdu is
# set in Naskh on screen — correct letters in a plainer style rather than a broken Nastaliq.
_SCREEN_FAMILIES = {"ur": [NASKH, SANS]}


def font_for(lang: str, scale: float = 1.0) -> QFont:
    font = QFont()
    font.setFamilies(_SCREEN_FAMILIES.get(lang) or fallback_families(lang))
    font.setPointSizeF(_POINT_SIZE.get(lang, 10) * scale)
    return font


def apply_language(lang: str) -> None:
    """Switch the whole application to ``lang`` (one of ``caseapp.i18n.LANGUAGES``)."""
    if lang not in LANGUAGES:
        raise ValueError(lang)
    set_language(lang)
    register_fonts()
    app = QGuiApplication.instance()
    assert isinstance(app, QGuiApplication)
    QLocale.setDefault(QLocale(_QT_LOCALE[lang]))
    app.setLayoutDirection(Qt.LayoutDirection.RightToLeft if is_rtl(lang)
                           else Qt.LayoutDirection.LeftToRight)
    app.setFont(font_for(lang))
    if isinstance(app, QApplication):
        app.setStyleSheet(_NASTALIQ_ROOM if lang == "ur" else "")


@cache
def urdu_font() -> QFont:
    """For a field or label that holds Urdu script whatever the interface language."""
    return font_for("ur")


def isolate_ltr(text: str) -> str:
    """Keep a left-to-right run (a case number, a CNIC) in its own order inside right-to-left
    text: without the isolate, "2026-3FA9C01B-00012" shows as "3FA9C01B-00012-2026"."""
    return f"\u2066{text}\u2069" if text else text
