"""Spin boxes whose text is a ``LineEdit``, so that in the Urdu interface what they show — a
special value such as "any", a date — is drawn in Nastaliq shaped by HarfBuzz like every
other field, not by Qt's broken Nastaliq (``ui.widgets.nastaliq_text``). The value, the
arrows, the keys and the validation stay Qt's; only the line edit inside is ours. (The
calendar a date edit pops up is Qt's own widget and keeps Naskh: ``ui.language``.)"""

from __future__ import annotations

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QDateEdit, QSpinBox, QWidget

from ui.widgets.line_edit import LineEdit


class SpinBox(QSpinBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLineEdit(LineEdit(self))


class DateEdit(QDateEdit):
    """The locale's short date with the year in four digits: Urdu's is d/M/yy, which a
    right-to-left date edit shows as 26/5/12 for 12 May 2026 (Qt puts the sections in
    reverse order) — the year cannot be told from the day."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLineEdit(LineEdit(self))
        form = self.locale().dateFormat(QLocale.FormatType.ShortFormat)
        if "yyyy" not in form:
            self.setDisplayFormat(form.replace("yy", "yyyy"))
