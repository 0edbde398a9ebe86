"""Keep the desktop's windows out of screenshots and screen sharing where the platform allows
it (Windows 10 2004 and later: SetWindowDisplayAffinity with WDA_EXCLUDEFROMCAPTURE). Every
top-level window is asked for as it is shown — the main window, and each dialog and message
that shows a case (referral, export, new case) — not the main window alone."""

from __future__ import annotations

import sys

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

WDA_EXCLUDEFROMCAPTURE = 0x11


def exclude_from_capture(window: QWidget) -> bool:
    """True when the platform took the request; elsewhere nothing happens."""
    if sys.platform != "win32":
        return False
    import ctypes  # only on Windows: windll exists there alone

    user32 = ctypes.windll.user32
    return bool(user32.SetWindowDisplayAffinity(int(window.winId()), WDA_EXCLUDEFROMCAPTURE))


class CaptureGuard(QObject):
    """Asks for every window each time it is shown (Qt has made its native window by then;
    asking again, after a lock-and-hide say, costs nothing)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget) and \
                watched.isWindow():
            exclude_from_capture(watched)
        return False


_installed: list[CaptureGuard] = []


def install(app: QApplication) -> None:
    if not _installed:
        _installed.append(CaptureGuard(app))
        app.installEventFilter(_installed[0])
