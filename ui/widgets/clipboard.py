"""Copy an identity number so that it leaves the clipboard again after 30 seconds (unless
something else was copied meanwhile)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

CLEAR_AFTER_MS = 30_000


def copy_sensitive(text: str, clear_after_ms: int = CLEAR_AFTER_MS) -> None:
    clipboard = QGuiApplication.clipboard()
    clipboard.setText(text)

    def clear() -> None:
        if clipboard.text() == text:
            clipboard.clear()
    QTimer.singleShot(clear_after_ms, clear)
