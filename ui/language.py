"""The interface language applied to Qt: the catalogs' language, the layout direction (the
whole layout mirrors for Urdu, Pashto and Dari) and the bundled font of the script: Urdu in
Nastaliq, drawn by HarfBuzz through ``ui.widgets.nastaliq_style``, ``Label``, ``LineEdit``
and ``TextEdit`` (Qt's own drawing of Nastaliq is broken, see ``ui.widgets.nastaliq_text``);
Pashto and Dari in Naskh."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication, QStyle

from caseapp.i18n import LANGUAGES, is_rtl, set_language
from caseapp.i18n.fonts import NASKH, NASTALIQ, SANS, fallback_families, qt_font_files

_registered = False
# Arabic-script text needs a larger size than Latin text to be as legible at the same point size.
_POINT_SIZE = {"ur": 11, "ps": 11, "fa_AF": 11, "en": 10}
# Widgets that draw their text with Qt's own text engine, where the user types or Qt draws
# past the style: they keep Naskh in Urdu, correct letters in a plainer hand. One-line fields
# are ``ui.widgets.line_edit.LineEdit`` and multi-line editors (the case's notes)
# ``ui.widgets.text_edit.TextEdit``, a QPlainTextEdit: both draw the Nastaliq they are typed
# in themselves (cursor, selection and clicks over HarfBuzz's clusters), so neither class is
# here. QTextEdit (rich text, which TextEdit does not draw) stays: no screen has one, and one
# added would show correct Naskh rather than broken Nastaliq. Spin boxes and date edits are
# ``ui.widgets.spin_box``'s, whose text is a LineEdit; the calendar a date edit pops up is
# Qt's and stays. Qt's QMessageBox sizes its text with Qt's (wrong) Nastaliq widths (the
# desktop's own message boxes are ``ui.widgets.message``). Qt's tooltip label draws it
# without the style: the Urdu interface's tooltips are shown in a Nastaliq popup of our own
# (``ui.widgets.tooltip``), and QTipLabel's Naskh is left only for a tooltip that holds no
# Arabic letters. Qt's own file dialog has plain QLineEdits. Menus are Nastaliq
# (``ui.widgets.nastaliq_menu``).
_EDITING = ("QTextEdit", "QMessageBox", "QTipLabel", "QCalendarWidget", "QFileDialog")
_style: QStyle | None = None
_QT_LOCALE = {"en": "en_GB", "ur": "ur_PK", "ps": "ps_AF", "fa_AF": "fa_AF"}


def register_fonts() -> None:
    global _registered
    if not _registered:
        for path in qt_font_files():
            QFontDatabase.addApplicationFont(str(path))
        _registered = True


def font_for(lang: str, scale: float = 1.0, editing: bool = False) -> QFont:
    """The interface font of ``lang``; ``editing``: for the widgets of ``_EDITING``. Only
    the Urdu interface font is Nastaliq: elsewhere (an Urdu name in an English list, say)
    Arabic script falls back to Naskh, which Qt draws correctly."""
    if lang == "ur":
        families = [NASKH, SANS] if editing else fallback_families(lang)
    else:
        families = [f for f in fallback_families(lang) if f != NASTALIQ]
    font = QFont()
    font.setFamilies(families)
    font.setPointSizeF(_POINT_SIZE.get(lang, 10) * scale)
    return font


def install_style(app: QApplication) -> None:
    """The platform's style with Nastaliq drawn by HarfBuzz, from the first switch to Urdu
    on (it acts on Nastaliq text only, so it can stay; the English start does without it)."""
    global _style
    from ui.widgets.nastaliq_style import NastaliqStyle

    if not isinstance(app.style(), NastaliqStyle):
        _style = NastaliqStyle()
        app.setStyle(_style)


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
    if isinstance(app, QApplication) and lang == "ur":
        install_style(app)
    app.setFont(font_for(lang))
    if isinstance(app, QApplication):
        for name in _EDITING:
            QApplication.setFont(font_for(lang, editing=True), name)  # type: ignore[arg-type]


@cache
def urdu_font() -> QFont:
    """For a label or a list column that holds Urdu script whatever the interface language:
    Nastaliq (drawn by ``Label`` and the style)."""
    return font_for("ur")


@cache
def urdu_edit_font() -> QFont:
    """For a field where Urdu is typed whatever the interface language: Nastaliq, drawn by
    ``ui.widgets.line_edit.LineEdit`` or ``ui.widgets.text_edit.TextEdit``."""
    return font_for("ur")


def isolate_ltr(text: str) -> str:
    """Keep a left-to-right run (a case number, a CNIC) in its own order inside right-to-left
    text: without the isolate, "2026-3FA9C01B-00012" shows as "3FA9C01B-00012-2026"."""
    return f"\u2066{text}\u2069" if text else text
