"""A passphrase field that warns when Caps Lock seems to be on (Qt has no portable way to ask
the keyboard, so a capital typed without Shift, or a small letter typed with it, tells)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget


class PassphraseField(QLineEdit):
    caps_lock = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        # no undo history and no context menu copy of a secret
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        text = event.text()
        if len(text) == 1 and text.isalpha() and text.lower() != text.upper():
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.caps_lock.emit(text.isupper() != shift)
        super().keyPressEvent(event)
