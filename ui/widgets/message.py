"""Message boxes and confirmations, their text in Nastaliq in Urdu: a small dialog made of a
``Label`` and push buttons (drawn through ``NastaliqStyle``), used in place of QMessageBox —
Qt sizes a QMessageBox's text by its wrong Nastaliq widths (so it is kept in Naskh, see
``ui.language``) and labels its standard buttons in English (the application loads no Qt
translations). The keyboard works as in QMessageBox: Enter presses the default button (the
safe one, for a confirmation), Esc rejects; the dialog, its text and its buttons carry
accessible names."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from caseapp.i18n import _
from ui.widgets.label import Label
from ui.widgets.script import strip_mnemonic
from ui.widgets.spin_box import SpinBox

_WIDTH = 380  # the text's width before it wraps, as a message box's


class MessageDialog(QDialog):
    """``title`` and ``text``; an accepting button, and a rejecting one for a question.
    ``exec()`` is Accepted only when the accepting button was pressed."""

    def __init__(self, parent: QWidget | None, title: str, text: str, accept_text: str,
                 reject_text: str | None = None, default_accept: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setAccessibleDescription(text)
        icon = QStyle.StandardPixmap.SP_MessageBoxQuestion if reject_text \
            else QStyle.StandardPixmap.SP_MessageBoxInformation
        picture = Label(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize, None, self)
        picture.setPixmap(self.style().standardIcon(icon, None, self).pixmap(size, size))
        picture.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = Label(text, self)
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(_WIDTH)
        self.text.setAccessibleName(text)
        self.buttons = QDialogButtonBox(self)
        self.accept_button = self._button(accept_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.reject_button = self._button(reject_text, QDialogButtonBox.ButtonRole.RejectRole) \
            if reject_text else None
        default = self.accept_button if default_accept or self.reject_button is None \
            else self.reject_button
        default.setDefault(True)
        default.setFocus()
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(picture)
        row.addWidget(self.text, 1)
        box = QVBoxLayout(self)
        box.addLayout(row)
        self.body = QVBoxLayout()  # what a dialog asks for (``ask_number``'s field)
        box.addLayout(self.body)
        box.addWidget(self.buttons)
        box.setSizeConstraint(QVBoxLayout.SizeConstraint.SetFixedSize)

    def _button(self, text: str, role: QDialogButtonBox.ButtonRole) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(strip_mnemonic(text))
        self.buttons.addButton(button, role)
        return button


def confirm(parent: QWidget | None, title: str, text: str, accept_text: str,
            reject_text: str) -> bool:
    """Ask; True only when the user chose ``accept_text`` (Enter on the first focus and Esc
    keep the safe choice)."""
    return _run(MessageDialog(parent, title, text, accept_text, reject_text))


def inform(parent: QWidget | None, title: str, text: str) -> None:
    _run(MessageDialog(parent, title, text, _("OK"), default_accept=True))


def _run(dialog: MessageDialog) -> bool:
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    if isValid(dialog):  # a lock meanwhile (Ctrl+L, idle) destroys it with its window
        dialog.deleteLater()
    return accepted


def ask_number(parent: QWidget | None, title: str, text: str, value: int, low: int,
               high: int) -> int | None:
    """A number from ``low`` to ``high`` (QInputDialog.getInt's job, its text in Nastaliq);
    None when cancelled. Enter accepts, Esc cancels."""
    dialog = MessageDialog(parent, title, text, _("OK"), _("Cancel"), default_accept=True)
    field = SpinBox(dialog)
    field.setRange(low, high)
    field.setValue(value)
    field.setAccessibleName(strip_mnemonic(text))
    dialog.text.setBuddy(field)
    dialog.body.addWidget(field)
    field.setFocus()
    field.selectAll()
    return field.value() if _run(dialog) else None
