"""Spin boxes whose text is a ``LineEdit``, so that in the Urdu interface what they show — a
special value such as "any", a date — is drawn in Nastaliq shaped by HarfBuzz like every
other field, not by Qt's broken Nastaliq (``ui.widgets.nastaliq_text``). The value, the
arrows, the keys and the validation stay Qt's; only the line edit inside is ours. (The
calendar a date edit pops up is Qt's own widget and keeps Naskh: ``ui.language``.)"""

from __future__ import annotations

from PySide6.QtWidgets import QDateEdit, QSpinBox, QWidget

from ui.widgets.line_edit import LineEdit


class SpinBox(QSpinBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLineEdit(LineEdit(self))


class DateEdit(QDateEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLineEdit(LineEdit(self))
